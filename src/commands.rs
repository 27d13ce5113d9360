//! The command-line operations behind `stdreg migrate`, `catalog import` and the start-up checks of
//! `serve`.

use diesel::Connection;
use diesel::pg::PgConnection;

use crate::config::Settings;
use crate::search::SearchIndex;

fn connect(settings: &Settings) -> anyhow::Result<PgConnection> {
    PgConnection::establish(settings.database_url())
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL (STDREG_DATABASE_URL): {e}"))
}

/// Command-line work on the blocking pool ([`crate::blocking::run`] with `anyhow` errors).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    crate::blocking::run(f).await
}

/// Applies migrations, loads reference data and applies the search settings.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let s = settings.clone();
    let (applied, report) = blocking(move || {
        let mut conn = connect(&s)?;
        let applied = crate::db::migrate(&mut conn)?;
        let report = crate::reference::import_all(&mut conn)?;
        Ok((applied, report))
    })
    .await?;
    if applied.is_empty() {
        println!("database schema up to date");
    } else {
        println!("applied migrations: {}", applied.join(", "));
    }
    println!(
        "reference data: {} divisions, {} industries, {} ICS, {} CCS, {} sector codes, {} catalogue standards, {} plan rows, {} holiday-table days, {} canonical indicators, {} requirement rows",
        report.divisions,
        report.industries,
        report.ics_codes,
        report.ccs_codes,
        report.sac_industry_codes,
        report.catalog_standards,
        report.plan_targets,
        report.calendar_days,
        report.comparison_tables.canonical_indicators,
        report.comparison_tables.requirements
    );
    let search = SearchIndex::new(settings)?;
    let uid = search.declarations_uid();
    match search.ensure_index(&uid).await {
        Ok(true) => println!("search index {uid}: settings applied"),
        Ok(false) => println!("search index {uid}: settings up to date"),
        Err(e) => anyhow::bail!("cannot prepare the search index at {} (STDREG_MEILI_URL): {e}", settings.meili_url),
    }
    Ok(())
}

