//! Sessions of the web consoles: server-side rows behind an opaque cookie. A session resolves to
//! the same [`Actor`] as an API token, so every service check (ownership, jurisdiction, role)
//! applies unchanged. The secret is stored as sha256; a session ends when it is idle too long,
//! reaches its absolute limit, is revoked (sign-out, password change) or its user is deactivated.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::crypto::secrets;
use crate::db::schema::{users, web_sessions};
use crate::domain::actor::{Actor, Role};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::hours(2);
/// And at the latest this long after sign-in, however active.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often (not on every request).
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Starts a session for a user; returns the secret for the cookie (shown nowhere else).
pub fn create(conn: &mut PgConnection, now: DateTime<Utc>, user_id: Uuid) -> QueryResult<String> {
    let secret = secrets::random_token(32);
    diesel::insert_into(web_sessions::table)
        .values((
            web_sessions::id.eq(Uuid::now_v7()),
            web_sessions::token_hash.eq(secrets::sha256_hex(&secret)),
            web_sessions::user_id.eq(user_id),
            web_sessions::created_at.eq(now),
            web_sessions::last_seen_at.eq(now),
            web_sessions::expires_at.eq(now + IDLE),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// A signed-in person as the pages see them.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub session_id: Uuid,
    pub actor: Actor,
    pub name: String,
    pub email: String,
}

type Found = (Uuid, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>, Uuid);
type UserCols = (String, String, String, bool, Option<Uuid>, Option<String>);

/// The user of a live session, extending its idle limit; `None` for an unknown, expired or revoked
/// session or an inactive user.
pub fn resolve(conn: &mut PgConnection, now: DateTime<Utc>, secret: &str) -> QueryResult<Option<SessionUser>> {
    if secret.is_empty() || secret.len() > 100 {
        return Ok(None);
    }
    let row: Option<Found> = web_sessions::table
        .filter(web_sessions::token_hash.eq(secrets::sha256_hex(secret)))
        .select((
            web_sessions::id,
            web_sessions::created_at,
            web_sessions::last_seen_at,
            web_sessions::expires_at,
            web_sessions::revoked_at,
            web_sessions::user_id,
        ))
        .first(conn)
        .optional()?;
    let Some((id, created, last_seen, expires, revoked, user_id)) = row else { return Ok(None) };
    if revoked.is_some() || expires <= now || created + ABSOLUTE <= now {
        return Ok(None);
    }
    let user: Option<UserCols> = users::table
        .find(user_id)
        .select((users::name, users::email, users::role, users::active, users::organization_id, users::jurisdiction))
        .first(conn)
        .optional()?;
    let Some((name, email, role, true, organization_id, jurisdiction)) = user else { return Ok(None) };
    let Some(role) = Role::parse(&role) else { return Ok(None) };
    if now - last_seen >= TOUCH_EVERY {
        let expires_at = (now + IDLE).min(created + ABSOLUTE);
        diesel::update(web_sessions::table.find(id))
            .set((web_sessions::last_seen_at.eq(now), web_sessions::expires_at.eq(expires_at)))
            .execute(conn)?;
    }
    Ok(Some(SessionUser {
        session_id: id,
        actor: Actor { user_id, role, organization_id, jurisdiction, api_token_id: None },
        name,
        email,
    }))
}

/// Ends the session of a secret (sign-out). Unknown secrets are ignored.
pub fn revoke(conn: &mut PgConnection, now: DateTime<Utc>, secret: &str) -> QueryResult<()> {
    diesel::update(
        web_sessions::table
            .filter(web_sessions::token_hash.eq(secrets::sha256_hex(secret)))
            .filter(web_sessions::revoked_at.is_null()),
    )
    .set(web_sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Ends every session of a user except `keep` (password change, deactivation).
pub fn revoke_all_for(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> QueryResult<usize> {
    let mut q = web_sessions::table
        .filter(web_sessions::user_id.eq(user_id))
        .filter(web_sessions::revoked_at.is_null())
        .into_boxed();
    if let Some(k) = keep {
        q = q.filter(web_sessions::id.ne(k));
    }
    let ids: Vec<Uuid> = q.select(web_sessions::id).load(conn)?;
    diesel::update(web_sessions::table.filter(web_sessions::id.eq_any(&ids)))
        .set(web_sessions::revoked_at.eq(now))
        .execute(conn)
}
