//! Indicators that can be compared (issue 23, SPEC §3.8), with the real limits of the shipped
//! starter table: GB 18401-2010 (textiles: formaldehyde 20 / 75 / 300 mg/kg for classes A / B / C,
//! pH 4.0-7.5 / 4.0-8.5 / 4.0-9.0) and GB 18580-2017 (wood-based panels: formaldehyde emission
//! 0.124 mg/m³). Refusals below mandatory limits, "stricter" results and their words, unit
//! conversion, unmatched indicators, recommended standards and the statement, the search filter,
//! regulators' lists and campaign scopes, and loads with their background recomputation.

use serde_json::{Value, json};

use crate::declarations::{create, publish};
use crate::helpers::{TestApp, TestOrg, db_url, env};

/// A textile product declaration (enterprise standard) to which GB 18401-2010 applies.
fn textile(indicators: Value, class: Option<&str>) -> Value {
    json!({
        "kind": "product",
        "standard": {"number": "Q/CQFZ 001-2025", "title": "针织T恤"},
        "products": [{"name": "针织T恤", "model": "T-100", "product_class": class}],
        "industry_code": "C1811",
        "applicable_mandatory": ["GB 18401-2010"],
        "indicators": indicators,
    })
}

fn formaldehyde(value: Value, unit: &str) -> Value {
    json!([{"name": "甲醛含量", "value": value, "unit": unit, "comparator": "<=", "test_method": "GB/T 2912.1", "safety_health_env": true}])
}

/// A wood-based panel declaration executing GB 18580-2017 itself.
fn panel(value: f64, unit: &str) -> Value {
    json!({
        "kind": "product",
        "standard": {"number": "GB 18580-2017", "title": "室内装饰装修材料 人造板及其制品中甲醛释放限量"},
        "products": [{"name": "刨花板", "model": "E1-18mm"}],
        "industry_code": "C2022",
        "indicators": [{"name": "甲醛释放量", "value": value, "unit": unit, "comparator": "<="}],
    })
}

async fn try_publish(app: &TestApp, org: &TestOrg, id: &str) -> crate::helpers::Resp {
    app.post(&format!("/api/v1/declarations/{id}/publish"), Some(&org.admin.token), json!({"commitment": true})).await
}

