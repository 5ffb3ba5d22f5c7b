//! Each rule kind of the policy language at its edges: below, at and above
//! every cap, band edge and minimum; each instalment and forfeiture; the
//! settlement difference both ways. The figures are real cities' (named
//! where they come from); amounts are worked out by hand in the comments.

use chrono::NaiveDate;
use proptest::prelude::*;

use crate::ExpenseCategory::Software;
use crate::*;

const YUAN: i64 = 100;
const WAN: i64 = 10_000 * YUAN;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

fn terms(rate_bp: u32, cap_fen: Option<i64>) -> LevelTerms {
    LevelTerms {
        rate_bp: Some(rate_bp),
        cap_fen,
    }
}

/// 20% at levels 2–4 of software, no caps.
fn base() -> Policy {
    let mut p = Policy::new(1, day());
    for l in 2..=4 {
        p.levels.insert(l, terms(2000, None));
    }
    p.eligible_categories.insert(Software);
    p
}

fn req(level: u8, invest_fen: i64) -> QuoteRequest {
    QuoteRequest {
        level,
        line_items: vec![LineItem {
            category: Software,
            amount_fen: invest_fen,
        }],
        already_received_fen: 0,
        rate_bp: None,
        pre_allocated_fen: None,
    }
}

fn paid(p: &Policy, r: &QuoteRequest) -> (i64, Bound) {
    let q = quote(p, r).unwrap();
    assert!(p.check().is_empty(), "{:?}", p.check());
    (q.subsidy_fen, q.bound_by)
}

#[test]
fn a_fixed_rate_is_what_is_paid_and_cannot_be_lowered() {
    // Shiyan (003): "按照改造投入20%补助".
    let mut p = base();
    p.rate_kind = RateKind::Fixed;
    let mut r = req(2, 100 * WAN);
    assert_eq!(paid(&p, &r), (20 * WAN, Bound::Rate));
    r.rate_bp = Some(2000);
    assert_eq!(paid(&p, &r), (20 * WAN, Bound::Rate));
    r.rate_bp = Some(1500);
    assert_eq!(
        quote(&p, &r).unwrap_err(),
        QuoteError::RateFixedByPolicy {
            rate_bp: 1500,
            fixed_bp: 2000
        }
    );
    let q = quote(&p, &req(2, 100 * WAN)).unwrap();
    assert!(q.explanation.iter().any(|s| s.text_zh.contains("固定比例")));
}

#[test]
fn a_maximum_rate_may_be_lowered_never_raised() {
    // Xuchang (000 item 17): "不超过50%".
    let mut p = base();
    p.levels.insert(2, terms(5000, None));
    let mut r = req(2, 100 * WAN);
    assert_eq!(paid(&p, &r).0, 50 * WAN);
    r.rate_bp = Some(3000);
    assert_eq!(paid(&p, &r).0, 30 * WAN);
    r.rate_bp = Some(5000);
    assert_eq!(paid(&p, &r).0, 50 * WAN);
    r.rate_bp = Some(5001);
    assert_eq!(
        quote(&p, &r).unwrap_err(),
        QuoteError::RateAboveMaximum {
            rate_bp: 5001,
            max_bp: 5000
        }
    );
}

#[test]
fn below_the_minimum_investment_nothing_is_paid() {
    // "项目投资额不低于50万元".
    let mut p = base();
    p.min_investment_fen = Some(50 * WAN);
    assert_eq!(
        paid(&p, &req(2, 50 * WAN - 1)),
        (0, Bound::MinimumInvestment)
    );
    assert_eq!(paid(&p, &req(2, 50 * WAN)), (10 * WAN, Bound::Rate));
    assert_eq!(paid(&p, &req(2, 50 * WAN + 5)), (10 * WAN + 1, Bound::Rate));
    let q = quote(&p, &req(2, 1)).unwrap();
    assert_eq!(q.explanation.last().unwrap().rule, "minimum_investment");
}

/// Bands from 100万 (cap 20万), 500万 (cap 80万, 25%), 1000万 (cap 150万).
fn banded() -> Policy {
    let mut p = base();
    p.investment_bands = vec![
        InvestmentBand {
            from_fen: 100 * WAN,
            cap_fen: Some(20 * WAN),
            rate_bp: None,
        },
        InvestmentBand {
            from_fen: 500 * WAN,
            cap_fen: Some(80 * WAN),
            rate_bp: Some(2500),
        },
        InvestmentBand {
            from_fen: 1000 * WAN,
            cap_fen: Some(150 * WAN),
            rate_bp: None,
        },
    ];
    p
}

