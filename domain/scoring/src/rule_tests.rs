//! The level rules of SCORING.md §3 and the answer checks, rule by rule,
//! with the exact boundaries; then properties over arbitrary answers.

use proptest::prelude::*;

use crate::catalogue::QuestionKind;
use crate::*;

fn set() -> IndicatorSet {
    builtin().remove(0)
}

/// Every question answered with its zero option, every scenario at 0.
fn zero(set: &IndicatorSet) -> Answers {
    let mut a = Answers::default();
    for q in set.questions() {
        let zero = q
            .options
            .iter()
            .find(|o| o.points == Points::ZERO)
            .expect("a zero option");
        a.answers.insert(q.code.clone(), vec![zero.code.clone()]);
    }
    for s in &set.operations.scenarios {
        a.scenarios.insert(s.code.clone(), 0);
    }
    a
}

fn with(mut a: Answers, choices: &[(&str, &[&str])], scenarios: &[(&str, i64)]) -> Answers {
    for (q, options) in choices {
        a.answers.insert(
            (*q).into(),
            options.iter().map(|o| (*o).to_owned()).collect(),
        );
    }
    for (s, level) in scenarios {
        a.scenarios.insert((*s).into(), *level);
    }
    a
}

/// S = 10 + 8 + 6 + 6 + 7 + 3 = 40 exactly.
const FORTY: &[(&str, &[&str])] = &[
    ("information_systems", &["full_coverage"]),
    (
        "network",
        &[
            "workshop_control_network",
            "application_network",
            "5g_network",
            "full_coverage",
        ],
    ),
    ("equipment_digitalisation", &["gt_60"]),
    ("equipment_networking", &["gt_60"]),
    ("green_low_carbon", &["down"]),
    ("value", &["down"]),
];

/// S = 3×1.875 + 11×0.7 + 0.9 + 3×1.25 + 10 + 4×1.5 + 6 = 39.975.
const JUST_UNDER_FORTY: &[(&str, &[&str])] = &[
    (
        "management_mechanism",
        &["workflow", "it_operations", "data_resources"],
    ),
    (
        "data_collection",
        &[
            "product_design",
            "process_design",
            "marketing",
            "after_sales",
            "planning_scheduling",
            "production_control",
            "quality",
            "equipment",
            "work_safety",
            "energy",
            "purchasing",
            "hr",
        ],
    ),
    (
        "network_security",
        &["policy", "products", "risk_assessment"],
    ),
    ("information_systems", &["full_coverage"]),
    (
        "talent",
        &[
            "digital_staff",
            "dedicated_post",
            "regular_training",
            "performance_pay",
        ],
    ),
    ("equipment_digitalisation", &["gt_60"]),
];

/// Three constraint and three guidance scenarios.
const SIX_AT_TWO: &[(&str, i64)] = &[
    ("product_design", 2),
    ("marketing", 2),
    ("production_control", 2),
    ("process_design", 2),
    ("after_sales", 2),
    ("planning_scheduling", 2),
];

fn p(t: i64) -> Points {
    Points::from_thousandths(t)
}

#[test]
fn exactly_forty_with_six_scenarios_three_constraint_is_level_two() {
    let set = set();
    let card = score(&set, &with(zero(&set), FORTY, SIX_AT_TWO)).unwrap();
    assert_eq!(card.total_points, p(40_000));
    assert_eq!(card.level.get(), 2);
    assert_eq!(
        card.scenario_counts[1],
        ScenarioCount {
            level: 2,
            scenarios: 6,
            constraint_scenarios: 3
        }
    );
    assert_eq!(card.binding_gate, Gate::Both);
    assert_eq!(
        card.next_level_gaps,
        Some(LevelGaps {
            level: 3,
            points_short: p(20_000),
            scenarios_short: 8,
            constraint_scenarios_short: 5
        })
    );
}

