//! What a policy pays: the transformation subsidy for a level and audited
//! line items, and awards. subsidy = min(rate × eligible investment,
//! level cap − already received, enterprise cap − already received),
//! rounded down to the fen; level 1 or a failed acceptance gets nothing.

use serde::{Deserialize, Serialize};

use crate::{AwardKind, AwardRule, ExpenseCategory, Policy};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    pub category: ExpenseCategory,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRequest {
    /// The acceptance level 0–4.
    pub level: u8,
    pub line_items: Vec<LineItem>,
    /// What the enterprise has received in the programme already.
    pub already_received_fen: i64,
    /// A rate the city approves below the policy's maximum, if any.
    pub rate_bp: Option<u32>,
}

/// Which limit decided the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Below level 2: nothing is paid.
    Level,
    /// Rate × eligible investment.
    Rate,
    /// The level's per-enterprise cap, less what was received before.
    LevelCap,
    /// The policy's cap on an enterprise's total, less what was received.
    EnterpriseCap,
}

/// One step of the explanation, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub rule: &'static str,
    pub text: String,
    pub text_zh: String,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub subsidy_fen: i64,
    pub eligible_fen: i64,
    pub rate_bp: u32,
    /// The level's cap (null when the policy sets none).
    pub cap_fen: Option<i64>,
    pub bound_by: Bound,
    pub policy_version: i32,
    pub explanation: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("policy version {version} sets no rate for level {level}")]
    NoRateForLevel { level: u8, version: i32 },
    #[error("a level is 0 to 4, not {0}")]
    LevelOutOfRange(u8),
    #[error("line item {index}: the amount must not be negative")]
    NegativeAmount { index: usize },
    #[error("the rate {rate_bp} bp exceeds the policy's maximum of {max_bp} bp")]
    RateAboveMaximum { rate_bp: u32, max_bp: u32 },
    #[error("already received must not be negative")]
    NegativeReceived,
    #[error("the amounts are too large to add up")]
    Overflow,
    #[error("units must be positive for a per-unit award")]
    UnitsRequired,
}

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02} yuan", f / 100, f % 100)
}

fn yuan_zh(fen: i64) -> String {
    let f = fen.unsigned_abs();
    format!(
        "{}{}.{:02} 元",
        if fen < 0 { "-" } else { "" },
        f / 100,
        f % 100
    )
}

fn bp(rate: u32) -> String {
    format!("{}.{:02}%", rate / 100, rate % 100)
}

