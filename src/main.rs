//! The `stdreg` command: subcommands only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stdreg::config::Settings;
use stdreg::startup::Application;
use stdreg::state::AppState;

#[derive(Parser)]
#[command(name = "stdreg", version, about = "标准自我声明公开与监督服务平台")]
struct Cli {
    /// TOML configuration file (STDREG_* environment variables override it).
    #[arg(long, global = true, env = "STDREG_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (and run the background workers unless run_workers=false).
    Serve,
    /// Run only the background workers (outbox to search, scheduled jobs).
    Worker,
    /// Apply pending migrations, load reference data and apply search settings.
    Migrate,
    /// Reference data.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Rebuild the search index from the database and swap it in without downtime.
    Reindex,
    /// Exit 0 when the local server answers /healthz (container health checks).
    Healthcheck,
    /// Measure search, writes, bulk import and memory on the seeded database (see docs/benchmarks.md).
    Bench {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        /// Concurrent search clients, comma-separated.
        #[arg(long, default_value = "1,16,64", value_delimiter = ',')]
        clients: Vec<usize>,
        /// Concurrent writers.
        #[arg(long, default_value_t = 16)]
        writers: usize,
        /// Declarations in the bulk-import measurement.
        #[arg(long, default_value_t = 10000)]
        bulk: usize,
        /// Also write the report as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Measure the standards catalogue: loading a generated catalogue file, and a status change that
    /// touches many public declarations until search shows them (use a scratch database).
    BenchCatalog {
        /// Rows of the generated catalogue.
        #[arg(long, default_value_t = 60000)]
        rows: usize,
        /// Public declarations citing the standard that the change abolishes.
        #[arg(long, default_value_t = 10000)]
        declarations: usize,
        #[arg(long, default_value_t = 20261201)]
        seed: u64,
    },
    /// Measure indicator comparisons: the check a publish adds (500 products x 50 indicators) and the
    /// background recomputation of `declarations` public declarations after a requirements load,
    /// with a writer publishing meanwhile (use a scratch database).
    BenchComparisons {
        #[arg(long, default_value_t = 100000)]
        declarations: usize,
        #[arg(long, default_value_t = 20261223)]
        seed: u64,
    },
    /// Generate realistic demo organizations and declarations (reproducible from --seed).
    Seed {
        /// How many declarations.
        #[arg(long = "demo")]
        demo: usize,
        #[arg(long, default_value_t = 20261128)]
        seed: u64,
        /// Leave the search index to the outbox workers instead of rebuilding it at the end.
        #[arg(long)]
        no_index: bool,
    },
    /// Write a consistent backup (database dump, files, manifest) into an empty folder.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into an empty database and data folder, then reindex search.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// Replace the contents of a non-empty database.
        #[arg(long)]
        force: bool,
    },
    /// Accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; print the count and head hash, or name the first broken event and
    /// exit non-zero.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a sysadmin, regulator or partner account (the first sysadmin is created this way).
    CreateUser {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        name: String,
        /// sysadmin, regulator or partner
        #[arg(long)]
        role: String,
        /// Regulators: 6-digit division code of their jurisdiction.
        #[arg(long)]
        jurisdiction: Option<String>,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Load the reference tables shipped in the binary (idempotent).
    Import,
    /// Load a year's official holidays and make-up working days (调休) from a CSV file shaped like
    /// the shipped table: `date,kind,festival,festival_zh`, kind `holiday` or `workday`.
    Holidays { file: PathBuf },
    /// Load standards catalogue files (the national platform's export with Chinese headers, or the
    /// shared data layout; CSV in UTF-8 or GB18030, or XLSX) in one transaction: all rows or none.
    Standards {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Report what would change without applying anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the full report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load canonical indicators (`code,name_zh,synonyms,quantity,unit,direction,note`) in one
    /// transaction: all rows or none; a row replaces the indicator of its code.
    Indicators {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Report what would change without applying anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the full report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load requirement tables (the layout of `mandatory_requirements_starter.csv`) in one
    /// transaction: all rows or none; a standard in the files gets exactly the files' rows.
    Requirements {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Report what would change without applying anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the full report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Recompute the comparisons queued by loads now, instead of waiting for the workers.
    Recompute,
}

fn load_settings(cli: &Cli) -> Result<Settings, String> {
    Settings::load(cli.config.as_deref()).map_err(|e| format!("configuration error: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match load_settings(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    stdreg::telemetry::init(settings.log_format, &settings.log_level);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Worker => stdreg::worker::run_forever(AppState::new(settings)?).await,
            Command::Migrate => stdreg::commands::migrate(&settings).await,
            Command::Reindex => stdreg::commands::reindex(&settings).await,
            Command::Healthcheck => stdreg::commands::healthcheck(&settings).await,
            Command::Bench { seconds, clients, writers, bulk, json } => {
                let opts = stdreg::bench::BenchOptions { seconds, clients, write_clients: writers, bulk };
                let report = stdreg::bench::run(&settings, &opts).await?;
                if let Some(path) = json {
                    std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
                }
                println!("{}", stdreg::bench::markdown(&report));
                Ok(())
            }
            Command::BenchCatalog { rows, declarations, seed } => {
                let report = stdreg::bench::catalog::run(&settings, rows, declarations, seed).await?;
                println!("{}", serde_json::to_string_pretty(&report)?);
                Ok(())
            }
            Command::BenchComparisons { declarations, seed } => {
                let report = stdreg::bench::comparisons::run(&settings, declarations, seed).await?;
                println!("{}", serde_json::to_string_pretty(&report)?);
                Ok(())
            }
            Command::Seed { demo, seed, no_index } => stdreg::commands::seed(&settings, demo, seed, !no_index).await,
            Command::Backup { to } => stdreg::commands::backup(&settings, &to).await,
            Command::Restore { from, force } => stdreg::commands::restore(&settings, &from, force).await,
            Command::Catalog { command: CatalogCommand::Import } => stdreg::commands::catalog_import(&settings).await,
            Command::Catalog { command: CatalogCommand::Holidays { file } } => {
                stdreg::commands::holidays_import(&settings, &file).await
            }
            Command::Catalog { command: CatalogCommand::Standards { files, dry_run, json } } => {
                stdreg::commands::standards_load(&settings, &files, dry_run, json).await
            }
            Command::Catalog { command: CatalogCommand::Indicators { files, dry_run, json } } => {
                stdreg::commands::comparison_table_load(&settings, "indicators", &files, dry_run, json).await
            }
            Command::Catalog { command: CatalogCommand::Requirements { files, dry_run, json } } => {
                stdreg::commands::comparison_table_load(&settings, "requirements", &files, dry_run, json).await
            }
            Command::Catalog { command: CatalogCommand::Recompute } => {
                stdreg::commands::comparisons_recompute(&settings).await
            }
            Command::Audit { command: AuditCommand::Verify } => stdreg::commands::audit_verify(&settings).await,
            Command::Admin {
                command: AdminCommand::CreateUser { email, password_stdin: _, name, role, jurisdiction },
            } => {
                let mut password = String::new();
                std::io::stdin().read_line(&mut password)?;
                let password = password.trim_end_matches(['\r', '\n']).to_string();
                stdreg::commands::create_user(&settings, &email, &password, &name, &role, jurisdiction.as_deref()).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    stdreg::commands::preflight(&settings).await?;
    let state = AppState::new(settings)?;
    let app = Application::build(state.clone())?;
    tracing::info!(listen = %state.settings.listen, port = app.port(), "stdreg serving");
    println!("stdreg listening on http://{}:{}", state.settings.listen.ip(), app.port());
    let workers = state.settings.run_workers.then(|| tokio::spawn(stdreg::worker::run_forever(state.clone())));
    let result = app.run_until_stopped().await;
    if let Some(w) = workers {
        w.abort();
    }
    result.map_err(Into::into)
}
