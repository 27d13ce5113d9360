//! The regulator's desk: the dashboard (open inspections, rectifications due this week and
//! overdue, complaints awaiting acceptance, overdue complaints) and spot-check campaigns (the scope
//! builder with a live count of eligible declarations, the draw, assignments, closing, the public
//! report). Jurisdiction checks are the services' own.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use uuid::Uuid;

use super::declarations::notice;
use super::{Ctx, Errors, Form, Input, RegulatorUser, see_other};
use crate::db;
use crate::domain::complaint::{Status, Status as ComplaintStatus};
use crate::domain::supervision::{CampaignStatus, Grade, InspectionStatus};
use crate::domain::workdays::Calendar;
use crate::error::{ApiError, Code, FieldError};
use crate::services::complaints::{self, ComplaintListItem, ListFilter as ComplaintFilter};
use crate::services::supervision::campaigns::{self, CampaignView, NewCampaign, Scope};
use crate::services::supervision::inspections::{self, InspectionView, ListFilter};
use crate::services::{accounts, calendar};
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

/// A complaint in a list, with its running deadline in working days.
pub struct QueueItem {
    pub c: ComplaintListItem,
    pub deadline: Option<NaiveDate>,
    /// Working days left (negative: overdue by).
    pub days_left: Option<i64>,
}

/// Complaints with their running deadlines counted in working days.
pub fn with_deadlines(cal: &Calendar, items: Vec<ComplaintListItem>, today: NaiveDate) -> Vec<QueueItem> {
    items
        .into_iter()
        .map(|c| {
            let deadline = match Some(c.status) {
                Some(Status::Received) => Some(c.acceptance_due),
                Some(Status::Accepted | Status::Assigned) => c.conclusion_due,
                _ => None,
            };
            let days_left = deadline.map(|d| cal.between(today, d));
            QueueItem { c, deadline, days_left }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/reg_home.html")]
pub struct HomePage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub jurisdiction: String,
    pub mine: Vec<InspectionView>,
    pub due_week: Vec<InspectionView>,
    pub overdue: Vec<InspectionView>,
    pub to_accept: Vec<QueueItem>,
    pub overdue_complaints: Vec<QueueItem>,
    /// Years of running deadlines the holiday table does not cover (`2027`, ...), joined.
    pub uncovered_years: String,
    /// Inspections still without a result after their campaign's due date.
    pub results_overdue: Vec<InspectionView>,
    /// Public declarations with an abolished or replaced standard, per district: (name, code, count,
    /// search link).
    pub outdated: Vec<(String, String, i64, String)>,
    pub outdated_total: i64,
    /// Public declarations at a mandatory limit or whose comparisons could not be made.
    pub indicator_review_total: i64,
    /// Rectifications ordered by complaints, past due without an answer.
    pub overdue_rectifications: Vec<crate::services::complaints::rectification::RectificationView>,
}

impl HomePage {
    pub fn status(&self, s: &InspectionStatus) -> &'static str {
        s.label()
    }
    pub fn complaint_status(&self, s: &ComplaintStatus) -> &'static str {
        s.label()
    }
}

