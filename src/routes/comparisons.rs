//! Comparisons with national standards for regulators: the public declarations at a mandatory
//! limit or whose comparisons could not be made, per district of the jurisdiction.

use actix_web::{get, web};
use serde::Deserialize;

use crate::auth::RegulatorOrAdmin;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Query, paging};
use crate::services::comparisons::review::{self, Reason, Review};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    /// A division prefix or code within the jurisdiction (`5001`, `500103`); default: all of it.
    pub division: Option<String>,
    /// `any` (default), `at_limit` or `not_compared`.
    pub reason: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Public declarations whose declared values sit exactly at a mandatory limit, or whose
/// comparisons could not be made (unmatched units, values, comparators or product classes), with
/// counts per district.
#[utoipa::path(tag = "supervision", params(ReviewQuery), responses((status = 200, body = Review), (status = 403)))]
#[get("/comparisons/review")]
pub async fn comparison_review(
    state: web::Data<AppState>,
    actor: RegulatorOrAdmin,
    q: Query<ReviewQuery>,
) -> ApiResult<web::Json<Review>> {
    let q = q.0;
    let reason = Reason::parse(q.reason.as_deref().unwrap_or("").trim())
        .ok_or_else(|| ApiError::bad_param("reason", "应为 any、at_limit 或 not_compared"))?;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let prefix = review::scope_prefix(&actor.0, q.division.as_deref())?;
    let r = db::run(&state.pool, move |conn| Ok(review::review(conn, &prefix, reason, page, per_page)?)).await?;
    Ok(web::Json(r))
}
