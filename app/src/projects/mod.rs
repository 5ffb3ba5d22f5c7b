//! Projects (改造项目) and their life (DOMAIN.md §4): application, the plan,
//! every transition with its history, progress reports and assignments.
//! Which action may be taken, from which state, by whom, is asked of
//! `shuzhuan_lifecycle`; who reaches which project, of the table of rights.

mod assignments;
mod plan;
mod progress;
mod transition;

pub use assignments::{
    AssignmentSpec, AssignmentView, create_assignment, get_assignment, list_assignments,
};
pub use plan::{PlanLineItemSpec, PlanSpec, put_plan};
pub use progress::{ProgressSpec, ProgressView, create_progress, get_progress, list_progress};
pub use transition::{SatisfactionSpec, TransitionRequest, TransitionView, history, transition};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{
    BatchState, Blocked, DEFAULT_PASS_LEVEL, DocumentKind, Facts, ProjectAction, ProjectState,
    blocked_actions, next_actions,
};
use shuzhuan_persistence::repo::{assessments, enterprises, programs, projects};
use shuzhuan_persistence::rows::{AssignmentRow, ProjectRow};
use shuzhuan_persistence::{AnyConnection, Change, Coded, Session, Tx, new_id, now};
use shuzhuan_types::{ObjectType, Op, Role, Target};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::assessments::ScorecardView;
use crate::error::{AppError, Lang, Result, Text};
use crate::input::{self, Body};
use crate::journal::{Key, change_with};
use crate::policy::Right;
use crate::principal::Principal;
use crate::subsidy::{LineItemSpec, QuoteView};
use crate::view::{List, code_list_schema, code_schema, utc};

fn action_list_schema() -> utoipa::openapi::schema::Array {
    code_list_schema::<ProjectAction>()
}

// ---- scope --------------------------------------------------------------------

/// A project with its assignments: what its reach is decided on.
pub(crate) struct Loaded {
    pub row: ProjectRow,
    pub assigned: Vec<AssignmentRow>,
}

impl Loaded {
    pub fn target(&self) -> Target<'_> {
        projects::target(&self.row, &self.assigned)
    }
}

/// The project if the caller reads it (404 otherwise, by the same
/// condition as the list), with its assignments.
pub(crate) fn visible(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<Loaded> {
    let reach = who.require(Right::ReadProject)?;
    let row = projects::find_in(conn, id, &reach)?.ok_or(AppError::NotFound)?;
    let assigned = projects::assignments_of(conn, id)?;
    Ok(Loaded { row, assigned })
}

/// 403 unless `right` reaches the project.
pub(crate) fn check(who: &Principal, right: Right, p: &Loaded) -> Result<()> {
    who.check(right, &p.target())
}

/// The roles the caller acts in on the project: those its grants reach it
/// by; a platform admin acts as the pilot office (never as finance).
pub(crate) fn roles_on(who: &Principal, p: &Loaded) -> Vec<Role> {
    let mut roles: Vec<Role> = who
        .roles_on(Right::ReadProject, &p.target())
        .into_iter()
        .filter(|r| *r != Role::PlatformAdmin)
        .collect();
    if who.is_platform_admin() {
        roles.push(Role::CityAdmin);
    }
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    roles
}

// ---- views --------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SatisfactionView {
    /// 1 (poor) to 5 (excellent).
    pub score: i32,
    pub comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: String,
    pub program_id: String,
    pub batch_id: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub title: String,
    #[schema(schema_with = code_schema::<ProjectState>)]
    pub state: ProjectState,
    pub provider_id: Option<String>,
    /// The diagnosis assessment and its level (before transformation).
    pub diagnosis_id: Option<String>,
    pub level_before: Option<i32>,
    /// The acceptance assessment and its level (after).
    pub acceptance_id: Option<String>,
    pub level_after: Option<i32>,
    /// level_after − level_before, once both are known.
    pub level_gain: Option<i32>,
    pub plan: Option<PlanSpec>,
    /// The county approved the plan; the city's approval moves it on.
    pub county_approved_plan: bool,
    /// The subsidy policy version pinned when the plan was approved.
    pub policy_version: Option<i32>,
    pub rectification_deadline: Option<NaiveDate>,
    pub audited_line_items: Option<Vec<LineItemSpec>>,
    pub subsidy_fen: Option<i64>,
    /// The quote the approved subsidy came from, step by step.
    pub subsidy_quote: Option<QuoteView>,
    pub decision_id: Option<String>,
    pub disbursed_fen: i64,
    pub progress_percent: i32,
    pub satisfaction: Option<SatisfactionView>,
    /// Before and after, once both the diagnosis and the acceptance are
    /// recorded (absent in change-feed snapshots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ComparisonView>,
    /// What the caller may do next (absent in change-feed snapshots).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = action_list_schema)]
    pub next_actions: Option<Vec<ProjectAction>>,
    /// Every other action, with why the caller cannot take it now (absent
    /// in change-feed snapshots): so a UI can explain a missing button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable_actions: Option<Vec<UnavailableAction>>,
    /// Its risk score and flags with their evidence (风险线索), on a single
    /// read by those who read risks over it (the city, county and finance
    /// offices and observers); absent for everyone else, the enterprise and
    /// its provider above all, and in change-feed snapshots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<crate::risks::ProjectRisk>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An action the caller cannot take now, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnavailableAction {
    #[schema(schema_with = code_schema::<ProjectAction>)]
    pub action: ProjectAction,
    // The meanings of the next four fields live in their schema functions
    // (utoipa drops a doc comment beside `schema_with`).
    #[schema(schema_with = reason_schema)]
    pub reason: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(schema_with = role_list_schema)]
    pub roles: Vec<Role>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(schema_with = state_list_schema)]
    pub states: Vec<ProjectState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(schema_with = document_kind_list_schema)]
    pub missing_documents: Vec<DocumentKind>,
    /// The reason in English.
    pub message: String,
    /// The reason in Chinese.
    pub message_zh: String,
}

