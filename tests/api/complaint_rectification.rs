//! Rectification ordered by a complaint has the inspection's lifecycle: a due date (here in working
//! days on the real calendar), the organization's answer with a new version, the assignee's close
//! (rectified, or not rectified which abolishes), overdue flagging by the scheduled job. Through the
//! API and the consoles' forms.

use serde_json::{Value, json};

use crate::calendar::set_clock;
use crate::declarations::{publish, published};
use crate::helpers::{PASSWORD, Resp, Session, TestApp, TestOrg};
use crate::web::console::WebClient;

fn d(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

async fn act(app: &TestApp, who: &Session, id: &str, action: &str, body: Value) -> Resp {
    app.post(&format!("/api/v1/complaints/{id}/{action}"), Some(&who.token), body).await
}

/// Files a complaint on `decl`, accepts it and assigns it to `handler`; returns its id.
async fn assigned_complaint(app: &TestApp, handler: &Session, decl: &str) -> String {
    let r = app
        .post(
            "/api/v1/complaints",
            None,
            json!({"target": {"declaration_id": decl}, "category": "false_indicator",
                   "description": "产品实测循环寿命不足 500 次，远低于声明的 1000 次。"}),
        )
        .await;
    r.assert_status(201);
    let code = r.body["tracking_code"].as_str().expect("code");
    let list = app.get(&format!("/api/v1/complaints?tracking_code={code}"), Some(&handler.token)).await;
    let id = list.body["items"][0]["id"].as_str().expect("id").to_string();
    act(app, handler, &id, "accept", json!({})).await.assert_status(200);
    act(app, handler, &id, "assign", json!({"assignee_id": handler.user_id})).await.assert_status(200);
    id
}

fn ordering(note: Option<&str>, days: Option<u32>) -> Value {
    let mut flag = json!({"code": "rectification_ordered"});
    if let Some(n) = note {
        flag["note"] = json!(n);
    }
    if let Some(n) = days {
        flag["rectification_working_days"] = json!(n);
    }
    json!({"outcome": "substantiated", "public_reply": "经抽样检测，投诉属实，已责令企业整改。", "flag": flag})
}

/// The id of the declaration's version `n`.
fn version_id(app: &TestApp, decl: &str, n: i32) -> String {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    diesel::RunQueryDsl::get_result::<Id>(
        diesel::sql_query(format!(
            "SELECT id::text AS id FROM declaration_versions WHERE declaration_id = '{decl}' AND version = {n}"
        )),
        &mut app.db(),
    )
    .expect("version")
    .id
}

async fn revise_and_publish(app: &TestApp, org: &TestOrg, decl: &str) {
    app.post(&format!("/api/v1/declarations/{decl}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    app.patch(
        &format!("/api/v1/declarations/{decl}"),
        Some(&org.admin.token),
        json!({"summary": "循环寿命按实测值修订"}),
    )
    .await
    .assert_status(200);
    publish(app, org, decl).await;
}

fn flag_codes(v: &Value) -> Vec<(String, String, bool)> {
    v["flag_history"]
        .as_array()
        .expect("flag history")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["source"].as_str().unwrap_or("").to_string(),
                f["resolved_at"].is_null(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_complaint_orders_rectification_with_the_inspections_lifecycle() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let handler = app.regulator("500103").await;
    let colleague = app.regulator("500103").await;
    let stranger = app.enterprise("500103").await;
    // (signed in first: access tokens are checked against the real time)
    set_clock(&app, d("2026-09-01"));
    let decl = published(&app, &org, "Q/CQZG 001-2025").await;

    // concluded on Monday 28 September 2026 with 5 working days to rectify: 29, 30 September,
    // 8, 9 October and Saturday 10 October (worked) -> 10 October
    set_clock(&app, d("2026-09-28"));
    let id = assigned_complaint(&app, &handler, &decl).await;
    let r = act(&app, &handler, &id, "conclude", ordering(None, Some(5))).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["flag.note"], "the requirement is needed: {}", r.text);
    let r = act(&app, &handler, &id, "conclude", ordering(Some("循环寿命指标与实测不符"), Some(500))).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["flag.rectification_working_days"]);
    assert_eq!(app.count("SELECT count(*) FROM complaint_rectifications"), 0, "nothing written");
    let r = act(&app, &handler, &id, "conclude", ordering(Some("循环寿命指标与实测不符，须修订声明"), Some(5))).await;
    r.assert_status(200);
    assert_eq!(r.body["flag"]["code"], "rectification_ordered");
    let rect = &r.body["rectification"];
    assert_eq!(rect["rectification_due"], "2026-10-10", "{}", r.text);
    assert_eq!(rect["status"], "rectification_ordered");
    let rid = rect["id"].as_str().expect("id").to_string();

    // public: the order is a flag from the complaint, with the requirement and the due date
    let v = app.get(&format!("/api/v1/declarations/{decl}"), None).await;
    assert_eq!(flag_codes(&v.body), vec![("rectification_ordered".into(), "complaint".into(), true)]);
    assert!(v.body["flags"][0]["note"].as_str().is_some_and(|n| n.contains("须修订声明") && n.contains("2026-10-10")));
    // and withdrawal is refused while it runs
    let w = app
        .post(&format!("/api/v1/declarations/{decl}/withdraw"), Some(&org.admin.token), json!({"reason": "停产"}))
        .await;
    w.assert_status(409);
    assert_eq!(w.error_code(), "under_supervision");

    // the organization sees its order (not the complaint); others do not
    let mine = app.get("/api/v1/rectifications", Some(&org.admin.token)).await;
    mine.assert_status(200);
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine.body["items"][0]["requirement"], "循环寿命指标与实测不符，须修订声明");
    assert!(!mine.text.contains("远低于声明的 1000 次"), "the complaint's text stays with the regulators");
    app.get(&format!("/api/v1/rectifications/{rid}"), Some(&stranger.admin.token)).await.assert_status(404);
    assert_eq!(app.get("/api/v1/rectifications", Some(&stranger.admin.token)).await.body["items"], json!([]));

    // past the due date without an answer: the job flags it overdue, once
    set_clock(&app, d("2026-10-12"));
    stdreg::worker::run_jobs(&app.state).await.expect("jobs");
    stdreg::worker::run_jobs(&app.state).await.expect("jobs again");
    let late = app.get("/api/v1/rectifications?overdue=true", Some(&handler.token)).await;
    assert_eq!(late.body["items"].as_array().map(Vec::len), Some(1), "{}", late.text);
    assert_eq!(late.body["items"][0]["overdue"], true);
    let v = app.get(&format!("/api/v1/declarations/{decl}"), None).await;
    assert_eq!(
        flag_codes(&v.body),
        vec![("rectification_ordered".into(), "complaint".into(), true), ("overdue".into(), "complaint".into(), true)]
    );

    // the organization answers with a version published since the order
    revise_and_publish(&app, &org, &decl).await;
    let v1 = version_id(&app, &decl, 1);
    let r = app
        .post(
            &format!("/api/v1/rectifications/{rid}/response"),
            Some(&org.admin.token),
            json!({"statement": "已按实测值修订循环寿命并发布第 2 版", "new_version_id": v1}),
        )
        .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["new_version_id"], "a version from before the order is refused");
    let r = app
        .post(
            &format!("/api/v1/rectifications/{rid}/response"),
            Some(&org.admin.token),
            json!({"statement": "已按实测值修订循环寿命并发布第 2 版", "new_version_id": version_id(&app, &decl, 2)}),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "responded");
    assert_eq!(r.body["overdue"], false);
    app.post(&format!("/api/v1/rectifications/{rid}/response"), Some(&org.admin.token), json!({"statement": "再答复"}))
        .await
        .assert_status(409);

    // only the complaint's assignee closes it; rectified resolves both flags
    let r = app
        .post(
            &format!("/api/v1/rectifications/{rid}/close"),
            Some(&colleague.token),
            json!({"resolution": "rectified"}),
        )
        .await;
    r.assert_status(403);
    let r = app
        .post(&format!("/api/v1/rectifications/{rid}/close"), Some(&handler.token), json!({"resolution": "rectified"}))
        .await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "rectified");
    let v = app.get(&format!("/api/v1/declarations/{decl}"), None).await;
    assert_eq!(v.body["status"], "public");
    assert_eq!(v.body["flags"], json!([]));
    assert!(flag_codes(&v.body).iter().all(|(_, source, active)| source == "complaint" && !active));
    let c = app.get(&format!("/api/v1/complaints/{id}"), Some(&handler.token)).await;
    assert_eq!(c.body["rectification"]["status"], "rectified");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE entity_type = 'complaint_rectification'"),
        3,
        "ordered, responded, closed"
    );

    // another complaint, not rectified: the declaration is abolished by the authority
    let id2 = assigned_complaint(&app, &handler, &decl).await;
    let r = act(&app, &handler, &id2, "conclude", ordering(Some("产品仍不符合声明的指标"), None)).await;
    r.assert_status(200);
    assert_eq!(r.body["rectification"]["rectification_due"], "2026-11-09", "20 working days by default");
    let rid2 = r.body["rectification"]["id"].as_str().expect("id").to_string();
    let r = app
        .post(
            &format!("/api/v1/rectifications/{rid2}/close"),
            Some(&handler.token),
            json!({"resolution": "not_rectified", "note": "复查仍不合格"}),
        )
        .await;
    r.assert_status(200);
    let v = app.get(&format!("/api/v1/declarations/{decl}"), None).await;
    assert_eq!(v.body["status"], "abolished");
    assert_eq!(v.body["flags"][0]["code"], "abolished_by_authority");
    assert_eq!(v.body["flags"][0]["complaint_id"], id2.as_str());
}

