//! What standards require of indicators, and how a declaration's indicators compare with the
//! requirements that apply to it (SPEC §3.8). Pure: the caller loads the vocabulary and the
//! requirements of the declaration's standards and says which standards apply and how
//! (mandatory: the declared GB standard and those listed as applying; recommended: the declared
//! GB/T or industry recommended standard and the cited ones).
//!
//! A declared value is an interval (`<= 20` is `..=20`, `>= 500` is `500..`, `20` exactly `20..=20`,
//! `4.0~8.5` a range). Against a limit it is **stricter** (strictly inside), **equal** (touches the
//! limit) or **lower** (reaches beyond it); a declared interval open on the side a limit constrains
//! (a `>=` value against an upper limit) cannot be compared, unless it lies wholly beyond the limit.
//! Text requirements (`异味: 无`) are met (`equal`) or not (`lower`). What cannot be compared is
//! kept as a gap (unit of another quantity, comparator, value, product class) for regulators.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::units::{self, Unit};
use super::{Canonical, Comparator, Reading, Value, Vocabulary, name_key, read_value};

/// Whether a requirement is binding (a mandatory standard) or a reference to compare with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Mandatory,
    Recommended,
}

impl Nature {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mandatory => "mandatory",
            Self::Recommended => "recommended",
        }
    }
}

/// One requirement of a standard on one canonical indicator, for one product class (or all).
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    /// Normalized number (`GB 18401-2010`).
    pub standard: String,
    pub nature: Nature,
    /// A national standard (GB, GB/T): counts for "stricter than the national standard".
    pub national: bool,
    pub clause: Option<String>,
    pub code: String,
    /// The indicator's name as the standard writes it.
    pub indicator_name: String,
    /// The product class it is for (`B类(直接接触皮肤的产品)`); `None`: every product in scope.
    pub product_class: Option<String>,
    pub comparator: Comparator,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The limits' unit (display symbol); `None` for dimensionless limits.
    pub unit: Option<String>,
    /// The required text of a `=` requirement (`无`, `禁用`).
    pub value_text: Option<String>,
}

impl Requirement {
    /// A text requirement (pass/fail).
    pub fn is_text(&self) -> bool {
        self.comparator == Comparator::Exactly
    }

    /// The class as pages name it: the text before a bracket (`B类`).
    pub fn class_short(&self) -> Option<&str> {
        self.product_class.as_deref().map(class_short)
    }

    /// The limit in words: `≤ 75 mg/kg`, `≥ 120 Wh/kg`, `4.0～8.5`, `无`.
    pub fn limit_text(&self) -> String {
        let unit = self.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        match self.comparator {
            Comparator::AtMost => format!("≤ {}{unit}", num(self.max)),
            Comparator::AtLeast => format!("≥ {}{unit}", num(self.min)),
            Comparator::Range => {
                let (a, b) = range_nums(self.min, self.max);
                format!("{a}～{b}{unit}")
            }
            Comparator::Exactly => self.value_text.clone().unwrap_or_default(),
        }
    }

    /// Where it stands: `GB 18401-2010 B类` (with the clause in brackets when known).
    pub fn source_text(&self) -> String {
        let class = self.class_short().unwrap_or("");
        let clause = self.clause.as_deref().map(|c| format!("（{c}）")).unwrap_or_default();
        format!("{}{clause} {class}", self.standard).trim_end().to_string()
    }
}

/// The class as pages name it: the text before a bracket (`B类(直接接触皮肤的产品)` → `B类`).
pub fn class_short(class: &str) -> &str {
    let cut = class.find(['(', '（']).unwrap_or(class.len());
    class[..cut].trim()
}

/// The keys a requirement's class is matched by: the whole text, the text before a bracket, and
/// that without a trailing 类 (`B` meets `B类(直接接触皮肤的产品)`).
pub fn class_keys(class: &str) -> Vec<String> {
    let full = name_key(class);
    let short = name_key(class_short(class));
    let mut out = vec![full];
    if !out.contains(&short) && !short.is_empty() {
        out.push(short.clone());
    }
    if let Some(bare) = short.strip_suffix('类').filter(|b| !b.is_empty())
        && !out.iter().any(|k| k == bare)
    {
        out.push(bare.to_string());
    }
    out
}

