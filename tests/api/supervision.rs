//! Supervision: campaigns, the reproducible draw, inspections, rectification, flags, overdue, reports.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::declarations::published;
use crate::helpers::{Session, TestApp, TestOrg, enc};

struct World {
    orgs103: Vec<TestOrg>,
    org104: TestOrg,
    r1: Session,
    r2: Session,
    r104: Session,
    decl104: String,
}

async fn world(app: &TestApp) -> World {
    let mut orgs103 = Vec::new();
    for i in 0..4 {
        let org = app.enterprise("500103").await;
        published(app, &org, &format!("Q/CQS {i:03}-2024")).await;
        published(app, &org, &format!("Q/CQS {:03}-2024", i + 100)).await;
        orgs103.push(org);
    }
    let org104 = app.enterprise("500104").await;
    let decl104 = published(app, &org104, "Q/CQD 001-2024").await;
    World {
        orgs103,
        org104,
        r1: app.regulator("500103").await,
        r2: app.regulator("500103").await,
        r104: app.regulator("500104").await,
        decl104,
    }
}

fn campaign(name: &str, division: &str, inspectors: &[&Session], sample: i64, seed: Option<&str>) -> Value {
    let mut c = json!({
        "name": name,
        "scope": {"division": division, "kinds": ["product"]},
        "sample_size": sample,
        "inspector_ids": inspectors.iter().map(|s| s.user_id).collect::<Vec<_>>(),
        "due_date": "2099-12-31",
    });
    if let Some(s) = seed {
        c["seed"] = json!(s);
    }
    c
}

async fn create_and_draw(app: &TestApp, by: &Session, body: Value) -> Value {
    let r = app.post("/api/v1/campaigns", Some(&by.token), body).await;
    r.assert_status(201);
    assert_eq!(r.body["status"], "planned");
    let id = r.id();
    let d = app.post(&format!("/api/v1/campaigns/{id}/draw"), Some(&by.token), json!({})).await;
    d.assert_status(200);
    d.body
}

fn assignments(draw: &Value) -> Vec<(String, String)> {
    draw["inspections"]
        .as_array()
        .expect("inspections")
        .iter()
        .map(|i| {
            (i["declaration_id"].as_str().expect("d").to_string(), i["inspector_id"].as_str().expect("i").to_string())
        })
        .collect()
}

#[tokio::test]
async fn the_draw_is_reproducible_from_its_seed_and_the_audit_log() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let a = create_and_draw(&app, &w.r1, campaign("2026年第一批", "500103", &[&w.r1, &w.r2], 3, Some("渝中-2026-01")))
        .await;
    let b =
        create_and_draw(&app, &w.r1, campaign("同种子复核", "500103", &[&w.r2, &w.r1], 3, Some("渝中-2026-01"))).await;
    let c =
        create_and_draw(&app, &w.r1, campaign("另一种子", "500103", &[&w.r1, &w.r2], 3, Some("渝中-2026-02"))).await;
    assert_eq!(a["campaign"]["eligible_count"], 8);
    assert_eq!(a["campaign"]["drawn_count"], 3);
    assert_eq!(a["campaign"]["algorithm"], "stdreg-draw-v1");
    assert_eq!(assignments(&a).len(), 3);
    assert_eq!(assignments(&a), assignments(&b), "same seed, same eligible set: same draw and same inspectors");
    assert_ne!(assignments(&a), assignments(&c));
    // balanced across the two inspectors
    let first = assignments(&a).iter().filter(|(_, i)| *i == w.r1.user_id.to_string()).count();
    assert!((1..=2).contains(&first));
    // only Chongqing 500103's product declarations were eligible
    for (d, _) in assignments(&a) {
        assert_ne!(d, w.decl104);
    }

    // anyone can re-run the draw from the audit log: seed, eligible list, inspectors
    #[derive(diesel::QueryableByName)]
    struct Summary {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        summary: Value,
    }
    let id = a["campaign"]["id"].as_str().expect("id");
    let s: Summary = diesel::RunQueryDsl::get_result(
        diesel::sql_query(format!(
            "SELECT summary FROM audit_events WHERE action = 'campaign.drawn' AND entity_id = '{id}'"
        )),
        &mut app.db(),
    )
    .expect("audit event");
    let eligible: Vec<Uuid> = serde_json::from_value(s.summary["eligible_ids"].clone()).expect("ids");
    let rerun = stdreg::domain::draw::draw(
        s.summary["seed"].as_str().expect("seed"),
        &eligible,
        &[w.r1.user_id, w.r2.user_id],
        3,
    );
    let rerun: Vec<(String, String)> = rerun.assignments.iter().map(|(d, i)| (d.to_string(), i.to_string())).collect();
    assert_eq!(rerun, assignments(&a));
    assert_eq!(s.summary["eligible_digest"], a["campaign"]["eligible_digest"]);

    // a second draw is refused
    let r = app.post(&format!("/api/v1/campaigns/{id}/draw"), Some(&w.r1.token), json!({})).await;
    r.assert_status(409);

    // a random seed is generated, stored and shown
    let d = create_and_draw(&app, &w.r1, campaign("随机种子", "500103", &[&w.r1], 2, None)).await;
    assert!(d["campaign"]["seed"].as_str().is_some_and(|s| s.len() >= 20));

    // a sample larger than the eligible set takes them all and says so
    let d = create_and_draw(&app, &w.r104, campaign("大渡口", "500104", &[&w.r104], 10, Some("x"))).await;
    assert_eq!(d["campaign"]["took_all"], true);
    assert_eq!(d["campaign"]["drawn_count"], 1);
}

