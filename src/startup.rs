//! Building the application: the actix `App` from the state, the API routes and the pages (used by
//! `serve` and by the tests), and the HTTP server.

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::error::{ApiError, Code};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "stdreg API",
        version = "1",
        description = "企业标准、团体标准自我声明公开与监督服务平台 API (SPEC §5). Errors: {\"error\": {\"code\", \"message\", \"details\"}}.",
        license(name = "Apache-2.0")
    ),
    components(schemas(crate::error::FieldError)),
    tags(
        (name = "operations", description = "health, readiness, metrics"),
        (name = "reference", description = "divisions, industries, standards catalogue"),
        (name = "accounts", description = "organizations, users, sessions, API tokens"),
        (name = "declarations", description = "self-declared standards: declare, publish, revise, withdraw, versions"),
        (name = "search", description = "public full-text search"),
        (name = "supervision", description = "spot-check campaigns, inspections, flags"),
        (name = "audit", description = "the tamper-evident audit log: events and the public chain head"),
        (name = "statistics", description = "public statistics and progress against the plan targets"),
        (name = "open data", description = "streaming export of published declarations"),
        (name = "complaints", description = "complaints from the public: filing, tracking, routing, handling within legal time limits"),
    )
)]
pub struct ApiDoc;

/// Paths and methods of the API, derived from the OpenAPI document, to tell 405 from 404.
pub struct RouteTable {
    routes: Vec<(actix_web::dev::ResourceDef, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &serde_json::Value) -> Self {
        let mut routes = Vec::new();
        if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
            for (path, item) in paths {
                let methods: Vec<String> = item
                    .as_object()
                    .map(|m| {
                        m.keys()
                            .filter(|k| matches!(k.as_str(), "get" | "post" | "put" | "patch" | "delete" | "head"))
                            .map(|k| k.to_ascii_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                routes.push((actix_web::dev::ResourceDef::new(path.as_str()), methods));
            }
        }
        Self { routes }
    }

    /// Methods allowed on a path, if the path exists.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let mut found: Option<Vec<String>> = None;
        for (def, methods) in &self.routes {
            if def.is_match(path) {
                found.get_or_insert_with(Vec::new).extend(methods.iter().cloned());
            }
        }
        found
    }
}

async fn fallback(req: HttpRequest, table: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    if !crate::request::is_api_path(req.path()) {
        return Ok(crate::web::page::not_found(&req));
    }
    if let Some(methods) = table.allowed(req.path()) {
        let mut err = ApiError::new(
            Code::MethodNotAllowed,
            format!("{} 不支持 {} 请求，可用：{}", req.path(), req.method(), methods.join(", ")),
        );
        err.allow = Some(methods.join(", ").into());
        return Err(err);
    }
    Err(ApiError::new(Code::NotFound, format!("没有这个地址：{}", req.path())))
}

/// The whole application, for `serve` and for tests.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let metrics = web::Data::from(state.metrics.clone());
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(crate::routes::ops::healthz)
        .service(crate::routes::ops::readyz)
        .service(crate::routes::ops::metrics)
        .service(utoipa_actix_web::scope("/api/v1").configure(crate::routes::configure))
        .split_for_parts();
    let doc = serde_json::to_value(&api).unwrap_or_default();
    let table = RouteTable::from_openapi(&doc);
    let web_state = web::Data::new(crate::web::WebState::new(&state));
    app.configure(crate::web::configure)
        .app_data(web_state)
        .app_data(web::Data::new(state))
        .app_data(metrics)
        .app_data(web::Data::new(table))
        .app_data(web::Data::new(doc))
        .app_data(crate::extract::path_config())
        .default_service(web::to(fallback))
        .wrap(from_fn(crate::middleware::request_context))
        // outermost, so the error pages that request_context substitutes carry the headers too
        .wrap(from_fn(crate::web::security::headers))
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Binds the configured address (port 0 picks a free one) and builds the server.
    pub fn build(state: AppState) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(state.settings.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.settings.listen))?;
        let port = listener.local_addr()?.port();
        let workers = state.settings.http_workers;
        let app_state = state.clone();
        let server = HttpServer::new(move || build_app(app_state.clone()))
            .workers(workers)
            .listen(listener)?
            .shutdown_timeout(10)
            .run();
        Ok(Self { port, server, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
