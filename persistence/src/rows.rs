//! Rows as stored, typed at the boundary: states, roles, kinds and
//! colours are domain enums ([`Coded`]), JSON columns are read through
//! one type each ([`Json`]). The application converts rows into its views;
//! rows carry no serde so the wire format is decided there.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use shuzhuan_lifecycle::{
    AdmissionKind, AdmissionStatus, BatchState, BenchmarkKind, BenchmarkStatus, DocumentKind,
    Phase, Plan, ProjectAction, ProjectState,
};
use shuzhuan_monitoring::draw::{Drawn, Stratum, Weighting};
use shuzhuan_monitoring::report::{Difference, PeriodKind};
use shuzhuan_monitoring::risk::RiskSettings;
use shuzhuan_monitoring::targets::Metric;
use shuzhuan_monitoring::{EventKind, FinanceKind, FindingOutcome, Thresholds};
use shuzhuan_scoring::{Answers, AssessmentKind};
use shuzhuan_subsidy::{
    DecisionKind, DecisionState, Earmark, FundPurpose, FundSource, LineItem, Policy,
};
use shuzhuan_types::{
    DeliveryStatus, Deployment, ObjectType, Op, ProviderKind, RegionKind, Role, SizeClass,
    Specialty, Tier,
};

use crate::codec::{Coded, Json};
use crate::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub struct GrantRow {
    pub id: String,
    pub user_id: String,
    pub role: Coded<Role>,
    pub program_id: Option<String>,
    pub region_codes: Json<Vec<String>>,
    pub enterprise_id: Option<String>,
    pub provider_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// The login this token descends from by rotation.
    pub family_id: String,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = programs)]
pub struct ProgramRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub city: String,
    pub province: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub description: String,
    pub source: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The acceptance level that passes (验收达标等级).
    pub pass_level: i32,
    /// Minimum shares of a source's money per purpose.
    pub earmarks: Json<Vec<Earmark>>,
    /// The plan's dated phases (实施步骤).
    pub phases: Json<Vec<Phase>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = regions)]
pub struct RegionRow {
    pub id: String,
    pub program_id: String,
    pub code: String,
    pub name: String,
    pub kind: Coded<RegionKind>,
    pub parent_code: Option<String>,
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = industries)]
pub struct IndustryRow {
    pub id: String,
    pub program_id: String,
    pub code: String,
    pub name: String,
    pub description: String,
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = batches)]
pub struct BatchRow {
    pub id: String,
    pub program_id: String,
    pub number: i32,
    pub name: String,
    pub applications_open_on: Option<NaiveDate>,
    pub applications_close_on: Option<NaiveDate>,
    pub implementation_ends_on: Option<NaiveDate>,
    pub acceptance_ends_on: Option<NaiveDate>,
    pub capacity: Option<i32>,
    pub state: Coded<BatchState>,
    pub note: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_head)]
pub(crate) struct LedgerHeadRow {
    pub id: i32,
    pub audit_seq: i64,
    pub audit_hash: String,
    pub change_seq: i64,
}

/// `None` inserts NULL (not DEFAULT) for every bulk-inserted row: what
/// `COPY` needs, and what lets SQLite batch the rows in one statement.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub object_type: Coded<ObjectType>,
    pub object_id: String,
    pub program_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = change_events, treat_none_as_default_value = false)]
pub struct ChangeEventRow {
    pub seq: i64,
    pub object_type: Coded<ObjectType>,
    pub object_id: String,
    pub program_id: Option<String>,
    pub version: i64,
    pub op: Coded<Op>,
    pub committed_at: NaiveDateTime,
    pub snapshot: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessments)]
pub struct AssessmentRow {
    pub id: String,
    pub kind: Coded<AssessmentKind>,
    pub indicator_set: String,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub recorded_by: String,
    /// The answers and scenario levels as given.
    pub answers: Json<Answers>,
    /// S in thousandths of a point.
    pub total_points: i64,
    pub level: i32,
    /// JSON: the scorecard as computed.
    pub result: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = subsidy_policies)]
pub struct SubsidyPolicyRow {
    pub id: String,
    pub program_id: String,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// The policy version as the subsidy engine reads it.
    pub body: Json<Policy>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_pools)]
pub struct BudgetPoolRow {
    pub id: String,
    pub program_id: String,
    pub name: String,
    pub source: Coded<FundSource>,
    pub region_code: Option<String>,
    pub amount_fen: i64,
    pub committed_fen: i64,
    pub disbursed_fen: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub purpose: Coded<FundPurpose>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = subsidy_decisions)]
