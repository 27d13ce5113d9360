//! Working-day deadlines, the overdue list, the workflow to a conclusion that flags the
//! declaration, and rate limiting.

use chrono::Duration;
use serde_json::json;

use super::{a_coming_friday, act, complaint_on, day, file, id_of, named, org_with_declaration, set_china_day, track};
use crate::helpers::{Session, TestApp};

#[tokio::test]
async fn deadlines_skip_weekends_and_loaded_holidays_and_extend_once() {
    let app = TestApp::spawn().await;
    let (_, decl) = org_with_declaration(&app, "500103").await;
    let reg = app.regulator("500103").await;
    let friday = a_coming_friday(&app);
    // a holiday on the Wednesday after, loaded the way operators load the calendar
    let holiday = friday + Duration::days(5);
    let csv = format!("date,kind,festival,festival_zh\n{},holiday,Test Day,测试假日\n", day(holiday));
    stdreg::reference::holidays::import(&mut app.db(), &csv).expect("load calendar");
    set_china_day(&app, friday);

    // received Friday: Mon, Tue, (Wed off), Thu, Fri, Mon, Tue, Wed = the 7th working day
    let r = file(&app, complaint_on(&decl)).await;
    assert_eq!(r.body["acceptance_due"], day(friday + Duration::days(12)));
    let code = r.body["tracking_code"].as_str().expect("c").to_string();
    let key = r.body["access_key"].as_str().expect("k").to_string();
    let id = id_of(&app, &reg, &code).await;

    let r = act(&app, &reg, &id, "extend", json!({"reason": "案情复杂"})).await;
    r.assert_status(409);
    assert_eq!(r.error_code(), "invalid_state");

    // accepted the same Friday: 15 working days, one of them the holiday, end on the 4th Monday
    let r = act(&app, &reg, &id, "accept", json!({"note": "材料齐全"})).await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "accepted");
    assert_eq!(r.body["conclusion_due"], day(friday + Duration::days(24)));
    assert_eq!(r.body["extended"], false);

    let r = act(&app, &reg, &id, "extend", json!({"reason": "需要委托检验机构检测样品"})).await;
    r.assert_status(200);
    assert_eq!(r.body["conclusion_due"], day(friday + Duration::days(45)), "30 working days after acceptance");
    assert_eq!(r.body["extended"], true);
    assert_eq!(r.body["extension_reason"], "需要委托检验机构检测样品");
    let r = act(&app, &reg, &id, "extend", json!({"reason": "再延一次"})).await;
    r.assert_status(409);
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| m.contains("一次")), "{}", r.text);
    act(&app, &reg, &id, "extend", json!({"reason": ""})).await.assert_status(422);

    // regulators see the internal notes; the complainant sees the extension as a step, without them
    let updates = app.get(&format!("/api/v1/complaints/{id}"), Some(&reg.token)).await.body["updates"].clone();
    assert_eq!(updates.as_array().map(Vec::len), Some(3));
    assert_eq!(updates[1]["note"], "材料齐全");
    assert_eq!(updates[2]["event"], "extended");
    let t = track(&app, &code, Some(&key)).await;
    assert_eq!(t.body["updates"][2]["event"], "extended");
    assert!(!t.text.contains("检验机构") && !t.text.contains("材料齐全"), "{}", t.text);
    assert_eq!(app.count(&format!("SELECT count(*) FROM audit_events WHERE entity_id = '{id}'")), 3);
}

