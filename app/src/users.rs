//! Users and their role grants (platform_admin).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{programs, tokens, users};
use shuzhuan_persistence::rows::{GrantRow, UserRow};
use shuzhuan_persistence::{AnyConnection, Coded, Json, Session, Tx, new_id, now};
use shuzhuan_types::{Grant, GrantError, ObjectType, Op, Role};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::hash_password;
use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::{Body, Page};
use crate::journal::{Key, change_with};
use crate::policy::Right;
use crate::principal::{Principal, grant_of};
use crate::view::{List, code_schema, utc};

/// A role with its scope. Which scope fields a role takes: programme roles
/// (city_admin, finance, county_admin, evaluator, auditor, expert,
/// observer) a `program_id`; county_admin also `region_codes`; enterprise an
/// `enterprise_id`; provider a `provider_id`; platform_admin and
/// sync_client nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "county_admin", "program_id": "0193…", "region_codes": ["640122"]}))]
pub struct GrantView {
    #[schema(schema_with = code_schema::<Role>)]
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

/// Loads a user with their grants (404 when there is none).
pub(crate) fn load_user(conn: &mut AnyConnection, id: &str) -> Result<UserView> {
    let (user, grants) = users::with_grants(conn, id)?.ok_or(AppError::NotFound)?;
    let grants: Vec<Grant> = grants.iter().filter_map(grant_of).collect();
    Ok(UserView::new(user, &grants))
}

fn validate_username(name: &str) -> std::result::Result<(), validator::ValidationError> {
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
    /// Scopes are checked against the roles and the data in the use case.
    fn validate(&self) -> std::result::Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

fn user_change(
    action: &str,
    before: Option<&UserView>,
    after: &UserView,
    op: Op,
) -> shuzhuan_persistence::Change {
    change_with(
        action,
        ObjectType::User,
        Key::new(&after.id, None, after.version),
        op,
        before,
        after,
    )
}

/// Users in creation order.
pub fn list(s: &mut Session, who: &Principal, page: &Page) -> Result<List<UserView>> {
    who.require(Right::ManageUsers)?;
    let conn = s.conn();
    let rows = users::list(conn, page.after()?.as_deref(), page.limit())?;
    let items = rows
        .items
        .iter()
        .map(|u| load_user(conn, &u.id))
        .collect::<Result<Vec<_>>>()?;
    Ok(List::new(items, rows.next_after))
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<UserView> {
    who.require(Right::ManageUsers)?;
    load_user(s.conn(), id)
}

pub fn create(s: &mut Session, who: &Principal, body: Body<CreateUserRequest>) -> Result<UserView> {
    who.require(Right::ManageUsers)?;
    let body = body.read()?;
    // Hashed before the unit of work: the hash is slow by design.
    let password_hash = hash_password(&body.password)?;
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
    s.write(&who.actor(), |tx| insert(tx, &row, &[]))
        .map_err(|e: AppError| {
            e.conflict_as(
                "username_taken",
                Text::new("That username is taken.", "该用户名已被占用。"),
            )
        })
}

/// Inserts a user with grants inside a unit of work (also the admin
/// bootstrap).
pub(crate) fn insert(tx: &mut Tx<'_>, row: &UserRow, grants: &[Grant]) -> Result<UserView> {
    users::insert(tx.conn(), row)?;
    users::replace_grants(tx.conn(), &row.id, &grant_rows(&row.id, grants)?)?;
    let view = UserView::new(row.clone(), grants);
    tx.record(user_change("user.create", None, &view, Op::Create));
    Ok(view)
}

fn grant_rows(user_id: &str, grants: &[Grant]) -> Result<Vec<GrantRow>> {
    let at = now();
    grants
        .iter()
        .map(|g| {
            Ok(GrantRow {
                id: new_id(),
                user_id: user_id.to_owned(),
                role: Coded(g.role()),
                program_id: g.program_id().map(str::to_owned),
                region_codes: Json::new(g.region_codes().to_vec())?,
                enterprise_id: g.enterprise_id().map(str::to_owned),
                provider_id: g.provider_id().map(str::to_owned),
                created_at: at,
            })
        })
        .collect()
}

pub fn update(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<UpdateUserRequest>,
) -> Result<UserView> {
    who.require(Right::ManageUsers)?;
    let body = body.read()?;
    if body.active == Some(false) && id == who.user_id {
        return Err(AppError::field(
            "active",
            "cannot_deactivate_self",
            Text::new("you cannot deactivate yourself", "不能停用自己的账号"),
        ));
    }
    let new_hash = body.password.as_deref().map(hash_password).transpose()?;
    s.write(&who.actor(), |tx| {
        let before = load_user(tx.conn(), id)?;
        let expected = expected.check(before.version)?;
        let mut row = users::find(tx.conn(), id)?;
        if let Some(name) = body.display_name {
            row.display_name = name;
        }
        // A new password or a deactivation ends every session: refresh
        // tokens die with it (access tokens expire within their minutes,
        // and a deactivated user's are refused at once).
        if new_hash.is_some() || body.active == Some(false) {
            tokens::revoke_user_refresh_tokens(tx.conn(), id, now())?;
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
        let after = load_user(tx.conn(), id)?;
        tx.record(user_change(
            "user.update",
            Some(&before),
            &after,
            Op::Update,
        ));
        Ok(after)
    })
}

/// Replaces a user's grants with the complete new set, if the user is
/// still at the version the caller read (`expected`).
pub fn put_grants(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<GrantList>,
) -> Result<UserView> {
    who.require(Right::ManageUsers)?;
    let GrantList(requested) = body.read()?;
    let grants = parse_grants(requested)?;
    s.write(&who.actor(), |tx| {
        let before = load_user(tx.conn(), id)?;
        expected.check(before.version)?;
        check_references(tx.conn(), &grants)?;
        let loses_admin = before.grants.iter().any(|g| g.role == Role::PlatformAdmin)
            && !grants.iter().any(|g| g.role() == Role::PlatformAdmin);
        if loses_admin && !users::other_platform_admin_exists(tx.conn(), id)? {
            return Err(AppError::conflict(
                "last_platform_admin",
                "This is the last active platform admin; grant the role to someone else first.",
                "这是最后一个有效的平台管理员，请先将该角色授予他人。",
            ));
        }
        users::replace_grants(tx.conn(), id, &grant_rows(id, &grants)?)?;
        let mut row = users::find(tx.conn(), id)?;
        row.version += 1;
        row.updated_at = now();
        users::update(tx.conn(), &row, before.version)?;
        let after = load_user(tx.conn(), id)?;
        tx.record(user_change(
            "user.grants.replace",
            Some(&before),
            &after,
            Op::Update,
        ));
        Ok(after)
    })
}

/// Builds domain grants, naming every request item whose scope does not fit
/// its role.
fn parse_grants(requested: Vec<GrantView>) -> Result<Vec<Grant>> {
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
    AppError::check(errors)?;
    Ok(grants)
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

/// Programmes and regions named by grants must exist. (An enterprise or
/// provider grant may come before its registration: it reaches nothing
/// until then.)
fn check_references(conn: &mut AnyConnection, grants: &[Grant]) -> Result<()> {
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
    AppError::check(errors)
}
