//! The complaints queue of a regulator's jurisdiction with deadlines in working days, and one
//! complaint with the workflow's actions (accept, reject, assign, extend, conclude with an optional
//! flag) and the reveal of the complainant behind a confirmation that says the reveal is logged.
//! Every action is the API's `workflow` function; who may do what is decided there.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::declarations::notice;
use super::regulator::{QueueItem, with_deadlines};
use super::{Ctx, Errors, Form, Input, RegulatorUser, see_other};
use crate::db;
use crate::domain::complaint::{Outcome, Status};
use crate::error::{ApiError, Code};
use crate::services::complaints::workflow::{self, ComplainantView};
use crate::services::complaints::{self, ComplaintView, ListFilter};
use crate::services::flags;
use crate::services::{accounts, calendar};
use crate::web::format;
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

#[derive(Template)]
#[template(path = "console/complaints.html")]
pub struct QueuePage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub tabs: Vec<(String, &'static str, bool)>,
    pub queue: Vec<QueueItem>,
    pub total: i64,
}

pub async fn queue(ctx: RegulatorUser) -> HttpResponse {
    let t = ctx.t;
    let q = Form::parse(ctx.req.query_string().as_bytes());
    let view = q.opt("view").unwrap_or_else(|| "open".into());
    let mut filter = ListFilter::default();
    match view.as_str() {
        "overdue" => filter.overdue = Some(true),
        "mine" => filter.assignee = Some(ctx.user.actor.user_id),
        "all" => {}
        other => filter.status = Status::parse(other),
    }
    let open = view == "open";
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let loaded = db::run(&ctx.state.pool, move |conn| {
        let list = complaints::list_for(conn, &actor, &filter, today, 1, 100)?;
        let items =
            list.items.into_iter().filter(|c| !open || Status::parse(&c.status).is_some_and(Status::is_open)).collect();
        Ok((with_deadlines(&calendar::load(conn)?, items, today), list.total))
    })
    .await;
    let (queue, total) = match loaded {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    let tabs = t
        .console
        .complaint_views
        .iter()
        .map(|(k, l)| (format!("/regulator/complaints?view={k}"), *l, *k == view))
        .collect();
    let total = if open { queue.len() as i64 } else { total };
    ctx.page(
        StatusCode::OK,
        &QueuePage { t, chrome: ctx.chrome(t.console.complaints_title, "complaints"), tabs, queue, total },
    )
}

#[derive(Template)]
#[template(path = "console/complaint.html")]
pub struct ComplaintPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub c: ComplaintView,
    pub deadline_words: Option<String>,
    pub assignee: Option<String>,
    pub mine: bool,
    pub summary: Vec<(String, String)>,
    pub note: Input,
    pub reject_reason: Input,
    pub assignee_input: Input,
    /// Reassigning an assigned complaint: the reason asked for.
    pub assign_reason: Input,
    /// Whether the actor may assign (anyone handling it before assignment; afterwards the
    /// assignee or a supervisor of theirs).
    pub may_assign: bool,
    pub extend_reason: Input,
    pub outcome: Input,
    pub reply: Input,
    pub raise: Input,
    pub flag_code: Input,
    pub flag_note: Input,
    /// When ordering rectification: a due date, or working days.
    pub flag_due: Input,
    pub flag_due_days: Input,
    /// Closing the rectification the conclusion ordered (its assignee).
    pub rect_resolution: Input,
    pub rect_note: Input,
    pub revealed: Option<ComplainantView>,
    pub notice: Option<String>,
}

impl ComplaintPage {
    pub fn status(&self) -> &'static str {
        self.t.codes_label(self.t.codes.complaint_statuses, &self.c.status)
    }
    pub fn is(&self, s: &str) -> bool {
        self.c.status == s
    }
    pub fn event(&self, e: &str) -> &'static str {
        self.t.codes_label(self.t.codes.complaint_events, e)
    }
    pub fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        format::datetime(*t)
    }
}

