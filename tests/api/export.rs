//! Open data: the export holds every published declaration once, nothing confidential, CSV with a
//! BOM, `updated_since` filtering, and keyset pages that lose nothing.

use std::collections::BTreeSet;

use diesel::connection::SimpleConnection;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::declarations::{create, published, q_declaration};
use crate::helpers::{TestApp, TestOrg};

const PHONE: &str = "023-6886-4417";
const ADDRESS: &str = "重庆市渝中区机密巷17号";
const DRAFT_NUMBER: &str = "Q/CQSECRET 009-2024";
const DRAFT_SUMMARY: &str = "尚未公开的修订草稿摘要甲乙丙";

fn exec(app: &TestApp, sql: &str) {
    app.db().batch_execute(sql).expect("sql");
}

async fn export(app: &TestApp, qs: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.client.get(format!("{}/api/v1/export/declarations{qs}", app.address)).send().await.expect("export");
    assert_eq!(res.status().as_u16(), 200, "{qs}");
    let headers = res.headers().clone();
    (headers, res.bytes().await.expect("body").to_vec())
}

fn ndjson(body: &[u8]) -> Vec<Value> {
    std::str::from_utf8(body)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect()
}

fn ids(records: &[Value]) -> BTreeSet<String> {
    records.iter().map(|r| r["id"].as_str().expect("id").to_string()).collect()
}

/// An organization with a planted contact phone and address, and declarations in every state.
async fn registry(app: &TestApp) -> (TestOrg, Vec<String>) {
    let org = app.enterprise("500103").await;
    exec(
        app,
        &format!("UPDATE organizations SET contact_phone = '{PHONE}', address = '{ADDRESS}' WHERE id = '{}'", org.id),
    );
    let a = published(app, &org, "Q/CQEX 001-2024").await;
    let b = published(app, &org, "Q/CQEX 002-2024").await;
    let c = published(app, &org, "Q/CQEX 003-2024").await;
    // a draft never published, and a revision draft of a public declaration
    create(app, &org, q_declaration(DRAFT_NUMBER)).await;
    app.post(&format!("/api/v1/declarations/{a}/revisions"), Some(&org.admin.token), json!({}))
        .await
        .assert_status(201);
    app.patch(&format!("/api/v1/declarations/{a}"), Some(&org.admin.token), json!({"summary": DRAFT_SUMMARY}))
        .await
        .assert_status(200);
    // withdrawn: still published, with its status
    app.post(&format!("/api/v1/declarations/{b}/withdraw"), Some(&org.admin.token), json!({"reason": "产品停产"}))
        .await
        .assert_status(200);
    // flagged by a regulator
    let reg = app.regulator("500103").await;
    app.post(
        &format!("/api/v1/declarations/{c}/flags"),
        Some(&reg.token),
        json!({"code": "under_check", "note": "抽查中"}),
    )
    .await
    .assert_status(201);
    let other = app.enterprise("500229").await;
    let d = published(app, &other, "Q/CQEX 004-2024").await;
    (org, vec![a, b, c, d])
}

#[tokio::test]
async fn the_export_holds_every_published_declaration_and_nothing_confidential() {
    let app = TestApp::spawn().await;
    let (org, made) = registry(&app).await;
    let expected: BTreeSet<String> = app.published_ids().into_iter().collect();
    assert_eq!(expected, made.iter().cloned().collect::<BTreeSet<_>>());

    let (headers, body) = export(&app, "?format=ndjson").await;
    assert!(headers["content-type"].to_str().is_ok_and(|c| c.starts_with("application/x-ndjson")));
    let records = ndjson(&body);
    assert_eq!(records.len() as i64, app.count("SELECT count(*) FROM declarations WHERE current_version IS NOT NULL"));
    assert_eq!(ids(&records), expected);

    let text = String::from_utf8(body.clone()).expect("utf-8");
    for secret in [PHONE, ADDRESS, DRAFT_NUMBER, DRAFT_SUMMARY, &org.admin.email, &org.admin.user_id.to_string()] {
        assert!(!text.contains(secret), "the export leaks {secret}");
    }
    for field in ["contact_phone", "address", "email", "created_by", "published_by", "password"] {
        assert!(!text.contains(&format!("\"{field}\"")), "the export has a {field} field");
    }

    let by_id = |id: &str| records.iter().find(|r| r["id"] == id).expect("record").clone();
    let a = by_id(&made[0]);
    assert_eq!(a["status"], "public");
    assert_eq!(a["version"], 1, "the public version, not the pending draft");
    assert_eq!(a["standard"]["normalized"], "Q/CQEX 001-2024");
    assert_eq!(a["organization"]["uscc"], org.uscc);
    assert_eq!(a["products"].as_array().map(Vec::len), Some(2));
    assert_eq!(a["indicators"].as_array().map(Vec::len), Some(3));
    assert_eq!(a["flags"], json!([]));
    let b = by_id(&made[1]);
    assert_eq!(b["status"], "withdrawn");
    assert_eq!(b["end_reason"], "产品停产");
    let c = by_id(&made[2]);
    assert_eq!(c["flags"][0]["code"], "under_check");

    // CSV: BOM, header, one row per declaration, the same secrets absent.
    let (headers, csv_body) = export(&app, "?format=csv").await;
    assert!(headers["content-type"].to_str().is_ok_and(|c| c.starts_with("text/csv")));
    assert!(headers["content-disposition"].to_str().is_ok_and(|c| c.contains(".csv")));
    assert_eq!(&csv_body[..3], b"\xEF\xBB\xBF", "CSV starts with the UTF-8 BOM");
    let csv_text = std::str::from_utf8(&csv_body[3..]).expect("utf-8");
    for secret in [PHONE, ADDRESS, DRAFT_NUMBER, DRAFT_SUMMARY, &org.admin.email] {
        assert!(!csv_text.contains(secret), "the CSV leaks {secret}");
    }
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(header, stdreg::services::export::CSV_HEADER.to_vec());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), expected.len());
    let csv_ids: BTreeSet<String> = rows.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(csv_ids, expected);
    let row_c = rows.iter().find(|r| r[0] == made[2]).expect("row");
    assert_eq!(&row_c[21], "under_check");
    assert_eq!(&row_c[11], "电动自行车锂电池；电动自行车锂电池");

    // A draft-only organization's data never appears, and the export is public.
    assert!(records.iter().all(|r| r["standard"]["normalized"] != DRAFT_NUMBER));
}

