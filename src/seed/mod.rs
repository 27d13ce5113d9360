//! `stdreg seed --demo N [--seed S]`: realistic synthetic organizations and declarations for demos
//! and benchmarks, reproducible from the seed (the same S gives the same organizations, names,
//! numbers, products and indicators). It writes through the same checks and the same bulk writer as
//! the API (`services::declarations::bulk::write_new`), so every invariant holds: audit events, outbox
//! rows, uniqueness. Distributions are documented in docs/seed.md.

pub mod catalog;
pub mod vocab;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Utc};
use diesel::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use crate::db::schema::divisions;
use crate::domain::actor::{Actor, Role};
use crate::domain::declaration::Kind;
use crate::domain::organization::OrgKind;
use crate::services::accounts::{
    self,
    registration::{Registration, RegistrationRaw},
};
use crate::services::declarations::bulk::{NewItem, write_new};
use crate::services::declarations::input::{self, DeclarationBody, Indicator, Product, References, StandardBody};
use crate::services::declarations::lifecycle::{self, OrgInfo};
use crate::state::AppState;
use vocab::{ASSOCIATIONS, NAME_CHARS, SECTORS, Sector, TYPE_MIX};

/// The password of every demo account (printed by the command).
pub const DEMO_PASSWORD: &str = "Demo-stdreg-2026";

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub declarations: usize,
    pub seed: u64,
    pub progress: bool,
    /// Rebuild the search index at the end (faster than draining the outbox one by one).
    pub index: bool,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct SeedReport {
    pub organizations: usize,
    pub social_organizations: usize,
    pub declarations: usize,
    pub revised: usize,
    pub withdrawn: usize,
    pub seconds: f64,
}

struct Org {
    info: OrgInfo,
    user_id: Uuid,
    sector: &'static Sector,
    q_code: String,
    brand: String,
    chongqing: bool,
    declarations: usize,
}

fn uuid_from(rng: &mut ChaCha8Rng) -> Uuid {
    let mut b = [0u8; 16];
    rng.fill(&mut b);
    uuid::Builder::from_random_bytes(b).into_uuid()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= *w;
    }
    &items[0].0
}

/// A count with a long tail: 1 + geometric with the given mean, capped.
fn geometric(rng: &mut ChaCha8Rng, mean: f64, cap: usize) -> usize {
    let p = 1.0 / mean.max(1.0);
    let mut n = 1;
    while n < cap && !rng.random_bool(p) {
        n += 1;
    }
    n
}

fn uscc(rng: &mut ChaCha8Rng, prefix: &str, division: &str) -> String {
    let alphabet = crate::domain::uscc::ALPHABET;
    let mut body: Vec<u8> = format!("{prefix}{division}").into_bytes();
    for _ in 0..9 {
        body.push(alphabet[rng.random_range(0..31)]);
    }
    let check = crate::domain::uscc::check_char(&body).unwrap_or('0');
    body.push(check as u8);
    String::from_utf8(body).unwrap_or_default()
}

fn gtin13(rng: &mut ChaCha8Rng) -> String {
    let mut digits: Vec<u32> = vec![6, 9];
    for _ in 0..10 {
        digits.push(rng.random_range(0..10));
    }
    let sum: u32 = digits.iter().rev().enumerate().map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d }).sum();
    digits.push((10 - sum % 10) % 10);
    digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect()
}

/// Divisions to place organizations in, with weights: Chongqing's districts (the central ones
/// heavier) and counties elsewhere in China.
/// Chongqing's districts with weights, and the other counties.
type Places = (Vec<(String, String, u32)>, Vec<(String, String)>);

