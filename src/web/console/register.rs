//! `/console/register`: an organization registers with its first user (org_admin), through the
//! API's `check_registration` and `register`. The division (province -> city -> district) and the
//! industry (section -> ... -> class) are cascading pickers from the reference tables: without
//! JavaScript a "list the next level" button re-renders the form with what was typed; with it,
//! `console.js` fills the next level from the reference API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::form::field_id;
use super::{Errors, Form, Input, see_other, session_cookie};
use crate::auth::login;
use crate::db;
use crate::error::{ApiError, Code};
use crate::reference::Tree;
use crate::services::accounts::{self, RegistrationRaw};
use crate::services::sessions;
use crate::state::AppState;
use crate::web::WebState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, render, strings};

/// One cascading picker: a select per level, the deepest chosen value is the code.
pub struct Cascade {
    /// The API field the code goes to (errors land here).
    pub field: String,
    pub id: String,
    pub legend: &'static str,
    pub hint: &'static str,
    /// `divisions` or `industries` (the reference API the script asks).
    pub source: &'static str,
    pub levels: Vec<Input>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/register.html")]
pub struct RegisterPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub summary: Vec<(String, String)>,
    pub org: Vec<Input>,
    pub division: Cascade,
    pub industry: Cascade,
    pub user: Vec<Input>,
}

/// The children of each chosen level: (code, name) lists, one per level shown.
type Levels = Vec<Vec<(String, String)>>;

async fn levels(state: &AppState, tree: Tree, chosen: Vec<String>, depth: usize) -> Result<Levels, ApiError> {
    db::run(&state.pool, move |conn| Ok(crate::reference::picker_levels(conn, tree, &chosen, depth)?)).await
}

fn chosen(form: &Form, group: &str, depth: usize) -> Vec<String> {
    (0..depth).map(|i| form.get(&format!("{group}[{i}]"))).collect()
}

/// The deepest level picked.
fn deepest(form: &Form, group: &str, depth: usize) -> Option<String> {
    chosen(form, group, depth).into_iter().take_while(|c| !c.is_empty()).last()
}

#[expect(clippy::too_many_arguments, reason = "one picker's words, source and state; a struct would only rename them")]
fn cascade(
    t: &'static Strings,
    group: &str,
    field: &str,
    legend: &'static str,
    hint: &'static str,
    source: &'static str,
    lists: Levels,
    form: &Form,
    errors: &Errors,
) -> Cascade {
    let level_names = if source == "divisions" { t.console.division_levels } else { t.console.industry_levels };
    let levels = lists
        .into_iter()
        .enumerate()
        .map(|(i, list)| {
            let name = format!("{group}[{i}]");
            let label = level_names.get(i).copied().unwrap_or_default();
            let options = std::iter::once((String::new(), t.console.choose.to_string()))
                .chain(list.into_iter().map(|(c, n)| (c.clone(), format!("{n}（{c}）"))))
                .collect();
            Input::new("select", &name, label, form, &Errors::default()).options(options)
        })
        .collect();
    Cascade { field: field.to_string(), id: field_id(field), legend, hint, source, levels, error: errors.of(field) }
}

async fn page(
    state: &AppState,
    t: &'static Strings,
    csrf: String,
    form: &Form,
    errors: &Errors,
) -> Result<RegisterPage, ApiError> {
    let c = &t.console;
    let divisions = levels(state, Tree::Divisions, chosen(form, "division", 3), 3).await?;
    let industries = levels(state, Tree::Industries, chosen(form, "industry", 4), 4).await?;
    let kinds = vec![
        ("enterprise".to_string(), c.org_enterprise.to_string()),
        ("social_organization".to_string(), c.org_social.to_string()),
    ];
    let org = vec![
        Input::new("select", "organization.kind", c.org_kind, form, errors).options(kinds).required(),
        Input::text("organization.uscc", c.uscc, form, errors).hint(c.uscc_hint).required().max(18),
        Input::text("organization.name", c.org_name, form, errors).required().max(100).class("wide"),
        Input::text("organization.group_code", c.group_code, form, errors).hint(c.group_code_hint).max(12),
        Input::text("organization.address", c.address, form, errors).max(200).class("wide"),
        Input::text("organization.contact_phone", c.contact_phone, form, errors).max(20).autocomplete("tel"),
    ];
    let user = vec![
        Input::text("user.name", c.user_name, form, errors).required().max(50).autocomplete("name"),
        Input::new("email", "user.email", c.email, form, errors).required().max(254).autocomplete("email"),
        Input::new("password", "user.password", c.password, &Form::default(), errors)
            .hint(c.password_hint)
            .required()
            .max(128)
            .autocomplete("new-password"),
    ];
    let label = |f: &str| t.label(c.register_fields, f).to_string();
    Ok(RegisterPage {
        t,
        chrome: Chrome::new(t, c.register_title, "").with_script("console.js"),
        csrf,
        summary: errors.summary(label),
        org,
        division: cascade(
            t,
            "division",
            "organization.division_code",
            c.division,
            c.division_hint,
            "divisions",
            divisions,
            form,
            errors,
        ),
        industry: cascade(
            t,
            "industry",
            "organization.industry_code",
            c.industry,
            c.industry_hint,
            "industries",
            industries,
            form,
            errors,
        ),
        user,
    })
}

