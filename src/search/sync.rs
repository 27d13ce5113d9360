//! The outbox consumer: claims a batch of outbox rows (`FOR UPDATE SKIP LOCKED`), takes a
//! transaction-scoped advisory lock per entity (so two workers never write the same document out of
//! order), reloads the entities, writes them to Meilisearch (and to the index a running reindex is
//! filling), waits for the tasks, and deletes the rows in the same transaction. On failure the rows
//! stay and become available again after an exponential backoff.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::documents;
use super::{SearchIndex, TASK_TIMEOUT};
use crate::db::schema::{outbox, search_state};
use crate::startup::AppState;

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

/// Processes one batch; returns how many outbox rows it applied (0 when nothing was claimable).
pub async fn drain_once(state: &AppState, limit: i64) -> anyhow::Result<usize> {
    let handle = tokio::runtime::Handle::current();
    let pool = state.pool.clone();
    let search = state.search.clone();
    let live_uid = search.declarations_uid();
    let claimed_ids = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let claimed_for_task = claimed_ids.clone();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut conn = pool.get()?;
        conn.transaction::<usize, anyhow::Error, _>(|conn| {
            let rows: Vec<Claimed> = diesel::sql_query(
                "SELECT id, entity_type, entity_id FROM outbox WHERE available_at <= now() \
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
            for r in rows.iter().filter(|r| r.entity_type != crate::outbox::DECLARATION) {
                tracing::warn!(entity_type = %r.entity_type, id = r.id, "outbox row of unknown type dropped");
            }
            let docs = documents::load(conn, &declaration_ids)?;
            let present: BTreeSet<Uuid> = docs.iter().map(|d| d.id).collect();
            let deletes: Vec<Uuid> = declaration_ids.iter().filter(|id| !present.contains(id)).copied().collect();
            let target: Option<String> =
                search_state::table.find(REINDEX_TARGET).select(search_state::value).first(conn).optional()?;
            handle.block_on(async {
                write_index(&search, &live_uid, &docs, &deletes).await?;
                if let Some(t) = &target {
                    write_index(&search, t, &docs, &deletes).await?;
                }
                Ok::<_, anyhow::Error>(())
            })?;
            diesel::delete(outbox::table.filter(outbox::id.eq_any(&done_rows))).execute(conn)?;
            Ok(done_rows.len())
        })
    })
    .await
    .map_err(|e| anyhow::anyhow!("outbox task panicked: {e}"))?;

    if let Err(e) = &result {
        let ids = claimed_ids.lock().map(|c| c.clone()).unwrap_or_default();
        if !ids.is_empty() {
            let message = format!("{e:#}");
            let pool = state.pool.clone();
            let _ = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let mut conn = pool.get()?;
                diesel::sql_query(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 2000), \
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
    }
    result
}

/// Drains until nothing is claimable (tests and `reindex`). Returns the rows applied.
pub async fn drain_all(state: &AppState) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let n = drain_once(state, 1000).await?;
        if n == 0 {
            let waiting: i64 = crate::db::run(&state.pool, |conn| {
                Ok(outbox::table.filter(outbox::available_at.le(diesel::dsl::now)).count().get_result(conn)?)
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            if waiting == 0 {
                return Ok(total);
            }
            // Rows held by another worker: let it finish.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        total += n;
    }
}
