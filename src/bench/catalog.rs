//! `stdreg bench-catalog`: the catalogue's two scale targets (issue 21), on the configured database
//! and Meilisearch (use a scratch database: it loads a generated catalogue and writes declarations).
//!
//! 1. Loading a generated catalogue of `rows` rows (GB18030 CSV, the national platform's layout):
//!    parse + check + diff + apply in one transaction; then the same file again (no changes).
//! 2. A status change touching `declarations` public declarations: that many declarations of one
//!    organization cite a standard; a load abolishes it with a replacement; measured are the load's
//!    transaction (notices, outdated marks, outbox, event, audit) and the time from its commit until
//!    Meilisearch answers `outdated=true` with all of them (the outbox drained in this process, as
//!    the worker does).

use std::time::{Duration, Instant};

use serde::Serialize;
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::actor::{Actor, Role};
use crate::domain::declaration::Kind;
use crate::search::query::{FacetSet, SearchParams, SearchRequest};
use crate::services::catalog::{LoadFile, LoadReport};
use crate::services::declarations::bulk::{NewItem, write_new};
use crate::services::declarations::input::{self, DeclarationBody, Product, References, StandardBody};
use crate::state::AppState;

/// The standard the declarations cite, and its replacement.
const CITED: &str = "GB 49999-2020";
const REPLACEMENT: &str = "GB 49999-2026";

#[derive(Serialize, Debug)]
pub struct CatalogBenchReport {
    pub rows: usize,
    pub file_bytes: usize,
    pub load_seconds: f64,
    pub rows_per_second: f64,
    pub added: usize,
    pub changed: usize,
    pub reload_seconds: f64,
    pub reload_changed: usize,
    pub declarations: usize,
    pub write_declarations_seconds: f64,
    pub change_load_seconds: f64,
    pub declarations_marked: usize,
    pub searchable_seconds: f64,
    pub change_total_seconds: f64,
}

async fn load(state: &AppState, name: &str, bytes: Vec<u8>) -> anyhow::Result<(LoadReport, f64)> {
    let files = vec![LoadFile { name: name.to_string(), bytes }];
    let (now, today) = (state.clock.now(), state.clock.today());
    let started = Instant::now();
    let report = crate::db::run(&state.pool, move |conn| {
        crate::services::catalog::load(conn, now, today, &crate::audit::AuditActor::system(), &files, false)
    })
    .await
    .map_err(|e| anyhow::anyhow!("load: {}", e.message))?;
    if !report.refused.is_empty() {
        anyhow::bail!("the generated file was refused: {:?}", &report.refused[..report.refused.len().min(3)]);
    }
    Ok((report, started.elapsed().as_secs_f64()))
}

pub(crate) fn uscc(n: u64) -> String {
    let alphabet = crate::domain::uscc::ALPHABET;
    let mut body: Vec<u8> = b"91500103".to_vec();
    let mut x = n;
    for _ in 0..9 {
        body.push(alphabet[(x % 31) as usize]);
        x /= 31;
    }
    let check = crate::domain::uscc::check_char(&body).unwrap_or('0');
    body.push(check as u8);
    String::from_utf8(body).unwrap_or_default()
}

