//! Subsidies (奖补): policy versions, what-if quotes, awards, budget pools,
//! decisions that commit against a pool, disbursements and the ledger.
//!
//! Money moves in two steps, both by finance: approving a decision commits
//! its amount against its pool and, for a transformation subsidy, against
//! the enterprise's ledger, whose cap (DOMAIN.md §5: the cap bounds the
//! total an enterprise receives in the programme) is enforced there, in
//! the approval's own unit of work; a disbursement pays out of an approved
//! decision. Nothing can overdraw: every counter moves only by a
//! conditional update, with a CHECK behind it (see
//! `persistence::repo::subsidy`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{enterprises, programs, subsidy};
use shuzhuan_persistence::rows::{
    BudgetPoolRow, DisbursementRow, ProgramRow, SubsidyDecisionRow, SubsidyPolicyRow,
};
use shuzhuan_persistence::{AnyConnection, Coded, Json, Session, Tx, new_id, now};
use shuzhuan_subsidy::{
    AwardInput, AwardRule, Bound, DecisionKind, DecisionState, Earmark, ExpenseCategory,
    FundPurpose, FundSource, InvestmentBand, LevelTerms, LineItem, PayeeKind, Policy, PolicyStatus,
    PoolFigures, QuoteError, QuoteRequest, RateKind, Step, award, compliance, quote, select,
};
use shuzhuan_types::{ObjectType, Op, Target};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::{Body, Page};
use crate::journal::{Key, change, change_with};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::view::{
    List, code_list_schema, code_schema, one_of, optional_code_schema, string_enum, utc,
};

fn category_list_schema() -> utoipa::openapi::schema::Array {
    code_list_schema::<ExpenseCategory>()
}

// ---- policies ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelTermsSpec {
    /// The rate in basis points (5000 = 50%): the most the city may
    /// approve, or what is paid when the policy's rate is fixed.
    #[schema(minimum = 0, maximum = 10000)]
    pub rate_bp: Option<u32>,
    /// The most one enterprise receives at this level, fen, counting what
    /// it received in the programme before.
    #[schema(minimum = 0)]
    pub cap_fen: Option<i64>,
}

