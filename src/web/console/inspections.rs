//! The organization's inspections: what the inspector found, the rectification due date, and the
//! answer (a statement and, optionally, the new version published since the order) through
//! `inspections::respond`, the API's use case.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::declarations::notice;
use super::{Ctx, Errors, Form, Input, OrgUser, see_other};
use crate::db;
use crate::error::{ApiError, Code};
use crate::services::supervision::inspections::{self, InspectionView, ListFilter, ResponseInput};
use crate::web::format;
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

/// Findings in words: (finding, category, description). Stored findings carry the label too, so
/// they are read field by field.
pub fn findings_of(t: &'static Strings, v: &serde_json::Value) -> Vec<(String, String, String)> {
    let field = |f: &serde_json::Value, k: &str| f.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    v.as_array()
        .map(|list| {
            list.iter()
                .map(|f| {
                    (
                        t.label(t.codes.findings, &field(f, "code")).to_string(),
                        t.label(t.codes.finding_categories, &field(f, "category")).to_string(),
                        field(f, "description"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "console/org_inspections.html")]
pub struct ListPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub items: Vec<InspectionView>,
    /// Rectifications ordered by complaints.
    pub rectifications: Vec<crate::services::complaints::rectification::RectificationView>,
}

impl ListPage {
    pub fn status(&self, s: &str) -> &'static str {
        self.t.codes_label(self.t.codes.inspection_statuses, s)
    }
    pub fn grade(&self, g: &Option<String>) -> &'static str {
        self.t.codes_label(self.t.codes.grades, g.as_deref().unwrap_or("pending"))
    }
}

pub async fn list(ctx: OrgUser) -> HttpResponse {
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let loaded = db::run(&ctx.state.pool, move |conn| {
        let items = inspections::list(conn, &actor, &ListFilter::default(), today)?;
        let rectifications = crate::services::complaints::rectification::list(
            conn,
            &actor,
            &crate::services::complaints::rectification::ListFilter::default(),
            today,
        )?;
        Ok((items, rectifications))
    })
    .await;
    match loaded {
        Ok((items, rectifications)) => {
            let t = ctx.t;
            ctx.page(
                StatusCode::OK,
                &ListPage { t, chrome: ctx.chrome(t.console.inspections_title, "inspections"), items, rectifications },
            )
        }
        Err(e) => ctx.error(e),
    }
}

#[derive(Template)]
#[template(path = "console/org_inspection.html")]
pub struct ShowPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub i: InspectionView,
    pub findings: Vec<(String, String, String)>,
    pub can_answer: bool,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    pub notice: Option<String>,
}

impl ShowPage {
    pub fn status(&self) -> &'static str {
        self.t.codes_label(self.t.codes.inspection_statuses, &self.i.status)
    }
    pub fn grade(&self) -> &'static str {
        self.t.codes_label(self.t.codes.grades, self.i.grade.as_deref().unwrap_or("pending"))
    }
}

async fn show_page(ctx: &Ctx, id: Uuid, form: &Form, errors: &Errors) -> Result<ShowPage, ApiError> {
    let t = ctx.t;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let (i, versions) = db::run(&ctx.state.pool, move |conn| {
        let i = inspections::get(conn, &actor, id, today)?;
        let versions = inspections::response_versions(conn, &actor, id)?;
        Ok((i, versions))
    })
    .await?;
    let c = &t.console;
    let options =
        std::iter::once((String::new(), c.no_new_version.to_string()))
            .chain(versions.into_iter().map(|(vid, n, at)| {
                (vid.to_string(), format!("{}（{}）", t.fill1(c.version_n, n), format::datetime(at)))
            }))
            .collect();
    Ok(ShowPage {
        t,
        chrome: ctx.chrome(c.inspection_title, "inspections"),
        csrf: ctx.csrf.clone(),
        findings: findings_of(t, &i.findings),
        can_answer: i.status == "rectification_ordered",
        summary: errors.summary(|f| t.label(c.response_fields, f).to_string()),
        fields: vec![
            Input::new("textarea", "statement", c.statement, form, errors).hint(c.statement_hint).required(),
            Input::new("select", "new_version_id", c.new_version, form, errors)
                .hint(c.new_version_hint)
                .options(options),
        ],
        notice: notice(t, ctx),
        i,
    })
}

pub async fn show(ctx: OrgUser, path: web::Path<Uuid>) -> HttpResponse {
    match show_page(&ctx, *path, &Form::default(), &Errors::default()).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

pub async fn respond(ctx: OrgUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = *path;
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let new_version_id = match form.opt("new_version_id").map(|v| v.parse::<Uuid>()) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => return ctx.error(ApiError::field("new_version_id", "版本无效")),
    };
    let input = ResponseInput { statement: form.get("statement"), new_version_id };
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| inspections::respond(conn, now, today, &actor, id, &input)).await
    {
        Ok(_) => see_other(&format!("/console/inspections/{id}?done=answered")),
        Err(e) if matches!(e.code, Code::Validation | Code::InvalidState) => {
            match show_page(&ctx, id, &form, &Errors::from_api(&e, "statement")).await {
                Ok(p) => ctx.page(e.code.status(), &p),
                Err(e) => ctx.error(e),
            }
        }
        Err(e) => ctx.error(e),
    }
}
