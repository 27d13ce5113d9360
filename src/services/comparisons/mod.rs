//! The comparison tables as living reference data (SPEC §3.8): operators load canonical indicators
//! (`stdreg catalog indicators FILE`) and requirement tables (`stdreg catalog requirements FILE`),
//! each load read and checked whole and applied all or nothing, with the catalogue's report (added,
//! changed with fields, removed, unchanged, refused with line and reason). An applied load queues
//! the background recomputation of the public declarations it concerns ([`recompute`]); the
//! regulators' lists are in [`review`].
//!
//! A load holds the comparison tables' exclusive lock, publishing their shared one (see
//! `declarations::comparisons::Rules::load`): a publish that read the old tables commits before the
//! load does, so the queued recomputation covers it.

pub mod recompute;
pub mod review;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, AuditActor, NewEvent};
use crate::domain::indicators::{name_key, units};
use crate::error::ApiResult;
use crate::reference::indicators as tables;
use crate::reference::indicators_file::{self, IndicatorRow, RequirementRow};
use crate::reference::table_file::{ChangedRow, Refused, TableReport};

pub use crate::services::catalog::LoadFile;

fn lock(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('stdreg.comparisons'))").execute(conn)
}

fn refuse(file: &str, line: usize, key: &str, reason: String) -> Refused {
    Refused { file: file.to_string(), line, number: Some(key.to_string()), reason }
}

/// The fields of a canonical indicator that differ.
fn indicator_changes(new: &IndicatorRow, old: &IndicatorRow) -> Vec<&'static str> {
    let (a, b) = (&new.canonical, &old.canonical);
    let mut out = Vec::new();
    for (name, same) in [
        ("name", a.name == b.name),
        ("synonyms", a.synonyms == b.synonyms),
        ("quantity", a.quantity == b.quantity),
        ("unit", a.unit == b.unit),
        ("direction", a.direction == b.direction),
        ("note", new.note == old.note),
    ] {
        if !same {
            out.push(name);
        }
    }
    out
}

/// The fields of a requirement that differ.
fn requirement_changes(new: &RequirementRow, old: &RequirementRow) -> Vec<&'static str> {
    let (a, b) = (&new.requirement, &old.requirement);
    let mut out = Vec::new();
    for (name, same) in [
        ("clause", a.clause == b.clause),
        ("indicator_name", a.indicator_name == b.indicator_name),
        ("product_class", a.product_class == b.product_class),
        ("comparator", a.comparator == b.comparator),
        ("min", a.min == b.min),
        ("max", a.max == b.max),
        ("unit", a.unit == b.unit),
        ("value_text", a.value_text == b.value_text),
        ("note", new.note == old.note),
    ] {
        if !same {
            out.push(name);
        }
    }
    out
}

fn audit_load(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &AuditActor,
    what: &str,
    r: &TableReport,
) -> QueryResult<i64> {
    audit::append(
        conn,
        now,
        NewEvent {
            actor,
            action: "catalog.loaded",
            entity_type: "catalog",
            entity_id: what.to_string(),
            division_code: None,
            summary: r.counts(),
        },
    )
}

