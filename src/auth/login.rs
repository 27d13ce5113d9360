//! The one sign-in rule, shared by `POST /api/v1/auth/login` and the console's `/login`: per
//! account and per client IP throttling (PostgreSQL, so every instance counts the same), argon2
//! verification off the async threads, a dummy verification for unknown e-mails so timing reveals
//! nothing, and the account's counter cleared on success. The console's password change checks the
//! current password under the same counts ([`verify_current`]).

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
        return Err(rate_limited("登录失败次数过多", secs));
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
    let user = user.filter(|_| ok);
    record_outcome(state, &email, ip, user.is_some()).await?;
    user.ok_or_else(|| ApiError::of(Code::InvalidCredentials))
}

fn rate_limited(what: &str, secs: i64) -> ApiError {
    ApiError::new(Code::RateLimited, format!("{what}，请 {secs} 秒后再试")).retry_after(secs as u64)
}

/// A success clears the account's count; a failure counts for the account and the client IP.
async fn record_outcome(state: &AppState, email: &str, ip: &str, ok: bool) -> ApiResult<()> {
    let (acct, ip_key, now) = (accounts::account_key(email), accounts::ip_key(ip), state.clock.now());
    db::transaction(&state.pool, move |conn| {
        if ok {
            accounts::clear_throttle(conn, &acct)?;
        } else {
            accounts::record_failure(conn, now, &acct, accounts::ACCOUNT_MAX_FAILURES)?;
            accounts::record_failure(conn, now, &ip_key, accounts::IP_MAX_FAILURES)?;
        }
        Ok(())
    })
    .await
}

/// Whether a password is the signed-in user's current one (before a password change), counted
/// like a sign-in: a wrong one is a failure of the account and of the client IP, and while
/// either is throttled nothing is checked (`rate_limited`, 429 with Retry-After). Without this a
/// stolen session could guess the password at argon2 speed.
pub async fn verify_current(state: &AppState, user: &UserRow, password: String, ip: &str) -> ApiResult<bool> {
    let keys = vec![accounts::account_key(&user.email), accounts::ip_key(ip)];
    let now = state.clock.now();
    if let Some(secs) = db::run(&state.pool, move |conn| Ok(accounts::throttled_for(conn, now, &keys)?)).await? {
        return Err(rate_limited("当前密码错误次数过多", secs));
    }
    let hash = user.password_hash.clone();
    let ok = password.len() <= 1024 && argon2_slot(move || password::verify(&password, &hash)).await?;
    record_outcome(state, &user.email, ip, ok).await?;
    Ok(ok)
}

/// Hashes a new password off the async threads.
pub async fn hash(password: String) -> ApiResult<String> {
    argon2_slot(move || password::hash(&password)).await?.map_err(ApiError::internal)
}
