//! Operations: the backup and restore drill, and the deployment files agree with the code.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::json;

use crate::declarations::{create, publish, published, q_declaration};
use crate::helpers::{TestApp, db_url, enc, env};

fn stdreg(args: &[&str], vars: &[(&str, String)]) -> (bool, String) {
    let e = env();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"));
    cmd.args(args)
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_MEILI_KEY", &e.meili_key)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys)
        .env("STDREG_LOG_LEVEL", "warn");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run stdreg");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq, Clone)]
struct TableCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn table_counts(url: &str) -> Vec<TableCount> {
    let mut conn = diesel::pg::PgConnection::establish(url).expect("connect");
    let names: Vec<TableCount> = diesel::sql_query(
        "SELECT table_name::text AS name, 0::int8 AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load(&mut conn)
    .expect("tables");
    names
        .into_iter()
        .map(|t| {
            diesel::sql_query(format!("SELECT '{}'::text AS name, count(*)::int8 AS n FROM \"{}\"", t.name, t.name))
                .get_result(&mut conn)
                .expect("count")
        })
        .collect()
}

fn pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.4\n% stdreg backup drill\n".to_vec();
    v.extend(std::iter::repeat_n(b'z', 4096));
    v
}

#[tokio::test]
async fn backup_and_restore_drill() {
    let app = TestApp::spawn().await;
    // data: declarations with versions and a full text, a withdrawn one, a campaign with a result
    let org = app.enterprise("500103").await;
    let d1 = published(&app, &org, "Q/BAK 001-2024").await;
    app.post(&format!("/api/v1/declarations/{d1}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    app.put_bytes(&format!("/api/v1/declarations/{d1}/full-text"), Some(&org.admin.token), "application/pdf", pdf())
        .await
        .assert_status(200);
    publish(&app, &org, &d1).await;
    let d2 = published(&app, &org, "Q/BAK 002-2024").await;
    app.post(&format!("/api/v1/declarations/{d2}/withdraw"), Some(&org.admin.token), json!({"reason": "停产"}))
        .await
        .assert_status(200);
    create(&app, &org, q_declaration("Q/BAK 003-2024")).await;
    let r = app.regulator("500103").await;
    let c = app
        .post("/api/v1/campaigns", Some(&r.token), json!({"name": "备份演练", "scope": {"division": "500103"}, "sample_size": 1, "inspector_ids": [r.user_id], "due_date": "2099-01-01", "seed": "drill"}))
        .await;
    c.assert_status(201);
    let drawn = app.post(&format!("/api/v1/campaigns/{}/draw", c.id()), Some(&r.token), json!({})).await;
    let iid = drawn.body["inspections"][0]["id"].as_str().expect("inspection").to_string();
    app.post(&format!("/api/v1/inspections/{iid}/result"), Some(&r.token), json!({"grade": "compliant"}))
        .await
        .assert_status(200);
    // a complaint with a named complainant (sealed) and an image attachment
    let filed = app
        .post(
            "/api/v1/complaints",
            None,
            json!({"target": {"declaration_id": d1}, "category": "false_indicator", "description": "标称循环寿命与实测严重不符，请核查。",
                   "complainant": {"name": "赵备份", "phone": "13800001111", "email": "backup@example.cn"}}),
        )
        .await;
    filed.assert_status(201);
    let complaint_id: uuid::Uuid = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: uuid::Uuid,
        }
        diesel::sql_query("SELECT id FROM complaints").get_result::<Id>(&mut app.db()).expect("complaint").id
    };
    app.drain_outbox().await;
    let queries = ["q=BAK", &format!("q={}", enc("锂离子蓄电池")), "status=all", "flagged=true"];
    let mut before = Vec::new();
    for q in queries {
        before.push(
            app.search(q).await["items"].as_array().expect("items").iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
        );
    }
    let source_counts = table_counts(&db_url(&app.db_name));

    // back up
    let dir = env().tmp.join(format!("backup-{}", uuid::Uuid::new_v4().simple()));
    let data_dir = app.state.settings.data_dir.display().to_string();
    let (ok, out) = stdreg(
        &["backup", "--to", &dir.display().to_string()],
        &[("STDREG_DATABASE_URL", db_url(&app.db_name)), ("STDREG_DATA_DIR", data_dir.clone())],
    );
    assert!(ok, "{out}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(manifest["counts"]["declarations"], 3);
    let head_before = {
        let mut conn = app.db();
        stdreg::audit::head(&mut conn).expect("head")
    };
    assert_eq!(manifest["audit_head"], head_before.head_hash);

    // restore into a fresh database, data folder and index
    let target = format!("r_{}", uuid::Uuid::new_v4().simple());
    let mut admin = diesel::pg::PgConnection::establish(&env().admin_url).expect("admin");
    admin.batch_execute(&format!("CREATE DATABASE {target}")).expect("create");
    let target_data = env().tmp.join(&target);
    let prefix = format!("{target}_");
    let vars = [
        ("STDREG_DATABASE_URL", db_url(&target)),
        ("STDREG_DATA_DIR", target_data.display().to_string()),
        ("STDREG_MEILI_INDEX_PREFIX", prefix.clone()),
    ];
    let (ok, out) = stdreg(&["restore", "--from", &dir.display().to_string()], &vars);
    assert!(ok, "{out}");
    assert!(out.contains("audit chain verified"), "{out}");
    assert_eq!(table_counts(&db_url(&target)), source_counts, "every table's count matches");
    let mut restored_db = diesel::pg::PgConnection::establish(&db_url(&target)).expect("connect");
    assert_eq!(
        stdreg::audit::verify(&mut restored_db).expect("verify"),
        stdreg::audit::Verification::Intact(head_before.clone())
    );
    drop(restored_db);
    let (ok, out) = stdreg(&["audit", "verify"], &vars);
    assert!(ok && out.contains(&head_before.head_hash), "{out}");
    // complainant data still opens with the configured keys
    let keys = stdreg::config::ComplaintKeys::parse(&env().complaint_keys).expect("keys");
    let mut restored_db = diesel::pg::PgConnection::establish(&db_url(&target)).expect("connect");
    let person = stdreg::services::complaints::complainant::open(&mut restored_db, &keys, complaint_id)
        .expect("decrypts")
        .expect("named");
    assert_eq!(person.phone.as_deref(), Some("13800001111"));
    assert_eq!(person.name, "赵备份");
    drop(restored_db);
    // the full text came back, byte for byte
    let sha = manifest["files"][0]["sha256"].as_str().expect("sha");
    let restored = stdreg::files::BlobStore::new(&target_data).read(sha).expect("file");
    assert_eq!(restored, pdf());

    // the restored search index answers the same ids
    let restored_search = stdreg::search::SearchIndex::new(&{
        let v: Vec<(String, String)> = vec![
            ("STDREG_DATABASE_URL".into(), db_url(&target)),
            ("STDREG_MEILI_URL".into(), env().meili_url.clone()),
            ("STDREG_MEILI_KEY".into(), env().meili_key.clone()),
            ("STDREG_MEILI_INDEX_PREFIX".into(), prefix.clone()),
            ("STDREG_JWT_SECRET".into(), env().jwt_secret.clone()),
            ("STDREG_COMPLAINT_KEYS".into(), env().complaint_keys.clone()),
        ];
        stdreg::config::Settings::from_sources(&stdreg::config::Sources::collect(None, v).expect("sources"))
            .expect("settings")
    })
    .expect("search");
    let restored_app_state = {
        let mut s = app.state.clone();
        s.search = restored_search.clone();
        s
    };
    for (q, ids) in queries.iter().zip(before) {
        let req = stdreg::search::query::SearchRequest::parse(&crate::helpers::search_params(q)).expect("params");
        let res = stdreg::search::engine::search_meili(&restored_app_state.search, &req).await.expect("search");
        let got: Vec<serde_json::Value> = res.items.iter().map(|i| json!(i.id)).collect();
        assert_eq!(got, ids, "{q}");
    }

    // a second restore over the now non-empty database is refused
    let (ok, out) = stdreg(&["restore", "--from", &dir.display().to_string()], &vars);
    assert!(!ok && out.contains("not empty"), "{out}");

    // clean up
    if let Ok(indexes) = restored_search.client.list_all_indexes().await {
        for i in indexes.results.iter().filter(|i| i.uid.starts_with(&prefix)) {
            let _ = restored_search.client.delete_index(&i.uid).await;
        }
    }
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {target} WITH (FORCE)"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&target_data);
    assert!(Path::new(&data_dir).exists());
}

fn known_vars() -> std::collections::BTreeSet<String> {
    stdreg::config::KEYS.iter().map(|k| format!("STDREG_{}", k.name.to_ascii_uppercase())).collect()
}

/// Every `STDREG_*` word in a text.
fn stdreg_vars(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("STDREG_") {
        let start = i + pos;
        let mut end = start + "STDREG_".len();
        while end < bytes.len()
            && (bytes[end].is_ascii_uppercase() || bytes[end].is_ascii_digit() || bytes[end] == b'_')
        {
            end += 1;
        }
        if end > start + "STDREG_".len() {
            out.insert(text[start..end].to_string());
        }
        i = end;
    }
    out
}

fn deploy_file(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(name)).expect("deploy file")
}

#[test]
fn env_example_lists_exactly_the_configuration_keys() {
    let text = deploy_file("env.example");
    let listed: std::collections::BTreeSet<String> = text
        .lines()
        .filter(|l| l.starts_with("STDREG_"))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()))
        .collect();
    assert_eq!(listed, known_vars());
    // each is explained by a comment line right above it
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("STDREG_") {
            assert!(i > 0 && lines[i - 1].starts_with("# "), "{l} has no comment");
        }
    }
}

