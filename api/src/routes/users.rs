//! Users and their role grants (platform_admin).

use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{programs, users};
use shuzhuan_persistence::rows::{GrantRow, UserRow};
use shuzhuan_persistence::{AnyConnection, Change, Op, Snapshot, Tx, new_id, now};
use shuzhuan_types::{Grant, GrantError, Role};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::{Caller, hash_password};
use crate::error::{ApiError, FieldError, Problem, Text};
use crate::extract::{IfMatch, Json, List, PageQuery, Query, created, versioned};
use crate::routes::{role_schema, utc};
use crate::state::AppState;

/// A role with its scope. Which scope fields a role takes: programme roles
/// (city_admin, finance, county_admin, evaluator, auditor, expert,
/// observer) a `program_id`; county_admin also `region_codes`; enterprise an
/// `enterprise_id`; provider a `provider_id`; platform_admin and
/// sync_client nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "county_admin", "program_id": "0193…", "region_codes": ["640122"]}))]
pub struct GrantView {
    #[schema(schema_with = role_schema)]
    pub role: Role,
    #[serde(default)]
    pub program_id: Option<String>,
    #[serde(default)]
    pub region_codes: Vec<String>,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub provider_id: Option<String>,
}

impl From<&Grant> for GrantView {
    fn from(g: &Grant) -> Self {
        GrantView {
            role: g.role(),
            program_id: g.program_id().map(str::to_owned),
            region_codes: g.region_codes().to_vec(),
            enterprise_id: g.enterprise_id().map(str::to_owned),
            provider_id: g.provider_id().map(str::to_owned),
        }
    }
}

/// Rebuilds a domain grant from its row; a row that no longer makes a valid
/// grant (hand-edited data) grants nothing and is logged.
pub fn grant_from_row(row: &GrantRow) -> Option<Grant> {
    let role: Role = row.role.parse().ok()?;
    let regions: Vec<String> = serde_json::from_str(&row.region_codes).ok()?;
    let grant = Grant::new(
        role,
        row.program_id.clone(),
        regions,
        row.enterprise_id.clone(),
        row.provider_id.clone(),
    );
    if grant.is_err() {
        log::warn!(
            "grant {} of user {} is inconsistent; ignored",
            row.id,
            row.user_id
        );
    }
    grant.ok()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// A deactivated user cannot log in and their tokens stop working.
    pub active: bool,
    pub grants: Vec<GrantView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserView {
    pub fn new(user: UserRow, grants: &[Grant]) -> Self {
        UserView {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            active: user.active,
            grants: grants.iter().map(GrantView::from).collect(),
            version: user.version,
            created_at: utc(user.created_at),
            updated_at: utc(user.updated_at),
        }
    }
}

/// Loads a user with their grants.
pub(crate) fn load_user(conn: &mut AnyConnection, id: &str) -> Result<UserView, ApiError> {
    let user = users::find(conn, id)?;
    let grants: Vec<Grant> = users::grants_of(conn, id)?
        .iter()
        .filter_map(grant_from_row)
        .collect();
    Ok(UserView::new(user, &grants))
}

fn validate_username(name: &str) -> Result<(), validator::ValidationError> {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Ok(())
    } else {
        Err(validator::ValidationError::new("username_format")
            .with_message("letters, digits, '.', '-' and '_' only".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "xuchang.office", "password": "correct horse battery", "display_name": "许昌市工信局专班"}))]
pub struct CreateUserRequest {
    #[validate(
        length(
            min = 3,
            max = 64,
            message = "must be 3 to 64 characters",
            code = "length"
        ),
        custom(function = "validate_username")
    )]
    #[schema(min_length = 3, max_length = 64, pattern = r"^[A-Za-z0-9._-]+$")]
    pub username: String,
    #[validate(length(
        min = 12,
        max = 256,
        message = "must be 12 to 256 characters",
        code = "length"
    ))]
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    #[validate(length(
        min = 12,
        max = 256,
        message = "must be 12 to 256 characters",
        code = "length"
    ))]
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
    pub active: Option<bool>,
}

/// The body of `PUT /users/{id}/grants`: the complete new set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct GrantList(pub Vec<GrantView>);

