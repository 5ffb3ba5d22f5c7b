use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{Pool, PooledConnection};

use crate::connection::{Manager, sqlite_path};
use crate::uow::{self, Actor, Tx};
use crate::{AnyConnection, Backend, RepoError, migrations};

/// The database handle the application shares: a pool of connections to
/// one SQLite file or one PostgreSQL database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    limits: Limits,
    observer: Option<Arc<dyn Observer>>,
}

/// How long the database may keep a request waiting. Every wait has a
/// bound, so an outage or a held lock answers 503 in seconds instead of
/// tying up a thread until a client gives up.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections per server instance.
    pub pool_size: u32,
    /// Waiting for a free (or new) pooled connection.
    pub acquire_timeout: Duration,
    /// Opening a PostgreSQL connection (libpq rounds up to whole seconds,
    /// at least 2).
    pub connect_timeout: Duration,
    /// One statement (PostgreSQL `statement_timeout`).
    pub statement_timeout: Duration,
    /// Waiting for a row or table lock (PostgreSQL `lock_timeout`, SQLite's
    /// busy timeout): the ledger head, a contended record.
    pub lock_timeout: Duration,
    /// A transaction left open without a statement (PostgreSQL
    /// `idle_in_transaction_session_timeout`): its locks are released.
    pub idle_in_transaction_timeout: Duration,
}

impl Limits {
    /// The defaults, with `pool_size` connections.
    pub fn with_pool_size(pool_size: u32) -> Self {
        Limits {
            pool_size,
            acquire_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(5),
            idle_in_transaction_timeout: Duration::from_secs(60),
        }
    }
}

/// What the database layer tells the server's metrics: how long requests
/// waited for a connection and for the ledger head's lock.
pub trait Observer: Send + Sync {
    /// A checkout that took `waited`; `ok` is false when none came.
    fn checkout(&self, waited: Duration, ok: bool);
    /// A unit of work waited `waited` for the ledger head.
    fn ledger_lock(&self, waited: Duration);
}

/// The pool's state right now.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub size: u32,
    pub connections: u32,
    pub idle: u32,
}

/// Any number of server instances may migrate at once on PostgreSQL; this
/// advisory lock lets one do it while the others wait.
const MIGRATION_LOCK: i64 = 0x5348_555a_4855_414e; // "SHUZHUAN"

impl Db {
    /// Opens a pool of `max_size` for `url` (see [`Backend::of_url`]) with
    /// the default [`Limits`].
    pub fn connect(url: &str, max_size: u32) -> Result<Self, RepoError> {
        Db::open(url, &Limits::with_pool_size(max_size))
    }

    /// Opens a pool for `url` bounded by `limits`. Connections are made on
    /// demand, so a server starts (and answers `/healthz`) while the
    /// database is still away.
    pub fn open(url: &str, limits: &Limits) -> Result<Self, RepoError> {
        let backend = Backend::of_url(url);
        if backend == Backend::Sqlite {
            prepare_sqlite_file(url)?;
        }
        let pool = Pool::builder()
            .max_size(limits.pool_size)
            .min_idle(Some(0))
            .connection_timeout(limits.acquire_timeout)
            .build_unchecked(Manager::new(url, backend, limits));
        Ok(Db {
            pool,
            backend,
            limits: limits.clone(),
            observer: None,
        })
    }