/// Declares the award schema's variants with the fields every award
/// carries (code, name, payee, source) written once: generated clients
/// read each variant as one flat object, which a shared part in `allOf`
/// would break (openapi-python-client).
macro_rules! award_schema {
    (
        $(#[$attr:meta])*
        enum $name:ident {
            $(
                $(#[$vattr:meta])*
                $variant:ident { $($(#[$fattr:meta])* $field:ident: $ty:ty,)* },
            )*
        }
    ) => {
        $(#[$attr])*
        enum $name {
            $(
                $(#[$vattr])*
                $variant {
                    /// The award's code in the policy (`chain_master_connection`).
                    code: String,
                    /// Its name as the policy writes it.
                    name: String,
                    /// Who receives it (default enterprise).
                    #[schema(schema_with = optional_code_schema::<PayeeKind>)]
                    payee: Option<PayeeKind>,
                    /// Where the rule comes from (document and clause).
                    source: Option<String>,
                    $($(#[$fattr])* $field: $ty,)*
                },
            )*
        }
    };
}

award_schema! {
/// An award of a policy, one object per kind told apart by `type`, its
/// kind's fields beside the common ones (code, name, payee, source).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
#[schema(as = Award, example = json!({"code": "chain_master_connection", "name": "链主企业带动中小企业数字化转型", "type": "per_unit", "unit_fen": 4000000, "cap_fen": 100000000, "payee": "chain_master", "source": "003 三、（二）"}))]
#[allow(dead_code)] // the schema of AwardRule's wire form, never built
enum AwardSchema {
    /// A one-off sum (一次性奖补), e.g. Shiyan's 20万 for a new provincial
    /// demonstration (003).
    #[schema(title = "FixedAward")]
    Fixed {
        /// The sum in fen (分).
        #[schema(minimum = 1)]
        amount_fen: i64,
    },
    /// A sum per unit up to a cap, e.g. Shiyan's chain master: 4万 per newly
    /// connected SME, at most 100万 (003).
    #[schema(title = "PerUnitAward")]
    PerUnit {
        /// The sum per unit in fen (分).
        #[schema(minimum = 1)]
        unit_fen: i64,
        /// The most paid in all, in fen (分).
        #[schema(minimum = 1)]
        cap_fen: i64,
    },
    /// A grant decided case by case, never above the maximum ("最高不超过
    /// 300万元"): a request names `decided_fen`.
    #[schema(title = "UpToAward")]
    UpTo {
        /// The most that may be decided, fen (分).
        #[schema(minimum = 1)]
        max_fen: i64,
    },
    /// Tiers keyed to a figure, e.g. new output ≥5亿/10亿/30亿/50亿 →
    /// 50/100/200/300万: the highest tier the request's `figure` reaches
    /// pays; below the lowest nothing.
    #[schema(title = "TieredAward", example = json!({"code": "output_growth", "name": "新增产值奖励", "type": "tiered", "figure": "新增产值（万元）", "tiers": [{"from": 50000, "amount_fen": 50000000}, {"from": 100000, "amount_fen": 100000000}, {"from": 300000, "amount_fen": 200000000}, {"from": 500000, "amount_fen": 300000000}]}))]
    Tiered {
        /// What the figure is and its unit, as the policy writes it.
        figure: String,
        /// Ascending by `from`.
        tiers: Vec<TierSchema>,
    },
    /// A rate of a base per period, capped per period, for at most so many
    /// periods, e.g. a loan-interest subsidy: 30% of the interest paid, at
    /// most 100万 a year, for at most 3 years. A request names
    /// `period_bases_fen`, the base of each period in order.
    #[schema(title = "PerPeriodAward", example = json!({"code": "loan_interest", "name": "贷款贴息", "type": "per_period", "rate_bp": 3000, "period_cap_fen": 100000000, "max_periods": 3}))]
    PerPeriod {
        /// Basis points of the base (3000 = 30%).
        #[schema(minimum = 1, maximum = 10000)]
        rate_bp: u32,
        /// The most paid for one period, fen (分).
        #[schema(minimum = 1)]
        period_cap_fen: i64,
        /// How many periods are paid at most.
        #[schema(minimum = 1)]
        max_periods: u32,
    },
    /// Paid in instalments over years while a condition holds; once it
    /// lapses that instalment and the rest are forfeited, e.g. 入规 60万
    /// paid 10/20/30万 over three years, lost if the firm leaves 规上. A
    /// request names `instalment` and `condition_met`.
    #[schema(title = "InstalmentAward", example = json!({"code": "above_size_entry", "name": "首次入规奖励", "type": "instalments", "amounts_fen": [10000000, 20000000, 30000000], "condition": "保持规上企业"}))]
    Instalments {
        /// Each instalment in order, fen (分).
        amounts_fen: Vec<i64>,
        /// What each instalment requires, as the policy writes it.
        condition: String,
    },
}
}

/// One tier of a tiered award.
#[derive(ToSchema)]
#[schema(as = AwardTier)]
#[allow(dead_code)] // the schema of Tier, never built
struct TierSchema {
    /// The least figure of the tier (inclusive), in the award's unit.
    from: i64,
    /// What the tier pays, fen (分).
    #[schema(minimum = 1)]
    amount_fen: i64,
}

/// A band of eligible investment from `from_fen` up to the next band's
/// start, with its own cap on a project's subsidy and, if set, its own
/// rate in place of the level's.
#[derive(ToSchema)]
#[schema(as = InvestmentBand, example = json!({"from_fen": 500000000, "cap_fen": 80000000, "rate_bp": 2500}))]
#[allow(dead_code)] // the schema of InvestmentBand, never built
struct InvestmentBandSchema {
    /// The least eligible investment of the band, fen (inclusive).
    #[schema(minimum = 0)]
    from_fen: i64,
    /// The most a project in the band receives, fen.
    #[schema(minimum = 0)]
    cap_fen: Option<i64>,
    /// The band's rate in basis points, replacing the level's.
    #[schema(minimum = 0, maximum = 10000)]
    rate_bp: Option<u32>,
}

fn two() -> u8 {
    2
}

/// A subsidy policy version as authored; the server numbers the versions.
/// Every figure is data: rates in basis points, money in fen, each rule
/// kind described with an example from a real city.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "effective_from": "2025-11-05",
    "status": "draft",
    "levels": {"2": {"rate_bp": 5000, "cap_fen": 50000000}, "3": {"rate_bp": 5000, "cap_fen": 50000000}, "4": {"rate_bp": 5000, "cap_fen": 100000000}},
    "rate_kind": "maximum",
    "eligible_categories": ["software", "cloud_service", "network_equipment", "data_acquisition_equipment"],
    "note": "000 item 17"
}))]
pub struct PolicySpec {
    /// The first day the version is in force.
    pub effective_from: NaiveDate,
    /// The first day it no longer is (valid to the day before), e.g.
    /// Yinchuan's "至2028年12月31日" is 2029-01-01.
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    /// draft (征求意见稿: every quote says it is indicative) or adopted.
    #[serde(default)]
    #[schema(schema_with = code_schema::<PolicyStatus>)]
    pub status: PolicyStatus,
    /// The document number (文号), e.g. 十政办发〔2024〕5号.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 characters", code = "length"))]
    #[schema(max_length = 100)]
    pub document_number: Option<String>,
    /// The day it was adopted (印发); it may follow `effective_from` when the
    /// policy covers work begun before it was issued.
    #[serde(default)]
    pub adopted_on: Option<NaiveDate>,
    /// Terms per acceptance level, keyed "1" to "4"; a level without a
    /// rate (and no band rate) cannot be quoted.
    #[serde(default)]
    pub levels: BTreeMap<String, LevelTermsSpec>,
    /// maximum ("不超过50%", Xuchang: the city may approve less) or fixed
    /// ("按照改造投入20%补助", Shiyan: the rate is what is paid).
    #[serde(default)]
    #[schema(schema_with = code_schema::<RateKind>)]
    pub rate_kind: RateKind,
    /// The lowest acceptance level the policy pays (default 2).
    #[serde(default = "two")]
    #[schema(minimum = 1, maximum = 4, default = 2)]
    pub min_level: u8,
    /// Below this eligible investment nothing is paid, fen.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub min_investment_fen: Option<i64>,
    /// Caps (and rates) by eligible investment, ascending by `from_fen`;
    /// below the first band nothing is paid.
    #[serde(default)]
    #[schema(value_type = Vec<InvestmentBandSchema>)]
    pub investment_bands: Vec<InvestmentBand>,
    #[serde(default)]
    #[schema(schema_with = category_list_schema)]
    pub eligible_categories: Vec<ExpenseCategory>,
    /// A cap on all an enterprise receives in the programme, fen.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub enterprise_cap_fen: Option<i64>,
    /// Who receives the transformation subsidy (default enterprise).
    #[serde(default)]
    #[schema(schema_with = code_schema::<PayeeKind>)]
    pub payee: PayeeKind,
    /// The share advanced (预拨) in basis points; the rest at final
    /// settlement (清算), which pays the difference or claws it back.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000)]
    pub pre_allocation_bp: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Vec<AwardSchema>)]
    pub awards: Vec<AwardRule>,
    #[serde(default)]
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub note: String,
}

impl PolicySpec {
    /// The domain policy as version `version`, or the fields at fault.
    pub fn to_policy(&self, version: i32) -> Result<Policy> {
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
                        "levels are keyed \"1\" to \"4\"",
                        "等级键应为 \"1\" 至 \"4\"",
                    ),
                )),
            }
        }
        if !key_errors.is_empty() {
            return Err(AppError::Validation(key_errors));
        }
        let policy = Policy {
            version,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            status: self.status,
            document_number: self.document_number.clone(),
            adopted_on: self.adopted_on,
            levels,
            rate_kind: self.rate_kind,
            min_level: self.min_level,
            min_investment_fen: self.min_investment_fen,
            investment_bands: self.investment_bands.clone(),
            eligible_categories: self.eligible_categories.iter().copied().collect(),
            enterprise_cap_fen: self.enterprise_cap_fen,
            payee: self.payee,
            pre_allocation_bp: self.pre_allocation_bp,
            awards: self.awards.clone(),
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
        AppError::check(errors)?;
        Ok(policy)
    }

    /// The terms of a stored version as authored.
    fn of(p: &Policy) -> PolicySpec {
        PolicySpec {
            effective_from: p.effective_from,
            effective_to: p.effective_to,
            status: p.status,
            document_number: p.document_number.clone(),
            adopted_on: p.adopted_on,
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
            rate_kind: p.rate_kind,
            min_level: p.min_level,
            min_investment_fen: p.min_investment_fen,
            investment_bands: p.investment_bands.clone(),
            eligible_categories: p.eligible_categories.iter().copied().collect(),
            enterprise_cap_fen: p.enterprise_cap_fen,
            payee: p.payee,
            pre_allocation_bp: p.pre_allocation_bp,
            awards: p.awards.clone(),
            note: p.note.clone(),
        }
    }
}

/// A published policy version: its number and its terms as authored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub program_id: String,
    pub version: i32,
    pub terms: PolicySpec,
    pub created_at: DateTime<Utc>,
}

fn policy_view(row: &SubsidyPolicyRow) -> PolicyView {
    PolicyView {
        program_id: row.program_id.clone(),
        version: row.body.get().version,
        terms: PolicySpec::of(row.body.get()),
        created_at: utc(row.created_at),
    }
}

