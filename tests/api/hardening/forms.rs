//! Console forms: row indices are bounded and only submitted rows are visited; the sign-in's
//! `next=` is a local path or nothing; a wrong current password counts like a failed sign-in.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};
use crate::web::console::WebClient;

const NEW: &str = "/console/declarations/new";

/// The fields of a valid Q/ declaration without products.
fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("kind", "product"),
        ("standard.number", "Q/CQH 001-2025"),
        ("standard.title", "电动自行车用锂离子蓄电池"),
        ("indicators[0].name", "循环寿命"),
        ("indicators[0].comparator", ">="),
        ("indicators[0].value", "1000"),
        ("indicators[0].unit", "次"),
    ]
}

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = base();
    v.extend_from_slice(extra);
    v
}

#[tokio::test]
async fn console_row_indices_are_bounded_like_the_api() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut web = WebClient::new(&app);
    web.sign_in(&org.admin.email, PASSWORD, "/console").await;
    web.get(NEW).await.assert_status(200);

    // one past the API's 500 products: the form again with the error on the products, nothing saved
    let r = web.post(NEW, &with(&[("products[500].name", "电池")]), true).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("最多 500 个产品或服务"), "{}", r.text);
    // indicators are bounded at 100
    let r = web.post(NEW, &with(&[("products[0].name", "电池"), ("indicators[100].name", "内阻")]), true).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("最多 100 项指标"), "{}", r.text);
    // an index too large to loop to, or to be a number at all, is refused at once
    for key in ["products[10000000000].name", "products[99999999999999999999999].name", "products[-1].name"] {
        let r = web.post(NEW, &with(&[("products[0].name", "电池"), (key, "x")]), true).await;
        assert_eq!(r.status, 422, "{key}: {}", r.text);
    }
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 0, "nothing was written");

    // sparse indices within the bounds are the rows typed, renumbered
    let r = web.post(NEW, &with(&[("products[3].name", "电池 A"), ("products[499].name", "电池 B")]), true).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let id =
        r.header("location").and_then(|l| l.split('/').nth(3).map(|s| s.split('?').next().unwrap_or(s).to_string()));
    let d = app.get(&format!("/api/v1/declarations/{}", id.expect("id")), Some(&org.admin.token)).await;
    d.assert_status(200);
    let names: Vec<&str> =
        d.body["products"].as_array().expect("products").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, vec!["电池 A", "电池 B"]);

    // the API agrees on 100 indicators
    let mut body = crate::declarations::q_declaration("Q/CQH 002-2025");
    body["indicators"] = json!((0..101).map(|i| json!({"name": format!("指标{i}"), "value": i})).collect::<Vec<_>>());
    let r = app.post("/api/v1/declarations", Some(&org.admin.token), body).await;
    r.assert_status(422);
    assert!(r.error_fields().contains(&"indicators".to_string()), "{}", r.text);
}

#[tokio::test]
async fn sign_in_next_is_a_local_path_or_nothing() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    for next in [
        "/console\u{1}",
        "/console\r\nSet-Cookie: x=1",
        "/\t/evil.example/",
        "/\\evil.example",
        "/console/\u{7f}",
        "https://evil.example/",
    ] {
        let mut web = WebClient::new(&app);
        web.get("/login").await.assert_status(200);
        let r = web.post("/login", &[("email", &org.admin.email), ("password", PASSWORD), ("next", next)], true).await;
        assert_eq!(r.status, 303, "{next:?}: {}", r.text);
        assert_eq!(r.header("location").as_deref(), Some("/console"), "{next:?}");
        assert!(web.cookies.contains_key("stdreg_session"), "{next:?}: the new session is kept");
        // and the sign-in page does not carry it into its form
        let page = web.get(&format!("/login?next={}", crate::helpers::enc(next))).await;
        assert!(!page.text.contains("evil.example"), "{next:?}");
    }
}

#[tokio::test]
async fn the_console_password_change_is_throttled_like_sign_in() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut web = WebClient::new(&app);
    web.sign_in(&org.admin.email, PASSWORD, "/console").await;
    web.get("/account/password").await.assert_status(200);
    let change = |current: &'static str| {
        vec![
            ("current_password", current),
            ("new_password", "Another-pass-2026!"),
            ("confirm_password", "Another-pass-2026!"),
        ]
    };
    for _ in 0..5 {
        let r = web.post("/account/password", &change("guess-guess-guess"), true).await;
        assert_eq!(r.status, 422, "{}", r.text);
    }
    // the sixth try is refused even with the right password, and says when to try again
    let r = web.post("/account/password", &change(PASSWORD), true).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.header("retry-after").is_some());
    assert!(r.text.contains("次数过多"), "{}", r.text);
    // the password did not change, and the count is the sign-in's
    let api = app.post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": PASSWORD})).await;
    assert_eq!(api.status, 429, "the same per-account count as sign-in");
    let retry: i64 = r.header("retry-after").and_then(|s| s.parse().ok()).expect("seconds");
    app.state.clock.advance(chrono::Duration::seconds(retry + 1));
    app.login(&org.admin.email, PASSWORD).await;
    // once the block is over, the right password changes it (and clears the count)
    let r = web.post("/account/password", &change(PASSWORD), true).await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.login(&org.admin.email, "Another-pass-2026!").await;
}