pub struct SubsidyDecisionRow {
    pub id: String,
    pub program_id: String,
    pub pool_id: String,
    pub kind: Coded<DecisionKind>,
    pub enterprise_id: Option<String>,
    pub payee: String,
    pub amount_fen: i64,
    pub disbursed_fen: i64,
    pub state: Coded<DecisionState>,
    pub policy_version: Option<i32>,
    /// JSON: the steps that led to the amount.
    pub explanation: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The acceptance level a transformation subsidy was quoted for.
    pub level: Option<i32>,
    /// The cap that bounds the enterprise's total in the programme under
    /// this decision (none: the policy sets none).
    pub cap_fen: Option<i64>,
}

/// What one enterprise has been approved and paid in one programme: the
/// row the per-enterprise cap is enforced on.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprise_ledgers)]
pub struct LedgerRow {
    pub program_id: String,
    pub enterprise_id: String,
    pub approved_fen: i64,
    pub disbursed_fen: i64,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = disbursements)]
pub struct DisbursementRow {
    pub id: String,
    pub program_id: String,
    pub decision_id: String,
    pub pool_id: String,
    pub payee: String,
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    pub reference: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = enterprises,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct EnterpriseRow {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub program_id: Option<String>,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
    pub above_designated_size: bool,
    pub size_class: Coded<SizeClass>,
    pub specialised: bool,
    pub little_giant: bool,
    pub innovative: bool,
    pub chain_master: bool,
    pub employees: Option<i32>,
    pub revenue_fen: Option<i64>,
    pub contact_name: String,
    pub contact_phone: String,
    pub cloud_adopted: bool,
    pub tier: Coded<Tier>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = providers, treat_none_as_null = true)]
pub struct ProviderRow {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub kind: Coded<ProviderKind>,
    pub specialty: Coded<Specialty>,
    pub local: bool,
    /// Scenario codes (SCORING.md §2).
    pub scenarios: Json<Vec<String>>,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
pub struct ProductRow {
    pub id: String,
    pub provider_id: String,
    pub name: String,
    /// Scenario codes (SCORING.md §2).
    pub scenarios: Json<Vec<String>>,
    /// Industry names or codes.
    pub industries: Json<Vec<String>>,
    pub deployment: Coded<Deployment>,
    pub price_fen: Option<i64>,
    pub description: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A provider's place in a programme's pool or a product's in its library.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = admissions, treat_none_as_null = true)]
pub struct AdmissionRow {
    pub program_id: String,
    pub kind: Coded<AdmissionKind>,
    pub member_id: String,
    pub status: Coded<AdmissionStatus>,
    pub grade: Option<String>,
    pub reason: String,
    pub consortium_industry_code: Option<String>,
    pub consortium_lead_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Ids of the findings and evaluation reports the last decision was
    /// taken on.
    pub evidence: Json<Vec<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub user_id: String,
    pub key: String,
    pub path: String,
    pub request_sha256: String,
    /// The answer as the API rendered it (JSON).
    pub response: String,
    pub created_at: NaiveDateTime,
}

/// A project (改造项目), with its plan and audited line items; the subsidy
/// quote is kept as the application rendered it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = projects, treat_none_as_null = true)]
pub struct ProjectRow {
    pub id: String,
    pub program_id: String,
    pub batch_id: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub title: String,
    pub state: Coded<ProjectState>,
    pub provider_id: Option<String>,
    pub diagnosis_id: Option<String>,
    pub level_before: Option<i32>,
    pub acceptance_id: Option<String>,
    pub level_after: Option<i32>,
    pub plan: Option<Json<Plan>>,
    pub county_approved_plan: bool,
    pub policy_version: Option<i32>,
    pub rectification_deadline: Option<NaiveDate>,
    pub audited_line_items: Option<Json<Vec<LineItem>>>,
    pub subsidy_fen: Option<i64>,
    pub subsidy_quote: Option<String>,
    pub decision_id: Option<String>,
    pub disbursed_fen: i64,
    pub progress_percent: i32,
    pub satisfaction: Option<i32>,
    pub satisfaction_comment: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_transitions)]
pub struct TransitionRow {
    pub project_id: String,
    pub seq: i64,
    pub action: Coded<ProjectAction>,
    pub from_state: Coded<ProjectState>,
    pub to_state: Coded<ProjectState>,
    pub actor_id: String,
    pub actor_name: String,
    pub role: Coded<Role>,
    pub comment: String,
    pub data: String,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = progress_reports)]
