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
    /// The connection closed under a query (the database went away).
    #[error("the database connection was lost")]
    Lost(#[source] DieselError),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
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
                match kind {
                    DatabaseErrorKind::UniqueViolation => RepoError::Conflict(what),
                    DatabaseErrorKind::ForeignKeyViolation => RepoError::InvalidReference(what),
                    DatabaseErrorKind::CheckViolation => RepoError::CheckViolation(what),
                    DatabaseErrorKind::ClosedConnection => {
                        RepoError::Lost(DieselError::DatabaseError(kind, info))
                    }
                    other => RepoError::Database(DieselError::DatabaseError(other, info)),
                }
            }
            other => RepoError::Database(other),
        }
    }
}