impl Validate for GrantList {
    /// Scopes are checked against the roles and the data in the handler.
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

fn user_change(action: &str, before: Option<&UserView>, after: &UserView, op: Op) -> Change {
    Change {
        action: action.to_owned(),
        object_type: "user",
        object_id: after.id.clone(),
        program_id: None,
        version: after.version,
        op,
        before: before.and_then(Snapshot::of),
        after: Snapshot::of(after),
    }
}

#[utoipa::path(
    tag = "users",
    params(PageQuery),
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
    Query(page): Query<PageQuery>,
) -> Result<web::Json<List<UserView>>, ApiError> {
    caller.require_platform_admin("manage users")?;
    let after = page.after();
    let limit = page.limit();
    let list = state
        .read(move |conn| {
            let page = users::list(conn, after.as_deref(), limit)?;
            let items = page
                .items
                .iter()
                .map(|u| load_user(conn, &u.id))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(List::new(items, page.next_after.as_deref()))
        })
        .await?;
    Ok(web::Json(list))
}

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
    caller.require_platform_admin("manage users")?;
    let body = body.parse()?;
    let password_hash = web::block(move || hash_password(&body.password)).await??;
    let at = now();
    let row = UserRow {
        id: new_id(),
        username: body.username,
        display_name: body.display_name,
        password_hash,
        active: true,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    let view = state
        .write(caller.actor(), move |tx| insert_user(tx, &row, &[]))
        .await
        .map_err(|e| {
            e.conflict_as(
                "username_taken",
                Text::new("That username is taken.", "该用户名已被占用。"),
            )
        })?;
    Ok(created(
        format!("/api/v1/users/{}", view.id),
        view.version,
        view,
    ))
}

/// Inserts a user with grants inside a unit of work (also used by the
/// admin bootstrap).
pub(crate) fn insert_user(
    tx: &mut Tx<'_>,
    row: &UserRow,
    grants: &[Grant],
) -> Result<UserView, ApiError> {
    users::insert(tx.conn(), row)?;
    users::replace_grants(tx.conn(), &row.id, &grant_rows(&row.id, grants))?;
    let view = UserView::new(row.clone(), grants);
    tx.record(user_change("user.create", None, &view, Op::Create));
    Ok(view)
}

