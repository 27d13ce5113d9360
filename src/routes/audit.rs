//! The audit log: reads for sysadmins and, within their jurisdiction, regulators; the public head.

use actix_web::{get, web};
use serde::Deserialize;

use crate::audit::{self, Head};
use crate::auth::RegulatorOrAdmin;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::extract::paging;
use crate::services::audit_log::{self, AuditFilter, AuditList};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `declaration`, `organization`, `user`, `api_token` ...
    pub entity_type: Option<String>,
    /// The entity's id (a UUID for most entities).
    pub entity_id: Option<String>,
    pub page: Option<i64>,
    /// At most 100; default 20.
    pub per_page: Option<i64>,
}

fn token(field: &str, value: Option<String>, max: usize) -> ApiResult<Option<String>> {
    let Some(v) = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else { return Ok(None) };
    let ok = v.len() <= max && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if !ok {
        return Err(ApiError::bad_param(field, format!("只能包含字母、数字和 _ - . :，最长 {max} 个字符")));
    }
    Ok(Some(v))
}

/// Audit events, newest first: every event for sysadmins; for regulators, the events of
/// organizations and declarations within their jurisdiction.
#[utoipa::path(tag = "audit", params(AuditQuery), responses(
    (status = 200, body = AuditList), (status = 400), (status = 401), (status = 403)))]
#[get("/audit")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    actor: RegulatorOrAdmin,
    q: Query<AuditQuery>,
) -> ApiResult<web::Json<AuditList>> {
    let q = q.0;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let filter = AuditFilter {
        entity_type: token("entity_type", q.entity_type, 64)?,
        entity_id: token("entity_id", q.entity_id, 128)?,
    };
    let a = actor.0;
    let list = db::run(&state.pool, move |conn| audit_log::list(conn, &a, &filter, page, per_page)).await?;
    Ok(web::Json(list))
}

/// The head of the audit hash chain (public): record it over time to check that the log only ever
/// grows. `stdreg audit verify` recomputes the whole chain.
#[utoipa::path(tag = "audit", responses((status = 200, body = Head)))]
#[get("/audit/head")]
pub async fn audit_head(state: web::Data<AppState>) -> ApiResult<web::Json<Head>> {
    let head = db::run(&state.pool, |conn| Ok(audit::head(conn)?)).await?;
    Ok(web::Json(head))
}
