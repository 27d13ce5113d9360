//! The public web site: HTML-level checks (headers, escaping, CSRF, degraded search, error pages)
//! and browser tests in headless Chromium over WebDriver.

mod browser;
mod comparisons_browser;
pub mod console;
mod console_browser;
mod html;
mod seed;

use crate::helpers::{Resp, TestApp};

/// The `<h1>` elements of a page.
pub fn h1_count(html: &str) -> usize {
    html.matches("<h1").count()
}

/// GET a page; asserts it is HTML with the security headers.
pub async fn page(app: &TestApp, path: &str) -> Resp {
    let r = app.get(path, None).await;
    assert_security_headers(&r, path);
    assert!(
        r.header("content-type").is_some_and(|c| c.starts_with("text/html")),
        "{path}: content type {:?}",
        r.header("content-type")
    );
    r
}

#[track_caller]
pub fn assert_security_headers(r: &Resp, what: &str) {
    let csp = r.header("content-security-policy").unwrap_or_default();
    for part in
        ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]
    {
        assert!(csp.contains(part), "{what}: CSP {csp:?} lacks {part}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: CSP {csp:?} allows inline code");
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"), "{what}");
    assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"), "{what}");
    assert!(r.header("referrer-policy").is_some(), "{what}: no referrer policy");
}