#[tokio::test]
async fn the_consoles_order_answer_and_close_a_complaints_rectification() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let decl = published(&app, &org, "Q/CQZG 002-2025").await;
    let handler = app.regulator("500103").await;
    set_clock(&app, d("2026-09-28"));
    let id = assigned_complaint(&app, &handler, &decl).await;

    // the assignee concludes in the console, ordering rectification within 5 working days
    let mut desk = WebClient::new(&app);
    desk.sign_in(&handler.email, PASSWORD, "/regulator").await;
    desk.get(&format!("/regulator/complaints/{id}")).await.assert_status(200);
    let conclude = |note: &'static str| {
        vec![
            ("outcome", "substantiated"),
            ("public_reply", "经抽样检测，投诉属实，已责令企业整改。"),
            ("flag", "on"),
            ("flag.code", "rectification_ordered"),
            ("flag.note", note),
            ("flag.rectification_working_days", "5"),
        ]
    };
    let r = desk.post(&format!("/regulator/complaints/{id}/conclude"), &conclude(""), true).await;
    r.assert_status(422);
    assert!(r.text.contains("整改要求"), "the missing requirement is named on the form");
    let r =
        desk.post(&format!("/regulator/complaints/{id}/conclude"), &conclude("净水流量低于声明值，须整改"), true).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let page = desk.get(&format!("/regulator/complaints/{id}")).await;
    let block = page.text.split("id=\"rectification\"").nth(1).expect("the rectification on the complaint page");
    assert!(block.contains("2026-10-10") && block.contains("净水流量低于声明值"), "{block}");

    // the organization finds it with its inspections and answers in its console
    let mut ent = WebClient::new(&app);
    ent.sign_in(&org.admin.email, PASSWORD, "/console").await;
    let list = ent.get("/console/inspections").await;
    let rid: String = {
        let after = list.text.split("href=\"/console/rectifications/").nth(1).expect("listed");
        after.split('"').next().unwrap_or_default().to_string()
    };
    let p = ent.get(&format!("/console/rectifications/{rid}")).await;
    p.assert_status(200);
    assert!(p.text.contains("净水流量低于声明值") && p.text.contains("2026-10-10"));
    assert!(!p.text.contains("远低于声明的 1000 次"), "the complaint itself is not shown to the organization");
    let r = ent.post(&format!("/console/rectifications/{rid}/response"), &[("statement", "")], true).await;
    r.assert_status(422);
    let r = ent
        .post(&format!("/console/rectifications/{rid}/response"), &[("statement", "已更换滤芯供应商并复检合格")], true)
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/v1/rectifications/{rid}"), Some(&org.admin.token)).await.body["status"],
        "responded"
    );

    // the assignee closes it as not rectified from the complaint page: abolished
    desk.get(&format!("/regulator/complaints/{id}")).await;
    let r = desk
        .post(
            &format!("/regulator/rectifications/{rid}/close"),
            &[("resolution", "not_rectified"), ("note", "复检报告不实")],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(app.get(&format!("/api/v1/declarations/{decl}"), None).await.body["status"], "abolished");
    let page = app.get(&format!("/declarations/{decl}"), None).await;
    let history = page.text.split("id=\"flag-history\"").nth(1).expect("flag history");
    assert!(
        history.contains("监管废止") && history.contains("投诉举报处理") && history.contains("复检报告不实"),
        "{history}"
    );
}
