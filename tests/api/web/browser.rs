//! Browser tests: headless Chromium driven over WebDriver (fantoccini) against the real server and
//! realistic data. One chromedriver is shared by the browser tests that run at the same time and
//! stopped by PID when the last of them ends; each test has its own Chromium profile. Every step
//! saves a screenshot under `target/screenshots/`, and every page visited is checked for labels on
//! form controls, exactly one h1, and text alternatives on images and charts.
//!
//! Chromium and chromedriver are required (Debian `chromium` and `chromium-driver`; `scripts/stack
//! test` installs them): a missing browser fails these tests, it never skips them.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::seed::seed;
use crate::declarations::{create, publish};
use crate::helpers::TestApp;

fn binary(var: &str, default: &str) -> String {
    let path = std::env::var(var).unwrap_or_else(|_| default.to_string());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: the browser tests need Debian's `chromium` and `chromium-driver` \
         (scripts/stack test installs them; or set {var})"
    );
    path
}

/// A chromedriver process on a free port, stopped by PID when dropped.
struct ChromeDriver {
    child: Mutex<Child>,
    url: String,
}

impl ChromeDriver {
    fn start() -> Self {
        let driver = binary("STDREG_CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        Self { child: Mutex::new(child), url: format!("http://127.0.0.1:{port}") }
    }

    /// The running driver, started by the first test that needs it.
    fn shared() -> Arc<Self> {
        static DRIVER: Mutex<Weak<ChromeDriver>> = Mutex::new(Weak::new());
        let mut slot = DRIVER.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = slot.upgrade() {
            return d;
        }
        let d = Arc::new(Self::start());
        *slot = Arc::downgrade(&d);
        d
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{}/status", self.url)).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not become ready at {}", self.url);
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A Chromium session with a fresh profile.
pub struct Browser {
    pub client: Client,
    profile: PathBuf,
    closed: bool,
    _driver: Arc<ChromeDriver>,
}

/// PIDs of the processes started with this profile folder (this session's Chromium only).
fn processes_using(profile: &std::path::Path) -> Vec<u32> {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| c.split(|b| *b == 0).any(|arg| arg == needle.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

impl Drop for Browser {
    /// A test that panicked never reached `close`: end its Chromium by PID, so none is left behind.
    fn drop(&mut self) {
        if !self.closed {
            for pid in processes_using(&self.profile) {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
            let _ = std::fs::remove_dir_all(&self.profile);
        }
    }
}

impl Browser {
    pub async fn open() -> Self {
        let chromium = binary("STDREG_CHROMIUM", "/usr/bin/chromium");
        let driver = ChromeDriver::shared();
        driver.wait_ready().await;
        let profile = crate::helpers::env().tmp.join(format!("chromium-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--lang=zh-CN", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()), "--window-size=1280,900",
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client =
            ClientBuilder::new(connector).capabilities(caps).connect(&driver.url).await.expect("a Chromium session");
        client.set_window_size(1280, 900).await.expect("window size");
        Self { client, profile, closed: false, _driver: driver }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The element's text. A page that is still loading or re-rendering can replace the element
    /// between finding and reading it (a stale reference): it is found again, for up to 10 s.
    pub async fn text(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let el = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await;
            let el = el.unwrap_or_else(|e| panic!("no element {css}: {e}"));
            match el.text().await {
                Ok(text) => return text,
                Err(e) if std::time::Instant::now() >= deadline => panic!("text of {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Clicks the element, finding it again when the page replaced it (as [`Self::text`]).
    pub async fn click(&self, css: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let el = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await;
            let el = el.unwrap_or_else(|e| panic!("no element {css}: {e}"));
            match el.click().await {
                Ok(_) => return,
                Err(e) if std::time::Instant::now() >= deadline => panic!("click {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn click_link(&self, text: &str) {
        let el = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::LinkText(text)).await;
        el.unwrap_or_else(|e| panic!("no link {text}: {e}")).click().await.expect("click link");
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Saves a PNG of the page (the whole page when `full`) under `target/screenshots/`.
    pub async fn shot(&self, name: &str, full: bool) {
        let (w, h) = self.client.get_window_size().await.expect("size");
        if full {
            self.js("window.scrollTo(0, 0)").await;
            let height = self.js("return document.documentElement.scrollHeight").await.as_u64().unwrap_or(900);
            self.client.set_window_size(w as u32, height.clamp(600, 6000) as u32).await.expect("resize");
        }
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        if full {
            self.client.set_window_size(w as u32, h as u32).await.expect("restore size");
        }
    }

    /// Accessibility basics of the current page, and that the stylesheet applied under the CSP.
    pub async fn check_page(&self, what: &str) {
        let report = self
            .js(
                r#"
                const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
                const unlabeled = controls.filter(c => !(c.labels && c.labels.length)
                    && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
                  .map(c => c.name || c.id || c.outerHTML.slice(0, 60));
                const noAlt = [...document.images].filter(i => !i.hasAttribute('alt')).map(i => i.src);
                const svgs = [...document.querySelectorAll('main svg')];
                const svgNoAlt = svgs.filter(s => {
                    if (s.getAttribute('role') !== 'img') return true;
                    const ids = (s.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
                    const named = ids.some(id => { const e = document.getElementById(id); return e && e.textContent.trim(); });
                    return !(named || (s.getAttribute('aria-label') || '').trim());
                }).length;
                const mast = getComputedStyle(document.querySelector('.masthead')).backgroundImage;
                return {unlabeled, h1: document.querySelectorAll('h1').length, noAlt, svgs: svgs.length, svgNoAlt,
                        styled: mast.includes('gradient'), lang: document.documentElement.lang,
                        overflow: document.documentElement.scrollWidth > window.innerWidth + 1};
                "#,
            )
            .await;
        assert_eq!(report["unlabeled"], json!([]), "{what}: form controls without a label");
        assert_eq!(report["h1"], 1, "{what}: one h1");
        assert_eq!(report["noAlt"], json!([]), "{what}: images without alt");
        assert_eq!(report["svgNoAlt"], 0, "{what}: charts without a text alternative");
        assert_eq!(report["styled"], true, "{what}: the stylesheet did not apply (CSP?)");
        assert_eq!(report["lang"], "zh-CN", "{what}");
        assert_eq!(report["overflow"], false, "{what}: the page is wider than the window");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
        self.closed = true;
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

#[tokio::test]
async fn browser_search_facets_declaration_and_diff() {
    let app = TestApp::spawn().await;
    let s = seed(&app).await;
    let b = Browser::open().await;
    let base = &app.address;

    b.goto(&format!("{base}/")).await;
    b.check_page("home").await;
    b.shot("01-home", true).await;

    // a Chinese word from the home page's search box
    b.fill("#home-q", "火锅底料").await;
    b.click(".hero button[type=submit]").await;
    let total = b.text("#total").await;
    assert!(total.contains("共找到"), "{total}");
    let results = b.text("ol.results").await;
    assert!(results.contains("重庆火锅底料") && results.contains("火锅底料"), "{results}");
    assert!(b.source().await.contains("<em>"), "matches are highlighted");
    b.check_page("search").await;
    b.shot("02-search-chinese", true).await;

    // follow a facet: the district 沙坪坝区, then remove it again with its chip
    b.click("aside.filters a[href*='division=500106']").await;
    let url = b.client.current_url().await.expect("url");
    assert!(url.as_str().contains("division=500106"), "{url}");
    assert!(b.text(".chips").await.contains("沙坪坝区"));
    let filtered = b.text("ol.results").await;
    assert!(!filtered.contains("重庆市火锅行业协会"), "another district's record is filtered out");
    b.check_page("search with a facet").await;
    b.shot("03-search-facet-district", true).await;

    // the industry section facet, and the flagged filter
    b.goto(&format!("{base}/search?flagged=true")).await;
    let flagged = b.text("ol.results").await;
    assert!(flagged.contains("重庆火锅底料") && flagged.contains("责令整改"), "{flagged}");

    // a loosely typed number, then open the result
    b.goto(&format!("{base}/search")).await;
    b.fill("#q", "gb17761").await;
    b.click("form.searchbox button[type=submit]").await;
    let first = b.text("ol.results li:first-child .result-number").await;
    assert!(first.contains("GB 17761-2024"), "{first}");
    b.shot("04-search-number", false).await;
    b.click("ol.results li:first-child a.result-title").await;
    assert_eq!(b.text("h1").await, "电动自行车安全技术规范");
    assert!(b.client.current_url().await.expect("url").as_str().ends_with(&s.ebike));
    b.check_page("declaration").await;

    // a declaration with two versions and its diff
    b.goto(&format!("{base}/declarations/{}", s.hotpot)).await;
    assert_eq!(b.text("h1").await, "重庆火锅底料");
    let flags = b.text(".flags-card").await;
    assert!(flags.contains("责令整改") && flags.contains("已责令限期整改"), "{flags}");
    assert!(b.text("#ind-h").await.contains("指标"));
    b.check_page("declaration with versions").await;
    b.shot("05-declaration", true).await;
    b.click("form.compare button[type=submit]").await;
    // the diff page's own crumb: the click returns before the next page has loaded
    b.text("nav.crumbs a[href^='/declarations/']").await;
    assert!(b.text("h1").await.contains("第 1 版与第 2 版的差异"));
    let diff = b.text("main").await;
    assert!(diff.contains("清油火锅底料") && diff.contains("3.5"), "{diff}");
    b.check_page("diff").await;
    b.shot("06-diff", true).await;

    // an organization page
    b.click_link("← 返回声明").await;
    b.click(".orgname a").await;
    assert_eq!(b.text("h1").await, "重庆巴渝老灶火锅食品有限公司");
    b.check_page("organization").await;
    b.shot("07-organization", true).await;

    // the search page on a phone
    b.client.set_window_size(390, 844).await.expect("phone size");
    b.goto(&format!("{base}/search?q={}", crate::helpers::enc("火锅"))).await;
    b.check_page("search on a phone").await;
    b.shot("08-search-phone", false).await;
    b.goto(&format!("{base}/declarations/{}", s.battery)).await;
    b.check_page("declaration on a phone").await;
    b.shot("09-declaration-phone", false).await;
    b.close().await;
}

#[tokio::test]
async fn browser_complaint_filed_and_tracked() {
    let app = TestApp::spawn().await;
    let org = app.register_named("enterprise", "500112", None, "重庆两江智能家电有限公司").await;
    let d = create(
        &app,
        &org,
        json!({
            "kind": "product",
            "standard": {"number": "Q/LJZN 003-2025", "title": "家用电冰箱"},
            "products": [{"name": "家用电冰箱", "model": "LJ-BCD-452", "spec": "452L 风冷", "brand": "两江"}],
            "industry_code": "C3851",
            "indicators": [{"name": "耗电量", "value": 0.95, "unit": "kWh/24h", "comparator": "<=", "test_method": "GB 12021.2-2015"}],
        }),
    )
    .await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(&app, &org, &id).await;
    let b = Browser::open().await;
    let base = &app.address;

    b.goto(&format!("{base}/declarations/{id}")).await;
    b.click(".report-card a.button").await;
    assert_eq!(b.text("h1").await, "投诉举报");
    assert!(b.text(".target-summary").await.contains("Q/LJZN 003-2025"), "the form is pre-filled");
    assert!(b.text(".promise").await.contains("加密保存"), "the confidentiality promise is stated");
    b.check_page("complaint form").await;
    b.click("label[for=cat-false_indicator]").await;
    b.fill("#description", "购买的 LJ-BCD-452 冰箱实测耗电量约 1.3 kWh/24h，明显高于声明的 0.95 kWh/24h。").await;
    b.shot("10-complaint-form", true).await;
    b.click("form.form button[type=submit]").await;

    assert_eq!(b.text("h1").await, "已收到您的反映");
    let code = b.text("#tracking-code").await;
    let key = b.text("#access-key").await;
    assert_eq!(code.len(), 14, "{code}");
    assert!(key.len() >= 24, "{key}");
    assert!(b.text(".warning").await.contains("只显示这一次"));
    b.check_page("receipt").await;
    b.shot("11-complaint-receipt", false).await;

    b.click_link("查询办理进度").await;
    assert_eq!(
        b.client.find(Locator::Css("#code")).await.expect("code").prop("value").await.expect("v"),
        Some(code.clone())
    );
    b.fill("#key", &key).await;
    b.click("form.form button[type=submit]").await;
    let result = b.text("#track-result").await;
    assert!(result.contains("已收到，等待受理") && result.contains("收到投诉举报"), "{result}");
    b.check_page("tracking").await;
    b.shot("12-complaint-track", false).await;
    b.close().await;
}

#[tokio::test]
async fn browser_campaign_report_stats_and_open_data() {
    let app = TestApp::spawn().await;
    let s = seed(&app).await;
    let b = Browser::open().await;
    let base = &app.address;

    b.goto(&format!("{base}/")).await;
    b.click(&format!("a[href='/campaigns/{}/report']", s.campaign)).await;
    assert!(b.text("h1").await.contains("沙坪坝区"));
    assert_eq!(b.text("#seed").await, "shapingba-2025-q3");
    let findings = b.text("#find-h + ol").await;
    assert!(findings.contains("公开信息与实际不一致"), "{findings}");
    b.check_page("campaign report").await;
    b.shot("13-campaign-report", true).await;

    b.goto(&format!("{base}/stats")).await;
    let charts = b
        .js("return [...document.querySelectorAll('svg.chart')].map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('rect').length]; })")
        .await;
    let charts = charts.as_array().expect("charts").clone();
    assert_eq!(charts.len(), 4, "{charts:?}");
    for c in &charts {
        assert!(c[0].as_f64().unwrap_or(0.0) > 200.0 && c[1].as_f64().unwrap_or(0.0) > 50.0, "a chart is drawn: {c}");
    }
    assert!(b.text("#dist-h").await.contains("区县"));
    b.check_page("stats").await;
    b.shot("14-stats", true).await;

    b.goto(&format!("{base}/open-data")).await;
    b.check_page("open data").await;
    b.shot("15-open-data", false).await;
    b.click_link("查看接口文档").await;
    assert_eq!(b.text("h1").await, "接口文档");
    b.fill("#api-filter", "/search").await;
    let visible = b.js("return [...document.querySelectorAll('[data-api-op]')].filter(o => !o.hidden).length").await;
    assert!(visible.as_u64().is_some_and(|n| (1..10).contains(&n)), "the filter narrows the list: {visible}");
    b.check_page("api docs").await;
    b.shot("16-api-docs", false).await;
    b.close().await;
}
