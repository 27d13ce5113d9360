//! Shapes of the classification codes (existence is checked against the reference tables by the
//! services): GB/T 2260 division codes, GB/T 4754-2017 industry codes, ICS and CCS.

/// A six-digit division code: `500103`.
pub fn is_division_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The jurisdiction prefix of a division code: trailing `00` pairs dropped.
/// `500000` -> `50`, `500100` -> `5001`, `500103` -> `500103`.
pub fn division_prefix(code: &str) -> &str {
    let mut s = code;
    while s.len() > 2 && s.ends_with("00") {
        s = &s[..s.len() - 2];
    }
    s
}

/// All prefixes a division code belongs to, shortest first: `500103` -> [`50`, `5001`, `500103`].
/// Used for `division=` filtering by any level.
pub fn division_prefixes(code: &str) -> Vec<String> {
    let own = division_prefix(code);
    let mut out = Vec::with_capacity(3);
    for len in [2, 4, 6] {
        if own.len() >= len {
            out.push(own[..len].to_string());
        }
    }
    out
}

/// Whether a division code lies within a jurisdiction (by prefix).
pub fn in_jurisdiction(jurisdiction: &str, division_code: &str) -> bool {
    division_code.starts_with(division_prefix(jurisdiction))
}

/// A division filter value: 2, 4 or 6 digits (a prefix), or a six-digit code (reduced to its prefix).
pub fn parse_division_filter(s: &str) -> Option<String> {
    let s = s.trim();
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.len() {
        2 | 4 => Some(s.to_string()),
        6 => Some(division_prefix(s).to_string()),
        _ => None,
    }
}

/// GB/T 4754-2017 code shape: a section letter A-T, optionally followed by 2, 3 or 4 digits (`C3841`).
/// Returns the code with its letter upper-cased; the digits alone are the table key.
pub fn parse_industry_code(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_uppercase();
    let mut chars = s.chars();
    let section = chars.next()?;
    if !('A'..='T').contains(&section) {
        return None;
    }
    let digits = chars.as_str();
    if !(digits.is_empty() || ((2..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))) {
        return None;
    }
    Some(s)
}

/// The reference-table key of an industry code: the digits, or the letter for a bare section.
pub fn industry_table_key(code: &str) -> &str {
    if code.len() > 1 { &code[1..] } else { code }
}

/// All prefixes of an industry code for filtering: `C3841` -> [`C`, `C38`, `C384`, `C3841`].
pub fn industry_prefixes(code: &str) -> Vec<String> {
    let mut out = vec![code[..1].to_string()];
    for len in 3..=code.len() {
        out.push(code[..len].to_string());
    }
    out
}

/// ICS: `^\d{2}(\.\d{3}(\.\d{2})?)?$`.
pub fn is_ics_code(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [a] => digits(a, 2),
        [a, b] => digits(a, 2) && digits(b, 3),
        [a, b, c] => digits(a, 2) && digits(b, 3) && digits(c, 2),
        _ => false,
    }
}

/// CCS: `^[A-HJ-NP-Z]\d{2}$`.
pub fn is_ccs_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b[0].is_ascii_uppercase()
        && b[0] != b'I'
        && b[0] != b'O'
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdiction_prefixes() {
        assert_eq!(division_prefix("500000"), "50");
        assert_eq!(division_prefix("500100"), "5001");
        assert_eq!(division_prefix("500103"), "500103");
        assert_eq!(division_prefixes("500103"), vec!["50", "5001", "500103"]);
        assert_eq!(division_prefixes("500000"), vec!["50"]);
        assert!(in_jurisdiction("500000", "500103"));
        assert!(in_jurisdiction("500103", "500103"));
        assert!(!in_jurisdiction("500103", "500104"));
        assert!(!in_jurisdiction("510000", "500103"));
    }

    #[test]
    fn division_filters() {
        assert_eq!(parse_division_filter("50").as_deref(), Some("50"));
        assert_eq!(parse_division_filter("500000").as_deref(), Some("50"));
        assert_eq!(parse_division_filter("500103").as_deref(), Some("500103"));
        assert_eq!(parse_division_filter("5\" OR 1=1"), None);
        assert_eq!(parse_division_filter("501"), None);
    }

    #[test]
    fn industry_codes() {
        assert_eq!(parse_industry_code("c3841").as_deref(), Some("C3841"));
        assert_eq!(parse_industry_code("C").as_deref(), Some("C"));
        assert_eq!(parse_industry_code("C38").as_deref(), Some("C38"));
        assert_eq!(parse_industry_code("U38"), None);
        assert_eq!(parse_industry_code("C38411"), None);
        assert_eq!(parse_industry_code("C3"), None);
        assert_eq!(industry_table_key("C3841"), "3841");
        assert_eq!(industry_prefixes("C3841"), vec!["C", "C38", "C384", "C3841"]);
    }

    #[test]
    fn ics_and_ccs() {
        for ok in ["01", "01.040", "01.040.01"] {
            assert!(is_ics_code(ok), "{ok}");
        }
        for bad in ["1", "01.04", "01.040.1", "01.040.01.1", "ab"] {
            assert!(!is_ics_code(bad), "{bad}");
        }
        assert!(is_ccs_code("A00") && is_ccs_code("J98") && is_ccs_code("Z01"));
        assert!(!is_ccs_code("I00") && !is_ccs_code("O12") && !is_ccs_code("A0") && !is_ccs_code("a00"));
    }
}