fn reason_schema() -> utoipa::openapi::schema::Object {
    let mut schema = crate::view::string_enum([
        "another_role",
        "wrong_state",
        "batch_window",
        "batch_dates",
        "county_approval_first",
        "already_approved",
        "documents_missing",
    ]);
    schema.description = Some(
        "Why: `another_role` (`roles` take it), `wrong_state` (`states` take it), \
         `batch_window` (the batch's state does not take it now), `batch_dates` (the batch's \
         dates do not take it today), `county_approval_first`, \
         `already_approved` (the city's turn), or `documents_missing` (`missing_documents` \
         lists them)."
            .to_owned(),
    );
    schema
}

fn role_list_schema() -> utoipa::openapi::schema::Array {
    described(
        code_list_schema::<Role>(),
        "The roles that take the action (for `another_role`).",
    )
}

fn state_list_schema() -> utoipa::openapi::schema::Array {
    described(
        code_list_schema::<ProjectState>(),
        "The states the action is taken from (for `wrong_state`).",
    )
}

fn document_kind_list_schema() -> utoipa::openapi::schema::Array {
    described(
        code_list_schema::<DocumentKind>(),
        "The document kinds still to attach (for `documents_missing`).",
    )
}

fn described(
    mut list: utoipa::openapi::schema::Array,
    text: &str,
) -> utoipa::openapi::schema::Array {
    list.description = Some(text.to_owned());
    list
}

