//! Standard numbers (标准编号): normalization and classification by shape (SPEC §3.1).
//!
//! Normalization: NFKC (full-width to half-width), every dash variant (including 一 typed for a dash)
//! to `-`, upper case, single spaces, none around `/` and `-`, and one space between the code and the
//! sequence number (`GB17761-2018` -> `GB 17761-2018`). Classification is by shape only; whether an
//! industry code or a local division exists is checked against the reference tables by the caller.

use std::fmt;

use super::coded::coded;
use unicode_normalization::UnicodeNormalization;

coded! {
    /// `standard.type` in responses and the `standard_type` search filter.
    pub enum StandardType {
        NationalMandatory = "national_mandatory" => "强制性国家标准",
        NationalRecommended = "national_recommended" => "推荐性国家标准",
        NationalGuidance = "national_guidance" => "国家标准化指导性技术文件",
        Industry = "industry" => "行业标准",
        Local = "local" => "地方标准",
        Group = "group" => "团体标准",
        Enterprise = "enterprise" => "企业标准",
    }
}

impl StandardType {
    /// National, industry and local numbers are looked up in the catalogue before publishing.
    pub fn is_catalogued(self) -> bool {
        matches!(
            self,
            Self::NationalMandatory | Self::NationalRecommended | Self::NationalGuidance | Self::Industry | Self::Local
        )
    }

    /// Enterprise and group standards must publish their indicators (SPEC §3.2).
    pub fn requires_indicators(self) -> bool {
        matches!(self, Self::Enterprise | Self::Group)
    }
}

/// A parsed standard number: the raw input, its normalized form, its type and its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardNumber {
    pub raw: String,
    pub normalized: String,
    pub kind: StandardType,
    /// `GB`, `GB/T`, `QC/T`, `DB50/T`, `T/CAS`, `Q/...` (for enterprise: the whole body)
    pub prefix: String,
    /// The sector code (industry), division digits (local) or organization code (group).
    pub issuer: Option<String>,
    /// The sequence number with parts, e.g. `1.1`, `17761`.
    pub sequence: String,
    /// The year as a full four-digit number (`93` -> 1993).
    pub year: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StandardNumberError {
    #[error("标准编号为空")]
    Empty,
    #[error("标准编号过长（最多 64 个字符）")]
    TooLong,
    #[error(
        "无法识别的标准编号“{0}”。可接受的格式：国家标准 GB 2760-2014、GB/T 1.1-2020、GB/Z 20000-2005（1995 年前可用两位年号，如 GB 3100-93）；行业标准 QC/T 1234-2020 或 SN 1234-2020；地方标准 DB50/T 1234-2022 或 DB3205/T 1172-2025；团体标准 T/CAS 290-2017；企业标准 Q/XXX 001-2021"
    )]
    Shape(String),
    #[error("年号 {0} 无效：两位年号只用于 1995 年以前发布的标准，四位年号应在 1950 年之后")]
    Year(String),
}

/// Characters people type for a dash in standard numbers.
const DASHES: &[char] = &['一', '–', '—', '－', '‐', '‑', '‒', '―', '−', '⸺', '⸻', '﹣'];

/// Normalizes without classifying (also used for search queries).
pub fn normalize(raw: &str) -> String {
    let nfkc: String = raw.nfkc().collect();
    let mut out = String::with_capacity(nfkc.len());
    for ch in nfkc.chars() {
        let ch = if DASHES.contains(&ch) { '-' } else { ch };
        if ch.is_whitespace() {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
        } else {
            out.extend(ch.to_uppercase());
        }
    }
    let trimmed = out.trim_end();
    // No spaces around '/' and '-'.
    let mut res = String::with_capacity(trimmed.len());
    let chars: Vec<char> = trimmed.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        if ch == ' ' {
            let prev = if i > 0 { chars[i - 1] } else { ' ' };
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if matches!(prev, '/' | '-') || matches!(next, '/' | '-') {
                continue;
            }
        }
        res.push(ch);
    }
    res
}

