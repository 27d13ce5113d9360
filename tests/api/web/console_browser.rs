//! The consoles in headless Chromium: an enterprise registers and declares (with a field error
//! corrected without retyping), publishes, revises and withdraws; a campaign goes from plan to
//! public report with the enterprise answering in between; a complaint filed on the public site is
//! handled to its conclusion. Screenshots go to `target/screenshots/console-*.png`; every page is
//! checked for labels, one h1 and the stylesheet (the CSP allows nothing inline).

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use super::browser::Browser;
use crate::declarations::{create, publish};
use crate::helpers::{PASSWORD, TestApp, uscc};

async fn select(b: &Browser, css: &str, value: &str) {
    let el = b.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await;
    el.unwrap_or_else(|e| panic!("no select {css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
}

async fn value(b: &Browser, css: &str) -> String {
    let el = b.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css}: {e}"));
    el.prop("value").await.expect("value").unwrap_or_default()
}

/// Date inputs take their value from script (typing depends on the browser's locale).
async fn set_date(b: &Browser, id: &str, date: chrono::NaiveDate) {
    b.js(&format!("document.getElementById('{id}').value = '{date}'")).await;
}

/// Clicks something that loads a new page and waits for it ([`Browser::nav`]).
async fn nav(b: &Browser, css: &str) {
    b.nav(css).await;
}

async fn nav_link(b: &Browser, text: &str) {
    b.nav_link(text).await;
}

async fn sign_in(b: &Browser, base: &str, email: &str) {
    b.goto(&format!("{base}/login")).await;
    b.fill("#f-email", email).await;
    b.fill("#f-password", PASSWORD).await;
    nav(b, "#sign-in").await;
}

async fn sign_out(b: &Browser) {
    nav(b, "#sign-out").await;
    assert!(b.text(".notice").await.contains("安全退出"));
}

fn in_days(n: i64) -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(n)).date_naive()
}

