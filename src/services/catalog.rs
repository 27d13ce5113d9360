//! The standards catalogue as a living reference (SPEC §3.6): loading operators' files (all rows or
//! none, with a report of what was added, changed, unchanged and refused), the daily move of
//! statuses by their dates, and what follows a change — notices on the public declarations that
//! execute or cite the standard, their search documents, a `standard.status_changed` domain event
//! naming them, and an audit event per change.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, AuditActor, NewEvent};
use crate::domain::catalog::{CatalogStatus, Entry};
use crate::error::ApiResult;
use crate::outbox::{self, NewDomainEvent};
use crate::reference::standards;
use crate::reference::standards_file::{self, FileSummary, Refused};
pub use crate::reference::table_file::ChangedRow;
use crate::reference::table_file::{TableReport, cut};
use crate::services::notices;

/// One file to load: its name (for messages and the rows' `source`) and its bytes.
pub struct LoadFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A change of a standard's status or replacements that declarations are told about.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct StatusChange {
    pub standard: String,
    pub title: String,
    /// The status before (`null`: the standard was not in the catalogue).
    pub status_from: Option<CatalogStatus>,
    pub status_to: CatalogStatus,
    pub replaced_by: Vec<String>,
}

/// What a load did, or would do (`--dry-run`, or refused).
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct LoadReport {
    /// Files, numbers added, rows changed, unchanged and refused, as every table's load reports.
    #[serde(flatten)]
    pub table: TableReport,
    /// Standards abolished, replaced or moved between statuses by this load.
    pub status_changes: Vec<StatusChange>,
    /// Public declarations that execute or cite a standard in `status_changes`.
    pub declarations_affected: usize,
}

/// The shared part reads as the report itself (`report.refused`, `report.added` ...).
impl std::ops::Deref for LoadReport {
    type Target = TableReport;
    fn deref(&self) -> &TableReport {
        &self.table
    }
}

impl std::ops::DerefMut for LoadReport {
    fn deref_mut(&mut self) -> &mut TableReport {
        &mut self.table
    }
}

impl LoadReport {
    /// The counts, for the audit event and one-line summaries.
    pub fn counts(&self) -> serde_json::Value {
        let mut counts = self.table.counts();
        counts["status_changes"] = self.status_changes.len().into();
        counts["declarations_affected"] = self.declarations_affected.into();
        counts
    }
}

/// Reads every file and checks every row; numbers may appear once across all files.
fn parse_all(files: &[LoadFile]) -> (Vec<FileSummary>, Vec<Entry>, Vec<Refused>) {
    let mut summaries = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut refused = Vec::new();
    let mut first_seen: HashMap<String, (String, usize)> = HashMap::new();
    for f in files {
        let p = standards_file::parse(&f.name, &f.bytes);
        summaries.push(p.summary);
        refused.extend(p.refused);
        for (line, e) in p.entries {
            if let Some((file, at)) = first_seen.get(&e.number) {
                refused.push(Refused {
                    file: f.name.clone(),
                    line,
                    number: Some(e.number.clone()),
                    reason: format!("标准号 {} 已在 {file} 第 {at} 行出现", e.number),
                });
                continue;
            }
            first_seen.insert(e.number.clone(), (f.name.clone(), line));
            entries.push(e);
        }
    }
    (summaries, entries, refused)
}

/// Records replacements stated on one side only: a row that replaces X makes X replaced by it,
/// and a row replaced by Y makes Y replace it (when X or Y is in the file or the catalogue).
fn link_replacements(after: &mut BTreeMap<String, Entry>, existing: &HashMap<String, standards::CatalogStandard>) {
    let links: Vec<(String, String)> = after
        .values()
        .flat_map(|e| {
            e.replaces
                .iter()
                .map(move |old| (old.clone(), e.number.clone()))
                .chain(e.replaced_by.iter().map(move |new| (e.number.clone(), new.clone())))
        })
        .collect();
    for (old, new) in links {
        for (target, other, replaced_side) in [(&old, &new, true), (&new, &old, false)] {
            if !after.contains_key(target)
                && let Some(row) = existing.get(target)
            {
                after.insert(target.clone(), row.entry());
            }
            if let Some(t) = after.get_mut(target) {
                let list = if replaced_side { &mut t.replaced_by } else { &mut t.replaces };
                if !list.contains(other) {
                    list.push(other.clone());
                }
            }
        }
    }
}

