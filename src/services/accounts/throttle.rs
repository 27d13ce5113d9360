//! Sign-in throttling in PostgreSQL (every instance counts the same): failures per account and per
//! client IP in a window; past the limit a block that doubles up to a cap.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::login_throttle;

/// Failures per account before it is throttled, and per client IP.
pub const ACCOUNT_MAX_FAILURES: i32 = 5;
pub const IP_MAX_FAILURES: i32 = 30;
/// Counting window, and the cap of a throttle (so no attacker can block an account for long).
pub const WINDOW_MINUTES: i64 = 15;
pub const MAX_BLOCK_SECONDS: i64 = 15 * 60;

pub fn account_key(email: &str) -> String {
    format!("acct:{email}")
}
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Seconds until the caller may try again, if throttled.
pub fn throttled_for(conn: &mut PgConnection, now: DateTime<Utc>, keys: &[String]) -> QueryResult<Option<i64>> {
    let blocked: Vec<Option<DateTime<Utc>>> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .select(login_throttle::blocked_until)
        .load(conn)?;
    Ok(blocked.into_iter().flatten().filter(|b| *b > now).map(|b| (b - now).num_seconds().max(1)).max())
}

/// Records a failed attempt under a key; past `max` failures in the window, blocks with a doubling
/// delay capped at [`MAX_BLOCK_SECONDS`].
pub fn record_failure(conn: &mut PgConnection, now: DateTime<Utc>, key: &str, max: i32) -> QueryResult<()> {
    let window_start = now - Duration::minutes(WINDOW_MINUTES);
    let row: Option<(i32, DateTime<Utc>)> = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::window_start))
        .for_update()
        .first(conn)
        .optional()?;
    let failures = match row {
        Some((f, start)) if start > window_start => f + 1,
        _ => 1,
    };
    let start = match row {
        Some((_, s)) if s > window_start => s,
        _ => now,
    };
    let blocked_until = (failures >= max).then(|| {
        let exp = (failures - max).clamp(0, 10) as u32;
        now + Duration::seconds((30i64 << exp).min(MAX_BLOCK_SECONDS))
    });
    diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::key.eq(key),
            login_throttle::failures.eq(failures),
            login_throttle::window_start.eq(start),
            login_throttle::blocked_until.eq(blocked_until),
        ))
        .on_conflict(login_throttle::key)
        .do_update()
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::window_start.eq(start),
            login_throttle::blocked_until.eq(blocked_until),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn clear_throttle(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}
