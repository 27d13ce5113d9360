//! API tokens: created by an organization's admins for machines (`stdreg_...`, shown once, stored
//! as sha256), acting as org members; revoked by an admin or when their creator leaves.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::org_division;
use crate::audit::{self, AuditActor, NewEvent};
use crate::crypto::secrets;
use crate::db::schema::api_tokens;
use crate::domain::actor::{Actor, Role};
use crate::error::{ApiError, ApiResult};
use crate::services::revocation;
use crate::validate::Check;

#[derive(Queryable, Selectable, Serialize, Clone, Debug, utoipa::ToSchema)]
#[diesel(table_name = api_tokens)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it ended: `revoked` (by an admin) or `creator_removed` (its creator left the organization).
    pub revoked_reason: Option<String>,
    /// The member who created it; the token ends when they leave the organization.
    pub created_by: Uuid,
}

pub fn create_token(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    name: &str,
    expires_in_days: Option<i64>,
) -> ApiResult<(TokenView, String)> {
    let org = token_owner(actor)?;
    let mut c = Check::new();
    let name = c.text("name", name, 1, 100);
    if let Some(d) = expires_in_days
        && !(1..=3650).contains(&d)
    {
        c.err("expires_in_days", "应在 1 到 3650 之间");
    }
    c.finish()?;
    let secret = format!("{}{}", secrets::API_TOKEN_PREFIX, secrets::random_token(32));
    let view: TokenView = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(Uuid::now_v7()),
            api_tokens::organization_id.eq(org),
            api_tokens::created_by.eq(actor.user_id),
            api_tokens::name.eq(&name),
            api_tokens::token_hash.eq(secrets::sha256_hex(&secret)),
            api_tokens::token_prefix.eq(&secret[..secrets::API_TOKEN_PREFIX.len() + 6]),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(expires_in_days.map(|d| now + Duration::days(d))),
        ))
        .returning(TokenView::as_returning())
        .get_result(conn)?;
    let division = org.map(|o| org_division(conn, o)).transpose()?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "api_token.created",
            entity_type: "api_token",
            entity_id: view.id.to_string(),
            division_code: division,
            summary: serde_json::json!({"organization_id": org, "name": view.name, "expires_at": view.expires_at}),
        },
    )?;
    Ok((view, secret))
}

/// Whose tokens the caller manages: its organization's (org admins), or, for a partner, its own
/// (tokens without an organization, created by the partner).
fn token_owner(actor: &Actor) -> ApiResult<Option<Uuid>> {
    match actor.role {
        Role::Partner => Ok(None),
        _ => Ok(Some(actor.org_id()?)),
    }
}

fn owned(actor: &Actor) -> ApiResult<api_tokens::BoxedQuery<'static, diesel::pg::Pg>> {
    Ok(match token_owner(actor)? {
        Some(org) => api_tokens::table.filter(api_tokens::organization_id.eq(org)).into_boxed(),
        None => api_tokens::table
            .filter(api_tokens::organization_id.is_null())
            .filter(api_tokens::created_by.eq(actor.user_id))
            .into_boxed(),
    })
}

/// The API tokens the caller manages (see [`token_owner`]), newest first.
pub fn list_tokens(conn: &mut PgConnection, actor: &Actor) -> ApiResult<Vec<TokenView>> {
    Ok(owned(actor)?.order(api_tokens::created_at.desc()).select(TokenView::as_select()).load(conn)?)
}

pub fn revoke_token(conn: &mut PgConnection, now: DateTime<Utc>, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let org = token_owner(actor)?;
    let (token, token_org): (TokenView, Option<Uuid>) = api_tokens::table
        .find(id)
        .select((TokenView::as_select(), api_tokens::organization_id))
        .for_update()
        .first(conn)
        .optional()?
        .filter(|(t, o)| *o == org && (org.is_some() || t.created_by == actor.user_id))
        .ok_or_else(|| ApiError::not_found("API 令牌"))?;
    debug_assert_eq!(token_org, org);
    if token.revoked_at.is_some() {
        return Ok(());
    }
    diesel::update(api_tokens::table.find(id))
        .set((api_tokens::revoked_at.eq(now), api_tokens::revoked_reason.eq(revocation::REVOKED)))
        .execute(conn)?;
    let division = org.map(|o| org_division(conn, o)).transpose()?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "api_token.revoked",
            entity_type: "api_token",
            entity_id: id.to_string(),
            division_code: division,
            summary: serde_json::json!({"organization_id": org, "name": token.name}),
        },
    )?;
    Ok(())
}
