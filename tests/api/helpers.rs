//! `TestApp`: the real application on a random port, with its own database (cloned from a migrated
//! template) and its own Meilisearch index prefix, both dropped at the end. Role helpers make tests
//! read like the API.

use std::path::PathBuf;
use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use stdreg::config::{Settings, Sources};
use stdreg::startup::Application;
use stdreg::state::AppState;
use uuid::Uuid;

pub const PASSWORD: &str = "Chongqing-std-2026!";

pub struct TestEnv {
    pub admin_url: String,
    pub meili_url: String,
    pub meili_key: String,
    pub meili_bin: Option<String>,
    pub jwt_secret: String,
    pub complaint_keys: String,
    pub tmp: PathBuf,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through `scripts/stack test`, which starts PostgreSQL and Meilisearch")
    })
}

pub fn env() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| TestEnv {
        admin_url: var("STDREG_DATABASE_URL"),
        meili_url: var("STDREG_MEILI_URL"),
        meili_key: std::env::var("STDREG_MEILI_KEY").unwrap_or_default(),
        meili_bin: std::env::var("STDREG_MEILI_BIN").ok(),
        jwt_secret: var("STDREG_JWT_SECRET"),
        complaint_keys: var("STDREG_COMPLAINT_KEYS"),
        tmp: PathBuf::from(
            std::env::var("STDREG_TEST_TMP").unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
        ),
    })
}

/// The URL of another database on the same server.
pub fn db_url(name: &str) -> String {
    let base = &env().admin_url;
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    format!("{prefix}/{name}")
}

fn hash_dir(h: &mut Sha256, dir: &std::path::Path) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            hash_dir(h, &p);
        } else {
            h.update(p.display().to_string().as_bytes());
            h.update(std::fs::read(&p).expect("readable"));
        }
    }
}

/// A database with every migration and the reference data, built once per schema version and
/// cloned for each test.
pub fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut h = Sha256::new();
        hash_dir(&mut h, &root.join("migrations"));
        hash_dir(&mut h, &root.join("src/reference/data"));
        let name = format!("tpl_{}", &hex::encode(h.finalize())[..16]);
        let mut admin = PgConnection::establish(&env().admin_url).expect("connect to the test PostgreSQL");
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let exists = diesel::sql_query(format!("SELECT count(*)::int8 AS n FROM pg_database WHERE datname = '{name}'"))
            .get_result::<N>(&mut admin)
            .expect("query")
            .n
            > 0;
        if !exists {
            let build = format!("{name}_b{}", Uuid::new_v4().simple());
            admin.batch_execute(&format!("CREATE DATABASE {build}")).expect("create template");
            {
                let mut conn = PgConnection::establish(&db_url(&build)).expect("connect template");
                stdreg::db::migrate(&mut conn).expect("migrate template");
                stdreg::reference::import_all(&mut conn).expect("reference data");
            }
            if admin.batch_execute(&format!("ALTER DATABASE {build} RENAME TO {name}")).is_err() {
                // another test process built it first
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {build} WITH (FORCE)"));
            }
        }
        name
    })
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    /// The fields named in the error details.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|a| a.iter().filter_map(|d| d["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self
    }
    pub fn id(&self) -> Uuid {
        self.body["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no id in {}", self.text))
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub refresh_token: String,
    pub user_id: Uuid,
    pub email: String,
}

#[derive(Clone, Debug)]
pub struct TestOrg {
    pub id: Uuid,
    pub uscc: String,
    pub admin: Session,
}

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub db_name: String,
    pub index_prefix: String,
    server: Option<actix_web::dev::ServerHandle>,
    server_thread: Option<std::thread::JoinHandle<()>>,
}

