//! 统一社会信用代码 (USCC), GB 32100-2015: 18 characters from a 31-letter alphabet with a
//! weighted mod-31 check character.

use std::fmt;

/// The 31 characters of GB 32100-2015, valued 0..30 in this order (no I, O, S, V, Z).
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..17.
pub const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A checked, upper-case USCC.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

/// What kind of registrant the first two characters (registration authority + type) say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrantKind {
    /// 9 (工商) + 1/2/3: enterprise, individual business, farmers' cooperative.
    Enterprise,
    /// 5 (民政) + 1/2/3/9: social organization, private non-enterprise unit, foundation, other.
    SocialOrganization,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("统一社会信用代码应为 18 位，实际为 {0} 位")]
    Length(usize),
    #[error("第 {position} 位字符“{ch}”不在统一社会信用代码字符集内（不使用 I、O、S、V、Z）")]
    Character { position: usize, ch: char },
    #[error("校验位错误：按 GB 32100-2015 计算应为“{expected}”，实际为“{actual}”")]
    Checksum { expected: char, actual: char },
}

fn value_of(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

/// The check character for the first 17 characters (which must be in the alphabet).
pub fn check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*b)? * w;
    }
    let c = (31 - sum % 31) % 31;
    Some(ALPHABET[c as usize] as char)
}

impl Uscc {
    /// Trims, upper-cases and checks alphabet and check character.
    pub fn parse(raw: &str) -> Result<Self, UsccError> {
        let s: String = raw.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(UsccError::Length(n));
        }
        for (i, ch) in s.chars().enumerate() {
            if !ch.is_ascii() || value_of(ch as u8).is_none() {
                return Err(UsccError::Character { position: i + 1, ch });
            }
        }
        let bytes = s.as_bytes();
        let expected = check_char(&bytes[..17]).ok_or(UsccError::Length(n))?;
        let actual = bytes[17] as char;
        if expected != actual {
            return Err(UsccError::Checksum { expected, actual });
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Registrant kind from the registration authority (char 1) and type (char 2).
    pub fn registrant_kind(&self) -> RegistrantKind {
        match &self.0.as_bytes()[..2] {
            b"91" | b"92" | b"93" => RegistrantKind::Enterprise,
            b"51" | b"52" | b"53" | b"59" => RegistrantKind::SocialOrganization,
            _ => RegistrantKind::Other,
        }
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spec_vectors() {
        for ok in ["91350200MA2YJ1XR9G", "913502000728319549", "91350213678251743X"] {
            assert_eq!(Uscc::parse(ok).expect(ok).as_str(), ok);
        }
        assert_eq!(Uscc::parse("91350203M0001QAY9B"), Err(UsccError::Checksum { expected: '9', actual: 'B' }));
    }

    #[test]
    fn lower_case_is_normalized() {
        assert_eq!(Uscc::parse(" 91350200ma2yj1xr9g ").expect("valid").as_str(), "91350200MA2YJ1XR9G");
    }

    #[test]
    fn excluded_letters_and_lengths() {
        assert!(matches!(Uscc::parse("91350200MA2YJ1XRIG"), Err(UsccError::Character { position: 17, ch: 'I' })));
        assert_eq!(Uscc::parse("9135020"), Err(UsccError::Length(7)));
        assert!(matches!(Uscc::parse("91350200MA2YJ1XR9全"), Err(UsccError::Character { .. })));
    }

    #[test]
    fn registrant_kinds() {
        assert_eq!(Uscc::parse("913502000728319549").expect("ok").registrant_kind(), RegistrantKind::Enterprise);
        let mut social = b"51500000MJ0000000".to_vec();
        let c = check_char(&social).expect("alphabet") as u8;
        social.push(c);
        let s = String::from_utf8(social).expect("ascii");
        assert_eq!(Uscc::parse(&s).expect("ok").registrant_kind(), RegistrantKind::SocialOrganization);
    }

    proptest! {
        /// Changing any one character of a valid code to another alphabet character is caught.
        #[test]
        fn any_single_substitution_is_caught(body in proptest::collection::vec(0usize..31, 17), pos in 0usize..18, delta in 1usize..31) {
            let mut bytes: Vec<u8> = body.iter().map(|&i| ALPHABET[i]).collect();
            let c = check_char(&bytes).expect("alphabet") as u8;
            bytes.push(c);
            let valid = String::from_utf8(bytes.clone()).expect("ascii");
            prop_assert!(Uscc::parse(&valid).is_ok());
            let old = ALPHABET.iter().position(|&a| a == bytes[pos]).expect("in alphabet");
            bytes[pos] = ALPHABET[(old + delta) % 31];
            let flipped = String::from_utf8(bytes).expect("ascii");
            prop_assert!(Uscc::parse(&flipped).is_err(), "{} accepted after changing position {}", flipped, pos + 1);
        }
    }
}
