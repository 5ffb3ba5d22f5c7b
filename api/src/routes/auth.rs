//! Signing in (JWT access and refresh tokens), who am I, and the API
//! tokens sync clients and scripts use.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use shuzhuan_app::auth::{
    self as use_case, ApiTokenView, CreateApiTokenRequest, CreatedApiToken, RefreshRequest,
    TokenRequest, TokenResponse,
};
use shuzhuan_app::users::UserView;
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// Log in (获取令牌)
///
/// Exchanges a username and password for a short-lived access JWT and a refresh
/// token. Wrong passwords are throttled per username and per address (429 with
/// `Retry-After`). No token needed.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`: tokens are never cached"))),
        (status = 401, description = "Unknown user, wrong password or deactivated", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords for this username or from this address (`too_many_attempts`); `Retry-After` says how many seconds to wait", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many logins being checked at once (`busy`), or the database is away; retry after `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = req.peer_addr().map(|a| a.ip());
    let metrics = state.metrics.clone();
    let answer = state
        .run_public(move |s, app| use_case::login(s, &app.keys, &app.logins, client, body.body()))
        .await;
    if let Err(ApiError::App(e)) = &answer {
        metrics.login_refusals.with_label_values(&[e.code()]).inc();
    }
    answer.map(no_store)
}

/// Token responses must never be cached by a browser or a proxy.
fn no_store(tokens: TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(tokens)
}

/// Refresh a login
///
/// Exchanges a refresh token for a new access token and a new refresh token;
/// each refresh token is spent once, and presenting a spent one again revokes
/// the whole login. No token needed.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and a new refresh token; the old one is spent", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, description = "Unknown, spent, revoked or expired refresh token. Presenting a spent one again revokes every token of its login (family)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_token(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run_public(move |s, app| use_case::refresh(s, &app.keys, body.body()))
        .await
        .map(no_store)
}

/// The caller
///
/// Who the token names: the user, its roles with their scopes (programme,
/// regions, enterprise, provider). Any valid token.
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
    state.run(caller, use_case::me).await.map(web::Json)
}

/// Create an API token
///
/// Creates a long-lived API token (`szt_…`) for a system acting as the caller,
/// with an optional expiry; the secret is shown once, only its hash is kept.
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
    state
        .run(caller, move |s, who| {
            use_case::create_api_token(s, who, body.body())
        })
        .await
        .map(created)
}

/// List your API tokens
///
/// The caller's own API tokens, without their secrets, a page at a time.
#[utoipa::path(
    tag = "auth",
    params(Page),
    responses(
        (status = 200, description = "The caller's own API tokens, without secrets", body = List<ApiTokenView>),
    ),
    security(("bearer" = []))
)]
#[get("/api-tokens")]
pub async fn list_api_tokens(
    state: web::Data<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<web::Json<List<ApiTokenView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_api_tokens(s, who, &page)
        })
        .await
        .map(web::Json)
}

/// Revoke an API token
///
/// Revokes one of the caller's API tokens at once; requests with it get 401
/// afterwards.
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
    state
        .run(caller, move |s, who| {
            use_case::revoke_api_token(s, who, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read one of your API tokens
///
/// One of the caller's API tokens, without its secret.
#[utoipa::path(
    tag = "auth",
    params(("id" = String, Path, description = "API token id")),
    responses(
        (status = 200, description = "The token, without its secret", body = ApiTokenView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/api-tokens/{id}")]
pub async fn get_api_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get_api_token(s, who, &path))
        .await
        .map(current)
}
