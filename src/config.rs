//! Settings: a TOML file (`--config PATH` or `STDREG_CONFIG`) overlaid by `STDREG_*` environment
//! variables (the environment wins), parsed and validated once at start and passed down.
//!
//! Every key is listed once in [`KEYS`]; the TOML key is the lower-case name and the environment
//! variable is `STDREG_` + the upper-case name. Secrets are [`SecretString`]s, so `Debug` and logs
//! never show them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// One configuration key: its name and what it is for (the deploy/env.example comments).
pub struct Key {
    pub name: &'static str,
    pub help: &'static str,
    pub secret: bool,
}

const fn key(name: &'static str, help: &'static str) -> Key {
    Key { name, help, secret: false }
}
const fn secret(name: &'static str, help: &'static str) -> Key {
    Key { name, help, secret: true }
}

/// Every setting stdreg reads.
pub const KEYS: &[Key] = &[
    secret("database_url", "PostgreSQL URL, e.g. postgres://stdreg:pw@127.0.0.1:5432/stdreg (required)"),
    key("database_pool_size", "connections per process (default 16)"),
    key("database_timeout_ms", "wait at most this long for a database connection before answering 503 (default 3000)"),
    key("meili_url", "Meilisearch URL, e.g. http://127.0.0.1:7700 (required)"),
    secret("meili_key", "Meilisearch master or admin key (empty when Meilisearch runs without a key)"),
    key(
        "meili_index_prefix",
        "prefix of every index name; lets several deployments or tests share one Meilisearch (default empty)",
    ),
    key("meili_timeout_ms", "a search slower than this falls back to PostgreSQL and answers degraded (default 1500)"),
    key("listen", "address the HTTP server binds (default 127.0.0.1:8080)"),
    key("http_workers", "HTTP worker threads (default: number of CPUs)"),
    secret("jwt_secret", "HS256 signing secret for access tokens, at least 32 bytes (required)"),
    key("access_token_ttl_secs", "lifetime of access tokens in seconds (default 900)"),
    key("refresh_token_ttl_days", "lifetime of refresh tokens in days (default 30)"),
    secret(
        "complaint_keys",
        "complainant encryption keys, id:base64(32 bytes)[,id:base64...]; the last one encrypts (required)",
    ),
    key(
        "complaint_rate_limit",
        "complaints accepted per client IP in 10 minutes, shared by every instance; more answer 429 (default 5)",
    ),
    key("data_dir", "folder for full texts and attachments (default ./data)"),
    key("log_format", "human or json (default human)"),
    key("log_level", "tracing filter, e.g. info or stdreg=debug,info (default info)"),
    key("migrate_on_start", "run pending migrations when serve starts (default false)"),
    key("run_workers", "serve also runs the outbox and scheduled workers (default true)"),
    key("worker_poll_ms", "outbox poll interval when idle (default 200)"),
    key(
        "trust_forwarded_for",
        "take the client IP from the right-most X-Forwarded-For entry (only behind a trusted proxy that sets it; default false)",
    ),
];

/// The window of `complaint_rate_limit`.
pub const COMPLAINT_RATE_WINDOW: Duration = Duration::from_secs(600);

/// Validated settings. Built once by [`Settings::load`].
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: SecretString,
    pub database_pool_size: u32,
    pub database_timeout: Duration,
    pub meili_url: Url,
    pub meili_key: Option<SecretString>,
    pub meili_index_prefix: String,
    pub meili_timeout: Duration,
    pub listen: SocketAddr,
    pub http_workers: usize,
    pub jwt_secret: SecretString,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub complaint_keys: ComplaintKeys,
    /// Complaints accepted per client IP per [`COMPLAINT_RATE_WINDOW`].
    pub complaint_rate_limit: u32,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub migrate_on_start: bool,
    pub run_workers: bool,
    pub worker_poll: Duration,
    pub trust_forwarded_for: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// AES-256-GCM keys for complainant data, by key id; the last one encrypts new data.
#[derive(Clone)]
pub struct ComplaintKeys {
    keys: Vec<(String, SecretBytes)>,
}

#[derive(Clone)]
struct SecretBytes(Box<[u8; 32]>);

impl std::fmt::Debug for ComplaintKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "ComplaintKeys {{ ids: {ids:?}, keys: [REDACTED] }}")
    }
}

