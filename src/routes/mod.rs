//! HTTP routes, one module per resource. Handlers parse input, pick the actor and status codes, and
//! call the services; no SQL here.

pub mod ops;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/api/v1` route (the OpenAPI document is collected from these).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(crate::reference::routes::list_divisions)
        .service(crate::reference::routes::list_industries)
        .service(crate::reference::routes::search_standards);
}