/// Publishes the next version of a programme's policy in a unit of work
/// (also used when a programme pack is loaded).
pub(crate) fn publish_policy(
    tx: &mut Tx<'_>,
    program_id: &str,
    spec: &PolicySpec,
    by: Option<&str>,
) -> Result<PolicyView> {
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
        effective_from: spec.effective_from,
        effective_to: spec.effective_to,
        body: Json::new(policy)?,
        created_by: by.map(str::to_owned),
        created_at: now(),
    };
    subsidy::insert_policy(tx.conn(), &row)?;
    let view = policy_view(&row);
    tx.record(change(
        "subsidy_policy.publish",
        ObjectType::SubsidyPolicy,
        Key::new(&row.id, Some(program_id), i64::from(next)),
        None,
        &view,
    ));
    Ok(view)
}

/// Policy versions of the programme, oldest first.
pub fn list_policies(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<PolicyView>> {
    List::paged(policy_views(s, who, program_id)?, page)
}

/// One version of the programme's policy.
pub fn get_policy(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    version: i32,
) -> Result<PolicyView> {
    one_of(policy_views(s, who, program_id)?, |p| p.version == version)
}

fn policy_views(s: &mut Session, who: &Principal, program_id: &str) -> Result<Vec<PolicyView>> {
    crate::programs::visible(s.conn(), who, program_id)?;
    Ok(subsidy::policies_of(s.conn(), program_id)?
        .iter()
        .map(policy_view)
        .collect())
}

/// Publishes the next version (the programme's city_admin).
pub fn create_policy(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<PolicySpec>,
) -> Result<PolicyView> {
    require_in_programme(who, Right::AuthorPolicy, program_id)?;
    let spec = body.read()?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        publish_policy(tx, program_id, &spec, Some(&who.user_id))
    })
}

// ---- quotes -----------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItemSpec {
    #[schema(schema_with = code_schema::<ExpenseCategory>)]
    pub category: ExpenseCategory,
    #[schema(minimum = 0)]
    pub amount_fen: i64,
}

impl From<LineItemSpec> for LineItem {
    fn from(l: LineItemSpec) -> Self {
        LineItem {
            category: l.category,
            amount_fen: l.amount_fen,
        }
    }
}