async fn complaint_page(
    ctx: &Ctx,
    id: Uuid,
    form: &Form,
    errors: &Errors,
    revealed: Option<ComplainantView>,
) -> Result<ComplaintPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let (view, regulators, names, days, may_assign) = db::run(&ctx.state.pool, move |conn| {
        let view = complaints::get_for(conn, &actor, id, today)?;
        let may_assign = match view.assignee_id {
            Some(current) => workflow::may_reassign(conn, &actor, current)?,
            None => true,
        };
        let division = view.division_code.clone().unwrap_or_default();
        let prefix = crate::domain::codes::division_prefix(&division).to_string();
        let regulators: Vec<(String, String)> = accounts::regulators_near(conn, &prefix)?
            .into_iter()
            .filter(|u| {
                division.starts_with(crate::domain::codes::division_prefix(u.jurisdiction.as_deref().unwrap_or("-")))
            })
            .map(|u| (u.id.to_string(), format!("{}（{}）", u.name, u.jurisdiction.unwrap_or_default())))
            .collect();
        let names = accounts::names_of(conn, &view.assignee_id.into_iter().collect::<Vec<_>>())?;
        let item = complaints::ComplaintListItem {
            id: view.id,
            tracking_code: view.tracking_code.clone(),
            category: view.category.clone(),
            status: view.status.clone(),
            division_code: view.division_code.clone(),
            organization_name: None,
            declaration_id: view.declaration_id,
            received_at: view.received_at,
            acceptance_due: view.acceptance_due,
            conclusion_due: view.conclusion_due,
            overdue: view.overdue,
            deadline_note: view.deadline_note.clone(),
            assignee_id: view.assignee_id,
        };
        let days = with_deadlines(&calendar::load(conn)?, vec![item], today).pop();
        Ok((view, regulators, names, days, may_assign))
    })
    .await?;
    let deadline_words = days.and_then(|q| {
        let d = q.deadline?;
        let n = q.days_left?;
        let left = if n < 0 { t.fill1(c.overdue_days, -n) } else { t.fill1(c.days_left, n) };
        Some(format!("{d}（{left}）"))
    });
    let outcomes = t.console.outcomes.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect();
    let flag_codes = [flags::UNDER_CHECK, flags::RECTIFICATION_ORDERED]
        .iter()
        .map(|code| (code.to_string(), t.label(t.codes.flags, code).to_string()))
        .collect();
    let mine = view.assignee_id == Some(ctx.user.actor.user_id);
    let mut form = form.clone();
    if let (None, Some(a)) = (form.opt("assignee_id"), view.assignee_id) {
        form.set("assignee_id", a.to_string());
    }
    let form = &form;
    Ok(ComplaintPage {
        t,
        chrome: ctx.chrome(t.fill1(c.complaint_title, &view.tracking_code), "complaints"),
        csrf: ctx.csrf.clone(),
        deadline_words,
        assignee: view.assignee_id.and_then(|a| names.get(&a).cloned()),
        mine,
        summary: errors.summary(|f| t.label(c.complaint_fields, f).to_string()),
        note: Input::new("textarea", "note", c.accept_note, form, errors).max(2000),
        reject_reason: Input::new("textarea", "reason", c.reject_reason, form, errors)
            .hint(c.reject_reason_hint)
            .max(1000),
        assignee_input: Input::new("select", "assignee_id", c.assignee, form, errors)
            .options(std::iter::once((String::new(), c.choose.to_string())).chain(regulators).collect()),
        assign_reason: Input::new("textarea", "assign_reason", c.assign_reason, form, errors)
            .hint(c.assign_reason_hint)
            .required()
            .max(1000),
        may_assign,
        extend_reason: Input::new("textarea", "extend_reason", c.extend_reason, form, errors).max(1000),
        outcome: Input::new("select", "outcome", c.outcome, form, errors).options(outcomes).required(),
        reply: Input::new("textarea", "public_reply", c.public_reply, form, errors)
            .hint(c.public_reply_hint)
            .required()
            .max(2000),
        raise: Input::new("checkbox", "flag", c.raise_flag, form, errors).hint(c.raise_flag_hint),
        flag_code: Input::new("select", "flag.code", c.flag_code, form, errors).options(flag_codes),
        flag_note: Input::text("flag.note", c.flag_note, form, errors).hint(c.flag_note_hint).max(500),
        flag_due: Input::new("date", "flag.rectification_due", c.rectification_due, form, errors)
            .hint(c.rectification_due_hint)
            .class("narrow"),
        flag_due_days: Input::new(
            "number",
            "flag.rectification_working_days",
            c.rectification_working_days,
            form,
            errors,
        )
        .hint(c.rectification_working_days_hint)
        .max(3)
        .class("narrow"),
        rect_resolution: Input::new("select", "resolution", c.resolution, form, errors)
            .options(vec![
                ("rectified".to_string(), c.rectified.to_string()),
                ("not_rectified".to_string(), c.not_rectified.to_string()),
            ])
            .class("narrow"),
        rect_note: Input::new("textarea", "note", c.resolution_note, form, errors).max(1000),
        revealed,
        notice: notice(t, ctx),
        c: view,
    })
}

/// The complaint page again with a refusal (from an action on its rectification).
pub async fn refused_page(ctx: &Ctx, id: Uuid, form: &Form, errors: &Errors, status: StatusCode) -> HttpResponse {
    match complaint_page(ctx, id, form, errors, None).await {
        Ok(p) => ctx.page(status, &p),
        Err(e) => ctx.error(e),
    }
}

pub async fn complaint(ctx: RegulatorUser, path: web::Path<Uuid>) -> HttpResponse {
    match complaint_page(&ctx, *path, &Form::default(), &Errors::default(), None).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

#[derive(Template)]
#[template(path = "console/reveal_confirm.html")]
pub struct RevealPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub id: Uuid,
    pub code: String,
}

