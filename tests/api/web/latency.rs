//! The search page's cost next to the search API's (docs/benchmarks.md): the page is the same
//! search call plus templating. Ignored by default (it times requests); run with
//! `cargo test --release --test api web::latency -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, enc};

const DECLARATIONS: usize = 2000;
const ROUNDS: usize = 200;

fn p50(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
#[ignore = "a timing measurement for docs/benchmarks.md"]
async fn search_page_costs_the_search_call_plus_templating() {
    let app = TestApp::spawn().await;
    let words = ["锂离子电池", "火锅底料", "电动自行车", "家用电冰箱", "调味品", "智能门锁", "儿童安全座椅", "茶叶"];
    for chunk in 0..DECLARATIONS / 500 {
        let org = app.enterprise(["500103", "500106", "500112", "500113"][chunk % 4]).await;
        let items: Vec<Value> = (0..500)
            .map(|i| {
                let w = words[i % words.len()];
                json!({"kind": "product", "standard": {"number": format!("Q/LT{chunk} {i:04}-2025"), "title": format!("{w}企业标准第{i}号")},
                       "products": [{"name": format!("{w}{i}"), "model": format!("M-{i}")}], "industry_code": "C3841",
                       "indicators": [{"name": "循环寿命", "value": 1000 + i, "unit": "次", "comparator": ">="}]})
            })
            .collect();
        let r = app
            .post("/api/v1/declarations:bulk", Some(&org.admin.token), json!({"declarations": items, "publish": true}))
            .await;
        r.assert_status(200);
    }
    app.drain_outbox().await;
    let queries: Vec<String> = words.iter().map(|w| format!("q={}&division=50", enc(w))).collect();
    // warm up both paths
    for q in &queries {
        app.get(&format!("/api/v1/search?{q}"), None).await.assert_status(200);
        app.get(&format!("/search?{q}"), None).await.assert_status(200);
    }
    let (mut api, mut html) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let q = &queries[i % queries.len()];
        let t = Instant::now();
        app.get(&format!("/api/v1/search?{q}"), None).await.assert_status(200);
        api.push(t.elapsed());
        let t = Instant::now();
        app.get(&format!("/search?{q}"), None).await.assert_status(200);
        html.push(t.elapsed());
    }
    let (a, h) = (p50(api), p50(html));
    println!(
        "search p50 over {ROUNDS} requests on {DECLARATIONS} declarations: API {a:?}, HTML page {h:?}, ratio {:.2}",
        h.as_secs_f64() / a.as_secs_f64()
    );
    assert!(h < a * 3 + Duration::from_millis(10), "the page costs much more than the API call: {h:?} vs {a:?}");
}
