//! One step of a project's life (`POST /projects/{id}/transitions`), as one
//! unit of work: the right, the version, the lifecycle's verdict, the
//! documents, the step's own effect, and the history row that records who,
//! when, from, to, and what the step took.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shuzhuan_lifecycle::{
    AdmissionKind, DocumentKind, ProjectAction, ProjectError, ProjectState, acting_role, decide,
};
use shuzhuan_persistence::repo::{assessments, enterprises, projects};
use shuzhuan_persistence::rows::{ProjectRow, TransitionRow};
use shuzhuan_persistence::{AnyConnection, Coded, Json, Session, Tx, now};
use shuzhuan_scoring::AssessmentKind;
use shuzhuan_subsidy::{DecisionKind, LineItem};
use shuzhuan_types::Role;
use utoipa::ToSchema;
use validator::Validate;

use super::plan::admitted;
use super::{ProjectView, facts_of, roles_on, save, view_for, visible};
use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::{Body, Page};
use crate::policy::Right;
use crate::principal::Principal;
use crate::subsidy::{
    DisbursementSpec, LineItemSpec, Proposal, QuoteSpec, approve, disburse, policy_version_on,
    propose, quote_pinned,
};
use crate::view::{List, code_schema, utc};

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
    #[schema(schema_with = code_schema::<ProjectAction>)]
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
    /// `disburse`: the amount paid in fen (default: what is left to pay).
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

fn need<T: Clone>(value: &Option<T>, field: &'static str) -> Result<T> {
    value
        .clone()
        .ok_or_else(|| AppError::Validation(vec![required(field)]))
}

/// The fields each action carries; any other given is refused, so a typo'd
/// step never passes silently.
fn check_fields(body: &TransitionRequest) -> Result<()> {
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
        A::Return | A::Withdraw | A::Disqualify => (&["reason"], &[]),
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
    AppError::check(errors)
}

fn lifecycle_error(e: ProjectError, from: ProjectState) -> AppError {
    let (code, zh) = match &e {
        ProjectError::RoleNotAllowed { action, .. } => {
            return AppError::Forbidden(Right::Act(*action));
        }
        ProjectError::LevelRequired => {
            return AppError::Validation(vec![required("assessment_id")]);
        }
        ProjectError::NotAllowedFrom { action, .. } => (
            "transition_not_allowed",
            format!("项目当前状态为 `{from}`，不能执行 `{action}`。"),
        ),
        ProjectError::BatchWindow { batch, action } => (
            "batch_window_closed",
            format!("所属批次状态为 `{batch}`，当前不能执行 `{action}`。"),
        ),
        ProjectError::OutsideWindow { bound, action } => {
            return AppError::Conflict {
                code: "outside_batch_dates",
                detail: Text::new(
                    format!("{e}: the city office may extend the batch's dates."),
                    format!(
                        "{}，不能执行 `{action}`；如需延期，由市级试点办公室延长批次时间。",
                        bound.zh()
                    ),
                ),
            };
        }
        ProjectError::CountyApprovalFirst => (
            "county_approval_first",
            "方案须先经县（市、区）审核，再由市级审批。".to_owned(),
        ),
        ProjectError::AlreadyApproved => (
            "already_approved",
            "县（市、区）已审核通过该方案。".to_owned(),
        ),
    };
    AppError::Conflict {
        code,
        detail: Text::new(format!("{e}."), zh),
    }
}

/// The assessment `id` of `kind`, recorded for project `p`: its level.
fn assessment_level(
    conn: &mut AnyConnection,
    p: &ProjectRow,
    id: &str,
    kind: AssessmentKind,
) -> Result<i32> {
    let wrong = || {
        AppError::field(
            "assessment_id",
            "wrong_assessment",
            Text::new(
                format!(
                    "not a {kind} assessment of this project",
                    kind = kind.as_str()
                ),
                format!("不是本项目的{}评测", kind.as_str()),
            ),
        )
    };
    let a = assessments::find(conn, id).map_err(|_| wrong())?;
    if *a.kind != kind || a.project_id.as_deref() != Some(p.id.as_str()) {
        return Err(wrong());
    }
    Ok(a.level)
}

