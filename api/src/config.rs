//! Configuration from the environment (each setting also a flag; see
//! `shuzhuan serve --help` and the README).

use std::path::{Path, PathBuf};

use shuzhuan_persistence::Backend;

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// `postgres://…` for PostgreSQL; otherwise a SQLite file
    /// (default: `<data dir>/shuzhuan.db`).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the SQLite file, the generated dev JWT secret and
    /// uploaded documents.
    #[arg(long, env = "SHUZHUAN_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "SHUZHUAN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// HMAC key for access tokens, at least 32 bytes. Required on
    /// PostgreSQL; on SQLite one is generated into the data directory.
    #[arg(long, env = "SHUZHUAN_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// When set and no platform_admin exists, user `admin` is created
    /// with this password.
    #[arg(long, env = "SHUZHUAN_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Lifetime of access tokens in seconds.
    #[arg(long, env = "SHUZHUAN_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: i64,
    #[command(flatten)]
    pub db: DbSettings,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "SHUZHUAN_WORKERS")]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub guard: GuardSettings,
    #[command(flatten)]
    pub webhooks: WebhookSettings,
}

/// The database pool and the bounds of every wait on it (see
/// `shuzhuan_persistence::Limits`).
#[derive(Debug, Clone, clap::Args)]
pub struct DbSettings {
    /// Database connections per server instance.
    #[arg(
        long = "db-pool-size",
        env = "SHUZHUAN_DB_POOL_SIZE",
        default_value_t = 10
    )]
    pub pool_size: u32,
    /// How long a request waits for a pooled connection before it is
    /// answered 503, in milliseconds.
    #[arg(
        long = "db-acquire-timeout-ms",
        env = "SHUZHUAN_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3_000
    )]
    pub acquire_timeout_ms: u64,
    /// How long opening a PostgreSQL connection may take (whole seconds
    /// for libpq, at least 2).
    #[arg(
        long = "db-connect-timeout-ms",
        env = "SHUZHUAN_DB_CONNECT_TIMEOUT_MS",
        default_value_t = 2_000
    )]
    pub connect_timeout_ms: u64,
    /// PostgreSQL `statement_timeout` of every connection.
    #[arg(
        long = "db-statement-timeout-ms",
        env = "SHUZHUAN_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub statement_timeout_ms: u64,
    /// PostgreSQL `lock_timeout` (SQLite: the busy timeout): a write that
    /// waits longer for a lock is answered 503 with `Retry-After`.
    #[arg(
        long = "db-lock-timeout-ms",
        env = "SHUZHUAN_DB_LOCK_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub lock_timeout_ms: u64,
    /// PostgreSQL `idle_in_transaction_session_timeout`.
    #[arg(
        long = "db-idle-in-transaction-timeout-ms",
        env = "SHUZHUAN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
        default_value_t = 60_000
    )]
    pub idle_in_transaction_timeout_ms: u64,
}