fn grant_rows(user_id: &str, grants: &[Grant]) -> Vec<GrantRow> {
    let at = now();
    grants
        .iter()
        .map(|g| GrantRow {
            id: new_id(),
            user_id: user_id.to_owned(),
            role: g.role().as_str().to_owned(),
            program_id: g.program_id().map(str::to_owned),
            region_codes: serde_json::to_string(g.region_codes()).unwrap_or_else(|_| "[]".into()),
            enterprise_id: g.enterprise_id().map(str::to_owned),
            provider_id: g.provider_id().map(str::to_owned),
            created_at: at,
        })
        .collect()
}

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
    caller.require_platform_admin("manage users")?;
    let id = id.into_inner();
    let view = state.read(move |conn| load_user(conn, &id)).await?;
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "User id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
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
    caller.require_platform_admin("manage users")?;
    let body = body.parse()?;
    let id = id.into_inner();
    if body.active == Some(false) && id == caller.user_id {
        return Err(ApiError::field(
            "active",
            "cannot_deactivate_self",
            Text::new("you cannot deactivate yourself", "不能停用自己的账号"),
        ));
    }
    let new_hash = match body.password.clone() {
        Some(p) => Some(web::block(move || hash_password(&p)).await??),
        None => None,
    };
    let view = state
        .write(caller.actor(), move |tx| {
            let before = load_user(tx.conn(), &id)?;
            if before.version != expected {
                return Err(ApiError::StaleVersion {
                    current: before.version,
                });
            }
            let mut row = users::find(tx.conn(), &id)?;
            if let Some(name) = body.display_name {
                row.display_name = name;
            }
            if let Some(hash) = new_hash {
                row.password_hash = hash;
            }
            if let Some(active) = body.active {
                row.active = active;
            }
            row.version += 1;
            row.updated_at = now();
            users::update(tx.conn(), &row, expected)?;
            let after = load_user(tx.conn(), &id)?;
            tx.record(user_change(
                "user.update",
                Some(&before),
                &after,
                Op::Update,
            ));
            Ok(after)
        })
        .await?;
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    request_body(content = GrantList, description = "The complete new set of grants",
        example = json!([{"role": "city_admin", "program_id": "0193…"}, {"role": "county_admin", "program_id": "0193…", "region_codes": ["640122"]}])),
    responses(
        (status = 200, description = "The user with the new grants", body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last platform admin would lose the role", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A scope does not fit its role or names unknown data", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/users/{id}/grants")]
pub async fn put_grants(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    requested: Json<GrantList>,
) -> Result<web::Json<UserView>, ApiError> {
    caller.require_platform_admin("manage grants")?;
    let GrantList(requested) = requested.parse()?;
    let id = id.into_inner();
    let grants = parse_grants(requested)?;
    let view = state
        .write(caller.actor(), move |tx| {
            let before = load_user(tx.conn(), &id)?;
            check_grant_references(tx.conn(), &grants)?;
            let loses_admin = before.grants.iter().any(|g| g.role == Role::PlatformAdmin)
                && !grants.iter().any(|g| g.role() == Role::PlatformAdmin);
            if loses_admin && !users::other_platform_admin_exists(tx.conn(), &id)? {
                return Err(ApiError::Conflict {
                    code: "last_platform_admin",
                    detail: Text::new(
                        "This is the last active platform admin; grant the role to someone else first.",
                        "这是最后一个有效的平台管理员，请先将该角色授予他人。",
                    ),
                });
            }
            users::replace_grants(tx.conn(), &id, &grant_rows(&id, &grants))?;
            let mut row = users::find(tx.conn(), &id)?;
            row.version += 1;
            row.updated_at = now();
            users::update(tx.conn(), &row, before.version)?;
            let after = load_user(tx.conn(), &id)?;
            tx.record(user_change(
                "user.grants.replace",
                Some(&before),
                &after,
                Op::Update,
            ));
            Ok(after)
        })
        .await?;
    Ok(web::Json(view))
}

/// Builds domain grants, naming every request item whose scope does not fit
/// its role.
fn parse_grants(requested: Vec<GrantView>) -> Result<Vec<Grant>, ApiError> {
    let mut grants = Vec::new();
    let mut errors = Vec::new();
    for (i, g) in requested.into_iter().enumerate() {
        match Grant::new(
            g.role,
            g.program_id,
            g.region_codes,
            g.enterprise_id,
            g.provider_id,
        ) {
            Ok(grant) => grants.push(grant),
            Err(e) => errors.push(FieldError::new(
                format!("[{i}].{}", e.field()),
                "scope_mismatch",
                Text::new(e.to_string(), grant_error_zh(&e)),
            )),
        }
    }
    if errors.is_empty() {
        Ok(grants)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn grant_error_zh(e: &GrantError) -> String {
    match e {
        GrantError::ProgramRequired { role } => format!("角色 {role} 需要 program_id"),
        GrantError::ProgramNotAllowed { role } => {
            format!("角色 {role} 不限于某个试点，请去掉 program_id")
        }
        GrantError::RegionsRequired => "角色 county_admin 至少需要一个区县代码".to_owned(),
        GrantError::RegionsNotAllowed { role } => format!("角色 {role} 不接受区县代码"),
        GrantError::EnterpriseRequired => "角色 enterprise 需要 enterprise_id".to_owned(),
        GrantError::EnterpriseNotAllowed { role } => format!("角色 {role} 不接受 enterprise_id"),
        GrantError::ProviderRequired => "角色 provider 需要 provider_id".to_owned(),
        GrantError::ProviderNotAllowed { role } => format!("角色 {role} 不接受 provider_id"),
    }
}

/// Programmes and region codes named by grants must exist.
fn check_grant_references(conn: &mut AnyConnection, grants: &[Grant]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, g) in grants.iter().enumerate() {
        let Some(program_id) = g.program_id() else {
            continue;
        };
        if !programs::exists(conn, program_id)? {
            errors.push(FieldError::new(
                format!("[{i}].program_id"),
                "unknown_program",
                Text::new("no such programme", "试点不存在"),
            ));
            continue;
        }
        for code in programs::unknown_region_codes(conn, program_id, g.region_codes())? {
            errors.push(FieldError::new(
                format!("[{i}].region_codes"),
                "unknown_region",
                Text::new(
                    format!("region `{code}` is not in the programme"),
                    format!("区县 `{code}` 不属于该试点"),
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}
