//! Password changes: the same policy as at registration; the change ends the user's other
//! sessions, refresh tokens and access tokens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{UserRow, org_division};
use crate::audit::{self, AuditActor, NewEvent};
use crate::crypto::password;
use crate::db::schema::{refresh_tokens, users};
use crate::domain::actor::Actor;
use crate::error::ApiResult;
use crate::services::revocation;
use crate::validate::Check;

/// Checks a new password against the policy (the same as at registration).
pub fn check_new_password(user: &UserRow, new_password: &str) -> ApiResult<()> {
    let mut c = Check::new();
    if let Some(p) = password::policy_problem(new_password, &user.email) {
        c.err("new_password", p);
    }
    c.finish()
}

/// Stores a new password hash and ends the user's other sessions: every refresh token, every
/// access token and every console session except `keep` (the one that made the change).
pub fn set_password(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    password_hash: &str,
    keep: Option<Uuid>,
) -> ApiResult<()> {
    diesel::update(users::table.find(actor.user_id))
        .set((users::password_hash.eq(password_hash), users::updated_at.eq(now)))
        .execute(conn)?;
    revocation::end_access_tokens(conn, actor.user_id)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(actor.user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    let ended = crate::services::sessions::revoke_all_for(conn, now, actor.user_id, keep)?;
    let division = match actor.organization_id {
        Some(org) => Some(org_division(conn, org)?),
        None => None,
    };
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "user.password_changed",
            entity_type: "user",
            entity_id: actor.user_id.to_string(),
            division_code: division,
            summary: serde_json::json!({"other_sessions_ended": ended}),
        },
    )?;
    Ok(())
}
