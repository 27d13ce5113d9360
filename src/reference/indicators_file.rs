//! Reading the files operators load into the comparison tables: canonical indicators
//! (`code,name_zh,synonyms,quantity,unit,direction,note`) and requirement tables
//! (`standard_no,clause,indicator_zh,indicator_code,applies_to,comparator,min,max,unit,value_text,note`,
//! the layout of the shared data's `mandatory_requirements_starter.csv`), with Chinese headers
//! accepted too, in any encoding and format [`table_file`](super::table_file) reads. Every row is
//! checked on its own; what needs the database (a requirement's indicator code exists, a name is not
//! taken by another indicator of the same quantity) is checked by the caller.

use std::collections::HashMap;

use super::table_file::{self, Cells, FileSummary, Refused, whole};
use crate::domain::catalog;
use crate::domain::indicators::compare::{Nature, Requirement};
use crate::domain::indicators::{Canonical, Comparator, Direction, name_key, units};
use crate::domain::standard_number::{StandardNumber, StandardType};

/// A canonical indicator row with its note and source.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorRow {
    pub canonical: Canonical,
    pub note: Option<String>,
    pub source: String,
}

/// A requirement row with its note and source.
#[derive(Clone, Debug, PartialEq)]
pub struct RequirementRow {
    pub requirement: Requirement,
    pub note: Option<String>,
    pub source: String,
}

impl RequirementRow {
    /// The row's key in reports: `GB 18401-2010 formaldehyde_content B类(直接接触皮肤的产品)`.
    pub fn key(&self) -> String {
        let r = &self.requirement;
        match &r.product_class {
            Some(c) => format!("{} {} {c}", r.standard, r.code),
            None => format!("{} {}", r.standard, r.code),
        }
    }
}

/// The rows of one file (line, row) and the refused ones.
pub struct Parsed<T> {
    pub summary: FileSummary,
    pub rows: Vec<(usize, T)>,
    pub refused: Vec<Refused>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Col {
    Code,
    Name,
    Synonyms,
    Quantity,
    Unit,
    Direction,
    Note,
    Source,
    Standard,
    Clause,
    IndicatorName,
    IndicatorCode,
    AppliesTo,
    Comparator,
    Min,
    Max,
    ValueText,
}

const INDICATOR_HEADERS: &[(Col, &[&str])] = &[
    (Col::Code, &["code", "indicator_code", "指标代码", "代码"]),
    (Col::Name, &["name_zh", "name", "指标名称", "名称"]),
    (Col::Synonyms, &["synonyms", "同义词", "别名"]),
    (Col::Quantity, &["quantity", "量", "量纲"]),
    (Col::Unit, &["unit", "单位", "标准单位"]),
    (Col::Direction, &["direction", "方向"]),
    (Col::Note, &["note", "备注"]),
    (Col::Source, &["source", "来源"]),
];

const REQUIREMENT_HEADERS: &[(Col, &[&str])] = &[
    (Col::Standard, &["standard_no", "standard_number", "标准号"]),
    (Col::Clause, &["clause", "条款", "章条"]),
    (Col::IndicatorName, &["indicator_zh", "指标名称"]),
    (Col::IndicatorCode, &["indicator_code", "指标代码"]),
    (Col::AppliesTo, &["applies_to", "product_class", "适用类别", "产品类别"]),
    (Col::Comparator, &["comparator", "比较", "要求方式"]),
    (Col::Min, &["min", "下限", "最小值"]),
    (Col::Max, &["max", "上限", "最大值"]),
    (Col::Unit, &["unit", "单位"]),
    (Col::ValueText, &["value_text", "要求文字"]),
    (Col::Note, &["note", "备注"]),
    (Col::Source, &["source", "来源"]),
];

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t != "-" && t != "—").then(|| t.to_string())
}

