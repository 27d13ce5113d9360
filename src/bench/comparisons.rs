//! `stdreg bench-comparisons`: the two scale targets of issue 23, on the configured database (use a
//! scratch database, migrated: it writes organizations, declarations and a requirements load).
//!
//! 1. The check a publish adds, on a declaration of 500 products (classes A/B/C) and 50 indicators
//!    to which GB 18401-2010, GB 18580-2017 and GB 6566-2010 apply: loading the vocabulary and
//!    requirements it needs, assessing it, the publish checks and keeping the results (flags and 50
//!    indicator rows), each iteration in a transaction rolled back; and, for scale, the median of
//!    whole publishes (create not timed) of such declarations through the service.
//! 2. Recomputing after a requirements load: `declarations` public textile declarations to which
//!    GB 18401-2010 applies; a load changes its class B limit; the queued run is worked off by the
//!    workers' own function (`worker::run_recompute`) while a writer keeps publishing declarations
//!    of another organization. Reported: the recompute's time and rate, and the writer's publish
//!    latency before and during it.

use std::time::{Duration, Instant};

use serde::Serialize;
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::actor::{Actor, Role};
use crate::domain::declaration::Kind;
use crate::services::declarations::bulk::{NewItem, write_new};
use crate::services::declarations::comparisons::{self as cmp, Rules, Subject};
use crate::services::declarations::input::{self, DeclarationBody, Indicator, Product, References, StandardBody};
use crate::services::declarations::lifecycle;
use crate::state::AppState;

#[derive(Serialize, Debug, Default)]
pub struct ComparisonBenchReport {
    pub check_products: usize,
    pub check_indicators: usize,
    pub check_comparisons: usize,
    pub check_iterations: usize,
    pub check_p50_ms: f64,
    pub check_p99_ms: f64,
    pub publish_p50_ms: f64,
    pub declarations: usize,
    pub write_declarations_seconds: f64,
    pub load_seconds: f64,
    pub recompute_seconds: f64,
    pub recompute_per_second: f64,
    pub recompute_changed: i64,
    pub extrapolated_1m_minutes: f64,
    pub writer_baseline_p50_ms: f64,
    pub writer_baseline_p99_ms: f64,
    pub writer_during_p50_ms: f64,
    pub writer_during_p99_ms: f64,
    pub writer_during_max_ms: f64,
    pub writer_published_during: usize,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// A registered organization and its admin as an actor.
async fn organization(state: &AppState, n: u64, name: &str) -> anyhow::Result<Actor> {
    let hash = crate::blocking::run(|| crate::crypto::password::hash("bench-comparisons-password")).await?;
    let (org_id, user_id) = (Uuid::now_v7(), Uuid::now_v7());
    let now = state.clock.now();
    let reg = crate::services::accounts::registration::Registration {
        uscc: super::catalog::uscc(n),
        name: format!("{name}{n}"),
        kind: crate::domain::organization::OrgKind::Enterprise,
        division_code: "500103".into(),
        industry_code: None,
        group_code: None,
        address: None,
        contact_phone: None,
        email: format!("bench-comparisons-{n}@example.cn"),
        password: String::new(),
        user_name: "基准测试".into(),
    };
    crate::db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            crate::services::accounts::registration::register_many(conn, now, &[(org_id, user_id, reg)], &hash)
        })
    })
    .await
    .map_err(|e| anyhow::anyhow!("register: {}", e.message))?;
    Ok(Actor { user_id, role: Role::OrgAdmin, organization_id: Some(org_id), jurisdiction: None, api_token_id: None })
}

fn indicator(name: &str, value: serde_json::Value, unit: &str, comparator: &str) -> Indicator {
    Indicator {
        name: name.into(),
        value,
        unit: (!unit.is_empty()).then(|| unit.to_string()),
        comparator: Some(comparator.into()),
        test_method: None,
        safety_health_env: false,
        code: None,
    }
}

