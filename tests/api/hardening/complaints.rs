//! Complaint reassignment: only the current assignee or a supervisor (a jurisdiction that strictly
//! contains the assignee's), always with a reason that is audited; the reveal stays the assignee's.

use serde_json::{Value, json};

use crate::declarations::published;
use crate::helpers::{PASSWORD, Resp, Session, TestApp};
use crate::web::console::WebClient;

async fn act(app: &TestApp, who: &Session, id: &str, action: &str, body: Value) -> Resp {
    app.post(&format!("/api/v1/complaints/{id}/{action}"), Some(&who.token), body).await
}

/// A named complaint on a declaration in 510104 (锦江区, 成都市, 四川省), accepted; returns its id.
async fn accepted_complaint(app: &TestApp, by: &Session) -> String {
    let org = app.enterprise("510104").await;
    let decl = published(app, &org, "Q/CQSC 001-2025").await;
    let body = json!({
        "target": {"declaration_id": decl},
        "category": "false_indicator",
        "description": "产品实测循环寿命不足 500 次，远低于声明的 1000 次。",
        "complainant": {"name": "王举报", "phone": "13987654321"},
    });
    let r = app.post("/api/v1/complaints", None, body).await;
    r.assert_status(201);
    let code = r.body["tracking_code"].as_str().expect("code").to_string();
    let list = app.get(&format!("/api/v1/complaints?tracking_code={code}"), Some(&by.token)).await;
    let id = list.body["items"][0]["id"].as_str().expect("id").to_string();
    act(app, by, &id, "accept", json!({})).await.assert_status(200);
    id
}

#[tokio::test]
async fn only_the_assignee_or_a_supervisor_reassigns_with_an_audited_reason() {
    let app = TestApp::spawn().await;
    let handler = app.regulator("510104").await;
    let peer = app.regulator("510104").await;
    let chengdu = app.regulator("510100").await;
    let sichuan = app.regulator("510000").await;
    let id = accepted_complaint(&app, &peer).await;

    // the first assignment needs no reason (the SPEC's body)
    act(&app, &peer, &id, "assign", json!({"assignee_id": handler.user_id})).await.assert_status(200);

    // a peer of the jurisdiction can no longer take it over, and so cannot reveal the complainant
    let r = act(&app, &peer, &id, "assign", json!({"assignee_id": peer.user_id, "reason": "我来办"})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    act(&app, &peer, &id, "reveal-complainant", json!({})).await.assert_status(403);
    let assignee = app.get(&format!("/api/v1/complaints/{id}"), Some(&handler.token)).await.body["assignee_id"].clone();
    assert_eq!(assignee, json!(handler.user_id));

    // the assignee hands it on, with a reason
    let r = act(&app, &handler, &id, "assign", json!({"assignee_id": peer.user_id})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["reason"]);
    let r = act(&app, &handler, &id, "assign", json!({"assignee_id": peer.user_id, "reason": "   "})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = act(
        &app,
        &handler,
        &id,
        "assign",
        json!({"assignee_id": peer.user_id, "reason": "本人回避：与被投诉企业有亲属关系"}),
    )
    .await;
    r.assert_status(200);
    assert_eq!(r.body["assignee_id"], json!(peer.user_id));
    let last = r.body["updates"].as_array().and_then(|u| u.last()).cloned().expect("an update");
    assert_eq!(last["event"], "assigned");
    assert_eq!(last["note"], "本人回避：与被投诉企业有亲属关系");
    let audited = app.count(&format!(
        "SELECT count(*) FROM audit_events WHERE action = 'complaint.assigned' AND entity_id = '{id}' \
         AND summary->>'reason' = '本人回避：与被投诉企业有亲属关系' \
         AND summary->>'previous_assignee_id' = '{}'",
        handler.user_id
    ));
    assert_eq!(audited, 1);
    // the former assignee is now a peer like any other
    let r = act(&app, &handler, &id, "assign", json!({"assignee_id": handler.user_id, "reason": "拿回来"})).await;
    assert_eq!(r.status, 403, "{}", r.text);

    // supervisors: 成都市 (510100) contains 锦江区 (510104) strictly, and so does 四川省 (510000)
    let r = act(&app, &chengdu, &id, "assign", json!({"assignee_id": handler.user_id, "reason": "统一调度"})).await;
    r.assert_status(200);
    let r = act(&app, &sichuan, &id, "assign", json!({"assignee_id": sichuan.user_id, "reason": "市局督办"})).await;
    r.assert_status(200);
    // now the province holds it: the city does not supervise the province, nor does a provincial peer
    let other_provincial = app.regulator("510000").await;
    for who in [&chengdu, &handler, &other_provincial] {
        let r = act(&app, who, &id, "assign", json!({"assignee_id": handler.user_id, "reason": "改派"})).await;
        assert_eq!(r.status, 403, "{}", r.text);
    }
    // the reveal stays the assignee's: a supervisor who reassigned is no assignee
    act(&app, &chengdu, &id, "reveal-complainant", json!({})).await.assert_status(403);
    act(&app, &sichuan, &id, "reveal-complainant", json!({})).await.assert_status(200);
}

#[tokio::test]
async fn the_console_reassigns_with_a_reason_and_refuses_peers() {
    let app = TestApp::spawn().await;
    let handler = app.regulator("510104").await;
    let peer = app.regulator("510104").await;
    let id = accepted_complaint(&app, &peer).await;
    act(&app, &peer, &id, "assign", json!({"assignee_id": handler.user_id})).await.assert_status(200);

    let page = format!("/regulator/complaints/{id}");
    let post = format!("/regulator/complaints/{id}/assign");
    let mut web = WebClient::new(&app);
    web.sign_in(&peer.email, PASSWORD, "/regulator").await;
    let r = web.get(&page).await;
    r.assert_status(200);
    assert!(!r.text.contains(&format!("action=\"{post}\"")), "a peer is not offered the reassignment");
    let peer_id = peer.user_id.to_string();
    let r = web.post(&post, &[("assignee_id", &peer_id), ("assign_reason", "我来办")], true).await;
    assert_eq!(r.status, 403, "{}", r.text);

    let mut web = WebClient::new(&app);
    web.sign_in(&handler.email, PASSWORD, "/regulator").await;
    let r = web.get(&page).await;
    assert!(r.text.contains(&format!("action=\"{post}\"")) && r.text.contains("f-assign_reason"), "{}", r.text);
    let r = web.post(&post, &[("assignee_id", &peer_id)], true).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("id=\"f-assign_reason-err\""), "{}", r.text);
    let r = web.post(&post, &[("assignee_id", &peer_id), ("assign_reason", "出差两周，转同事办理")], true).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let v = app.get(&format!("/api/v1/complaints/{id}"), Some(&peer.token)).await;
    assert_eq!(v.body["assignee_id"], json!(peer.user_id));
}