fn places(conn: &mut PgConnection) -> QueryResult<Places> {
    let cq: Vec<(String, String)> = divisions::table
        .filter(divisions::parent_code.eq("500000"))
        .select((divisions::code, divisions::name))
        .order(divisions::code)
        .load(conn)?;
    let groups: HashMap<String, String> = crate::db::schema::district_groups::table
        .select((crate::db::schema::district_groups::division_code, crate::db::schema::district_groups::subgroup))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let weighted_cq = cq
        .into_iter()
        .map(|(code, name)| {
            let w = match groups.get(&code).map(String::as_str) {
                Some("中心城区") => 6,
                Some("主城新区") => 3,
                _ => 1,
            };
            (code, name, w)
        })
        .collect();
    let others: Vec<(String, String)> = divisions::table
        .filter(divisions::level.eq("county"))
        .filter(divisions::code.not_like("50%"))
        .select((divisions::code, divisions::name))
        .order(divisions::code)
        .load(conn)?;
    Ok((weighted_cq, others))
}

fn trade_name(rng: &mut ChaCha8Rng) -> String {
    let a = *pick(rng, NAME_CHARS);
    let mut b = *pick(rng, NAME_CHARS);
    while b == a {
        b = *pick(rng, NAME_CHARS);
    }
    format!("{a}{b}")
}

fn q_code(rng: &mut ChaCha8Rng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTWXYZ";
    let n = rng.random_range(3..=5);
    (0..n).map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char).collect()
}

fn indicator_value(rng: &mut ChaCha8Rng, i: &vocab::Indicator) -> serde_json::Value {
    if i.comparator == "=" && i.low == 0.0 && i.high == 0.0 {
        return serde_json::json!(*pick(rng, &["符合要求", "不起火、不爆炸", "无异常", "通过"]));
    }
    if i.comparator == "range" {
        return serde_json::json!(format!("{}~{}", i.low, i.high));
    }
    let v = if i.high > i.low { rng.random_range(i.low..=i.high) } else { i.low };
    let scale = 10f64.powi(i.decimals as i32);
    let v = (v * scale).round() / scale;
    serde_json::Number::from_f64(v).map(serde_json::Value::Number).unwrap_or(serde_json::json!(0))
}