/// Loads canonical indicator files in one transaction: every row or none. Rows replace the
/// indicator of their code; indicators not in the files are kept. A name (or synonym) may belong to
/// two indicators only when they measure different quantities. An applied change queues the
/// recomputation of every public declaration (matching may change).
pub fn load_indicators(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &AuditActor,
    files: &[LoadFile],
    dry_run: bool,
) -> ApiResult<TableReport> {
    let mut report = TableReport { dry_run, ..TableReport::default() };
    let mut rows: Vec<(String, usize, IndicatorRow)> = Vec::new();
    let mut first: HashMap<String, (String, usize)> = HashMap::new();
    for f in files {
        let p = indicators_file::parse_indicators(&f.name, &f.bytes);
        report.files.push(p.summary);
        report.refused.extend(p.refused);
        for (line, r) in p.rows {
            let code = r.canonical.code.clone();
            if let Some((file, at)) = first.get(&code) {
                report.refused.push(refuse(&f.name, line, &code, format!("指标代码已在 {file} 第 {at} 行出现")));
                continue;
            }
            first.insert(code, (f.name.clone(), line));
            rows.push((f.name.clone(), line, r));
        }
    }
    conn.transaction(|conn| {
        lock(conn)?;
        let existing: BTreeMap<String, IndicatorRow> =
            tables::all_indicator_rows(conn)?.into_iter().map(|r| (r.canonical.code.clone(), r)).collect();
        let in_file: BTreeSet<&str> = rows.iter().map(|(_, _, r)| r.canonical.code.as_str()).collect();
        let mut owner: HashMap<(String, String), String> = HashMap::new();
        for r in existing.values().filter(|r| !in_file.contains(r.canonical.code.as_str())) {
            for k in r.canonical.name_keys() {
                owner.insert((k, r.canonical.quantity.clone()), r.canonical.code.clone());
            }
        }
        let used_units = requirement_units(conn)?;
        let mut to_write: Vec<&IndicatorRow> = Vec::new();
        for (file, line, r) in &rows {
            let c = &r.canonical;
            let clash = c
                .name_keys()
                .into_iter()
                .find_map(|k| owner.get(&(k.clone(), c.quantity.clone())).map(|o| (k, o.clone())));
            if let Some((k, other)) = clash {
                report.refused.push(refuse(file, *line, &c.code, format!("名称“{k}”已用于同一量的指标 {other}")));
                continue;
            }
            if let Some(u) = used_units
                .get(&c.code)
                .and_then(|us| us.iter().find(|u| units::parse(u).is_none_or(|x| x.quantity != c.quantity)))
            {
                report.refused.push(refuse(
                    file,
                    *line,
                    &c.code,
                    format!("已有强制性要求以单位 {u} 规定该指标，不能改为量“{}”", c.quantity),
                ));
                continue;
            }
            match existing.get(&c.code) {
                None => {
                    report.added.push(c.code.clone());
                    to_write.push(r);
                }
                Some(old) => {
                    let fields = indicator_changes(r, old);
                    if fields.is_empty() {
                        report.unchanged += 1;
                    } else {
                        report.changed.push(ChangedRow { number: c.code.clone(), fields });
                        to_write.push(r);
                    }
                }
            }
        }
        if dry_run || !report.refused.is_empty() {
            return Ok(report);
        }
        tables::upsert_indicators(conn, &to_write, now)?;
        report.applied = true;
        if !to_write.is_empty() {
            tables::queue_recompute(conn, now, "canonical indicators loaded", None)?;
        }
        audit_load(conn, now, actor, "indicators", &report)?;
        Ok(report)
    })
}

/// The units requirements use, per indicator code.
fn requirement_units(conn: &mut PgConnection) -> QueryResult<HashMap<String, BTreeSet<String>>> {
    use crate::db::schema::indicator_requirements as r;
    let rows: Vec<(String, Option<String>)> = r::table.select((r::code, r::unit)).distinct().load(conn)?;
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (code, unit) in rows {
        if let Some(u) = unit {
            out.entry(code).or_default().insert(u);
        }
    }
    Ok(out)
}

/// The key of a requirement within its standard: code and class.
fn requirement_key(r: &RequirementRow) -> (String, String, String) {
    let q = &r.requirement;
    (q.standard.clone(), q.code.clone(), q.product_class.as_deref().map(name_key).unwrap_or_default())
}

