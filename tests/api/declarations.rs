//! Declarations: the lifecycle, visibility, validation, uniqueness, the catalogue check, full texts
//! and bulk submission.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestOrg};

pub fn q_declaration(number: &str) -> Value {
    json!({
        "kind": "product",
        "standard": {"number": number, "title": "电动自行车用锂离子蓄电池"},
        "products": [{"name": "电动自行车锂电池", "model": "LB-48V20Ah", "brand": "山城", "barcode": "6901234567892"},
                     {"name": "电动自行车锂电池", "model": "LB-60V24Ah"}],
        "industry_code": "C3841",
        "ics_code": "29.220.30",
        "ccs_code": "K82",
        "indicators": [
            {"name": "循环寿命", "value": 1000, "unit": "次", "comparator": ">=", "test_method": "GB/T 36972-2018", "safety_health_env": false},
            {"name": "过充电保护", "value": "不起火、不爆炸", "comparator": "=", "safety_health_env": true},
            {"name": "质量能量密度", "value": 150, "unit": "Wh/kg", "comparator": ">="}
        ],
        "summary": "适用于电动自行车用 48V、60V 锂离子蓄电池组",
        "full_text_public": true
    })
}

pub async fn create(app: &TestApp, org: &TestOrg, body: Value) -> Value {
    let r = app.post("/api/v1/declarations", Some(&org.admin.token), body).await;
    r.assert_status(201);
    r.body
}

pub async fn publish(app: &TestApp, org: &TestOrg, id: &str) -> Value {
    let r = app
        .post(&format!("/api/v1/declarations/{id}/publish"), Some(&org.admin.token), json!({"commitment": true}))
        .await;
    r.assert_status(200);
    r.body
}

/// A published Q/ declaration; returns its id.
pub async fn published(app: &TestApp, org: &TestOrg, number: &str) -> String {
    let d = create(app, org, q_declaration(number)).await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(app, org, &id).await;
    id
}

