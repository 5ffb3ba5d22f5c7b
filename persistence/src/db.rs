use std::time::Duration;

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
}

/// Any number of server instances may migrate at once on PostgreSQL; this
/// advisory lock lets one do it while the others wait.
const MIGRATION_LOCK: i64 = 0x5348_555a_4855_414e; // "SHUZHUAN"

impl Db {
    /// Opens a pool for `url` (see [`Backend::of_url`]).
    pub fn connect(url: &str, max_size: u32) -> Result<Self, RepoError> {
        let backend = Backend::of_url(url);
        if backend == Backend::Sqlite {
            prepare_sqlite_file(url)?;
        }
        let pool = Pool::builder()
            .max_size(max_size)
            .connection_timeout(Duration::from_secs(15))
            .build(Manager {
                url: url.to_owned(),
                backend,
            })?;
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, RepoError> {
        let mut conn = self.pool.get()?;
        if self.backend == Backend::Postgres {
            conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let ran = migrations::run_pending(&mut conn);
            conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            ran
        } else {
            migrations::run_pending(&mut conn)
        }
    }

    /// A pooled connection for reads.
    pub(crate) fn conn(&self) -> Result<PooledConnection<Manager>, RepoError> {
        Ok(self.pool.get()?)
    }

    /// One pooled connection for a whole request: read who is asking, then
    /// read or write on the same connection (one checkout, one trip).
    pub fn session(&self) -> Result<Session, RepoError> {
        Ok(Session {
            conn: self.conn()?,
            backend: self.backend,
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

    /// Whether the database answers (readiness).
    pub fn ping(&self) -> Result<(), RepoError> {
        let mut conn = self.conn()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}

/// A pooled connection held for one request: its reads, and its units of
/// work through [`Session::write`].
pub struct Session {
    conn: PooledConnection<Manager>,
    backend: Backend,
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
        let out = uow::run(&mut self.conn, self.backend, actor, f)?;
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
