//! What a policy pays for a transformation: subsidy = min(rate × eligible
//! investment, band cap, level cap − already received, enterprise cap −
//! already received), rounded down to the fen; nothing below the policy's
//! lowest paid level or its minimum investment. The rate comes from the
//! investment band when the band sets one, else from the level; a fixed
//! rate is what is paid, a maximum rate may be lowered by the city. With a
//! pre-allocated share the quote also says what is advanced and, given
//! what was advanced, what final settlement pays or claws back.

use serde::{Deserialize, Serialize};

use crate::{ExpenseCategory, PayeeKind, Policy, PolicyStatus, RateKind};

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
    /// What was pre-allocated (预拨) for this project, for the settlement.
    pub pre_allocated_fen: Option<i64>,
}

/// Which limit decided the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Below the policy's lowest paid level: nothing is paid.
    Level,
    /// Below the policy's minimum eligible investment: nothing is paid.
    MinimumInvestment,
    /// Rate × eligible investment.
    Rate,
    /// The investment band's cap on a project.
    BandCap,
    /// The level's per-enterprise cap, less what was received before.
    LevelCap,
    /// The policy's cap on an enterprise's total, less what was received.
    EnterpriseCap,
}

impl Bound {
    pub fn code(self) -> &'static str {
        match self {
            Bound::Level => "level",
            Bound::MinimumInvestment => "minimum_investment",
            Bound::Rate => "rate",
            Bound::BandCap => "band_cap",
            Bound::LevelCap => "level_cap",
            Bound::EnterpriseCap => "enterprise_cap",
        }
    }

    pub const ALL: [Bound; 6] = [
        Bound::Level,
        Bound::MinimumInvestment,
        Bound::Rate,
        Bound::BandCap,
        Bound::LevelCap,
        Bound::EnterpriseCap,
    ];
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
    /// The policy is a draft for comment: the quote is indicative.
    pub draft: bool,
    pub payee: PayeeKind,
    /// What is advanced before final settlement, when the policy
    /// pre-allocates.
    pub pre_allocation_fen: Option<i64>,
    /// Final settlement against what was pre-allocated: positive is paid,
    /// negative is clawed back.
    pub settlement_fen: Option<i64>,
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
    #[error("the policy fixes the rate at {fixed_bp} bp; {rate_bp} bp cannot be approved")]
    RateFixedByPolicy { rate_bp: u32, fixed_bp: u32 },
    #[error("{0} must not be negative")]
    NegativeInput(&'static str),
    #[error("the amounts are too large to add up")]
    Overflow,
    #[error("this award needs `{0}`")]
    Missing(&'static str),
    #[error("the amount decided, {decided_fen} fen, is above the award's maximum of {max_fen} fen")]
    DecidedAboveMaximum { decided_fen: i64, max_fen: i64 },
    #[error("the award is paid in {count} instalments: name one of 1 to {count}")]
    InstalmentOutOfRange { count: usize },
}

/// Fen as yuan with two decimals, signed.
fn amount(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

pub(crate) fn yuan(fen: i64) -> String {
    format!("{} yuan", amount(fen))
}

pub(crate) fn yuan_zh(fen: i64) -> String {
    format!("{} 元", amount(fen))
}

pub(crate) fn bp(rate: u32) -> String {
    format!("{}.{:02}%", rate / 100, rate % 100)
}

/// `rate_bp` of `base_fen`, rounded down to the fen.
pub fn rate_of(base_fen: i64, rate_bp: u32) -> Result<i64, QuoteError> {
    i64::try_from(i128::from(base_fen) * i128::from(rate_bp) / 10_000)
        .map_err(|_| QuoteError::Overflow)
}

/// A quote that pays nothing, with why.
fn nothing(
    policy: &Policy,
    eligible_fen: i64,
    bound_by: Bound,
    mut explanation: Vec<Step>,
    why: Step,
) -> Quote {
    explanation.push(why);
    Quote {
        subsidy_fen: 0,
        eligible_fen,
        rate_bp: 0,
        cap_fen: None,
        bound_by,
        policy_version: policy.version,
        draft: policy.status == PolicyStatus::Draft,
        payee: policy.payee,
        pre_allocation_fen: None,
        settlement_fen: None,
        explanation,
    }
}

/// The policy's standing, as the first step of an explanation under a
/// draft or a policy with a document number.
fn standing(policy: &Policy) -> Option<Step> {
    if policy.status == PolicyStatus::Adopted && policy.document_number.is_none() {
        return None;
    }
    let v = policy.version;
    let (number, number_zh) = match policy.document_number.as_deref() {
        Some(n) => (format!(" ({n})"), format!("（{n}）")),
        None => Default::default(),
    };
    let (valid, valid_zh) = match policy.effective_to.and_then(|d| d.pred_opt()) {
        Some(d) => (format!(", valid to {d}"), format!("，有效期至 {d}")),
        None => Default::default(),
    };
    Some(match policy.status {
        PolicyStatus::Draft => Step {
            rule: "draft_policy",
            text: format!(
                "Policy v{v}{number} is a draft for comment: this quote is indicative until it is adopted"
            ),
            text_zh: format!("政策第{v}版{number_zh}为征求意见稿：本测算仅供参考，以正式印发为准"),
            amount_fen: 0,
        },
        PolicyStatus::Adopted => Step {
            rule: "policy",
            text: format!(
                "Policy v{v}{number}, in force from {}{valid}",
                policy.effective_from
            ),
            text_zh: format!(
                "政策第{v}版{number_zh}，自 {} 起施行{valid_zh}",
                policy.effective_from
            ),
            amount_fen: 0,
        },
    })
}

/// Quotes the transformation subsidy under `policy`, settled against what
/// was pre-allocated when the request says (a project that ends up with
/// nothing has its whole advance clawed back).
pub fn quote(policy: &Policy, req: &QuoteRequest) -> Result<Quote, QuoteError> {
    let mut q = subsidy(policy, req)?;
    if let Some(advanced) = req.pre_allocated_fen {
        let (subsidy, difference) = (q.subsidy_fen, q.subsidy_fen - advanced);
        q.explanation.push(if difference >= 0 {
            Step {
                rule: "settlement",
                text: format!(
                    "Final settlement: {} less {} pre-allocated: pay {}",
                    yuan(subsidy),
                    yuan(advanced),
                    yuan(difference)
                ),
                text_zh: format!(
                    "清算：{} 减去已预拨 {}，应补拨 {}",
                    yuan_zh(subsidy),
                    yuan_zh(advanced),
                    yuan_zh(difference)
                ),
                amount_fen: difference,
            }
        } else {
            Step {
                rule: "claw_back",
                text: format!(
                    "Final settlement: {} pre-allocated exceeds the subsidy of {}: claw back {}",
                    yuan(advanced),
                    yuan(subsidy),
                    yuan(-difference)
                ),
                text_zh: format!(
                    "清算：已预拨 {} 超过应补贴 {}，应收回 {}",
                    yuan_zh(advanced),
                    yuan_zh(subsidy),
                    yuan_zh(-difference)
                ),
                amount_fen: difference,
            }
        });
        q.settlement_fen = Some(difference);
    }
    Ok(q)
}

/// The subsidy itself, before any settlement.
fn subsidy(policy: &Policy, req: &QuoteRequest) -> Result<Quote, QuoteError> {
    if req.level > 4 {
        return Err(QuoteError::LevelOutOfRange(req.level));
    }
    if req.already_received_fen < 0 {
        return Err(QuoteError::NegativeInput("already_received_fen"));
    }
    if req.pre_allocated_fen.is_some_and(|p| p < 0) {
        return Err(QuoteError::NegativeInput("pre_allocated_fen"));
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
    let mut explanation: Vec<Step> = standing(policy).into_iter().collect();
    explanation.push(Step {
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
    });
    let min_level = policy.min_level;
    if req.level < min_level {
        let why = Step {
            rule: "minimum_level",
            text: format!(
                "Level {} is below level {min_level}, the lowest the policy pays: no subsidy",
                req.level
            ),
            text_zh: format!(
                "数字化水平 {} 级，未达到政策补贴的最低等级 {min_level} 级：不予补贴",
                req.level
            ),
            amount_fen: 0,
        };
        return Ok(nothing(
            policy,
            eligible_fen,
            Bound::Level,
            explanation,
            why,
        ));
    }
    // Below the policy's minimum investment, or below its lowest band,
    // nothing is paid.
    let floors = [
        policy
            .min_investment_fen
            .map(|m| (m, "the policy's minimum of", "政策规定的最低投资额")),
        policy.investment_bands.first().map(|b| {
            (
                b.from_fen,
                "the lowest investment band, from",
                "最低投资档起点",
            )
        }),
    ];
    if let Some((min, what, what_zh)) = floors
        .into_iter()
        .flatten()
        .find(|(m, ..)| eligible_fen < *m)
    {
        let why = Step {
            rule: "minimum_investment",
            text: format!(
                "Eligible investment {} is below {what} {}: no subsidy",
                yuan(eligible_fen),
                yuan(min)
            ),
            text_zh: format!(
                "计入投资 {} 低于{what_zh} {}：不予补贴",
                yuan_zh(eligible_fen),
                yuan_zh(min)
            ),
            amount_fen: 0,
        };
        return Ok(nothing(
            policy,
            eligible_fen,
            Bound::MinimumInvestment,
            explanation,
            why,
        ));
    }
    let band = policy.band_for(eligible_fen);
    let terms = policy.levels.get(&req.level).copied();
    let level_rate = terms.and_then(|t| t.rate_bp);
    let (policy_bp, rate_source, rate_source_zh) =
        match band.and_then(|(i, b)| b.rate_bp.map(|r| (i, r))) {
            Some((i, r)) => (
                r,
                format!(
                    "investment band {} (from {})",
                    i + 1,
                    yuan(policy.investment_bands[i].from_fen)
                ),
                format!(
                    "投资第{}档（{} 起）",
                    i + 1,
                    yuan_zh(policy.investment_bands[i].from_fen)
                ),
            ),
            None => (
                level_rate.ok_or(QuoteError::NoRateForLevel {
                    level: req.level,
                    version: v,
                })?,
                format!("level {}", req.level),
                format!("{} 级", req.level),
            ),
        };
    let rate_bp = match (policy.rate_kind, req.rate_bp) {
        (RateKind::Fixed, Some(r)) if r != policy_bp => {
            return Err(QuoteError::RateFixedByPolicy {
                rate_bp: r,
                fixed_bp: policy_bp,
            });
        }
        (RateKind::Maximum, Some(r)) if r > policy_bp => {
            return Err(QuoteError::RateAboveMaximum {
                rate_bp: r,
                max_bp: policy_bp,
            });
        }
        (_, Some(r)) => r,
        (_, None) => policy_bp,
    };
    let kind = match policy.rate_kind {
        RateKind::Fixed => ("the fixed rate", "固定比例"),
        RateKind::Maximum if rate_bp < policy_bp => ("the approved rate", "核定比例"),
        RateKind::Maximum => ("the maximum rate", "最高比例"),
    };
    let by_rate = rate_of(eligible_fen, rate_bp)?;
    explanation.push(Step {
        rule: "rate",
        text: format!(
            "{rate_source}, {} {}: {} of {} = {} (rounded down to the fen)",
            kind.0,
            bp(rate_bp),
            bp(rate_bp),
            yuan(eligible_fen),
            yuan(by_rate)
        ),
        text_zh: format!(
            "{rate_source_zh}，{}{}：{} × {} = {}（向下取整到分）",
            kind.1,
            bp(rate_bp),
            yuan_zh(eligible_fen),
            bp(rate_bp),
            yuan_zh(by_rate)
        ),
        amount_fen: by_rate,
    });
    let mut subsidy = by_rate;
    let mut bound_by = Bound::Rate;
    if let Some((i, cap)) = band.and_then(|(i, b)| b.cap_fen.map(|c| (i, c))) {
        explanation.push(Step {
            rule: "band_cap",
            text: format!("Investment band {} caps a project at {}", i + 1, yuan(cap)),
            text_zh: format!("投资第{}档每个项目补贴上限 {}", i + 1, yuan_zh(cap)),
            amount_fen: cap,
        });
        if cap < subsidy {
            subsidy = cap;
            bound_by = Bound::BandCap;
        }
    }
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
        terms.and_then(|t| t.cap_fen),
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
    let pre_allocation_fen = match policy.pre_allocation_bp {
        Some(share) => {
            let advance = rate_of(subsidy, share)?;
            explanation.push(Step {
                rule: "pre_allocation",
                text: format!(
                    "Pre-allocated {} of it: {}; the rest at final settlement",
                    bp(share),
                    yuan(advance)
                ),
                text_zh: format!("预拨 {}：{}，余款清算时拨付", bp(share), yuan_zh(advance)),
                amount_fen: advance,
            });
            Some(advance)
        }
        None => None,
    };
    Ok(Quote {
        subsidy_fen: subsidy,
        eligible_fen,
        rate_bp,
        cap_fen: terms.and_then(|t| t.cap_fen),
        bound_by,
        policy_version: v,
        draft: policy.status == PolicyStatus::Draft,
        payee: policy.payee,
        pre_allocation_fen,
        settlement_fen: None,
        explanation,
    })
}
