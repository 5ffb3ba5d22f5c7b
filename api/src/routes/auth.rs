//! Signing in (JWT access and refresh tokens), who am I, and the API
//! tokens sync clients and scripts use.

use actix_web::{HttpResponse, delete, get, post, web};
use shuzhuan_app::List;
use shuzhuan_app::auth::{
    self as use_case, ApiTokenView, CreateApiTokenRequest, CreatedApiToken, RefreshRequest,
    TokenRequest, TokenResponse,
};
use shuzhuan_app::users::UserView;

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, Json};
use crate::respond::created;
use crate::state::AppState;

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
    state
        .run_public(move |s, app| use_case::login(s, &app.keys, body.body()))
        .await
        .map(web::Json)
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
    state
        .run_public(move |s, app| use_case::refresh(s, &app.keys, body.body()))
        .await
        .map(web::Json)
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
    state.run(caller, use_case::me).await.map(web::Json)
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
    state
        .run(caller, move |s, who| {
            use_case::create_api_token(s, who, body.body())
        })
        .await
        .map(created)
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
    state
        .run(caller, use_case::list_api_tokens)
        .await
        .map(web::Json)
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
    state
        .run(caller, move |s, who| {
            use_case::revoke_api_token(s, who, &id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
