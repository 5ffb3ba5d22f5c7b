//! Login, refresh, the caller, and API tokens for scripts and machines;
//! the keys, hashes and secrets they rest on.

mod jwt;
mod logins;
mod password;
mod secret;

pub use jwt::{AUDIENCE, Claims, ISSUER, JwtKeys};
pub use logins::Logins;
pub use password::{hash_password, verify_password};
pub use secret::{OpaqueToken, hash_token};

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{tokens, users};
use shuzhuan_persistence::rows::{ApiTokenRow, RefreshTokenRow};
use shuzhuan_persistence::{Actor, Change, Session, Tx, new_id, now};
use shuzhuan_types::{ObjectType, Op};
use utoipa::ToSchema;
use validator::Validate;

use crate::error::{AppError, Result, Text};
use crate::input::{Body, Page};
use crate::policy::Right;
use crate::principal::{self, Principal};
use crate::users::{UserView, load_user};
use crate::view::{List, one_of, utc};

/// How long a refresh token stays usable (it is single-use and rotates).
const REFRESH_TTL_DAYS: i64 = 14;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "admin", "password": "dev-admin-password"}))]
pub struct TokenRequest {
    #[validate(length(
        min = 1,
        max = 64,
        message = "must be 1 to 64 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[validate(length(
        min = 1,
        max = 256,
        message = "must be 1 to 256 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use token for `POST /auth/refresh`.
    pub refresh_token: String,
}

/// Issues an access token and a fresh refresh token, recording the new
/// session in the same unit of work.
fn issue_tokens(
    keys: &JwtKeys,
    tx: &mut Tx<'_>,
    user_id: &str,
    action: &str,
    family: Option<&str>,
) -> Result<TokenResponse> {
    let who = principal::of_user(tx.conn(), user_id)?
        .ok_or(AppError::Unauthenticated("invalid_credentials"))?;
    let grants = who.grants.iter().map(Into::into).collect();
    let access_token = keys.issue(&who.user_id, &who.username, grants)?;
    let refresh = OpaqueToken::generate(OpaqueToken::REFRESH_PREFIX);
    let at = now();
    let id = new_id();
    let row = RefreshTokenRow {
        family_id: family.map_or_else(|| id.clone(), str::to_owned),
        id,
        user_id: user_id.to_owned(),
        token_hash: refresh.hash,
        created_at: at,
        expires_at: at + Duration::days(REFRESH_TTL_DAYS),
        used_at: None,
        revoked_at: None,
    };
    tokens::insert_refresh_token(tx.conn(), &row)?;
    tx.record(Change {
        action: action.to_owned(),
        object_type: ObjectType::Session,
        object_id: row.id.clone(),
        program_id: None,
        version: 1,
        op: Op::Create,
        before: None,
        after: Some(
            serde_json::json!({
                "user_id": row.user_id,
                "expires_at": utc(row.expires_at),
            })
            .into(),
        ),
    });
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: keys.ttl_seconds,
        refresh_token: refresh.plain,
    })
}

/// Username and password for tokens (no principal yet). Wrong passwords
/// are throttled per username and per client address (429 with the wait),
/// and only a bounded number of password hashes run at once.
pub fn login(
    s: &mut Session,
    keys: &JwtKeys,
    logins: &Logins,
    client: Option<IpAddr>,
    body: Body<TokenRequest>,
) -> Result<TokenResponse> {
    let body = body.read()?;
    let throttle = logins.keys(&body.username, client);
    logins.check(s, &throttle)?;
    let user = users::find_by_username(s.conn(), &body.username)?;
    let stored = user
        .as_ref()
        .filter(|u| u.active)
        .map(|u| u.password_hash.as_str());
    if !logins.verify(&body.password, stored)? {
        logins.failed(s, &throttle)?;
        return Err(AppError::Unauthenticated("invalid_credentials"));
    }
    let Some(user) = user else {
        return Err(AppError::Unauthenticated("invalid_credentials"));
    };
    logins.succeeded(s, &throttle)?;
    s.write(&Actor::user(&user.id, &user.username), |tx| {
        issue_tokens(keys, tx, &user.id, "auth.login", None)
    })
}

/// A spent refresh token for a new pair of the same family (single use:
/// a second spend fails, and revokes every token of the family, since one
/// of the two presenting it is not its owner).
pub fn refresh(
    s: &mut Session,
    keys: &JwtKeys,
    body: Body<RefreshRequest>,
) -> Result<TokenResponse> {
    let body = body.read()?;
    let hash = hash_token(&body.refresh_token);
    s.write(&Actor::system(), |tx| -> Result<Result<TokenResponse>> {
        match tokens::spend_refresh_token(tx.conn(), &hash, now())? {
            tokens::Spend::Spent { user_id, family_id } => Ok(Ok(issue_tokens(
                keys,
                tx,
                &user_id,
                "auth.refresh",
                Some(&family_id),
            )?)),
            tokens::Spend::Reused { family_id } => {
                let revoked = tokens::revoke_refresh_family(tx.conn(), &family_id, now())?;
                if revoked > 0 {
                    log::warn!(
                        "a spent refresh token was presented again: revoked {revoked} live token(s) of its family {family_id}"
                    );
                    tx.record(Change {
                        action: "auth.refresh_reused".to_owned(),
                        object_type: ObjectType::Session,
                        object_id: family_id.clone(),
                        program_id: None,
                        version: 1,
                        op: Op::Update,
                        before: None,
                        after: Some(serde_json::json!({"family_id": family_id, "revoked": revoked}).into()),
                    });
                }
                Ok(Err(AppError::Unauthenticated("invalid_refresh_token")))
            }
            tokens::Spend::Invalid => Ok(Err(AppError::Unauthenticated("invalid_refresh_token"))),
        }
    })?
}

