//! The standards catalogue as a living reference (issue 21, SPEC §3.6): loading the national
//! platform's exports (UTF-8 and GB18030 CSV, XLSX) with `stdreg catalog standards`, whole or not at
//! all, the daily job, and what follows when a standard is abolished or replaced: public notices,
//! the `standard.status_changed` event, search, and the one-action revision. Real numbers:
//! GB 17761-2018 电动自行车安全技术规范, replaced by GB 17761-2024 from 2025-09-01.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::calendar::set_clock;
use crate::declarations::{create, publish};
use crate::helpers::{TestApp, TestOrg, db_url, env};

pub const HEAD: &str = "标准号,中文标准名称,英文标准名称,标准状态,发布日期,实施日期,废止日期,代替标准,被代替标准,中国标准分类号,国际标准分类号,采标情况,主管部门,归口单位\n";

/// The catalogue as it stood in 2024: GB 17761-2018 in force.
pub fn catalogue_2024() -> String {
    format!(
        "{HEAD}GB 17761-2018,电动自行车安全技术规范,Safety technical specification for electric bicycle,现行,2018-05-15,2019-04-15,,GB 17761-1999,,T82,43.150,,工业和信息化部,全国自行车标准化技术委员会\n\
         GB/T 36972-2018,电动自行车用锂离子蓄电池,Lithium-ion battery for electric bicycle,现行,2018-12-28,2019-07-01,,,,K82,29.220.30,,工业和信息化部,全国电动自行车标准化技术委员会\n"
    )
}

/// The catalogue after the 2024 revision: GB 17761-2018 abolished and replaced by GB 17761-2024.
pub fn catalogue_2025() -> String {
    format!(
        "{HEAD}GB 17761-2018,电动自行车安全技术规范,Safety technical specification for electric bicycle,废止,2018-05-15,2019-04-15,,GB 17761-1999,GB 17761-2024,T82,43.150,,工业和信息化部,全国自行车标准化技术委员会\n\
         GB 17761-2024,电动自行车安全技术规范,Safety technical specification for electric bicycle,现行,2024-12-31,2025-09-01,,GB 17761-2018,,T82,43.150,,工业和信息化部,全国自行车标准化技术委员会\n\
         GB/T 36972-2018,电动自行车用锂离子蓄电池,Lithium-ion battery for electric bicycle,现行,2018-12-28,2019-07-01,,,,K82,29.220.30,,工业和信息化部,全国电动自行车标准化技术委员会\n"
    )
}

/// Runs `stdreg catalog standards FILES... [extra]` against the test's database: (success, stdout
/// and stderr together).
pub fn load_cli(app: &TestApp, files: &[(&str, Vec<u8>)], extra: &[&str]) -> (bool, String) {
    let e = env();
    let dir = e.tmp.join(format!("catalog-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let paths: Vec<std::path::PathBuf> = files
        .iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).expect("write the catalogue file");
            p
        })
        .collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args(["catalog", "standards"])
        .args(&paths)
        .args(extra)
        .env("STDREG_DATABASE_URL", db_url(&app.db_name))
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys)
        .env("STDREG_LOG_LEVEL", "error")
        .output()
        .expect("run stdreg catalog standards");
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[track_caller]
pub fn load_ok(app: &TestApp, name: &str, text: &str) -> String {
    let (ok, out) = load_cli(app, &[(name, text.as_bytes().to_vec())], &[]);
    assert!(ok, "load failed: {out}");
    out
}

pub async fn standard(app: &TestApp, number: &str) -> Value {
    let r = app.get(&format!("/api/v1/reference/standards/{}", crate::helpers::enc(number)), None).await;
    r.assert_status(200);
    r.body
}

/// A product declaration executing `number` (a national standard), optionally citing others.
fn gb_declaration(number: &str, cited: &[&str], applicable: &[&str]) -> Value {
    json!({
        "kind": "product",
        "standard": {"number": number, "title": "电动自行车安全技术规范"},
        "products": [{"name": "电动自行车", "model": "TDT-1200"}],
        "industry_code": "C3761",
        "cited_standards": cited,
        "applicable_mandatory": applicable,
    })
}

