//! Public full-text search.

use actix_web::{get, web};

use crate::error::ApiResult;
use crate::extract::Query;
use crate::search::engine::SearchResponse;
use crate::search::query::{SearchParams, SearchRequest};
use crate::state::AppState;

/// Searches public declarations (Chinese words, loosely typed standard numbers, product and
/// organization names) with filters and facets. Answers from PostgreSQL with `degraded: true` when
/// Meilisearch is unavailable. Unknown parameters and bad values are refused (400).
#[utoipa::path(tag = "search", params(SearchParams), responses((status = 200, body = SearchResponse), (status = 400)))]
#[get("/search")]
pub async fn search(state: web::Data<AppState>, q: Query<SearchParams>) -> ApiResult<web::Json<SearchResponse>> {
    let req = SearchRequest::parse(&q)?;
    Ok(web::Json(state.search(&req).await?))
}