/// The caller with their grants.
pub fn me(s: &mut Session, who: &Principal) -> Result<UserView> {
    load_user(s.conn(), &who.user_id)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "national platform sync", "expires_at": "2027-12-31T00:00:00Z"}))]
pub struct CreateApiTokenRequest {
    /// What the token is for, to recognise it later.
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Optional expiry; without it the token lives until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API token as listed: never the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRow> for ApiTokenView {
    fn from(r: ApiTokenRow) -> Self {
        ApiTokenView {
            id: r.id,
            name: r.name,
            created_at: utc(r.created_at),
            expires_at: r.expires_at.map(utc),
            revoked_at: r.revoked_at.map(utc),
        }
    }
}

/// A new API token with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiTokenView,
    /// The secret for `Authorization: Bearer`; it cannot be shown again.
    pub secret: String,
}

fn token_change(action: &str, row: &ApiTokenRow, op: Op) -> Change {
    Change {
        action: action.to_owned(),
        object_type: ObjectType::ApiToken,
        object_id: row.id.clone(),
        program_id: None,
        version: if row.revoked_at.is_some() { 2 } else { 1 },
        op,
        before: None,
        after: Some(
            serde_json::json!({
                "id": row.id,
                "user_id": row.user_id,
                "name": row.name,
                "created_at": utc(row.created_at),
                "expires_at": row.expires_at.map(utc),
                "revoked_at": row.revoked_at.map(utc),
            })
            .into(),
        ),
    }
}

pub fn create_api_token(
    s: &mut Session,
    who: &Principal,
    body: Body<CreateApiTokenRequest>,
) -> Result<CreatedApiToken> {
    who.require(Right::ManageApiTokens)?;
    let body = body.read()?;
    let at = now();
    if body.expires_at.is_some_and(|e| e.naive_utc() <= at) {
        return Err(AppError::field(
            "expires_at",
            "in_the_past",
            Text::new("must be in the future", "必须是将来的时间"),
        ));
    }
    let secret = OpaqueToken::generate(OpaqueToken::API_PREFIX);
    let row = ApiTokenRow {
        id: new_id(),
        user_id: who.user_id.clone(),
        name: body.name,
        token_hash: secret.hash,
        created_at: at,
        expires_at: body.expires_at.map(|e| e.naive_utc()),
        revoked_at: None,
    };
    s.write(&who.actor(), |tx| -> Result<()> {
        tokens::insert_api_token(tx.conn(), &row)?;
        tx.record(token_change("api_token.create", &row, Op::Create));
        Ok(())
    })?;
    Ok(CreatedApiToken {
        token: row.into(),
        secret: secret.plain,
    })
}

/// The caller's own API tokens, without secrets.
pub fn list_api_tokens(
    s: &mut Session,
    who: &Principal,
    page: &Page,
) -> Result<List<ApiTokenView>> {
    List::paged(api_tokens(s, who)?, page)
}

/// One of the caller's API tokens, without its secret.
pub fn get_api_token(s: &mut Session, who: &Principal, id: &str) -> Result<ApiTokenView> {
    one_of(api_tokens(s, who)?, |t| t.id == id)
}

fn api_tokens(s: &mut Session, who: &Principal) -> Result<Vec<ApiTokenView>> {
    who.require(Right::ManageApiTokens)?;
    let rows = tokens::list_api_tokens(s.conn(), &who.user_id)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Revokes one of the caller's tokens (a platform admin: anyone's).
pub fn revoke_api_token(s: &mut Session, who: &Principal, id: &str) -> Result<()> {
    let reach = who.require(Right::ManageApiTokens)?;
    s.write(&who.actor(), |tx| {
        let mut row = tokens::find_api_token(tx.conn(), id)?;
        let target = shuzhuan_types::Target {
            owner: Some(&row.user_id),
            ..Default::default()
        };
        if !reach.contains(&target) {
            return Err(AppError::NotFound);
        }
        if row.revoked_at.is_none() {
            let at = now();
            tokens::revoke_api_token(tx.conn(), id, at)?;
            row.revoked_at = Some(at);
            tx.record(token_change("api_token.revoke", &row, Op::Tombstone));
        }
        Ok(())
    })
}
