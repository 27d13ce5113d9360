//! `stdreg reindex`: builds a fresh index from the database with the current settings, swaps it in
//! (Meilisearch index swap) and deletes the old one. Searches keep answering from the old index until
//! the swap, and changes made meanwhile reach both indexes:
//!
//! 1. create the new index and apply the settings;
//! 2. record it in `search_state`, so outbox workers write every change to it as well;
//! 3. copy every published declaration, page by page;
//! 4. re-queue declarations changed since step 2 began (their copy may predate the change), drain
//!    the outbox, then swap and forget the new name.
//!
//! [`ReindexJobs`] keeps the one reindex a serving process runs for the sysadmins' page.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use meilisearch_sdk::client::SwapIndexes;
use uuid::Uuid;

use super::sync::REINDEX_TARGET;
use super::{SearchIndex, TASK_TIMEOUT, documents};
use crate::db::PgPool;
use crate::db::schema::{declarations, outbox, search_state};

const PAGE: i64 = 2000;
const LOCK_KEY: i64 = 0x5354_4452_4547; // "STDREG"

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReindexReport {
    pub documents: usize,
    pub requeued: usize,
    pub seconds: f64,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
}

/// Database work of a reindex on the blocking pool.
async fn blocking<T: Send + 'static>(
    pool: &PgPool,
    f: impl FnOnce(&mut PgConnection) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let pool = pool.clone();
    crate::blocking::run(move || f(&mut *pool.get()?)).await
}

/// How far a running reindex is, for the sysadmins' page.
#[derive(Debug, Default)]
pub struct Progress {
    /// Declarations to copy (known once the copy starts).
    pub total: std::sync::atomic::AtomicUsize,
    pub copied: std::sync::atomic::AtomicUsize,
}

/// A reindex started from the sysadmins' page: its progress and, once done, its outcome.
#[derive(Clone)]
pub struct ReindexJob {
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub progress: Arc<Progress>,
    pub outcome: Option<Result<ReindexReport, String>>,
}

/// The reindex a serving process runs in the background, one at a time. (Another instance does
/// not see it, but PostgreSQL's advisory lock allows one reindex at a time anywhere.)
#[derive(Default)]
pub struct ReindexJobs {
    current: Mutex<Option<ReindexJob>>,
}

impl ReindexJobs {
    /// Records a new job unless one is running; returns its progress counters when it was recorded.
    pub fn begin(&self, started_at: DateTime<Utc>, started_by: String) -> Option<Arc<Progress>> {
        let mut job = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if job.as_ref().is_some_and(|j| j.outcome.is_none()) {
            return None;
        }
        let progress = Arc::new(Progress::default());
        *job = Some(ReindexJob { started_at, started_by, progress: progress.clone(), outcome: None });
        Some(progress)
    }

