//! `stdreg bench`: measures, in one run on the configured (seeded) database and search index, each
//! figure of docs/benchmarks.md against its baseline:
//!
//! 1. search through `GET /api/v1/search` vs the same queries sent straight to Meilisearch, at 1, 16
//!    and 64 concurrent clients (p50, p99, requests per second), plus the HTML search page;
//! 2. single writes: create + publish per second with 16 clients, and the lag from publish to
//!    searchable (the outbox row gone, i.e. the worker saw the Meilisearch task succeed);
//! 3. bulk import through `POST /declarations:bulk` until everything is searchable, vs the raw floor:
//!    PostgreSQL `COPY` of the same rows (rolled back) plus Meilisearch NDJSON ingest of the same
//!    documents into the live index (under fresh ids, deleted afterwards), so both paths meet an
//!    index and tables of the same size; the ingest into an empty index is reported for reference;
//! 4. memory: peak RSS of the `stdreg serve` child during each phase.
//!
//! The server runs as a child process (this same binary) so its memory is its own.

pub mod catalog;
pub mod comparisons;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::config::Settings;

/// The glibc setting deploy/ runs the server with: a fixed mmap threshold.
pub const MMAP_TUNABLE: &str = "glibc.malloc.mmap_threshold=131072";
use crate::search::query::{SearchParams, SearchRequest};
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub seconds: u64,
    pub clients: Vec<usize>,
    pub write_clients: usize,
    pub bulk: usize,
}

#[derive(Serialize, Debug, Clone, Default)]
pub struct Latency {
    pub requests: usize,
    pub errors: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub per_second: f64,
}

#[derive(Serialize, Debug, Clone)]
pub struct SearchRow {
    pub clients: usize,
    pub api: Latency,
    pub direct: Latency,
    pub html: Option<Latency>,
    pub p50_ratio: f64,
    pub server_rss_mib: f64,
}

#[derive(Serialize, Debug, Clone, Default)]
pub struct WritesResult {
    pub clients: usize,
    pub published: usize,
    pub errors: usize,
    pub per_second: f64,
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    pub server_rss_mib: f64,
}

#[derive(Serialize, Debug, Clone, Default)]
pub struct BulkResult {
    pub declarations: usize,
    /// Median time of one `POST /declarations:bulk` of 1000 (validation, writes, audit, outbox).
    pub request_p50_ms: f64,
    pub api_seconds: f64,
    pub api_per_second: f64,
    pub copy_seconds: f64,
    /// NDJSON ingest of the same documents into the live index (fresh ids, removed afterwards).
    pub meili_seconds: f64,
    /// The same ingest into an empty index, for reference.
    pub empty_index_seconds: f64,
    pub raw_per_second: f64,
    pub ratio: f64,
}

#[derive(Serialize, Debug, Clone)]
pub struct Report {
    pub date: String,
    pub machine: String,
    pub declarations: i64,
    pub public_declarations: i64,
    pub search: Vec<SearchRow>,
    pub writes: WritesResult,
    pub bulk: BulkResult,
    pub server_peak_rss_mib: f64,
    /// One argon2id hash (m = 19 MiB, t = 2, p = 1) in this build.
    pub argon2_ms: f64,
}

