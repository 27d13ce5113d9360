//! A declaration's indicators against what its standards require (SPEC §3.8). The mandatory
//! standards are the declared one (when mandatory) and those listed in `applicable_mandatory`; the
//! recommended ones compared with are the declared one (GB/T or an industry /T) and the cited GB/T
//! and industry /T standards. One rule for every door: publishing (single, bulk, console), the
//! views, and the recomputation after a load all go through [`Rules::assess`].
//!
//! What a publish keeps: `declarations.stricter_than_national`, `at_mandatory_limit` and
//! `comparison_gaps` (search filter, regulators' lists, campaign scopes), and one
//! `declaration_indicators` row per matched indicator with its value in the canonical unit (rankings).

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::input::{Content, Indicator, Product, Warning};
use crate::db::schema::{declaration_indicators, declarations};
use crate::domain::catalog;
use crate::domain::indicators::compare::{
    self, Applicable, Assessment, Comparison, Gap, Nature, Outcome, Problem, Requirement,
};
use crate::domain::indicators::{Comparator, Value, Vocabulary, lookup_keys, units};
use crate::domain::standard_number::{StandardNumber, StandardType};
use crate::error::{ApiError, Code, FieldError};
use crate::reference::indicators as tables;

/// The standards a declaration is compared with, from its numbers (normalized).
pub fn applicable<'a>(
    declared: &str,
    mandatory: impl IntoIterator<Item = &'a str>,
    cited: impl IntoIterator<Item = &'a str>,
) -> Applicable {
    let mut out = Applicable::default();
    let recommended = |n: &StandardNumber| {
        matches!(n.kind, StandardType::NationalRecommended | StandardType::Industry)
            && catalog::nature_of(n) == "recommended"
    };
    if let Ok(n) = StandardNumber::parse(declared) {
        if catalog::is_catalogue_number(&n) && catalog::nature_of(&n) == "mandatory" {
            out.mandatory.push(n.normalized.clone());
        } else if recommended(&n) {
            out.recommended.push(n.normalized.clone());
        }
    }
    for m in mandatory {
        if !out.mandatory.iter().any(|x| x == m) {
            out.mandatory.push(m.to_string());
        }
    }
    for c in cited {
        if let Ok(n) = StandardNumber::parse(c)
            && recommended(&n)
            && !out.recommended.contains(&n.normalized)
        {
            out.recommended.push(n.normalized);
        }
    }
    out
}

/// What is assessed: the standards that apply, the indicators and the products (their classes).
pub struct Subject<'a> {
    pub applicable: Applicable,
    pub indicators: &'a [Indicator],
    pub products: &'a [Product],
}

impl<'a> Subject<'a> {
    pub fn of_content(c: &'a Content) -> Self {
        let mandatory: Vec<&str> = c.applicable_mandatory.iter().map(|n| n.normalized.as_str()).collect();
        let cited: Vec<&str> = c.cited_standards.iter().map(|n| n.normalized.as_str()).collect();
        Subject {
            applicable: applicable(&c.number.normalized, mandatory, cited),
            indicators: &c.indicators,
            products: &c.products,
        }
    }
}

/// The vocabulary and requirements a batch of declarations needs, each loaded once.
pub struct Rules {
    pub vocabulary: Vocabulary,
    pub requirements: Vec<Requirement>,
}