/// The confirmation before a reveal: it says the reveal is logged.
pub async fn reveal_confirm(ctx: RegulatorUser, path: web::Path<Uuid>) -> HttpResponse {
    let id = *path;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    match db::run(&ctx.state.pool, move |conn| complaints::get_for(conn, &actor, id, today)).await {
        Ok(v) => {
            let t = ctx.t;
            let page = RevealPage {
                t,
                chrome: ctx.chrome(t.console.reveal_title, "complaints"),
                csrf: ctx.csrf.clone(),
                id,
                code: v.tracking_code,
            };
            ctx.page(StatusCode::OK, &page)
        }
        Err(e) => ctx.error(e),
    }
}

/// `POST /regulator/complaints/{id}/{action}`: accept, reject, assign, extend, conclude, reveal.
pub async fn act(ctx: RegulatorUser, path: web::Path<(Uuid, String)>, payload: web::Payload) -> HttpResponse {
    let (id, action) = path.into_inner();
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    let pool = ctx.state.pool.clone();
    let result: Result<Option<ComplainantView>, ApiError> = match action.as_str() {
        "accept" => match workflow::check_note(form.opt("note").as_deref()) {
            Ok(note) => {
                db::transaction(&pool, move |conn| workflow::accept(conn, now, today, &actor, id, note.as_deref()))
                    .await
                    .map(|_| None)
            }
            Err(e) => Err(e),
        },
        "reject" => match workflow::check_reason(&form.get("reason")) {
            Ok(r) => db::transaction(&pool, move |conn| workflow::reject(conn, now, today, &actor, id, &r))
                .await
                .map(|_| None),
            Err(e) => Err(e),
        },
        "assign" => {
            let reason = form.opt("assign_reason").map(|r| workflow::check_reason(&r)).transpose();
            match (form.opt("assignee_id").and_then(|a| a.parse::<Uuid>().ok()), reason) {
                (Some(a), Ok(r)) => {
                    db::transaction(&pool, move |conn| workflow::assign(conn, now, today, &actor, id, a, r.as_deref()))
                        .await
                        .map(|_| None)
                        .map_err(|mut e| {
                            e.details
                                .iter_mut()
                                .filter(|d| d.field == "reason")
                                .for_each(|d| d.field = "assign_reason".into());
                            e
                        })
                }
                (None, _) => Err(ApiError::field("assignee_id", ctx.t.console.choose_assignee)),
                (_, Err(mut e)) => {
                    e.details.iter_mut().for_each(|d| d.field = "assign_reason".into());
                    Err(e)
                }
            }
        }
        "extend" => match workflow::check_reason(&form.get("extend_reason")) {
            Ok(r) => db::transaction(&pool, move |conn| workflow::extend(conn, now, today, &actor, id, &r))
                .await
                .map(|_| None),
            Err(mut e) => {
                e.details.iter_mut().for_each(|d| d.field = "extend_reason".into());
                Err(e)
            }
        },
        "conclude" => {
            let outcome = serde_json::from_value::<Outcome>(serde_json::json!(form.get("outcome")));
            let due = crate::web::console::regulator_more::due_of(&form, "flag.");
            match (outcome, due) {
                (Err(_), _) => Err(ApiError::field("outcome", ctx.t.console.choose_outcome)),
                (_, Err(e)) => Err(e),
                (Ok(o), Ok(due)) => match workflow::check_conclusion(
                    o,
                    &form.get("public_reply"),
                    form.has("flag").then(|| workflow::ConclusionFlag {
                        code: form.get("flag.code"),
                        note: form.opt("flag.note"),
                        due,
                    }),
                    today,
                ) {
                    Ok(c) => db::transaction(&pool, move |conn| workflow::conclude(conn, now, today, &actor, id, c))
                        .await
                        .map(|_| None),
                    Err(e) => Err(e),
                },
            }
        }
        "reveal" => {
            let keys = ctx.state.settings.complaint_keys.clone();
            db::transaction(&pool, move |conn| workflow::reveal(conn, now, &keys, &actor, id)).await.map(Some)
        }
        _ => return ctx.error(ApiError::not_found("操作")),
    };
    match result {
        Ok(Some(revealed)) => {
            match complaint_page(&ctx, id, &Form::default(), &Errors::default(), Some(revealed)).await {
                Ok(p) => ctx.page(StatusCode::OK, &p),
                Err(e) => ctx.error(e),
            }
        }
        Ok(None) => see_other(&format!("/regulator/complaints/{id}?done=complaint_{action}")),
        Err(e) if matches!(e.code, Code::Validation | Code::InvalidState | Code::Conflict) => {
            match complaint_page(&ctx, id, &form, &Errors::from_api(&e, &action), None).await {
                Ok(p) => ctx.page(e.code.status(), &p),
                Err(e) => ctx.error(e),
            }
        }
        Err(e) => ctx.error(e),
    }
}
