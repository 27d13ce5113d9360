//! The audit log: the hash chain checked by `stdreg audit verify` (and broken on purpose with SQL),
//! concurrent writers, and who may read which events.

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::json;

use crate::declarations::published;
use crate::helpers::{TestApp, db_url, env};

/// Runs `stdreg audit verify` against the test's database: (success, stdout, stderr).
fn verify_cli(app: &TestApp) -> (bool, String, String) {
    let e = env();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args(["audit", "verify"])
        .env("STDREG_DATABASE_URL", db_url(&app.db_name))
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys)
        .env("STDREG_LOG_LEVEL", "error")
        .output()
        .expect("run stdreg audit verify");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_intact(app: &TestApp, count: i64) {
    let (ok, stdout, stderr) = verify_cli(app);
    assert!(ok, "verify failed: {stderr}");
    assert!(stdout.contains(&format!("{count} events")), "{stdout}");
}

#[track_caller]
fn assert_broken_at(app: &TestApp, seq: i64, why: &str) {
    let (ok, stdout, stderr) = verify_cli(app);
    assert!(!ok, "verify passed after tampering ({why}): {stdout}");
    assert!(stderr.contains(&format!("broken at event {seq}:")), "({why}) expected event {seq} named: {stderr}");
}

fn exec(app: &TestApp, sql: &str) {
    app.db().batch_execute(sql).expect("tampering SQL");
}

fn text(app: &TestApp, sql: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    diesel::sql_query(format!("SELECT ({sql})::text AS t")).get_result::<T>(&mut app.db()).expect("text").t
}

/// Replaces the summary of event `seq` and sets its hash to the one the new content computes to, as
/// a forger who knows the algorithm would.
fn rewrite_hash(app: &TestApp, seq: i64, summary: serde_json::Value) {
    use diesel::prelude::*;
    use stdreg::db::schema::audit_events as ae;
    let mut conn = app.db();
    let ev: stdreg::audit::AuditEvent =
        ae::table.find(seq).select(stdreg::audit::AuditEvent::as_select()).first(&mut conn).expect("event");
    let hash = stdreg::audit::event_hash(
        &ev.prev_hash,
        ev.seq,
        &ev.at,
        ev.actor_id,
        &ev.actor_role,
        &ev.action,
        &ev.entity_type,
        &ev.entity_id,
        ev.division_code.as_deref(),
        &summary,
    );
    diesel::update(ae::table.find(seq))
        .set((ae::summary.eq(&summary), ae::hash.eq(&hash)))
        .execute(&mut conn)
        .expect("rewrite");
}

/// Toggles a forged marker in the summary of event `seq` and recomputes its hash.
fn rewrite_with_valid_hash(app: &TestApp, seq: i64) {
    use diesel::prelude::*;
    use stdreg::db::schema::audit_events as ae;
    let mut summary: serde_json::Value = ae::table.find(seq).select(ae::summary).first(&mut app.db()).expect("summary");
    let obj = summary.as_object_mut().expect("object summary");
    if obj.remove("forged").is_none() {
        obj.insert("forged".into(), json!(true));
    }
    rewrite_hash(app, seq, summary);
}

/// Some real activity: registrations, declarations created and published.
async fn activity(app: &TestApp) {
    let a = app.enterprise("500103").await;
    let b = app.enterprise("500229").await;
    published(app, &a, "Q/CQAU 001-2024").await;
    published(app, &a, "Q/CQAU 002-2024").await;
    published(app, &b, "Q/CQAU 003-2024").await;
}

