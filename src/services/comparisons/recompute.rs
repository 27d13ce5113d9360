//! Recomputing the comparisons of public declarations after a load, in the background: a load
//! queues a run (`comparison_runs`); workers take the oldest open run (`FOR UPDATE SKIP LOCKED`, so
//! one worker at a time), walk the public declarations it concerns in id order from the run's
//! cursor, a batch per short transaction, and keep what changed (the summary flags, the indicator
//! values, a search update when the `stricter_than_national` mark moves). Writers are never held
//! for longer than one batch: a batch locks its declarations only while it recomputes them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz};
use uuid::Uuid;

use crate::db::schema::{comparison_runs, declaration_indicators, declaration_versions, declarations};
use crate::error::{ApiError, ApiResult};
use crate::outbox;
use crate::services::declarations::comparisons::{self as cmp, IndicatorValueRow, Rules, Subject};
use crate::services::declarations::input::{Indicator, Product};

/// What one batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Batch {
    pub run: i64,
    pub processed: usize,
    pub changed: usize,
    /// The run has no declarations left.
    pub finished: bool,
}

/// A declaration a batch recomputes, with its kept flags.
#[derive(QueryableByName)]
struct Picked {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Bool)]
    stricter_than_national: bool,
    #[diesel(sql_type = Bool)]
    at_mandatory_limit: bool,
    #[diesel(sql_type = Bool)]
    comparison_gaps: bool,
}

/// An open run: id, standards (none: every public declaration), cursor.
type RunRow = (i64, Option<Vec<Option<String>>>, Option<Uuid>);

/// A current public version, read for recomputing.
struct Stored {
    id: Uuid,
    version: i32,
    number: String,
    mandatory: Vec<String>,
    cited: Vec<String>,
    indicators: Vec<Indicator>,
    products: Vec<Product>,
}

type VersionTuple = (Uuid, i32, String, Vec<Option<String>>, Vec<Option<String>>, serde_json::Value, serde_json::Value);

/// Recomputes the next batch of the oldest open run; `None` when no run is open (or another worker
/// holds it).
pub fn run_batch(conn: &mut PgConnection, now: DateTime<Utc>, size: i64) -> ApiResult<Option<Batch>> {
    conn.transaction(|conn| {
        let run: Option<RunRow> = comparison_runs::table
            .filter(comparison_runs::finished_at.is_null())
            .order(comparison_runs::id)
            .select((comparison_runs::id, comparison_runs::standards, comparison_runs::cursor))
            .for_update()
            .skip_locked()
            .first(conn)
            .optional()?;
        let Some((run, standards, cursor)) = run else { return Ok(None) };
        let picked: Vec<Picked> = diesel::sql_query(
            "SELECT id, current_version, stricter_than_national, at_mandatory_limit, comparison_gaps FROM declarations \
             WHERE status = 'public' AND id > $1 AND ($2::text[] IS NULL OR standard_refs && $2::text[]) \
             ORDER BY id LIMIT $3 FOR UPDATE",
        )
        .bind::<diesel::sql_types::Uuid, _>(cursor.unwrap_or_else(Uuid::nil))
        .bind::<Nullable<Array<Nullable<Text>>>, _>(standards)
        .bind::<BigInt, _>(size)
        .load(conn)?;
        let Some(last) = picked.last().map(|p| p.id) else {
            diesel::sql_query(
                "UPDATE comparison_runs SET finished_at = $2, started_at = coalesce(started_at, $2) WHERE id = $1",
            )
            .bind::<BigInt, _>(run)
            .bind::<Timestamptz, _>(now)
            .execute(conn)?;
            return Ok(Some(Batch { run, finished: true, ..Batch::default() }));
        };
        let changed = recompute(conn, &picked)?;
        diesel::sql_query(
            "UPDATE comparison_runs SET cursor = $2, processed = processed + $3, changed = changed + $4, \
             started_at = coalesce(started_at, $5) WHERE id = $1",
        )
        .bind::<BigInt, _>(run)
        .bind::<diesel::sql_types::Uuid, _>(last)
        .bind::<BigInt, _>(picked.len() as i64)
        .bind::<BigInt, _>(changed as i64)
        .bind::<Timestamptz, _>(now)
        .execute(conn)?;
        Ok(Some(Batch { run, processed: picked.len(), changed, finished: false }))
    })
}