#[tokio::test]
async fn browser_enterprise_registers_declares_publishes_revises_withdraws() {
    let app = TestApp::spawn().await;
    let b = Browser::open().await;
    let base = &app.address;

    // registration: a wrong check character is named, the rest of the form stays
    b.goto(&format!("{base}/console/register")).await;
    let good = uscc("91", "500103");
    let wrong_check = if good.ends_with('0') { format!("{}1", &good[..17]) } else { format!("{}0", &good[..17]) };
    b.fill("#f-organization-uscc", &wrong_check).await;
    b.fill("#f-organization-name", "重庆山城调味品有限公司").await;
    select(&b, "#f-division-1", "500103").await;
    select(&b, "#f-industry-0", "C").await;
    select(&b, "#f-industry-1", "C14").await;
    b.fill("#f-organization-contact_phone", "023-63001234").await;
    b.fill("#f-user-name", "王晓梅").await;
    b.fill("#f-user-email", "wang.xm@shancheng.example.cn").await;
    b.fill("#f-user-password", PASSWORD).await;
    b.check_page("registration").await;
    b.shot("console-01-register", true).await;
    nav(&b, "#register").await;
    let err = b.text("#f-organization-uscc-err").await;
    assert!(err.contains("校验位错误"), "{err}");
    assert_eq!(value(&b, "#f-organization-name").await, "重庆山城调味品有限公司", "kept what was typed");
    assert_eq!(value(&b, "#f-division-1").await, "500103");
    b.shot("console-02-register-uscc-error", true).await;
    b.fill("#f-organization-uscc", &good).await;
    b.fill("#f-user-password", PASSWORD).await;
    nav(&b, "#register").await;
    assert_eq!(b.text("h1").await, "企业控制台");
    assert!(b.text(".notice").await.contains("注册成功"));
    b.check_page("organization console").await;

    // a Q/ declaration with two products and three indicators; the first try has a future year
    nav_link(&b, "新建声明").await;
    b.fill("#f-standard-number", "Q/SCTW 001-2099").await;
    b.fill("#f-standard-title", "火锅底料").await;
    for (i, (name, model, spec)) in
        [("牛油火锅底料", "SC-NY-500", "500g/袋"), ("清油火锅底料", "SC-QY-400", "400g/袋")].iter().enumerate()
    {
        b.fill(&format!("#f-products-{i}-name"), name).await;
        b.fill(&format!("#f-products-{i}-model"), model).await;
        b.fill(&format!("#f-products-{i}-spec"), spec).await;
    }
    let indicators = [
        ("酸价（以脂肪计）", "<=", "3.5", "mg/g", "GB 5009.229-2016"),
        ("过氧化值", "<=", "0.25", "g/100g", "GB 5009.227-2016"),
        ("食盐（以 NaCl 计）", "<=", "12", "%", "GB 5009.44-2016"),
    ];
    for (i, (name, cmp, v, unit, method)) in indicators.iter().enumerate() {
        b.fill(&format!("#f-indicators-{i}-name"), name).await;
        select(&b, &format!("#f-indicators-{i}-comparator"), cmp).await;
        b.fill(&format!("#f-indicators-{i}-value"), v).await;
        b.fill(&format!("#f-indicators-{i}-unit"), unit).await;
        b.fill(&format!("#f-indicators-{i}-test_method"), method).await;
    }
    b.click("#f-indicators-0-safety_health_env").await;
    b.check_page("declaration form").await;
    b.shot("console-03-declaration-form", true).await;
    nav(&b, "#save-draft").await;
    let err = b.text("#f-standard-number-err").await;
    assert!(err.contains("晚于声明日期"), "{err}");
    assert!(b.text("#form-errors").await.contains("标准编号"));
    // nothing to retype: every product and indicator is still there
    assert_eq!(value(&b, "#f-products-1-name").await, "清油火锅底料");
    assert_eq!(value(&b, "#f-indicators-2-test_method").await, "GB 5009.44-2016");
    assert_eq!(value(&b, "#f-indicators-1-comparator").await, "<=");
    b.check_page("declaration form with an error").await;
    b.shot("console-04-declaration-field-error", true).await;
    b.fill("#f-standard-number", "Q/SCTW 001-2025").await;
    nav(&b, "#save-draft").await;
    assert!(b.text(".notice").await.contains("草稿已保存"));
    assert_eq!(b.text("#decl-status").await, "草稿");
    assert_eq!(b.client.find_all(Locator::Css("#products-table tbody tr")).await.expect("rows").len(), 2);
    assert_eq!(b.client.find_all(Locator::Css("#indicators-table tbody tr")).await.expect("rows").len(), 3);

    // the full text, then publishing with the self-commitment
    let pdf = crate::helpers::env().tmp.join(format!("fulltext-{}.pdf", uuid::Uuid::new_v4().simple()));
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n").expect("pdf");
    let file = b.client.find(Locator::Css("#f-full_text")).await.expect("file input");
    file.send_keys(&pdf.display().to_string()).await.expect("choose file");
    nav(&b, "form[enctype='multipart/form-data'] button[type=submit]").await;
    assert!(b.text(".notice").await.contains("标准全文已上传"));
    let _ = std::fs::remove_file(&pdf);
    b.check_page("draft").await;
    b.shot("console-05-draft-publish", true).await;
    nav(&b, "#publish").await;
    assert!(b.text("#f-commitment-err").await.contains("自我承诺"), "no commitment, no publication");
    b.click("label[for=f-commitment]").await;
    nav(&b, "#publish").await;
    assert_eq!(b.text("#decl-status").await, "现行有效");
    assert!(b.text(".notice").await.contains("声明已发布"));

    // revise: a new draft prefilled from the public version
    nav(&b, "#revise").await;
    assert!(b.text("h1").await.contains("第 2 版"));
    assert_eq!(value(&b, "#f-products-0-name").await, "牛油火锅底料", "prefilled");
    b.fill("#f-indicators-0-value", "3.0").await;
    nav(&b, "#save-draft").await;
    b.click("label[for=f-commitment]").await;
    nav(&b, "#publish").await;
    assert_eq!(b.text("#decl-status").await, "现行有效");
    let versions = b.text("#versions").await;
    assert!(
        versions.contains("第 1 版") && versions.contains("第 2 版") && versions.contains("已被新版本取代"),
        "{versions}"
    );
    b.shot("console-06-revised", true).await;

    // withdraw with a reason
    b.fill("#f-reason", "该产品已停产。").await;
    nav(&b, "#withdraw").await;
    assert_eq!(b.text("#decl-status").await, "已撤回");
    nav_link(&b, "标准声明").await;
    assert!(b.text("#decl-list").await.contains("已撤回"));
    b.check_page("declaration list").await;
    b.shot("console-07-list", false).await;
    b.close().await;
}

