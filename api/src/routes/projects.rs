//! Projects (改造项目) and their life (DOMAIN.md §4): application, the plan,
//! every transition with its history, progress reports and assignments.
//! Which action may be taken, from which state, by whom, is asked of
//! `shuzhuan_lifecycle`; this module checks scope, gathers the facts and
//! the data each step carries, and writes the step as one unit of work.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{
    AdmissionKind, AdmissionStatus, BatchState, Facts, ProjectAction, ProjectError, ProjectState,
    acting_role, decide, next_actions,
};
use shuzhuan_persistence::repo::{admissions, assessments, enterprises, programs, projects};
use shuzhuan_persistence::rows::{AssignmentRow, ProgressReportRow, ProjectRow, TransitionRow};
use shuzhuan_persistence::{AnyConnection, Change, Op, Tx, new_id, now};
use shuzhuan_subsidy::ExpenseCategory;
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Problem, Text};
use crate::extract::{IfMatch, Json, List, PageQuery, Query, created, versioned};
use crate::routes::assessments::ScorecardView;
use crate::routes::subsidy::{
    DisbursementSpec, LineItemSpec, Proposal, QuoteSpec, QuoteView, approve, category_schema,
    disburse, policy_version_on, propose, quote_pinned,
};
use crate::routes::{change_of, string_enum, utc};
use crate::state::AppState;

fn state_schema() -> utoipa::openapi::schema::Object {
    string_enum(ProjectState::ALL.map(ProjectState::as_str))
}

fn action_schema() -> utoipa::openapi::schema::Object {
    string_enum(ProjectAction::ALL.map(ProjectAction::as_str))
}

fn action_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::Array::new(action_schema())
}

// ---- scope --------------------------------------------------------------------

/// The roles the caller holds for this project: a programme office of its
/// programme, the county of its region, its enterprise, its provider, or
/// an evaluator, auditor or expert assigned to it. None: out of scope (404).
/// A platform admin acts as the pilot office (never as finance).
pub(crate) fn roles_for(caller: &Caller, p: &ProjectRow, assigned: &[AssignmentRow]) -> Vec<Role> {
    let mut roles: Vec<Role> = caller
        .grants
        .iter()
        .filter(|g| {
            let in_program = g.program_id() == Some(p.program_id.as_str());
            match g.role() {
                Role::CityAdmin | Role::Finance | Role::Observer => in_program,
                Role::CountyAdmin => in_program && g.region_codes().contains(&p.region_code),
                Role::Enterprise => g.enterprise_id() == Some(p.enterprise_id.as_str()),
                Role::Provider => {
                    g.provider_id().is_some() && g.provider_id() == p.provider_id.as_deref()
                }
                Role::Evaluator | Role::Auditor | Role::Expert => {
                    in_program
                        && assigned
                            .iter()
                            .any(|a| a.user_id == caller.user_id && a.role == g.role().as_str())
                }
                Role::PlatformAdmin | Role::SyncClient => false,
            }
        })
        .map(|g| g.role())
        .collect();
    if caller.is_platform_admin() {
        roles.push(Role::CityAdmin);
    }
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    roles
}

/// The project and the caller's roles for it, or 404 when out of scope.
pub(crate) fn load_in_scope(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<(ProjectRow, Vec<Role>), ApiError> {
    let row = projects::find(conn, id)?;
    let assigned = projects::assignments_of(conn, id)?;
    let roles = roles_for(caller, &row, &assigned);
    if roles.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok((row, roles))
}

fn list_scope(caller: &Caller, assigned: Vec<String>) -> projects::Scope {
    let mut scope = projects::Scope {
        all: caller.is_platform_admin(),
        project_ids: assigned,
        ..Default::default()
    };
    for g in &caller.grants {
        match (g.role(), g.program_id()) {
            (Role::CityAdmin | Role::Finance | Role::Observer, Some(p)) => {
                scope.program_ids.push(p.to_owned());
            }
            (Role::CountyAdmin, Some(p)) => {
                scope
                    .regions
                    .push((p.to_owned(), g.region_codes().to_vec()));
            }
            (Role::Enterprise, _) => scope
                .enterprise_ids
                .extend(g.enterprise_id().map(Into::into)),
            (Role::Provider, _) => scope.provider_ids.extend(g.provider_id().map(Into::into)),
            _ => {}
        }
    }
    scope
}

// ---- views --------------------------------------------------------------------

/// A line item of the plan: what the money goes to, by expense category
/// (DOMAIN.md §5) — what the subsidy is later computed from.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanLineItem {
    #[schema(schema_with = category_schema)]
    pub category: ExpenseCategory,
    #[validate(length(min = 1, max = 500, message = "1 to 500 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    #[schema(minimum = 0)]
    pub amount_fen: i64,
}

