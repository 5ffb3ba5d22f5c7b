//! The seed cities' funding clauses as table tests, against the policies
//! the programme packs ship (`packs/*.json`).

use chrono::NaiveDate;
use proptest::prelude::*;

use crate::*;

const YUAN: i64 = 100;

fn shipped(pack: &str) -> Policy {
    let text = match pack {
        "xuchang" => include_str!("../../../packs/xuchang.json"),
        "shiyan" => include_str!("../../../packs/shiyan.json"),
        "jinan" => include_str!("../../../packs/jinan.json"),
        "changji" => include_str!("../../../packs/changji.json"),
        "yinchuan" => include_str!("../../../packs/yinchuan.json"),
        other => panic!("no pack {other}"),
    };
    let pack: serde_json::Value = serde_json::from_str(text).unwrap();
    // Packs leave the numbering to the server: these are version 1.
    let mut spec = pack["subsidy_policies"][0].clone();
    spec["version"] = serde_json::json!(1);
    let policy: Policy = serde_json::from_value(spec).unwrap();
    assert!(policy.check().is_empty(), "{:?}", policy.check());
    policy
}

fn req(level: u8, items: &[(ExpenseCategory, i64)], received_yuan: i64) -> QuoteRequest {
    QuoteRequest {
        level,
        line_items: items
            .iter()
            .map(|&(category, y)| LineItem {
                category,
                amount_fen: y * YUAN,
            })
            .collect(),
        already_received_fen: received_yuan * YUAN,
        rate_bp: None,
        pre_allocated_fen: None,
    }
}

use ExpenseCategory::*;

/// A seed case: (clause, pack, level, line items in yuan, received yuan,
/// expected subsidy in yuan, the bound that decides it).
type SeedCase = (
    &'static str,
    &'static str,
    u8,
    &'static [(ExpenseCategory, i64)],
    i64,
    i64,
    Bound,
);

#[test]
fn the_seed_cases() {
    let cases: &[SeedCase] = &[
        (
            "000 item 17: level 3, 50% of 1,200,000 capped at 500,000",
            "xuchang",
            3,
            &[(Software, 1_200_000)],
            0,
            500_000,
            Bound::LevelCap,
        ),
        (
            "000 item 17: level 4, 50% of 1,500,000 under the 1,000,000 cap",
            "xuchang",
            4,
            &[(Software, 1_500_000)],
            0,
            750_000,
            Bound::Rate,
        ),
        (
            "000 item 17: 400,000 received leaves 100,000 at level 2",
            "xuchang",
            2,
            &[(Software, 1_000_000)],
            400_000,
            100_000,
            Bound::LevelCap,
        ),
        (
            "000 item 17: 400,000 received leaves 100,000 at level 3",
            "xuchang",
            3,
            &[(CloudService, 1_000_000)],
            400_000,
            100_000,
            Bound::LevelCap,
        ),
        (
            "000 item 17: hardware beyond gateways does not count",
            "xuchang",
            2,
            &[(Hardware, 800_000), (NetworkEquipment, 100_000)],
            0,
            50_000,
            Bound::Rate,
        ),
        (
            "003 附件1 一: level 2, 20% of 600,000",
            "shiyan",
            2,
            &[(Software, 600_000)],
            0,
            120_000,
            Bound::Rate,
        ),
        (
            "003 附件1 一: level 3, 30% of 2,000,000 capped at 400,000",
            "shiyan",
            3,
            &[(Software, 1_000_000), (Hardware, 1_000_000)],
            0,
            400_000,
            Bound::LevelCap,
        ),
        (
            "003 附件1 一: level 4 is paid as level 3 (三级及以上)",
            "shiyan",
            4,
            &[(Hardware, 500_000)],
            0,
            150_000,
            Bound::Rate,
        ),
        (
            "003 附件1 一: construction (other) does not count",
            "shiyan",
            2,
            &[(Other, 900_000)],
            0,
            0,
            Bound::Rate,
        ),
        (
            "all five seeds: level 1 receives nothing",
            "xuchang",
            1,
            &[(Software, 1_000_000)],
            0,
            0,
            Bound::Level,
        ),
    ];
    for &(clause, pack, level, items, received, expected, bound) in cases {
        let q = quote(&shipped(pack), &req(level, items, received)).unwrap();
        assert_eq!(
            (q.subsidy_fen, q.bound_by),
            (expected * YUAN, bound),
            "{clause}: {q:?}"
        );
        assert!(
            q.explanation
                .iter()
                .all(|s| !s.text.is_empty() && !s.text_zh.is_empty())
        );
        assert_eq!(
            q.explanation.last().map(|s| s.amount_fen),
            Some(q.subsidy_fen)
        );
    }
}

#[test]
fn programmes_whose_seeds_set_no_rate_refuse_to_quote() {
    for pack in ["jinan", "changji", "yinchuan"] {
        let err = quote(&shipped(pack), &req(3, &[(Software, 100_000)], 0)).unwrap_err();
        assert_eq!(
            err,
            QuoteError::NoRateForLevel {
                level: 3,
                version: 1
            },
            "{pack}"
        );
    }
    // Jinan names its eligible spending, including consulting (001 四(一)).
    assert!(shipped("jinan").eligible_categories.contains(&Consulting));
}

#[test]
fn the_city_may_approve_less_than_the_maximum_never_more() {
    let xuchang = shipped("xuchang");
    let mut r = req(2, &[(Software, 100_000)], 0);
    r.rate_bp = Some(3000);
    assert_eq!(quote(&xuchang, &r).unwrap().subsidy_fen, 30_000 * YUAN);
    r.rate_bp = Some(5001);
    assert_eq!(
        quote(&xuchang, &r).unwrap_err(),
        QuoteError::RateAboveMaximum {
            rate_bp: 5001,
            max_bp: 5000
        }
    );
}

