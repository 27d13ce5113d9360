//! The service foundation: error bodies for every failure class, health and readiness, metrics,
//! request ids, OpenAPI, migrations, reference data and configuration checks.

use diesel::Connection;
use diesel_migrations::MigrationHarness;
use serde_json::json;

use crate::helpers::{TestApp, db_url, env};

#[tokio::test]
async fn malformed_json_wrong_type_and_oversized_bodies_get_json_errors() {
    let app = TestApp::spawn().await;
    let login = format!("{}/api/v1/auth/login", app.address);

    let r = app.send(app.client.post(&login).header("content-type", "application/json").body("{\"email\": ")).await;
    r.assert_status(400);
    assert_eq!(r.error_code(), "malformed_json");
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));

    let r = app.send(app.client.post(&login).header("content-type", "text/plain").body("{}")).await;
    r.assert_status(415);
    assert_eq!(r.error_code(), "unsupported_media_type");

    let r = app.send(app.client.post(&login).body("{}")).await;
    r.assert_status(415);

    let big = format!("{{\"email\": \"{}\", \"password\": \"x\"}}", "a".repeat(1024 * 1024 + 10));
    let r = app.send(app.client.post(&login).header("content-type", "application/json").body(big)).await;
    r.assert_status(413);
    assert_eq!(r.error_code(), "payload_too_large");

    let r = app.post("/api/v1/auth/login", None, json!({"email": 5, "password": "x"})).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["email"]);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_bad_parameters() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/no-such-thing", None).await;
    r.assert_status(404);
    assert_eq!(r.error_code(), "not_found");

    let r = app.delete("/api/v1/reference/divisions", None).await;
    r.assert_status(405);
    assert_eq!(r.error_code(), "method_not_allowed");
    assert_eq!(r.header("allow").as_deref(), Some("GET"));

    let r = app.get("/api/v1/reference/divisions?parnet=500000", None).await;
    r.assert_status(400);
    assert_eq!(r.error_code(), "invalid_parameter");
    assert_eq!(r.error_fields(), vec!["parnet"]);

    let r = app.get("/api/v1/reference/divisions?parent=50x", None).await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), vec!["parent"]);

    let org = app.enterprise("500103").await;
    let r = app.delete("/api/v1/tokens/not-a-uuid", Some(&org.admin.token)).await;
    r.assert_status(400);
    assert_eq!(r.error_code(), "invalid_parameter");
}

#[tokio::test]
async fn health_readiness_request_ids_metrics_and_openapi() {
    let app = TestApp::spawn().await;
    app.get("/healthz", None).await.assert_status(200);
    let r = app.get("/readyz", None).await;
    r.assert_status(200);
    assert_eq!(r.body["database"], "ok");
    assert_eq!(r.body["search"], "ok");
    assert_eq!(r.body["outbox_pending"], 0);
    assert!(r.body["schema_version"].as_str().is_some());
    assert!(r.header("x-request-id").is_some_and(|id| id.len() >= 16));

    let r = app.send(app.client.get(format!("{}/healthz", app.address)).header("x-request-id", "trace-abc-123")).await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("trace-abc-123"));

    app.get("/api/v1/reference/divisions?parent=500000", None).await.assert_status(200);
    let r = app.get("/metrics", None).await;
    r.assert_status(200);
    assert!(
        r.text
            .contains(r#"stdreg_http_requests_total{method="GET",route="/api/v1/reference/divisions",status="200"} 1"#),
        "{}",
        r.text
    );
    assert!(r.text.contains("stdreg_http_request_duration_seconds_bucket"));
    assert!(r.text.contains("stdreg_db_pool_max 6"));
    assert!(r.text.contains("stdreg_outbox_pending"));

    let r = app.get("/api/v1/openapi.json", None).await;
    r.assert_status(200);
    let paths = r.body["paths"].as_object().expect("paths");
    for p in ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/reference/divisions", "/readyz"] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    assert_eq!(r.body["info"]["title"], "stdreg API");
}

#[tokio::test]
async fn readyz_names_search_when_meilisearch_is_unreachable() {
    let app = TestApp::spawn_with(|vars| {
        vars.push(("STDREG_MEILI_URL".into(), "http://127.0.0.1:9".into()));
        vars.push(("STDREG_MEILI_TIMEOUT_MS".into(), "300".into()));
    })
    .await;
    app.get("/healthz", None).await.assert_status(200);
    let r = app.get("/readyz", None).await;
    r.assert_status(503);
    assert_eq!(r.body["search"], "unavailable");
    assert_eq!(r.body["database"], "ok");
    assert_eq!(r.body["status"], "degraded");
}

