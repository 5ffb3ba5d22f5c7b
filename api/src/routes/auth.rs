//! Login, refresh, the caller, and API tokens for scripts and machines.

use actix_web::{HttpResponse, delete, get, http::header, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{tokens, users};
use shuzhuan_persistence::rows::{ApiTokenRow, RefreshTokenRow};
use shuzhuan_persistence::{Actor, Change, Op, Tx, new_id, now};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::{Caller, OpaqueToken, hash_token, verify_password};
use crate::error::{ApiError, Problem, Text};
use crate::extract::{Json, List};
use crate::routes::users::{UserView, load_user};
use crate::routes::utc;
use crate::state::AppState;

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
    state: &AppState,
    tx: &mut Tx<'_>,
    user_id: &str,
    action: &str,
) -> Result<TokenResponse, ApiError> {
    let caller = crate::auth::caller_load(tx.conn(), user_id)?;
    let grants = caller.grants.iter().map(Into::into).collect();
    let access_token = state
        .keys
        .issue(&caller.user_id, &caller.username, grants)?;
    let refresh = OpaqueToken::generate(OpaqueToken::REFRESH_PREFIX);
    let at = now();
    let row = RefreshTokenRow {
        id: new_id(),
        user_id: user_id.to_owned(),
        token_hash: refresh.hash,
        created_at: at,
        expires_at: at + Duration::days(REFRESH_TTL_DAYS),
        used_at: None,
    };
    tokens::insert_refresh_token(tx.conn(), &row)?;
    tx.record(Change {
        action: action.to_owned(),
        object_type: "session",
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
        expires_in: state.keys.ttl_seconds,
        refresh_token: refresh.plain,
    })
}

#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Unknown user, wrong password or deactivated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let body = body.parse()?;
    let username = body.username.clone();
    let user = state
        .read(move |conn| Ok(users::find_by_username(conn, &username)?))
        .await?;
    let stored = user
        .as_ref()
        .filter(|u| u.active)
        .map(|u| u.password_hash.clone());
    let ok = web::block(move || verify_password(&body.password, stored.as_deref())).await?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => return Err(ApiError::Unauthenticated("invalid_credentials")),
    };
    let st = state.clone();
    let actor = Actor::user(&user.id, &user.username);
    let tokens = state
        .write(actor, move |tx| {
            issue_tokens(&st, tx, &user.id, "auth.login")
        })
        .await?;
    Ok(web::Json(tokens))
}

#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and a new refresh token; the old one is spent", body = TokenResponse),
        (status = 401, description = "Unknown, spent or expired refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_token(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let body = body.parse()?;
    let st = state.clone();
    let hash = hash_token(&body.refresh_token);
    let tokens = state
        .write(Actor::system(), move |tx| {
            let user_id = tokens::spend_refresh_token(tx.conn(), &hash, now())?
                .ok_or(ApiError::Unauthenticated("invalid_refresh_token"))?;
            issue_tokens(&st, tx, &user_id, "auth.refresh")
        })
        .await?;
    Ok(web::Json(tokens))
}

#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller with their grants", body = UserView),
    ),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<UserView>, ApiError> {
    let id = caller.user_id.clone();
    Ok(web::Json(
        state.read(move |conn| load_user(conn, &id)).await?,
    ))
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
        object_type: "api_token",
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

#[utoipa::path(
    tag = "auth",
    request_body = CreateApiTokenRequest,
    responses(
        (status = 201, description = "The token; `secret` is shown only now", body = CreatedApiToken),
    ),
    security(("bearer" = []))
)]
#[post("/api-tokens")]
pub async fn create_api_token(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateApiTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let at = now();
    if body.expires_at.is_some_and(|e| e.naive_utc() <= at) {
        return Err(ApiError::field(
            "expires_at",
            "in_the_past",
            Text::new("must be in the future", "必须是将来的时间"),
        ));
    }
    let secret = OpaqueToken::generate(OpaqueToken::API_PREFIX);
    let row = ApiTokenRow {
        id: new_id(),
        user_id: caller.user_id.clone(),
        name: body.name,
        token_hash: secret.hash,
        created_at: at,
        expires_at: body.expires_at.map(|e| e.naive_utc()),
        revoked_at: None,
    };
    let row = state
        .write(caller.actor(), move |tx| {
            tokens::insert_api_token(tx.conn(), &row)?;
            tx.record(token_change("api_token.create", &row, Op::Create));
            Ok(row)
        })
        .await?;
    let id = row.id.clone();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/api-tokens/{id}")))
        .json(CreatedApiToken {
            token: row.into(),
            secret: secret.plain,
        }))
}

#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller's own API tokens, without secrets", body = List<ApiTokenView>),
    ),
    security(("bearer" = []))
)]
#[get("/api-tokens")]
pub async fn list_api_tokens(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<List<ApiTokenView>>, ApiError> {
    let user_id = caller.user_id.clone();
    let rows = state
        .read(move |conn| Ok(tokens::list_api_tokens(conn, &user_id)?))
        .await?;
    Ok(web::Json(List::all(
        rows.into_iter().map(Into::into).collect(),
    )))
}

#[utoipa::path(
    tag = "auth",
    params(("id" = String, Path, description = "API token id")),
    responses(
        (status = 204, description = "Revoked; the token no longer authenticates"),
        (status = 404, description = "No such token of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/api-tokens/{id}")]
pub async fn revoke_api_token(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let is_admin = caller.is_platform_admin();
    let owner = caller.user_id.clone();
    state
        .write(caller.actor(), move |tx| {
            let mut row = tokens::find_api_token(tx.conn(), &id)?;
            if row.user_id != owner && !is_admin {
                return Err(ApiError::NotFound);
            }
            if row.revoked_at.is_none() {
                let at = now();
                tokens::revoke_api_token(tx.conn(), &id, at)?;
                row.revoked_at = Some(at);
                tx.record(token_change("api_token.revoke", &row, Op::Tombstone));
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