/// Ids in the caller's overdue list (sorted).
async fn overdue(app: &TestApp, qs: &str, who: &Session) -> Vec<String> {
    let r = app.get(&format!("/api/v1/complaints?overdue=true{qs}"), Some(&who.token)).await;
    r.assert_status(200);
    let items = r.body["items"].as_array().expect("items");
    let mut ids: Vec<String> = items.iter().map(|i| i["id"].as_str().expect("id").to_string()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn overdue_complaints_are_listed_by_the_clock() {
    let app = TestApp::spawn().await;
    let (_, decl) = org_with_declaration(&app, "500103").await;
    let reg = app.regulator("500103").await;
    let other = app.regulator("500104").await;
    let friday = a_coming_friday(&app);
    set_china_day(&app, friday);
    let a = file(&app, complaint_on(&decl)).await.body["tracking_code"].as_str().expect("c").to_string();
    let b = file(&app, complaint_on(&decl)).await.body["tracking_code"].as_str().expect("c").to_string();
    let (a, b) = (id_of(&app, &reg, &a).await, id_of(&app, &reg, &b).await);
    act(&app, &reg, &b, "accept", json!({})).await.assert_status(200);
    assert!(overdue(&app, "", &reg).await.is_empty());

    // the acceptance deadline day itself is still in time (Tuesday of the next week but one)
    set_china_day(&app, friday + Duration::days(11));
    assert!(overdue(&app, "", &reg).await.is_empty());
    set_china_day(&app, friday + Duration::days(12));
    assert_eq!(overdue(&app, "", &reg).await, vec![a.clone()]);
    let r = app.get(&format!("/api/v1/complaints/{a}"), Some(&reg.token)).await;
    assert_eq!(r.body["overdue"], true);

    // B's 15 working days end on the third Friday
    set_china_day(&app, friday + Duration::days(21));
    assert_eq!(overdue(&app, "", &reg).await, vec![a.clone()]);
    set_china_day(&app, friday + Duration::days(22));
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(overdue(&app, "", &reg).await, both);
    assert_eq!(overdue(&app, "&status=accepted", &reg).await, vec![b.clone()]);
    assert!(overdue(&app, "", &other).await.is_empty(), "other districts do not see them");

    // too late to extend; deciding late takes A off the list, and the lateness is kept
    let r = act(&app, &reg, &b, "extend", json!({"reason": "来不及了"})).await;
    r.assert_status(409);
    act(&app, &reg, &a, "reject", json!({"reason": "不属于标准自我声明监管范围"})).await.assert_status(200);
    assert_eq!(overdue(&app, "", &reg).await, vec![b.clone()]);
    let r = app.get("/api/v1/complaints?overdue=false", Some(&reg.token)).await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["id"], a);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_events WHERE action = 'complaint.rejected' AND entity_id = '{a}' \
             AND (summary->>'late')::bool"
        )),
        1
    );
    app.get("/api/v1/complaints?overdue=maybe", Some(&reg.token)).await.assert_status(400);
    app.get("/api/v1/complaints?status=lost", Some(&reg.token)).await.assert_status(400);

    // the public statistics: one decision in time (B accepted), one late (A rejected), B overdue now
    let stats = app.get("/api/v1/stats/overview", None).await;
    let c = &stats.body["complaints"];
    assert_eq!(c["received"], 2);
    assert_eq!(c["rejected"], 1);
    assert_eq!(c["in_handling"], 1);
    assert_eq!(c["decided"], 2);
    assert_eq!(c["decided_on_time"], 1);
    assert_eq!(c["overdue_now"], 1);
    assert_eq!(c["on_time_rate"], 50.0);
    assert!(!stats.text.contains(&a), "no complaint ids in public statistics");
}

