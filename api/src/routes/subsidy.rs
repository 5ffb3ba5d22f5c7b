//! Subsidies (奖补): policy versions, what-if quotes, awards, budget pools,
//! decisions that commit against a pool, disbursements and the ledger.
//!
//! Money moves in two steps, both by finance: approving a decision commits
//! its amount against its pool; a disbursement pays out of an approved
//! decision. Neither can overdraw: see `persistence::repo::subsidy`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{programs, subsidy};
use shuzhuan_persistence::rows::{
    BudgetPoolRow, DisbursementRow, SubsidyDecisionRow, SubsidyPolicyRow,
};
use shuzhuan_persistence::{AnyConnection, Change, Op, Snapshot, Tx, new_id, now};
use shuzhuan_subsidy::{
    AwardKind, AwardRule, ExpenseCategory, LevelTerms, LineItem, Policy, QuoteError, QuoteRequest,
    Step, award, quote, select,
};
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Problem, Text};
use crate::extract::{IfMatch, Json, List, PageQuery, Query, created, versioned};
use crate::routes::{program_list, string_enum, utc};
use crate::state::AppState;

pub(crate) fn category_schema() -> utoipa::openapi::schema::Object {
    string_enum(ExpenseCategory::ALL.map(ExpenseCategory::code))
}

fn category_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::Array::new(category_schema())
}

// ---- policies ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelTermsSpec {
    /// The highest rate the city may approve, basis points (5000 = 50%).
    #[schema(minimum = 0, maximum = 10000)]
    pub rate_bp: Option<u32>,
    /// The most one enterprise receives at this level, fen, counting what
    /// it received in the programme before.
    #[schema(minimum = 0)]
    pub cap_fen: Option<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum AwardKindSpec {
    Fixed { amount_fen: i64 },
    PerUnit { unit_fen: i64, cap_fen: i64 },
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AwardSpec {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub kind: AwardKindSpec,
    #[serde(default)]
    pub source: String,
}

/// A subsidy policy version as authored; the server numbers the versions.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "effective_from": "2026-07-01",
    "levels": {"2": {"rate_bp": 5000, "cap_fen": 50000000}, "3": {"rate_bp": 5000, "cap_fen": 50000000}, "4": {"rate_bp": 5000, "cap_fen": 100000000}},
    "eligible_categories": ["software", "cloud_service", "network_equipment", "data_acquisition_equipment"],
    "note": "000 item 17"
}))]
pub struct PolicySpec {
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    /// Terms per acceptance level, keyed "2", "3", "4"; a level without a
    /// rate cannot be quoted.
    #[serde(default)]
    pub levels: BTreeMap<String, LevelTermsSpec>,
    #[serde(default)]
    #[schema(schema_with = category_list_schema)]
    pub eligible_categories: Vec<ExpenseCategory>,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub enterprise_cap_fen: Option<i64>,
    #[serde(default)]
    pub awards: Vec<AwardSpec>,
    #[serde(default)]
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub note: String,
}

