//! Search: the outbox feeds Meilisearch; Chinese words, synonyms and loosely typed numbers find
//! declarations; filters, facets, sorting and paging; injection; the PostgreSQL fallback; workers
//! racing; reindex under load.

use serde_json::{Value, json};

use crate::declarations::{create, publish};
use crate::helpers::{PrivateMeili, TestApp, TestOrg, enc};

struct Corpus {
    a: TestOrg,
    b: TestOrg,
    d1: String,
    d2: String,
    d3: String,
    d5: String,
    d6: String,
}

fn decl(kind: &str, number: &str, title: &str, products: &[&str], industry: &str, indicators: Value) -> Value {
    json!({
        "kind": kind,
        "standard": {"number": number, "title": title},
        "products": products.iter().map(|p| json!({"name": p})).collect::<Vec<_>>(),
        "industry_code": industry,
        "indicators": indicators,
        "summary": "企业执行标准自我声明"
    })
}

async fn pub_decl(app: &TestApp, org: &TestOrg, body: Value) -> String {
    let d = create(app, org, body).await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(app, org, &id).await;
    id
}

async fn corpus(app: &TestApp) -> Corpus {
    let a = app.register_named("enterprise", "500103", None, "重庆山城动力电池有限公司").await;
    let b = app.register_named("enterprise", "500104", None, "重庆渝网信息安全技术有限公司").await;
    let c = app.register_named("enterprise", "510104", None, "成都锦江标准化服务有限公司").await;
    let ind = json!([{"name": "循环寿命", "value": 1000, "unit": "次", "comparator": ">="}]);
    let d1 = pub_decl(
        app,
        &a,
        decl("product", "GB 17761-2024", "电动自行车安全技术规范", &["电动自行车"], "C3841", json!([])),
    )
    .await;
    let d2 = pub_decl(
        app,
        &a,
        decl("product", "Q/SCDC 001-2025", "电动自行车用锂离子电池", &["锂离子电池组"], "C3841", ind.clone()),
    )
    .await;
    let d3 = pub_decl(
        app,
        &b,
        decl(
            "service",
            "GB/T 22239-2019",
            "信息安全技术 网络安全等级保护基本要求",
            &["等保测评服务"],
            "I6513",
            json!([]),
        ),
    )
    .await;
    // a draft that must never be found
    create(app, &a, decl("product", "Q/SCDC 009-2025", "机密草稿标准", &["未发布产品"], "C3841", ind.clone())).await;
    let d5 = pub_decl(
        app,
        &c,
        decl("product", "DB50/T 1234-2022", "火锅底料生产技术规范", &["牛油火锅底料"], "C1462", json!([])),
    )
    .await;
    let d6 =
        pub_decl(app, &a, decl("product", "Q/SCDC 002-2024", "电动自行车充电器", &["智能充电器"], "C3841", ind)).await;
    app.post(&format!("/api/v1/declarations/{d6}/withdraw"), Some(&a.admin.token), json!({"reason": "产品停产"}))
        .await
        .assert_status(200);
    Corpus { a, b, d1, d2, d3, d5, d6 }
}

