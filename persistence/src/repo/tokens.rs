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

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spend {
    /// It was live and is now spent: its user and family.
    Spent { user_id: String, family_id: String },
    /// It was spent or revoked before: whoever holds it is replaying it
    /// (or it was stolen), so its family must not live on.
    Reused { family_id: String },
    /// Unknown or expired.
    Invalid,
}

/// Spends a refresh token, marking it used in the same statement, so a
/// token can be spent once even when two requests race with it.
pub fn spend_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Spend, RepoError> {
    let Some(row) = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(Spend::Invalid);
    };
    if row.used_at.is_some() || row.revoked_at.is_some() {
        return Ok(Spend::Reused {
            family_id: row.family_id,
        });
    }
    let spent = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(&row.id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(match spent {
        1 => Spend::Spent {
            user_id: row.user_id,
            family_id: row.family_id,
        },
        // Another request spent it a moment ago: a replay all the same.
        _ if row.expires_at > now => Spend::Reused {
            family_id: row.family_id,
        },
        _ => Spend::Invalid,
    })
}

/// Revokes every live refresh token of a family; returns how many.
pub fn revoke_refresh_family(
    conn: &mut AnyConnection,
    family_id: &str,
    now: NaiveDateTime,
) -> Result<usize, RepoError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?)
}

/// Revokes every live refresh token of a user (a password change, a
/// deactivation); returns how many.
pub fn revoke_user_refresh_tokens(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<usize, RepoError> {
    Ok(diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?)
}