impl PolicySpec {
    /// The domain policy as version `version`, or the fields at fault.
    pub fn to_policy(&self, version: i32) -> Result<Policy, ApiError> {
        let mut levels = BTreeMap::new();
        let mut key_errors = Vec::new();
        for (key, t) in &self.levels {
            match key.parse::<u8>() {
                Ok(level) => {
                    levels.insert(
                        level,
                        LevelTerms {
                            rate_bp: t.rate_bp,
                            cap_fen: t.cap_fen,
                        },
                    );
                }
                Err(_) => key_errors.push(FieldError::new(
                    format!("levels.{key}"),
                    "unknown_level",
                    Text::new(
                        "levels are keyed \"2\", \"3\" and \"4\"",
                        "等级键应为 \"2\"、\"3\"、\"4\"",
                    ),
                )),
            }
        }
        if !key_errors.is_empty() {
            return Err(ApiError::Validation(key_errors));
        }
        let policy = Policy {
            version,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            levels,
            eligible_categories: self.eligible_categories.iter().copied().collect(),
            enterprise_cap_fen: self.enterprise_cap_fen,
            awards: self
                .awards
                .iter()
                .map(|a| AwardRule {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    kind: match a.kind {
                        AwardKindSpec::Fixed { amount_fen } => AwardKind::Fixed { amount_fen },
                        AwardKindSpec::PerUnit { unit_fen, cap_fen } => {
                            AwardKind::PerUnit { unit_fen, cap_fen }
                        }
                    },
                    source: a.source.clone(),
                })
                .collect(),
            note: self.note.clone(),
        };
        let errors: Vec<FieldError> = policy
            .check()
            .iter()
            .map(|e| {
                FieldError::new(
                    e.field(),
                    "invalid_policy",
                    Text::new(e.to_string(), format!("政策不可执行：{e}")),
                )
            })
            .collect();
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// A published policy version: its number and its terms as authored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub version: i32,
    pub terms: PolicySpec,
    pub created_at: DateTime<Utc>,
}

fn policy_of(row: &SubsidyPolicyRow) -> Result<Policy, ApiError> {
    serde_json::from_str(&row.body).map_err(ApiError::internal)
}

fn policy_view(row: &SubsidyPolicyRow) -> Result<PolicyView, ApiError> {
    let p = policy_of(row)?;
    Ok(PolicyView {
        version: p.version,
        terms: PolicySpec {
            effective_from: p.effective_from,
            effective_to: p.effective_to,
            levels: p
                .levels
                .iter()
                .map(|(l, t)| {
                    (
                        l.to_string(),
                        LevelTermsSpec {
                            rate_bp: t.rate_bp,
                            cap_fen: t.cap_fen,
                        },
                    )
                })
                .collect(),
            eligible_categories: p.eligible_categories.iter().copied().collect(),
            enterprise_cap_fen: p.enterprise_cap_fen,
            awards: p
                .awards
                .iter()
                .map(|a| AwardSpec {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    kind: match a.kind {
                        AwardKind::Fixed { amount_fen } => AwardKindSpec::Fixed { amount_fen },
                        AwardKind::PerUnit { unit_fen, cap_fen } => {
                            AwardKindSpec::PerUnit { unit_fen, cap_fen }
                        }
                    },
                    source: a.source.clone(),
                })
                .collect(),
            note: p.note,
        },
        created_at: utc(row.created_at),
    })
}

/// Publishes the next version of a programme's policy in a unit of work
/// (also used when a programme pack is loaded).
pub(crate) fn publish_policy(
    tx: &mut Tx<'_>,
    program_id: &str,
    spec: &PolicySpec,
    by: Option<&str>,
) -> Result<PolicyView, ApiError> {
    let next = subsidy::policies_of(tx.conn(), program_id)?
        .iter()
        .map(|p| p.version)
        .max()
        .unwrap_or(0)
        + 1;
    let policy = spec.to_policy(next)?;
    let row = SubsidyPolicyRow {
        id: new_id(),
        program_id: program_id.to_owned(),
        version: next,
        effective_from: policy.effective_from,
        effective_to: policy.effective_to,
        body: serde_json::to_string(&policy).map_err(ApiError::internal)?,
        created_by: by.map(str::to_owned),
        created_at: now(),
    };
    subsidy::insert_policy(tx.conn(), &row)?;
    let view = policy_view(&row)?;
    tx.record(Change {
        action: "subsidy_policy.publish".into(),
        object_type: "subsidy_policy",
        object_id: row.id.clone(),
        program_id: Some(program_id.to_owned()),
        version: i64::from(next),
        op: Op::Create,
        before: None,
        after: Snapshot::of(&view),
    });
    Ok(view)
}

/// Reading money matters: the programme's office, finance, observers and
/// auditors (and platform admins).
fn require_money_reader(caller: &Caller, program_id: &str) -> Result<(), ApiError> {
    caller.require_program_visible(program_id)?;
    let readers = [
        Role::CityAdmin,
        Role::Finance,
        Role::Observer,
        Role::Auditor,
    ];
    if readers
        .iter()
        .any(|r| caller.acts_in_program(*r, program_id))
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden("read the programme's subsidies"))
    }
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    responses((status = 200, description = "Policy versions, oldest first", body = List<PolicyView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-policies")]
pub async fn list_policies(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<List<PolicyView>>, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    let views = state
        .read(move |conn| {
            programs::find(conn, &id)?;
            subsidy::policies_of(conn, &id)?
                .iter()
                .map(policy_view)
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(web::Json(List::all(views)))
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = PolicySpec,
    responses(
        (status = 201, description = "Published as the next version", body = PolicyView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another version was published at the same moment: retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<PolicySpec>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &id, "author subsidy policies")?;
    let spec = body.parse()?;
    let by = caller.user_id.clone();
    let pid = id.clone();
    let view = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &pid)?;
            publish_policy(tx, &pid, &spec, Some(&by))
        })
        .await?;
    let location = format!("/api/v1/programs/{id}/subsidy-policies");
    Ok(created(location, i64::from(view.version), view))
}

// ---- quotes -----------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItemSpec {
    #[schema(schema_with = category_schema)]
    pub category: ExpenseCategory,
    #[schema(minimum = 0)]
    pub amount_fen: i64,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"level": 3, "line_items": [{"category": "software", "amount_fen": 120000000}], "as_of": "2026-05-01"}))]
