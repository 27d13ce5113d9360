//! `/declarations/{id}`: the public record (or one published version with `?version=n`), and
//! `/declarations/{id}/diff?from=&to=`: what changed between two versions, in words.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::db;
use crate::domain::diff::ListDiff;
use crate::error::ApiError;
use crate::extract::parse_query;
use crate::services::declarations::{self as decls, DeclarationView};
use crate::state::AppState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, OrPage, PageResult, not_found, render, strings};
use crate::web::{WebState, format};

pub struct ProductRow {
    pub name: String,
    pub model: String,
    pub spec: String,
    pub brand: String,
    pub barcode: String,
    pub generic_name: String,
}

pub struct IndicatorRow {
    pub name: String,
    pub value: String,
    pub unit: String,
    pub comparator: String,
    pub test_method: String,
    pub she: bool,
    /// Each comparison in words (`严于 GB 18401-2010 B类限值 75 mg/kg`) with its result.
    pub compared: Vec<(String, &'static str)>,
    /// Requirements it could not be compared with, in words.
    pub not_compared: Vec<String>,
    /// Lower than a recommended standard: the declarant's statement is shown next to it.
    pub lower_recommended: bool,
}

pub struct FlagRow {
    pub name: &'static str,
    pub meaning: &'static str,
    pub note: Option<String>,
    pub raised: String,
    /// Who raised it (spot check, complaint, regulator, overdue job).
    pub source: &'static str,
    /// Empty while active.
    pub resolved: String,
    pub resolution: Option<String>,
}

/// An ended earlier record of the same number, with its supervision history.
pub struct EarlierRow {
    pub href: String,
    pub number: String,
    pub status: &'static str,
    pub ended: String,
    pub reason: Option<String>,
    pub flags: Vec<FlagRow>,
}

fn flag_row(r: &crate::services::flags::FlagRecord) -> FlagRow {
    let f = &r.flag;
    FlagRow {
        name: f.code.label(),
        meaning: f.code.meaning(),
        note: f.note.clone().filter(|n| !n.trim().is_empty()),
        raised: format::date(f.raised_at),
        source: r.source.label(),
        resolved: format::opt_date(f.resolved_at),
        resolution: f.resolution.clone().filter(|n| !n.trim().is_empty()),
    }
}

/// A notice line: which standard, how it is used, what happened, since when, the replacement.
pub struct NoticeRow {
    pub role: &'static str,
    pub standard: String,
    pub what: &'static str,
    pub since: String,
    pub replacement: String,
}

/// A standard of the declaration with its catalogue status.
pub struct RefRow {
    pub role: &'static str,
    pub number: String,
    pub status: String,
    pub title: String,
}

pub struct VersionRow {
    pub version: i32,
    pub status: &'static str,
    pub number: String,
    pub published: String,
    pub ended: String,
    pub href: String,
    pub shown: bool,
}

#[derive(Template)]
#[template(path = "declaration.html")]
pub struct DeclarationPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub id: Uuid,
    pub d: DeclarationView,
    pub is_current: bool,
    pub kind: &'static str,
    pub standard_type: &'static str,
    pub status: &'static str,
    pub division: String,
    pub industry: String,
    pub published: String,
    pub first_published: String,
    pub effective: String,
    pub ended: String,
    pub products: Vec<ProductRow>,
    pub indicators: Vec<IndicatorRow>,
    /// Some indicator was compared with (or could not be compared with) a standard's requirement.
    pub any_compared: bool,
    pub flags: Vec<FlagRow>,
    pub notices: Vec<NoticeRow>,
    pub refs: Vec<RefRow>,
    pub flag_history: Vec<FlagRow>,
    pub earlier: Vec<EarlierRow>,
    pub versions: Vec<VersionRow>,
    pub compare_from: i32,
    pub compare_to: i32,
    pub full_text_href: Option<String>,
    pub report_href: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionQuery {
    version: Option<i32>,
}

fn parse_id(req: &HttpRequest) -> Option<Uuid> {
    req.match_info().get("id").and_then(|s| s.parse().ok())
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn industry_words(names: &crate::web::Names, code: Option<&str>) -> String {
    match code {
        None => String::new(),
        Some(c) => match names.section(&c[..1]) {
            Some(section) => format!("{c}（{section}）"),
            None => c.to_string(),
        },
    }
}

pub async fn declaration(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> PageResult {
    let t = strings(&req);
    let Some(id) = parse_id(&req) else { return Ok(not_found(&req)) };
    let q: VersionQuery = parse_query(req.query_string()).or_page(&req)?;
    let names = ws.names(&state).await.or_page(&req)?;
    let d = db::run(&state.pool, move |conn| match q.version {
        Some(n) => decls::get_version_for(conn, None, id, n),
        None => decls::get_for(conn, None, id),
    })
    .await
    .or_page(&req)?;
    let is_current = d.public_version == Some(d.version);
    let label = |table, code: &str| -> &'static str { t.codes_label(table, code) };
    let products = d
        .products
        .iter()
        .map(|p| ProductRow {
            name: match &p.product_class {
                Some(c) => format!("{}（{c}）", p.name),
                None => p.name.clone(),
            },
            model: text(&p.model),
            spec: text(&p.spec),
            brand: text(&p.brand),
            barcode: text(&p.barcode),
            generic_name: text(&p.generic_name),
        })
        .collect();
    let indicators: Vec<IndicatorRow> = d
        .indicators
        .iter()
        .map(|i| {
            let v = serde_json::to_value(i).unwrap_or(Value::Null);
            let get = |k: &str| format::value(&v[k], "", t.site.yes, t.site.no);
            IndicatorRow {
                name: get("name"),
                value: get("value"),
                unit: get("unit"),
                comparator: v["comparator"]
                    .as_str()
                    .map(|c| label(t.codes.comparators, c).to_string())
                    .unwrap_or_default(),
                test_method: get("test_method"),
                she: v["safety_health_env"].as_bool().unwrap_or(false),
                compared: i.comparisons.iter().map(|c| (c.words.clone(), c.result.as_str())).collect(),
                not_compared: i.not_compared.iter().map(|g| format!("{}：{}", g.standard, g.message)).collect(),
                lower_recommended: i.comparisons.iter().any(|c| {
                    c.result == crate::domain::indicators::compare::Outcome::Lower
                        && c.nature == crate::domain::indicators::compare::Nature::Recommended
                }),
            }
        })
        .collect();
    let flags = d.flag_history.iter().filter(|f| f.flag.resolved_at.is_none()).map(flag_row).collect();
    let flag_history = d.flag_history.iter().map(flag_row).collect();
    let earlier = d
        .earlier_records
        .iter()
        .map(|e| EarlierRow {
            href: format!("/declarations/{}", e.id),
            number: e.standard_number.clone(),
            status: e.status.label(),
            ended: format::opt_date(e.ended_at),
            reason: e.end_reason.clone(),
            flags: e.flags.iter().map(flag_row).collect(),
        })
        .collect();
    let notices = d
        .notices
        .iter()
        .map(|n| NoticeRow {
            role: n.role.label(),
            standard: n.standard.clone(),
            what: n.kind.label(),
            since: n.since.to_string(),
            replacement: n.replacements.join("、"),
        })
        .collect();
    let refs = d
        .catalogue
        .iter()
        .map(|c| RefRow {
            role: c.role.label(),
            number: c.number.clone(),
            status: match c.status {
                Some(s) if c.replaced_by.is_empty() => s.label().to_string(),
                Some(s) => format!("{}（{} {}）", s.label(), t.decl.notice_replacement, c.replaced_by.join("、")),
                None => t.decl.ref_not_in_catalogue.to_string(),
            },
            title: c.title.clone().unwrap_or_default(),
        })
        .collect();
    let versions: Vec<VersionRow> = d
        .versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            status: v.status.label(),
            number: v.standard_number.clone(),
            published: format::opt_date(v.published_at),
            ended: format::opt_date(v.ended_at),
            href: if Some(v.version) == d.public_version {
                format!("/declarations/{id}")
            } else {
                format!("/declarations/{id}?version={}", v.version)
            },
            shown: v.version == d.version,
        })
        .collect();
    let newest = versions.last().map(|v| v.version).unwrap_or(d.version);
    let compare_to = newest;
    let compare_from = versions.iter().rev().nth(1).map(|v| v.version).unwrap_or(newest);
    let full_text_href =
        d.full_text.as_ref().filter(|f| f.public).map(|_| format!("/api/v1/declarations/{id}/full-text"));
    let page = DeclarationPage {
        t,
        chrome: Chrome::new(t, format!("{} {}", d.standard.number, d.standard.title), "search"),
        id,
        kind: d.kind.label(),
        standard_type: d.standard.kind.label(),
        status: d.status.label(),
        division: names
            .division(&d.organization.division_code)
            .map(|n| format!("{n}（{}）", d.organization.division_code))
            .unwrap_or_else(|| d.organization.division_code.clone()),
        industry: industry_words(&names, d.industry_code.as_deref()),
        published: d.published_at.map(format::datetime).unwrap_or_default(),
        first_published: d.first_published_at.map(format::date).unwrap_or_default(),
        effective: d.effective_date.map(format::day).unwrap_or_default(),
        ended: d.ended_at.map(format::datetime).unwrap_or_default(),
        products,
        any_compared: indicators.iter().any(|i: &IndicatorRow| !i.compared.is_empty() || !i.not_compared.is_empty()),
        indicators,
        flags,
        notices,
        refs,
        flag_history,
        earlier,
        versions,
        compare_from,
        compare_to,
        full_text_href,
        report_href: format!("/complaints/new?declaration_id={id}"),
        is_current,
        d,
    };
    Ok(render(StatusCode::OK, &page))
}

/// One line of the diff: what, before, after.
pub struct ChangeRow {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The changes of one list (products or indicators), in words.
pub struct ListChanges {
    pub title: &'static str,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<(String, Vec<ChangeRow>)>,
}

impl ListChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

#[derive(Template)]
#[template(path = "diff.html")]
pub struct DiffPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub heading: String,
    pub back_href: String,
    pub title: String,
    pub number: String,
    pub fields: Vec<ChangeRow>,
    pub lists: Vec<ListChanges>,
    pub versions: Vec<i32>,
    pub from: i32,
    pub to: i32,
    pub id: Uuid,
    pub same: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    from: i32,
    to: i32,
}

fn words(t: &'static Strings, field: &str, v: &Value) -> String {
    match (field, v) {
        ("standard_type", Value::String(s)) => t.codes_label(t.codes.standard_types, s).to_string(),
        ("comparator", Value::String(s)) => t.codes_label(t.codes.comparators, s).to_string(),
        ("full_text_sha256", Value::String(s)) => format!("SHA-256 {}…", &s[..s.len().min(12)]),
        _ => format::value(v, t.site.empty_value, t.site.yes, t.site.no),
    }
}

/// A product or indicator as one line: its name and its other values.
fn item_line(t: &'static Strings, v: &Value) -> String {
    let Some(map) = v.as_object() else { return words(t, "", v) };
    let name = map.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    let rest: Vec<String> = map
        .iter()
        .filter(|(k, x)| k.as_str() != "name" && !x.is_null())
        .map(|(k, x)| format!("{}：{}", t.codes_label(t.codes.diff_fields, k), words(t, k, x)))
        .collect();
    if rest.is_empty() { name } else { format!("{name}（{}）", rest.join("，")) }
}

fn list_changes(t: &'static Strings, title: &'static str, d: &ListDiff) -> ListChanges {
    ListChanges {
        title,
        added: d.added.iter().map(|v| item_line(t, v)).collect(),
        removed: d.removed.iter().map(|v| item_line(t, v)).collect(),
        changed: d
            .changed
            .iter()
            .map(|c| {
                let rows = c
                    .changes
                    .iter()
                    .map(|f| ChangeRow {
                        field: t.codes_label(t.codes.diff_fields, &f.field).to_string(),
                        before: words(t, &f.field, &f.from),
                        after: words(t, &f.field, &f.to),
                    })
                    .collect();
                (c.key.clone(), rows)
            })
            .collect(),
    }
}

pub async fn diff(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let t = strings(&req);
    let Some(id) = parse_id(&req) else { return Ok(not_found(&req)) };
    let q: DiffQuery = parse_query(req.query_string()).or_page(&req)?;
    let (from, to) = (q.from, q.to);
    let (current, diff) = db::run(&state.pool, move |conn| {
        let current = decls::get_for(conn, None, id)?;
        let diff = decls::diff_for(conn, None, id, from, to)?;
        Ok::<_, ApiError>((current, diff))
    })
    .await
    .or_page(&req)?;
    let fields: Vec<ChangeRow> = diff
        .changes
        .iter()
        .map(|c| ChangeRow {
            field: t.codes_label(t.codes.diff_fields, &c.field).to_string(),
            before: words(t, &c.field, &c.from),
            after: words(t, &c.field, &c.to),
        })
        .collect();
    let lists = vec![
        list_changes(t, t.decl.diff_products, &diff.products),
        list_changes(t, t.decl.diff_indicators, &diff.indicators),
    ];
    let same = fields.is_empty() && lists.iter().all(ListChanges::is_empty);
    let heading = t.fill(t.decl.diff_heading, &[&from, &to]);
    let page = DiffPage {
        t,
        chrome: Chrome::new(t, format!("{} {}", heading, current.standard.number), "search"),
        heading,
        back_href: format!("/declarations/{id}"),
        title: current.standard.title.clone(),
        number: current.standard.number.clone(),
        fields,
        lists,
        versions: current.versions.iter().map(|v| v.version).collect(),
        from,
        to,
        id,
        same,
    };
    Ok(render(StatusCode::OK, &page))
}