fn num(v: Option<f64>) -> String {
    v.map(fmt_num).unwrap_or_else(|| "?".into())
}

/// A number as people write it: `75`, `0.124`, `8.5`.
pub fn fmt_num(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('e') { format!("{v:.6}").trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

fn decimals(s: &str) -> usize {
    s.split_once('.').map_or(0, |(_, d)| d.len())
}

/// Both ends of a range with as many decimals as the more precise one (`4.0`, `8.5`).
fn range_nums(a: Option<f64>, b: Option<f64>) -> (String, String) {
    let (sa, sb) = (num(a), num(b));
    let d = decimals(&sa).max(decimals(&sb));
    let pad = |s: String, v: Option<f64>| match v {
        Some(v) if d > 0 => format!("{v:.d$}"),
        _ => s,
    };
    (pad(sa, a), pad(sb, b))
}

/// How a declared indicator compares with a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Stricter,
    Equal,
    Lower,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stricter => "stricter",
            Self::Equal => "equal",
            Self::Lower => "lower",
        }
    }
}

/// Why a comparison could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// The declared unit measures another quantity (or is missing where the limit has one).
    Unit,
    /// The declared value is open on the side the limit constrains (`>= 10` against `<= 75`).
    Comparator,
    /// The value is text where a number is required, or a text that says neither pass nor fail.
    Value,
    /// The standard limits the indicator per product class and no product states a class it lists.
    Class,
}

impl Gap {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Unit => "单位与要求的量不一致，无法换算",
            Self::Comparator => "申报值的比较方式与要求的方向不一致",
            Self::Value => "申报值无法与要求比较",
            Self::Class => "产品类别未对应该标准的分类",
        }
    }
}

/// One side of a comparison.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Stricter,
    Equal,
    Unknown,
    Worse,
}

fn cmp_f(a: f64, b: f64) -> Ordering {
    if (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12) { Ordering::Equal } else { a.total_cmp(&b) }
}

const PASS: &[&str] =
    &["无", "无异味", "合格", "符合", "符合要求", "未检出", "不得检出", "禁用", "未使用", "不含", "通过", "pass"];
const FAIL: &[&str] = &["有", "有异味", "不合格", "不符合", "检出", "fail"];

/// Compares a declared reading (in `unit`) with a requirement.
pub fn compare(reading: &Reading, unit: Option<&'static Unit>, req: &Requirement) -> Result<Outcome, Gap> {
    if req.is_text() {
        let Reading::Text(t) = reading else { return Err(Gap::Value) };
        let key = name_key(t);
        if req.value_text.as_deref().is_some_and(|v| name_key(v) == key) || PASS.contains(&key.as_str()) {
            return Ok(Outcome::Equal);
        }
        return if FAIL.contains(&key.as_str()) { Ok(Outcome::Lower) } else { Err(Gap::Value) };
    }
    let Reading::Interval { lo, hi } = reading else { return Err(Gap::Value) };
    let (lo, hi) = match req.unit.as_deref().and_then(units::parse) {
        Some(to) => {
            let from = unit.ok_or(Gap::Unit)?;
            let c = |v: Option<f64>| v.map(|v| units::convert(v, from, to).ok_or(Gap::Unit)).transpose();
            (c(*lo)?, c(*hi)?)
        }
        None => (*lo, *hi),
    };
    let (r_lo, r_hi) = match req.comparator {
        Comparator::AtMost => (None, req.max),
        Comparator::AtLeast => (req.min, None),
        _ => (req.min, req.max),
    };
    let mut sides = Vec::with_capacity(2);
    if let Some(limit) = r_hi {
        sides.push(match (hi, lo) {
            (Some(h), _) => match cmp_f(h, limit) {
                Ordering::Greater => Side::Worse,
                Ordering::Equal => Side::Equal,
                Ordering::Less => Side::Stricter,
            },
            (None, Some(l)) if cmp_f(l, limit) == Ordering::Greater => Side::Worse,
            _ => Side::Unknown,
        });
    }
    if let Some(limit) = r_lo {
        sides.push(match (lo, hi) {
            (Some(l), _) => match cmp_f(l, limit) {
                Ordering::Less => Side::Worse,
                Ordering::Equal => Side::Equal,
                Ordering::Greater => Side::Stricter,
            },
            (None, Some(h)) if cmp_f(h, limit) == Ordering::Less => Side::Worse,
            _ => Side::Unknown,
        });
    }
    match sides.into_iter().max() {
        Some(Side::Worse) => Ok(Outcome::Lower),
        Some(Side::Unknown) | None => Err(Gap::Comparator),
        Some(Side::Equal) => Ok(Outcome::Equal),
        Some(Side::Stricter) => Ok(Outcome::Stricter),
    }
}

