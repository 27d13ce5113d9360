//! Partner accounts (issue 22): marketplaces and other machine clients, created by a sysadmin (API
//! and console), belonging to no organization, acting through API tokens of their own.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{PASSWORD, Session, TestApp};
use crate::web::console::WebClient;

/// A partner account created by a sysadmin through the API, signed in.
pub async fn partner(app: &TestApp) -> Session {
    let admin = app.sysadmin().await;
    let email = format!("partner-{}@market.example.cn", &Uuid::new_v4().simple().to_string()[..8]);
    app.post(
        "/api/v1/admin/users",
        Some(&admin.token),
        json!({"email": email, "password": PASSWORD, "name": "某电商平台", "role": "partner"}),
    )
    .await
    .assert_status(201);
    app.login(&email, PASSWORD).await
}

/// An API token of a signed-in partner (or org admin).
pub async fn api_token(app: &TestApp, owner: &Session) -> String {
    let r = app.post("/api/v1/tokens", Some(&owner.token), json!({"name": "平台同步"})).await;
    r.assert_status(201);
    r.body["token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn a_sysadmin_creates_partners_and_nobody_else_can() {
    let app = TestApp::spawn().await;
    let admin = app.sysadmin().await;
    let org = app.enterprise("500103").await;
    let regulator = app.regulator("500000").await;
    let body =
        json!({"email": "shop@market.example.cn", "password": PASSWORD, "name": "某电商平台", "role": "partner"});
    for token in [&org.admin.token, &regulator.token] {
        app.post("/api/v1/admin/users", Some(token), body.clone()).await.assert_status(403);
    }
    app.post("/api/v1/admin/users", None, body.clone()).await.assert_status(401);
    // a partner has no jurisdiction
    let mut with_jurisdiction = body.clone();
    with_jurisdiction["jurisdiction"] = json!("500103");
    let r = app.post("/api/v1/admin/users", Some(&admin.token), with_jurisdiction).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["jurisdiction"]);
    assert_eq!(app.count("SELECT count(*) FROM users WHERE role = 'partner'"), 0);

    let r = app.post("/api/v1/admin/users", Some(&admin.token), body.clone()).await;
    r.assert_status(201);
    assert_eq!(r.body["user"]["role"], "partner");
    assert!(r.body["user"].get("organization_id").is_none() && r.body["user"].get("jurisdiction").is_none());
    app.post("/api/v1/admin/users", Some(&admin.token), body).await.assert_status(409);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'user.created' AND summary->>'role' = 'partner'"),
        1
    );

    let me = app.login("shop@market.example.cn", PASSWORD).await;
    let r = app.get("/api/v1/me", Some(&me.token)).await;
    r.assert_status(200);
    assert_eq!(r.body["user"]["role"], "partner");
    assert!(r.body["organization"].is_null());

    // the sysadmins' list, with the live tokens of each
    api_token(&app, &me).await;
    let r = app.get("/api/v1/admin/partners", Some(&admin.token)).await;
    r.assert_status(200);
    let items = r.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["email"], "shop@market.example.cn");
    assert_eq!(items[0]["live_tokens"], 1);
    app.get("/api/v1/admin/partners", Some(&org.admin.token)).await.assert_status(403);
}