#[test]
fn one_of_those_constraint_scenarios_at_level_one_is_not_level_two() {
    let set = set();
    let answers = with(
        with(zero(&set), FORTY, SIX_AT_TWO),
        &[],
        &[("production_control", 1)],
    );
    let card = score(&set, &answers).unwrap();
    assert_eq!(card.level.get(), 1);
    assert_eq!(
        card.binding_gate,
        Gate::Scenarios,
        "the points would have sufficed"
    );
    assert_eq!(
        card.next_level_gaps,
        Some(LevelGaps {
            level: 2,
            points_short: p(0),
            scenarios_short: 1,
            constraint_scenarios_short: 1
        })
    );
}

#[test]
fn s_of_39_975_is_not_level_two_whatever_the_scenarios() {
    let set = set();
    let all_four: Vec<(&str, i64)> = set
        .operations
        .scenarios
        .iter()
        .map(|s| (s.code.as_str(), 4))
        .collect();
    let card = score(&set, &with(zero(&set), JUST_UNDER_FORTY, &all_four)).unwrap();
    assert_eq!(card.total_points, p(39_975));
    assert_eq!(card.level.get(), 1);
    assert_eq!(card.binding_gate, Gate::Score);
    assert_eq!(card.next_level_gaps.unwrap().points_short, p(25));
}

#[test]
fn scenarios_count_by_level_and_constraint_flag() {
    let set = set();
    // Plenty of points; only guidance scenarios: c(k) fails at every level.
    let full: Vec<(&str, &[&str])> = FORTY.iter().chain(JUST_UNDER_FORTY).copied().collect();
    let guidance: Vec<(&str, i64)> = set
        .operations
        .scenarios
        .iter()
        .filter(|s| !s.constraint)
        .map(|s| (s.code.as_str(), 4))
        .collect();
    let card = score(&set, &with(zero(&set), &full, &guidance)).unwrap();
    assert!(card.total_points >= p(60_000));
    assert_eq!(
        card.scenario_counts[3],
        ScenarioCount {
            level: 4,
            scenarios: 6,
            constraint_scenarios: 0
        }
    );
    assert_eq!(card.level.get(), 0);
    assert_eq!(card.binding_gate, Gate::Scenarios);

    // Level 4 needs ten scenarios at 4, six of them constraint, and S ≥ 80.
    let mut best = zero(&set);
    for q in set.questions() {
        let codes: Vec<String> = match q.kind {
            QuestionKind::Single => vec![
                q.options
                    .iter()
                    .max_by_key(|o| o.points)
                    .unwrap()
                    .code
                    .clone(),
            ],
            QuestionKind::Multi => q
                .options
                .iter()
                .filter(|o| !o.exclusive)
                .map(|o| o.code.clone())
                .collect(),
        };
        best.answers.insert(q.code.clone(), codes);
    }
    let constraint: Vec<&str> = set
        .operations
        .scenarios
        .iter()
        .filter(|s| s.constraint)
        .map(|s| s.code.as_str())
        .collect();
    let guidance: Vec<&str> = set
        .operations
        .scenarios
        .iter()
        .filter(|s| !s.constraint)
        .map(|s| s.code.as_str())
        .collect();
    let ten: Vec<(&str, i64)> = constraint[..6]
        .iter()
        .chain(&guidance[..4])
        .map(|c| (*c, 4))
        .collect();
    let card = score(&set, &with(best.clone(), &[], &ten)).unwrap();
    assert_eq!(card.total_points, p(100_000));
    assert_eq!(
        (card.level.get(), card.binding_gate, card.next_level_gaps),
        (4, Gate::None, None)
    );
    // Five constraint among the ten: c(4) fails, level 3 holds.
    let five: Vec<(&str, i64)> = constraint[..5]
        .iter()
        .chain(&guidance[..5])
        .map(|c| (*c, 4))
        .collect();
    let card = score(&set, &with(best, &[], &five)).unwrap();
    assert_eq!(card.level.get(), 3);
    assert_eq!(card.next_level_gaps.unwrap().constraint_scenarios_short, 1);
}