/// Loads the shipped reference tables.
pub async fn catalog_import(settings: &Settings) -> anyhow::Result<()> {
    let s = settings.clone();
    let report = blocking(move || crate::reference::import_all(&mut connect(&s)?)).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// Checks before serving: the database answers and its schema is the one this binary knows.
pub async fn preflight(settings: &Settings) -> anyhow::Result<()> {
    let s = settings.clone();
    blocking(move || {
        let mut conn = connect(&s)?;
        let status = crate::db::schema_status(&mut conn)?;
        if !status.unknown.is_empty() {
            anyhow::bail!(
                "the database has migrations this binary does not know ({}); it was migrated by a newer release — run that release",
                status.unknown.join(", ")
            );
        }
        if !status.pending.is_empty() {
            if s.migrate_on_start {
                crate::db::migrate(&mut conn)?;
                crate::reference::import_all(&mut conn)?;
            } else {
                anyhow::bail!(
                    "the database lacks migrations {} — run `stdreg migrate` first (or set migrate_on_start=true)",
                    status.pending.join(", ")
                );
            }
        }
        Ok(())
    })
    .await?;
    let search = SearchIndex::new(settings)?;
    if !search.healthy().await {
        tracing::warn!(url = %settings.meili_url, "Meilisearch is not reachable: search answers from PostgreSQL (degraded) until it is");
    } else if let Err(e) = search.ensure_index(&search.declarations_uid()).await {
        tracing::warn!(error = %e, "could not check the search index settings");
    }
    Ok(())
}

/// Creates a sysadmin or regulator account from the command line.
pub async fn create_user(
    settings: &Settings,
    email: &str,
    password: &str,
    name: &str,
    role: &str,
    jurisdiction: Option<&str>,
) -> anyhow::Result<()> {
    let input =
        crate::services::accounts::staff::check_staff(email, password, name, role, jurisdiction).map_err(describe)?;
    let s = settings.clone();
    let user = blocking(move || {
        let hash = crate::crypto::password::hash(&input.password)?;
        let mut conn = connect(&s)?;
        let now = chrono::Utc::now();
        conn.transaction(|conn| {
            crate::services::accounts::staff::create_staff(
                conn,
                now,
                &crate::audit::AuditActor::system(),
                &input,
                &hash,
            )
        })
        .map_err(describe)
    })
    .await?;
    println!("created {} {} ({})", user.role.as_str(), user.email, user.id);
    Ok(())
}

/// An API error as a one-line message naming its fields.
fn describe(e: crate::error::ApiError) -> anyhow::Error {
    let details: Vec<String> = e.details.iter().map(|d| format!("{}: {}", d.field, d.message)).collect();
    if details.is_empty() { anyhow::anyhow!("{}", e.message) } else { anyhow::anyhow!("{}", details.join("; ")) }
}

/// Rebuilds the search index and swaps it in.
pub async fn reindex(settings: &Settings) -> anyhow::Result<()> {
    let state = crate::state::AppState::new(settings.clone())?;
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = crate::search::reindex::reindex(&state.pool, &state.search, progress).await?;
    println!(
        "reindexed {} declarations in {:.1} s ({} changed meanwhile and re-applied)",
        report.documents, report.seconds, report.requeued
    );
    Ok(())
}

/// Loads a holiday file (a new year's official holidays and make-up working days) into the
/// working-day calendar: all rows or none.
pub async fn holidays_import(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let s = settings.clone();
    let (r, recounted) = blocking(move || {
        let mut conn = connect(&s)?;
        conn.transaction(|conn| {
            let r = crate::reference::holidays::import(conn, &text)?;
            let recounted = crate::services::complaints::deadlines::recount(conn, chrono::Utc::now(), &r.years)?;
            Ok((r, recounted))
        })
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let years: Vec<String> = r.years.iter().map(i32::to_string).collect();
    println!(
        "holiday table: {} rows for {} ({} added, {} changed, {} unchanged)",
        r.rows,
        years.join(", "),
        r.added,
        r.changed,
        r.unchanged
    );
    println!("open complaints whose deadline was re-counted on the loaded days: {recounted}");
    Ok(())
}

/// Writes a backup.
pub async fn backup(settings: &Settings, dir: &std::path::Path) -> anyhow::Result<()> {
    let (s, d) = (settings.clone(), dir.to_path_buf());
    let m = blocking(move || crate::backup::backup(&s, &d)).await?;
    println!(
        "backup written to {}: {} tables, {} audit events (head {}), {} files, dump {} bytes",
        dir.display(),
        m.counts.len(),
        m.audit_count,
        m.audit_head,
        m.files.len(),
        m.dump_size
    );
    Ok(())
}

/// Restores a backup, then rebuilds the search index from the restored database.
pub async fn restore(settings: &Settings, dir: &std::path::Path, force: bool) -> anyhow::Result<()> {
    let (s, d) = (settings.clone(), dir.to_path_buf());
    let m = blocking(move || crate::backup::restore(&s, &d, force)).await?;
    println!(
        "restored {} tables and {} files; audit chain verified ({} events, head {})",
        m.counts.len(),
        m.files.len(),
        m.audit_count,
        m.audit_head
    );
    let state = crate::state::AppState::new(settings.clone())?;
    match crate::search::reindex::reindex(&state.pool, &state.search, false).await {
        Ok(r) => println!("search index rebuilt: {} declarations", r.documents),
        Err(e) => anyhow::bail!(
            "restored, but the search index could not be rebuilt ({e}); run `stdreg reindex` when Meilisearch is reachable"
        ),
    }
    Ok(())
}

/// Asks the local server's `/healthz`.
pub async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    let mut addr = settings.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build()?;
    let res = client.get(format!("http://{addr}/healthz")).send().await?;
    if !res.status().is_success() {
        anyhow::bail!("/healthz answered {}", res.status());
    }
    Ok(())
}

/// Walks the audit hash chain. Intact: prints the count and head hash. Broken: an error naming the
/// first broken event (the process exits non-zero).
pub async fn audit_verify(settings: &Settings) -> anyhow::Result<()> {
    let s = settings.clone();
    let result = blocking(move || Ok(crate::audit::verify(&mut connect(&s)?)?)).await?;
    match result {
        crate::audit::Verification::Intact(head) => {
            println!("audit chain intact: {} events", head.count);
            println!("head hash: {}", head.head_hash);
            Ok(())
        }
        crate::audit::Verification::Broken { seq, intact, reason } => {
            anyhow::bail!("audit chain broken at event {seq}: {reason} ({intact} events before it verify)")
        }
    }
}

/// Writes demo data.
pub async fn seed(settings: &Settings, declarations: usize, seed: u64, index: bool) -> anyhow::Result<()> {
    let state = crate::state::AppState::new(settings.clone())?;
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let opts = crate::seed::SeedOptions { declarations, seed, progress, index };
    let r = crate::seed::run(&state, &opts).await?;
    println!(
        "seeded {} organizations ({} social organizations), {} declarations ({} revised, {} withdrawn) in {:.1} s",
        r.organizations, r.social_organizations, r.declarations, r.revised, r.withdrawn, r.seconds
    );
    println!("demo accounts: admin@<uscc in lower case>.demo.stdreg.cn, password {}", crate::seed::DEMO_PASSWORD);
    Ok(())
}

/// Loads standards catalogue files (`stdreg catalog standards FILE... [--dry-run]`): prints what was
/// added, changed (which fields), unchanged and refused (with line and reason); refused rows mean
/// nothing was applied and the command fails.
pub async fn standards_load(
    settings: &Settings,
    files: &[std::path::PathBuf],
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let mut inputs = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        inputs.push(crate::services::catalog::LoadFile { name: f.display().to_string(), bytes });
    }
    let s = settings.clone();
    let report = blocking(move || {
        let mut conn = connect(&s)?;
        let now = chrono::Utc::now();
        let today = crate::clock::china_date(now);
        crate::services::catalog::load(&mut conn, now, today, &crate::audit::AuditActor::system(), &inputs, dry_run)
            .map_err(describe)
    })
    .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::services::catalog::report_text(&report));
    }
    if !report.table.refused.is_empty() {
        anyhow::bail!("{} row(s) refused: nothing was applied", report.table.refused.len());
    }
    Ok(())
}