/// A syntactically valid USCC with the given registration prefix (`91`, `51`) and division code.
pub fn uscc(prefix: &str, division: &str) -> String {
    let alphabet = stdreg::domain::uscc::ALPHABET;
    let random = Uuid::new_v4();
    let mut body: Vec<u8> = format!("{prefix}{division}").into_bytes();
    for b in random.as_bytes().iter().take(9) {
        body.push(alphabet[(*b as usize) % 31]);
    }
    let check = stdreg::domain::uscc::check_char(&body).expect("alphabet");
    body.push(check as u8);
    String::from_utf8(body).expect("ascii")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with extra or replaced `STDREG_*` settings.
    pub async fn spawn_with(customize: impl FnOnce(&mut Vec<(String, String)>)) -> Self {
        let e = env();
        let tpl = template().to_string();
        let id = Uuid::new_v4().simple().to_string();
        let db_name = format!("t_{id}");
        let index_prefix = format!("t{}_", &id[..16]);
        {
            let mut admin = PgConnection::establish(&e.admin_url).expect("connect");
            admin.batch_execute(&format!("CREATE DATABASE {db_name} TEMPLATE {tpl}")).expect("clone template");
        }
        let data_dir = e.tmp.join(&db_name);
        let mut vars: Vec<(String, String)> = vec![
            ("STDREG_DATABASE_URL".into(), db_url(&db_name)),
            ("STDREG_MEILI_URL".into(), e.meili_url.clone()),
            ("STDREG_MEILI_KEY".into(), e.meili_key.clone()),
            ("STDREG_MEILI_INDEX_PREFIX".into(), index_prefix.clone()),
            ("STDREG_LISTEN".into(), "127.0.0.1:0".into()),
            ("STDREG_HTTP_WORKERS".into(), "2".into()),
            ("STDREG_JWT_SECRET".into(), e.jwt_secret.clone()),
            ("STDREG_COMPLAINT_KEYS".into(), e.complaint_keys.clone()),
            ("STDREG_DATA_DIR".into(), data_dir.display().to_string()),
            ("STDREG_RUN_WORKERS".into(), "false".into()),
            ("STDREG_DATABASE_POOL_SIZE".into(), "6".into()),
            // Every request comes from 127.0.0.1; the rate-limit test sets its own limit.
            ("STDREG_COMPLAINT_RATE_LIMIT".into(), "1000".into()),
            ("STDREG_LOG_LEVEL".into(), std::env::var("TEST_LOG").unwrap_or_else(|_| "error".into())),
        ];
        customize(&mut vars);
        let settings = Settings::from_sources(&Sources::collect(None, vars).expect("sources")).expect("test settings");
        stdreg::telemetry::init(settings.log_format, &settings.log_level);
        let state = AppState::new(settings).expect("state");
        if state.search.healthy().await {
            state.search.ensure_index(&state.search.declarations_uid()).await.expect("search index");
        }

        let (tx, rx) = std::sync::mpsc::channel();
        let server_state = state.clone();
        let server_thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let app = Application::build(server_state).expect("build app");
                tx.send((app.port(), app.server_handle())).expect("send port");
                let _ = app.run_until_stopped().await;
            });
        });
        let (port, handle) = rx.recv().expect("server started");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            state,
            client,
            db_name,
            index_prefix,
            server: Some(handle),
            server_thread: Some(server_thread),
        }
    }

    pub fn db(&self) -> PgConnection {
        PgConnection::establish(&db_url(&self.db_name)).expect("connect test db")
    }

    /// A count from SQL, for asserting that nothing was written.
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT ({sql})::int8 AS n")).get_result::<N>(&mut self.db()).expect("count").n
    }

    pub async fn raw(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut rb = self.client.request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let res = rb.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let rb = self.raw(reqwest::Method::GET, path, token).await;
        self.send(rb).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        let rb = self.raw(reqwest::Method::POST, path, token).await.json(&body);
        self.send(rb).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        let rb = self.raw(reqwest::Method::PATCH, path, token).await.json(&body);
        self.send(rb).await
    }

    pub async fn put_bytes(&self, path: &str, token: Option<&str>, content_type: &str, body: Vec<u8>) -> Resp {
        let rb = self.raw(reqwest::Method::PUT, path, token).await.header("content-type", content_type).body(body);
        self.send(rb).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        let rb = self.raw(reqwest::Method::DELETE, path, token).await;
        self.send(rb).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let r = self.post("/api/v1/auth/login", None, json!({"email": email, "password": password})).await;
        r.assert_status(200);
        Session {
            token: r.body["access_token"].as_str().expect("token").to_string(),
            refresh_token: r.body["refresh_token"].as_str().expect("refresh").to_string(),
            user_id: r.body["user"]["id"].as_str().expect("id").parse().expect("uuid"),
            email: email.to_string(),
        }
    }

    /// Registers an enterprise in a division and signs its admin in.
    pub async fn enterprise(&self, division: &str) -> TestOrg {
        self.register_org("enterprise", division, None).await
    }

    /// Registers a social organization with a group code and signs its admin in.
    pub async fn social_org(&self, division: &str, group_code: &str) -> TestOrg {
        self.register_org("social_organization", division, Some(group_code)).await
    }

    pub async fn register_org(&self, kind: &str, division: &str, group_code: Option<&str>) -> TestOrg {
        let n = &Uuid::new_v4().simple().to_string()[..8];
        let name = if kind == "enterprise" {
            format!("重庆测试{n}科技有限公司")
        } else {
            format!("重庆市测试{n}协会")
        };
        self.register_named(kind, division, group_code, &name).await
    }

    pub async fn register_named(&self, kind: &str, division: &str, group_code: Option<&str>, name: &str) -> TestOrg {
        let name = name.to_string();
        let prefix = if kind == "enterprise" { "91" } else { "51" };
        let code = uscc(prefix, division);
        let n = &Uuid::new_v4().simple().to_string()[..8];
        let email = format!("admin-{n}@example.cn");
        let mut org =
            json!({"uscc": code, "name": name, "kind": kind, "division_code": division, "industry_code": "C3841"});
        if let Some(g) = group_code {
            org["group_code"] = json!(g);
        }
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"organization": org, "user": {"email": email, "password": PASSWORD, "name": "张三"}}),
            )
            .await;
        r.assert_status(201);
        let admin = self.login(&email, PASSWORD).await;
        TestOrg { id: r.body["organization"]["id"].as_str().expect("id").parse().expect("uuid"), uscc: code, admin }
    }

    /// Creates a staff account directly (as `stdreg admin create-user` does) and signs it in.
    pub async fn staff(&self, role: &str, jurisdiction: Option<&str>) -> Session {
        let n = &Uuid::new_v4().simple().to_string()[..8];
        let email = format!("{role}-{n}@samr.example.cn");
        let input = stdreg::services::accounts::check_staff(&email, PASSWORD, "李监管", role, jurisdiction)
            .expect("valid staff");
        let hash = stdreg::crypto::password::hash(PASSWORD).expect("hash");
        let now = self.state.clock.now();
        stdreg::db::transaction(&self.state.pool, move |conn| {
            stdreg::services::accounts::create_staff(conn, now, &stdreg::audit::AuditActor::system(), &input, &hash)
        })
        .await
        .expect("create staff");
        self.login(&email, PASSWORD).await
    }

    pub async fn sysadmin(&self) -> Session {
        self.staff("sysadmin", None).await
    }

    pub async fn regulator(&self, jurisdiction: &str) -> Session {
        self.staff("regulator", Some(jurisdiction)).await
    }

    /// Applies every pending outbox row to the search index.
    pub async fn drain_outbox(&self) -> usize {
        stdreg::search::sync::drain_all(&self.state.pool, &self.state.search).await.expect("drain outbox")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.server.take();
        let thread = self.server_thread.take();
        let db_name = self.db_name.clone();
        let prefix = self.index_prefix.clone();
        // A fresh client: the state's client pools connections driven by this test's runtime,
        // which is blocked while we wait here.
        let settings = self.state.settings.clone();
        let data_dir = self.state.settings.data_dir.clone();
        let cleanup = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(async {
                    if let Some(h) = handle {
                        h.stop(false).await;
                    }
                    let Ok(search) = stdreg::search::SearchIndex::new(&settings) else {
                        return;
                    };
                    if let Ok(indexes) = search.client.list_all_indexes().await {
                        for index in indexes.results.iter().filter(|i| i.uid.starts_with(&prefix)) {
                            let _ = search.client.delete_index(&index.uid).await;
                        }
                    }
                });
            }
            if let Some(t) = thread {
                let _ = t.join();
            }
            if let Ok(mut admin) = PgConnection::establish(&env().admin_url) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"));
            }
            let _ = std::fs::remove_dir_all(data_dir);
        });
        let _ = cleanup.join();
    }
}