async fn published(app: &TestApp, org: &TestOrg, body: Value) -> String {
    let d = create(app, org, body).await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(app, org, &id).await;
    id
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// Runs `stdreg catalog <what> FILE [extra]` against the test's database: (success, output).
fn catalog_cli(app: &TestApp, what: &str, file: Option<(&str, &str)>, extra: &[&str]) -> (bool, String) {
    let e = env();
    let dir = e.tmp.join(format!("cmp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"));
    cmd.args(["catalog", what]);
    if let Some((name, text)) = file {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write the file");
        cmd.arg(p);
    }
    let out = cmd
        .args(extra)
        .env("STDREG_DATABASE_URL", db_url(&app.db_name))
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys)
        .env("STDREG_LOG_LEVEL", "error")
        .output()
        .expect("run stdreg catalog");
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Finishes the queued recomputations the way the workers do.
async fn recompute(app: &TestApp) -> usize {
    let mut n = 0;
    loop {
        let done = stdreg::worker::run_recompute(&app.state).await.expect("recompute");
        n += done;
        if app.count("SELECT count(*) FROM comparison_runs WHERE finished_at IS NULL") == 0 {
            return n;
        }
    }
}

#[tokio::test]
async fn formaldehyde_80_in_class_b_is_refused_naming_the_75_limit_and_nothing_is_published() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d = create(&app, &org, textile(formaldehyde(json!(80), "mg/kg"), Some("B"))).await;
    let warned: Vec<&Value> =
        d["warnings"].as_array().expect("warnings").iter().filter(|w| w["code"] == "below_mandatory").collect();
    assert_eq!(warned.len(), 1, "the draft says early what publishing will refuse: {}", d["warnings"]);
    assert_eq!(warned[0]["field"], "indicators[0].value");
    let id = id_of(&d);
    let r = try_publish(&app, &org, &id).await;
    r.assert_status(422);
    assert_eq!(r.error_code(), "below_mandatory");
    let details = r.body["error"]["details"].as_array().expect("details");
    assert_eq!(details.len(), 1, "one detail per indicator: {details:?}");
    let x = &details[0];
    assert_eq!(x["field"], "indicators[0].value");
    assert_eq!(x["standard"], "GB 18401-2010");
    assert_eq!(x["clause"], "表1");
    assert_eq!(x["product_class"], "B类(直接接触皮肤的产品)");
    assert_eq!(x["comparator"], "<=");
    assert_eq!(x["max"], 75.0);
    assert_eq!(x["unit"], "mg/kg");
    assert_eq!(x["limit"], "≤ 75 mg/kg");
    assert_eq!(x["declared"]["value"], 80);
    assert_eq!(x["declared"]["unit"], "mg/kg");
    let message = x["message"].as_str().expect("message");
    assert!(message.contains("80 mg/kg") && message.contains("GB 18401-2010") && message.contains("75"), "{message}");
    // nothing was published
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE status <> 'draft'"), 0);
    assert_eq!(app.count("SELECT count(*) FROM declaration_versions WHERE published_at IS NOT NULL"), 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'declaration.published'"), 0);
    assert_eq!(app.count("SELECT count(*) FROM declaration_indicators"), 0);
    app.get(&format!("/api/v1/declarations/{id}"), None).await.assert_status(404);
}

#[tokio::test]
async fn formaldehyde_20_publishes_stricter_and_is_found_by_the_filter_and_facet() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let inds = json!([
        {"name": "甲醛含量", "value": 20, "unit": "mg/kg", "comparator": "<="},
        {"name": "pH值", "value": "5.0~7.5", "comparator": "range"}
    ]);
    let id = published(&app, &org, textile(inds, Some("B类"))).await;
    let plain = published(&app, &org, crate::declarations::q_declaration("Q/CQFZ 009-2025")).await;
    let r = app.get(&format!("/api/v1/declarations/{id}"), None).await;
    r.assert_status(200);
    let f = &r.body["indicators"][0];
    assert_eq!(f["code"], "formaldehyde_content", "matched from the name");
    assert_eq!(
        f["comparisons"],
        json!([{
            "standard": "GB 18401-2010", "clause": "表1", "nature": "mandatory",
            "product_class": "B类(直接接触皮肤的产品)", "comparator": "<=", "max": 75.0, "unit": "mg/kg",
            "result": "stricter", "words": "严于 GB 18401-2010 B类限值 75 mg/kg"
        }])
    );
    assert_eq!(r.body["indicators"][1]["comparisons"][0]["result"], "stricter");
    assert_eq!(r.body["indicators"][1]["comparisons"][0]["min"], 4.0);
    assert_eq!(r.body["stricter_than_national"], true);
    assert_eq!(
        app.count("SELECT count(*) FROM declaration_indicators WHERE code = 'formaldehyde_content' AND value_max = 20"),
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE stricter_than_national"), 1);

    let page = app.get(&format!("/declarations/{id}"), None).await;
    page.assert_status(200);
    assert!(page.text.contains("严于 GB 18401-2010 B类限值 75 mg/kg"), "the page says the result in words");
    assert!(page.text.contains("指标严于国家标准"), "the badge");
    let other = app.get(&format!("/declarations/{plain}"), None).await;
    assert!(!other.text.contains("指标严于国家标准"));

    app.drain_outbox().await;
    let s = app.search("stricter_than_national=true").await;
    assert_eq!(s["total"], 1, "{s}");
    assert_eq!(s["items"][0]["id"], id.as_str());
    assert_eq!(s["items"][0]["stricter_than_national"], true);
    let all = app.search("").await;
    assert_eq!(all["facets"]["stricter_than_national"]["true"], 1, "{}", all["facets"]);
    assert_eq!(all["facets"]["stricter_than_national"]["false"], 1);
    let s = app.search("stricter_than_national=false").await;
    assert_eq!(s["items"][0]["id"], plain.as_str());
    let bad = app.get("/api/v1/search?stricter_than_national=yes", None).await;
    bad.assert_status(400);
    let listed = app.get("/search?stricter_than_national=true", None).await;
    listed.assert_status(200);
    assert!(listed.text.contains(&id) && !listed.text.contains(&plain), "the search page filters too");
}

#[tokio::test]
async fn ph_9_for_class_b_is_refused_with_the_4_0_to_8_5_range() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d = create(&app, &org, textile(json!([{"name": "pH值", "value": 9.0}]), Some("B"))).await;
    let r = try_publish(&app, &org, &id_of(&d)).await;
    r.assert_status(422);
    assert_eq!(r.error_code(), "below_mandatory");
    let x = &r.body["error"]["details"][0];
    assert_eq!(x["field"], "indicators[0].value");
    assert_eq!((x["comparator"].as_str(), x["min"].as_f64(), x["max"].as_f64()), (Some("range"), Some(4.0), Some(8.5)));
    assert_eq!(x["limit"], "4.0～8.5");
    assert_eq!(x["declared"]["value"], 9.0);
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE status = 'public'"), 0);
}