/// A textile declaration: `products` products in turn of `classes`, `indicators` indicators (the
/// four GB 18401 ones first, then the demo generator's indicators, matched or not).
fn textile(number: &str, products: usize, indicators: usize, formaldehyde: f64, classes: &[&str]) -> DeclarationBody {
    let mut inds = vec![
        indicator("甲醛含量", serde_json::json!(formaldehyde), "mg/kg", "<="),
        indicator("pH值", serde_json::json!("4.5~7.0"), "", "range"),
        indicator("异味", serde_json::json!("无"), "", "="),
        indicator("可分解致癌芳香胺染料", serde_json::json!("禁用"), "", "="),
    ];
    let pool: Vec<&crate::seed::vocab::Indicator> =
        crate::seed::vocab::SECTORS.iter().flat_map(|s| s.indicators.iter()).filter(|i| i.comparator != "=").collect();
    let mut k = 0;
    while inds.len() < indicators {
        let i = pool[k % pool.len()];
        let name = if k < pool.len() { i.name.to_string() } else { format!("{}（{}）", i.name, k / pool.len()) };
        inds.push(indicator(&name, serde_json::json!(i.high), i.unit, i.comparator));
        k += 1;
    }
    DeclarationBody {
        kind: Kind::Product,
        standard: StandardBody { number: number.into(), title: "针织服装".into() },
        products: (0..products)
            .map(|i| Product {
                name: "针织T恤".into(),
                model: Some(format!("T-{i}")),
                spec: None,
                brand: None,
                barcode: None,
                generic_name: None,
                product_class: Some(classes[i % classes.len()].into()),
            })
            .collect(),
        industry_code: Some("C1811".into()),
        ics_code: None,
        ccs_code: None,
        indicators: inds,
        below_recommended: None,
        below_recommended_answer: None,
        summary: None,
        effective_date: None,
        full_text_public: false,
        cited_standards: Vec::new(),
        applicable_mandatory: vec!["GB 18401-2010".into(), "GB 18580-2017".into(), "GB 6566-2010".into()],
    }
}

/// Part 1: the check's cost on one large declaration, and whole publishes for scale.
async fn check_cost(state: &AppState, actor: &Actor, iterations: usize) -> anyhow::Result<ComparisonBenchReport> {
    let today = state.clock.today();
    let body = textile("Q/BENCHCMP 0001-2025", 500, 50, 15.0, &["A", "B", "C"]);
    let c = input::check_body(&body, "", today).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let now = state.clock.now();
    let a = actor.clone();
    let (id, comparisons, samples) = crate::db::run(&state.pool, move |conn| {
        use diesel::Connection;
        let view = conn.transaction(|conn| lifecycle::create(conn, now, &a, &c))?;
        let mut samples = Vec::with_capacity(iterations);
        let mut comparisons = 0;
        for _ in 0..iterations {
            let _ = conn.transaction::<(), diesel::result::Error, _>(|conn| {
                let started = Instant::now();
                let subject = Subject::of_content(&c);
                let rules = Rules::load(conn, &[&subject])?;
                let assessment = rules.assess(&subject);
                let (problems, below) = cmp::publish_check(&assessment, &subject, None, "");
                cmp::store(conn, &[(view.id, 1, &assessment)], false)?;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
                comparisons = assessment.indicators.iter().map(|x| x.comparisons.len()).sum::<usize>();
                std::hint::black_box((problems, below));
                Err(diesel::result::Error::RollbackTransaction)
            });
        }
        Ok((view.id, comparisons, samples))
    })
    .await
    .map_err(|e| anyhow::anyhow!("check: {}", e.message))?;
    let samples = sorted(samples);
    let mut publishes = Vec::new();
    for i in 0..20 {
        let body = textile(&format!("Q/BENCHCMP {:04}-2025", i + 2), 500, 50, 15.0, &["A", "B", "C"]);
        let c = input::check_body(&body, "", today).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let a = actor.clone();
        let ms = crate::db::run(&state.pool, move |conn| {
            use diesel::Connection;
            let now = chrono::Utc::now();
            let v = conn.transaction(|conn| lifecycle::create(conn, now, &a, &c))?;
            let started = Instant::now();
            conn.transaction(|conn| lifecycle::publish(conn, now, &a, v.id, true, today))?;
            Ok(started.elapsed().as_secs_f64() * 1000.0)
        })
        .await
        .map_err(|e| anyhow::anyhow!("publish: {}", e.message))?;
        publishes.push(ms);
    }
    let publishes = sorted(publishes);
    eprintln!("  declaration {id}: check p50 {:.2} ms over {iterations}", pct(&samples, 0.5));
    Ok(ComparisonBenchReport {
        check_products: 500,
        check_indicators: 50,
        check_comparisons: comparisons,
        check_iterations: iterations,
        check_p50_ms: pct(&samples, 0.5),
        check_p99_ms: pct(&samples, 0.99),
        publish_p50_ms: pct(&publishes, 0.5),
        ..ComparisonBenchReport::default()
    })
}

