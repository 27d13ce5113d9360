//! The create/edit form of a declaration: products and indicators as repeatable rows that work
//! without JavaScript (a fixed number of empty rows plus an "add rows" button), the catalogue
//! look-up script on the standard number, and the service's field errors next to the fields with
//! what was typed kept. Saving calls `check_body` and `lifecycle::create` / `lifecycle::patch`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::declarations::{field_label, load, path_id};
use super::form::Form;
use super::{Ctx, Errors, Input, OrgUser, see_other};
use crate::db;
use crate::domain::declaration::{BelowRecommended, Kind, VersionStatus};
use crate::error::{ApiError, Code, FieldError};
use crate::services::declarations::input::{self, DeclarationBody, DeclarationPatch, Indicator, Product};
use crate::services::declarations::{DeclarationView, lifecycle};
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

pub const PRODUCT_COLS: [&str; 7] = ["name", "model", "spec", "brand", "barcode", "generic_name", "product_class"];
pub const INDICATOR_COLS: [&str; 7] =
    ["name", "code", "comparator", "value", "unit", "test_method", "safety_health_env"];
// ---------------------------------------------------------------- the form

/// A table of repeatable rows (products or indicators).
pub struct Rows {
    pub group: &'static str,
    pub heading: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Input>>,
    pub error: Option<String>,
    pub add_label: &'static str,
}

#[derive(Template)]
#[template(path = "console/decl_form.html")]
pub struct FormPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub heading: String,
    pub action: String,
    /// Editing an existing draft: its id (kind is fixed then).
    pub editing: Option<Uuid>,
    pub summary: Vec<(String, String)>,
    pub standard: Vec<Input>,
    pub codes: Vec<Input>,
    pub statements: Vec<Input>,
    pub products: Rows,
    pub indicators: Rows,
}

/// Rows with any value typed, renumbered from 0, so error paths and inputs agree. Only the
/// posted indices are visited; an index at or past `max` (the API's bound) is a field error on
/// the group, and the rows within the bound are kept for the form shown again.
fn compact(form: &mut Form, group: &str, cols: &[&str], max: usize) -> (usize, Option<FieldError>) {
    let posted = form.group_rows(group, max);
    let kept: Vec<Vec<(&str, String)>> = posted
        .rows
        .into_values()
        .map(|cells| cols.iter().map(|c| (*c, cells.get(*c).cloned().unwrap_or_default())).collect::<Vec<_>>())
        .filter(|cells| cells.iter().any(|(c, v)| *c != "comparator" && !v.trim().is_empty()))
        .collect();
    form.remove_group(group);
    for (i, cells) in kept.iter().enumerate() {
        for (c, v) in cells {
            if !v.is_empty() {
                form.set(&format!("{group}[{i}].{c}"), v.clone());
            }
        }
    }
    let error = posted.over_bound.then(|| {
        let message = if group == "products" {
            format!("最多 {max} 个产品或服务（行号应为 0 到 {} 的整数）", max - 1)
        } else {
            format!("最多 {max} 项指标（行号应为 0 到 {} 的整数）", max - 1)
        };
        FieldError::new(group, message)
    });
    (kept.len(), error)
}

/// Compacts both groups; the bound errors, if any.
fn compact_rows(form: &mut Form) -> (usize, usize, Vec<FieldError>) {
    let (n_products, p) = compact(form, "products", &PRODUCT_COLS, input::MAX_PRODUCTS);
    let (n_indicators, i) = compact(form, "indicators", &INDICATOR_COLS, input::MAX_INDICATORS);
    (n_products, n_indicators, p.into_iter().chain(i).collect())
}

fn opt(form: &Form, name: &str) -> Option<String> {
    form.opt(name)
}

/// An indicator value as the API takes it: a number when it reads as one, else the text.
fn indicator_value(raw: &str) -> serde_json::Value {
    let v = raw.trim();
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() && !v.contains(['e', 'E']) => {
            serde_json::Number::from_f64(n).map(serde_json::Value::Number).unwrap_or_else(|| v.into())
        }
        _ => serde_json::Value::String(v.to_string()),
    }
}

