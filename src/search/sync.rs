//! The outbox consumer, in two steps that any number of workers run concurrently:
//!
//! 1. **send** ([`drain_once`]): claim waiting rows (`FOR UPDATE SKIP LOCKED`), take a
//!    transaction-scoped advisory lock per entity (so two workers never send the same document out of
//!    order), reload the entities, send the documents and deletions to Meilisearch (and to the index a
//!    running reindex fills), and record the task ids on the rows — without waiting, so Meilisearch
//!    can batch consecutive additions.
//! 2. **confirm** ([`confirm`]): ask Meilisearch about the tasks of rows in flight; delete the rows
//!    whose tasks all succeeded; put back (with an exponential backoff) the rows whose task failed or
//!    is unknown.
//!
//! A row leaves the outbox only when its change is confirmed in the index, so nothing is lost; a
//! crash between sending and recording only sends a document twice, which is harmless.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::documents;
use super::{SearchIndex, TASK_TIMEOUT};
use crate::db::PgPool;
use crate::db::schema::{outbox, search_state};

/// search_state key naming the index a running reindex fills.
pub const REINDEX_TARGET: &str = "reindex_target";

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    entity_type: String,
    #[diesel(sql_type = SqlUuid)]
    entity_id: Uuid,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = SqlUuid)]
    entity_id: Uuid,
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Writes documents and deletions to one index and waits for both tasks.
pub async fn write_index(
    search: &SearchIndex,
    uid: &str,
    docs: &[documents::DeclarationDoc],
    deletes: &[Uuid],
) -> anyhow::Result<()> {
    let index = search.client.index(uid);
    let mut tasks = Vec::new();
    if !docs.is_empty() {
        tasks.push(index.add_or_replace(docs, Some("id")).await?);
    }
    if !deletes.is_empty() {
        let ids: Vec<String> = deletes.iter().map(Uuid::to_string).collect();
        tasks.push(index.delete_documents(&ids).await?);
    }
    for task in tasks {
        let done = task
            .wait_for_completion(&search.client, Some(std::time::Duration::from_millis(20)), Some(TASK_TIMEOUT))
            .await?;
        if done.is_failure() {
            anyhow::bail!("indexing task failed: {:?}", done.unwrap_failure());
        }
    }
    Ok(())
}

/// Sends documents and deletions to one index; returns the task ids (not waited for).
pub async fn send_index(
    search: &SearchIndex,
    uid: &str,
    docs: &[documents::DeclarationDoc],
    deletes: &[Uuid],
) -> anyhow::Result<Vec<i64>> {
    let index = search.client.index(uid);
    let mut tasks = Vec::new();
    if !docs.is_empty() {
        tasks.push(i64::from(index.add_or_replace(docs, Some("id")).await?.task_uid));
    }
    if !deletes.is_empty() {
        let ids: Vec<String> = deletes.iter().map(Uuid::to_string).collect();
        tasks.push(i64::from(index.delete_documents(&ids).await?.task_uid));
    }
    Ok(tasks)
}

/// Sends one batch; returns how many outbox rows it sent (0 when nothing was claimable).
pub async fn drain_once(pool: &PgPool, search: &SearchIndex, limit: i64) -> anyhow::Result<usize> {
    let handle = tokio::runtime::Handle::current();
    let pool_for_task = pool.clone();
    let search = search.clone();
    let live_uid = search.declarations_uid();
    let claimed_ids = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let claimed_for_task = claimed_ids.clone();
    let result = crate::blocking::run(move || -> anyhow::Result<usize> {
        let pool = pool_for_task;
        let mut conn = pool.get()?;
        conn.transaction::<usize, anyhow::Error, _>(|conn| {
            let rows: Vec<Claimed> = diesel::sql_query(
                "SELECT id, entity_type, entity_id FROM outbox WHERE available_at <= now() AND task_uids IS NULL \
                 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            )
            .bind::<BigInt, _>(limit)
            .load(conn)?;
            if rows.is_empty() {
                return Ok(0);
            }
            if let Ok(mut c) = claimed_for_task.lock() {
                c.extend(rows.iter().map(|r| r.id));
            }
            let entities: Vec<Uuid> = rows.iter().map(|r| r.entity_id).collect::<BTreeSet<_>>().into_iter().collect();
            let locks: Vec<Locked> = diesel::sql_query(
                "SELECT e AS entity_id, pg_try_advisory_xact_lock(hashtextextended(e::text, 7031)) AS locked \
                 FROM unnest($1::uuid[]) AS e",
            )
            .bind::<Array<SqlUuid>, _>(&entities)
            .load(conn)?;
            let mine: BTreeSet<Uuid> = locks.iter().filter(|l| l.locked).map(|l| l.entity_id).collect();
            let done_rows: Vec<i64> = rows.iter().filter(|r| mine.contains(&r.entity_id)).map(|r| r.id).collect();
            let declaration_ids: Vec<Uuid> = rows
                .iter()
                .filter(|r| mine.contains(&r.entity_id) && r.entity_type == crate::outbox::DECLARATION)
                .map(|r| r.entity_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let unknown: Vec<i64> = rows
                .iter()
                .filter(|r| mine.contains(&r.entity_id) && r.entity_type != crate::outbox::DECLARATION)
                .map(|r| r.id)
                .collect();
            if !unknown.is_empty() {
                tracing::warn!(rows = ?unknown, "outbox rows of unknown type dropped");
                diesel::delete(outbox::table.filter(outbox::id.eq_any(&unknown))).execute(conn)?;
            }
            let docs = documents::load(conn, &declaration_ids)?;
            let present: BTreeSet<Uuid> = docs.iter().map(|d| d.id).collect();
            let deletes: Vec<Uuid> = declaration_ids.iter().filter(|id| !present.contains(id)).copied().collect();
            let target: Option<String> =
                search_state::table.find(REINDEX_TARGET).select(search_state::value).first(conn).optional()?;
            let tasks = handle.block_on(async {
                let mut tasks = send_index(&search, &live_uid, &docs, &deletes).await?;
                if let Some(t) = &target {
                    tasks.extend(send_index(&search, t, &docs, &deletes).await?);
                }
                Ok::<_, anyhow::Error>(tasks)
            })?;
            let sent: Vec<i64> = done_rows.iter().filter(|id| !unknown.contains(id)).copied().collect();
            diesel::update(outbox::table.filter(outbox::id.eq_any(&sent)))
                .set((
                    outbox::task_uids.eq(Some(tasks.into_iter().map(Some).collect::<Vec<_>>())),
                    outbox::sent_at
                        .eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>>("now()")),
                ))
                .execute(conn)?;
            Ok(sent.len())
        })
    })
    .await;

    if let Err(e) = &result {
        let ids = claimed_ids.lock().map(|c| c.clone()).unwrap_or_default();
        back_off(pool, ids, format!("{e:#}")).await;
    }
    result
}

/// Makes rows available again after a delay that doubles with each attempt (at most 5 minutes).
async fn back_off(pool: &PgPool, ids: Vec<i64>, message: String) {
    if ids.is_empty() {
        return;
    }
    let pool = pool.clone();
    let _ = crate::blocking::run(move || -> anyhow::Result<()> {
        let mut conn = pool.get()?;
        diesel::sql_query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 2000), task_uids = NULL, sent_at = NULL, \
             available_at = now() + make_interval(secs => least(300, 0.5 * power(2, least(attempts, 12)))) \
             WHERE id = ANY($1)",
        )
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Text, _>(&message)
        .execute(&mut conn)?;
        Ok(())
    })
    .await;
}

