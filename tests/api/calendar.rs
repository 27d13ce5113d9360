//! The working-day calendar: the official holiday table ships with the service, complaint deadlines
//! are counted on it from the day after receipt (real 2026 dates), the complainant's tracking answer
//! and pages show them, the on-time statistics use them, and a deadline past the table counts
//! weekends only, says so on the regulator's dashboard, and is re-counted when
//! `stdreg catalog holidays FILE` loads the year.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use crate::declarations::published;
use crate::helpers::{Resp, Session, TestApp, db_url, env};
use crate::web::console::WebClient;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// Sets the service clock to 10:00 China time on `day`, backwards or forwards. Access tokens are
/// checked against the real time, so sign in before moving the clock back.
pub fn set_clock(app: &TestApp, day: NaiveDate) {
    let target = Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).expect("time"));
    app.state.clock.advance(target - app.state.clock.now());
    assert_eq!(app.state.clock.today(), day);
}

fn complaint_on(declaration_id: &str) -> Value {
    json!({
        "target": {"declaration_id": declaration_id},
        "category": "false_indicator",
        "description": "产品实测循环寿命不足 500 次，远低于声明的 1000 次。",
    })
}

async fn file(app: &TestApp, decl: &str) -> Resp {
    let r = app.post("/api/v1/complaints", None, complaint_on(decl)).await;
    r.assert_status(201);
    r
}

async fn id_of(app: &TestApp, reg: &Session, code: &str) -> String {
    let r = app.get(&format!("/api/v1/complaints?tracking_code={code}"), Some(&reg.token)).await;
    r.assert_status(200);
    r.body["items"][0]["id"].as_str().expect("id").to_string()
}

async fn track(app: &TestApp, code: &str, key: &str) -> Resp {
    let rb = app.raw(reqwest::Method::GET, &format!("/api/v1/complaints/track/{code}"), None).await;
    let r = app.send(rb.header("X-Access-Key", key)).await;
    r.assert_status(200);
    r
}

/// Runs `stdreg catalog holidays FILE` against the test's database: (success, stdout, stderr).
fn load_holidays_cli(app: &TestApp, csv: &str) -> (bool, String, String) {
    let e = env();
    let path = e.tmp.join(format!("holidays-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, csv).expect("write the holiday file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args(["catalog", "holidays"])
        .arg(&path)
        .env("STDREG_DATABASE_URL", db_url(&app.db_name))
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys)
        .env("STDREG_LOG_LEVEL", "error")
        .output()
        .expect("run stdreg catalog holidays");
    let _ = std::fs::remove_file(&path);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_official_holiday_table_ships_with_the_service() {
    let app = TestApp::spawn().await;
    assert_eq!(app.count("SELECT count(*) FROM calendar_days"), 771);
    assert_eq!(app.count("SELECT count(DISTINCT extract(year FROM day)) FROM calendar_days"), 23, "2004-2026");
    // 2026 National Day and Spring Festival as the State Council published them
    assert_eq!(
        app.count(
            "SELECT count(*) FROM calendar_days WHERE day BETWEEN '2026-10-01' AND '2026-10-07' AND NOT is_workday"
        ),
        7
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM calendar_days WHERE day IN ('2026-02-14', '2026-02-28', '2026-10-10') AND is_workday"
        ),
        3
    );
}

#[tokio::test]
async fn complaint_deadlines_follow_the_official_2026_calendar() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let decl = published(&app, &org, "Q/CQHD 001-2025").await;
    let reg = app.regulator("500103").await;

    // received Wednesday 30 September: 1-7 October off, Saturday 10 October worked -> 15 October
    set_clock(&app, d("2026-09-30"));
    let r = file(&app, &decl).await;
    assert_eq!(r.body["acceptance_due"], "2026-10-15", "{}", r.text);
    let code = r.body["tracking_code"].as_str().expect("code").to_string();
    let key = r.body["access_key"].as_str().expect("key").to_string();
    let t = track(&app, &code, &key).await;
    assert_eq!(t.body["acceptance_due"], "2026-10-15", "{}", t.text);
    assert_eq!(t.body["conclusion_due"], Value::Null);

    // the same on the public form's receipt and on the tracking page
    let mut web = WebClient::new(&app);
    web.get(&format!("/complaints/new?declaration_id={decl}")).await.assert_status(200);
    let receipt = web
        .post(
            "/complaints/new",
            &[
                ("declaration_id", decl.as_str()),
                ("category", "false_indicator"),
                ("description", "电池循环寿命明显达不到声明的 1000 次。"),
                ("identity", "anonymous"),
            ],
            true,
        )
        .await;
    receipt.assert_status(201);
    assert!(receipt.text.contains("2026-10-15"), "{}", receipt.text);
    web.get("/complaints/track").await.assert_status(200);
    let page = web.post("/complaints/track", &[("code", &code), ("key", &key)], true).await;
    page.assert_status(200);
    assert!(page.text.contains("id=\"acceptance-due\">2026-10-15<"), "{}", page.text);

    // accepted on Wednesday 14 October: on time on the real calendar (Monday-Friday counting would
    // have made the deadline 9 October); 15 working days to conclude -> 4 November
    set_clock(&app, d("2026-10-14"));
    let id = id_of(&app, &reg, &code).await;
    let r = app.post(&format!("/api/v1/complaints/{id}/accept"), Some(&reg.token), json!({})).await;
    r.assert_status(200);
    assert_eq!(r.body["conclusion_due"], "2026-11-04");
    assert_eq!(r.body["deadline_note"], Value::Null);
    assert_eq!(track(&app, &code, &key).await.body["conclusion_due"], "2026-11-04");
    let stats = app.get("/api/v1/stats/overview", None).await;
    assert_eq!(stats.body["complaints"]["decided"], 1, "{}", stats.text);
    assert_eq!(stats.body["complaints"]["decided_on_time"], 1, "{}", stats.text);
    // not overdue on the 15th, overdue on the 16th
    set_clock(&app, d("2026-10-16"));
    let late = app.get("/api/v1/complaints?overdue=true", Some(&reg.token)).await;
    assert_eq!(late.body["total"], 1, "the form's complaint (due 15 October) is overdue: {}", late.text);

    // received Friday 13 February: Saturday 14 worked, 15-23 off, Saturday 28 worked -> 2 March
    set_clock(&app, d("2026-02-13"));
    let r = file(&app, &decl).await;
    assert_eq!(r.body["acceptance_due"], "2026-03-02", "{}", r.text);
    let code = r.body["tracking_code"].as_str().expect("code").to_string();
    let key = r.body["access_key"].as_str().expect("key").to_string();
    assert_eq!(track(&app, &code, &key).await.body["acceptance_due"], "2026-03-02");

    // the regulator's console shows the same deadline
    let mut desk = WebClient::new(&app);
    desk.sign_in(&reg.email, crate::helpers::PASSWORD, "/regulator").await;
    let id = id_of(&app, &reg, &code).await;
    let p = desk.get(&format!("/regulator/complaints/{id}")).await;
    p.assert_status(200);
    assert!(p.text.contains("2026-03-02"), "{}", p.text);
}

