//! `/organizations/{uscc}`: the public profile and its published declarations.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::uscc::Uscc;
use crate::extract::parse_query;
use crate::services::accounts::{self, PublicOrganization};
use crate::services::declarations as decls;
use crate::state::AppState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, OrPage, PageResult, not_found, render, strings};
use crate::web::{WebState, format};

pub struct Row {
    pub href: String,
    pub number: String,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_code: String,
    pub flagged: bool,
    pub published: String,
}

#[derive(Template)]
#[template(path = "organization.html")]
pub struct OrganizationPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub org: PublicOrganization,
    pub kind: &'static str,
    pub division: String,
    pub industry: String,
    pub registered: String,
    pub rows: Vec<Row>,
    pub total: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub report_href: String,
    pub search_href: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    page: Option<i64>,
}

const PER_PAGE: i64 = 20;

pub async fn organization(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> PageResult {
    let t = strings(&req);
    let Some(uscc) = req.match_info().get("uscc").and_then(|u| Uscc::parse(u).ok()) else {
        return Ok(not_found(&req));
    };
    let q: PageQuery = parse_query(req.query_string()).or_page(&req)?;
    let (page, _) = crate::extract::paging(q.page, Some(PER_PAGE)).or_page(&req)?;
    let names = ws.names(&state).await.or_page(&req)?;
    let code = uscc.as_str().to_string();
    let (org, list) = db::run(&state.pool, move |conn| {
        let org = accounts::public_organization(conn, &code)?;
        let list = decls::list_public_for_uscc(conn, &code, None, page, PER_PAGE)?;
        Ok((org, list))
    })
    .await
    .or_page(&req)?;
    let rows = list
        .items
        .iter()
        .map(|d| Row {
            href: format!("/declarations/{}", d.id),
            number: d.standard.number.clone(),
            title: d.standard.title.clone(),
            kind: t.codes_label(t.codes.kinds, &d.kind),
            status: t.codes_label(t.codes.statuses, &d.status),
            status_code: d.status.clone(),
            flagged: d.flagged,
            published: format::opt_date(d.published_at),
        })
        .collect();
    let base = format!("/organizations/{}", org.uscc);
    let industry = org
        .industry_code
        .as_deref()
        .map(|c| match names.section(&c[..1]) {
            Some(s) => format!("{c}（{s}）"),
            None => c.to_string(),
        })
        .unwrap_or_default();
    let page_view = OrganizationPage {
        t,
        chrome: Chrome::new(t, org.name.clone(), "search"),
        kind: t.codes_label(t.codes.org_kinds, &org.kind),
        division: org.division_name.clone().unwrap_or_else(|| org.division_code.clone()),
        industry,
        registered: format::date(org.registered_at),
        rows,
        total: list.total,
        prev_href: (page > 1).then(|| format!("{base}?page={}", page - 1)),
        next_href: (page * PER_PAGE < list.total).then(|| format!("{base}?page={}", page + 1)),
        report_href: format!("/complaints/new?uscc={}", org.uscc),
        search_href: format!("/search?uscc={}", org.uscc),
        org,
    };
    Ok(render(StatusCode::OK, &page_view))
}