#[tokio::test]
async fn audit_verify_passes_on_the_real_chain_and_names_the_first_tampered_event() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    let count = app.count("SELECT max(seq) FROM audit_events");
    assert!(count >= 8, "expected some events, got {count}");
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), count);

    // Intact: the command prints the count and the same head the public endpoint shows.
    let head = app.get("/api/v1/audit/head", None).await;
    head.assert_status(200);
    assert_eq!(head.body["count"], count);
    let head_hash = head.body["head_hash"].as_str().expect("hash").to_string();
    assert_eq!(head_hash, text(&app, &format!("SELECT hash FROM audit_events WHERE seq = {count}")));
    let (ok, stdout, stderr) = verify_cli(&app);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("{count} events")) && stdout.contains(&head_hash), "{stdout}");

    // Altered: a summary rewritten in SQL.
    let original = text(&app, "SELECT summary FROM audit_events WHERE seq = 3");
    exec(&app, r#"UPDATE audit_events SET summary = '{"tampered": true}' WHERE seq = 3"#);
    assert_broken_at(&app, 3, "altered summary");
    exec(&app, &format!("UPDATE audit_events SET summary = '{}'::jsonb WHERE seq = 3", original.replace('\'', "''")));
    assert_intact(&app, count);
    // Altered: the actor changed.
    let role = text(&app, "SELECT actor_role FROM audit_events WHERE seq = 5");
    exec(&app, "UPDATE audit_events SET actor_role = 'forged_role' WHERE seq = 5");
    assert_broken_at(&app, 5, "altered actor");
    exec(&app, &format!("UPDATE audit_events SET actor_role = '{role}' WHERE seq = 5"));
    assert_intact(&app, count);
    // Altered with the hash recomputed by the forger: the link to the next event names the break;
    // for the newest event, the recorded head does.
    rewrite_with_valid_hash(&app, 6);
    assert_broken_at(&app, 7, "rewritten with a recomputed hash");
    rewrite_with_valid_hash(&app, 6);
    assert_intact(&app, count);
    rewrite_with_valid_hash(&app, count);
    assert_broken_at(&app, count, "newest event rewritten with a recomputed hash");
    rewrite_with_valid_hash(&app, count);
    assert_intact(&app, count);

    // Deleted in the middle.
    exec(&app, "CREATE TABLE keep AS SELECT * FROM audit_events WHERE seq = 4; DELETE FROM audit_events WHERE seq = 4");
    assert_broken_at(&app, 4, "deleted event");
    exec(&app, "INSERT INTO audit_events SELECT * FROM keep; DROP TABLE keep");
    assert_intact(&app, count);

    // Deleted at the end: the chain stops short of the recorded head.
    exec(
        &app,
        &format!(
            "CREATE TABLE keep AS SELECT * FROM audit_events WHERE seq > {n}; DELETE FROM audit_events WHERE seq > {n}",
            n = count - 2
        ),
    );
    assert_broken_at(&app, count - 1, "deleted last events");
    exec(&app, "INSERT INTO audit_events SELECT * FROM keep; DROP TABLE keep");
    assert_intact(&app, count);

    // Inserted at the end, with a correctly computed hash: it lies beyond the recorded head.
    let at = chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros()).expect("ts");
    let summary = json!({"note": "forged"});
    let forged =
        stdreg::audit::event_hash(&head_hash, count + 1, &at, None, "system", "x.forged", "x", "1", None, &summary);
    let mut conn = app.db();
    diesel::sql_query(
        "INSERT INTO audit_events (seq, at, actor_role, action, entity_type, entity_id, summary, prev_hash, hash) \
         VALUES ($1, $2, 'system', 'x.forged', 'x', '1', $3, $4, $5)",
    )
    .bind::<diesel::sql_types::BigInt, _>(count + 1)
    .bind::<diesel::sql_types::Timestamptz, _>(at)
    .bind::<diesel::sql_types::Jsonb, _>(&summary)
    .bind::<diesel::sql_types::Text, _>(&head_hash)
    .bind::<diesel::sql_types::Text, _>(&forged)
    .execute(&mut conn)
    .expect("insert forged event");
    assert_broken_at(&app, count + 1, "inserted after the head");
    exec(&app, &format!("DELETE FROM audit_events WHERE seq = {}", count + 1));
    assert_intact(&app, count);

    // Inserted in the middle: later events renumbered to make room.
    exec(
        &app,
        "UPDATE audit_events SET seq = -seq WHERE seq >= 3; UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0; \
         INSERT INTO audit_events (seq, at, actor_role, action, entity_type, entity_id, summary, prev_hash, hash) \
         SELECT 3, at, 'system', 'x.inserted', 'x', '1', '{}', hash, repeat('f', 64) FROM audit_events WHERE seq = 2",
    );
    assert_broken_at(&app, 3, "inserted in the middle");
    exec(
        &app,
        "DELETE FROM audit_events WHERE seq = 3; UPDATE audit_events SET seq = -seq WHERE seq >= 4; \
         UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0",
    );
    assert_intact(&app, count);

    // An event before the first one.
    exec(
        &app,
        "INSERT INTO audit_events (seq, at, actor_role, action, entity_type, entity_id, summary, prev_hash, hash) \
         VALUES (0, now(), 'system', 'x.early', 'x', '1', '{}', repeat('0', 64), repeat('e', 64))",
    );
    assert_broken_at(&app, 0, "inserted before the first");
    exec(&app, "DELETE FROM audit_events WHERE seq = 0");
    assert_intact(&app, count);
}

