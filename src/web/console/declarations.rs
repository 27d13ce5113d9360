//! The organization's declarations: the console's start page, the list with status filters, and
//! the draft or public record with publish (self-commitment), revise, withdraw, full-text upload
//! and version history (the form is in `decl_form`). Every action is the API's service function in
//! one transaction.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::form::{Form, parse_multipart};
use super::{Ctx, Errors, Input, OrgUser, see_other};
use crate::db;
use crate::domain::declaration::{Status, VersionStatus};
use crate::domain::supervision::InspectionStatus;
use crate::error::{ApiError, Code};
use crate::files::{BlobStore, is_pdf};
use crate::services::declarations::{self as decls, DeclarationList, DeclarationView, lifecycle};
use crate::services::supervision::inspections::{self, InspectionView, ListFilter};
use crate::web::format;
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

/// A notice after a redirect (`?done=published`), from a fixed list.
pub fn notice(t: &'static Strings, ctx: &Ctx) -> Option<String> {
    let q = Form::parse(ctx.req.query_string().as_bytes());
    let done = q.opt("done")?;
    t.console.notices.iter().find(|(k, _)| *k == done).map(|(_, v)| v.to_string())
}

// ---------------------------------------------------------------- start page and list

#[derive(Template)]
#[template(path = "console/org_home.html")]
pub struct HomePage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub org_name: String,
    pub counts: Vec<(&'static str, String, i64)>,
    pub to_answer: Vec<InspectionView>,
    pub notice: Option<String>,
    /// Declarations whose standards were abolished or replaced, with the one action.
    pub outdated: Vec<crate::services::notices::OutdatedDeclaration>,
    pub csrf: String,
}

pub async fn dashboard(ctx: OrgUser) -> HttpResponse {
    let t = ctx.t;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let loaded = db::run(&ctx.state.pool, move |conn| {
        let org = actor.org_id()?;
        let o = crate::services::accounts::get_organization(conn, org)?;
        let mut counts = Vec::new();
        for &s in Status::ALL {
            let n = decls::list_for_organization(conn, org, false, Some(s), 1, 1)?.total;
            counts.push((s, n));
        }
        let f = ListFilter { status: Some(InspectionStatus::RectificationOrdered), ..ListFilter::default() };
        let to_answer = inspections::list(conn, &actor, &f, today)?;
        let outdated = crate::services::notices::for_organization(conn, org)?;
        Ok((o.name, counts, (to_answer, outdated)))
    })
    .await;
    let (org_name, counts, (to_answer, outdated)) = match loaded {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    let page = HomePage {
        t,
        chrome: ctx.chrome(t.console.org_home_title, "home"),
        org_name,
        counts: counts.into_iter().map(|(s, n)| (s.label(), format!("/console/declarations?status={s}"), n)).collect(),
        to_answer,
        notice: notice(t, &ctx),
        outdated,
        csrf: ctx.csrf.clone(),
    };
    ctx.page(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "console/decl_list.html")]
pub struct ListPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub tabs: Vec<(String, &'static str, bool)>,
    pub list: DeclarationList,
    pub prev: Option<String>,
    pub next: Option<String>,
}

pub async fn list(ctx: OrgUser) -> HttpResponse {
    let t = ctx.t;
    let q = Form::parse(ctx.req.query_string().as_bytes());
    let status = q.opt("status").and_then(|s| Status::parse(&s));
    let page: i64 = q.opt("page").and_then(|p| p.parse().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let actor = ctx.actor();
    let list = db::run(&ctx.state.pool, move |conn| {
        Ok(decls::list_for_organization(conn, actor.org_id()?, false, status, page, 20)?)
    })
    .await;
    let list = match list {
        Ok(l) => l,
        Err(e) => return ctx.error(e),
    };
    let mut tabs = vec![("/console/declarations".to_string(), t.console.all, status.is_none())];
    for &s in Status::ALL {
        tabs.push((format!("/console/declarations?status={s}"), s.label(), status == Some(s)));
    }
    let link = |p: i64| {
        let mut qs = vec![format!("page={p}")];
        if let Some(s) = &status {
            qs.push(format!("status={s}"));
        }
        format!("/console/declarations?{}", qs.join("&"))
    };
    let page_view = ListPage {
        t,
        chrome: ctx.chrome(t.console.decl_list_title, "declarations"),
        tabs,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page * 20 < list.total).then(|| link(page + 1)),
        list,
    };
    ctx.page(StatusCode::OK, &page_view)
}
/// The words for a field path (error summary).
pub(super) fn field_label(t: &'static Strings, path: &str) -> String {
    let c = &t.console;
    let row = |group: &str| -> Option<(usize, String)> {
        let rest = path.strip_prefix(group)?.strip_prefix('[')?;
        let (i, col) = rest.split_once(']')?;
        Some((i.parse::<usize>().ok()? + 1, col.trim_start_matches('.').to_string()))
    };
    if let Some((n, col)) = row("products") {
        let col = t.label(t.codes.diff_fields, &col).to_string();
        return format!("{} {n} {col}", c.product_row);
    }
    if let Some((n, col)) = row("indicators") {
        let col = t.label(t.codes.diff_fields, &col).to_string();
        return format!("{} {n} {col}", c.indicator_row);
    }
    t.label(c.decl_fields, path).to_string()
}

pub(super) fn path_id(path: &web::Path<Uuid>) -> Uuid {
    **path
}

pub(super) async fn load(ctx: &Ctx, id: Uuid) -> Result<DeclarationView, ApiError> {
    let actor = ctx.actor();
    db::run(&ctx.state.pool, move |conn| {
        let decl = decls::load_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
        if !decls::is_owner(Some(&actor), &decl) {
            return Err(ApiError::not_found("声明"));
        }
        decls::get_for(conn, Some(&actor), id)
    })
    .await
}
// ---------------------------------------------------------------- the record and its actions

#[derive(Template)]
#[template(path = "console/decl_show.html")]
pub struct ShowPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub v: DeclarationView,
    pub notice: Option<String>,
    pub summary: Vec<(String, String)>,
    pub commitment: Input,
    pub reason: Input,
    pub full_text: Option<String>,
}

