//! The consoles: `/login` and `/account/...` for everyone signed in, `/console/...` for
//! organizations, `/regulator/...` for regulators, `/admin/...` for sysadmins.
//!
//! A page handler names who may open it in its signature ([`OrgUser`], [`OrgAdminUser`],
//! [`RegulatorUser`], [`AdminUser`]): the extractor resolves the session cookie to the same
//! [`Actor`](crate::domain::actor::Actor) as the API, sends people without a live session to `/login`, and
//! answers a 403 page to the wrong role. Every form posts with a CSRF token ([`Ctx::form`]); every
//! action calls the same service function as the API inside `db::transaction`, and a refusal shows
//! the service's field errors next to the fields, with what was typed.

pub mod account;
pub mod admin;
pub mod admin_catalog;
pub mod decl_form;
pub mod declarations;
pub mod form;
pub mod inspections;
pub mod members;
pub mod rectifications;
pub mod register;
pub mod regulator;
pub mod regulator_complaints;
pub mod regulator_indicators;
pub mod regulator_more;

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;

use super::WebState;
use super::i18n::Strings;
use super::page::{AccountBar, Chrome, NavItem, render, status_page, strings};
use crate::db;
use crate::domain::actor::Role;
use crate::error::ApiError;
use crate::services::sessions::{self, SessionUser};
use crate::state::AppState;
pub use form::{Errors, Form, Input};

/// The cookie that holds the session secret.
pub const SESSION_COOKIE: &str = "stdreg_session";

/// Which console a page belongs to (its navigation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Org,
    Regulator,
    Admin,
    Partner,
}

impl Area {
    pub fn of(role: Role) -> Self {
        match role {
            Role::OrgAdmin | Role::OrgMember => Area::Org,
            Role::Regulator => Area::Regulator,
            Role::Sysadmin => Area::Admin,
            Role::Partner => Area::Partner,
        }
    }

    /// The start page of the console.
    pub fn home(self) -> &'static str {
        match self {
            Area::Org => "/console",
            Area::Regulator => "/regulator",
            Area::Admin => "/admin",
            Area::Partner => "/partner",
        }
    }
}

/// What a console page needs: the request, the state, the signed-in user and a CSRF token.
pub struct Ctx {
    pub t: &'static Strings,
    pub req: HttpRequest,
    pub state: web::Data<AppState>,
    pub ws: web::Data<WebState>,
    pub user: SessionUser,
    pub csrf: String,
    csrf_cookie: Option<Cookie<'static>>,
}

impl Ctx {
    pub fn actor(&self) -> crate::domain::actor::Actor {
        self.user.actor.clone()
    }

    /// The layout of a console page: this console's navigation and the account bar.
    pub fn chrome(&self, title: impl Into<String>, active: &str) -> Chrome {
        let area = Area::of(self.user.actor.role);
        console_chrome(self.t, title, area, active, self.user.actor.role == Role::OrgAdmin, account_bar(self))
    }

    /// Renders a page with the CSRF cookie when one was issued; never cached.
    pub fn page<T: Template>(&self, status: StatusCode, tmpl: &T) -> HttpResponse {
        finish(render(status, tmpl), self.csrf_cookie.as_ref())
    }

    /// Reads a form post (URL-encoded, at most 256 KiB) and checks its CSRF token; the refusal is
    /// the 403 page.
    pub async fn form(&self, payload: web::Payload) -> Result<Form, HttpResponse> {
        let form = Form::read(&self.req, payload).await?;
        if !self.ws.csrf.verify(&self.req, form.opt("csrf_token").as_deref()) {
            return Err(super::page::csrf_refused(&self.req));
        }
        Ok(form)
    }

    /// A service error as a page (its message and status).
    pub fn error(&self, e: ApiError) -> HttpResponse {
        super::page::PageError { error: e, req: self.req.clone() }.error_response()
    }
}

/// The layout of a console page: the console's own navigation and the account bar.
fn console_chrome(
    t: &'static Strings,
    title: impl Into<String>,
    area: Area,
    active: &str,
    org_admin: bool,
    account: AccountBar,
) -> Chrome {
    let c = &t.console;
    let items: Vec<(&'static str, &'static str, &'static str)> = match area {
        Area::Org => {
            let mut v = vec![
                ("home", "/console", c.nav_org_home),
                ("declarations", "/console/declarations", c.nav_declarations),
                ("inspections", "/console/inspections", c.nav_inspections),
            ];
            if org_admin {
                v.push(("members", "/console/members", c.nav_members));
                v.push(("tokens", "/console/tokens", c.nav_tokens));
            }
            v
        }
        Area::Regulator => vec![
            ("home", "/regulator", c.nav_reg_home),
            ("campaigns", "/regulator/campaigns", c.nav_campaigns),
            ("complaints", "/regulator/complaints", c.nav_complaints),
            ("flags", "/regulator/flags", c.nav_flags),
            ("indicators", "/regulator/indicators", c.nav_indicators),
            ("audit", "/regulator/audit", c.nav_audit),
        ],
        Area::Admin => vec![
            ("home", "/admin", c.nav_admin_home),
            ("users", "/admin/users", c.nav_users),
            ("reindex", "/admin/reindex", c.nav_reindex),
            ("catalog", "/admin/catalog", c.nav_catalog),
            ("audit", "/admin/audit", c.nav_audit_chain),
        ],
        Area::Partner => vec![("tokens", "/partner/tokens", c.nav_tokens)],
    };
    let mut chrome = Chrome::new(t, title, "");
    chrome.nav = items.into_iter().map(|(k, href, label)| NavItem { href, label, current: k == active }).collect();
    chrome.account = Some(account);
    chrome.sign_in = false;
    chrome
}

