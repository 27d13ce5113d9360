//! A small, realistic public registry made through the API: several Chongqing organizations,
//! declarations with products and indicators, a revision, a closed spot-check campaign with
//! findings, and an anonymous complaint.

use serde_json::{Value, json};

use crate::declarations::{create, publish};
use crate::helpers::{TestApp, TestOrg};

pub struct Seeded {
    pub hotpot_org: TestOrg,
    /// Q/SCDC 001-2025 电动自行车用锂离子电池 (version 1).
    pub battery: String,
    /// GB 17761-2024 电动自行车安全技术规范.
    pub ebike: String,
    /// Q/BYHG 002-2024 重庆火锅底料, revised to version 2.
    pub hotpot: String,
    /// Q/LJZN 003-2025 家用电冰箱 (with a below-recommended statement).
    pub fridge: String,
    /// T/CQHG 001-2024, a group standard.
    pub group_std: String,
    pub campaign: String,
}

fn body(kind: &str, number: &str, title: &str, industry: &str, products: Value, indicators: Value) -> Value {
    json!({
        "kind": kind,
        "standard": {"number": number, "title": title},
        "products": products,
        "industry_code": industry,
        "indicators": indicators,
        "effective_date": "2025-01-01",
    })
}

async fn declare(app: &TestApp, org: &TestOrg, mut b: Value, extra: Value) -> String {
    if let (Some(obj), Some(more)) = (b.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            obj.insert(k.clone(), v.clone());
        }
    }
    let d = create(app, org, b).await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(app, org, &id).await;
    id
}

