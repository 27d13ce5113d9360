//! Accounts: registration, sign-in, token refresh and logout, the caller, members, API tokens,
//! staff accounts and public organization profiles.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::AuditActor;
use crate::auth::login as sign_in;
use crate::auth::{AnyUser, OrgAdmin, Sysadmin, TokenManager, client_ip};
use crate::db;
use crate::error::{ApiError, ApiResult, Code};
use crate::extract::Json;
use crate::services::accounts::{
    self, OrganizationView, PublicOrganization, RegistrationRaw, Rotation, TokenView, UserView,
};
use crate::services::partners;
use crate::state::AppState;

async fn hash_password(pw: String) -> ApiResult<String> {
    sign_in::hash(pw).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterOrganization {
    /// 统一社会信用代码 (18 characters; lower case accepted).
    pub uscc: String,
    pub name: String,
    /// `enterprise` or `social_organization`.
    pub kind: String,
    /// GB/T 2260 code of the registered address (6 digits).
    pub division_code: String,
    /// GB/T 4754-2017 code such as `C3841`.
    pub industry_code: Option<String>,
    /// Social organizations: the code used in their group standards (`T/CAS ...` -> `CAS`).
    pub group_code: Option<String>,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterUser {
    pub email: String,
    /// At least 10 characters, not a common password.
    pub password: String,
    pub name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub organization: RegisterOrganization,
    pub user: RegisterUser,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    pub organization: OrganizationView,
    pub user: UserView,
}

/// Registers an organization and its first user (org_admin). Regulator and sysadmin accounts can
/// never be created here.
#[utoipa::path(tag = "accounts", request_body = RegisterRequest, responses(
    (status = 201, body = RegisterResponse), (status = 409, description = "duplicate USCC, e-mail or group code"),
    (status = 422, description = "validation failed; details name the fields")))]
