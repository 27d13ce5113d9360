//! The request boundary: a request id per request (echoed as `x-request-id`), a tracing span,
//! metrics by route and status, the JSON error body for every API failure (including actix's own),
//! an HTML error page for every failure on a page path, and
//! the single place where unexpected errors are logged.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use tracing::Instrument;

use crate::error::{ApiError, Code, ErrorCause};
use crate::metrics::Metrics;
use crate::request::{RequestId, is_api_path};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let ok = !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| v.to_string())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);

    // Handler errors arrive here as responses; an `Err` comes only from a failing middleware and
    // is turned into a response by actix itself.
    let mut res: ServiceResponse<BoxBody> = next.call(req).instrument(span.clone()).await?.map_into_boxed_body();

    let status = res.status();
    let _enter = span.enter();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        let cause = res.response().extensions().get::<ErrorCause>().map(|c| c.0.clone()).unwrap_or_default();
        match res.response().error() {
            Some(e) => tracing::error!(error = %e, cause = %cause, "unexpected error"),
            None => tracing::error!(cause = %cause, "internal error response"),
        }
        if is_api_path(&path) {
            let body = ApiError::new(Code::Internal, format!("服务器内部错误，请稍后重试（请求号 {id}）")).body();
            res = res.into_response(HttpResponse::InternalServerError().json(body));
        } else {
            let page = crate::web::page::status_page(res.request(), status, None);
            res = res.into_response(page);
        }
    } else if status.is_client_error() || status.is_server_error() {
        let is_json = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        let is_html = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html"));
        if !is_api_path(&path) && !is_html && !is_json {
            // actix's own errors on page paths (wrong method, body too large): a page, not a bare status
            let page = crate::web::page::status_page(res.request(), status, None);
            let allow = res.headers().get(header::ALLOW).cloned();
            res = res.into_response(page);
            if let Some(v) = allow {
                res.headers_mut().insert(header::ALLOW, v);
            }
        } else if !is_json && is_api_path(&path) {
            let mut err = ApiError::of(Code::for_status(status));
            if let Some(e) = res.response().error() {
                tracing::debug!(error = %e, "framework error");
            }
            if status == StatusCode::SERVICE_UNAVAILABLE {
                err = err.retry_after(5);
            }
            let mut builder = HttpResponse::build(status);
            for name in [header::ALLOW, header::RETRY_AFTER] {
                if let Some(v) = res.headers().get(&name) {
                    builder.insert_header((name, v.clone()));
                }
            }
            if let Some(secs) = err.retry_after {
                builder.insert_header((header::RETRY_AFTER, secs));
            }
            res = res.into_response(builder.json(err.body()));
        }
    }

    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_string());
    let elapsed = started.elapsed();
    if let Some(m) = metrics {
        m.observe(&method, &route, status.as_u16(), elapsed.as_secs_f64());
    }
    tracing::info!(status = status.as_u16(), route = %route, ms = elapsed.as_millis() as u64, "request");
    Ok(res)
}
