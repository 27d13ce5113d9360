//! What the public page says: the whole flag history (raised, resolved, by whom), the three-way
//! below-recommended answer, and campaign due dates (overdue inspections listed for regulators; a
//! campaign closes only when every inspection has a result or is marked not inspected with a reason).

use chrono::Duration;
use serde_json::{Value, json};

use crate::declarations::{create, publish, published, q_declaration};
use crate::helpers::{PASSWORD, TestApp};
use crate::supervision_holds::draw_all;
use crate::web::console::WebClient;

#[tokio::test]
async fn the_flag_history_shows_what_was_raised_and_resolved_and_by_whom() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let decl = published(&app, &org, "Q/CQLS 001-2025").await;
    let r = app.regulator("500103").await;

    // a spot check found it compliant
    let (_, insp) = draw_all(&app, &r, "500103", 1).await.remove(0);
    app.post(&format!("/api/v1/inspections/{insp}/result"), Some(&r.token), json!({"grade": "compliant"}))
        .await
        .assert_status(200);
    // a complaint's conclusion put it under check, and the regulator lifted that after testing
    let c = app
        .post(
            "/api/v1/complaints",
            None,
            json!({"target": {"declaration_id": decl}, "category": "false_indicator",
                   "description": "产品实测循环寿命不足 500 次，远低于声明的 1000 次。"}),
        )
        .await;
    let code = c.body["tracking_code"].as_str().expect("code");
    let list = app.get(&format!("/api/v1/complaints?tracking_code={code}"), Some(&r.token)).await;
    let cid = list.body["items"][0]["id"].as_str().expect("id").to_string();
    for (action, body) in [("accept", json!({})), ("assign", json!({"assignee_id": r.user_id}))] {
        app.post(&format!("/api/v1/complaints/{cid}/{action}"), Some(&r.token), body).await.assert_status(200);
    }
    let done = app
        .post(
            &format!("/api/v1/complaints/{cid}/conclude"),
            Some(&r.token),
            json!({"outcome": "partially_substantiated", "public_reply": "已立案核查，抽样送检中。",
                   "flag": {"code": "under_check", "note": "投诉核查：送检循环寿命"}}),
        )
        .await;
    done.assert_status(200);
    let flag = done.body["flag"]["id"].as_str().expect("flag").to_string();
    app.post(&format!("/api/v1/flags/{flag}/resolve"), Some(&r.token), json!({"resolution": "送检结果符合声明"}))
        .await
        .assert_status(200);

    let v = app.get(&format!("/api/v1/declarations/{decl}"), None).await;
    assert_eq!(v.body["flags"], json!([]), "nothing active");
    let history: Vec<(String, String, String)> = v.body["flag_history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|f| {
            assert!(f["raised_at"].is_string() && f["resolved_at"].is_string(), "{f}");
            (
                f["code"].as_str().unwrap_or("").into(),
                f["source"].as_str().unwrap_or("").into(),
                f["resolution"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            ("under_check".into(), "campaign".into(), "检查合格".into()),
            ("under_check".into(), "complaint".into(), "送检结果符合声明".into()),
        ]
    );

    // the page shows the history, not only active flags
    let page = app.get(&format!("/declarations/{decl}"), None).await;
    page.assert_status(200);
    let section = page.text.split("id=\"flag-history\"").nth(1).expect("a flag history section");
    let section = section.split("</section>").next().unwrap_or_default();
    for words in ["双随机抽查", "投诉举报处理", "检查合格", "送检结果符合声明", "投诉核查：送检循环寿命", "解除时间"]
    {
        assert!(section.contains(words), "{words} missing from {section}");
    }
    assert!(!page.text.contains("class=\"card flags-card\""), "no active-flags card when none is active");
}

fn with_answer(number: &str, answer: Option<&str>, statement: Option<&str>) -> Value {
    let mut b = q_declaration(number);
    b["standard"]["number"] = json!(number);
    if let Some(a) = answer {
        b["below_recommended_answer"] = json!(a);
    }
    if let Some(s) = statement {
        b["below_recommended"] = json!(s);
    }
    b
}

