//! `/complaints/new` (the form, anonymous or named, pre-filled from a declaration; the receipt with
//! the tracking code and access key shown once) and `/complaints/track`. Posts need the CSRF
//! token; filing goes through the API's own validation (`intake::check`) and rate limit
//! (`intake::file`), so the rules are the same.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::client_ip;
use crate::db;
use crate::domain::complaint::Category;
use crate::error::{ApiError, Code, FieldError};
use crate::extract::{parse_query, read_body};
use crate::services::complaints::intake::{self, ComplainantBody, ComplaintBody, TargetBody};
use crate::services::declarations as decls;
use crate::state::AppState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, OrPage, PageResult, csrf_refused, render, strings};
use crate::web::{WebState, format};

/// Form bodies are small; anything larger is refused.
const FORM_LIMIT: usize = 64 * 1024;

/// What the complaint form holds (as typed, for re-display).
#[derive(Deserialize, Default, Debug)]
pub struct ComplaintForm {
    pub csrf_token: Option<String>,
    pub declaration_id: Option<String>,
    pub uscc: Option<String>,
    pub organization_name: Option<String>,
    pub standard_number: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub identity: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The declaration a complaint is about, as the form shows it.
pub struct TargetSummary {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub organization: String,
    pub href: String,
}

pub struct CategoryOption {
    pub code: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "complaint_form.html")]
pub struct FormPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub target: Option<TargetSummary>,
    pub f: ComplaintForm,
    pub categories: Vec<CategoryOption>,
    pub named: bool,
    /// (field id, words)
    pub errors: Vec<(String, String)>,
    pub error_fields: Vec<String>,
}

impl FormPage {
    pub fn has_error(&self, field: &str) -> bool {
        self.error_fields.iter().any(|f| f == field)
    }

    pub fn v<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "complaint_receipt.html")]
pub struct ReceiptPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub tracking_code: String,
    pub access_key: String,
    pub acceptance_due: String,
    pub track_href: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Prefill {
    declaration_id: Option<String>,
    uscc: Option<String>,
    organization_name: Option<String>,
    standard_number: Option<String>,
}

