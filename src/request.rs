//! What the HTTP side knows of the current request, whoever answers it: its id (set by the
//! request boundary, shown on error pages) and whether its path belongs to the JSON API.

/// The id of the current request, in request extensions (echoed as `x-request-id`).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Whether the path belongs to the JSON API (errors there are always JSON).
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}