impl ShowPage {
    pub fn label(&self, table: crate::web::i18n::Labels, code: &str) -> &'static str {
        self.t.codes_label(table, code)
    }
    pub fn value(&self, v: &serde_json::Value) -> String {
        format::value(v, self.t.site.empty_value, self.t.site.yes, self.t.site.no)
    }
    pub fn opt(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_else(|| self.t.site.empty_value.to_string())
    }
    pub fn when(&self, v: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        v.map(format::datetime).unwrap_or_else(|| self.t.site.empty_value.to_string())
    }
    pub fn is_draft(&self) -> bool {
        self.v.status == VersionStatus::Draft
    }
    pub fn can_revise(&self) -> bool {
        self.v.status == VersionStatus::Public
    }
    pub fn can_withdraw(&self) -> bool {
        matches!(self.v.status, VersionStatus::Draft | VersionStatus::Public)
    }
}

fn show_page(ctx: &Ctx, v: DeclarationView, form: &Form, errors: &Errors) -> ShowPage {
    let t = ctx.t;
    let c = &t.console;
    let full_text = v.full_text.as_ref().map(|f| {
        let sha = f.sha256.as_deref().unwrap_or_default();
        t.fill(c.full_text_have, &[&format::size(f.size.unwrap_or(0)), &sha[..sha.len().min(12)].to_string()])
    });
    ShowPage {
        t,
        chrome: ctx.chrome(format!("{} {}", v.standard.number, v.standard.title), "declarations"),
        csrf: ctx.csrf.clone(),
        notice: notice(t, ctx),
        summary: errors.summary(|f| field_label(t, f)),
        commitment: Input::new("checkbox", "commitment", c.commitment_check, form, errors).required(),
        reason: Input::new("textarea", "reason", c.withdraw_reason, form, errors).max(500).required(),
        full_text,
        v,
    }
}

pub async fn show(ctx: OrgUser, path: web::Path<Uuid>) -> HttpResponse {
    match load(&ctx, path_id(&path)).await {
        Ok(v) => ctx.page(StatusCode::OK, &show_page(&ctx, v, &Form::default(), &Errors::default())),
        Err(e) => ctx.error(e),
    }
}

