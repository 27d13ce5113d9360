//! Comparisons in headless Chromium (issue 23): the declaration form suggests canonical indicators
//! as the declarant types a name (a choice fills the code and the unit) and offers the product
//! classes of the standards that apply; the public page shows each result in words and the badge.
//! Screenshots: `target/screenshots/comparisons-*.png`.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use super::browser::Browser;
use crate::declarations::{create, publish};
use crate::helpers::{PASSWORD, TestApp};

async fn value(b: &Browser, css: &str) -> String {
    let el = b.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css}: {e}"));
    el.prop("value").await.expect("value").unwrap_or_default()
}

/// Waits until a script returns true (10 s).
async fn until(b: &Browser, script: &str, what: &str) {
    for _ in 0..200 {
        if b.js(script).await == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}");
}

#[tokio::test]
async fn browser_indicator_suggestions_product_classes_and_the_result_in_words() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let b = Browser::open().await;
    let base = &app.address;
    b.goto(&format!("{base}/login")).await;
    b.fill("#f-email", &org.admin.email).await;
    b.fill("#f-password", PASSWORD).await;
    b.click("#sign-in").await;
    until(&b, "return location.pathname === '/console'", "signed in").await;

    b.goto(&format!("{base}/console/declarations/new")).await;
    b.fill("#f-applicable_mandatory", "GB 18401-2010").await;
    b.js("document.getElementById('f-applicable_mandatory').dispatchEvent(new Event('change'))").await;
    until(
        &b,
        "return document.querySelectorAll('#product-classes option').length === 3",
        "the three classes of GB 18401-2010 are offered",
    )
    .await;
    b.fill("#f-indicators-0-name", "甲醛").await;
    until(
        &b,
        "return [...document.querySelectorAll('#f-indicators-0-name + .lookup button')].some(x => x.textContent.includes('formaldehyde_content'))",
        "suggestions appear as one types",
    )
    .await;
    b.check_page("declaration form with suggestions").await;
    b.shot("comparisons-01-suggestions", false).await;
    b.js("[...document.querySelectorAll('#f-indicators-0-name + .lookup button')].find(x => x.textContent.includes('formaldehyde_content')).click()").await;
    assert_eq!(value(&b, "#f-indicators-0-code").await, "formaldehyde_content");
    assert_eq!(value(&b, "#f-indicators-0-unit").await, "mg/kg", "the canonical unit fills an empty unit");
    b.close().await;

    let body = json!({
        "kind": "product",
        "standard": {"number": "Q/CQFZ 001-2025", "title": "针织T恤"},
        "products": [{"name": "针织T恤", "product_class": "B"}],
        "applicable_mandatory": ["GB 18401-2010"],
        "indicators": [{"name": "甲醛含量", "value": 20, "unit": "mg/kg", "comparator": "<="}, {"name": "pH值", "value": "5.0~7.0", "comparator": "range"}],
    });
    let d = create(&app, &org, body).await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(&app, &org, &id).await;
    let b = Browser::open().await;
    b.goto(&format!("{base}/declarations/{id}")).await;
    assert_eq!(b.text(".record-status .badge.stricter").await, "指标严于国家标准");
    let cell = b.text("td.compared").await;
    assert!(cell.contains("严于 GB 18401-2010 B类限值 75 mg/kg"), "{cell}");
    b.check_page("declaration with comparisons").await;
    b.shot("comparisons-02-declaration", true).await;
    b.close().await;
}