pub async fn dashboard(ctx: RegulatorUser) -> HttpResponse {
    let t = ctx.t;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let loaded = db::run(&ctx.state.pool, move |conn| {
        let mine: Vec<InspectionView> =
            inspections::list(conn, &actor, &ListFilter { assignee_me: true, ..ListFilter::default() }, today)?
                .into_iter()
                .filter(|i| matches!(i.status, InspectionStatus::Assigned | InspectionStatus::Responded))
                .collect();
        let ordered = inspections::list(
            conn,
            &actor,
            &ListFilter { status: Some(InspectionStatus::RectificationOrdered), ..ListFilter::default() },
            today,
        )?;
        let week = today + chrono::Duration::days(7);
        let (overdue, rest): (Vec<_>, Vec<_>) = ordered.into_iter().partition(|i| i.overdue);
        let due_week = rest.into_iter().filter(|i| i.rectification_due.is_some_and(|d| d <= week)).collect();
        let received = ComplaintFilter { status: Some(Status::Received), ..ComplaintFilter::default() };
        let to_accept = complaints::list_for(conn, &actor, &received, today, 1, 50)?.items;
        let late = ComplaintFilter { overdue: Some(true), ..ComplaintFilter::default() };
        let overdue_complaints = complaints::list_for(conn, &actor, &late, today, 1, 50)?.items;
        let cal = calendar::load(conn)?;
        let to_accept = with_deadlines(&cal, to_accept, today);
        let overdue_complaints = with_deadlines(&cal, overdue_complaints, today);
        let prefix = actor.jurisdiction_prefix().unwrap_or("-").to_string();
        let uncovered = crate::services::calendar::uncovered_deadline_years(conn, &prefix)?;
        let outdated = crate::services::notices::outdated_by_division(conn, &prefix)?;
        let late_rect = crate::services::complaints::rectification::ListFilter { overdue: true, ..Default::default() };
        let overdue_rect = crate::services::complaints::rectification::list(conn, &actor, &late_rect, today)?;
        let late_results =
            inspections::list(conn, &actor, &ListFilter { result_overdue: true, ..ListFilter::default() }, today)?;
        Ok((mine, due_week, overdue, to_accept, overdue_complaints, (uncovered, overdue_rect, outdated, late_results)))
    })
    .await;
    let (
        mine,
        due_week,
        overdue,
        to_accept,
        overdue_complaints,
        (uncovered, overdue_rectifications, outdated, results_overdue),
    ) = match loaded {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    let review_prefix = ctx.user.actor.jurisdiction_prefix().unwrap_or("-").to_string();
    let reviewed = db::run(&ctx.state.pool, move |conn| {
        Ok(crate::services::comparisons::review::review(conn, &review_prefix, Default::default(), 1, 1)?.total)
    })
    .await;
    let indicator_review_total = match reviewed {
        Ok(n) => n,
        Err(e) => return ctx.error(e),
    };
    let jurisdiction = ctx.user.actor.jurisdiction.clone().unwrap_or_default();
    let names = match ctx.ws.names(&ctx.state).await {
        Ok(n) => n,
        Err(e) => return ctx.error(e),
    };
    let page = HomePage {
        t,
        chrome: ctx.chrome(t.console.reg_home_title, "home"),
        jurisdiction: format!("{}（{jurisdiction}）", names.division(&jurisdiction).unwrap_or_default()),
        mine,
        due_week,
        overdue,
        to_accept,
        overdue_complaints,
        uncovered_years: uncovered.iter().map(i32::to_string).collect::<Vec<_>>().join("、"),
        outdated_total: outdated.iter().map(|(_, n)| n).sum(),
        outdated: outdated
            .into_iter()
            .map(|(code, n)| {
                let name = names.division(&code).unwrap_or_default().to_string();
                (name, code.clone(), n, format!("/search?outdated=true&division={code}"))
            })
            .collect(),
        overdue_rectifications,
        indicator_review_total,
        results_overdue,
    };
    ctx.page(StatusCode::OK, &page)
}

// ---------------------------------------------------------------- campaigns

#[derive(Template)]
#[template(path = "console/campaigns.html")]
pub struct CampaignsPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub items: Vec<CampaignView>,
}

impl CampaignsPage {
    pub fn status(&self, s: &CampaignStatus) -> &'static str {
        s.label()
    }
}

pub async fn campaigns(ctx: RegulatorUser) -> HttpResponse {
    let actor = ctx.actor();
    match db::run(&ctx.state.pool, move |conn| campaigns::list(conn, &actor, None)).await {
        Ok(items) => {
            let t = ctx.t;
            ctx.page(
                StatusCode::OK,
                &CampaignsPage { t, chrome: ctx.chrome(t.console.campaigns_title, "campaigns"), items },
            )
        }
        Err(e) => ctx.error(e),
    }
}

/// A checkbox in a group.
pub struct Choice {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "console/campaign_form.html")]
pub struct CampaignForm {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    pub scope: Vec<Input>,
    pub kinds: Vec<Choice>,
    pub types: Vec<Choice>,
    pub inspectors: Vec<Choice>,
    pub kinds_error: Option<String>,
    pub types_error: Option<String>,
    pub inspectors_error: Option<String>,
    pub count: Option<usize>,
}

fn choices(name: &str, options: Vec<(String, String)>, chosen: &[String]) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            id: super::form::field_id(&format!("{name}-{value}")),
            checked: chosen.contains(&value),
            value,
            label,
        })
        .collect()
}