/// A Meilisearch of a test's own, for tests that stop and restart it.
pub struct PrivateMeili {
    pub url: String,
    pub key: String,
    port: u16,
    dir: PathBuf,
    child: Option<std::process::Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

impl PrivateMeili {
    pub async fn start() -> Self {
        let port = free_port();
        let dir = env().tmp.join(format!("meili-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut m = Self {
            url: format!("http://127.0.0.1:{port}"),
            key: format!("k-{}", Uuid::new_v4().simple()),
            port,
            dir,
            child: None,
        };
        m.restart().await;
        m
    }

    pub async fn restart(&mut self) {
        let bin = env().meili_bin.clone().expect("STDREG_MEILI_BIN (set by scripts/stack test)");
        let child = std::process::Command::new(bin)
            .args([
                "--http-addr",
                &format!("127.0.0.1:{}", self.port),
                "--master-key",
                &self.key,
                "--no-analytics",
                "--env",
                "development",
                "--log-level",
                "ERROR",
                "--max-indexing-memory",
                "1GiB",
            ])
            .arg("--db-path")
            .arg(self.dir.join("data.ms"))
            .arg("--dump-dir")
            .arg(self.dir.join("dumps"))
            .arg("--snapshot-dir")
            .arg(self.dir.join("snapshots"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start meilisearch");
        self.child = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{}/health", self.url)).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("private Meilisearch did not start");
    }

    /// Stops it for real (the process is killed).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn vars(&self) -> impl FnOnce(&mut Vec<(String, String)>) + use<> {
        let (url, key) = (self.url.clone(), self.key.clone());
        move |v| {
            v.push(("STDREG_MEILI_URL".into(), url));
            v.push(("STDREG_MEILI_KEY".into(), key));
            v.push(("STDREG_MEILI_TIMEOUT_MS".into(), "500".into()));
        }
    }
}

impl Drop for PrivateMeili {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestApp {
    /// Ids of every document in the search index.
    pub async fn indexed_ids(&self) -> Vec<String> {
        let index = self.state.search.client.index(self.state.search.declarations_uid());
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let mut q = meilisearch_sdk::documents::DocumentsQuery::new(&index);
            q.with_limit(1000).with_offset(offset).with_fields(["id"]);
            let page: meilisearch_sdk::documents::DocumentsResults<Value> = q.execute().await.expect("documents");
            let n = page.results.len();
            ids.extend(page.results.into_iter().filter_map(|d| d["id"].as_str().map(String::from)));
            if n < 1000 {
                break;
            }
            offset += n;
        }
        ids.sort();
        ids
    }

    /// Ids of every published declaration in the database.
    pub fn published_ids(&self) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        let mut ids: Vec<String> =
            diesel::sql_query("SELECT id::text AS id FROM declarations WHERE current_version IS NOT NULL")
                .load::<Id>(&mut self.db())
                .expect("ids")
                .into_iter()
                .map(|r| r.id)
                .collect();
        ids.sort();
        ids
    }

    /// `GET /api/v1/search` with a query string; asserts 200.
    pub async fn search(&self, qs: &str) -> Value {
        let r = self.get(&format!("/api/v1/search?{qs}"), None).await;
        r.assert_status(200);
        r.body
    }
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Search parameters from a query string, as the API parses them.
pub fn search_params(qs: &str) -> stdreg::search::query::SearchParams {
    stdreg::extract::parse_query(qs).expect("valid query string")
}
