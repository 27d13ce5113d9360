//! Rectifications ordered by complaints (`/rectifications`): the organization reads and answers its
//! orders, regulators of the jurisdiction read them, the complaint's assignee closes them. The rule
//! is the inspections' (`services::supervision::rectification`).

use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{AnyUser, OrgMember, Regulator};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::services::complaints::rectification::{self as rect, ListFilter, RectificationView};
use crate::services::supervision::rectification::ResponseInput;
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RectificationQuery {
    /// `rectification_ordered`, `responded`, `rectified`, `not_rectified`
    pub status: Option<String>,
    /// Only those past their due date without an answer.
    pub overdue: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RectificationList {
    pub items: Vec<RectificationView>,
}

/// Rectifications ordered by complaints: an organization's own, or a regulator's jurisdiction.
#[utoipa::path(tag = "supervision", params(RectificationQuery), responses(
    (status = 200, body = RectificationList), (status = 400), (status = 401), (status = 403)))]
#[get("/rectifications")]
pub async fn list_rectifications(
    state: web::Data<AppState>,
    actor: AnyUser,
    q: Query<RectificationQuery>,
) -> ApiResult<web::Json<RectificationList>> {
    let q = q.0;
    if let Some(s) = &q.status
        && crate::domain::rectification::Status::parse(s).is_none()
    {
        return Err(ApiError::bad_param("status", "应为 rectification_ordered、responded、rectified 或 not_rectified"));
    }
    let f = ListFilter { status: q.status, overdue: q.overdue.unwrap_or(false) };
    let today = state.clock.today();
    let a = actor.0;
    let items = db::run(&state.pool, move |conn| rect::list(conn, &a, &f, today)).await?;
    Ok(web::Json(RectificationList { items }))
}

/// One rectification: the organization, or regulators covering its division.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), responses(
    (status = 200, body = RectificationView), (status = 401), (status = 404)))]
#[get("/rectifications/{id}")]
pub async fn get_rectification(
    state: web::Data<AppState>,
    actor: AnyUser,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<RectificationView>> {
    let id = path.into_inner();
    let today = state.clock.today();
    let a = actor.0;
    Ok(web::Json(db::run(&state.pool, move |conn| rect::get(conn, &a, id, today)).await?))
}

/// The organization answers (statement, optionally a version published since the order).
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = ResponseInput, responses(
    (status = 200, body = RectificationView), (status = 404), (status = 409), (status = 422)))]
#[post("/rectifications/{id}/response")]
pub async fn respond_rectification(
    state: web::Data<AppState>,
    actor: OrgMember,
    path: web::Path<Uuid>,
    body: Json<ResponseInput>,
) -> ApiResult<web::Json<RectificationView>> {
    let id = path.into_inner();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let input = body.0;
    Ok(web::Json(db::transaction(&state.pool, move |conn| rect::respond(conn, now, today, &a, id, &input)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRectification {
    /// `rectified` or `not_rectified` (the declaration is then abolished).
    pub resolution: String,
    pub note: Option<String>,
}

/// The complaint's assignee closes the rectification.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = CloseRectification, responses(
    (status = 200, body = RectificationView), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[post("/rectifications/{id}/close")]
pub async fn close_rectification(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<CloseRectification>,
) -> ApiResult<web::Json<RectificationView>> {
    let id = path.into_inner();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let CloseRectification { resolution, note } = body.0;
    Ok(web::Json(
        db::transaction(&state.pool, move |conn| rect::close(conn, now, today, &a, id, &resolution, note.as_deref()))
            .await?,
    ))
}
