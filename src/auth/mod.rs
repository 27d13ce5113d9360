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
    organization_id: Uuid,
    created_by: Uuid,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

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
                .filter(api_tokens::token_hash.eq(&hash))
                .select((
                    api_tokens::id,
                    api_tokens::organization_id,
                    api_tokens::created_by,
                    api_tokens::expires_at,
                    api_tokens::revoked_at,
                    api_tokens::last_used_at,
                ))
                .first(conn)
                .optional()?;
            let row = row.ok_or_else(|| invalid_token("API 令牌无效"))?;
            if row.revoked_at.is_some() {
                return Err(invalid_token("API 令牌已撤销"));
            }
            if row.expires_at.is_some_and(|e| e <= now) {
                return Err(invalid_token("API 令牌已过期"));
            }
            if row.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
                diesel::update(api_tokens::table.find(row.id)).set(api_tokens::last_used_at.eq(now)).execute(conn)?;
            }
            Ok(Actor {
                user_id: row.created_by,
                role: Role::OrgMember,
                organization_id: Some(row.organization_id),
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
    let actor = db::run(&state.pool, move |conn| {
        let row: Option<(String, bool, Option<Uuid>, Option<String>)> = users::table
            .find(user_id)
            .select((users::role, users::active, users::organization_id, users::jurisdiction))
            .first(conn)
            .optional()?;
        match row {
            Some((db_role, true, org, jurisdiction)) if db_role == role.as_str() => {
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

/// The client's IP address: the peer, or the first X-Forwarded-For entry behind a trusted proxy.
pub fn client_ip(req: &HttpRequest) -> String {
    let trust = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.settings.trust_forwarded_for);
    if trust && let Some(raw) = req.connection_info().realip_remote_addr() {
        if let Ok(ip) = raw.parse::<std::net::IpAddr>() {
            return ip.to_string();
        }
        if let Ok(sa) = raw.parse::<std::net::SocketAddr>() {
            return sa.ip().to_string();
        }
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}
