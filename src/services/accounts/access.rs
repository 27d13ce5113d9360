//! Who a credential stands for, checked on every request: an API token (acting as an org member
//! of its organization while it is live and its creator still belongs there, or as its partner
//! while the partner's account is active) or the user of an
//! access token (still active, with the role and the token version the token was issued with).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::crypto::secrets;
use crate::db::schema::{api_tokens, users};
use crate::domain::actor::{Actor, Role};
use crate::error::{ApiError, ApiResult, Code};

/// The 401 of a credential that does not (or no longer) stand for anyone.
pub fn invalid_token(message: &'static str) -> ApiError {
    ApiError::new(Code::InvalidToken, message)
}

#[derive(Queryable)]
struct TokenRow {
    id: Uuid,
    /// Empty for a partner's own tokens.
    organization_id: Option<Uuid>,
    created_by: Uuid,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    /// The creator: still active, still of this organization, still an organization role?
    creator_active: bool,
    creator_org: Option<Uuid>,
    creator_role: Role,
}

/// The organization member (or the partner) an API token acts as; records its use (at most once a
/// minute).
pub fn by_api_token(conn: &mut PgConnection, now: DateTime<Utc>, secret: &str) -> ApiResult<Actor> {
    let row: Option<TokenRow> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(secrets::sha256_hex(secret)))
        .select((
            api_tokens::id,
            api_tokens::organization_id,
            api_tokens::created_by,
            api_tokens::expires_at,
            api_tokens::revoked_at,
            api_tokens::last_used_at,
            users::active,
            users::organization_id,
            users::role,
        ))
        .first(conn)
        .optional()?;
    let row = row.ok_or_else(|| invalid_token("API 令牌无效"))?;
    if row.revoked_at.is_some() {
        return Err(invalid_token("API 令牌已撤销"));
    }
    let role = match row.organization_id {
        // a partner's own token: its partner account must still be active
        None if row.creator_active && row.creator_role == Role::Partner => Role::Partner,
        None => return Err(invalid_token("API 令牌已失效：合作方账号已停用")),
        Some(org) if row.creator_active && row.creator_org == Some(org) && row.creator_role.is_org() => Role::OrgMember,
        Some(_) => return Err(invalid_token("API 令牌已失效：创建它的成员已不在本单位")),
    };
    if row.expires_at.is_some_and(|e| e <= now) {
        return Err(invalid_token("API 令牌已过期"));
    }
    if row.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
        diesel::update(api_tokens::table.find(row.id)).set(api_tokens::last_used_at.eq(now)).execute(conn)?;
    }
    Ok(Actor {
        user_id: row.created_by,
        role,
        organization_id: row.organization_id,
        jurisdiction: None,
        api_token_id: Some(row.id),
    })
}

/// role, active, organization, jurisdiction, token version
type UserCheck = (Role, bool, Option<Uuid>, Option<String>, i32);

/// The user of an access token issued with `role` at token `version`.
pub fn by_access_token(conn: &mut PgConnection, user_id: Uuid, role: Role, version: i32) -> ApiResult<Actor> {
    let row: Option<UserCheck> = users::table
        .find(user_id)
        .select((users::role, users::active, users::organization_id, users::jurisdiction, users::token_version))
        .first(conn)
        .optional()?;
    match row {
        Some((_, true, _, _, current)) if current != version => {
            Err(invalid_token("访问令牌已失效（已退出登录、修改密码或被移除），请重新登录"))
        }
        Some((db_role, true, org, jurisdiction, _)) if db_role == role => {
            Ok(Actor { user_id, role, organization_id: org, jurisdiction, api_token_id: None })
        }
        _ => Err(invalid_token("账号已停用或权限已变更，请重新登录")),
    }
}