/// Recomputes these declarations (id, current version, kept flags); keeps what changed and returns
/// how many did.
fn recompute(conn: &mut PgConnection, picked: &[Picked]) -> ApiResult<usize> {
    let ids: Vec<Uuid> = picked.iter().map(|p| p.id).collect();
    let versions: Vec<VersionTuple> = declaration_versions::table
        .inner_join(declarations::table)
        .filter(declarations::id.eq_any(&ids))
        .filter(declarations::current_version.eq(declaration_versions::version.nullable()))
        .select((
            declaration_versions::declaration_id,
            declaration_versions::version,
            declaration_versions::standard_number,
            declaration_versions::applicable_mandatory,
            declaration_versions::cited_standards,
            declaration_versions::indicators,
            declaration_versions::products,
        ))
        .load(conn)?;
    let mut kept: HashMap<Uuid, Vec<IndicatorValueRow>> = HashMap::new();
    for row in declaration_indicators::table
        .filter(declaration_indicators::declaration_id.eq_any(&ids))
        .order((declaration_indicators::declaration_id, declaration_indicators::position))
        .load::<IndicatorValueRow>(conn)?
    {
        kept.entry(row.declaration_id).or_default().push(row);
    }
    let mut parsed: Vec<Stored> = Vec::with_capacity(versions.len());
    for (id, version, number, mandatory, cited, indicators, products) in versions {
        parsed.push(Stored {
            id,
            version,
            number,
            mandatory: mandatory.into_iter().flatten().collect(),
            cited: cited.into_iter().flatten().collect(),
            indicators: serde_json::from_value(indicators).map_err(ApiError::internal)?,
            products: serde_json::from_value(products).map_err(ApiError::internal)?,
        });
    }
    let subjects: Vec<Subject<'_>> = parsed
        .iter()
        .map(|s| Subject {
            applicable: cmp::applicable(
                &s.number,
                s.mandatory.iter().map(String::as_str),
                s.cited.iter().map(String::as_str),
            ),
            indicators: &s.indicators,
            products: &s.products,
        })
        .collect();
    let rules = Rules::load_unlocked(conn, &subjects.iter().collect::<Vec<_>>())?;
    let flags: HashMap<Uuid, (bool, bool, bool)> =
        picked.iter().map(|p| (p.id, (p.stricter_than_national, p.at_mandatory_limit, p.comparison_gaps))).collect();
    let assessments: Vec<_> = subjects.iter().map(|s| rules.assess(s)).collect();
    let mut changed = Vec::new();
    let mut reindex = Vec::new();
    for (Stored { id, version, .. }, a) in parsed.iter().zip(&assessments) {
        let now = cmp::summary(a);
        let before = flags.get(id).copied().unwrap_or_default();
        let rows = cmp::value_rows(*id, *version, a);
        if now != before || kept.get(id).map_or(!rows.is_empty(), |k| *k != rows) {
            changed.push((*id, *version, a));
            if now.0 != before.0 {
                reindex.push(*id);
            }
        }
    }
    cmp::store(conn, &changed, false)?;
    outbox::enqueue_many(conn, outbox::DECLARATION, &reindex)?;
    Ok(changed.len())
}

/// Runs batches until no run is open or `budget` has passed; returns the declarations processed.
pub fn run_for(conn: &mut PgConnection, budget: std::time::Duration, size: i64) -> ApiResult<usize> {
    let start = std::time::Instant::now();
    let mut processed = 0;
    while start.elapsed() < budget {
        match run_batch(conn, Utc::now(), size)? {
            None => break,
            Some(b) => processed += b.processed,
        }
    }
    Ok(processed)
}

/// Open runs: (id, reason, processed so far).
pub fn open_runs(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String, i64)>> {
    comparison_runs::table
        .filter(comparison_runs::finished_at.is_null())
        .order(comparison_runs::id)
        .select((comparison_runs::id, comparison_runs::reason, comparison_runs::processed))
        .load(conn)
}