#[tokio::test]
async fn the_lifecycle_from_draft_to_revision_to_withdrawal() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d = create(&app, &org, q_declaration("q/cqsc 001—2025")).await;
    assert_eq!(d["status"], "draft");
    assert_eq!(d["version"], 1);
    assert_eq!(d["standard"]["number"], "q/cqsc 001—2025");
    assert_eq!(d["standard"]["normalized"], "Q/CQSC 001-2025");
    assert_eq!(d["standard"]["type"], "enterprise");
    assert_eq!(d["organization"]["uscc"], org.uscc);
    assert_eq!(d["warnings"], json!([]));
    let id = d["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/declarations/{id}");

    // drafts are visible only to their organization
    app.get(&path, None).await.assert_status(404);
    let other = app.enterprise("500104").await;
    app.get(&path, Some(&other.admin.token)).await.assert_status(404);
    let reg = app.regulator("500000").await;
    app.get(&path, Some(&reg.token)).await.assert_status(404);
    app.get(&path, Some(&org.admin.token)).await.assert_status(200);

    // the draft can be edited; publishing needs the commitment
    let r = app.patch(&path, Some(&org.admin.token), json!({"summary": "修改后的适用范围说明"})).await;
    r.assert_status(200);
    assert_eq!(r.body["summary"], "修改后的适用范围说明");
    let r = app.post(&format!("{path}/publish"), Some(&org.admin.token), json!({"commitment": false})).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["commitment"]);
    app.post(&format!("{path}/publish"), Some(&org.admin.token), json!({})).await.assert_status(422);

    let p = publish(&app, &org, &id).await;
    assert_eq!(p["status"], "public");
    assert_eq!(p["version"], 1);
    assert!(p["published_at"].as_str().is_some());
    let public = app.get(&path, None).await;
    public.assert_status(200);
    assert_eq!(public.body["status"], "public");
    assert_eq!(public.body["products"].as_array().map(Vec::len), Some(2));
    assert_eq!(public.body["indicators"][1]["safety_health_env"], true);

    // published versions are immutable: editing names the state
    let r = app.patch(&path, Some(&org.admin.token), json!({"summary": "x"})).await;
    r.assert_status(409);
    assert_eq!(r.error_code(), "invalid_state");
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| m.contains("现行有效")), "{}", r.text);
    app.post(&format!("{path}/publish"), Some(&org.admin.token), json!({"commitment": true})).await.assert_status(409);

    // a revision: same id, version 2 as a draft, prefilled
    let r = app.post(&format!("{path}/revisions"), Some(&org.admin.token), json!({})).await;
    r.assert_status(201);
    assert_eq!(r.body["id"], id);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["public_version"], 1);
    assert_eq!(r.body["products"].as_array().map(Vec::len), Some(2));
    app.post(&format!("{path}/revisions"), Some(&org.admin.token), json!({})).await.assert_status(409);
    // the public still sees version 1; the organization sees its draft
    assert_eq!(app.get(&path, None).await.body["version"], 1);
    assert_eq!(app.get(&path, Some(&org.admin.token)).await.body["version"], 2);
    app.get(&format!("{path}/versions/2"), None).await.assert_status(404);

    let r = app
        .patch(
            &path,
            Some(&org.admin.token),
            json!({
                "standard": {"number": "Q/CQSC 001-2026", "title": "电动自行车用锂离子蓄电池（第二版）"},
                "products": [{"name": "电动自行车锂电池", "model": "LB-48V20Ah", "brand": "山城新"}, {"name": "电动自行车充电器"}],
                "indicators": [
                    {"name": "循环寿命", "value": 1200, "unit": "次", "comparator": ">=", "test_method": "GB/T 36972-2018"},
                    {"name": "过充电保护", "value": "不起火、不爆炸", "comparator": "=", "safety_health_env": true}
                ]
            }),
        )
        .await;
    // the year 2026 is after today's date only if today is before 2026; the test clock is real time
    let today_year: i32 = chrono::Utc::now().format("%Y").to_string().parse().expect("year");
    if today_year < 2026 {
        r.assert_status(422);
        return;
    }
    r.assert_status(200);
    let p = publish(&app, &org, &id).await;
    assert_eq!(p["version"], 2);
    assert_eq!(p["status"], "public");
    let v1 = app.get(&format!("{path}/versions/1"), None).await;
    v1.assert_status(200);
    assert_eq!(v1.body["status"], "superseded");
    assert_eq!(v1.body["standard"]["normalized"], "Q/CQSC 001-2025");
    let versions = app.get(&path, None).await.body["versions"].clone();
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    assert_eq!(versions[0]["status"], "superseded");
    assert_eq!(versions[1]["status"], "public");

    // the diff, readable by the public
    let diff = app.get(&format!("{path}/diff?from=1&to=2"), None).await;
    diff.assert_status(200);
    let changes = diff.body["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "standard_number" && c["from"] == "Q/CQSC 001-2025" && c["to"] == "Q/CQSC 001-2026")
    );
    assert!(changes.iter().any(|c| c["field"] == "standard_title"));
    assert_eq!(diff.body["products"]["added"][0]["name"], "电动自行车充电器");
    assert_eq!(diff.body["products"]["removed"][0]["model"], "LB-60V24Ah");
    assert_eq!(diff.body["products"]["changed"][0]["key"], "电动自行车锂电池（LB-48V20Ah）");
    assert_eq!(diff.body["indicators"]["removed"][0]["name"], "质量能量密度");
    let ch = &diff.body["indicators"]["changed"][0];
    assert_eq!(ch["key"], "循环寿命");
    assert!(
        ch["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["field"] == "value" && c["from"] == 1000 && c["to"] == 1200)
    );
    app.get(&format!("{path}/diff?from=1&to=9"), None).await.assert_status(404);
    app.get(&format!("{path}/diff?from=1"), None).await.assert_status(400);

    // withdrawal needs a reason; afterwards nothing moves
    let r = app.post(&format!("{path}/withdraw"), Some(&org.admin.token), json!({"reason": ""})).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["reason"]);
    app.post(&format!("{path}/withdraw"), Some(&org.admin.token), json!({})).await.assert_status(422);
    let r = app.post(&format!("{path}/withdraw"), Some(&org.admin.token), json!({"reason": "产品停产"})).await;
    r.assert_status(200);
    assert_eq!(r.body["status"], "withdrawn");
    assert_eq!(r.body["end_reason"], "产品停产");
    let public = app.get(&path, None).await;
    assert_eq!(public.body["status"], "withdrawn");
    for (action, body) in [
        ("revisions", json!({})),
        ("publish", json!({"commitment": true})),
        ("withdraw", json!({"reason": "再次撤回"})),
    ] {
        let r = app.post(&format!("{path}/{action}"), Some(&org.admin.token), body).await;
        assert_eq!(r.status, 409, "{action}: {}", r.text);
        assert!(r.text.contains("已撤回"), "{action}: {}", r.text);
    }
    // every change is audited and queued for search
    let actions = app.count(&format!("SELECT count(*) FROM audit_events WHERE entity_id = '{id}'"));
    assert_eq!(actions, 7, "created, updated, published, revision, updated, published, withdrawn");
    assert_eq!(app.count(&format!("SELECT count(*) FROM outbox WHERE entity_id = '{id}'")), 7);
}

