//! The one way to run blocking work from async code (sync diesel, argon2, file I/O, `COPY`): on
//! tokio's blocking thread pool, so the async threads keep serving. A panic in the work comes back
//! as an error of the caller's type, never as a crashed server thread.

/// The blocking task panicked or was cancelled (the runtime is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("blocking task failed: {0}")]
pub struct TaskFailed(String);

/// Runs `f` on the blocking thread pool and returns what it returns.
pub async fn run<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: From<TaskFailed> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(TaskFailed(e.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_result_and_turns_a_panic_into_an_error() {
        let ok: anyhow::Result<u32> = run(|| Ok(41 + 1)).await;
        assert_eq!(ok.expect("ran"), 42);
        let failed: anyhow::Result<u32> = run(|| panic!("boom")).await;
        assert!(failed.expect_err("panicked").to_string().contains("blocking task failed"));
    }
}
