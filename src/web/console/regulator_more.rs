//! The inspector's pages (record a result with the findings checklist, close a rectification),
//! supervision flags (raise, resolve) and the audit trail of any entity in the jurisdiction.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::declarations::notice;
use super::inspections::findings_of;
use super::{Ctx, Errors, Form, Input, RegulatorUser, see_other};
use crate::audit::AuditEvent;
use crate::db;
use crate::domain::supervision::FlagCode;
use crate::error::{ApiError, Code, FieldError};
use crate::services::audit_log::{self, AuditFilter};
use crate::services::flags::{self, ActiveFlag};
use crate::services::supervision::inspections::{self, Finding, InspectionView, ResultInput};
use crate::services::supervision::rectification::DueInput;
use crate::web::format;
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

/// One line of the findings checklist.
pub struct FindingLine {
    pub code: &'static str,
    pub label: &'static str,
    pub check: Input,
    pub category: Input,
    pub description: Input,
}

#[derive(Template)]
#[template(path = "console/reg_inspection.html")]
pub struct InspectionPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub i: InspectionView,
    pub findings: Vec<(String, String, String)>,
    pub summary: Vec<(String, String)>,
    pub grade: Input,
    pub checklist: Vec<FindingLine>,
    pub checklist_error: Option<String>,
    pub due: Input,
    pub due_days: Input,
    pub resolution: Input,
    pub note: Input,
    /// Marking it not inspected, with a reason.
    pub reason: Input,
    pub notice: Option<String>,
    pub is_inspector: bool,
}

impl InspectionPage {
    pub fn status(&self) -> &'static str {
        self.i.status.label()
    }
    pub fn grade_words(&self) -> &'static str {
        self.t.grade(self.i.grade)
    }
}

/// The checklist's field names for the service's `findings[i]` paths (only ticked lines are sent).
fn remap_findings(errors: Vec<FieldError>, sent: &[&str]) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            let mapped = e.field.strip_prefix("findings[").and_then(|rest| {
                let (i, col) = rest.split_once(']')?;
                let code = sent.get(i.parse::<usize>().ok()?)?;
                Some(format!("finding.{code}{col}"))
            });
            FieldError { field: mapped.unwrap_or(e.field), ..e }
        })
        .collect()
}

async fn inspection_page(ctx: &Ctx, id: Uuid, form: &Form, errors: &Errors) -> Result<InspectionPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let actor = ctx.actor();
    let today = ctx.state.clock.today();
    let i = db::run(&ctx.state.pool, move |conn| inspections::get(conn, &actor, id, today)).await?;
    let grades = t.codes.grades.iter().map(|(g, l)| (g.to_string(), l.to_string()));
    let categories: Vec<(String, String)> =
        t.codes.finding_categories.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect();
    let checklist = t
        .codes
        .findings
        .iter()
        .map(|(code, label)| {
            let base = format!("finding.{code}");
            FindingLine {
                code,
                label,
                check: Input::new("checkbox", &base, *label, form, errors),
                category: Input::new("select", &format!("{base}.category"), c.finding_category, form, errors)
                    .options(categories.clone()),
                description: Input::text(&format!("{base}.description"), c.finding_description, form, errors).max(1000),
            }
        })
        .collect();
    let resolutions = vec![
        ("rectified".to_string(), c.rectified.to_string()),
        ("not_rectified".to_string(), c.not_rectified.to_string()),
    ];
    Ok(InspectionPage {
        t,
        chrome: ctx.chrome(c.inspection_title, "campaigns"),
        csrf: ctx.csrf.clone(),
        findings: findings_of(t, &i.findings),
        summary: errors.summary(|f| t.label(c.result_fields, f.split('.').next().unwrap_or(f)).to_string()),
        grade: Input::new("select", "grade", c.col_grade, form, errors)
            .options(std::iter::once((String::new(), c.choose.to_string())).chain(grades).collect())
            .required()
            .class("narrow"),
        checklist,
        checklist_error: errors.of("findings"),
        due: Input::new("date", "rectification_due", c.rectification_due, form, errors)
            .hint(c.rectification_due_hint)
            .class("narrow"),
        due_days: Input::new("number", "rectification_working_days", c.rectification_working_days, form, errors)
            .hint(c.rectification_working_days_hint)
            .max(3)
            .class("narrow"),
        resolution: Input::new("select", "resolution", c.resolution, form, errors).options(resolutions).class("narrow"),
        note: Input::new("textarea", "note", c.resolution_note, form, errors).max(1000),
        reason: Input::new("textarea", "reason", c.not_inspected_reason, form, errors).required().max(1000),
        notice: notice(t, ctx),
        is_inspector: i.inspector_id == ctx.user.actor.user_id,
        i,
    })
}

