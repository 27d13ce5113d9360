//! Supervision: campaigns, the draw, inspections, results, responses, closing, reports.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{AnyUser, MaybeActor, OrgMember, Regulator, RegulatorOrAdmin};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::services::supervision::campaigns::{self, CampaignView, CampaignWithInspections, NewCampaign};
use crate::services::supervision::inspections::{self, InspectionView, ListFilter, ResponseInput, ResultInput};
use crate::services::supervision::report::CampaignReport;
use crate::state::AppState;

/// Creates a planned campaign within the regulator's jurisdiction.
#[utoipa::path(tag = "supervision", request_body = NewCampaign, responses(
    (status = 201, body = CampaignView), (status = 403, description = "scope outside the jurisdiction"), (status = 422)))]
#[post("/campaigns")]
pub async fn create_campaign(
    state: web::Data<AppState>,
    actor: Regulator,
    body: Json<NewCampaign>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let today = state.clock.today();
    let a = actor.0;
    let n = body.0;
    let view = db::transaction(&state.pool, move |conn| campaigns::create(conn, now, today, &a, &n)).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CampaignListQuery {
    /// `planned`, `drawn` or `closed`.
    pub status: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignList {
    pub items: Vec<CampaignView>,
}

/// Campaigns of the regulator's jurisdiction, newest first.
#[utoipa::path(tag = "supervision", params(CampaignListQuery), responses((status = 200, body = CampaignList), (status = 403)))]
#[get("/campaigns")]
pub async fn list_campaigns(
    state: web::Data<AppState>,
    actor: RegulatorOrAdmin,
    q: Query<CampaignListQuery>,
) -> ApiResult<web::Json<CampaignList>> {
    let status = match q.0.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("planned" | "drawn" | "closed")) => Some(s.to_string()),
        Some(_) => return Err(ApiError::bad_param("status", "应为 planned、drawn 或 closed")),
    };
    let a = actor.0;
    let items = db::run(&state.pool, move |conn| campaigns::list(conn, &a, status.as_deref())).await?;
    Ok(web::Json(CampaignList { items }))
}

/// A campaign with its inspections (regulators of the jurisdiction).
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), responses((status = 200, body = CampaignWithInspections), (status = 403), (status = 404)))]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    state: web::Data<AppState>,
    actor: RegulatorOrAdmin,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<CampaignWithInspections>> {
    let id = path.into_inner();
    let a = actor.0;
    let today = state.clock.today();
    Ok(web::Json(db::run(&state.pool, move |conn| campaigns::get(conn, &a, id, today)).await?))
}

/// The double-random draw, once per campaign (409 on a second draw): the sample and the inspector
/// assignment follow from the seed and the eligible set.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), responses(
    (status = 200, body = CampaignWithInspections), (status = 403), (status = 404), (status = 409)))]