impl From<LineItem> for LineItemSpec {
    fn from(l: LineItem) -> Self {
        LineItemSpec {
            category: l.category,
            amount_fen: l.amount_fen,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
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
    /// Applies what this enterprise of the programme has already been
    /// approved to its caps.
    pub enterprise_id: Option<String>,
    /// The day whose policy version applies (default today).
    pub as_of: Option<NaiveDate>,
    /// A rate below the policy's maximum, as the city approves (a fixed
    /// rate cannot be changed).
    #[schema(minimum = 0, maximum = 10000)]
    pub rate_bp: Option<u32>,
    /// What was pre-allocated (预拨) for this project, in fen: the quote
    /// then says what final settlement pays (positive) or claws back
    /// (negative).
    #[schema(minimum = 0)]
    pub pre_allocated_fen: Option<i64>,
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

fn bound_schema() -> utoipa::openapi::schema::Object {
    string_enum(Bound::ALL.map(Bound::code))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuoteView {
    pub subsidy_fen: i64,
    pub eligible_fen: i64,
    pub rate_bp: u32,
    pub cap_fen: Option<i64>,
    /// Which limit decided the amount: level (below the lowest paid level),
    /// minimum_investment, rate, band_cap, level_cap or enterprise_cap.
    #[schema(schema_with = bound_schema)]
    pub bound_by: String,
    pub policy_version: i32,
    /// The policy is a draft for comment (征求意见稿): the quote is
    /// indicative until it is adopted.
    pub draft: bool,
    /// Who receives the subsidy under the policy.
    #[schema(schema_with = code_schema::<PayeeKind>)]
    pub payee: PayeeKind,
    /// What is advanced (预拨) when the policy pre-allocates, fen.
    pub pre_allocation_fen: Option<i64>,
    /// With `pre_allocated_fen`: final settlement, positive paid, negative
    /// clawed back, fen.
    pub settlement_fen: Option<i64>,
    /// What the enterprise had been approved before, in fen (0 without
    /// enterprise_id).
    pub already_received_fen: i64,
    pub explanation: Vec<StepView>,
}

/// A quote the rules refuse: about the policy (no rate for the level
/// reached) a top-level refusal, about the request's own figures a field
/// error.
fn quote_error(e: QuoteError) -> AppError {
    let (field, code, zh) = match &e {
        QuoteError::NoRateForLevel { level, version } => {
            return AppError::Refused {
                code: "policy_sets_no_rate_for_level",
                detail: Text::new(
                    format!(
                        "{e}: the programme's policy sets no subsidy rate for the level reached, so nothing can be quoted (never a quote of zero)."
                    ),
                    format!(
                        "政策第{version}版未规定 {level} 级的补贴比例，无法测算（不会按零元测算）。"
                    ),
                ),
            };
        }
        QuoteError::RateAboveMaximum { rate_bp, max_bp } => (
            "rate_bp",
            "rate_above_policy_maximum",
            format!("比例 {rate_bp} 基点超过政策上限 {max_bp} 基点"),
        ),
        QuoteError::RateFixedByPolicy { fixed_bp, .. } => (
            "rate_bp",
            "rate_fixed_by_policy",
            format!("政策规定固定比例 {fixed_bp} 基点，不得另行核定"),
        ),
        QuoteError::Missing(field) => {
            let (code, zh) = match *field {
                "units" => ("units_required", "按数量计的奖励须给出数量"),
                "decided_fen" => ("decided_amount_required", "按核定金额的奖励须给出核定金额"),
                "figure" => ("figure_required", "分档奖励须给出分档依据的数值"),
                "period_bases_fen" => ("period_bases_required", "按期补贴须给出各期基数"),
                "instalment" => ("instalment_required", "分期兑现的奖励须指明第几期"),
                _ => ("condition_required", "分期兑现的奖励须说明条件是否仍满足"),
            };
            (*field, code, zh.to_owned())
        }
        QuoteError::DecidedAboveMaximum { max_fen, .. } => (
            "decided_fen",
            "decided_above_maximum",
            format!("核定金额超过该奖励最高 {max_fen} 分"),
        ),
        QuoteError::InstalmentOutOfRange { count } => (
            "instalment",
            "instalment_out_of_range",
            format!("该奖励分 {count} 期兑现，期数应为 1 至 {count}"),
        ),
        QuoteError::LevelOutOfRange(_) => ("level", "range", format!("金额或等级无效：{e}")),
        QuoteError::NegativeAmount { .. } => (
            "line_items",
            "negative_amount",
            format!("金额或等级无效：{e}"),
        ),
        QuoteError::NegativeInput(field) => {
            (*field, "negative_amount", format!("金额不得为负：{field}"))
        }
        QuoteError::Overflow => (
            "line_items",
            "amount_out_of_range",
            format!("金额或等级无效：{e}"),
        ),
    };
    AppError::field(field, code, Text::new(e.to_string(), zh))
}

/// The programme's policy versions.
pub(crate) fn policies(conn: &mut AnyConnection, program_id: &str) -> Result<Vec<Policy>> {
    Ok(subsidy::policies_of(conn, program_id)?
        .into_iter()
        .map(|row| row.body.into_inner())
        .collect())
}

/// The policy version in force on `day` (422 when none is).
fn policy_on(conn: &mut AnyConnection, program_id: &str, day: NaiveDate) -> Result<Policy> {
    select(&policies(conn, program_id)?, day)
        .cloned()
        .ok_or_else(|| AppError::Refused {
            code: "no_policy_in_force",
            detail: Text::new(
                format!("No policy version is in force on {day}."),
                format!("{day} 无生效的补贴政策。"),
            ),
        })
}

/// The version of the policy in force on `day`, if any: what a project
/// pins when its plan is approved.
pub(crate) fn policy_version_on(
    conn: &mut AnyConnection,
    program_id: &str,
    day: NaiveDate,
) -> Result<Option<i32>> {
    Ok(select(&policies(conn, program_id)?, day).map(|p| p.version))
}

/// Policy version `version` of the programme (the one a project pinned).
fn pinned(conn: &mut AnyConnection, program_id: &str, version: i32) -> Result<Policy> {
    policies(conn, program_id)?
        .into_iter()
        .find(|p| p.version == version)
        .ok_or_else(|| AppError::Internal(format!("pinned policy {version} missing").into()))
}

/// What an enterprise has been approved of transformation subsidy in the
/// programme (its ledger).
fn received(conn: &mut AnyConnection, program_id: &str, enterprise_id: &str) -> Result<i64> {
    Ok(subsidy::ledger(conn, program_id, enterprise_id)?.map_or(0, |l| l.approved_fen))
}

/// An enterprise named by a money request must be one of the programme's:
/// another programme's, or none, is a 422 on the field.
fn check_enterprise(
    conn: &mut AnyConnection,
    program_id: &str,
    field: &str,
    id: &str,
) -> Result<()> {
    let ours = match enterprises::find(conn, id) {
        Ok(e) => e.program_id.as_deref() == Some(program_id),
        Err(shuzhuan_persistence::RepoError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if ours {
        Ok(())
    } else {
        Err(AppError::field(
            field,
            "unknown_enterprise",
            Text::new("not an enterprise of the programme", "不是本试点的企业"),
        ))
    }
}

/// A quote under `policy` with the bound on the enterprise's total.
fn quote_under(
    conn: &mut AnyConnection,
    program_id: &str,
    policy: &Policy,
    spec: &QuoteSpec,
) -> Result<(QuoteView, Option<i64>)> {
    let received = match &spec.enterprise_id {
        Some(e) => {
            check_enterprise(conn, program_id, "enterprise_id", e)?;
            received(conn, program_id, e)?
        }
        None => 0,
    };
    let req = QuoteRequest {
        level: spec.level,
        line_items: spec.line_items.iter().map(|l| LineItem::from(*l)).collect(),
        already_received_fen: received,
        rate_bp: spec.rate_bp,
        pre_allocated_fen: spec.pre_allocated_fen,
    };
    let q = quote(policy, &req).map_err(quote_error)?;
    let view = QuoteView {
        subsidy_fen: q.subsidy_fen,
        eligible_fen: q.eligible_fen,
        rate_bp: q.rate_bp,
        cap_fen: q.cap_fen,
        bound_by: q.bound_by.code().to_owned(),
        policy_version: q.policy_version,
        draft: q.draft,
        payee: q.payee,
        pre_allocation_fen: q.pre_allocation_fen,
        settlement_fen: q.settlement_fen,
        already_received_fen: received,
        explanation: q.explanation.iter().map(Into::into).collect(),
    };
    Ok((view, policy.total_cap(spec.level)))
}

/// A quote under the version a project pinned, whatever is in force today.
pub(crate) fn quote_pinned(
    conn: &mut AnyConnection,
    program_id: &str,
    version: i32,
    spec: &QuoteSpec,
) -> Result<(QuoteView, Option<i64>)> {
    let policy = pinned(conn, program_id, version)?;
    quote_under(conn, program_id, &policy, spec)
}

fn compute_quote(
    conn: &mut AnyConnection,
    program_id: &str,
    spec: &QuoteSpec,
) -> Result<(QuoteView, Option<i64>)> {
    let day = spec.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let policy = policy_on(conn, program_id, day)?;
    quote_under(conn, program_id, &policy, spec)
}

/// What the policy in force would pay, step by step. Naming an enterprise
/// applies what it was approved: its own staff, or those who read the
/// programme's money, may ask.
pub fn create_quote(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<QuoteSpec>,
) -> Result<QuoteView> {
    crate::programs::visible(s.conn(), who, program_id)?;
    let spec = body.read()?;
    if let Some(e) = &spec.enterprise_id {
        ledger_reader(who, program_id, e)?;
    }
    Ok(compute_quote(s.conn(), program_id, &spec)?.0)
}

/// 403 unless the caller may read this enterprise's subsidies in the
/// programme (its own staff, or the programme's money readers).
fn ledger_reader(who: &Principal, program_id: &str, enterprise_id: &str) -> Result<()> {
    let reach = who.require(Right::ReadLedger)?;
    let target = Target {
        programmes: vec![program_id],
        enterprise: Some(enterprise_id),
        ..Default::default()
    };
    if reach.contains(&target) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Right::ReadLedger))
    }
}

// ---- budget pools -----------------------------------------------------------

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
    /// Where the money comes from: central (中央), provincial (省/自治区),
    /// city (市), county (县/区), or local (地方配套, not split by level).
    #[schema(schema_with = code_schema::<FundSource>)]
    pub source: FundSource,
    /// What the money is for (default enterprise_transformation): the
    /// programme's earmarks are checked per purpose.
    #[serde(default)]
    #[schema(schema_with = code_schema::<FundPurpose>)]
    pub purpose: FundPurpose,
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
    #[schema(schema_with = code_schema::<FundSource>)]
    pub source: FundSource,
    #[schema(schema_with = code_schema::<FundPurpose>)]
    pub purpose: FundPurpose,
    pub region_code: Option<String>,
    pub amount_fen: i64,
    /// Approved decisions drawn on the pool, in fen.
    pub committed_fen: i64,
    pub disbursed_fen: i64,
    /// amount − committed, in fen: what new approvals may still take.
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
            source: p.source.0,
            purpose: p.purpose.0,
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

/// Pools with total, committed, disbursed and available.
pub fn list_pools(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<PoolView>> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    List::paged(
        subsidy::pools_of(s.conn(), program_id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        page,
    )
}

pub fn get_pool(s: &mut Session, who: &Principal, program_id: &str, id: &str) -> Result<PoolView> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    Ok(subsidy::find_pool(s.conn(), program_id, id)?.into())
}

pub fn create_pool(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<PoolSpec>,
) -> Result<PoolView> {
    require_in_programme(who, Right::ManagePools, program_id)?;
    let spec = body.read()?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        if let Some(code) = &spec.region_code
            && !programs::unknown_region_codes(tx.conn(), program_id, std::slice::from_ref(code))?
                .is_empty()
        {
            return Err(AppError::field(
                "region_code",
                "unknown_region",
                Text::new("not a region of the programme", "不是该试点的区县"),
            ));
        }
        let at = now();
        let row = BudgetPoolRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            name: spec.name.clone(),
            source: Coded(spec.source),
            purpose: Coded(spec.purpose),
            region_code: spec.region_code.clone(),
            amount_fen: spec.amount_fen,
            committed_fen: 0,
            disbursed_fen: 0,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        subsidy::insert_pool(tx.conn(), &row)?;
        let view = PoolView::from(row);
        tx.record(change(
            "budget_pool.create",
            ObjectType::BudgetPool,
            Key::new(&view.id, Some(program_id), 1),
            None,
            &view,
        ));
        Ok(view)
    })
}

// ---- money by source and purpose ---------------------------------------------

/// A programme's earmark: at least a share of one source's money to one
/// purpose (e.g. at least 80% of central funds to enterprise
/// transformation; 专款专用 at 100%).
#[derive(ToSchema)]
#[schema(as = Earmark, example = json!({"source": "central", "purpose": "enterprise_transformation", "min_share_bp": 8000, "basis": "资金管理办法 第五条"}))]
#[allow(dead_code)] // the schema of Earmark, never built
pub(crate) struct EarmarkSchema {
    #[schema(schema_with = code_schema::<FundSource>)]
    source: FundSource,
    #[schema(schema_with = code_schema::<FundPurpose>)]
    purpose: FundPurpose,
    /// The least share of the source's allocation, basis points.
    #[schema(minimum = 1, maximum = 10000)]
    min_share_bp: u32,
    /// The clause it comes from.
    basis: Option<String>,
}

/// The faults of a programme's earmarks: shares of 1 to 10000 bp, one rule
/// per source and purpose, and a source's minimum shares adding up to no
/// more than the whole.
pub(crate) fn earmark_errors(earmarks: &[Earmark]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut per_source: BTreeMap<FundSource, u32> = BTreeMap::new();
    for (i, e) in earmarks.iter().enumerate() {
        if e.min_share_bp == 0 || e.min_share_bp > 10_000 {
            errors.push(FieldError::new(
                format!("earmarks.{i}.min_share_bp"),
                "range",
                Text::new("must be 1 to 10000 basis points", "应为 1 至 10000 个基点"),
            ));
        }
        if !seen.insert((e.source, e.purpose)) {
            errors.push(FieldError::new(
                format!("earmarks.{i}"),
                "duplicate",
                Text::new(
                    "one earmark per source and purpose",
                    "同一来源、同一用途只能有一条比例要求",
                ),
            ));
        }
        *per_source.entry(e.source).or_default() += e.min_share_bp.min(10_000);
    }
    for (source, total) in per_source {
        if total > 10_000 {
            errors.push(FieldError::new(
                "earmarks",
                "shares_above_whole",
                Text::new(
                    format!("the minimum shares of {source} funds add up to more than 100%"),
                    format!("{source} 资金各用途最低比例之和超过100%"),
                ),
            ));
        }
    }
    errors
}

pub(crate) fn check_earmarks(earmarks: &[Earmark]) -> Result<()> {
    AppError::check(earmark_errors(earmarks))
}

/// Allocated, committed and disbursed money, fen.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundSums {
    /// The pools' amounts, fen.
    pub allocated_fen: i64,
    /// Approved decisions drawn on them, fen.
    pub committed_fen: i64,
    /// Paid out, fen.
    pub disbursed_fen: i64,
}

