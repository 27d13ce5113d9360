//! Statistics: the overview equals counts computed here from the rows the test created, before and
//! after the counters are folded; plan progress moves with publications in a district group.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::declarations::{create, publish, published, q_declaration};
use crate::helpers::{TestApp, TestOrg};

/// What the test knows of one declaration it created.
struct Made {
    kind: &'static str,
    standard_type: &'static str,
    division: &'static str,
    section: Option<&'static str>,
    /// `public`, `withdrawn`, or `draft` (never published)
    status: &'static str,
    month: String,
}

async fn declare(app: &TestApp, org: &TestOrg, body: Value, publish_it: bool) -> String {
    let d = create(app, org, body).await;
    let id = d["id"].as_str().expect("id").to_string();
    if publish_it {
        publish(app, org, &id).await;
    }
    id
}

/// Sets the first publication time of a declaration, as if published then.
fn backdate(app: &TestApp, id: &str, at: &str) {
    use diesel::connection::SimpleConnection;
    app.db()
        .batch_execute(&format!("UPDATE declarations SET first_published_at = '{at}' WHERE id = '{id}'"))
        .expect("backdate");
}

fn counts<'a>(items: impl Iterator<Item = &'a str>) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.to_string()).or_insert(0) += 1;
    }
    m
}

/// `{key: count}` of a JSON object, without zero entries.
fn nonzero(v: &Value) -> BTreeMap<String, i64> {
    v.as_object()
        .expect("object")
        .iter()
        .filter_map(|(k, n)| n.as_i64().filter(|n| *n != 0).map(|n| (k.clone(), n)))
        .collect()
}

fn list(v: &Value, key: &str) -> BTreeMap<String, i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|e| (e[key].as_str().unwrap_or("-").to_string(), e["count"].as_i64().expect("count")))
        .collect()
}

fn check_overview(body: &Value, made: &[Made]) {
    let d = &body["declarations"];
    let published: Vec<&Made> = made.iter().filter(|m| m.status != "draft").collect();
    let in_force: Vec<&Made> = made.iter().filter(|m| m.status == "public").collect();
    assert_eq!(d["in_force"], in_force.len() as i64, "{d}");
    assert_eq!(d["published"], published.len() as i64);
    assert_eq!(nonzero(&d["by_status"]), counts(published.iter().map(|m| m.status)));
    assert_eq!(nonzero(&d["by_kind"]), counts(in_force.iter().map(|m| m.kind)));
    assert_eq!(nonzero(&d["by_standard_type"]), counts(in_force.iter().map(|m| m.standard_type)));
    // every known key is present, zeros included
    assert_eq!(d["by_kind"].as_object().map(|o| o.len()), Some(3));
    assert_eq!(d["by_standard_type"].as_object().map(|o| o.len()), Some(7));
    assert_eq!(d["by_status"].as_object().map(|o| o.len()), Some(3));
    assert_eq!(list(&d["by_month"], "month"), counts(published.iter().map(|m| m.month.as_str())));
    assert_eq!(list(&d["by_industry_section"], "section"), counts(in_force.iter().map(|m| m.section.unwrap_or("-"))));

    // divisions rolled up: a county counts in its prefecture (when it has one) and its province
    let county = counts(in_force.iter().map(|m| m.division));
    assert_eq!(list(&d["by_division"]["county"], "code"), county);
    let province = counts(in_force.iter().map(|m| match &m.division[..2] {
        "50" => "500000",
        "44" => "440000",
        other => panic!("unexpected province {other}"),
    }));
    assert_eq!(list(&d["by_division"]["province"], "code"), province);
    let prefecture = counts(in_force.iter().filter(|m| m.division.starts_with("44")).map(|_| "440300"));
    assert_eq!(list(&d["by_division"]["prefecture"], "code"), prefecture);
    let names: Vec<&str> =
        d["by_division"]["province"].as_array().expect("array").iter().filter_map(|p| p["name"].as_str()).collect();
    let expected_names: Vec<&str> = [("500000", "重庆市"), ("440000", "广东省")]
        .into_iter()
        .filter(|(c, _)| province.contains_key(*c))
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names.len(), expected_names.len());
    assert!(expected_names.iter().all(|n| names.contains(n)), "{names:?}");
}

