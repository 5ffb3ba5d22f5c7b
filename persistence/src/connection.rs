//! One connection type over both databases, and the r2d2 manager for it.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, R2D2Connection};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, SqliteConnection};

/// SQLite (embedded default) or PostgreSQL (production), one code path.
/// Keep this enum in its own module: the derive generates `MultiBackend`
/// and its helpers next to it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// PostgreSQL for `postgres://` and `postgresql://` URLs; anything else
    /// is a SQLite file path, optionally prefixed `sqlite://` or `sqlite:`.
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// The path part of a SQLite URL.
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// A pooled connection and when it last answered a health check.
pub(crate) struct Pooled {
    conn: AnyConnection,
    checked: Instant,
}

impl std::ops::Deref for Pooled {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// How long a connection that answered a health check is trusted without
/// another: checking on every checkout would cost each request a round
/// trip. A connection lost meanwhile fails its query as
/// [`RepoError::Lost`](crate::RepoError::Lost) (503), and is checked and
/// replaced at its next checkout after this.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// Opens connections of the backend the URL names. The derived
/// `establish` would try every variant and hide PostgreSQL's real error,
/// so the scheme decides here.
#[derive(Debug)]
pub(crate) struct Manager {
    url: String,
    backend: Backend,
    /// Run on every new connection: the bounds of its waits.
    setup: String,
}

impl Manager {
    pub(crate) fn new(url: &str, backend: Backend, limits: &crate::db::Limits) -> Self {
        match backend {
            Backend::Postgres => Manager {
                url: with_connect_timeout(url, limits.connect_timeout),
                backend,
                setup: crate::db::session_limits(limits),
            },
            Backend::Sqlite => Manager {
                url: url.to_owned(),
                backend,
                // Per connection; WAL is set once on the file (see Db::open).
                setup: format!(
                    "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    limits.lock_timeout.as_millis()
                ),
            },
        }
    }
}

/// `url` with libpq's `connect_timeout` (whole seconds), unless it names one.
fn with_connect_timeout(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        timeout.as_secs().max(1)
    )
}

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let mut conn = match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError)?,
            Backend::Sqlite => SqliteConnection::establish(sqlite_path(&self.url))
                .map(AnyConnection::Sqlite)
                .map_err(r2d2::Error::ConnectionError)?,
        };
        conn.batch_execute(&self.setup)
            .map_err(r2d2::Error::QueryError)?;
        Ok(Pooled {
            conn,
            checked: Instant::now(),
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        if pooled.checked.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        pooled
            .conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)?;
        pooled.checked = Instant::now();
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        std::thread::panicking() || R2D2Connection::is_broken(&mut pooled.conn)
    }
}
