//! Security headers on every response, and CSRF protection for the forms that write.
//!
//! **Headers.** A strict Content-Security-Policy (only this origin's scripts, styles and images;
//! no inline script or style; no framing; forms post only here), `X-Frame-Options: DENY`,
//! `Referrer-Policy`, `X-Content-Type-Options: nosniff` and a restrictive `Permissions-Policy`. A
//! response that already carries its own policy (complaint attachments: `sandbox`) keeps it.
//!
//! **CSRF.** Double submit bound to a signed cookie: the browser holds `stdreg_csrf` =
//! `nonce.mac(nonce)` (HttpOnly, SameSite=Strict); each form carries `csrf_token` =
//! HMAC(key, "form:" + nonce). A POST is accepted only when the cookie's signature is valid and the
//! form token is the one derived from that cookie's nonce. The key is derived from the JWT secret,
//! so no extra secret is configured and every instance agrees.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::config::Settings;

/// The policy of every page: nothing but this origin, nothing inline.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

const PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// Adds the security headers to every response that does not set them itself.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let defaults: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (HeaderName::from_static("permissions-policy"), PERMISSIONS),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(res)
}

/// The cookie holding the signed nonce.
pub const CSRF_COOKIE: &str = "stdreg_csrf";
/// The form field holding the token.
pub const CSRF_FIELD: &str = "csrf_token";

type HmacSha256 = Hmac<Sha256>;

/// The CSRF key, derived once from the JWT secret.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    pub fn from_settings(settings: &Settings) -> Self {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(settings.jwt_secret.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(b"stdreg web csrf key v1");
        Self(mac.finalize().into_bytes().into())
    }

    fn mac(&self, purpose: &str, nonce: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(nonce.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn cookie_value(&self, nonce: &str) -> String {
        format!("{nonce}.{}", self.mac("cookie", nonce))
    }

    /// The nonce of a cookie value whose signature is valid.
    fn verified_nonce<'a>(&self, cookie: &'a str) -> Option<&'a str> {
        let (nonce, sig) = cookie.split_once('.')?;
        let ok = nonce.len() >= 16 && crate::crypto::secrets::digest_eq(&self.mac("cookie", nonce), sig);
        ok.then_some(nonce)
    }

    /// The form token for the request's cookie, and the cookie to set when there was no valid one.
    pub fn issue(&self, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
        if let Some(nonce) = req.cookie(CSRF_COOKIE).and_then(|c| self.verified_nonce(c.value()).map(str::to_string)) {
            return (self.mac("form", &nonce), None);
        }
        let nonce = crate::crypto::secrets::random_token(18);
        let secure = req.connection_info().scheme() == "https";
        let cookie = Cookie::build(CSRF_COOKIE, self.cookie_value(&nonce))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .finish();
        (self.mac("form", &nonce), Some(cookie))
    }

    /// Whether a submitted form token matches the request's signed cookie.
    pub fn verify(&self, req: &HttpRequest, submitted: Option<&str>) -> bool {
        let Some(cookie) = req.cookie(CSRF_COOKIE) else { return false };
        let Some(nonce) = self.verified_nonce(cookie.value()) else { return false };
        let Some(token) = submitted.filter(|t| !t.is_empty()) else { return false };
        crate::crypto::secrets::digest_eq(&self.mac("form", nonce), token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn key() -> CsrfKey {
        CsrfKey([7u8; 32])
    }

    #[test]
    fn token_is_bound_to_the_signed_cookie() {
        let k = key();
        let (token, cookie) = k.issue(&TestRequest::default().to_http_request());
        let cookie = cookie.expect("a new cookie");
        let req = TestRequest::default().cookie(cookie.clone()).to_http_request();
        assert!(k.verify(&req, Some(&token)));
        // the same cookie gives the same token back, without a new cookie
        let (again, none) = k.issue(&req);
        assert_eq!(again, token);
        assert!(none.is_none());
        // no token, a wrong token, no cookie, a forged cookie
        assert!(!k.verify(&req, None));
        assert!(!k.verify(&req, Some("00")));
        assert!(!k.verify(&TestRequest::default().to_http_request(), Some(&token)));
        let nonce = cookie.value().split_once('.').map(|(n, _)| n.to_string()).unwrap_or_default();
        let forged = Cookie::new(CSRF_COOKIE, format!("{nonce}.{}", "0".repeat(64)));
        let req = TestRequest::default().cookie(forged).to_http_request();
        assert!(!k.verify(&req, Some(&token)));
        // another key does not accept it
        let other = CsrfKey([8u8; 32]);
        let req = TestRequest::default().cookie(cookie).to_http_request();
        assert!(!other.verify(&req, Some(&token)));
    }
}
