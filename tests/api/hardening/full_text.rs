//! The sha256 and size of a full text that is not public are shown only to the organization and
//! supervising regulators: a fingerprint would let anyone holding a candidate PDF confirm it.

use serde_json::json;

use super::{pdf, put_pdf, sha256_hex, with_private_full_text};
use crate::helpers::TestApp;

#[tokio::test]
async fn private_full_text_fingerprints_reach_only_the_owner_and_supervisors() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let (first, second) = (pdf("first"), pdf("second"));
    let id = with_private_full_text(&app, &org, "Q/CQF 001-2025", &first).await;
    // version 2 with another private text
    let rev = app.post(&format!("/api/v1/declarations/{id}/revisions"), Some(&org.admin.token), json!({})).await;
    rev.assert_status(201);
    put_pdf(&app, &org, &id, &second).await.assert_status(200);
    crate::declarations::publish(&app, &org, &id).await;
    let (sha1, sha2) = (sha256_hex(&first), sha256_hex(&second));

    let reg = app.regulator("500103").await;
    let far = app.regulator("510000").await;
    let paths = [
        format!("/api/v1/declarations/{id}"),
        format!("/api/v1/declarations/{id}/versions/1"),
        format!("/api/v1/declarations/{id}/versions/2"),
        format!("/api/v1/declarations/{id}/diff?from=1&to=2"),
    ];
    for path in &paths {
        for (who, token) in [("anonymous", None), ("a far regulator", Some(far.token.as_str()))] {
            let r = app.get(path, token).await;
            r.assert_status(200);
            assert!(!r.text.contains(&sha1) && !r.text.contains(&sha2), "{who} {path}: {}", r.text);
            for size in [first.len(), second.len()] {
                assert!(!r.text.contains(&format!("\"size\":{size}")), "{who} {path} shows the size: {}", r.text);
            }
        }
    }
    // the public still learns that a text exists and is not public
    let r = app.get(&paths[0], None).await;
    assert_eq!(r.body["full_text"], json!({"sha256": null, "size": null, "public": false}));
    // the HTML record and its diff page show no fingerprint either
    for page in [format!("/declarations/{id}"), format!("/declarations/{id}/diff?from=1&to=2")] {
        let r = app.get(&page, None).await;
        r.assert_status(200);
        assert!(!r.text.contains(&sha1[..12]) && !r.text.contains(&sha2[..12]), "{page}");
    }

    // the organization and a regulator of the area see them
    for token in [&org.admin.token, &reg.token] {
        let r = app.get(&paths[2], Some(token)).await;
        assert_eq!(r.body["full_text"]["sha256"], sha2, "{}", r.text);
        assert_eq!(r.body["full_text"]["size"], second.len());
        let r = app.get(&paths[1], Some(token)).await;
        assert_eq!(r.body["full_text"]["sha256"], sha1, "{}", r.text);
        let r = app.get(&paths[3], Some(token)).await;
        assert!(r.text.contains(&sha1) && r.text.contains(&sha2), "{}", r.text);
    }

    // once a version makes the text public, its fingerprint is public too
    app.post(&format!("/api/v1/declarations/{id}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    app.patch(&format!("/api/v1/declarations/{id}"), Some(&org.admin.token), json!({"full_text_public": true}))
        .await
        .assert_status(200);
    crate::declarations::publish(&app, &org, &id).await;
    let r = app.get(&format!("/api/v1/declarations/{id}"), None).await;
    assert_eq!(r.body["full_text"]["sha256"], sha2);
    assert_eq!(r.body["full_text"]["size"], second.len());
}