/// Reads a file's rows after its header; `required` names the columns that must be present.
fn rows_of<T>(
    file: &str,
    bytes: &[u8],
    table: &[(Col, &[&str])],
    required: &[(Col, &str)],
    layout: &str,
    mut row: impl FnMut(&dyn Fn(Col) -> String, &str) -> Result<(String, T), (Option<String>, String)>,
) -> Parsed<T> {
    let (mut summary, rows) = table_file::read(file, bytes);
    summary.layout = layout.to_string();
    let failed =
        |summary: FileSummary, reason: String| Parsed { summary, rows: Vec::new(), refused: vec![whole(file, reason)] };
    let rows: Cells = match rows {
        Ok(r) => r,
        Err(e) => return failed(summary, e),
    };
    let Some((header_at, cols)) = table_file::find_header(&rows, table, required[0].0) else {
        return failed(summary, format!("找不到表头：缺少“{}”列", required[0].1));
    };
    let missing: Vec<&str> = required.iter().filter(|(c, _)| !cols.contains_key(c)).map(|(_, n)| *n).collect();
    if !missing.is_empty() {
        return failed(summary, format!("缺少必需的列：{}", missing.join("、")));
    }
    let source = table_file::base_name(file);
    let mut out = Parsed { summary, rows: Vec::new(), refused: Vec::new() };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, cells) in rows.into_iter().skip(header_at + 1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.summary.rows += 1;
        let get = |c: Col| cols.get(&c).and_then(|i| cells.get(*i)).map(|s| s.trim().to_string()).unwrap_or_default();
        match row(&get, &source) {
            Ok((key, value)) => {
                if let Some(first) = seen.insert(key.clone(), line) {
                    out.refused.push(Refused {
                        file: file.to_string(),
                        line,
                        number: Some(key),
                        reason: format!("与本文件第 {first} 行重复"),
                    });
                } else {
                    out.rows.push((line, value));
                }
            }
            Err((key, reason)) => out.refused.push(Refused { file: file.to_string(), line, number: key, reason }),
        }
    }
    if out.summary.rows == 0 {
        out.refused.push(whole(file, "文件只有表头，没有数据行"));
    }
    out
}

/// Reads and checks a file of canonical indicators.
pub fn parse_indicators(file: &str, bytes: &[u8]) -> Parsed<IndicatorRow> {
    let required =
        [(Col::Code, "code"), (Col::Name, "name_zh"), (Col::Quantity, "quantity"), (Col::Direction, "direction")];
    let mut parsed = rows_of(file, bytes, INDICATOR_HEADERS, &required, "indicators", indicator_row);
    // A name two rows share must tell them apart by quantity.
    let mut by_key: HashMap<(String, String), String> = HashMap::new();
    let mut keep = Vec::new();
    for (line, r) in parsed.rows {
        let c = &r.canonical;
        let clash = c.name_keys().into_iter().find_map(|k| {
            by_key.get(&(k.clone(), c.quantity.clone())).filter(|other| **other != c.code).map(|o| (k, o.clone()))
        });
        if let Some((k, other)) = clash {
            parsed.refused.push(Refused {
                file: file.to_string(),
                line,
                number: Some(c.code.clone()),
                reason: format!("名称“{k}”已用于同一量（{}）的指标 {other}", units::quantity_label(&c.quantity)),
            });
            continue;
        }
        for k in c.name_keys() {
            by_key.insert((k, c.quantity.clone()), c.code.clone());
        }
        keep.push((line, r));
    }
    parsed.rows = keep;
    parsed
}

