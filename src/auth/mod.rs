//! Who is calling: the actor behind a bearer token (an access JWT or an API token), and typed
//! extractors so every handler's signature says who may call it.

pub mod login;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::crypto::secrets;
use crate::db::{
    self,
    schema::{api_tokens, users},
};
use crate::domain::actor::{Actor, Role};
use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;

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
    creator_role: String,
}

/// role, active, organization, jurisdiction, token version
type UserCheck = (String, bool, Option<Uuid>, Option<String>, i32);

fn invalid_token(message: &'static str) -> ApiError {
    ApiError::new(Code::InvalidToken, message)
}

/// Resolves the bearer token, if any. A present but invalid token is a 401, never anonymous.
pub async fn authenticate(req: &HttpRequest) -> ApiResult<Option<Actor>> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
    let value = value.to_str().map_err(|_| invalid_token("Authorization 头无效"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid_token("Authorization 头应为 Bearer <令牌>"))?
        .to_string();
    let now = state.clock.now();

    if token.starts_with(secrets::API_TOKEN_PREFIX) {
        let hash = secrets::sha256_hex(&token);
        let actor = db::run(&state.pool, move |conn| {
            let row: Option<TokenRow> = api_tokens::table
                .inner_join(users::table)
                .filter(api_tokens::token_hash.eq(&hash))
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
            let creator_role = Role::parse(&row.creator_role);
            let role = match row.organization_id {
                // a partner's own token: its partner account must still be active
                None if row.creator_active && creator_role == Some(Role::Partner) => Role::Partner,
                None => return Err(invalid_token("API 令牌已失效：合作方账号已停用")),
                Some(org)
                    if row.creator_active && row.creator_org == Some(org) && creator_role.is_some_and(Role::is_org) =>
                {
                    Role::OrgMember
                }
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
        })
        .await?;
        return Ok(Some(actor));
    }

    let claims = state.jwt.verify(&token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::ExpiredSignature => invalid_token("访问令牌已过期，请刷新"),
            _ => invalid_token("访问令牌无效"),
        }
    })?;
    let role = Role::parse(&claims.role).ok_or_else(|| invalid_token("访问令牌无效"))?;
    let user_id = claims.sub;
    let version = claims.ver;
    let actor = db::run(&state.pool, move |conn| {
        let row: Option<UserCheck> = users::table
            .find(user_id)
            .select((users::role, users::active, users::organization_id, users::jurisdiction, users::token_version))
            .first(conn)
            .optional()?;
        match row {
            Some((_, true, _, _, current)) if current != version => {
                Err(invalid_token("访问令牌已失效（已退出登录、修改密码或被移除），请重新登录"))
            }
            Some((db_role, true, org, jurisdiction, _)) if db_role == role.as_str() => {
                Ok(Actor { user_id, role, organization_id: org, jurisdiction, api_token_id: None })
            }
            _ => Err(invalid_token("账号已停用或权限已变更，请重新登录")),
        }
    })
    .await?;
    Ok(Some(actor))
}

type ActorFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn require(req: &HttpRequest, check: fn(&Actor) -> Result<(), ApiError>) -> ActorFuture<Actor> {
    let req = req.clone();
    Box::pin(async move {
        let actor = authenticate(&req).await?.ok_or_else(|| ApiError::of(Code::Unauthorized))?;
        check(&actor)?;
        Ok(actor)
    })
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub Actor);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = ActorFuture<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let fut = require(req, $check);
                Box::pin(async move { fut.await.map($name) })
            }
        }

        impl std::ops::Deref for $name {
            type Target = Actor;
            fn deref(&self) -> &Actor {
                &self.0
            }
        }
    };
}

role_extractor!(
    /// Any signed-in caller.
    AnyUser,
    |_| Ok(())
);
role_extractor!(
    /// A member or admin of an organization (JWT or the organization's API token).
    OrgMember,
    |a| if a.role.is_org() { Ok(()) } else { Err(ApiError::forbidden("仅限企业或社会团体用户")) }
);
role_extractor!(
    /// An organization's administrator, signed in as a person (not an API token).
    OrgAdmin,
    |a| if a.role == Role::OrgAdmin && a.api_token_id.is_none() {
        Ok(())
    } else {
        Err(ApiError::forbidden("仅限本单位管理员"))
    }
);
role_extractor!(
    /// Whoever manages API tokens, signed in as a person: an organization's administrator (the
    /// organization's tokens) or a partner (its own).
    TokenManager,
    |a| if matches!(a.role, Role::OrgAdmin | Role::Partner) && a.api_token_id.is_none() {
        Ok(())
    } else {
        Err(ApiError::forbidden("仅限本单位管理员或合作方账号（须以账号登录，不能用 API 令牌）"))
    }
);
role_extractor!(
    /// A partner (a marketplace or another machine client), by its API token or signed in.
    Partner,
    |a| if a.role == Role::Partner { Ok(()) } else { Err(ApiError::forbidden("仅限合作方账号")) }
);
role_extractor!(
    /// Market regulation staff.
    Regulator,
    |a| if a.role == Role::Regulator { Ok(()) } else { Err(ApiError::forbidden("仅限监管人员")) }
);
role_extractor!(
    /// A regulator or a sysadmin (audit reads).
    RegulatorOrAdmin,
    |a| if matches!(a.role, Role::Regulator | Role::Sysadmin) { Ok(()) } else { Err(ApiError::forbidden("仅限监管人员或系统管理员")) }
);
role_extractor!(
    /// An operator.
    Sysadmin,
    |a| if a.role == Role::Sysadmin { Ok(()) } else { Err(ApiError::forbidden("仅限系统管理员")) }
);

/// The caller if signed in; anonymous otherwise (a present but invalid token is still a 401).
#[derive(Clone, Debug)]
pub struct MaybeActor(pub Option<Actor>);

impl FromRequest for MaybeActor {
    type Error = ApiError;
    type Future = ActorFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await.map(MaybeActor) })
    }
}

/// The client's IP address, the key of the per-IP limits (sign-in failures, complaint intake).
/// Behind a trusted proxy (`trust_forwarded_for`) it is the right-most X-Forwarded-For entry: the
/// address the proxy appended (or set), while entries left of it are whatever the client wrote.
/// RFC 7239 `Forwarded` is never read (the shipped nginx also clears it). Otherwise, or when that
/// entry is not an IP address, it is the peer. docs/decisions.md has the rule.
pub fn client_ip(req: &HttpRequest) -> String {
    let trust = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.settings.trust_forwarded_for);
    let forwarded = if trust { last_forwarded_for(req.headers()) } else { None };
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map(|ip| ip.to_canonical().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The right-most entry of X-Forwarded-For; several header lines are one list, in order.
fn last_forwarded_for(headers: &actix_web::http::header::HeaderMap) -> Option<std::net::IpAddr> {
    let line = headers.get_all("x-forwarded-for").last()?.to_str().ok()?;
    let entry = line.rsplit(',').next()?.trim();
    entry.parse::<std::net::IpAddr>().ok().or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}
