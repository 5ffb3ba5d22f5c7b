//! A subsidy policy version (奖补政策): per acceptance level a rate and a
//! per-enterprise cap, the expense categories that count, an optional cap
//! on an enterprise's total in the programme, and award rules.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ExpenseCategory;

/// The terms for one acceptance level. `None` where the programme's rules
/// have not set them (then a quote is refused, never zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelTerms {
    /// The highest rate the city may approve, in basis points (5000 = 50%).
    pub rate_bp: Option<u32>,
    /// The most one enterprise receives at this level, in fen, counting
    /// what it has received in the programme before (每家企业不超过).
    pub cap_fen: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum AwardKind {
    /// A one-off amount (一次性奖补).
    Fixed { amount_fen: i64 },
    /// An amount per unit (e.g. per newly connected SME) up to a cap.
    PerUnit { unit_fen: i64, cap_fen: i64 },
}

/// An award a programme pays besides the transformation subsidy. (Unknown
/// fields cannot be refused here: serde does not combine that with the
/// flattened kind.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardRule {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub kind: AwardKind,
    /// The seed clause it comes from.
    #[serde(default)]
    pub source: String,
}

/// One version of a programme's policy, in force from `effective_from`
/// until the day before `effective_to` (open-ended when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: i32,
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    /// Terms per acceptance level 2, 3, 4 (level 1 never receives any).
    pub levels: BTreeMap<u8, LevelTerms>,
    pub eligible_categories: BTreeSet<ExpenseCategory>,
    /// A cap on all an enterprise receives in the programme, if the policy
    /// sets one apart from the level caps.
    #[serde(default)]
    pub enterprise_cap_fen: Option<i64>,
    #[serde(default)]
    pub awards: Vec<AwardRule>,
    /// Where the numbers come from, or why they are missing.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("levels are 2 to 4; level {0} cannot receive a subsidy")]
    LevelOutOfRange(u8),
    #[error("level {level}: a rate above 100% ({rate_bp} bp)")]
    RateAbove100 { level: u8, rate_bp: u32 },
    #[error("level {level}: a negative cap")]
    NegativeCap { level: u8 },
    #[error("effective_to must be after effective_from")]
    EmptyPeriod,
    #[error("award {0}: amounts must be positive")]
    AwardAmount(String),
    #[error("award code {0} appears twice")]
    DuplicateAward(String),
    #[error("a negative enterprise cap")]
    NegativeEnterpriseCap,
}

impl PolicyError {
    /// The policy field at fault.
    pub fn field(&self) -> String {
        match self {
            PolicyError::LevelOutOfRange(l) => format!("levels.{l}"),
            PolicyError::RateAbove100 { level, .. } => format!("levels.{level}.rate_bp"),
            PolicyError::NegativeCap { level } => format!("levels.{level}.cap_fen"),
            PolicyError::EmptyPeriod => "effective_to".into(),
            PolicyError::AwardAmount(_) | PolicyError::DuplicateAward(_) => "awards".into(),
            PolicyError::NegativeEnterpriseCap => "enterprise_cap_fen".into(),
        }
    }
}

impl Policy {
    /// Every rule that makes a policy payable as written.
    pub fn check(&self) -> Vec<PolicyError> {
        let mut errors = Vec::new();
        for (&level, terms) in &self.levels {
            if !(2..=4).contains(&level) {
                errors.push(PolicyError::LevelOutOfRange(level));
            }
            if let Some(rate_bp) = terms.rate_bp.filter(|r| *r > 10_000) {
                errors.push(PolicyError::RateAbove100 { level, rate_bp });
            }
            if terms.cap_fen.is_some_and(|c| c < 0) {
                errors.push(PolicyError::NegativeCap { level });
            }
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
        let mut codes = BTreeSet::new();
        for a in &self.awards {
            if !codes.insert(a.code.as_str()) {
                errors.push(PolicyError::DuplicateAward(a.code.clone()));
            }
            let positive = match a.kind {
                AwardKind::Fixed { amount_fen } => amount_fen > 0,
                AwardKind::PerUnit { unit_fen, cap_fen } => unit_fen > 0 && cap_fen > 0,
            };
            if !positive {
                errors.push(PolicyError::AwardAmount(a.code.clone()));
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
