//! PostgreSQL: the r2d2 pool of sync diesel connections, the one helper that runs database work
//! off the async threads, and the embedded migrations.

pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{ApiError, ApiResult};

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Per-connection settings: a statement timeout so no request hangs on a stuck query.
#[derive(Debug, Clone, Copy)]
struct ConnectionSetup {
    statement_timeout_ms: u64,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!("SET statement_timeout = {}; SET TIME ZONE 'UTC';", self.statement_timeout_ms))
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Builds the pool without connecting (the first request or [`check`] connects).
pub fn build_pool(url: &str, size: u32, timeout: Duration) -> PgPool {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(size.min(2)))
        .connection_timeout(timeout)
        .connection_customizer(Box::new(ConnectionSetup { statement_timeout_ms: 30_000 }))
        .build_unchecked(ConnectionManager::<PgConnection>::new(url))
}

/// Runs `f` with a pooled connection on the blocking thread pool: the one way async code reaches
/// the database.
pub async fn run<T, F>(pool: &PgPool, f: F) -> ApiResult<T>
where
    F: FnOnce(&mut PgConnection) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    crate::blocking::run(move || {
        let mut conn = pool.get().map_err(ApiError::db_unavailable)?;
        f(&mut conn)
    })
    .await
}

/// Runs `f` inside one transaction (see [`run`]).
pub async fn transaction<T, F>(pool: &PgPool, f: F) -> ApiResult<T>
where
    F: FnOnce(&mut PgConnection) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| conn.transaction(f)).await
}

/// Escapes `%`, `_` and `\` for LIKE patterns.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Connects once to prove the URL and credentials work (start-up validation).
pub fn check(url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url).map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// Applies pending migrations; returns the versions applied.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied = conn.run_pending_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// Schema state relative to the migrations compiled into this binary.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The newest migration applied to the database.
    pub current: Option<String>,
    /// Migrations of this binary not yet applied.
    pub pending: Vec<String>,
    /// Migrations in the database that this binary does not know (a newer release migrated it).
    pub unknown: Vec<String>,
}

/// Compares the applied migrations with the embedded ones.
pub fn schema_status(conn: &mut PgConnection) -> anyhow::Result<SchemaStatus> {
    let known: Vec<String> = MigrationHarness::<diesel::pg::Pg>::pending_migrations(conn, MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let applied: Vec<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version")
        .load::<VersionRow>(conn)
        .map(|rows| rows.into_iter().map(|r| r.version).collect())
        .unwrap_or_default();
    let all: Vec<String> = embedded_versions();
    let unknown = applied.iter().filter(|v| !all.contains(v)).cloned().collect();
    Ok(SchemaStatus { current: applied.last().cloned(), pending: known, unknown })
}

/// Versions of every migration compiled into this binary, oldest first.
pub fn embedded_versions() -> Vec<String> {
    use diesel::migration::MigrationSource;
    let mut v: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}