pub async fn seed(app: &TestApp) -> Seeded {
    let battery_org = app.register_named("enterprise", "500112", None, "重庆山城动力电池有限公司").await;
    let ebike_org = app.register_named("enterprise", "500113", None, "重庆巴南轻骑电动车制造有限公司").await;
    let hotpot_org = app.register_named("enterprise", "500106", None, "重庆巴渝老灶火锅食品有限公司").await;
    let hotpot_org2 = app.register_named("enterprise", "500106", None, "重庆沙坪坝红九格调味品有限公司").await;
    let fridge_org = app.register_named("enterprise", "500112", None, "重庆两江智能家电有限公司").await;
    let net_org = app.register_named("enterprise", "500104", None, "重庆渝网信息安全技术有限公司").await;
    let assoc = app.register_named("social_organization", "500103", Some("CQHG"), "重庆市火锅行业协会").await;

    let battery = declare(
        app,
        &battery_org,
        body(
            "product",
            "Q/SCDC 001-2025",
            "电动自行车用锂离子电池",
            "C3841",
            json!([
                {"name": "电动自行车用锂离子电池组", "model": "SC-4812", "spec": "48V 12Ah", "brand": "山城"},
                {"name": "电动自行车用锂离子电池组", "model": "SC-4820", "spec": "48V 20Ah", "brand": "山城"}
            ]),
            json!([
                {"name": "循环寿命", "value": 1000, "unit": "次", "comparator": ">=", "test_method": "GB/T 36972-2018"},
                {"name": "过充电保护", "value": "不起火、不爆炸", "comparator": "=", "test_method": "GB 43854-2024", "safety_health_env": true},
                {"name": "质量能量密度", "value": 150, "unit": "Wh/kg", "comparator": ">=", "test_method": "GB/T 36972-2018"}
            ]),
        ),
        json!({"summary": "适用于电动自行车用 48V 锂离子电池组", "ics_code": "29.220.30", "ccs_code": "K82"}),
    )
    .await;
    let ebike = declare(
        app,
        &ebike_org,
        body(
            "product",
            "GB 17761-2024",
            "电动自行车安全技术规范",
            "C3770",
            json!([{"name": "电动自行车", "model": "QQ-T5", "brand": "轻骑"}, {"name": "电动自行车", "model": "QQ-T7", "brand": "轻骑"}]),
            json!([]),
        ),
        json!({}),
    )
    .await;
    let hotpot = declare(
        app,
        &hotpot_org,
        body(
            "product",
            "Q/BYHG 002-2024",
            "重庆火锅底料",
            "C1469",
            json!([{"name": "牛油火锅底料", "spec": "400g/袋", "brand": "老灶"}]),
            json!([
                {"name": "酸价（以脂肪计）", "value": 4.0, "unit": "mg/g", "comparator": "<=", "test_method": "GB 5009.229", "safety_health_env": true},
                {"name": "过氧化值（以脂肪计）", "value": 0.25, "unit": "g/100g", "comparator": "<=", "test_method": "GB 5009.227", "safety_health_env": true},
                {"name": "食盐（以氯化钠计）", "value": 12, "unit": "g/100g", "comparator": "<=", "test_method": "GB 5009.44"}
            ]),
        ),
        json!({"summary": "以牛油、辣椒、花椒、豆瓣为主要原料制成的火锅底料"}),
    )
    .await;
    declare(
        app,
        &hotpot_org2,
        body(
            "product",
            "Q/HJG 001-2024",
            "火锅蘸料",
            "C1469",
            json!([{"name": "香油蘸料", "spec": "70ml/罐"}]),
            json!([{"name": "酸价（以脂肪计）", "value": 3.0, "unit": "mg/g", "comparator": "<=", "test_method": "GB 5009.229", "safety_health_env": true}]),
        ),
        json!({}),
    )
    .await;
    let fridge = declare(
        app,
        &fridge_org,
        body(
            "product",
            "Q/LJZN 003-2025",
            "家用电冰箱",
            "C3851",
            json!([{"name": "家用电冰箱", "model": "LJ-BCD-452", "spec": "452L 风冷", "brand": "两江"}]),
            json!([
                {"name": "耗电量", "value": 0.95, "unit": "kWh/24h", "comparator": "<=", "test_method": "GB 12021.2-2015"},
                {"name": "噪声", "value": 40, "unit": "dB(A)", "comparator": "<=", "test_method": "GB/T 8059-2016"}
            ]),
        ),
        json!({"below_recommended": "冷冻能力指标为 4.0 kg/24h，低于 GB/T 8059-2016 推荐的 4.5 kg/24h；适用于小家庭使用。"}),
    )
    .await;
    declare(
        app,
        &net_org,
        body(
            "service",
            "GB/T 22239-2019",
            "信息安全技术 网络安全等级保护基本要求",
            "I6513",
            json!([{"name": "网络安全等级保护测评服务"}]),
            json!([]),
        ),
        json!({}),
    )
    .await;
    let group_std = declare(
        app,
        &assoc,
        json!({
            "kind": "group",
            "standard": {"number": "T/CQHG 001-2024", "title": "重庆火锅底料生产技术规范"},
            "products": [],
            "industry_code": "C1469",
            "indicators": [{"name": "辣椒素含量", "value": "0.05~0.5", "unit": "g/kg", "comparator": "range", "test_method": "GB/T 21266"}],
        }),
        json!({}),
    )
    .await;

    // A revision: version 2 changes an indicator and adds a product.
    let token = Some(hotpot_org.admin.token.as_str());
    app.post(&format!("/api/v1/declarations/{hotpot}/revisions"), token, json!({})).await.assert_status(201);
    app.patch(
        &format!("/api/v1/declarations/{hotpot}"),
        token,
        json!({
            "products": [{"name": "牛油火锅底料", "spec": "400g/袋", "brand": "老灶"}, {"name": "清油火锅底料", "spec": "300g/袋", "brand": "老灶"}],
            "indicators": [
                {"name": "酸价（以脂肪计）", "value": 3.5, "unit": "mg/g", "comparator": "<=", "test_method": "GB 5009.229", "safety_health_env": true},
                {"name": "过氧化值（以脂肪计）", "value": 0.25, "unit": "g/100g", "comparator": "<=", "test_method": "GB 5009.227", "safety_health_env": true},
                {"name": "食盐（以氯化钠计）", "value": 10, "unit": "g/100g", "comparator": "<=", "test_method": "GB 5009.44"}
            ],
            "summary": "以牛油、菜籽油、辣椒、花椒、豆瓣为主要原料制成的火锅底料"
        }),
    )
    .await
    .assert_status(200);
    publish(app, &hotpot_org, &hotpot).await;

    // A closed spot check in 沙坪坝区 with one finding.
    let regulator = app.regulator("500106").await;
    let c = app
        .post(
            "/api/v1/campaigns",
            Some(&regulator.token),
            json!({
                "name": "2025年沙坪坝区企业标准自我声明公开监督抽查",
                "scope": {"division": "500106", "kinds": ["product"]},
                "sample_size": 2,
                "inspector_ids": [regulator.user_id],
                "due_date": "2099-12-31",
                "seed": "shapingba-2025-q3",
            }),
        )
        .await;
    c.assert_status(201);
    let campaign = c.id().to_string();
    let drawn = app.post(&format!("/api/v1/campaigns/{campaign}/draw"), Some(&regulator.token), json!({})).await;
    drawn.assert_status(200);
    for i in drawn.body["inspections"].as_array().expect("inspections") {
        let iid = i["id"].as_str().expect("id");
        let result = if i["declaration_id"] == hotpot.as_str() {
            json!({"grade": "non_compliant", "findings": [
                {"code": "info_inconsistent", "category": "legality", "description": "产品包装标注的食盐含量与声明指标不一致"}
            ], "rectification_due": "2099-06-30"})
        } else {
            json!({"grade": "compliant"})
        };
        app.post(&format!("/api/v1/inspections/{iid}/result"), Some(&regulator.token), result).await.assert_status(200);
    }
    app.post(&format!("/api/v1/campaigns/{campaign}/close"), Some(&regulator.token), json!({}))
        .await
        .assert_status(200);

    // An anonymous complaint about the battery declaration.
    let r = app
        .post(
            "/api/v1/complaints",
            None,
            json!({"target": {"declaration_id": battery}, "category": "false_indicator",
                   "description": "购买的 SC-4812 电池组充放电约 300 次后容量明显下降，与声明的循环寿命不符。"}),
        )
        .await;
    r.assert_status(201);

    app.drain_outbox().await;
    let mut conn = app.db();
    stdreg::services::stats::fold_all(&mut conn).expect("fold statistics");
    Seeded { hotpot_org, battery, ebike, hotpot, fridge, group_std, campaign }
}
