//! Rectifications ordered by complaints, in the consoles: the organization reads the order and
//! answers it (the same form and service rule as an inspection's answer), the complaint's assignee
//! closes it from the complaint page. Rights and rules are the services'.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::declarations::notice;
use super::{Ctx, Errors, Form, Input, OrgUser, RegulatorUser, see_other};
use crate::db;
use crate::error::{ApiError, Code};
use crate::services::complaints::rectification::{self as rect, RectificationView};
use crate::services::supervision::rectification::ResponseInput;
use crate::web::format;
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

#[derive(Template)]
#[template(path = "console/org_rectification.html")]
pub struct ShowPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub r: RectificationView,
    pub can_answer: bool,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    pub notice: Option<String>,
}

impl ShowPage {
    pub fn status(&self) -> &'static str {
        self.t.codes_label(self.t.codes.inspection_statuses, &self.r.status)
    }
}

async fn show_page(ctx: &Ctx, id: Uuid, form: &Form, errors: &Errors) -> Result<ShowPage, ApiError> {
    let t = ctx.t;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let (r, versions) = db::run(&ctx.state.pool, move |conn| {
        let r = rect::get(conn, &actor, id, today)?;
        let versions = rect::response_versions(conn, &actor, id)?;
        Ok((r, versions))
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
        chrome: ctx.chrome(c.complaint_rectification_title, "inspections"),
        csrf: ctx.csrf.clone(),
        can_answer: r.status == "rectification_ordered",
        summary: errors.summary(|f| t.label(c.response_fields, f).to_string()),
        fields: vec![
            Input::new("textarea", "statement", c.statement, form, errors).hint(c.statement_hint).required(),
            Input::new("select", "new_version_id", c.new_version, form, errors)
                .hint(c.new_version_hint)
                .options(options),
        ],
        notice: notice(t, ctx),
        r,
    })
}

/// `GET /console/rectifications/{id}`
pub async fn show(ctx: OrgUser, path: web::Path<Uuid>) -> HttpResponse {
    match show_page(&ctx, *path, &Form::default(), &Errors::default()).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

/// `POST /console/rectifications/{id}/response`
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
    match db::transaction(&ctx.state.pool, move |conn| rect::respond(conn, now, today, &actor, id, &input)).await {
        Ok(_) => see_other(&format!("/console/rectifications/{id}?done=answered")),
        Err(e) if matches!(e.code, Code::Validation | Code::InvalidState) => {
            match show_page(&ctx, id, &form, &Errors::from_api(&e, "statement")).await {
                Ok(p) => ctx.page(e.code.status(), &p),
                Err(e) => ctx.error(e),
            }
        }
        Err(e) => ctx.error(e),
    }
}

/// `POST /regulator/rectifications/{id}/close`: back to the complaint page, with the service's
/// refusal shown there.
pub async fn close(ctx: RegulatorUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = *path;
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let (resolution, note) = (form.get("resolution"), form.opt("note"));
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    let closed = db::transaction(&ctx.state.pool, move |conn| {
        rect::close(conn, now, today, &actor, id, &resolution, note.as_deref())
    })
    .await;
    match closed {
        Ok(r) => see_other(&format!("/regulator/complaints/{}?done=inspection_closed", r.complaint_id)),
        Err(e) if matches!(e.code, Code::Validation | Code::InvalidState | Code::Forbidden) => {
            let actor = ctx.actor();
            let complaint = db::run(&ctx.state.pool, move |conn| rect::get(conn, &actor, id, today)).await;
            match complaint {
                Ok(r) => {
                    super::regulator_complaints::refused_page(
                        &ctx,
                        r.complaint_id,
                        &form,
                        &Errors::from_api(&e, "resolution"),
                        e.code.status(),
                    )
                    .await
                }
                Err(e) => ctx.error(e),
            }
        }
        Err(e) => ctx.error(e),
    }
}
