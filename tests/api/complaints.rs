//! Complaints: intake and tracking, routing by jurisdiction, the confidential complainant and bad
//! input that writes nothing; deadlines, the workflow and rate limiting in `workflow`, attachments
//! in `evidence`. The helpers here serve all three.

mod evidence;
mod workflow;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde_json::{Value, json};

use crate::declarations::published;
use crate::helpers::{Resp, Session, TestApp, TestOrg};

const PHONE: &str = "13987654321";
const EMAIL: &str = "whistle.blower@example.cn";
const NAME: &str = "王举报";

fn complaint_on(declaration_id: &str) -> Value {
    json!({
        "target": {"declaration_id": declaration_id},
        "category": "false_indicator",
        "description": "产品实测循环寿命不足 500 次，远低于声明的 1000 次。",
    })
}

fn named(mut body: Value) -> Value {
    body["complainant"] = json!({"name": NAME, "phone": PHONE, "email": EMAIL});
    body
}

async fn file(app: &TestApp, body: Value) -> Resp {
    let r = app.post("/api/v1/complaints", None, body).await;
    r.assert_status(201);
    r
}

async fn track(app: &TestApp, code: &str, key: Option<&str>) -> Resp {
    let mut rb = app.raw(reqwest::Method::GET, &format!("/api/v1/complaints/track/{code}"), None).await;
    if let Some(k) = key {
        rb = rb.header("X-Access-Key", k);
    }
    app.send(rb).await
}

/// The id of a complaint, found by its tracking code in the regulator's list.
async fn id_of(app: &TestApp, reg: &Session, code: &str) -> String {
    let r = app.get(&format!("/api/v1/complaints?tracking_code={code}"), Some(&reg.token)).await;
    r.assert_status(200);
    assert_eq!(r.body["total"], 1, "{}", r.text);
    r.body["items"][0]["id"].as_str().expect("id").to_string()
}

async fn act(app: &TestApp, who: &Session, id: &str, action: &str, body: Value) -> Resp {
    app.post(&format!("/api/v1/complaints/{id}/{action}"), Some(&who.token), body).await
}

/// Sets the service clock to 10:00 China time on `day` (forward only).
fn set_china_day(app: &TestApp, day: NaiveDate) {
    let target = Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).expect("time"));
    let delta = target - app.state.clock.now();
    assert!(delta > Duration::zero(), "the clock only moves forward in these tests");
    app.state.clock.advance(delta);
    assert_eq!(app.state.clock.today(), day);
}

