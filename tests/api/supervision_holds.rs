//! Supervision that cannot be escaped: withdrawal is refused while an inspection is open or a
//! rectification_ordered / overdue flag is active (a regulator can still abolish), and a later
//! declaration of the same number shows the earlier record's end and its supervision history.
//! Through the API, the console's forms and the public page.

use serde_json::{Value, json};

use crate::declarations::{create, publish, published, q_declaration};
use crate::helpers::{PASSWORD, Session, TestApp, TestOrg};
use crate::web::console::WebClient;

/// Creates and draws a campaign over `division` (every product declaration there, `sample` of
/// them); returns the draw's inspections as (declaration id, inspection id).
pub async fn draw_all(app: &TestApp, r: &Session, division: &str, sample: i64) -> Vec<(String, String)> {
    let body = json!({
        "name": "2026年企业标准自我声明抽查",
        "scope": {"division": division, "kinds": ["product"]},
        "sample_size": sample,
        "inspector_ids": [r.user_id],
        "due_date": "2099-12-31",
        "seed": "holds",
    });
    let c = app.post("/api/v1/campaigns", Some(&r.token), body).await;
    c.assert_status(201);
    let d = app.post(&format!("/api/v1/campaigns/{}/draw", c.id()), Some(&r.token), json!({})).await;
    d.assert_status(200);
    d.body["inspections"]
        .as_array()
        .expect("inspections")
        .iter()
        .map(|i| (i["declaration_id"].as_str().expect("d").to_string(), i["id"].as_str().expect("i").to_string()))
        .collect()
}

async fn withdraw(app: &TestApp, org: &TestOrg, id: &str) -> crate::helpers::Resp {
    app.post(&format!("/api/v1/declarations/{id}/withdraw"), Some(&org.admin.token), json!({"reason": "产品停产"}))
        .await
}

fn non_compliant() -> Value {
    json!({"grade": "non_compliant", "findings": [
        {"code": "indicators_not_public", "category": "legality", "description": "未公开循环寿命的检验方法"}
    ]})
}

#[tokio::test]
async fn withdrawal_is_refused_under_supervision_and_a_regulator_can_still_abolish() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let r = app.regulator("500103").await;
    let d1 = published(&app, &org, "Q/CQW 001-2025").await;
    let d2 = published(&app, &org, "Q/CQW 002-2025").await;
    let drawn = draw_all(&app, &r, "500103", 2).await;
    let insp = |d: &str| drawn.iter().find(|(x, _)| x == d).expect("drawn").1.clone();
    let (i1, i2) = (insp(&d1), insp(&d2));

    // under check: refused, naming the inspection and its campaign; nothing changes
    let w = withdraw(&app, &org, &d1).await;
    w.assert_status(409);
    assert_eq!(w.error_code(), "under_supervision");
    let msg = w.body["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains(&i1) && msg.contains("2026年企业标准自我声明抽查") && msg.contains("待检查"), "{msg}");
    assert_eq!(app.get(&format!("/api/v1/declarations/{d1}"), None).await.body["status"], "public");
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'declaration.withdrawn'"), 0);

    // ordered to rectify: still refused
    app.post(&format!("/api/v1/inspections/{i1}/result"), Some(&r.token), non_compliant()).await.assert_status(200);
    let w = withdraw(&app, &org, &d1).await;
    w.assert_status(409);
    assert!(w.text.contains("责令整改中"), "{}", w.text);
    // the inspector's not_rectified still abolishes it
    let closed = app
        .post(&format!("/api/v1/inspections/{i1}/close"), Some(&r.token), json!({"resolution": "not_rectified"}))
        .await;
    closed.assert_status(200);
    assert_eq!(app.get(&format!("/api/v1/declarations/{d1}"), None).await.body["status"], "abolished");

    // a compliant result ends supervision: withdrawal is allowed again
    app.post(&format!("/api/v1/inspections/{i2}/result"), Some(&r.token), json!({"grade": "compliant"}))
        .await
        .assert_status(200);
    withdraw(&app, &org, &d2).await.assert_status(200);

    // an active rectification_ordered flag (no inspection) is named too; resolved, it lets go
    let d3 = published(&app, &org, "Q/CQW 003-2025").await;
    let f = app
        .post(
            &format!("/api/v1/declarations/{d3}/flags"),
            Some(&r.token),
            json!({"code": "rectification_ordered", "note": "循环寿命指标与检测报告不符"}),
        )
        .await;
    f.assert_status(201);
    let flag = f.id().to_string();
    let w = withdraw(&app, &org, &d3).await;
    w.assert_status(409);
    assert_eq!(w.error_code(), "under_supervision");
    assert!(w.text.contains(&flag) && w.text.contains("责令整改"), "{}", w.text);
    app.post(&format!("/api/v1/flags/{flag}/resolve"), Some(&r.token), json!({"resolution": "已整改"}))
        .await
        .assert_status(200);
    withdraw(&app, &org, &d3).await.assert_status(200);

    // the same number declared again: its public record shows the abolished one and its history
    let again = create(&app, &org, q_declaration("Q/CQW 001-2025")).await;
    let d4 = again["id"].as_str().expect("id").to_string();
    publish(&app, &org, &d4).await;
    let v = app.get(&format!("/api/v1/declarations/{d4}"), None).await;
    let earlier = v.body["earlier_records"].as_array().expect("earlier records");
    assert_eq!(earlier.len(), 1, "{}", v.text);
    assert_eq!(earlier[0]["id"], d1.as_str());
    assert_eq!(earlier[0]["status"], "abolished");
    assert!(earlier[0]["end_reason"].as_str().is_some_and(|r| r.contains("整改不合格")), "{}", v.text);
    let codes: Vec<(&str, &str)> = earlier[0]["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| (f["code"].as_str().unwrap_or(""), f["source"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("under_check", "campaign"),
            ("rectification_ordered", "campaign"),
            ("abolished_by_authority", "campaign")
        ]
    );
    assert_eq!(v.body["flag_history"], json!([]), "the new record starts clean");
    // and the withdrawn one (whose flag was resolved) on its own later record
    let again = create(&app, &org, q_declaration("Q/CQW 003-2025")).await;
    let d5 = again["id"].as_str().expect("id").to_string();
    publish(&app, &org, &d5).await;
    let v = app.get(&format!("/api/v1/declarations/{d5}"), None).await;
    assert_eq!(v.body["earlier_records"][0]["status"], "withdrawn");
    assert_eq!(v.body["earlier_records"][0]["end_reason"], "产品停产");
    assert_eq!(v.body["earlier_records"][0]["flags"][0]["resolution"], "已整改");
    assert_eq!(v.body["earlier_records"][0]["flags"][0]["source"], "regulator");

    // the public page links the earlier record and shows its end and supervision
    let page = app.get(&format!("/declarations/{d4}"), None).await;
    page.assert_status(200);
    let section = page.text.split("id=\"earlier-records\"").nth(1).expect("an earlier-records section");
    let section = section.split("</section>").next().unwrap_or_default();
    assert!(section.contains(&format!("href=\"/declarations/{d1}\"")), "{section}");
    for words in ["已废止", "整改不合格", "检查中", "责令整改", "监管废止", "双随机抽查"] {
        assert!(section.contains(words), "{words} missing: {section}");
    }
    let page = app.get(&format!("/declarations/{d5}"), None).await;
    let section = page.text.split("id=\"earlier-records\"").nth(1).expect("section");
    assert!(section.contains("已撤回") && section.contains("已整改") && section.contains("监管部门"), "{section}");
}