fn account_bar(ctx: &Ctx) -> AccountBar {
    let t = ctx.t;
    AccountBar {
        name: ctx.user.name.clone(),
        role: t.label(t.console.roles, ctx.user.actor.role.as_str()),
        csrf: ctx.csrf.clone(),
    }
}

fn finish(mut res: HttpResponse, cookie: Option<&Cookie<'static>>) -> HttpResponse {
    if let Some(c) = cookie {
        let _ = res.add_cookie(c);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `303 See Other` to a page (after a successful post).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The session cookie with a secret (or cleared when `None`). Secure over TLS.
pub fn session_cookie(req: &HttpRequest, secret: Option<&str>) -> Cookie<'static> {
    let secure = req.connection_info().scheme() == "https";
    let mut c = Cookie::build(SESSION_COOKIE, secret.unwrap_or_default().to_string())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    match secret {
        Some(_) => c.set_max_age(actix_web::cookie::time::Duration::seconds(sessions::ABSOLUTE.num_seconds())),
        None => c.make_removal(),
    }
    c
}

/// Why a console page was not shown.
#[derive(Debug)]
pub enum Denied {
    /// No live session: to the sign-in page, then back here.
    SignIn(String),
    /// Signed in with another role.
    Forbidden(HttpRequest),
    /// The database failed.
    Failed(ApiError, HttpRequest),
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denied::SignIn(_) => f.write_str("sign-in required"),
            Denied::Forbidden(_) => f.write_str("forbidden"),
            Denied::Failed(e, _) => e.fmt(f),
        }
    }
}

impl ResponseError for Denied {
    fn status_code(&self) -> StatusCode {
        match self {
            Denied::SignIn(_) => StatusCode::SEE_OTHER,
            Denied::Forbidden(_) => StatusCode::FORBIDDEN,
            Denied::Failed(e, _) => e.code.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Denied::SignIn(next) => see_other(&format!("/login?next={}", enc(next))),
            Denied::Forbidden(req) => {
                let t = strings(req);
                status_page(req, StatusCode::FORBIDDEN, Some(t.console.forbidden_role.to_string()))
            }
            Denied::Failed(e, req) => {
                let mut res =
                    super::page::PageError { error: ApiError::new(e.code, e.message.clone()), req: req.clone() }
                        .error_response();
                e.mark_cause(&mut res);
                res
            }
        }
    }
}

/// The signed-in user of a request, if the session cookie names a live session.
pub async fn session_of(req: &HttpRequest, state: &AppState) -> Result<Option<SessionUser>, ApiError> {
    let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let now = state.clock.now();
    db::run(&state.pool, move |conn| Ok(sessions::resolve(conn, now, &secret)?)).await
}

async fn context(req: HttpRequest, allowed: fn(&SessionUser) -> bool) -> Result<Ctx, Denied> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| Denied::Failed(ApiError::internal(anyhow::anyhow!("app state missing")), req.clone()))?;
    let ws = req
        .app_data::<web::Data<WebState>>()
        .cloned()
        .ok_or_else(|| Denied::Failed(ApiError::internal(anyhow::anyhow!("web state missing")), req.clone()))?;
    let user = session_of(&req, &state).await.map_err(|e| Denied::Failed(e, req.clone()))?;
    let Some(user) = user else {
        let next = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let next = if req.method() == actix_web::http::Method::GET { next } else { req.path().to_string() };
        return Err(Denied::SignIn(next));
    };
    if !allowed(&user) {
        return Err(Denied::Forbidden(req));
    }
    let (csrf, csrf_cookie) = ws.csrf.issue(&req);
    Ok(Ctx { t: strings(&req), req, state, ws, user, csrf, csrf_cookie })
}

type CtxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Denied>>>>;

macro_rules! console_user {
    ($(#[$doc:meta])* $name:ident, $allowed:expr) => {
        $(#[$doc])*
        pub struct $name(pub Ctx);

        impl FromRequest for $name {
            type Error = Denied;
            type Future = CtxFuture<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { context(req, $allowed).await.map($name) })
            }
        }

        impl std::ops::Deref for $name {
            type Target = Ctx;
            fn deref(&self) -> &Ctx {
                &self.0
            }
        }
    };
}

