//! Indicators that can be compared (SPEC §3.8), without the database: canonical indicators (code,
//! names, quantity, canonical unit, direction), how a declared indicator is matched to one (its
//! `code`, else its name or a synonym, with the unit deciding between names two quantities share),
//! and how a declared value reads (`80`, `≤75`, `4.0~8.5`, `无`). The requirements of standards and
//! the comparison are in [`compare`]; units in [`units`].

pub mod compare;
pub mod units;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use units::Unit;

/// Which way an indicator is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (strength, capacity): a declared value is a lower bound (`>=`).
    HigherBetter,
    /// Lower is better (formaldehyde, noise): a declared value is an upper bound (`<=`).
    LowerBetter,
    /// Must lie within a range (pH).
    Range,
    /// Passes or fails (odour: 无).
    PassFail,
}

impl Direction {
    pub const ALL: [Direction; 4] = [Self::HigherBetter, Self::LowerBetter, Self::Range, Self::PassFail];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HigherBetter => "higher_better",
            Self::LowerBetter => "lower_better",
            Self::Range => "range",
            Self::PassFail => "pass_fail",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::HigherBetter => "越高越好",
            Self::LowerBetter => "越低越好",
            Self::Range => "在范围内",
            Self::PassFail => "合格/不合格",
        }
    }

    /// The comparator a declared value without one is read with.
    pub fn default_comparator(self) -> Comparator {
        match self {
            Self::HigherBetter => Comparator::AtLeast,
            Self::LowerBetter => Comparator::AtMost,
            Self::Range | Self::PassFail => Comparator::Exactly,
        }
    }
}

/// How a value or a limit is stated: at most, at least, exactly (a value or a text), a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Comparator {
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "=")]
    Exactly,
    #[serde(rename = "range")]
    Range,
}

impl Comparator {
    pub const ALL: [Comparator; 4] = [Self::AtMost, Self::AtLeast, Self::Exactly, Self::Range];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtMost => "<=",
            Self::AtLeast => ">=",
            Self::Exactly => "=",
            Self::Range => "range",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        Self::ALL.into_iter().find(|c| c.as_str() == t)
    }
}

/// A canonical indicator.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Canonical {
    /// A stable key (`formaldehyde_content`).
    pub code: String,
    /// The Chinese name (`甲醛含量`).
    pub name: String,
    /// Other names it is declared under.
    pub synonyms: Vec<String>,
    /// The quantity its values measure (`fraction`, `mass_concentration`, `dimensionless` ...).
    pub quantity: String,
    /// The unit values are compared and ranked in (`mg/kg`); none for dimensionless indicators.
    pub unit: Option<String>,
    pub direction: Direction,
}

impl Canonical {
    /// The canonical unit from the unit table (`None`: dimensionless).
    pub fn unit(&self) -> Option<&'static Unit> {
        self.unit.as_deref().and_then(units::parse)
    }

    /// The keys its name and synonyms are matched by.
    pub fn name_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for n in std::iter::once(&self.name).chain(&self.synonyms) {
            let k = name_key(n);
            if !k.is_empty() && !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }
}

/// The form names are matched in: NFKC (full-width brackets become ASCII), no whitespace, ASCII
/// lower case (`pH值` and `PH值` meet).
pub fn name_key(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase()
}

/// The keys a declared name is looked up by: the whole name, then without a trailing bracketed
/// qualifier (`镉(以Cd计)` is also looked up as `镉`).
pub fn lookup_keys(name: &str) -> Vec<String> {
    let key = name_key(name);
    let mut out = vec![key.clone()];
    if key.ends_with(')')
        && let Some(i) = key.rfind('(')
        && i > 0
    {
        out.push(key[..i].to_string());
    }
    out
}

/// The canonical indicators a batch of declarations may match, indexed by code and by name key.
#[derive(Debug, Default)]
pub struct Vocabulary {
    by_code: HashMap<String, Canonical>,
    by_key: HashMap<String, Vec<String>>,
}

impl Vocabulary {
    pub fn new(items: impl IntoIterator<Item = Canonical>) -> Self {
        let mut v = Vocabulary::default();
        for c in items {
            for k in c.name_keys() {
                let codes = v.by_key.entry(k).or_default();
                if !codes.contains(&c.code) {
                    codes.push(c.code.clone());
                }
            }
            v.by_code.insert(c.code.clone(), c);
        }
        for codes in v.by_key.values_mut() {
            codes.sort();
        }
        v
    }

