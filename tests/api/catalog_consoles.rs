//! The catalogue in the consoles (issue 21): the sysadmins' upload with preview and confirmation
//! (one audit event per applied load), the organization's dashboard with the notice and its one
//! action, the regulator's count of outdated declarations per district, and a campaign scope that
//! selects them.

use serde_json::json;

use crate::catalog::{catalogue_2024, catalogue_2025, load_ok};
use crate::declarations::{create, publish};
use crate::helpers::{PASSWORD, Resp, TestApp};
use crate::web::console::WebClient;

/// Posts files as `multipart/form-data` with the client's cookies and CSRF token.
async fn upload(app: &TestApp, web: &WebClient<'_>, path: &str, files: &[(&str, Vec<u8>)]) -> Resp {
    let boundary = "stdregCatalogBoundary7MA4YWxkTrZu0gW";
    let mut body: Vec<u8> = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n", web.csrf)
            .as_bytes(),
    );
    for (name, data) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let cookies = web.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let rb = app
        .raw(reqwest::Method::POST, path, None)
        .await
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("cookie", cookies)
        .body(body);
    app.send(rb).await
}

fn hidden_files(html: &str) -> Vec<String> {
    html.split("name=\"file\" value=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
}

#[tokio::test]
async fn the_sysadmin_uploads_previews_and_applies_a_catalogue() {
    let app = TestApp::spawn().await;
    let admin = app.sysadmin().await;
    let mut web = WebClient::new(&app);
    web.sign_in(&admin.email, PASSWORD, "/admin").await;
    let page = web.get("/admin/catalog").await;
    page.assert_status(200);
    assert!(page.text.contains("enctype=\"multipart/form-data\""), "{}", page.text);

    // the preview: the dry-run report, nothing applied yet
    let text = catalogue_2025();
    let (gb, _, _) = encoding_rs::GB18030.encode(&text);
    let r = upload(&app, &web, "/admin/catalog/preview", &[("国家标准.csv", gb.into_owned())]).await;
    r.assert_status(200);
    assert!(r.text.contains("预览（尚未导入）") && r.text.contains("GB18030"), "{}", r.text);
    assert!(r.text.contains("GB/T 36972-2018"), "{}", r.text);
    assert_eq!(app.count("SELECT count(*) FROM catalog_standards WHERE number = 'GB/T 36972-2018'"), 0);
    let files = hidden_files(&r.text);
    assert_eq!(files.len(), 1, "{}", r.text);

    // confirmation applies exactly the previewed file, as one audit event with its counts
    let pairs: Vec<(&str, &str)> = files.iter().map(|f| ("file", f.as_str())).collect();
    let done = web.post("/admin/catalog/apply", &pairs, true).await;
    done.assert_status(200);
    assert!(done.text.contains("已导入"), "{}", done.text);
    assert_eq!(app.count("SELECT count(*) FROM catalog_standards WHERE number = 'GB/T 36972-2018'"), 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'catalog.loaded' AND actor_role = 'sysadmin' \
             AND (summary->>'added')::int = 1"
        ),
        1
    );
    // without the CSRF token nothing happens
    let r = web.post("/admin/catalog/apply", &pairs, false).await;
    assert_eq!(r.status, 403);

    // a malformed file: refused with its lines, no confirmation offered, nothing applied
    let bad = format!("{}GB 30001-2020,日期不存在,,现行,2020-02-30,2020-07-01,,,,,,,,\n", crate::catalog::HEAD);
    let r = upload(&app, &web, "/admin/catalog/preview", &[("bad.csv", bad.into_bytes())]).await;
    r.assert_status(422);
    assert!(r.text.contains("bad.csv 第 2 行") && r.text.contains("2020-02-30"), "{}", r.text);
    assert!(hidden_files(&r.text).is_empty());
    assert_eq!(app.count("SELECT count(*) FROM catalog_standards WHERE number = 'GB 30001-2020'"), 0);

    // organizations and regulators cannot reach the page
    let org = app.enterprise("500103").await;
    let mut other = WebClient::new(&app);
    other.sign_in(&org.admin.email, PASSWORD, "/console").await;
    assert_ne!(other.get("/admin/catalog").await.status, 200);
}

#[tokio::test]
async fn outdated_declarations_on_the_consoles_and_in_a_campaign_scope() {
    let app = TestApp::spawn().await;
    load_ok(&app, "catalogue-2024.csv", &catalogue_2024());
    let maker = app.enterprise("500103").await;
    let body = json!({
        "kind": "product",
        "standard": {"number": "GB 17761-2018", "title": "电动自行车安全技术规范"},
        "products": [{"name": "电动自行车", "model": "TDT-1200"}],
        "industry_code": "C3761",
    });
    let d = create(&app, &maker, body).await;
    let outdated_id = d["id"].as_str().expect("id").to_string();
    publish(&app, &maker, &outdated_id).await;
    let fine = crate::declarations::published(&app, &maker, "Q/CQFN 001-2025").await;
    load_ok(&app, "catalogue-2025.csv", &catalogue_2025());

    // the organization's dashboard: the notice and its one action
    let mut web = WebClient::new(&app);
    web.sign_in(&maker.admin.email, PASSWORD, "/console").await;
    let home = web.get("/console").await;
    assert!(home.text.contains("按代替标准修订") && home.text.contains("GB 17761-2024"), "{}", home.text);
    assert!(home.text.contains(&format!("/console/declarations/{outdated_id}/apply-replacements")), "{}", home.text);

    // the regulator's dashboard counts them per district
    let reg = app.regulator("500000").await;
    let mut rweb = WebClient::new(&app);
    rweb.sign_in(&reg.email, PASSWORD, "/regulator").await;
    let dash = rweb.get("/regulator").await;
    assert!(dash.text.contains("outdated-by-district"), "{}", dash.text);
    assert!(dash.text.contains("/search?outdated=true&#38;division=500103\">1</a>"), "{}", dash.text);

    // a campaign scope that selects only them
    let campaign = json!({
        "name": "执行已废止标准的声明专项抽查",
        "scope": {"division": "50", "outdated_only": true},
        "sample_size": 10,
        "inspector_ids": [reg.user_id],
        "due_date": "2099-12-31",
    });
    let r = app.post("/api/v1/campaigns", Some(&reg.token), campaign).await;
    r.assert_status(201);
    assert_eq!(r.body["scope"]["outdated_only"], true);
    let id = r.id();
    let drawn = app.post(&format!("/api/v1/campaigns/{id}/draw"), Some(&reg.token), json!({})).await;
    drawn.assert_status(200);
    let ids: Vec<&str> = drawn.body["inspections"]
        .as_array()
        .expect("inspections")
        .iter()
        .filter_map(|i| i["declaration_id"].as_str())
        .collect();
    assert_eq!(ids, vec![outdated_id.as_str()], "not {fine}");

    // the one action from the dashboard: a draft with the replacement, then the editor
    let r = web.post(&format!("/console/declarations/{outdated_id}/apply-replacements"), &[], true).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location").as_deref(), Some(format!("/console/declarations/{outdated_id}/edit").as_str()));
    let edit = web.get(&format!("/console/declarations/{outdated_id}/edit")).await;
    assert!(edit.text.contains("GB 17761-2024"), "{}", edit.text);
    assert!(edit.text.contains("name=\"cited_standards\""), "the form carries the lists: {}", edit.text);
}