fn respond(res: HttpResponse, cookie: Option<actix_web::cookie::Cookie<'static>>) -> HttpResponse {
    let mut res = res;
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

pub async fn form(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> HttpResponse {
    let t = strings(&req);
    let (csrf, cookie) = ws.csrf.issue(&req);
    let mut f = Form::default();
    f.set("organization.kind", "enterprise");
    f.set("division[0]", crate::web::CHONGQING);
    match page(&state, t, csrf, &f, &Errors::default()).await {
        Ok(p) => respond(render(StatusCode::OK, &p), cookie),
        Err(e) => crate::web::page::PageError { error: e, req }.into_page(),
    }
}

async fn show(
    state: &AppState,
    req: &HttpRequest,
    t: &'static Strings,
    csrf: String,
    form: &Form,
    status: StatusCode,
    errors: Errors,
) -> HttpResponse {
    match page(state, t, csrf, form, &errors).await {
        Ok(p) => render(status, &p),
        Err(e) => crate::web::page::PageError { error: e, req: req.clone() }.into_page(),
    }
}

/// The form again with the service's field errors, or the error page.
async fn refuse(
    state: &AppState,
    req: &HttpRequest,
    t: &'static Strings,
    csrf: String,
    form: &Form,
    e: ApiError,
) -> HttpResponse {
    match e.code {
        Code::Validation | Code::Conflict => {
            show(state, req, t, csrf, form, e.code.status(), Errors::from_api(&e, "organization.uscc")).await
        }
        _ => crate::web::page::PageError { error: e, req: req.clone() }.into_page(),
    }
}

pub async fn submit(
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
    if form.has("refresh") {
        return respond(show(&state, &req, t, csrf, &form, StatusCode::OK, Errors::default()).await, cookie);
    }
    let division = deepest(&form, "division", 3).unwrap_or_default();
    let industry = deepest(&form, "industry", 4).filter(|c| c.len() > 1);
    let (kind, uscc, name) =
        (form.get("organization.kind"), form.get("organization.uscc"), form.get("organization.name"));
    let (group, address, phone) =
        (form.opt("organization.group_code"), form.opt("organization.address"), form.opt("organization.contact_phone"));
    let (email, password, user_name) = (form.get("user.email"), form.get("user.password"), form.get("user.name"));
    let checked = accounts::check_registration(&RegistrationRaw {
        uscc: &uscc,
        name: &name,
        kind: &kind,
        division_code: &division,
        industry_code: industry.as_deref(),
        group_code: group.as_deref(),
        address: address.as_deref(),
        contact_phone: phone.as_deref(),
        email: &email,
        password: &password,
        user_name: &user_name,
    });
    let reg = match checked {
        Ok(r) => r,
        Err(e) => return respond(refuse(&state, &req, t, csrf, &form, e).await, cookie),
    };
    let hash = match login::hash(reg.password.clone()).await {
        Ok(h) => h,
        Err(e) => return respond(refuse(&state, &req, t, csrf, &form, e).await, cookie),
    };
    let now = state.clock.now();
    let created = db::transaction(&state.pool, move |conn| {
        let (_, user) = accounts::register(conn, now, &reg, &hash)?;
        Ok(sessions::create(conn, now, user.id)?)
    })
    .await;
    match created {
        Ok(secret) => {
            let mut res = see_other("/console?done=registered");
            let _ = res.add_cookie(&session_cookie(&req, Some(&secret)));
            res
        }
        Err(e) => respond(refuse(&state, &req, t, csrf, &form, e).await, cookie),
    }
}