/// Errors of a list field and of its items (`scope.kinds`, `scope.kinds[0]`).
fn list_error(errors: &Errors, field: &str, n: usize) -> Option<String> {
    let mut all: Vec<String> = errors.of(field).into_iter().collect();
    for i in 0..n {
        all.extend(errors.of(&format!("{field}[{i}]")));
    }
    (!all.is_empty()).then(|| all.join("；"))
}

async fn campaign_form(
    ctx: &Ctx,
    form: &Form,
    errors: &Errors,
    count: Option<usize>,
) -> Result<CampaignForm, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let jurisdiction = ctx.user.actor.jurisdiction.clone().unwrap_or_default();
    let prefix = crate::domain::codes::division_prefix(&jurisdiction).to_string();
    let p = prefix.clone();
    let (divisions, regulators) = db::run(&ctx.state.pool, move |conn| {
        let mut divisions = Vec::new();
        if let Some(d) = crate::reference::find_division(conn, &jurisdiction)? {
            divisions.push((p.clone(), format!("{}（{}）", d.name, t.console.whole_jurisdiction)));
        }
        for d in crate::reference::divisions_under(conn, Some(&jurisdiction))? {
            for sub in std::iter::once(d.clone()).chain(crate::reference::divisions_under(conn, Some(&d.code))?) {
                let code = crate::domain::codes::division_prefix(&sub.code).to_string();
                divisions.push((code, format!("{}（{}）", sub.name, sub.code)));
            }
        }
        Ok((divisions, accounts::regulators_near(conn, &p)?))
    })
    .await?;
    let kinds = choices(
        "scope.kinds",
        t.codes.kinds.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect(),
        &form.all("scope.kinds"),
    );
    let types = choices(
        "scope.standard_types",
        t.codes.standard_types.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect(),
        &form.all("scope.standard_types"),
    );
    let inspectors = choices(
        "inspector_ids",
        regulators
            .into_iter()
            .map(|u| (u.id.to_string(), format!("{}（{}，{}）", u.name, u.email, u.jurisdiction.unwrap_or_default())))
            .collect(),
        &form.all("inspector_ids"),
    );
    let label = |f: &str| {
        let base = f.split('[').next().unwrap_or(f);
        t.label(c.campaign_fields, base).to_string()
    };
    Ok(CampaignForm {
        t,
        chrome: ctx.chrome(c.campaign_new_title, "campaigns").with_script("console.js"),
        csrf: ctx.csrf.clone(),
        summary: errors.summary(label),
        fields: vec![
            Input::text("name", c.campaign_name, form, errors).required().max(100).class("wide"),
            Input::new("number", "sample_size", c.sample_size, form, errors).required().class("narrow"),
            Input::new("date", "due_date", c.due_date, form, errors).required().class("narrow"),
            Input::text("seed", c.seed, form, errors).hint(c.seed_hint).max(128),
        ],
        scope: vec![
            Input::new("select", "scope.division", c.scope_division, form, errors).options(divisions).required(),
            Input::text("scope.industry", c.scope_industry, form, errors)
                .hint(c.scope_industry_hint)
                .max(5)
                .class("narrow"),
            Input::new("date", "scope.published_before", c.published_before, form, errors).class("narrow"),
            Input::new("number", "scope.exclude_sampled_within_years", c.exclude_years, form, errors)
                .hint(c.exclude_years_hint)
                .class("narrow"),
            Input::new("checkbox", "scope.indicator_review", c.scope_indicator_review, form, errors)
                .hint(c.scope_indicator_review_hint),
            Input::new("checkbox", "scope.outdated_only", c.scope_outdated, form, errors),
        ],
        kinds_error: list_error(errors, "scope.kinds", kinds.len()),
        types_error: list_error(errors, "scope.standard_types", types.len()),
        inspectors_error: list_error(errors, "inspector_ids", inspectors.len()),
        kinds,
        types,
        inspectors,
        count,
    })
}

