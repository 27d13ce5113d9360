//! Signing in and out, and changing one's password. Sign-in uses the API's rule
//! ([`crate::auth::login::check_credentials`]: the same throttling per account and per IP) and
//! starts a server-side session; sign-out revokes it; a password change keeps the policy of
//! registration and ends every other session and refresh token of the user.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Area, Ctx, Errors, Form, Input, SignedIn, see_other, session_cookie, session_of};
use crate::auth::{client_ip, login};
use crate::db;
use crate::error::{Code, FieldError};
use crate::services::{accounts, sessions};
use crate::state::AppState;
use crate::web::WebState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, render, strings};

#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub next: String,
    pub email: Input,
    pub password: Input,
    pub message: Option<String>,
    pub notice: Option<String>,
}

/// Only paths of this site, never another origin (`//host`, `/\host`): printable ASCII (what the
/// redirect to `/login` writes, percent-encoded), no backslash anywhere, and no control character,
/// which browsers drop (`/\t/host` is `//host` to them) and a `Location` header cannot carry.
fn safe_next(next: &str) -> Option<String> {
    let printable = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    let ok = printable && next.starts_with('/') && !next.starts_with("//") && next.len() < 500;
    ok.then(|| next.to_string())
}

fn login_page(t: &'static Strings, csrf: String, form: &Form, message: Option<String>) -> LoginPage {
    let errors = Errors::default();
    LoginPage {
        t,
        chrome: Chrome::new(t, t.console.login_title, ""),
        csrf,
        next: form.opt("next").and_then(|n| safe_next(&n)).unwrap_or_default(),
        email: Input::new("email", "email", t.console.email, form, &errors).autocomplete("username").max(254),
        password: Input::new("password", "password", t.console.password, &Form::default(), &errors)
            .autocomplete("current-password")
            .max(1024),
        message,
        notice: form.has("signed_out").then(|| t.console.signed_out.to_string()),
    }
}

