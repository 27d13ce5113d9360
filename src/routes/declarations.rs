//! Declarations: create, edit, publish, revise, withdraw, read, versions, diffs, full texts, bulk.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{MaybeActor, OrgMember};
use crate::db;
use crate::domain::declaration::Status;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::{Json, Query, UPLOAD_LIMIT, is_json_content_type, paging, read_body};
use crate::files::{BlobStore, is_pdf};
use crate::services::declarations::bulk::{self, ItemResult};
use crate::services::declarations::input::{self, DeclarationBody, DeclarationPatch};
use crate::services::declarations::{self as decls, DeclarationList, DeclarationView, VersionDiff, lifecycle};
use crate::state::AppState;

/// Creates a declaration as a draft (version 1). Nothing is public until it is published.
#[utoipa::path(tag = "declarations", request_body = DeclarationBody, responses(
    (status = 201, body = DeclarationView), (status = 409, description = "a live declaration of this number and kind exists"),
    (status = 422, description = "validation failed; details name the fields")))]
#[post("/declarations")]
pub async fn create_declaration(
    state: web::Data<AppState>,
    actor: OrgMember,
    body: Json<DeclarationBody>,
) -> ApiResult<HttpResponse> {
    let today = state.clock.today();
    let content = input::check_body(&body, "", today).map_err(ApiError::validation)?;
    let now = state.clock.now();
    let a = actor.0;
    let view = db::transaction(&state.pool, move |conn| lifecycle::create(conn, now, &a, &content)).await?;
    Ok(HttpResponse::Created().json(view))
}

/// The declaration: the current public version, or for its organization the pending draft.
/// Drafts never published are 404 to everyone else.
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path)), responses((status = 200, body = DeclarationView), (status = 404)))]
#[get("/declarations/{id}")]
pub async fn get_declaration(
    state: web::Data<AppState>,
    actor: MaybeActor,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<DeclarationView>> {
    let id = path.into_inner();
    let view = db::run(&state.pool, move |conn| decls::get_for(conn, actor.0.as_ref(), id)).await?;
    Ok(web::Json(view))
}

/// Changes the pending draft (409 when there is none: published versions are immutable).
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path)), request_body = DeclarationPatch, responses(
    (status = 200, body = DeclarationView), (status = 404), (status = 409), (status = 422)))]
#[patch("/declarations/{id}")]
pub async fn patch_declaration(
    state: web::Data<AppState>,
    actor: OrgMember,
    path: web::Path<Uuid>,
    body: Json<DeclarationPatch>,
) -> ApiResult<web::Json<DeclarationView>> {
    let id = path.into_inner();
    let now = state.clock.now();
    let today = state.clock.today();
    let a = actor.0;
    let p = body.0;
    let view = db::transaction(&state.pool, move |conn| lifecycle::patch(conn, now, &a, id, p, today)).await?;
    Ok(web::Json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// 自我承诺: the content is truthful and lawful and the standard is not below mandatory
    /// standards. Must be true.
    pub commitment: bool,
}

/// Publishes the pending draft at once (no approval). A revision supersedes the previous version.
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path)), request_body = PublishBody, responses(
    (status = 200, body = DeclarationView), (status = 404), (status = 409), (status = 422, description = "no commitment, or the standard is abolished")))]
#[post("/declarations/{id}/publish")]
pub async fn publish_declaration(
    state: web::Data<AppState>,
    actor: OrgMember,
    path: web::Path<Uuid>,
    body: Json<PublishBody>,
) -> ApiResult<web::Json<DeclarationView>> {
    let id = path.into_inner();
    let now = state.clock.now();
    let today = state.clock.today();
    let a = actor.0;
    let commitment = body.commitment;
    let view =
        db::transaction(&state.pool, move |conn| lifecycle::publish(conn, now, &a, id, commitment, today)).await?;
    Ok(web::Json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviseQuery {
    /// `true`: start from the replacements of the standards named in the declaration's notices
    /// (abolished or replaced ones): the new draft executes and cites the replacements. An existing
    /// draft is updated instead. 409 `no_known_replacement` when no notice names a replacement.
    pub apply_replacements: Option<bool>,
}

/// Starts a revision: a new draft version (n+1) prefilled from the current public one, or with
/// `?apply_replacements=true` from the replacements of its outdated standards.
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path), ReviseQuery), responses((status = 201, body = DeclarationView), (status = 404), (status = 409)))]
#[post("/declarations/{id}/revisions")]
pub async fn revise_declaration(
    state: web::Data<AppState>,
    actor: OrgMember,
    path: web::Path<Uuid>,
    q: crate::extract::Query<ReviseQuery>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let (now, today) = (state.clock.now(), state.clock.today());
    let a = actor.0;
    let replacements = q.0.apply_replacements.unwrap_or(false);
    let view = db::transaction(&state.pool, move |conn| {
        if replacements {
            crate::services::declarations::replacements::revise_with_replacements(conn, now, &a, id, today)
        } else {
            lifecycle::revise(conn, now, &a, id)
        }
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Why the declaration is withdrawn (2-500 characters); shown publicly.
    pub reason: String,
}

/// Withdraws the declaration (the organization; a reason is required).
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path)), request_body = WithdrawBody, responses(
    (status = 200, body = DeclarationView), (status = 404), (status = 409), (status = 422)))]