/// The query set: Chinese words, numbers typed loosely, filters and facets.
pub const QUERIES: &[&str] = &[
    "q=%E9%94%82%E7%A6%BB%E5%AD%90%E7%94%B5%E6%B1%A0",
    "q=%E9%94%82%E7%94%B5%E6%B1%A0",
    "q=%E7%81%AB%E9%94%85%E5%BA%95%E6%96%99",
    "q=%E7%94%B5%E5%8A%A8%E8%BD%A6",
    "q=%E6%91%A9%E6%89%98%E8%BD%A6&division=50",
    "q=%E5%AE%B6%E5%85%B7&standard_type=enterprise",
    "q=31241",
    "q=gb31241",
    "q=GB%2031241%E2%80%942022",
    "q=GB%2F%20T%2022239",
    "q=2760",
    "q=%E9%87%8D%E5%BA%86&kind=service",
    "division=500103",
    "division=5001&industry=C38",
    "industry=C1469&sort=published_at:desc",
    "standard_type=national_mandatory&page=2",
    "flagged=false&sort=published_at:asc",
    "q=%E7%A9%BA%E8%B0%83",
    "q=%E4%B9%B3%E7%B2%89",
    "q=LED%E7%AD%92%E7%81%AF",
    "q=%E6%B0%B4%E6%B3%A5%E5%88%B6%E5%93%81&division=500112",
    "q=%E5%AE%89%E5%85%A8%E6%8A%80%E6%9C%AF%E8%A7%84%E8%8C%83",
    "status=all&q=%E5%85%85%E7%94%B5%E5%99%A8",
    "published_from=2024-01-01&published_to=2024-12-31",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn latency(mut ms: Vec<f64>, errors: usize, seconds: f64) -> Latency {
    ms.sort_by(|a, b| a.total_cmp(b));
    Latency {
        requests: ms.len(),
        errors,
        p50_ms: percentile(&ms, 0.5),
        p99_ms: percentile(&ms, 0.99),
        per_second: ms.len() as f64 / seconds,
    }
}

/// Resident memory of a process in MiB (VmRSS), if readable.
pub fn rss_mib(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Samples a process's RSS every 100 ms and keeps the peak.
struct RssWatch {
    peak: Arc<std::sync::Mutex<f64>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl RssWatch {
    fn start(pid: u32) -> Self {
        let peak = Arc::new(std::sync::Mutex::new(0.0f64));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        tokio::spawn(async move {
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                if let (Some(r), Ok(mut g)) = (rss_mib(pid), p.lock())
                    && r > *g
                {
                    *g = r;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self { peak, stop }
    }

    fn finish(self) -> f64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.peak.lock().map(|g| *g).unwrap_or(0.0)
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server() -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(std::env::current_exe()?)
        .arg("serve")
        .env("STDREG_LISTEN", format!("127.0.0.1:{port}"))
        .env("STDREG_RUN_WORKERS", "true")
        .env("STDREG_LOG_LEVEL", "warn")
        .env("STDREG_WORKER_POLL_MS", "50")
        .env("STDREG_COMPLAINT_RATE_LIMIT", "100000")
        // as deploy/ runs it (see docs/decisions.md, "Two malloc arenas")
        .env("MALLOC_ARENA_MAX", std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "2".into()))
        // and a fixed mmap threshold ("Argon2's memory goes back to the system")
        .env("GLIBC_TUNABLES", std::env::var("GLIBC_TUNABLES").unwrap_or_else(|_| MMAP_TUNABLE.into()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("stdreg serve did not start")
}

/// The body Meilisearch receives for a search (what the API sends), for direct requests.
fn direct_body(qs: &str) -> anyhow::Result<serde_json::Value> {
    let params: SearchParams = crate::extract::parse_query(qs).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let req = SearchRequest::parse(&params).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(crate::search::engine::meili_body(&req))
}

/// Runs `clients` loops for `seconds`, each sending requests from `make`.
type MakeRequest = Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>;

/// Successful request latencies (ms) and the error count of `clients` loops over `duration`.
async fn load_samples(clients: usize, duration: Duration, make: MakeRequest) -> (Vec<f64>, usize) {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            let mut errors = 0;
            let mut i = c;
            while Instant::now() < deadline {
                let t = Instant::now();
                match make(i).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => errors += 1,
                }
                i += clients;
            }
            (ms, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((ms, e)) = t.await {
            all.extend(ms);
            errors += e;
        }
    }
    (all, errors)
}

async fn load(clients: usize, seconds: u64, make: MakeRequest) -> Latency {
    let (ms, errors) = load_samples(clients, Duration::from_secs(seconds), make).await;
    latency(ms, errors, seconds as f64)
}

/// Loads several paths in turns of `seconds / ROUNDS` each, so that drift on a shared machine
/// (another process, Meilisearch merging in the background) weighs on every path alike.
async fn alternate(clients: usize, seconds: u64, paths: &[MakeRequest]) -> Vec<Latency> {
    const ROUNDS: u32 = 5;
    let turn = Duration::from_secs(seconds) / ROUNDS;
    let mut samples: Vec<(Vec<f64>, usize)> = vec![(Vec::new(), 0); paths.len()];
    for _ in 0..ROUNDS {
        for (path, acc) in paths.iter().zip(samples.iter_mut()) {
            let (ms, errors) = load_samples(clients, turn, path.clone()).await;
            acc.0.extend(ms);
            acc.1 += errors;
        }
    }
    samples.into_iter().map(|(ms, errors)| latency(ms, errors, seconds as f64)).collect()
}

async fn search_phase(
    settings: &Settings,
    state: &AppState,
    server: &Server,
    opts: &BenchOptions,
) -> anyhow::Result<Vec<SearchRow>> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let bodies: Vec<serde_json::Value> = QUERIES.iter().map(|q| direct_body(q)).collect::<anyhow::Result<_>>()?;
    let meili_url = format!(
        "{}/indexes/{}/search",
        settings.meili_url.as_str().trim_end_matches('/'),
        state.search.declarations_uid()
    );
    let key =
        settings.meili_key.as_ref().map(|k| secrecy::ExposeSecret::expose_secret(k).to_string()).unwrap_or_default();
    let mut rows = Vec::new();
    for &clients in &opts.clients {
        // warm both paths
        for (i, q) in QUERIES.iter().enumerate() {
            let _ = client.get(format!("{}/api/v1/search?{q}", server.base)).send().await;
            let _ = client.post(&meili_url).bearer_auth(&key).json(&bodies[i]).send().await;
        }
        let watch = RssWatch::start(server.child.id());
        let (c1, url, k1, b1) = (client.clone(), meili_url.clone(), key.clone(), bodies.clone());
        let direct: MakeRequest = Arc::new(move |i| c1.post(&url).bearer_auth(&k1).json(&b1[i % b1.len()]));
        let (c2, base) = (client.clone(), server.base.clone());
        let api: MakeRequest =
            Arc::new(move |i| c2.get(format!("{base}/api/v1/search?{}", QUERIES[i % QUERIES.len()])));
        let mut measured = alternate(clients, opts.seconds, &[direct, api]).await.into_iter();
        let (direct, api) = (measured.next().unwrap_or_default(), measured.next().unwrap_or_default());
        let html = if clients == 16 {
            let (c3, base) = (client.clone(), server.base.clone());
            let probe = c3.get(format!("{base}/search?{}", QUERIES[0])).send().await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                let page: MakeRequest =
                    Arc::new(move |i| c3.get(format!("{base}/search?{}", QUERIES[i % QUERIES.len()])));
                Some(load(clients, opts.seconds, page).await)
            } else {
                None
            }
        } else {
            None
        };
        let rss = watch.finish();
        let p50_ratio = if direct.p50_ms > 0.0 { api.p50_ms / direct.p50_ms } else { 0.0 };
        rows.push(SearchRow { clients, api, direct, html, p50_ratio, server_rss_mib: rss });
    }
    Ok(rows)
}

async fn register(client: &reqwest::Client, base: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::new();
    for i in 0..n {
        let uscc = {
            let alphabet = crate::domain::uscc::ALPHABET;
            let mut body: Vec<u8> = b"91500103".to_vec();
            for b in Uuid::new_v4().as_bytes().iter().take(9) {
                body.push(alphabet[*b as usize % 31]);
            }
            let c = crate::domain::uscc::check_char(&body).unwrap_or('0');
            body.push(c as u8);
            String::from_utf8(body)?
        };
        let email = format!("bench-{}-{i}@bench.stdreg.cn", Uuid::new_v4().simple());
        let r = client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({"organization": {"uscc": uscc, "name": format!("重庆压测{i}科技有限公司"), "kind": "enterprise", "division_code": "500103", "industry_code": "C3841"},
                          "user": {"email": email, "password": "Bench-password-2026", "name": "压测"}}))
            .send()
            .await?;
        if !r.status().is_success() {
            anyhow::bail!("registering a bench organization failed: {}", r.text().await.unwrap_or_default());
        }
        let r: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": "Bench-password-2026"}))
            .send()
            .await?
            .json()
            .await?;
        tokens.push(r["access_token"].as_str().unwrap_or_default().to_string());
    }
    Ok(tokens)
}

/// Which of `ids` still have an outbox row (not yet confirmed searchable). The outbox holds only
/// changes in flight, so reading it whole is cheaper than matching thousands of ids against it
/// (`entity_id = ANY(...)` over an unindexed column took 54 ms a check at 1M declarations).
fn pending(state: &AppState, ids: Vec<Uuid>) -> anyhow::Result<Vec<Uuid>> {
    use crate::db::schema::outbox;
    let mut conn = state.pool.get()?;
    let queued: std::collections::HashSet<Uuid> =
        outbox::table.select(outbox::entity_id).load::<Uuid>(&mut conn)?.into_iter().collect();
    Ok(ids.into_iter().filter(|id| queued.contains(id)).collect())
}

async fn writes_phase(state: &AppState, server: &Server, opts: &BenchOptions) -> anyhow::Result<WritesResult> {
    let client = reqwest::Client::new();
    let tokens = register(&client, &server.base, opts.write_clients).await?;
    let bodies = Arc::new(crate::seed::demo_bodies(0x5743, 20_000));
    let acked: Arc<Mutex<HashMap<Uuid, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let searchable: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // the watcher: when a published declaration has no outbox row left, it is searchable
    let watcher = {
        let (acked, searchable, stop, st) = (acked.clone(), searchable.clone(), stop.clone(), state.clone());
        tokio::spawn(async move {
            loop {
                let ids: Vec<Uuid> = acked.lock().await.keys().copied().collect();
                if ids.is_empty() && stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if !ids.is_empty() {
                    let st2 = st.clone();
                    let waiting = crate::blocking::run(move || pending(&st2, ids)).await.ok();
                    if let Some(waiting) = waiting {
                        let waiting: std::collections::HashSet<Uuid> = waiting.into_iter().collect();
                        let mut a = acked.lock().await;
                        let done: Vec<Uuid> = a.keys().filter(|id| !waiting.contains(id)).copied().collect();
                        let mut s = searchable.lock().await;
                        for id in done {
                            if let Some(t) = a.remove(&id) {
                                s.push(t.elapsed().as_secs_f64() * 1000.0);
                            }
                        }
                    }
                }
                // 100 ms resolution: enough against a 2 s target, and the check (a query on the
                // outbox) then costs the database little next to the writes it measures
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let watch = RssWatch::start(server.child.id());
    let deadline = Instant::now() + Duration::from_secs(opts.seconds);
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for token in tokens {
        let (client, base, bodies, acked, counter) =
            (client.clone(), server.base.clone(), bodies.clone(), acked.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors) = (0usize, 0usize);
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let created =
                    client.post(format!("{base}/api/v1/declarations")).bearer_auth(&token).json(body).send().await;
                let id = match created {
                    Ok(r) if r.status().is_success() => r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|v| v["id"].as_str().and_then(|s| s.parse::<Uuid>().ok())),
                    _ => None,
                };
                let Some(id) = id else {
                    errors += 1;
                    continue;
                };
                let published = client
                    .post(format!("{base}/api/v1/declarations/{id}/publish"))
                    .bearer_auth(&token)
                    .json(&json!({"commitment": true}))
                    .send()
                    .await;
                if published.is_ok_and(|r| r.status().is_success()) {
                    acked.lock().await.insert(id, Instant::now());
                    ok += 1;
                } else {
                    errors += 1;
                }
            }
            (ok, errors)
        }));
    }
    let (mut published, mut errors) = (0, 0);
    for t in tasks {
        if let Ok((o, e)) = t.await {
            published += o;
            errors += e;
        }
    }
    let elapsed = opts.seconds as f64;
    // let the index catch up (at most 60 s), then stop the watcher
    let until = Instant::now() + Duration::from_secs(60);
    while !acked.lock().await.is_empty() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    acked.lock().await.clear();
    let _ = watcher.await;
    let rss = watch.finish();
    let mut lags = searchable.lock().await.clone();
    lags.sort_by(|a, b| a.total_cmp(b));
    Ok(WritesResult {
        clients: opts.write_clients,
        published,
        errors,
        per_second: published as f64 / elapsed,
        lag_p50_ms: percentile(&lags, 0.5),
        lag_p99_ms: percentile(&lags, 0.99),
        lag_max_ms: lags.last().copied().unwrap_or(0.0),
        server_rss_mib: rss,
    })
}

async fn bulk_phase(
    settings: &Settings,
    state: &AppState,
    server: &Server,
    opts: &BenchOptions,
) -> anyhow::Result<BulkResult> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let per_request = 1000;
    let n_orgs = opts.bulk.div_ceil(per_request).max(1);
    let tokens = register(&client, &server.base, n_orgs).await?;
    let bodies = crate::seed::demo_bodies(0xB01C, opts.bulk);
    let chunks: Vec<Vec<crate::services::declarations::input::DeclarationBody>> =
        bodies.chunks(per_request).map(<[_]>::to_vec).collect();

    // 1. through the API, two clients, until every declaration is searchable
    let started = Instant::now();
    let ids: Arc<Mutex<Vec<Uuid>>> = Arc::new(Mutex::new(Vec::new()));
    let request_ms: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
    type Work = Vec<(usize, Vec<crate::services::declarations::input::DeclarationBody>)>;
    let work: Arc<Mutex<Work>> = Arc::new(Mutex::new(chunks.into_iter().enumerate().collect()));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (client, base, tokens, ids, work, request_ms) =
            (client.clone(), server.base.clone(), tokens.clone(), ids.clone(), work.clone(), request_ms.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((i, chunk)) = work.lock().await.pop() else { break };
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/declarations:bulk"))
                    .bearer_auth(&tokens[i % tokens.len()])
                    .json(&json!({"declarations": chunk, "publish": true}))
                    .send()
                    .await;
                if let Ok(r) = r
                    && let Ok(v) = r.json::<serde_json::Value>().await
                {
                    request_ms.lock().await.push(t.elapsed().as_secs_f64() * 1000.0);
                    let mut got = ids.lock().await;
                    for item in v["results"].as_array().into_iter().flatten() {
                        if let Some(id) = item["id"].as_str().and_then(|s| s.parse::<Uuid>().ok()) {
                            got.push(id);
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let created = ids.lock().await.clone();
    loop {
        let st = state.clone();
        let ids = created.clone();
        let waiting = crate::blocking::run(move || pending(&st, ids)).await?;
        if waiting.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let api_seconds = started.elapsed().as_secs_f64();

    // 2. the raw floor: COPY of the same rows (rolled back) + NDJSON ingest of the same documents
    //    (the tables and the index at their full size, as the API path meets them)
    let st = state.clone();
    let ids_for_copy = created.clone();
    let copy_seconds = crate::blocking::run(move || -> anyhow::Result<f64> {
        use crate::db::schema::{declaration_versions, declarations};
        let mut conn = st.pool.get()?;
        let decls: Vec<crate::services::declarations::DeclarationRow> = declarations::table
            .filter(declarations::id.eq_any(&ids_for_copy))
            .select(crate::services::declarations::DeclarationRow::as_select())
            .load(&mut conn)?;
        let versions: Vec<crate::services::declarations::VersionRow> = declaration_versions::table
            .filter(declaration_versions::declaration_id.eq_any(&ids_for_copy))
            .select(crate::services::declarations::VersionRow::as_select())
            .load(&mut conn)?;
        let fresh: HashMap<Uuid, Uuid> = decls.iter().map(|d| (d.id, Uuid::new_v4())).collect();
        let d_rows: Vec<_> = decls
            .iter()
            .map(|d| crate::services::declarations::lifecycle::NewDeclaration {
                id: fresh[&d.id],
                organization_id: d.organization_id,
                kind: d.kind,
                status: crate::domain::declaration::Status::Public,
                current_version: d.current_version,
                draft_version: None,
                latest_version: d.latest_version,
                standard_number: format!("{} COPY", d.standard_number),
                standard_type: d.standard_type,
                standard_title: d.standard_title.clone(),
                industry_code: d.industry_code.clone(),
                division_code: d.division_code.clone(),
                first_published_at: d.first_published_at,
                published_at: d.published_at,
                search_text: String::new(),
                created_at: d.created_at,
                updated_at: d.updated_at,
                standard_refs: vec![Some(format!("{} COPY", d.standard_number))],
            })
            .collect();
        let v_rows: Vec<_> = versions
            .iter()
            .map(|v| crate::services::declarations::lifecycle::NewVersion {
                id: Uuid::new_v4(),
                declaration_id: fresh[&v.declaration_id],
                version: v.version,
                status: crate::domain::declaration::VersionStatus::Public,
                standard_number_raw: v.standard_number_raw.clone(),
                standard_number: v.standard_number.clone(),
                standard_type: v.standard_type,
                standard_title: v.standard_title.clone(),
                products: v.products.clone(),
                indicators: v.indicators.clone(),
                industry_code: v.industry_code.clone(),
                ics_code: v.ics_code.clone(),
                ccs_code: v.ccs_code.clone(),
                below_recommended: v.below_recommended.clone(),
                below_recommended_answer: crate::domain::declaration::BelowRecommended::parse(
                    &v.below_recommended_answer,
                )
                .unwrap_or_default()
                .as_str(),
                summary: v.summary.clone(),
                effective_date: v.effective_date,
                full_text_public: v.full_text_public,
                warnings: v.warnings.clone(),
                commitment: true,
                created_by: v.created_by,
                created_at: v.created_at,
                updated_at: v.updated_at,
                published_at: v.published_at,
                published_by: v.published_by,
                cited_standards: v.cited_standards.clone(),
                applicable_mandatory: v.applicable_mandatory.clone(),
            })
            .collect();
        // the same search text (its trigram index is part of the raw work too)
        let texts: HashMap<Uuid, String> = declarations::table
            .filter(declarations::id.eq_any(&ids_for_copy))
            .select((declarations::id, declarations::search_text))
            .load::<(Uuid, String)>(&mut conn)?
            .into_iter()
            .collect();
        let mut d_rows = d_rows;
        for (row, d) in d_rows.iter_mut().zip(&decls) {
            row.search_text = texts.get(&d.id).cloned().unwrap_or_default();
        }
        let started = Instant::now();
        conn.transaction::<(), anyhow::Error, _>(|conn| {
            diesel::copy_from(declarations::table).from_insertable(&d_rows).execute(conn)?;
            diesel::copy_from(declaration_versions::table).from_insertable(&v_rows).execute(conn)?;
            Err(anyhow::anyhow!("rollback"))
        })
        .ok();
        Ok(started.elapsed().as_secs_f64())
    })
    .await?;

    let st = state.clone();
    let docs = crate::blocking::run(move || -> anyhow::Result<Vec<crate::search::documents::DeclarationDoc>> {
        let mut conn = st.pool.get()?;
        Ok(crate::search::documents::load(&mut conn, &created)?)
    })
    .await?;
    let key =
        settings.meili_key.as_ref().map(|k| secrecy::ExposeSecret::expose_secret(k).to_string()).unwrap_or_default();
    let base = settings.meili_url.as_str().trim_end_matches('/').to_string();
    let meili = RawMeili { client: &client, base: &base, key: &key };
    // The floor is ingest into an index of the same size: the live one, the same documents under
    // fresh ids, removed again afterwards (Meilisearch's cost per batch grows with the index).
    let mut fresh_docs = docs.clone();
    for d in &mut fresh_docs {
        d.id = Uuid::new_v4();
    }
    let live = state.search.declarations_uid();
    let meili_seconds = meili.ingest(&live, &fresh_docs).await?;
    let fresh_ids: Vec<String> = fresh_docs.iter().map(|d| d.id.to_string()).collect();
    meili.delete(&live, &fresh_ids).await?;
    // For reference: the same ingest into an empty index.
    let scratch = format!("{}bench_raw_{}", settings.meili_index_prefix, Uuid::new_v4().simple());
    state.search.ensure_index(&scratch).await?;
    let empty_index_seconds = meili.ingest(&scratch, &docs).await?;
    let _ = state.search.client.delete_index(&scratch).await;
    let n = docs.len();
    let raw_per_second = n as f64 / (copy_seconds + meili_seconds);
    let api_per_second = n as f64 / api_seconds;
    let mut req_ms = request_ms.lock().await.clone();
    req_ms.sort_by(|a, b| a.total_cmp(b));
    Ok(BulkResult {
        declarations: n,
        request_p50_ms: percentile(&req_ms, 0.5),
        api_seconds,
        api_per_second,
        copy_seconds,
        meili_seconds,
        empty_index_seconds,
        raw_per_second,
        ratio: api_per_second / raw_per_second,
    })
}

/// Meilisearch spoken to directly, for the raw floor.
struct RawMeili<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
    key: &'a str,
}

impl RawMeili<'_> {
    /// Sends the documents as one NDJSON body and waits for the task: seconds from send to done.
    async fn ingest(&self, index: &str, docs: &[crate::search::documents::DeclarationDoc]) -> anyhow::Result<f64> {
        let mut ndjson = Vec::new();
        for d in docs {
            serde_json::to_writer(&mut ndjson, d)?;
            ndjson.push(b'\n');
        }
        let started = Instant::now();
        let task: serde_json::Value = self
            .client
            .post(format!("{}/indexes/{index}/documents?primaryKey=id", self.base))
            .bearer_auth(self.key)
            .header("content-type", "application/x-ndjson")
            .body(ndjson)
            .send()
            .await?
            .json()
            .await?;
        self.wait(&task).await?;
        Ok(started.elapsed().as_secs_f64())
    }

    /// Deletes documents by id and waits.
    async fn delete(&self, index: &str, ids: &[String]) -> anyhow::Result<()> {
        let task: serde_json::Value = self
            .client
            .post(format!("{}/indexes/{index}/documents/delete-batch", self.base))
            .bearer_auth(self.key)
            .json(ids)
            .send()
            .await?
            .json()
            .await?;
        self.wait(&task).await
    }

    async fn wait(&self, task: &serde_json::Value) -> anyhow::Result<()> {
        let uid = task["taskUid"].as_u64().ok_or_else(|| anyhow::anyhow!("Meilisearch refused: {task}"))?;
        loop {
            let t: serde_json::Value = self
                .client
                .get(format!("{}/tasks/{uid}", self.base))
                .bearer_auth(self.key)
                .send()
                .await?
                .json()
                .await?;
            match t["status"].as_str() {
                Some("succeeded") => return Ok(()),
                Some("failed") | Some("canceled") => anyhow::bail!("raw Meilisearch task failed: {t}"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(usize::from).unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    format!("{cpus} CPUs ({model}), {mem:.0} GiB RAM")
}

/// Runs every phase and returns the report.
pub async fn run(settings: &Settings, opts: &BenchOptions) -> anyhow::Result<Report> {
    let state = AppState::new(settings.clone())?;
    let (declarations, public_declarations) = crate::blocking::run({
        let st = state.clone();
        move || -> anyhow::Result<(i64, i64)> {
            use crate::db::schema::declarations::dsl;
            let mut conn = st.pool.get()?;
            let all: i64 = dsl::declarations.count().get_result(&mut conn)?;
            let public: i64 = dsl::declarations
                .filter(dsl::status.eq(crate::domain::declaration::Status::Public))
                .count()
                .get_result(&mut conn)?;
            Ok((all, public))
        }
    })
    .await?;
    let server = start_server().await?;
    let server_pid = server.child.id();
    eprintln!("bench: {declarations} declarations; server pid {server_pid}; search phase");
    let search = search_phase(settings, &state, &server, opts).await?;
    eprintln!("bench: single writes");
    let writes = writes_phase(&state, &server, opts).await?;
    eprintln!("bench: bulk import of {}", opts.bulk);
    let bulk = bulk_phase(settings, &state, &server, opts).await?;
    let peak = std::fs::read_to_string(format!("/proc/{server_pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0);
    drop(server);
    let started = Instant::now();
    for i in 0..5 {
        crate::crypto::password::hash(&format!("benchmark-password-{i}"))?;
    }
    let argon2_ms = started.elapsed().as_secs_f64() * 1000.0 / 5.0;
    Ok(Report {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: machine(),
        declarations,
        public_declarations,
        search,
        writes,
        bulk,
        server_peak_rss_mib: peak,
        argon2_ms,
    })
}

/// The report as Markdown tables for docs/benchmarks.md.
pub fn markdown(r: &Report) -> String {
    let mut s = format!(
        "### {} declarations ({} public) — {}, {}\n\n",
        r.declarations, r.public_declarations, r.date, r.machine
    );
    s.push_str("| search, clients | API p50 ms | direct p50 ms | p50 ratio | API p99 ms | direct p99 ms | API req/s | direct req/s | serve RSS MiB |\n|---|---|---|---|---|---|---|---|---|\n");
    for row in &r.search {
        s.push_str(&format!(
            "| {} | {:.2} | {:.2} | **{:.2}×** | {:.2} | {:.2} | {:.0} | {:.0} | {:.0} |\n",
            row.clients,
            row.api.p50_ms,
            row.direct.p50_ms,
            row.p50_ratio,
            row.api.p99_ms,
            row.direct.p99_ms,
            row.api.per_second,
            row.direct.per_second,
            row.server_rss_mib
        ));
    }
    if let Some(h) = r.search.iter().find_map(|row| row.html.as_ref().map(|h| (row.clients, h))) {
        s.push_str(&format!(
            "\nHTML `/search` at {} clients: p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s.\n",
            h.0, h.1.p50_ms, h.1.p99_ms, h.1.per_second
        ));
    }
    let w = &r.writes;
    s.push_str(&format!(
        "\nSingle writes ({} clients, create + publish): **{:.0} declarations/s** ({} published, {} errors); publish → searchable lag p50 {:.0} ms, **p99 {:.0} ms**, max {:.0} ms; serve RSS {:.0} MiB.\n",
        w.clients, w.per_second, w.published, w.errors, w.lag_p50_ms, w.lag_p99_ms, w.lag_max_ms, w.server_rss_mib
    ));
    let b = &r.bulk;
    s.push_str(&format!(
        "\nBulk import of {} declarations through the API until searchable: {:.1} s = **{:.0}/s**; raw floor (COPY {:.2} s + Meilisearch NDJSON into the live index {:.2} s) = {:.0}/s; **ratio {:.0}%** (NDJSON into an empty index: {:.2} s). One request of 1000 takes {:.0} ms (median).\n",
        b.declarations, b.api_seconds, b.api_per_second, b.copy_seconds, b.meili_seconds, b.raw_per_second, b.ratio * 100.0, b.empty_index_seconds, b.request_p50_ms
    ));
    s.push_str(&format!(
        "\nPeak RSS of `stdreg serve` over the whole run: **{:.0} MiB**. One argon2id hash: {:.0} ms.\n",
        r.server_peak_rss_mib, r.argon2_ms
    ));
    s
}
