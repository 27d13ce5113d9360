//! The public web site: server-rendered pages in Chinese on top of the same services as the API.
//!
//! - `i18n`: every user-facing string, one table per language;
//! - `page`: the layout data, rendering, and HTML error pages;
//! - `security`: security headers on every response, CSRF for forms that write;
//! - `assets`: the stylesheet, scripts and icon compiled into the binary;
//! - `charts`: SVG charts drawn on the server (plotters);
//! - `pages/`: one module per page; handlers are thin: parse, call the service inside
//!   `db::run`, render a template.

pub mod assets;
pub mod charts;
pub mod console;
pub mod format;
pub mod i18n;
pub mod page;
pub mod pages;
pub mod security;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use actix_web::web;

use crate::db;
use crate::error::ApiResult;
use crate::state::AppState;

/// Reference names the pages show next to codes (divisions, industry sections), loaded once.
pub struct Names {
    divisions: HashMap<String, String>,
    /// Chongqing's districts and counties, by code (the district picker).
    pub chongqing: Vec<(String, String)>,
    /// GB/T 4754 sections (letter, name).
    pub sections: Vec<(String, String)>,
}

impl Names {
    pub fn division(&self, code: &str) -> Option<&str> {
        self.divisions.get(code).map(String::as_str)
    }

    /// The name of a division filter prefix (`50`, `5001`, `500103`).
    pub fn division_prefix(&self, prefix: &str) -> Option<&str> {
        let code = format!("{prefix:0<6}");
        self.division(&code)
    }

    pub fn section(&self, letter: &str) -> Option<&str> {
        self.sections.iter().find(|(l, _)| l == letter).map(|(_, n)| n.as_str())
    }
}

/// State of the web pages: the CSRF key and the reference names.
pub struct WebState {
    pub csrf: security::CsrfKey,
    names: OnceLock<Arc<Names>>,
}

/// The code of Chongqing (the district picker's parent).
pub const CHONGQING: &str = "500000";

impl WebState {
    pub fn new(state: &AppState) -> Self {
        Self { csrf: security::CsrfKey::from_settings(&state.settings), names: OnceLock::new() }
    }

    /// The reference names, read from the database on first use.
    pub async fn names(&self, state: &AppState) -> ApiResult<Arc<Names>> {
        if let Some(n) = self.names.get() {
            return Ok(n.clone());
        }
        let loaded = db::run(&state.pool, |conn| {
            let divisions = crate::reference::division_names(conn)?;
            let chongqing = crate::reference::divisions_under(conn, Some(CHONGQING))?
                .into_iter()
                .map(|d| (d.code, d.name))
                .collect();
            let sections =
                crate::reference::industries_under(conn, None)?.into_iter().map(|i| (i.code, i.name)).collect();
            Ok(Names { divisions, chongqing, sections })
        })
        .await?;
        let names = Arc::new(loaded);
        let _ = self.names.set(names.clone());
        Ok(self.names.get().cloned().unwrap_or(names))
    }
}

/// Registers every page and the static files.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use pages::*;
    cfg.route("/", web::get().to(home::home))
        .route("/search", web::get().to(search::search))
        .route("/declarations/{id}", web::get().to(declaration::declaration))
        .route("/declarations/{id}/diff", web::get().to(declaration::diff))
        .route("/organizations/{uscc}", web::get().to(organization::organization))
        .route("/complaints/new", web::get().to(complaints::new_form))
        .route("/complaints/new", web::post().to(complaints::submit))
        .route("/complaints/track", web::get().to(complaints::track_form))
        .route("/complaints/track", web::post().to(complaints::track))
        .route("/campaigns/{id}/report", web::get().to(campaign::report))
        .route("/stats", web::get().to(stats::stats))
        .route("/open-data", web::get().to(open_data::open_data))
        .route("/api/docs", web::get().to(open_data::api_docs))
        .route("/static/{name}", web::get().to(assets::serve))
        .configure(console::configure);
}
