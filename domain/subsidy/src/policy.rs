//! A subsidy policy version (奖补政策) as data: per acceptance level a rate
//! and a per-enterprise cap, or caps and rates by investment band; whether
//! the rate is fixed or a maximum; a minimum investment; the expense
//! categories that count; a cap on an enterprise's total in the programme;
//! who is paid and how much is pre-allocated; awards; and the policy's
//! standing (draft or adopted, document number, validity).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{AwardRule, ExpenseCategory};

/// The terms for one acceptance level. `None` where the programme's rules
/// have not set them (then a quote is refused, never zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelTerms {
    /// The rate in basis points (5000 = 50%): the highest the city may
    /// approve, or the rate itself when the policy's rate is fixed.
    pub rate_bp: Option<u32>,
    /// The most one enterprise receives at this level, in fen, counting
    /// what it has received in the programme before (每家企业不超过).
    pub cap_fen: Option<i64>,
}

shuzhuan_types::code_enum! {
    /// Whether the policy's rate is what is paid or the most the city may
    /// approve.
    pub enum RateKind ("rate kind") {
        /// "不超过50%" (Xuchang, 000 item 17): the city may approve less.
        Maximum = "maximum",
        /// "按照改造投入20%补助" (Shiyan, 003): the rate is what is paid.
        Fixed = "fixed",
    }
}

#[allow(clippy::derivable_impls)] // code_enum! owns the derive list
impl Default for RateKind {
    fn default() -> Self {
        RateKind::Maximum
    }
}

shuzhuan_types::code_enum! {
    /// Who receives the money (拨付对象).
    pub enum PayeeKind ("payee kind") {
        /// The transformed enterprise (the usual case).
        Enterprise = "enterprise",
        /// Its service provider (服务商), where the city pays the provider.
        Provider = "provider",
        /// The chain master (链主企业) of a chain-led transformation.
        ChainMaster = "chain_master",
    }
}

#[allow(clippy::derivable_impls)] // code_enum! owns the derive list
impl Default for PayeeKind {
    fn default() -> Self {
        PayeeKind::Enterprise
    }
}

shuzhuan_types::code_enum! {
    /// A policy's standing: a draft for comment (征求意见稿) is quoted, but
    /// every quote under it says so.
    pub enum PolicyStatus ("policy status") {
        /// 征求意见稿: published for comment, not yet adopted.
        Draft = "draft",
        /// 正式印发: adopted and in force from its effective date.
        Adopted = "adopted",
    }
}

#[allow(clippy::derivable_impls)] // code_enum! owns the derive list
impl Default for PolicyStatus {
    fn default() -> Self {
        PolicyStatus::Adopted
    }
}

/// A band of eligible investment (投资额分档) from `from_fen` up to the
/// next band's start: its own cap on the project's subsidy and, if set, its
/// own rate in place of the level's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestmentBand {
    /// The least eligible investment in the band, fen (inclusive).
    pub from_fen: i64,
    /// The most a project in the band receives, fen.
    #[serde(default)]
    pub cap_fen: Option<i64>,
    /// The band's rate in basis points, replacing the level's.
    #[serde(default)]
    pub rate_bp: Option<u32>,
}

fn two() -> u8 {
    2
}

fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