#[test]
fn caps_and_rates_follow_the_investment_band() {
    let p = banded();
    // Below the first band: nothing.
    assert_eq!(
        paid(&p, &req(3, 100 * WAN - 1)),
        (0, Bound::MinimumInvestment)
    );
    // At the first band's edge: 20% of 100万 = 20万, exactly its cap.
    assert_eq!(paid(&p, &req(3, 100 * WAN)), (20 * WAN, Bound::Rate));
    // Above: 20% of 200万 = 40万, cut to the band's 20万.
    assert_eq!(paid(&p, &req(3, 200 * WAN)), (20 * WAN, Bound::BandCap));
    // One fen below the second band is still the first.
    assert_eq!(paid(&p, &req(3, 500 * WAN - 1)), (20 * WAN, Bound::BandCap));
    // At the second band: its own 25% of 500万 = 125万, cut to 80万.
    assert_eq!(paid(&p, &req(3, 500 * WAN)), (80 * WAN, Bound::BandCap));
    // Third band: the level's 20% again, 20% of 1000万 = 200万 → 150万.
    assert_eq!(paid(&p, &req(3, 1000 * WAN)), (150 * WAN, Bound::BandCap));
    // 700万 lies in the second band: 25% = 175万 → 80万.
    assert_eq!(paid(&p, &req(3, 700 * WAN)), (80 * WAN, Bound::BandCap));
}

#[test]
fn a_band_rate_serves_where_the_level_sets_none() {
    let mut p = banded();
    p.levels.clear();
    assert_eq!(paid(&p, &req(2, 500 * WAN)), (80 * WAN, Bound::BandCap));
    assert_eq!(
        quote(&p, &req(2, 100 * WAN)).unwrap_err(),
        QuoteError::NoRateForLevel {
            level: 2,
            version: 1
        }
    );
}

#[test]
fn level_and_enterprise_caps_count_what_was_received() {
    let mut p = base();
    p.levels.insert(3, terms(5000, Some(50 * WAN)));
    p.enterprise_cap_fen = Some(60 * WAN);
    // 50% of 99.99…万: just under the level cap.
    assert_eq!(
        paid(&p, &req(3, 100 * WAN - 2)),
        (50 * WAN - 1, Bound::Rate)
    );
    assert_eq!(paid(&p, &req(3, 100 * WAN)), (50 * WAN, Bound::Rate));
    assert_eq!(
        paid(&p, &req(3, 100 * WAN + 2)),
        (50 * WAN, Bound::LevelCap)
    );
    let mut r = req(3, 100 * WAN);
    r.already_received_fen = 20 * WAN;
    // Level cap leaves 30万, the enterprise cap 40万.
    assert_eq!(paid(&p, &r), (30 * WAN, Bound::LevelCap));
    p.enterprise_cap_fen = Some(45 * WAN);
    assert_eq!(paid(&p, &r), (25 * WAN, Bound::EnterpriseCap));
    r.already_received_fen = 45 * WAN;
    assert_eq!(paid(&p, &r), (0, Bound::EnterpriseCap));
}

#[test]
fn the_lowest_paid_level_is_the_policys() {
    let mut p = base();
    assert_eq!(paid(&p, &req(1, 100 * WAN)), (0, Bound::Level));
    p.min_level = 1;
    p.levels.insert(1, terms(1000, None));
    assert_eq!(paid(&p, &req(1, 100 * WAN)), (10 * WAN, Bound::Rate));
    assert_eq!(paid(&p, &req(0, 100 * WAN)), (0, Bound::Level));
    p.min_level = 3;
    assert_eq!(paid(&p, &req(2, 100 * WAN)), (0, Bound::Level));
    assert_eq!(paid(&p, &req(3, 100 * WAN)), (20 * WAN, Bound::Rate));
}

