//! Complaints: filed by anyone (rate limited per client IP), tracked with the tracking code and the
//! access key, handled by the regulators of the target's jurisdiction.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{Regulator, RegulatorOrAdmin, Sysadmin, client_ip};
use crate::db;
use crate::domain::complaint::{self, Outcome, Status};
use crate::error::{ApiError, ApiResult};
use crate::extract::paging;
use crate::extract::{Json, Query, read_body};
use crate::files::{BlobStore, sniff_evidence};
use crate::services::complaints::evidence::{self, AttachmentReceipt};
use crate::services::complaints::intake::{self, ComplaintBody, Receipt, TrackView};
use crate::services::complaints::workflow::{self, ComplainantView};
use crate::services::complaints::{self as complaints, ComplaintList, ComplaintView, ListFilter};
use crate::services::supervision::rectification::DueInput;
use crate::state::AppState;

/// The header that carries the complainant's access key.
pub const ACCESS_KEY: &str = "X-Access-Key";

fn access_key(req: &HttpRequest) -> String {
    req.headers().get(ACCESS_KEY).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string()).unwrap_or_default()
}

/// Files a complaint, anonymously or named. Answers the tracking code and the access key (shown
/// once). Rate limited per client IP.
#[utoipa::path(tag = "complaints", request_body = ComplaintBody, responses(
    (status = 201, body = Receipt),
    (status = 422, description = "validation failed (category, description 10-5000 characters, target, contact); details name the fields"),
    (status = 429, description = "too many complaints from this address; see Retry-After")))]
#[post("/complaints")]
pub async fn file_complaint(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ComplaintBody>,
) -> ApiResult<HttpResponse> {
    let input = intake::check(body.0)?;
    let ip = client_ip(&req);
    let (now, today) = (state.clock.now(), state.clock.today());
    let keys = state.settings.complaint_keys.clone();
    let limit = state.settings.complaint_rate_limit;
    let receipt =
        db::transaction(&state.pool, move |conn| intake::file(conn, now, today, &keys, &ip, limit, input)).await?;
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(receipt))
}

/// The complainant's view: status history and public replies. An unknown code, a wrong or missing
/// `X-Access-Key` all answer the same 404.
#[utoipa::path(tag = "complaints", params(("code" = String, Path, description = "tracking code"),
    ("X-Access-Key" = String, Header, description = "the access key given when filing")),
    responses((status = 200, body = TrackView), (status = 404)))]
#[get("/complaints/track/{code}")]
pub async fn track_complaint(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let key = access_key(&req);
    let view = db::run(&state.pool, move |conn| intake::track(conn, &code, &key)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(view))
}

/// Adds evidence to an open complaint: the raw bytes of one JPEG, PNG, GIF, WebP image or PDF
/// (recognised by content, at most 10 MiB; up to 5 per complaint), with the tracking code and
/// `X-Access-Key`. Only the handling regulators can read it.
#[utoipa::path(tag = "complaints", params(("code" = String, Path, description = "tracking code"),
    ("X-Access-Key" = String, Header, description = "the access key given when filing")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "an image or a PDF"),
    responses((status = 201, body = AttachmentReceipt), (status = 404),
    (status = 409, description = "the complaint is closed, or has 5 attachments"), (status = 413),
    (status = 422, description = "not an image or PDF")))]