#[tokio::test]
async fn ppm_and_mg_per_kg_convert() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let d = create(&app, &org, textile(formaldehyde(json!(80), "ppm"), Some("B"))).await;
    let r = try_publish(&app, &org, &id_of(&d)).await;
    r.assert_status(422);
    assert_eq!(r.body["error"]["details"][0]["declared"]["unit"], "ppm");
    assert_eq!(r.body["error"]["details"][0]["unit"], "mg/kg");
    let other = app.enterprise("500103").await;
    let id = published(&app, &other, textile(formaldehyde(json!(75), "ppm"), Some("B"))).await;
    let v = app.get(&format!("/api/v1/declarations/{id}"), None).await;
    assert_eq!(v.body["indicators"][0]["comparisons"][0]["result"], "equal", "75 ppm is the 75 mg/kg limit");
    let third = app.enterprise("500103").await;
    let id = published(&app, &third, textile(formaldehyde(json!("0.005"), "%"), Some("B"))).await;
    let v = app.get(&format!("/api/v1/declarations/{id}"), None).await;
    assert_eq!(v.body["indicators"][0]["comparisons"][0]["result"], "stricter", "0.005 % is 50 mg/kg");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM declaration_indicators WHERE declaration_id = '{id}' AND value_max = 50"
        )),
        1,
        "kept in mg/kg"
    );
}

#[tokio::test]
async fn an_unmatched_indicator_is_not_compared_and_does_not_block() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let inds = json!([
        {"name": "手感柔软度", "value": "优", "unit": "级"},
        {"name": "甲醛含量", "value": 20, "unit": "mg/kg"}
    ]);
    let id = published(&app, &org, textile(inds, Some("B"))).await;
    let v = app.get(&format!("/api/v1/declarations/{id}"), None).await;
    let free = &v.body["indicators"][0];
    assert!(free.get("code").is_none(), "free text: {free}");
    assert_eq!(free["comparisons"], json!([]));
    assert_eq!(v.body["indicators"][1]["comparisons"][0]["result"], "stricter");
    assert_eq!(app.count(&format!("SELECT count(*) FROM declaration_indicators WHERE declaration_id = '{id}'")), 1);
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE comparison_gaps"), 0, "nothing to compare is no gap");
}