fn ids(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|i| i["id"].as_str().expect("id").to_string()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Every expectation on the corpus; run against Meilisearch and against the fallback.
async fn check_corpus(app: &TestApp, c: &Corpus, degraded: bool) {
    let s = |qs: String| async move { app.search(&qs).await };
    let found = |qs: &str| {
        let qs = qs.to_string();
        async move {
            let body = app.search(&qs).await;
            assert_eq!(body["degraded"], degraded, "{qs}");
            ids(&body)
        }
    };
    // Chinese words from titles and product names, synonyms, organization names
    assert!(found(&format!("q={}", enc("锂离子电池"))).await.contains(&c.d2));
    assert!(found(&format!("q={}", enc("锂电池"))).await.contains(&c.d2), "synonym 锂电池 -> 锂离子电池");
    assert!(found(&format!("q={}", enc("电动车"))).await.contains(&c.d1), "synonym 电动车 -> 电动自行车");
    assert_eq!(found(&format!("q={}", enc("等保测评服务"))).await, vec![c.d3.clone()]);
    assert_eq!(
        sorted(found(&format!("q={}", enc("重庆山城动力电池有限公司"))).await),
        sorted(vec![c.d1.clone(), c.d2.clone()])
    );
    assert!(found(&format!("q={}", enc("火锅底料"))).await.contains(&c.d5));
    // loosely typed numbers
    for q in ["17761", "GB17761", "gb 17761—2024", "GB 17761-2024", "ＧＢ１７７６１"] {
        let r = found(&format!("q={}", enc(q))).await;
        assert_eq!(r.first(), Some(&c.d1), "{q} finds GB 17761-2024 first: {r:?}");
    }
    assert_eq!(found(&format!("q={}", enc("22239"))).await.first(), Some(&c.d3));
    assert_eq!(found(&format!("q={}", enc("q/scdc 001－2025"))).await.first(), Some(&c.d2));
    // drafts and withdrawn declarations are not found by default
    assert!(found(&format!("q={}", enc("机密草稿"))).await.is_empty());
    assert!(!found(&format!("q={}", enc("充电器"))).await.contains(&c.d6));
    assert_eq!(found(&format!("q={}&status=withdrawn", enc("充电器"))).await, vec![c.d6.clone()]);

    // filters
    assert_eq!(found("kind=service").await, vec![c.d3.clone()]);
    assert_eq!(found("standard_type=local").await, vec![c.d5.clone()]);
    assert_eq!(
        sorted(found("standard_type=national_mandatory,national_recommended").await),
        sorted(vec![c.d1.clone(), c.d3.clone()])
    );
    assert_eq!(sorted(found("division=50").await), sorted(vec![c.d1.clone(), c.d2.clone(), c.d3.clone()]));
    assert_eq!(sorted(found("division=500000").await), sorted(vec![c.d1.clone(), c.d2.clone(), c.d3.clone()]));
    assert_eq!(sorted(found("division=500103").await), sorted(vec![c.d1.clone(), c.d2.clone()]));
    assert_eq!(found("division=500104").await, vec![c.d3.clone()]);
    assert_eq!(found("division=51").await, vec![c.d5.clone()]);
    assert_eq!(sorted(found("industry=C38").await), sorted(vec![c.d1.clone(), c.d2.clone()]));
    assert_eq!(found("industry=I").await, vec![c.d3.clone()]);
    assert_eq!(
        sorted(found(&format!("uscc={}", c.a.uscc.to_lowercase())).await),
        sorted(vec![c.d1.clone(), c.d2.clone()])
    );
    assert_eq!(found(&format!("uscc={}", c.b.uscc)).await, vec![c.d3.clone()]);
    assert_eq!(found("flagged=true").await, vec![c.d2.clone()]);
    assert_eq!(found("flagged=false").await.len(), 3);
    assert_eq!(found("status=all").await.len(), 5);
    assert!(found("published_to=2000-01-01").await.is_empty());
    assert_eq!(found("published_from=2000-01-01").await.len(), 4);

    // facets, sorting, paging
    let body = s("division=50".into()).await;
    assert_eq!(body["facets"]["kind"]["product"], 2);
    assert_eq!(body["facets"]["kind"]["service"], 1);
    assert_eq!(body["facets"]["standard_type"]["national_mandatory"], 1);
    assert_eq!(body["facets"]["status"]["public"], 3);
    assert_eq!(body["total"], 3);
    let newest = found("sort=published_at:desc").await;
    let oldest = found("sort=published_at:asc").await;
    assert_eq!(newest.len(), 4);
    assert_eq!(newest.first(), Some(&c.d5));
    assert_eq!(oldest.first(), Some(&c.d1));
    let p1 = s("sort=published_at:asc&per_page=3&page=1".into()).await;
    let p2 = s("sort=published_at:asc&per_page=3&page=2".into()).await;
    assert_eq!(p1["total"], 4);
    assert_eq!(p2["total"], 4);
    assert_eq!(ids(&p1).len(), 3);
    assert_eq!(ids(&p2), vec![oldest[3].clone()]);

    // the shape of an item
    let body = s(format!("q={}", enc("锂离子电池"))).await;
    let item = body["items"].as_array().expect("items").iter().find(|i| i["id"] == c.d2.as_str()).expect("d2").clone();
    assert_eq!(item["standard_number"], "Q/SCDC 001-2025");
    assert_eq!(item["standard_type"], "enterprise");
    assert_eq!(item["organization_name"], "重庆山城动力电池有限公司");
    assert_eq!(item["division_code"], "500103");
    assert_eq!(item["products"], json!(["锂离子电池组"]));
    assert_eq!(item["flags"], json!(["under_check"]));
    assert!(item["published_at"].as_str().is_some());
    assert!(item["highlight"]["standard_title"].as_str().is_some_and(|h| h.contains("<em>")), "{item}");
}

/// Raises a supervision flag the way the supervision service does (row, flag, outbox).
fn flag(app: &TestApp, declaration: &str) {
    use diesel::RunQueryDsl;
    let mut conn = app.db();
    for stmt in [
        format!(
            "INSERT INTO flags (id, declaration_id, code, raised_at) VALUES (gen_random_uuid(), '{declaration}', 'under_check', now())"
        ),
        format!("UPDATE declarations SET flagged = true, updated_at = now() WHERE id = '{declaration}'"),
        format!("INSERT INTO outbox (entity_type, entity_id) VALUES ('declaration', '{declaration}')"),
    ] {
        diesel::sql_query(stmt).execute(&mut conn).expect("flag");
    }
}

#[tokio::test]
async fn published_declarations_are_found_by_words_numbers_filters_and_facets() {
    let app = TestApp::spawn().await;
    let c = corpus(&app).await;
    flag(&app, &c.d2);
    assert!(app.drain_outbox().await > 0);
    assert_eq!(app.indexed_ids().await, app.published_ids());
    check_corpus(&app, &c, false).await;

    // a revision supersedes: the index follows the new version
    let path = format!("/api/v1/declarations/{}", c.d2);
    app.post(&format!("{path}/revisions"), Some(&c.a.admin.token), json!({})).await.assert_status(201);
    app.patch(
        &path,
        Some(&c.a.admin.token),
        json!({"standard": {"number": "Q/SCDC 001-2026", "title": "电动自行车用锂离子电池（第二版）"}}),
    )
    .await
    .assert_status(200);
    app.drain_outbox().await;
    // the pending draft is not public yet
    assert!(ids(&app.search(&format!("q={}", enc("Q/SCDC 001-2026"))).await).is_empty());
    publish(&app, &c.a, &c.d2).await;
    app.drain_outbox().await;
    let body = app.search(&format!("q={}", enc("Q/SCDC 001-2026"))).await;
    assert_eq!(ids(&body), vec![c.d2.clone()]);
    assert_eq!(body["items"][0]["version"], 2);
    assert!(ids(&app.search(&format!("q={}", enc("Q/SCDC 001-2025"))).await).is_empty());
    // withdrawal leaves the default results
    app.post(&format!("{path}/withdraw"), Some(&c.a.admin.token), json!({"reason": "停止生产"}))
        .await
        .assert_status(200);
    app.drain_outbox().await;
    assert!(!ids(&app.search(&format!("q={}", enc("锂离子电池"))).await).contains(&c.d2));
    assert_eq!(app.indexed_ids().await, app.published_ids());
}

#[tokio::test]
async fn bad_parameters_never_reach_meilisearch() {
    let app = TestApp::spawn().await;
    for (qs, field) in [
        (format!("division={}", enc(r#"50" OR status = "draft"#)), "division"),
        (format!("kind={}", enc(r#"product"] OR kind IN ["draft"#)), "kind"),
        (format!("status={}", enc("draft")), "status"),
        (format!("uscc={}", enc(r#"x" OR uscc != ""#)), "uscc"),
        (format!("industry={}", enc("C38 OR 1")), "industry"),
        ("flagged=maybe".to_string(), "flagged"),
        ("sort=uscc:asc".to_string(), "sort"),
        ("page=0".to_string(), "page"),
        ("per_page=101".to_string(), "per_page"),
        ("published_from=yesterday".to_string(), "published_from"),
        ("filter=status%3Ddraft".to_string(), "filter"),
        (format!("q={}", enc(&"长".repeat(201))), "q"),
    ] {
        let r = app.get(&format!("/api/v1/search?{qs}"), None).await;
        assert_eq!(r.status, 400, "{qs}: {}", r.text);
        assert_eq!(r.error_fields(), vec![field.to_string()], "{qs}");
    }
}

#[tokio::test]
async fn highlights_are_escaped() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let body = decl(
        "product",
        "Q/XSS 001-2025",
        "<script>alert(1)</script>防护口罩",
        &["<b>口罩</b>"],
        "C3841",
        json!([{"name": "过滤效率", "value": 95, "unit": "%"}]),
    );
    pub_decl(&app, &org, body).await;
    app.drain_outbox().await;
    let r = app.search(&format!("q={}", enc("防护口罩"))).await;
    let h = r["items"][0]["highlight"]["standard_title"].as_str().expect("highlight").to_string();
    assert!(!h.contains("<script>") && h.contains("&lt;script&gt;"), "{h}");
    assert!(h.contains("<em>"), "{h}");
}

#[tokio::test]
async fn two_workers_apply_each_change_once() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let items: Vec<Value> =
        (0..300).map(|i| crate::declarations::q_declaration(&format!("Q/CQW {i:03}-2024"))).collect();
    app.post("/api/v1/declarations:bulk", Some(&org.admin.token), json!({"declarations": items, "publish": true}))
        .await
        .assert_status(200);
    let backlog = app.count("SELECT count(*) FROM outbox") as usize;
    assert_eq!(backlog, 300);
    let worker = |state: stdreg::state::AppState| async move {
        let mut applied = 0;
        loop {
            let n = stdreg::search::sync::drain_once(&state.pool, &state.search, 40).await.expect("batch");
            if n == 0 {
                break;
            }
            applied += n;
        }
        applied
    };
    let (a, b) = tokio::join!(tokio::spawn(worker(app.state.clone())), tokio::spawn(worker(app.state.clone())));
    let (a, b) = (a.expect("worker a"), b.expect("worker b"));
    app.drain_outbox().await;
    assert_eq!(a + b, backlog, "every row applied exactly once ({a} + {b})");
    assert!(a > 0 && b > 0, "both workers took part ({a}, {b})");
    assert_eq!(app.count("SELECT count(*) FROM outbox"), 0);
    assert_eq!(app.indexed_ids().await, app.published_ids());
}

#[tokio::test]
async fn search_degrades_to_postgres_and_catches_up_when_meilisearch_returns() {
    let mut meili = PrivateMeili::start().await;
    let app = TestApp::spawn_with(meili.vars()).await;
    let c = corpus(&app).await;
    flag(&app, &c.d2);
    app.drain_outbox().await;
    check_corpus(&app, &c, false).await;

    // Meilisearch stops (really: the process is killed)
    meili.stop();
    let r = app.get("/readyz", None).await;
    r.assert_status(503);
    assert_eq!(r.body["search"], "unavailable");
    check_corpus(&app, &c, true).await;
    // publishing still works, and is found in degraded mode
    let late = pub_decl(
        &app,
        &c.b,
        decl(
            "service",
            "Q/YW 001-2025",
            "网络安全应急响应服务规范",
            &["应急响应服务"],
            "I6513",
            json!([{"name": "响应时间", "value": 2, "unit": "h", "comparator": "<="}]),
        ),
    )
    .await;
    let body = app.search(&format!("q={}", enc("应急响应"))).await;
    assert_eq!(body["degraded"], true);
    assert_eq!(ids(&body), vec![late.clone()]);
    // the worker fails and keeps the rows, with a backoff
    assert!(stdreg::search::sync::drain_once(&app.state.pool, &app.state.search, 100).await.is_err());
    assert!(app.count("SELECT count(*) FROM outbox WHERE attempts = 1 AND last_error IS NOT NULL") > 0);
    let r = app.get("/readyz", None).await;
    assert!(r.body["outbox_pending"].as_i64().is_some_and(|n| n > 0));

    // Meilisearch returns: the backlog drains and the index equals the database exactly
    meili.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.drain_outbox().await;
    assert_eq!(app.count("SELECT count(*) FROM outbox"), 0);
    assert_eq!(app.indexed_ids().await, app.published_ids());
    let body = app.search(&format!("q={}", enc("应急响应"))).await;
    assert_eq!(body["degraded"], false);
    assert_eq!(ids(&body), vec![late]);
}

#[tokio::test]
async fn settings_drift_is_detected_and_corrected() {
    let app = TestApp::spawn().await;
    let uid = app.state.search.declarations_uid();
    assert!(!app.state.search.ensure_index(&uid).await.expect("ensure"), "fresh index matches");
    let index = app.state.search.client.index(&uid);
    index
        .set_synonyms(&std::collections::HashMap::<String, Vec<String>>::new())
        .await
        .expect("drift")
        .wait_for_completion(&app.state.search.client, None, Some(std::time::Duration::from_secs(60)))
        .await
        .expect("task");
    assert!(app.state.search.ensure_index(&uid).await.expect("ensure"), "drift corrected");
    let synonyms = index.get_synonyms().await.expect("synonyms");
    assert!(synonyms.get("锂电池").is_some_and(|s| s.contains(&"锂离子电池".to_string())));
    assert!(!app.state.search.ensure_index(&uid).await.expect("ensure"));
    // The shipped settings turn facet search and word-pair proximity down (every batch pays for them).
    assert!(!index.get_facet_search().await.expect("facetSearch"));
    assert_eq!(index.get_proximity_precision().await.expect("proximityPrecision"), "byAttribute");
    // facetSearch lives outside the SDK's settings object: its drift is corrected too.
    index
        .set_facet_search(true)
        .await
        .expect("drift")
        .wait_for_completion(&app.state.search.client, None, Some(std::time::Duration::from_secs(60)))
        .await
        .expect("task");
    assert!(app.state.search.ensure_index(&uid).await.expect("ensure"), "facetSearch drift corrected");
    assert!(!index.get_facet_search().await.expect("facetSearch"));
}

#[tokio::test]
async fn reindex_swaps_in_a_fresh_index_while_searches_keep_answering() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let items: Vec<Value> =
        (0..120).map(|i| crate::declarations::q_declaration(&format!("Q/CQR {i:03}-2024"))).collect();
    app.post("/api/v1/declarations:bulk", Some(&org.admin.token), json!({"declarations": items, "publish": true}))
        .await
        .assert_status(200);
    app.drain_outbox().await;
    let before = app.search(&format!("q={}", enc("锂离子蓄电池"))).await["total"].as_u64().expect("total");
    assert_eq!(before, 120);

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let searcher = {
        let stop = stop.clone();
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/search?q={}", app.address, enc("锂离子蓄电池"));
        tokio::spawn(async move {
            let mut answers = 0;
            let mut failures = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let body: Value = r.json().await.unwrap_or_default();
                        if body["total"].as_u64().unwrap_or(0) < 120 || body["degraded"] == true {
                            failures.push(body.to_string());
                        }
                        answers += 1;
                    }
                    other => failures.push(format!("{other:?}")),
                }
            }
            (answers, failures)
        })
    };
    // a change during the reindex must survive it
    let extra = create(&app, &org, crate::declarations::q_declaration("Q/CQR 999-2024")).await;
    let extra_id = extra["id"].as_str().expect("id").to_string();
    let (report, _) =
        tokio::join!(stdreg::search::reindex::reindex(&app.state.pool, &app.state.search, false), async {
            publish(&app, &org, &extra_id).await;
        });
    let report = report.expect("reindex");
    app.drain_outbox().await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (answers, failures) = searcher.await.expect("searcher");
    assert!(answers > 0);
    assert!(
        failures.is_empty(),
        "searches failed or came back short during the reindex: {:?}",
        &failures[..failures.len().min(3)]
    );
    assert!(report.documents >= 120);
    assert_eq!(app.indexed_ids().await, app.published_ids());
    assert_eq!(app.search(&format!("q={}", enc("锂离子蓄电池"))).await["total"], 121);
    // only the live index remains
    let indexes = app.state.search.client.list_all_indexes().await.expect("indexes");
    let ours: Vec<_> =
        indexes.results.iter().filter(|i| i.uid.starts_with(&app.index_prefix)).map(|i| i.uid.clone()).collect();
    assert_eq!(ours, vec![app.state.search.declarations_uid()]);
}
