//! The regulators' view of comparisons (SPEC §3.8): public declarations of the jurisdiction whose
//! declared values sit exactly at a mandatory limit or whose comparisons could not be made, per
//! district, with the list behind each count; the same service as `GET /api/v1/comparisons/review`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::form::Form;
use super::{Ctx, RegulatorUser};
use crate::db;
use crate::error::ApiError;
use crate::services::comparisons::review::{self, Reason, Review};
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

#[derive(Template)]
#[template(path = "console/indicator_review.html")]
pub struct ReviewPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    /// (district name, code, at a limit, not compared, link to its list)
    pub districts: Vec<(String, String, i64, i64, String)>,
    pub review: Review,
    /// (label, link, selected) per reason.
    pub tabs: Vec<(&'static str, String, bool)>,
    pub division: String,
    pub next_href: Option<String>,
    pub prev_href: Option<String>,
}

fn href(division: &str, reason: &str, page: i64) -> String {
    let mut q = Vec::new();
    if !division.is_empty() {
        q.push(format!("division={division}"));
    }
    if !reason.is_empty() && reason != "any" {
        q.push(format!("reason={reason}"));
    }
    if page > 1 {
        q.push(format!("page={page}"));
    }
    if q.is_empty() { "/regulator/indicators".into() } else { format!("/regulator/indicators?{}", q.join("&")) }
}

async fn review_page(ctx: &Ctx) -> Result<ReviewPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let q = Form::parse(ctx.req.query_string().as_bytes());
    let reason_text = q.opt("reason").unwrap_or_default();
    let reason = Reason::parse(&reason_text)
        .ok_or_else(|| ApiError::bad_param("reason", "应为 any、at_limit 或 not_compared"))?;
    let page = q.opt("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let division = q.opt("division").unwrap_or_default();
    let prefix = review::scope_prefix(&ctx.user.actor, Some(&division))?;
    let whole = review::scope_prefix(&ctx.user.actor, None)?;
    let (review, by_division) = db::run(&ctx.state.pool, move |conn| {
        let r = review::review(conn, &prefix, reason, page, 50)?;
        let all = review::review(conn, &whole, Reason::Any, 1, 1)?.by_division;
        Ok((r, all))
    })
    .await?;
    let names = ctx.ws.names(&ctx.state).await?;
    let districts = by_division
        .into_iter()
        .map(|d| {
            let name = names.division(&d.division_code).unwrap_or_default().to_string();
            let link = href(&d.division_code, &reason_text, 1);
            (name, d.division_code, d.at_limit, d.not_compared, link)
        })
        .collect();
    let tabs = [("any", c.review_any), ("at_limit", c.review_at_limit), ("not_compared", c.review_not_compared)]
        .into_iter()
        .map(|(code, label)| (label, href(&division, code, 1), Reason::parse(code) == Some(reason)))
        .collect();
    let pages = (review.total + 49) / 50;
    Ok(ReviewPage {
        t,
        chrome: ctx.chrome(c.review_title, "indicators"),
        districts,
        next_href: (page < pages).then(|| href(&division, &reason_text, page + 1)),
        prev_href: (page > 1).then(|| href(&division, &reason_text, page - 1)),
        review,
        tabs,
        division,
    })
}

pub async fn indicators(ctx: RegulatorUser) -> HttpResponse {
    match review_page(&ctx).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}