impl ComplaintKeys {
    /// Parses `id:base64key[,id:base64key]`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut keys: Vec<(String, SecretBytes)> = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, b64) = part.split_once(':').ok_or_else(|| "each entry must be id:base64key".to_string())?;
            let id = id.trim();
            if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!("key id {id:?} must be 1-32 letters, digits, - or _"));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| format!("key {id}: not valid base64"))?;
            let arr: [u8; 32] =
                bytes.try_into().map_err(|_| format!("key {id}: must decode to exactly 32 bytes (AES-256)"))?;
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("key id {id} appears twice"));
            }
            keys.push((id.to_string(), SecretBytes(Box::new(arr))));
        }
        if keys.is_empty() {
            return Err("at least one key is required".into());
        }
        Ok(Self { keys })
    }

    /// The key id and key that encrypt new data.
    pub fn current(&self) -> (&str, &[u8; 32]) {
        let (id, k) = self.keys.last().expect("parse guarantees at least one key");
        (id, &k.0)
    }

    /// The key for an id written earlier, if still configured.
    pub fn get(&self, id: &str) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, v)| &*v.0)
    }
}

/// Why the configuration was refused; the message names the key and the environment variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

fn env_name(key: &str) -> String {
    format!("STDREG_{}", key.to_ascii_uppercase())
}

/// Raw string values by key, from the file and then the environment.
#[derive(Default)]
pub struct Sources {
    values: BTreeMap<&'static str, String>,
}

impl Sources {
    /// Reads the TOML file (when given) and overlays `STDREG_*` variables from `env`.
    pub fn collect(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::File { path: path.display().to_string(), reason: e.to_string() })?;
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::File {
                path: path.display().to_string(),
                reason: e.message().to_string(),
            })?;
            for (k, v) in table {
                let known = KEYS
                    .iter()
                    .find(|key| key.name == k)
                    .ok_or_else(|| ConfigError::Invalid(format!("{}: unknown key `{k}`", path.display())))?;
                let s = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => {
                        return Err(ConfigError::Invalid(format!(
                            "{}: `{k}` must be a string, integer or boolean, not {}",
                            path.display(),
                            other.type_str()
                        )));
                    }
                };
                values.insert(known.name, s);
            }
        }
        let env: BTreeMap<String, String> = env.into_iter().collect();
        for key in KEYS {
            if let Some(v) = env.get(&env_name(key.name)) {
                values.insert(key.name, v.clone());
            }
        }
        Ok(Self { values })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).filter(|s| !s.trim().is_empty())
    }
}

fn invalid(key: &str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid(format!("{key} ({}): {reason}", env_name(key)))
}

fn required<'a>(src: &'a Sources, key: &str) -> Result<&'a str, ConfigError> {
    src.get(key).ok_or_else(|| invalid(key, "is required but not set"))
}

fn parse_or<T: std::str::FromStr>(src: &Sources, key: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match src.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e| invalid(key, format!("{v:?} is not valid: {e}"))),
    }
}

