//! Background work: the outbox loop that keeps the search index in step with the database, and the
//! scheduled jobs. Runs inside `serve` and as `stdreg worker`; safe with many instances.

use std::time::Duration;

use crate::startup::AppState;

/// Runs until the process ends.
pub async fn run_forever(state: AppState) -> anyhow::Result<()> {
    let mut backoff = Duration::ZERO;
    loop {
        match crate::search::sync::drain_once(&state, 500).await {
            Ok(0) => {
                backoff = Duration::ZERO;
                tokio::time::sleep(state.settings.worker_poll).await;
            }
            Ok(_) => backoff = Duration::ZERO,
            Err(e) => {
                backoff = (backoff * 2).clamp(Duration::from_millis(500), Duration::from_secs(30));
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "outbox batch failed");
                tokio::time::sleep(backoff).await;
            }
        }
    }
}