/// Loads requirement files in one transaction: every row or none. A standard in the files gets
/// exactly the files' rows (rows of it not in the files are removed); other standards are kept.
/// Each row's indicator code must exist and its unit measure that indicator's quantity. An applied
/// change queues the recomputation of the public declarations that reference a changed standard.
pub fn load_requirements(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &AuditActor,
    files: &[LoadFile],
    dry_run: bool,
) -> ApiResult<TableReport> {
    let mut report = TableReport { dry_run, ..TableReport::default() };
    let mut rows: Vec<(String, usize, RequirementRow)> = Vec::new();
    let mut first: HashMap<(String, String, String), (String, usize)> = HashMap::new();
    for f in files {
        let p = indicators_file::parse_requirements(&f.name, &f.bytes);
        report.files.push(p.summary);
        report.refused.extend(p.refused);
        for (line, r) in p.rows {
            let key = requirement_key(&r);
            if let Some((file, at)) = first.get(&key) {
                report.refused.push(refuse(&f.name, line, &r.key(), format!("与 {file} 第 {at} 行重复")));
                continue;
            }
            first.insert(key, (f.name.clone(), line));
            rows.push((f.name.clone(), line, r));
        }
    }
    conn.transaction(|conn| {
        lock(conn)?;
        let vocabulary: HashMap<String, IndicatorRow> =
            tables::all_indicator_rows(conn)?.into_iter().map(|r| (r.canonical.code.clone(), r)).collect();
        for (file, line, r) in &rows {
            let q = &r.requirement;
            let Some(c) = vocabulary.get(&q.code).map(|v| &v.canonical) else {
                report.refused.push(refuse(
                    file,
                    *line,
                    &r.key(),
                    format!("未知的指标代码 {}：请先用 stdreg catalog indicators 加入该规范指标", q.code),
                ));
                continue;
            };
            let unit = q.unit.as_deref().and_then(units::parse);
            let fits = match (q.is_text(), c.unit.is_some(), unit) {
                (true, _, None) => true,
                (false, false, None) => true,
                (false, true, Some(u)) => u.quantity == c.quantity,
                _ => false,
            };
            if !fits {
                let expected = match &c.unit {
                    Some(_) => format!(
                        "{}（如 {}）",
                        units::quantity_label(&c.quantity),
                        units::symbols_of(&c.quantity).join("、")
                    ),
                    None => "无单位".to_string(),
                };
                report.refused.push(refuse(
                    file,
                    *line,
                    &r.key(),
                    format!("单位与指标 {} 不符：应为{expected}", q.code),
                ));
            }
        }
        let standards: Vec<String> =
            rows.iter().map(|(_, _, r)| r.requirement.standard.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let existing: HashMap<(String, String, String), RequirementRow> =
            tables::requirement_rows_for(conn, &standards)?.into_iter().map(|r| (requirement_key(&r), r)).collect();
        let mut changed_standards: BTreeSet<String> = BTreeSet::new();
        for (_, _, r) in &rows {
            match existing.get(&requirement_key(r)) {
                None => {
                    report.added.push(r.key());
                    changed_standards.insert(r.requirement.standard.clone());
                }
                Some(old) => {
                    let fields = requirement_changes(r, old);
                    if fields.is_empty() {
                        report.unchanged += 1;
                    } else {
                        report.changed.push(ChangedRow { number: r.key(), fields });
                        changed_standards.insert(r.requirement.standard.clone());
                    }
                }
            }
        }
        let mut removed: Vec<&RequirementRow> =
            existing.iter().filter(|(k, _)| !first.contains_key(*k)).map(|(_, r)| r).collect();
        removed.sort_by_key(|r| r.key());
        for r in removed {
            report.removed.push(r.key());
            changed_standards.insert(r.requirement.standard.clone());
        }
        if dry_run || !report.refused.is_empty() {
            return Ok(report);
        }
        let changed: Vec<String> = changed_standards.into_iter().collect();
        let write: Vec<&RequirementRow> =
            rows.iter().map(|(_, _, r)| r).filter(|r| changed.contains(&r.requirement.standard)).collect();
        tables::replace_requirements(conn, &changed, &write, now)?;
        report.applied = true;
        if !changed.is_empty() {
            tables::queue_recompute(conn, now, "requirements loaded", Some(&changed))?;
        }
        audit_load(conn, now, actor, "requirements", &report)?;
        Ok(report)
    })
}

/// The report as text (the command line's output).
pub fn report_text(r: &TableReport) -> String {
    let mut out = String::new();
    r.write_text(&mut out);
    out.push_str(r.outcome());
    out.push('\n');
    out
}