#[tokio::test]
async fn the_overview_equals_the_counts_of_the_declarations_created() {
    let app = TestApp::spawn().await;
    let empty = app.get("/api/v1/stats/overview", None).await;
    empty.assert_status(200);
    check_overview(&empty.body, &[]);
    assert!(empty.body["as_of"].as_str().is_some());

    let this_month = app.state.clock.today().format("%Y-%m").to_string();
    let m = |kind, standard_type, division, section, status| Made {
        kind,
        standard_type,
        division,
        section,
        status,
        month: this_month.clone(),
    };
    let yuzhong = app.enterprise("500103").await;
    let chengkou = app.enterprise("500229").await;
    let nanshan = app.enterprise("440305").await;
    let assoc = app.social_org("500104", "CQST").await;
    let mut made = Vec::new();

    declare(&app, &yuzhong, q_declaration("Q/CQST 001-2024"), true).await;
    made.push(m("product", "enterprise", "500103", Some("C"), "public"));
    let mut service = q_declaration("Q/CQST 002-2024");
    service["kind"] = json!("service");
    service["industry_code"] = json!("I6513");
    declare(&app, &yuzhong, service, true).await;
    made.push(m("service", "enterprise", "500103", Some("I"), "public"));
    let mut national = q_declaration("GB/T 22239-2019");
    national.as_object_mut().expect("object").remove("industry_code");
    declare(&app, &yuzhong, national, true).await;
    made.push(m("product", "national_recommended", "500103", None, "public"));
    declare(&app, &yuzhong, q_declaration("Q/CQST 003-2024"), false).await;
    made.push(m("product", "enterprise", "500103", Some("C"), "draft"));

    let withdrawn = declare(&app, &chengkou, q_declaration("Q/CQST 004-2024"), true).await;
    app.post(
        &format!("/api/v1/declarations/{withdrawn}/withdraw"),
        Some(&chengkou.admin.token),
        json!({"reason": "产品停产"}),
    )
    .await
    .assert_status(200);
    made.push(m("product", "enterprise", "500229", Some("C"), "withdrawn"));
    let backdated = declare(&app, &chengkou, q_declaration("Q/CQST 005-2024"), true).await;
    backdate(&app, &backdated, "2023-05-10T02:00:00Z");
    made.push(Made { month: "2023-05".into(), ..m("product", "enterprise", "500229", Some("C"), "public") });

    declare(&app, &nanshan, q_declaration("Q/CQST 006-2024"), true).await;
    made.push(m("product", "enterprise", "440305", Some("C"), "public"));

    let mut group = q_declaration("T/CQST 001-2024");
    group["kind"] = json!("group");
    declare(&app, &assoc, group, true).await;
    made.push(m("group", "group", "500104", Some("C"), "public"));
    // a revision in progress changes nothing until published
    let revised = published(&app, &assoc, "Q/CQST 007-2024").await;
    app.post(&format!("/api/v1/declarations/{revised}/revisions"), Some(&assoc.admin.token), json!({}))
        .await
        .assert_status(201);
    made.push(m("product", "enterprise", "500104", Some("C"), "public"));

    let before_fold = app.get("/api/v1/stats/overview", None).await;
    before_fold.assert_status(200);
    check_overview(&before_fold.body, &made);
    assert!(app.count("SELECT count(*) FROM declaration_stat_deltas") > 0);

    // Folding the deltas into the counters (the worker's job) changes no figure.
    let folded = stdreg::services::stats::fold_all(&mut app.db()).expect("fold");
    assert!(folded > 0);
    assert_eq!(app.count("SELECT count(*) FROM declaration_stat_deltas"), 0);
    let after_fold = app.get("/api/v1/stats/overview", None).await;
    check_overview(&after_fold.body, &made);
    assert_eq!(after_fold.body["declarations"], before_fold.body["declarations"]);

    // The counters agree with an aggregate over the table itself.
    assert_eq!(
        app.count("SELECT count(*) FROM declarations WHERE status = 'public' AND kind = 'product'"),
        after_fold.body["declarations"]["by_kind"]["product"].as_i64().expect("n")
    );

    // Unknown parameters are refused.
    app.get("/api/v1/stats/overview?division=50", None).await.assert_status(400);
}