impl UnavailableAction {
    fn blocked(action: ProjectAction, why: Blocked) -> Self {
        let codes = |items: &mut dyn Iterator<Item = &'static str>, sep: &str| {
            items.collect::<Vec<_>>().join(sep)
        };
        let (reason, en, zh) = match why {
            Blocked::OtherRoles(roles) => (
                "another_role",
                format!(
                    "taken by {}",
                    codes(&mut roles.iter().map(|r| r.as_str()), ", ")
                ),
                format!(
                    "由 {} 执行",
                    codes(&mut roles.iter().map(|r| r.as_str()), "、")
                ),
            ),
            Blocked::State(states) => (
                "wrong_state",
                format!(
                    "taken only from {}",
                    codes(&mut states.iter().map(|s| s.as_str()), ", ")
                ),
                format!(
                    "仅在 {} 状态下可执行",
                    codes(&mut states.iter().map(|s| s.as_str()), "、")
                ),
            ),
            Blocked::BatchWindow(batch) => (
                "batch_window",
                format!("the batch is `{batch}` and does not take it now"),
                format!("所属批次状态为 `{batch}`，当前不受理"),
            ),
            Blocked::Dates(bound) => ("batch_dates", bound.to_string(), bound.zh()),
            Blocked::CountyApprovalFirst => (
                "county_approval_first",
                "the county approves the plan first".to_owned(),
                "方案须先经县（市、区）审核".to_owned(),
            ),
            Blocked::AlreadyApproved => (
                "already_approved",
                "the county approved the plan already: the city's turn".to_owned(),
                "县（市、区）已审核，待市级审批".to_owned(),
            ),
        };
        UnavailableAction {
            action,
            reason,
            roles: match why {
                Blocked::OtherRoles(roles) => roles.to_vec(),
                _ => Vec::new(),
            },
            states: match why {
                Blocked::State(states) => states.to_vec(),
                _ => Vec::new(),
            },
            missing_documents: Vec::new(),
            message: en,
            message_zh: zh,
        }
    }

    fn documents(action: ProjectAction, missing: Vec<DocumentKind>) -> Self {
        let list: Vec<&str> = missing.iter().map(|k| k.as_str()).collect();
        UnavailableAction {
            action,
            reason: "documents_missing",
            roles: Vec::new(),
            states: Vec::new(),
            message: format!("attach first: {}", list.join(", ")),
            message_zh: format!("须先上传：{}", list.join("、")),
            missing_documents: missing,
        }
    }
}

/// One dimension's points before and after (exact to 0.025).
#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionDeltaView {
    pub code: String,
    pub before: f64,
    pub after: f64,
    pub delta: f64,
}

/// The pre/post comparison of the diagnosis and acceptance assessments.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonView {
    pub level_before: i32,
    pub level_after: i32,
    pub level_gain: i32,
    pub total_points_before: f64,
    pub total_points_after: f64,
    pub total_points_delta: f64,
    pub dimensions: Vec<DimensionDeltaView>,
}

/// Points on the wire from integer thousandths.
fn points(thousandths: i64) -> f64 {
    thousandths as f64 / 1000.0
}