fn is_seq(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A sector sequence may start with one letter (`JTG D60-2015`).
fn is_sector_seq(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b) if b.is_ascii_uppercase() => is_seq(&s[1..]),
        _ => is_seq(s),
    }
}

fn parse_year(s: &str, allow_two_digits: bool, raw: &str) -> Result<i32, StandardNumberError> {
    let bad = || StandardNumberError::Year(s.to_string());
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StandardNumberError::Shape(raw.to_string()));
    }
    match s.len() {
        4 => {
            let y: i32 = s.parse().map_err(|_| bad())?;
            if (1950..=2100).contains(&y) { Ok(y) } else { Err(bad()) }
        }
        2 if allow_two_digits => {
            let y: i32 = s.parse().map_err(|_| bad())?;
            if (50..95).contains(&y) { Ok(1900 + y) } else { Err(bad()) }
        }
        _ => Err(bad()),
    }
}

/// Splits `rest` ("17761-2018", "1.1-2020") at the last dash into sequence and year.
fn split_year(rest: &str) -> Option<(&str, &str)> {
    rest.rsplit_once('-')
}

/// Splits `CODE SEQ` where the space may be missing (`GB17761`): the code is the leading run of
/// letters (and `/T`, `/Z`), the sequence starts at the first digit.
fn split_code(s: &str) -> (&str, &str) {
    if let Some((code, rest)) = s.split_once(' ') {
        return (code, rest);
    }
    let idx = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    (&s[..idx], &s[idx..])
}