async fn published_with(app: &TestApp, org: &TestOrg, body: Value) -> String {
    let d = create(app, org, body).await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(app, org, &id).await;
    id
}

fn events_of(app: &TestApp, standard: &str) -> Vec<Value> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        payload: Value,
    }
    // read the table itself: `outbox::events_after` holds back rows while any older transaction of
    // the shared test cluster is still open
    diesel::sql_query("SELECT payload FROM events WHERE event_type = $1 AND subject = $2 ORDER BY id")
        .bind::<diesel::sql_types::Text, _>(stdreg::outbox::STANDARD_STATUS_CHANGED)
        .bind::<diesel::sql_types::Text, _>(standard)
        .load::<Row>(&mut app.db())
        .expect("events")
        .into_iter()
        .map(|r| r.payload)
        .collect()
}

#[tokio::test]
async fn gb_17761_2018_abolished_and_replaced_gives_notices_until_the_one_action_revision() {
    let app = TestApp::spawn().await;
    // the catalogue of 2024: GB 17761-2018 in force
    load_ok(&app, "catalogue-2024.csv", &catalogue_2024());
    assert_eq!(standard(&app, "GB 17761-2018").await["status"], "current");

    let maker = app.enterprise("500103").await;
    let executes = published_with(&app, &maker, gb_declaration("GB 17761-2018", &["GB/T 36972-2018"], &[])).await;
    let battery = app.enterprise("500104").await;
    let mut cites = crate::declarations::q_declaration("Q/CQDC 001-2025");
    cites["cited_standards"] = json!(["gb 17761—2018", "GB/T 36972-2018"]);
    cites["applicable_mandatory"] = json!(["GB 17761-2018"]);
    let cites = published_with(&app, &battery, cites).await;
    let r = app.get(&format!("/api/v1/declarations/{cites}"), None).await;
    assert_eq!(r.body["cited_standards"], json!(["GB 17761-2018", "GB/T 36972-2018"]), "normalized: {}", r.text);
    assert_eq!(r.body["notices"], json!([]));
    assert_eq!(r.body["catalogue"][1]["role"], "applicable_mandatory");
    assert_eq!(r.body["catalogue"][1]["status"], "current");

    // the 2025 catalogue marks it abolished and replaced by GB 17761-2024
    let out = load_ok(&app, "catalogue-2025.csv", &catalogue_2025());
    assert!(out.contains("~ GB 17761-2018 (status, replaced_by)"), "{out}");
    assert!(out.contains("* GB 17761-2018: current -> abolished, replaced by GB 17761-2024"), "{out}");
    assert!(out.contains("public declarations affected: 2"), "{out}");
    assert!(out.contains("applied"), "{out}");
    assert_eq!(standard(&app, "gb17761-2018").await["replaced_by"], json!(["GB 17761-2024"]));

    let notice = json!({
        "kind": "standard_abolished", "standard": "GB 17761-2018", "replaced_by": "GB 17761-2024",
        "replacements": ["GB 17761-2024"], "since": "2025-09-01", "role": "declared"
    });
    let r = app.get(&format!("/api/v1/declarations/{executes}"), None).await;
    assert_eq!(r.body["notices"], json!([notice]), "{}", r.text);
    let r = app.get(&format!("/api/v1/declarations/{cites}"), None).await;
    let mut applicable = notice.clone();
    applicable["role"] = json!("applicable_mandatory");
    assert_eq!(r.body["notices"], json!([applicable]), "{}", r.text);
    // the public page names the standard, the date and the replacement
    let page = app.get(&format!("/declarations/{executes}"), None).await;
    assert!(page.text.contains("GB 17761-2018") && page.text.contains("GB 17761-2024"), "{}", page.text);
    assert!(page.text.contains("2025-09-01") && page.text.contains("已废止"), "{}", page.text);

    // open data carries the lists and the notices
    let export = app.get("/api/v1/export/declarations?format=ndjson", None).await;
    let line: Value = export
        .text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["id"] == cites.as_str())
        .expect("the citing declaration is exported");
    assert_eq!(line["cited_standards"], json!(["GB 17761-2018", "GB/T 36972-2018"]));
    assert_eq!(line["applicable_mandatory"], json!(["GB 17761-2018"]));
    assert_eq!(line["notices"][0]["standard"], "GB 17761-2018");

    // one durable event for later consumers, naming both declarations; one audit event per change
    let events = events_of(&app, "GB 17761-2018");
    let last = events.last().expect("a standard.status_changed event");
    assert_eq!(last["status_to"], "abolished");
    assert_eq!(last["replaced_by"], json!(["GB 17761-2024"]));
    let mut ids: Vec<&str> =
        last["declaration_ids"].as_array().expect("ids").iter().filter_map(Value::as_str).collect();
    ids.sort();
    let mut want = vec![executes.as_str(), cites.as_str()];
    want.sort();
    assert_eq!(ids, want);
    assert!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'standard.status_changed' AND entity_id = 'GB 17761-2018'"
        ) >= 2
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'catalog.loaded'"), 2);

    // search filters and counts them
    app.drain_outbox().await;
    let s = app.search("outdated=true").await;
    assert_eq!(s["total"], 2, "{s}");
    assert_eq!(s["facets"]["outdated"]["true"], 2, "{s}");
    assert_eq!(s["items"][0]["outdated"], true);

    // publishing another declaration of the abolished standard is refused, naming the replacement
    let late = app.enterprise("500105").await;
    let d = create(&app, &late, gb_declaration("GB 17761-2018", &[], &[])).await;
    let r = app
        .post(
            &format!("/api/v1/declarations/{}/publish", d["id"].as_str().expect("id")),
            Some(&late.admin.token),
            json!({"commitment": true}),
        )
        .await;
    r.assert_status(422);
    assert!(r.text.contains("GB 17761-2024"), "{}", r.text);

    // the organization revises with one action: the draft executes the replacement
    let r = app
        .post(
            &format!("/api/v1/declarations/{executes}/revisions?apply_replacements=true"),
            Some(&maker.admin.token),
            json!({}),
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["standard"]["normalized"], "GB 17761-2024");
    assert_eq!(r.body["cited_standards"], json!(["GB/T 36972-2018"]));
    let p = publish(&app, &maker, &executes).await;
    assert_eq!(p["notices"], json!([]), "the notice ends with the revision: {p}");
    let r = app
        .post(
            &format!("/api/v1/declarations/{cites}/revisions?apply_replacements=true"),
            Some(&battery.admin.token),
            json!({}),
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.body["applicable_mandatory"], json!(["GB 17761-2024"]));
    assert_eq!(r.body["cited_standards"], json!(["GB 17761-2024", "GB/T 36972-2018"]));
    assert_eq!(r.body["standard"]["normalized"], "Q/CQDC 001-2025", "the declared standard stays");
    publish(&app, &battery, &cites).await;
    let r = app.get(&format!("/api/v1/declarations/{cites}"), None).await;
    assert_eq!(r.body["notices"], json!([]));
    assert_eq!(
        app.count(
            "SELECT count(*) FROM declaration_notices WHERE ended_at IS NOT NULL AND end_reason = 'no_longer_cited'"
        ),
        2
    );
    // a second one-action revision has nothing to replace
    let r = app
        .post(
            &format!("/api/v1/declarations/{cites}/revisions?apply_replacements=true"),
            Some(&battery.admin.token),
            json!({}),
        )
        .await;
    r.assert_status(409);
    app.drain_outbox().await;
    assert_eq!(app.search("outdated=true").await["total"], 0);
}