fn with_cookie(mut res: HttpResponse, cookie: Option<actix_web::cookie::Cookie<'static>>) -> HttpResponse {
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

async fn load_target(state: &AppState, id: Option<Uuid>) -> Option<TargetSummary> {
    let id = id?;
    let d = db::run(&state.pool, move |conn| decls::get_for(conn, None, id)).await.ok()?;
    Some(TargetSummary {
        id,
        number: d.standard.number,
        title: d.standard.title,
        organization: d.organization.name,
        href: format!("/declarations/{id}"),
    })
}

fn form_page(
    t: &'static Strings,
    csrf: String,
    target: Option<TargetSummary>,
    f: ComplaintForm,
    errors: Vec<FieldError>,
) -> FormPage {
    let categories = t
        .codes
        .categories
        .iter()
        .map(|(code, label)| CategoryOption {
            code,
            label,
            hint: t.codes_label(t.codes.category_hints, code),
            checked: f.category.as_deref() == Some(code),
        })
        .collect();
    let field_id = |api_field: &str| -> String {
        match api_field {
            "target.uscc" => "uscc",
            "target.organization_name" => "organization_name",
            "target.standard_number" => "standard_number",
            "target.declaration_id" | "target" => "uscc",
            "complainant.name" => "name",
            "complainant.phone" => "phone",
            "complainant.email" => "email",
            "category" => "category",
            _ => "description",
        }
        .to_string()
    };
    let label_of = |id: &str| match id {
        "uscc" => t.complaint.uscc,
        "organization_name" => t.complaint.organization_name,
        "standard_number" => t.complaint.standard_number,
        "name" => t.complaint.name,
        "phone" => t.complaint.phone,
        "email" => t.complaint.email,
        "category" => t.complaint.category,
        _ => t.complaint.description,
    };
    let error_fields: Vec<String> = errors.iter().map(|e| field_id(&e.field)).collect();
    let errors = errors
        .iter()
        .map(|e| {
            let id = field_id(&e.field);
            let words = format!("{}：{}", label_of(&id), e.message);
            (id, words)
        })
        .collect();
    FormPage {
        t,
        chrome: Chrome::new(t, t.complaint.title, "complaint"),
        csrf,
        target,
        named: f.identity.as_deref() == Some("named"),
        f,
        categories,
        errors,
        error_fields,
    }
}

pub async fn new_form(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> PageResult {
    let t = strings(&req);
    let p: Prefill = parse_query(req.query_string()).unwrap_or_default();
    let target = load_target(&state, p.declaration_id.as_deref().and_then(|s| s.trim().parse().ok())).await;
    let (csrf, cookie) = ws.csrf.issue(&req);
    let f = ComplaintForm {
        declaration_id: target.as_ref().map(|d| d.id.to_string()),
        uscc: p.uscc,
        organization_name: p.organization_name,
        standard_number: p.standard_number,
        identity: Some("anonymous".into()),
        ..ComplaintForm::default()
    };
    let page = form_page(t, csrf, target, f, Vec::new());
    Ok(with_cookie(render(StatusCode::OK, &page), cookie))
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The API body from the form; fields the form itself gets wrong are reported like the API's.
fn body_of(f: &ComplaintForm) -> Result<ComplaintBody, Vec<FieldError>> {
    let mut problems = Vec::new();
    let declaration_id = match opt(&f.declaration_id) {
        None => None,
        Some(raw) => match raw.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                problems.push(FieldError::new("target.declaration_id", "声明编号无效"));
                None
            }
        },
    };
    let category = match opt(&f.category).and_then(|c| serde_json::from_value::<Category>(serde_json::json!(c)).ok()) {
        Some(c) => Some(c),
        None => {
            problems.push(FieldError::new("category", "请选择问题类型"));
            None
        }
    };
    let complainant = (f.identity.as_deref() == Some("named")).then(|| ComplainantBody {
        name: f.name.clone().unwrap_or_default(),
        phone: opt(&f.phone),
        email: opt(&f.email),
    });
    match category {
        Some(category) if problems.is_empty() => Ok(ComplaintBody {
            target: TargetBody {
                declaration_id,
                uscc: opt(&f.uscc),
                organization_name: opt(&f.organization_name),
                standard_number: opt(&f.standard_number),
                division_code: None,
            },
            category,
            description: f.description.clone().unwrap_or_default(),
            complainant,
        }),
        _ => Err(problems),
    }
}

/// The form again, with the problems named (422).
async fn refused(
    state: &AppState,
    t: &'static Strings,
    target_id: Option<Uuid>,
    f: ComplaintForm,
    errors: Vec<FieldError>,
    csrf: String,
) -> HttpResponse {
    let target = load_target(state, target_id).await;
    render(StatusCode::UNPROCESSABLE_ENTITY, &form_page(t, csrf, target, f, errors))
}

pub async fn submit(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
    ws: web::Data<WebState>,
) -> PageResult {
    let t = strings(&req);
    let bytes = read_body(&req, &mut payload, FORM_LIMIT).await.or_page(&req)?;
    let f: ComplaintForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| ApiError::new(Code::BadRequest, "表单内容无法解析"))
        .or_page(&req)?;
    if !ws.csrf.verify(&req, f.csrf_token.as_deref()) {
        return Ok(csrf_refused(&req));
    }
    let (csrf, cookie) = ws.csrf.issue(&req);
    let target_id = opt(&f.declaration_id).and_then(|s| s.parse().ok());
    let input = match body_of(&f).and_then(|b| intake::check(b).map_err(|e| e.details)) {
        Ok(i) => i,
        Err(problems) => return Ok(with_cookie(refused(&state, t, target_id, f, problems, csrf).await, cookie)),
    };
    let ip = client_ip(&req);
    let (now, today) = (state.clock.now(), state.clock.today());
    let keys = state.settings.complaint_keys.clone();
    let limit = state.settings.complaint_rate_limit;
    let filed =
        db::transaction(&state.pool, move |conn| intake::file(conn, now, today, &keys, &ip, limit, input)).await;
    let receipt = match filed {
        Ok(r) => r,
        Err(e) if e.code == Code::Validation => {
            return Ok(with_cookie(refused(&state, t, target_id, f, e.details, csrf).await, cookie));
        }
        Err(e) => return Err(e).or_page(&req),
    };
    let page = ReceiptPage {
        t,
        chrome: Chrome::new(t, t.complaint.filed_title, "complaint"),
        track_href: format!("/complaints/track?code={}", receipt.tracking_code),
        tracking_code: receipt.tracking_code,
        access_key: receipt.access_key,
        acceptance_due: format::day(receipt.acceptance_due),
    };
    Ok(with_cookie(render(StatusCode::CREATED, &page), cookie))
}

