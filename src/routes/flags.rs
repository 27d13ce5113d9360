//! Supervision flags: raised and resolved by regulators within their jurisdiction; public history.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{MaybeActor, Regulator};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::services::declarations::{self as decls, FlagView};
use crate::services::flags;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFlag {
    /// `under_check` or `rectification_ordered` (the others are raised by the overdue job and by
    /// abolition).
    pub code: String,
    pub note: Option<String>,
}

/// Raises an ad-hoc flag on a published declaration in the regulator's jurisdiction.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = NewFlag, responses(
    (status = 201, body = FlagView), (status = 403), (status = 404), (status = 422)))]
#[post("/declarations/{id}/flags")]
pub async fn raise_flag(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<NewFlag>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let now = state.clock.now();
    let a = actor.0;
    let NewFlag { code, note } = body.0;
    let flag =
        db::transaction(&state.pool, move |conn| flags::raise_by_regulator(conn, now, &a, id, &code, note.as_deref()))
            .await?;
    Ok(HttpResponse::Created().json(flag))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveFlag {
    /// How it was resolved (shown publicly).
    pub resolution: String,
}

/// Resolves a flag (the history stays public).
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = ResolveFlag, responses(
    (status = 200, body = FlagView), (status = 403), (status = 404), (status = 409)))]
#[post("/flags/{id}/resolve")]
pub async fn resolve_flag(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<ResolveFlag>,
) -> ApiResult<web::Json<FlagView>> {
    let id = path.into_inner();
    let now = state.clock.now();
    let a = actor.0;
    let resolution = body.0.resolution;
    let flag =
        db::transaction(&state.pool, move |conn| flags::resolve_by_regulator(conn, now, &a, id, &resolution)).await?;
    Ok(web::Json(flag))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FlagHistory {
    pub items: Vec<FlagView>,
}

/// Every flag a published declaration ever had, active and resolved.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), responses((status = 200, body = FlagHistory), (status = 404)))]
#[get("/declarations/{id}/flags")]
pub async fn list_flags(
    state: web::Data<AppState>,
    actor: MaybeActor,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<FlagHistory>> {
    let id = path.into_inner();
    let items = db::run(&state.pool, move |conn| {
        let decl = decls::load_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
        if decl.current_version.is_none() && !decls::is_owner(actor.0.as_ref(), &decl) {
            return Err(ApiError::not_found("声明"));
        }
        Ok(flags::history(conn, id)?)
    })
    .await?;
    Ok(web::Json(FlagHistory { items }))
}