#[tokio::test]
async fn the_console_refuses_withdrawal_under_supervision_and_the_regulator_abolishes_there() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let r = app.regulator("500103").await;
    let d1 = published(&app, &org, "Q/CQW 011-2025").await;
    let (_, i1) = draw_all(&app, &r, "500103", 1).await.remove(0);

    let mut ent = WebClient::new(&app);
    ent.sign_in(&org.admin.email, PASSWORD, "/console").await;
    ent.get(&format!("/console/declarations/{d1}")).await.assert_status(200);
    let p = ent.post(&format!("/console/declarations/{d1}/withdraw"), &[("reason", "产品停产")], true).await;
    p.assert_status(409);
    assert!(p.text.contains("正在接受监督检查") && p.text.contains(&i1), "{}", p.text);
    assert_eq!(app.get(&format!("/api/v1/declarations/{d1}"), None).await.body["status"], "public");

    // the inspector records non-compliance and closes it as not rectified in the console
    let mut desk = WebClient::new(&app);
    desk.sign_in(&r.email, PASSWORD, "/regulator").await;
    desk.get(&format!("/regulator/inspections/{i1}")).await.assert_status(200);
    let res = desk
        .post(
            &format!("/regulator/inspections/{i1}/result"),
            &[
                ("grade", "non_compliant"),
                ("finding.indicators_not_public", "on"),
                ("finding.indicators_not_public.category", "legality"),
                ("finding.indicators_not_public.description", "未公开循环寿命的检验方法"),
            ],
            true,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    ent.get(&format!("/console/declarations/{d1}")).await;
    let p = ent.post(&format!("/console/declarations/{d1}/withdraw"), &[("reason", "产品停产")], true).await;
    p.assert_status(409);
    desk.get(&format!("/regulator/inspections/{i1}")).await;
    let closed = desk
        .post(
            &format!("/regulator/inspections/{i1}/close"),
            &[("resolution", "not_rectified"), ("note", "逾期未整改")],
            true,
        )
        .await;
    assert_eq!(closed.status, 303, "{}", closed.text);
    assert_eq!(app.get(&format!("/api/v1/declarations/{d1}"), None).await.body["status"], "abolished");
}