impl From<shuzhuan_subsidy::Sums> for FundSums {
    fn from(s: shuzhuan_subsidy::Sums) -> Self {
        FundSums {
            allocated_fen: s.allocated_fen,
            committed_fen: s.committed_fen,
            disbursed_fen: s.disbursed_fen,
        }
    }
}

/// One line of the money by source: a source's total (`purpose` null) or
/// one purpose of it, with its share of the source's allocation.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundLine {
    #[schema(schema_with = code_schema::<FundSource>)]
    pub source: FundSource,
    /// The purpose, or null on the source's own line.
    #[schema(schema_with = optional_code_schema::<FundPurpose>)]
    pub purpose: Option<FundPurpose>,
    #[serde(flatten)]
    pub sums: FundSums,
    /// The purpose's share of the source's allocation, basis points
    /// (rounded down; 10000 on the source's line).
    pub share_bp: u32,
}

/// An earmark against the figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct EarmarkView {
    #[schema(schema_with = code_schema::<FundSource>)]
    pub source: FundSource,
    #[schema(schema_with = code_schema::<FundPurpose>)]
    pub purpose: FundPurpose,
    /// The least share the programme requires, basis points.
    pub min_share_bp: u32,
    /// The clause it comes from.
    pub basis: String,
    /// The purpose's share of the source's allocation, basis points.
    pub allocated_share_bp: u32,
    /// Of the source's committed money, basis points.
    pub committed_share_bp: u32,
    /// Of the source's disbursed money, basis points.
    pub disbursed_share_bp: u32,
    /// Whether the allocation meets the minimum (a source without money
    /// meets nothing).
    pub met: bool,
}

/// The programme's money by source (central, provincial, city, county) and
/// purpose, with every earmark checked: the per-source compliance view a
/// city shows at its mid-term and final evaluation.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundComplianceView {
    pub program_id: String,
    /// All sources together.
    pub total: FundSums,
    /// Per source its total, then each of its purposes.
    pub lines: Vec<FundLine>,
    pub earmarks: Vec<EarmarkView>,
}

/// The money view takes no filter: the whole programme, as the evaluation
/// shows it (its `format` exports the lines).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FundQuery {}

/// The programme's money by source and purpose with its earmarks checked
/// (who reads the programme's money).
pub fn fund_compliance(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    _: &FundQuery,
) -> Result<FundComplianceView> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    let program = programs::find(s.conn(), program_id)?;
    funds_of(s.conn(), &program)
}

/// The money view of a programme, for those the caller's right lets see it.
pub(crate) fn funds_of(
    conn: &mut AnyConnection,
    program: &ProgramRow,
) -> Result<FundComplianceView> {
    let pools: Vec<PoolFigures> = subsidy::pools_of(conn, &program.id)?
        .iter()
        .map(|p| PoolFigures {
            source: p.source.0,
            purpose: p.purpose.0,
            allocated_fen: p.amount_fen,
            committed_fen: p.committed_fen,
            disbursed_fen: p.disbursed_fen,
        })
        .collect();
    let funds = compliance(&pools, program.earmarks.get());
    Ok(FundComplianceView {
        program_id: program.id.clone(),
        total: funds.total.into(),
        lines: funds
            .sources
            .into_iter()
            .flat_map(|s| {
                let total = FundLine {
                    source: s.source,
                    purpose: None,
                    sums: s.sums.into(),
                    share_bp: 10_000,
                };
                std::iter::once(total).chain(s.purposes.into_iter().map(
                    move |(purpose, sums, share_bp)| FundLine {
                        source: s.source,
                        purpose: Some(purpose),
                        sums: sums.into(),
                        share_bp,
                    },
                ))
            })
            .collect(),
        earmarks: funds
            .earmarks
            .into_iter()
            .map(|c| EarmarkView {
                source: c.earmark.source,
                purpose: c.earmark.purpose,
                min_share_bp: c.earmark.min_share_bp,
                basis: c.earmark.basis,
                allocated_share_bp: c.allocated_share_bp,
                committed_share_bp: c.committed_share_bp,
                disbursed_share_bp: c.disbursed_share_bp,
                met: c.met,
            })
            .collect(),
    })
}