/// Loads canonical indicator files (`what` = `indicators`) or requirement tables (`requirements`):
/// prints the report (added, changed with fields, removed, unchanged, refused with line and reason);
/// refused rows mean nothing was applied and the command fails.
pub async fn comparison_table_load(
    settings: &Settings,
    what: &'static str,
    files: &[std::path::PathBuf],
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let mut inputs = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        inputs.push(crate::services::catalog::LoadFile { name: f.display().to_string(), bytes });
    }
    let s = settings.clone();
    let report = blocking(move || {
        let mut conn = connect(&s)?;
        let now = chrono::Utc::now();
        let actor = crate::audit::AuditActor::system();
        let r = if what == "indicators" {
            crate::services::comparisons::load_indicators(&mut conn, now, &actor, &inputs, dry_run)
        } else {
            crate::services::comparisons::load_requirements(&mut conn, now, &actor, &inputs, dry_run)
        };
        r.map_err(describe)
    })
    .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::services::comparisons::report_text(&report));
        if report.applied && (!report.added.is_empty() || !report.changed.is_empty() || !report.removed.is_empty()) {
            println!(
                "comparisons of the public declarations concerned are recomputed in the background by the workers"
            );
        }
    }
    if !report.refused.is_empty() {
        anyhow::bail!("{} row(s) refused: nothing was applied", report.refused.len());
    }
    Ok(())
}

/// Runs the queued recomputations of comparisons to the end, printing progress per run.
pub async fn comparisons_recompute(settings: &Settings) -> anyhow::Result<()> {
    let s = settings.clone();
    let total = blocking(move || {
        let mut conn = connect(&s)?;
        let mut total = 0usize;
        while let Some(b) =
            crate::services::comparisons::recompute::run_batch(&mut conn, chrono::Utc::now(), 1000).map_err(describe)?
        {
            total += b.processed;
            if b.finished {
                println!("run {} finished", b.run);
            }
        }
        Ok(total)
    })
    .await?;
    println!("declarations recomputed: {total}");
    Ok(())
}