#[test]
fn with_no_points_the_level_is_zero() {
    let set = set();
    let card = score(&set, &zero(&set)).unwrap();
    assert_eq!(
        (card.total_points, card.level.get(), card.binding_gate),
        (p(0), 0, Gate::Both)
    );
}

#[test]
fn answers_that_do_not_fit_the_catalogue_are_named_each() {
    let set = set();
    let mut a = with(
        zero(&set),
        &[
            ("network", &["none", "5g_network"]),
            ("equipment_digitalisation", &["le_10", "gt_60"]),
            ("talent", &["no_such_option"]),
            ("data_security", &["policy", "policy"]),
            ("funding", &[]),
            ("favourite_colour", &["blue"]),
        ],
        &[("quality", 5), ("teleportation", 1)],
    );
    a.answers.remove("value");
    a.scenarios.remove("energy");
    let errors = score(&set, &a).unwrap_err();
    let mut seen: Vec<(String, &str)> = errors.iter().map(|e| (e.field(), e.code())).collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("answers.data_security".into(), "repeated_option"),
            (
                "answers.equipment_digitalisation".into(),
                "single_choice_with_many"
            ),
            ("answers.favourite_colour".into(), "unknown_question"),
            ("answers.funding".into(), "empty_answer"),
            ("answers.network".into(), "exclusive_option_with_others"),
            ("answers.talent".into(), "unknown_option"),
            ("answers.value".into(), "missing_answer"),
            ("scenarios.energy".into(), "missing_scenario"),
            ("scenarios.quality".into(), "scenario_level_out_of_range"),
            ("scenarios.teleportation".into(), "unknown_scenario"),
        ]
    );
    assert!(
        errors
            .iter()
            .all(|e| !e.message_zh().is_empty() && !e.to_string().is_empty())
    );
}

#[test]
fn comparison_shows_the_gain_per_dimension_and_scenario() {
    let set = set();
    let before = score(&set, &zero(&set)).unwrap();
    let after = score(&set, &with(zero(&set), FORTY, SIX_AT_TWO)).unwrap();
    let c = compare(&before, &after);
    assert_eq!(
        (c.level_before.get(), c.level_after.get(), c.level_gain),
        (0, 2, 2)
    );
    assert_eq!(c.total_points_delta, p(40_000));
    assert_eq!(c.dimension_deltas["foundation"], p(30_000));
    assert_eq!(c.dimension_deltas["results"], p(10_000));
    assert_eq!(c.scenarios_raised.len(), 6);
    assert_eq!(c.scenarios_raised["marketing"], (0, 2));
    assert_eq!(compare(&after, &before).level_gain, -2);
}

/// A question's code, kind and options (code, exclusive).
type QuestionShape = (String, QuestionKind, Vec<(String, bool)>);

/// Arbitrary valid answers: for each question an option index (single) or
/// a subset bitmask (multi, empty meaning "none"), and scenario levels.
fn arb_answers() -> impl Strategy<Value = Answers> {
    let set = set();
    let shapes: Vec<QuestionShape> = set
        .questions()
        .map(|q| {
            (
                q.code.clone(),
                q.kind,
                q.options
                    .iter()
                    .map(|o| (o.code.clone(), o.exclusive))
                    .collect(),
            )
        })
        .collect();
    let scenarios: Vec<String> = set
        .operations
        .scenarios
        .iter()
        .map(|s| s.code.clone())
        .collect();
    (
        proptest::collection::vec(any::<u32>(), shapes.len()),
        proptest::collection::vec(0i64..=4, scenarios.len()),
    )
        .prop_map(move |(picks, levels)| {
            let mut a = Answers::default();
            for ((code, kind, options), pick) in shapes.iter().zip(picks) {
                let chosen: Vec<String> = match kind {
                    QuestionKind::Single => vec![options[pick as usize % options.len()].0.clone()],
                    QuestionKind::Multi => {
                        let subset: Vec<String> = options
                            .iter()
                            .enumerate()
                            .filter(|(i, (_, exclusive))| !exclusive && pick & (1 << (i % 32)) != 0)
                            .map(|(_, (c, _))| c.clone())
                            .collect();
                        if subset.is_empty() {
                            options
                                .iter()
                                .filter(|(_, e)| *e)
                                .map(|(c, _)| c.clone())
                                .collect()
                        } else {
                            subset
                        }
                    }
                };
                a.answers.insert(code.clone(), chosen);
            }
            for (code, level) in scenarios.iter().zip(levels) {
                a.scenarios.insert(code.clone(), level);
            }
            a
        })
}