#[tokio::test]
async fn browser_campaign_drawn_inspected_answered_and_closed() {
    let app = TestApp::spawn().await;
    let org = app.register_named("enterprise", "500103", None, "重庆渝中精工电器有限公司").await;
    let d = create(
        &app,
        &org,
        json!({"kind": "product", "standard": {"number": "Q/YZJG 002-2024", "title": "家用电热水壶"},
               "products": [{"name": "电热水壶", "model": "YZ-K17"}],
               "indicators": [{"name": "额定容量", "value": 1.7, "unit": "L", "comparator": ">="}]}),
    )
    .await;
    publish(&app, &org, d["id"].as_str().expect("id")).await;
    let reg = app.regulator("500103").await;
    let b = Browser::open().await;
    let base = &app.address;

    sign_in(&b, base, &reg.email).await;
    assert_eq!(b.text("h1").await, "监管工作台");
    b.check_page("regulator dashboard").await;
    nav_link(&b, "双随机抽查").await;
    nav_link(&b, "新建抽查任务").await;
    b.fill("#f-name", "2026 年渝中区企业标准自我声明抽查").await;
    select(&b, "#f-scope-division", "500103").await;
    b.fill("#f-sample_size", "1").await;
    set_date(&b, "f-due_date", in_days(30)).await;
    b.fill("#f-seed", "yuzhong-2026-q4").await;
    // the live count follows the scope
    b.click("label[for=f-scope-kinds-product]").await;
    let mut count = String::new();
    for _ in 0..50 {
        count = b.text("#eligible-count").await;
        if count == "1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count, "1", "one eligible declaration");
    b.check_page("campaign form").await;
    b.shot("console-08-campaign-form", true).await;
    nav(&b, "#create-campaign").await;
    assert_eq!(b.text("#campaign-status").await, "待抽取");
    nav(&b, "#draw").await;
    assert_eq!(b.text("#campaign-status").await, "检查中");
    assert!(b.text("#assignments").await.contains("重庆渝中精工电器有限公司"));
    assert_eq!(b.text("#seed").await, "yuzhong-2026-q4");
    b.shot("console-09-campaign-drawn", true).await;

    // the result: non-compliant with a finding from the checklist
    nav(&b, "#assignments tbody a").await;
    select(&b, "#f-grade", "non_compliant").await;
    b.click("label[for=f-finding-info_inconsistent]").await;
    select(&b, "#f-finding-info_inconsistent-category", "legality").await;
    b.fill("#f-finding-info_inconsistent-description", "抽检样品额定容量实测 1.5 L，低于声明的 1.7 L。").await;
    b.check_page("inspection result form").await;
    b.shot("console-10-inspection-result", true).await;
    nav(&b, "#save-result").await;
    assert_eq!(b.text("#inspection-status").await, "责令整改中");
    assert!(b.text("#findings").await.contains("公开信息与实际不一致"));
    sign_out(&b).await;

    // the enterprise answers
    sign_in(&b, base, &org.admin.email).await;
    assert!(b.text("#answer-h + table").await.contains("Q/YZJG 002-2024"));
    nav_link(&b, "去答复").await;
    assert!(b.text("#findings").await.contains("低于声明的 1.7 L"));
    b.fill("#f-statement", "已更换加热盘和水位标识，重新检验容量为 1.7 L，并修订了声明。").await;
    b.check_page("inspection answer").await;
    b.shot("console-11-enterprise-answer", true).await;
    nav(&b, "#send-answer").await;
    assert_eq!(b.text("#inspection-status").await, "已提交整改报告");
    sign_out(&b).await;

    // the regulator closes the rectification and the campaign, and opens the public report
    sign_in(&b, base, &reg.email).await;
    assert!(b.text("#mine-h + table").await.contains("Q/YZJG 002-2024"), "the answered inspection is on the desk");
    b.shot("console-12-regulator-dashboard", true).await;
    nav(&b, "#mine-h + table a").await;
    assert!(b.text("#org-answer").await.contains("重新检验"));
    select(&b, "#f-resolution", "rectified").await;
    nav(&b, "#close-inspection").await;
    assert_eq!(b.text("#inspection-status").await, "已整改");
    nav(&b, ".crumbs a").await;
    nav(&b, "#close-campaign").await;
    assert_eq!(b.text("#campaign-status").await, "已结束");
    nav(&b, "#public-report").await;
    assert!(b.text("h1").await.contains("2026 年渝中区企业标准自我声明抽查"));
    assert_eq!(b.text("#seed").await, "yuzhong-2026-q4");
    b.close().await;
}

#[tokio::test]
async fn browser_complaint_accepted_assigned_revealed_and_concluded() {
    let app = TestApp::spawn().await;
    let org = app.register_named("enterprise", "500112", None, "重庆两江净水设备有限公司").await;
    let d = create(
        &app,
        &org,
        json!({"kind": "product", "standard": {"number": "Q/LJJS 005-2025", "title": "家用净水器"},
               "products": [{"name": "反渗透净水器", "model": "LJ-RO-600"}],
               "indicators": [{"name": "净水流量", "value": 1.56, "unit": "L/min", "comparator": ">="}]}),
    )
    .await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(&app, &org, &id).await;
    let reg = app.regulator("500112").await;
    let b = Browser::open().await;
    let base = &app.address;

    // filed on the public site, with a name
    b.goto(&format!("{base}/complaints/new?declaration_id={id}")).await;
    b.click("label[for=cat-false_indicator]").await;
    b.fill("#description", "购买的 LJ-RO-600 净水器实测流量约 0.9 L/min，远低于声明的 1.56 L/min。").await;
    b.click("label[for=identity-named]").await;
    b.fill("#name", "陈建国").await;
    b.fill("#phone", "13800001234").await;
    nav(&b, "form.form button[type=submit]").await;
    let code = b.text("#tracking-code").await;

    sign_in(&b, base, &reg.email).await;
    assert!(b.text("#accept-h + table").await.contains(&code), "awaiting acceptance on the dashboard");
    nav_link(&b, "投诉举报").await;
    let queue = b.text("#complaint-queue").await;
    assert!(queue.contains(&code) && queue.contains("个工作日"), "{queue}");
    b.check_page("complaints queue").await;
    b.shot("console-13-complaint-queue", false).await;
    nav(&b, "#complaint-queue a[href*='/regulator/complaints/']").await;
    assert!(b.text("#complaint-description").await.contains("0.9 L/min"));
    assert!(!b.source().await.contains("陈建国"), "the name is sealed until revealed");
    nav(&b, "#accept").await;
    assert_eq!(b.text("#complaint-status").await, "已受理");
    let me = reg.user_id.to_string();
    select(&b, "#f-assignee_id", &me).await;
    nav(&b, "#assign").await;
    assert_eq!(b.text("#complaint-status").await, "办理中");
    b.shot("console-14-complaint-assigned", true).await;

    // the reveal, behind a confirmation that says it is logged
    nav(&b, "#reveal-link").await;
    assert!(b.text("#reveal-logged").await.contains("记入审计日志"));
    b.check_page("reveal confirmation").await;
    b.shot("console-15-reveal-confirm", false).await;
    nav(&b, "#confirm-reveal").await;
    assert_eq!(b.text("#complainant-name").await, "陈建国");
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'complaint.complainant_revealed'"), 1);

    // concluded, with a flag on the declaration
    select(&b, "#f-outcome", "substantiated").await;
    b.fill("#f-public_reply", "经核查，该型号净水器流量不符合其公开的企业标准，已责令企业整改。").await;
    b.click("label[for=f-flag]").await;
    select(&b, "#f-flag-code", "rectification_ordered").await;
    b.fill("#f-flag-note", "投诉核查：净水流量低于声明值").await;
    b.check_page("complaint conclusion").await;
    nav(&b, "#conclude").await;
    assert_eq!(b.text("#complaint-status").await, "已办结");
    b.shot("console-16-complaint-concluded", true).await;
    b.goto(&format!("{base}/declarations/{id}")).await;
    assert!(b.text(".flags-card").await.contains("责令整改"), "the flag is public");

    // the audit trail of the complaint shows the reveal
    b.goto(&format!("{base}/regulator/audit?entity_type=complaint")).await;
    let trail = b.text("#audit-events").await;
    assert!(trail.contains("complaint.complainant_revealed") && trail.contains("complaint.concluded"), "{trail}");
    b.check_page("audit trail").await;
    b.shot("console-17-audit-trail", false).await;
    b.close().await;
}