#[tokio::test]
async fn partners_act_through_api_tokens_of_their_own() {
    let app = TestApp::spawn().await;
    let p = partner(&app).await;
    let org = app.enterprise("500103").await;
    let org_token = api_token(&app, &org.admin).await;

    let token = api_token(&app, &p).await;
    let r = app.get("/api/v1/me", Some(&token)).await;
    r.assert_status(200);
    assert_eq!(r.body["user"]["role"], "partner");
    assert_eq!(r.body["user"]["id"], p.user_id.to_string());
    assert!(r.body["api_token_id"].is_string());
    assert!(r.body["organization"].is_null());
    assert_eq!(
        app.count("SELECT count(*) FROM api_tokens WHERE organization_id IS NULL AND last_used_at IS NOT NULL"),
        1
    );

    // a partner is no organization: it cannot declare, and a token cannot make tokens
    let decl = json!({"kind": "product", "standard": {"number": "GB 17761-2018", "title": "电动自行车安全技术规范"},
        "products": [{"name": "电动自行车"}]});
    app.post("/api/v1/declarations", Some(&token), decl.clone()).await.assert_status(403);
    app.post("/api/v1/declarations", Some(&p.token), decl).await.assert_status(403);
    app.post("/api/v1/tokens", Some(&token), json!({"name": "x"})).await.assert_status(403);
    app.get("/api/v1/inspections", Some(&token)).await.assert_status(403);

    // each sees only its own tokens
    let mine = app.get("/api/v1/tokens", Some(&p.token)).await;
    mine.assert_status(200);
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
    let theirs = app.get("/api/v1/tokens", Some(&org.admin.token)).await;
    assert_eq!(theirs.body["items"].as_array().map(Vec::len), Some(1));
    assert_ne!(theirs.body["items"][0]["id"], mine.body["items"][0]["id"]);
    let partner_token_id = mine.body["items"][0]["id"].as_str().expect("id").to_string();
    let org_token_id = theirs.body["items"][0]["id"].as_str().expect("id").to_string();
    app.delete(&format!("/api/v1/tokens/{partner_token_id}"), Some(&org.admin.token)).await.assert_status(404);
    app.delete(&format!("/api/v1/tokens/{org_token_id}"), Some(&p.token)).await.assert_status(404);
    app.get("/api/v1/me", Some(&org_token)).await.assert_status(200);

    // another partner's tokens are not this one's
    let other = partner(&app).await;
    app.delete(&format!("/api/v1/tokens/{partner_token_id}"), Some(&other.token)).await.assert_status(404);
    assert_eq!(app.get("/api/v1/tokens", Some(&other.token)).await.body["items"].as_array().map(Vec::len), Some(0));

    // revoked: refused at once
    app.delete(&format!("/api/v1/tokens/{partner_token_id}"), Some(&p.token)).await.assert_status(204);
    let r = app.get("/api/v1/me", Some(&token)).await;
    r.assert_status(401);
    assert_eq!(r.error_code(), "invalid_token");

    // a deactivated partner account ends its tokens
    let token2 = api_token(&app, &p).await;
    app.get("/api/v1/me", Some(&token2)).await.assert_status(200);
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("UPDATE users SET active = false WHERE id = '{}'", p.user_id)),
        &mut app.db(),
    )
    .expect("deactivate");
    app.get("/api/v1/me", Some(&token2)).await.assert_status(401);
}

#[tokio::test]
async fn the_console_creates_partners_and_partners_manage_their_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.sysadmin().await;
    let mut web = WebClient::new(&app);
    web.sign_in(&admin.email, PASSWORD, "/admin").await;
    let page = web.get("/admin/users").await;
    page.assert_status(200);
    assert!(page.text.contains("value=\"partner\""), "the role picker offers partners");
    let r = web
        .post(
            "/admin/users",
            &[("name", "某电商平台"), ("email", "mall@market.example.cn"), ("password", PASSWORD), ("role", "partner")],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let list = web.get("/admin/users").await;
    assert!(list.text.contains("mall@market.example.cn") && list.text.contains("合作方"));

    let mut partner = WebClient::new(&app);
    partner.sign_in("mall@market.example.cn", PASSWORD, "/partner").await;
    let r = partner.get("/partner").await;
    assert_eq!(r.header("location").as_deref(), Some("/partner/tokens"));
    partner.get("/partner/tokens").await.assert_status(200);
    let r = partner.post("/partner/tokens", &[("name", "订单系统")], true).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.text.split("stdreg_").nth(1).and_then(|s| s.split(['<', '"', ' ']).next()).expect("secret shown");
    let token = format!("stdreg_{secret}");
    let me = app.get("/api/v1/me", Some(&token)).await;
    me.assert_status(200);
    assert_eq!(me.body["user"]["role"], "partner");
    // the organization console is not theirs
    assert_eq!(partner.get("/console/declarations").await.status, 403);
}
