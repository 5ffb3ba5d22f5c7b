use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong in persistence, already translated from the database's
/// terms: nothing above this crate parses SQL error text.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("not found")]
    NotFound,
    /// A unique constraint: the record exists already.
    #[error("conflicts with an existing record ({0})")]
    Conflict(String),
    /// A foreign key points at nothing.
    #[error("refers to a record that does not exist ({0})")]
    InvalidReference(String),
    /// A check constraint refused the values.
    #[error("violates a rule of the data ({0})")]
    CheckViolation(String),
    /// Optimistic concurrency: someone else wrote first.
    #[error("stale version: the record is now at version {current}")]
    StaleVersion { current: i64 },
    #[error("database error")]
    Database(#[source] DieselError),
    #[error("no database connection available")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The connection closed under a query, or the server ended the
    /// session (restart, failover, an administrator, an idle timeout).
    #[error("the database connection was lost")]
    Lost(#[source] DieselError),
    /// A lock or a statement waited longer than its limit
    /// (`lock_timeout`, `statement_timeout`, SQLite's busy timeout) or lost
    /// a deadlock: the same request may succeed when retried.
    #[error("the database is busy")]
    Busy(#[source] DieselError),
    /// A value the database cannot store: a NUL byte in text on
    /// PostgreSQL, a number beyond its column's range. The input's fault,
    /// caught here when no check above caught it first.
    #[error("a value cannot be stored: {0}")]
    Unstorable(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl RepoError {
    /// Whether a retry of the same request may succeed (the database is
    /// away or busy): answered as 503 with `Retry-After`.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RepoError::Pool(_) | RepoError::Lost(_) | RepoError::Busy(_)
        )
    }
}

/// PostgreSQL's messages for a session the server ended; diesel names only
/// some SQLSTATEs, so the rest are known by their (fixed, English) text.
const LOST: &[&str] = &[
    "terminating connection",
    "server closed the connection",
    "SSL connection has been closed",
    "SSL SYSCALL error",
    "could not receive data from server",
    "could not send data to server",
    "no connection to the server",
    "connection to server",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
];

/// Waits that ran out, and deadlocks: PostgreSQL's and SQLite's words.
const BUSY: &[&str] = &[
    "canceling statement due to",
    "could not obtain lock",
    "deadlock detected",
    "database is locked",
    "database table is locked",
];

/// Values the database refused to store.
const UNSTORABLE: &[&str] = &[
    "invalid byte sequence for encoding",
    "out of range",
    "numeric field overflow",
];

fn classify(kind: DatabaseErrorKind, message: &str) -> Option<fn(DieselError) -> RepoError> {
    let has = |list: &[&str]| list.iter().any(|m| message.contains(m));
    match kind {
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            Some(RepoError::Lost)
        }
        DatabaseErrorKind::SerializationFailure => Some(RepoError::Busy),
        _ if has(LOST) => Some(RepoError::Lost),
        _ if has(BUSY) => Some(RepoError::Busy),
        _ => None,
    }
}

impl From<DieselError> for RepoError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => RepoError::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let what = info
                    .constraint_name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| info.message().to_owned());
                if let Some(transient) = classify(kind, info.message()) {
                    return transient(DieselError::DatabaseError(kind, info));
                }
                match kind {
                    DatabaseErrorKind::UniqueViolation => RepoError::Conflict(what),
                    DatabaseErrorKind::ForeignKeyViolation => RepoError::InvalidReference(what),
                    DatabaseErrorKind::CheckViolation => RepoError::CheckViolation(what),
                    _ if UNSTORABLE.iter().any(|m| info.message().contains(m)) => {
                        RepoError::Unstorable(info.message().to_owned())
                    }
                    other => RepoError::Database(DieselError::DatabaseError(other, info)),
                }
            }
            // A transaction whose rollback failed: the connection is gone.
            DieselError::BrokenTransactionManager => RepoError::Lost(e),
            DieselError::RollbackErrorOnCommit { commit_error, .. } => {
                match RepoError::from(*commit_error) {
                    lost @ (RepoError::Lost(_) | RepoError::Busy(_)) => lost,
                    _ => RepoError::Lost(DieselError::BrokenTransactionManager),
                }
            }
            other => RepoError::Database(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_server_that_ends_the_session_is_a_lost_connection() {
        for message in [
            "terminating connection due to administrator command",
            "terminating connection due to idle-in-transaction timeout",
            "SSL connection has been closed unexpectedly",
            "server closed the connection unexpectedly",
            "the database system is shutting down",
        ] {
            let e = RepoError::from(db_error(DatabaseErrorKind::Unknown, message));
            assert!(matches!(e, RepoError::Lost(_)), "{message}: {e:?}");
            assert!(e.is_transient());
        }
        let closed = RepoError::from(db_error(DatabaseErrorKind::ClosedConnection, "x"));
        assert!(matches!(closed, RepoError::Lost(_)));
        let unsent = RepoError::from(db_error(DatabaseErrorKind::UnableToSendCommand, "x"));
        assert!(matches!(unsent, RepoError::Lost(_)));
        assert!(matches!(
            RepoError::from(DieselError::BrokenTransactionManager),
            RepoError::Lost(_)
        ));
    }

    #[test]
    fn waits_that_run_out_are_busy_and_transient() {
        for message in [
            "canceling statement due to lock timeout",
            "canceling statement due to statement timeout",
            "deadlock detected",
            "database is locked",
        ] {
            let e = RepoError::from(db_error(DatabaseErrorKind::Unknown, message));
            assert!(matches!(e, RepoError::Busy(_)), "{message}: {e:?}");
            assert!(e.is_transient());
        }
    }

    #[test]
    fn values_the_database_cannot_store_are_the_inputs_fault() {
        for message in [
            "invalid byte sequence for encoding \"UTF8\": 0x00",
            "bigint out of range",
        ] {
            let e = RepoError::from(db_error(DatabaseErrorKind::Unknown, message));
            assert!(matches!(e, RepoError::Unstorable(_)), "{message}: {e:?}");
            assert!(!e.is_transient());
        }
        let other = RepoError::from(db_error(DatabaseErrorKind::Unknown, "syntax error"));
        assert!(matches!(other, RepoError::Database(_)));
    }
}
