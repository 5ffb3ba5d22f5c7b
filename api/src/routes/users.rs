//! Users and their grants (who holds which role where, DOMAIN.md §2).

use actix_web::{HttpResponse, get, patch, post, put, web};
use shuzhuan_app::users::{
    self as use_case, CreateUserRequest, GrantList, UpdateUserRequest, UserView,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, IfMatch, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// List users
///
/// Every user of the deployment with their grants, a page at a time.
#[utoipa::path(
    tag = "users",
    params(Page),
    responses(
        (status = 200, description = "Users in creation order", body = List<UserView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<web::Json<List<UserView>>, ApiError> {
    state
        .run(caller, move |s, who| use_case::list(s, who, &page))
        .await
        .map(web::Json)
}

/// Create a user
///
/// Creates a user with a password and role grants (a role in a scope: a
/// programme, regions, an enterprise, a provider).
#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created; `Location` names it", body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Username taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::create(s, who, body.body()))
        .await
        .map(created)
}

/// Read a user
///
/// One user with their grants; `ETag` carries its version.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = UserView, headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await
        .map(current)
}

/// Change a user
///
/// Changes the display name, password or active flag (`If-Match` required).
/// Deactivating or changing the password ends the user's refresh tokens; the
/// last platform admin cannot be deactivated.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "User id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::update(s, who, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// Replace a user's grants (授权)
///
/// Replaces the user's role grants as a whole (`If-Match` with the user's
/// version required); the change is audited and ends nothing already done under
/// the old grants.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "User id"),
        ("If-Match" = String, Header, description = "ETag of the user you read (or `*`)", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body(content = GrantList, description = "The complete new set of grants",
        example = json!([{"role": "city_admin", "program_id": "0193…"}, {"role": "county_admin", "program_id": "0193…", "region_codes": ["640122"]}])),
    responses(
        (status = 200, description = "The user with the new grants", body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last platform admin would lose the role", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_version`: the user changed since the If-Match you sent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A scope does not fit its role or names unknown data", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/users/{id}/grants")]
pub async fn put_grants(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    requested: Json<GrantList>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::put_grants(s, who, &id, expected, requested.body())
        })
        .await
        .map(current)
}
