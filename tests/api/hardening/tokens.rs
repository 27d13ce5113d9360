//! Credentials that outlived their reason: API tokens of a removed member, and access JWTs after
//! sign-out, a password change or removal.

use serde_json::json;

use crate::declarations::q_declaration;
use crate::helpers::{PASSWORD, TestApp};
use crate::web::console::WebClient;

#[tokio::test]
async fn api_tokens_end_with_their_creators_membership_and_admins_see_why() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let r = app
        .post(
            "/api/v1/organizations/me/members",
            Some(&org.admin.token),
            json!({"email": "second.admin@example.cn", "password": PASSWORD, "name": "李四", "role": "org_admin"}),
        )
        .await;
    r.assert_status(201);
    let second_id = r.body["user"]["id"].as_str().expect("id").to_string();
    let second = app.login("second.admin@example.cn", PASSWORD).await;
    let created = app.post("/api/v1/tokens", Some(&second.token), json!({"name": "ERP 对接"})).await;
    created.assert_status(201);
    let token = created.body["token"].as_str().expect("secret").to_string();
    let token_id = created.id();
    let kept = app.post("/api/v1/tokens", Some(&org.admin.token), json!({"name": "仓储系统"})).await;
    let kept_token = kept.body["token"].as_str().expect("secret").to_string();
    app.get("/api/v1/me", Some(&token)).await.assert_status(200);

    app.delete(&format!("/api/v1/organizations/me/members/{second_id}"), Some(&org.admin.token))
        .await
        .assert_status(204);
    let r = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = app.post("/api/v1/declarations", Some(&token), q_declaration("Q/CQT 001-2025")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 0);
    // the other admin's token is untouched
    app.get("/api/v1/me", Some(&kept_token)).await.assert_status(200);

    // the organization's admins see which tokens ended and why
    let list = app.get("/api/v1/tokens", Some(&org.admin.token)).await;
    list.assert_status(200);
    let items = list.body["items"].as_array().expect("items");
    let ended = items.iter().find(|t| t["id"] == json!(token_id)).expect("listed");
    assert!(ended["revoked_at"].is_string(), "{ended}");
    assert_eq!(ended["revoked_reason"], "creator_removed", "{ended}");
    assert_eq!(ended["created_by"], json!(second_id));
    let live = items.iter().find(|t| t["id"] == kept.body["id"]).expect("listed");
    assert!(live["revoked_at"].is_null() && live["revoked_reason"].is_null(), "{live}");
    let audited = app.count(&format!(
        "SELECT count(*) FROM audit_events WHERE action = 'api_token.revoked' AND entity_id = '{token_id}' \
         AND summary->>'reason' = 'creator_removed'"
    ));
    assert_eq!(audited, 1);
    let mut web = WebClient::new(&app);
    web.sign_in(&org.admin.email, PASSWORD, "/console").await;
    let page = web.get("/console/tokens").await;
    assert!(page.text.contains("创建人已移除"), "{}", page.text);

    // a token whose creator was deactivated some other way is refused on use
    app.post("/api/v1/tokens", Some(&org.admin.token), json!({"name": "x"})).await.assert_status(201);
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("UPDATE users SET active = false WHERE id = '{}'", org.admin.user_id)),
        &mut app.db(),
    )
    .expect("deactivate");
    let r = app.get("/api/v1/me", Some(&kept_token)).await;
    assert_eq!(r.status, 401, "{}", r.text);
}

#[tokio::test]
async fn sign_out_password_change_and_removal_end_issued_access_tokens() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;

    // sign-out ends the access token at once, and every other access token of the user; other
    // sessions get a fresh one with their refresh token
    let phone = app.login(&org.admin.email, PASSWORD).await;
    let laptop = app.login(&org.admin.email, PASSWORD).await;
    app.get("/api/v1/me", Some(&phone.token)).await.assert_status(200);
    app.post("/api/v1/auth/logout", None, json!({"refresh_token": phone.refresh_token})).await.assert_status(204);
    let r = app.get("/api/v1/me", Some(&phone.token)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.error_code(), "invalid_token");
    app.get("/api/v1/me", Some(&laptop.token)).await.assert_status(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": phone.refresh_token})).await.assert_status(401);
    let r = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": laptop.refresh_token})).await;
    r.assert_status(200);
    let fresh = r.body["access_token"].as_str().expect("token").to_string();
    app.get("/api/v1/me", Some(&fresh)).await.assert_status(200);

    // a password change in the console ends the access tokens issued before it
    let mut web = WebClient::new(&app);
    web.sign_in(&org.admin.email, PASSWORD, "/console").await;
    web.get("/account/password").await.assert_status(200);
    let new = "Another-pass-2026!";
    let r = web
        .post(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", new), ("confirm_password", new)],
            true,
        )
        .await;
    r.assert_status(200);
    app.get("/api/v1/me", Some(&fresh)).await.assert_status(401);
    let after = app.login(&org.admin.email, new).await;
    app.get("/api/v1/me", Some(&after.token)).await.assert_status(200);
    assert_eq!(web.get("/console").await.status, 200, "the session that made the change stays");

    // removal ends the removed member's access token
    let r = app
        .post(
            "/api/v1/organizations/me/members",
            Some(&after.token),
            json!({"email": "staff@example.cn", "password": PASSWORD, "name": "王五", "role": "org_member"}),
        )
        .await;
    let member_id = r.body["user"]["id"].as_str().expect("id").to_string();
    let member = app.login("staff@example.cn", PASSWORD).await;
    app.get("/api/v1/me", Some(&member.token)).await.assert_status(200);
    app.delete(&format!("/api/v1/organizations/me/members/{member_id}"), Some(&after.token)).await.assert_status(204);
    app.get("/api/v1/me", Some(&member.token)).await.assert_status(401);
}
