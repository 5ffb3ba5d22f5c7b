//! Kept answers of requests sent with an `Idempotency-Key`.

use diesel::prelude::*;

use crate::rows::IdempotencyRow;
use crate::schema::idempotency_keys;
use crate::{AnyConnection, RepoError};

pub fn find(
    conn: &mut AnyConnection,
    user_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRow>, RepoError> {
    Ok(idempotency_keys::table
        .find((user_id, key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Keeps the first answer; a second with the same key is refused as a
/// Conflict (the caller keeps the first).
pub fn insert(conn: &mut AnyConnection, row: &IdempotencyRow) -> Result<(), RepoError> {
    diesel::insert_into(idempotency_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}
