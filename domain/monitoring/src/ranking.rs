//! The provider ranking and evaluation (赛马, 服务商绩效评价): admitted
//! providers ordered by a score built from what their projects show in a
//! period.
//!
//! score (0–100) = 20 × contracts / (most contracts of any provider)
//!               + 25 × (first-try acceptances + ½ × acceptances after
//!                       rectification) / contracts   (at most 25)
//!               + 20 × (mean satisfaction − 1) / 4   (0 without ratings)
//!               + 10 × (mean level gain, at most 2) / 2   (0 without one)
//!               + 10 × on-time acceptances / acceptances passed
//!               + 15 × (1 − red projects / active projects)   (15 without active ones)
//!               − 5 × adverse spot-check findings,   never below 0
//!
//! Contracts are the provider's projects whose plan the city approved in
//! the period; an acceptance passes at first try when no acceptance of the
//! project failed before it (else it passed after rectification); on time
//! when it passed by the plan's end date; the level gain is the accepted
//! level less the diagnosed one; active projects are its projects under
//! monitoring (applied, not yet paid, withdrawn or disqualified); a project
//! is red when one of its own indicators is red (not the provider-load
//! indicator, which is the provider's red share itself); a finding is
//! adverse unless compliant. A provider without any project is listed
//! unranked, with no score. Ties go to more contracts, then to the
//! provider id. Each component is shown so a provider can see what to
//! improve.

use serde::{Deserialize, Serialize};

/// What the data says of one provider in one programme and period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderRecord {
    pub provider_id: String,
    /// Every project naming the provider, in any state.
    pub projects: i64,
    /// Projects whose plan (contract) was approved with this provider.
    pub contracts: i64,
    /// Acceptances passed at the first evaluation.
    pub acceptances_first_try: i64,
    /// Acceptances passed after a failed one and rectification.
    pub acceptances_after_rectification: i64,
    pub ratings: i64,
    /// Mean satisfaction, 1–5, when rated.
    pub mean_satisfaction: Option<f64>,
    /// Mean of accepted less diagnosed level over the acceptances with both.
    pub mean_level_gain: Option<f64>,
    /// Acceptances passed by the plan's end date.
    pub on_time: i64,
    /// Spot-check findings other than compliant against its projects.
    pub adverse_findings: i64,
    /// Subsidy paid to its clients for its projects, fen.
    pub subsidy_paid_fen: i64,
    pub active_projects: i64,
    pub red_projects: i64,
}

impl ProviderRecord {
    pub fn acceptances_passed(&self) -> i64 {
        self.acceptances_first_try + self.acceptances_after_rectification
    }
}

/// A provider's place and score with its components.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// The place, or None for a provider without projects (unranked).
    pub rank: Option<usize>,
    pub record: ProviderRecord,
    pub score: f64,
    pub contracts_points: f64,
    pub acceptance_points: f64,
    pub satisfaction_points: f64,
    pub gain_points: f64,
    pub on_time_points: f64,
    pub red_points: f64,
    /// Taken off for adverse findings.
    pub findings_penalty: f64,
}

fn ratio(a: f64, b: i64) -> f64 {
    if b <= 0 { 0.0 } else { a / b as f64 }
}

/// Two decimals, as shown.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn score(r: ProviderRecord, most: i64) -> Ranked {
    let contracts_points = round2(20.0 * ratio(r.contracts as f64, most));
    let credited = r.acceptances_first_try as f64 + 0.5 * r.acceptances_after_rectification as f64;
    let acceptance_points = round2(25.0 * ratio(credited, r.contracts).min(1.0));
    let satisfaction_points = round2(
        r.mean_satisfaction
            .map_or(0.0, |m| 20.0 * ((m - 1.0) / 4.0).clamp(0.0, 1.0)),
    );
    let gain_points = round2(
        r.mean_level_gain
            .map_or(0.0, |g| 10.0 * (g / 2.0).clamp(0.0, 1.0)),
    );
    let on_time_points = round2(10.0 * ratio(r.on_time as f64, r.acceptances_passed()).min(1.0));
    let red_points = if r.active_projects > 0 {
        round2(15.0 * (1.0 - ratio(r.red_projects as f64, r.active_projects)))
    } else {
        15.0
    };
    let findings_penalty = 5.0 * r.adverse_findings as f64;
    let sum = contracts_points
        + acceptance_points
        + satisfaction_points
        + gain_points
        + on_time_points
        + red_points;
    Ranked {
        rank: None,
        score: round2((sum - findings_penalty).max(0.0)),
        record: r,
        contracts_points,
        acceptance_points,
        satisfaction_points,
        gain_points,
        on_time_points,
        red_points,
        findings_penalty,
    }
}

