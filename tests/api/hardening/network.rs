//! What a request can say about itself: the client IP behind the proxy (only the address the proxy
//! appended to X-Forwarded-For; never `Forwarded`) and the labels of the metrics.

use serde_json::{Value, json};

use crate::declarations::published;
use crate::helpers::{Resp, TestApp};

fn complaint_on(declaration_id: &str) -> Value {
    json!({
        "target": {"declaration_id": declaration_id},
        "category": "false_indicator",
        "description": "产品实测循环寿命不足 500 次，远低于声明的 1000 次。",
    })
}

async fn file_with(app: &TestApp, body: &Value, headers: &[(&str, &str)]) -> Resp {
    let mut rb = app.raw(reqwest::Method::POST, "/api/v1/complaints", None).await.json(body);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    app.send(rb).await
}

#[tokio::test]
async fn behind_the_proxy_the_client_ip_is_the_one_the_proxy_appended() {
    let app = TestApp::spawn_with(|v| {
        v.push(("STDREG_COMPLAINT_RATE_LIMIT".into(), "2".into()));
        v.push(("STDREG_TRUST_FORWARDED_FOR".into(), "true".into()));
    })
    .await;
    let org = app.enterprise("500103").await;
    let decl = published(&app, &org, "Q/CQSC 001-2025").await;
    let body = complaint_on(&decl);

    // a client that writes its own X-Forwarded-For: the proxy appends the real address, which counts
    for i in 0..2 {
        let claimed = format!("198.51.100.{i}, 203.0.113.7");
        file_with(&app, &body, &[("x-forwarded-for", &claimed)]).await.assert_status(201);
    }
    let r = file_with(&app, &body, &[("x-forwarded-for", "198.51.100.99, 203.0.113.7")]).await;
    assert_eq!(r.status, 429, "a forged left-most entry escapes nothing: {}", r.text);
    // several header lines are one list: the last line's last entry is the proxy's
    let r = file_with(&app, &body, &[("x-forwarded-for", "198.51.100.98"), ("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!(r.status, 429, "{}", r.text);

    // RFC 7239 `Forwarded` is not read at all, however it is spelled
    for i in 0..3 {
        let forwarded = format!("for=198.51.100.{}", 50 + i);
        let r = file_with(&app, &body, &[("forwarded", &forwarded), ("x-forwarded-for", "203.0.113.7")]).await;
        assert_eq!(r.status, 429, "Forwarded {forwarded}: {}", r.text);
    }

    // another client behind the same proxy has its own count
    file_with(&app, &body, &[("x-forwarded-for", "203.0.113.8")]).await.assert_status(201);
    // `Forwarded` alone does not give a client a fresh address either: the peer counts
    for _ in 0..2 {
        file_with(&app, &body, &[]).await.assert_status(201);
    }
    let r = file_with(&app, &body, &[("forwarded", "for=198.51.100.77")]).await;
    assert_eq!(r.status, 429, "{}", r.text);
    // an entry that is no address is skipped for the peer, never used as a key
    let r = file_with(&app, &body, &[("x-forwarded-for", "203.0.113.9, not-an-ip")]).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(app.count("SELECT count(*) FROM complaints"), 5);
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarding_headers_are_ignored() {
    let app = TestApp::spawn_with(|v| v.push(("STDREG_COMPLAINT_RATE_LIMIT".into(), "1".into()))).await;
    let org = app.enterprise("500103").await;
    let decl = published(&app, &org, "Q/CQSC 001-2025").await;
    let body = complaint_on(&decl);
    file_with(&app, &body, &[("x-forwarded-for", "203.0.113.1")]).await.assert_status(201);
    let r = file_with(&app, &body, &[("x-forwarded-for", "203.0.113.2"), ("forwarded", "for=203.0.113.3")]).await;
    assert_eq!(r.status, 429, "{}", r.text);
}

#[tokio::test]
async fn metrics_labels_are_bounded_whatever_the_request_says() {
    let app = TestApp::spawn().await;
    for method in ["ANYTHING", "FOO-1", "BREW", "get"] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("token");
        let rb = app.raw(m, "/healthz", None).await;
        app.send(rb).await;
        let rb =
            app.raw(reqwest::Method::from_bytes(method.as_bytes()).expect("m"), &format!("/x{method}/y"), None).await;
        app.send(rb).await;
    }
    app.get("/healthz", None).await.assert_status(200);
    app.get("/no/such/page/zzz-123", None).await;
    let metrics = app.get("/metrics", None).await.text;
    for bad in ["ANYTHING", "FOO-1", "BREW", "method=\"get\"", "zzz-123", "xBREW"] {
        assert!(!metrics.contains(bad), "{bad} became a label:\n{metrics}");
    }
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    assert!(metrics.contains("method=\"GET\",route=\"/healthz\""), "{metrics}");
    // every label value comes from a fixed set: methods, route patterns and status codes
    for line in metrics.lines().filter(|l| l.starts_with("stdreg_http_requests")) {
        let method = line.split("method=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
        assert!(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"].contains(&method), "{line}");
    }
}

#[test]
fn the_shipped_proxy_sets_the_header_stdreg_reads_and_clears_forwarded() {
    let conf = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf"))
        .expect("deploy/nginx.conf");
    let locations: Vec<&str> = conf.split("location ").skip(1).collect();
    assert!(locations.len() >= 3, "{conf}");
    for loc in locations {
        let block = loc.split('}').next().unwrap_or_default();
        if !block.contains("proxy_pass") {
            continue;
        }
        let head = block.lines().next().unwrap_or_default();
        assert!(block.contains("proxy_set_header X-Forwarded-For $remote_addr;"), "{head}: X-Forwarded-For");
        assert!(block.contains("proxy_set_header Forwarded \"\";"), "{head}: Forwarded is not cleared");
    }
    let compose = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/compose.yaml"))
        .expect("compose");
    assert!(compose.contains("STDREG_TRUST_FORWARDED_FOR: \"true\"") && compose.contains("\"127.0.0.1:8080:8080\""));
}