#[tokio::test]
async fn readyz_names_the_database_when_it_is_unreachable() {
    let app = TestApp::spawn_with(|vars| {
        vars.push(("STDREG_DATABASE_URL".into(), "postgres://nobody:x@127.0.0.1:9/none".into()));
        vars.push(("STDREG_DATABASE_TIMEOUT_MS".into(), "300".into()));
    })
    .await;
    let r = app.get("/readyz", None).await;
    r.assert_status(503);
    assert_eq!(r.body["database"], "unavailable");
    let r = app.get("/api/v1/reference/divisions", None).await;
    r.assert_status(503);
    assert_eq!(r.error_code(), "database_unavailable");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn every_migration_reverts_and_reapplies_and_reference_import_is_idempotent() {
    let app = TestApp::spawn().await;
    let mut conn = diesel::pg::PgConnection::establish(&db_url(&app.db_name)).expect("connect");
    let before = stdreg::reference::import_all(&mut conn).expect("import");
    let reverted = conn.revert_all_migrations(stdreg::db::MIGRATIONS).expect("every down.sql works").len();
    assert_eq!(reverted, stdreg::db::embedded_versions().len());
    let applied = stdreg::db::migrate(&mut conn).expect("every up.sql works again");
    assert_eq!(applied.len(), reverted);
    let after = stdreg::reference::import_all(&mut conn).expect("import");
    let again = stdreg::reference::import_all(&mut conn).expect("import twice");
    assert_eq!(serde_json::to_value(&before).unwrap_or_default(), serde_json::to_value(&after).unwrap_or_default());
    assert_eq!(app.count("SELECT count(*) FROM divisions"), again.divisions as i64);
    assert_eq!(app.count("SELECT count(*) FROM divisions"), 3213);
    assert_eq!(app.count("SELECT count(*) FROM industries"), 1970);
}

#[tokio::test]
async fn reference_endpoints_serve_divisions_industries_and_the_catalogue() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/reference/divisions?parent=500103", None).await;
    r.assert_status(200);
    assert_eq!(r.body["parent"]["name"], "渝中区");
    assert_eq!(r.body["parent"]["parent_code"], "500000");

    let r = app.get("/api/v1/reference/divisions?parent=500000", None).await;
    let items = r.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 38);
    assert!(items.iter().any(|d| d["code"] == "500103" && d["name"] == "渝中区"));

    let r = app.get("/api/v1/reference/divisions", None).await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(34));

    let r = app.get("/api/v1/reference/divisions?parent=999999", None).await;
    r.assert_status(404);

    let r = app.get("/api/v1/reference/industries?parent=C384", None).await;
    r.assert_status(200);
    assert!(r.body["items"].as_array().expect("items").iter().any(|i| i["code"] == "C3841"), "{}", r.text);
    let r = app.get("/api/v1/reference/industries", None).await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(20));

    let r = app.get("/api/v1/reference/standards?q=gb%2017761", None).await;
    r.assert_status(200);
    let numbers: Vec<&str> =
        r.body["items"].as_array().expect("items").iter().filter_map(|s| s["number"].as_str()).collect();
    assert!(numbers.contains(&"GB 17761-2018") && numbers.contains(&"GB 17761-2024"), "{numbers:?}");
    let r = app.get("/api/v1/reference/standards?q=17761", None).await;
    assert!(r.body["items"][0]["title"].as_str().is_some_and(|t| t.contains("电动自行车")));
    let r = app.get("/api/v1/reference/standards?q=%E7%BD%91%E7%BB%9C%E5%AE%89%E5%85%A8%E7%AD%89%E7%BA%A7", None).await;
    assert!(!r.body["items"].as_array().expect("items").is_empty(), "title search finds 网络安全等级: {}", r.text);
}

fn run_cli(args: &[&str], vars: &[(&str, &str)]) -> (i32, String) {
    let e = env();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("STDREG_DATABASE_URL", &e.admin_url)
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_MEILI_KEY", &e.meili_key)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run stdreg");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn configuration_problems_stop_the_binary_with_a_clear_message() {
    let (code, err) = run_cli(&["serve"], &[("STDREG_JWT_SECRET", "too-short")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("STDREG_JWT_SECRET") && err.contains("at least 32 bytes"), "{err}");

    let (code, err) = run_cli(&["serve"], &[("STDREG_MEILI_URL", "ftp://x")]);
    assert_eq!(code, 2);
    assert!(err.contains("STDREG_MEILI_URL"), "{err}");

    let (code, err) = run_cli(&["serve"], &[("STDREG_COMPLAINT_KEYS", "")]);
    assert_eq!(code, 2);
    assert!(err.contains("STDREG_COMPLAINT_KEYS") && err.contains("required"), "{err}");

    let (code, err) = run_cli(&["migrate"], &[("STDREG_DATABASE_URL", "postgres://nobody:x@127.0.0.1:9/none")]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
}
