//! Refresh tokens: opaque, stored as sha256, rotated on every use within a family; reusing a
//! rotated one revokes the whole family (a stolen token is detected the moment either side uses it).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::UserRow;
use crate::audit::{self, AuditActor, NewEvent};
use crate::crypto::secrets;
use crate::db::schema::{refresh_tokens, users};
use crate::error::{ApiError, ApiResult, Code};
use crate::services::revocation;

/// Creates a refresh token (a new family unless one is given); returns the secret.
pub fn issue_refresh_token(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    ttl: Duration,
    user_id: Uuid,
    family: Option<Uuid>,
) -> QueryResult<String> {
    let secret = format!("rt_{}", secrets::random_token(32));
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7()),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family.unwrap_or_else(Uuid::now_v7)),
            refresh_tokens::token_hash.eq(secrets::sha256_hex(&secret)),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    Ok(secret)
}

#[derive(Queryable)]
struct RefreshRow {
    id: Uuid,
    user_id: Uuid,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn refresh_invalid() -> ApiError {
    ApiError::new(Code::InvalidToken, "刷新令牌无效或已过期，请重新登录")
}

fn revoke_family(conn: &mut PgConnection, now: DateTime<Utc>, family: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// What [`rotate_refresh_token`] decided.
pub enum Rotation {
    /// A new refresh token (secret) for this user.
    Rotated { user: UserRow, refresh_token: String },
    /// The token had already been rotated: the whole family was revoked. The caller must commit
    /// this and then answer 401.
    ReuseDetected,
}

/// Exchanges a refresh token for a new one of the same family. Reuse of a rotated token revokes
/// the family.
pub fn rotate_refresh_token(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    ttl: Duration,
    secret: &str,
) -> ApiResult<Rotation> {
    let row: RefreshRow = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(secrets::sha256_hex(secret)))
        .select((
            refresh_tokens::id,
            refresh_tokens::user_id,
            refresh_tokens::family_id,
            refresh_tokens::expires_at,
            refresh_tokens::rotated_at,
            refresh_tokens::revoked_at,
        ))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(refresh_invalid)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(refresh_invalid());
    }
    if row.rotated_at.is_some() {
        revoke_family(conn, now, row.family_id)?;
        revocation::end_access_tokens(conn, row.user_id)?;
        audit::append(
            conn,
            now,
            NewEvent {
                actor: &AuditActor { id: Some(row.user_id), role: "system".into() },
                action: "session.refresh_token_reused",
                entity_type: "user",
                entity_id: row.user_id.to_string(),
                division_code: None,
                summary: serde_json::json!({"family": row.family_id, "token": row.id}),
            },
        )?;
        return Ok(Rotation::ReuseDetected);
    }
    let user: UserRow = users::table.find(row.user_id).select(UserRow::as_select()).first(conn)?;
    if !user.active {
        revoke_family(conn, now, row.family_id)?;
        return Err(refresh_invalid());
    }
    diesel::update(refresh_tokens::table.find(row.id)).set(refresh_tokens::rotated_at.eq(now)).execute(conn)?;
    let refresh_token = issue_refresh_token(conn, now, ttl, user.id, Some(row.family_id))?;
    Ok(Rotation::Rotated { user, refresh_token })
}

/// Revokes the session (family) of a refresh token and ends the user's access tokens (other
/// sessions refresh theirs). Unknown tokens are ignored (logout is idempotent).
pub fn logout(conn: &mut PgConnection, now: DateTime<Utc>, secret: &str) -> QueryResult<()> {
    let family: Option<(Uuid, Uuid)> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(secrets::sha256_hex(secret)))
        .select((refresh_tokens::family_id, refresh_tokens::user_id))
        .first(conn)
        .optional()?;
    if let Some((f, user_id)) = family {
        revoke_family(conn, now, f)?;
        revocation::end_access_tokens(conn, user_id)?;
    }
    Ok(())
}