/// After a refused action: the record again with the errors (422/409), or the error page.
async fn action_refused(ctx: &Ctx, id: Uuid, form: &Form, e: ApiError, field: &str) -> HttpResponse {
    if !matches!(e.code, Code::Validation | Code::BelowMandatory | Code::InvalidState | Code::Conflict) {
        return ctx.error(e);
    }
    let status = e.code.status();
    match load(ctx, id).await {
        Ok(v) => ctx.page(status, &show_page(ctx, v, form, &Errors::from_api(&e, field))),
        Err(e) => ctx.error(e),
    }
}

pub async fn publish(ctx: OrgUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = path_id(&path);
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let commitment = form.has("commitment");
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| lifecycle::publish(conn, now, &actor, id, commitment, today))
        .await
    {
        Ok(_) => see_other(&format!("/console/declarations/{id}?done=published")),
        Err(e) => action_refused(&ctx, id, &form, e, "commitment").await,
    }
}

pub async fn revise(ctx: OrgUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = path_id(&path);
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| lifecycle::revise(conn, now, &actor, id)).await {
        Ok(_) => see_other(&format!("/console/declarations/{id}/edit")),
        Err(e) => action_refused(&ctx, id, &form, e, "revise").await,
    }
}

/// The notice's one action: a revision that executes and cites the replacements, then the editor.
pub async fn apply_replacements(ctx: OrgUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = path_id(&path);
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| {
        crate::services::declarations::replacements::revise_with_replacements(conn, now, &actor, id, today)
    })
    .await
    {
        Ok(_) => see_other(&format!("/console/declarations/{id}/edit")),
        Err(e) => action_refused(&ctx, id, &form, e, "revise").await,
    }
}

pub async fn withdraw(ctx: OrgUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = path_id(&path);
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let reason = form.get("reason");
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| lifecycle::withdraw(conn, now, &actor, id, &reason)).await {
        Ok(_) => see_other(&format!("/console/declarations/{id}?done=withdrawn")),
        Err(e) => action_refused(&ctx, id, &form, e, "reason").await,
    }
}

pub async fn upload_full_text(ctx: OrgUser, path: web::Path<Uuid>, mut payload: web::Payload) -> HttpResponse {
    let id = path_id(&path);
    let req = ctx.req.clone();
    let bytes = match crate::extract::read_body(&req, &mut payload, crate::extract::UPLOAD_LIMIT).await {
        Ok(b) => b,
        Err(e) => return ctx.error(e),
    };
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let parts = match parse_multipart(&ct, &bytes) {
        Ok(p) => p,
        Err(e) => return ctx.error(e),
    };
    let token = parts.iter().find(|p| p.name == "csrf_token").map(|p| String::from_utf8_lossy(&p.data).to_string());
    if !ctx.ws.csrf.verify(&req, token.as_deref()) {
        return crate::web::page::csrf_refused(&req);
    }
    let file = parts.into_iter().find(|p| p.name == "full_text" && !p.data.is_empty());
    let Some(file) = file.filter(|f| is_pdf(&f.data)) else {
        let e = ApiError::field("full_text", ctx.t.console.full_text_not_pdf);
        return action_refused(&ctx, id, &Form::default(), e, "full_text").await;
    };
    let actor = ctx.actor();
    let check_actor = actor.clone();
    if let Err(e) = db::run(&ctx.state.pool, move |conn| lifecycle::check_attachable(conn, &check_actor, id)).await {
        return action_refused(&ctx, id, &Form::default(), e, "full_text").await;
    }
    let store = BlobStore::new(&ctx.state.settings.data_dir);
    let data = file.data;
    let stored = match crate::blocking::run(move || store.put(&data).map_err(ApiError::internal)).await {
        Ok(s) => s,
        Err(e) => return ctx.error(e),
    };
    let (sha, size) = stored;
    let now = ctx.state.clock.now();
    match db::transaction(&ctx.state.pool, move |conn| lifecycle::attach_full_text(conn, now, &actor, id, &sha, size))
        .await
    {
        Ok(_) => see_other(&format!("/console/declarations/{id}?done=uploaded")),
        Err(e) => action_refused(&ctx, id, &Form::default(), e, "full_text").await,
    }
}
