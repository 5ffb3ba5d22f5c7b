//! Awards a policy pays besides the transformation subsidy (奖励): a fixed
//! sum, a sum per unit up to a cap, a discretionary grant up to a maximum,
//! tiers keyed to a figure, a rate per period with a period cap and a
//! period count, and instalments forfeited when a condition lapses. Each
//! answer explains itself step by step in both languages; an award whose
//! inputs are missing is refused naming them, never quoted as zero.

use serde::{Deserialize, Serialize};

use crate::quote::{QuoteError, Step, bp, yuan, yuan_zh};
use crate::{PayeeKind, rate_of};

/// One tier of a tiered award: from this figure up, this amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The least figure of the tier (inclusive), in the unit the award
    /// names.
    pub from: i64,
    /// What the tier pays, fen.
    pub amount_fen: i64,
}

/// How an award's amount is found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum AwardKind {
    /// A one-off amount (一次性奖补).
    Fixed { amount_fen: i64 },
    /// An amount per unit (e.g. per newly connected SME) up to a cap.
    PerUnit { unit_fen: i64, cap_fen: i64 },
    /// A grant decided case by case, never above the maximum (最高不超过).
    UpTo { max_fen: i64 },
    /// Tiers keyed to a figure (新增产值≥5亿/10亿/… → 50/100/… 万): the
    /// highest tier the figure reaches.
    Tiered {
        /// What the figure is and its unit, as the policy writes it.
        figure: String,
        tiers: Vec<Tier>,
    },
    /// A rate of a base per period (e.g. 30% of the loan interest paid in
    /// a year), at most `period_cap_fen` a period, for at most
    /// `max_periods` periods.
    PerPeriod {
        rate_bp: u32,
        period_cap_fen: i64,
        max_periods: u32,
    },
    /// Paid in instalments (分年兑现), each only while the condition holds;
    /// once it lapses, that instalment and the rest are forfeited.
    Instalments {
        /// The amounts of the instalments in order, fen.
        amounts_fen: Vec<i64>,
        /// The condition each instalment requires, as the policy writes it.
        condition: String,
    },
}

impl AwardKind {
    /// Why the rule cannot be paid as written, if it cannot.
    pub fn fault(&self) -> Option<&'static str> {
        match self {
            AwardKind::Fixed { amount_fen } => {
                (*amount_fen <= 0).then_some("amounts must be positive")
            }
            AwardKind::PerUnit { unit_fen, cap_fen } => {
                (*unit_fen <= 0 || *cap_fen <= 0).then_some("amounts must be positive")
            }
            AwardKind::UpTo { max_fen } => (*max_fen <= 0).then_some("amounts must be positive"),
            AwardKind::Tiered { tiers, .. } => {
                if tiers.is_empty() {
                    Some("a tiered award needs tiers")
                } else if tiers.windows(2).any(|w| w[1].from <= w[0].from) {
                    Some("tiers must ascend by `from`")
                } else if tiers.iter().any(|t| t.amount_fen <= 0 || t.from < 0) {
                    Some("tier amounts must be positive and figures not negative")
                } else {
                    None
                }
            }
            AwardKind::PerPeriod {
                rate_bp,
                period_cap_fen,
                max_periods,
            } => {
                if *rate_bp == 0 || *rate_bp > 10_000 {
                    Some("the rate must be 1 to 10000 bp")
                } else if *period_cap_fen <= 0 || *max_periods == 0 {
                    Some("the period cap and the number of periods must be positive")
                } else {
                    None
                }
            }
            AwardKind::Instalments { amounts_fen, .. } => {
                if amounts_fen.is_empty() || amounts_fen.iter().any(|a| *a <= 0) {
                    Some("instalments must be positive, at least one")
                } else {
                    None
                }
            }
        }
    }
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
    /// Who receives it.
    #[serde(default)]
    pub payee: PayeeKind,
    /// The seed clause it comes from.
    #[serde(default)]
    pub source: String,
}

