//! Evaluators, auditors and experts assigned to a project by the pilot
//! office (or a spot-check draw): what puts the project in their reach.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::projects;
use shuzhuan_persistence::rows::AssignmentRow;
use shuzhuan_persistence::{Coded, Session, now};
use shuzhuan_types::{ObjectType, Role};
use utoipa::ToSchema;
use validator::Validate;

use super::{check, visible};
use crate::error::{AppError, Result, Text};
use crate::input::{Body, Page};
use crate::journal::{Key, change};
use crate::policy::Right;
use crate::principal::{self, Principal};
use crate::view::{List, one_of, string_enum, utc};

const ASSIGNABLE: [Role; 3] = [Role::Evaluator, Role::Auditor, Role::Expert];

fn assignable_schema() -> utoipa::openapi::schema::Object {
    string_enum(ASSIGNABLE.map(Role::as_str))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "evaluator", "user_id": "0193…"}))]
pub struct AssignmentSpec {
    #[schema(schema_with = assignable_schema)]
    pub role: Role,
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 60)]
    pub user_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub project_id: String,
    #[schema(schema_with = assignable_schema)]
    pub role: Role,
    pub user_id: String,
    pub assigned_by: String,
    pub created_at: DateTime<Utc>,
}

fn role_not_held() -> AppError {
    AppError::field(
        "user_id",
        "role_not_held",
        Text::new(
            "the user holds no such role in the programme",
            "该用户在本试点无此角色",
        ),
    )
}

impl From<AssignmentRow> for AssignmentView {
    fn from(row: AssignmentRow) -> Self {
        AssignmentView {
            project_id: row.project_id,
            role: row.role.0,
            user_id: row.user_id,
            assigned_by: row.assigned_by,
            created_at: utc(row.created_at),
        }
    }
}

/// The project's assignments, by role and user.
pub fn list_assignments(
    s: &mut Session,
    who: &Principal,
    id: &str,
    page: &Page,
) -> Result<List<AssignmentView>> {
    List::paged(assignments(s, who, id)?, page)
}

/// One assignment of the project: a user in a role.
pub fn get_assignment(
    s: &mut Session,
    who: &Principal,
    id: &str,
    (role, user_id): (&str, &str),
) -> Result<AssignmentView> {
    one_of(assignments(s, who, id)?, |a| {
        a.role.as_str() == role && a.user_id == user_id
    })
}

fn assignments(s: &mut Session, who: &Principal, id: &str) -> Result<Vec<AssignmentView>> {
    let p = visible(s.conn(), who, id)?;
    Ok(p.assigned.into_iter().map(Into::into).collect())
}

/// Assigns a user holding the role in the programme (the city_admin).
pub fn create_assignment(
    s: &mut Session,
    who: &Principal,
    id: &str,
    body: Body<AssignmentSpec>,
) -> Result<AssignmentView> {
    who.require(Right::AssignToProject)?;
    let p = visible(s.conn(), who, id)?;
    check(who, Right::AssignToProject, &p)?;
    let spec = body.read()?;
    if !ASSIGNABLE.contains(&spec.role) {
        return Err(AppError::field(
            "role",
            "not_assignable",
            Text::new(
                "evaluator, auditor or expert",
                "只能指派评测机构、审计机构或专家",
            ),
        ));
    }
    let assignee = principal::of_user(s.conn(), &spec.user_id)?.ok_or_else(role_not_held)?;
    if !assignee.holds(spec.role, &p.row.program_id) {
        return Err(role_not_held());
    }
    let program_id = p.row.program_id;
    s.write(&who.actor(), |tx| {
        let row = AssignmentRow {
            project_id: id.to_owned(),
            role: Coded(spec.role),
            user_id: spec.user_id.clone(),
            assigned_by: who.user_id.clone(),
            created_at: now(),
        };
        projects::insert_assignment(tx.conn(), &row).map_err(|e| {
            AppError::from(e).conflict_as(
                "already_assigned",
                Text::new("The user is assigned already.", "该用户已被指派。"),
            )
        })?;
        let view = AssignmentView::from(row);
        let key = format!("{}:{}:{}", view.project_id, view.role, view.user_id);
        tx.record(change(
            "project.assign",
            ObjectType::ProjectAssignment,
            Key::new(&key, Some(&program_id), 1),
            None,
            &view,
        ));
        Ok(view)
    })
}