#[post("/declarations/{id}/withdraw")]
pub async fn withdraw_declaration(
    state: web::Data<AppState>,
    actor: OrgMember,
    path: web::Path<Uuid>,
    body: Json<WithdrawBody>,
) -> ApiResult<web::Json<DeclarationView>> {
    let id = path.into_inner();
    let now = state.clock.now();
    let a = actor.0;
    let reason = body.0.reason;
    let view = db::transaction(&state.pool, move |conn| lifecycle::withdraw(conn, now, &a, id, &reason)).await?;
    Ok(web::Json(view))
}

/// One version: published versions are public; drafts only for the organization.
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path), ("n" = i32, Path)), responses((status = 200, body = DeclarationView), (status = 404)))]
#[get("/declarations/{id}/versions/{n}")]
pub async fn get_version(
    state: web::Data<AppState>,
    actor: MaybeActor,
    path: web::Path<(Uuid, i32)>,
) -> ApiResult<web::Json<DeclarationView>> {
    let (id, n) = path.into_inner();
    let view = db::run(&state.pool, move |conn| decls::get_version_for(conn, actor.0.as_ref(), id, n)).await?;
    Ok(web::Json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub from: i32,
    pub to: i32,
}

/// What changed between two versions, field by field (products matched by name and model,
/// indicators by name). Public for published versions.
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path), DiffQuery), responses((status = 200, body = VersionDiff), (status = 404)))]
#[get("/declarations/{id}/diff")]
pub async fn diff_versions(
    state: web::Data<AppState>,
    actor: MaybeActor,
    path: web::Path<Uuid>,
    q: Query<DiffQuery>,
) -> ApiResult<web::Json<VersionDiff>> {
    let id = path.into_inner();
    let (from, to) = (q.from, q.to);
    let diff = db::run(&state.pool, move |conn| decls::diff_for(conn, actor.0.as_ref(), id, from, to)).await?;
    Ok(web::Json(diff))
}

/// Uploads the standard's full text (a PDF, at most 20 MiB) to the pending draft. Stored by its
/// sha256; the public may download it only when `full_text_public`.
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path)), request_body(content = Vec<u8>, content_type = "application/pdf"), responses(
    (status = 200, body = DeclarationView), (status = 409), (status = 413), (status = 415), (status = 422, description = "not a PDF")))]
#[put("/declarations/{id}/full-text")]
pub async fn put_full_text(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
    actor: OrgMember,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<DeclarationView>> {
    let id = path.into_inner();
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/pdf") {
        return Err(ApiError::new(Code::UnsupportedMediaType, "标准全文须以 application/pdf 上传"));
    }
    let bytes = read_body(&req, &mut payload, UPLOAD_LIMIT).await?;
    if !is_pdf(&bytes) {
        return Err(ApiError::field("full_text", "文件内容不是 PDF"));
    }
    // Check ownership and state before writing the file.
    let a = actor.0;
    let check_actor = a.clone();
    db::run(&state.pool, move |conn| lifecycle::check_attachable(conn, &check_actor, id)).await?;
    let store = BlobStore::new(&state.settings.data_dir);
    let (sha, size) = crate::blocking::run(move || store.put(&bytes).map_err(ApiError::internal)).await?;
    let now = state.clock.now();
    let view =
        db::transaction(&state.pool, move |conn| lifecycle::attach_full_text(conn, now, &a, id, &sha, size)).await?;
    Ok(web::Json(view))
}

/// Downloads the full text: the public when it is public; regulators and the organization always.
#[utoipa::path(tag = "declarations", params(("id" = Uuid, Path)), responses(
    (status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403), (status = 404)))]
