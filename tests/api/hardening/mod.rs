//! The security review of issue 17, one test per finding: console forms whose row indices are
//! bounded, the client IP behind the proxy, API tokens and access tokens that end with their
//! owner's removal, sign-out or password change, bounded metrics labels, complaint reassignment,
//! full-text fingerprints, the sign-in `next=` and the throttled password change.

mod complaints;
mod forms;
mod full_text;
mod network;
mod tokens;

use serde_json::json;

use crate::helpers::{Resp, TestApp, TestOrg};

/// A published Q/ declaration of `org` with its full text (PDF `pdf`) private; returns its id.
pub async fn with_private_full_text(app: &TestApp, org: &TestOrg, number: &str, pdf: &[u8]) -> String {
    let mut body = crate::declarations::q_declaration(number);
    body["full_text_public"] = json!(false);
    let d = crate::declarations::create(app, org, body).await;
    let id = d["id"].as_str().expect("id").to_string();
    put_pdf(app, org, &id, pdf).await.assert_status(200);
    crate::declarations::publish(app, org, &id).await;
    id
}

pub async fn put_pdf(app: &TestApp, org: &TestOrg, id: &str, pdf: &[u8]) -> Resp {
    let url = format!("/api/v1/declarations/{id}/full-text");
    app.put_bytes(&url, Some(&org.admin.token), "application/pdf", pdf.to_vec()).await
}

/// A small PDF whose bytes (and so whose sha256) depend on `tag`.
pub fn pdf(tag: &str) -> Vec<u8> {
    let mut v = format!("%PDF-1.4\n% {tag}\n1 0 obj << /Type /Catalog >> endobj\n").into_bytes();
    v.extend(std::iter::repeat_n(b'x', 1024));
    v.extend(b"\n%%EOF\n");
    v
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}