#[tokio::test]
async fn other_organizations_and_the_public_cannot_touch_a_declaration() {
    let app = TestApp::spawn().await;
    let a = app.enterprise("500103").await;
    let b = app.enterprise("500103").await;
    let draft = create(&app, &a, q_declaration("Q/CQA 001-2024")).await;
    let draft_id = draft["id"].as_str().expect("id").to_string();
    let public_id = published(&app, &a, "Q/CQA 002-2024").await;
    for id in [&draft_id, &public_id] {
        let p = format!("/api/v1/declarations/{id}");
        app.patch(&p, Some(&b.admin.token), json!({"summary": "篡改"})).await.assert_status(404);
        app.post(&format!("{p}/publish"), Some(&b.admin.token), json!({"commitment": true})).await.assert_status(404);
        app.post(&format!("{p}/revisions"), Some(&b.admin.token), json!({})).await.assert_status(404);
        app.post(&format!("{p}/withdraw"), Some(&b.admin.token), json!({"reason": "篡改撤回"}))
            .await
            .assert_status(404);
        app.put_bytes(&format!("{p}/full-text"), Some(&b.admin.token), "application/pdf", b"%PDF-1.4 forged".to_vec())
            .await
            .assert_status(404);
        app.patch(&p, None, json!({"summary": "x"})).await.assert_status(401);
        app.post(&format!("{p}/withdraw"), None, json!({"reason": "匿名撤回"})).await.assert_status(401);
    }
    app.get(&format!("/api/v1/declarations/{draft_id}"), Some(&b.admin.token)).await.assert_status(404);
    app.get(&format!("/api/v1/declarations/{draft_id}/versions/1"), Some(&b.admin.token)).await.assert_status(404);
    app.post("/api/v1/declarations", None, q_declaration("Q/CQA 003-2024")).await.assert_status(401);
    let reg = app.regulator("500103").await;
    app.post("/api/v1/declarations", Some(&reg.token), q_declaration("Q/CQA 003-2024")).await.assert_status(403);
    app.get(&format!("/api/v1/declarations/{public_id}"), Some(&reg.token)).await.assert_status(200);
    // nothing changed
    let d = app.get(&format!("/api/v1/declarations/{public_id}"), None).await;
    assert_eq!(d.body["status"], "public");
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 2);
    // lists: the public sees only published ones; the organization sees its drafts too
    let list = app.get(&format!("/api/v1/organizations/{}/declarations", a.uscc), None).await;
    list.assert_status(200);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], public_id);
    let mine = app.get("/api/v1/organizations/me/declarations", Some(&a.admin.token)).await;
    assert_eq!(mine.body["total"], 2);
    let mine = app.get("/api/v1/organizations/me/declarations?status=draft", Some(&a.admin.token)).await;
    assert_eq!(mine.body["total"], 1);
    let theirs = app.get("/api/v1/organizations/me/declarations", Some(&b.admin.token)).await;
    assert_eq!(theirs.body["total"], 0);
    app.get(&format!("/api/v1/organizations/{}/declarations?status=draft", a.uscc), None).await.assert_status(400);
    app.get(&format!("/api/v1/organizations/{}/declarations?per_page=500", a.uscc), None).await.assert_status(400);
}

