//! HTML-level tests of the public pages (no browser): every page is HTML with the security
//! headers and one h1, text is escaped, forms that write need the CSRF token and share the API's
//! validation and rate limit, degraded search is announced, and errors are pages.

use serde_json::json;

use super::seed::seed;
use super::{assert_security_headers, h1_count, page};
use crate::declarations::{create, publish};
use crate::helpers::{PrivateMeili, Resp, TestApp, enc};

#[tokio::test]
async fn every_page_is_html_with_security_headers_and_one_h1() {
    let app = TestApp::spawn().await;
    let s = seed(&app).await;
    let paths = vec![
        "/".to_string(),
        "/search".to_string(),
        format!("/search?q={}", enc("火锅底料")),
        format!("/search?q={}&division=500106&flagged=true", enc("火锅")),
        format!("/declarations/{}", s.hotpot),
        format!("/declarations/{}?version=1", s.hotpot),
        format!("/declarations/{}/diff?from=1&to=2", s.hotpot),
        format!("/declarations/{}", s.group_std),
        format!("/organizations/{}", s.hotpot_org.uscc),
        "/complaints/new".to_string(),
        format!("/complaints/new?declaration_id={}", s.battery),
        "/complaints/track".to_string(),
        format!("/campaigns/{}/report", s.campaign),
        "/stats".to_string(),
        "/open-data".to_string(),
        "/api/docs".to_string(),
    ];
    for path in &paths {
        let r = page(&app, path).await;
        r.assert_status(200);
        assert_eq!(h1_count(&r.text), 1, "{path}: exactly one h1");
        assert!(r.text.contains("<html lang=\"zh-CN\">"), "{path}: language");
        // nothing the CSP would block: no inline scripts, no style attributes or elements
        assert!(!r.text.contains("<script>") && !r.text.contains("style="), "{path}: inline code");
        assert!(!r.text.contains("<style"), "{path}: style element");
    }
    // the declaration page shows what the issue asks for
    let d = page(&app, &format!("/declarations/{}", s.hotpot)).await;
    for words in [
        "重庆火锅底料",
        "Q/BYHG 002-2024",
        "清油火锅底料",
        "酸价（以脂肪计）",
        "安全/健康/环保",
        "责令整改",
        "第 2 版",
        "查看差异",
        "反映问题",
    ] {
        assert!(d.text.contains(words), "declaration page lacks {words}");
    }
    assert!(d.text.contains(&format!("/complaints/new?declaration_id={}", s.hotpot)));
    let fridge = page(&app, &format!("/declarations/{}", s.fridge)).await;
    assert!(fridge.text.contains("低于 GB/T 8059-2016 推荐的"), "below_recommended statement");
    let diff = page(&app, &format!("/declarations/{}/diff?from=1&to=2", s.hotpot)).await;
    for words in ["清油火锅底料", "指标值", "<del>4.0</del>", "<ins>3.5</ins>"] {
        assert!(diff.text.contains(words), "diff lacks {words}");
    }
    let report = page(&app, &format!("/campaigns/{}/report", s.campaign)).await;
    for words in
        ["shapingba-2025-q3", "stdreg-draw-v1", "ChaCha20", "公开信息与实际不一致", "重庆巴渝老灶火锅食品有限公司"]
    {
        assert!(report.text.contains(words), "report lacks {words}");
    }
    let stats = page(&app, "/stats").await;
    assert_eq!(stats.text.matches(r#"<svg class="chart" role="img""#).count(), 4, "four charts");
    assert!(stats.text.contains("沙坪坝区") && stats.text.contains("<table"), "numbers in tables too");
    // the API keeps JSON, with the same headers
    let api = app.get("/api/v1/search?q=x", None).await;
    assert_security_headers(&api, "/api/v1/search");
    assert!(api.header("content-type").is_some_and(|c| c.starts_with("application/json")));
    // assets: long cache only for the hashed URL
    let css = app.get("/", None).await.text;
    let href = css.split("href=\"/static/site.css").nth(1).and_then(|r| r.split('"').next()).expect("stylesheet link");
    let asset = app.get(&format!("/static/site.css{href}"), None).await;
    asset.assert_status(200);
    assert!(asset.header("cache-control").is_some_and(|c| c.contains("immutable")));
    assert!(app.get("/static/site.css", None).await.header("cache-control").is_some_and(|c| !c.contains("immutable")));
}

#[tokio::test]
async fn a_title_with_a_script_tag_renders_as_text() {
    let app = TestApp::spawn().await;
    let org = app.register_named("enterprise", "500103", None, "重庆<b>粗体</b>电池有限公司").await;
    let d = create(
        &app,
        &org,
        json!({
            "kind": "product",
            "standard": {"number": "Q/XSS 001-2025", "title": "<script>alert(1)</script>锂电池"},
            "products": [{"name": "<img src=x onerror=alert(2)>电池"}],
            "industry_code": "C3841",
            "indicators": [{"name": "\"><svg onload=alert(3)>", "value": 1, "unit": "次", "comparator": ">="}],
        }),
    )
    .await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(&app, &org, &id).await;
    app.drain_outbox().await;
    let evil = ["<script>alert", "<img src=x", "<svg onload", "<b>粗体"];
    for path in [
        format!("/declarations/{id}"),
        format!("/search?q={}", enc("锂电池")),
        format!("/organizations/{}", org.uscc),
        format!("/complaints/new?declaration_id={id}"),
        "/".to_string(),
    ] {
        let r = page(&app, &path).await;
        r.assert_status(200);
        for e in evil {
            assert!(!r.text.contains(e), "{path}: {e} reached the page unescaped");
        }
    }
    let r = page(&app, &format!("/declarations/{id}")).await;
    let shown = r.text.split("<h1>").nth(1).and_then(|s| s.split("</h1>").next()).unwrap_or_default().to_string();
    let as_text = |s: &str| s.contains("&lt;script&gt;alert(1)") || s.contains("&#60;script&#62;alert(1)");
    assert!(as_text(&shown) && shown.ends_with("锂电池"), "the title is shown as text: {shown}");
    let s = page(&app, &format!("/search?q={}", enc("锂电池"))).await;
    assert!(as_text(&s.text), "search results show the title as text");
    assert!(s.text.contains("<em>"), "highlights are kept");
    // a query is echoed escaped too
    let q = page(&app, &format!("/search?q={}", enc("\"><script>x</script>"))).await;
    assert!(!q.text.contains("<script>x"));
}

/// The form's CSRF cookie and token from `GET /complaints/new`.
async fn form_token(app: &TestApp, path: &str) -> (String, String) {
    let r = page(app, path).await;
    r.assert_status(200);
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("stdreg_csrf="))
        .expect("a CSRF cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().expect("pair").to_string();
    let token = r
        .text
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a token in the form")
        .to_string();
    (pair, token)
}

async fn post_form(app: &TestApp, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut rb = app
        .raw(reqwest::Method::POST, path, None)
        .await
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(c) = cookie {
        rb = rb.header("cookie", c);
    }
    app.send(rb).await
}

#[tokio::test]
async fn forms_that_write_need_the_csrf_token_and_share_the_api_rules() {
    let app = TestApp::spawn_with(|v| v.push(("STDREG_COMPLAINT_RATE_LIMIT".into(), "2".into()))).await;
    let org = app.enterprise("500106").await;
    let id = crate::declarations::published(&app, &org, "Q/CSRF 001-2025").await;
    let (cookie, token) = form_token(&app, &format!("/complaints/new?declaration_id={id}")).await;
    let good = [
        ("declaration_id", id.as_str()),
        ("category", "false_indicator"),
        ("description", "电池循环寿命明显达不到声明的 1000 次。"),
        ("identity", "anonymous"),
    ];
    let count = || app.count("SELECT count(*) FROM complaints");

    // refused: no cookie, no token, a wrong token, a token from another cookie
    let mut with_token = good.to_vec();
    with_token.push(("csrf_token", token.as_str()));
    let r = post_form(&app, "/complaints/new", None, &with_token).await;
    r.assert_status(403);
    assert_security_headers(&r, "csrf refusal");
    assert!(r.text.contains("页面已过期"));
    post_form(&app, "/complaints/new", Some(&cookie), &good).await.assert_status(403);
    let mut wrong = good.to_vec();
    wrong.push(("csrf_token", "00112233"));
    post_form(&app, "/complaints/new", Some(&cookie), &wrong).await.assert_status(403);
    let (other_cookie, _) = form_token(&app, "/complaints/new").await;
    post_form(&app, "/complaints/new", Some(&other_cookie), &with_token).await.assert_status(403);
    post_form(&app, "/complaints/track", None, &[("code", "ABCD-EFGH-JKMN"), ("key", "x")]).await.assert_status(403);
    assert_eq!(count(), 0, "nothing was filed");

    // the API's validation: a short description and a bad e-mail are named on the form
    let mut invalid = vec![
        ("csrf_token", token.as_str()),
        ("declaration_id", id.as_str()),
        ("category", "false_indicator"),
        ("description", "太短"),
        ("identity", "named"),
        ("name", "王五"),
        ("email", "not-an-email"),
    ];
    let r = post_form(&app, "/complaints/new", Some(&cookie), &invalid).await;
    r.assert_status(422);
    assert!(
        r.text.contains("id=\"form-errors\"")
            && r.text.contains("href=\"#description\"")
            && r.text.contains("href=\"#email\"")
    );
    assert!(r.text.contains("王五"), "what was typed is kept");
    assert_eq!(count(), 0);
    invalid.retain(|(k, _)| *k != "category");
    let r = post_form(&app, "/complaints/new", Some(&cookie), &invalid).await;
    r.assert_status(422);
    assert!(r.text.contains("href=\"#category\""));

    // accepted with the token: the receipt shows the code and the key once, and tracking works
    let r = post_form(&app, "/complaints/new", Some(&cookie), &with_token).await;
    r.assert_status(201);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let grab = |id: &str| {
        r.text
            .split(&format!("id=\"{id}\" class=\"mono big\">"))
            .nth(1)
            .and_then(|s| s.split('<').next())
            .expect(id)
            .to_string()
    };
    let (code, key) = (grab("tracking-code"), grab("access-key"));
    assert_eq!(count(), 1);
    let api = app.get(&format!("/api/v1/complaints/track/{code}"), None).await;
    api.assert_status(404);
    let tracked =
        post_form(&app, "/complaints/track", Some(&cookie), &[("csrf_token", &token), ("code", &code), ("key", &key)])
            .await;
    tracked.assert_status(200);
    assert!(tracked.text.contains("已收到，等待受理") && tracked.text.contains("收到投诉举报"));
    let wrong_key = post_form(
        &app,
        "/complaints/track",
        Some(&cookie),
        &[("csrf_token", &token), ("code", &code), ("key", "nope")],
    )
    .await;
    wrong_key.assert_status(404);
    assert!(wrong_key.text.contains("查询码或查询密钥不正确"));

    // the same rate limit as the API (2 per window here): one more is fine, then 429
    post_form(&app, "/complaints/new", Some(&cookie), &with_token).await.assert_status(201);
    let limited = post_form(&app, "/complaints/new", Some(&cookie), &with_token).await;
    limited.assert_status(429);
    assert!(limited.header("retry-after").is_some());
    assert!(limited.text.contains("提交投诉过于频繁"));
    let api_limited = app
        .post("/api/v1/complaints", None, json!({"target": {"declaration_id": id}, "category": "other", "description": "通过接口再提交一次，应被同一限额拒绝。"}))
        .await;
    api_limited.assert_status(429);
    assert_eq!(count(), 2);
}

#[tokio::test]
async fn degraded_search_is_announced_on_the_page() {
    let mut meili = PrivateMeili::start().await;
    let app = TestApp::spawn_with(meili.vars()).await;
    let org = app.register_named("enterprise", "500103", None, "重庆降级检索测试有限公司").await;
    crate::declarations::published(&app, &org, "Q/DEG 001-2025").await;
    app.drain_outbox().await;
    let normal = page(&app, &format!("/search?q={}", enc("锂离子蓄电池"))).await;
    normal.assert_status(200);
    assert!(!normal.text.contains("degraded-notice"));
    assert!(normal.text.contains("Q/DEG 001-2025"));
    meili.stop();
    let degraded = page(&app, &format!("/search?q={}", enc("锂离子蓄电池"))).await;
    degraded.assert_status(200);
    assert!(degraded.text.contains("id=\"degraded-notice\""), "the notice is shown");
    assert!(degraded.text.contains("检索服务正在降级运行"));
    assert!(degraded.text.contains("Q/DEG 001-2025"), "results still come, from PostgreSQL");
    let home = page(&app, "/").await;
    home.assert_status(200);
    assert!(home.text.contains("检索服务正在降级运行"));
}

#[tokio::test]
async fn errors_on_pages_are_html_and_api_errors_stay_json() {
    let app = TestApp::spawn().await;
    for (path, status) in [
        ("/no-such-page".to_string(), 404),
        (format!("/declarations/{}", uuid::Uuid::new_v4()), 404),
        ("/declarations/not-a-uuid".to_string(), 404),
        (format!("/declarations/{}/diff?from=1&to=2", uuid::Uuid::new_v4()), 404),
        ("/organizations/91350200MA2YJ1XR9G".to_string(), 404),
        ("/organizations/bad".to_string(), 404),
        (format!("/campaigns/{}/report", uuid::Uuid::new_v4()), 404),
        ("/static/nothing.css".to_string(), 404),
        ("/search?kind=shop".to_string(), 400),
        ("/search?page=0".to_string(), 400),
        ("/search?unknown=1".to_string(), 400),
    ] {
        let r = page(&app, &path).await;
        assert_eq!(r.status, status, "{path}: {}", r.text);
        assert_eq!(h1_count(&r.text), 1, "{path}");
        assert!(r.text.contains("返回首页") || r.text.contains("检索条件有误"), "{path}: a friendly page");
    }
    let r = page(&app, "/search?kind=shop").await;
    assert!(r.text.contains("kind"), "the bad parameter is named");
    let wrong_method = app.raw(reqwest::Method::DELETE, "/search", None).await;
    let r = app.send(wrong_method).await;
    assert!(r.status == 404 || r.status == 405, "{}", r.status);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let api = app.get("/api/v1/no-such-thing", None).await;
    api.assert_status(404);
    assert_eq!(api.error_code(), "not_found");
    // empty results suggest what to try
    let empty = page(&app, &format!("/search?q={}", enc("不存在的产品名称"))).await;
    empty.assert_status(200);
    assert!(empty.text.contains("没有找到符合条件的声明") && empty.text.contains("减少检索词"));
}