/// One answer improved: a single-choice question moved to an option worth
/// at least as much, a multi-choice question with one more option, or one
/// scenario a level higher.
fn improve(set: &IndicatorSet, a: &Answers, which: usize) -> Answers {
    let mut b = a.clone();
    let questions: Vec<_> = set.questions().collect();
    let n = questions.len() + set.operations.scenarios.len();
    let which = which % n;
    if let Some(q) = questions.get(which) {
        let current: Points = a.answers[&q.code]
            .iter()
            .map(|c| q.option(c).unwrap().points)
            .sum();
        match q.kind {
            QuestionKind::Single => {
                if let Some(better) = q
                    .options
                    .iter()
                    .filter(|o| o.points >= current)
                    .max_by_key(|o| o.points)
                {
                    b.answers.insert(q.code.clone(), vec![better.code.clone()]);
                }
            }
            QuestionKind::Multi => {
                let chosen = &a.answers[&q.code];
                if let Some(extra) = q
                    .options
                    .iter()
                    .find(|o| !o.exclusive && !chosen.contains(&o.code))
                {
                    let mut next: Vec<String> = chosen
                        .iter()
                        .filter(|c| !q.option(c).unwrap().exclusive)
                        .cloned()
                        .collect();
                    next.push(extra.code.clone());
                    b.answers.insert(q.code.clone(), next);
                }
            }
        }
    } else {
        let s = &set.operations.scenarios[which - questions.len()];
        let level = b.scenarios.get_mut(&s.code).unwrap();
        *level = (*level + 1).min(4);
    }
    b
}

proptest! {
    #[test]
    fn the_total_stays_within_0_and_100_and_dimensions_add_up(a in arb_answers()) {
        let set = set();
        let card = score(&set, &a).unwrap();
        prop_assert!(card.total_points >= Points::ZERO && card.total_points <= p(100_000));
        prop_assert_eq!(card.dimensions.iter().map(|d| d.points).sum::<Points>(), card.total_points);
        for d in &card.dimensions {
            prop_assert_eq!(d.groups.iter().map(|g| g.points).sum::<Points>(), d.points);
            prop_assert!(d.points <= d.max_points);
            for g in &d.groups {
                prop_assert_eq!(g.indicators.iter().map(|i| i.points).sum::<Points>(), g.points);
            }
        }
        // Every option is a multiple of 0.025 point, and so is the total.
        prop_assert_eq!(card.total_points.thousandths() % 25, 0);
    }

    #[test]
    fn improving_any_one_answer_never_lowers_score_or_level(a in arb_answers(), which in any::<usize>()) {
        let set = set();
        let before = score(&set, &a).unwrap();
        let after = score(&set, &improve(&set, &a, which)).unwrap();
        prop_assert!(after.total_points >= before.total_points);
        prop_assert!(after.level >= before.level);
    }

    #[test]
    fn the_level_is_the_highest_whose_three_gates_hold(a in arb_answers()) {
        let set = set();
        let card = score(&set, &a).unwrap();
        for rule in &set.levels {
            let c = card.scenario_counts[usize::from(rule.level) - 1];
            let holds = card.total_points >= rule.min_points
                && c.scenarios >= rule.min_scenarios
                && c.constraint_scenarios >= rule.min_constraint_scenarios;
            if holds {
                prop_assert!(card.level.get() >= rule.level);
            }
            if rule.level == card.level.get() {
                prop_assert!(holds);
            }
        }
    }
}