#[tokio::test]
async fn units_and_product_classes_the_check_needs_are_asked_for() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let r = app
        .post("/api/v1/declarations", Some(&org.admin.token), textile(formaldehyde(json!(20), "毫克每公斤"), Some("B")))
        .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["indicators[0].unit"]);
    assert!(r.text.contains("mg/kg"), "names units it reads: {}", r.text);
    let r = app
        .post(
            "/api/v1/declarations",
            Some(&org.admin.token),
            textile(json!([{"name": "甲醛含量", "value": 20}]), Some("B")),
        )
        .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["indicators[0].unit"], "a matched indicator with a unit needs one");
    let r = app
        .post(
            "/api/v1/declarations",
            Some(&org.admin.token),
            textile(json!([{"name": "甲醛含量", "value": 20, "unit": "mg/kg", "code": "no_such_code"}]), Some("B")),
        )
        .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["indicators[0].code"]);
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 0);

    let d = create(&app, &org, textile(formaldehyde(json!(20), "mg/kg"), None)).await;
    assert!(
        d["warnings"]
            .as_array()
            .expect("w")
            .iter()
            .any(|w| w["code"] == "product_class_missing" && w["field"] == "products[0].product_class")
    );
    let r = try_publish(&app, &org, &id_of(&d)).await;
    r.assert_status(422);
    assert_eq!(r.error_code(), "validation_failed");
    assert_eq!(r.error_fields(), vec!["products[0].product_class"]);
    assert!(
        r.text.contains("A类(婴幼儿用品)") && r.text.contains("B类(直接接触皮肤的产品)"),
        "lists the classes: {}",
        r.text
    );
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE status = 'public'"), 0);
    let classes = app.get("/api/v1/reference/requirements/gb%2018401%E2%80%942010", None).await;
    classes.assert_status(200);
    assert_eq!(classes.body["nature"], "mandatory");
    assert_eq!(classes.body["classes"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_wood_panel_at_0_124_publishes_and_is_listed_at_the_limit_and_0_15_is_refused() {
    let app = TestApp::spawn().await;
    let at_limit_org = app.enterprise("500103").await;
    let at_limit = published(&app, &at_limit_org, panel(0.124, "mg/m³")).await;
    let v = app.get(&format!("/api/v1/declarations/{at_limit}"), None).await;
    assert_eq!(v.body["indicators"][0]["comparisons"][0]["result"], "equal");
    assert_eq!(v.body["indicators"][0]["comparisons"][0]["words"], "达到 GB 18580-2017 限值 0.124 mg/m³");
    assert_eq!(v.body["stricter_than_national"], false);

    let over_org = app.enterprise("500103").await;
    let d = create(&app, &over_org, panel(0.15, "mg/m3")).await;
    let r = try_publish(&app, &over_org, &id_of(&d)).await;
    r.assert_status(422);
    assert_eq!(r.error_code(), "below_mandatory");
    assert_eq!(r.body["error"]["details"][0]["max"], 0.124);

    // a unit of another quantity cannot be compared: listed too, in another district
    let gap_org = app.enterprise("500104").await;
    let gap = published(&app, &gap_org, panel(0.1, "mg/kg")).await;
    let g = app.get(&format!("/api/v1/declarations/{gap}"), None).await;
    assert_eq!(g.body["indicators"][0]["not_compared"][0]["reason"], "unit");
    let fine_org = app.enterprise("500103").await;
    let fine = published(&app, &fine_org, panel(0.05, "mg/m³")).await;

    let reg = app.regulator("500000").await;
    let r = app.get("/api/v1/comparisons/review", Some(&reg.token)).await;
    r.assert_status(200);
    assert_eq!(
        r.body["by_division"],
        json!([{"division_code": "500103", "at_limit": 1, "not_compared": 0}, {"division_code": "500104", "at_limit": 0, "not_compared": 1}])
    );
    let ids: Vec<&str> = r.body["items"].as_array().expect("items").iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&at_limit.as_str()) && ids.contains(&gap.as_str()) && !ids.contains(&fine.as_str()));
    let r = app.get("/api/v1/comparisons/review?reason=at_limit", Some(&reg.token)).await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["id"], at_limit.as_str());
    let district = app.regulator("500104").await;
    let r = app.get("/api/v1/comparisons/review", Some(&district.token)).await;
    assert_eq!(r.body["total"], 1, "a district regulator sees only their district");
    app.get("/api/v1/comparisons/review?division=500103", Some(&district.token)).await.assert_status(403);
    app.get("/api/v1/comparisons/review", Some(&at_limit_org.admin.token)).await.assert_status(403);
    app.get("/api/v1/comparisons/review?reason=maybe", Some(&reg.token)).await.assert_status(400);

    // a campaign scoped to them draws only them
    let body = json!({
        "name": "人造板甲醛释放量专项",
        "scope": {"division": "50", "indicator_review": true},
        "sample_size": 10,
        "inspector_ids": [reg.user_id],
        "due_date": "2099-12-31",
    });
    let c = app.post("/api/v1/campaigns", Some(&reg.token), body).await;
    c.assert_status(201);
    assert_eq!(c.body["scope"]["indicator_review"], true);
    let draw = app.post(&format!("/api/v1/campaigns/{}/draw", c.id()), Some(&reg.token), json!({})).await;
    draw.assert_status(200);
    let mut drawn: Vec<&str> =
        draw.body["inspections"].as_array().expect("i").iter().filter_map(|i| i["declaration_id"].as_str()).collect();
    drawn.sort();
    let mut want = vec![at_limit.as_str(), gap.as_str()];
    want.sort();
    assert_eq!(drawn, want);
    let page = app.get(&format!("/declarations/{at_limit}"), None).await;
    assert!(page.text.contains("达到 GB 18580-2017 限值 0.124 mg/m³"));
}