pub fn rank(records: Vec<ProviderRecord>) -> Vec<Ranked> {
    let (with, mut without): (Vec<_>, Vec<_>) = records.into_iter().partition(|r| r.projects > 0);
    let most = with.iter().map(|r| r.contracts).max().unwrap_or(0);
    let mut scored: Vec<Ranked> = with.into_iter().map(|r| score(r, most)).collect();
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.record.contracts.cmp(&a.record.contracts))
            .then(a.record.provider_id.cmp(&b.record.provider_id))
    });
    for (i, r) in scored.iter_mut().enumerate() {
        r.rank = Some(i + 1);
    }
    without.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
    scored.extend(without.into_iter().map(|record| Ranked {
        rank: None,
        record,
        score: 0.0,
        contracts_points: 0.0,
        acceptance_points: 0.0,
        satisfaction_points: 0.0,
        gain_points: 0.0,
        on_time_points: 0.0,
        red_points: 0.0,
        findings_penalty: 0.0,
    }));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(
        id: &str,
        contracts: i64,
        passed: i64,
        mean: Option<f64>,
        active: i64,
        red: i64,
    ) -> ProviderRecord {
        ProviderRecord {
            provider_id: id.into(),
            projects: contracts.max(active),
            contracts,
            acceptances_first_try: passed,
            ratings: i64::from(mean.is_some()),
            mean_satisfaction: mean,
            active_projects: active,
            red_projects: red,
            ..ProviderRecord::default()
        }
    }

    fn parts(r: &Ranked) -> [f64; 7] {
        [
            r.contracts_points,
            r.acceptance_points,
            r.satisfaction_points,
            r.gain_points,
            r.on_time_points,
            r.red_points,
            r.findings_penalty,
        ]
    }

    #[test]
    fn components_add_up_as_documented() {
        let out = rank(vec![
            rec("a", 10, 5, Some(5.0), 4, 1),
            rec("b", 5, 5, Some(3.0), 0, 0),
        ]);
        let a = out
            .iter()
            .find(|r| r.record.provider_id == "a")
            .unwrap_or_else(|| panic!("a"));
        assert_eq!(parts(a), [20.0, 12.5, 20.0, 0.0, 0.0, 11.25, 0.0]);
        assert_eq!(a.score, 63.75);
        let b = out
            .iter()
            .find(|r| r.record.provider_id == "b")
            .unwrap_or_else(|| panic!("b"));
        assert_eq!(parts(b), [10.0, 25.0, 10.0, 0.0, 0.0, 15.0, 0.0]);
        assert_eq!(b.score, 60.0);
        assert_eq!((out[0].rank, out[1].rank), (Some(1), Some(2)));
    }

    /// A small programme counted by hand: 4 contracts; 2 acceptances at
    /// first try and 1 after rectification (25 × 2.5 / 4 = 15.625 →
    /// 15.63); gains 1, 2 and 0 (mean 1 → 5 points); 2 of 3 on time
    /// (6.67); satisfaction 4 (15); no active projects (15); one adverse
    /// finding (−5).
    #[test]
    fn rectification_gain_on_time_and_findings_count_as_documented() {
        let r = ProviderRecord {
            provider_id: "p".into(),
            projects: 4,
            contracts: 4,
            acceptances_first_try: 2,
            acceptances_after_rectification: 1,
            ratings: 3,
            mean_satisfaction: Some(4.0),
            mean_level_gain: Some(1.0),
            on_time: 2,
            adverse_findings: 1,
            subsidy_paid_fen: 3_000_000,
            active_projects: 0,
            red_projects: 0,
        };
        let out = rank(vec![r]);
        assert_eq!(parts(&out[0]), [20.0, 15.63, 15.0, 5.0, 6.67, 15.0, 5.0]);
        assert_eq!(out[0].score, 72.3);
    }

    #[test]
    fn findings_never_take_the_score_below_zero() {
        let mut r = rec("p", 1, 0, None, 1, 1);
        r.adverse_findings = 10;
        assert_eq!(rank(vec![r])[0].score, 0.0);
    }

    #[test]
    fn ties_go_to_more_contracts_then_the_id() {
        let mut b = rec("b", 0, 0, None, 0, 0);
        let mut a = rec("a", 0, 0, None, 0, 0);
        (a.projects, b.projects) = (1, 1);
        let out = rank(vec![b, a]);
        assert_eq!(out[0].record.provider_id, "a");
    }

    /// Issue 22: a provider without projects has no place and no points
    /// (it used to get the red points for nothing).
    #[test]
    fn a_provider_without_projects_is_unranked() {
        let out = rank(vec![
            rec("idle", 0, 0, None, 0, 0),
            rec("busy", 1, 0, None, 1, 1),
        ]);
        assert_eq!(out[0].record.provider_id, "busy");
        assert_eq!((out[0].rank, out[0].red_points), (Some(1), 0.0));
        assert_eq!((out[1].rank, out[1].score), (None, 0.0));
    }

    proptest! {
        #[test]
        fn scores_stay_within_0_and_100_and_are_ordered(
            rows in proptest::collection::vec((0i64..50, 0i64..50, proptest::option::of(1.0f64..=5.0), 0i64..30, 0i64..30, 0i64..4, proptest::option::of(-1.0f64..4.0)), 0..20)
        ) {
            let records = rows.iter().enumerate().map(|(i, (c, p, m, a, r, f, g))| {
                let mut rec = rec(&format!("p{i}"), *c, (*p).min(*c), *m, *a, (*r).min(*a));
                rec.adverse_findings = *f;
                rec.mean_level_gain = *g;
                rec.on_time = rec.acceptances_first_try / 2;
                rec
            }).collect();
            let out = rank(records);
            for w in out.windows(2) {
                prop_assert!(w[0].score >= w[1].score);
            }
            for r in &out {
                prop_assert!((0.0..=100.0).contains(&r.score));
            }
        }
    }
}