#[tokio::test]
async fn a_gb18030_csv_and_an_xlsx_file_load() {
    let app = TestApp::spawn().await;
    let text = catalogue_2025();
    let (gb, _, _) = encoding_rs::GB18030.encode(&text);
    assert!(std::str::from_utf8(&gb).is_err(), "the file is really GB18030");
    let (ok, out) = load_cli(&app, &[("国家标准目录.csv", gb.into_owned())], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("GB18030"), "{out}");
    let s = standard(&app, "GB 17761-2024").await;
    assert_eq!(s["title"], "电动自行车安全技术规范");
    assert_eq!(s["committee"], "全国自行车标准化技术委员会");
    assert_eq!(s["replaces"], json!(["GB 17761-2018"]));
    assert_eq!(s["source"], "国家标准目录.csv");

    // an XLSX export: a title row above the header, real date cells, columns in another order
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    sheet.write_string(0, 0, "行业标准目录（导出）").expect("cell");
    for (c, h) in
        ["标准状态", "标准号", "中文标准名称", "实施日期", "发布日期", "归口单位", "被代替标准"].iter().enumerate()
    {
        sheet.write_string(1, c as u16, *h).expect("header");
    }
    let rows = [
        (
            "现行",
            "QC/T 1234-2020",
            "电动汽车用动力蓄电池安全要求",
            "2021-01-01",
            "2020-08-31",
            "全国汽车标准化技术委员会",
            "",
        ),
        ("即将实施", "DB50/T 1234-2026", "重庆市地方标准 示例", "2027-01-01", "2026-10-01", "重庆市市场监督管理局", ""),
        ("废止", "SN/T 1000-2001", "进出口商品检验规程", "2002-01-01", "2001-06-01", "", "SN/T 1000-2020"),
    ];
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 2;
        sheet.write_string(r, 0, row.0).expect("cell");
        sheet.write_string(r, 1, row.1).expect("cell");
        sheet.write_string(r, 2, row.2).expect("cell");
        for (col, text) in [(3u16, row.3), (4u16, row.4)] {
            let d = rust_xlsxwriter::ExcelDateTime::parse_from_str(text).expect("date");
            sheet.write_date_with_format(r, col, &d, &date_format).expect("date cell");
        }
        sheet.write_string(r, 5, row.5).expect("cell");
        sheet.write_string(r, 6, row.6).expect("cell");
    }
    let bytes = book.save_to_buffer().expect("xlsx");
    let (ok, out) = load_cli(&app, &[("行业标准.xlsx", bytes)], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("added: 3"), "{out}");
    let s = standard(&app, "QC/T 1234-2020").await;
    assert_eq!(s["type"], "industry");
    assert_eq!(s["nature"], "recommended");
    assert_eq!(s["implement_date"], "2021-01-01");
    assert_eq!(s["publish_date"], "2020-08-31");
    let s = standard(&app, "DB50/T 1234-2026").await;
    assert_eq!((s["status"].as_str(), s["type"].as_str()), (Some("upcoming"), Some("local")));
    assert_eq!(standard(&app, "SN/T 1000-2001").await["replaced_by"], json!(["SN/T 1000-2020"]));
}

