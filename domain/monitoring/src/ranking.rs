//! The provider ranking (赛马): admitted providers ordered by a score built
//! from what their projects show.
//!
//! score (0–100) = 30 × contracts / (most contracts of any provider)
//!               + 30 × acceptances passed / contracts
//!               + 30 × (mean satisfaction − 1) / 4   (0 without ratings)
//!               + 10 × (1 − red projects / active projects)   (10 without active ones)
//!
//! Contracts are the provider's projects whose plan was approved (the
//! city's approval moved them to implementing); active projects are its
//! projects under monitoring (applied, not yet paid, withdrawn or
//! disqualified); a project is red when one of its own indicators is red
//! (not the provider-load indicator, which is the provider's red share
//! itself). A provider without any project is listed unranked, with no
//! score. Ties go to more contracts, then to the provider id. Each
//! component is shown so a provider can see what to improve.

use serde::{Deserialize, Serialize};

/// What the data says of one provider in one programme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderRecord {
    pub provider_id: String,
    /// Every project naming the provider, in any state.
    pub projects: i64,
    /// Projects whose plan (contract) was filed with this provider.
    pub contracts: i64,
    pub acceptances_passed: i64,
    pub ratings: i64,
    /// Mean satisfaction, 1–5, when rated.
    pub mean_satisfaction: Option<f64>,
    pub active_projects: i64,
    pub red_projects: i64,
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
    pub red_points: f64,
}

fn ratio(a: i64, b: i64) -> f64 {
    if b <= 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Two decimals, as shown.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn rank(records: Vec<ProviderRecord>) -> Vec<Ranked> {
    let (with, mut without): (Vec<_>, Vec<_>) = records.into_iter().partition(|r| r.projects > 0);
    let most = with.iter().map(|r| r.contracts).max().unwrap_or(0);
    let mut scored: Vec<Ranked> = with
        .into_iter()
        .map(|r| {
            let contracts_points = round2(30.0 * ratio(r.contracts, most));
            let acceptance_points =
                round2(30.0 * ratio(r.acceptances_passed, r.contracts).min(1.0));
            let satisfaction_points = round2(
                r.mean_satisfaction
                    .map_or(0.0, |m| 30.0 * ((m - 1.0) / 4.0).clamp(0.0, 1.0)),
            );
            let red_points = if r.active_projects > 0 {
                round2(10.0 * (1.0 - ratio(r.red_projects, r.active_projects)))
            } else {
                10.0
            };
            Ranked {
                rank: None,
                score: round2(
                    contracts_points + acceptance_points + satisfaction_points + red_points,
                ),
                record: r,
                contracts_points,
                acceptance_points,
                satisfaction_points,
                red_points,
            }
        })
        .collect();
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
        red_points: 0.0,
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
            acceptances_passed: passed,
            ratings: i64::from(mean.is_some()),
            mean_satisfaction: mean,
            active_projects: active,
            red_projects: red,
        }
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
        assert_eq!(
            (
                a.contracts_points,
                a.acceptance_points,
                a.satisfaction_points,
                a.red_points
            ),
            (30.0, 15.0, 30.0, 7.5)
        );
        assert_eq!(a.score, 82.5);
        let b = &out[1];
        assert_eq!(
            (
                b.contracts_points,
                b.acceptance_points,
                b.satisfaction_points,
                b.red_points
            ),
            (15.0, 30.0, 15.0, 10.0)
        );
        assert_eq!(b.score, 70.0);
        assert_eq!((out[0].rank, out[1].rank), (Some(1), Some(2)));
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
    /// (it used to get the 10 red points for nothing).
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
            rows in proptest::collection::vec((0i64..50, 0i64..50, proptest::option::of(1.0f64..=5.0), 0i64..30, 0i64..30), 0..20)
        ) {
            let records = rows.iter().enumerate().map(|(i, (c, p, m, a, r))| rec(&format!("p{i}"), *c, (*p).min(*c), *m, *a, (*r).min(*a))).collect();
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