impl StandardNumber {
    /// Normalizes and classifies; errors name the accepted shapes.
    pub fn parse(raw: &str) -> Result<Self, StandardNumberError> {
        let raw_trimmed = raw.trim();
        if raw_trimmed.is_empty() {
            return Err(StandardNumberError::Empty);
        }
        if raw_trimmed.chars().count() > 64 {
            return Err(StandardNumberError::TooLong);
        }
        let n = normalize(raw_trimmed);
        let shape = || StandardNumberError::Shape(raw_trimmed.to_string());
        let mk = |kind, prefix: String, issuer: Option<String>, seq: &str, year: i32, year_s: &str| {
            let normalized = format!("{prefix} {seq}-{year_s}");
            Ok(StandardNumber {
                raw: raw_trimmed.to_string(),
                normalized,
                kind,
                prefix,
                issuer,
                sequence: seq.to_string(),
                year,
            })
        };

        // Enterprise: Q/<body>-YYYY, lenient body.
        if let Some(body_year) = n.strip_prefix("Q/") {
            let (body, year_s) = split_year(body_year).ok_or_else(shape)?;
            let ok_body = !body.is_empty()
                && body.len() <= 48
                && body.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '/' | '-' | '(' | ')'));
            if !ok_body || year_s.len() != 4 {
                return Err(shape());
            }
            let year = parse_year(year_s, false, raw_trimmed)?;
            return Ok(StandardNumber {
                raw: raw_trimmed.to_string(),
                normalized: n.clone(),
                kind: StandardType::Enterprise,
                prefix: format!("Q/{body}"),
                issuer: None,
                sequence: body.to_string(),
                year,
            });
        }

        // Group: T/<ORG> <SEQ>-YYYY
        if let Some(rest) = n.strip_prefix("T/") {
            let (org, seq_year) = split_code(rest);
            let (seq, year_s) = split_year(seq_year).ok_or_else(shape)?;
            let org_ok = (2..=12).contains(&org.len())
                && org.as_bytes()[0].is_ascii_uppercase()
                && org.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !org_ok || !is_seq(seq) {
                return Err(shape());
            }
            let year = parse_year(year_s, false, raw_trimmed)?;
            return mk(StandardType::Group, format!("T/{org}"), Some(org.to_string()), seq, year, year_s);
        }

        let (code, seq_year) = split_code(&n);
        let (seq, year_s) = split_year(seq_year).ok_or_else(shape)?;

        // National
        let national = match code {
            "GB" => Some(StandardType::NationalMandatory),
            "GB/T" => Some(StandardType::NationalRecommended),
            "GB/Z" => Some(StandardType::NationalGuidance),
            _ => None,
        };
        if let Some(kind) = national {
            if !is_seq(seq) {
                return Err(shape());
            }
            let year = parse_year(year_s, true, raw_trimmed)?;
            return mk(kind, code.to_string(), None, seq, year, year_s);
        }

        // Local: DB + 2 or 4 digits, optional /T
        if let Some(div) = code.strip_prefix("DB") {
            let div_digits = div.strip_suffix("/T").unwrap_or(div);
            if !div_digits.is_empty() {
                if !(div_digits.len() == 2 || div_digits.len() == 4)
                    || !div_digits.bytes().all(|b| b.is_ascii_digit())
                    || !is_seq(seq)
                {
                    return Err(shape());
                }
                let year = parse_year(year_s, false, raw_trimmed)?;
                return mk(StandardType::Local, code.to_string(), Some(div_digits.to_string()), seq, year, year_s);
            }
        }

        // Industry: 2-3 letter sector code, optional /T
        let sector = code.strip_suffix("/T").unwrap_or(code);
        if (2..=3).contains(&sector.len()) && sector.bytes().all(|b| b.is_ascii_uppercase()) && is_sector_seq(seq) {
            let year = parse_year(year_s, true, raw_trimmed)?;
            return mk(StandardType::Industry, code.to_string(), Some(sector.to_string()), seq, year, year_s);
        }
        Err(shape())
    }

    /// Forms a person may type for this number, used by search: `GB 17761-2018`, `GB17761-2018`,
    /// `GB17761`, `GB 17761`, `17761`, `17761-2018`, `GB/T17761` ...
    pub fn search_forms(&self) -> Vec<String> {
        let mut forms = vec![self.normalized.clone()];
        if self.kind != StandardType::Enterprise {
            let compact_prefix: String = self.prefix.chars().filter(|c| *c != ' ').collect();
            let year_s = self.normalized.rsplit_once('-').map(|(_, y)| y).unwrap_or_default();
            forms.push(format!("{compact_prefix}{}-{year_s}", self.sequence));
            forms.push(format!("{compact_prefix}{}", self.sequence));
            forms.push(format!("{} {}", self.prefix, self.sequence));
            forms.push(self.sequence.clone());
            forms.push(format!("{}-{year_s}", self.sequence));
        } else {
            forms.push(self.normalized.replace(' ', ""));
        }
        forms.dedup();
        forms
    }

    /// Only the digits of the number (`GB/T 1.1-2020` -> `112020`), for loose matching.
    pub fn digits(&self) -> String {
        self.normalized.chars().filter(char::is_ascii_digit).collect()
    }
}