#[post("/complaints/track/{code}/attachments")]
pub async fn add_attachment(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let key = access_key(&req);
    let (c, k) = (code.clone(), key.clone());
    db::run(&state.pool, move |conn| evidence::check_attachable(conn, &c, &k)).await?;
    let bytes = read_body(&req, &mut payload, evidence::MAX_SIZE).await?;
    let Some(content_type) = sniff_evidence(&bytes) else {
        return Err(ApiError::field("attachment", "附件须为 JPEG、PNG、GIF、WebP 图片或 PDF 文件（按文件内容识别）"));
    };
    let store = BlobStore::new(&state.settings.data_dir);
    let (sha, size) = crate::blocking::run(move || store.put(&bytes).map_err(ApiError::internal)).await?;
    let now = state.clock.now();
    let receipt =
        db::transaction(&state.pool, move |conn| evidence::attach(conn, now, &code, &key, &sha, size, content_type))
            .await?;
    Ok(HttpResponse::Created().json(receipt))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComplaintQuery {
    /// `received`, `accepted`, `rejected`, `assigned`, `concluded`
    #[param(value_type = Option<String>)]
    pub status: Option<Status>,
    /// `true`: only open complaints past their running deadline; `false`: the others.
    pub overdue: Option<bool>,
    pub tracking_code: Option<String>,
    /// `me` or a user id.
    pub assignee: Option<String>,
    pub page: Option<i64>,
    /// At most 100; default 20.
    pub per_page: Option<i64>,
}

/// Complaints of the caller's jurisdiction (regulators), or the queue of complaints no division
/// could be found for (sysadmins). Newest first.
#[utoipa::path(tag = "complaints", params(ComplaintQuery), responses((status = 200, body = ComplaintList), (status = 400), (status = 403)))]
#[get("/complaints")]
pub async fn list_complaints(
    state: web::Data<AppState>,
    actor: RegulatorOrAdmin,
    q: Query<ComplaintQuery>,
) -> ApiResult<web::Json<ComplaintList>> {
    let q = q.0;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let tracking_code = match q.tracking_code.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            complaint::parse_tracking_code(raw)
                .ok_or_else(|| ApiError::bad_param("tracking_code", "查询码应为 12 位字母数字（如 ABCD-EFGH-JKMN）"))?,
        ),
    };
    let assignee = match q.assignee.as_deref() {
        None | Some("") => None,
        Some("me") => Some(actor.user_id),
        Some(raw) => Some(raw.parse::<Uuid>().map_err(|_| ApiError::bad_param("assignee", "应为 me 或用户 id"))?),
    };
    let filter = ListFilter { status: q.status, overdue: q.overdue, tracking_code, assignee };
    let today = state.clock.today();
    let a = actor.0;
    let list = db::run(&state.pool, move |conn| complaints::list_for(conn, &a, &filter, today, page, per_page)).await?;
    Ok(web::Json(list))
}

/// One complaint with its history and attachments (never the complainant's identity). 404 outside
/// the caller's jurisdiction.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), responses((status = 200, body = ComplaintView), (status = 404)))]
#[get("/complaints/{id}")]
pub async fn get_complaint(
    state: web::Data<AppState>,
    actor: RegulatorOrAdmin,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<ComplaintView>> {
    let id = path.into_inner();
    let today = state.clock.today();
    let a = actor.0;
    Ok(web::Json(db::run(&state.pool, move |conn| complaints::get_for(conn, &a, id, today)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// Internal note (not shown to the complainant).
    pub note: Option<String>,
}

/// Accepts the complaint (受理); the 15-working-day conclusion deadline starts today.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), request_body = AcceptBody, responses(
    (status = 200, body = ComplaintView), (status = 403), (status = 404), (status = 409)))]
#[post("/complaints/{id}/accept")]
pub async fn accept_complaint(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<AcceptBody>,
) -> ApiResult<web::Json<ComplaintView>> {
    let id = path.into_inner();
    let note = workflow::check_note(body.note.as_deref())?;
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let v =
        db::transaction(&state.pool, move |conn| workflow::accept(conn, now, today, &a, id, note.as_deref())).await?;
    Ok(web::Json(v))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// 2 to 1000 characters. A rejection's reason is shown to the complainant; an extension's is not.
    pub reason: String,
}

/// Rejects the complaint (不予受理) with a reason the complainant sees.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), request_body = ReasonBody, responses(
    (status = 200, body = ComplaintView), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[post("/complaints/{id}/reject")]
pub async fn reject_complaint(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<ReasonBody>,
) -> ApiResult<web::Json<ComplaintView>> {
    let id = path.into_inner();
    let reason = workflow::check_reason(&body.reason)?;
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let v = db::transaction(&state.pool, move |conn| workflow::reject(conn, now, today, &a, id, &reason)).await?;
    Ok(web::Json(v))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// A regulator whose jurisdiction covers the complaint's division.
    pub assignee_id: Uuid,
    /// Required to reassign an assigned complaint (2 to 1000 characters; kept in the history and
    /// the audit log); optional for the first assignment.
    pub reason: Option<String>,
}

/// Assigns an accepted complaint to a regulator of a covering jurisdiction. Reassigning is for the
/// current assignee or a supervisor of theirs (a jurisdiction strictly containing the assignee's),
/// with a reason.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), request_body = AssignBody, responses(
    (status = 200, body = ComplaintView), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[post("/complaints/{id}/assign")]
pub async fn assign_complaint(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<AssignBody>,
) -> ApiResult<web::Json<ComplaintView>> {
    let id = path.into_inner();
    let assignee = body.assignee_id;
    let reason = body.reason.as_deref().map(workflow::check_reason).transpose()?;
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let v = db::transaction(&state.pool, move |conn| {
        workflow::assign(conn, now, today, &a, id, assignee, reason.as_deref())
    })
    .await?;
    Ok(web::Json(v))
}

/// Extends the conclusion deadline once by 15 working days (30 after acceptance), with a reason,
/// before the deadline has passed.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), request_body = ReasonBody, responses(
    (status = 200, body = ComplaintView), (status = 403), (status = 404), (status = 409, description = "already extended, not accepted, or past the deadline"), (status = 422)))]