#[tokio::test]
async fn recently_sampled_organizations_are_excluded() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let first = create_and_draw(&app, &w.r1, campaign("第一批", "500103", &[&w.r1], 2, Some("one"))).await;
    let sampled_orgs: std::collections::HashSet<String> = first["inspections"]
        .as_array()
        .expect("inspections")
        .iter()
        .map(|i| i["uscc"].as_str().expect("uscc").to_string())
        .collect();
    let mut body = campaign("第二批", "500103", &[&w.r1], 8, Some("two"));
    body["scope"]["exclude_sampled_within_years"] = json!(1);
    let second = create_and_draw(&app, &w.r1, body).await;
    let expected_eligible = 8 - 2 * sampled_orgs.len() as i64;
    assert_eq!(second["campaign"]["eligible_count"], expected_eligible);
    for i in second["inspections"].as_array().expect("inspections") {
        assert!(
            !sampled_orgs.contains(i["uscc"].as_str().expect("uscc")),
            "a recently sampled organization was drawn again"
        );
    }
    assert_eq!(w.orgs103.len(), 4);
}

#[tokio::test]
async fn regulators_act_only_in_their_jurisdiction() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let r = app.post("/api/v1/campaigns", Some(&w.r1.token), campaign("越权", "500104", &[&w.r1], 1, None)).await;
    r.assert_status(403);
    let d104 = create_and_draw(&app, &w.r104, campaign("大渡口", "500104", &[&w.r104], 1, Some("s"))).await;
    let cid = d104["campaign"]["id"].as_str().expect("id");
    let iid = d104["inspections"][0]["id"].as_str().expect("id");
    app.get(&format!("/api/v1/campaigns/{cid}"), Some(&w.r1.token)).await.assert_status(403);
    app.get(&format!("/api/v1/inspections/{iid}"), Some(&w.r1.token)).await.assert_status(403);
    app.post(&format!("/api/v1/campaigns/{cid}/close"), Some(&w.r1.token), json!({})).await.assert_status(403);
    let r = app
        .post(
            &format!("/api/v1/declarations/{}/flags", w.decl104),
            Some(&w.r1.token),
            json!({"code": "under_check", "note": "越权"}),
        )
        .await;
    r.assert_status(403);
    // a regulator of all Chongqing sees it; the list of 500103 does not contain it
    let r50 = app.regulator("500000").await;
    app.get(&format!("/api/v1/inspections/{iid}"), Some(&r50.token)).await.assert_status(200);
    let list = app.get("/api/v1/inspections", Some(&w.r1.token)).await;
    assert!(!list.text.contains(iid));
    // organizations see only their own inspections
    let mine = app.get("/api/v1/inspections", Some(&w.org104.admin.token)).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
    let other = &w.orgs103[0];
    assert_eq!(
        app.get("/api/v1/inspections", Some(&other.admin.token)).await.body["items"].as_array().map(Vec::len),
        Some(0)
    );
    app.get(&format!("/api/v1/inspections/{iid}"), Some(&other.admin.token)).await.assert_status(404);
    // inspectors see their own assignments
    let d = create_and_draw(&app, &w.r1, campaign("渝中", "500103", &[&w.r2], 2, Some("t"))).await;
    assert_eq!(
        app.get("/api/v1/inspections?assignee=me", Some(&w.r2.token)).await.body["items"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        app.get("/api/v1/inspections?assignee=me", Some(&w.r1.token)).await.body["items"].as_array().map(Vec::len),
        Some(0)
    );
    // but only the assigned inspector records a result
    let iid = d["inspections"][0]["id"].as_str().expect("id");
    let r =
        app.post(&format!("/api/v1/inspections/{iid}/result"), Some(&w.r1.token), json!({"grade": "compliant"})).await;
    r.assert_status(403);
    assert!(r.text.contains("另一名检查人员"), "{}", r.text);
    assert_eq!(app.count(&format!("SELECT count(*) FROM inspections WHERE id = '{iid}' AND status = 'assigned'")), 1);
}