    /// Reports waits to `observer` from now on.
    pub fn observed(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            size: self.pool.max_size(),
            connections: state.connections,
            idle: state.idle_connections,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs pending migrations; returns how many ran. A migration may take
    /// long (an index on a big table), so it runs without a statement
    /// timeout; waiting for another instance's migration is logged.
    pub fn migrate(&self) -> Result<usize, RepoError> {
        let mut conn = self.pool.get()?;
        if self.backend != Backend::Postgres {
            return migrations::run_pending(&mut conn);
        }
        conn.batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")?;
        let waiting = Instant::now();
        let mut logged = None::<Instant>;
        while !try_advisory_lock(&mut conn)? {
            if logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                log::info!(
                    "waiting for the migration lock held by another instance ({} s so far)",
                    waiting.elapsed().as_secs()
                );
                logged = Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let ran = migrations::run_pending(&mut conn);
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
        let limits = &self.limits;
        conn.batch_execute(&session_limits(limits))?;
        ran
    }

    /// A pooled connection for reads.
    pub(crate) fn conn(&self) -> Result<PooledConnection<Manager>, RepoError> {
        let started = Instant::now();
        let got = self.pool.get();
        if let Some(observer) = &self.observer {
            observer.checkout(started.elapsed(), got.is_ok());
        }
        Ok(got?)
    }

    /// One pooled connection for a whole request: read who is asking, then
    /// read or write on the same connection (one checkout, one trip).
    pub fn session(&self) -> Result<Session, RepoError> {
        Ok(Session {
            conn: self.conn()?,
            backend: self.backend,
            observer: self.observer.clone(),
            wrote: false,
        })
    }

    /// Runs `f` on a connection; for reads (several reads may share one
    /// connection without a transaction).
    pub fn read<T, E>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<RepoError>,
    {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    /// The unit of work: runs `f` in one transaction, then appends the audit
    /// entries and change events `f` recorded, and commits all or nothing.
    pub fn write<T, E>(
        &self,
        actor: &Actor,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<RepoError>,
    {
        self.session()?.write(actor, f)
    }

    /// A plain transaction, for the server's own bookkeeping that is not a
    /// change of a domain object (webhook cursors, leases and attempts): it
    /// writes no audit entry and no change event, which would announce the
    /// bookkeeping to the feed and so to the webhooks again.
    pub fn transaction<T, E>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<RepoError> + From<diesel::result::Error>,
    {
        use diesel::Connection;
        let mut pooled = self.conn()?;
        let conn: &mut AnyConnection = &mut pooled;
        conn.transaction(f)
    }

    /// Refreshes the planner's statistics of a registry table after a bulk
    /// load, so keyset pages keep their index plans at once instead of
    /// waiting for autovacuum (which may be off, as on the CI machine).
    pub fn analyze(&self, table: Registry) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        conn.batch_execute(&format!("ANALYZE {}", table.as_str()))?;
        Ok(())
    }

    /// Whether the database answers within `within` (readiness): its own
    /// short wait for a connection, not the requests' acquire timeout.
    pub fn ping(&self, within: Duration) -> Result<(), RepoError> {
        let mut conn = self.pool.get_timeout(within)?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}

/// A pooled connection held for one request: its reads, and its units of
/// work through [`Session::write`].
pub struct Session {
    conn: PooledConnection<Manager>,
    backend: Backend,
    observer: Option<Arc<dyn Observer>>,
    wrote: bool,
}

impl Session {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether a unit of work committed on this session (the webhook
    /// worker is woken then).
    pub fn wrote(&self) -> bool {
        self.wrote
    }

    /// The unit of work on this session's connection (see [`Db::write`]).
    pub fn write<T, E>(
        &mut self,
        actor: &Actor,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<RepoError>,
    {
        let out = uow::run(
            &mut self.conn,
            self.backend,
            self.observer.as_deref(),
            actor,
            f,
        )?;
        self.wrote = true;
        Ok(out)
    }

    /// Refreshes a registry table's planner statistics (see [`Db::analyze`]).
    pub fn analyze(&mut self, table: Registry) -> Result<(), RepoError> {
        self.conn
            .batch_execute(&format!("ANALYZE {}", table.as_str()))?;
        Ok(())
    }

    /// A plain transaction on this session (see [`Db::transaction`]).
    pub fn transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<RepoError> + From<diesel::result::Error>,
    {
        use diesel::Connection;
        let conn: &mut AnyConnection = &mut self.conn;
        conn.transaction(f)
    }
}

fn try_advisory_lock(conn: &mut AnyConnection) -> Result<bool, RepoError> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let row: Locked = diesel::sql_query(format!(
        "SELECT pg_try_advisory_lock({MIGRATION_LOCK}) AS locked"
    ))
    .get_result(conn)?;
    Ok(row.locked)
}

/// The `SET`s that bound every wait of a PostgreSQL session.
pub(crate) fn session_limits(limits: &Limits) -> String {
    format!(
        "SET statement_timeout = {}; SET lock_timeout = {}; SET idle_in_transaction_session_timeout = {}",
        limits.statement_timeout.as_millis(),
        limits.lock_timeout.as_millis(),
        limits.idle_in_transaction_timeout.as_millis()
    )
}

/// Creates the SQLite file's folder and switches the file to WAL once:
/// WAL persists in the file, and setting it from every pooled connection
/// makes them fight for the lock.
fn prepare_sqlite_file(url: &str) -> Result<(), RepoError> {
    use diesel::Connection;
    let path = sqlite_path(url);
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| RepoError::Migration(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut conn = diesel::SqliteConnection::establish(path)
        .map_err(|e| RepoError::Migration(format!("cannot open {path}: {e}")))?;
    conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    Ok(())
}

/// The tables bulk loads fill (a closed list: names never come from input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    Enterprises,
    Providers,
    Products,
    Targets,
}

impl Registry {
    pub fn as_str(self) -> &'static str {
        match self {
            Registry::Enterprises => "enterprises",
            Registry::Providers => "providers",
            Registry::Products => "products",
            Registry::Targets => "targets",
        }
    }
}