#[tokio::test]
async fn deadlines_past_the_table_count_weekends_only_say_so_and_are_recounted_when_the_year_is_loaded() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let decl = published(&app, &org, "Q/CQHD 002-2025").await;
    let reg = app.regulator("500103").await;

    // received Monday 28 December 2026: 2027 is not in the table, so 1 January counts as a
    // working day -> 6 January
    set_clock(&app, d("2026-12-28"));
    let r = file(&app, &decl).await;
    assert_eq!(r.body["acceptance_due"], "2027-01-06", "{}", r.text);
    let code = r.body["tracking_code"].as_str().expect("code").to_string();
    let id = id_of(&app, &reg, &code).await;
    let v = app.get(&format!("/api/v1/complaints/{id}"), Some(&reg.token)).await;
    assert!(v.body["deadline_note"].as_str().is_some_and(|n| n.contains("2027")), "{}", v.text);
    let list = app.get("/api/v1/complaints", Some(&reg.token)).await;
    assert!(list.body["items"][0]["deadline_note"].as_str().is_some_and(|n| n.contains("2027")), "{}", list.text);

    let mut desk = WebClient::new(&app);
    desk.sign_in(&reg.email, crate::helpers::PASSWORD, "/regulator").await;
    let home = desk.get("/regulator").await;
    home.assert_status(200);
    let alert = home.text.split("id=\"calendar-uncovered\"").nth(1).expect("the dashboard warns");
    assert!(alert.contains("2027") && alert.contains("周末"), "{alert}");
    // a regulator elsewhere has no such deadline and no warning
    let other = app.regulator("500104").await;
    let mut desk2 = WebClient::new(&app);
    desk2.sign_in(&other.email, crate::helpers::PASSWORD, "/regulator").await;
    assert!(!desk2.get("/regulator").await.text.contains("calendar-uncovered"));

    // a file with a mistake is refused whole, naming the line
    let (ok, _, err) = load_holidays_cli(
        &app,
        "date,kind,festival,festival_zh\n2027-01-01,holiday,New Year's Day,元旦\n2027-01-04,workday,New Year's Day,元旦\n",
    );
    assert!(!ok);
    assert!(err.contains("line 3") && err.contains("weekday"), "{err}");
    assert_eq!(app.count("SELECT count(*) FROM calendar_days WHERE day >= '2027-01-01'"), 0);

    // the year's notice loaded by the operator: the deadline is re-counted on it (1 January off)
    let (ok, out, err) =
        load_holidays_cli(&app, "date,kind,festival,festival_zh\n2027-01-01,holiday,New Year's Day,元旦\n");
    assert!(ok, "{err}");
    assert!(out.contains("2027") && out.contains("re-counted on the loaded days: 1"), "{out}");
    let v = app.get(&format!("/api/v1/complaints/{id}"), Some(&reg.token)).await;
    assert_eq!(v.body["acceptance_due"], "2027-01-07", "{}", v.text);
    assert_eq!(v.body["deadline_note"], Value::Null);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'complaint.deadline_recounted'"), 1);
    assert!(!desk.get("/regulator").await.text.contains("calendar-uncovered"));
    // loading it again changes nothing
    let (ok, out, _) =
        load_holidays_cli(&app, "date,kind,festival,festival_zh\n2027-01-01,holiday,New Year's Day,元旦\n");
    assert!(ok && out.contains("1 unchanged") && out.contains("re-counted on the loaded days: 0"), "{out}");
}
