//! The comparison tables: canonical indicators (`canonical_indicators`) and what standards require
//! of them (`indicator_requirements`): look-ups for declarations and the console, the rows a load
//! decided on, and the shipped starter tables, inserted by `migrate` where absent.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::upsert::excluded;

use super::indicators_file::{self, IndicatorRow, RequirementRow};
use crate::db::escape_like;
use crate::db::schema::{canonical_indicators, comparison_runs, indicator_requirements};
use crate::domain::indicators::compare::{Nature, Requirement};
use crate::domain::indicators::{Canonical, Comparator, Direction};

/// The shipped starter vocabulary.
pub const SHIPPED_INDICATORS: &str = include_str!("data/canonical_indicators.csv");
/// The shipped starter requirements (`../shared/data/requirements`).
pub const SHIPPED_REQUIREMENTS: &str = include_str!("data/mandatory_requirements_starter.csv");

type CanonicalTuple = (String, String, Vec<Option<String>>, String, Option<String>, String);

fn canonical_of((code, name, synonyms, quantity, unit, direction): CanonicalTuple) -> Canonical {
    Canonical {
        code,
        name,
        synonyms: synonyms.into_iter().flatten().collect(),
        quantity,
        unit,
        direction: Direction::parse(&direction).unwrap_or(Direction::LowerBetter),
    }
}

macro_rules! canonical_columns {
    () => {
        (
            canonical_indicators::code,
            canonical_indicators::name,
            canonical_indicators::synonyms,
            canonical_indicators::quantity,
            canonical_indicators::unit,
            canonical_indicators::direction,
        )
    };
}

/// Every canonical indicator, by code.
pub fn all_indicators(conn: &mut PgConnection) -> QueryResult<Vec<Canonical>> {
    Ok(canonical_indicators::table
        .select(canonical_columns!())
        .order(canonical_indicators::code)
        .load::<CanonicalTuple>(conn)?
        .into_iter()
        .map(canonical_of)
        .collect())
}

/// Every canonical indicator with its note and source (loads compare against these).
pub fn all_indicator_rows(conn: &mut PgConnection) -> QueryResult<Vec<IndicatorRow>> {
    let rows: Vec<(CanonicalTuple, Option<String>, String)> = canonical_indicators::table
        .select((canonical_columns!(), canonical_indicators::note, canonical_indicators::source))
        .order(canonical_indicators::code)
        .load(conn)?;
    Ok(rows.into_iter().map(|(t, note, source)| IndicatorRow { canonical: canonical_of(t), note, source }).collect())
}

/// The canonical indicators with one of these codes or name keys (what a batch of declared
/// indicators may match).
pub fn indicators_for(conn: &mut PgConnection, codes: &[String], keys: &[String]) -> QueryResult<Vec<Canonical>> {
    if codes.is_empty() && keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(canonical_indicators::table
        .filter(
            canonical_indicators::code
                .eq_any(codes)
                .or(canonical_indicators::name_keys.overlaps_with(keys.iter().cloned().map(Some).collect::<Vec<_>>())),
        )
        .select(canonical_columns!())
        .load::<CanonicalTuple>(conn)?
        .into_iter()
        .map(canonical_of)
        .collect())
}

/// As-you-type suggestions: indicators whose name or a synonym contains `q` (in matching form),
/// names that start with it first.
pub fn suggest(conn: &mut PgConnection, q: &str, limit: i64) -> QueryResult<Vec<Canonical>> {
    let key = crate::domain::indicators::name_key(q);
    if key.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("%{}%", escape_like(&key));
    let prefix = format!("{}%", escape_like(&key));
    let codes: Vec<String> = diesel::sql_query(
        "SELECT code FROM canonical_indicators \
         WHERE EXISTS (SELECT 1 FROM unnest(name_keys) k WHERE k LIKE $1) OR code LIKE $1 \
         ORDER BY NOT EXISTS (SELECT 1 FROM unnest(name_keys) k WHERE k LIKE $2), length(name), code LIMIT $3",
    )
    .bind::<Text, _>(&pattern)
    .bind::<Text, _>(&prefix)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load::<CodeRow>(conn)?
    .into_iter()
    .map(|r| r.code)
    .collect();
    let mut rows = indicators_for(conn, &codes, &[])?;
    rows.sort_by_key(|c| codes.iter().position(|x| *x == c.code));
    Ok(rows)
}

#[derive(QueryableByName)]
struct CodeRow {
    #[diesel(sql_type = Text)]
    code: String,
}

type RequirementTuple = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<String>,
);

fn requirement_of(t: RequirementTuple) -> Requirement {
    let (standard, nature, clause, code, indicator_name, class, comparator, min, max, unit, value_text) = t;
    let national = standard.starts_with("GB");
    Requirement {
        national,
        standard,
        nature: if nature == "mandatory" { Nature::Mandatory } else { Nature::Recommended },
        clause,
        code,
        indicator_name,
        product_class: Some(class).filter(|c| !c.is_empty()),
        comparator: Comparator::parse(&comparator).unwrap_or(Comparator::Exactly),
        min,
        max,
        unit,
        value_text,
    }
}