/// A declared indicator, as the assessment needs it.
#[derive(Clone, Copy, Debug)]
pub struct Declared<'a> {
    pub name: &'a str,
    pub code: Option<&'a str>,
    pub value: Value<'a>,
    pub unit: Option<&'a str>,
    pub comparator: Option<Comparator>,
}

/// The standards a declaration is compared with.
#[derive(Clone, Debug, Default)]
pub struct Applicable {
    /// The declared GB standard and those listed as applying to the products.
    pub mandatory: Vec<String>,
    /// The declared GB/T or industry recommended standard and the cited ones.
    pub recommended: Vec<String>,
}

/// A declared value in the canonical unit (for rankings): the interval's ends, or the text.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CanonicalValue {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub text: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub requirement: Requirement,
    pub outcome: Outcome,
}

impl Comparison {
    /// The result in words: `严于 GB 18401-2010 B类限值 75 mg/kg`, `达到 GB 18580-2017 限值 0.124 mg/m³`,
    /// `符合 GB 18401-2010 要求：无`, `低于 GB/T 36972-2018 要求 ≥ 120 Wh/kg`.
    pub fn words(&self) -> String {
        let r = &self.requirement;
        let class = r.class_short().unwrap_or("");
        let verb = match (self.outcome, r.is_text()) {
            (Outcome::Stricter, _) => "严于",
            (Outcome::Equal, true) => "符合",
            (Outcome::Equal, false) => "达到",
            (Outcome::Lower, true) => "不符合",
            (Outcome::Lower, false) => "低于",
        };
        let unit = r.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        let limit = match r.comparator {
            Comparator::AtMost => format!("限值 {}{unit}", num(r.max)),
            Comparator::AtLeast => format!("下限 {}{unit}", num(r.min)),
            Comparator::Range => format!("范围 {}", r.limit_text()),
            Comparator::Exactly => format!("要求：{}", r.limit_text()),
        };
        format!("{verb} {} {class}{limit}", r.standard)
    }
}

/// A requirement that applies but could not be compared.
#[derive(Clone, Debug, PartialEq)]
pub struct GapLine {
    pub standard: String,
    pub nature: Nature,
    pub clause: Option<String>,
    /// The declared product class concerned, if any.
    pub product_class: Option<String>,
    pub gap: Gap,
}

/// One declared indicator, assessed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Assessed {
    /// The canonical indicator it matched (given, or found by name).
    pub code: Option<String>,
    pub canonical: Option<CanonicalValue>,
    pub comparisons: Vec<Comparison>,
    pub gaps: Vec<GapLine>,
}

/// Something the declarant must fix before the declaration can be checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// `indicators[i].code` names no canonical indicator.
    UnknownCode { indicator: usize, code: String },
    /// `indicators[i].unit` cannot be read as a unit of the matched indicator's quantity (or is
    /// missing where the indicator has a unit).
    Unit { indicator: usize, unit: Option<String>, canonical: Canonical },
    /// `products[i].product_class` is needed: these mandatory standards limit a declared indicator
    /// per class (standard, its classes).
    ClassMissing { product: usize, standards: Vec<(String, Vec<String>)> },
}