#[tokio::test]
async fn concurrent_writers_keep_one_dense_chain() {
    let app = TestApp::spawn().await;
    let before = app.count("SELECT count(*) FROM audit_events");
    let url = db_url(&app.db_name);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = diesel::PgConnection::establish(&url).expect("connect");
                let actor = stdreg::audit::AuditActor::system();
                let mut appended = 0i64;
                for i in 0..15 {
                    let now = chrono::Utc::now();
                    let ev = |n: usize| stdreg::audit::NewEvent {
                        actor: &actor,
                        action: "test.concurrent",
                        entity_type: "test",
                        entity_id: format!("{t}-{i}-{n}"),
                        division_code: Some("500103".into()),
                        summary: json!({"thread": t, "i": i, "n": n}),
                    };
                    conn.transaction::<_, diesel::result::Error, _>(|conn| {
                        if i % 3 == 0 {
                            stdreg::audit::append_many(conn, now, &[ev(0), ev(1), ev(2)])?;
                            appended += 3;
                        } else {
                            stdreg::audit::append(conn, now, ev(0))?;
                            appended += 1;
                        }
                        Ok(())
                    })
                    .expect("append");
                }
                appended
            })
        })
        .collect();
    let appended: i64 = threads.into_iter().map(|h| h.join().expect("thread")).sum();
    assert_eq!(appended, 8 * (5 * 3 + 10));
    let total = before + appended;
    // dense: 1..=total, one event per seq, and no two events continue the same predecessor (no fork)
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), total);
    assert_eq!(app.count("SELECT max(seq) FROM audit_events"), total);
    assert_eq!(app.count("SELECT min(seq) FROM audit_events"), 1);
    assert_eq!(app.count("SELECT count(DISTINCT prev_hash) FROM audit_events"), total);
    match stdreg::audit::verify(&mut app.db()).expect("verify") {
        stdreg::audit::Verification::Intact(head) => assert_eq!(head.count, total),
        other => panic!("chain broken under concurrent writers: {other:?}"),
    }
    assert_intact(&app, total);
}

#[tokio::test]
async fn audit_events_are_read_by_sysadmins_and_by_regulators_within_their_jurisdiction() {
    let app = TestApp::spawn().await;
    let yuzhong = app.enterprise("500103").await;
    let chengkou = app.enterprise("500229").await;
    let d1 = published(&app, &yuzhong, "Q/CQAR 001-2024").await;
    let d2 = published(&app, &chengkou, "Q/CQAR 002-2024").await;

    let admin = app.sysadmin().await;
    let all = app.get("/api/v1/audit?per_page=100", Some(&admin.token)).await;
    all.assert_status(200);
    assert_eq!(all.body["total"], app.count("SELECT count(*) FROM audit_events"));
    let seqs: Vec<i64> =
        all.body["items"].as_array().expect("items").iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first: {seqs:?}");
    assert!(all.body["items"][0]["hash"].as_str().is_some_and(|h| h.len() == 64));

    let of_d1 = app.get(&format!("/api/v1/audit?entity_type=declaration&entity_id={d1}"), Some(&admin.token)).await;
    of_d1.assert_status(200);
    let actions: Vec<&str> =
        of_d1.body["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, vec!["declaration.published", "declaration.created"]);
    assert!(of_d1.body["items"].as_array().expect("items").iter().all(|e| e["entity_id"] == d1.as_str()));

    // A district regulator sees its district's events only.
    let reg = app.regulator("500103").await;
    let mine = app.get(&format!("/api/v1/audit?entity_type=declaration&entity_id={d1}"), Some(&reg.token)).await;
    mine.assert_status(200);
    assert_eq!(mine.body["total"], 2);
    let theirs = app.get(&format!("/api/v1/audit?entity_type=declaration&entity_id={d2}"), Some(&reg.token)).await;
    theirs.assert_status(200);
    assert_eq!(theirs.body["total"], 0);
    let everything = app.get("/api/v1/audit?per_page=100", Some(&reg.token)).await;
    everything.assert_status(200);
    assert_eq!(
        everything.body["total"],
        app.count("SELECT count(*) FROM audit_events WHERE division_code LIKE '500103%'")
    );
    assert!(
        everything.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["division_code"].as_str().is_some_and(|d| d.starts_with("500103"))),
        "{}",
        everything.text
    );
    // The municipal regulator sees both districts.
    let city = app.regulator("500000").await;
    let both = app.get(&format!("/api/v1/audit?entity_type=declaration&entity_id={d2}"), Some(&city.token)).await;
    assert_eq!(both.body["total"], 2);

    // Organizations and the public may not read the log; bad parameters are named.
    app.get("/api/v1/audit", Some(&yuzhong.admin.token)).await.assert_status(403);
    app.get("/api/v1/audit", None).await.assert_status(401);
    for (qs, field) in
        [("entity_id=a%27%20OR%201%3D1", "entity_id"), ("per_page=101", "per_page"), ("entity=declaration", "entity")]
    {
        let r = app.get(&format!("/api/v1/audit?{qs}"), Some(&admin.token)).await;
        r.assert_status(400);
        assert_eq!(r.error_fields(), vec![field], "{qs}: {}", r.text);
    }

    // The head is public and moves with every change.
    let h1 = app.get("/api/v1/audit/head", None).await;
    h1.assert_status(200);
    published(&app, &yuzhong, "Q/CQAR 003-2024").await;
    let h2 = app.get("/api/v1/audit/head", None).await;
    assert_eq!(h2.body["count"].as_i64(), h1.body["count"].as_i64().map(|c| c + 2));
    assert_ne!(h2.body["head_hash"], h1.body["head_hash"]);
}