/// For each of `actions`, the document kinds the programme requires
/// before it that the project does not hold yet (the project's documents
/// read once, and only when something is required).
pub(crate) fn missing_documents(
    conn: &mut AnyConnection,
    p: &ProjectRow,
    actions: &[ProjectAction],
) -> Result<Vec<Vec<DocumentKind>>> {
    let mut present: Option<Vec<Coded<DocumentKind>>> = None;
    let mut out = Vec::with_capacity(actions.len());
    for &action in actions {
        let required = projects::required_documents(conn, &p.program_id, action)?;
        if required.is_empty() {
            out.push(Vec::new());
            continue;
        }
        let present = match &mut present {
            Some(kinds) => kinds,
            slot => slot.insert(
                projects::documents_of(conn, &p.id)?
                    .into_iter()
                    .map(|d| d.kind)
                    .collect(),
            ),
        };
        out.push(
            required
                .into_iter()
                .filter(|k| !present.contains(k))
                .map(|k| k.0)
                .collect(),
        );
    }
    Ok(out)
}

/// Refuses the step when documents its programme requires are missing.
fn check_documents(conn: &mut AnyConnection, p: &ProjectRow, action: ProjectAction) -> Result<()> {
    let missing: Vec<&str> = missing_documents(conn, p, &[action])?
        .concat()
        .iter()
        .map(|k| k.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AppError::Conflict {
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

/// Takes one step of the project's life (see the module doc).
pub fn transition(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<TransitionRequest>,
) -> Result<ProjectView> {
    // Whether any of the caller's roles takes any project action at all,
    // before the body says which.
    if !ProjectAction::ALL
        .iter()
        .any(|a| !who.reach(Right::Act(*a)).is_empty())
    {
        return Err(AppError::Forbidden(Right::ReadProject));
    }
    let body = body.read()?;
    who.require(Right::Act(body.action))?;
    check_fields(&body)?;
    s.write(&who.actor(), |tx| step(tx, who, id, expected, body))
}

/// One transition as a unit of work.
fn step(
    tx: &mut Tx<'_>,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: TransitionRequest,
) -> Result<ProjectView> {
    use ProjectAction as A;
    let p = visible(tx.conn(), who, id)?;
    let roles = roles_on(who, &p);
    let before = p.row;
    expected.check(before.version)?;
    let from = before.state.0;
    let mut facts = facts_of(tx.conn(), &before)?;
    let mut row = before.clone();
    let mut data = Map::new();
    if body.action == A::RecordAcceptance {
        let assessment = need(&body.assessment_id, "assessment_id")?;
        let level = assessment_level(tx.conn(), &before, &assessment, AssessmentKind::Acceptance)?;
        facts.acceptance_level = u8::try_from(level).ok();
        data.insert("assessment_id".into(), assessment.clone().into());
        row.acceptance_id = Some(assessment);
        row.level_after = Some(level);
    }
    let remaining = before.subsidy_fen.unwrap_or(0) - before.disbursed_fen;
    if body.action == A::Disburse {
        facts.pays_in_full = body.amount_fen.is_none_or(|a| a >= remaining);
    }
    let role = acting_role(body.action, &roles, &facts)
        .ok_or(AppError::Forbidden(Right::Act(body.action)))?;
    let to = decide(from, body.action, role, &facts).map_err(|e| lifecycle_error(e, from))?;
    check_documents(tx.conn(), &before, body.action)?;
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
                return Err(AppError::conflict(
                    "provider_not_admitted",
                    "The provider is not admitted to the programme's pool (or is suspended).",
                    "该服务商未入选本试点资源池或已暂停。",
                ));
            }
            data.insert("provider_id".into(), provider.clone().into());
            row.provider_id = Some(provider);
        }
        A::RecordDiagnosis => {
            let assessment = need(&body.assessment_id, "assessment_id")?;
            let level =
                assessment_level(tx.conn(), &before, &assessment, AssessmentKind::Diagnosis)?;
            data.insert("assessment_id".into(), assessment.clone().into());
            data.insert("level_before".into(), level.into());
            row.diagnosis_id = Some(assessment);
            row.level_before = Some(level);
        }
        A::FilePlan if before.plan.is_none() => {
            return Err(AppError::conflict(
                "plan_missing",
                "File the plan with PUT /projects/{id}/plan first.",
                "请先通过 PUT /projects/{id}/plan 提交改造方案。",
            ));
        }
        A::ApprovePlan if role == Role::CountyAdmin => row.county_approved_plan = true,
        A::ApprovePlan => {
            row.policy_version =
                policy_version_on(tx.conn(), &before.program_id, Utc::now().date_naive())?;
            data.insert("policy_version".into(), row.policy_version.into());
        }
        A::RecordAcceptance => {
            data.insert("level_after".into(), row.level_after.into());
            data.insert("passed".into(), (to == ProjectState::Accepted).into());
            if let Some(s) = &body.satisfaction {
                row.satisfaction = Some(s.score);
                row.satisfaction_comment = Some(s.comment.clone());
                data.insert("satisfaction".into(), s.score.into());
            }
        }
        A::Resume => {
            // A deadline to rectify by lies ahead.
            if body.deadline.is_some_and(|d| d <= now().date()) {
                return Err(AppError::field(
                    "deadline",
                    "in_the_past",
                    Text::new(
                        "the rectification deadline must lie ahead",
                        "整改期限须晚于今天",
                    ),
                ));
            }
            row.rectification_deadline = body.deadline;
            data.insert(
                "deadline".into(),
                body.deadline.map(|d| d.to_string()).into(),
            );
        }
        A::RecordAudit => {
            let items = need(&body.audited_line_items, "audited_line_items")?;
            if let Some(i) = items.iter().position(|l| l.amount_fen < 0) {
                return Err(AppError::field(
                    format!("audited_line_items[{i}].amount_fen"),
                    "range",
                    Text::new("must not be negative", "不得为负数"),
                ));
            }
            let total = items
                .iter()
                .try_fold(0i64, |sum, l| sum.checked_add(l.amount_fen))
                .ok_or_else(|| {
                    AppError::field(
                        "audited_line_items",
                        "amount_out_of_range",
                        Text::new(
                            "the line items add up to more than an amount can hold",
                            "明细合计超出金额范围",
                        ),
                    )
                })?;
            let items: Vec<LineItem> = items.into_iter().map(Into::into).collect();
            data.insert(
                "audited_line_items".into(),
                serde_json::to_value(&items).map_err(AppError::internal)?,
            );
            data.insert("audited_fen".into(), total.into());
            row.audited_line_items = Some(Json::new(items)?);
        }
        A::ApproveSubsidy => approve_subsidy(tx, who, &body, &mut row, &mut data)?,
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
                &who.user_id,
            )?;
            row.disbursed_fen =
                row.disbursed_fen
                    .checked_add(paid.amount_fen)
                    .ok_or_else(|| {
                        AppError::field(
                            "amount_fen",
                            "amount_out_of_range",
                            Text::new(
                                "the disbursed total would exceed the largest amount",
                                "拨付合计超出金额范围",
                            ),
                        )
                    })?;
            data.insert("disbursement_id".into(), paid.id.into());
            data.insert("amount_fen".into(), paid.amount_fen.into());
        }
        // DOMAIN.md §4: a project is disqualified on a spot check's finding
        // against it, named by the request; without one, nothing happens.
        A::Disqualify => {
            let s = need(&body.spot_check_id, "spot_check_id")?;
            crate::spot_checks::check_disqualification(
                tx.conn(),
                &before.program_id,
                &before.id,
                &s,
            )?;
            data.insert("spot_check_id".into(), s.into());
        }
        _ => {}
    }
    if let Some(reason) = &body.reason {
        data.insert("reason".into(), reason.clone().into());
    }
    row.state = Coded(to);
    let row = save(tx, &format!("project.{}", body.action), &before, row)?;
    projects::insert_transition(
        tx.conn(),
        &TransitionRow {
            project_id: row.id.clone(),
            seq: row.version,
            action: Coded(body.action),
            from_state: Coded(from),
            to_state: Coded(to),
            actor_id: who.user_id.clone(),
            actor_name: who.username.clone(),
            role: Coded(role),
            comment: body.comment,
            data: Value::Object(data).to_string(),
            at: row.updated_at,
        },
    )?;
    view_for(tx.conn(), &row, &roles)
}

