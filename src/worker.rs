//! Background work: the outbox loop that keeps the search index in step with the database, and the
//! scheduled jobs. Runs inside `serve` and as `stdreg worker`; safe with many instances.

use std::time::{Duration, Instant};

use crate::state::AppState;

/// How often the scheduled jobs run.
pub const JOBS_EVERY: Duration = Duration::from_secs(60);

/// The scheduled jobs: rectifications past due (ordered by inspections and by complaints) become
/// `overdue` (once each).
pub async fn run_jobs(state: &AppState) -> anyhow::Result<usize> {
    let (now, today) = (state.clock.now(), state.clock.today());
    Ok(crate::db::run(&state.pool, move |conn| {
        let inspections = crate::services::supervision::inspections::mark_overdue(conn, now, today)?;
        let complaints = crate::services::complaints::rectification::mark_overdue(conn, now, today)?;
        Ok::<_, crate::error::ApiError>(inspections + complaints)
    })
    .await?)
}

/// The catalogue's daily job (run with the scheduled jobs; idempotent, so running it every minute
/// moves a status within a minute of its date): upcoming standards become current on their
/// implementation date, current ones abolished on their abolition date. Returns the standards moved.
pub async fn run_catalog_job(state: &AppState) -> anyhow::Result<usize> {
    let (now, today) = (state.clock.now(), state.clock.today());
    crate::db::run(&state.pool, move |conn| crate::services::catalog::advance_statuses(conn, now, today))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// How often an idle worker looks for a queued recomputation of comparisons.
const RECOMPUTE_CHECK_EVERY: Duration = Duration::from_secs(2);

/// How long a worker recomputes comparisons before giving the outbox its turn.
const RECOMPUTE_BUDGET: Duration = Duration::from_secs(2);

/// Declarations per recomputation batch (one short transaction each).
pub const RECOMPUTE_BATCH: i64 = 1000;

/// Recomputes queued comparisons for up to [`RECOMPUTE_BUDGET`]; returns the declarations processed.
pub async fn run_recompute(state: &AppState) -> anyhow::Result<usize> {
    crate::db::run(&state.pool, |conn| {
        crate::services::comparisons::recompute::run_for(conn, RECOMPUTE_BUDGET, RECOMPUTE_BATCH)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Rows sent to Meilisearch per batch.
const BATCH: usize = 2000;

/// After a batch smaller than [`BATCH`], the worker waits this long before the next: changes that
/// commit meanwhile go out together in one Meilisearch task instead of one task each (which then
/// all wait for the same indexing batch anyway), and the confirm step asks about fewer tasks.
const BUSY_PAUSE: Duration = Duration::from_millis(100);

/// How often the statistics deltas are folded into the counters.
const FOLD_STATS_EVERY: Duration = Duration::from_secs(10);

/// Folds pending statistics deltas (`services::stats`); a failure is logged and retried next time.
async fn fold_stats(state: &AppState) {
    match crate::db::run(&state.pool, |conn| Ok(crate::services::stats::fold_all(conn)?)).await {
        Ok(n) if n > 0 => tracing::debug!(deltas = n, "statistics deltas folded"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "folding statistics deltas failed"),
    }
}

/// Runs until the process ends.
pub async fn run_forever(state: AppState) -> anyhow::Result<()> {
    let mut backoff = Duration::ZERO;
    let mut last_jobs: Option<Instant> = None;
    let mut last_fold: Option<Instant> = None;
    let mut last_recompute: Option<Instant> = None;
    loop {
        if last_recompute.is_none_or(|t| t.elapsed() >= RECOMPUTE_CHECK_EVERY) {
            match run_recompute(&state).await {
                // more may be queued: look again on the next turn
                Ok(n) if n > 0 => tracing::debug!(declarations = n, "comparisons recomputed"),
                Ok(_) => last_recompute = Some(Instant::now()),
                Err(e) => {
                    tracing::warn!(error = %e, "recomputing comparisons failed");
                    last_recompute = Some(Instant::now());
                }
            }
        }
        if last_fold.is_none_or(|t| t.elapsed() >= FOLD_STATS_EVERY) {
            fold_stats(&state).await;
            last_fold = Some(Instant::now());
        }
        if last_jobs.is_none_or(|t| t.elapsed() >= JOBS_EVERY) {
            last_jobs = Some(Instant::now());
            match run_jobs(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(flagged = n, "rectifications marked overdue"),
                Err(e) => tracing::warn!(error = %e, "scheduled jobs failed"),
            }
            match run_catalog_job(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(standards = n, "catalogue statuses moved by their dates"),
                Err(e) => tracing::warn!(error = %e, "catalogue job failed"),
            }
        }
        let sent = crate::search::sync::drain_once(&state.pool, &state.search, BATCH as i64).await;
        let confirmed = crate::search::sync::confirm(&state.pool, &state.search).await;
        match (sent, confirmed) {
            (Ok(0), Ok(0)) => {
                backoff = Duration::ZERO;
                tokio::time::sleep(state.settings.worker_poll).await;
            }
            (Ok(sent), Ok(_)) => {
                backoff = Duration::ZERO;
                if sent < BATCH {
                    tokio::time::sleep(BUSY_PAUSE.min(state.settings.worker_poll)).await;
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                backoff = (backoff * 2).clamp(Duration::from_millis(500), Duration::from_secs(30));
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "outbox batch failed");
                tokio::time::sleep(backoff).await;
            }
        }
    }
}