#[tokio::test]
async fn bad_declarations_are_refused_naming_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = q_declaration("Q/CQB 001-2024");
        f(&mut b);
        b
    };
    let many: Vec<Value> = (0..501).map(|i| json!({"name": format!("产品{i}")})).collect();
    let cases: Vec<(Value, &str)> = vec![
        (with(&|b| b["products"] = json!([])), "products"),
        (with(&|b| b.as_object_mut().expect("o").remove("products").map(|_| ()).unwrap_or(())), "products"),
        (with(&|b| b["indicators"] = json!([])), "indicators"),
        (with(&|b| b["products"] = json!(many.clone())), "products"),
        (with(&|b| b["products"][0]["name"] = json!("")), "products[0].name"),
        (with(&|b| b["products"][1]["barcode"] = json!("6901234567891")), "products[1].barcode"),
        (with(&|b| b["industry_code"] = json!("C9999")), "industry_code"),
        (with(&|b| b["industry_code"] = json!("Z12")), "industry_code"),
        (with(&|b| b["ics_code"] = json!("29.22")), "ics_code"),
        (with(&|b| b["ics_code"] = json!("99.999.99")), "ics_code"),
        (with(&|b| b["ccs_code"] = json!("I12")), "ccs_code"),
        (with(&|b| b["standard"]["number"] = json!("ISO 9001:2015")), "standard.number"),
        (with(&|b| b["standard"]["number"] = json!("Q/CQB 001-2099")), "standard.number"),
        (with(&|b| b["standard"]["number"] = json!("XX 123-2020")), "standard.number"),
        (with(&|b| b["standard"]["number"] = json!("DB99/T 1-2020")), "standard.number"),
        (with(&|b| b["standard"]["title"] = json!("")), "standard.title"),
        (with(&|b| b["kind"] = json!("group")), "standard.number"),
        (with(&|b| b["kind"] = json!("gadget")), "kind"),
        (with(&|b| b["indicators"][0]["comparator"] = json!("≈")), "indicators[0].comparator"),
        (with(&|b| b["indicators"][0]["value"] = json!(null)), "indicators[0].value"),
        (with(&|b| b["indicators"][0]["value"] = json!({"x": 1})), "indicators[0].value"),
        (with(&|b| b["summary"] = json!("说".repeat(2001))), "summary"),
        (with(&|b| b["effective_date"] = json!("2024-13-01")), "effective_date"),
        (with(&|b| b["products"] = json!("电池")), "products"),
        (with(&|b| b["surprise"] = json!(1)), "surprise"),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/declarations", Some(&org.admin.token), body).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert!(r.error_fields().iter().any(|f| f == field), "expected {field}: {}", r.text);
    }
    // a group declaration from an enterprise, and a group standard under another code
    let r = app
        .post(
            "/api/v1/declarations",
            Some(&org.admin.token),
            with(&|b| {
                b["kind"] = json!("group");
                b["standard"]["number"] = json!("T/CAS 290-2017");
            }),
        )
        .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["kind"]);
    let assoc = app.social_org("500103", "CQBX").await;
    let r = app
        .post(
            "/api/v1/declarations",
            Some(&assoc.admin.token),
            with(&|b| {
                b["kind"] = json!("group");
                b["standard"]["number"] = json!("T/CAS 290-2017");
            }),
        )
        .await;
    r.assert_status(422);
    assert!(r.text.contains("T/CQBX"), "{}", r.text);
    let r = app
        .post(
            "/api/v1/declarations",
            Some(&assoc.admin.token),
            with(&|b| {
                b["kind"] = json!("group");
                b["standard"]["number"] = json!("T/CQBX 12-2024");
            }),
        )
        .await;
    r.assert_status(201);

    // malformed and oversized
    let r = app
        .send(
            app.client
                .post(format!("{}/api/v1/declarations", app.address))
                .bearer_auth(&org.admin.token)
                .header("content-type", "application/json")
                .body("{\"kind\": \"product\", "),
        )
        .await;
    r.assert_status(400);
    let huge = with(&|b| b["summary"] = json!("x".repeat(1_100_000)));
    app.post("/api/v1/declarations", Some(&org.admin.token), huge).await.assert_status(413);
    assert_eq!(app.count(&format!("SELECT count(*) FROM declarations WHERE organization_id = '{}'", org.id)), 0);
    assert_eq!(app.count("SELECT count(*) FROM declaration_versions"), 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE entity_type = 'declaration'"), 1);
}