/// `n` public textile declarations (3 products, 5 indicators) of one organization, 1000 per write.
async fn write_declarations(state: &AppState, actor: &Actor, n: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let today = state.clock.today();
    for start in (0..n).step_by(1000) {
        let end = (start + 1000).min(n);
        let a = actor.clone();
        let now = state.clock.now();
        crate::db::run(&state.pool, move |conn| {
            use diesel::Connection;
            let org = lifecycle::load_org(conn, a.org_id()?)?;
            let contents: Vec<input::Content> = (start..end)
                .map(|i| {
                    let body = textile(&format!("Q/BENCHRC {i:07}-2025"), 3, 5, 30.0 + (i % 45) as f64, &["B", "C"]);
                    input::check_body(&body, "", today).map_err(crate::error::ApiError::validation)
                })
                .collect::<Result<_, _>>()?;
            let all: Vec<&input::Content> = contents.iter().collect();
            let refs = References::load(conn, &all)?;
            let warnings: Vec<Vec<input::Warning>> = contents.iter().map(|c| refs.catalog_check(c, "").0).collect();
            let items: Vec<NewItem> = contents
                .iter()
                .zip(&warnings)
                .map(|(c, w)| NewItem { actor: &a, org: &org, id: Uuid::now_v7(), content: c, warnings: w })
                .collect();
            conn.transaction(|conn| write_new(conn, now, &items, true))
        })
        .await
        .map_err(|e| anyhow::anyhow!("declarations: {}", e.message))?;
        if end % 10_000 == 0 {
            eprintln!("  {end} written");
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Publishes declarations of `actor` one after another until `stop`, returning each publish's ms.
async fn writer(
    state: AppState,
    actor: Actor,
    first: usize,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<f64> {
    let mut out = Vec::new();
    let mut i = first;
    let today = state.clock.today();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let body = textile(&format!("Q/BENCHWR {i:07}-2025"), 3, 5, 30.0, &["B"]);
        i += 1;
        let Ok(c) = input::check_body(&body, "", today) else { break };
        let a = actor.clone();
        let r = crate::db::run(&state.pool, move |conn| {
            use diesel::Connection;
            let now = chrono::Utc::now();
            let v = conn.transaction(|conn| lifecycle::create(conn, now, &a, &c))?;
            let started = Instant::now();
            conn.transaction(|conn| lifecycle::publish(conn, now, &a, v.id, true, today))?;
            Ok(started.elapsed().as_secs_f64() * 1000.0)
        })
        .await;
        match r {
            Ok(ms) => out.push(ms),
            Err(e) => {
                eprintln!("  writer: {}", e.message);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out
}

fn open_runs(state: &AppState) -> anyhow::Result<i64> {
    use diesel::prelude::*;
    let mut conn = state.pool.get()?;
    Ok(crate::db::schema::comparison_runs::table
        .filter(crate::db::schema::comparison_runs::finished_at.is_null())
        .count()
        .get_result(&mut conn)?)
}

/// Runs both parts.
pub async fn run(settings: &Settings, declarations: usize, seed: u64) -> anyhow::Result<ComparisonBenchReport> {
    let state = AppState::new(settings.clone())?;
    // finish what migrate queued, so the measured run is the load's alone
    while open_runs(&state)? > 0 {
        crate::worker::run_recompute(&state).await?;
    }
    let declarer = organization(&state, seed, "比对基准测试纺织有限公司").await?;
    eprintln!("part 1: the check on 500 products x 50 indicators");
    let mut report = check_cost(&state, &declarer, 200).await?;

    eprintln!("part 2: {declarations} public declarations to recompute");
    report.declarations = declarations;
    report.write_declarations_seconds = write_declarations(&state, &declarer, declarations).await?;
    let other = organization(&state, seed + 1, "比对基准测试写入有限公司").await?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let base = tokio::spawn(writer(state.clone(), other.clone(), 0, stop.clone()));
    tokio::time::sleep(Duration::from_secs(10)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let baseline = sorted(base.await?);
    let file = "standard_no,clause,indicator_zh,indicator_code,applies_to,comparator,min,max,unit,value_text,note\n\
        GB 18401-2010,表1,甲醛含量,formaldehyde_content,A类(婴幼儿用品),<=,,20,mg/kg,,\n\
        GB 18401-2010,表1,甲醛含量,formaldehyde_content,B类(直接接触皮肤的产品),<=,,70,mg/kg,,bench: a stricter class B limit\n\
        GB 18401-2010,表1,甲醛含量,formaldehyde_content,C类(非直接接触皮肤的产品),<=,,300,mg/kg,,\n\
        GB 18401-2010,表1,pH值,ph_value,A类(婴幼儿用品),range,4.0,7.5,,,\n\
        GB 18401-2010,表1,pH值,ph_value,B类(直接接触皮肤的产品),range,4.0,8.5,,,\n\
        GB 18401-2010,表1,pH值,ph_value,C类(非直接接触皮肤的产品),range,4.0,9.0,,,\n\
        GB 18401-2010,表1,异味,odour,,=,,,,无,pass/fail\n\
        GB 18401-2010,表1,可分解致癌芳香胺染料,decomposable_carcinogenic_aromatic_amine_dyes,,=,,,,禁用,pass/fail\n";
    let files =
        vec![crate::services::catalog::LoadFile { name: "bench-gb18401.csv".into(), bytes: file.as_bytes().to_vec() }];
    let started = Instant::now();
    let now = state.clock.now();
    let loaded = crate::db::run(&state.pool, move |conn| {
        crate::services::comparisons::load_requirements(conn, now, &crate::audit::AuditActor::system(), &files, false)
    })
    .await
    .map_err(|e| anyhow::anyhow!("load: {}", e.message))?;
    report.load_seconds = started.elapsed().as_secs_f64();
    if !loaded.applied {
        anyhow::bail!("the requirements load was refused: {:?}", loaded.refused);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let during = tokio::spawn(writer(state.clone(), other, 1_000_000, stop.clone()));
    let started = Instant::now();
    while open_runs(&state)? > 0 {
        crate::worker::run_recompute(&state).await?;
    }
    report.recompute_seconds = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let during = sorted(during.await?);
    report.recompute_changed = {
        use diesel::prelude::*;
        let mut conn = state.pool.get()?;
        crate::db::schema::comparison_runs::table
            .order(crate::db::schema::comparison_runs::id.desc())
            .select(crate::db::schema::comparison_runs::changed)
            .first(&mut conn)?
    };
    report.recompute_per_second = declarations as f64 / report.recompute_seconds;
    report.extrapolated_1m_minutes = 1_000_000.0 / report.recompute_per_second / 60.0;
    report.writer_baseline_p50_ms = pct(&baseline, 0.5);
    report.writer_baseline_p99_ms = pct(&baseline, 0.99);
    report.writer_during_p50_ms = pct(&during, 0.5);
    report.writer_during_p99_ms = pct(&during, 0.99);
    report.writer_during_max_ms = during.last().copied().unwrap_or(0.0);
    report.writer_published_during = during.len();
    crate::search::sync::drain_all(&state.pool, &state.search).await.ok();
    Ok(report)
}