pub async fn new_campaign(ctx: RegulatorUser) -> HttpResponse {
    let mut form = Form::default();
    form.set("sample_size", "10");
    form.set("scope.exclude_sampled_within_years", "1");
    form.set("inspector_ids", ctx.user.actor.user_id.to_string());
    match campaign_form(&ctx, &form, &Errors::default(), None).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

/// The scope of a form (also the live count's query string); bad numbers and dates are field errors.
pub fn scope_of(form: &Form) -> Result<Scope, Vec<FieldError>> {
    let mut problems = Vec::new();
    let date = |name: &str, problems: &mut Vec<FieldError>| match form.opt(name) {
        None => None,
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map_err(|_| problems.push(FieldError::new(name, "日期应为 YYYY-MM-DD")))
            .ok(),
    };
    let published_before = date("scope.published_before", &mut problems);
    let years = match form.opt("scope.exclude_sampled_within_years").map(|y| y.parse::<i32>()) {
        None => None,
        Some(Ok(y)) => Some(y),
        Some(Err(_)) => {
            problems.push(FieldError::new("scope.exclude_sampled_within_years", "应为整数"));
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Scope {
        division: form.get("scope.division"),
        kinds: form.all("scope.kinds"),
        standard_types: form.all("scope.standard_types"),
        industry: form.opt("scope.industry"),
        published_before,
        exclude_sampled_within_years: years,
        indicator_review: form.has("scope.indicator_review"),
        outdated_only: form.has("scope.outdated_only"),
    })
}

fn campaign_of(form: &Form) -> Result<NewCampaign, Vec<FieldError>> {
    let mut problems = Vec::new();
    let scope = scope_of(form).map_err(|p| problems.extend(p)).ok();
    let sample_size = form.opt("sample_size").and_then(|s| s.parse::<i64>().ok()).unwrap_or_else(|| {
        problems.push(FieldError::new("sample_size", "应为整数"));
        0
    });
    let due_date =
        form.opt("due_date").and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()).unwrap_or_else(|| {
            problems.push(FieldError::new("due_date", "请填写完成日期（YYYY-MM-DD）"));
            NaiveDate::MIN
        });
    let mut inspector_ids = Vec::new();
    for raw in form.all("inspector_ids") {
        match raw.parse::<Uuid>() {
            Ok(id) => inspector_ids.push(id),
            Err(_) => problems.push(FieldError::new("inspector_ids", "检查人员无效")),
        }
    }
    match scope {
        Some(scope) if problems.is_empty() => Ok(NewCampaign {
            name: form.get("name"),
            scope,
            sample_size,
            inspector_ids,
            due_date,
            seed: form.opt("seed"),
        }),
        _ => Err(problems),
    }
}

async fn count_for(ctx: &Ctx, form: &Form) -> Result<usize, ApiError> {
    let scope = scope_of(form).map_err(ApiError::validation)?;
    let (actor, now) = (ctx.actor(), ctx.state.clock.now());
    db::run(&ctx.state.pool, move |conn| campaigns::count_eligible(conn, &actor, &scope, now)).await
}

pub async fn create_campaign(ctx: RegulatorUser, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let render_form = |status: StatusCode, errors: Errors, count: Option<usize>| {
        let ctx = &ctx;
        let form = &form;
        async move {
            match campaign_form(ctx, form, &errors, count).await {
                Ok(p) => ctx.page(status, &p),
                Err(e) => ctx.error(e),
            }
        }
    };
    if form.has("count") {
        return match count_for(&ctx, &form).await {
            Ok(n) => render_form(StatusCode::OK, Errors::default(), Some(n)).await,
            Err(e) => render_form(e.code.status(), Errors::from_api(&e, "scope.division"), None).await,
        };
    }
    let n = match campaign_of(&form) {
        Ok(n) => n,
        Err(p) => return render_form(StatusCode::UNPROCESSABLE_ENTITY, Errors::new(p), None).await,
    };
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| campaigns::create(conn, now, today, &actor, &n)).await {
        Ok(c) => see_other(&format!("/regulator/campaigns/{}?done=campaign_created", c.id)),
        Err(e) if matches!(e.code, Code::Validation | Code::Forbidden) => {
            render_form(e.code.status(), Errors::from_api(&e, "scope.division"), None).await
        }
        Err(e) => ctx.error(e),
    }
}