/// Quotes the subsidy under the pinned policy from the acceptance level and
/// the audited line items, and commits it against the pool and the
/// enterprise's cap (finance's approval, through the one approval path).
fn approve_subsidy(
    tx: &mut Tx<'_>,
    who: &Principal,
    body: &TransitionRequest,
    row: &mut ProjectRow,
    data: &mut Map<String, Value>,
) -> Result<()> {
    let version = row.policy_version.ok_or_else(|| {
        AppError::conflict(
            "no_policy_pinned",
            "No subsidy policy was in force when the plan was approved.",
            "方案审批时无生效的补贴政策。",
        )
    })?;
    let level = u8::try_from(row.level_after.unwrap_or(0)).unwrap_or(0);
    let spec = QuoteSpec {
        level,
        line_items: row
            .audited_line_items
            .as_ref()
            .map(|items| items.iter().copied().map(Into::into).collect())
            .unwrap_or_default(),
        enterprise_id: Some(row.enterprise_id.clone()),
        as_of: None,
        rate_bp: None,
        pre_allocated_fen: None,
    };
    let (quote, cap) = quote_pinned(tx.conn(), &row.program_id, version, &spec)?;
    let payee = enterprises::find(tx.conn(), &row.enterprise_id)?.name;
    let pool = need(&body.budget_pool_id, "budget_pool_id")?;
    let decision = propose(
        tx,
        &row.program_id,
        Proposal {
            pool_id: pool.clone(),
            kind: DecisionKind::Transformation,
            enterprise_id: Some(row.enterprise_id.clone()),
            payee,
            amount_fen: quote.subsidy_fen,
            policy_version: version,
            level: Some(level),
            cap_fen: cap,
            steps: quote.explanation.clone(),
        },
    )?;
    let decision = approve(tx, &row.program_id, &decision.id, None, &who.user_id)?;
    data.insert("decision_id".into(), decision.id.clone().into());
    data.insert("budget_pool_id".into(), pool.into());
    data.insert("amount_fen".into(), decision.amount_fen.into());
    data.insert("policy_version".into(), version.into());
    row.subsidy_fen = Some(decision.amount_fen);
    row.decision_id = Some(decision.id);
    row.subsidy_quote = Some(serde_json::to_string(&quote).map_err(AppError::internal)?);
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    /// The project version this step made.
    pub seq: i64,
    #[schema(schema_with = code_schema::<ProjectAction>)]
    pub action: ProjectAction,
    #[schema(schema_with = code_schema::<ProjectState>)]
    pub from: ProjectState,
    #[schema(schema_with = code_schema::<ProjectState>)]
    pub to: ProjectState,
    pub actor_id: String,
    pub actor_name: String,
    /// The role the actor acted in.
    #[schema(schema_with = code_schema::<Role>)]
    pub role: Role,
    pub comment: String,
    /// What the step took (assessment and levels, provider, audited items,
    /// decision, pool and amount, payment, reason …).
    #[schema(value_type = Object)]
    pub data: Value,
    pub at: DateTime<Utc>,
}

impl From<TransitionRow> for TransitionView {
    fn from(t: TransitionRow) -> Self {
        TransitionView {
            seq: t.seq,
            action: t.action.0,
            from: t.from_state.0,
            to: t.to_state.0,
            actor_id: t.actor_id,
            actor_name: t.actor_name,
            role: t.role.0,
            comment: t.comment,
            data: serde_json::from_str(&t.data).unwrap_or_default(),
            at: utc(t.at),
        }
    }
}

/// Every transition in order: who, when, from, to, comment, data.
pub fn history(
    s: &mut Session,
    who: &Principal,
    id: &str,
    page: &Page,
) -> Result<List<TransitionView>> {
    visible(s.conn(), who, id)?;
    List::paged(
        projects::history(s.conn(), id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        page,
    )
}