// ---------------------------------------------------------------- tracking

pub struct UpdateRow {
    pub at: String,
    pub event: &'static str,
    pub reply: Option<String>,
}

#[derive(Template)]
#[template(path = "complaint_track.html")]
pub struct TrackPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub code: String,
    pub not_found: bool,
    pub status: Option<&'static str>,
    pub status_code: String,
    /// Working-day deadlines (China dates): acceptance, and conclusion once accepted.
    pub acceptance_due: String,
    pub conclusion_due: String,
    pub updates: Vec<UpdateRow>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CodeQuery {
    code: Option<String>,
}

#[derive(Deserialize, Default)]
struct TrackForm {
    csrf_token: Option<String>,
    code: Option<String>,
    key: Option<String>,
}

fn track_page(t: &'static Strings, csrf: String, code: String) -> TrackPage {
    TrackPage {
        t,
        chrome: Chrome::new(t, t.track.title, "track"),
        csrf,
        code,
        not_found: false,
        status: None,
        status_code: String::new(),
        acceptance_due: String::new(),
        conclusion_due: String::new(),
        updates: Vec::new(),
    }
}

pub async fn track_form(req: HttpRequest, ws: web::Data<WebState>) -> PageResult {
    let t = strings(&req);
    let q: CodeQuery = parse_query(req.query_string()).unwrap_or_default();
    let (csrf, cookie) = ws.csrf.issue(&req);
    let page = track_page(t, csrf, q.code.unwrap_or_default());
    Ok(with_cookie(render(StatusCode::OK, &page), cookie))
}

pub async fn track(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
    ws: web::Data<WebState>,
) -> PageResult {
    let t = strings(&req);
    let bytes = read_body(&req, &mut payload, FORM_LIMIT).await.or_page(&req)?;
    let f: TrackForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| ApiError::new(Code::BadRequest, "表单内容无法解析"))
        .or_page(&req)?;
    if !ws.csrf.verify(&req, f.csrf_token.as_deref()) {
        return Ok(csrf_refused(&req));
    }
    let (csrf, cookie) = ws.csrf.issue(&req);
    let code = f.code.clone().unwrap_or_default().trim().to_string();
    let key = f.key.clone().unwrap_or_default().trim().to_string();
    let (c, k) = (code.clone(), key);
    let found = db::run(&state.pool, move |conn| intake::track(conn, &c, &k)).await;
    let mut page = track_page(t, csrf, code);
    let status = match found {
        Ok(view) => {
            page.status = Some(t.codes_label(t.codes.complaint_statuses, &view.status));
            page.status_code = view.status.clone();
            page.code = view.tracking_code;
            page.acceptance_due = format::day(view.acceptance_due);
            page.conclusion_due = view.conclusion_due.map(format::day).unwrap_or_default();
            page.updates = view
                .updates
                .into_iter()
                .map(|u| UpdateRow {
                    at: format::datetime(u.at),
                    event: t.codes_label(t.codes.complaint_events, &u.event),
                    reply: u.public_reply,
                })
                .collect();
            StatusCode::OK
        }
        Err(e) if e.code == Code::NotFound => {
            page.not_found = true;
            StatusCode::NOT_FOUND
        }
        Err(e) => return Err(e).or_page(&req),
    };
    Ok(with_cookie(render(status, &page), cookie))
}