impl fmt::Display for StandardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(raw: &str) -> (String, StandardType) {
        let n = StandardNumber::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        (n.normalized, n.kind)
    }

    #[test]
    fn spec_examples() {
        use StandardType::*;
        assert_eq!(t("GB 2760-2014"), ("GB 2760-2014".into(), NationalMandatory));
        assert_eq!(t("GB/T 1.1-2020"), ("GB/T 1.1-2020".into(), NationalRecommended));
        assert_eq!(t("GB/Z 20000-2005"), ("GB/Z 20000-2005".into(), NationalGuidance));
        assert_eq!(t("GB 3100-93"), ("GB 3100-93".into(), NationalMandatory));
        assert_eq!(StandardNumber::parse("GB 3100-93").expect("ok").year, 1993);
        assert_eq!(t("QC/T 1234-2020"), ("QC/T 1234-2020".into(), Industry));
        assert_eq!(t("SN/T 1234-2020"), ("SN/T 1234-2020".into(), Industry));
        assert_eq!(t("SN 1234-2020"), ("SN 1234-2020".into(), Industry));
        assert_eq!(t("DB50/T 1234-2022"), ("DB50/T 1234-2022".into(), Local));
        assert_eq!(t("DB3205/T 1172-2025"), ("DB3205/T 1172-2025".into(), Local));
        assert_eq!(t("DB50 123-2020"), ("DB50 123-2020".into(), Local));
        assert_eq!(t("T/CAS 290-2017"), ("T/CAS 290-2017".into(), Group));
        assert_eq!(t("Q/SXDJX001-2021"), ("Q/SXDJX001-2021".into(), Enterprise));
        assert_eq!(t("Q/370300 TSMJ-BZ-202-2020"), ("Q/370300 TSMJ-BZ-202-2020".into(), Enterprise));
        assert_eq!(t("JTG D60-2015"), ("JTG D60-2015".into(), Industry));
        assert_eq!(t("DB/T 12-2020"), ("DB/T 12-2020".into(), Industry));
    }

    #[test]
    fn loose_input_normalizes() {
        assert_eq!(t("gb 17761—2018").0, "GB 17761-2018");
        assert_eq!(t("ＧＢ／Ｔ　１．１－２０２０").0, "GB/T 1.1-2020");
        assert_eq!(t("GB17761-2018").0, "GB 17761-2018");
        assert_eq!(t("GB / T 22239 一 2019").0, "GB/T 22239-2019");
        assert_eq!(t("  gb/t   22239–2019 ").0, "GB/T 22239-2019");
        assert_eq!(t("t/cas290-2017").0, "T/CAS 290-2017");
        assert_eq!(t("q/ sxdjx001 — 2021").0, "Q/SXDJX001-2021");
        assert_eq!(StandardNumber::parse("gb 17761—2018").expect("ok").raw, "gb 17761—2018");
    }

    #[test]
    fn bad_shapes_name_the_accepted_ones() {
        for bad in [
            "",
            "ISO 9001:2015",
            "GB 2760",
            "GB 2760-14",
            "GB 2760-2014a",
            "DB5/T 1-2020",
            "T/ 12-2020",
            "Q/-2020",
            "ABCD 12-2020",
            "GB 2760-1899",
        ] {
            let err = StandardNumber::parse(bad).expect_err(bad);
            if !bad.is_empty() && bad != "GB 2760-1899" && bad != "GB 2760-14" {
                assert!(err.to_string().contains("T/CAS 290-2017"), "{bad}: {err}");
            }
        }
        assert!(matches!(StandardNumber::parse("GB 2760-14"), Err(StandardNumberError::Year(_))));
    }

    #[test]
    fn search_forms_cover_loose_typing() {
        let n = StandardNumber::parse("GB 17761-2018").expect("ok");
        let forms = n.search_forms();
        for f in ["GB 17761-2018", "GB17761-2018", "GB17761", "GB 17761", "17761", "17761-2018"] {
            assert!(forms.iter().any(|x| x == f), "missing {f} in {forms:?}");
        }
        assert_eq!(n.digits(), "177612018");
    }

    proptest! {
        /// Normalization is idempotent, and classification is stable under it.
        #[test]
        fn normalization_idempotent(prefix in prop_oneof![Just("GB"), Just("gb/t"), Just("ＧＢ／Ｔ"), Just("QC/T"), Just("db50/t"), Just("T/CAS"), Just("Q/ABC"), Just("SN")],
                                    seq in "[0-9]{1,5}(\\.[0-9]{1,2})?",
                                    dash in prop_oneof![Just("-"), Just("—"), Just("－"), Just(" – "), Just("一")],
                                    year in 1996i32..2026,
                                    space in prop_oneof![Just(" "), Just("  "), Just("　")]) {
            let raw = format!("{prefix}{space}{seq}{dash}{year}");
            let once = normalize(&raw);
            prop_assert_eq!(normalize(&once), once.clone());
            if let Ok(parsed) = StandardNumber::parse(&raw) {
                let again = StandardNumber::parse(&parsed.normalized).expect("normalized form parses");
                prop_assert_eq!(again.kind, parsed.kind);
                prop_assert_eq!(&again.normalized, &parsed.normalized);
                prop_assert_eq!(again.year, year);
            }
        }
    }
}
