//! The sysadmins' pages: create regulator (and sysadmin) accounts through the API's
//! `check_staff`/`create_staff`; run a reindex in the background and follow its progress on a page
//! that refreshes itself with an HTTP `Refresh` header (no script, nothing inline for the CSP); the
//! audit chain's head and a fresh verification; the audit trail.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::declarations::notice;
use super::{AdminUser, Ctx, Errors, Form, Input, see_other};
use crate::audit::{self, AuditActor, Head, Verification};
use crate::auth::login;
use crate::db;
use crate::error::{ApiError, Code};
use crate::search::reindex;
use crate::services::accounts::{self, UserView};
use crate::services::partners;
use crate::web::format;
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

#[derive(Template)]
#[template(path = "console/admin_home.html")]
pub struct HomePage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub head: Head,
}

pub async fn home(ctx: AdminUser) -> HttpResponse {
    match db::run(&ctx.state.pool, |conn| Ok(audit::head(conn)?)).await {
        Ok(head) => {
            let t = ctx.t;
            ctx.page(StatusCode::OK, &HomePage { t, chrome: ctx.chrome(t.console.admin_home_title, "home"), head })
        }
        Err(e) => ctx.error(e),
    }
}

/// A partner's start page: its API tokens for now.
pub async fn partner_home(_ctx: super::PartnerUser) -> HttpResponse {
    see_other("/partner/tokens")
}

#[derive(Template)]
#[template(path = "console/admin_users.html")]
pub struct UsersPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub staff: Vec<UserView>,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    pub notice: Option<String>,
}

impl UsersPage {
    pub fn role(&self, r: &crate::domain::actor::Role) -> &'static str {
        self.t.codes_label(self.t.console.roles, r.as_str())
    }
}

async fn users_page(ctx: &Ctx, form: &Form, errors: &Errors) -> Result<UsersPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let staff = db::run(&ctx.state.pool, |conn| {
        let mut staff = accounts::regulators_near(conn, "")?;
        staff.extend(partners::list(conn)?);
        Ok(staff)
    })
    .await?;
    let roles = ["regulator", "sysadmin", "partner"]
        .into_iter()
        .map(|r| (r.to_string(), t.label(c.roles, r).to_string()))
        .collect();
    Ok(UsersPage {
        t,
        chrome: ctx.chrome(c.users_title, "users"),
        csrf: ctx.csrf.clone(),
        staff,
        summary: errors.summary(|f| t.label(c.staff_fields, f).to_string()),
        fields: vec![
            Input::text("name", c.user_name, form, errors).required().max(50),
            Input::new("email", "email", c.email, form, errors).required().max(254),
            Input::new("password", "password", c.initial_password, &Form::default(), errors)
                .hint(c.password_hint)
                .required()
                .autocomplete("new-password"),
            Input::new("select", "role", c.role, form, errors).options(roles),
            Input::text("jurisdiction", c.jurisdiction, form, errors).hint(c.jurisdiction_hint).max(6).class("narrow"),
        ],
        notice: notice(t, ctx),
    })
}

pub async fn users(ctx: AdminUser) -> HttpResponse {
    let mut form = Form::default();
    form.set("role", "regulator");
    match users_page(&ctx, &form, &Errors::default()).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

pub async fn create_user(ctx: AdminUser, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let refused = |e: ApiError| {
        let ctx = &ctx;
        let form = &form;
        async move {
            if !matches!(e.code, Code::Validation | Code::Conflict) {
                return ctx.error(e);
            }
            match users_page(ctx, form, &Errors::from_api(&e, "email")).await {
                Ok(p) => ctx.page(e.code.status(), &p),
                Err(e) => ctx.error(e),
            }
        }
    };
    let jurisdiction = form.opt("jurisdiction");
    let input = match accounts::check_staff(
        &form.get("email"),
        &form.get("password"),
        &form.get("name"),
        &form.get("role"),
        jurisdiction.as_deref(),
    ) {
        Ok(i) => i,
        Err(e) => return refused(e).await,
    };
    let hash = match login::hash(input.password.clone()).await {
        Ok(h) => h,
        Err(e) => return ctx.error(e),
    };
    let now = ctx.state.clock.now();
    let by = AuditActor::of(&ctx.user.actor);
    match db::transaction(&ctx.state.pool, move |conn| accounts::create_staff(conn, now, &by, &input, &hash)).await {
        Ok(_) => see_other("/admin/users?done=staff_created"),
        Err(e) => refused(e).await,
    }
}

// ---------------------------------------------------------------- reindex

#[derive(Template)]
#[template(path = "console/admin_reindex.html")]
pub struct ReindexPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub running: bool,
    pub status: Option<String>,
    pub percent: usize,
    pub result: Option<String>,
    pub failed: bool,
}