macro_rules! requirement_columns {
    () => {
        (
            indicator_requirements::standard,
            indicator_requirements::nature,
            indicator_requirements::clause,
            indicator_requirements::code,
            indicator_requirements::indicator_name,
            indicator_requirements::product_class,
            indicator_requirements::comparator,
            indicator_requirements::min,
            indicator_requirements::max,
            indicator_requirements::unit,
            indicator_requirements::value_text,
        )
    };
}

/// The requirements of these standards (normalized numbers), by standard, code and class.
pub fn requirements_for(conn: &mut PgConnection, standards: &[String]) -> QueryResult<Vec<Requirement>> {
    if standards.is_empty() {
        return Ok(Vec::new());
    }
    Ok(indicator_requirements::table
        .filter(indicator_requirements::standard.eq_any(standards))
        .order((indicator_requirements::standard, indicator_requirements::code, indicator_requirements::product_class))
        .select(requirement_columns!())
        .load::<RequirementTuple>(conn)?
        .into_iter()
        .map(requirement_of)
        .collect())
}

/// The requirement rows of these standards with their notes and sources (loads compare against these).
pub fn requirement_rows_for(conn: &mut PgConnection, standards: &[String]) -> QueryResult<Vec<RequirementRow>> {
    let rows: Vec<(RequirementTuple, Option<String>, String)> = indicator_requirements::table
        .filter(indicator_requirements::standard.eq_any(standards))
        .order((indicator_requirements::standard, indicator_requirements::code, indicator_requirements::product_class))
        .select((requirement_columns!(), indicator_requirements::note, indicator_requirements::source))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(t, note, source)| RequirementRow { requirement: requirement_of(t), note, source })
        .collect())
}

/// Every standard that has requirements.
pub fn standards_with_requirements(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    indicator_requirements::table
        .select(indicator_requirements::standard)
        .distinct()
        .order(indicator_requirements::standard)
        .load(conn)
}

/// The product classes the requirements of these standards distinguish: (standard, class).
pub fn classes_for(conn: &mut PgConnection, standards: &[String]) -> QueryResult<Vec<(String, String)>> {
    indicator_requirements::table
        .filter(indicator_requirements::standard.eq_any(standards))
        .filter(indicator_requirements::product_class.ne(""))
        .select((indicator_requirements::standard, indicator_requirements::product_class))
        .distinct()
        .order((indicator_requirements::standard, indicator_requirements::product_class))
        .load(conn)
}

// ---------------------------------------------------------------- writing

#[derive(Insertable)]
#[diesel(table_name = canonical_indicators)]
struct NewIndicator<'a> {
    code: &'a str,
    name: &'a str,
    synonyms: Vec<Option<String>>,
    name_keys: Vec<Option<String>>,
    quantity: &'a str,
    unit: Option<&'a str>,
    direction: &'static str,
    note: Option<&'a str>,
    source: &'a str,
    loaded_at: DateTime<Utc>,
}

fn new_indicator(r: &IndicatorRow, at: DateTime<Utc>) -> NewIndicator<'_> {
    let c = &r.canonical;
    NewIndicator {
        code: &c.code,
        name: &c.name,
        synonyms: c.synonyms.iter().cloned().map(Some).collect(),
        name_keys: c.name_keys().into_iter().map(Some).collect(),
        quantity: &c.quantity,
        unit: c.unit.as_deref(),
        direction: c.direction.as_str(),
        note: r.note.as_deref(),
        source: &r.source,
        loaded_at: at,
    }
}

