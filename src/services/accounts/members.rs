//! Members of an organization: its admins add and remove them; removal ends every session, access
//! token and API token of the member.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{NewUser, UserRow, UserView, insert_user, org_division};
use crate::audit::{self, AuditActor, NewEvent};
use crate::crypto::password;
use crate::db::schema::{refresh_tokens, users};
use crate::domain::actor::{Actor, Role};
use crate::error::{ApiError, ApiResult};
use crate::services::revocation;
use crate::validate::{self, Check};

pub struct MemberInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
}

pub fn check_member(email: &str, pw: &str, name: &str, role: &str) -> ApiResult<MemberInput> {
    let mut c = Check::new();
    let email = validate::email(&mut c, "email", email);
    if let Some(p) = password::policy_problem(pw, &email) {
        c.err("password", p);
    }
    let name = c.text("name", name, 1, 50);
    let role = match role {
        "org_admin" => Role::OrgAdmin,
        "org_member" => Role::OrgMember,
        _ => {
            c.err("role", "应为 org_admin 或 org_member");
            Role::OrgMember
        }
    };
    c.finish()?;
    Ok(MemberInput { email, password: pw.to_string(), name, role })
}

pub fn add_member(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &MemberInput,
    password_hash: &str,
) -> ApiResult<UserView> {
    let org = actor.org_id()?;
    let user = insert_user(
        conn,
        now,
        NewUser {
            organization_id: Some(org),
            email: &input.email,
            password_hash,
            name: &input.name,
            role: input.role,
            jurisdiction: None,
        },
    )?;
    let division = org_division(conn, org)?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "member.added",
            entity_type: "user",
            entity_id: user.id.to_string(),
            division_code: Some(division),
            summary: serde_json::json!({"organization_id": org, "email": user.email, "role": user.role}),
        },
    )?;
    Ok(user.into())
}

pub fn list_members(conn: &mut PgConnection, org: Uuid) -> QueryResult<Vec<UserView>> {
    Ok(users::table
        .filter(users::organization_id.eq(org))
        .order(users::created_at)
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(UserView::from)
        .collect())
}

/// Deactivates a member of the caller's organization and ends their sessions, their access tokens
/// and the API tokens they created.
pub fn remove_member(conn: &mut PgConnection, now: DateTime<Utc>, actor: &Actor, user_id: Uuid) -> ApiResult<()> {
    let org = actor.org_id()?;
    let target: UserRow = users::table
        .find(user_id)
        .filter(users::organization_id.eq(org))
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("成员"))?;
    if target.id == actor.user_id {
        return Err(ApiError::invalid_state("不能移除自己；请由本单位其他管理员操作"));
    }
    if !target.active {
        return Err(ApiError::invalid_state("该成员已被移除"));
    }
    diesel::update(users::table.find(user_id))
        .set((users::active.eq(false), users::updated_at.eq(now)))
        .execute(conn)?;
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    crate::services::sessions::revoke_all_for(conn, now, user_id, None)?;
    revocation::end_access_tokens(conn, user_id)?;
    let division = org_division(conn, org)?;
    let tokens_revoked =
        revocation::revoke_tokens_created_by(conn, now, &AuditActor::of(actor), user_id, Some(division.clone()))?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "member.removed",
            entity_type: "user",
            entity_id: user_id.to_string(),
            division_code: Some(division),
            summary: serde_json::json!({"organization_id": org, "email": target.email, "api_tokens_revoked": tokens_revoked}),
        },
    )?;
    Ok(())
}