pub async fn reindex_page(ctx: AdminUser) -> HttpResponse {
    let t = ctx.t;
    let c = &t.console;
    let (running, status, percent, result, failed) = {
        let job = ctx.state.reindex_job.snapshot();
        match job.as_ref() {
            None => (false, None, 0, None, false),
            Some(j) => {
                let total = j.progress.total.load(std::sync::atomic::Ordering::Relaxed);
                let copied = j.progress.copied.load(std::sync::atomic::Ordering::Relaxed);
                let percent = (copied * 100).checked_div(total).unwrap_or(0).min(100);
                let status =
                    t.fill(c.reindex_started, &[&format::datetime(j.started_at), &j.started_by, &copied, &total]);
                match &j.outcome {
                    None => (true, Some(status), percent, None, false),
                    Some(Ok(r)) => {
                        let words = t.fill(c.reindex_done, &[&r.documents, &r.requeued, &format!("{:.1}", r.seconds)]);
                        (false, Some(status), 100, Some(words), false)
                    }
                    Some(Err(e)) => (false, Some(status), percent, Some(t.fill1(c.reindex_failed, e)), true),
                }
            }
        }
    };
    let page = ReindexPage {
        t,
        chrome: ctx.chrome(c.reindex_title, "reindex"),
        csrf: ctx.csrf.clone(),
        running,
        status,
        percent,
        result,
        failed,
    };
    let mut res = ctx.page(StatusCode::OK, &page);
    if running {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("refresh"),
            actix_web::http::header::HeaderValue::from_static("2"),
        );
    }
    res
}

pub async fn start_reindex(ctx: AdminUser, payload: web::Payload) -> HttpResponse {
    if let Err(res) = ctx.form(payload).await {
        return res;
    }
    let Some(progress) = ctx.state.reindex_job.begin(ctx.state.clock.now(), ctx.user.name.clone()) else {
        return see_other("/admin/reindex");
    };
    let state = ctx.state.clone();
    actix_web::rt::spawn(async move {
        let outcome = reindex::reindex_tracked(&state.pool, &state.search, false, Some(&progress)).await.map_err(|e| {
            tracing::error!(error = %e, "reindex from the admin page failed");
            e.to_string()
        });
        state.reindex_job.finish(outcome);
    });
    see_other("/admin/reindex")
}

// ---------------------------------------------------------------- audit chain

#[derive(Template)]
#[template(path = "console/admin_audit.html")]
pub struct AuditChainPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub head: Head,
    pub intact: bool,
    pub verdict: String,
    pub checked_at: String,
}

pub async fn audit(ctx: AdminUser) -> HttpResponse {
    let t = ctx.t;
    let c = &t.console;
    let q = Form::parse(ctx.req.query_string().as_bytes());
    if q.opt("entity_type").is_some() || q.opt("entity_id").is_some() || q.has("trail") {
        return super::regulator_more::audit_page(&ctx, "audit", "/admin/audit").await;
    }
    let checked = db::run(&ctx.state.pool, |conn| {
        let head = audit::head(conn)?;
        let v = audit::verify(conn)?;
        Ok((head, v))
    })
    .await;
    let (head, verification) = match checked {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    let (intact, verdict) = match verification {
        Verification::Intact(h) => (true, t.fill1(c.chain_intact, h.count)),
        Verification::Broken { seq, intact, reason } => (false, t.fill(c.chain_broken, &[&seq, &intact, &reason])),
    };
    let page = AuditChainPage {
        t,
        chrome: ctx.chrome(c.audit_chain_title, "audit"),
        head,
        intact,
        verdict,
        checked_at: format::datetime(ctx.state.clock.now()),
    };
    ctx.page(StatusCode::OK, &page)
}
