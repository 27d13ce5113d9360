//! `/stats`: the overview and the plan progress, from the same services as `GET /stats/overview`
//! and `GET /stats/plan`, with server-drawn SVG charts and the numbers in tables.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;

use crate::db;
use crate::services::stats::overview::{self, Overview};
use crate::services::stats::plan::{self, PlanProgress};
use crate::state::AppState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, OrPage, PageResult, render, strings};
use crate::web::{charts, format};

/// Months shown in the trend.
const MONTHS: usize = 24;
/// Districts drawn in the bar chart (all are in the table).
const TOP_DISTRICTS: usize = 15;

pub struct PlanRow {
    pub group: String,
    pub districts: usize,
    pub enterprise_target: i64,
    pub enterprise_actual: i64,
    pub enterprise_percent: String,
    pub group_target: i64,
    pub group_actual: i64,
    pub group_percent: String,
}

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub o: Overview,
    pub p: PlanProgress,
    pub as_of: String,
    pub pass_rate: String,
    pub on_time: String,
    pub districts: Vec<(String, i64)>,
    pub sections: Vec<(String, i64)>,
    pub months: Vec<(String, i64)>,
    pub kinds: Vec<(&'static str, i64)>,
    pub types: Vec<(&'static str, i64)>,
    pub plan_rows: Vec<PlanRow>,
    pub district_chart: String,
    pub section_chart: String,
    pub month_chart: String,
    pub plan_chart: String,
}

pub async fn stats(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let t = strings(&req);
    let (now, today) = (state.clock.now(), state.clock.today());
    let (o, p) = db::run(&state.pool, move |conn| {
        let o = overview::overview(conn, now)?;
        let p = plan::plan_progress(conn, today, None, None)?;
        Ok((o, p))
    })
    .await
    .or_page(&req)?;
    let d = &o.declarations;
    let mut districts: Vec<(String, i64)> = d
        .by_division
        .county
        .iter()
        .filter(|c| c.code.starts_with(crate::web::CHONGQING.get(..2).unwrap_or("50")))
        .map(|c| (c.name.clone().unwrap_or_else(|| c.code.clone()), c.count))
        .collect();
    districts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut sections: Vec<(String, i64)> = d
        .by_industry_section
        .iter()
        .map(|s| (format!("{} {}", s.section.as_deref().unwrap_or(""), s.name).trim().to_string(), s.count))
        .collect();
    sections.sort_by_key(|s| std::cmp::Reverse(s.1));
    let months: Vec<(String, i64)> = {
        let all: Vec<(String, i64)> = d.by_month.iter().map(|m| (m.month.clone(), m.count)).collect();
        let skip = all.len().saturating_sub(MONTHS);
        all.into_iter().skip(skip).collect()
    };
    let progress: Vec<(String, f64)> = p
        .district_groups
        .iter()
        .flat_map(|g| {
            [
                (format!("{} · {}", g.district_group, t.stats.plan_enterprise), g.enterprise_standards.percent_done),
                (format!("{} · {}", g.district_group, t.stats.plan_group_std), g.group_standards.percent_done),
            ]
        })
        .collect();
    let plan_rows = p
        .district_groups
        .iter()
        .map(|g| PlanRow {
            group: g.district_group.clone(),
            districts: g.district_count,
            enterprise_target: g.enterprise_standards.target,
            enterprise_actual: g.enterprise_standards.actual,
            enterprise_percent: format!("{:.1}%", g.enterprise_standards.percent_done),
            group_target: g.group_standards.target,
            group_actual: g.group_standards.actual,
            group_percent: format!("{:.1}%", g.group_standards.percent_done),
        })
        .collect();
    let kinds = d.by_kind.iter().map(|(k, n)| (t.codes_label(t.codes.kinds, k), *n)).collect();
    let types = d.by_standard_type.iter().map(|(k, n)| (t.codes_label(t.codes.standard_types, k), *n)).collect();
    let top: Vec<(String, i64)> = districts.iter().take(TOP_DISTRICTS).cloned().collect();
    let page = StatsPage {
        t,
        chrome: Chrome::new(t, t.stats.title, "stats"),
        as_of: format::datetime(o.as_of),
        pass_rate: o.campaigns.pass_rate.map(|r| format!("{r:.1}%")).unwrap_or_else(|| t.stats.not_applicable.into()),
        on_time: o.complaints.on_time_rate.map(|r| format!("{r:.1}%")).unwrap_or_else(|| t.stats.not_applicable.into()),
        district_chart: charts::bars("chart-districts", t.stats.by_district_alt, &top),
        section_chart: charts::bars("chart-sections", t.stats.by_section_alt, &sections),
        month_chart: charts::line("chart-months", t.stats.by_month_alt, &months),
        plan_chart: charts::progress("chart-plan", t.stats.plan_alt, &progress),
        districts,
        sections,
        months,
        kinds,
        types,
        plan_rows,
        o,
        p,
    };
    Ok(render(StatusCode::OK, &page))
}
