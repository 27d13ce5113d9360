//! Public statistics: the overview of published declarations and the progress against the plan.

use actix_web::{get, web};
use serde::Deserialize;

use crate::db;
use crate::error::ApiResult;
use crate::extract::Query;
use crate::services::stats::overview::{self, Overview};
use crate::services::stats::plan::{self, PlanProgress};
use crate::state::AppState;

/// No parameters (unknown ones are refused).
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {}

/// Published declarations by status, kind, standard type, division (rolled up to province,
/// prefecture and county), industry section and month of first publication. Exact at `as_of`;
/// answered from counters maintained with every change, so its cost does not grow with the registry.
#[utoipa::path(tag = "statistics", params(OverviewQuery), responses((status = 200, body = Overview), (status = 400)))]
#[get("/stats/overview")]
pub async fn stats_overview(state: web::Data<AppState>, _q: Query<OverviewQuery>) -> ApiResult<web::Json<Overview>> {
    let now = state.clock.now();
    let body = db::run(&state.pool, move |conn| Ok(overview::overview(conn, now)?)).await?;
    Ok(web::Json(body))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// One unit of the plan table, as printed (`主城都市区各区`, `市市场监管局`) or a district group's
    /// name (`主城都市区`).
    pub unit: Option<String>,
    /// A division prefix (`50`, `5001`, `500103`): adds the same counts for the organizations there.
    pub division: Option<String>,
}

/// Progress against Chongqing's 14th five-year standardization plan: for the three district groups
/// (and each of their districts) new enterprise-standard declarations and new group standards since
/// 2021-01-01 against the targets, with percent done and the deadline 2025-12-31; the departments'
/// targets, which the registry does not count. District-group figures are read per district
/// (`plan.target_basis`).
#[utoipa::path(tag = "statistics", params(PlanQuery), responses((status = 200, body = PlanProgress), (status = 400)))]
#[get("/stats/plan")]
pub async fn stats_plan(state: web::Data<AppState>, q: Query<PlanQuery>) -> ApiResult<web::Json<PlanProgress>> {
    let today = state.clock.today();
    let PlanQuery { unit, division } = q.0;
    let body = db::run(&state.pool, move |conn| {
        let division = match division.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(plan::check_division(conn, d)?),
        };
        plan::plan_progress(conn, today, unit.as_deref(), division)
    })
    .await?;
    Ok(web::Json(body))
}