/// A declaration's indicators against the requirements that apply.
#[derive(Clone, Debug, Default)]
pub struct Assessment {
    pub indicators: Vec<Assessed>,
    pub problems: Vec<Problem>,
}

impl Assessment {
    /// Mandatory requirements the declaration is worse than: (indicator index, comparison).
    pub fn below_mandatory(&self) -> impl Iterator<Item = (usize, &Comparison)> {
        self.with(Nature::Mandatory, Outcome::Lower)
    }

    /// Recommended requirements the declaration is lower than (the `below_recommended` statement).
    pub fn lower_recommended(&self) -> impl Iterator<Item = (usize, &Comparison)> {
        self.with(Nature::Recommended, Outcome::Lower)
    }

    fn with(&self, nature: Nature, outcome: Outcome) -> impl Iterator<Item = (usize, &Comparison)> {
        self.indicators.iter().enumerate().flat_map(move |(i, a)| {
            a.comparisons
                .iter()
                .filter(move |c| c.requirement.nature == nature && c.outcome == outcome)
                .map(move |c| (i, c))
        })
    }

    /// 指标严于国家标准: at least one numeric comparison with a national standard, every numeric
    /// comparison with a national standard stricter, and nothing lower than any requirement.
    pub fn stricter_than_national(&self) -> bool {
        let all = || self.indicators.iter().flat_map(|a| a.comparisons.iter());
        let national = || all().filter(|c| c.requirement.national && !c.requirement.is_text());
        national().next().is_some()
            && national().all(|c| c.outcome == Outcome::Stricter)
            && all().all(|c| c.outcome != Outcome::Lower)
    }

    /// A declared value sits exactly at a mandatory numeric limit.
    pub fn at_mandatory_limit(&self) -> bool {
        self.indicators.iter().flat_map(|a| a.comparisons.iter()).any(|c| {
            c.requirement.nature == Nature::Mandatory && !c.requirement.is_text() && c.outcome == Outcome::Equal
        })
    }

    /// A requirement that applies could not be compared.
    pub fn has_gaps(&self) -> bool {
        self.indicators.iter().any(|a| !a.gaps.is_empty())
    }
}

