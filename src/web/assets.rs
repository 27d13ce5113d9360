//! Static files (stylesheet, scripts, icon) compiled into the binary and served from `/static/`.
//! Pages link them with a content hash in the query (`/static/site.css?v=3f2a...`); a request that
//! carries the current hash is cached for a year (`immutable`), any other is revalidated.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "site.css", content_type: "text/css; charset=utf-8", body: include_bytes!("../../static/site.css") },
    Asset {
        name: "site.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/site.js"),
    },
    Asset {
        name: "api-docs.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/api-docs.js"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/console.js"),
    },
    Asset { name: "emblem.svg", content_type: "image/svg+xml", body: include_bytes!("../../static/emblem.svg") },
];

static HASHES: LazyLock<HashMap<&'static str, String>> =
    LazyLock::new(|| ASSETS.iter().map(|a| (a.name, hex::encode(Sha256::digest(a.body))[..12].to_string())).collect());

/// The URL of an asset with its content hash.
pub fn url(name: &str) -> String {
    match HASHES.get(name) {
        Some(h) => format!("/static/{name}?v={h}"),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{name}`.
pub async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name.as_str()) else {
        // the request boundary answers the 404 page
        return HttpResponse::NotFound().finish();
    };
    let current = HASHES.get(asset.name).map(String::as_str).unwrap_or_default();
    let versioned = req.query_string().strip_prefix("v=").is_some_and(|v| v == current);
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=0, must-revalidate" };
    let etag = format!("\"{current}\"");
    if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return HttpResponse::NotModified().insert_header((header::CACHE_CONTROL, cache)).finish();
    }
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        .body(asset.body)
}
