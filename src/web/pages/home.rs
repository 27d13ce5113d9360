//! `/`: the search box, counts, the newest declarations and the latest spot-check reports.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;

use super::DeclarationCard;
use crate::db;
use crate::search::query::{SearchRequest, Sort};
use crate::services::supervision::campaigns;
use crate::state::AppState;
use crate::web::WebState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, OrPage, PageResult, render, strings};

/// A closed campaign in the home page's list.
pub struct ReportLink {
    pub href: String,
    pub name: String,
    pub closed: String,
    pub drawn: i32,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub in_force: usize,
    pub organizations: i64,
    pub flagged: usize,
    pub recent: Vec<DeclarationCard>,
    pub reports: Vec<ReportLink>,
    pub degraded: bool,
}

pub async fn home(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> PageResult {
    let t = strings(&req);
    let names = ws.names(&state).await.or_page(&req)?;
    let newest = SearchRequest {
        statuses: vec!["public"],
        sort: Some(Sort::NewestFirst),
        page: 1,
        per_page: 6,
        facets: crate::search::query::FacetSet::None,
        ..SearchRequest::default()
    };
    let found = state.search(&newest).await.or_page(&req)?;
    let (organizations, closed) = db::run(&state.pool, |conn| {
        Ok((crate::services::accounts::count_organizations(conn)?, campaigns::closed(conn, 5)?))
    })
    .await
    .or_page(&req)?;
    let page = HomePage {
        t,
        chrome: Chrome::new(t, t.site.nav_home, "home"),
        in_force: found.total,
        organizations,
        flagged: found.facets.flagged.get("true").copied().unwrap_or(0),
        recent: found.items.iter().map(|it| DeclarationCard::from_item(t, &names, it)).collect(),
        reports: closed
            .into_iter()
            .map(|c| ReportLink {
                href: format!("/campaigns/{}/report", c.id),
                name: c.name,
                closed: c.closed_at.map(crate::web::format::date).unwrap_or_default(),
                drawn: c.drawn_count.unwrap_or(0),
            })
            .collect(),
        degraded: found.degraded,
    };
    Ok(render(StatusCode::OK, &page))
}