pub struct ProgressReportRow {
    pub id: String,
    pub project_id: String,
    pub percent: i32,
    pub milestone: String,
    pub note: String,
    /// Documents of the project.
    pub evidence: Json<Vec<String>>,
    pub reported_on: NaiveDate,
    pub reported_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub id: String,
    pub project_id: String,
    pub kind: Coded<DocumentKind>,
    pub sha256: String,
    pub size_bytes: i64,
    pub media_type: String,
    pub filename: String,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = project_assignments)]
pub struct AssignmentRow {
    pub project_id: String,
    pub role: Coded<Role>,
    pub user_id: String,
    pub assigned_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub owner_user_id: String,
    pub url: String,
    pub secret: String,
    /// Event-type patterns.
    pub event_types: Json<Vec<String>>,
    pub program_id: Option<String>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i32,
    pub event_cursor: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The receiver has failed without a break since then.
    pub failing_since: Option<NaiveDateTime>,
    /// No delivery is sent before then (the circuit breaker is open).
    pub paused_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct WebhookDeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event_seq: i64,
    pub event_type: String,
    pub status: Coded<DeliveryStatus>,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = targets, treat_none_as_null = true)]
pub struct TargetRow {
    pub id: String,
    pub program_id: String,
    pub metric: Coded<Metric>,
    pub year: Option<i32>,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    pub scope_key: String,
    pub value: i64,
    pub cumulative: bool,
    pub recorded_actual: Option<i64>,
    pub source: String,
    pub note: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The figure the plan's text gives where its annex says otherwise.
    pub text_value: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = monitoring_settings)]
pub struct MonitoringSettingsRow {
    pub program_id: String,
    pub thresholds: Json<Thresholds>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
    /// The risk rules' thresholds and weights.
    pub risk: Json<RiskSettings>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = spot_checks)]
pub struct SpotCheckRow {
    pub id: String,
    pub program_id: String,
    pub title: String,
    /// JSON of the population filter.
    pub population: String,
    /// 64 hex digits.
    pub seed: String,
    pub sample_size: i32,
    /// Project ids, in the order the draw used.
    pub candidates: Json<Vec<String>>,
    /// User ids, in the order the draw used.
    pub inspectors: Json<Vec<String>>,
    pub drawn: Json<Vec<Drawn>>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub weighting: Coded<Weighting>,
    /// The strata drawn from, with each candidate's weight.
    pub strata: Json<Vec<Stratum>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = spot_check_findings)]
pub struct FindingRow {
    pub id: String,
    pub spot_check_id: String,
    pub project_id: String,
    pub outcome: Coded<FindingOutcome>,
    pub note: String,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = benchmarks, treat_none_as_null = true)]
pub struct BenchmarkRow {
    pub id: String,
    pub program_id: String,
    pub kind: Coded<BenchmarkKind>,
    pub subject_id: String,
    pub year: i32,
    pub title: String,
    pub status: Coded<BenchmarkStatus>,
    pub reason: Option<String>,
    pub nominated_by: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = program_events)]
pub struct EventRow {
    pub id: String,
    pub program_id: String,
    pub kind: Coded<EventKind>,
    pub title: String,
    pub held_on: NaiveDate,
    pub region_code: Option<String>,
    pub participants: i32,
    pub certified: i32,
    pub note: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = finance_products)]
pub struct FinanceProductRow {
    pub id: String,
    pub program_id: String,
    pub name: String,
    pub institution: String,
    pub kind: Coded<FinanceKind>,
    pub launched_on: NaiveDate,
    pub note: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// One issued version of a self-evaluation report (绩效自评), frozen.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = evaluation_reports)]
pub struct EvaluationReportRow {
    pub id: String,
    pub program_id: String,
    pub report_no: i32,
    pub version: i32,
    pub period_kind: Coded<PeriodKind>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub as_of: NaiveDate,
    pub title: String,
    pub feed_seq: i64,
    /// The report's JSON as issued, byte for byte.
    pub content: String,
    pub content_sha256: String,
    pub correction_reason: Option<String>,
    /// JSON: the cells that changed from the previous version.
    pub differences: Json<Vec<Difference>>,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
}
