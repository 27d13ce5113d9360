//! Operations endpoints: liveness, readiness, metrics and the OpenAPI document.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::db;
use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ok` when the database answers; `degraded` when only search is down (search falls back to
    /// PostgreSQL); `unavailable` when the database is down.
    pub status: &'static str,
    pub database: &'static str,
    pub search: &'static str,
    /// Outbox rows waiting to reach the search index, and the age of the oldest in seconds.
    pub outbox_pending: Option<i64>,
    pub outbox_lag_seconds: Option<f64>,
    /// The newest applied migration, and migrations this binary knows but the database lacks.
    pub schema_version: Option<String>,
    pub schema_pending: Vec<String>,
}

/// Readiness: database and Meilisearch reachable (503 naming the failing part otherwise).
#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "ready", body = Readiness),
    (status = 503, description = "a dependency is down; the body names it", body = Readiness)
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let search_ok = state.search.healthy().await;
    let db_state = db::run(&state.pool, |conn| {
        let status = db::schema_status(conn).map_err(crate::error::ApiError::internal)?;
        let lag = crate::outbox::lag(conn)?;
        Ok((status, lag))
    })
    .await;
    let (database, schema_version, schema_pending, outbox_pending, outbox_lag_seconds) = match db_state {
        Ok((status, lag)) => ("ok", status.current, status.pending, Some(lag.pending), lag.oldest_seconds),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            ("unavailable", None, Vec::new(), None, None)
        }
    };
    let search = if search_ok { "ok" } else { "unavailable" };
    let status = match (database, search_ok) {
        ("ok", true) => "ok",
        ("ok", false) => "degraded",
        _ => "unavailable",
    };
    let body =
        Readiness { status, database, search, outbox_pending, outbox_lag_seconds, schema_version, schema_pending };
    if status == "ok" {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "5")).json(body)
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.state();
    state.metrics.pool_connections.set(i64::from(pool.connections));
    state.metrics.pool_idle.set(i64::from(pool.idle_connections));
    state.metrics.pool_max.set(i64::from(state.pool.max_size()));
    if let Ok(lag) = db::run(&state.pool, |conn| Ok(crate::outbox::lag(conn)?)).await {
        state.metrics.outbox_pending.set(lag.pending);
        state.metrics.outbox_oldest_seconds.set(lag.oldest_seconds.unwrap_or(0.0) as i64);
    }
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.encode())
}

/// The OpenAPI document of this API (collected from the registered routes).
pub async fn openapi_json(doc: web::Data<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}