/// Loads catalogue files in one transaction: every row or none. A refused row (or file) means
/// nothing is written; `dry_run` reports without writing. Loading the same files again changes
/// nothing. One audit event records an applied load with its counts.
pub fn load(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &AuditActor,
    files: &[LoadFile],
    dry_run: bool,
) -> ApiResult<LoadReport> {
    let (summaries, entries, refused) = parse_all(files);
    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('stdreg.catalog'))").execute(conn)?;
        let mut wanted: Vec<String> = entries.iter().map(|e| e.number.clone()).collect();
        wanted.extend(entries.iter().flat_map(|e| e.replaces.iter().chain(e.replaced_by.iter()).cloned()));
        wanted.sort();
        wanted.dedup();
        let existing = standards::by_numbers(conn, &wanted)?;
        let in_file: std::collections::HashSet<String> = entries.iter().map(|e| e.number.clone()).collect();
        let mut after: BTreeMap<String, Entry> = entries.into_iter().map(|e| (e.number.clone(), e)).collect();
        link_replacements(&mut after, &existing);
        let mut report = LoadReport {
            table: TableReport { dry_run, files: summaries, refused, ..TableReport::default() },
            status_changes: Vec::new(),
            declarations_affected: 0,
        };
        let mut to_write: Vec<&Entry> = Vec::new();
        for e in after.values() {
            let old = existing.get(&e.number);
            match old {
                None => {
                    report.table.added.push(e.number.clone());
                    to_write.push(e);
                }
                Some(o) => {
                    let fields = e.changed_fields(&o.entry());
                    if fields.is_empty() {
                        if in_file.contains(&e.number) {
                            report.table.unchanged += 1;
                        }
                    } else {
                        report.table.changed.push(ChangedRow { number: e.number.clone(), fields });
                        to_write.push(e);
                    }
                }
            }
            if let Some(c) = status_change(old, e) {
                report.status_changes.push(c);
            }
        }
        let numbers: Vec<String> = report.status_changes.iter().map(|c| c.standard.clone()).collect();
        report.declarations_affected = notices::affected(conn, &numbers)?.len();
        if dry_run || !report.table.refused.is_empty() {
            return Ok(report);
        }
        standards::upsert(conn, &to_write, now)?;
        report.table.applied = true;
        let load_event = NewEvent {
            actor,
            action: "catalog.loaded",
            entity_type: "catalog",
            entity_id: "standards".into(),
            division_code: None,
            summary: report.counts(),
        };
        propagate(conn, now, today, actor, &report.status_changes, Some(load_event))?;
        Ok(report)
    })
}

/// Whether the row's status or replacements change in a way declarations are told about: any
/// status change of a known standard, a newly recorded replacement, or a new row that is already
/// abolished or replaced.
fn status_change(old: Option<&standards::CatalogStandard>, e: &Entry) -> Option<StatusChange> {
    let change = match old {
        None => e.outdated(),
        Some(o) => o.status() != e.status || e.replaced_by.iter().any(|r| !o.replaced_by.0.contains(r)),
    };
    change.then(|| StatusChange {
        standard: e.number.clone(),
        title: e.title.clone(),
        status_from: old.map(standards::CatalogStandard::status),
        status_to: e.status,
        replaced_by: e.replaced_by.clone(),
    })
}