// ---- decisions and awards ---------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub id: String,
    pub program_id: String,
    pub pool_id: String,
    #[schema(schema_with = code_schema::<DecisionKind>)]
    pub kind: DecisionKind,
    pub enterprise_id: Option<String>,
    pub payee: String,
    pub amount_fen: i64,
    pub disbursed_fen: i64,
    /// proposed, then approved by finance (which commits the amount).
    #[schema(schema_with = code_schema::<DecisionState>)]
    pub state: DecisionState,
    pub policy_version: Option<i32>,
    /// The acceptance level a transformation subsidy was quoted for.
    pub level: Option<i32>,
    /// What bounds the enterprise's total in the programme under this
    /// decision, in fen: approval refuses to go beyond it (null: no cap).
    pub cap_fen: Option<i64>,
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
            kind: d.kind.0,
            enterprise_id: d.enterprise_id,
            payee: d.payee,
            amount_fen: d.amount_fen,
            disbursed_fen: d.disbursed_fen,
            state: d.state.0,
            policy_version: d.policy_version,
            level: d.level,
            cap_fen: d.cap_fen,
            approved_by: d.approved_by,
            approved_at: d.approved_at.map(utc),
            version: d.version,
            created_at: utc(d.created_at),
            updated_at: utc(d.updated_at),
        }
    }
}

/// A decision about to be proposed: where the money comes from, to whom,
/// how much, why, and what bounds the enterprise's total.
pub(crate) struct Proposal {
    pub pool_id: String,
    pub kind: DecisionKind,
    pub enterprise_id: Option<String>,
    pub payee: String,
    pub amount_fen: i64,
    pub policy_version: i32,
    pub level: Option<u8>,
    pub cap_fen: Option<i64>,
    pub steps: Vec<StepView>,
}

/// Proposes a decision in a unit of work: the pool must be the programme's.
pub(crate) fn propose(tx: &mut Tx<'_>, program_id: &str, p: Proposal) -> Result<DecisionView> {
    subsidy::find_pool(tx.conn(), program_id, &p.pool_id).map_err(|_| {
        AppError::field(
            "pool_id",
            "unknown_pool",
            Text::new("not a budget pool of the programme", "不是该试点的资金池"),
        )
    })?;
    if p.amount_fen <= 0 {
        return Err(AppError::conflict(
            "nothing_to_pay",
            "The rules give nothing to pay here; see the quote's explanation.",
            "按政策此项无可支付金额，详见测算说明。",
        ));
    }
    let at = now();
    let row = SubsidyDecisionRow {
        id: new_id(),
        program_id: program_id.to_owned(),
        pool_id: p.pool_id,
        kind: Coded(p.kind),
        enterprise_id: p.enterprise_id,
        payee: p.payee,
        amount_fen: p.amount_fen,
        disbursed_fen: 0,
        state: Coded(DecisionState::Proposed),
        policy_version: Some(p.policy_version),
        explanation: serde_json::to_string(&p.steps).map_err(AppError::internal)?,
        approved_by: None,
        approved_at: None,
        version: 1,
        created_at: at,
        updated_at: at,
        level: p.level.map(i32::from),
        cap_fen: p.cap_fen,
    };
    subsidy::insert_decision(tx.conn(), &row)?;
    let view = DecisionView::from(row);
    tx.record(change(
        "subsidy_decision.propose",
        ObjectType::SubsidyDecision,
        Key::new(&view.id, Some(program_id), 1),
        None,
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

/// Proposes a transformation subsidy with the quoted amount (the
/// programme's city_admin); finance approves it.
pub fn create_decision(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<DecisionSpec>,
) -> Result<DecisionView> {
    require_in_programme(who, Right::ProposeSubsidy, program_id)?;
    let spec = body.read()?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        let (q, cap) = compute_quote(tx.conn(), program_id, &spec.quote).map_err(|e| match e {
            AppError::Validation(errors) => AppError::Validation(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.field = format!("quote.{}", e.field);
                        e
                    })
                    .collect(),
            ),
            other => other,
        })?;
        propose(
            tx,
            program_id,
            Proposal {
                pool_id: spec.pool_id.clone(),
                kind: DecisionKind::Transformation,
                enterprise_id: spec.quote.enterprise_id.clone(),
                payee: spec.payee.clone(),
                amount_fen: q.subsidy_fen,
                policy_version: q.policy_version,
                level: Some(spec.quote.level),
                cap_fen: cap,
                steps: q.explanation,
            },
        )
    })
}

/// What an award is quoted for: the rule and the inputs its kind reads.
/// (Unknown fields are refused by `_rest`, as `deny_unknown_fields` would:
/// serde cannot combine that with the flattening into [`AwardRequest`].)
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"award_code": "loan_interest", "period_bases_fen": [250000000, 400000000], "as_of": "2026-06-01"}))]
pub struct AwardQuoteSpec {
    /// The award rule's code in the policy in force.
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub award_code: String,
    /// The day whose policy version applies (default today).
    pub as_of: Option<NaiveDate>,
    /// per_unit: the units (e.g. newly connected SMEs).
    #[schema(minimum = 1)]
    pub units: Option<i64>,
    /// up_to: the amount decided, fen, at most the award's maximum.
    #[schema(minimum = 0)]
    pub decided_fen: Option<i64>,
    /// tiered: the figure the tiers are keyed to, in the award's unit.
    pub figure: Option<i64>,
    /// per_period: the base of each period in order (e.g. the interest
    /// paid each year), fen.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 periods", code = "length"))]
    #[schema(max_items = 100)]
    pub period_bases_fen: Vec<i64>,
    /// instalments: which instalment (1-based) is due.
    #[schema(minimum = 1)]
    pub instalment: Option<u32>,
    /// instalments: whether the condition has held through it (false
    /// forfeits it and the rest).
    pub condition_met: Option<bool>,
    #[serde(flatten)]
    #[schema(ignore)]
    #[validate(skip)]
    _rest: NoOtherFields,
}

/// Refuses any field left over once a flattened body took its own.
#[derive(Debug, Clone)]
struct NoOtherFields;