#[tokio::test]
async fn a_malformed_file_is_refused_whole() {
    let app = TestApp::spawn().await;
    let before = app.count("SELECT count(*) FROM catalog_standards");
    let audit_before = app.count("SELECT count(*) FROM audit_events");
    let bad = format!(
        "{HEAD}GB 30000-2020,第一个好的标准,,现行,2020-01-01,2020-07-01,,,,,,,,\n\
         GB 30001-2020,日期不存在,,现行,2020-02-30,2020-07-01,,,,,,,,\n\
         GB 30002-2020,状态未知,,有效,2020-01-01,2020-07-01,,,,,,,,\n\
         GB 30000-2020,重复的标准号,,现行,2020-01-01,2020-07-01,,,,,,,,\n\
         GB 30003-2020,另一个好的标准,,现行,2020-01-01,2020-07-01,,,,,,,,\n"
    );
    let (ok, out) = load_cli(&app, &[("bad.csv", bad.into_bytes())], &[]);
    assert!(!ok, "refused: {out}");
    assert!(out.contains("bad.csv line 3 (GB 30001-2020)") && out.contains("2020-02-30"), "{out}");
    assert!(out.contains("bad.csv line 4") && out.contains("有效"), "{out}");
    assert!(out.contains("bad.csv line 5") && out.contains("第 2 行"), "{out}");
    assert!(out.contains("refused: nothing applied") && out.contains("nothing was applied"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM catalog_standards"), before, "not even the good rows");
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), audit_before);

    // missing required columns, an unreadable encoding, an empty spreadsheet: refused with a message
    let (ok, out) = load_cli(&app, &[("cols.csv", "标准号,中文标准名称\nGB 30000-2020,甲\n".into())], &[]);
    assert!(!ok && out.contains("缺少必需的列") && out.contains("标准状态"), "{out}");
    let (ok, out) = load_cli(&app, &[("enc.csv", b"\xff\xfe\x00\xd8garbage\x00".to_vec())], &[]);
    assert!(!ok && out.contains("enc.csv"), "{out}");
    let (ok, out) = load_cli(&app, &[("x.xlsx", b"PK\x03\x04 broken".to_vec())], &[]);
    assert!(!ok && out.contains("电子表格"), "{out}");
    // one bad file among good ones: nothing applied from any of them
    let (ok, _) = load_cli(
        &app,
        &[("good.csv", catalogue_2025().into_bytes()), ("cols.csv", "标准号,中文标准名称\nGB 1-2000,甲\n".into())],
        &[],
    );
    assert!(!ok);
    assert_eq!(app.count("SELECT count(*) FROM catalog_standards"), before);
}