/// `GET /regulator/eligible-count?scope...` -> `{"count": n}` for the form's script.
pub async fn eligible_count(ctx: RegulatorUser) -> HttpResponse {
    let form = Form::parse(ctx.req.query_string().as_bytes());
    match count_for(&ctx, &form).await {
        Ok(n) => HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(serde_json::json!({"count": n})),
        Err(e) => {
            HttpResponse::build(e.code.status()).json(serde_json::json!({"error": {"message": e.message.to_string()}}))
        }
    }
}

#[derive(Template)]
#[template(path = "console/campaign.html")]
pub struct CampaignPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub c: CampaignView,
    pub scope_words: Vec<(&'static str, String)>,
    pub inspectors: Vec<String>,
    pub rows: Vec<(InspectionView, String)>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl CampaignPage {
    pub fn status(&self) -> &'static str {
        self.c.status.label()
    }
    pub fn inspection_status(&self, s: &InspectionStatus) -> &'static str {
        s.label()
    }
    pub fn grade(&self, g: &Option<Grade>) -> &'static str {
        self.t.grade(*g)
    }
}

async fn campaign_page(ctx: &Ctx, id: Uuid, error: Option<String>) -> Result<CampaignPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let (cw, names) = db::run(&ctx.state.pool, move |conn| {
        let cw = campaigns::get(conn, &actor, id, today)?;
        let mut ids = cw.campaign.inspector_ids.clone();
        ids.extend(cw.inspections.iter().map(|i| i.inspector_id));
        let names = accounts::names_of(conn, &ids)?;
        Ok((cw, names))
    })
    .await?;
    let s = &cw.campaign.scope;
    let list = |v: &[String], table: crate::web::i18n::Labels| {
        if v.is_empty() {
            c.all.to_string()
        } else {
            v.iter().map(|x| t.label(table, x)).collect::<Vec<_>>().join("、")
        }
    };
    let empty = t.site.empty_value.to_string();
    let scope_words = vec![
        (c.scope_division, s.division.clone()),
        (c.scope_kinds, list(&s.kinds, t.codes.kinds)),
        (c.scope_types, list(&s.standard_types, t.codes.standard_types)),
        (c.scope_industry, s.industry.clone().unwrap_or_else(|| c.all.to_string())),
        (c.published_before, s.published_before.map(|d| d.to_string()).unwrap_or(empty.clone())),
        (c.exclude_years, s.exclude_sampled_within_years.map(|y| y.to_string()).unwrap_or(empty)),
    ];
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    Ok(CampaignPage {
        t,
        chrome: ctx.chrome(cw.campaign.name.clone(), "campaigns"),
        csrf: ctx.csrf.clone(),
        inspectors: cw.campaign.inspector_ids.iter().map(name).collect(),
        rows: cw.inspections.iter().map(|i| (i.clone(), name(&i.inspector_id))).collect(),
        scope_words,
        c: cw.campaign,
        notice: notice(t, ctx),
        error,
    })
}

pub async fn campaign(ctx: RegulatorUser, path: web::Path<Uuid>) -> HttpResponse {
    match campaign_page(&ctx, *path, None).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

async fn campaign_action(ctx: &Ctx, id: Uuid, result: Result<(), ApiError>, done: &str) -> HttpResponse {
    match result {
        Ok(()) => see_other(&format!("/regulator/campaigns/{id}?done={done}")),
        Err(e) if matches!(e.code, Code::InvalidState | Code::Conflict | Code::Validation) => {
            match campaign_page(ctx, id, Some(e.message.to_string())).await {
                Ok(p) => ctx.page(e.code.status(), &p),
                Err(e) => ctx.error(e),
            }
        }
        Err(e) => ctx.error(e),
    }
}

pub async fn draw(ctx: RegulatorUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    if let Err(res) = ctx.form(payload).await {
        return res;
    }
    let id = *path;
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    let r = db::transaction(&ctx.state.pool, move |conn| campaigns::draw(conn, now, &actor, id).map(|_| ())).await;
    campaign_action(&ctx, id, r, "drawn").await
}

pub async fn close(ctx: RegulatorUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    if let Err(res) = ctx.form(payload).await {
        return res;
    }
    let id = *path;
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    let r = db::transaction(&ctx.state.pool, move |conn| campaigns::close(conn, now, &actor, id).map(|_| ())).await;
    campaign_action(&ctx, id, r, "closed").await
}