fn group<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["district_groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["district_group"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {plan}"))
}

fn district<'a>(g: &'a Value, code: &str) -> &'a Value {
    g["districts"].as_array().expect("districts").iter().find(|d| d["code"] == code).expect("district")
}

async fn plan(app: &TestApp, qs: &str) -> Value {
    let r = app.get(&format!("/api/v1/stats/plan{qs}"), None).await;
    r.assert_status(200);
    r.body
}

#[tokio::test]
async fn plan_progress_moves_when_a_declaration_is_published_in_a_district_group() {
    let app = TestApp::spawn().await;
    let p = plan(&app, "").await;
    assert_eq!(p["plan"]["period_start"], "2021-01-01");
    assert_eq!(p["plan"]["deadline"], "2025-12-31");
    assert_eq!(p["plan"]["target_basis"], "per_district");
    assert_eq!(p["district_groups"].as_array().map(Vec::len), Some(3));
    let departments = p["departments"].as_array().expect("departments");
    assert_eq!(departments.len(), 29);
    assert!(departments.iter().all(|d| d["counted"] == false && d["explanation"].as_str().is_some()));
    let samr = departments.iter().find(|d| d["unit"] == "市市场监管局").expect("市市场监管局");
    assert_eq!((samr["national_industry_standards"].as_i64(), samr["local_standards"].as_i64()), (Some(20), Some(10)));

    let core = group(&p, "主城都市区");
    assert_eq!(core["unit"], "主城都市区各区");
    assert_eq!(core["district_count"], 21);
    assert_eq!(core["enterprise_standards"]["target_per_district"], 200);
    assert_eq!(core["enterprise_standards"]["target"], 200 * 21);
    assert_eq!(core["group_standards"]["target"], 30 * 21);
    assert_eq!(core["enterprise_standards"]["actual"], 0);
    assert_eq!(group(&p, "渝东北三峡库区城镇群")["district_count"], 11);
    assert_eq!(group(&p, "渝东南武陵山区城镇群")["enterprise_standards"]["target"], 50 * 6);

    // An enterprise standard published in 渝中区 moves 主城都市区 and 渝中区, nothing else.
    let yuzhong = app.enterprise("500103").await;
    let id = published(&app, &yuzhong, "Q/CQPL 001-2024").await;
    // a national standard is not an enterprise standard, and a draft is not published
    published(&app, &yuzhong, "GB/T 22239-2019").await;
    create(&app, &yuzhong, q_declaration("Q/CQPL 002-2024")).await;
    let by_deadline =
        i64::from(app.state.clock.today() <= chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"));
    let p = plan(&app, "").await;
    let core = group(&p, "主城都市区");
    assert_eq!(core["enterprise_standards"]["actual"], 1, "{core}");
    assert_eq!(core["enterprise_standards"]["actual_by_deadline"], by_deadline);
    assert_eq!(core["enterprise_standards"]["remaining"], 4200 - 1);
    assert_eq!(core["group_standards"]["actual"], 0);
    assert_eq!(district(core, "500103")["enterprise_standards"]["actual"], 1);
    assert_eq!(district(core, "500103")["enterprise_standards"]["target"], 200);
    assert_eq!(district(core, "500104")["enterprise_standards"]["actual"], 0);
    assert_eq!(group(&p, "渝东北三峡库区城镇群")["enterprise_standards"]["actual"], 0);

    // A group standard published by a social organization in 城口县 moves 渝东北三峡库区城镇群.
    let assoc = app.social_org("500229", "CQPL").await;
    let mut body = q_declaration("T/CQPL 001-2024");
    body["kind"] = json!("group");
    let d = create(&app, &assoc, body).await;
    publish(&app, &assoc, d["id"].as_str().expect("id")).await;
    let p = plan(&app, "").await;
    let northeast = group(&p, "渝东北三峡库区城镇群");
    assert_eq!(northeast["group_standards"]["actual"], 1);
    assert_eq!(northeast["group_standards"]["percent_done"], 0.9); // 1 of 10 x 11 districts
    assert_eq!(district(northeast, "500229")["group_standards"]["percent_done"], 10.0);

    // Counted by the year of first publication: within the period by the deadline, or before it.
    backdate(&app, &id, "2022-03-01T00:00:00Z");
    let core = group(&plan(&app, "").await, "主城都市区").clone();
    assert_eq!(
        (core["enterprise_standards"]["actual"].as_i64(), core["enterprise_standards"]["actual_by_deadline"].as_i64()),
        (Some(1), Some(1))
    );
    backdate(&app, &id, "2020-12-31T15:59:59Z");
    assert_eq!(group(&plan(&app, "").await, "主城都市区")["enterprise_standards"]["actual"], 0);
    backdate(&app, &id, "2020-12-31T16:00:00Z");
    assert_eq!(group(&plan(&app, "").await, "主城都市区")["enterprise_standards"]["actual"], 1);

    // Per division prefix.
    let p = plan(&app, "?division=500103").await;
    assert_eq!(p["division"]["prefix"], "500103");
    assert_eq!(p["division"]["name"], "渝中区");
    assert_eq!(p["division"]["enterprise_standards"]["actual"], 1);
    let p = plan(&app, "?division=50").await;
    assert_eq!(p["division"]["name"], "重庆市");
    assert_eq!(p["division"]["enterprise_standards"]["actual"], 1);
    assert_eq!(p["division"]["group_standards"]["actual"], 1);
    let p = plan(&app, "?division=5002").await;
    assert_eq!(p["division"]["enterprise_standards"]["actual"], 0);
    assert_eq!(p["division"]["group_standards"]["actual"], 1);

    // A withdrawn declaration no longer counts.
    app.post(&format!("/api/v1/declarations/{id}/withdraw"), Some(&yuzhong.admin.token), json!({"reason": "停产"}))
        .await
        .assert_status(200);
    assert_eq!(group(&plan(&app, "").await, "主城都市区")["enterprise_standards"]["actual"], 0);

    // One unit of the table.
    let p = plan(&app, "?unit=%E4%B8%BB%E5%9F%8E%E9%83%BD%E5%B8%82%E5%8C%BA").await; // 主城都市区
    assert_eq!(p["district_groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(p["departments"].as_array().map(Vec::len), Some(0));
    let p = plan(&app, &format!("?unit={}", crate::helpers::enc("市市场监管局"))).await;
    assert_eq!(p["district_groups"].as_array().map(Vec::len), Some(0));
    assert_eq!(p["departments"][0]["national_industry_standards"], 20);

    for (qs, field) in [
        (format!("?unit={}", crate::helpers::enc("市不存在局")), "unit"),
        ("?division=500199".to_string(), "division"),
        ("?division=5%27".to_string(), "division"),
        ("?year=2024".to_string(), "year"),
    ] {
        let r = app.get(&format!("/api/v1/stats/plan{qs}"), None).await;
        r.assert_status(400);
        assert_eq!(r.error_fields(), vec![field], "{qs}: {}", r.text);
    }
}

#[tokio::test]
async fn the_openapi_document_describes_audit_statistics_and_open_data() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json", None).await;
    doc.assert_status(200);
    for (path, tag) in [
        ("/api/v1/audit", "audit"),
        ("/api/v1/audit/head", "audit"),
        ("/api/v1/stats/overview", "statistics"),
        ("/api/v1/stats/plan", "statistics"),
        ("/api/v1/export/declarations", "open data"),
    ] {
        let op = &doc.body["paths"][path]["get"];
        assert!(op.is_object(), "{path} missing");
        assert_eq!(op["tags"][0], tag, "{path}");
    }
    let tags: Vec<&str> =
        doc.body["tags"].as_array().expect("tags").iter().filter_map(|t| t["name"].as_str()).collect();
    for t in ["audit", "statistics", "open data"] {
        assert!(tags.contains(&t), "{tags:?}");
    }
}
