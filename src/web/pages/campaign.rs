//! `/campaigns/{id}/report`: the public spot-check report once the campaign is closed, with the
//! seed and how to reproduce the draw.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use uuid::Uuid;

use crate::db;
use crate::services::supervision::campaigns;
use crate::services::supervision::report::{self, CampaignReport};
use crate::state::AppState;
use crate::web::i18n::Strings;
use crate::web::page::{Chrome, OrPage, PageResult, not_found, render, strings};
use crate::web::{WebState, format};

pub struct FindingRow {
    pub code: &'static str,
    pub category: &'static str,
    pub description: String,
}

pub struct ItemRow {
    pub href: String,
    pub number: String,
    pub title: String,
    pub organization: String,
    pub org_href: String,
    pub grade: &'static str,
    pub grade_code: String,
    pub findings: Vec<FindingRow>,
    pub due: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "campaign_report.html")]
pub struct ReportPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub r: CampaignReport,
    pub division: String,
    pub kinds: String,
    pub types: String,
    pub industry: String,
    pub before: String,
    pub exclude: String,
    pub drawn_at: String,
    pub closed_at: String,
    pub due: String,
    pub grades: Vec<(&'static str, i64)>,
    pub items: Vec<ItemRow>,
    pub others: Vec<(String, String)>,
}

pub async fn report(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> PageResult {
    let t = strings(&req);
    let Some(id) = req.match_info().get("id").and_then(|s| s.parse::<Uuid>().ok()) else {
        return Ok(not_found(&req));
    };
    let names = ws.names(&state).await.or_page(&req)?;
    let (r, closed) = db::run(&state.pool, move |conn| {
        let r = report::report(conn, None, id)?;
        Ok((r, campaigns::closed(conn, 6)?))
    })
    .await
    .or_page(&req)?;
    let scope = &r.campaign.scope;
    let join = |table, codes: &[String]| -> String {
        if codes.is_empty() {
            t.campaign.scope_all.to_string()
        } else {
            codes.iter().map(|c| t.codes_label(table, c)).collect::<Vec<_>>().join("、")
        }
    };
    let items = r
        .findings
        .iter()
        .map(|i| ItemRow {
            href: format!("/declarations/{}", i.declaration_id),
            number: i.standard_number.clone(),
            title: i.standard_title.clone(),
            organization: i.organization_name.clone(),
            org_href: format!("/organizations/{}", i.uscc),
            grade: t.codes_label(t.codes.grades, &i.grade),
            grade_code: i.grade.clone(),
            findings: i
                .findings
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|f| FindingRow {
                            code: t.codes_label(t.codes.findings, f["code"].as_str().unwrap_or_default()),
                            category: t
                                .codes_label(t.codes.finding_categories, f["category"].as_str().unwrap_or_default()),
                            description: f["description"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            due: i.rectification_due.map(format::day).unwrap_or_default(),
            status: t.codes_label(t.codes.inspection_statuses, &i.status),
        })
        .collect();
    let g = &r.grades;
    let grades = vec![
        (t.codes_label(t.codes.grades, "compliant"), g.compliant),
        (t.codes_label(t.codes.grades, "compliant_with_defects"), g.compliant_with_defects),
        (t.codes_label(t.codes.grades, "non_compliant"), g.non_compliant),
        (t.codes_label(t.codes.grades, "pending"), g.pending),
        (t.campaign.not_inspected, g.not_inspected),
        (t.codes_label(t.codes.inspection_statuses, "rectified"), g.rectified),
        (t.codes_label(t.codes.inspection_statuses, "not_rectified"), g.not_rectified),
    ];
    let page = ReportPage {
        t,
        chrome: Chrome::new(t, format!("{} {}", r.campaign.name, t.campaign.title_suffix), "stats"),
        division: names.division_prefix(&scope.division).map(str::to_string).unwrap_or_else(|| scope.division.clone()),
        kinds: join(t.codes.kinds, &scope.kinds),
        types: join(t.codes.standard_types, &scope.standard_types),
        industry: scope
            .industry
            .as_deref()
            .map(|i| names.section(&i[..1]).map(|s| format!("{i}（{s}）")).unwrap_or_else(|| i.to_string()))
            .unwrap_or_else(|| t.campaign.scope_all.to_string()),
        before: scope.published_before.map(format::day).unwrap_or_else(|| t.campaign.scope_all.to_string()),
        exclude: scope
            .exclude_sampled_within_years
            .map(|y| t.fill1(t.campaign.scope_exclude_years, y))
            .unwrap_or_else(|| t.site.no.to_string()),
        drawn_at: r.campaign.drawn_at.map(format::datetime).unwrap_or_default(),
        closed_at: r.campaign.closed_at.map(format::datetime).unwrap_or_default(),
        due: format::day(r.campaign.due_date),
        grades,
        items,
        others: closed
            .into_iter()
            .filter(|c| c.id != id)
            .take(5)
            .map(|c| (format!("/campaigns/{}/report", c.id), c.name))
            .collect(),
        r,
    };
    Ok(render(StatusCode::OK, &page))
}
