//! The national registries' upsert by credit code (`PUT
//! /{enterprises|providers}/by-code/{uscc}`), written once for both:
//! read, insert or update inside the unit of work, race-safe on any number
//! of instances. Two identical PUTs of a new code give one create and one
//! unchanged; without `If-Match` the last writer wins; a stale `If-Match`
//! is 412.

use shuzhuan_persistence::{AnyConnection, RepoError, Tx};

use crate::error::{AppError, Expected, Result};

/// How a registry's rows are found, inserted and updated by code.
pub(crate) trait ByCode {
    type Row: Clone;
    type View;

    fn find(conn: &mut AnyConnection, code: &str) -> Result<Option<Self::Row>>;
    fn version(row: &Self::Row) -> i64;
    /// Inserts a new row; a unique conflict on the code is a
    /// [`RepoError::Conflict`].
    fn insert(conn: &mut AnyConnection, row: &Self::Row) -> std::result::Result<(), RepoError>;
    /// Records the creation (audit entry, change event) and renders it.
    fn created(tx: &mut Tx<'_>, row: Self::Row) -> Result<Self::View>;
    /// Stores `row` over `before` at `before`'s version; a concurrent
    /// writer is [`AppError::StaleVersion`]. Unchanged rows write nothing.
    fn update(tx: &mut Tx<'_>, before: Self::Row, row: Self::Row) -> Result<(Self::View, bool)>;
}

/// What an upsert did.
pub struct Upserted<V> {
    pub view: V,
    pub created: bool,
}

/// Rounds a racing writer may cost before the upsert gives up (each round
/// is one other writer having committed in between).
const ROUNDS: usize = 8;

/// Creates the row of `code` from `create`, or changes the stored one
/// with `change` (which checks the caller's rights on it and applies the
/// fields); `expected` is the caller's `If-Match`.
pub(crate) fn upsert<R: ByCode>(
    tx: &mut Tx<'_>,
    code: &str,
    expected: Option<Expected>,
    create: impl Fn(&mut AnyConnection) -> Result<R::Row>,
    change: impl Fn(&mut AnyConnection, &R::Row) -> Result<R::Row>,
) -> Result<Upserted<R::View>> {
    for _ in 0..ROUNDS {
        match R::find(tx.conn(), code)? {
            None => {
                if expected.is_some() {
                    // If-Match on nothing: the version read is gone.
                    return Err(AppError::StaleVersion { current: 0 });
                }
                let row = create(tx.conn())?;
                // A savepoint: on PostgreSQL a failed insert would abort the
                // whole transaction; a racing insert of the same code makes
                // this round an update instead.
                let inserted = tx.savepoint(|c| R::insert(c, &row));
                match inserted {
                    Ok(()) => {
                        return Ok(Upserted {
                            view: R::created(tx, row)?,
                            created: true,
                        });
                    }
                    Err(RepoError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Some(before) => {
                if let Some(v) = expected {
                    v.check(R::version(&before))?;
                }
                let row = change(tx.conn(), &before)?;
                match R::update(tx, before, row) {
                    Ok((view, _)) => {
                        return Ok(Upserted {
                            view,
                            created: false,
                        });
                    }
                    Err(AppError::StaleVersion { .. }) if expected.is_none() => continue,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Err(AppError::conflict(
        "too_many_concurrent_writes",
        "The record kept changing under this request; retry.",
        "该记录正被频繁修改，请重试。",
    ))
}