#[test]
fn pre_allocation_and_settlement_pay_or_claw_back_the_difference() {
    let mut p = base();
    p.pre_allocation_bp = Some(5000);
    let mut r = req(2, 100 * WAN + 3);
    // 20% of 1,000,000.03 yuan = 200,000.00 (0.006 fen rounds down); half
    // is advanced.
    let q = quote(&p, &r).unwrap();
    assert_eq!(q.subsidy_fen, 20 * WAN);
    assert_eq!(q.pre_allocation_fen, Some(10 * WAN));
    assert_eq!(q.settlement_fen, None);
    r.pre_allocated_fen = Some(10 * WAN);
    let q = quote(&p, &r).unwrap();
    assert_eq!(q.settlement_fen, Some(10 * WAN));
    assert_eq!(q.explanation.last().unwrap().rule, "settlement");
    r.pre_allocated_fen = Some(20 * WAN);
    assert_eq!(quote(&p, &r).unwrap().settlement_fen, Some(0));
    // Acceptance came out lower than the advance assumed: claw back.
    r.pre_allocated_fen = Some(25 * WAN);
    let q = quote(&p, &r).unwrap();
    assert_eq!(q.settlement_fen, Some(-5 * WAN));
    assert_eq!(q.explanation.last().unwrap().rule, "claw_back");
    r.pre_allocated_fen = Some(-1);
    assert_eq!(
        quote(&p, &r).unwrap_err(),
        QuoteError::NegativeInput("pre_allocated_fen")
    );
}

#[test]
fn a_draft_policy_says_so_in_every_quote() {
    let mut p = base();
    p.status = PolicyStatus::Draft;
    p.document_number = Some("征求意见稿".into());
    let q = quote(&p, &req(2, 100 * WAN)).unwrap();
    assert!(q.draft);
    assert_eq!(q.explanation[0].rule, "draft_policy");
    p.status = PolicyStatus::Adopted;
    p.document_number = Some("许政办〔2025〕12号".into());
    p.effective_to = NaiveDate::from_ymd_opt(2028, 1, 1);
    let q = quote(&p, &req(2, 100 * WAN)).unwrap();
    assert!(!q.draft);
    assert!(q.explanation[0].text_zh.contains("有效期至 2027-12-31"));
    assert!(quote(&base(), &req(2, 1)).unwrap().explanation[0].rule == "eligible_investment");
}

#[test]
fn the_payee_is_the_policys() {
    let mut p = base();
    assert_eq!(quote(&p, &req(2, 1)).unwrap().payee, PayeeKind::Enterprise);
    p.payee = PayeeKind::Provider;
    assert_eq!(quote(&p, &req(2, 1)).unwrap().payee, PayeeKind::Provider);
}

#[test]
fn policies_with_rules_that_cannot_be_paid_are_refused() {
    let mut p = banded();
    p.investment_bands[1].from_fen = 100 * WAN;
    p.investment_bands[2].cap_fen = None;
    p.investment_bands[2].rate_bp = Some(10_001);
    p.min_level = 0;
    p.min_investment_fen = Some(-1);
    p.pre_allocation_bp = Some(0);
    p.awards = vec![
        rule(AwardKind::Tiered {
            figure: "新增产值（元）".into(),
            tiers: vec![
                Tier {
                    from: 5,
                    amount_fen: 1,
                },
                Tier {
                    from: 5,
                    amount_fen: 2,
                },
            ],
        }),
        rule(AwardKind::PerPeriod {
            rate_bp: 3000,
            period_cap_fen: 1,
            max_periods: 0,
        }),
    ];
    p.awards[1].code = String::from("second");
    let fields: Vec<String> = p.check().iter().map(PolicyError::field).collect();
    assert_eq!(
        fields,
        [
            "min_level",
            "min_investment_fen",
            "investment_bands.1",
            "investment_bands.2",
            "pre_allocation_bp",
            "awards",
            "awards"
        ]
    );
}

// ---- awards ----------------------------------------------------------------

fn rule(kind: AwardKind) -> AwardRule {
    AwardRule {
        code: String::from("award"),
        name: "奖励".into(),
        kind,
        payee: PayeeKind::Enterprise,
        source: String::new(),
    }
}