/// The API body from the (compacted) form; problems the form itself can have are field errors.
fn body_of(form: &Form, products: usize, indicators: usize) -> Result<DeclarationBody, Vec<FieldError>> {
    let mut problems = Vec::new();
    let kind = Kind::parse(&form.get("kind")).unwrap_or_else(|| {
        problems.push(FieldError::new("kind", "请选择声明类型"));
        Kind::Product
    });
    let effective_date = match opt(form, "effective_date") {
        None => None,
        Some(d) => match chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(FieldError::new("effective_date", "日期应为 YYYY-MM-DD"));
                None
            }
        },
    };
    let products = (0..products)
        .map(|i| {
            let f = |c: &str| form.get(&format!("products[{i}].{c}"));
            let o = |c: &str| opt(form, &format!("products[{i}].{c}"));
            Product {
                name: f("name"),
                model: o("model"),
                spec: o("spec"),
                brand: o("brand"),
                barcode: o("barcode"),
                generic_name: o("generic_name"),
                product_class: o("product_class"),
            }
        })
        .collect();
    let indicators = (0..indicators)
        .map(|i| {
            let o = |c: &str| opt(form, &format!("indicators[{i}].{c}"));
            Indicator {
                name: form.get(&format!("indicators[{i}].name")),
                value: indicator_value(&form.get(&format!("indicators[{i}].value"))),
                unit: o("unit"),
                comparator: o("comparator"),
                test_method: o("test_method"),
                safety_health_env: form.has(&format!("indicators[{i}].safety_health_env")),
                code: o("code"),
            }
        })
        .collect();
    let below_recommended_answer = match form.opt("below_recommended_answer") {
        None => None,
        Some(a) => match BelowRecommended::parse(&a) {
            // the default choice left as it is while a statement is written: the statement answers
            Some(BelowRecommended::NotStated) if opt(form, "below_recommended").is_some() => None,
            Some(a) => Some(a),
            None => {
                problems.push(FieldError::new("below_recommended_answer", "请选择是否有低于推荐性国家标准的指标"));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(DeclarationBody {
        kind,
        standard: input::StandardBody { number: form.get("standard.number"), title: form.get("standard.title") },
        products,
        industry_code: opt(form, "industry_code"),
        ics_code: opt(form, "ics_code"),
        ccs_code: opt(form, "ccs_code"),
        indicators,
        below_recommended: opt(form, "below_recommended"),
        below_recommended_answer,
        summary: opt(form, "summary"),
        effective_date,
        full_text_public: form.has("full_text_public"),
        cited_standards: number_lines(&form.get("cited_standards")),
        applicable_mandatory: number_lines(&form.get("applicable_mandatory")),
    })
}

/// Standard numbers typed one per line (or separated by commas, semicolons or 、).
fn number_lines(text: &str) -> Vec<String> {
    text.split(['\n', '\r', ',', '，', ';', '；', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The form filled from a draft.
fn form_of(v: &DeclarationView) -> Form {
    let mut f = Form::default();
    f.set("kind", v.kind.as_str());
    f.set("standard.number", v.standard.number.clone());
    f.set("standard.title", v.standard.title.clone());
    let mut put = |k: &str, val: &Option<String>| {
        if let Some(x) = val {
            f.set(k, x.clone());
        }
    };
    put("industry_code", &v.industry_code);
    put("ics_code", &v.ics_code);
    put("ccs_code", &v.ccs_code);
    put("below_recommended", &v.below_recommended);
    put("summary", &v.summary);
    f.set("below_recommended_answer", v.below_recommended_answer.clone());
    if !v.cited_standards.is_empty() {
        f.set("cited_standards", v.cited_standards.join("\n"));
    }
    if !v.applicable_mandatory.is_empty() {
        f.set("applicable_mandatory", v.applicable_mandatory.join("\n"));
    }
    if let Some(d) = v.effective_date {
        f.set("effective_date", d.to_string());
    }
    if v.full_text_public {
        f.set("full_text_public", "on");
    }
    for (i, p) in v.products.iter().enumerate() {
        f.set(&format!("products[{i}].name"), p.name.clone());
        for (c, val) in [("model", &p.model), ("spec", &p.spec), ("brand", &p.brand), ("barcode", &p.barcode)] {
            if let Some(x) = val {
                f.set(&format!("products[{i}].{c}"), x.clone());
            }
        }
        for (c, val) in [("generic_name", &p.generic_name), ("product_class", &p.product_class)] {
            if let Some(x) = val {
                f.set(&format!("products[{i}].{c}"), x.clone());
            }
        }
    }
    for (i, ind) in v.indicators.iter().map(|iv| &iv.indicator).enumerate() {
        f.set(&format!("indicators[{i}].name"), ind.name.clone());
        let value = match &ind.value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        f.set(&format!("indicators[{i}].value"), value);
        for (c, val) in [
            ("unit", &ind.unit),
            ("comparator", &ind.comparator),
            ("test_method", &ind.test_method),
            ("code", &ind.code),
        ] {
            if let Some(x) = val {
                f.set(&format!("indicators[{i}].{c}"), x.clone());
            }
        }
        if ind.safety_health_env {
            f.set(&format!("indicators[{i}].safety_health_env"), "on");
        }
    }
    f
}

struct FormSpec {
    heading: String,
    action: String,
    editing: Option<Uuid>,
    kind_fixed: Option<String>,
    social: bool,
    add_products: usize,
    add_indicators: usize,
}

fn form_page(ctx: &Ctx, spec: FormSpec, form: &Form, errors: &Errors) -> FormPage {
    let t = ctx.t;
    let c = &t.console;
    let mut standard = Vec::new();
    if spec.kind_fixed.is_none() {
        let mut kinds = vec![("product", c.kind_product), ("service", c.kind_service)];
        if spec.social {
            kinds.push(("group", c.kind_group));
        }
        standard.push(
            Input::new("select", "kind", c.kind, form, errors)
                .options(kinds.into_iter().map(|(v, l)| (v.to_string(), l.to_string())).collect())
                .required(),
        );
    }
    standard.push(
        Input::text("standard.number", c.standard_number, form, errors)
            .hint(c.standard_number_hint)
            .required()
            .max(100)
            .lookup(),
    );
    standard.push(Input::text("standard.title", c.standard_title, form, errors).required().max(200).class("wide"));
    let codes = vec![
        Input::text("industry_code", c.industry_code, form, errors).hint(c.industry_code_hint).max(10).class("narrow"),
        Input::text("ics_code", c.ics_code, form, errors).hint(c.ics_hint).max(12).class("narrow"),
        Input::text("ccs_code", c.ccs_code, form, errors).hint(c.ccs_hint).max(3).class("narrow"),
        Input::new("date", "effective_date", c.effective_date, form, errors).class("narrow"),
    ];
    let answers = BelowRecommended::ALL
        .iter()
        .map(|a| (a.as_str().to_string(), t.label(t.codes.below_recommended_answers, a.as_str()).to_string()))
        .collect();
    let statements = vec![
        Input::new("select", "below_recommended_answer", c.below_recommended_answer, form, errors)
            .options(answers)
            .class("wide"),
        Input::new("textarea", "below_recommended", c.below_recommended, form, errors)
            .hint(c.below_recommended_hint)
            .class("wide"),
        Input::new("textarea", "summary", c.summary, form, errors).class("wide"),
        Input {
            error: errors.of_list("cited_standards"),
            ..Input::new("textarea", "cited_standards", c.cited_standards, form, errors)
        }
        .hint(c.cited_standards_hint)
        .class("wide"),
        Input {
            error: errors.of_list("applicable_mandatory"),
            ..Input::new("textarea", "applicable_mandatory", c.applicable_mandatory, form, errors)
        }
        .hint(c.applicable_mandatory_hint)
        .class("wide"),
        Input::new("checkbox", "full_text_public", c.full_text_public, form, errors).hint(c.full_text_public_hint),
    ];
    let product_rows = form.rows("products");
    let n_products = (product_rows + 1).max(3) + spec.add_products;
    let products = Rows {
        group: "products",
        heading: c.products,
        headers: vec![c.p_name, c.p_model, c.p_spec, c.p_brand, c.p_barcode, c.p_generic, c.p_class],
        rows: (0..n_products)
            .map(|i| {
                PRODUCT_COLS
                    .iter()
                    .map(|col| {
                        let name = format!("products[{i}].{col}");
                        let label = format!("{} {} {}", c.product_row, i + 1, t.label(t.codes.diff_fields, col));
                        Input::text(&name, label, form, errors).max(if *col == "spec" { 200 } else { 100 })
                    })
                    .collect()
            })
            .collect(),
        error: errors.of("products"),
        add_label: c.add_products,
    };
    let comparators: Vec<(String, String)> = std::iter::once((String::new(), c.comparator_none.to_string()))
        .chain(t.codes.comparators.iter().map(|(v, l)| (v.to_string(), l.to_string())))
        .collect();
    let indicator_rows = form.rows("indicators");
    let n_indicators = (indicator_rows + 1).max(3) + spec.add_indicators;
    let indicators = Rows {
        group: "indicators",
        heading: c.indicators,
        headers: vec![c.i_name, c.i_code, c.i_comparator, c.i_value, c.i_unit, c.i_method, c.i_she],
        rows: (0..n_indicators)
            .map(|i| {
                INDICATOR_COLS
                    .iter()
                    .map(|col| {
                        let name = format!("indicators[{i}].{col}");
                        let label = format!("{} {} {}", c.indicator_row, i + 1, t.label(t.codes.diff_fields, col));
                        match *col {
                            "comparator" => {
                                Input::new("select", &name, label, form, errors).options(comparators.clone())
                            }
                            "safety_health_env" => Input::new("checkbox", &name, label, form, errors),
                            _ => Input::text(&name, label, form, errors).max(200),
                        }
                    })
                    .collect()
            })
            .collect(),
        error: errors.of("indicators"),
        add_label: c.add_indicators,
    };
    FormPage {
        t,
        chrome: ctx.chrome(spec.heading.clone(), "declarations").with_script("console.js"),
        csrf: ctx.csrf.clone(),
        heading: spec.heading,
        action: spec.action,
        editing: spec.editing,
        summary: errors.summary(|f| field_label(t, f)),
        standard,
        codes,
        statements,
        products,
        indicators,
    }
}

async fn is_social(ctx: &Ctx) -> Result<bool, ApiError> {
    let actor = ctx.actor();
    db::run(&ctx.state.pool, move |conn| {
        Ok(crate::services::accounts::get_organization(conn, actor.org_id()?)?.kind
            == crate::domain::organization::OrgKind::SocialOrganization)
    })
    .await
}

pub async fn new_form(ctx: OrgUser) -> HttpResponse {
    let social = match is_social(&ctx).await {
        Ok(s) => s,
        Err(e) => return ctx.error(e),
    };
    let mut form = Form::default();
    form.set("kind", "product");
    let spec = FormSpec {
        heading: ctx.t.console.decl_new_title.to_string(),
        action: "/console/declarations/new".into(),
        editing: None,
        kind_fixed: None,
        social,
        add_products: 0,
        add_indicators: 0,
    };
    ctx.page(StatusCode::OK, &form_page(&ctx, spec, &form, &Errors::default()))
}

/// What the "add rows" buttons ask for (no saving): more empty rows.
fn added(form: &Form) -> (usize, usize) {
    let a = form.get("add_rows");
    (if a == "products" { 3 } else { 0 }, if a == "indicators" { 3 } else { 0 })
}

pub async fn create(ctx: OrgUser, payload: web::Payload) -> HttpResponse {
    let mut form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let social = match is_social(&ctx).await {
        Ok(s) => s,
        Err(e) => return ctx.error(e),
    };
    let (n_products, n_indicators, over_bound) = compact_rows(&mut form);
    let (add_products, add_indicators) = added(&form);
    let spec = FormSpec {
        heading: ctx.t.console.decl_new_title.to_string(),
        action: "/console/declarations/new".into(),
        editing: None,
        kind_fixed: None,
        social,
        add_products,
        add_indicators,
    };
    if !over_bound.is_empty() {
        return refused(&ctx, spec, &form, ApiError::validation(over_bound));
    }
    if add_products + add_indicators > 0 {
        return ctx.page(StatusCode::OK, &form_page(&ctx, spec, &form, &Errors::default()));
    }
    let today = ctx.state.clock.today();
    let content = match body_of(&form, n_products, n_indicators)
        .and_then(|b| input::check_body(&b, "", today))
        .map_err(ApiError::validation)
    {
        Ok(c) => c,
        Err(e) => return refused(&ctx, spec, &form, e),
    };
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| lifecycle::create(conn, now, &actor, &content)).await {
        Ok(v) => see_other(&format!("/console/declarations/{}?done=saved", v.id)),
        Err(e) => refused(&ctx, spec, &form, e),
    }
}

/// The form again with the service's field errors (422), or the error page for other refusals.
fn refused(ctx: &Ctx, spec: FormSpec, form: &Form, e: ApiError) -> HttpResponse {
    match e.code {
        Code::Validation | Code::Conflict => {
            let errors = Errors::from_api(&e, "standard.number");
            let status = if e.code == Code::Conflict { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            ctx.page(status, &form_page(ctx, spec, form, &errors))
        }
        _ => ctx.error(e),
    }
}

fn edit_spec(ctx: &Ctx, v: &DeclarationView, add: (usize, usize)) -> FormSpec {
    FormSpec {
        heading: ctx.t.fill1(ctx.t.console.decl_edit_title, v.version),
        action: format!("/console/declarations/{}/edit", v.id),
        editing: Some(v.id),
        kind_fixed: Some(v.kind.as_str().to_string()),
        social: false,
        add_products: add.0,
        add_indicators: add.1,
    }
}

pub async fn edit_form(ctx: OrgUser, path: web::Path<Uuid>) -> HttpResponse {
    let v = match load(&ctx, path_id(&path)).await {
        Ok(v) if v.status == VersionStatus::Draft => v,
        Ok(v) => return see_other(&format!("/console/declarations/{}", v.id)),
        Err(e) => return ctx.error(e),
    };
    let form = form_of(&v);
    ctx.page(StatusCode::OK, &form_page(&ctx, edit_spec(&ctx, &v, (0, 0)), &form, &Errors::default()))
}

pub async fn update(ctx: OrgUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let id = path_id(&path);
    let mut form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let v = match load(&ctx, id).await {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    form.set("kind", v.kind.as_str());
    let (n_products, n_indicators, over_bound) = compact_rows(&mut form);
    if !over_bound.is_empty() {
        return refused(&ctx, edit_spec(&ctx, &v, (0, 0)), &form, ApiError::validation(over_bound));
    }
    let add = added(&form);
    if add.0 + add.1 > 0 {
        return ctx.page(StatusCode::OK, &form_page(&ctx, edit_spec(&ctx, &v, add), &form, &Errors::default()));
    }
    let body = match body_of(&form, n_products, n_indicators) {
        Ok(b) => b,
        Err(p) => return refused(&ctx, edit_spec(&ctx, &v, (0, 0)), &form, ApiError::validation(p)),
    };
    let patch = DeclarationPatch {
        standard: Some(body.standard),
        products: Some(body.products),
        industry_code: Some(body.industry_code.unwrap_or_default()),
        ics_code: Some(body.ics_code.unwrap_or_default()),
        ccs_code: Some(body.ccs_code.unwrap_or_default()),
        indicators: Some(body.indicators),
        below_recommended_answer: Some(BelowRecommended::of(
            body.below_recommended_answer,
            body.below_recommended.as_deref().is_some_and(|s| !s.trim().is_empty()),
        )),
        below_recommended: Some(body.below_recommended.unwrap_or_default()),
        summary: Some(body.summary.unwrap_or_default()),
        effective_date: body.effective_date,
        full_text_public: Some(body.full_text_public),
        cited_standards: Some(body.cited_standards),
        applicable_mandatory: Some(body.applicable_mandatory),
    };
    let (now, today) = (ctx.state.clock.now(), ctx.state.clock.today());
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| lifecycle::patch(conn, now, &actor, id, patch, today)).await {
        Ok(_) => see_other(&format!("/console/declarations/{id}?done=saved")),
        Err(e) => refused(&ctx, edit_spec(&ctx, &v, (0, 0)), &form, e),
    }
}
