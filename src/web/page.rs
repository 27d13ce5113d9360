//! What every page shares: the layout data ([`Chrome`]), rendering a template into a response, and
//! the friendly HTML error pages (API paths keep their JSON errors).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use super::assets;
use super::i18n::{Strings, ZH};
use crate::error::{ApiError, Code};
use crate::request::RequestId;

/// The strings for a request. One language today; the choice is made here when there are more.
pub fn strings(_req: &HttpRequest) -> &'static Strings {
    &ZH
}

/// The navigation entries of the layout: (key, path).
pub const NAV: [(&str, &str); 6] = [
    ("home", "/"),
    ("search", "/search"),
    ("complaint", "/complaints/new"),
    ("track", "/complaints/track"),
    ("stats", "/stats"),
    ("open_data", "/open-data"),
];

/// A navigation link as the layout renders it.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The signed-in user's name, role and the sign-out form, shown in a console page's masthead.
pub struct AccountBar {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
}

/// Layout data of every page: the title, the active navigation entry, asset URLs, extra scripts.
pub struct Chrome {
    pub title: String,
    pub nav: Vec<NavItem>,
    pub css: String,
    pub js: String,
    pub icon: String,
    /// Scripts of this page only (already hashed URLs).
    pub scripts: Vec<String>,
    /// Console pages: the signed-in user and the sign-out form.
    pub account: Option<AccountBar>,
    /// The "sign in" link of the public pages.
    pub sign_in: bool,
}

impl Chrome {
    pub fn new(t: &'static Strings, title: impl Into<String>, active: &str) -> Self {
        let label = |key: &str| match key {
            "home" => t.site.nav_home,
            "search" => t.site.nav_search,
            "complaint" => t.site.nav_complaint,
            "track" => t.site.nav_track,
            "stats" => t.site.nav_stats,
            _ => t.site.nav_open_data,
        };
        Self {
            title: title.into(),
            nav: NAV.iter().map(|(k, href)| NavItem { href, label: label(k), current: *k == active }).collect(),
            css: assets::url("site.css"),
            js: assets::url("site.js"),
            icon: assets::url("emblem.svg"),
            scripts: Vec::new(),
            account: None,
            sign_in: true,
        }
    }

    pub fn with_script(mut self, name: &str) -> Self {
        self.scripts.push(assets::url(name));
        self
    }
}

/// Renders a template into an HTML response.
pub fn render<T: Template>(status: StatusCode, tmpl: &T) -> HttpResponse {
    match tmpl.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub request_id: Option<String>,
    pub status: u16,
}

fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

/// The error page for a status, with an optional specific message.
pub fn status_page(req: &HttpRequest, status: StatusCode, message: Option<String>) -> HttpResponse {
    let t = strings(req);
    let (heading, default) = match status.as_u16() {
        400 | 422 => (t.error.bad_request_title, ""),
        403 => (t.error.forbidden_title, ""),
        404 => (t.error.not_found_title, t.error.not_found_text),
        405 => (t.error.method_title, ""),
        409 => (t.error.conflict_title, ""),
        413 => (t.error.too_large_title, ""),
        429 => (t.error.rate_limited_title, ""),
        503 => (t.error.unavailable_title, ""),
        _ => (t.error.internal_title, t.error.internal_text),
    };
    let page = ErrorPage {
        t,
        chrome: Chrome::new(t, heading, ""),
        heading: heading.to_string(),
        message: message.unwrap_or_else(|| default.to_string()),
        request_id: (status.is_server_error()).then(|| request_id(req)).flatten(),
        status: status.as_u16(),
    };
    let mut res = render(status, &page);
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

/// The page answered to a form post without a valid CSRF token (403).
pub fn csrf_refused(req: &HttpRequest) -> HttpResponse {
    let t = strings(req);
    let page = ErrorPage {
        t,
        chrome: Chrome::new(t, t.error.csrf_title, ""),
        heading: t.error.csrf_title.to_string(),
        message: t.error.csrf_text.to_string(),
        request_id: None,
        status: 403,
    };
    render(StatusCode::FORBIDDEN, &page)
}

/// The 404 page.
pub fn not_found(req: &HttpRequest) -> HttpResponse {
    status_page(req, StatusCode::NOT_FOUND, None)
}

/// A service error shown as a page: the service's message, the matching status, `Retry-After` kept.
#[derive(Debug)]
pub struct PageError {
    pub error: ApiError,
    pub req: HttpRequest,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.error.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self.error.code {
            Code::NotFound | Code::Internal => None,
            _ => Some(self.error.message.to_string()),
        };
        let mut res = status_page(&self.req, status, message);
        self.error.mark_cause(&mut res);
        if let Some(secs) = self.error.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        res
    }
}

/// The result of a page handler.
pub type PageResult = Result<HttpResponse, PageError>;

/// Attaches the request to a service error so it renders as a page.
pub trait OrPage<T> {
    fn or_page(self, req: &HttpRequest) -> Result<T, PageError>;
}

impl<T> OrPage<T> for Result<T, ApiError> {
    fn or_page(self, req: &HttpRequest) -> Result<T, PageError> {
        self.map_err(|error| PageError { error, req: req.clone() })
    }
}

impl PageError {
    /// The error page itself.
    pub fn into_page(self) -> HttpResponse {
        self.error_response()
    }
}