#[post("/auth/register")]
pub async fn register(state: web::Data<AppState>, body: Json<RegisterRequest>) -> ApiResult<HttpResponse> {
    let b = body.0;
    let reg = accounts::check_registration(&RegistrationRaw {
        uscc: &b.organization.uscc,
        name: &b.organization.name,
        kind: &b.organization.kind,
        division_code: &b.organization.division_code,
        industry_code: b.organization.industry_code.as_deref(),
        group_code: b.organization.group_code.as_deref(),
        address: b.organization.address.as_deref(),
        contact_phone: b.organization.contact_phone.as_deref(),
        email: &b.user.email,
        password: &b.user.password,
        user_name: &b.user.name,
    })?;
    let hash = hash_password(reg.password.clone()).await?;
    let now = state.clock.now();
    let (organization, user) =
        db::transaction(&state.pool, move |conn| accounts::register(conn, now, &reg, &hash)).await?;
    Ok(HttpResponse::Created().json(RegisterResponse { organization, user }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; exchange at /auth/refresh. Rotates on every use.
    pub refresh_token: String,
    pub user: UserView,
}

fn token_response(state: &AppState, user: accounts::UserRow, refresh_token: String) -> ApiResult<TokenResponse> {
    let version = user.token_version;
    let view = UserView::from(user);
    let access_token = state
        .jwt
        .issue(
            state.clock.now().timestamp(),
            view.id,
            view.role.as_str(),
            view.organization_id,
            view.jurisdiction.clone(),
            version,
        )
        .map_err(ApiError::internal)?;
    Ok(TokenResponse { access_token, token_type: "Bearer", expires_in: state.jwt.ttl_secs, refresh_token, user: view })
}

/// Signs in. Repeated failures are throttled per account and per client IP (429 with Retry-After).
#[utoipa::path(tag = "accounts", request_body = LoginRequest, responses(
    (status = 200, body = TokenResponse), (status = 401, description = "wrong e-mail or password"),
    (status = 429, description = "too many failures; see Retry-After")))]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let ip = client_ip(&req);
    let LoginRequest { email, password } = body.0;
    let user = sign_in::check_credentials(&state, &email, password, &ip).await?;
    let ttl = chrono::Duration::from_std(state.settings.refresh_token_ttl).unwrap_or(chrono::Duration::days(30));
    let now = state.clock.now();
    let user_id = user.id;
    let rt =
        db::transaction(&state.pool, move |conn| Ok(accounts::issue_refresh_token(conn, now, ttl, user_id, None)?))
            .await?;
    Ok(web::Json(token_response(&state, user, rt)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair. Reusing an already-used refresh token revokes the whole
/// session family.
#[utoipa::path(tag = "accounts", request_body = RefreshRequest, responses((status = 200, body = TokenResponse), (status = 401)))]
#[post("/auth/refresh")]
pub async fn refresh(state: web::Data<AppState>, body: Json<RefreshRequest>) -> ApiResult<web::Json<TokenResponse>> {
    let secret = body.0.refresh_token;
    let now = state.clock.now();
    let ttl = chrono::Duration::from_std(state.settings.refresh_token_ttl).unwrap_or(chrono::Duration::days(30));
    let rotation =
        db::transaction(&state.pool, move |conn| accounts::rotate_refresh_token(conn, now, ttl, &secret)).await?;
    match rotation {
        Rotation::Rotated { user, refresh_token } => Ok(web::Json(token_response(&state, user, refresh_token)?)),
        Rotation::ReuseDetected => {
            Err(ApiError::new(Code::InvalidToken, "刷新令牌已被使用过，为安全起见该会话已全部注销，请重新登录")
                .with_code("refresh_token_reused"))
        }
    }
}

/// Ends the session of a refresh token and every access token of its user issued so far (other
/// sessions exchange their refresh token for a new one); idempotent.
#[utoipa::path(tag = "accounts", request_body = RefreshRequest, responses((status = 204)))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, body: Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    let secret = body.0.refresh_token;
    let now = state.clock.now();
    db::transaction(&state.pool, move |conn| Ok(accounts::logout(conn, now, &secret)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeOrganization {
    pub id: Uuid,
    pub uscc: String,
    pub name: String,
    pub kind: String,
    pub division_code: String,
    pub group_code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<MeOrganization>,
    /// Set when the caller authenticated with an API token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_token_id: Option<Uuid>,
}

/// The caller and their organization.
#[utoipa::path(tag = "accounts", responses((status = 200, body = MeResponse), (status = 401)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, actor: AnyUser) -> ApiResult<web::Json<MeResponse>> {
    let a = actor.0;
    let res = db::run(&state.pool, move |conn| {
        let user: UserView = accounts::get_user(conn, a.user_id)?.into();
        let organization = match a.organization_id {
            Some(id) => {
                let o = accounts::get_organization(conn, id)?;
                Some(MeOrganization {
                    id: o.id,
                    uscc: o.uscc,
                    name: o.name,
                    kind: o.kind,
                    division_code: o.division_code,
                    group_code: o.group_code,
                })
            }
            None => None,
        };
        Ok(MeResponse { user, organization, api_token_id: a.api_token_id })
    })
    .await?;
    Ok(web::Json(res))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub email: String,
    pub password: String,
    pub name: String,
    /// `org_admin` or `org_member`.
    pub role: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserResponse {
    pub user: UserView,
}

/// Adds a member to the caller's organization (org_admin).
#[utoipa::path(tag = "accounts", request_body = NewMember, responses((status = 201, body = UserResponse), (status = 403), (status = 409), (status = 422)))]
#[post("/organizations/me/members")]
pub async fn add_member(state: web::Data<AppState>, actor: OrgAdmin, body: Json<NewMember>) -> ApiResult<HttpResponse> {
    let input = accounts::check_member(&body.email, &body.password, &body.name, &body.role)?;
    let hash = hash_password(input.password.clone()).await?;
    let now = state.clock.now();
    let a = actor.0;
    let user = db::transaction(&state.pool, move |conn| accounts::add_member(conn, now, &a, &input, &hash)).await?;
    Ok(HttpResponse::Created().json(UserResponse { user }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberList {
    pub items: Vec<UserView>,
}

/// Members of the caller's organization (org_admin).
#[utoipa::path(tag = "accounts", responses((status = 200, body = MemberList), (status = 403)))]
#[get("/organizations/me/members")]
pub async fn list_members(state: web::Data<AppState>, actor: OrgAdmin) -> ApiResult<web::Json<MemberList>> {
    let org = actor.org_id()?;
    let items = db::run(&state.pool, move |conn| Ok(accounts::list_members(conn, org)?)).await?;
    Ok(web::Json(MemberList { items }))
}

/// Removes (deactivates) a member of the caller's organization and ends their sessions.
#[utoipa::path(tag = "accounts", params(("user_id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404), (status = 409)))]
#[delete("/organizations/me/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    actor: OrgAdmin,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let user_id = path.into_inner();
    let now = state.clock.now();
    let a = actor.0;
    db::transaction(&state.pool, move |conn| accounts::remove_member(conn, now, &a, user_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// 1..3650; omitted: the token does not expire.
    pub expires_in_days: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    /// Shown once: store it now.
    pub token: String,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Creates an API token for the caller's organization (org_admin) or, for a partner, its own. The
/// secret is shown once.
#[utoipa::path(tag = "accounts", request_body = NewToken, responses((status = 201, body = CreatedToken), (status = 403), (status = 422)))]
#[post("/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    actor: TokenManager,
    body: Json<NewToken>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let a = actor.0;
    let NewToken { name, expires_in_days } = body.0;
    let (view, token) =
        db::transaction(&state.pool, move |conn| accounts::create_token(conn, now, &a, &name, expires_in_days)).await?;
    Ok(HttpResponse::Created().json(CreatedToken { id: view.id, name: view.name, token, expires_at: view.expires_at }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// The API tokens of the caller's organization, or a partner's own (never their secrets).
#[utoipa::path(tag = "accounts", responses((status = 200, body = TokenList), (status = 403)))]
#[get("/tokens")]
pub async fn list_tokens(state: web::Data<AppState>, actor: TokenManager) -> ApiResult<web::Json<TokenList>> {
    let a = actor.0;
    let items = db::run(&state.pool, move |conn| accounts::list_tokens(conn, &a)).await?;
    Ok(web::Json(TokenList { items }))
}

/// Revokes an API token of the caller's organization (or a partner's own).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), responses((status = 204), (status = 404)))]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    actor: TokenManager,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let now = state.clock.now();
    let a = actor.0;
    db::transaction(&state.pool, move |conn| accounts::revoke_token(conn, now, &a, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    pub password: String,
    pub name: String,
    /// `regulator`, `sysadmin` or `partner` (a marketplace or another machine client: no
    /// organization, no jurisdiction; it signs in and creates its own API tokens).
    pub role: String,
    /// Regulators: their division code (500000 = all of Chongqing).
    pub jurisdiction: Option<String>,
}

/// Creates a regulator, sysadmin or partner account (sysadmin).
#[utoipa::path(tag = "accounts", request_body = NewStaff, responses((status = 201, body = UserResponse), (status = 403), (status = 409), (status = 422)))]
#[post("/admin/users")]
pub async fn create_staff(
    state: web::Data<AppState>,
    actor: Sysadmin,
    body: Json<NewStaff>,
) -> ApiResult<HttpResponse> {
    let input =
        accounts::check_staff(&body.email, &body.password, &body.name, &body.role, body.jurisdiction.as_deref())?;
    let hash = hash_password(input.password.clone()).await?;
    let now = state.clock.now();
    let by = AuditActor::of(&actor);
    let user = db::transaction(&state.pool, move |conn| accounts::create_staff(conn, now, &by, &input, &hash)).await?;
    Ok(HttpResponse::Created().json(UserResponse { user }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PartnerList {
    pub items: Vec<PartnerView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PartnerView {
    #[serde(flatten)]
    pub user: UserView,
    /// API tokens it holds that are neither revoked nor expired.
    pub live_tokens: i64,
}

/// The partner accounts (sysadmin): marketplaces and other machine clients.
#[utoipa::path(tag = "accounts", responses((status = 200, body = PartnerList), (status = 403)))]
#[get("/admin/partners")]
pub async fn list_partners(state: web::Data<AppState>, _actor: Sysadmin) -> ApiResult<web::Json<PartnerList>> {
    let now = state.clock.now();
    let (partners, counts) =
        db::run(&state.pool, move |conn| Ok((partners::list(conn)?, partners::live_token_counts(conn, now)?))).await?;
    let counts: std::collections::HashMap<Uuid, i64> = counts.into_iter().collect();
    let items = partners
        .into_iter()
        .map(|user| PartnerView { live_tokens: counts.get(&user.id).copied().unwrap_or(0), user })
        .collect();
    Ok(web::Json(PartnerList { items }))
}

/// An organization's public profile and declaration counts (never contacts or users).
#[utoipa::path(tag = "accounts", params(("uscc" = String, Path)), responses((status = 200, body = PublicOrganization), (status = 404)))]
#[get("/organizations/{uscc}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<web::Json<PublicOrganization>> {
    let uscc = crate::domain::uscc::Uscc::parse(&path.into_inner()).map_err(|_| ApiError::not_found("组织"))?;
    let org = db::run(&state.pool, move |conn| accounts::public_organization(conn, uscc.as_str())).await?;
    Ok(web::Json(org))
}