/// A Friday at least a week after the service's today.
fn a_coming_friday(app: &TestApp) -> NaiveDate {
    let mut d = app.state.clock.today() + Duration::days(7);
    while d.weekday() != Weekday::Fri {
        d += Duration::days(1);
    }
    d
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// An enterprise in `division` with one published declaration; returns both.
async fn org_with_declaration(app: &TestApp, division: &str) -> (TestOrg, String) {
    let org = app.enterprise(division).await;
    let id = published(app, &org, "Q/CQSC 001-2025").await;
    (org, id)
}
#[tokio::test]
async fn anonymous_and_named_intake_with_tracking_and_identical_404s() {
    let app = TestApp::spawn().await;
    let (_, decl) = org_with_declaration(&app, "500103").await;

    let r = file(&app, complaint_on(&decl)).await;
    let code = r.body["tracking_code"].as_str().expect("code").to_string();
    let key = r.body["access_key"].as_str().expect("key").to_string();
    assert_eq!(r.body["status"], "received");
    assert!(r.body["acceptance_due"].as_str().is_some_and(|d| d > day(app.state.clock.today()).as_str()));
    assert_eq!(code.len(), 14, "{code}");
    assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
    assert!(key.len() >= 32);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    // the key is stored hashed only
    assert_eq!(app.count(&format!("SELECT count(*) FROM complaints WHERE access_key_hash = '{key}'")), 0);
    assert_eq!(app.count("SELECT count(*) FROM complaint_complainants"), 0, "anonymous: no complainant row");

    let t = track(&app, &code, Some(&key)).await;
    t.assert_status(200);
    assert_eq!(t.body["status"], "received");
    assert_eq!(t.body["updates"].as_array().map(Vec::len), Some(1));
    assert_eq!(t.body["updates"][0]["status"], "received");
    assert!(t.body.get("description").is_none() && t.body.get("division_code").is_none(), "{}", t.text);
    // people type codes in lower case and without dashes
    track(&app, &code.to_lowercase().replace('-', ""), Some(&key)).await.assert_status(200);

    let wrong_key = track(&app, &code, Some("not-the-key-at-all-0123456789abcdef")).await;
    let unknown_code = track(&app, "ABCD-EFGH-JKMN", Some(&key)).await;
    let no_key = track(&app, &code, None).await;
    let garbage = track(&app, "no-such-thing", Some(&key)).await;
    for r in [&wrong_key, &unknown_code, &no_key, &garbage] {
        r.assert_status(404);
        assert_eq!(r.body, wrong_key.body, "every failure looks the same");
    }
    assert_eq!(wrong_key.error_code(), "not_found");

    let r = file(&app, named(complaint_on(&decl))).await;
    assert_ne!(r.body["tracking_code"].as_str(), Some(code.as_str()));
    assert_eq!(r.body["status"], "received");
    let t = track(&app, r.body["tracking_code"].as_str().expect("code"), r.body["access_key"].as_str()).await;
    t.assert_status(200);
    assert_eq!(app.count("SELECT count(*) FROM complaints"), 2);
    assert_eq!(app.count("SELECT count(*) FROM complaint_complainants"), 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'complaint.received'"), 2);
}

#[tokio::test]
async fn routing_follows_the_target_organizations_jurisdiction() {
    let app = TestApp::spawn().await;
    let (org, decl) = org_with_declaration(&app, "500103").await;
    let here = app.regulator("500103").await;
    let elsewhere = app.regulator("500104").await;
    let city = app.regulator("500000").await;
    let admin = app.sysadmin().await;

    let code = file(&app, complaint_on(&decl)).await.body["tracking_code"].as_str().expect("code").to_string();
    let id = id_of(&app, &here, &code).await;
    let path = format!("/api/v1/complaints/{id}");
    let r = app.get(&path, Some(&here.token)).await;
    r.assert_status(200);
    assert_eq!(r.body["division_code"], "500103");
    assert_eq!(r.body["declaration_id"], decl);
    assert_eq!(r.body["organization"]["uscc"], org.uscc);
    app.get(&path, Some(&city.token)).await.assert_status(200);
    assert_eq!(app.get("/api/v1/complaints", Some(&city.token)).await.body["total"], 1);

    // another district sees nothing, and cannot act
    let r = app.get(&path, Some(&elsewhere.token)).await;
    r.assert_status(404);
    assert_eq!(app.get("/api/v1/complaints", Some(&elsewhere.token)).await.body["total"], 0);
    act(&app, &elsewhere, &id, "accept", json!({})).await.assert_status(404);
    // the organization complained about, and sysadmins, do not read routed complaints
    app.get(&path, Some(&org.admin.token)).await.assert_status(403);
    app.get("/api/v1/complaints", Some(&org.admin.token)).await.assert_status(403);
    app.get(&path, Some(&admin.token)).await.assert_status(404);
    app.get(&path, None).await.assert_status(401);

    // an organization by USCC plus standard number resolves to its declaration
    let body = json!({"target": {"uscc": org.uscc.to_lowercase(), "standard_number": "q/cqsc 001—2025"},
                      "category": "not_executed", "description": "实际生产未按声明的企业标准执行。"});
    let code = file(&app, body).await.body["tracking_code"].as_str().expect("code").to_string();
    let r = app.get(&format!("/api/v1/complaints/{}", id_of(&app, &here, &code).await), Some(&here.token)).await;
    assert_eq!(r.body["declaration_id"], decl);
    assert_eq!(r.body["target"]["uscc"], org.uscc);

    // by exact name, without a number: the organization only
    let name = app.get(&format!("/api/v1/organizations/{}", org.uscc), None).await.body["name"].clone();
    let body = json!({"target": {"organization_name": name}, "category": "info_missing",
                      "description": "该企业部分产品未公开执行标准。"});
    let code = file(&app, body).await.body["tracking_code"].as_str().expect("code").to_string();
    let r = app.get(&format!("/api/v1/complaints/{}", id_of(&app, &here, &code).await), Some(&here.token)).await;
    assert_eq!(r.body["organization"]["uscc"], org.uscc);
    assert_eq!(r.body["declaration_id"], Value::Null);

    // an unregistered organization goes to the division given
    let body = json!({"target": {"organization_name": "重庆某未登记电池厂", "standard_number": "GB/T 36972-2018",
                                 "division_code": "500104"},
                      "category": "not_executed", "description": "该厂产品未标注执行标准编号。"});
    let code = file(&app, body).await.body["tracking_code"].as_str().expect("code").to_string();
    let id = id_of(&app, &elsewhere, &code).await;
    app.get(&format!("/api/v1/complaints/{id}"), Some(&here.token)).await.assert_status(404);

    // ... or, with no division, to the sysadmins' queue until a sysadmin routes it
    let body = json!({"target": {"organization_name": "无法确定地址的商家"}, "category": "other",
                      "description": "网店销售的充电宝没有任何标准信息。"});
    let code = file(&app, body).await.body["tracking_code"].as_str().expect("code").to_string();
    let queue = app.get("/api/v1/complaints", Some(&admin.token)).await;
    queue.assert_status(200);
    assert_eq!(queue.body["total"], 1);
    let id = queue.body["items"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(queue.body["items"][0]["tracking_code"], code);
    assert_eq!(app.get(&format!("/api/v1/complaints?tracking_code={code}"), Some(&city.token)).await.body["total"], 0);
    let r = act(&app, &admin, &id, "route", json!({"division_code": "500199"})).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["division_code"]);
    let r = act(&app, &admin, &id, "route", json!({"division_code": "500103"})).await;
    r.assert_status(200);
    assert_eq!(r.body["division_code"], "500103");
    assert_eq!(app.get(&format!("/api/v1/complaints/{id}"), Some(&here.token)).await.body["status"], "received");
    app.get(&format!("/api/v1/complaints/{id}"), Some(&admin.token)).await.assert_status(404);
    act(&app, &here, &id, "route", json!({"division_code": "500104"})).await.assert_status(403);
}

/// Everything a table holds, as JSON text (bytea as hex).
fn dump(app: &TestApp, table: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    diesel::sql_query(format!("SELECT coalesce(string_agg(row_to_json(t)::text, ' '), '') AS s FROM {table} t"))
        .get_result::<S>(&mut app.db())
        .expect("dump")
        .s
}

fn assert_no_contact(text: &str, what: &str) {
    for secret in [PHONE, EMAIL, NAME] {
        assert!(!text.contains(secret), "{what} contains {secret}: {text}");
        assert!(!text.contains(&hex::encode(secret)), "{what} contains {secret} as hex");
    }
}

#[tokio::test]
async fn the_complainant_is_sealed_at_rest_and_revealed_only_to_the_assignee() {
    let app = TestApp::spawn().await;
    let (org, decl) = org_with_declaration(&app, "500103").await;
    let boss = app.regulator("500103").await;
    let handler = app.regulator("500103").await;
    let other = app.regulator("500104").await;
    let admin = app.sysadmin().await;

    let mut seen = Vec::new();
    let r = file(&app, named(complaint_on(&decl))).await;
    seen.push(r.text.clone());
    let (code, key) = (r.body["tracking_code"].as_str().expect("c").to_string(), r.body["access_key"].to_string());
    let key = key.trim_matches('"').to_string();

    // raw rows: no plaintext anywhere, the newest key id, a 96-bit nonce per value
    assert!(dump(&app, "complaints").contains(&code), "the dump shows the rows");
    assert!(dump(&app, "complaint_complainants").contains("name_nonce"), "the dump shows the rows");
    for table in ["complaints", "complaint_complainants", "complaint_updates", "audit_events"] {
        assert_no_contact(&dump(&app, table), table);
    }
    let current = app.state.settings.complaint_keys.current().0.to_string();
    assert_eq!(app.count(&format!("SELECT count(*) FROM complaint_complainants WHERE key_id = '{current}'")), 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM complaint_complainants WHERE length(name_nonce) = 12 AND length(phone_nonce) = 12 \
             AND length(email_nonce) = 12 AND name_nonce <> phone_nonce AND phone_nonce <> email_nonce"
        ),
        1
    );

    let id = id_of(&app, &boss, &code).await;
    let path = format!("/api/v1/complaints/{id}");
    let v = app.get(&path, Some(&boss.token)).await;
    assert_eq!(v.body["named"], true);
    seen.push(v.text.clone());
    seen.push(app.get("/api/v1/complaints", Some(&boss.token)).await.text);
    seen.push(track(&app, &code, Some(&key)).await.text);

    // nobody reveals before assignment, then only the assignee
    act(&app, &boss, &id, "reveal-complainant", json!({})).await.assert_status(403);
    seen.push(act(&app, &boss, &id, "accept", json!({})).await.text);
    let r = act(&app, &boss, &id, "assign", json!({"assignee_id": handler.user_id})).await;
    r.assert_status(200);
    seen.push(r.text);
    let r = act(&app, &boss, &id, "reveal-complainant", json!({})).await;
    r.assert_status(403);
    seen.push(r.text);
    let r = act(&app, &other, &id, "reveal-complainant", json!({})).await;
    r.assert_status(404);
    seen.push(r.text);
    seen.push(act(&app, &admin, &id, "reveal-complainant", json!({})).await.text);
    seen.push(act(&app, &org.admin, &id, "reveal-complainant", json!({})).await.text);
    seen.push(app.get(&format!("/api/v1/declarations/{decl}"), Some(&org.admin.token)).await.text);
    for text in &seen {
        assert_no_contact(text, "a response");
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'complaint.complainant_revealed'"), 0);

    for n in 1..=2 {
        let r = act(&app, &handler, &id, "reveal-complainant", json!({})).await;
        r.assert_status(200);
        assert_eq!(r.body, json!({"anonymous": false, "name": NAME, "phone": PHONE, "email": EMAIL}));
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        let sql = format!(
            "SELECT count(*) FROM audit_events WHERE action = 'complaint.complainant_revealed' \
             AND entity_id = '{id}' AND actor_id = '{}'",
            handler.user_id
        );
        assert_eq!(app.count(&sql), n, "each reveal is audited");
    }
    assert_no_contact(&dump(&app, "audit_events"), "the audit log after reveals");

    // an anonymous complaint reveals that it is anonymous
    let code = file(&app, complaint_on(&decl)).await.body["tracking_code"].as_str().expect("c").to_string();
    let id = id_of(&app, &boss, &code).await;
    act(&app, &boss, &id, "accept", json!({})).await.assert_status(200);
    act(&app, &boss, &id, "assign", json!({"assignee_id": handler.user_id})).await.assert_status(200);
    let r = act(&app, &handler, &id, "reveal-complainant", json!({})).await;
    assert_eq!(r.body["anonymous"], true);
    assert_eq!(r.body["phone"], Value::Null);
}

#[tokio::test]
async fn rotated_keys_still_open_old_complainants_and_new_ones_use_the_newest_key() {
    const OLD: &str = "old:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const NEW: &str = "new:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let app = TestApp::spawn_with(|v| v.push(("STDREG_COMPLAINT_KEYS".into(), format!("{OLD},{NEW}")))).await;
    let (_, decl) = org_with_declaration(&app, "500103").await;
    let reg = app.regulator("500103").await;
    let code = file(&app, named(complaint_on(&decl))).await.body["tracking_code"].as_str().expect("c").to_string();
    assert_eq!(app.count("SELECT count(*) FROM complaint_complainants WHERE key_id = 'new'"), 1);
    let id = id_of(&app, &reg, &code).await;

    // the same complainant as written before the rotation, under the old key
    let old = stdreg::config::ComplaintKeys::parse(OLD).expect("old key");
    let seal = |field: &str, value: &str| {
        let (kid, s) = stdreg::crypto::seal(&old, &format!("complaint:{id}:{field}"), value);
        assert_eq!(kid, "old");
        (hex::encode(s.ciphertext), hex::encode(s.nonce))
    };
    let (n, nn) = seal("name", "旧密钥投诉人");
    let (p, pn) = seal("phone", "023-68881234");
    {
        use diesel::connection::SimpleConnection;
        app.db()
            .batch_execute(&format!(
                "UPDATE complaint_complainants SET key_id = 'old', name = '\\x{n}', name_nonce = '\\x{nn}', \
                 phone = '\\x{p}', phone_nonce = '\\x{pn}', email = NULL, email_nonce = NULL WHERE complaint_id = '{id}'"
            ))
            .expect("rewrite under the old key");
    }
    act(&app, &reg, &id, "accept", json!({})).await.assert_status(200);
    act(&app, &reg, &id, "assign", json!({"assignee_id": reg.user_id})).await.assert_status(200);
    let r = act(&app, &reg, &id, "reveal-complainant", json!({})).await;
    r.assert_status(200);
    assert_eq!(r.body, json!({"anonymous": false, "name": "旧密钥投诉人", "phone": "023-68881234", "email": null}));
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (_, decl) = org_with_declaration(&app, "500103").await;
    let base = complaint_on(&decl);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"target": {"declaration_id": decl}, "category": "other", "description": "太短了"}), "description"),
        (
            json!({"target": {"declaration_id": decl}, "category": "fraud", "description": "一二三四五六七八九十"}),
            "category",
        ),
        (json!({"target": {}, "category": "other", "description": "一二三四五六七八九十"}), "target"),
        (
            json!({"target": {"uscc": "91350203M0001QAY9B"}, "category": "other", "description": "一二三四五六七八九十"}),
            "target.uscc",
        ),
        (
            json!({"target": {"declaration_id": uuid::Uuid::new_v4()}, "category": "other", "description": "一二三四五六七八九十"}),
            "target.declaration_id",
        ),
        (
            json!({"target": {"organization_name": "某厂", "division_code": "999999"}, "category": "other", "description": "一二三四五六七八九十"}),
            "target.division_code",
        ),
        (
            named(json!({"target": {"declaration_id": decl}, "category": "other", "description": "x".repeat(5001)})),
            "description",
        ),
        (
            {
                let mut b = base.clone();
                b["complainant"] = json!({"name": "张三", "email": "not-an-email"});
                b
            },
            "complainant.email",
        ),
        (
            {
                let mut b = base.clone();
                b["complainant"] = json!({"name": "张三", "phone": "call me"});
                b
            },
            "complainant.phone",
        ),
        (
            {
                let mut b = base.clone();
                b["complainant"] = json!({"phone": PHONE});
                b
            },
            "complainant.name",
        ),
        (
            {
                let mut b = base.clone();
                b["extra"] = json!(1);
                b
            },
            "extra",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/complaints", None, body).await;
        r.assert_status(422);
        assert_eq!(r.error_code(), "validation_failed");
        assert!(r.error_fields().contains(&field.to_string()), "{field}: {}", r.text);
        assert!(!r.body["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    let r = app.send(app.client.post(format!("{}/api/v1/complaints", app.address)).body("{\"target\":")).await;
    assert!(r.status == 400 || r.status == 415, "{}", r.text);
    for sql in [
        "SELECT count(*) FROM complaints",
        "SELECT count(*) FROM complaint_complainants",
        "SELECT count(*) FROM complaint_updates",
        "SELECT count(*) FROM complaint_throttle",
        "SELECT count(*) FROM audit_events WHERE entity_type = 'complaint'",
    ] {
        assert_eq!(app.count(sql), 0, "{sql}");
    }
}