    pub fn get(&self, code: &str) -> Option<&Canonical> {
        self.by_code.get(code)
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The canonical indicator a declared name matches. A name several indicators share (they
    /// measure different quantities: 额定容量 in Ah or in L) is decided by the declared unit; when
    /// the unit decides nothing, the name matches nothing (it stays free text).
    pub fn match_name(&self, name: &str, unit: Option<&str>) -> Option<&Canonical> {
        let key = lookup_keys(name).into_iter().find(|k| self.by_key.contains_key(k))?;
        let codes = self.by_key.get(&key)?;
        if let [only] = codes.as_slice() {
            return self.by_code.get(only);
        }
        let quantity = unit.filter(|u| !u.trim().is_empty()).and_then(units::parse).map(|u| u.quantity);
        let mut fits = codes.iter().filter_map(|c| self.by_code.get(c)).filter(|c| match quantity {
            Some(q) => c.quantity == q,
            None => c.unit.is_none(),
        });
        match (fits.next(), fits.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }
}

/// A declared value as the API takes it.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    Number(f64),
    Text(&'a str),
}

/// What a declared value says, in the declared unit: an interval (either end open) or a text.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// `lo..=hi`; `None` is an open end (`<= 75` has no lower end).
    Interval { lo: Option<f64>, hi: Option<f64> },
    /// A value that is no number (`无`, `不起火、不爆炸`).
    Text(String),
}

/// Reads a declared value with its comparator (or, without one, the direction's): `<=` gives an
/// upper end, `>=` a lower one, `=` both; a text `a~b` (or `a-b`, `a～b`, `a至b`) is a range
/// whatever the comparator; `≤75`, `>=500`, `75以下` carry their own comparator.
pub fn read_value(value: Value<'_>, comparator: Option<Comparator>, direction: Direction) -> Reading {
    let (number, own) = match value {
        Value::Number(n) => (n, None),
        Value::Text(t) => match read_text(t) {
            TextValue::Range(a, b) => return Reading::Interval { lo: Some(a.min(b)), hi: Some(a.max(b)) },
            TextValue::Number(n, own) => (n, own),
            TextValue::Words => return Reading::Text(t.trim().to_string()),
        },
    };
    let cmp = own.or(comparator).unwrap_or_else(|| direction.default_comparator());
    match cmp {
        Comparator::AtMost => Reading::Interval { lo: None, hi: Some(number) },
        Comparator::AtLeast => Reading::Interval { lo: Some(number), hi: None },
        Comparator::Exactly | Comparator::Range => Reading::Interval { lo: Some(number), hi: Some(number) },
    }
}

enum TextValue {
    Number(f64, Option<Comparator>),
    Range(f64, f64),
    Words,
}

const AT_MOST: &[&str] = &["<=", "≤", "不大于", "不超过", "不高于", "小于等于", "<", "小于", "低于"];
const AT_LEAST: &[&str] = &[">=", "≥", "不小于", "不低于", "大于等于", ">", "大于", "高于"];

/// A number at the start of `s` (optional sign, digits, optional fraction) and the rest.
fn leading_number(s: &str) -> Option<(f64, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == digits || (i == digits + 1 && b[digits] == b'.') {
        return None;
    }
    let n: f64 = s[..i].parse().ok()?;
    n.is_finite().then_some((n, &s[i..]))
}

fn read_text(raw: &str) -> TextValue {
    let t: String = raw.nfkc().filter(|c| !c.is_whitespace()).collect();
    let mut rest = t.as_str();
    let mut own = None;
    for (words, cmp) in [(AT_MOST, Comparator::AtMost), (AT_LEAST, Comparator::AtLeast)] {
        if let Some(w) = words.iter().find(|w| rest.starts_with(**w)) {
            rest = &rest[w.len()..];
            own = Some(cmp);
            break;
        }
    }
    let Some((a, after)) = leading_number(rest) else { return TextValue::Words };
    if after.is_empty() {
        return TextValue::Number(a, own);
    }
    for suffix in ["以下", "及以下"] {
        if after == suffix && own.is_none() {
            return TextValue::Number(a, Some(Comparator::AtMost));
        }
    }
    for suffix in ["以上", "及以上"] {
        if after == suffix && own.is_none() {
            return TextValue::Number(a, Some(Comparator::AtLeast));
        }
    }
    if own.is_none() {
        for sep in ["~", "-", "—", "–", "至", "到"] {
            if let Some(second) = after.strip_prefix(sep)
                && let Some((b, "")) = leading_number(second)
            {
                return TextValue::Range(a, b);
            }
        }
    }
    TextValue::Words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(code: &str, name: &str, synonyms: &[&str], quantity: &str, unit: Option<&str>, d: Direction) -> Canonical {
        Canonical {
            code: code.into(),
            name: name.into(),
            synonyms: synonyms.iter().map(|s| s.to_string()).collect(),
            quantity: quantity.into(),
            unit: unit.map(str::to_string),
            direction: d,
        }
    }

    fn vocabulary() -> Vocabulary {
        Vocabulary::new([
            canon("formaldehyde_content", "甲醛含量", &["游离甲醛"], "fraction", Some("mg/kg"), Direction::LowerBetter),
            canon("ph_value", "pH值", &["pH"], "dimensionless", None, Direction::Range),
            canon("cadmium", "镉(以Cd计)", &["镉"], "fraction", Some("mg/kg"), Direction::LowerBetter),
            canon("rated_capacity", "额定容量", &[], "charge", Some("Ah"), Direction::HigherBetter),
            canon("rated_volume", "额定容积", &["额定容量"], "volume", Some("L"), Direction::HigherBetter),
        ])
    }

    #[test]
    fn names_and_synonyms_match_in_any_width_and_case() {
        let v = vocabulary();
        let code = |name: &str, unit: Option<&str>| v.match_name(name, unit).map(|c| c.code.as_str());
        assert_eq!(code("甲醛含量", Some("mg/kg")), Some("formaldehyde_content"));
        assert_eq!(code(" 游离 甲醛 ", None), Some("formaldehyde_content"));
        assert_eq!(code("PH值", None), Some("ph_value"));
        assert_eq!(code("ｐＨ", None), Some("ph_value"));
        assert_eq!(code("镉（以Cd计）", None), Some("cadmium"));
        assert_eq!(code("镉(以镉计)", None), Some("cadmium"), "the bracketed qualifier is dropped when needed");
        assert_eq!(code("耐水色牢度", Some("级")), None, "not in the vocabulary: free text");
    }

    #[test]
    fn a_shared_name_is_decided_by_the_unit() {
        let v = vocabulary();
        assert_eq!(v.match_name("额定容量", Some("Ah")).map(|c| c.code.as_str()), Some("rated_capacity"));
        assert_eq!(v.match_name("额定容量", Some("mL")).map(|c| c.code.as_str()), Some("rated_volume"));
        assert_eq!(v.match_name("额定容量", None), None);
        assert_eq!(v.match_name("额定容量", Some("kg")), None);
    }

    #[test]
    fn values_read_with_their_comparators() {
        let iv = |lo: Option<f64>, hi: Option<f64>| Reading::Interval { lo, hi };
        let lower = Direction::LowerBetter;
        assert_eq!(read_value(Value::Number(80.0), None, lower), iv(None, Some(80.0)), "lower is better: at most");
        assert_eq!(read_value(Value::Number(500.0), None, Direction::HigherBetter), iv(Some(500.0), None));
        assert_eq!(read_value(Value::Number(9.0), None, Direction::Range), iv(Some(9.0), Some(9.0)));
        assert_eq!(read_value(Value::Number(20.0), Some(Comparator::Exactly), lower), iv(Some(20.0), Some(20.0)));
        assert_eq!(read_value(Value::Text("≤75"), None, Direction::HigherBetter), iv(None, Some(75.0)));
        assert_eq!(read_value(Value::Text("不小于 500"), None, lower), iv(Some(500.0), None));
        assert_eq!(read_value(Value::Text("75以下"), None, Direction::Range), iv(None, Some(75.0)));
        assert_eq!(
            read_value(Value::Text("4.0~8.5"), Some(Comparator::Range), Direction::Range),
            iv(Some(4.0), Some(8.5))
        );
        assert_eq!(read_value(Value::Text("8.5-4.0"), None, Direction::Range), iv(Some(4.0), Some(8.5)));
        assert_eq!(read_value(Value::Text("４．０～７．５"), None, Direction::Range), iv(Some(4.0), Some(7.5)));
        assert_eq!(read_value(Value::Text("-20~60"), None, Direction::Range), iv(Some(-20.0), Some(60.0)));
        assert_eq!(read_value(Value::Text("0.124"), None, lower), iv(None, Some(0.124)));
        assert_eq!(read_value(Value::Text("无"), None, Direction::PassFail), Reading::Text("无".into()));
        assert_eq!(read_value(Value::Text("75 mg/kg"), None, lower), Reading::Text("75 mg/kg".into()));
        assert_eq!(read_value(Value::Text("."), None, lower), Reading::Text(".".into()));
    }

    #[test]
    fn directions_and_comparators_round_trip() {
        for d in Direction::ALL {
            assert_eq!(Direction::parse(d.as_str()), Some(d));
        }
        for c in Comparator::ALL {
            assert_eq!(Comparator::parse(c.as_str()), Some(c));
        }
        assert_eq!(Comparator::parse("≤"), None);
    }
}
