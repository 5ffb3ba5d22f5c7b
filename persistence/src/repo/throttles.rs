//! Wrong-password counts per key (`user:<name>`, `addr:<ip>`), kept in the
//! database so every instance behind a load balancer enforces one limit.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::login_throttles as t;
use crate::{AnyConnection, RepoError};

/// The latest time until which any of `keys` is blocked, if after `now`.
pub fn blocked_until(
    conn: &mut AnyConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, RepoError> {
    Ok(t::table
        .filter(t::key.eq_any(keys))
        .filter(t::blocked_until.gt(now))
        .select(diesel::dsl::max(t::blocked_until))
        .get_result::<Option<NaiveDateTime>>(conn)?)
}

/// Counts one more failure of `key`; failures older than `fresh_after`
/// are forgotten first. Returns the count.
pub fn fail(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
    fresh_after: NaiveDateTime,
) -> Result<i32, RepoError> {
    diesel::update(t::table.find(key).filter(t::updated_at.lt(fresh_after)))
        .set((
            t::failures.eq(0),
            t::blocked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    let bumped = diesel::update(t::table.find(key))
        .set((t::failures.eq(t::failures + 1), t::updated_at.eq(now)))
        .execute(conn)?;
    if bumped == 0 {
        let inserted = diesel::insert_into(t::table)
            .values((
                t::key.eq(key),
                t::failures.eq(1),
                t::blocked_until.eq(None::<NaiveDateTime>),
                t::updated_at.eq(now),
            ))
            .execute(conn);
        if let Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) = inserted
        {
            // Another failure of the same key raced us: count on its row.
            diesel::update(t::table.find(key))
                .set((t::failures.eq(t::failures + 1), t::updated_at.eq(now)))
                .execute(conn)?;
        } else {
            inserted?;
        }
    }
    Ok(t::table.find(key).select(t::failures).first(conn)?)
}

/// Blocks `key` until `until`.
pub fn block(conn: &mut AnyConnection, key: &str, until: NaiveDateTime) -> Result<(), RepoError> {
    diesel::update(t::table.find(key))
        .set(t::blocked_until.eq(until))
        .execute(conn)?;
    Ok(())
}

/// Forgets `key`'s failures (a successful login).
pub fn clear(conn: &mut AnyConnection, key: &str) -> Result<(), RepoError> {
    diesel::delete(t::table.find(key)).execute(conn)?;
    Ok(())
}