#[tokio::test]
async fn one_live_declaration_per_number_and_kind() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let id = published(&app, &org, "Q/CQU 001-2024").await;
    let r = app.post("/api/v1/declarations", Some(&org.admin.token), q_declaration("q/cqu 001－2024")).await;
    r.assert_status(409);
    assert_eq!(r.error_code(), "duplicate_declaration");
    let mut service = q_declaration("Q/CQU 001-2024");
    service["kind"] = json!("service");
    app.post("/api/v1/declarations", Some(&org.admin.token), service).await.assert_status(201);
    // another organization may declare the same number
    let other = app.enterprise("500103").await;
    app.post("/api/v1/declarations", Some(&other.admin.token), q_declaration("Q/CQU 001-2024"))
        .await
        .assert_status(201);
    // a revision draft cannot take a number another live declaration holds
    let second = published(&app, &org, "Q/CQU 002-2024").await;
    app.post(&format!("/api/v1/declarations/{second}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    let r = app
        .patch(
            &format!("/api/v1/declarations/{second}"),
            Some(&org.admin.token),
            json!({"standard": {"number": "Q/CQU 001-2024", "title": "电动自行车用锂离子蓄电池"}}),
        )
        .await;
    r.assert_status(409);
    // after withdrawal the number is free again
    app.post(&format!("/api/v1/declarations/{id}/withdraw"), Some(&org.admin.token), json!({"reason": "换新标准"}))
        .await
        .assert_status(200);
    app.post("/api/v1/declarations", Some(&org.admin.token), q_declaration("Q/CQU 001-2024")).await.assert_status(201);
}

fn national(number: &str) -> Value {
    json!({
        "kind": "product",
        "standard": {"number": number, "title": "电动自行车安全技术规范"},
        "products": [{"name": "电动自行车", "model": "TDT-1"}],
        "indicators": []
    })
}

#[tokio::test]
async fn the_catalogue_refuses_abolished_standards_and_warns_on_unknown_ones() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d = create(&app, &org, national("GB 17761-2018")).await;
    assert_eq!(d["standard"]["type"], "national_mandatory");
    assert_eq!(d["warnings"][0]["code"], "standard_abolished");
    let id = d["id"].as_str().expect("id");
    let r = app
        .post(&format!("/api/v1/declarations/{id}/publish"), Some(&org.admin.token), json!({"commitment": true}))
        .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["standard.number"]);
    assert!(r.text.contains("GB 17761-2024"), "names the replacement: {}", r.text);
    assert_eq!(app.get(&format!("/api/v1/declarations/{id}"), Some(&org.admin.token)).await.body["status"], "draft");

    let r = app
        .patch(
            &format!("/api/v1/declarations/{id}"),
            Some(&org.admin.token),
            json!({"standard": {"number": "GB 17761-2024", "title": "电动自行车安全技术规范"}}),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.body["warnings"], json!([]));
    let p = publish(&app, &org, id).await;
    assert_eq!(p["warnings"], json!([]));

    let d = create(&app, &org, national("GB/T 99999-2020")).await;
    assert_eq!(d["standard"]["type"], "national_recommended");
    let p = publish(&app, &org, d["id"].as_str().expect("id")).await;
    assert_eq!(p["status"], "public");
    assert_eq!(p["warnings"][0]["code"], "standard_not_in_catalogue");
    // industry and local numbers are classified too
    for (number, t) in
        [("QC/T 1234-2020", "industry"), ("DB50/T 1234-2022", "local"), ("GB/Z 20000-2005", "national_guidance")]
    {
        let d = create(&app, &org, national(number)).await;
        assert_eq!(d["standard"]["type"], t, "{number}");
    }
}

fn pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    v.extend(std::iter::repeat_n(b'x', 2048));
    v.extend(b"\n%%EOF\n");
    v
}