#[test]
fn compose_dockerfile_and_units_name_only_variables_the_code_reads() {
    let mut known = known_vars();
    known.insert("STDREG_CONFIG".into()); // read by the command line (--config)
    let compose = deploy_file("compose.yaml");
    let docs = yaml_rust2::YamlLoader::load_from_str(&compose).expect("compose.yaml is valid YAML");
    let services = &docs[0]["services"];
    for s in ["postgres", "meilisearch", "migrate", "serve", "worker"] {
        assert!(!services[s].is_badvalue(), "compose lacks the {s} service");
        assert!(!services[s]["image"].is_badvalue(), "{s} has no image");
    }
    assert_eq!(services["migrate"]["command"][0].as_str(), Some("migrate"));
    assert_eq!(services["worker"]["command"][0].as_str(), Some("worker"));
    assert!(!services["serve"]["healthcheck"].is_badvalue() && !services["postgres"]["healthcheck"].is_badvalue());
    for v in ["pgdata", "meilidata", "files"] {
        assert!(!docs[0]["volumes"][v].is_badvalue(), "named volume {v}");
    }
    for (name, text) in [
        ("compose.yaml", compose.clone()),
        ("Dockerfile", deploy_file("Dockerfile")),
        ("systemd/stdreg-serve.service", deploy_file("systemd/stdreg-serve.service")),
        ("systemd/stdreg-worker.service", deploy_file("systemd/stdreg-worker.service")),
        ("nginx.conf", deploy_file("nginx.conf")),
        (
            "README (configuration table)",
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("readme"),
        ),
    ] {
        for v in stdreg_vars(&text) {
            assert!(known.contains(&v), "{name} names {v}, which the code does not read");
        }
    }
    let dockerfile = deploy_file("Dockerfile");
    assert!(dockerfile.contains("HEALTHCHECK") && dockerfile.contains("USER stdreg"));
    // the server's memory figures in docs/benchmarks.md hold with two malloc arenas
    for name in ["Dockerfile", "systemd/stdreg-serve.service", "systemd/stdreg-worker.service"] {
        assert!(deploy_file(name).contains("MALLOC_ARENA_MAX=2"), "{name} must limit malloc arenas");
        assert!(
            deploy_file(name).contains(&format!("GLIBC_TUNABLES={}", stdreg::bench::MMAP_TUNABLE)),
            "{name} must fix the mmap threshold"
        );
    }
}