pub async fn inspection(ctx: RegulatorUser, path: web::Path<Uuid>) -> HttpResponse {
    let mut form = Form::default();
    form.set("resolution", "rectified");
    match inspection_page(&ctx, *path, &form, &Errors::default()).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

async fn refused(ctx: &Ctx, id: Uuid, form: &Form, e: ApiError, field: &str) -> HttpResponse {
    if !matches!(e.code, Code::Validation | Code::InvalidState) {
        return ctx.error(e);
    }
    match inspection_page(ctx, id, form, &Errors::from_api(&e, field)).await {
        Ok(p) => ctx.page(e.code.status(), &p),
        Err(e) => ctx.error(e),
    }
}

pub async fn record_result(ctx: RegulatorUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = *path;
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let sent: Vec<&str> = ctx
        .t
        .codes
        .findings
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| form.has(&format!("finding.{code}")))
        .collect();
    let findings = sent
        .iter()
        .map(|code| Finding {
            code: code.to_string(),
            category: form.get(&format!("finding.{code}.category")),
            description: form.get(&format!("finding.{code}.description")),
        })
        .collect();
    let due = match due_of(&form, "") {
        Ok(d) => d,
        Err(e) => return refused(&ctx, id, &form, e, "rectification_due").await,
    };
    let input = ResultInput {
        grade: form.get("grade"),
        findings,
        rectification_due: due.date,
        rectification_working_days: due.working_days,
    };
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    let r =
        db::transaction(&ctx.state.pool, move |conn| inspections::record_result(conn, now, today, &actor, id, &input))
            .await;
    match r {
        Ok(_) => see_other(&format!("/regulator/inspections/{id}?done=result_recorded")),
        Err(mut e) => {
            e.details = remap_findings(std::mem::take(&mut e.details), &sent);
            refused(&ctx, id, &form, e, "grade").await
        }
    }
}

/// A rectification due date as typed: `{prefix}rectification_due` (a date) or
/// `{prefix}rectification_working_days` (a whole number); both are checked by the service.
pub fn due_of(form: &Form, prefix: &str) -> Result<DueInput, ApiError> {
    let date_field = format!("{prefix}rectification_due");
    let days_field = format!("{prefix}rectification_working_days");
    let date = match form.opt(&date_field) {
        None => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|_| ApiError::field(date_field.clone(), "日期应为 YYYY-MM-DD"))?,
        ),
    };
    let working_days = match form.opt(&days_field) {
        None => None,
        Some(n) => {
            Some(n.trim().parse::<u32>().map_err(|_| ApiError::field(days_field.clone(), "应为整数（工作日数）"))?)
        }
    };
    Ok(DueInput { date, working_days })
}

/// `POST /regulator/inspections/{id}/not-inspected`: the service checks who may and the state.
pub async fn not_inspected(ctx: RegulatorUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = *path;
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let reason = form.get("reason");
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    let r = db::transaction(&ctx.state.pool, move |conn| {
        inspections::mark_not_inspected(conn, now, today, &actor, id, &reason)
    })
    .await;
    match r {
        Ok(_) => see_other(&format!("/regulator/inspections/{id}?done=not_inspected")),
        Err(e) => refused(&ctx, id, &form, e, "reason").await,
    }
}

pub async fn close_inspection(ctx: RegulatorUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = *path;
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let (resolution, note) = (form.get("resolution"), form.opt("note"));
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    let r = db::transaction(&ctx.state.pool, move |conn| {
        inspections::close(conn, now, today, &actor, id, &resolution, note.as_deref())
    })
    .await;
    match r {
        Ok(_) => see_other(&format!("/regulator/inspections/{id}?done=inspection_closed")),
        Err(e) => refused(&ctx, id, &form, e, "resolution").await,
    }
}

// ---------------------------------------------------------------- flags

#[derive(Template)]
#[template(path = "console/flags.html")]
pub struct FlagsPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub flags: Vec<ActiveFlag>,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    pub notice: Option<String>,
}

async fn flags_page(ctx: &Ctx, form: &Form, errors: &Errors) -> Result<FlagsPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let actor = ctx.actor();
    let list = db::run(&ctx.state.pool, move |conn| Ok(flags::active_within(conn, &actor)?)).await?;
    let codes = [FlagCode::UnderCheck, FlagCode::RectificationOrdered]
        .iter()
        .map(|code| (code.to_string(), code.label().to_string()))
        .collect();
    Ok(FlagsPage {
        t,
        chrome: ctx.chrome(c.flags_title, "flags"),
        csrf: ctx.csrf.clone(),
        flags: list,
        summary: errors.summary(|f| t.label(c.flag_fields, f).to_string()),
        fields: vec![
            Input::text("declaration", c.flag_declaration, form, errors)
                .hint(c.flag_declaration_hint)
                .required()
                .class("wide"),
            Input::new("select", "code", c.flag_code, form, errors).options(codes),
            Input::text("note", c.flag_note, form, errors).max(500).class("wide"),
        ],
        notice: notice(t, ctx),
    })
}