fn parse_url(key: &str, raw: &str, schemes: &[&str]) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| invalid(key, format!("not a URL: {e}")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(invalid(key, format!("scheme must be one of {schemes:?}, not {:?}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(key, "the URL has no host"));
    }
    Ok(url)
}

impl Settings {
    /// Loads from `--config`/`STDREG_CONFIG` and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let src = Sources::collect(file, std::env::vars())?;
        Self::from_sources(&src)
    }

    /// Validates raw values into settings; every failure names the key.
    pub fn from_sources(src: &Sources) -> Result<Self, ConfigError> {
        let database_url = required(src, "database_url")?;
        parse_url("database_url", database_url, &["postgres", "postgresql"])?;
        let meili_url = parse_url("meili_url", required(src, "meili_url")?, &["http", "https"])?;
        let jwt_secret = required(src, "jwt_secret")?;
        if jwt_secret.len() < 32 {
            return Err(invalid("jwt_secret", format!("must be at least 32 bytes, got {}", jwt_secret.len())));
        }
        let complaint_keys =
            ComplaintKeys::parse(required(src, "complaint_keys")?).map_err(|e| invalid("complaint_keys", e))?;
        let complaint_rate_limit: u32 = parse_or(src, "complaint_rate_limit", 5)?;
        if complaint_rate_limit == 0 {
            return Err(invalid("complaint_rate_limit", "must be at least 1"));
        }
        let listen = parse_or(src, "listen", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
        let log_format = match src.get("log_format").unwrap_or("human") {
            "human" => LogFormat::Human,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid("log_format", format!("must be human or json, not {other:?}")));
            }
        };
        let pool: u32 = parse_or(src, "database_pool_size", 16)?;
        if !(1..=500).contains(&pool) {
            return Err(invalid("database_pool_size", "must be between 1 and 500"));
        }
        let prefix = src.get("meili_index_prefix").unwrap_or("").to_string();
        if !prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(invalid("meili_index_prefix", "may hold only letters, digits, _ and -"));
        }
        let workers_default = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        Ok(Self {
            database_url: SecretString::from(database_url.to_string()),
            database_pool_size: pool,
            database_timeout: Duration::from_millis(parse_or(src, "database_timeout_ms", 3000)?),
            meili_url,
            meili_key: src.get("meili_key").map(|k| SecretString::from(k.to_string())),
            meili_index_prefix: prefix,
            meili_timeout: Duration::from_millis(parse_or(src, "meili_timeout_ms", 1500)?),
            listen,
            http_workers: parse_or(src, "http_workers", workers_default)?.max(1),
            jwt_secret: SecretString::from(jwt_secret.to_string()),
            access_token_ttl: Duration::from_secs(parse_or(src, "access_token_ttl_secs", 900)?),
            refresh_token_ttl: Duration::from_secs(parse_or::<u64>(src, "refresh_token_ttl_days", 30)? * 86_400),
            complaint_keys,
            complaint_rate_limit,
            data_dir: PathBuf::from(src.get("data_dir").unwrap_or("./data")),
            log_format,
            log_level: src.get("log_level").unwrap_or("info").to_string(),
            migrate_on_start: parse_or(src, "migrate_on_start", false)?,
            run_workers: parse_or(src, "run_workers", true)?,
            worker_poll: Duration::from_millis(parse_or(src, "worker_poll_ms", 200)?.max(10)),
            trust_forwarded_for: parse_or(src, "trust_forwarded_for", false)?,
        })
    }

    /// The database URL, for the pool and the migration runner only.
    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn base() -> Vec<(String, String)> {
        env(&[
            ("STDREG_DATABASE_URL", "postgres://u:secretpw@127.0.0.1:5432/db"),
            ("STDREG_MEILI_URL", "http://127.0.0.1:7700"),
            ("STDREG_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("STDREG_COMPLAINT_KEYS", "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        ])
    }

    fn load(vars: Vec<(String, String)>) -> Result<Settings, ConfigError> {
        Settings::from_sources(&Sources::collect(None, vars)?)
    }

    #[test]
    fn valid_environment_loads_and_debug_hides_secrets() {
        let s = load(base()).expect("valid");
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("secretpw"), "{dbg}");
        assert!(!dbg.contains("0123456789abcdef"), "{dbg}");
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.complaint_keys.current().0, "k1");
    }

    #[test]
    fn short_jwt_secret_is_refused_naming_the_variable() {
        let mut vars = base();
        vars.push(("STDREG_JWT_SECRET".into(), "short".into()));
        let err = load(vars).expect_err("must fail").to_string();
        assert!(err.contains("STDREG_JWT_SECRET") && err.contains("at least 32 bytes"), "{err}");
    }

    #[test]
    fn missing_and_malformed_values_name_the_key() {
        let vars: Vec<_> = base().into_iter().filter(|(k, _)| k != "STDREG_DATABASE_URL").collect();
        let err = load(vars).expect_err("must fail").to_string();
        assert!(err.contains("STDREG_DATABASE_URL") && err.contains("required"), "{err}");

        let mut vars = base();
        vars.push(("STDREG_MEILI_URL".into(), "not a url".into()));
        assert!(load(vars).expect_err("bad url").to_string().contains("STDREG_MEILI_URL"));

        let mut vars = base();
        vars.push(("STDREG_COMPLAINT_KEYS".into(), "k1:c2hvcnQ=".into()));
        assert!(load(vars).expect_err("bad key").to_string().contains("32 bytes"));

        let mut vars = base();
        vars.push(("STDREG_LISTEN".into(), "localhost".into()));
        assert!(load(vars).expect_err("bad listen").to_string().contains("STDREG_LISTEN"));
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = std::env::temp_dir().join(format!("stdreg-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let path = dir.join("stdreg.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nmeili_index_prefix = \"file_\"\n").expect("write");
        let mut vars = base();
        vars.push(("STDREG_MEILI_INDEX_PREFIX".into(), "env_".into()));
        let s = Settings::from_sources(&Sources::collect(Some(&path), vars).expect("sources")).expect("ok");
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.meili_index_prefix, "env_");
        std::fs::write(&path, "lissten = \"x\"\n").expect("write");
        let err = Sources::collect(Some(&path), base()).err().expect("unknown key").to_string();
        assert!(err.contains("unknown key `lissten`"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn complaint_key_rotation_keeps_old_ids() {
        let k = ComplaintKeys::parse(
            "old:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,new:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        )
        .expect("keys");
        assert_eq!(k.current().0, "new");
        assert!(k.get("old").is_some());
        assert!(k.get("nope").is_none());
        assert!(!format!("{k:?}").contains("AQEB"));
    }
}
