//! Attachments: recognised by content, limited in size and number, readable by handling regulators
//! only.

use serde_json::json;

use super::{act, complaint_on, file, id_of, org_with_declaration};
use crate::helpers::{Resp, TestApp};

fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.resize(len, 7);
    b
}

async fn upload(app: &TestApp, code: &str, key: &str, bytes: Vec<u8>) -> Resp {
    let rb = app
        .raw(reqwest::Method::POST, &format!("/api/v1/complaints/track/{code}/attachments"), None)
        .await
        .header("X-Access-Key", key)
        .header("content-type", "application/octet-stream")
        .body(bytes);
    app.send(rb).await
}

#[tokio::test]
async fn attachments_are_checked_by_content_limited_and_seen_by_handlers_only() {
    let app = TestApp::spawn().await;
    let (_, decl) = org_with_declaration(&app, "500103").await;
    let reg = app.regulator("500103").await;
    let other = app.regulator("500104").await;
    let r = file(&app, complaint_on(&decl)).await;
    let (code, key) = (
        r.body["tracking_code"].as_str().expect("c").to_string(),
        r.body["access_key"].as_str().expect("k").to_string(),
    );

    let r = upload(&app, &code, &key, png(2048)).await;
    r.assert_status(201);
    assert_eq!(r.body["content_type"], "image/png");
    assert_eq!(r.body["count"], 1);
    let attachment = r.body["id"].as_str().expect("id").to_string();

    // not an image by content (whatever the header says), too large, wrong key: nothing written
    let r = upload(&app, &code, &key, b"<html><body>not an image</body></html>".to_vec()).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["attachment"]);
    let r = upload(&app, &code, &key, png(10 * 1024 * 1024 + 1)).await;
    r.assert_status(413);
    assert_eq!(r.error_code(), "payload_too_large");
    upload(&app, &code, "wrong-key", png(64)).await.assert_status(404);
    assert_eq!(app.count("SELECT count(*) FROM complaint_attachments"), 1);
    assert_eq!(app.count("SELECT count(*) FROM blobs WHERE content_type <> 'application/pdf'"), 1);

    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', 100));
    upload(&app, &code, &key, pdf).await.assert_status(201);
    for n in 3..=5 {
        let r = upload(&app, &code, &key, png(100 + n)).await;
        r.assert_status(201);
        assert_eq!(r.body["count"], n);
    }
    let r = upload(&app, &code, &key, png(999)).await;
    r.assert_status(409);
    assert_eq!(r.error_code(), "too_many_attachments");
    assert_eq!(app.count("SELECT count(*) FROM complaint_attachments"), 5);

    let id = id_of(&app, &reg, &code).await;
    let v = app.get(&format!("/api/v1/complaints/{id}"), Some(&reg.token)).await;
    let listed = v.body["attachments"].as_array().expect("attachments");
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[1]["content_type"], "application/pdf");
    let path = format!("/api/v1/complaints/{id}/attachments/{attachment}");
    let res = app.client.get(format!("{}{path}", app.address)).bearer_auth(&reg.token).send().await.expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["content-disposition"].to_str().expect("ascii").starts_with("attachment"));
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), png(2048));
    app.get(&path, Some(&other.token)).await.assert_status(404);
    app.get(&path, None).await.assert_status(401);
    let admin = app.sysadmin().await;
    app.get(&path, Some(&admin.token)).await.assert_status(403);

    // closed complaints take no more evidence
    let r = file(&app, complaint_on(&decl)).await;
    let (code, key) = (
        r.body["tracking_code"].as_str().expect("c").to_string(),
        r.body["access_key"].as_str().expect("k").to_string(),
    );
    let id = id_of(&app, &reg, &code).await;
    act(&app, &reg, &id, "reject", json!({"reason": "与标准声明无关"})).await.assert_status(200);
    upload(&app, &code, &key, png(64)).await.assert_status(409);
}
