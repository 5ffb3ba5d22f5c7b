//! API tokens and refresh tokens, stored only as SHA-256 hashes: both are
//! long random secrets, so a fast hash is enough and a stolen table yields
//! nothing usable.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::rows::{ApiTokenRow, RefreshTokenRow};
use crate::schema::{api_tokens, refresh_tokens};
use crate::{AnyConnection, RepoError};

pub fn insert_api_token(conn: &mut AnyConnection, row: &ApiTokenRow) -> Result<(), RepoError> {
    diesel::insert_into(api_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The live token with this hash: not revoked, not expired at `now`.
pub fn find_live_api_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<ApiTokenRow>, RepoError> {
    Ok(api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now)),
        )
        .select(ApiTokenRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_api_token(conn: &mut AnyConnection, id: &str) -> Result<ApiTokenRow, RepoError> {
    Ok(api_tokens::table
        .find(id)
        .select(ApiTokenRow::as_select())
        .first(conn)?)
}

pub fn list_api_tokens(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<ApiTokenRow>, RepoError> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .select(ApiTokenRow::as_select())
        .order(api_tokens::id)
        .load(conn)?)
}

pub fn revoke_api_token(
    conn: &mut AnyConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<(), RepoError> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::revoked_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn insert_refresh_token(
    conn: &mut AnyConnection,
    row: &RefreshTokenRow,
) -> Result<(), RepoError> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Spends a refresh token: returns its user if it was live, and marks it
/// used in the same statement, so a token can be spent once even when two
/// requests race with it.
pub fn spend_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, RepoError> {
    let Some(row) = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let spent = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(&row.id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok((spent == 1).then_some(row.user_id))
}
