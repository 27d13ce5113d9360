//! The demo data generator: reproducible, valid, and written with every invariant.

use diesel::RunQueryDsl;

use crate::helpers::TestApp;

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

fn snapshot(app: &TestApp) -> Vec<String> {
    diesel::sql_query(
        "SELECT o.uscc || ' ' || o.name || ' ' || d.kind || ' ' || d.standard_number || ' ' || d.standard_title AS line \
         FROM declarations d JOIN organizations o ON o.id = d.organization_id ORDER BY 1",
    )
    .load::<Line>(&mut app.db())
    .expect("rows")
    .into_iter()
    .map(|l| l.line)
    .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data_and_every_invariant_holds() {
    let opts = stdreg::seed::SeedOptions { declarations: 300, seed: 7, progress: false, index: true };
    let a = TestApp::spawn().await;
    let b = TestApp::spawn().await;
    let ra = stdreg::seed::run(&a.state, &opts).await.expect("seed a");
    stdreg::seed::run(&b.state, &opts).await.expect("seed b");
    assert_eq!(ra.declarations, 300);
    assert!(ra.organizations >= 30 && ra.social_organizations >= 2, "{ra:?}");
    let (sa, sb) = (snapshot(&a), snapshot(&b));
    assert_eq!(sa.len(), 300);
    assert_eq!(sa, sb, "same seed, same organizations, numbers and titles");
    let c = TestApp::spawn().await;
    stdreg::seed::run(&c.state, &stdreg::seed::SeedOptions { seed: 8, ..opts.clone() }).await.expect("seed c");
    assert_ne!(snapshot(&c), sa);

    // valid identifiers, real reference codes, the type mix, group standards by social organizations
    for line in &sa {
        let uscc = line.split(' ').next().expect("uscc");
        assert!(stdreg::domain::uscc::Uscc::parse(uscc).is_ok(), "{uscc}");
    }
    assert_eq!(
        a.count(
            "SELECT count(*) FROM declarations d LEFT JOIN divisions v ON v.code = d.division_code WHERE v.code IS NULL"
        ),
        0
    );
    assert_eq!(
        a.count(
            "SELECT count(*) FROM declarations d LEFT JOIN industries i ON i.section = left(d.industry_code, 1) AND i.code = substr(d.industry_code, 2) WHERE i.code IS NULL"
        ),
        0
    );
    let enterprise = a.count("SELECT count(*) FROM declarations WHERE standard_type = 'enterprise'");
    let national = a.count("SELECT count(*) FROM declarations WHERE standard_type LIKE 'national%'");
    assert!(enterprise > national && national > 0, "enterprise {enterprise}, national {national}");
    assert!(a.count("SELECT count(*) FROM declarations WHERE kind = 'group'") > 0);
    assert_eq!(
        a.count("SELECT count(*) FROM declarations d JOIN organizations o ON o.id = d.organization_id WHERE d.kind = 'group' AND o.kind <> 'social_organization'"),
        0
    );
    assert!(a.count("SELECT count(*) FROM declarations WHERE current_version = 2") > 0, "some revisions");
    assert!(a.count("SELECT count(*) FROM declarations WHERE status = 'withdrawn'") > 0, "some withdrawals");
    assert_eq!(
        a.count("SELECT count(*) FROM declaration_versions v WHERE v.standard_type IN ('enterprise', 'group') AND jsonb_array_length(v.indicators) = 0"),
        0,
        "Q/ and T/ declarations publish indicators"
    );
    // audit chain intact, every published declaration searchable
    let mut conn = a.db();
    assert!(matches!(stdreg::audit::verify(&mut conn).expect("verify"), stdreg::audit::Verification::Intact(_)));
    assert_eq!(a.count("SELECT count(*) FROM outbox"), 0);
    assert_eq!(a.indexed_ids().await, a.published_ids());
}
