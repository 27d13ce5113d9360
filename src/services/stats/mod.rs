//! Statistics of published declarations (`GET /stats/overview`) and progress against the plan
//! targets (`GET /stats/plan`).
//!
//! Strategy: **counters maintained incrementally** (migration `2026-11-28-000007_statistics`).
//! Statement-level triggers on `declarations` append each change's effect on the counts to
//! `declaration_stat_deltas`, in the writer's transaction; [`fold_deltas`] (run by the worker)
//! moves them into `declaration_stats`. A read sums both tables for the few dimensions it needs: a
//! few thousand rows at most, whatever the number of declarations, and always exact, because the
//! deltas commit with the change that caused them. Aggregating 1M rows per request would cost a
//! full scan per dimension, and a materialized view would be stale between refreshes and recompute
//! everything each time; appending deltas instead of updating shared counter rows means publishers
//! never queue on a hot row (nor deadlock against the audit head lock).

pub mod overview;
pub mod plan;

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

/// One counter: a dimension (`kind`, `division`, `first_month` ...), a key in it, and the count.
#[derive(QueryableByName, Clone, Debug, PartialEq, Eq)]
pub struct Counter {
    #[diesel(sql_type = Text)]
    pub dimension: String,
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The non-zero counters of the given dimensions: folded counts plus pending deltas.
pub fn counters(conn: &mut PgConnection, dimensions: &[&str]) -> QueryResult<Vec<Counter>> {
    let dims: Vec<String> = dimensions.iter().map(|d| d.to_string()).collect();
    diesel::sql_query(
        "SELECT dimension, key, sum(n)::int8 AS n FROM ( \
             SELECT dimension, key, n FROM declaration_stats WHERE dimension = ANY($1) \
             UNION ALL \
             SELECT dimension, key, n FROM declaration_stat_deltas WHERE dimension = ANY($1) \
         ) s GROUP BY dimension, key HAVING sum(n) <> 0",
    )
    .bind::<Array<Text>, _>(dims)
    .load(conn)
}

/// The counters of one dimension as a map from key to count.
pub fn by_key(counters: &[Counter], dimension: &str) -> HashMap<String, i64> {
    counters.iter().filter(|c| c.dimension == dimension).map(|c| (c.key.clone(), c.n)).collect()
}

/// Moves pending deltas into the counters, in one transaction (at most `limit` deltas per call);
/// returns how many deltas were folded. Safe to run from many workers at once.
pub fn fold_deltas(conn: &mut PgConnection, limit: i64) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Moved {
        #[diesel(sql_type = BigInt)]
        moved: i64,
    }
    conn.transaction(|conn| {
        let moved: Moved = diesel::sql_query(
            "WITH moved AS ( \
                 DELETE FROM declaration_stat_deltas \
                 WHERE id IN (SELECT id FROM declaration_stat_deltas ORDER BY id LIMIT $1) \
                 RETURNING dimension, key, n \
             ), summed AS ( \
                 SELECT dimension, key, sum(n)::int8 AS n FROM moved GROUP BY dimension, key \
             ), upserted AS ( \
                 INSERT INTO declaration_stats (dimension, key, n) SELECT dimension, key, n FROM summed \
                 ON CONFLICT (dimension, key) DO UPDATE SET n = declaration_stats.n + excluded.n \
                 RETURNING 1 \
             ) \
             SELECT (SELECT count(*) FROM moved)::int8 AS moved",
        )
        .bind::<BigInt, _>(limit)
        .get_result(conn)?;
        diesel::sql_query("DELETE FROM declaration_stats WHERE n = 0").execute(conn)?;
        Ok(usize::try_from(moved.moved).unwrap_or(0))
    })
}

/// Folds every pending delta (the worker's job; also used by tests and `stdreg` operations).
pub fn fold_all(conn: &mut PgConnection) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let n = fold_deltas(conn, 50_000)?;
        total += n;
        if n < 50_000 {
            return Ok(total);
        }
    }
}