#[tokio::test]
async fn updated_since_filters_and_bad_parameters_are_refused() {
    let app = TestApp::spawn().await;
    let (_, made) = registry(&app).await;
    exec(
        &app,
        &format!(
            "UPDATE declarations SET updated_at = '2024-01-01T00:00:00Z' WHERE id IN ('{}', '{}')",
            made[0], made[3]
        ),
    );
    let recent: BTreeSet<String> = [made[1].clone(), made[2].clone()].into_iter().collect();
    let (_, body) = export(&app, "?updated_since=2025-01-01T00:00:00Z").await;
    assert_eq!(ids(&ndjson(&body)), recent);
    let (_, body) = export(&app, &format!("?updated_since={}", crate::helpers::enc("2024-01-01T08:00:00+08:00"))).await;
    assert_eq!(ids(&ndjson(&body)).len(), 4, "the bound is inclusive");
    // a date is 00:00 China time: 2024-01-01 begins at 2023-12-31T16:00Z
    let (_, body) = export(&app, "?updated_since=2024-01-01").await;
    assert_eq!(ids(&ndjson(&body)).len(), 4);
    let (_, body) = export(&app, "?updated_since=2024-01-02").await;
    assert_eq!(ids(&ndjson(&body)), recent);
    let (_, body) = export(&app, "?format=csv&updated_since=2025-01-01").await;
    assert_eq!(csv::Reader::from_reader(&body[3..]).records().count(), 2);
    let (_, body) = export(&app, "?updated_since=2999-01-01").await;
    assert!(body.is_empty());

    for (qs, field) in
        [("?format=xml", "format"), ("?updated_since=yesterday", "updated_since"), ("?since=2024-01-01", "since")]
    {
        let r = app.get(&format!("/api/v1/export/declarations{qs}"), None).await;
        r.assert_status(400);
        assert_eq!(r.error_fields(), vec![field], "{qs}: {}", r.text);
    }
}

#[tokio::test]
async fn keyset_pages_lose_and_repeat_nothing() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    // a bulk publication: many declarations share one updated_at, so pages split ties by id
    let items: Vec<Value> = (0..23).map(|i| q_declaration(&format!("Q/CQBULK {i:03}-2024"))).collect();
    let r = app
        .post("/api/v1/declarations:bulk", Some(&org.admin.token), json!({"declarations": items, "publish": true}))
        .await;
    r.assert_status(200);
    assert!(r.body["results"].as_array().expect("results").iter().all(|x| x["status"] == "created"), "{}", r.text);
    for i in 0..3 {
        published(&app, &org, &format!("Q/CQONE {i:03}-2024")).await;
    }
    let expected: Vec<String> = app.published_ids();
    assert_eq!(expected.len(), 26);

    use stdreg::services::export::Format;
    for (format, page_size) in [(Format::Ndjson, 4), (Format::Ndjson, 26), (Format::Csv, 5), (Format::Csv, 1000)] {
        let stream = stdreg::routes::export::export_stream(app.state.pool.clone(), format, None, page_size);
        let chunks: Vec<_> = stream.collect().await;
        let mut body = Vec::new();
        for c in chunks {
            body.extend_from_slice(&c.expect("chunk"));
        }
        let mut got: Vec<String> = match format {
            Format::Ndjson => ndjson(&body).iter().map(|r| r["id"].as_str().expect("id").to_string()).collect(),
            Format::Csv => {
                csv::Reader::from_reader(&body[3..]).records().map(|r| r.expect("row")[0].to_string()).collect()
            }
        };
        got.sort();
        assert_eq!(got, expected, "{format:?} in pages of {page_size}");
    }
}
