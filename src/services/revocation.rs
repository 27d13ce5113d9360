//! Ending credentials that outlived their reason (docs/decisions.md, "Ending access tokens").
//!
//! - Access tokens (JWTs) carry the user's token version (claim `ver`), compared with
//!   `users.token_version` on every request by [`crate::auth::authenticate`], in the query that
//!   already checks the user is active. Raising the version ends every access token issued before:
//!   sign-out, a password change, removal, a reused refresh token. Nothing is cached, so there is
//!   no window; the other sessions of the user exchange their refresh token for a new one.
//! - API tokens end with the membership of the user who created them: removal revokes them here
//!   (reason `creator_removed`, audited, listed to the organization's admins), and every use also
//!   checks the creator, so a creator deactivated any other way ends them as well.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{api_tokens, users};

/// `api_tokens.revoked_reason`: revoked by an organization admin.
pub const REVOKED: &str = "revoked";
/// `api_tokens.revoked_reason`: the creator left the organization (removed or deactivated).
pub const CREATOR_REMOVED: &str = "creator_removed";

/// Ends every access token issued to the user so far.
pub fn end_access_tokens(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<()> {
    diesel::update(users::table.find(user_id)).set(users::token_version.eq(users::token_version + 1)).execute(conn)?;
    Ok(())
}

/// Revokes the live API tokens a user created (on their removal), one audit event each; returns
/// how many ended.
pub fn revoke_tokens_created_by(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    user_id: Uuid,
    division_code: Option<String>,
) -> QueryResult<usize> {
    let ended: Vec<(Uuid, Option<Uuid>, String)> = diesel::update(
        api_tokens::table.filter(api_tokens::created_by.eq(user_id)).filter(api_tokens::revoked_at.is_null()),
    )
    .set((api_tokens::revoked_at.eq(now), api_tokens::revoked_reason.eq(CREATOR_REMOVED)))
    .returning((api_tokens::id, api_tokens::organization_id, api_tokens::name))
    .get_results(conn)?;
    let events: Vec<NewEvent<'_>> = ended
        .iter()
        .map(|(id, org, name)| NewEvent {
            actor: by,
            action: "api_token.revoked",
            entity_type: "api_token",
            entity_id: id.to_string(),
            division_code: division_code.clone(),
            summary: serde_json::json!({
                "organization_id": org, "name": name, "reason": CREATOR_REMOVED, "created_by": user_id,
            }),
        })
        .collect();
    audit::append_many(conn, now, &events)?;
    Ok(ended.len())
}