#[test]
fn an_up_to_award_pays_the_decided_amount_never_above_its_maximum() {
    // "最高不超过300万元".
    let r = rule(AwardKind::UpTo { max_fen: 300 * WAN });
    let decided = |d| {
        award(
            &r,
            &AwardInput {
                decided_fen: Some(d),
                ..AwardInput::default()
            },
        )
    };
    assert_eq!(decided(300 * WAN - 1).unwrap().amount_fen, 300 * WAN - 1);
    assert_eq!(decided(300 * WAN).unwrap().amount_fen, 300 * WAN);
    assert_eq!(
        decided(300 * WAN + 1).unwrap_err(),
        QuoteError::DecidedAboveMaximum {
            decided_fen: 300 * WAN + 1,
            max_fen: 300 * WAN
        }
    );
    assert_eq!(
        decided(-1).unwrap_err(),
        QuoteError::NegativeInput("decided_fen")
    );
    assert_eq!(
        award(&r, &AwardInput::default()).unwrap_err(),
        QuoteError::Missing("decided_fen")
    );
}

/// New output ≥5亿/10亿/30亿/50亿 (in 万元) → 50/100/200/300万.
fn tiered() -> AwardRule {
    rule(AwardKind::Tiered {
        figure: "新增产值（万元）".into(),
        tiers: vec![
            Tier {
                from: 50_000,
                amount_fen: 50 * WAN,
            },
            Tier {
                from: 100_000,
                amount_fen: 100 * WAN,
            },
            Tier {
                from: 300_000,
                amount_fen: 200 * WAN,
            },
            Tier {
                from: 500_000,
                amount_fen: 300 * WAN,
            },
        ],
    })
}

fn tier_paid(figure: i64) -> i64 {
    award(
        &tiered(),
        &AwardInput {
            figure: Some(figure),
            ..AwardInput::default()
        },
    )
    .unwrap()
    .amount_fen
}

#[test]
fn a_tiered_award_pays_the_highest_tier_reached() {
    assert_eq!(tier_paid(49_999), 0);
    assert_eq!(tier_paid(50_000), 50 * WAN);
    assert_eq!(tier_paid(99_999), 50 * WAN);
    assert_eq!(tier_paid(100_000), 100 * WAN);
    assert_eq!(tier_paid(299_999), 100 * WAN);
    assert_eq!(tier_paid(300_000), 200 * WAN);
    assert_eq!(tier_paid(500_000), 300 * WAN);
    assert_eq!(tier_paid(9_000_000), 300 * WAN);
    assert_eq!(
        award(&tiered(), &AwardInput::default()).unwrap_err(),
        QuoteError::Missing("figure")
    );
}

/// Loan interest: 30% of the interest paid, at most 100万 a year, for at
/// most 3 years.
fn interest() -> AwardRule {
    rule(AwardKind::PerPeriod {
        rate_bp: 3000,
        period_cap_fen: 100 * WAN,
        max_periods: 3,
    })
}

fn periods(bases: &[i64]) -> AwardAmount {
    award(
        &interest(),
        &AwardInput {
            period_bases_fen: bases.to_vec(),
            ..AwardInput::default()
        },
    )
    .unwrap()
}

#[test]
fn a_per_period_award_caps_each_period_and_counts_periods() {
    // 30% of 333.33万 = 99.999万: below the cap.
    let below = 3_333_333 * YUAN;
    assert_eq!(periods(&[below]).amount_fen, 99_999_990);
    assert!(!periods(&[below]).capped);
    // At: 30% of 3,333,333.34 yuan rounds down to exactly the 100万 cap.
    let at = periods(&[333_333_334]);
    assert_eq!((at.amount_fen, at.capped), (100 * WAN, false));
    assert_eq!(periods(&[400 * WAN]).amount_fen, 100 * WAN);
    assert!(periods(&[400 * WAN]).capped);
    // Three years paid; the fourth is beyond the count.
    let four = periods(&[100 * WAN, 400 * WAN, 200 * WAN, 300 * WAN]);
    assert_eq!(four.amount_fen, 30 * WAN + 100 * WAN + 60 * WAN);
    assert!(
        four.explanation
            .iter()
            .any(|s| s.rule == "beyond_max_periods")
    );
    assert_eq!(
        award(&interest(), &AwardInput::default()).unwrap_err(),
        QuoteError::Missing("period_bases_fen")
    );
}

/// 入规 60万 paid 10/20/30万 over three years while the firm stays 规上.
fn instalments() -> AwardRule {
    rule(AwardKind::Instalments {
        amounts_fen: vec![10 * WAN, 20 * WAN, 30 * WAN],
        condition: "保持规上企业".into(),
    })
}

