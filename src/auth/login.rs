//! The one sign-in rule, shared by `POST /api/v1/auth/login` and the console's `/login`: per
//! account and per client IP throttling (PostgreSQL, so every instance counts the same), argon2
//! verification off the async threads, a dummy verification for unknown e-mails so timing reveals
//! nothing, and the account's counter cleared on success.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use crate::crypto::password;
use crate::db;
use crate::error::{ApiError, ApiResult, Code};
use crate::services::accounts::{self, UserRow};
use crate::state::AppState;

/// At most one argon2 computation per core at a time. Each takes 19 MiB while it runs, and the
/// allocator keeps what it once held, so sixteen sign-ins at once would leave the server ~300 MiB
/// larger for good; queued ones wait their turn (~50 ms each), which also blunts a burst of guesses.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// Runs an argon2 computation off the async threads, within the per-core limit.
async fn argon2_slot<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let _permit = HASHING.acquire().await.map_err(ApiError::internal)?;
    crate::blocking::run(move || Ok::<T, ApiError>(f())).await
}

/// The user behind an e-mail and password, or `invalid_credentials` (401) / `rate_limited` (429
/// with Retry-After). The e-mail is compared lower-case.
pub async fn check_credentials(state: &AppState, email: &str, password: String, ip: &str) -> ApiResult<UserRow> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || password.is_empty() || email.len() > 254 || password.len() > 1024 {
        return Err(ApiError::of(Code::InvalidCredentials));
    }
    let keys = vec![accounts::account_key(&email), accounts::ip_key(ip)];
    let now = state.clock.now();
    let lookup_email = email.clone();
    let (blocked, user) = db::run(&state.pool, move |conn| {
        let blocked = accounts::throttled_for(conn, now, &keys)?;
        let user = if blocked.is_none() { accounts::find_user_by_email(conn, &lookup_email)? } else { None };
        Ok((blocked, user))
    })
    .await?;
    if let Some(secs) = blocked {
        return Err(
            ApiError::new(Code::RateLimited, format!("登录失败次数过多，请 {secs} 秒后再试")).retry_after(secs as u64)
        );
    }
    let ok = argon2_slot({
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        move || match hash {
            Some(h) => password::verify(&password, &h),
            None => {
                password::verify_dummy(&password);
                false
            }
        }
    })
    .await?;
    let ip = ip.to_string();
    db::transaction(&state.pool, move |conn| {
        let acct = accounts::account_key(&email);
        match user {
            Some(user) if ok => {
                accounts::clear_throttle(conn, &acct)?;
                Ok(Some(user))
            }
            _ => {
                accounts::record_failure(conn, now, &acct, accounts::ACCOUNT_MAX_FAILURES)?;
                accounts::record_failure(conn, now, &accounts::ip_key(&ip), accounts::IP_MAX_FAILURES)?;
                Ok(None)
            }
        }
    })
    .await?
    .ok_or_else(|| ApiError::of(Code::InvalidCredentials))
}

/// Whether a password is the user's current one (argon2 off the async threads).
pub async fn verify_current(user: &UserRow, password: String) -> ApiResult<bool> {
    let hash = user.password_hash.clone();
    argon2_slot(move || password::verify(&password, &hash)).await
}

/// Hashes a new password off the async threads.
pub async fn hash(password: String) -> ApiResult<String> {
    argon2_slot(move || password::hash(&password)).await?.map_err(ApiError::internal)
}