impl<'de> Deserialize<'de> for NoOtherFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let rest = BTreeMap::<String, serde::de::IgnoredAny>::deserialize(d)?;
        match rest.keys().next() {
            Some(field) => Err(serde::de::Error::custom(format!("unknown field `{field}`"))),
            None => Ok(NoOtherFields),
        }
    }
}

impl AwardQuoteSpec {
    fn input(&self) -> AwardInput {
        AwardInput {
            units: self.units,
            decided_fen: self.decided_fen,
            figure: self.figure,
            period_bases_fen: self.period_bases_fen.clone(),
            instalment: self.instalment,
            condition_met: self.condition_met,
        }
    }
}

/// What an award pays, step by step.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwardQuoteView {
    /// The award rule's code.
    pub award_code: String,
    /// Its name as the policy writes it.
    pub name: String,
    /// Who receives it under the policy.
    #[schema(schema_with = code_schema::<PayeeKind>)]
    pub payee: PayeeKind,
    pub amount_fen: i64,
    /// A cap, period cap or maximum cut the amount.
    pub capped: bool,
    /// Instalments lost to a lapsed condition, fen.
    pub forfeited_fen: i64,
    pub policy_version: i32,
    /// The policy is a draft for comment: the amount is indicative.
    pub draft: bool,
    pub explanation: Vec<StepView>,
}

/// The award under the policy in force on the request's day.
fn quote_award(
    conn: &mut AnyConnection,
    program_id: &str,
    spec: &AwardQuoteSpec,
) -> Result<AwardQuoteView> {
    let policy = policy_on(
        conn,
        program_id,
        spec.as_of.unwrap_or_else(|| Utc::now().date_naive()),
    )?;
    let rule = policy
        .awards
        .iter()
        .find(|a| a.code == spec.award_code)
        .ok_or_else(|| {
            AppError::field(
                "award_code",
                "unknown_award",
                Text::new("the policy in force has no such award", "现行政策无此奖励"),
            )
        })?;
    let amount = award(rule, &spec.input()).map_err(quote_error)?;
    Ok(AwardQuoteView {
        award_code: rule.code.clone(),
        name: rule.name.clone(),
        payee: rule.payee,
        amount_fen: amount.amount_fen,
        capped: amount.capped,
        forfeited_fen: amount.forfeited_fen,
        policy_version: policy.version,
        draft: policy.status == PolicyStatus::Draft,
        explanation: amount.explanation.iter().map(Into::into).collect(),
    })
}

/// What an award of the policy in force would pay (anyone who sees the
/// programme).
pub fn create_award_quote(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<AwardQuoteSpec>,
) -> Result<AwardQuoteView> {
    crate::programs::visible(s.conn(), who, program_id)?;
    let spec = body.read()?;
    quote_award(s.conn(), program_id, &spec)
}

/// An award to propose: whom it pays and from which pool, beside what it
/// is quoted for.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"award_code": "chain_master_connection", "units": 12, "payee": "东风某链主企业", "pool_id": "0193…"}))]
pub struct AwardRequest {
    #[serde(flatten)]
    #[validate(nested)]
    pub award: AwardQuoteSpec,
    /// The enterprise of the programme the award is for, if any.
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
}

/// An award decision, proposed with its computed amount (city_admin).
pub fn create_award(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<AwardRequest>,
) -> Result<DecisionView> {
    require_in_programme(who, Right::ProposeSubsidy, program_id)?;
    let spec = body.read()?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        if let Some(e) = &spec.enterprise_id {
            check_enterprise(tx.conn(), program_id, "enterprise_id", e)?;
        }
        let q = quote_award(tx.conn(), program_id, &spec.award)?;
        propose(
            tx,
            program_id,
            Proposal {
                pool_id: spec.pool_id.clone(),
                kind: DecisionKind::Award,
                enterprise_id: spec.enterprise_id.clone(),
                payee: spec.payee.clone(),
                amount_fen: q.amount_fen,
                policy_version: q.policy_version,
                level: None,
                cap_fen: None,
                steps: q.explanation,
            },
        )
    })
}

pub fn list_decisions(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<DecisionView>> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    List::paged(
        subsidy::decisions_of(s.conn(), program_id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        page,
    )
}

pub fn get_decision(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    id: &str,
) -> Result<DecisionView> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    Ok(subsidy::find_decision(s.conn(), program_id, id)?.into())
}

/// Finance's approval (If-Match the version read).
pub fn approve_decision(
    s: &mut Session,
    who: &Principal,
    (program_id, decision_id): (&str, &str),
    expected: Expected,
) -> Result<DecisionView> {
    require_in_programme(who, Right::ApproveSubsidy, program_id)?;
    s.write(&who.actor(), |tx| {
        approve(tx, program_id, decision_id, Some(expected), &who.user_id)
    })
}