    /// Records the outcome of the running job.
    pub fn finish(&self, outcome: Result<ReindexReport, String>) {
        if let Some(j) = self.current.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            j.outcome = Some(outcome);
        }
    }

    /// The current (or last) job, if any.
    pub fn snapshot(&self) -> Option<ReindexJob> {
        self.current.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Rebuilds the index and swaps it in. `progress` draws a bar on a terminal.
pub async fn reindex(pool: &PgPool, search: &SearchIndex, progress: bool) -> anyhow::Result<ReindexReport> {
    reindex_tracked(pool, search, progress, None).await
}

/// [`reindex`], counting its progress into `tracker`.
pub async fn reindex_tracked(
    pool: &PgPool,
    search: &SearchIndex,
    progress: bool,
    tracker: Option<&Progress>,
) -> anyhow::Result<ReindexReport> {
    let started = Instant::now();
    // One reindex at a time: a session lock held on a dedicated connection for the whole run.
    let lock_pool = pool.clone();
    let (guard, locked) = crate::blocking::run(move || -> anyhow::Result<_> {
        let mut conn = lock_pool.get()?;
        let l: Locked =
            diesel::sql_query(format!("SELECT pg_try_advisory_lock({LOCK_KEY}) AS locked")).get_result(&mut conn)?;
        Ok((conn, l.locked))
    })
    .await?;
    if !locked {
        anyhow::bail!("another reindex is running");
    }
    let result = run(pool, search, progress, tracker).await;
    let _ = crate::blocking::run(move || {
        let mut guard = guard;
        diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
            .execute(&mut guard)
            .map_err(anyhow::Error::from)
    })
    .await;
    let (documents, requeued) = result?;
    Ok(ReindexReport { documents, requeued, seconds: started.elapsed().as_secs_f64() })
}

async fn run(
    pool: &PgPool,
    search: &SearchIndex,
    progress: bool,
    tracker: Option<&Progress>,
) -> anyhow::Result<(usize, usize)> {
    let live = search.declarations_uid();
    search.ensure_index(&live).await?;
    let fresh = format!("{live}_reindex_{}", Utc::now().format("%Y%m%d%H%M%S"));
    search.ensure_index(&fresh).await?;

    let target = fresh.clone();
    let since: DateTime<Utc> = blocking(pool, move |conn| {
        let now: Now = diesel::sql_query("SELECT now() AS now").get_result(conn)?;
        diesel::insert_into(search_state::table)
            .values((
                search_state::key.eq(REINDEX_TARGET),
                search_state::value.eq(&target),
                search_state::updated_at.eq(now.now),
            ))
            .on_conflict(search_state::key)
            .do_update()
            .set((search_state::value.eq(&target), search_state::updated_at.eq(now.now)))
            .execute(conn)?;
        Ok(now.now)
    })
    .await?;

    let outcome = copy_and_swap(pool, search, (&live, &fresh), since, progress, tracker).await;
    // Forget the target whatever happened; on failure drop the half-built index.
    let _ = blocking(pool, |conn| Ok(diesel::delete(search_state::table.find(REINDEX_TARGET)).execute(conn)?)).await;
    if let Ok(task) = search.client.delete_index(&fresh).await {
        let _ = task.wait_for_completion(&search.client, None, Some(TASK_TIMEOUT)).await;
    }
    outcome
}

async fn copy_and_swap(
    pool: &PgPool,
    search: &SearchIndex,
    (live, fresh): (&str, &str),
    since: DateTime<Utc>,
    progress: bool,
    tracker: Option<&Progress>,
) -> anyhow::Result<(usize, usize)> {
    let total: i64 = blocking(pool, |conn| {
        Ok(declarations::table.filter(declarations::current_version.is_not_null()).count().get_result(conn)?)
    })
    .await?;
    if let Some(t) = tracker {
        t.total.store(total as usize, std::sync::atomic::Ordering::Relaxed);
    }
    let bar = if progress {
        let b = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} reindex {bar:40} {pos}/{len} ({per_sec}, {eta})")
        {
            b.set_style(style);
        }
        Some(b)
    } else {
        None
    };
    let mut after = Uuid::nil();
    let mut copied = 0usize;
    let mut tasks: Vec<meilisearch_sdk::task_info::TaskInfo> = Vec::new();
    let fresh_index = search.client.index(fresh);
    loop {
        let from = after;
        let docs: Vec<documents::DeclarationDoc> = blocking(pool, move |conn| {
            let ids: Vec<Uuid> = declarations::table
                .filter(declarations::current_version.is_not_null())
                .filter(declarations::id.gt(from))
                .order(declarations::id)
                .limit(PAGE)
                .select(declarations::id)
                .load(conn)?;
            Ok(documents::load(conn, &ids)?)
        })
        .await?;
        let Some(last) = docs.iter().map(|d| d.id).max() else { break };
        after = last;
        // Sent without waiting: Meilisearch batches the additions; every task is checked below.
        tasks.push(fresh_index.add_or_replace(&docs, Some("id")).await?);
        copied += docs.len();
        if let Some(t) = tracker {
            t.copied.store(copied, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(b) = &bar {
            b.set_position(copied as u64);
        }
    }
    for task in tasks {
        let done = task
            .wait_for_completion(&search.client, Some(std::time::Duration::from_millis(50)), Some(TASK_TIMEOUT * 10))
            .await?;
        if done.is_failure() {
            anyhow::bail!("copying documents into the new index failed: {:?}", done.unwrap_failure());
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    // Changes that committed while we copied may be older in the copy than in the database.
    let margin = since - chrono::Duration::minutes(5);
    let requeued = blocking(pool, move |conn| {
        let ids: Vec<Uuid> =
            declarations::table.filter(declarations::updated_at.ge(margin)).select(declarations::id).load(conn)?;
        crate::outbox::enqueue_many(conn, crate::outbox::DECLARATION, &ids)?;
        let _ = outbox::table.count().get_result::<i64>(conn)?;
        Ok(ids.len())
    })
    .await?;
    super::sync::drain_all(pool, search).await?;
    let task = search
        .client
        .swap_indexes([&SwapIndexes { indexes: (live.to_string(), fresh.to_string()), rename: None }])
        .await?
        .wait_for_completion(&search.client, None, Some(TASK_TIMEOUT))
        .await?;
    if task.is_failure() {
        anyhow::bail!("index swap failed: {:?}", task.unwrap_failure());
    }
    Ok((copied, requeued))
}