const BATTERY_REQUIREMENTS: &str = "standard_no,clause,indicator_zh,indicator_code,applies_to,comparator,min,max,unit,value_text,note\n\
    GB/T 36972-2018,5.2,质量能量密度,specific_energy,,>=,120,,Wh/kg,,test\n";

fn battery(value: f64, statement: Option<&str>) -> Value {
    json!({
        "kind": "product",
        "standard": {"number": "Q/CQDC 001-2025", "title": "电动自行车用锂离子蓄电池"},
        "products": [{"name": "电动自行车锂电池", "model": "LB-48V20Ah"}],
        "industry_code": "C3841",
        "cited_standards": ["GB/T 36972-2018"],
        "indicators": [{"name": "质量能量密度", "value": value, "unit": "Wh/kg", "comparator": ">="}],
        "below_recommended": statement,
    })
}

#[tokio::test]
async fn a_recommended_standard_is_compared_and_lower_needs_the_statement() {
    let app = TestApp::spawn().await;
    let (ok, out) = catalog_cli(&app, "requirements", Some(("battery.csv", BATTERY_REQUIREMENTS)), &[]);
    assert!(ok, "{out}");
    assert!(out.contains("added: 1") && out.contains("GB/T 36972-2018 specific_energy"), "{out}");
    let org = app.enterprise("500103").await;
    let d = create(&app, &org, battery(110.0, None)).await;
    assert!(d["warnings"].as_array().expect("w").iter().any(|w| w["code"] == "below_recommended_unstated"));
    let r = try_publish(&app, &org, &id_of(&d)).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["below_recommended"]);
    assert!(r.text.contains("低于 GB/T 36972-2018 下限 120 Wh/kg"), "{}", r.text);
    let statement = "本产品为轻量化设计，质量能量密度低于 GB/T 36972-2018 的要求，已在说明书中标明。";
    let r = app
        .patch(
            &format!("/api/v1/declarations/{}", id_of(&d)),
            Some(&org.admin.token),
            json!({"below_recommended": statement}),
        )
        .await;
    r.assert_status(200);
    publish(&app, &org, &id_of(&d)).await;
    let v = app.get(&format!("/api/v1/declarations/{}", id_of(&d)), None).await;
    let c = &v.body["indicators"][0]["comparisons"][0];
    assert_eq!(
        (c["nature"].as_str(), c["result"].as_str(), c["min"].as_f64()),
        (Some("recommended"), Some("lower"), Some(120.0))
    );
    assert_eq!(v.body["stricter_than_national"], false);
    let page = app.get(&format!("/declarations/{}", id_of(&d)), None).await;
    assert!(
        page.text.contains("低于 GB/T 36972-2018 下限 120 Wh/kg") && page.text.contains(statement),
        "the statement next to the indicator"
    );
    let higher = app.enterprise("500103").await;
    let id = published(&app, &higher, battery(150.0, None)).await;
    let v = app.get(&format!("/api/v1/declarations/{id}"), None).await;
    assert_eq!(v.body["indicators"][0]["comparisons"][0]["result"], "stricter");
    assert_eq!(v.body["stricter_than_national"], true, "GB/T is a national standard too");
}