/// Each dimension's points of a stored result, in integer thousandths.
fn dimension_thousandths(result: &str) -> Vec<(String, i64)> {
    serde_json::from_str::<ScorecardView>(result)
        .map(|card| {
            card.dimensions
                .into_iter()
                .map(|d| (d.code, (d.points * 1000.0).round() as i64))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn comparison(
    conn: &mut AnyConnection,
    p: &ProjectRow,
) -> Result<Option<ComparisonView>> {
    let (Some(before), Some(after)) = (&p.diagnosis_id, &p.acceptance_id) else {
        return Ok(None);
    };
    let (before, after) = (
        assessments::find(conn, before)?,
        assessments::find(conn, after)?,
    );
    let after_dims = dimension_thousandths(&after.result);
    let dimensions = dimension_thousandths(&before.result)
        .into_iter()
        .map(|(code, b)| {
            let a = after_dims
                .iter()
                .find(|(c, _)| *c == code)
                .map_or(0, |(_, a)| *a);
            DimensionDeltaView {
                code,
                before: points(b),
                after: points(a),
                delta: points(a - b),
            }
        })
        .collect();
    Ok(Some(ComparisonView {
        level_before: before.level,
        level_after: after.level,
        level_gain: after.level - before.level,
        total_points_before: points(before.total_points),
        total_points_after: points(after.total_points),
        total_points_delta: points(after.total_points - before.total_points),
        dimensions,
    }))
}

impl ProjectView {
    /// The project as stored (the feed's snapshot): no caller, no
    /// comparison.
    pub(crate) fn of(p: &ProjectRow) -> Self {
        ProjectView {
            id: p.id.clone(),
            program_id: p.program_id.clone(),
            batch_id: p.batch_id.clone(),
            enterprise_id: p.enterprise_id.clone(),
            region_code: p.region_code.clone(),
            title: p.title.clone(),
            state: p.state.0,
            provider_id: p.provider_id.clone(),
            diagnosis_id: p.diagnosis_id.clone(),
            level_before: p.level_before,
            acceptance_id: p.acceptance_id.clone(),
            level_after: p.level_after,
            level_gain: p.level_after.zip(p.level_before).map(|(a, b)| a - b),
            plan: p
                .plan
                .as_ref()
                .map(|plan| PlanSpec::from(plan.get().clone())),
            county_approved_plan: p.county_approved_plan,
            policy_version: p.policy_version,
            rectification_deadline: p.rectification_deadline,
            audited_line_items: p
                .audited_line_items
                .as_ref()
                .map(|items| items.iter().copied().map(Into::into).collect()),
            subsidy_fen: p.subsidy_fen,
            subsidy_quote: p
                .subsidy_quote
                .as_deref()
                .and_then(|q| serde_json::from_str(q).ok()),
            decision_id: p.decision_id.clone(),
            disbursed_fen: p.disbursed_fen,
            progress_percent: p.progress_percent,
            satisfaction: p.satisfaction.map(|score| SatisfactionView {
                score,
                comment: p.satisfaction_comment.clone().unwrap_or_default(),
            }),
            comparison: None,
            risk: None,
            next_actions: None,
            unavailable_actions: None,
            version: p.version,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

/// What the rules need to know about a project beyond its state: its
/// batch's state and its programme's pass level.
pub(crate) fn facts_of(conn: &mut AnyConnection, p: &ProjectRow) -> Result<Facts> {
    let batch = programs::find_batch(conn, &p.program_id, &p.batch_id)?;
    let pass_level = programs::find(conn, &p.program_id)?.pass_level;
    Ok(Facts {
        batch: batch.state.0,
        window: crate::programs::window_of(&batch),
        today: chrono::Utc::now().date_naive(),
        county_approved_plan: p.county_approved_plan,
        acceptance_level: None,
        pass_level: u8::try_from(pass_level).unwrap_or(DEFAULT_PASS_LEVEL),
        pays_in_full: true,
    })
}

/// The view for a caller acting in `roles`, with what they may do next and
/// the pre/post comparison.
pub(crate) fn view_for(
    conn: &mut AnyConnection,
    p: &ProjectRow,
    roles: &[Role],
) -> Result<ProjectView> {
    let facts = facts_of(conn, p)?;
    let mut next = Vec::new();
    let mut unavailable: Vec<UnavailableAction> = blocked_actions(p.state.0, roles, &facts)
        .into_iter()
        .map(|(a, why)| UnavailableAction::blocked(a, why))
        .collect();
    let open: Vec<ProjectAction> = next_actions(p.state.0, roles, &facts)
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let missing = transition::missing_documents(conn, p, &open)?;
    for (action, missing) in open.into_iter().zip(missing) {
        if missing.is_empty() {
            next.push(action);
        } else {
            unavailable.push(UnavailableAction::documents(action, missing));
        }
    }
    Ok(ProjectView {
        comparison: comparison(conn, p)?,
        next_actions: Some(next),
        unavailable_actions: Some(unavailable),
        ..ProjectView::of(p)
    })
}

/// The audit entry and change event of a project write; a withdrawn or
/// disqualified project is a tombstone in the feed.
fn project_change(action: &str, before: Option<&ProjectRow>, after: &ProjectRow) -> Change {
    let before = before.map(ProjectView::of);
    let after_view = ProjectView::of(after);
    let op = match (after.state.0, &before) {
        (ProjectState::Withdrawn | ProjectState::Disqualified, _) => Op::Tombstone,
        (_, Some(_)) => Op::Update,
        (_, None) => Op::Create,
    };
    let key = Key::new(&after.id, Some(&after.program_id), after.version);
    change_with(
        action,
        ObjectType::Project,
        key,
        op,
        before.as_ref(),
        &after_view,
    )
}

/// Writes `row` (one version on from `before`) with its audit entry and
/// change event.
pub(crate) fn save(
    tx: &mut Tx<'_>,
    action: &str,
    before: &ProjectRow,
    mut row: ProjectRow,
) -> Result<ProjectRow> {
    row.version = before.version + 1;
    row.updated_at = now();
    projects::update(tx.conn(), &row, before.version)?;
    tx.record(project_change(action, Some(before), &row));
    Ok(row)
}

// ---- application and reading ----------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"batch_id": "0193…", "enterprise_id": "0193…", "title": "数字化车间改造"}))]
pub struct ProjectApplication {
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 60)]
    pub batch_id: String,
    /// The applying enterprise (default: the caller's only one).
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 60)]
    pub enterprise_id: Option<String>,
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
}

/// A draft project of the caller's enterprise in an open batch; `submit`
/// applies it.
pub fn create(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<ProjectApplication>,
) -> Result<ProjectView> {
    let reach = who.require(Right::ApplyForProject)?;
    crate::programs::visible(s.conn(), who, program_id)?;
    let body = body.read()?;
    let enterprise_id = who.own_enterprise(body.enterprise_id.as_deref())?;
    if !reach.contains(&Target {
        enterprise: Some(&enterprise_id),
        ..Default::default()
    }) {
        return Err(AppError::NotFound);
    }
    s.write(&who.actor(), |tx| {
        let batch = programs::find_batch(tx.conn(), program_id, &body.batch_id)?;
        if *batch.state != BatchState::Open {
            return Err(AppError::Conflict {
                code: "batch_not_open",
                detail: Text::new(
                    format!(
                        "The batch is `{}`: applications only while it is open.",
                        *batch.state
                    ),
                    format!("该批次状态为 `{}`，仅在申报期内可申报。", *batch.state),
                ),
            });
        }
        if let Some(bound) =
            crate::programs::window_of(&batch).refuses_applications(chrono::Utc::now().date_naive())
        {
            return Err(AppError::Conflict {
                code: "outside_batch_dates",
                detail: Text::new(
                    format!("{bound}: the city office may extend the batch's dates."),
                    format!("{}；如需延期，由市级试点办公室延长批次时间。", bound.zh()),
                ),
            });
        }
        let enterprise = enterprises::find(tx.conn(), &enterprise_id)?;
        let region_code = match (&enterprise.program_id, &enterprise.region_code) {
            (Some(p), Some(r)) if *p == program_id => r.clone(),
            _ => {
                return Err(AppError::conflict(
                    "enterprise_not_in_program",
                    "The enterprise is not registered in this programme with a region.",
                    "该企业未在本试点登记所属区县。",
                ));
            }
        };
        let at = now();
        let row = ProjectRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            batch_id: batch.id,
            enterprise_id: enterprise_id.clone(),
            region_code,
            title: body.title.clone(),
            state: Coded(ProjectState::Draft),
            provider_id: None,
            diagnosis_id: None,
            level_before: None,
            acceptance_id: None,
            level_after: None,
            plan: None,
            county_approved_plan: false,
            policy_version: None,
            rectification_deadline: None,
            audited_line_items: None,
            subsidy_fen: None,
            subsidy_quote: None,
            decision_id: None,
            disbursed_fen: 0,
            progress_percent: 0,
            satisfaction: None,
            satisfaction_comment: None,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        projects::insert(tx.conn(), &row)?;
        tx.record(project_change("project.create", None, &row));
        view_for(tx.conn(), &row, &[Role::Enterprise])
    })
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Only projects in this state.
    #[param(schema_with = code_schema::<ProjectState>)]
    pub state: Option<String>,
    pub batch_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub provider_id: Option<String>,
    pub region_code: Option<String>,
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

/// The programme's projects the caller reads (exactly those a single read
/// would show), in id order.
pub fn list(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: ProjectQuery,
) -> Result<List<ProjectView>> {
    let reach = who.require(Right::ReadProject)?;
    crate::programs::visible(s.conn(), who, program_id)?;
    let filter = projects::Filter {
        program_id: program_id.to_owned(),
        state: input::optional_code::<ProjectState>("state", q.state.as_deref())?,
        batch_id: q.batch_id,
        enterprise_id: q.enterprise_id,
        provider_id: q.provider_id,
        region_code: q.region_code,
    };
    let page = projects::list(
        s.conn(),
        &reach,
        &filter,
        crate::view::cursor_key(q.cursor.as_deref())?.as_deref(),
        q.limit.unwrap_or(50),
    )?;
    Ok(List::new(
        page.items.iter().map(ProjectView::of).collect(),
        page.next_after,
    ))
}

/// The project with what the caller may do next.
pub fn get(s: &mut Session, who: &Principal, id: &str, lang: Lang) -> Result<ProjectView> {
    let p = visible(s.conn(), who, id)?;
    let roles = roles_on(who, &p);
    Ok(ProjectView {
        risk: crate::risks::of_project(s.conn(), who, &p.row, lang)?,
        ..view_for(s.conn(), &p.row, &roles)?
    })
}