#[tokio::test]
async fn a_second_load_of_the_same_file_changes_nothing_and_a_dry_run_applies_nothing() {
    let app = TestApp::spawn().await;
    let (ok, out) = load_cli(&app, &[("c.csv", catalogue_2025().into_bytes())], &["--dry-run"]);
    assert!(ok, "{out}");
    assert!(out.contains("dry run: nothing applied") && out.contains("changed: 2"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM catalog_standards WHERE number = 'GB/T 36972-2018'"), 0);

    let first = load_ok(&app, "c.csv", &catalogue_2025());
    assert!(first.contains("added: 1"), "GB/T 36972-2018 is new: {first}");
    let stamp = app.count("SELECT extract(epoch FROM max(loaded_at))::int8 FROM catalog_standards");
    let events = app.count("SELECT count(*) FROM events");
    let second = load_ok(&app, "c.csv", &catalogue_2025());
    assert!(
        second.contains("added: 0") && second.contains("changed: 0") && second.contains("unchanged: 3"),
        "{second}"
    );
    assert!(second.contains("status changes: 0"), "{second}");
    assert_eq!(app.count("SELECT extract(epoch FROM max(loaded_at))::int8 FROM catalog_standards"), stamp);
    assert_eq!(app.count("SELECT count(*) FROM events"), events);
}

#[tokio::test]
async fn the_daily_job_moves_an_upcoming_standard_on_its_date() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let file = format!(
        "{HEAD}DB50/T 1600-2026,电动自行车停放充电场所消防安全规范,,即将实施,2026-11-20,2027-01-01,,,,,,,重庆市消防救援总队,\n\
         GB/T 36972-2018,电动自行车用锂离子蓄电池,,现行,2018-12-28,2019-07-01,2027-01-01,,,,,,,\n"
    );
    load_ok(&app, "job.csv", &file);
    let cites = published_with(&app, &org, {
        let mut b = crate::declarations::q_declaration("Q/CQJOB 001-2025");
        b["cited_standards"] = json!(["GB/T 36972-2018"]);
        b
    })
    .await;
    set_clock(&app, NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"));
    assert_eq!(stdreg::worker::run_catalog_job(&app.state).await.expect("job"), 0, "not yet");
    assert_eq!(standard(&app, "DB50/T 1600-2026").await["status"], "upcoming");

    set_clock(&app, NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"));
    assert_eq!(stdreg::worker::run_catalog_job(&app.state).await.expect("job"), 2);
    assert_eq!(standard(&app, "DB50/T 1600-2026").await["status"], "current");
    assert_eq!(standard(&app, "GB/T 36972-2018").await["status"], "abolished");
    assert_eq!(stdreg::worker::run_catalog_job(&app.state).await.expect("job"), 0, "idempotent");
    let r = app.get(&format!("/api/v1/declarations/{cites}"), None).await;
    assert_eq!(r.body["notices"][0]["kind"], "standard_abolished", "{}", r.text);
    assert_eq!(r.body["notices"][0]["since"], "2027-01-01");
    assert_eq!(r.body["notices"][0]["role"], "cited");
    // a consumer that reads by cursor gets the event once every older transaction has ended
    let mut by_cursor = Vec::new();
    for _ in 0..100 {
        by_cursor = stdreg::outbox::events_after(&mut app.db(), 0, &[stdreg::outbox::STANDARD_STATUS_CHANGED], 100)
            .expect("events");
        if by_cursor.iter().any(|e| e.subject == "DB50/T 1600-2026") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(by_cursor.iter().any(|e| e.subject == "DB50/T 1600-2026"), "{by_cursor:?}");
    let after_last = by_cursor.last().map(|e| e.id).unwrap_or(0);
    assert!(
        stdreg::outbox::events_after(&mut app.db(), after_last, &[], 100).expect("events").is_empty(),
        "nothing after the cursor"
    );
    let moved = events_of(&app, "DB50/T 1600-2026");
    assert_eq!(moved.last().map(|e| e["status_to"].clone()), Some(json!("current")));
    assert_eq!(moved.last().map(|e| e["status_from"].clone()), Some(json!("upcoming")));
}

#[tokio::test]
async fn cited_and_applicable_standards_are_checked_like_the_declared_one() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    // shapes: 422 with the field path of the bad one
    let mut b = crate::declarations::q_declaration("Q/CQCK 001-2025");
    b["cited_standards"] = json!(["GB/T 36972-2018", "not a number"]);
    b["applicable_mandatory"] = json!(["GB/T 36972-2018"]);
    let r = app.post("/api/v1/declarations", Some(&org.admin.token), b).await;
    r.assert_status(422);
    let fields = r.error_fields();
    assert!(fields.contains(&"cited_standards[1]".to_string()), "{fields:?}");
    assert!(fields.contains(&"applicable_mandatory[0]".to_string()), "a GB/T is not mandatory: {fields:?}");
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 0);

    // abolished in the shipped sample: GB 17761-2018 (replaced by GB 17761-2024); an upcoming one
    load_ok(
        &app,
        "u.csv",
        &format!("{HEAD}DB50/T 1600-2026,电动自行车停放充电场所消防安全规范,,即将实施,2026-11-20,2099-01-01,,,,,,,,\n"),
    );
    let mut b = crate::declarations::q_declaration("Q/CQCK 001-2025");
    b["cited_standards"] = json!(["GB 17761-2018", "DB50/T 1600-2026", "GB/T 99999-2020"]);
    let d = create(&app, &org, b).await;
    let codes: Vec<(&str, &str)> = d["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| (w["field"].as_str().unwrap_or(""), w["code"].as_str().unwrap_or("")))
        .collect();
    assert!(codes.contains(&("cited_standards[0]", "standard_abolished")), "{codes:?}");
    assert!(codes.contains(&("cited_standards[1]", "standard_upcoming")), "{codes:?}");
    assert!(codes.contains(&("cited_standards[2]", "standard_not_in_catalogue")), "{codes:?}");
    let id = d["id"].as_str().expect("id").to_string();
    let r = app
        .post(&format!("/api/v1/declarations/{id}/publish"), Some(&org.admin.token), json!({"commitment": true}))
        .await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["cited_standards[0]".to_string()]);
    assert!(r.text.contains("GB 17761-2024"), "names the replacement: {}", r.text);
    // without the abolished one it publishes, the upcoming one with a note
    let r = app
        .patch(
            &format!("/api/v1/declarations/{id}"),
            Some(&org.admin.token),
            json!({"cited_standards": ["DB50/T 1600-2026"]}),
        )
        .await;
    r.assert_status(200);
    let p = publish(&app, &org, &id).await;
    assert_eq!(p["status"], "public");
    assert!(p["warnings"].as_array().expect("warnings").iter().any(|w| w["code"] == "standard_upcoming"), "{p}");
    assert_eq!(p["catalogue"][1]["status"], "upcoming");
    assert_eq!(p["catalogue"][1]["implement_date"], "2099-01-01");

    // bulk carries the lists too
    let mut item = crate::declarations::q_declaration("Q/CQCK 002-2025");
    item["cited_standards"] = json!(["GB/T 36972-2018", "bad"]);
    let r = app
        .post("/api/v1/declarations:bulk", Some(&org.admin.token), json!({"declarations": [item], "publish": false}))
        .await;
    r.assert_status(200);
    assert!(r.text.contains("declarations[0].cited_standards[1]"), "{}", r.text);
}

#[tokio::test]
async fn the_catalogue_is_searched_by_loose_number_or_title_and_read_one_by_one() {
    let app = TestApp::spawn().await;
    load_ok(&app, "c.csv", &catalogue_2025());
    for q in ["gb17761", "GB 17761", "17761", "ｇｂ１７７６１"] {
        let r = app.get(&format!("/api/v1/reference/standards?q={}", crate::helpers::enc(q)), None).await;
        r.assert_status(200);
        let numbers: Vec<&str> =
            r.body["items"].as_array().expect("items").iter().filter_map(|s| s["number"].as_str()).collect();
        assert!(numbers.contains(&"GB 17761-2024") && numbers.contains(&"GB 17761-2018"), "{q}: {numbers:?}");
        assert_eq!(numbers[0], "GB 17761-2024", "{q}: the current edition first");
    }
    let r = app.get("/api/v1/reference/standards?q=gbt22239", None).await;
    assert!(r.body["items"].as_array().expect("items").iter().any(|s| s["number"] == "GB/T 22239-2019"), "{}", r.text);
    let r = app.get(&format!("/api/v1/reference/standards?q={}", crate::helpers::enc("锂离子蓄电池")), None).await;
    assert_eq!(r.body["items"][0]["number"], "GB/T 36972-2018", "{}", r.text);

    for loose in ["GB 17761-2018", "gb17761-2018", "GB%2017761%E2%80%942018"] {
        let r = app.get(&format!("/api/v1/reference/standards/{loose}"), None).await;
        r.assert_status(200);
        assert_eq!(r.body["number"], "GB 17761-2018");
        assert_eq!(r.body["status"], "abolished");
        assert_eq!(r.body["replaced_by"], json!(["GB 17761-2024"]));
        assert_eq!(r.body["implement_date"], "2019-04-15");
    }
    let r = app.get("/api/v1/reference/standards/GB%2FT%2022239-2019", None).await;
    r.assert_status(200);
    assert_eq!(r.body["type"], "national_recommended");
    app.get("/api/v1/reference/standards/GB%2099999-2020", None).await.assert_status(404);
    let doc = app.get("/api/v1/openapi.json", None).await;
    let paths: Vec<&String> = doc.body["paths"].as_object().expect("paths").keys().collect();
    assert!(paths.iter().any(|p| p.ends_with("/reference/standards/{number}")), "{paths:?}");
}