#[tokio::test]
async fn below_recommended_is_a_three_way_answer_in_the_api_the_form_and_the_page() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    const ASSURANCE: &str = "声明主体未声明有低于推荐性国家标准的指标";

    // nothing said: not an assurance
    let silent = create(&app, &org, with_answer("Q/CQBR 001-2025", None, None)).await;
    assert_eq!(silent["below_recommended_answer"], "not_stated");
    let silent_id = silent["id"].as_str().expect("id").to_string();
    publish(&app, &org, &silent_id).await;
    let p = app.get(&format!("/declarations/{silent_id}"), None).await;
    let block = p.text.split("id=\"below-recommended\"").nth(1).expect("block").split("</div>").next().unwrap_or("");
    assert!(block.contains("未就是否有指标少于或低于推荐性国家标准作出说明"), "{block}");
    assert!(!p.text.contains(ASSURANCE) && !block.contains("没有指标少于"), "{block}");

    // "none is lower", said explicitly
    let none = create(&app, &org, with_answer("Q/CQBR 002-2025", Some("none_lower"), None)).await;
    assert_eq!(none["below_recommended_answer"], "none_lower");
    assert_eq!(none["below_recommended"], Value::Null);
    let none_id = none["id"].as_str().expect("id").to_string();
    publish(&app, &org, &none_id).await;
    let p = app.get(&format!("/declarations/{none_id}"), None).await;
    assert!(p.text.contains("声明主体声明：没有指标少于或低于推荐性国家标准"));

    // a statement (the answer implied by the text)
    let stated =
        create(&app, &org, with_answer("Q/CQBR 003-2025", None, Some("低温容量保持率低于 GB/T 36972 的要求"))).await;
    assert_eq!(stated["below_recommended_answer"], "statement");
    let stated_id = stated["id"].as_str().expect("id").to_string();
    publish(&app, &org, &stated_id).await;
    let p = app.get(&format!("/declarations/{stated_id}"), None).await;
    assert!(p.text.contains("低温容量保持率低于 GB/T 36972 的要求"));

    // contradictions are refused, naming the field, and write nothing
    let before = app.count("SELECT count(*) FROM declarations");
    for (body, field) in [
        (with_answer("Q/CQBR 004-2025", Some("statement"), None), "below_recommended"),
        (with_answer("Q/CQBR 005-2025", Some("none_lower"), Some("有一项低于")), "below_recommended"),
        (with_answer("Q/CQBR 006-2025", Some("not_stated"), Some("有一项低于")), "below_recommended_answer"),
        (with_answer("Q/CQBR 007-2025", Some("maybe"), None), "below_recommended_answer"),
    ] {
        let r = app.post("/api/v1/declarations", Some(&org.admin.token), body).await;
        r.assert_status(422);
        assert_eq!(r.error_fields(), vec![field.to_string()], "{}", r.text);
        let message = r.body["error"]["details"][0]["message"].as_str().unwrap_or_default();
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "a Chinese message: {message}");
    }
    assert_eq!(app.count("SELECT count(*) FROM declarations"), before);

    // a revision that removes the statement without an answer goes back to "not stated"
    app.post(&format!("/api/v1/declarations/{stated_id}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    let r = app
        .patch(&format!("/api/v1/declarations/{stated_id}"), Some(&org.admin.token), json!({"below_recommended": ""}))
        .await;
    r.assert_status(200);
    assert_eq!(r.body["below_recommended_answer"], "not_stated");
    let r = app
        .patch(
            &format!("/api/v1/declarations/{stated_id}"),
            Some(&org.admin.token),
            json!({"below_recommended_answer": "none_lower"}),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.body["below_recommended_answer"], "none_lower");

    // the console form: a choice of three, the statement required when "yes" is chosen
    let mut ent = WebClient::new(&app);
    ent.sign_in(&org.admin.email, PASSWORD, "/console").await;
    let form = ent.get("/console/declarations/new").await;
    form.assert_status(200);
    for value in ["not_stated", "none_lower", "statement"] {
        assert!(form.text.contains(&format!("<option value=\"{value}\"")), "{value} is a choice");
    }
    let fields = |answer: &'static str, statement: &'static str| {
        vec![
            ("kind", "product"),
            ("standard.number", "Q/CQBR 010-2025"),
            ("standard.title", "电动自行车用锂离子蓄电池"),
            ("products[0].name", "电动自行车锂电池"),
            ("indicators[0].name", "循环寿命"),
            ("indicators[0].value", "1000"),
            ("indicators[0].unit", "次"),
            ("indicators[0].comparator", ">="),
            ("below_recommended_answer", answer),
            ("below_recommended", statement),
        ]
    };
    let r = ent.post("/console/declarations/new", &fields("statement", ""), true).await;
    r.assert_status(422);
    assert!(r.text.contains("请写明是哪些指标"), "the field's error is shown next to it");
    let r = ent.post("/console/declarations/new", &fields("none_lower", ""), true).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let id = r.header("location").unwrap_or_default().trim_start_matches("/console/declarations/").to_string();
    let id = id.split('?').next().unwrap_or_default().to_string();
    let v = app.get(&format!("/api/v1/declarations/{id}"), Some(&org.admin.token)).await;
    assert_eq!(v.body["below_recommended_answer"], "none_lower", "{}", v.text);
}

#[tokio::test]
async fn campaign_due_dates_list_overdue_inspections_and_closing_needs_every_one_accounted_for() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d1 = published(&app, &org, "Q/CQDD 001-2025").await;
    let d2 = published(&app, &org, "Q/CQDD 002-2025").await;
    let r = app.regulator("500103").await;
    let elsewhere = app.regulator("500104").await;
    let due = app.state.clock.today() + Duration::days(3);
    let c = app
        .post(
            "/api/v1/campaigns",
            Some(&r.token),
            json!({"name": "到期测试", "scope": {"division": "500103", "kinds": ["product"]}, "sample_size": 2,
                   "inspector_ids": [r.user_id], "due_date": due, "seed": "due"}),
        )
        .await;
    c.assert_status(201);
    let cid = c.id().to_string();
    let drawn = app.post(&format!("/api/v1/campaigns/{cid}/draw"), Some(&r.token), json!({})).await;
    drawn.assert_status(200);
    let insp = |d: &str| {
        drawn.body["inspections"].as_array().expect("i").iter().find(|i| i["declaration_id"] == d).expect("drawn")["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let (i1, i2) = (insp(&d1), insp(&d2));
    assert_eq!(app.get("/api/v1/inspections?result_overdue=true", Some(&r.token)).await.body["items"], json!([]));

    // the day after the due date both are overdue for a result, in the API and on the dashboard
    let late = app.state.clock.today() + Duration::days(4);
    crate::calendar::set_clock(&app, late);
    let list = app.get("/api/v1/inspections?result_overdue=true", Some(&r.token)).await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(2), "{}", list.text);
    assert_eq!(list.body["items"][0]["result_overdue"], true);
    let mut desk = WebClient::new(&app);
    desk.sign_in(&r.email, PASSWORD, "/regulator").await;
    let home = desk.get("/regulator").await;
    let section = home.text.split("id=\"results-overdue\"").nth(1).expect("listed on the dashboard");
    assert!(section.contains("Q/CQDD 001-2025") && section.contains("逾期未录入结果"), "{section}");

    // one gets a result; the campaign cannot close with the other open
    app.post(&format!("/api/v1/inspections/{i1}/result"), Some(&r.token), json!({"grade": "compliant"}))
        .await
        .assert_status(200);
    let close = app.post(&format!("/api/v1/campaigns/{cid}/close"), Some(&r.token), json!({})).await;
    close.assert_status(409);
    assert!(close.text.contains("未检查"), "{}", close.text);

    // not inspected: a reason is needed, and only regulators of the campaign may say so
    let r422 =
        app.post(&format!("/api/v1/inspections/{i2}/not-inspected"), Some(&r.token), json!({"reason": ""})).await;
    r422.assert_status(422);
    assert_eq!(r422.error_fields(), vec!["reason"]);
    app.post(
        &format!("/api/v1/inspections/{i2}/not-inspected"),
        Some(&elsewhere.token),
        json!({"reason": "企业已注销"}),
    )
    .await
    .assert_status(403);
    app.post(&format!("/api/v1/inspections/{i1}/not-inspected"), Some(&r.token), json!({"reason": "企业已注销"}))
        .await
        .assert_status(409);
    // marked in the console
    desk.get(&format!("/regulator/inspections/{i2}")).await.assert_status(200);
    let marked = desk
        .post(&format!("/regulator/inspections/{i2}/not-inspected"), &[("reason", "企业已停产，现场无产品可检")], true)
        .await;
    assert_eq!(marked.status, 303, "{}", marked.text);
    let v = app.get(&format!("/api/v1/inspections/{i2}"), Some(&r.token)).await;
    assert_eq!(v.body["status"], "not_inspected");
    assert_eq!(v.body["result_overdue"], false);
    let d = app.get(&format!("/api/v1/declarations/{d2}"), None).await;
    assert_eq!(d.body["flags"], json!([]), "the under-check flag ended");
    assert!(d.body["flag_history"][0]["resolution"].as_str().is_some_and(|x| x.contains("企业已停产")));

    // now it closes, and the public report says what was not inspected and why
    app.post(&format!("/api/v1/campaigns/{cid}/close"), Some(&r.token), json!({})).await.assert_status(200);
    let report = app.get(&format!("/api/v1/campaigns/{cid}/report"), None).await;
    report.assert_status(200);
    assert_eq!(report.body["grades"]["not_inspected"], 1);
    assert_eq!(report.body["grades"]["pending"], 0);
    assert_eq!(report.body["not_inspected"][0]["reason"], "企业已停产，现场无产品可检");
    let page = app.get(&format!("/campaigns/{cid}/report"), None).await;
    assert!(page.text.contains("id=\"not-inspected\"") && page.text.contains("企业已停产，现场无产品可检"));
}