/// One organization publishing `n` declarations that cite [`CITED`].
async fn write_declarations(state: &AppState, n: usize, seed: u64) -> anyhow::Result<f64> {
    let hash = crate::blocking::run(|| crate::crypto::password::hash("bench-catalog-password")).await?;
    let (org_id, user_id) = (Uuid::now_v7(), Uuid::now_v7());
    let now = state.clock.now();
    let today = state.clock.today();
    let reg = crate::services::accounts::registration::Registration {
        uscc: uscc(seed),
        name: format!("目录基准测试电动车有限公司{seed}"),
        kind: crate::domain::organization::OrgKind::Enterprise,
        division_code: "500103".into(),
        industry_code: None,
        group_code: None,
        address: None,
        contact_phone: None,
        email: format!("bench-catalog-{seed}@example.cn"),
        password: String::new(),
        user_name: "基准测试".into(),
    };
    let started = Instant::now();
    crate::db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            crate::services::accounts::registration::register_many(conn, now, &[(org_id, user_id, reg)], &hash)
        })
    })
    .await
    .map_err(|e| anyhow::anyhow!("register: {}", e.message))?;
    for start in (0..n).step_by(1000) {
        let end = (start + 1000).min(n);
        crate::db::run(&state.pool, move |conn| {
            use diesel::Connection;
            let actor = Actor {
                user_id,
                role: Role::OrgAdmin,
                organization_id: Some(org_id),
                jurisdiction: None,
                api_token_id: None,
            };
            let org = crate::services::declarations::lifecycle::load_org(conn, org_id)?;
            let contents: Vec<input::Content> = (start..end)
                .map(|i| {
                    let body = DeclarationBody {
                        kind: Kind::Product,
                        standard: StandardBody {
                            number: format!("Q/BENCH{seed} {i:05}-2025"),
                            title: "电动自行车用充电器".into(),
                        },
                        products: vec![Product {
                            name: "电动自行车充电器".into(),
                            model: Some(format!("CH-{i}")),
                            spec: None,
                            brand: None,
                            barcode: None,
                            generic_name: None,
                            product_class: None,
                        }],
                        industry_code: None,
                        ics_code: None,
                        ccs_code: None,
                        indicators: vec![input::Indicator {
                            name: "输出电压".into(),
                            value: serde_json::json!(48),
                            unit: Some("V".into()),
                            comparator: Some("=".into()),
                            test_method: None,
                            safety_health_env: true,
                            code: None,
                        }],
                        below_recommended: None,
                        below_recommended_answer: None,
                        summary: None,
                        effective_date: None,
                        full_text_public: false,
                        cited_standards: vec![CITED.into()],
                        applicable_mandatory: Vec::new(),
                    };
                    input::check_body(&body, "", today).map_err(crate::error::ApiError::validation)
                })
                .collect::<Result<_, _>>()?;
            let all: Vec<&input::Content> = contents.iter().collect();
            let refs = References::load(conn, &all)?;
            let warnings: Vec<Vec<input::Warning>> = contents.iter().map(|c| refs.catalog_check(c, "").0).collect();
            let items: Vec<NewItem> = contents
                .iter()
                .zip(&warnings)
                .map(|(c, w)| NewItem { actor: &actor, org: &org, id: Uuid::now_v7(), content: c, warnings: w })
                .collect();
            conn.transaction(|conn| write_new(conn, now, &items, true))
        })
        .await
        .map_err(|e| anyhow::anyhow!("declarations: {}", e.message))?;
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn outdated_total(state: &AppState, uscc: &str) -> anyhow::Result<usize> {
    let params = SearchParams {
        outdated: Some("true".into()),
        uscc: Some(uscc.to_string()),
        per_page: Some("1".into()),
        ..SearchParams::default()
    };
    let mut req = SearchRequest::parse(&params).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    req.facets = FacetSet::None;
    Ok(crate::search::engine::search_meili(&state.search, &req).await?.total)
}

/// Runs both measurements and prints them.
pub async fn run(
    settings: &Settings,
    rows: usize,
    declarations: usize,
    seed: u64,
) -> anyhow::Result<CatalogBenchReport> {
    let state = AppState::new(settings.clone())?;
    state.search.ensure_index(&state.search.declarations_uid()).await?;
    let today = state.clock.today();
    let mut text = crate::seed::catalog::generate(rows.saturating_sub(1), seed, today);
    text.push_str(&format!("{CITED},电动自行车用充电器安全技术要求,,现行,2020-03-01,2021-01-01,,,,K81,29.200,,工业和信息化部,全国自行车标准化技术委员会\n"));
    let (gb, _, _) = encoding_rs::GB18030.encode(&text);
    let bytes = gb.into_owned();
    let file_bytes = bytes.len();
    eprintln!("catalogue: {rows} rows, {file_bytes} bytes (GB18030)");
    let (first, load_seconds) = load(&state, "bench-catalogue.csv", bytes.clone()).await?;
    eprintln!("  load {load_seconds:.2} s: {} added, {} changed", first.added.len(), first.changed.len());
    let (second, reload_seconds) = load(&state, "bench-catalogue.csv", bytes).await?;
    eprintln!("  same file again {reload_seconds:.2} s: {} changed", second.changed.len());

    eprintln!("writing {declarations} public declarations citing {CITED}");
    let write_declarations_seconds = write_declarations(&state, declarations, seed).await?;
    crate::search::sync::drain_all(&state.pool, &state.search).await?;
    let org_uscc = uscc(seed);
    let change = format!(
        "{HEAD}\n{CITED},电动自行车用充电器安全技术要求,,废止,2020-03-01,2021-01-01,{today},,{REPLACEMENT},K81,29.200,,工业和信息化部,全国自行车标准化技术委员会\n\
         {REPLACEMENT},电动自行车用充电器安全技术要求,,现行,{today},{today},,{CITED},,K81,29.200,,工业和信息化部,全国自行车标准化技术委员会\n",
        HEAD = crate::seed::catalog::HEADER
    );
    let started = Instant::now();
    let (report, change_load_seconds) = load(&state, "bench-change.csv", change.into_bytes()).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut searchable = 0;
    while Instant::now() < deadline {
        crate::search::sync::drain_all(&state.pool, &state.search).await?;
        searchable = outdated_total(&state, &org_uscc).await?;
        if searchable >= declarations {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let searchable_seconds = started.elapsed().as_secs_f64() - change_load_seconds;
    if searchable < declarations {
        anyhow::bail!("search shows {searchable} of {declarations} outdated declarations after 600 s");
    }
    let out = CatalogBenchReport {
        rows,
        file_bytes,
        load_seconds,
        rows_per_second: rows as f64 / load_seconds,
        added: first.added.len(),
        changed: first.changed.len(),
        reload_seconds,
        reload_changed: second.changed.len(),
        declarations,
        write_declarations_seconds,
        change_load_seconds,
        declarations_marked: report.declarations_affected,
        searchable_seconds,
        change_total_seconds: started.elapsed().as_secs_f64(),
    };
    Ok(out)
}