/// What a request for an award brings: each kind reads its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardInput {
    /// Units for a per-unit award.
    pub units: Option<i64>,
    /// The amount decided for an up-to award.
    pub decided_fen: Option<i64>,
    /// The figure a tiered award is keyed to.
    pub figure: Option<i64>,
    /// The base of each period in order (e.g. interest paid per year).
    pub period_bases_fen: Vec<i64>,
    /// Which instalment (1-based) is due.
    pub instalment: Option<u32>,
    /// Whether the instalments' condition has held through it.
    pub condition_met: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardAmount {
    pub amount_fen: i64,
    /// Whether a cap or maximum cut the amount.
    pub capped: bool,
    /// Amounts lost to a lapsed condition (instalment awards).
    pub forfeited_fen: i64,
    pub explanation: Vec<Step>,
}

fn step(rule: &'static str, text: String, text_zh: String, amount_fen: i64) -> Step {
    Step {
        rule,
        text,
        text_zh,
        amount_fen,
    }
}

/// What an award rule pays for the request's inputs.
pub fn award(rule: &AwardRule, input: &AwardInput) -> Result<AwardAmount, QuoteError> {
    let name = &rule.name;
    let one = |rule_code, text, text_zh, amount_fen| AwardAmount {
        amount_fen,
        capped: false,
        forfeited_fen: 0,
        explanation: vec![step(rule_code, text, text_zh, amount_fen)],
    };
    match &rule.kind {
        AwardKind::Fixed { amount_fen } => Ok(one(
            "fixed_award",
            format!("{name}: a one-off {}", yuan(*amount_fen)),
            format!("{name}：一次性奖补 {}", yuan_zh(*amount_fen)),
            *amount_fen,
        )),
        AwardKind::PerUnit { unit_fen, cap_fen } => {
            let units = input
                .units
                .filter(|u| *u > 0)
                .ok_or(QuoteError::Missing("units"))?;
            let full = unit_fen.checked_mul(units).ok_or(QuoteError::Overflow)?;
            let amount_fen = full.min(*cap_fen);
            Ok(AwardAmount {
                amount_fen,
                capped: amount_fen < full,
                forfeited_fen: 0,
                explanation: vec![
                    step(
                        "per_unit_award",
                        format!("{name}: {units} × {} = {}", yuan(*unit_fen), yuan(full)),
                        format!(
                            "{name}：{units} × {} = {}",
                            yuan_zh(*unit_fen),
                            yuan_zh(full)
                        ),
                        full,
                    ),
                    step(
                        "award_cap",
                        format!("capped at {}: {}", yuan(*cap_fen), yuan(amount_fen)),
                        format!("上限 {}：{}", yuan_zh(*cap_fen), yuan_zh(amount_fen)),
                        amount_fen,
                    ),
                ],
            })
        }
        AwardKind::UpTo { max_fen } => {
            let decided = input
                .decided_fen
                .ok_or(QuoteError::Missing("decided_fen"))?;
            if decided < 0 {
                return Err(QuoteError::NegativeInput("decided_fen"));
            }
            if decided > *max_fen {
                return Err(QuoteError::DecidedAboveMaximum {
                    decided_fen: decided,
                    max_fen: *max_fen,
                });
            }
            Ok(one(
                "up_to_award",
                format!(
                    "{name}: decided {} (the policy allows at most {})",
                    yuan(decided),
                    yuan(*max_fen)
                ),
                format!(
                    "{name}：核定 {}（政策最高不超过 {}）",
                    yuan_zh(decided),
                    yuan_zh(*max_fen)
                ),
                decided,
            ))
        }
        AwardKind::Tiered { figure, tiers } => {
            let value = input.figure.ok_or(QuoteError::Missing("figure"))?;
            let reached = tiers.iter().rev().find(|t| value >= t.from);
            Ok(match reached {
                Some(t) => one(
                    "tier",
                    format!(
                        "{name}: {figure} {value} reaches the tier from {}: {}",
                        t.from,
                        yuan(t.amount_fen)
                    ),
                    format!(
                        "{name}：{figure} {value}，达到 {} 档：{}",
                        t.from,
                        yuan_zh(t.amount_fen)
                    ),
                    t.amount_fen,
                ),
                None => one(
                    "below_lowest_tier",
                    format!(
                        "{name}: {figure} {value} is below the lowest tier ({}): nothing is paid",
                        tiers[0].from
                    ),
                    format!(
                        "{name}：{figure} {value}，未达到最低档（{}）：不予奖励",
                        tiers[0].from
                    ),
                    0,
                ),
            })
        }
        AwardKind::PerPeriod {
            rate_bp,
            period_cap_fen,
            max_periods,
        } => {
            if input.period_bases_fen.is_empty() {
                return Err(QuoteError::Missing("period_bases_fen"));
            }
            if input.period_bases_fen.iter().any(|b| *b < 0) {
                return Err(QuoteError::NegativeInput("period_bases_fen"));
            }
            let mut explanation = Vec::new();
            let mut total = 0i64;
            let mut capped = false;
            for (i, base) in input.period_bases_fen.iter().enumerate() {
                let n = i + 1;
                if n > *max_periods as usize {
                    explanation.push(step(
                        "beyond_max_periods",
                        format!(
                            "period {n}: beyond the {max_periods} periods the policy pays: nothing"
                        ),
                        format!("第{n}期：超过政策规定的 {max_periods} 期：不予补贴"),
                        0,
                    ));
                    continue;
                }
                let by_rate = rate_of(*base, *rate_bp)?;
                let paid = by_rate.min(*period_cap_fen);
                capped |= paid < by_rate;
                explanation.push(step(
                    "period",
                    format!(
                        "period {n}: {} of {} = {}, at most {} a period: {}",
                        bp(*rate_bp),
                        yuan(*base),
                        yuan(by_rate),
                        yuan(*period_cap_fen),
                        yuan(paid)
                    ),
                    format!(
                        "第{n}期：{} × {} = {}，每期不超过 {}：{}",
                        yuan_zh(*base),
                        bp(*rate_bp),
                        yuan_zh(by_rate),
                        yuan_zh(*period_cap_fen),
                        yuan_zh(paid)
                    ),
                    paid,
                ));
                total = total.checked_add(paid).ok_or(QuoteError::Overflow)?;
            }
            explanation.push(step(
                "award_total",
                format!("{name}: {}", yuan(total)),
                format!("{name}：合计 {}", yuan_zh(total)),
                total,
            ));
            Ok(AwardAmount {
                amount_fen: total,
                capped,
                forfeited_fen: 0,
                explanation,
            })
        }
        AwardKind::Instalments {
            amounts_fen,
            condition,
        } => {
            let count = amounts_fen.len();
            let k = input.instalment.ok_or(QuoteError::Missing("instalment"))? as usize;
            if k == 0 || k > count {
                return Err(QuoteError::InstalmentOutOfRange { count });
            }
            let held = input
                .condition_met
                .ok_or(QuoteError::Missing("condition_met"))?;
            let due = amounts_fen[k - 1];
            if held {
                Ok(one(
                    "instalment",
                    format!(
                        "{name}: instalment {k} of {count}, the condition ({condition}) holding: {}",
                        yuan(due)
                    ),
                    format!(
                        "{name}：第{k}期（共{count}期），条件（{condition}）仍满足：{}",
                        yuan_zh(due)
                    ),
                    due,
                ))
            } else {
                let lost = amounts_fen[k - 1..]
                    .iter()
                    .try_fold(0i64, |s, a| s.checked_add(*a))
                    .ok_or(QuoteError::Overflow)?;
                Ok(AwardAmount {
                    amount_fen: 0,
                    capped: false,
                    forfeited_fen: lost,
                    explanation: vec![step(
                        "forfeited",
                        format!(
                            "{name}: the condition ({condition}) lapsed before instalment {k}: it and the instalments after it, {} in all, are forfeited",
                            yuan(lost)
                        ),
                        format!(
                            "{name}：第{k}期前条件（{condition}）已不满足：该期及以后各期共 {} 不再兑现",
                            yuan_zh(lost)
                        ),
                        0,
                    )],
                })
            }
        }
    }
}