fn respond(page: &LoginPage, status: StatusCode, cookie: Option<actix_web::cookie::Cookie<'static>>) -> HttpResponse {
    let mut res = render(status, page);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

pub async fn login_form(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> HttpResponse {
    let t = strings(&req);
    if let Ok(Some(user)) = session_of(&req, &state).await {
        return see_other(Area::of(user.actor.role).home());
    }
    let q = Form::parse(req.query_string().as_bytes());
    let (csrf, cookie) = ws.csrf.issue(&req);
    respond(&login_page(t, csrf, &q, None), StatusCode::OK, cookie)
}

pub async fn login(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    ws: web::Data<WebState>,
) -> HttpResponse {
    let t = strings(&req);
    let form = match Form::read_checked(&req, payload, &ws).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let (csrf, cookie) = ws.csrf.issue(&req);
    let ip = client_ip(&req);
    let user = match login::check_credentials(&state, &form.get("email"), form.get("password"), &ip).await {
        Ok(u) => u,
        Err(e) => {
            let (status, message) = match e.code {
                Code::InvalidCredentials => (StatusCode::UNAUTHORIZED, t.console.login_failed.to_string()),
                _ => (e.code.status(), e.message.to_string()),
            };
            let mut res = respond(&login_page(t, csrf, &form, Some(message)), status, cookie);
            if let Some(secs) = e.retry_after {
                res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            return res;
        }
    };
    let now = state.clock.now();
    let old = req.cookie(super::SESSION_COOKIE).map(|c| c.value().to_string());
    let user_id = user.id;
    let created = db::transaction(&state.pool, move |conn| {
        if let Some(old) = old {
            sessions::revoke(conn, now, &old)?;
        }
        Ok(sessions::create(conn, now, user_id)?)
    })
    .await;
    let secret = match created {
        Ok(s) => s,
        Err(e) => return crate::web::page::PageError { error: e, req: req.clone() }.into_page(),
    };
    let role = crate::domain::actor::Role::parse(&user.role).unwrap_or(crate::domain::actor::Role::OrgMember);
    let home = Area::of(role).home();
    let target = form
        .opt("next")
        .and_then(|n| safe_next(&n))
        .filter(|n| n.starts_with(home) || n.starts_with("/account"))
        .unwrap_or_else(|| home.to_string());
    let mut res = see_other(&target);
    let _ = res.add_cookie(&session_cookie(&req, Some(&secret)));
    res
}

pub async fn logout(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    ws: web::Data<WebState>,
) -> HttpResponse {
    if let Err(res) = Form::read_checked(&req, payload, &ws).await {
        return res;
    }
    if let Some(secret) = req.cookie(super::SESSION_COOKIE).map(|c| c.value().to_string()) {
        let now = state.clock.now();
        if let Err(e) = db::transaction(&state.pool, move |conn| Ok(sessions::revoke(conn, now, &secret)?)).await {
            return crate::web::page::PageError { error: e, req: req.clone() }.into_page();
        }
    }
    let mut res = see_other("/login?signed_out=1");
    let _ = res.add_cookie(&session_cookie(&req, None));
    res
}

#[derive(Template)]
#[template(path = "console/password.html")]
pub struct PasswordPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    pub notice: Option<String>,
}

fn password_page(ctx: &Ctx, errors: &Errors, notice: Option<String>) -> PasswordPage {
    let t = ctx.t;
    let empty = Form::default();
    let pw = |name: &str, label: &str, auto: &'static str| {
        Input::new("password", name, label, &empty, errors).autocomplete(auto).max(128).required()
    };
    let label = |f: &str| match f {
        "current_password" => t.console.current_password,
        "new_password" => t.console.new_password,
        _ => t.console.confirm_password,
    };
    PasswordPage {
        t,
        chrome: ctx.chrome(t.console.password_title, "password"),
        csrf: ctx.csrf.clone(),
        summary: errors.summary(|f| label(f).to_string()),
        fields: vec![
            pw("current_password", t.console.current_password, "current-password"),
            pw("new_password", t.console.new_password, "new-password").hint(t.console.password_hint),
            pw("confirm_password", t.console.confirm_password, "new-password"),
        ],
        notice,
    }
}

pub async fn password_form(ctx: SignedIn) -> HttpResponse {
    ctx.page(StatusCode::OK, &password_page(&ctx, &Errors::default(), None))
}

pub async fn change_password(ctx: SignedIn, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let t = ctx.t;
    let state = ctx.state.clone();
    let actor = ctx.actor();
    let user_id = actor.user_id;
    let user = match db::run(&state.pool, move |conn| Ok(accounts::get_user(conn, user_id)?)).await {
        Ok(u) => u,
        Err(e) => return ctx.error(e),
    };
    let refuse = |errors: Vec<FieldError>| {
        ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &password_page(&ctx, &Errors::new(errors), None))
    };
    match login::verify_current(&state, &user, form.get("current_password"), &client_ip(&ctx.req)).await {
        Ok(true) => {}
        Ok(false) => return refuse(vec![FieldError::new("current_password", t.console.current_password_wrong)]),
        Err(e) if e.code == Code::RateLimited => {
            let errors = Errors::new(vec![FieldError::new("current_password", e.message.to_string())]);
            let mut res = ctx.page(StatusCode::TOO_MANY_REQUESTS, &password_page(&ctx, &errors, None));
            if let Some(secs) = e.retry_after {
                res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            return res;
        }
        Err(e) => return ctx.error(e),
    }
    let new = form.get("new_password");
    if let Err(e) = accounts::check_new_password(&user, &new) {
        return refuse(e.details);
    }
    if new != form.get("confirm_password") {
        return refuse(vec![FieldError::new("confirm_password", t.console.confirm_mismatch)]);
    }
    let hash = match login::hash(new).await {
        Ok(h) => h,
        Err(e) => return ctx.error(e),
    };
    let now = state.clock.now();
    let keep = ctx.user.session_id;
    if let Err(e) =
        db::transaction(&state.pool, move |conn| accounts::set_password(conn, now, &actor, &hash, Some(keep))).await
    {
        return ctx.error(e);
    }
    ctx.page(StatusCode::OK, &password_page(&ctx, &Errors::default(), Some(t.console.password_changed.to_string())))
}