#[test]
fn rounding_is_down_to_the_fen() {
    let shiyan = shipped("shiyan");
    let r = QuoteRequest {
        level: 2,
        line_items: vec![LineItem {
            category: Software,
            amount_fen: 12_345,
        }],
        already_received_fen: 0,
        rate_bp: None,
        pre_allocated_fen: None,
    };
    // 20% of 123.45 yuan is 24.69; of 123.49 it would be 24.698 → 24.69.
    assert_eq!(quote(&shiyan, &r).unwrap().subsidy_fen, 2_469);
    let r = QuoteRequest {
        line_items: vec![LineItem {
            category: Software,
            amount_fen: 12_349,
        }],
        ..r
    };
    assert_eq!(quote(&shiyan, &r).unwrap().subsidy_fen, 2_469);
}

#[test]
fn shiyan_awards() {
    let shiyan = shipped("shiyan");
    let rule = |code: &str| {
        shiyan
            .awards
            .iter()
            .find(|a| a.code == code)
            .unwrap()
            .clone()
    };
    let chain = rule("chain_master_connection");
    let units = |n| AwardInput {
        units: Some(n),
        ..AwardInput::default()
    };
    let none = AwardInput::default();
    assert_eq!(
        award(&chain, &units(10)).unwrap().amount_fen,
        400_000 * YUAN
    );
    let capped = award(&chain, &units(30)).unwrap();
    assert_eq!((capped.amount_fen, capped.capped), (1_000_000 * YUAN, true));
    assert_eq!(
        award(&chain, &none).unwrap_err(),
        QuoteError::Missing("units")
    );
    assert_eq!(
        award(&rule("provincial_demonstration"), &none)
            .unwrap()
            .amount_fen,
        200_000 * YUAN
    );
    assert_eq!(
        award(&rule("provincial_platform_or_chain_case"), &none)
            .unwrap()
            .amount_fen,
        200_000 * YUAN
    );
}

#[test]
fn the_version_in_force_on_a_day_is_chosen() {
    let v1 = shipped("xuchang");
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.effective_from = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    v2.levels.get_mut(&2).unwrap().rate_bp = Some(4000);
    let all = [v1.clone(), v2];
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(select(&all, day(2026, 5, 1)).map(|p| p.version), Some(1));
    assert_eq!(select(&all, day(2026, 7, 1)).map(|p| p.version), Some(2));
    assert_eq!(select(&all, day(2025, 1, 1)), None);
    let mut ended = v1;
    ended.effective_to = Some(day(2026, 1, 1));
    assert!(!ended.in_force_on(day(2026, 1, 1)));
}

#[test]
fn policies_that_cannot_be_paid_as_written_are_refused() {
    let mut p = shipped("xuchang");
    p.levels.get_mut(&3).unwrap().rate_bp = Some(12_000);
    p.levels.insert(
        1,
        LevelTerms {
            rate_bp: Some(100),
            cap_fen: Some(-1),
        },
    );
    p.levels.insert(
        5,
        LevelTerms {
            rate_bp: None,
            cap_fen: None,
        },
    );
    p.effective_to = Some(p.effective_from);
    let fields: Vec<String> = p.check().iter().map(PolicyError::field).collect();
    assert_eq!(
        fields,
        [
            "levels.1.cap_fen",
            "levels.3.rate_bp",
            "levels.5",
            "effective_to"
        ]
    );
}

#[test]
fn the_total_cap_is_the_lower_of_the_level_cap_and_the_enterprise_cap() {
    let xuchang = shipped("xuchang");
    assert_eq!(xuchang.total_cap(2), Some(500_000 * YUAN));
    assert_eq!(xuchang.total_cap(4), Some(1_000_000 * YUAN));
    assert_eq!(xuchang.total_cap(1), xuchang.enterprise_cap_fen);
    let mut capped = xuchang.clone();
    capped.enterprise_cap_fen = Some(700_000 * YUAN);
    assert_eq!(capped.total_cap(4), Some(700_000 * YUAN));
    assert_eq!(capped.total_cap(2), Some(500_000 * YUAN));
    assert_eq!(shipped("jinan").total_cap(3), None);
}

proptest! {
    /// Never more than rate × eligible, never more than the cap left, never
    /// negative; more investment never pays less.
    #[test]
    fn the_subsidy_respects_every_limit(
        level in 2u8..=4,
        amounts in proptest::collection::vec(0i64..5_000_000_000, 0..6),
        received in 0i64..200_000_000,
        extra in 0i64..1_000_000_000,
    ) {
        for pack in ["xuchang", "shiyan"] {
            let policy = shipped(pack);
            let items: Vec<LineItem> = amounts.iter().map(|&a| LineItem { category: Software, amount_fen: a }).collect();
            let r = QuoteRequest { level, line_items: items.clone(), already_received_fen: received, rate_bp: None, pre_allocated_fen: None };
            let q = quote(&policy, &r).unwrap();
            let terms = policy.levels[&level];
            prop_assert!(q.subsidy_fen >= 0);
            prop_assert!(i128::from(q.subsidy_fen) * 10_000 <= i128::from(q.eligible_fen) * i128::from(q.rate_bp));
            prop_assert!(q.subsidy_fen <= (terms.cap_fen.unwrap() - received).max(0));
            let mut more = items;
            more.push(LineItem { category: Software, amount_fen: extra });
            let q2 = quote(&policy, &QuoteRequest { line_items: more, ..r }).unwrap();
            prop_assert!(q2.subsidy_fen >= q.subsidy_fen);
        }
    }
}
