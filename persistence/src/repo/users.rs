//! Users and their role grants.

use diesel::prelude::*;

use crate::repo::{Page, check_updated};
use crate::rows::{GrantRow, UserRow};
use crate::schema::{grants, users};
use shuzhuan_types::Role;

use crate::{AnyConnection, Coded, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &UserRow) -> Result<(), RepoError> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<UserRow, RepoError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)?)
}

pub fn find_by_username(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<UserRow>, RepoError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<UserRow>, RepoError> {
    let mut q = users::table
        .select(UserRow::as_select())
        .order(users::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(users::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |u| u.id.clone()))
}

/// Writes `row` over the stored user if it is still at `expected_version`.
pub fn update(
    conn: &mut AnyConnection,
    row: &UserRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(&row.id))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        users::display_name.eq(&row.display_name),
        users::password_hash.eq(&row.password_hash),
        users::active.eq(row.active),
        users::version.eq(row.version),
        users::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    let current = users::table
        .find(&row.id)
        .select(users::version)
        .first(conn)
        .optional()?;
    check_updated(updated, current)
}

/// A user with every grant, in one query: what a request's principal is
/// loaded from (a removed grant or a deactivated user takes effect at once).
pub fn with_grants(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<(UserRow, Vec<GrantRow>)>, RepoError> {
    let rows: Vec<(UserRow, Option<GrantRow>)> = users::table
        .left_join(grants::table)
        .filter(users::id.eq(user_id))
        .select((UserRow::as_select(), Option::<GrantRow>::as_select()))
        .order(grants::id)
        .load(conn)?;
    Ok(gather(rows))
}

/// The owner of a live API token with every grant, in one query.
pub fn by_api_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: chrono::NaiveDateTime,
) -> Result<Option<(UserRow, Vec<GrantRow>)>, RepoError> {
    use crate::schema::api_tokens;
    let rows: Vec<(UserRow, Option<GrantRow>)> = api_tokens::table
        .inner_join(users::table.left_join(grants::table))
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now)),
        )
        .select((UserRow::as_select(), Option::<GrantRow>::as_select()))
        .order(grants::id)
        .load(conn)?;
    Ok(gather(rows))
}

fn gather(rows: Vec<(UserRow, Option<GrantRow>)>) -> Option<(UserRow, Vec<GrantRow>)> {
    let mut rows = rows.into_iter();
    let (user, first) = rows.next()?;
    let grants = first
        .into_iter()
        .chain(rows.filter_map(|(_, g)| g))
        .collect();
    Some((user, grants))
}

pub fn grants_of(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<GrantRow>, RepoError> {
    Ok(grants::table
        .filter(grants::user_id.eq(user_id))
        .select(GrantRow::as_select())
        .order(grants::id)
        .load(conn)?)
}

/// Replaces all grants of a user (the audit entry keeps the previous set).
pub fn replace_grants(
    conn: &mut AnyConnection,
    user_id: &str,
    rows: &[GrantRow],
) -> Result<(), RepoError> {
    diesel::delete(grants::table.filter(grants::user_id.eq(user_id))).execute(conn)?;
    for row in rows {
        diesel::insert_into(grants::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Whether any active user holds platform_admin (bootstrap asks this).
pub fn platform_admin_exists(conn: &mut AnyConnection) -> Result<bool, RepoError> {
    other_platform_admin_exists(conn, "")
}

/// Whether an active user other than `user_id` holds platform_admin, so
/// taking it from `user_id` leaves the deployment administrable.
pub fn other_platform_admin_exists(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<bool, RepoError> {
    let n: i64 = grants::table
        .inner_join(users::table)
        .filter(grants::role.eq(Coded(Role::PlatformAdmin)))
        .filter(users::active.eq(true))
        .filter(users::id.ne(user_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