#[post("/complaints/{id}/extend")]
pub async fn extend_complaint(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<ReasonBody>,
) -> ApiResult<web::Json<ComplaintView>> {
    let id = path.into_inner();
    let reason = workflow::check_reason(&body.reason)?;
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let v = db::transaction(&state.pool, move |conn| workflow::extend(conn, now, today, &a, id, &reason)).await?;
    Ok(web::Json(v))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    /// `under_check` or `rectification_ordered`
    pub code: String,
    /// For `rectification_ordered`, required: what the organization must put right (public).
    pub note: Option<String>,
    /// For `rectification_ordered`: the last day to rectify (after today); or give
    /// `rectification_working_days`; default 20 working days.
    pub rectification_due: Option<chrono::NaiveDate>,
    /// For `rectification_ordered`: working days to rectify (1-120, on the holiday calendar).
    pub rectification_working_days: Option<u32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeBody {
    pub outcome: Outcome,
    /// What the complainant reads (2 to 2000 characters).
    pub public_reply: String,
    /// A public supervision flag on the complaint's declaration, with the complaint as its source.
    pub flag: Option<FlagBody>,
}

/// Concludes the complaint (办结); the assignee only.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), request_body = ConcludeBody, responses(
    (status = 200, body = ComplaintView), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[post("/complaints/{id}/conclude")]
pub async fn conclude_complaint(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
    body: Json<ConcludeBody>,
) -> ApiResult<web::Json<ComplaintView>> {
    let id = path.into_inner();
    let body = body.0;
    let (now, today) = (state.clock.now(), state.clock.today());
    let flag = body.flag.map(|f| workflow::ConclusionFlag {
        code: f.code,
        note: f.note,
        due: DueInput { date: f.rectification_due, working_days: f.rectification_working_days },
    });
    let conclusion = workflow::check_conclusion(body.outcome, &body.public_reply, flag, today)?;
    let a = actor.0;
    let v = db::transaction(&state.pool, move |conn| workflow::conclude(conn, now, today, &a, id, conclusion)).await?;
    Ok(web::Json(v))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteBody {
    /// The division whose regulators should handle it (6 digits, GB/T 2260).
    pub division_code: String,
}

/// Routes a complaint from the sysadmins' queue (no division found) to a division's regulators.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), request_body = RouteBody, responses(
    (status = 200, body = ComplaintView), (status = 403), (status = 404), (status = 409), (status = 422)))]
#[post("/complaints/{id}/route")]
pub async fn route_complaint(
    state: web::Data<AppState>,
    actor: Sysadmin,
    path: web::Path<Uuid>,
    body: Json<RouteBody>,
) -> ApiResult<web::Json<ComplaintView>> {
    let id = path.into_inner();
    let division = body.division_code.trim().to_string();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let v = db::transaction(&state.pool, move |conn| workflow::route(conn, now, today, &a, id, &division)).await?;
    Ok(web::Json(v))
}

/// The complainant's name, phone and email, for the assigned regulator only; every call is
/// written to the audit log.
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path)), responses(
    (status = 200, body = ComplainantView), (status = 403, description = "not the assignee"), (status = 404)))]
#[post("/complaints/{id}/reveal-complainant")]
pub async fn reveal_complainant(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let now = state.clock.now();
    let keys = state.settings.complaint_keys.clone();
    let a = actor.0;
    let v = db::transaction(&state.pool, move |conn| workflow::reveal(conn, now, &keys, &a, id)).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(v))
}

/// Downloads an attachment (regulators handling the complaint).
#[utoipa::path(tag = "complaints", params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)), responses(
    (status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403), (status = 404)))]
#[get("/complaints/{id}/attachments/{attachment_id}")]
pub async fn get_attachment(
    state: web::Data<AppState>,
    actor: Regulator,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, attachment) = path.into_inner();
    let a = actor.0;
    let (sha, content_type) = db::run(&state.pool, move |conn| evidence::file_for(conn, &a, id, attachment)).await?;
    let store = BlobStore::new(&state.settings.data_dir);
    let bytes = crate::blocking::run(move || store.read(&sha).map_err(ApiError::internal)).await?;
    let ext = content_type.rsplit('/').next().unwrap_or("bin");
    Ok(HttpResponse::Ok()
        .content_type(content_type.as_str())
        .insert_header(("Content-Disposition", format!("attachment; filename=\"evidence-{attachment}.{ext}\"")))
        .insert_header(("Content-Security-Policy", "sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}