/// The transformation plan and contract (改造方案与合同), filed by the
/// provider or the enterprise before county and city approve it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "goals": "生产管控与质量管理场景达到二级",
    "content": "部署轻量化 MES 与质量追溯系统，设备联网 40 台",
    "starts_on": "2026-03-01", "ends_on": "2026-09-30",
    "contract_amount_fen": 150000000,
    "line_items": [
        {"category": "software", "description": "轻量化 MES 订阅", "amount_fen": 100000000},
        {"category": "data_acquisition_equipment", "description": "数据采集网关", "amount_fen": 50000000}
    ],
    "provider_ids": [], "product_ids": []
}))]
pub struct PlanSpec {
    #[validate(length(min = 1, max = 4000, message = "1 to 4000 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 4000)]
    pub goals: String,
    #[validate(length(
        min = 1,
        max = 20000,
        message = "1 to 20000 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 20000)]
    pub content: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The contract's total; the line items add up to it.
    #[validate(range(min = 1, message = "must be positive", code = "range"))]
    #[schema(minimum = 1)]
    pub contract_amount_fen: i64,
    #[validate(
        length(min = 1, max = 200, message = "1 to 200 line items", code = "length"),
        nested
    )]
    #[schema(min_items = 1, max_items = 200)]
    pub line_items: Vec<PlanLineItem>,
    /// Further providers of the programme's pool working on it (the chosen
    /// provider always does).
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20", code = "length"))]
    #[schema(max_items = 20)]
    pub provider_ids: Vec<String>,
    /// Products from the programme's library (listed or recommended).
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50", code = "length"))]
    #[schema(max_items = 50)]
    pub product_ids: Vec<String>,
    /// The signed contract, a document of kind `contract` of this project.
    pub contract_document_id: Option<String>,
}

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
    #[schema(schema_with = state_schema)]
    pub state: String,
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
    pub next_actions: Option<Vec<String>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
) -> Result<Option<ComparisonView>, ApiError> {
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

fn from_json<T: serde::de::DeserializeOwned>(text: Option<&String>) -> Option<T> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

impl ProjectView {
    pub(crate) fn of(p: &ProjectRow, next: Option<Vec<String>>) -> Self {
        ProjectView {
            id: p.id.clone(),
            program_id: p.program_id.clone(),
            batch_id: p.batch_id.clone(),
            enterprise_id: p.enterprise_id.clone(),
            region_code: p.region_code.clone(),
            title: p.title.clone(),
            state: p.state.clone(),
            provider_id: p.provider_id.clone(),
            diagnosis_id: p.diagnosis_id.clone(),
            level_before: p.level_before,
            acceptance_id: p.acceptance_id.clone(),
            level_after: p.level_after,
            level_gain: p.level_after.zip(p.level_before).map(|(a, b)| a - b),
            plan: from_json(p.plan.as_ref()),
            county_approved_plan: p.county_approved_plan,
            policy_version: p.policy_version,
            rectification_deadline: p.rectification_deadline,
            audited_line_items: from_json(p.audited_line_items.as_ref()),
            subsidy_fen: p.subsidy_fen,
            subsidy_quote: from_json(p.subsidy_quote.as_ref()),
            decision_id: p.decision_id.clone(),
            disbursed_fen: p.disbursed_fen,
            progress_percent: p.progress_percent,
            satisfaction: p.satisfaction.map(|score| SatisfactionView {
                score,
                comment: p.satisfaction_comment.clone().unwrap_or_default(),
            }),
            comparison: None,
            next_actions: next,
            version: p.version,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

fn state_of(p: &ProjectRow) -> Result<ProjectState, ApiError> {
    p.state
        .parse()
        .map_err(|e: String| ApiError::Internal(e.into()))
}

fn batch_state(conn: &mut AnyConnection, p: &ProjectRow) -> Result<BatchState, ApiError> {
    programs::find_batch(conn, &p.program_id, &p.batch_id)?
        .state
        .parse()
        .map_err(|e: String| ApiError::Internal(e.into()))
}

fn facts_of(p: &ProjectRow, batch: BatchState) -> Facts {
    Facts {
        batch,
        county_approved_plan: p.county_approved_plan,
        acceptance_level: None,
        pays_in_full: true,
    }
}

/// The view for a caller holding `roles`, with what they may do next.
fn view_for(
    conn: &mut AnyConnection,
    p: &ProjectRow,
    roles: &[Role],
) -> Result<ProjectView, ApiError> {
    let facts = facts_of(p, batch_state(conn, p)?);
    let next = next_actions(state_of(p)?, roles, &facts)
        .into_iter()
        .map(|(a, _)| a.as_str().to_owned())
        .collect();
    Ok(ProjectView {
        comparison: comparison(conn, p)?,
        ..ProjectView::of(p, Some(next))
    })
}

/// The audit entry and change event of a project write.
fn project_change(action: &str, before: Option<&ProjectRow>, after: &ProjectRow) -> Change {
    let before = before.map(|b| ProjectView::of(b, None));
    let after_view = ProjectView::of(after, None);
    let key = (
        after.id.as_str(),
        Some(after.program_id.as_str()),
        after.version,
    );
    let mut change = change_of(action, "project", key, before.as_ref(), &after_view);
    if matches!(
        state_of(after),
        Ok(ProjectState::Withdrawn | ProjectState::Disqualified)
    ) {
        change.op = Op::Tombstone;
    }
    change
}

/// Writes `row` (one version on from `expected`) with its audit entry and
/// change event.
fn save(
    tx: &mut Tx<'_>,
    action: &str,
    before: &ProjectRow,
    mut row: ProjectRow,
) -> Result<ProjectRow, ApiError> {
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

#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = ProjectApplication,
    responses(
        (status = 201, description = "A draft project; `submit` applies it", body = ProjectView),
        (status = 403, description = "Only an enterprise applies, for itself", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme or batch", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`batch_not_open`, or `enterprise_not_in_program`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<ProjectApplication>,
) -> Result<HttpResponse, ApiError> {
    let program_id = program_id.into_inner();
    caller.require_program_visible(&program_id)?;
    let body = body.parse()?;
    if !caller.has_role(Role::Enterprise) {
        return Err(ApiError::Forbidden("apply for a project (enterprise)"));
    }
    let enterprise_id = caller.own_enterprise(body.enterprise_id.as_deref())?;
    let view = state
        .write(caller.actor(), move |tx| {
            let batch = programs::find_batch(tx.conn(), &program_id, &body.batch_id)?;
            if batch.state != BatchState::Open.as_str() {
                return Err(ApiError::Conflict {
                    code: "batch_not_open",
                    detail: Text::new(
                        format!(
                            "The batch is `{}`: applications only while it is open.",
                            batch.state
                        ),
                        format!("该批次状态为 `{}`，仅在申报期内可申报。", batch.state),
                    ),
                });
            }
            let enterprise = enterprises::find(tx.conn(), &enterprise_id)?;
            let region_code = match (&enterprise.program_id, &enterprise.region_code) {
                (Some(p), Some(r)) if *p == program_id => r.clone(),
                _ => {
                    return Err(ApiError::Conflict {
                        code: "enterprise_not_in_program",
                        detail: Text::new(
                            "The enterprise is not registered in this programme with a region.",
                            "该企业未在本试点登记所属区县。",
                        ),
                    });
                }
            };
            let at = now();
            let row = ProjectRow {
                id: new_id(),
                program_id: program_id.clone(),
                batch_id: batch.id,
                enterprise_id,
                region_code,
                title: body.title,
                state: ProjectState::Draft.as_str().to_owned(),
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
        .await?;
    Ok(created(
        format!("/api/v1/projects/{}", view.id),
        view.version,
        view,
    ))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// Only projects in this state.
    #[param(schema_with = state_schema)]
    pub state: Option<String>,
    pub batch_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub provider_id: Option<String>,
    pub region_code: Option<String>,
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id"), ProjectQuery),
    responses(
        (status = 200, description = "The programme's projects in the caller's scope, in id order", body = List<ProjectView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<web::Json<List<ProjectView>>, ApiError> {
    let program_id = program_id.into_inner();
    caller.require_program_visible(&program_id)?;
    if let Some(s) = &q.state {
        s.parse::<ProjectState>().map_err(|e| {
            ApiError::field("state", "unknown_state", Text::new(e, "未知的项目状态"))
        })?;
    }
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let filter = projects::Filter {
        program_id,
        state: q.state,
        batch_id: q.batch_id,
        enterprise_id: q.enterprise_id,
        provider_id: q.provider_id,
        region_code: q.region_code,
    };
    let user_id = caller.user_id.clone();
    let rows = state
        .read(move |conn| {
            let scope = list_scope(&caller, projects::assigned_to(conn, &user_id)?);
            Ok(projects::list(
                conn,
                &scope,
                &filter,
                page.after().as_deref(),
                page.limit(),
            )?)
        })
        .await?;
    let next = rows.next_after.clone();
    Ok(web::Json(List::new(
        rows.items
            .iter()
            .map(|p| ProjectView::of(p, None))
            .collect(),
        next.as_deref(),
    )))
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project with what the caller may do next", body = ProjectView,
         headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 404, description = "Missing or out of the caller's scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = state
        .read(move |conn| {
            let (row, roles) = load_in_scope(conn, &caller, &id)?;
            view_for(conn, &row, &roles)
        })
        .await?;
    Ok(versioned(view.version, view))
}

// ---- the plan -------------------------------------------------------------------

/// Checks a plan against the programme: dates, totals, pool and library.
fn check_plan(conn: &mut AnyConnection, p: &ProjectRow, plan: &PlanSpec) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if plan.ends_on < plan.starts_on {
        errors.push(FieldError::new(
            "ends_on",
            "before_start",
            Text::new("ends before it starts", "结束日期早于开始日期"),
        ));
    }
    let total: i64 = plan.line_items.iter().map(|l| l.amount_fen).sum();
    if total != plan.contract_amount_fen {
        errors.push(FieldError::new(
            "line_items",
            "total_mismatch",
            Text::new(
                format!(
                    "the line items add up to {total} fen, the contract to {}",
                    plan.contract_amount_fen
                ),
                format!(
                    "明细合计 {total} 分，与合同金额 {} 分不符",
                    plan.contract_amount_fen
                ),
            ),
        ));
    }
    for (i, provider) in plan.provider_ids.iter().enumerate() {
        if !admitted(conn, &p.program_id, AdmissionKind::ProviderPool, provider)? {
            errors.push(FieldError::new(
                format!("provider_ids[{i}]"),
                "provider_not_admitted",
                Text::new(
                    "not an admitted provider of the programme's pool",
                    "不是本试点资源池中已入库的服务商",
                ),
            ));
        }
    }
    for (i, product) in plan.product_ids.iter().enumerate() {
        if !admitted(conn, &p.program_id, AdmissionKind::ProductLibrary, product)? {
            errors.push(FieldError::new(
                format!("product_ids[{i}]"),
                "product_not_listed",
                Text::new(
                    "not a listed product of the programme's library",
                    "不是本试点产品库中已上架的产品",
                ),
            ));
        }
    }
    if let Some(doc) = &plan.contract_document_id {
        let ok = projects::find_document(conn, doc)
            .map(|d| d.project_id == p.id && d.kind == "contract")
            .unwrap_or(false);
        if !ok {
            errors.push(FieldError::new(
                "contract_document_id",
                "unknown_contract",
                Text::new(
                    "not a contract document of this project",
                    "不是本项目的合同文件",
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

/// Whether `member_id` is usable in the programme's pool or library
/// (admitted; listed or recommended).
fn admitted(
    conn: &mut AnyConnection,
    program_id: &str,
    kind: AdmissionKind,
    member_id: &str,
) -> Result<bool, ApiError> {
    match admissions::find(conn, program_id, kind.as_str(), member_id) {
        Ok(a) => Ok(AdmissionStatus::parse(&a.status).is_some_and(|s| kind.usable(s))),
        Err(shuzhuan_persistence::RepoError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "ETag of the project version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    request_body = PlanSpec,
    responses(
        (status = 200, description = "The project with its plan; `file_plan` files it", body = ProjectView),
        (status = 403, description = "Only the project's provider or enterprise writes the plan", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`plan_locked`: the plan is filed or approved", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The project changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Each problem named: dates, totals, providers outside the pool, products outside the library", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/projects/{id}/plan")]
pub async fn put_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<PlanSpec>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let plan = body.parse()?;
    let view = state
        .write(caller.actor(), move |tx| {
            let (before, roles) = load_in_scope(tx.conn(), &caller, &id)?;
            if !roles
                .iter()
                .any(|r| matches!(r, Role::Provider | Role::Enterprise))
            {
                return Err(ApiError::Forbidden(
                    "write the plan (provider or enterprise)",
                ));
            }
            if before.version != expected {
                return Err(ApiError::StaleVersion {
                    current: before.version,
                });
            }
            if state_of(&before)? != ProjectState::Diagnosed {
                return Err(ApiError::Conflict {
                    code: "plan_locked",
                    detail: Text::new(
                        "The plan is written after the diagnosis and before it is filed.",
                        "改造方案须在诊断之后、备案之前编写。",
                    ),
                });
            }
            check_plan(tx.conn(), &before, &plan)?;
            let mut row = before.clone();
            row.plan = Some(to_json(&plan)?);
            let row = save(tx, "project.plan", &before, row)?;
            view_for(tx.conn(), &row, &roles)
        })
        .await?;
    Ok(versioned(view.version, view))
}

// ---- transitions ----------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SatisfactionSpec {
    #[validate(range(min = 1, max = 5, message = "must be 1 to 5", code = "range"))]
    #[schema(minimum = 1, maximum = 5)]
    pub score: i32,
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub comment: String,
}

/// One step of the life. Which further fields an action needs is in the
/// table of DOMAIN.md §4; fields an action does not use are refused.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "approve_enrolment", "comment": "材料齐全，同意入库"}))]
pub struct TransitionRequest {
    #[schema(schema_with = action_schema)]
    pub action: ProjectAction,
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub comment: String,
    /// Why: required by `return`, `withdraw` and `disqualify`.
    #[validate(length(min = 1, max = 2000, message = "1 to 2000 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
    /// `choose_provider`: an admitted provider of the programme's pool.
    pub provider_id: Option<String>,
    /// `record_diagnosis` / `record_acceptance`: the assessment of that
    /// kind recorded for this project.
    pub assessment_id: Option<String>,
    /// `record_acceptance`: the enterprise's rating of its provider.
    #[validate(nested)]
    pub satisfaction: Option<SatisfactionSpec>,
    /// `resume`: the rectification deadline.
    pub deadline: Option<NaiveDate>,
    /// `record_audit`: the verified eligible investment per category.
    #[validate(length(min = 1, max = 200, message = "1 to 200 line items", code = "length"))]
    #[schema(min_items = 1, max_items = 200)]
    pub audited_line_items: Option<Vec<LineItemSpec>>,
    /// `approve_subsidy`: the budget pool the amount is committed against.
    pub budget_pool_id: Option<String>,
    /// `disburse`: the amount paid (default: what is left to pay).
    #[validate(range(min = 1, message = "must be positive", code = "range"))]
    #[schema(minimum = 1)]
    pub amount_fen: Option<i64>,
    /// `disburse`: the bank or treasury reference.
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub reference: Option<String>,
    /// `disburse`: the day paid.
    pub paid_on: Option<NaiveDate>,
    /// `disqualify`: the spot check whose finding it follows.
    pub spot_check_id: Option<String>,
}

fn required(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        "required",
        Text::new("required for this action", "该操作必须提供此字段"),
    )
}

fn need<T: Clone>(value: &Option<T>, field: &'static str) -> Result<T, ApiError> {
    value
        .clone()
        .ok_or_else(|| ApiError::Validation(vec![required(field)]))
}

/// The fields each action carries; any other given is refused, so a typo'd
/// step never passes silently.
fn check_fields(body: &TransitionRequest) -> Result<(), ApiError> {
    use ProjectAction as A;
    let given: [(&'static str, bool); 10] = [
        ("reason", body.reason.is_some()),
        ("provider_id", body.provider_id.is_some()),
        ("assessment_id", body.assessment_id.is_some()),
        ("satisfaction", body.satisfaction.is_some()),
        ("deadline", body.deadline.is_some()),
        ("audited_line_items", body.audited_line_items.is_some()),
        ("budget_pool_id", body.budget_pool_id.is_some()),
        ("amount_fen", body.amount_fen.is_some()),
        ("reference", body.reference.is_some()),
        ("paid_on", body.paid_on.is_some()),
    ];
    let (needs, may): (&[&str], &[&str]) = match body.action {
        A::Return | A::Withdraw => (&["reason"], &[]),
        A::Disqualify => (&["reason"], &[]),
        A::ChooseProvider => (&["provider_id"], &[]),
        A::RecordDiagnosis => (&["assessment_id"], &[]),
        A::RecordAcceptance => (&["assessment_id"], &["satisfaction"]),
        A::Resume => (&["deadline"], &[]),
        A::RecordAudit => (&["audited_line_items"], &[]),
        A::ApproveSubsidy => (&["budget_pool_id"], &[]),
        A::Disburse => (&["reference", "paid_on"], &["amount_fen"]),
        _ => (&[], &[]),
    };
    let mut errors = Vec::new();
    for (field, present) in given {
        if needs.contains(&field) && !present {
            errors.push(required(field));
        }
        if present && !needs.contains(&field) && !may.contains(&field) {
            errors.push(FieldError::new(
                field,
                "not_for_action",
                Text::new(
                    format!("`{}` takes no `{field}`", body.action),
                    format!("操作 `{}` 不接受字段 `{field}`", body.action),
                ),
            ));
        }
    }
    if body.spot_check_id.is_some() && body.action != A::Disqualify {
        errors.push(FieldError::new(
            "spot_check_id",
            "not_for_action",
            Text::new("only `disqualify` takes it", "仅 `disqualify` 接受此字段"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn lifecycle_error(e: ProjectError, from: ProjectState) -> ApiError {
    let (code, zh) = match &e {
        ProjectError::RoleNotAllowed { .. } => {
            return ApiError::Forbidden("take this action on the project");
        }
        ProjectError::LevelRequired => {
            return ApiError::Validation(vec![required("assessment_id")]);
        }
        ProjectError::NotAllowedFrom { action, .. } => (
            "transition_not_allowed",
            format!("项目当前状态为 `{from}`，不能执行 `{action}`。"),
        ),
        ProjectError::BatchWindow { batch, action } => (
            "batch_window_closed",
            format!("所属批次状态为 `{batch}`，当前不能执行 `{action}`。"),
        ),
        ProjectError::CountyApprovalFirst => (
            "county_approval_first",
            "方案须先经县（市、区）审核，再由市级审批。".to_owned(),
        ),
        ProjectError::AlreadyApproved => (
            "already_approved",
            "县（市、区）已审核通过该方案。".to_owned(),
        ),
    };
    ApiError::Conflict {
        code,
        detail: Text::new(format!("{e}."), zh),
    }
}

/// The assessment `id` of `kind`, recorded for project `p`: its level.
fn assessment_level(
    conn: &mut AnyConnection,
    p: &ProjectRow,
    id: &str,
    kind: &str,
) -> Result<i32, ApiError> {
    let wrong = || {
        ApiError::field(
            "assessment_id",
            "wrong_assessment",
            Text::new(
                format!("not a {kind} assessment of this project"),
                format!("不是本项目的{kind}评测"),
            ),
        )
    };
    let a = assessments::find(conn, id).map_err(|_| wrong())?;
    if a.kind != kind || a.project_id.as_deref() != Some(p.id.as_str()) {
        return Err(wrong());
    }
    Ok(a.level)
}

/// Refuses the step when documents its programme requires are missing.
fn check_documents(
    conn: &mut AnyConnection,
    p: &ProjectRow,
    action: ProjectAction,
) -> Result<(), ApiError> {
    let required = projects::required_documents(conn, &p.program_id, action.as_str())?;
    if required.is_empty() {
        return Ok(());
    }
    let present: Vec<String> = projects::documents_of(conn, &p.id)?
        .into_iter()
        .map(|d| d.kind)
        .collect();
    let missing: Vec<String> = required
        .into_iter()
        .filter(|k| !present.contains(k))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::Conflict {
        code: "documents_missing",
        detail: Text::new(
            format!(
                "`{action}` needs these documents first: {}.",
                missing.join(", ")
            ),
            format!("执行 `{action}` 前须上传：{}。", missing.join("、")),
        ),
    })
}

#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "ETag of the project version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The project after the step", body = ProjectView),
        (status = 403, description = "Your roles may not take this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Missing or out of the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`transition_not_allowed`, `batch_window_closed`, `county_approval_first`, `already_approved`, `documents_missing`, `plan_missing`, `provider_not_admitted`, `pool_exhausted`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The project moved on since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field the action needs is missing or wrong; `policy_sets_no_rate_for_level` when the programme's policy sets no rate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/transitions")]
pub async fn transition_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.parse()?;
    check_fields(&body)?;
    let view = state
        .write(caller.actor(), move |tx| {
            step(tx, &caller, &id, expected, body)
        })
        .await?;
    Ok(versioned(view.version, view))
}

/// One transition as a unit of work: scope, version, the lifecycle's
/// verdict, the documents, the step's own effect, the history row.
fn step(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: &str,
    expected: i64,
    body: TransitionRequest,
) -> Result<ProjectView, ApiError> {
    use ProjectAction as A;
    let (before, roles) = load_in_scope(tx.conn(), caller, id)?;
    if before.version != expected {
        return Err(ApiError::StaleVersion {
            current: before.version,
        });
    }
    let from = state_of(&before)?;
    let mut facts = facts_of(&before, batch_state(tx.conn(), &before)?);
    let mut row = before.clone();
    if body.action == A::RecordAcceptance {
        let assessment = need(&body.assessment_id, "assessment_id")?;
        let level = assessment_level(tx.conn(), &before, &assessment, "acceptance")?;
        facts.acceptance_level = u8::try_from(level).ok();
        row.acceptance_id = Some(assessment);
        row.level_after = Some(level);
    }
    let remaining = before.subsidy_fen.unwrap_or(0) - before.disbursed_fen;
    if body.action == A::Disburse {
        facts.pays_in_full = body.amount_fen.is_none_or(|a| a >= remaining);
    }
    let role = acting_role(body.action, &roles, &facts)
        .ok_or(ApiError::Forbidden("take this action on the project"))?;
    let to = decide(from, body.action, role, &facts).map_err(|e| lifecycle_error(e, from))?;
    check_documents(tx.conn(), &before, body.action)?;
    let mut data = serde_json::Map::new();
    match body.action {
        A::Return if from == ProjectState::PlanFiled => row.county_approved_plan = false,
        A::ChooseProvider => {
            let provider = need(&body.provider_id, "provider_id")?;
            if !admitted(
                tx.conn(),
                &before.program_id,
                AdmissionKind::ProviderPool,
                &provider,
            )? {
                return Err(ApiError::Conflict {
                    code: "provider_not_admitted",
                    detail: Text::new(
                        "The provider is not admitted to the programme's pool (or is suspended).",
                        "该服务商未入选本试点资源池或已暂停。",
                    ),
                });
            }
            data.insert("provider_id".into(), provider.clone().into());
            row.provider_id = Some(provider);
        }
        A::RecordDiagnosis => {
            let assessment = need(&body.assessment_id, "assessment_id")?;
            let level = assessment_level(tx.conn(), &before, &assessment, "diagnosis")?;
            data.insert("level_before".into(), level.into());
            row.diagnosis_id = Some(assessment);
            row.level_before = Some(level);
        }
        A::FilePlan if before.plan.is_none() => {
            return Err(ApiError::Conflict {
                code: "plan_missing",
                detail: Text::new(
                    "File the plan with PUT /projects/{id}/plan first.",
                    "请先通过 PUT /projects/{id}/plan 提交改造方案。",
                ),
            });
        }
        A::ApprovePlan if role == Role::CountyAdmin => row.county_approved_plan = true,
        A::ApprovePlan => {
            row.policy_version =
                policy_version_on(tx.conn(), &before.program_id, Utc::now().date_naive())?;
            data.insert("policy_version".into(), row.policy_version.into());
        }
        A::RecordAcceptance => {
            data.insert("level_after".into(), row.level_after.into());
            if let Some(s) = &body.satisfaction {
                row.satisfaction = Some(s.score);
                row.satisfaction_comment = Some(s.comment.clone());
            }
        }
        A::Resume => {
            row.rectification_deadline = body.deadline;
            data.insert(
                "deadline".into(),
                body.deadline.map(|d| d.to_string()).into(),
            );
        }
        A::RecordAudit => {
            let items = need(&body.audited_line_items, "audited_line_items")?;
            if let Some(i) = items.iter().position(|l| l.amount_fen < 0) {
                return Err(ApiError::field(
                    format!("audited_line_items[{i}].amount_fen"),
                    "range",
                    Text::new("must not be negative", "不得为负数"),
                ));
            }
            row.audited_line_items = Some(to_json(&items)?);
        }
        A::ApproveSubsidy => approve_subsidy(tx, caller, &body, &mut row)?,
        A::Disburse => {
            let amount = body.amount_fen.unwrap_or(remaining);
            let paid = disburse(
                tx,
                &before.program_id,
                DisbursementSpec {
                    decision_id: need(&before.decision_id, "decision_id")?,
                    amount_fen: amount,
                    paid_on: need(&body.paid_on, "paid_on")?,
                    reference: need(&body.reference, "reference")?,
                },
                &caller.user_id,
            )?;
            row.disbursed_fen += paid.amount_fen;
            data.insert("disbursement_id".into(), paid.id.into());
            data.insert("amount_fen".into(), paid.amount_fen.into());
        }
        A::Disqualify => {
            if let Some(s) = &body.spot_check_id {
                crate::routes::spot_checks::check_disqualification(
                    tx.conn(),
                    &before.program_id,
                    &before.id,
                    s,
                )?;
                data.insert("spot_check_id".into(), s.clone().into());
            }
        }
        _ => {}
    }
    if let Some(reason) = &body.reason {
        data.insert("reason".into(), reason.clone().into());
    }
    row.state = to.as_str().to_owned();
    let row = save(tx, &format!("project.{}", body.action), &before, row)?;
    projects::insert_transition(
        tx.conn(),
        &TransitionRow {
            project_id: row.id.clone(),
            seq: row.version,
            action: body.action.as_str().to_owned(),
            from_state: from.as_str().to_owned(),
            to_state: to.as_str().to_owned(),
            actor_id: caller.user_id.clone(),
            actor_name: caller.username.clone(),
            role: role.as_str().to_owned(),
            comment: body.comment,
            data: serde_json::Value::Object(data).to_string(),
            at: row.updated_at,
        },
    )?;
    view_for(tx.conn(), &row, &roles)
}

/// Quotes the subsidy under the pinned policy from the acceptance level and
/// the audited line items, and commits it against the pool (finance's
/// approval; refused when the pool has too little).
fn approve_subsidy(
    tx: &mut Tx<'_>,
    caller: &Caller,
    body: &TransitionRequest,
    row: &mut ProjectRow,
) -> Result<(), ApiError> {
    let version = row.policy_version.ok_or_else(|| ApiError::Conflict {
        code: "no_policy_pinned",
        detail: Text::new(
            "No subsidy policy was in force when the plan was approved.",
            "方案审批时无生效的补贴政策。",
        ),
    })?;
    let spec = QuoteSpec {
        level: u8::try_from(row.level_after.unwrap_or(0)).unwrap_or(0),
        line_items: from_json(row.audited_line_items.as_ref()).unwrap_or_default(),
        enterprise_id: Some(row.enterprise_id.clone()),
        as_of: None,
        rate_bp: None,
    };
    let quote = quote_pinned(tx.conn(), &row.program_id, version, &spec)?;
    let payee = enterprises::find(tx.conn(), &row.enterprise_id)?.name;
    let decision = propose(
        tx,
        &row.program_id,
        Proposal {
            pool_id: need(&body.budget_pool_id, "budget_pool_id")?,
            kind: "transformation",
            enterprise_id: Some(row.enterprise_id.clone()),
            payee,
            amount_fen: quote.subsidy_fen,
            policy_version: version,
            steps: quote.explanation.clone(),
        },
    )?;
    let decision = approve(tx, &row.program_id, &decision.id, None, &caller.user_id)?;
    row.subsidy_fen = Some(decision.amount_fen);
    row.decision_id = Some(decision.id);
    row.subsidy_quote = Some(to_json(&quote)?);
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    /// The project version this step made.
    pub seq: i64,
    #[schema(schema_with = action_schema)]
    pub action: String,
    #[schema(schema_with = state_schema)]
    pub from: String,
    #[schema(schema_with = state_schema)]
    pub to: String,
    pub actor_id: String,
    pub actor_name: String,
    /// The role the actor acted in.
    pub role: String,
    pub comment: String,
    /// What the step carried (provider, levels, reason, amounts …).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl From<TransitionRow> for TransitionView {
    fn from(t: TransitionRow) -> Self {
        TransitionView {
            seq: t.seq,
            action: t.action,
            from: t.from_state,
            to: t.to_state,
            actor_id: t.actor_id,
            actor_name: t.actor_name,
            role: t.role,
            comment: t.comment,
            data: serde_json::from_str(&t.data).unwrap_or_default(),
            at: utc(t.at),
        }
    }
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "Every transition in order: who, when, from, to, comment", body = List<TransitionView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/history")]
pub async fn project_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<List<TransitionView>>, ApiError> {
    let id = id.into_inner();
    let rows = state
        .read(move |conn| {
            load_in_scope(conn, &caller, &id)?;
            Ok(projects::history(conn, &id)?)
        })
        .await?;
    Ok(web::Json(List::all(
        rows.into_iter().map(Into::into).collect(),
    )))
}

// ---- progress reports -------------------------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"percent": 60, "milestone": "设备联网完成", "note": "40 台设备已接入", "evidence_document_ids": []}))]
pub struct ProgressSpec {
    #[validate(range(min = 0, max = 100, message = "must be 0 to 100", code = "range"))]
    #[schema(minimum = 0, maximum = 100)]
    pub percent: i32,
    #[validate(length(min = 1, max = 500, message = "1 to 500 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 500)]
    pub milestone: String,
    #[serde(default)]
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub note: String,
    /// Documents of this project (kind progress_evidence, photo …).
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50", code = "length"))]
    #[schema(max_items = 50)]
    pub evidence_document_ids: Vec<String>,
    /// The day reported on (default today).
    pub reported_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub id: String,
    pub project_id: String,
    pub percent: i32,
    pub milestone: String,
    pub note: String,
    pub evidence_document_ids: Vec<String>,
    pub reported_on: NaiveDate,
    pub reported_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<ProgressReportRow> for ProgressView {
    fn from(r: ProgressReportRow) -> Self {
        ProgressView {
            evidence_document_ids: serde_json::from_str(&r.evidence).unwrap_or_default(),
            id: r.id,
            project_id: r.project_id,
            percent: r.percent,
            milestone: r.milestone,
            note: r.note,
            reported_on: r.reported_on,
            reported_by: r.reported_by,
            created_at: utc(r.created_at),
        }
    }
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = ProgressSpec,
    responses(
        (status = 201, description = "Recorded; the project's progress follows it", body = ProgressView),
        (status = 403, description = "Only the project's provider reports progress", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_implementing`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/progress-reports")]
pub async fn create_progress_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<ProgressSpec>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let spec = body.parse()?;
    let view = state
        .write(caller.actor(), move |tx| {
            let (before, roles) = load_in_scope(tx.conn(), &caller, &id)?;
            if !roles.contains(&Role::Provider) {
                return Err(ApiError::Forbidden(
                    "report progress (the project's provider)",
                ));
            }
            if !matches!(
                state_of(&before)?,
                ProjectState::Implementing | ProjectState::Rectification
            ) {
                return Err(ApiError::Conflict {
                    code: "not_implementing",
                    detail: Text::new(
                        "Progress is reported while the project is implementing.",
                        "仅在实施阶段报送进度。",
                    ),
                });
            }
            for (i, doc) in spec.evidence_document_ids.iter().enumerate() {
                if !projects::find_document(tx.conn(), doc).is_ok_and(|d| d.project_id == id) {
                    return Err(ApiError::field(
                        format!("evidence_document_ids[{i}]"),
                        "unknown_document",
                        Text::new("not a document of this project", "不是本项目的文件"),
                    ));
                }
            }
            let report = ProgressReportRow {
                id: new_id(),
                project_id: id.clone(),
                percent: spec.percent,
                milestone: spec.milestone,
                note: spec.note,
                evidence: to_json(&spec.evidence_document_ids)?,
                reported_on: spec.reported_on.unwrap_or_else(|| Utc::now().date_naive()),
                reported_by: caller.user_id.clone(),
                created_at: now(),
            };
            projects::insert_progress(tx.conn(), &report)?;
            let mut row = before.clone();
            row.progress_percent = report.percent;
            save(tx, "project.progress", &before, row)?;
            Ok(ProgressView::from(report))
        })
        .await?;
    Ok(created(
        format!("/api/v1/projects/{}/progress-reports", view.project_id),
        1,
        view,
    ))
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project's progress reports, oldest first", body = List<ProgressView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/progress-reports")]
pub async fn list_progress_reports(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<List<ProgressView>>, ApiError> {
    let id = id.into_inner();
    let rows = state
        .read(move |conn| {
            load_in_scope(conn, &caller, &id)?;
            Ok(projects::progress_of(conn, &id)?)
        })
        .await?;
    Ok(web::Json(List::all(
        rows.into_iter().map(Into::into).collect(),
    )))
}

// ---- assignments ------------------------------------------------------------------

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
    pub role: String,
    pub user_id: String,
    pub assigned_by: String,
    pub created_at: DateTime<Utc>,
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = AssignmentSpec,
    responses(
        (status = 201, description = "Assigned: the project is now in that user's scope", body = AssignmentView),
        (status = 403, description = "Only the programme's city_admin assigns", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already assigned", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`role_not_held`: the user holds no such grant in the programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/assignments")]
pub async fn create_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<AssignmentSpec>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let spec = body.parse()?;
    if !ASSIGNABLE.contains(&spec.role) {
        return Err(ApiError::field(
            "role",
            "not_assignable",
            Text::new(
                "evaluator, auditor or expert",
                "只能指派评测机构、审计机构或专家",
            ),
        ));
    }
    let view = state
        .write(caller.actor(), move |tx| {
            let (project, roles) = load_in_scope(tx.conn(), &caller, &id)?;
            if !roles.contains(&Role::CityAdmin) {
                return Err(ApiError::Forbidden("assign evaluators, auditors, experts"));
            }
            let assignee =
                crate::auth::caller_load(tx.conn(), &spec.user_id).map_err(|_| role_not_held())?;
            if !assignee.holds(spec.role, &project.program_id) {
                return Err(role_not_held());
            }
            let row = AssignmentRow {
                project_id: id.clone(),
                role: spec.role.as_str().to_owned(),
                user_id: spec.user_id.clone(),
                assigned_by: caller.user_id.clone(),
                created_at: now(),
            };
            projects::insert_assignment(tx.conn(), &row).map_err(|e| {
                ApiError::from(e).conflict_as(
                    "already_assigned",
                    Text::new("The user is assigned already.", "该用户已被指派。"),
                )
            })?;
            let view = AssignmentView {
                project_id: row.project_id,
                role: row.role,
                user_id: row.user_id,
                assigned_by: row.assigned_by,
                created_at: utc(row.created_at),
            };
            let id = format!("{}:{}:{}", view.project_id, view.role, view.user_id);
            let key = (id.as_str(), Some(project.program_id.as_str()), 1);
            tx.record(change_of(
                "project.assign",
                "project_assignment",
                key,
                None,
                &view,
            ));
            Ok(view)
        })
        .await?;
    Ok(created(
        format!("/api/v1/projects/{}", view.project_id),
        1,
        view,
    ))
}

fn role_not_held() -> ApiError {
    ApiError::field(
        "user_id",
        "role_not_held",
        Text::new(
            "the user holds no such role in the programme",
            "该用户在本试点无此角色",
        ),
    )
}