impl DbSettings {
    pub fn limits(&self) -> shuzhuan_persistence::Limits {
        use std::time::Duration;
        shuzhuan_persistence::Limits {
            pool_size: self.pool_size,
            acquire_timeout: Duration::from_millis(self.acquire_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            statement_timeout: Duration::from_millis(self.statement_timeout_ms),
            lock_timeout: Duration::from_millis(self.lock_timeout_ms),
            idle_in_transaction_timeout: Duration::from_millis(self.idle_in_transaction_timeout_ms),
        }
    }
}

/// What protects the server from too much at once, and how it stops.
#[derive(Debug, Clone, clap::Args)]
pub struct GuardSettings {
    /// Requests served at once by this instance; beyond it a request is
    /// answered 503 with `Retry-After` at once instead of queueing (0: no
    /// limit).
    #[arg(long, env = "SHUZHUAN_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,
    /// After SIGTERM or SIGINT, how long the server keeps accepting
    /// requests while `/readyz` answers 503, so a load balancer stops
    /// sending new ones first.
    #[arg(long, env = "SHUZHUAN_SHUTDOWN_DELAY_MS", default_value_t = 1_000)]
    pub shutdown_delay_ms: u64,
    /// Then, how long requests in flight (a long import) and the webhook
    /// worker's sends may take to finish before the process exits.
    #[arg(long, env = "SHUZHUAN_SHUTDOWN_DRAIN_MS", default_value_t = 30_000)]
    pub shutdown_drain_ms: u64,
    /// Wrong passwords allowed per username before its logins wait (1 s,
    /// doubling with each further failure); a client address gets ten
    /// times as many.
    #[arg(long, env = "SHUZHUAN_LOGIN_FREE_ATTEMPTS", default_value_t = 5)]
    pub login_free_attempts: u32,
    /// The longest wait a run of wrong passwords imposes, in seconds.
    #[arg(long, env = "SHUZHUAN_LOGIN_MAX_BACKOFF_S", default_value_t = 900)]
    pub login_max_backoff_s: u64,
    /// Password hashes computed at once (each takes ~19 MiB and a core
    /// for a moment); further logins wait briefly, then get 503 (default:
    /// the number of cores).
    #[arg(long, env = "SHUZHUAN_PASSWORD_HASHES_IN_FLIGHT")]
    pub password_hashes_in_flight: Option<usize>,
    /// Browser origins allowed to call the API (comma-separated, e.g.
    /// `https://portal.example.gov.cn`); none by default.
    #[arg(long, env = "SHUZHUAN_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// `text` (default) or `json`: one JSON object per log line.
    #[arg(long, env = "SHUZHUAN_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// How the webhook worker delivers (see `outbox`).
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookSettings {
    /// How often the worker looks for due deliveries when no write of this
    /// instance wakes it, in milliseconds.
    #[arg(
        long = "webhook-poll-ms",
        env = "SHUZHUAN_WEBHOOK_POLL_MS",
        default_value_t = 1000
    )]
    pub poll_ms: u64,
    /// The first retry waits about this long; each further one twice as
    /// long (with jitter), up to `webhook-retry-max-ms`.
    #[arg(
        long = "webhook-retry-base-ms",
        env = "SHUZHUAN_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 5_000
    )]
    pub retry_base_ms: u64,
    #[arg(
        long = "webhook-retry-max-ms",
        env = "SHUZHUAN_WEBHOOK_RETRY_MAX_MS",
        default_value_t = 3_600_000
    )]
    pub retry_max_ms: u64,
    /// Attempts per delivery before it is marked failed.
    #[arg(
        long = "webhook-max-attempts",
        env = "SHUZHUAN_WEBHOOK_MAX_ATTEMPTS",
        default_value_t = 15
    )]
    pub max_attempts: u32,
    /// A receiver that keeps failing is paused and probed with backoff
    /// (it resumes by itself when it answers); only after failing without
    /// a break for this long, in seconds, is the webhook disabled until an
    /// admin enables it again.
    #[arg(
        long = "webhook-disable-after-s",
        env = "SHUZHUAN_WEBHOOK_DISABLE_AFTER_S",
        default_value_t = 86_400
    )]
    pub disable_after_s: u64,
    /// Hosts, addresses or CIDR ranges a webhook may name although they
    /// are loopback, link-local or private, and may be called over plain
    /// http (comma-separated). Everything else must be https to a public
    /// address.
    #[arg(
        long = "webhook-allow-hosts",
        env = "SHUZHUAN_WEBHOOK_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub allow_hosts: Vec<String>,
    /// Time allowed for a receiver to answer, in milliseconds.
    #[arg(
        long = "webhook-timeout-ms",
        env = "SHUZHUAN_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub timeout_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("SHUZHUAN_JWT_SECRET is required on PostgreSQL (at least 32 bytes)")]
    JwtSecretRequired,
    #[error("SHUZHUAN_JWT_SECRET must be at least 32 bytes")]
    JwtSecretTooShort,
    #[error("cannot keep the generated JWT secret in {path}: {source}")]
    SecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Database(#[from] shuzhuan_persistence::RepoError),
    #[error(transparent)]
    Bootstrap(#[from] shuzhuan_app::bootstrap::BootstrapError),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("shuzhuan.db").display()))
    }

    /// The JWT key: the configured one, or on SQLite a generated one kept
    /// in the data directory (so tokens survive restarts of a dev server).
    pub fn jwt_secret(&self, backend: Backend) -> Result<Vec<u8>, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < 32 {
                return Err(ConfigError::JwtSecretTooShort);
            }
            return Ok(secret.as_bytes().to_vec());
        }
        if backend == Backend::Postgres {
            return Err(ConfigError::JwtSecretRequired);
        }
        let path = self.data_dir.join("jwt-secret");
        let secret = read_or_create_secret(&path).map_err(|source| ConfigError::SecretFile {
            path: path.clone(),
            source,
        })?;
        log::warn!(
            "SHUZHUAN_JWT_SECRET not set: using the generated dev secret in {} (set it in production)",
            path.display()
        );
        Ok(secret)
    }
}

fn read_or_create_secret(path: &Path) -> std::io::Result<Vec<u8>> {
    use rand::RngCore;
    if let Ok(existing) = std::fs::read(path)
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes).into_bytes();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options.open(path)?.write_all(&secret)?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(secret: Option<&str>, data_dir: PathBuf) -> Settings {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        let mut s = Cli::parse_from(["shuzhuan"]).settings;
        s.database_url = None;
        s.data_dir = data_dir;
        s.jwt_secret = secret.map(str::to_owned);
        s
    }

    #[test]
    fn postgres_refuses_to_start_without_a_jwt_secret() {
        let s = settings(None, std::env::temp_dir());
        assert!(matches!(
            s.jwt_secret(Backend::Postgres),
            Err(ConfigError::JwtSecretRequired)
        ));
        let short = settings(Some("too short"), std::env::temp_dir());
        assert!(matches!(
            short.jwt_secret(Backend::Postgres),
            Err(ConfigError::JwtSecretTooShort)
        ));
        let good = settings(
            Some("a-secret-of-at-least-thirty-two-bytes!!"),
            std::env::temp_dir(),
        );
        assert_eq!(
            good.jwt_secret(Backend::Postgres).unwrap(),
            b"a-secret-of-at-least-thirty-two-bytes!!"
        );
    }

    #[test]
    fn sqlite_generates_a_secret_once_and_keeps_it_in_the_data_directory() {
        let dir =
            std::env::temp_dir().join(format!("shuzhuan-config-{}", uuid::Uuid::new_v4().simple()));
        let s = settings(None, dir.clone());
        let first = s.jwt_secret(Backend::Sqlite).unwrap();
        assert!(first.len() >= 32);
        assert_eq!(
            s.jwt_secret(Backend::Sqlite).unwrap(),
            first,
            "the same secret after a restart"
        );
        assert!(dir.join("jwt-secret").exists());
        assert_eq!(
            s.database_url(),
            format!("sqlite://{}", dir.join("shuzhuan.db").display())
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
