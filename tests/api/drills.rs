//! Fault drills (short form for CI): acknowledged writes survive a kill -9 of the server, a
//! Meilisearch outage, a PostgreSQL restart and a reindex; nothing acknowledged is missing afterwards.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::declarations::q_declaration;
use crate::helpers::{PASSWORD, PrivateMeili, TestApp, db_url, env, uscc};

/// `stdreg serve` as a child process, with the test app's database and index.
struct Serve {
    child: Option<Child>,
    base: String,
    vars: Vec<(String, String)>,
    port: u16,
}

impl Serve {
    fn start(vars: Vec<(String, String)>) -> Self {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
        let mut s = Self { child: None, base: format!("http://127.0.0.1:{port}"), vars, port };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stdreg"));
        cmd.arg("serve")
            .env("STDREG_LISTEN", format!("127.0.0.1:{}", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawn serve"));
    }

    async fn ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client.get(format!("{}/healthz", self.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("stdreg serve did not come up");
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL: no shutdown, no flushing
            let _ = c.wait();
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn serve_vars(app: &TestApp, meili: Option<&PrivateMeili>) -> Vec<(String, String)> {
    let e = env();
    vec![
        ("STDREG_DATABASE_URL".into(), db_url(&app.db_name)),
        ("STDREG_MEILI_URL".into(), meili.map(|m| m.url.clone()).unwrap_or_else(|| e.meili_url.clone())),
        ("STDREG_MEILI_KEY".into(), meili.map(|m| m.key.clone()).unwrap_or_else(|| e.meili_key.clone())),
        ("STDREG_MEILI_INDEX_PREFIX".into(), app.index_prefix.clone()),
        ("STDREG_MEILI_TIMEOUT_MS".into(), "500".into()),
        ("STDREG_JWT_SECRET".into(), e.jwt_secret.clone()),
        ("STDREG_COMPLAINT_KEYS".into(), e.complaint_keys.clone()),
        ("STDREG_DATA_DIR".into(), app.state.settings.data_dir.display().to_string()),
        ("STDREG_RUN_WORKERS".into(), "true".into()),
        ("STDREG_WORKER_POLL_MS".into(), "50".into()),
        ("STDREG_DATABASE_TIMEOUT_MS".into(), "1000".into()),
        ("STDREG_LOG_LEVEL".into(), "error".into()),
    ]
}

async fn token(base: &str) -> String {
    let client = reqwest::Client::new();
    let email = format!("drill-{}@example.cn", uuid::Uuid::new_v4().simple());
    let r = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"organization": {"uscc": uscc("91", "500103"), "name": "重庆演练科技有限公司", "kind": "enterprise", "division_code": "500103"},
                      "user": {"email": email, "password": PASSWORD, "name": "演练"}}))
        .send()
        .await
        .expect("register");
    assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
    let r: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    r["access_token"].as_str().expect("token").to_string()
}

/// Writers publishing declarations until `stop`; every acknowledged (published) id is recorded.
fn stream(
    base: String,
    token: String,
    writers: usize,
    acked: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    tag: &'static str,
) -> Vec<tokio::task::JoinHandle<usize>> {
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    (0..writers)
        .map(|_| {
            let (base, token, acked, stop, counter) =
                (base.clone(), token.clone(), acked.clone(), stop.clone(), counter.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
                let mut failures = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let created = client
                        .post(format!("{base}/api/v1/declarations"))
                        .bearer_auth(&token)
                        .json(&q_declaration(&format!("Q/{tag} {n:05}-2024")))
                        .send()
                        .await;
                    let id = match created {
                        Ok(r) if r.status().as_u16() == 201 => {
                            r.json::<Value>().await.ok().and_then(|v| v["id"].as_str().map(String::from))
                        }
                        _ => None,
                    };
                    let Some(id) = id else {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    let published = client
                        .post(format!("{base}/api/v1/declarations/{id}/publish"))
                        .bearer_auth(&token)
                        .json(&json!({"commitment": true}))
                        .send()
                        .await;
                    if published.is_ok_and(|r| r.status().is_success()) {
                        acked.lock().await.push(id);
                    } else {
                        failures += 1;
                    }
                }
                failures
            })
        })
        .collect()
}

async fn finish(tasks: Vec<tokio::task::JoinHandle<usize>>) -> usize {
    let mut failures = 0;
    for t in tasks {
        failures += t.await.unwrap_or(0);
    }
    failures
}

/// Every acknowledged declaration is public in the database and, once the outbox drains, searchable.
async fn assert_nothing_lost(app: &TestApp, acked: &[String]) {
    assert!(!acked.is_empty(), "the drill acknowledged nothing");
    for id in acked {
        let n = app.count(&format!("SELECT count(*) FROM declarations WHERE id = '{id}' AND status = 'public'"));
        assert_eq!(n, 1, "acknowledged declaration {id} is missing from the database");
    }
    let until = Instant::now() + Duration::from_secs(60);
    while app.count("SELECT count(*) FROM outbox") > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("SELECT count(*) FROM outbox"), 0, "the outbox did not drain");
    let indexed = app.indexed_ids().await;
    for id in acked {
        assert!(indexed.binary_search(id).is_ok(), "acknowledged declaration {id} is missing from search");
    }
    assert_eq!(indexed, app.published_ids());
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill_9_of_the_server() {
    let app = TestApp::spawn().await;
    let mut serve = Serve::start(serve_vars(&app, None));
    serve.ready().await;
    let token = token(&serve.base).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks = stream(serve.base.clone(), token, 8, acked.clone(), stop.clone(), "KILL");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    serve.kill9();
    let before_restart = acked.lock().await.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    serve.spawn();
    serve.ready().await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    finish(tasks).await;
    let acked = acked.lock().await.clone();
    assert!(before_restart > 0 && acked.len() > before_restart, "writes were acknowledged before and after the kill");
    assert_nothing_lost(&app, &acked).await;
}

#[tokio::test]
async fn a_meilisearch_outage_loses_nothing_and_search_degrades_meanwhile() {
    let mut meili = PrivateMeili::start().await;
    let app = TestApp::spawn_with(meili.vars()).await;
    let serve = Serve::start(serve_vars(&app, Some(&meili)));
    serve.ready().await;
    let token = token(&serve.base).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks = stream(serve.base.clone(), token, 6, acked.clone(), stop.clone(), "MEILI");
    tokio::time::sleep(Duration::from_millis(800)).await;
    meili.stop();
    let at_stop = acked.lock().await.len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during = acked.lock().await.len();
    assert!(during > at_stop, "publishing went on while Meilisearch was down ({at_stop} -> {during})");
    let r: Value = reqwest::get(format!("{}/api/v1/search?q=%E9%94%82%E7%A6%BB%E5%AD%90", serve.base))
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    assert_eq!(r["degraded"], true);
    assert!(
        r["total"].as_u64().is_some_and(|n| n as usize >= at_stop),
        "degraded search still finds what was published: {}",
        r["total"]
    );
    meili.restart().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    finish(tasks).await;
    let acked = acked.lock().await.clone();
    assert_nothing_lost(&app, &acked).await;
}

#[tokio::test]
async fn a_reindex_during_writes_loses_nothing() {
    let app = TestApp::spawn().await;
    let serve = Serve::start(serve_vars(&app, None));
    serve.ready().await;
    let token = token(&serve.base).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks = stream(serve.base.clone(), token, 6, acked.clone(), stop.clone(), "REIDX");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let out = Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .arg("reindex")
        .envs(serve.vars.iter().cloned())
        .output()
        .expect("reindex");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    finish(tasks).await;
    let acked = acked.lock().await.clone();
    assert_nothing_lost(&app, &acked).await;
}

/// A PostgreSQL cluster of the test's own, to restart.
struct PrivatePostgres {
    dir: std::path::PathBuf,
    port: u16,
}

fn as_postgres(cmd: &str, args: &[&str]) -> std::process::Output {
    let bin = std::path::Path::new("/usr/lib/postgresql/15/bin").join(cmd);
    let mut c = if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    c.args(args).output().expect("run a PostgreSQL tool")
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

impl PrivatePostgres {
    fn start() -> Self {
        let dir = std::path::PathBuf::from(format!("/tmp/stdreg-drill-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let _ = Command::new("chmod").args(["755", &dir.display().to_string()]).status();
        if running_as_root() {
            let _ = Command::new("chown").args(["-R", "postgres:postgres", &dir.display().to_string()]).status();
        }
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
        let data = dir.join("data").display().to_string();
        let out = as_postgres(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"],
        );
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let pg = Self { dir, port };
        pg.up();
        let out = as_postgres("createdb", &["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "stdreg"]);
        assert!(out.status.success(), "createdb: {}", String::from_utf8_lossy(&out.stderr));
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/stdreg", self.port)
    }

    fn up(&self) {
        let data = self.dir.join("data").display().to_string();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log").display().to_string();
        let out = as_postgres("pg_ctl", &["-D", &data, "-l", &log, "-w", "-o", &opts, "start"]);
        assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn down(&self) {
        let data = self.dir.join("data").display().to_string();
        let _ = as_postgres("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_postgres_restart_fails_fast_and_recovers_by_itself() {
    let pg = PrivatePostgres::start();
    {
        use diesel::Connection;
        let mut conn = diesel::pg::PgConnection::establish(&pg.url()).expect("connect");
        stdreg::db::migrate(&mut conn).expect("migrate");
        stdreg::reference::import_all(&mut conn).expect("reference");
    }
    // the search side is the shared Meilisearch with an index of our own
    let app = TestApp::spawn().await;
    let mut vars = serve_vars(&app, None);
    vars.retain(|(k, _)| k != "STDREG_DATABASE_URL");
    vars.push(("STDREG_DATABASE_URL".into(), pg.url()));
    let serve = Serve::start(vars);
    serve.ready().await;
    let token = token(&serve.base).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    let me = |c: &reqwest::Client| c.get(format!("{}/api/v1/me", serve.base)).bearer_auth(&token);
    assert_eq!(me(&client).send().await.expect("me").status().as_u16(), 200);

    pg.down();
    for _ in 0..5 {
        let started = Instant::now();
        let r = me(&client).send().await.expect("answered");
        let took = started.elapsed();
        assert_eq!(r.status().as_u16(), 503, "a database outage answers 503");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error"]["code"], "database_unavailable");
        assert!(took < Duration::from_secs(5), "answered in {took:?}, not failing fast");
    }
    let r = client.get(format!("{}/readyz", serve.base)).send().await.expect("readyz");
    assert_eq!(r.status().as_u16(), 503);

    pg.up();
    let until = Instant::now() + Duration::from_secs(30);
    let mut recovered = false;
    while Instant::now() < until {
        if me(&client).send().await.is_ok_and(|r| r.status().is_success()) {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the server did not recover by itself after PostgreSQL came back");
    let r = client
        .post(format!("{}/api/v1/declarations", serve.base))
        .bearer_auth(&token)
        .json(&q_declaration("Q/PGR 001-2024"))
        .send()
        .await
        .expect("write");
    assert_eq!(r.status().as_u16(), 201);
}