impl Rules {
    /// Loads what the subjects may match and the requirements of their standards, holding the
    /// comparison tables' shared lock until the caller's transaction ends (so a load that changes
    /// them waits, and its recomputation sees this write).
    pub fn load(conn: &mut PgConnection, subjects: &[&Subject<'_>]) -> QueryResult<Rules> {
        diesel::sql_query("SELECT pg_advisory_xact_lock_shared(hashtext('stdreg.comparisons'))").execute(conn)?;
        Self::load_unlocked(conn, subjects)
    }

    /// [`Rules::load`] without the lock (views).
    pub fn load_unlocked(conn: &mut PgConnection, subjects: &[&Subject<'_>]) -> QueryResult<Rules> {
        let mut codes: HashSet<String> = HashSet::new();
        let mut keys: HashSet<String> = HashSet::new();
        let mut standards: HashSet<String> = HashSet::new();
        for s in subjects {
            for i in s.indicators {
                match &i.code {
                    Some(c) => {
                        codes.insert(c.clone());
                    }
                    None => keys.extend(lookup_keys(&i.name)),
                }
            }
            standards.extend(s.applicable.mandatory.iter().chain(&s.applicable.recommended).cloned());
        }
        let codes: Vec<String> = codes.into_iter().collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let standards: Vec<String> = standards.into_iter().collect();
        Ok(Rules {
            vocabulary: Vocabulary::new(tables::indicators_for(conn, &codes, &keys)?),
            requirements: tables::requirements_for(conn, &standards)?,
        })
    }

    pub fn assess(&self, s: &Subject<'_>) -> Assessment {
        let declared: Vec<compare::Declared<'_>> = s
            .indicators
            .iter()
            .map(|i| compare::Declared {
                name: &i.name,
                code: i.code.as_deref(),
                value: match &i.value {
                    serde_json::Value::Number(n) => n.as_f64().map_or(Value::Text(""), Value::Number),
                    serde_json::Value::String(t) => Value::Text(t),
                    _ => Value::Text(""),
                },
                unit: i.unit.as_deref(),
                comparator: i.comparator.as_deref().and_then(Comparator::parse),
            })
            .collect();
        let classes: Vec<Option<&str>> = s.products.iter().map(|p| p.product_class.as_deref()).collect();
        compare::assess(&self.vocabulary, &self.requirements, &s.applicable, &declared, &classes)
    }
}

fn declared_text(i: &Indicator) -> String {
    let v = match &i.value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match &i.unit {
        Some(u) => format!("{v} {u}"),
        None => v,
    }
}

/// The problems the declarant must fix, as field errors (`p` prefixes paths): an unknown code, an
/// unreadable unit; with `publishing`, also a missing product class.
pub fn field_problems(a: &Assessment, s: &Subject<'_>, p: &str, publishing: bool) -> Vec<FieldError> {
    let mut out = Vec::new();
    for problem in &a.problems {
        match problem {
            Problem::UnknownCode { indicator, code } => out.push(FieldError::new(
                format!("{p}indicators[{indicator}].code"),
                format!("未知的指标代码“{code}”：请选择建议的规范指标，或留空按名称自动匹配"),
            )),
            Problem::Unit { indicator, unit, canonical } => {
                let name = &s.indicators[*indicator].name;
                let examples =
                    units::symbols_of(&canonical.quantity).into_iter().take(6).collect::<Vec<_>>().join("、");
                let message = match unit {
                    None => format!("“{name}”对应规范指标“{}”，须填写单位（如 {examples}）", canonical.name),
                    Some(u) => format!(
                        "无法识别单位“{u}”：“{name}”的单位应为{}，如 {examples}",
                        units::quantity_label(&canonical.quantity)
                    ),
                };
                out.push(FieldError::new(format!("{p}indicators[{indicator}].unit"), message));
            }
            Problem::ClassMissing { product, standards } if publishing => {
                let which: Vec<String> =
                    standards.iter().map(|(s, classes)| format!("{s}（{}）", classes.join("、"))).collect();
                out.push(FieldError::new(
                    format!("{p}products[{product}].product_class"),
                    format!("请填写产品类别：{} 按类别规定指标要求", which.join("；")),
                ));
            }
            Problem::ClassMissing { .. } => {}
        }
    }
    out
}

/// A comparison's requirement as JSON keys for an error detail.
fn requirement_context(c: &Comparison, declared: &Indicator) -> serde_json::Map<String, serde_json::Value> {
    let r = &c.requirement;
    let serde_json::Value::Object(m) = serde_json::json!({
        "standard": r.standard,
        "clause": r.clause,
        "product_class": r.product_class,
        "indicator": r.code,
        "comparator": r.comparator.as_str(),
        "min": r.min,
        "max": r.max,
        "unit": r.unit,
        "value_text": r.value_text,
        "limit": r.limit_text(),
        "declared": {"value": declared.value, "unit": declared.unit, "comparator": declared.comparator},
    }) else {
        return serde_json::Map::new();
    };
    m
}

/// The 422 `below_mandatory` answer when an indicator is worse than a mandatory requirement: one
/// detail per indicator (at `indicators[i].value`) naming the standard, clause, class, limit and
/// the declared value, with every requirement it fails in `requirements`.
pub fn below_mandatory(a: &Assessment, s: &Subject<'_>, p: &str) -> Option<ApiError> {
    let mut by_indicator: BTreeMap<usize, Vec<&Comparison>> = BTreeMap::new();
    for (i, c) in a.below_mandatory() {
        by_indicator.entry(i).or_default().push(c);
    }
    if by_indicator.is_empty() {
        return None;
    }
    let details: Vec<FieldError> = by_indicator
        .iter()
        .map(|(i, cs)| {
            let ind = &s.indicators[*i];
            let first = cs[0];
            let r = &first.requirement;
            let class = r.product_class.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
            let clause = r.clause.as_deref().map(|c| format!("（{c}）")).unwrap_or_default();
            let message = format!(
                "“{}”申报值 {} 低于强制性标准 {}{clause}{class} 的要求：{}",
                ind.name,
                declared_text(ind),
                r.standard,
                r.limit_text()
            );
            let mut ctx = requirement_context(first, ind);
            ctx.insert(
                "requirements".into(),
                serde_json::Value::Array(
                    cs.iter().map(|c| serde_json::Value::Object(requirement_context(c, ind))).collect(),
                ),
            );
            FieldError::new(format!("{p}indicators[{i}].value"), message).with_context(ctx)
        })
        .collect();
    let message = format!("有 {} 项指标低于强制性标准的要求，不能发布：{}", details.len(), details[0].message);
    Some(ApiError::new(Code::BelowMandatory, message).with_details(details))
}

/// When an indicator is lower than a recommended standard and no `below_recommended` statement is
/// given: the field error on `below_recommended` naming the indicators (Art 14).
pub fn unstated_lower(a: &Assessment, s: &Subject<'_>, statement: Option<&str>, p: &str) -> Option<FieldError> {
    if statement.is_some_and(|t| !t.trim().is_empty()) {
        return None;
    }
    let lines: Vec<String> =
        a.lower_recommended().map(|(i, c)| format!("“{}” {}", s.indicators[i].name, c.words())).collect();
    if lines.is_empty() {
        return None;
    }
    Some(FieldError::new(
        format!("{p}below_recommended"),
        format!(
            "{}：有指标低于推荐性标准，须填写低于推荐性国家标准的说明（《企业标准化促进办法》第十四条）",
            lines.join("；")
        ),
    ))
}

/// Warnings for a draft: what publishing would refuse, said early.
pub fn draft_warnings(a: &Assessment, s: &Subject<'_>, statement: Option<&str>, p: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    if let Some(e) = below_mandatory(a, s, p) {
        out.extend(e.details.into_iter().map(|d| Warning {
            code: "below_mandatory".into(),
            field: d.field,
            message: d.message,
        }));
    }
    if let Some(e) = unstated_lower(a, s, statement, p) {
        out.push(Warning { code: "below_recommended_unstated".into(), field: e.field, message: e.message });
    }
    out.extend(
        field_problems(a, s, p, true).into_iter().filter(|e| e.field.ends_with("product_class")).map(|e| Warning {
            code: "product_class_missing".into(),
            field: e.field,
            message: e.message,
        }),
    );
    out
}

/// The checks of a draft (create, patch): what refuses it (an unknown code, an unreadable unit) and
/// the warnings of what publishing would refuse.
pub fn draft_check(conn: &mut PgConnection, c: &Content, p: &str) -> QueryResult<(Vec<FieldError>, Vec<Warning>)> {
    let s = Subject::of_content(c);
    let a = Rules::load_unlocked(conn, &[&s])?.assess(&s);
    Ok((field_problems(&a, &s, p, false), draft_warnings(&a, &s, c.below_recommended.as_deref(), p)))
}

/// The checks of publishing: field problems (422 `validation_failed`: code, unit, missing product
/// class, a lower-than-recommended indicator without the statement) and the refusal of an indicator
/// below a mandatory requirement (422 `below_mandatory`).
pub fn publish_check(
    a: &Assessment,
    s: &Subject<'_>,
    statement: Option<&str>,
    p: &str,
) -> (Vec<FieldError>, Option<ApiError>) {
    let mut problems = field_problems(a, s, p, true);
    problems.extend(unstated_lower(a, s, statement, p));
    (problems, below_mandatory(a, s, p))
}

// ---------------------------------------------------------------- what a publish keeps

/// The kept summary of an assessment: (stricter than national, at a mandatory limit, gaps).
pub fn summary(a: &Assessment) -> (bool, bool, bool) {
    (a.stricter_than_national(), a.at_mandatory_limit(), a.has_gaps())
}

#[derive(Insertable, Queryable, Clone, Debug, PartialEq)]
#[diesel(table_name = declaration_indicators)]
pub struct IndicatorValueRow {
    pub declaration_id: Uuid,
    pub position: i16,
    pub version: i32,
    pub code: String,
    pub value_min: Option<f64>,
    pub value_max: Option<f64>,
    pub value_text: Option<String>,
}

/// The `declaration_indicators` rows of an assessment.
pub fn value_rows(id: Uuid, version: i32, a: &Assessment) -> Vec<IndicatorValueRow> {
    a.indicators
        .iter()
        .enumerate()
        .filter_map(|(i, x)| {
            let code = x.code.clone()?;
            let v = x.canonical.clone().unwrap_or_default();
            Some(IndicatorValueRow {
                declaration_id: id,
                position: i16::try_from(i).unwrap_or(i16::MAX),
                version,
                code,
                value_min: v.min,
                value_max: v.max,
                value_text: v.text,
            })
        })
        .collect()
}

/// Keeps what the assessments of these declarations' current public versions say: the summary
/// flags (one update per distinct combination) and the indicator values (replaced whole).
pub fn store(conn: &mut PgConnection, items: &[(Uuid, i32, &Assessment)], fresh: bool) -> QueryResult<()> {
    let mut by_flags: BTreeMap<(bool, bool, bool), Vec<Uuid>> = BTreeMap::new();
    let mut rows = Vec::new();
    for (id, version, a) in items {
        by_flags.entry(summary(a)).or_default().push(*id);
        rows.extend(value_rows(*id, *version, a));
    }
    for ((stricter, at_limit, gaps), ids) in by_flags {
        if fresh && !stricter && !at_limit && !gaps {
            continue;
        }
        for chunk in ids.chunks(5000) {
            diesel::update(declarations::table.filter(declarations::id.eq_any(chunk)))
                .set((
                    declarations::stricter_than_national.eq(stricter),
                    declarations::at_mandatory_limit.eq(at_limit),
                    declarations::comparison_gaps.eq(gaps),
                ))
                .execute(conn)?;
        }
    }
    if !fresh {
        let ids: Vec<Uuid> = items.iter().map(|(id, _, _)| *id).collect();
        for chunk in ids.chunks(5000) {
            diesel::delete(declaration_indicators::table.filter(declaration_indicators::declaration_id.eq_any(chunk)))
                .execute(conn)?;
        }
    }
    for chunk in rows.chunks(4000) {
        diesel::insert_into(declaration_indicators::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- views

/// One comparison of an indicator with a requirement.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ComparisonView {
    pub standard: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    pub nature: Nature,
    /// The product class the requirement is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_class: Option<String>,
    /// `<=`, `>=`, `range` or `=`
    pub comparator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The required text of a `=` requirement (`无`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_text: Option<String>,
    pub result: Outcome,
    /// The result in words: `严于 GB 18401-2010 B类限值 75 mg/kg`.
    pub words: String,
}

/// A requirement that applies but could not be compared.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct GapView {
    pub standard: String,
    pub nature: Nature,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_class: Option<String>,
    /// `unit`, `comparator`, `value` or `class`
    pub reason: Gap,
    pub message: String,
}

/// An indicator as views show it: as declared (with the matched `code`), its comparisons and the
/// requirements it could not be compared with.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct IndicatorView {
    #[serde(flatten)]
    pub indicator: Indicator,
    pub comparisons: Vec<ComparisonView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<GapView>,
}

fn comparison_view(c: &Comparison) -> ComparisonView {
    let r = &c.requirement;
    ComparisonView {
        standard: r.standard.clone(),
        clause: r.clause.clone(),
        nature: r.nature,
        product_class: r.product_class.clone(),
        comparator: r.comparator.as_str().to_string(),
        min: r.min,
        max: r.max,
        unit: r.unit.clone(),
        value_text: r.value_text.clone(),
        result: c.outcome,
        words: c.words(),
    }
}

/// The indicator views of a version, with the assessment's comparisons.
pub fn indicator_views(indicators: Vec<Indicator>, a: &Assessment) -> Vec<IndicatorView> {
    indicators
        .into_iter()
        .enumerate()
        .map(|(i, mut indicator)| {
            let assessed = a.indicators.get(i);
            if let Some(code) = assessed.and_then(|x| x.code.clone()) {
                indicator.code = Some(code);
            }
            IndicatorView {
                indicator,
                comparisons: assessed.map(|x| x.comparisons.iter().map(comparison_view).collect()).unwrap_or_default(),
                not_compared: assessed
                    .map(|x| {
                        x.gaps
                            .iter()
                            .map(|g| GapView {
                                standard: g.standard.clone(),
                                nature: g.nature,
                                product_class: g.product_class.clone(),
                                reason: g.gap,
                                message: g.gap.label_zh().to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}