#[tokio::test]
async fn the_workflow_from_receipt_to_a_conclusion_that_flags_the_declaration() {
    let app = TestApp::spawn().await;
    let (org, decl) = org_with_declaration(&app, "500103").await;
    let boss = app.regulator("500103").await;
    let handler = app.regulator("500000").await;
    let outsider = app.regulator("500104").await;
    let r = file(&app, named(complaint_on(&decl))).await;
    let (code, key) = (
        r.body["tracking_code"].as_str().expect("c").to_string(),
        r.body["access_key"].as_str().expect("k").to_string(),
    );
    let id = id_of(&app, &boss, &code).await;

    act(&app, &boss, &id, "assign", json!({"assignee_id": handler.user_id})).await.assert_status(409);
    act(&app, &boss, &id, "accept", json!({})).await.assert_status(200);
    act(&app, &boss, &id, "accept", json!({})).await.assert_status(409);
    act(&app, &boss, &id, "reject", json!({"reason": "重复投诉"})).await.assert_status(409);
    act(&app, &boss, &id, "conclude", json!({"outcome": "substantiated", "public_reply": "已核实"}))
        .await
        .assert_status(409);
    // the assignee must be a regulator whose jurisdiction covers the complaint
    for wrong in [outsider.user_id, org.admin.user_id, uuid::Uuid::new_v4()] {
        let r = act(&app, &boss, &id, "assign", json!({"assignee_id": wrong})).await;
        r.assert_status(422);
        assert_eq!(r.error_fields(), vec!["assignee_id"]);
    }
    let r = act(&app, &boss, &id, "assign", json!({"assignee_id": handler.user_id})).await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "assigned");
    assert_eq!(r.body["assignee_id"], handler.user_id.to_string());
    let mine = app.get("/api/v1/complaints?assignee=me", Some(&handler.token)).await;
    assert_eq!(mine.body["total"], 1);

    let conclusion = json!({"outcome": "substantiated", "public_reply": "经抽样检测，投诉属实，已责令企业整改。",
                            "flag": {"code": "rectification_ordered", "note": "投诉核实：循环寿命不符合声明"}});
    act(&app, &boss, &id, "conclude", conclusion.clone()).await.assert_status(403);
    let r = act(&app, &handler, &id, "conclude", json!({"outcome": "maybe", "public_reply": "x"})).await;
    r.assert_status(422);
    let r = act(
        &app,
        &handler,
        &id,
        "conclude",
        json!({"outcome": "substantiated", "public_reply": "已核实",
                                                         "flag": {"code": "abolished_by_authority"}}),
    )
    .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["flag.code"]);
    let r = act(&app, &handler, &id, "conclude", conclusion.clone()).await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "concluded");
    assert_eq!(r.body["outcome"], "substantiated");
    assert_eq!(r.body["flag"]["code"], "rectification_ordered");
    assert_eq!(r.body["flag"]["complaint_id"], id);
    act(&app, &handler, &id, "conclude", conclusion).await.assert_status(409);

    // the flag is public on the declaration, with the complaint as its source
    let d = app.get(&format!("/api/v1/declarations/{decl}"), None).await;
    let flags = d.body["flags"].as_array().expect("flags");
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["complaint_id"], id);

    // the complainant sees each step and the public reply only
    let t = track(&app, &code, Some(&key)).await;
    t.assert_status(200);
    assert_eq!(t.body["status"], "concluded");
    let events: Vec<&str> =
        t.body["updates"].as_array().expect("u").iter().map(|u| u["event"].as_str().expect("e")).collect();
    assert_eq!(events, vec!["received", "accepted", "assigned", "concluded"]);
    assert_eq!(t.body["updates"][3]["public_reply"], "经抽样检测，投诉属实，已责令企业整改。");
    assert!(t.body["updates"][1].get("public_reply").is_none());
    assert!(!t.text.contains("note") && !t.text.contains(&handler.user_id.to_string()), "{}", t.text);

    // a rejection's reason reaches the complainant
    let r = file(&app, complaint_on(&decl)).await;
    let (code, key) = (
        r.body["tracking_code"].as_str().expect("c").to_string(),
        r.body["access_key"].as_str().expect("k").to_string(),
    );
    let id2 = id_of(&app, &boss, &code).await;
    act(&app, &boss, &id2, "reject", json!({"reason": "x"})).await.assert_status(422);
    act(&app, &boss, &id2, "reject", json!({"reason": "投诉内容与该声明无关"})).await.assert_status(200);
    let t = track(&app, &code, Some(&key)).await;
    assert_eq!(t.body["status"], "rejected");
    assert_eq!(t.body["updates"][1]["public_reply"], "投诉内容与该声明无关");

    let actions = app.count(&format!(
        "SELECT count(DISTINCT action) FROM audit_events WHERE entity_type = 'complaint' AND entity_id = '{id}'"
    ));
    assert_eq!(actions, 4, "received, accepted, assigned, concluded");
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'flag.raised'"), 1);
    let r = app.get("/api/v1/openapi.json", None).await;
    for p in [
        "/api/v1/complaints",
        "/api/v1/complaints/track/{code}",
        "/api/v1/complaints/track/{code}/attachments",
        "/api/v1/complaints/{id}",
        "/api/v1/complaints/{id}/accept",
        "/api/v1/complaints/{id}/reject",
        "/api/v1/complaints/{id}/assign",
        "/api/v1/complaints/{id}/extend",
        "/api/v1/complaints/{id}/conclude",
        "/api/v1/complaints/{id}/route",
        "/api/v1/complaints/{id}/reveal-complainant",
        "/api/v1/complaints/{id}/attachments/{attachment_id}",
    ] {
        assert!(r.body["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    assert!(r.body["tags"].as_array().expect("tags").iter().any(|t| t["name"] == "complaints"));
}

#[tokio::test]
async fn filing_is_rate_limited_per_client_ip() {
    let app = TestApp::spawn_with(|v| v.push(("STDREG_COMPLAINT_RATE_LIMIT".into(), "3".into()))).await;
    let (_, decl) = org_with_declaration(&app, "500103").await;
    for _ in 0..3 {
        file(&app, complaint_on(&decl)).await;
    }
    let r = app.post("/api/v1/complaints", None, complaint_on(&decl)).await;
    r.assert_status(429);
    assert_eq!(r.error_code(), "rate_limited");
    let retry: i64 = r.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
    assert!((1..=600).contains(&retry), "{retry}");
    assert_eq!(app.count("SELECT count(*) FROM complaints"), 3);
    // bad input is answered without counting
    app.post("/api/v1/complaints", None, json!({"target": {}, "category": "other", "description": "短"}))
        .await
        .assert_status(422);
    app.state.clock.advance(Duration::seconds(retry + 1));
    file(&app, complaint_on(&decl)).await;
    assert_eq!(app.count("SELECT count(*) FROM complaints"), 4);
}