#[derive(QueryableByName)]
struct InFlight {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Array<BigInt>)]
    task_uids: Vec<i64>,
}

/// Confirms rows in flight: deletes those whose tasks succeeded, puts back those whose task failed
/// or is unknown to Meilisearch. Returns how many rows were confirmed.
pub async fn confirm(pool: &PgPool, search: &SearchIndex) -> anyhow::Result<usize> {
    let in_flight: Vec<InFlight> = crate::db::run(pool, |conn| {
        Ok(diesel::sql_query(
            "SELECT id, task_uids FROM outbox WHERE task_uids IS NOT NULL ORDER BY sent_at LIMIT 5000",
        )
        .load(conn)?)
    })
    .await?;
    if in_flight.is_empty() {
        return Ok(0);
    }
    let uids: BTreeSet<u32> =
        in_flight.iter().flat_map(|r| r.task_uids.iter()).filter_map(|u| u32::try_from(*u).ok()).collect();
    let mut status: HashMap<u32, &'static str> = HashMap::new();
    let uid_list: Vec<u32> = uids.iter().copied().collect();
    for chunk in uid_list.chunks(200) {
        let mut q = meilisearch_sdk::tasks::TasksSearchQuery::new(&search.client);
        q.with_uids(chunk).with_limit(chunk.len() as u32);
        let found = q.execute().await?;
        for t in found.results {
            let s = match t {
                meilisearch_sdk::tasks::Task::Succeeded { .. } => "succeeded",
                meilisearch_sdk::tasks::Task::Failed { .. } => "failed",
                _ => "waiting",
            };
            status.insert(t.get_uid(), s);
        }
    }
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for row in &in_flight {
        let states: Vec<&str> = row
            .task_uids
            .iter()
            .map(|u| u32::try_from(*u).ok().and_then(|u| status.get(&u).copied()).unwrap_or("unknown"))
            .collect();
        if states.iter().all(|s| *s == "succeeded") {
            done.push(row.id);
        } else if states.iter().any(|s| matches!(*s, "failed" | "unknown")) {
            failed.push(row.id);
        }
    }
    let confirmed = done.len();
    if !done.is_empty() {
        crate::db::run(pool, move |conn| {
            diesel::delete(outbox::table.filter(outbox::id.eq_any(&done))).execute(conn)?;
            Ok(())
        })
        .await?;
    }
    if !failed.is_empty() {
        tracing::warn!(rows = failed.len(), "indexing tasks failed or were lost; the rows will be sent again");
        back_off(pool, failed, "the indexing task failed or is unknown to Meilisearch".into()).await;
    }
    Ok(confirmed)
}

/// Sends and confirms until the outbox holds nothing that is due (tests, `reindex`). Returns the
/// rows sent.
pub async fn drain_all(pool: &PgPool, search: &SearchIndex) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let sent = drain_once(pool, search, 2000).await?;
        total += sent;
        let confirmed = confirm(pool, search).await?;
        let (due, in_flight): (i64, i64) = crate::db::run(pool, |conn| {
            let due = outbox::table
                .filter(outbox::available_at.le(diesel::dsl::now))
                .filter(outbox::task_uids.is_null())
                .count()
                .get_result(conn)?;
            let in_flight = outbox::table.filter(outbox::task_uids.is_not_null()).count().get_result(conn)?;
            Ok((due, in_flight))
        })
        .await?;
        if due == 0 && in_flight == 0 {
            return Ok(total);
        }
        if sent == 0 && confirmed == 0 {
            // Tasks still processing, or rows held by another worker: give them a moment.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