#[tokio::test]
async fn a_requirements_load_is_whole_and_recomputed_in_the_background() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let id = published(&app, &org, textile(formaldehyde(json!(70), "mg/kg"), Some("B"))).await;
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE stricter_than_national"), 1);
    recompute(&app).await;
    let head = "standard_no,clause,indicator_zh,indicator_code,applies_to,comparator,min,max,unit,value_text,note\n";
    let rows_before = app.count("SELECT count(*) FROM indicator_requirements");
    // one bad row: nothing applied, every refusal named with its line
    let bad = format!(
        "{head}GB 18401-2010,表1,甲醛含量,formaldehyde_content,B类(直接接触皮肤的产品),<=,,70,mg/kg,,\nGB 18401-2010,表1,甲醛含量,formaldehyde_content,C类(非直接接触皮肤的产品),<=,,300,mg/m³,,\nGB 18401-2010,,x,no_such_indicator,,<=,,1,mg/kg,,\n"
    );
    let (ok, out) = catalog_cli(&app, "requirements", Some(("bad.csv", &bad)), &[]);
    assert!(!ok);
    assert!(out.contains("line 3") && out.contains("line 4") && out.contains("refused: nothing applied"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM indicator_requirements"), rows_before);
    assert_eq!(app.count("SELECT count(*) FROM comparison_runs WHERE finished_at IS NULL"), 0);
    // a corrected table for GB 18401-2010 with a stricter class B limit
    let good = format!(
        "{head}GB 18401-2010,表1,甲醛含量,formaldehyde_content,A类(婴幼儿用品),<=,,20,mg/kg,,\nGB 18401-2010,表1,甲醛含量,formaldehyde_content,B类(直接接触皮肤的产品),<=,,70,mg/kg,,\nGB 18401-2010,表1,甲醛含量,formaldehyde_content,C类(非直接接触皮肤的产品),<=,,300,mg/kg,,\n"
    );
    let (ok, out) = catalog_cli(&app, "requirements", Some(("gb18401.csv", &good)), &["--dry-run"]);
    assert!(ok && out.contains("dry run: nothing applied"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM comparison_runs WHERE finished_at IS NULL"), 0);
    let (ok, out) = catalog_cli(&app, "requirements", Some(("gb18401.csv", &good)), &[]);
    assert!(ok, "{out}");
    assert!(out.contains("changed: 1") && out.contains("B类(直接接触皮肤的产品) (max)"), "{out}");
    assert!(
        out.contains("removed: 5") && out.contains("- GB 18401-2010 odour"),
        "the file is the standard's whole table: {out}"
    );
    assert!(out.contains("unchanged: 2"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM indicator_requirements WHERE standard = 'GB 18401-2010'"), 3);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'catalog.loaded' AND entity_id = 'requirements'"),
        1
    );
    // the load returns at once; the declaration is recomputed in the background
    assert_eq!(
        app.count(
            "SELECT count(*) FROM comparison_runs WHERE finished_at IS NULL AND standards = ARRAY['GB 18401-2010']"
        ),
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE stricter_than_national"), 1);
    app.drain_outbox().await;
    assert!(recompute(&app).await >= 1);
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE stricter_than_national"), 0);
    assert_eq!(app.count(&format!("SELECT count(*) FROM declarations WHERE at_mandatory_limit AND id = '{id}'")), 1);
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND entity_id = '{id}'")),
        1,
        "its search document is updated"
    );
    app.drain_outbox().await;
    assert_eq!(app.search("stricter_than_national=true").await["total"], 0);
    let v = app.get(&format!("/api/v1/declarations/{id}"), None).await;
    assert_eq!(v.body["indicators"][0]["comparisons"][0]["result"], "equal");
    let (ok, out) = catalog_cli(&app, "recompute", None, &[]);
    assert!(ok && out.contains("declarations recomputed: 0"), "{out}");
}

#[tokio::test]
async fn the_vocabulary_suggests_loads_whole_and_matching_follows_it() {
    let app = TestApp::spawn().await;
    let r = app.get(&format!("/api/v1/reference/indicators?q={}", crate::helpers::enc("甲醛")), None).await;
    r.assert_status(200);
    let codes: Vec<&str> =
        r.body["items"].as_array().expect("items").iter().filter_map(|i| i["code"].as_str()).collect();
    assert!(codes.contains(&"formaldehyde_content") && codes.contains(&"formaldehyde_emission"), "{codes:?}");
    assert!(r.body["items"][0]["unit"].as_str().is_some(), "{}", r.body);
    app.get("/api/v1/reference/indicators?q=", None).await.assert_status(400);

    let org = app.enterprise("500103").await;
    let body = |name: &str| textile(json!([{"name": name, "value": 20, "unit": "mg/kg"}]), Some("B"));
    let before = published(&app, &org, body("游离甲醛含量（水萃取法）")).await;
    let v = app.get(&format!("/api/v1/declarations/{before}"), None).await;
    assert!(v.body["indicators"][0].get("code").is_none(), "not a known name yet");
    let head = "code,name_zh,synonyms,quantity,unit,direction,note\n";
    let clash = format!("{head}formaldehyde_water,水萃取甲醛,甲醛含量,fraction,mg/kg,lower_better,\n");
    let (ok, out) = catalog_cli(&app, "indicators", Some(("clash.csv", &clash)), &[]);
    assert!(!ok && out.contains("formaldehyde_content"), "a name taken in the same quantity is refused: {out}");
    let file = format!(
        "{head}formaldehyde_content,甲醛含量,游离甲醛|游离和水解的甲醛|游离水解甲醛含量|游离甲醛含量,fraction,mg/kg,lower_better,textiles (GB 18401)\n"
    );
    let (ok, out) = catalog_cli(&app, "indicators", Some(("more.csv", &file)), &[]);
    assert!(ok && out.contains("changed: 1") && out.contains("formaldehyde_content (synonyms)"), "{out}");
    assert_eq!(
        app.count("SELECT count(*) FROM comparison_runs WHERE finished_at IS NULL AND standards IS NULL AND reason = 'canonical indicators loaded'"),
        1
    );
    recompute(&app).await;
    let v = app.get(&format!("/api/v1/declarations/{before}"), None).await;
    assert_eq!(v.body["indicators"][0]["code"], "formaldehyde_content");
    assert_eq!(v.body["indicators"][0]["comparisons"][0]["result"], "stricter");
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM declarations WHERE stricter_than_national AND id = '{before}'")),
        1
    );
}

#[tokio::test]
async fn bulk_publishing_checks_each_item() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut over = textile(formaldehyde(json!(80), "mg/kg"), Some("B"));
    over["standard"]["number"] = json!("Q/CQFZ 002-2025");
    let fine = textile(formaldehyde(json!(20), "mg/kg"), Some("B"));
    let r = app
        .post(
            "/api/v1/declarations:bulk",
            Some(&org.admin.token),
            json!({"declarations": [over, fine], "publish": true}),
        )
        .await;
    r.assert_status(200);
    let results = r.body["results"].as_array().expect("results");
    assert_eq!(results[0]["status"], "error");
    assert_eq!(results[0]["error"]["code"], "below_mandatory");
    assert_eq!(results[0]["error"]["details"][0]["field"], "declarations[0].indicators[0].value");
    assert_eq!(results[0]["error"]["details"][0]["max"], 75.0);
    assert_eq!(results[1]["status"], "created");
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 1);
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE stricter_than_national"), 1);
    assert_eq!(app.count("SELECT count(*) FROM declaration_indicators"), 1);
}

