//! `stdreg backup` and `stdreg restore`: a consistent PostgreSQL dump (custom format, taken from an
//! exported snapshot so the manifest's counts and audit head describe exactly what was dumped), the
//! content-addressed file store, and a manifest with counts, the audit head, versions and checksums.
//! Restore refuses a non-empty database unless forced, checks every checksum, and reindexes search.

use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::files::BlobStore;

pub const MANIFEST: &str = "manifest.json";
pub const DUMP: &str = "database.dump";

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub sha256: String,
    pub size: i64,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Manifest {
    pub format: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub stdreg_version: String,
    pub schema_version: Option<String>,
    /// Row counts of every table, at the dump's snapshot.
    pub counts: std::collections::BTreeMap<String, i64>,
    pub audit_count: i64,
    pub audit_head: String,
    pub dump_sha256: String,
    pub dump_size: u64,
    pub files: Vec<FileEntry>,
}

/// `pg_dump` / `pg_restore`: from PATH, else the Debian PostgreSQL 15 location.
fn pg_tool(name: &str) -> PathBuf {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    PathBuf::from("/usr/lib/postgresql/15/bin").join(name)
}

fn sha256_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut f = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut h = Sha256::new();
    let n = std::io::copy(&mut f, &mut h)?;
    Ok((hex::encode(h.finalize()), n))
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn table_names(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load::<Name>(conn)?
    .into_iter()
    .map(|n| n.name)
    .collect())
}

fn counts(conn: &mut PgConnection) -> QueryResult<std::collections::BTreeMap<String, i64>> {
    let mut out = std::collections::BTreeMap::new();
    for t in table_names(conn)? {
        if t.starts_with("__diesel") {
            continue;
        }
        let c: Count = diesel::sql_query(format!("SELECT count(*)::int8 AS n FROM \"{t}\"")).get_result(conn)?;
        out.insert(t, c.n);
    }
    Ok(out)
}

/// Writes a backup into `dir` (created; must be empty).
pub fn backup(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    std::fs::create_dir_all(dir)?;
    if std::fs::read_dir(dir)?.next().is_some() {
        anyhow::bail!("{} is not empty", dir.display());
    }
    let mut conn = PgConnection::establish(settings.database_url())?;
    let schema_version = crate::db::schema_status(&mut conn)?.current;
    conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
    let snapshot: Name = diesel::sql_query("SELECT pg_export_snapshot() AS name").get_result(&mut conn)?;
    let counts = counts(&mut conn)?;
    let head = crate::audit::head(&mut conn)?;
    let blobs: Vec<(String, i64)> = crate::db::schema::blobs::table
        .select((crate::db::schema::blobs::sha256, crate::db::schema::blobs::size))
        .order(crate::db::schema::blobs::sha256)
        .load(&mut conn)?;

    let dump_path = dir.join(DUMP);
    let status = Command::new(pg_tool("pg_dump"))
        .arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--snapshot={}", snapshot.name))
        .arg(format!("--file={}", dump_path.display()))
        .arg(format!("--dbname={}", settings.database_url()))
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run pg_dump: {e}"))?;
    conn.batch_execute("COMMIT")?;
    if !status.success() {
        anyhow::bail!("pg_dump failed ({status})");
    }
    let (dump_sha256, dump_size) = sha256_file(&dump_path)?;

    let store = BlobStore::new(&settings.data_dir);
    let target = BlobStore::new(&dir.join("files"));
    let mut files = Vec::with_capacity(blobs.len());
    for (sha, size) in blobs {
        let bytes = store
            .read(&sha)
            .map_err(|e| anyhow::anyhow!("file {sha} is missing from {}: {e}", store.root().display()))?;
        let (got, _) = target.put(&bytes)?;
        if got != sha {
            anyhow::bail!("file {sha} in the store is corrupt (its content hashes to {got})");
        }
        files.push(FileEntry { sha256: sha, size });
    }
    let manifest = Manifest {
        format: 1,
        created_at: chrono::Utc::now(),
        stdreg_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version,
        counts,
        audit_count: head.count,
        audit_head: head.head_hash,
        dump_sha256,
        dump_size,
        files,
    };
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Restores a backup into the configured (empty) database and data folder.
pub fn restore(settings: &Settings, dir: &Path, force: bool) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(dir.join(MANIFEST))?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(MANIFEST).display()))?;
    let dump_path = dir.join(DUMP);
    let (sha, _) = sha256_file(&dump_path)?;
    if sha != manifest.dump_sha256 {
        anyhow::bail!("{DUMP} does not match the manifest's checksum: the backup is damaged");
    }
    let source = BlobStore::new(&dir.join("files"));
    for f in &manifest.files {
        let (got, _) = sha256_file(&source.path(&f.sha256))?;
        if got != f.sha256 {
            anyhow::bail!("backup file {} is damaged", f.sha256);
        }
    }
    let mut conn = PgConnection::establish(settings.database_url())?;
    let existing = table_names(&mut conn)?;
    if !existing.is_empty() {
        if !force {
            anyhow::bail!(
                "the target database is not empty ({} tables); restore into an empty database, or pass --force to replace its contents",
                existing.len()
            );
        }
        conn.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")?;
    }
    let status = Command::new(pg_tool("pg_restore"))
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg(format!("--dbname={}", settings.database_url()))
        .arg(&dump_path)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run pg_restore: {e}"))?;
    if !status.success() {
        anyhow::bail!("pg_restore failed ({status})");
    }
    let store = BlobStore::new(&settings.data_dir);
    for f in &manifest.files {
        let bytes = source.read(&f.sha256)?;
        store.put(&bytes)?;
    }
    let restored = counts(&mut conn)?;
    if restored != manifest.counts {
        anyhow::bail!("restored row counts differ from the manifest: {restored:?} vs {:?}", manifest.counts);
    }
    match crate::audit::verify(&mut conn)? {
        crate::audit::Verification::Intact(head)
            if head.head_hash == manifest.audit_head && head.count == manifest.audit_count => {}
        crate::audit::Verification::Intact(head) => {
            anyhow::bail!(
                "restored audit head {} ({} events) differs from the manifest's {}",
                head.head_hash,
                head.count,
                manifest.audit_head
            )
        }
        crate::audit::Verification::Broken { seq, reason, .. } => {
            anyhow::bail!("restored audit chain is broken at event {seq}: {reason}")
        }
    }
    Ok(manifest)
}