console_user!(
    /// Anyone signed in (the account pages).
    SignedIn,
    |_| true
);
console_user!(
    /// A member or admin of an organization.
    OrgUser,
    |u| u.actor.role.is_org()
);
console_user!(
    /// An organization's administrator (members and API tokens).
    OrgAdminUser,
    |u| u.actor.role == Role::OrgAdmin
);
console_user!(
    /// Whoever manages API tokens: an organization's administrator or a partner.
    TokenManagerUser,
    |u| matches!(u.actor.role, Role::OrgAdmin | Role::Partner)
);
console_user!(
    /// A partner (a marketplace or another machine client).
    PartnerUser,
    |u| u.actor.role == Role::Partner
);
console_user!(
    /// Market regulation staff.
    RegulatorUser,
    |u| u.actor.role == Role::Regulator
);
console_user!(
    /// An operator.
    AdminUser,
    |u| u.actor.role == Role::Sysadmin
);

/// Registers the console pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{get, post};
    cfg.route("/login", get().to(account::login_form))
        .route("/login", post().to(account::login))
        .route("/logout", post().to(account::logout))
        .route("/account/password", get().to(account::password_form))
        .route("/account/password", post().to(account::change_password))
        .route("/console/register", get().to(register::form))
        .route("/console/register", post().to(register::submit))
        .route("/console", get().to(declarations::dashboard))
        .route("/console/declarations", get().to(declarations::list))
        .route("/console/declarations/new", get().to(decl_form::new_form))
        .route("/console/declarations/new", post().to(decl_form::create))
        .route("/console/declarations/{id}", get().to(declarations::show))
        .route("/console/declarations/{id}/edit", get().to(decl_form::edit_form))
        .route("/console/declarations/{id}/edit", post().to(decl_form::update))
        .route("/console/declarations/{id}/publish", post().to(declarations::publish))
        .route("/console/declarations/{id}/revise", post().to(declarations::revise))
        .route("/console/declarations/{id}/apply-replacements", post().to(declarations::apply_replacements))
        .route("/console/declarations/{id}/withdraw", post().to(declarations::withdraw))
        .route("/console/declarations/{id}/full-text", post().to(declarations::upload_full_text))
        .route("/console/inspections", get().to(inspections::list))
        .route("/console/inspections/{id}", get().to(inspections::show))
        .route("/console/inspections/{id}/response", post().to(inspections::respond))
        .route("/console/rectifications/{id}", get().to(rectifications::show))
        .route("/console/rectifications/{id}/response", post().to(rectifications::respond))
        .route("/regulator/rectifications/{id}/close", post().to(rectifications::close))
        .route("/console/members", get().to(members::members))
        .route("/console/members", post().to(members::add_member))
        .route("/console/members/{id}/remove", post().to(members::remove_member))
        .route("/console/tokens", get().to(members::tokens))
        .route("/console/tokens", post().to(members::create_token))
        .route("/console/tokens/{id}/revoke", post().to(members::revoke_token))
        .route("/regulator", get().to(regulator::dashboard))
        .route("/regulator/campaigns", get().to(regulator::campaigns))
        .route("/regulator/campaigns/new", get().to(regulator::new_campaign))
        .route("/regulator/campaigns/new", post().to(regulator::create_campaign))
        .route("/regulator/campaigns/{id}", get().to(regulator::campaign))
        .route("/regulator/campaigns/{id}/draw", post().to(regulator::draw))
        .route("/regulator/campaigns/{id}/close", post().to(regulator::close))
        .route("/regulator/inspections/{id}", get().to(regulator_more::inspection))
        .route("/regulator/inspections/{id}/result", post().to(regulator_more::record_result))
        .route("/regulator/inspections/{id}/close", post().to(regulator_more::close_inspection))
        .route("/regulator/inspections/{id}/not-inspected", post().to(regulator_more::not_inspected))
        .route("/regulator/complaints", get().to(regulator_complaints::queue))
        .route("/regulator/complaints/{id}", get().to(regulator_complaints::complaint))
        .route("/regulator/complaints/{id}/{action}", post().to(regulator_complaints::act))
        .route("/regulator/complaints/{id}/reveal", get().to(regulator_complaints::reveal_confirm))
        .route("/regulator/indicators", get().to(regulator_indicators::indicators))
        .route("/regulator/flags", get().to(regulator_more::flags))
        .route("/regulator/flags", post().to(regulator_more::raise_flag))
        .route("/regulator/flags/{id}/resolve", post().to(regulator_more::resolve_flag))
        .route("/regulator/audit", get().to(regulator_more::audit))
        .route("/regulator/eligible-count", get().to(regulator::eligible_count))
        .route("/partner", get().to(admin::partner_home))
        .route("/partner/tokens", get().to(members::tokens))
        .route("/partner/tokens", post().to(members::create_token))
        .route("/partner/tokens/{id}/revoke", post().to(members::revoke_token))
        .route("/admin", get().to(admin::home))
        .route("/admin/users", get().to(admin::users))
        .route("/admin/users", post().to(admin::create_user))
        .route("/admin/reindex", get().to(admin::reindex_page))
        .route("/admin/reindex", post().to(admin::start_reindex))
        .route("/admin/audit", get().to(admin::audit))
        .route("/admin/catalog", get().to(admin_catalog::catalog_page))
        .route("/admin/catalog/preview", post().to(admin_catalog::preview))
        .route("/admin/catalog/apply", post().to(admin_catalog::apply));
}