/// Every indicator of the demo generator's product families matches the shipped vocabulary in a
/// unit it converts from.
#[test]
fn the_starter_vocabulary_covers_the_demo_generator() {
    use stdreg::domain::indicators::{Vocabulary, units};
    let v = stdreg::reference::indicators_file::parse_indicators(
        "canonical_indicators.csv",
        stdreg::reference::indicators::SHIPPED_INDICATORS.as_bytes(),
    );
    assert!(v.refused.is_empty(), "{:?}", v.refused);
    let vocabulary = Vocabulary::new(v.rows.into_iter().map(|(_, r)| r.canonical));
    for sector in stdreg::seed::vocab::SECTORS {
        for i in sector.indicators {
            let unit = (!i.unit.is_empty()).then_some(i.unit);
            let c = vocabulary
                .match_name(i.name, unit)
                .unwrap_or_else(|| panic!("{} ({}) matches nothing", i.name, sector.industry));
            if let Some(target) = c.unit() {
                let declared = unit.and_then(units::parse).unwrap_or_else(|| panic!("{} has no readable unit", i.name));
                assert!(units::convert(1.0, declared, target).is_some(), "{}: {} vs {}", i.name, i.unit, target.symbol);
            }
        }
    }
}

#[tokio::test]
async fn the_consoles_ask_for_classes_suggest_indicators_refuse_below_mandatory_and_list_for_regulators() {
    use crate::helpers::PASSWORD;
    use crate::web::console::WebClient;
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut web = WebClient::new(&app);
    web.sign_in(&org.admin.email, PASSWORD, "/console").await;
    let form = web.get("/console/declarations/new").await;
    form.assert_status(200);
    assert!(
        form.text.contains(r#"name="products[0].product_class""#) && form.text.contains(r#"list="product-classes""#)
    );
    assert!(form.text.contains(r#"name="indicators[0].code""#) && form.text.contains("data-indicator-lookup"));
    let typed = [
        ("kind", "product"),
        ("standard.number", "Q/CQFZ 001-2025"),
        ("standard.title", "针织T恤"),
        ("products[0].name", "针织T恤"),
        ("products[0].product_class", "B"),
        ("indicators[0].name", "甲醛含量"),
        ("indicators[0].comparator", "<="),
        ("indicators[0].value", "80"),
        ("indicators[0].unit", "mg/kg"),
        ("applicable_mandatory", "GB 18401-2010"),
    ];
    let r = web.post("/console/declarations/new", &typed, true).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let show = r.header("location").unwrap_or_default();
    let id = show.trim_start_matches("/console/declarations/").split('?').next().unwrap_or_default().to_string();
    let page = web.get(&show).await;
    assert!(page.text.contains("低于 GB 18401-2010 B类限值 75 mg/kg"), "the draft shows the result before publishing");
    let r = web.post(&format!("/console/declarations/{id}/publish"), &[("commitment", "on")], true).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("低于强制性标准 GB 18401-2010") && r.text.contains("≤ 75 mg/kg"), "{}", r.text);
    assert_eq!(app.count("SELECT count(*) FROM declarations WHERE status = 'public'"), 0);
    let stored = app.count(&format!(
        "SELECT count(*) FROM declaration_versions WHERE declaration_id = '{id}' AND products->0->>'product_class' = 'B'"
    ));
    assert_eq!(stored, 1, "the class typed in the form is kept");

    // a wood panel at the limit, for the regulator's view
    let panel_org = app.enterprise("500103").await;
    let at_limit = published(&app, &panel_org, panel(0.124, "mg/m³")).await;
    let reg = app.regulator("500000").await;
    let mut rweb = WebClient::new(&app);
    rweb.sign_in(&reg.email, PASSWORD, "/regulator").await;
    let home = rweb.get("/regulator").await;
    assert!(home.text.contains(r#"id="indicator-review-tile""#), "the dashboard links to the list");
    let list = rweb.get("/regulator/indicators").await;
    list.assert_status(200);
    assert!(list.text.contains("500103") && list.text.contains(&at_limit), "{}", list.text);
    let none = rweb.get("/regulator/indicators?reason=not_compared").await;
    assert!(!none.text.contains(&at_limit));
    rweb.get("/regulator/indicators?reason=nonsense").await.assert_status(400);
}