/// Finance's approval of a proposed decision: commits its amount to the
/// pool and, for a transformation subsidy, to the enterprise's ledger
/// within the decision's cap — the one approval path, so neither can be
/// exceeded, also under concurrent approvals. `expected` is the version
/// read, when the caller names one.
pub(crate) fn approve(
    tx: &mut Tx<'_>,
    program_id: &str,
    decision_id: &str,
    expected: Option<Expected>,
    by: &str,
) -> Result<DecisionView> {
    let d = subsidy::find_decision(tx.conn(), program_id, decision_id)?;
    let expected = expected.unwrap_or(Expected::Any).check(d.version)?;
    let at = now();
    if !subsidy::approve_decision(tx.conn(), decision_id, expected, by, at)? {
        return Err(AppError::conflict(
            "not_proposed",
            "Only a proposed decision can be approved.",
            "只有待审批的决定才能批准。",
        ));
    }
    if *d.kind == DecisionKind::Transformation
        && let Some(enterprise) = &d.enterprise_id
        && !subsidy::commit_to_ledger(
            tx.conn(),
            program_id,
            enterprise,
            d.amount_fen,
            d.cap_fen,
            at,
        )?
    {
        let cap = d.cap_fen.unwrap_or_default();
        return Err(AppError::Conflict {
            code: "enterprise_cap_exceeded",
            detail: Text::new(
                format!(
                    "Approving this would take the enterprise's subsidies in the programme beyond its cap of {cap} fen (DOMAIN.md §5); quote again."
                ),
                format!("批准后该企业在本试点的补贴总额将超过上限 {cap} 分，请重新测算。"),
            ),
        });
    }
    if !subsidy::commit_to_pool(tx.conn(), &d.pool_id, d.amount_fen, at)? {
        return Err(AppError::conflict(
            "pool_exhausted",
            "The budget pool has less available than this decision commits.",
            "资金池可用余额不足以承担该决定的金额。",
        ));
    }
    let view = DecisionView::from(subsidy::find_decision(tx.conn(), program_id, decision_id)?);
    tx.record(change_with(
        "subsidy_decision.approve",
        ObjectType::SubsidyDecision,
        Key::new(&view.id, Some(program_id), view.version),
        Op::Update,
        None,
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

pub fn create_disbursement(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<DisbursementSpec>,
) -> Result<DisbursementView> {
    require_in_programme(who, Right::Disburse, program_id)?;
    let spec = body.read()?;
    s.write(&who.actor(), |tx| {
        disburse(tx, program_id, spec, &who.user_id)
    })
}

/// Pays `spec.amount_fen` of an approved decision from its pool: never more
/// than the decision has left.
pub(crate) fn disburse(
    tx: &mut Tx<'_>,
    program_id: &str,
    spec: DisbursementSpec,
    by: &str,
) -> Result<DisbursementView> {
    let d = subsidy::find_decision(tx.conn(), program_id, &spec.decision_id).map_err(|_| {
        AppError::field(
            "decision_id",
            "unknown_decision",
            Text::new("not a decision of the programme", "不是该试点的补贴决定"),
        )
    })?;
    let at = now();
    let exceeds = || {
        AppError::conflict(
            "exceeds_decision",
            "A disbursement never exceeds what its approved decision has left.",
            "拨付金额不得超过已批准决定的剩余金额。",
        )
    };
    if !subsidy::pay_decision(tx.conn(), &d.id, spec.amount_fen, at)?
        || !subsidy::pay_from_pool(tx.conn(), &d.pool_id, spec.amount_fen, at)?
    {
        return Err(exceeds());
    }
    if *d.kind == DecisionKind::Transformation
        && let Some(enterprise) = &d.enterprise_id
        && subsidy::ledger(tx.conn(), program_id, enterprise)?.is_some()
        && !subsidy::pay_from_ledger(tx.conn(), program_id, enterprise, spec.amount_fen, at)?
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
    tx.record(change(
        "disbursement.create",
        ObjectType::Disbursement,
        Key::new(&view.id, Some(program_id), 1),
        None,
        &view,
    ));
    Ok(view)
}

pub fn list_disbursements(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<DisbursementView>> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    let rows =
        subsidy::disbursements_of(s.conn(), program_id, page.after()?.as_deref(), page.limit())?;
    Ok(List::from_page(rows))
}

pub fn get_disbursement(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    id: &str,
) -> Result<DisbursementView> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    Ok(subsidy::find_disbursement(s.conn(), program_id, id)?.into())
}

/// What one enterprise has been approved and paid of transformation
/// subsidy in a programme, and what each level's cap leaves it under the
/// policy in force. A negative remainder is what an approval beyond a cap
/// would show; `overrun_fen` says by how much the approved total exceeds
/// the loosest cap of its decisions (0: none, as approval guarantees).
#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseLedgerView {
    pub enterprise_id: String,
    pub approved_fen: i64,
    pub received_fen: i64,
    /// Per level "2".."4": the cap less what was approved, in fen (null: no
    /// cap).
    #[schema(value_type = BTreeMap<String, Option<i64>>)]
    pub remaining_cap_fen: BTreeMap<u8, Option<i64>>,
    pub overrun_fen: i64,
    pub policy_version: i32,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// The day whose policy version applies (default today).
    pub as_of: Option<NaiveDate>,
}

/// An enterprise's ledger: its own staff and the programme's money readers;
/// an enterprise outside the programme (or the caller's reach) is 404.
pub fn ledger(
    s: &mut Session,
    who: &Principal,
    (program_id, enterprise_id): (&str, &str),
    q: &LedgerQuery,
) -> Result<EnterpriseLedgerView> {
    let reach = who.require(Right::ReadLedger)?;
    crate::programs::visible(s.conn(), who, program_id)?;
    let conn = s.conn();
    let enterprise = match enterprises::find(conn, enterprise_id) {
        Ok(e) if e.program_id.as_deref() == Some(program_id) => e,
        Ok(_) | Err(shuzhuan_persistence::RepoError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let target = Target {
        programmes: vec![program_id],
        region: enterprise.region_code.as_deref(),
        enterprise: Some(&enterprise.id),
        ..Default::default()
    };
    if !reach.contains(&target) {
        // Readable elsewhere or not at all: another's ledger looks absent.
        return Err(AppError::NotFound);
    }
    let amounts = subsidy::ledger(conn, program_id, enterprise_id)?
        .map_or((0, 0), |l| (l.approved_fen, l.disbursed_fen));
    let (policy, decisions) = ledger_basis(conn, program_id, q.as_of)?;
    Ok(ledger_view(enterprise_id, amounts, &policy, &decisions))
}

/// What a ledger is read against: the policy in force on `as_of` (default
/// today) and the programme's decisions.
fn ledger_basis(
    conn: &mut AnyConnection,
    program_id: &str,
    as_of: Option<NaiveDate>,
) -> Result<(Policy, Vec<SubsidyDecisionRow>)> {
    let day = as_of.unwrap_or_else(|| Utc::now().date_naive());
    Ok((
        policy_on(conn, program_id, day)?,
        subsidy::decisions_of(conn, program_id)?,
    ))
}

/// An enterprise's ledger from its approved and received totals, the
/// policy in force and the programme's decisions (for the overrun).
fn ledger_view(
    enterprise_id: &str,
    (approved, received): (i64, i64),
    policy: &Policy,
    decisions: &[SubsidyDecisionRow],
) -> EnterpriseLedgerView {
    let remaining = (2..=4)
        .map(|l| (l, policy.total_cap(l).map(|c| c - approved)))
        .collect();
    let loosest = decisions
        .iter()
        .filter(|d| {
            d.enterprise_id.as_deref() == Some(enterprise_id)
                && *d.kind == DecisionKind::Transformation
                && *d.state == DecisionState::Approved
        })
        .map(|d| d.cap_fen)
        .try_fold(0i64, |max, cap| cap.map(|c| max.max(c)));
    EnterpriseLedgerView {
        enterprise_id: enterprise_id.to_owned(),
        approved_fen: approved,
        received_fen: received,
        remaining_cap_fen: remaining,
        overrun_fen: loosest.map_or(0, |cap| (approved - cap).max(0)),
        policy_version: policy.version,
    }
}

/// A page of the programme's ledger, and the day whose policy applies.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeLedgerQuery {
    /// The day whose policy version applies (default today).
    pub as_of: Option<NaiveDate>,
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

/// The programme's ledger (资金台账): every enterprise with money approved
/// or paid, as its own ledger reads, for the programme's money readers.
pub fn programme_ledger(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: ProgrammeLedgerQuery,
) -> Result<List<EnterpriseLedgerView>> {
    require_in_programme(who, Right::ReadMoney, program_id)?;
    let conn = s.conn();
    let (policy, decisions) = ledger_basis(conn, program_id, q.as_of)?;
    // Only the page's ledgers are worked out.
    let page = List::paged(
        subsidy::ledgers_of(conn, program_id)?,
        &Page {
            limit: q.limit,
            cursor: q.cursor,
        },
    )?;
    Ok(List {
        items: page
            .items
            .iter()
            .map(|l| {
                ledger_view(
                    &l.enterprise_id,
                    (l.approved_fen, l.disbursed_fen),
                    &policy,
                    &decisions,
                )
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}