#[post("/campaigns/{id}/draw")]
pub async fn draw_campaign(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<CampaignWithInspections>> {
    let id = path.into_inner();
    let now = state.clock.now();
    let a = actor.0;
    Ok(web::Json(db::transaction(&state.pool, move |conn| campaigns::draw(conn, now, &a, id)).await?))
}

/// Closes a drawn campaign once every inspection has a result; its report becomes public.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), responses((status = 200, body = CampaignView), (status = 403), (status = 409)))]
#[post("/campaigns/{id}/close")]
pub async fn close_campaign(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<CampaignView>> {
    let id = path.into_inner();
    let now = state.clock.now();
    let a = actor.0;
    Ok(web::Json(db::transaction(&state.pool, move |conn| campaigns::close(conn, now, &a, id)).await?))
}

/// The campaign report: scope, seed and how to reproduce the draw, grade counts, findings. Public
/// once the campaign is closed; before that only for regulators of the jurisdiction.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), responses((status = 200, body = CampaignReport), (status = 404)))]
#[get("/campaigns/{id}/report")]
pub async fn campaign_report(
    state: web::Data<AppState>,
    actor: MaybeActor,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<CampaignReport>> {
    let id = path.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| crate::services::supervision::report::report(conn, actor.0.as_ref(), id))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InspectionQuery {
    /// `me`: only inspections assigned to the caller.
    pub assignee: Option<String>,
    pub status: Option<String>,
    /// `true`: rectifications past their due date without an answer.
    pub overdue: Option<bool>,
    /// `true`: inspections still without a result after their campaign's due date.
    pub result_overdue: Option<bool>,
    pub campaign_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InspectionList {
    pub items: Vec<InspectionView>,
}

/// Inspections: an inspector's own (`assignee=me`), a regulator's jurisdiction, or an organization's own.
#[utoipa::path(tag = "supervision", params(InspectionQuery), responses((status = 200, body = InspectionList), (status = 401)))]
#[get("/inspections")]
pub async fn list_inspections(
    state: web::Data<AppState>,
    actor: AnyUser,
    q: Query<InspectionQuery>,
) -> ApiResult<web::Json<InspectionList>> {
    let q = q.0;
    let assignee_me = match q.assignee.as_deref() {
        None | Some("") => false,
        Some("me") => true,
        Some(_) => return Err(ApiError::bad_param("assignee", "只支持 assignee=me")),
    };
    const STATUSES: [&str; 7] =
        ["assigned", "compliant", "rectification_ordered", "responded", "rectified", "not_rectified", "not_inspected"];
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::bad_param("status", format!("应为 {}", STATUSES.join("、"))));
    }
    let f = ListFilter {
        assignee_me,
        status: q.status,
        overdue: q.overdue.unwrap_or(false),
        result_overdue: q.result_overdue.unwrap_or(false),
        campaign_id: q.campaign_id,
    };
    let today = state.clock.today();
    let a = actor.0;
    let items = db::run(&state.pool, move |conn| inspections::list(conn, &a, &f, today)).await?;
    Ok(web::Json(InspectionList { items }))
}

/// One inspection: its inspector, regulators covering the declaration, and the declaring organization.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), responses((status = 200, body = InspectionView), (status = 403), (status = 404)))]
#[get("/inspections/{id}")]
pub async fn get_inspection(
    state: web::Data<AppState>,
    actor: AnyUser,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<InspectionView>> {
    let id = path.into_inner();
    let today = state.clock.today();
    let a = actor.0;
    Ok(web::Json(db::run(&state.pool, move |conn| inspections::get(conn, &a, id, today)).await?))
}

/// Records the result (the assigned inspector): grade, findings, rectification due date.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = ResultInput, responses(
    (status = 200, body = InspectionView), (status = 403), (status = 409), (status = 422)))]
#[post("/inspections/{id}/result")]
pub async fn record_result(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<ResultInput>,
) -> ApiResult<web::Json<InspectionView>> {
    let id = path.into_inner();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let input = body.0;
    Ok(web::Json(
        db::transaction(&state.pool, move |conn| inspections::record_result(conn, now, today, &a, id, &input)).await?,
    ))
}

/// The organization answers a rectification order (statement, optionally a newly published version).
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = ResponseInput, responses(
    (status = 200, body = InspectionView), (status = 404), (status = 409), (status = 422)))]
#[post("/inspections/{id}/response")]
pub async fn respond(
    state: web::Data<AppState>,
    actor: OrgMember,
    path: web::Path<Uuid>,
    body: Json<ResponseInput>,
) -> ApiResult<web::Json<InspectionView>> {
    let id = path.into_inner();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let input = body.0;
    Ok(web::Json(
        db::transaction(&state.pool, move |conn| inspections::respond(conn, now, today, &a, id, &input)).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotInspected {
    /// Why the inspection could not be carried out (2-1000 characters; public in the report).
    pub reason: String,
}

/// Closes an inspection that could not be carried out, with a reason (its inspector, or a regulator
/// whose jurisdiction covers the campaign), so the campaign can close.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = NotInspected, responses(
    (status = 200, body = InspectionView), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[post("/inspections/{id}/not-inspected")]
pub async fn mark_not_inspected(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<NotInspected>,
) -> ApiResult<web::Json<InspectionView>> {
    let id = path.into_inner();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let reason = body.0.reason;
    Ok(web::Json(
        db::transaction(&state.pool, move |conn| inspections::mark_not_inspected(conn, now, today, &a, id, &reason))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInspection {
    /// `rectified` or `not_rectified` (the declaration is then abolished).
    pub resolution: String,
    pub note: Option<String>,
}

/// The inspector closes a rectification.
#[utoipa::path(tag = "supervision", params(("id" = Uuid, Path)), request_body = CloseInspection, responses(
    (status = 200, body = InspectionView), (status = 403), (status = 409), (status = 422)))]
#[post("/inspections/{id}/close")]
pub async fn close_inspection(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<CloseInspection>,
) -> ApiResult<web::Json<InspectionView>> {
    let id = path.into_inner();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let CloseInspection { resolution, note } = body.0;
    let mut c = crate::validate::Check::new();
    let note = c.opt_text("note", note.as_deref(), 1000);
    c.finish()?;
    Ok(web::Json(
        db::transaction(&state.pool, move |conn| {
            inspections::close(conn, now, today, &a, id, &resolution, note.as_deref())
        })
        .await?,
    ))
}