fn ids(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|i| i["id"].as_str().expect("id").to_string()).collect()
}

#[tokio::test]
async fn from_draw_to_rectified_and_to_abolished_publicly_and_in_search() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d1 = published(&app, &org, "Q/CQF 001-2024").await;
    let org2 = app.enterprise("500103").await;
    let d2 = published(&app, &org2, "Q/CQF 002-2024").await;
    let r = app.regulator("500103").await;
    let draw = create_and_draw(&app, &r, campaign("全流程", "500103", &[&r], 2, Some("full"))).await;
    let inspection = |decl: &str| {
        draw["inspections"].as_array().expect("i").iter().find(|i| i["declaration_id"] == decl).expect("drawn")["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let (i1, i2) = (inspection(&d1), inspection(&d2));
    // drawing flags both publicly and in search
    let pub1 = app.get(&format!("/api/v1/declarations/{d1}"), None).await;
    assert_eq!(pub1.body["flags"][0]["code"], "under_check");
    app.drain_outbox().await;
    assert_eq!(sorted(ids(&app.search("flagged=true").await)), sorted(vec![d1.clone(), d2.clone()]));

    // a non-compliant result orders rectification
    let r1 = app
        .post(
            &format!("/api/v1/inspections/{i1}/result"),
            Some(&r.token),
            json!({"grade": "non_compliant", "findings": [
                {"code": "indicators_not_public", "category": "legality", "description": "未公开循环寿命的检验方法"},
                {"code": "drafting_nonconformant", "category": "normativity", "description": "术语章节不符合 GB/T 1.1"}
            ]}),
        )
        .await;
    r1.assert_status(200);
    assert_eq!(r1.body["status"], "rectification_ordered");
    assert!(r1.body["rectification_due"].as_str().is_some(), "a default due date in working days");
    let flags: Vec<String> = app.get(&format!("/api/v1/declarations/{d1}"), None).await.body["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect();
    assert_eq!(flags, vec!["rectification_ordered"]);

    // the organization publishes a corrected version and answers with it
    app.post(&format!("/api/v1/declarations/{d1}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    app.patch(&format!("/api/v1/declarations/{d1}"), Some(&org.admin.token), json!({"summary": "已补充检验方法"}))
        .await
        .assert_status(200);
    let v2 = crate::declarations::publish(&app, &org, &d1).await;
    assert_eq!(v2["version"], 2);
    let v2_id: String = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        diesel::RunQueryDsl::get_result::<Id>(
            diesel::sql_query(format!(
                "SELECT id::text AS id FROM declaration_versions WHERE declaration_id = '{d1}' AND version = 2"
            )),
            &mut app.db(),
        )
        .expect("version")
        .id
    };
    let other = app.enterprise("500103").await;
    app.post(&format!("/api/v1/inspections/{i1}/response"), Some(&other.admin.token), json!({"statement": "不是我的"}))
        .await
        .assert_status(404);
    let resp = app
        .post(
            &format!("/api/v1/inspections/{i1}/response"),
            Some(&org.admin.token),
            json!({"statement": "已补充检验方法并发布第2版", "new_version_id": v2_id}),
        )
        .await;
    resp.assert_status(200);
    assert_eq!(resp.body["status"], "responded");
    let closed =
        app.post(&format!("/api/v1/inspections/{i1}/close"), Some(&r.token), json!({"resolution": "rectified"})).await;
    closed.assert_status(200);
    assert_eq!(closed.body["status"], "rectified");
    let public = app.get(&format!("/api/v1/declarations/{d1}"), None).await;
    assert_eq!(public.body["flags"], json!([]));
    assert_eq!(public.body["status"], "public");
    let history = app.get(&format!("/api/v1/declarations/{d1}/flags"), None).await;
    assert_eq!(history.body["items"].as_array().map(Vec::len), Some(2), "the history stays");

    // the other one is not rectified: abolished, publicly and in search
    app.post(&format!("/api/v1/inspections/{i2}/result"), Some(&r.token), json!({"grade": "compliant_with_defects", "findings": [{"code": "numbering_invalid", "category": "normativity", "description": "编号缺少年号"}]}))
        .await
        .assert_status(200);
    let closed = app
        .post(
            &format!("/api/v1/inspections/{i2}/close"),
            Some(&r.token),
            json!({"resolution": "not_rectified", "note": "逾期未整改"}),
        )
        .await;
    closed.assert_status(200);
    let public = app.get(&format!("/api/v1/declarations/{d2}"), None).await;
    assert_eq!(public.body["status"], "abolished");
    assert_eq!(public.body["flags"][0]["code"], "abolished_by_authority");
    // the organization cannot revive it
    app.post(&format!("/api/v1/declarations/{d2}/revisions"), Some(&org2.admin.token), json!({}))
        .await
        .assert_status(409);
    app.drain_outbox().await;
    assert_eq!(ids(&app.search("flagged=true&status=abolished").await), vec![d2.clone()]);
    assert!(!ids(&app.search("flagged=true").await).contains(&d1));
    let s = app.search(&format!("q={}&status=all", enc("Q/CQF 002-2024"))).await;
    assert_eq!(s["items"][0]["status"], "abolished");
    assert_eq!(s["items"][0]["flags"], json!(["abolished_by_authority"]));

    // the report: regulators before closing, the public after
    let cid = draw["campaign"]["id"].as_str().expect("id");
    app.get(&format!("/api/v1/campaigns/{cid}/report"), None).await.assert_status(404);
    app.get(&format!("/api/v1/campaigns/{cid}/report"), Some(&r.token)).await.assert_status(200);
    app.post(&format!("/api/v1/campaigns/{cid}/close"), Some(&r.token), json!({})).await.assert_status(200);
    let report = app.get(&format!("/api/v1/campaigns/{cid}/report"), None).await;
    report.assert_status(200);
    assert_eq!(report.body["campaign"]["seed"], "full");
    assert_eq!(report.body["campaign"]["eligible_count"], 2);
    assert_eq!(report.body["grades"]["non_compliant"], 1);
    assert_eq!(report.body["grades"]["compliant_with_defects"], 1);
    assert_eq!(report.body["grades"]["rectified"], 1);
    assert_eq!(report.body["grades"]["not_rectified"], 1);
    assert_eq!(report.body["findings"].as_array().map(Vec::len), Some(2));
    assert!(report.body["reproduction"].as_str().is_some_and(|t| t.contains("ChaCha20") && t.contains("full")));

    // the statistics count the campaign and its grades
    let stats = app.get("/api/v1/stats/overview", None).await;
    stats.assert_status(200);
    let c = &stats.body["campaigns"];
    assert_eq!(c["by_status"]["closed"], 1);
    assert_eq!(c["inspections"], 2);
    assert_eq!(c["by_grade"]["non_compliant"], 1);
    assert_eq!(c["by_grade"]["compliant_with_defects"], 1);
    assert_eq!(c["by_grade"]["compliant"], 0);
    assert_eq!(c["pass_rate"], 0.0);
    assert_eq!(c["rectified"], 1);
    assert_eq!(c["not_rectified"], 1);
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn overdue_rectifications_are_flagged_once() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d = published(&app, &org, "Q/CQO 001-2024").await;
    let r = app.regulator("500103").await;
    let draw = create_and_draw(&app, &r, campaign("逾期", "500103", &[&r], 1, Some("o"))).await;
    let iid = draw["inspections"][0]["id"].as_str().expect("id");
    let due =
        (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    app.post(&format!("/api/v1/inspections/{iid}/result"), Some(&r.token), json!({"grade": "non_compliant", "findings": [{"code": "below_mandatory", "category": "legality", "description": "待机功耗高于 GB 强制要求"}], "rectification_due": due}))
        .await
        .assert_status(200);
    assert_eq!(stdreg::worker::run_jobs(&app.state).await.expect("jobs"), 0, "not due yet");
    assert!(
        app.get("/api/v1/inspections?overdue=true", Some(&r.token)).await.body["items"]
            .as_array()
            .expect("items")
            .is_empty()
    );
    app.state.clock.advance(chrono::Duration::days(4));
    assert_eq!(stdreg::worker::run_jobs(&app.state).await.expect("jobs"), 1);
    assert_eq!(stdreg::worker::run_jobs(&app.state).await.expect("jobs"), 0, "idempotent");
    assert_eq!(app.count(&format!("SELECT count(*) FROM flags WHERE declaration_id = '{d}' AND code = 'overdue'")), 1);
    let listed = app.get("/api/v1/inspections?overdue=true", Some(&r.token)).await;
    assert_eq!(ids(&listed.body), vec![iid.to_string()]);
    assert_eq!(listed.body["items"][0]["overdue"], true);
    let public = app.get(&format!("/api/v1/declarations/{d}"), None).await;
    let codes: Vec<&str> =
        public.body["flags"].as_array().expect("flags").iter().filter_map(|f| f["code"].as_str()).collect();
    assert!(codes.contains(&"overdue"), "{codes:?}");
    // closing resolves the overdue flag too
    app.post(&format!("/api/v1/inspections/{iid}/close"), Some(&r.token), json!({"resolution": "rectified"}))
        .await
        .assert_status(200);
    assert_eq!(app.get(&format!("/api/v1/declarations/{d}"), None).await.body["flags"], json!([]));
}

#[tokio::test]
async fn bad_supervision_input_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let before = app.count("SELECT count(*) FROM campaigns");
    for (body, field) in [
        (campaign("", "500103", &[&w.r1], 1, None), "name"),
        (campaign("x批", "5001031", &[&w.r1], 1, None), "scope.division"),
        (campaign("x批", "500103", &[&w.r1], 0, None), "sample_size"),
        (campaign("x批", "500103", &[], 1, None), "inspector_ids"),
        (campaign("x批", "500103", &[&w.r104], 1, None), "inspector_ids[0]"),
        (campaign("x批", "500103", &[&w.orgs103[0].admin], 1, None), "inspector_ids[0]"),
        (
            {
                let mut c = campaign("x批", "500103", &[&w.r1], 1, None);
                c["due_date"] = json!("2020-01-01");
                c
            },
            "due_date",
        ),
        (
            {
                let mut c = campaign("x批", "500103", &[&w.r1], 1, None);
                c["scope"]["kinds"] = json!(["gadget"]);
                c
            },
            "scope.kinds[0]",
        ),
        (
            {
                let mut c = campaign("x批", "500103", &[&w.r1], 1, None);
                c["sample_size"] = json!("many");
                c
            },
            "sample_size",
        ),
    ] {
        let r = app.post("/api/v1/campaigns", Some(&w.r1.token), body).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert!(r.error_fields().contains(&field.to_string()), "{field}: {}", r.text);
    }
    assert_eq!(app.count("SELECT count(*) FROM campaigns"), before);
    app.post("/api/v1/campaigns", Some(&w.orgs103[0].admin.token), campaign("x批", "500103", &[&w.r1], 1, None))
        .await
        .assert_status(403);

    let d = create_and_draw(&app, &w.r1, campaign("坏输入", "500103", &[&w.r1], 1, Some("b"))).await;
    let iid = d["inspections"][0]["id"].as_str().expect("id");
    let url = format!("/api/v1/inspections/{iid}/result");
    for (body, field) in [
        (json!({"grade": "excellent"}), "grade"),
        (
            json!({"grade": "non_compliant", "findings": [{"code": "made_up", "category": "legality", "description": "编造的问题"}]}),
            "findings[0].code",
        ),
        (
            json!({"grade": "non_compliant", "findings": [{"code": "below_mandatory", "category": "style", "description": "分类错误"}]}),
            "findings[0].category",
        ),
        (json!({"grade": "non_compliant", "findings": []}), "findings"),
        (
            json!({"grade": "non_compliant", "findings": [{"code": "below_mandatory", "category": "legality", "description": "低于强制标准"}], "rectification_due": "2020-01-01"}),
            "rectification_due",
        ),
    ] {
        let r = app.post(&url, Some(&w.r1.token), body).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert!(r.error_fields().contains(&field.to_string()), "{field}: {}", r.text);
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM inspections WHERE id = '{iid}' AND status = 'assigned' AND grade IS NULL"
        )),
        1
    );
    let cid = d["campaign"]["id"].as_str().expect("id");
    let r = app.post(&format!("/api/v1/campaigns/{cid}/close"), Some(&w.r1.token), json!({})).await;
    r.assert_status(409);
    assert!(r.text.contains("未录入结果"));
}

#[tokio::test]
async fn openapi_documents_supervision() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/openapi.json", None).await;
    let paths = r.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}",
        "/api/v1/campaigns/{id}/draw",
        "/api/v1/campaigns/{id}/close",
        "/api/v1/campaigns/{id}/report",
        "/api/v1/inspections",
        "/api/v1/inspections/{id}",
        "/api/v1/inspections/{id}/result",
        "/api/v1/inspections/{id}/response",
        "/api/v1/inspections/{id}/close",
        "/api/v1/declarations/{id}/flags",
        "/api/v1/flags/{id}/resolve",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
}