/// One declaration of an organization: (body, whether its type needed a fallback).
fn declaration(
    rng: &mut ChaCha8Rng,
    org: &Org,
    seq: usize,
    year_now: i32,
    associations: &[(String, String)],
) -> DeclarationBody {
    let s = org.sector;
    let product = *pick(rng, s.products);
    let mut wanted = *weighted(rng, TYPE_MIX);
    let nationals: Vec<&(&str, &str)> = s
        .national
        .iter()
        .filter(|(n, _)| match wanted {
            "national_mandatory" => n.starts_with("GB ") && !n.starts_with("GB/"),
            "national_recommended" => n.starts_with("GB/T"),
            _ => false,
        })
        .filter(|(n, _)| n.rsplit('-').next().and_then(|y| y.parse::<i32>().ok()).is_some_and(|y| y <= year_now))
        .collect();
    if (wanted.starts_with("national") && nationals.is_empty()) || (wanted == "local" && !org.chongqing) {
        wanted = "enterprise";
    }
    let year = year_now - (rng.random_range(0..80u32) as f64).sqrt() as i32;
    let (number, title) = match wanted {
        "national_mandatory" | "national_recommended" => {
            let (n, t) = **pick(rng, &nationals);
            (n.to_string(), t.to_string())
        }
        "industry" => {
            let code = *pick(rng, s.sector_codes);
            (format!("{code} {}-{year}", rng.random_range(1000..9999)), product.to_string())
        }
        "group" => {
            let (_, code) = pick(rng, associations);
            (format!("T/{code} {:03}-{year}", rng.random_range(1..400)), format!("{product}团体标准"))
        }
        "local" => (format!("DB50/T {}-{year}", rng.random_range(200..1700)), format!("{product}生产技术规范")),
        _ => {
            let title = match rng.random_range(0..4) {
                0 => product.to_string(),
                1 => format!("{product}技术条件"),
                2 => format!("{product}通用技术要求"),
                _ => format!("{product}企业标准"),
            };
            let number = if rng.random_bool(0.7) {
                format!("Q/{}{:03}-{year}", org.q_code, seq + 1)
            } else {
                format!("Q/{} {} {:03}-{year}", org.info.division_code, org.q_code, seq + 1)
            };
            (number, title)
        }
    };
    let needs_indicators = matches!(wanted, "enterprise" | "group");
    let n_products = geometric(rng, 3.0, 20);
    let products: Vec<Product> = (0..n_products)
        .map(|i| Product {
            name: if i == 0 { product.to_string() } else { pick(rng, s.products).to_string() },
            model: Some(format!(
                "{}-{}{}",
                org.q_code,
                rng.random_range(1..99),
                pick(rng, &["", "A", "B", "S", "Pro", "Max"])
            )),
            spec: rng.random_bool(0.3).then(|| format!("{}型", rng.random_range(10..900))),
            brand: Some(org.brand.clone()),
            barcode: rng.random_bool(0.3).then(|| gtin13(rng)),
            generic_name: None,
            product_class: None,
        })
        .collect();
    let max_ind = s.indicators.len().min(15);
    let n_ind = if needs_indicators {
        rng.random_range(1..=max_ind)
    } else if rng.random_bool(0.3) {
        0
    } else {
        rng.random_range(1..=max_ind.min(5))
    };
    let mut chosen: Vec<usize> = (0..s.indicators.len()).collect();
    for i in 0..chosen.len() {
        let j = rng.random_range(i..chosen.len());
        chosen.swap(i, j);
    }
    let indicators: Vec<Indicator> = chosen[..n_ind]
        .iter()
        .map(|&k| {
            let i = &s.indicators[k];
            Indicator {
                name: i.name.to_string(),
                value: indicator_value(rng, i),
                unit: (!i.unit.is_empty()).then(|| i.unit.to_string()),
                comparator: Some(i.comparator.to_string()),
                test_method: if !s.national.is_empty() && rng.random_bool(0.5) {
                    Some(pick(rng, s.national).0.to_string())
                } else {
                    Some("按本标准附录A规定的方法".to_string())
                },
                safety_health_env: i.safety,
                code: None,
            }
        })
        .collect();
    DeclarationBody {
        kind: if s.service { Kind::Service } else { Kind::Product },
        standard: StandardBody { number, title },
        products,
        industry_code: Some(s.industry.to_string()),
        ics_code: None,
        ccs_code: None,
        indicators,
        below_recommended: (wanted == "national_recommended" && rng.random_bool(0.05))
            .then(|| "部分性能指标低于推荐性国家标准，已在指标中逐项标明并说明理由。".to_string()),
        below_recommended_answer: None,
        summary: Some(format!(
            "本标准规定了{product}的术语和定义、技术要求、试验方法、检验规则以及标志、包装、运输和贮存。"
        )),
        effective_date: None,
        full_text_public: rng.random_bool(0.4),
        cited_standards: Vec::new(),
        applicable_mandatory: Vec::new(),
    }
}

fn actor_of(org: &Org) -> Actor {
    Actor {
        user_id: org.user_id,
        role: Role::OrgAdmin,
        organization_id: Some(org.info.id),
        jurisdiction: None,
        api_token_id: None,
    }
}

fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut PgConnection) -> anyhow::Result<T> + Send + 'static,
) -> impl std::future::Future<Output = anyhow::Result<T>> {
    let pool = state.pool.clone();
    async move {
        crate::blocking::run(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
    }
}

/// Generates and writes the demo data.
pub async fn run(state: &AppState, opts: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = std::time::Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (cq, others) = blocking(state, |conn| Ok(places(conn)?)).await?;
    let hash = crate::blocking::run(|| crate::crypto::password::hash(DEMO_PASSWORD)).await?;
    let now = state.clock.now();
    let history_start: DateTime<Utc> =
        DateTime::parse_from_rfc3339("2021-01-04T02:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(opts.declarations as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} seed {bar:40} {pos}/{len} declarations ({per_sec}, {eta})",
        ) {
            b.set_style(style);
        }
        b
    });

    // Social organizations with their group codes (suffixed when a demo runs several times).
    let run_tag: String = (0..2).map(|_| (b'A' + rng.random_range(0..26u8)) as char).collect();
    let n_assoc = ASSOCIATIONS.len().min((opts.declarations / 300).max(2));
    let associations: Vec<(String, String)> = ASSOCIATIONS[..n_assoc]
        .iter()
        .map(|(name, code)| (format!("{name}（{run_tag}）"), format!("{code}{run_tag}")))
        .collect();

    // Plan the organizations and how many declarations each makes.
    let mut orgs: Vec<Org> = Vec::new();
    let mut planned = 0usize;
    let cq_weighted: Vec<((String, String), u32)> = cq.iter().map(|(c, n, w)| ((c.clone(), n.clone()), *w)).collect();
    let sector_weights: Vec<(usize, u32)> = SECTORS.iter().enumerate().map(|(i, s)| (i, s.weight)).collect();
    let mut used_uscc: HashSet<String> = HashSet::new();
    for (i, (name, code)) in associations.iter().enumerate() {
        let division = "500103".to_string();
        let info = OrgInfo {
            id: uuid_from(&mut rng),
            uscc: uscc(&mut rng, "51", &division),
            name: name.clone(),
            kind: OrgKind::SocialOrganization,
            division_code: division,
            group_code: Some(code.clone()),
        };
        used_uscc.insert(info.uscc.clone());
        let n = geometric(&mut rng, 6.0, 30).min(opts.declarations.saturating_sub(planned).max(1));
        planned += n;
        let sector = &SECTORS[i % SECTORS.len()];
        orgs.push(Org {
            info,
            user_id: uuid_from(&mut rng),
            sector,
            q_code: code.clone(),
            brand: name.clone(),
            chongqing: true,
            declarations: n,
        });
    }
    while planned < opts.declarations {
        let chongqing = rng.random_bool(0.8);
        let (division, place) =
            if chongqing { weighted(&mut rng, &cq_weighted).clone() } else { pick(&mut rng, &others).clone() };
        let sector = &SECTORS[*weighted(&mut rng, &sector_weights)];
        let brand = trade_name(&mut rng);
        let city = if chongqing {
            "重庆".to_string()
        } else {
            place.trim_end_matches(['县', '区', '市', '旗']).chars().take(3).collect()
        };
        let suffix = *weighted(&mut rng, &[("有限公司", 80), ("股份有限公司", 10), ("有限责任公司", 10)]);
        let name = format!("{city}{brand}{}{suffix}", pick(&mut rng, sector.trade));
        let mut code = uscc(&mut rng, "91", &division);
        while !used_uscc.insert(code.clone()) {
            code = uscc(&mut rng, "91", &division);
        }
        let n = geometric(&mut rng, 5.0, 40).min(opts.declarations - planned);
        planned += n;
        orgs.push(Org {
            info: OrgInfo {
                id: uuid_from(&mut rng),
                uscc: code,
                name,
                kind: OrgKind::Enterprise,
                division_code: division,
                group_code: None,
            },
            user_id: uuid_from(&mut rng),
            sector,
            q_code: q_code(&mut rng),
            brand,
            chongqing,
            declarations: n,
        });
    }

    // Write in chunks of organizations, spreading publication dates over the years since 2021.
    let mut report = SeedReport { organizations: orgs.len(), social_organizations: n_assoc, ..Default::default() };
    let chunk_size = 400;
    let chunks: Vec<&[Org]> = orgs.chunks(chunk_size).collect();
    let span = (now - history_start).num_seconds().max(1);
    let mut published: Vec<(Uuid, usize)> = Vec::new();
    let total_orgs = orgs.len().max(1) as i64;
    // Organization i joins (and first declares) at this time: the history runs from 2021 to today.
    let joined = move |i: usize| history_start + Duration::seconds(span * i as i64 / total_orgs);
    for (ci, chunk) in chunks.iter().enumerate() {
        let at = joined(ci * chunk_size);
        let mut regs = Vec::new();
        for o in chunk.iter() {
            let raw = RegistrationRaw {
                uscc: &o.info.uscc,
                name: &o.info.name,
                kind: o.info.kind.as_str(),
                division_code: &o.info.division_code,
                industry_code: Some(o.sector.industry),
                group_code: o.info.group_code.as_deref(),
                address: None,
                contact_phone: None,
                email: &format!("admin@{}.demo.stdreg.cn", o.info.uscc.to_lowercase()),
                password: DEMO_PASSWORD,
                user_name: "演示管理员",
            };
            let reg: Registration = accounts::registration::check_registration(&raw)
                .map_err(|e| anyhow::anyhow!("demo organization {}: {}", o.info.name, e.message))?;
            regs.push((o.info.id, o.user_id, reg));
        }
        let mut contents: Vec<(usize, Uuid, input::Content)> = Vec::new();
        for (oi, o) in chunk.iter().enumerate() {
            let today = (joined(ci * chunk_size + oi) + Duration::hours(8)).date_naive();
            let batch_year = today.year();
            let mut numbers = HashSet::new();
            let mut seq = 0;
            let mut attempts = 0;
            while seq < o.declarations && attempts < o.declarations * 5 {
                attempts += 1;
                let body = if o.info.kind == OrgKind::SocialOrganization {
                    let mut b = declaration(&mut rng, o, seq, batch_year, &associations);
                    b.kind = Kind::Group;
                    b.standard.number =
                        format!("T/{} {:03}-{}", o.q_code, seq + 1, batch_year - rng.random_range(0..5));
                    if b.indicators.is_empty() {
                        b.indicators = declaration(&mut rng, o, seq, batch_year, &associations).indicators;
                    }
                    b
                } else {
                    declaration(&mut rng, o, seq, batch_year, &associations)
                };
                let Ok(c) = input::check_body(&body, "", today) else { continue };
                if !numbers.insert((c.kind.as_str(), c.number.normalized.clone())) {
                    continue;
                }
                contents.push((oi, uuid_from(&mut rng), c));
                seq += 1;
            }
        }
        let chunk_orgs: Vec<(OrgInfo, Actor)> = chunk.iter().map(|o| (o.info.clone(), actor_of(o))).collect();
        let hash = hash.clone();
        let written: Vec<(Uuid, usize)> = blocking(state, move |conn| {
            conn.transaction::<_, anyhow::Error, _>(|conn| {
                accounts::registration::register_many(conn, at, &regs, &hash)
                    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                let all: Vec<&input::Content> = contents.iter().map(|(_, _, c)| c).collect();
                let refs = References::load(conn, &all)?;
                let mut items = Vec::new();
                let mut warnings_store = Vec::new();
                for (oi, id, c) in &contents {
                    let (org, _) = &chunk_orgs[*oi];
                    let mut problems = lifecycle::org_problems(org, c, "");
                    problems.extend(refs.problems(c, ""));
                    let (warnings, blocking) = refs.catalog_check(c, "");
                    if !problems.is_empty() || !blocking.is_empty() {
                        continue;
                    }
                    warnings_store.push((*oi, *id, c, warnings));
                }
                for (oi, id, c, warnings) in &warnings_store {
                    let (org, actor) = &chunk_orgs[*oi];
                    items.push((*oi, NewItem { actor, org, id: *id, content: c, warnings }));
                }
                // One write per organization, at the time it joined, so publication dates spread.
                let mut start = 0;
                while start < items.len() {
                    let oi = items[start].0;
                    let end = items[start..].iter().position(|(o, _)| *o != oi).map_or(items.len(), |p| start + p);
                    let batch: Vec<NewItem<'_>> = items[start..end].iter().map(|(_, it)| NewItem { ..*it }).collect();
                    write_new(conn, joined(ci * chunk_size + oi), &batch, true)
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    start = end;
                }
                Ok(warnings_store.iter().map(|(oi, id, _, _)| (*id, *oi)).collect())
            })
        })
        .await?;
        report.declarations += written.len();
        published.extend(written.into_iter().map(|(id, oi)| (id, ci * chunk_size + oi)));
        if let Some(b) = &bar {
            b.set_position(report.declarations as u64);
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }

    // Some revisions (a new edition or corrected indicators) and some withdrawals.
    let mut revise_ids = Vec::new();
    let mut withdraw_ids = Vec::new();
    for (id, oi) in &published {
        let x: f64 = rng.random();
        if x < 0.05 {
            revise_ids.push((*id, *oi));
        } else if x < 0.07 {
            withdraw_ids.push((*id, *oi));
        }
    }
    let today = state.clock.today();
    for batch in revise_ids.chunks(200) {
        let items: Vec<(Uuid, Actor)> = batch.iter().map(|(id, oi)| (*id, actor_of(&orgs[*oi]))).collect();
        let now = state.clock.now();
        report.revised += blocking(state, move |conn| {
            let mut n = 0;
            for (id, actor) in items {
                let done = conn.transaction::<_, crate::error::ApiError, _>(|conn| {
                    lifecycle::revise(conn, now, &actor, id)?;
                    let patch = input::DeclarationPatch {
                        summary: Some("根据用户反馈修订了技术要求和检验规则。".into()),
                        ..Default::default()
                    };
                    lifecycle::patch(conn, now, &actor, id, patch, today)?;
                    lifecycle::publish(conn, now, &actor, id, true, today)?;
                    Ok(())
                });
                if done.is_ok() {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await?;
    }
    for batch in withdraw_ids.chunks(200) {
        let items: Vec<(Uuid, Actor)> = batch.iter().map(|(id, oi)| (*id, actor_of(&orgs[*oi]))).collect();
        let now = state.clock.now();
        report.withdrawn += blocking(state, move |conn| {
            let mut n = 0;
            for (id, actor) in items {
                let reason = "产品停产，不再执行该标准";
                if conn.transaction(|conn| lifecycle::withdraw(conn, now, &actor, id, reason).map(|_| ())).is_ok() {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await?;
    }

    if opts.index {
        // A full rebuild covers every row the seed queued (all committed before it starts reading):
        // drop those rows first, or the rebuild would replay them into both indexes.
        blocking(state, |conn| {
            use crate::db::schema::outbox;
            let watermark: i64 =
                outbox::table.select(diesel::dsl::max(outbox::id)).first::<Option<i64>>(conn)?.unwrap_or(0);
            Ok(diesel::delete(outbox::table.filter(outbox::id.le(watermark))).execute(conn)?)
        })
        .await?;
        crate::search::reindex::reindex(&state.pool, &state.search, opts.progress).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Declaration bodies as an enterprise of a sector would submit them (benchmarks): reproducible from
/// the seed, unique numbers within the batch.
pub fn demo_bodies(seed: u64, n: usize) -> Vec<DeclarationBody> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let year_now = (Utc::now() + Duration::hours(8)).year();
    let sector_weights: Vec<(usize, u32)> = SECTORS.iter().enumerate().map(|(i, s)| (i, s.weight)).collect();
    let associations = vec![("重庆市标准化协会".to_string(), "CQAS".to_string())];
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    let mut seq = 0;
    while out.len() < n {
        let sector = &SECTORS[*weighted(&mut rng, &sector_weights)];
        let org = Org {
            info: OrgInfo {
                id: Uuid::nil(),
                uscc: String::new(),
                name: String::new(),
                kind: OrgKind::Enterprise,
                division_code: "500103".into(),
                group_code: None,
            },
            user_id: Uuid::nil(),
            sector,
            q_code: format!("BENCH{}", seed % 1000),
            brand: trade_name(&mut rng),
            chongqing: true,
            declarations: 1,
        };
        let mut b = declaration(&mut rng, &org, seq, year_now, &associations);
        seq += 1;
        if !b.standard.number.starts_with("Q/") {
            b.standard.number = format!("Q/BENCH{} {:06}-{year_now}", seed % 1000, seq);
            if b.indicators.is_empty() {
                continue;
            }
        }
        if seen.insert(b.standard.number.clone()) {
            out.push(b);
        }
    }
    out
}