#[tokio::test]
async fn full_texts_are_pdfs_stored_by_hash_and_served_by_visibility() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut body = q_declaration("Q/CQF 001-2024");
    body["full_text_public"] = json!(false);
    let d = create(&app, &org, body).await;
    let id = d["id"].as_str().expect("id");
    let url = format!("/api/v1/declarations/{id}/full-text");
    let r = app.put_bytes(&url, Some(&org.admin.token), "application/pdf", b"GIF89a not a pdf at all".to_vec()).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["full_text"]);
    app.put_bytes(&url, Some(&org.admin.token), "image/png", pdf()).await.assert_status(415);
    let mut big = pdf();
    big.resize(20 * 1024 * 1024 + 1, b' ');
    app.put_bytes(&url, Some(&org.admin.token), "application/pdf", big).await.assert_status(413);
    assert_eq!(app.count("SELECT count(*) FROM blobs"), 0);

    let r = app.put_bytes(&url, Some(&org.admin.token), "application/pdf", pdf()).await;
    r.assert_status(200);
    let sha = r.body["full_text"]["sha256"].as_str().expect("sha").to_string();
    assert_eq!(sha, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(pdf())));
    assert_eq!(r.body["full_text"]["public"], false);
    publish(&app, &org, id).await;

    // not public: the public is refused, the owner and a regulator of the area may read it
    app.get(&url, None).await.assert_status(403);
    let own = app.get(&url, Some(&org.admin.token)).await;
    own.assert_status(200);
    assert_eq!(own.header("content-type").as_deref(), Some("application/pdf"));
    let reg = app.regulator("500103").await;
    app.get(&url, Some(&reg.token)).await.assert_status(200);
    let far = app.regulator("510000").await;
    app.get(&url, Some(&far.token)).await.assert_status(403);
    // published versions are immutable, files included
    app.put_bytes(&url, Some(&org.admin.token), "application/pdf", pdf()).await.assert_status(409);

    // a revision that makes the full text public
    app.post(&format!("/api/v1/declarations/{id}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    app.patch(&format!("/api/v1/declarations/{id}"), Some(&org.admin.token), json!({"full_text_public": true}))
        .await
        .assert_status(200);
    publish(&app, &org, id).await;
    let r = app.get(&url, None).await;
    r.assert_status(200);
    assert_eq!(r.text.len(), pdf().len());
}

#[tokio::test]
async fn bulk_creates_exactly_the_valid_items() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let token = app.post("/api/v1/tokens", Some(&org.admin.token), json!({"name": "ERP"})).await.body["token"]
        .as_str()
        .expect("token")
        .to_string();
    let mut items: Vec<Value> = (0..40).map(|i| q_declaration(&format!("Q/CQK {i:03}-2024"))).collect();
    items[3]["products"] = json!([]);
    items[7]["standard"]["number"] = json!("not a number");
    items[11] = json!({"kind": "product", "standard": "wrong type"});
    items[15]["industry_code"] = json!("C9999");
    items[19] = q_declaration("Q/CQK 000-2024");
    items[23]["indicators"] = json!([]);
    let r = app.post("/api/v1/declarations:bulk", Some(&token), json!({"declarations": items, "publish": true})).await;
    r.assert_status(200);
    let results = r.body["results"].as_array().expect("results");
    assert_eq!(results.len(), 40);
    let errors: Vec<usize> = results
        .iter()
        .filter(|x| x["status"] == "error")
        .map(|x| x["index"].as_u64().expect("index") as usize)
        .collect();
    assert_eq!(errors, vec![3, 7, 11, 15, 19, 23]);
    assert_eq!(results[3]["error"]["details"][0]["field"], "declarations[3].products");
    assert_eq!(results[11]["error"]["details"][0]["field"], "declarations[11].standard");
    assert_eq!(results[19]["error"]["code"], "duplicate_declaration");
    assert_eq!(app.count(&format!("SELECT count(*) FROM declarations WHERE organization_id = '{}'", org.id)), 34);
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE status = 'public' AND current_version = 1"), 34);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'declaration.published'"), 34);
    assert_eq!(app.count("SELECT count(*) FROM outbox"), 34);
    let ok_id = results[0]["id"].as_str().expect("id");
    let d = app.get(&format!("/api/v1/declarations/{ok_id}"), None).await;
    assert_eq!(d.body["status"], "public");

    // drafts by default; limits
    let r = app
        .post("/api/v1/declarations:bulk", Some(&token), json!({"declarations": [q_declaration("Q/CQK 100-2024")]}))
        .await;
    assert_eq!(r.body["results"][0]["declaration_status"], "draft");
    let too_many: Vec<Value> = (0..1001).map(|_| json!({})).collect();
    let r = app.post("/api/v1/declarations:bulk", Some(&token), json!({"declarations": too_many})).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["declarations"]);
    app.post("/api/v1/declarations:bulk", None, json!({"declarations": []})).await.assert_status(401);
    // the chain stays intact after a bulk write
    let mut conn = app.db();
    assert!(matches!(stdreg::audit::verify(&mut conn).expect("verify"), stdreg::audit::Verification::Intact(_)));
}

#[tokio::test]
async fn openapi_documents_declarations_with_their_bodies() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/openapi.json", None).await;
    let paths = r.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/declarations",
        "/api/v1/declarations/{id}",
        "/api/v1/declarations/{id}/publish",
        "/api/v1/declarations/{id}/revisions",
        "/api/v1/declarations/{id}/withdraw",
        "/api/v1/declarations/{id}/versions/{n}",
        "/api/v1/declarations/{id}/diff",
        "/api/v1/declarations/{id}/full-text",
        "/api/v1/declarations:bulk",
        "/api/v1/organizations/{uscc}/declarations",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    let schemas = &r.body["components"]["schemas"];
    for s in ["DeclarationBody", "DeclarationView", "Product", "Indicator", "PublishBody", "BulkBody"] {
        assert!(schemas[s].is_object(), "schema {s} missing");
    }
}