/// The declaration's products' classes, matched once: (product index, class key) per product.
fn class_of<'a>(classes: &'a [Option<&'a str>]) -> impl Iterator<Item = (usize, Option<String>)> + 'a {
    classes.iter().enumerate().map(|(i, c)| (i, c.map(name_key).filter(|k| !k.is_empty())))
}

/// Assesses a declaration: matches each indicator, reads its value, and compares it with every
/// requirement of the applicable standards on its canonical indicator (per product class where the
/// standard has classes). `requirements` may hold more standards than apply; others are ignored.
pub fn assess(
    vocabulary: &Vocabulary,
    requirements: &[Requirement],
    applicable: &Applicable,
    indicators: &[Declared<'_>],
    product_classes: &[Option<&str>],
) -> Assessment {
    let mut out = Assessment::default();
    let mut standards: Vec<(&str, Nature)> = Vec::new();
    for (list, nature) in [(&applicable.mandatory, Nature::Mandatory), (&applicable.recommended, Nature::Recommended)] {
        for s in list {
            if !standards.iter().any(|(x, _)| x == s) {
                standards.push((s.as_str(), nature));
            }
        }
    }
    let classes: Vec<(usize, Option<String>)> = class_of(product_classes).collect();
    let mut missing: BTreeMap<usize, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (i, d) in indicators.iter().enumerate() {
        let canonical = match d.code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => match vocabulary.get(code) {
                Some(c) => Some(c),
                None => {
                    out.problems.push(Problem::UnknownCode { indicator: i, code: code.to_string() });
                    None
                }
            },
            None => vocabulary.match_name(d.name, d.unit),
        };
        let Some(canonical) = canonical else {
            out.indicators.push(Assessed::default());
            continue;
        };
        let typed = d.unit.map(str::trim).filter(|u| !u.is_empty());
        let unit = typed.and_then(units::parse);
        let target = canonical.unit();
        if target.is_some() && unit.is_none() {
            out.problems.push(Problem::Unit {
                indicator: i,
                unit: typed.map(str::to_string),
                canonical: canonical.clone(),
            });
        }
        let reading = read_value(d.value, d.comparator, canonical.direction);
        let mut a = Assessed { code: Some(canonical.code.clone()), ..Assessed::default() };
        a.canonical = canonical_value(&reading, unit, target);
        for (standard, nature) in &standards {
            let rows: Vec<&Requirement> =
                requirements.iter().filter(|r| r.standard == *standard && r.code == canonical.code).collect();
            if rows.is_empty() {
                continue;
            }
            compare_rows(&mut a, &reading, unit, &rows, *nature, &classes, &mut missing);
        }
        out.indicators.push(a);
    }
    for (product, by_standard) in missing {
        out.problems.push(Problem::ClassMissing { product, standards: by_standard.into_iter().collect() });
    }
    out
}

/// Compares one indicator with one standard's rows on its canonical indicator.
fn compare_rows(
    a: &mut Assessed,
    reading: &Reading,
    unit: Option<&'static Unit>,
    rows: &[&Requirement],
    nature: Nature,
    classes: &[(usize, Option<String>)],
    missing: &mut BTreeMap<usize, BTreeMap<String, Vec<String>>>,
) {
    let push = |a: &mut Assessed, r: &Requirement| match compare(reading, unit, r) {
        Ok(outcome) => a.comparisons.push(Comparison { requirement: r.clone(), outcome }),
        Err(gap) => a.gaps.push(GapLine {
            standard: r.standard.clone(),
            nature,
            clause: r.clause.clone(),
            product_class: r.product_class.clone(),
            gap,
        }),
    };
    for r in rows.iter().filter(|r| r.product_class.is_none()) {
        push(a, r);
    }
    let classed: Vec<(&Requirement, Vec<String>)> =
        rows.iter().filter_map(|r| r.product_class.as_deref().map(|c| (*r, class_keys(c)))).collect();
    if classed.is_empty() || classes.is_empty() {
        return;
    }
    let standard = &classed[0].0.standard;
    let mut done: BTreeSet<usize> = BTreeSet::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    let mut lacking = false;
    for (product, key) in classes {
        match key {
            None => {
                lacking = true;
                if nature == Nature::Mandatory {
                    let names: Vec<String> = classed
                        .iter()
                        .filter_map(|(r, _)| r.product_class.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    missing.entry(*product).or_default().insert(standard.clone(), names);
                }
            }
            Some(k) => match classed.iter().position(|(_, keys)| keys.contains(k)) {
                Some(at) => {
                    if done.insert(at) {
                        push(a, classed[at].0);
                    }
                }
                None => {
                    unknown.insert(k.clone());
                }
            },
        }
    }
    let gap = |class: Option<String>| GapLine {
        standard: standard.clone(),
        nature,
        clause: classed[0].0.clause.clone(),
        product_class: class,
        gap: Gap::Class,
    };
    for k in unknown {
        a.gaps.push(gap(Some(k)));
    }
    if lacking && nature == Nature::Recommended {
        a.gaps.push(gap(None));
    }
}

/// The reading in the canonical unit; `None` when the unit cannot be converted.
fn canonical_value(
    reading: &Reading,
    unit: Option<&'static Unit>,
    target: Option<&'static Unit>,
) -> Option<CanonicalValue> {
    match reading {
        Reading::Text(t) => Some(CanonicalValue { text: Some(t.clone()), ..CanonicalValue::default() }),
        Reading::Interval { lo, hi } => {
            let conv = |v: Option<f64>| -> Option<Option<f64>> {
                match (v, target) {
                    (None, _) => Some(None),
                    (Some(v), None) => Some(Some(v)),
                    (Some(v), Some(t)) => units::convert(v, unit?, t).map(Some),
                }
            };
            Some(CanonicalValue { min: conv(*lo)?, max: conv(*hi)?, text: None })
        }
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