/// Whether a code is well formed: lower-case letters, digits and `_`, starting with a letter.
pub fn code_ok(code: &str) -> bool {
    let b = code.as_bytes();
    (2..=80).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn indicator_row(
    get: &dyn Fn(Col) -> String,
    source: &str,
) -> Result<(String, IndicatorRow), (Option<String>, String)> {
    let code = get(Col::Code);
    let key = opt(&code);
    let fail = |reason: String| (key.clone(), reason);
    if !code_ok(&code) {
        return Err(fail(format!("指标代码“{code}”应为 2-80 个小写字母、数字或下划线，以字母开头")));
    }
    let name = get(Col::Name);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(fail("指标名称应为 1-100 个字符".into()));
    }
    let synonyms: Vec<String> = get(Col::Synonyms)
        .split(['|', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(s) = synonyms.iter().find(|s| s.chars().count() > 100) {
        return Err(fail(format!("同义词“{s}”超过 100 个字符")));
    }
    let quantity = get(Col::Quantity);
    if !units::is_quantity(&quantity) {
        let known: Vec<&str> = units::QUANTITIES.iter().map(|(q, _)| *q).collect();
        return Err(fail(format!("未知的量“{quantity}”（应为 {}）", known.join("、"))));
    }
    let unit = match (opt(&get(Col::Unit)), quantity.as_str()) {
        (None, "dimensionless") => None,
        (Some(u), "dimensionless") => return Err(fail(format!("无量纲指标不应有单位（填写了“{u}”）"))),
        (None, q) => {
            return Err(fail(format!(
                "缺少标准单位（{} 可用：{}）",
                units::quantity_label(q),
                units::symbols_of(q).join("、")
            )));
        }
        (Some(u), q) => match units::parse(&u) {
            Some(unit) if unit.quantity == q => Some(unit.symbol.to_string()),
            Some(unit) => {
                return Err(fail(format!(
                    "单位 {} 属于“{}”，与量“{}”不符",
                    unit.symbol,
                    units::quantity_label(unit.quantity),
                    units::quantity_label(q)
                )));
            }
            None => {
                return Err(fail(format!(
                    "无法识别的单位“{u}”（{} 可用：{}）",
                    units::quantity_label(q),
                    units::symbols_of(q).join("、")
                )));
            }
        },
    };
    let direction_text = get(Col::Direction);
    let direction = Direction::parse(direction_text.trim())
        .ok_or_else(|| fail(format!("方向“{direction_text}”应为 higher_better、lower_better、range 或 pass_fail")))?;
    let canonical = Canonical { code: code.clone(), name, synonyms, quantity, unit, direction };
    Ok((
        code,
        IndicatorRow {
            canonical,
            note: opt(&get(Col::Note)),
            source: opt(&get(Col::Source)).unwrap_or_else(|| source.to_string()),
        },
    ))
}

/// Reads and checks a requirements file.
pub fn parse_requirements(file: &str, bytes: &[u8]) -> Parsed<RequirementRow> {
    let required = [
        (Col::Standard, "standard_no"),
        (Col::IndicatorCode, "indicator_code"),
        (Col::Comparator, "comparator"),
        (Col::Min, "min"),
        (Col::Max, "max"),
        (Col::Unit, "unit"),
    ];
    rows_of(file, bytes, REQUIREMENT_HEADERS, &required, "requirements", requirement_row)
}

fn number(get: &dyn Fn(Col) -> String, c: Col, label: &str) -> Result<Option<f64>, String> {
    match opt(&get(c)) {
        None => Ok(None),
        Some(t) => match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(format!("{label}“{t}”不是数字")),
        },
    }
}

fn requirement_row(
    get: &dyn Fn(Col) -> String,
    source: &str,
) -> Result<(String, RequirementRow), (Option<String>, String)> {
    let raw = get(Col::Standard);
    let n = StandardNumber::parse(&raw).map_err(|e| (opt(&raw), format!("标准号无效：{e}")))?;
    let code = get(Col::IndicatorCode);
    let class = opt(&get(Col::AppliesTo));
    let key = format!("{} {code}{}", n.normalized, class.as_deref().map(|c| format!(" {c}")).unwrap_or_default());
    let fail = |reason: String| (Some(key.clone()), reason);
    let nature = match (catalog::is_catalogue_number(&n), catalog::nature_of(&n)) {
        (true, "mandatory") => Nature::Mandatory,
        (true, "recommended") => Nature::Recommended,
        _ => return Err(fail(format!("{} 不是强制性或推荐性的国家、行业、地方标准，不能作为比对依据", n.normalized))),
    };
    if !code_ok(&code) {
        return Err(fail(format!("指标代码“{code}”应为小写字母、数字或下划线")));
    }
    let clause = opt(&get(Col::Clause));
    if clause.as_ref().is_some_and(|c| c.chars().count() > 50)
        || class.as_ref().is_some_and(|c| c.chars().count() > 100)
    {
        return Err(fail("条款不超过 50 个字符，适用类别不超过 100 个字符".into()));
    }
    let indicator_name = opt(&get(Col::IndicatorName)).unwrap_or_else(|| code.clone());
    let cmp_text = get(Col::Comparator);
    let comparator =
        Comparator::parse(&cmp_text).ok_or_else(|| fail(format!("比较方式“{cmp_text}”应为 <=、>=、range 或 =")))?;
    let min = number(get, Col::Min, "下限").map_err(&fail)?;
    let max = number(get, Col::Max, "上限").map_err(&fail)?;
    let value_text = opt(&get(Col::ValueText));
    let shape_ok = match comparator {
        Comparator::AtMost => max.is_some() && min.is_none(),
        Comparator::AtLeast => min.is_some() && max.is_none(),
        Comparator::Range => min.zip(max).is_some_and(|(a, b)| a <= b),
        Comparator::Exactly => value_text.is_some() && min.is_none() && max.is_none(),
    };
    if !shape_ok {
        return Err(fail(match comparator {
            Comparator::AtMost => "<= 要求只填上限（max）".into(),
            Comparator::AtLeast => ">= 要求只填下限（min）".into(),
            Comparator::Range => "range 要求须填下限和上限，且下限不大于上限".into(),
            Comparator::Exactly => "= 要求须填要求文字（value_text），不填上下限".into(),
        }));
    }
    let unit = match opt(&get(Col::Unit)) {
        None => None,
        Some(u) => Some(units::parse(&u).ok_or_else(|| fail(format!("无法识别的单位“{u}”")))?.symbol.to_string()),
    };
    let requirement = Requirement {
        national: matches!(
            n.kind,
            StandardType::NationalMandatory | StandardType::NationalRecommended | StandardType::NationalGuidance
        ),
        standard: n.normalized.clone(),
        nature,
        clause,
        code,
        indicator_name,
        product_class: class.clone(),
        comparator,
        min,
        max,
        unit,
        value_text,
    };
    let dedup = format!("{} {} {}", n.normalized, requirement.code, class.as_deref().map(name_key).unwrap_or_default());
    let row = RequirementRow {
        requirement,
        note: opt(&get(Col::Note)),
        source: opt(&get(Col::Source)).unwrap_or_else(|| source.to_string()),
    };
    Ok((dedup, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_files_read_whole() {
        let v = parse_indicators("canonical_indicators.csv", include_str!("data/canonical_indicators.csv").as_bytes());
        assert!(v.refused.is_empty(), "{:?}", v.refused);
        assert_eq!(v.summary.layout, "indicators");
        assert!(v.rows.len() >= 90, "{}", v.rows.len());
        let r = parse_requirements(
            "mandatory_requirements_starter.csv",
            include_str!("data/mandatory_requirements_starter.csv").as_bytes(),
        );
        assert!(r.refused.is_empty(), "{:?}", r.refused);
        assert_eq!(r.rows.len(), 20);
        let b = &r.rows[1].1.requirement;
        assert_eq!(
            (b.standard.as_str(), b.code.as_str(), b.max),
            ("GB 18401-2010", "formaldehyde_content", Some(75.0))
        );
        assert_eq!(b.product_class.as_deref(), Some("B类(直接接触皮肤的产品)"));
        assert_eq!(b.nature, Nature::Mandatory);
        assert!(b.national);
        let codes: std::collections::HashSet<&str> = v.rows.iter().map(|(_, r)| r.canonical.code.as_str()).collect();
        for (_, req) in &r.rows {
            assert!(
                codes.contains(req.requirement.code.as_str()),
                "{} lacks a canonical indicator",
                req.requirement.code
            );
        }
    }

    #[test]
    fn bad_rows_are_refused_with_their_line() {
        let head = "code,name_zh,synonyms,quantity,unit,direction\n";
        let body = "ok_code,甲,,fraction,mg/kg,lower_better\nBad Code,乙,,fraction,%,lower_better\nx_unit,丙,,fraction,mg/m³,lower_better\nx_dir,丁,,fraction,%,sideways\nx_qty,戊,,furlongs,,lower_better\nok_code,甲,,fraction,mg/kg,lower_better\nclash,己,甲,fraction,%,higher_better\nother_qty,庚,甲,mass,kg,higher_better\n";
        let p = parse_indicators("v.csv", format!("{head}{body}").as_bytes());
        let lines: Vec<usize> = p.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7, 8], "{:?}", p.refused);
        assert!(p.refused[5].reason.contains("ok_code"), "{:?}", p.refused[5]);
        assert_eq!(
            p.rows.iter().map(|(_, r)| r.canonical.code.as_str()).collect::<Vec<_>>(),
            vec!["ok_code", "other_qty"]
        );
        let head =
            "standard_no,clause,indicator_zh,indicator_code,applies_to,comparator,min,max,unit,value_text,note\n";
        let body = "GB 18401-2010,表1,甲醛含量,formaldehyde_content,B类,<=,,75,mg/kg,,\nGB 18401-2010,表1,甲醛含量,formaldehyde_content,B类,<=,,70,mg/kg,,\nQ/ABC 1-2020,,x,formaldehyde_content,,<=,,1,mg/kg,,\nGB 1-2000,,x,formaldehyde_content,,range,9,1,,,\nGB 1-2000,,x,odour,,=,,,,,\nGB 1-2000,,x,formaldehyde_content,,<=,,abc,mg/kg,,\nGB 1-2000,,x,formaldehyde_content,,<=,,1,furlong,,\n";
        let p = parse_requirements("r.csv", format!("{head}{body}").as_bytes());
        let lines: Vec<usize> = p.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7, 8], "{:?}", p.refused);
        assert!(p.refused[0].reason.contains("第 2 行"));
        assert!(p.refused[1].reason.contains("不能作为比对依据"));
        assert!(
            parse_requirements("h.csv", b"standard_no,indicator_code\nGB 1-2000,x\n").refused[0]
                .reason
                .contains("缺少必需的列")
        );
    }
}