#[get("/declarations/{id}/full-text")]
pub async fn get_full_text(
    state: web::Data<AppState>,
    actor: MaybeActor,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let (sha, number) = db::run(&state.pool, move |conn| lifecycle::full_text_for(conn, actor.0.as_ref(), id)).await?;
    let store = BlobStore::new(&state.settings.data_dir);
    let bytes = crate::blocking::run(move || store.read(&sha).map_err(ApiError::internal)).await?;
    let file_name: String =
        number.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Content-Disposition", format!("inline; filename=\"{file_name}.pdf\"")))
        .body(bytes))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// Up to 1000 declaration bodies (each like `POST /declarations`), each checked on its own.
    #[schema(value_type = Vec<DeclarationBody>)]
    pub declarations: Vec<serde_json::Value>,
    /// Publish the valid ones at once (the declarant's commitment is given by this flag).
    #[serde(default)]
    pub publish: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub results: Vec<ItemResult>,
}

/// Creates (and optionally publishes) up to 1000 declarations; each item stands alone. Usable with
/// an API token. Body limit 20 MiB.
#[utoipa::path(tag = "declarations", request_body = BulkBody, responses((status = 200, body = BulkResponse), (status = 422)))]
#[post("/declarations:bulk")]
pub async fn bulk_declarations(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
    actor: OrgMember,
) -> ApiResult<web::Json<BulkResponse>> {
    if !is_json_content_type(&req) {
        return Err(ApiError::of(Code::UnsupportedMediaType));
    }
    let bytes = read_body(&req, &mut payload, UPLOAD_LIMIT).await?;
    let body: BulkBody = crate::extract::parse_json(&bytes)?;
    if body.declarations.is_empty() || body.declarations.len() > bulk::MAX_ITEMS {
        return Err(ApiError::field(
            "declarations",
            format!("应有 1 到 {} 条声明，实际 {} 条", bulk::MAX_ITEMS, body.declarations.len()),
        ));
    }
    let today = state.clock.today();
    let items: Vec<Result<input::Content, ApiError>> = body
        .declarations
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let p = format!("declarations[{i}].");
            let parsed: DeclarationBody = serde_path_to_error::deserialize(value).map_err(|e| {
                let fe = crate::extract::field_error_of(e.path(), &e.inner().to_string());
                ApiError::validation(vec![crate::error::FieldError::new(format!("{p}{}", fe.field), fe.message)])
            })?;
            input::check_body(&parsed, &p, today).map_err(ApiError::validation)
        })
        .collect();
    let now = state.clock.now();
    let publish = body.publish;
    let a = actor.0;
    let results =
        db::transaction(&state.pool, move |conn| bulk::create_many(conn, now, &a, items, publish, today)).await?;
    Ok(web::Json(BulkResponse { results }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `draft`, `public`, `withdrawn`, `abolished` (public lists: not `draft`).
    pub status: Option<String>,
    pub page: Option<i64>,
    /// At most 100; default 20.
    pub per_page: Option<i64>,
}

fn status_filter(s: Option<String>, allow_draft: bool) -> ApiResult<Option<Status>> {
    match s.as_deref().filter(|s| !s.is_empty()).map(Status::parse) {
        None => Ok(None),
        Some(Some(Status::Draft)) if !allow_draft => Err(ApiError::bad_param("status", "公开列表不含草稿")),
        Some(Some(status)) => Ok(Some(status)),
        Some(None) => Err(ApiError::bad_param("status", "应为 draft、public、withdrawn 或 abolished")),
    }
}

/// An organization's published declarations (never drafts), newest first.
#[utoipa::path(tag = "declarations", params(("uscc" = String, Path), ListQuery), responses((status = 200, body = DeclarationList), (status = 404)))]
#[get("/organizations/{uscc}/declarations")]
pub async fn list_organization_declarations(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: Query<ListQuery>,
) -> ApiResult<web::Json<DeclarationList>> {
    let uscc = crate::domain::uscc::Uscc::parse(&path.into_inner()).map_err(|_| ApiError::not_found("组织"))?;
    let q = q.0;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let status = status_filter(q.status, false)?;
    let list =
        db::run(&state.pool, move |conn| decls::list_public_for_uscc(conn, uscc.as_str(), status, page, per_page))
            .await?;
    Ok(web::Json(list))
}

/// The caller's organization's declarations, drafts included.
#[utoipa::path(tag = "declarations", params(ListQuery), responses((status = 200, body = DeclarationList), (status = 403)))]
#[get("/organizations/me/declarations")]
pub async fn list_my_declarations(
    state: web::Data<AppState>,
    actor: OrgMember,
    q: Query<ListQuery>,
) -> ApiResult<web::Json<DeclarationList>> {
    let q = q.0;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let status = status_filter(q.status, true)?;
    let org = actor.org_id()?;
    let list =
        db::run(&state.pool, move |conn| Ok(decls::list_for_organization(conn, org, false, status, page, per_page)?))
            .await?;
    Ok(web::Json(list))
}