pub async fn flags(ctx: RegulatorUser) -> HttpResponse {
    match flags_page(&ctx, &Form::default(), &Errors::default()).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

/// A declaration id typed alone or inside its public address (`.../declarations/{id}`).
fn declaration_id(raw: &str) -> Option<Uuid> {
    let raw = raw.trim().trim_end_matches('/');
    let last = raw.rsplit(['/', '=']).next().unwrap_or(raw);
    last.split(['?', '#']).next().unwrap_or(last).parse().ok()
}

pub async fn raise_flag(ctx: RegulatorUser, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let refuse = |e: ApiError| {
        let ctx = &ctx;
        let form = &form;
        async move {
            if !matches!(e.code, Code::Validation | Code::NotFound | Code::Forbidden) {
                return ctx.error(e);
            }
            match flags_page(ctx, form, &Errors::from_api(&e, "declaration")).await {
                Ok(p) => ctx.page(e.code.status(), &p),
                Err(e) => ctx.error(e),
            }
        }
    };
    let Some(decl) = declaration_id(&form.get("declaration")) else {
        return refuse(ApiError::field("declaration", ctx.t.console.flag_declaration_bad)).await;
    };
    let (code, note) = (form.get("code"), form.opt("note"));
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| {
        flags::raise_by_regulator(conn, now, &actor, decl, &code, note.as_deref())
    })
    .await
    {
        Ok(_) => see_other("/regulator/flags?done=flag_raised"),
        Err(e) => refuse(e).await,
    }
}

pub async fn resolve_flag(ctx: RegulatorUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let id = *path;
    let resolution = form.get("resolution");
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| flags::resolve_by_regulator(conn, now, &actor, id, &resolution))
        .await
    {
        Ok(_) => see_other("/regulator/flags?done=flag_resolved"),
        Err(e) if e.code == Code::Validation => {
            match flags_page(&ctx, &Form::default(), &Errors::from_api(&e, "resolution")).await {
                Ok(p) => ctx.page(e.code.status(), &p),
                Err(e) => ctx.error(e),
            }
        }
        Err(e) => ctx.error(e),
    }
}

// ---------------------------------------------------------------- audit trail

#[derive(Template)]
#[template(path = "console/audit.html")]
pub struct AuditPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub fields: Vec<Input>,
    pub events: Vec<AuditEvent>,
    pub total: i64,
    pub error: Option<String>,
    pub action: &'static str,
}

impl AuditPage {
    pub fn when(&self, e: &AuditEvent) -> String {
        format::datetime(e.at)
    }
    pub fn summary(&self, e: &AuditEvent) -> String {
        e.summary.to_string()
    }
}

/// The audit trail page of regulators and sysadmins: filtered by entity, newest first.
pub async fn audit_page(ctx: &Ctx, active: &str, action: &'static str) -> HttpResponse {
    let t = ctx.t;
    let c = &t.console;
    let q = Form::parse(ctx.req.query_string().as_bytes());
    let token = |v: Option<String>| {
        v.filter(|v| {
            v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        })
    };
    let bad = q.opt("entity_id").is_some() && token(q.opt("entity_id")).is_none();
    let filter = AuditFilter { entity_type: token(q.opt("entity_type")), entity_id: token(q.opt("entity_id")) };
    let actor = ctx.actor();
    let list = db::run(&ctx.state.pool, move |conn| audit_log::list(conn, &actor, &filter, 1, 100)).await;
    let list = match list {
        Ok(l) => l,
        Err(e) => return ctx.error(e),
    };
    let types = std::iter::once((String::new(), c.all.to_string()))
        .chain(c.entity_types.iter().map(|(v, l)| (v.to_string(), l.to_string())))
        .collect();
    let none = Errors::default();
    let page = AuditPage {
        t,
        chrome: ctx.chrome(c.audit_title, active),
        fields: vec![
            Input::new("select", "entity_type", c.entity_type, &q, &none).options(types),
            Input::text("entity_id", c.entity_id, &q, &none).hint(c.entity_id_hint).max(128).class("wide"),
        ],
        events: list.items,
        total: list.total,
        error: bad.then(|| c.entity_id_bad.to_string()),
        action,
    };
    ctx.page(StatusCode::OK, &page)
}

pub async fn audit(ctx: RegulatorUser) -> HttpResponse {
    audit_page(&ctx, "audit", "/regulator/audit").await
}