/// What follows catalogue changes, in the caller's transaction: notices on the public declarations
/// that execute or cite the standards, their search documents queued, one `standard.status_changed`
/// event per standard with the affected declaration ids, and one audit event per standard (plus
/// `extra`, e.g. the load's own), appended last. Returns the number of declarations affected.
pub fn propagate(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &AuditActor,
    changes: &[StatusChange],
    extra: Option<NewEvent<'_>>,
) -> ApiResult<usize> {
    let numbers: Vec<String> = changes.iter().map(|c| c.standard.clone()).collect();
    let affected = notices::affected(conn, &numbers)?;
    let ids: Vec<uuid::Uuid> = affected.iter().map(|(id, _)| *id).collect();
    let touched = notices::refresh(conn, now, today, &ids)?;
    outbox::enqueue_many(conn, outbox::DECLARATION, &touched)?;
    let mut by_number: HashMap<&str, Vec<uuid::Uuid>> = HashMap::new();
    for (id, refs) in &affected {
        for r in refs {
            by_number.entry(r.as_str()).or_default().push(*id);
        }
    }
    let events: Vec<NewDomainEvent> = changes
        .iter()
        .map(|c| NewDomainEvent {
            event_type: outbox::STANDARD_STATUS_CHANGED,
            subject: c.standard.clone(),
            payload: serde_json::json!({
                "standard": c.standard,
                "title": c.title,
                "status_from": c.status_from,
                "status_to": c.status_to,
                "replaced_by": c.replaced_by,
                "declaration_ids": by_number.get(c.standard.as_str()).cloned().unwrap_or_default(),
            }),
        })
        .collect();
    outbox::publish_events(conn, now, &events)?;
    let mut audit_events: Vec<NewEvent> = changes
        .iter()
        .map(|c| NewEvent {
            actor,
            action: "standard.status_changed",
            entity_type: "standard",
            entity_id: c.standard.clone(),
            division_code: None,
            summary: serde_json::json!({
                "status_from": c.status_from,
                "status_to": c.status_to,
                "replaced_by": c.replaced_by,
                "declarations": by_number.get(c.standard.as_str()).map_or(0, Vec::len),
            }),
        })
        .collect();
    audit_events.extend(extra);
    // The audit append holds the chain's lock until commit: do it last.
    for chunk in audit_events.chunks(1000) {
        audit::append_many(conn, now, chunk)?;
    }
    Ok(ids.len())
}

/// The daily job: upcoming standards become current on their implementation date, current ones
/// abolished on their abolition date; each move follows through like a load's change. Returns the
/// number of standards moved.
pub fn advance_statuses(conn: &mut PgConnection, now: DateTime<Utc>, today: NaiveDate) -> ApiResult<usize> {
    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('stdreg.catalog'))").execute(conn)?;
        let moves = standards::due_moves(conn, today)?;
        if moves.is_empty() {
            return Ok(0);
        }
        let numbers: Vec<String> = moves.iter().map(|(n, _, _)| n.clone()).collect();
        let rows = standards::by_numbers(conn, &numbers)?;
        for to in [CatalogStatus::Current, CatalogStatus::Abolished] {
            let these: Vec<String> = moves.iter().filter(|(_, _, t)| *t == to).map(|(n, _, _)| n.clone()).collect();
            if !these.is_empty() {
                standards::set_status(conn, &these, to)?;
            }
        }
        let changes: Vec<StatusChange> = moves
            .iter()
            .map(|(n, from, to)| StatusChange {
                standard: n.clone(),
                title: rows.get(n).map(|r| r.title.clone()).unwrap_or_default(),
                status_from: Some(*from),
                status_to: *to,
                replaced_by: rows.get(n).map(|r| r.replaced_by.0.clone()).unwrap_or_default(),
            })
            .collect();
        propagate(conn, now, today, &AuditActor::system(), &changes, None)?;
        Ok(moves.len())
    })
}

/// One catalogue row by number in any loose form.
pub fn find(conn: &mut PgConnection, number: &str) -> ApiResult<standards::CatalogStandard> {
    standards::find(conn, number)?.ok_or_else(|| crate::error::ApiError::not_found("标准目录条目"))
}

/// The report as text (the command line's output; long lists are cut after 20 lines).
pub fn report_text(r: &LoadReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    r.table.write_text(&mut out);
    let _ = writeln!(out, "status changes: {}", r.status_changes.len());
    for c in r.status_changes.iter().take(20) {
        let from = c.status_from.map_or("(new)", CatalogStatus::as_str);
        let repl = if c.replaced_by.is_empty() {
            String::new()
        } else {
            format!(", replaced by {}", c.replaced_by.join(", "))
        };
        let _ = writeln!(out, "  * {}: {from} -> {}{repl}", c.standard, c.status_to.as_str());
    }
    cut(&mut out, r.status_changes.len());
    let _ = writeln!(out, "public declarations affected: {}", r.declarations_affected);
    let _ = writeln!(out, "{}", r.table.outcome());
    out
}