/// Quotes the transformation subsidy under `policy`.
pub fn quote(policy: &Policy, req: &QuoteRequest) -> Result<Quote, QuoteError> {
    if req.level > 4 {
        return Err(QuoteError::LevelOutOfRange(req.level));
    }
    if req.already_received_fen < 0 {
        return Err(QuoteError::NegativeReceived);
    }
    if let Some(index) = req.line_items.iter().position(|l| l.amount_fen < 0) {
        return Err(QuoteError::NegativeAmount { index });
    }
    let v = policy.version;
    let eligible_fen = req
        .line_items
        .iter()
        .filter(|l| policy.eligible_categories.contains(&l.category))
        .try_fold(0i64, |sum, l| sum.checked_add(l.amount_fen))
        .ok_or(QuoteError::Overflow)?;
    let mut explanation = vec![Step {
        rule: "eligible_investment",
        text: format!(
            "Policy v{v}: line items in eligible categories ({}) add up to {}",
            policy
                .eligible_categories
                .iter()
                .map(|c| c.code())
                .collect::<Vec<_>>()
                .join(", "),
            yuan(eligible_fen)
        ),
        text_zh: format!("政策第{v}版：计入类别的支出合计 {}", yuan_zh(eligible_fen)),
        amount_fen: eligible_fen,
    }];
    if req.level < 2 {
        explanation.push(Step {
            rule: "minimum_level",
            text: format!("Level {} is below level 2: no subsidy", req.level),
            text_zh: format!("数字化水平 {} 级，未达到二级：不予补贴", req.level),
            amount_fen: 0,
        });
        return Ok(Quote {
            subsidy_fen: 0,
            eligible_fen,
            rate_bp: 0,
            cap_fen: None,
            bound_by: Bound::Level,
            policy_version: v,
            explanation,
        });
    }
    let terms = policy
        .levels
        .get(&req.level)
        .copied()
        .unwrap_or(crate::LevelTerms {
            rate_bp: None,
            cap_fen: None,
        });
    let max_bp = terms.rate_bp.ok_or(QuoteError::NoRateForLevel {
        level: req.level,
        version: v,
    })?;
    let rate_bp = match req.rate_bp {
        Some(r) if r > max_bp => return Err(QuoteError::RateAboveMaximum { rate_bp: r, max_bp }),
        Some(r) => r,
        None => max_bp,
    };
    let by_rate = i64::try_from(i128::from(eligible_fen) * i128::from(rate_bp) / 10_000)
        .map_err(|_| QuoteError::Overflow)?;
    explanation.push(Step {
        rule: "rate",
        text: format!(
            "Level {}: {} of {} = {} (rounded down to the fen)",
            req.level,
            bp(rate_bp),
            yuan(eligible_fen),
            yuan(by_rate)
        ),
        text_zh: format!(
            "{} 级：{} × {} = {}（向下取整到分）",
            req.level,
            yuan_zh(eligible_fen),
            bp(rate_bp),
            yuan_zh(by_rate)
        ),
        amount_fen: by_rate,
    });
    let mut subsidy = by_rate;
    let mut bound_by = Bound::Rate;
    let received = req.already_received_fen;
    let mut limit =
        |cap: Option<i64>, bound: Bound, rule: &'static str, what: &str, what_zh: &str| {
            if let Some(cap) = cap {
                let room = (cap - received).max(0);
                explanation.push(Step {
                    rule,
                    text: format!(
                        "{what} {} less {} already received leaves {}",
                        yuan(cap),
                        yuan(received),
                        yuan(room)
                    ),
                    text_zh: format!(
                        "{what_zh} {} 减去已获补贴 {}，剩余 {}",
                        yuan_zh(cap),
                        yuan_zh(received),
                        yuan_zh(room)
                    ),
                    amount_fen: room,
                });
                if room < subsidy {
                    subsidy = room;
                    bound_by = bound;
                }
            }
        };
    limit(
        terms.cap_fen,
        Bound::LevelCap,
        "level_cap",
        &format!("Level {} caps an enterprise at", req.level),
        &format!("{} 级每家企业补贴上限", req.level),
    );
    limit(
        policy.enterprise_cap_fen,
        Bound::EnterpriseCap,
        "enterprise_cap",
        "The programme caps an enterprise's total at",
        "试点期每家企业补贴总额上限",
    );
    explanation.push(Step {
        rule: "subsidy",
        text: format!("Subsidy: {}", yuan(subsidy)),
        text_zh: format!("补贴金额：{}", yuan_zh(subsidy)),
        amount_fen: subsidy,
    });
    Ok(Quote {
        subsidy_fen: subsidy,
        eligible_fen,
        rate_bp,
        cap_fen: terms.cap_fen,
        bound_by,
        policy_version: v,
        explanation,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardAmount {
    pub amount_fen: i64,
    /// Whether the cap cut a per-unit award.
    pub capped: bool,
    pub explanation: Vec<Step>,
}

/// What an award rule pays for `units` (per-unit awards) or once.
pub fn award(rule: &AwardRule, units: Option<i64>) -> Result<AwardAmount, QuoteError> {
    match rule.kind {
        AwardKind::Fixed { amount_fen } => Ok(AwardAmount {
            amount_fen,
            capped: false,
            explanation: vec![Step {
                rule: "fixed_award",
                text: format!("{}: a one-off {}", rule.name, yuan(amount_fen)),
                text_zh: format!("{}：一次性奖补 {}", rule.name, yuan_zh(amount_fen)),
                amount_fen,
            }],
        }),
        AwardKind::PerUnit { unit_fen, cap_fen } => {
            let units = units.filter(|u| *u > 0).ok_or(QuoteError::UnitsRequired)?;
            let full = unit_fen.checked_mul(units).ok_or(QuoteError::Overflow)?;
            let amount_fen = full.min(cap_fen);
            Ok(AwardAmount {
                amount_fen,
                capped: amount_fen < full,
                explanation: vec![
                    Step {
                        rule: "per_unit_award",
                        text: format!(
                            "{}: {units} × {} = {}",
                            rule.name,
                            yuan(unit_fen),
                            yuan(full)
                        ),
                        text_zh: format!(
                            "{}：{units} × {} = {}",
                            rule.name,
                            yuan_zh(unit_fen),
                            yuan_zh(full)
                        ),
                        amount_fen: full,
                    },
                    Step {
                        rule: "award_cap",
                        text: format!("capped at {}: {}", yuan(cap_fen), yuan(amount_fen)),
                        text_zh: format!("上限 {}：{}", yuan_zh(cap_fen), yuan_zh(amount_fen)),
                        amount_fen,
                    },
                ],
            })
        }
    }
}