/// One version of a programme's policy, in force from `effective_from`
/// until the day before `effective_to` (open-ended when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: i32,
    pub effective_from: NaiveDate,
    /// The first day the version is no longer valid (有效期至 the day
    /// before).
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    /// Draft (征求意见稿) or adopted.
    #[serde(default, skip_serializing_if = "is_default")]
    pub status: PolicyStatus,
    /// The document number (文号), e.g. 许政办〔2025〕12号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// The day the policy was adopted (印发日期); it may follow
    /// `effective_from` when a policy covers work begun before it was
    /// issued (Shiyan's plan, issued 2024-02-08, runs batch 1 from January).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_on: Option<NaiveDate>,
    /// Terms per acceptance level 1–4.
    pub levels: BTreeMap<u8, LevelTerms>,
    /// Fixed or maximum rates.
    #[serde(default, skip_serializing_if = "is_default")]
    pub rate_kind: RateKind,
    /// The lowest acceptance level the policy pays (2 unless it says).
    #[serde(default = "two")]
    pub min_level: u8,
    /// Below this eligible investment nothing is paid (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_investment_fen: Option<i64>,
    /// Caps (and rates) by eligible investment, ascending by `from_fen`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub investment_bands: Vec<InvestmentBand>,
    pub eligible_categories: BTreeSet<ExpenseCategory>,
    /// A cap on all an enterprise receives in the programme, if the policy
    /// sets one apart from the level caps.
    #[serde(default)]
    pub enterprise_cap_fen: Option<i64>,
    /// Who receives the transformation subsidy.
    #[serde(default, skip_serializing_if = "is_default")]
    pub payee: PayeeKind,
    /// The share paid in advance (预拨) in basis points; the rest at final
    /// settlement (清算), when a difference is paid or clawed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_allocation_bp: Option<u32>,
    #[serde(default)]
    pub awards: Vec<AwardRule>,
    /// Where the numbers come from, or why they are missing.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("levels are 1 to 4; level {0} cannot receive a subsidy")]
    LevelOutOfRange(u8),
    #[error("level {level}: a rate above 100% ({rate_bp} bp)")]
    RateAbove100 { level: u8, rate_bp: u32 },
    #[error("level {level}: a negative cap")]
    NegativeCap { level: u8 },
    #[error("effective_to must be after effective_from")]
    EmptyPeriod,
    #[error("award {code}: {what}")]
    Award { code: String, what: &'static str },
    #[error("award code {0} appears twice")]
    DuplicateAward(String),
    #[error("a negative enterprise cap")]
    NegativeEnterpriseCap,
    #[error("the lowest paid level must be 1 to 4, not {0}")]
    MinLevel(u8),
    #[error("a negative minimum investment")]
    NegativeMinimum,
    #[error("investment band {index}: {what}")]
    Band { index: usize, what: &'static str },
    #[error("the pre-allocated share must be 1 to 10000 bp")]
    PreAllocation,
}

impl PolicyError {
    /// The policy field at fault.
    pub fn field(&self) -> String {
        match self {
            PolicyError::LevelOutOfRange(l) => format!("levels.{l}"),
            PolicyError::RateAbove100 { level, .. } => format!("levels.{level}.rate_bp"),
            PolicyError::NegativeCap { level } => format!("levels.{level}.cap_fen"),
            PolicyError::EmptyPeriod => "effective_to".into(),
            PolicyError::Award { .. } | PolicyError::DuplicateAward(_) => "awards".into(),
            PolicyError::NegativeEnterpriseCap => "enterprise_cap_fen".into(),
            PolicyError::MinLevel(_) => "min_level".into(),
            PolicyError::NegativeMinimum => "min_investment_fen".into(),
            PolicyError::Band { index, .. } => format!("investment_bands.{index}"),
            PolicyError::PreAllocation => "pre_allocation_bp".into(),
        }
    }
}

impl Policy {
    /// An adopted version with no terms yet, for building one in code.
    pub fn new(version: i32, effective_from: NaiveDate) -> Policy {
        Policy {
            version,
            effective_from,
            effective_to: None,
            status: PolicyStatus::Adopted,
            document_number: None,
            adopted_on: None,
            levels: BTreeMap::new(),
            rate_kind: RateKind::Maximum,
            min_level: 2,
            min_investment_fen: None,
            investment_bands: Vec::new(),
            eligible_categories: BTreeSet::new(),
            enterprise_cap_fen: None,
            payee: PayeeKind::Enterprise,
            pre_allocation_bp: None,
            awards: Vec::new(),
            note: String::new(),
        }
    }

    /// Every rule that makes a policy payable as written.
    pub fn check(&self) -> Vec<PolicyError> {
        let mut errors = Vec::new();
        for (&level, terms) in &self.levels {
            if !(1..=4).contains(&level) {
                errors.push(PolicyError::LevelOutOfRange(level));
            }
            if let Some(rate_bp) = terms.rate_bp.filter(|r| *r > 10_000) {
                errors.push(PolicyError::RateAbove100 { level, rate_bp });
            }
            if terms.cap_fen.is_some_and(|c| c < 0) {
                errors.push(PolicyError::NegativeCap { level });
            }
        }
        if !(1..=4).contains(&self.min_level) {
            errors.push(PolicyError::MinLevel(self.min_level));
        }
        if self
            .effective_to
            .is_some_and(|to| to <= self.effective_from)
        {
            errors.push(PolicyError::EmptyPeriod);
        }
        if self.enterprise_cap_fen.is_some_and(|c| c < 0) {
            errors.push(PolicyError::NegativeEnterpriseCap);
        }
        if self.min_investment_fen.is_some_and(|m| m < 0) {
            errors.push(PolicyError::NegativeMinimum);
        }
        let mut last = None;
        for (index, b) in self.investment_bands.iter().enumerate() {
            let what = if b.from_fen < 0 {
                Some("the band starts below zero")
            } else if last.is_some_and(|l| b.from_fen <= l) {
                Some("bands must ascend by from_fen")
            } else if b.cap_fen.is_some_and(|c| c < 0) {
                Some("a negative cap")
            } else if b.rate_bp.is_some_and(|r| r > 10_000) {
                Some("a rate above 100%")
            } else if b.cap_fen.is_none() && b.rate_bp.is_none() {
                Some("a band sets a cap, a rate or both")
            } else {
                None
            };
            if let Some(what) = what {
                errors.push(PolicyError::Band { index, what });
            }
            last = Some(b.from_fen);
        }
        if self.pre_allocation_bp.is_some_and(|b| b == 0 || b > 10_000) {
            errors.push(PolicyError::PreAllocation);
        }
        let mut codes = BTreeSet::new();
        for a in &self.awards {
            if !codes.insert(a.code.as_str()) {
                errors.push(PolicyError::DuplicateAward(a.code.clone()));
            }
            if let Some(what) = a.kind.fault() {
                errors.push(PolicyError::Award {
                    code: a.code.clone(),
                    what,
                });
            }
        }
        errors
    }

    /// What bounds an enterprise's total in the programme for a subsidy at
    /// `level`: the lower of the level's cap and the programme-wide
    /// enterprise cap (none when the policy sets neither). Approval
    /// enforces it on the enterprise's ledger.
    pub fn total_cap(&self, level: u8) -> Option<i64> {
        let level_cap = self.levels.get(&level).and_then(|t| t.cap_fen);
        match (level_cap, self.enterprise_cap_fen) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The band an eligible investment falls in (the last that starts at
    /// or below it), if the policy bands investment.
    pub fn band_for(&self, eligible_fen: i64) -> Option<(usize, &InvestmentBand)> {
        self.investment_bands
            .iter()
            .enumerate()
            .rev()
            .find(|(_, b)| b.from_fen <= eligible_fen)
    }

    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.effective_from <= day && self.effective_to.is_none_or(|to| day < to)
    }
}

/// The version in force on `day`: of those in force, the latest version.
pub fn select(policies: &[Policy], day: NaiveDate) -> Option<&Policy> {
    policies
        .iter()
        .filter(|p| p.in_force_on(day))
        .max_by_key(|p| p.version)
}