fn instalment(k: u32, held: bool) -> Result<AwardAmount, QuoteError> {
    award(
        &instalments(),
        &AwardInput {
            instalment: Some(k),
            condition_met: Some(held),
            ..AwardInput::default()
        },
    )
}

#[test]
fn instalments_are_paid_each_in_turn_and_forfeited_when_the_condition_lapses() {
    assert_eq!(instalment(1, true).unwrap().amount_fen, 10 * WAN);
    assert_eq!(instalment(2, true).unwrap().amount_fen, 20 * WAN);
    assert_eq!(instalment(3, true).unwrap().amount_fen, 30 * WAN);
    let lapsed = instalment(2, false).unwrap();
    assert_eq!((lapsed.amount_fen, lapsed.forfeited_fen), (0, 50 * WAN));
    assert_eq!(instalment(3, false).unwrap().forfeited_fen, 30 * WAN);
    assert_eq!(
        instalment(4, true).unwrap_err(),
        QuoteError::InstalmentOutOfRange { count: 3 }
    );
    assert_eq!(
        instalment(0, true).unwrap_err(),
        QuoteError::InstalmentOutOfRange { count: 3 }
    );
    assert_eq!(
        award(
            &instalments(),
            &AwardInput {
                instalment: Some(1),
                ..AwardInput::default()
            }
        )
        .unwrap_err(),
        QuoteError::Missing("condition_met")
    );
}

#[test]
fn the_policy_language_reads_and_writes_as_json() {
    let text = serde_json::json!({
        "version": 1, "effective_from": "2026-01-01", "levels": {},
        "eligible_categories": ["software"], "rate_kind": "fixed",
        "investment_bands": [{"from_fen": 0, "cap_fen": 100}],
        "awards": [
            {"code": "t", "name": "n", "type": "tiered", "figure": "f", "tiers": [{"from": 1, "amount_fen": 2}]},
            {"code": "i", "name": "n", "type": "instalments", "amounts_fen": [1, 2], "condition": "c", "payee": "chain_master"}
        ]
    });
    let p: Policy = serde_json::from_value(text).unwrap();
    assert_eq!(p.rate_kind, RateKind::Fixed);
    assert_eq!(p.min_level, 2);
    assert_eq!(p.awards[1].payee, PayeeKind::ChainMaster);
    let back: Policy = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(back, p);
}

proptest! {
    /// Banded quotes never exceed the band's cap or rate × investment, and
    /// the settlement is exactly the subsidy less the advance.
    #[test]
    fn banded_quotes_and_settlements_hold(
        invest in 0i64..5_000_000_000,
        advanced in 0i64..200_000_000,
        share in 1u32..=10_000,
    ) {
        let mut p = banded();
        p.pre_allocation_bp = Some(share);
        let mut r = req(3, invest);
        r.pre_allocated_fen = Some(advanced);
        let q = quote(&p, &r).unwrap();
        prop_assert!(q.subsidy_fen >= 0);
        if let Some((_, b)) = p.band_for(invest) {
            prop_assert!(q.subsidy_fen <= b.cap_fen.unwrap());
        } else {
            prop_assert_eq!(q.subsidy_fen, 0);
        }
        prop_assert!(i128::from(q.subsidy_fen) * 10_000 <= i128::from(invest) * i128::from(q.rate_bp.max(1)) || q.subsidy_fen == 0);
        prop_assert_eq!(q.settlement_fen, Some(q.subsidy_fen - advanced));
        if q.subsidy_fen > 0 {
            prop_assert!(q.pre_allocation_fen.unwrap() <= q.subsidy_fen);
        }
    }

    /// A tier never pays less for a larger figure; per-period totals never
    /// exceed the period cap times the periods paid.
    #[test]
    fn tiers_are_monotone_and_periods_capped(
        a in -1_000i64..1_000_000,
        b in -1_000i64..1_000_000,
        bases in proptest::collection::vec(0i64..2_000_000_000, 1..6),
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(tier_paid(lo) <= tier_paid(hi));
        let total = periods(&bases).amount_fen;
        let n = i64::try_from(bases.len().min(3)).unwrap();
        prop_assert!(total <= 100 * WAN * n);
        prop_assert!(total >= 0);
    }
}