pub struct QuoteSpec {
    /// The acceptance level 0–4.
    #[schema(minimum = 0, maximum = 4)]
    #[validate(range(min = 0, max = 4, message = "must be 0 to 4", code = "range"))]
    pub level: u8,
    #[validate(length(max = 500, message = "at most 500 line items", code = "length"))]
    #[schema(max_items = 500)]
    pub line_items: Vec<LineItemSpec>,
    /// Applies what this enterprise has already been approved in the
    /// programme to its caps.
    pub enterprise_id: Option<String>,
    /// The day whose policy version applies (default today).
    pub as_of: Option<NaiveDate>,
    /// A rate below the policy's maximum, as the city approves.
    #[schema(minimum = 0, maximum = 10000)]
    pub rate_bp: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepView {
    pub rule: String,
    pub text: String,
    pub text_zh: String,
    pub amount_fen: i64,
}

impl From<&Step> for StepView {
    fn from(s: &Step) -> Self {
        StepView {
            rule: s.rule.to_owned(),
            text: s.text.clone(),
            text_zh: s.text_zh.clone(),
            amount_fen: s.amount_fen,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuoteView {
    pub subsidy_fen: i64,
    pub eligible_fen: i64,
    pub rate_bp: u32,
    pub cap_fen: Option<i64>,
    /// Which limit decided the amount: level, rate, level_cap or enterprise_cap.
    #[schema(schema_with = bound_schema)]
    pub bound_by: String,
    pub policy_version: i32,
    /// What the enterprise had been approved before (0 without enterprise_id).
    pub already_received_fen: i64,
    pub explanation: Vec<StepView>,
}

fn bound_schema() -> utoipa::openapi::schema::Object {
    string_enum(["level", "rate", "level_cap", "enterprise_cap"])
}

fn quote_error(e: QuoteError) -> ApiError {
    let (field, code) = match &e {
        QuoteError::NoRateForLevel { .. } => ("level", "policy_sets_no_rate_for_level"),
        QuoteError::LevelOutOfRange(_) => ("level", "range"),
        QuoteError::NegativeAmount { .. } => ("line_items", "negative_amount"),
        QuoteError::RateAboveMaximum { .. } => ("rate_bp", "rate_above_policy_maximum"),
        QuoteError::NegativeReceived | QuoteError::Overflow => {
            ("line_items", "amount_out_of_range")
        }
        QuoteError::UnitsRequired => ("units", "units_required"),
    };
    let zh = match &e {
        QuoteError::NoRateForLevel { level, version } => {
            format!("政策第{version}版未规定 {level} 级的补贴比例")
        }
        QuoteError::RateAboveMaximum { rate_bp, max_bp } => {
            format!("比例 {rate_bp} 基点超过政策上限 {max_bp} 基点")
        }
        QuoteError::UnitsRequired => "按数量计的奖励须给出数量".to_owned(),
        other => format!("金额或等级无效：{other}"),
    };
    ApiError::field(field, code, Text::new(e.to_string(), zh))
}

/// The policy version in force on `day` (422 when none is).
fn policy_on(
    conn: &mut AnyConnection,
    program_id: &str,
    day: NaiveDate,
) -> Result<Policy, ApiError> {
    let policies = subsidy::policies_of(conn, program_id)?
        .iter()
        .map(policy_of)
        .collect::<Result<Vec<_>, _>>()?;
    select(&policies, day).cloned().ok_or_else(|| {
        ApiError::field(
            "as_of",
            "no_policy_in_force",
            Text::new(
                format!("no policy version is in force on {day}"),
                format!("{day} 无生效的补贴政策"),
            ),
        )
    })
}

/// The version of the policy in force on `day`, if any: what a project
/// pins when its plan is approved.
pub(crate) fn policy_version_on(
    conn: &mut AnyConnection,
    program_id: &str,
    day: NaiveDate,
) -> Result<Option<i32>, ApiError> {
    match policy_on(conn, program_id, day) {
        Ok(p) => Ok(Some(p.version)),
        Err(ApiError::Validation(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A quote under policy version `version` (the one a project pinned),
/// whatever is in force today.
pub(crate) fn quote_pinned(
    conn: &mut AnyConnection,
    program_id: &str,
    version: i32,
    spec: &QuoteSpec,
) -> Result<QuoteView, ApiError> {
    let policy = subsidy::policies_of(conn, program_id)?
        .iter()
        .find(|row| row.version == version)
        .map(policy_of)
        .transpose()?
        .ok_or_else(|| ApiError::Internal(format!("pinned policy {version} missing").into()))?;
    quote_under(conn, program_id, &policy, spec)
}

/// Computes a quote for `spec` inside a read or a unit of work.
fn compute_quote(
    conn: &mut AnyConnection,
    program_id: &str,
    spec: &QuoteSpec,
) -> Result<QuoteView, ApiError> {
    let day = spec.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let policy = policy_on(conn, program_id, day)?;
    quote_under(conn, program_id, &policy, spec)
}

fn quote_under(
    conn: &mut AnyConnection,
    program_id: &str,
    policy: &Policy,
    spec: &QuoteSpec,
) -> Result<QuoteView, ApiError> {
    let received = match &spec.enterprise_id {
        Some(e) => subsidy::enterprise_totals(conn, program_id, e)?.0,
        None => 0,
    };
    let req = QuoteRequest {
        level: spec.level,
        line_items: spec
            .line_items
            .iter()
            .map(|l| LineItem {
                category: l.category,
                amount_fen: l.amount_fen,
            })
            .collect(),
        already_received_fen: received,
        rate_bp: spec.rate_bp,
    };
    let q = quote(policy, &req).map_err(quote_error)?;
    Ok(QuoteView {
        subsidy_fen: q.subsidy_fen,
        eligible_fen: q.eligible_fen,
        rate_bp: q.rate_bp,
        cap_fen: q.cap_fen,
        bound_by: serde_json::to_value(q.bound_by)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        policy_version: q.policy_version,
        already_received_fen: received,
        explanation: q.explanation.iter().map(Into::into).collect(),
    })
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = QuoteSpec,
    responses(
        (status = 200, description = "What the policy in force would pay, step by step", body = QuoteView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, no policy in force, or `policy_sets_no_rate_for_level` (never a quote of zero for want of a rate)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-quotes")]
pub async fn create_quote(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<QuoteSpec>,
) -> Result<web::Json<QuoteView>, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    let spec = body.parse()?;
    // An enterprise's approvals are the programme's money matters, or its own.
    if let Some(e) = &spec.enterprise_id {
        let own = caller
            .grants
            .iter()
            .any(|g| g.role() == Role::Enterprise && g.enterprise_id() == Some(e.as_str()));
        if !own {
            require_money_reader(&caller, &id)?;
        }
    }
    let view = state
        .read(move |conn| {
            programs::find(conn, &id)?;
            compute_quote(conn, &id, &spec)
        })
        .await?;
    Ok(web::Json(view))
}

// ---- budget pools -----------------------------------------------------------

fn source_schema() -> utoipa::openapi::schema::Object {
    string_enum(["central", "local"])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FundSource {
    /// 中央专项
    Central,
    /// 地方配套
    Local,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "2026 central special funds", "source": "central", "amount_fen": 1000000000}))]
pub struct PoolSpec {
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// central (中央专项) or local (地方配套).
    #[schema(schema_with = source_schema)]
    source: FundSource,
    /// A region of the programme, for funds split by district.
    pub region_code: Option<String>,
    #[validate(range(min = 1, message = "must be positive", code = "range"))]
    #[schema(minimum = 1)]
    pub amount_fen: i64,
}

/// A budget pool with its ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolView {
    pub id: String,
    pub program_id: String,
    pub name: String,
    #[schema(schema_with = source_schema)]
    pub source: String,
    pub region_code: Option<String>,
    pub amount_fen: i64,
    /// Approved decisions drawn on the pool.
    pub committed_fen: i64,
    pub disbursed_fen: i64,
    /// amount − committed: what new approvals may still take.
    pub available_fen: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BudgetPoolRow> for PoolView {
    fn from(p: BudgetPoolRow) -> Self {
        PoolView {
            available_fen: p.amount_fen - p.committed_fen,
            id: p.id,
            program_id: p.program_id,
            name: p.name,
            source: p.source,
            region_code: p.region_code,
            amount_fen: p.amount_fen,
            committed_fen: p.committed_fen,
            disbursed_fen: p.disbursed_fen,
            version: p.version,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

fn money_change(
    action: &str,
    object_type: &'static str,
    id: &str,
    program_id: &str,
    version: i64,
    op: Op,
    after: impl Serialize,
) -> Change {
    Change {
        action: action.to_owned(),
        object_type,
        object_id: id.to_owned(),
        program_id: Some(program_id.to_owned()),
        version,
        op,
        before: None,
        after: Snapshot::of(&after),
    }
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "Pools with total, committed, disbursed and available", body = List<PoolView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/budget-pools")]
pub async fn list_pools(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<List<PoolView>>, ApiError> {
    let id = program_id.into_inner();
    require_money_reader(&caller, &id)?;
    program_list(&state, id, subsidy::pools_of).await
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = PoolSpec,
    responses(
        (status = 201, body = PoolView),
        (status = 403, description = "Not the programme's finance", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/budget-pools")]
pub async fn create_pool(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<PoolSpec>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_role(Role::Finance, &id, "manage budget pools")?;
    let spec = body.parse()?;
    let view = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &id)?;
            if let Some(code) = &spec.region_code
                && !programs::unknown_region_codes(tx.conn(), &id, std::slice::from_ref(code))?
                    .is_empty()
            {
                return Err(ApiError::field(
                    "region_code",
                    "unknown_region",
                    Text::new("not a region of the programme", "不是该试点的区县"),
                ));
            }
            let at = now();
            let row = BudgetPoolRow {
                id: new_id(),
                program_id: id.clone(),
                name: spec.name,
                source: match spec.source {
                    FundSource::Central => "central",
                    FundSource::Local => "local",
                }
                .to_owned(),
                region_code: spec.region_code,
                amount_fen: spec.amount_fen,
                committed_fen: 0,
                disbursed_fen: 0,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            subsidy::insert_pool(tx.conn(), &row)?;
            let view = PoolView::from(row);
            tx.record(money_change(
                "budget_pool.create",
                "budget_pool",
                &view.id,
                &id,
                1,
                Op::Create,
                &view,
            ));
            Ok(view)
        })
        .await?;
    let location = format!("/api/v1/programs/{}/budget-pools", view.program_id);
    Ok(created(location, view.version, view))
}

// ---- decisions and awards ---------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub id: String,
    pub program_id: String,
    pub pool_id: String,
    /// transformation or award.
    pub kind: String,
    pub enterprise_id: Option<String>,
    pub payee: String,
    pub amount_fen: i64,
    pub disbursed_fen: i64,
    /// proposed, then approved by finance (which commits the amount).
    pub state: String,
    pub policy_version: Option<i32>,
    pub explanation: Vec<StepView>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SubsidyDecisionRow> for DecisionView {
    fn from(d: SubsidyDecisionRow) -> Self {
        DecisionView {
            explanation: serde_json::from_str(&d.explanation).unwrap_or_default(),
            id: d.id,
            program_id: d.program_id,
            pool_id: d.pool_id,
            kind: d.kind,
            enterprise_id: d.enterprise_id,
            payee: d.payee,
            amount_fen: d.amount_fen,
            disbursed_fen: d.disbursed_fen,
            state: d.state,
            policy_version: d.policy_version,
            approved_by: d.approved_by,
            approved_at: d.approved_at.map(utc),
            version: d.version,
            created_at: utc(d.created_at),
            updated_at: utc(d.updated_at),
        }
    }
}

/// A decision about to be proposed: where the money comes from, to whom,
/// how much and why.
pub(crate) struct Proposal {
    pub pool_id: String,
    pub kind: &'static str,
    pub enterprise_id: Option<String>,
    pub payee: String,
    pub amount_fen: i64,
    pub policy_version: i32,
    pub steps: Vec<StepView>,
}

/// Proposes a decision in a unit of work: the pool must be the programme's.
pub(crate) fn propose(
    tx: &mut Tx<'_>,
    program_id: &str,
    p: Proposal,
) -> Result<DecisionView, ApiError> {
    let Proposal {
        pool_id,
        kind,
        enterprise_id,
        payee,
        amount_fen,
        policy_version,
        steps,
    } = p;
    let pool_id = pool_id.as_str();
    subsidy::find_pool(tx.conn(), program_id, pool_id).map_err(|_| {
        ApiError::field(
            "pool_id",
            "unknown_pool",
            Text::new("not a budget pool of the programme", "不是该试点的资金池"),
        )
    })?;
    if amount_fen <= 0 {
        return Err(ApiError::Conflict {
            code: "nothing_to_pay",
            detail: Text::new(
                "The rules give nothing to pay here; see the quote's explanation.",
                "按政策此项无可支付金额，详见测算说明。",
            ),
        });
    }
    let at = now();
    let row = SubsidyDecisionRow {
        id: new_id(),
        program_id: program_id.to_owned(),
        pool_id: pool_id.to_owned(),
        kind: kind.to_owned(),
        enterprise_id,
        payee,
        amount_fen,
        disbursed_fen: 0,
        state: "proposed".into(),
        policy_version: Some(policy_version),
        explanation: serde_json::to_string(&steps).map_err(ApiError::internal)?,
        approved_by: None,
        approved_at: None,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    subsidy::insert_decision(tx.conn(), &row)?;
    let view = DecisionView::from(row);
    tx.record(money_change(
        "subsidy_decision.propose",
        "subsidy_decision",
        &view.id,
        program_id,
        1,
        Op::Create,
        &view,
    ));
    Ok(view)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionSpec {
    pub pool_id: String,
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub payee: String,
    /// The level, audited line items and enterprise the amount comes from,
    /// quoted under the policy in force.
    #[validate(nested)]
    pub quote: QuoteSpec,
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = DecisionSpec,
    responses(
        (status = 201, description = "Proposed with the quoted amount; finance approves it", body = DecisionView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rules give nothing to pay", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-decisions")]
pub async fn create_decision(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<DecisionSpec>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &id, "propose subsidy decisions")?;
    let spec = body.parse()?;
    let view = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &id)?;
            let q = compute_quote(tx.conn(), &id, &spec.quote)?;
            propose(
                tx,
                &id,
                Proposal {
                    pool_id: spec.pool_id,
                    kind: "transformation",
                    enterprise_id: spec.quote.enterprise_id,
                    payee: spec.payee,
                    amount_fen: q.subsidy_fen,
                    policy_version: q.policy_version,
                    steps: q.explanation,
                },
            )
        })
        .await?;
    Ok(created(
        format!("/api/v1/programs/{}/subsidy-decisions", view.program_id),
        view.version,
        view,
    ))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"award_code": "chain_master_connection", "units": 12, "payee": "东风某链主企业", "pool_id": "0193…"}))]
pub struct AwardSpecRequest {
    /// The award rule's code in the policy in force.
    pub award_code: String,
    /// Units for a per-unit award (e.g. newly connected SMEs).
    #[schema(minimum = 1)]
    pub units: Option<i64>,
    pub enterprise_id: Option<String>,
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub payee: String,
    pub pool_id: String,
    /// The day whose policy version applies (default today).
    pub as_of: Option<NaiveDate>,
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = AwardSpecRequest,
    responses(
        (status = 201, description = "An award decision, proposed with its computed amount", body = DecisionView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/awards")]
pub async fn create_award(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<AwardSpecRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &id, "grant awards")?;
    let spec = body.parse()?;
    let view = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &id)?;
            let policy = policy_on(
                tx.conn(),
                &id,
                spec.as_of.unwrap_or_else(|| Utc::now().date_naive()),
            )?;
            let rule = policy
                .awards
                .iter()
                .find(|a| a.code == spec.award_code)
                .ok_or_else(|| {
                    ApiError::field(
                        "award_code",
                        "unknown_award",
                        Text::new("the policy in force has no such award", "现行政策无此奖励"),
                    )
                })?;
            let amount = award(rule, spec.units).map_err(quote_error)?;
            let steps = amount.explanation.iter().map(Into::into).collect();
            propose(
                tx,
                &id,
                Proposal {
                    pool_id: spec.pool_id,
                    kind: "award",
                    enterprise_id: spec.enterprise_id,
                    payee: spec.payee,
                    amount_fen: amount.amount_fen,
                    policy_version: policy.version,
                    steps,
                },
            )
        })
        .await?;
    Ok(created(
        format!("/api/v1/programs/{}/subsidy-decisions", view.program_id),
        view.version,
        view,
    ))
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, body = List<DecisionView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-decisions")]
pub async fn list_decisions(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<List<DecisionView>>, ApiError> {
    let id = program_id.into_inner();
    require_money_reader(&caller, &id)?;
    program_list(&state, id, subsidy::decisions_of).await
}

#[utoipa::path(
    tag = "subsidy",
    params(
        ("program_id" = String, Path, description = "Programme id"),
        ("decision_id" = String, Path, description = "Decision id"),
        ("If-Match" = String, Header, description = "ETag of the decision version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    responses(
        (status = 200, description = "Approved: the amount is committed against the pool", body = DecisionView),
        (status = 403, description = "Only finance approves", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`pool_exhausted` (the pool has less available) or not proposed any more", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-decisions/{decision_id}/approve")]
pub async fn approve_decision(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    IfMatch(expected): IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (program_id, decision_id) = path.into_inner();
    caller.require_program_visible(&program_id)?;
    if !caller.holds(Role::Finance, &program_id) {
        return Err(ApiError::Forbidden("approve subsidies (finance)"));
    }
    let by = caller.user_id.clone();
    let view = state
        .write(caller.actor(), move |tx| {
            approve(tx, &program_id, &decision_id, Some(expected), &by)
        })
        .await?;
    Ok(versioned(view.version, view))
}

/// Finance's approval of a proposed decision, committing its amount to the
/// pool (refused when the pool has less available): `expected` is the
/// version read, when the caller names one.
pub(crate) fn approve(
    tx: &mut Tx<'_>,
    program_id: &str,
    decision_id: &str,
    expected: Option<i64>,
    by: &str,
) -> Result<DecisionView, ApiError> {
    let d = subsidy::find_decision(tx.conn(), program_id, decision_id)?;
    let expected = expected.unwrap_or(d.version);
    if d.version != expected {
        return Err(ApiError::StaleVersion { current: d.version });
    }
    let at = now();
    if !subsidy::approve_decision(tx.conn(), decision_id, expected, by, at)? {
        return Err(ApiError::Conflict {
            code: "not_proposed",
            detail: Text::new(
                "Only a proposed decision can be approved.",
                "只有待审批的决定才能批准。",
            ),
        });
    }
    if !subsidy::commit_to_pool(tx.conn(), &d.pool_id, d.amount_fen, at)? {
        return Err(ApiError::Conflict {
            code: "pool_exhausted",
            detail: Text::new(
                "The budget pool has less available than this decision commits.",
                "资金池可用余额不足以承担该决定的金额。",
            ),
        });
    }
    let view = DecisionView::from(subsidy::find_decision(tx.conn(), program_id, decision_id)?);
    tx.record(money_change(
        "subsidy_decision.approve",
        "subsidy_decision",
        &view.id,
        program_id,
        view.version,
        Op::Update,
        &view,
    ));
    Ok(view)
}

// ---- disbursements and the ledger -------------------------------------------

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision_id": "0193…", "amount_fen": 50000000, "paid_on": "2026-10-15", "reference": "XC-2026-0001"}))]
pub struct DisbursementSpec {
    pub decision_id: String,
    #[validate(range(min = 1, message = "must be positive", code = "range"))]
    #[schema(minimum = 1)]
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    /// The bank or treasury reference of the payment.
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisbursementView {
    pub id: String,
    pub program_id: String,
    pub decision_id: String,
    pub pool_id: String,
    pub payee: String,
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    pub reference: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<DisbursementRow> for DisbursementView {
    fn from(d: DisbursementRow) -> Self {
        DisbursementView {
            id: d.id,
            program_id: d.program_id,
            decision_id: d.decision_id,
            pool_id: d.pool_id,
            payee: d.payee,
            amount_fen: d.amount_fen,
            paid_on: d.paid_on,
            reference: d.reference,
            created_by: d.created_by,
            created_at: utc(d.created_at),
        }
    }
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = DisbursementSpec,
    responses(
        (status = 201, body = DisbursementView),
        (status = 403, description = "Only finance disburses", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`exceeds_decision`: more than the approved decision has left (or it is not approved)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/disbursements")]
pub async fn create_disbursement(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<DisbursementSpec>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    if !caller.holds(Role::Finance, &id) {
        return Err(ApiError::Forbidden("disburse subsidies (finance)"));
    }
    let spec = body.parse()?;
    let by = caller.user_id.clone();
    let view = state
        .write(caller.actor(), move |tx| disburse(tx, &id, spec, &by))
        .await?;
    Ok(created(
        format!("/api/v1/programs/{}/disbursements", view.program_id),
        1,
        view,
    ))
}

/// Pays `spec.amount_fen` of an approved decision from its pool: never more
/// than the decision has left.
pub(crate) fn disburse(
    tx: &mut Tx<'_>,
    program_id: &str,
    spec: DisbursementSpec,
    by: &str,
) -> Result<DisbursementView, ApiError> {
    let d = subsidy::find_decision(tx.conn(), program_id, &spec.decision_id).map_err(|_| {
        ApiError::field(
            "decision_id",
            "unknown_decision",
            Text::new("not a decision of the programme", "不是该试点的补贴决定"),
        )
    })?;
    let at = now();
    let exceeds = || ApiError::Conflict {
        code: "exceeds_decision",
        detail: Text::new(
            "A disbursement never exceeds what its approved decision has left.",
            "拨付金额不得超过已批准决定的剩余金额。",
        ),
    };
    if !subsidy::pay_decision(tx.conn(), &d.id, spec.amount_fen, at)?
        || !subsidy::pay_from_pool(tx.conn(), &d.pool_id, spec.amount_fen, at)?
    {
        return Err(exceeds());
    }
    let row = DisbursementRow {
        id: new_id(),
        program_id: program_id.to_owned(),
        decision_id: d.id.clone(),
        pool_id: d.pool_id.clone(),
        payee: d.payee.clone(),
        amount_fen: spec.amount_fen,
        paid_on: spec.paid_on,
        reference: spec.reference,
        created_by: by.to_owned(),
        created_at: at,
    };
    subsidy::insert_disbursement(tx.conn(), &row)?;
    let view = DisbursementView::from(row);
    tx.record(money_change(
        "disbursement.create",
        "disbursement",
        &view.id,
        program_id,
        1,
        Op::Create,
        &view,
    ));
    Ok(view)
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id"), PageQuery),
    responses(
        (status = 200, body = List<DisbursementView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/disbursements")]
pub async fn list_disbursements(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<web::Json<List<DisbursementView>>, ApiError> {
    let id = program_id.into_inner();
    require_money_reader(&caller, &id)?;
    let (after, limit) = (page.after(), page.limit());
    let page = state
        .read(move |conn| {
            programs::find(conn, &id)?;
            Ok(subsidy::disbursements_of(
                conn,
                &id,
                after.as_deref(),
                limit,
            )?)
        })
        .await?;
    Ok(web::Json(List::from_page(page)))
}

/// What one enterprise has been approved and paid in a programme, and what
/// each level's cap leaves it under the policy in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseLedgerView {
    pub enterprise_id: String,
    pub approved_fen: i64,
    pub received_fen: i64,
    /// Per level "2".."4": the cap less what was approved (null: no cap).
    #[schema(value_type = BTreeMap<String, Option<i64>>)]
    pub remaining_cap_fen: BTreeMap<u8, Option<i64>>,
    pub policy_version: i32,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// The day whose policy version applies (default today).
    pub as_of: Option<NaiveDate>,
}

#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id"), ("enterprise_id" = String, Path, description = "Enterprise id"), LedgerQuery),
    responses(
        (status = 200, body = EnterpriseLedgerView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-ledger/enterprises/{enterprise_id}")]
pub async fn enterprise_ledger(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    Query(q): Query<LedgerQuery>,
) -> Result<web::Json<EnterpriseLedgerView>, ApiError> {
    let (program_id, enterprise_id) = path.into_inner();
    let own = caller
        .grants
        .iter()
        .any(|g| g.role() == Role::Enterprise && g.enterprise_id() == Some(enterprise_id.as_str()));
    if !own {
        require_money_reader(&caller, &program_id)?;
    }
    let view = state
        .read(move |conn| {
            programs::find(conn, &program_id)?;
            let (approved, received) =
                subsidy::enterprise_totals(conn, &program_id, &enterprise_id)?;
            let policy = policy_on(
                conn,
                &program_id,
                q.as_of.unwrap_or_else(|| Utc::now().date_naive()),
            )?;
            let remaining = (2..=4)
                .map(|l| {
                    let cap = policy.levels.get(&l).and_then(|t| t.cap_fen);
                    let cap = match (cap, policy.enterprise_cap_fen) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    (l, cap.map(|c| (c - approved).max(0)))
                })
                .collect();
            Ok(EnterpriseLedgerView {
                enterprise_id,
                approved_fen: approved,
                received_fen: received,
                remaining_cap_fen: remaining,
                policy_version: policy.version,
            })
        })
        .await?;
    Ok(web::Json(view))
}