/// Inserts or replaces canonical indicators by code.
pub fn upsert_indicators(conn: &mut PgConnection, rows: &[&IndicatorRow], at: DateTime<Utc>) -> QueryResult<usize> {
    let values: Vec<NewIndicator> = rows.iter().map(|r| new_indicator(r, at)).collect();
    let mut n = 0;
    for chunk in values.chunks(1000) {
        n += diesel::insert_into(canonical_indicators::table)
            .values(chunk)
            .on_conflict(canonical_indicators::code)
            .do_update()
            .set((
                canonical_indicators::name.eq(excluded(canonical_indicators::name)),
                canonical_indicators::synonyms.eq(excluded(canonical_indicators::synonyms)),
                canonical_indicators::name_keys.eq(excluded(canonical_indicators::name_keys)),
                canonical_indicators::quantity.eq(excluded(canonical_indicators::quantity)),
                canonical_indicators::unit.eq(excluded(canonical_indicators::unit)),
                canonical_indicators::direction.eq(excluded(canonical_indicators::direction)),
                canonical_indicators::note.eq(excluded(canonical_indicators::note)),
                canonical_indicators::source.eq(excluded(canonical_indicators::source)),
                canonical_indicators::loaded_at.eq(excluded(canonical_indicators::loaded_at)),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

#[derive(Insertable)]
#[diesel(table_name = indicator_requirements)]
struct NewRequirement<'a> {
    standard: &'a str,
    nature: &'static str,
    clause: Option<&'a str>,
    code: &'a str,
    indicator_name: &'a str,
    product_class: &'a str,
    comparator: &'static str,
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<&'a str>,
    value_text: Option<&'a str>,
    note: Option<&'a str>,
    source: &'a str,
    loaded_at: DateTime<Utc>,
}

/// Replaces the requirements of the given standards with these rows (every row's standard must be
/// among `standards`).
pub fn replace_requirements(
    conn: &mut PgConnection,
    standards: &[String],
    rows: &[&RequirementRow],
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(indicator_requirements::table.filter(indicator_requirements::standard.eq_any(standards)))
        .execute(conn)?;
    let values: Vec<NewRequirement> = rows
        .iter()
        .map(|row| {
            let r = &row.requirement;
            NewRequirement {
                standard: &r.standard,
                nature: r.nature.as_str(),
                clause: r.clause.as_deref(),
                code: &r.code,
                indicator_name: &r.indicator_name,
                product_class: r.product_class.as_deref().unwrap_or(""),
                comparator: r.comparator.as_str(),
                min: r.min,
                max: r.max,
                unit: r.unit.as_deref(),
                value_text: r.value_text.as_deref(),
                note: row.note.as_deref(),
                source: &row.source,
                loaded_at: at,
            }
        })
        .collect();
    let mut n = 0;
    for chunk in values.chunks(1000) {
        n += diesel::insert_into(indicator_requirements::table).values(chunk).execute(conn)?;
    }
    Ok(n)
}

/// Queues a recomputation of the comparisons of public declarations: those that reference one of
/// `standards`, or all of them (`None`, after a vocabulary change).
pub fn queue_recompute(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    reason: &str,
    standards: Option<&[String]>,
) -> QueryResult<i64> {
    diesel::insert_into(comparison_runs::table)
        .values((
            comparison_runs::reason.eq(reason),
            comparison_runs::standards.eq(standards.map(|s| s.iter().cloned().map(Some).collect::<Vec<_>>())),
            comparison_runs::requested_at.eq(at),
        ))
        .returning(comparison_runs::id)
        .get_result(conn)
}

/// Rows of the shipped tables (the same on every run; rows already present are kept).
#[derive(Debug, Default, serde::Serialize)]
pub struct ShippedReport {
    pub canonical_indicators: usize,
    pub requirements: usize,
}

/// Inserts the shipped vocabulary's codes that are absent, and the shipped requirements of every
/// standard that has none yet (an operator's load is never overwritten); queues a recomputation of
/// the declarations the new rows concern. Reports the shipped files' row counts (the same on every
/// run). Fails when a shipped file does not read whole.
pub fn import_shipped(conn: &mut PgConnection) -> anyhow::Result<ShippedReport> {
    let at = Utc::now();
    let v = indicators_file::parse_indicators("canonical_indicators.csv", SHIPPED_INDICATORS.as_bytes());
    if let Some(r) = v.refused.first() {
        anyhow::bail!("canonical_indicators.csv line {}: {}", r.line, r.reason);
    }
    let r = indicators_file::parse_requirements("mandatory_requirements_starter.csv", SHIPPED_REQUIREMENTS.as_bytes());
    if let Some(x) = r.refused.first() {
        anyhow::bail!("mandatory_requirements_starter.csv line {}: {}", x.line, x.reason);
    }
    let have: BTreeSet<String> =
        canonical_indicators::table.select(canonical_indicators::code).load::<String>(conn)?.into_iter().collect();
    let new: Vec<&IndicatorRow> = v.rows.iter().map(|(_, r)| r).filter(|r| !have.contains(&r.canonical.code)).collect();
    if !new.is_empty() {
        diesel::insert_into(canonical_indicators::table)
            .values(new.iter().map(|r| new_indicator(r, at)).collect::<Vec<_>>())
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    let loaded: BTreeSet<String> = standards_with_requirements(conn)?.into_iter().collect();
    let mut by_standard: HashMap<&str, Vec<&RequirementRow>> = HashMap::new();
    for (_, row) in &r.rows {
        if !loaded.contains(&row.requirement.standard) {
            by_standard.entry(row.requirement.standard.as_str()).or_default().push(row);
        }
    }
    let standards: Vec<String> = by_standard.keys().map(|s| s.to_string()).collect();
    if !standards.is_empty() {
        let rows: Vec<&RequirementRow> = by_standard.into_values().flatten().collect();
        replace_requirements(conn, &standards, &rows, at)?;
    }
    if !new.is_empty() || !standards.is_empty() {
        let scope = new.is_empty().then_some(standards.as_slice());
        queue_recompute(conn, at, "shipped reference data", scope)?;
    }
    Ok(ShippedReport { canonical_indicators: v.rows.len(), requirements: r.rows.len() })
}
