//! The dashboard's actuals: each metric computed from what the data holds,
//! for a year (that year alone, or up to its end for cumulative targets),
//! an industry and a region; and the colour of actual against target.
//!
//! Project metrics follow the project's milestones (submitted, diagnosed,
//! contract approved, accepted, subsidy approved) and its enterprise.
//! Provider, product, benchmark and finance-product metrics are counted
//! for the whole programme (a region or industry filter does not narrow
//! them); events narrow by region.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use shuzhuan_lifecycle::BenchmarkKind as B;
use shuzhuan_types::ProviderKind;

use crate::colour::{Colour, Thresholds, elapsed_pct};
use crate::supervision::EventKind;
use crate::targets::Metric;

/// The dashboard's filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub year: Option<i32>,
    pub industry: Option<String>,
    pub region: Option<String>,
}

shuzhuan_types::code_enum! {
    /// A step of a project's way the metrics count, in the order a
    /// project reaches them.
    pub enum Milestone ("milestone") {
        Submitted = "submitted",
        Diagnosed = "diagnosed",
        /// The city approved the plan and its contract.
        Contracted = "contracted",
        Accepted = "accepted",
        SubsidyApproved = "subsidy_approved",
    }
}

/// A project as the metrics see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRecord {
    pub enterprise_id: String,
    pub region: String,
    pub batch: String,
    pub industry: Option<String>,
    pub above_size: bool,
    pub specialised: bool,
    pub little_giant: bool,
    pub innovative: bool,
    /// The enterprise uses the cloud (上云用云, from the registry).
    pub cloud_adopted: bool,
    /// Not withdrawn or disqualified.
    pub active: bool,
    pub milestones: Vec<(Milestone, NaiveDate)>,
    /// The level the (last) acceptance found.
    pub level_after: Option<i32>,
    pub subsidy_fen: Option<i64>,
    pub disbursed_fen: i64,
}

/// Everything else the metrics count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    pub projects: Vec<ProjectRecord>,
    /// Admitted providers: (kind, local).
    pub providers: Vec<(ProviderKind, bool)>,
    pub listed_products: i64,
    /// Awarded benchmarks: (kind, year).
    pub benchmarks: Vec<(B, i32)>,
    /// Events: (kind, held on, region, certified talent).
    pub events: Vec<(EventKind, NaiveDate, Option<String>, i64)>,
    pub finance_products: Vec<NaiveDate>,
    /// From the registry, already narrowed by region and industry.
    pub cloud_adopters: i64,
    /// Specialised SMEs (专精特新) the registry holds in the programme,
    /// narrowed alike: the base of their inclusion share.
    pub specialised_registered: i64,
}

impl ProjectRecord {
    /// The day it first reached `m`.
    pub fn reached_on(&self, m: Milestone) -> Option<NaiveDate> {
        self.milestones
            .iter()
            .filter(|(got, _)| *got == m)
            .map(|(_, on)| *on)
            .min()
    }

    /// Whether it matches the dashboard's region and industry filter.
    pub fn in_scope(&self, f: &Filter) -> bool {
        self.matches(f)
    }
}

impl Records {
    /// What the records held at the end of `day`: milestones, events,
    /// finance products and awards dated later left out (the registry,
    /// pool and library counts have no dates and stay as they are).
    pub fn as_of(&self, day: NaiveDate) -> Records {
        Records {
            projects: self
                .projects
                .iter()
                .map(|p| ProjectRecord {
                    milestones: p
                        .milestones
                        .iter()
                        .filter(|(_, on)| *on <= day)
                        .copied()
                        .collect(),
                    ..p.clone()
                })
                .collect(),
            benchmarks: self
                .benchmarks
                .iter()
                .filter(|(_, year)| *year <= day.year())
                .copied()
                .collect(),
            events: self
                .events
                .iter()
                .filter(|(_, on, ..)| *on <= day)
                .cloned()
                .collect(),
            finance_products: self
                .finance_products
                .iter()
                .filter(|on| **on <= day)
                .copied()
                .collect(),
            ..self.clone()
        }
    }
}

/// Whether `date` counts for the filter's year.
fn in_window(date: NaiveDate, year: Option<i32>, cumulative: bool) -> bool {
    match year {
        None => true,
        Some(y) if cumulative => date.year() <= y,
        Some(y) => date.year() == y,
    }
}

impl ProjectRecord {
    fn reached(&self, m: Milestone, year: Option<i32>, cumulative: bool) -> bool {
        self.milestones
            .iter()
            .any(|(got, on)| *got == m && in_window(*on, year, cumulative))
    }

    fn matches(&self, f: &Filter) -> bool {
        f.region.as_ref().is_none_or(|r| *r == self.region)
            && f.industry
                .as_ref()
                .is_none_or(|i| Some(i) == self.industry.as_ref())
    }
}

fn distinct<'a>(projects: impl Iterator<Item = &'a ProjectRecord>) -> i64 {
    projects
        .map(|p| p.enterprise_id.as_str())
        .collect::<BTreeSet<_>>()
        .len() as i64
}

/// The latest acceptance level per enterprise within the window.
fn levels<'a>(
    projects: &[&'a ProjectRecord],
    year: Option<i32>,
    cumulative: bool,
) -> BTreeMap<&'a str, i32> {
    let mut latest: BTreeMap<&str, (NaiveDate, i32)> = BTreeMap::new();
    for p in projects {
        let Some(level) = p.level_after else { continue };
        for (m, on) in &p.milestones {
            if *m == Milestone::Accepted && in_window(*on, year, cumulative) {
                let e = latest.entry(&p.enterprise_id).or_insert((*on, level));
                if *on >= e.0 {
                    *e = (*on, level);
                }
            }
        }
    }
    latest.into_iter().map(|(k, (_, l))| (k, l)).collect()
}

/// Share in basis points of the pilot enterprises selected by `size` whose
/// latest level is at least `level` (everything up to the year's end).
fn level_share(
    projects: &[&ProjectRecord],
    year: Option<i32>,
    above_size: bool,
    level: i32,
) -> i64 {
    group_share(projects, year, |p| p.above_size == above_size, level)
}

/// The share of a group's pilot enterprises (those `of` picks) that reached
/// `level`, in basis points.
fn group_share(
    projects: &[&ProjectRecord],
    year: Option<i32>,
    of: impl Fn(&ProjectRecord) -> bool,
    level: i32,
) -> i64 {
    let pilots: BTreeSet<&str> = projects
        .iter()
        .filter(|p| p.active && of(p) && p.reached(Milestone::Submitted, year, true))
        .map(|p| p.enterprise_id.as_str())
        .collect();
    if pilots.is_empty() {
        return 0;
    }
    let reached = levels(projects, year, true)
        .into_iter()
        .filter(|(e, l)| *l >= level && pilots.contains(e))
        .count();
    i64::try_from(reached * 10_000 / pilots.len()).unwrap_or(0)
}

fn awarded(r: &Records, kinds: &[B], year: Option<i32>, cumulative: bool) -> i64 {
    r.benchmarks
        .iter()
        .filter(|(k, y)| {
            kinds.contains(k) && year.is_none_or(|fy| if cumulative { *y <= fy } else { *y == fy })
        })
        .count() as i64
}

/// Benchmark kinds that name enterprises or their cases (标杆企业、项目).
const ENTERPRISE_BENCHMARKS: [B; 7] = [
    B::LittleLighthouse,
    B::SmartFactory,
    B::DigitalWorkshop,
    B::Level4Enterprise,
    B::ChainCase,
    B::ClusterCase,
    B::BeltAndRoadCase,
];

/// The metric's actual, or None where the data holds nothing for it (it
/// is then recorded by hand on the target).
pub fn actual(metric: Metric, r: &Records, f: &Filter, cumulative: bool) -> Option<i64> {
    let year = f.year;
    let scoped: Vec<&ProjectRecord> = r.projects.iter().filter(|p| p.matches(f)).collect();
    let reached = |m: Milestone| {
        scoped
            .iter()
            .copied()
            .filter(move |p| p.active && p.reached(m, year, cumulative))
    };
    let transformed = || reached(Milestone::Accepted);
    let events = |kinds: &[EventKind]| {
        r.events
            .iter()
            .filter(|(k, on, region, _)| {
                kinds.contains(k)
                    && in_window(*on, year, cumulative)
                    && f.region
                        .as_ref()
                        .is_none_or(|fr| Some(fr) == region.as_ref())
            })
            .map(|(_, _, _, certified)| *certified)
            .collect::<Vec<_>>()
    };
    use Metric as M;
    let value = match metric {
        M::EnterprisesTransformed => distinct(transformed()),
        M::EnterprisesDiagnosed => distinct(reached(Milestone::Diagnosed)),
        M::EnterprisesContracted => distinct(reached(Milestone::Contracted)),
        M::PilotEnterprises => distinct(reached(Milestone::Submitted)),
        M::PilotEnterprisesAboveSize => {
            distinct(reached(Milestone::Submitted).filter(|p| p.above_size))
        }
        M::PilotEnterprisesBelowSize => {
            distinct(reached(Milestone::Submitted).filter(|p| !p.above_size))
        }
        M::PilotProjects => reached(Milestone::Submitted).count() as i64,
        M::AboveSizeLevel2Share => level_share(&scoped, year, true, 2),
        M::AboveSizeLevel3Share => level_share(&scoped, year, true, 3),
        M::BelowSizeLevel2Share => level_share(&scoped, year, false, 2),
        M::AboveSizeLevel2Enterprises => {
            let above: Vec<&ProjectRecord> =
                scoped.iter().copied().filter(|p| p.above_size).collect();
            levels(&above, year, cumulative)
                .values()
                .filter(|l| **l >= 2)
                .count() as i64
        }
        M::Level4Enterprises => levels(&scoped, year, cumulative)
            .values()
            .filter(|l| **l >= 4)
            .count() as i64,
        M::SpecialisedEnterprisesTransformed => distinct(transformed().filter(|p| p.specialised)),
        M::LittleGiantsTransformed => distinct(transformed().filter(|p| p.little_giant)),
        M::InnovativeEnterprisesTransformed => {
            distinct(transformed().filter(|p| p.innovative || p.specialised || p.little_giant))
        }
        M::CloudAdopters => r.cloud_adopters,
        M::Products => r.listed_products,
        M::Providers => r.providers.len() as i64,
        M::ComprehensiveProviders => r
            .providers
            .iter()
            .filter(|(k, _)| *k == ProviderKind::Comprehensive)
            .count() as i64,
        M::ScenarioProviders => r
            .providers
            .iter()
            .filter(|(k, _)| *k == ProviderKind::Scenario)
            .count() as i64,
        M::LocalProviders => r.providers.iter().filter(|(_, local)| *local).count() as i64,
        M::SmartFactories => awarded(r, &[B::SmartFactory, B::DigitalWorkshop], year, cumulative),
        M::LittleLighthouses => awarded(r, &[B::LittleLighthouse], year, cumulative),
        M::ChainCases => awarded(r, &[B::ChainCase], year, cumulative),
        M::ClusterCases => awarded(r, &[B::ClusterCase], year, cumulative),
        M::BeltAndRoadCases => awarded(r, &[B::BeltAndRoadCase], year, cumulative),
        M::ExcellentProviders => awarded(r, &[B::ExcellentProvider], year, cumulative),
        M::ExcellentProducts => awarded(r, &[B::ExcellentProduct], year, cumulative),
        M::BenchmarkEnterprises => awarded(r, &ENTERPRISE_BENCHMARKS, year, cumulative),
        M::Events => events(&[EventKind::Matchmaking, EventKind::Exchange]).len() as i64,
        M::Trainings => events(&[EventKind::Training]).len() as i64,
        M::CertifiedTalent => events(&[
            EventKind::Matchmaking,
            EventKind::Exchange,
            EventKind::Training,
        ])
        .iter()
        .sum(),
        M::FinanceProducts => r
            .finance_products
            .iter()
            .filter(|on| in_window(**on, year, cumulative))
            .count() as i64,
        M::SubsidyCommitted => reached(Milestone::SubsidyApproved)
            .filter_map(|p| p.subsidy_fen)
            .sum(),
        M::SubsidyDisbursed => reached(Milestone::SubsidyApproved)
            .map(|p| p.disbursed_fen)
            .sum(),
        M::SubsidySecured => return None,
        M::ProvincialDemonstrations => awarded(r, &[B::ProvincialDemonstration], year, cumulative),
        M::SmartFactoriesAndLighthouses => {
            awarded(r, &[B::SmartFactory, B::LittleLighthouse], year, cumulative)
        }
        M::MatchmakingEvents => events(&[EventKind::Matchmaking]).len() as i64,
        // Reported by the city: nothing in Shuzhuan's data counts them.
        M::SupplyListings | M::BaseStations5g | M::FullConnectionFactories5g => return None,
        M::SpecialisedIncludedShare => {
            let included = distinct(reached(Milestone::Submitted).filter(|p| p.specialised));
            if r.specialised_registered == 0 {
                return None;
            }
            included.saturating_mul(10_000) / r.specialised_registered
        }
        M::LittleGiantsLevel2Share => {
            let giants: Vec<&ProjectRecord> =
                scoped.iter().copied().filter(|p| p.little_giant).collect();
            group_share(&giants, year, |_| true, 2)
        }
        M::CloudAdoptionShare => {
            let pilots: BTreeSet<&str> = reached(Milestone::Submitted)
                .map(|p| p.enterprise_id.as_str())
                .collect();
            let on_cloud: BTreeSet<&str> = reached(Milestone::Submitted)
                .filter(|p| p.cloud_adopted)
                .map(|p| p.enterprise_id.as_str())
                .collect();
            if pilots.is_empty() {
                0
            } else {
                i64::try_from(on_cloud.len() * 10_000 / pilots.len()).unwrap_or(0)
            }
        }
    };
    Some(value)
}

/// How far along a target should be today, in percent: the elapsed share
/// of its year (or, for a cumulative or whole-programme target, of the
/// programme from its start to the end of that year or of the programme).
pub fn expected_pct(
    year: Option<i32>,
    cumulative: bool,
    programme: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> i64 {
    let (start, end) = match year {
        None => programme,
        Some(y) => {
            let first = NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(programme.0);
            let last = NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(programme.1);
            if cumulative {
                (programme.0.min(first), last)
            } else {
                (first, last)
            }
        }
    };
    elapsed_pct(start, end, today)
}

/// Actual against target: the share reached (basis points, may exceed
/// 10,000) and its colour by the programme's pace thresholds.
pub fn assess(target: i64, actual: i64, expected_pct: i64, t: &Thresholds) -> (i64, Colour) {
    let share_bp = if target <= 0 {
        10_000
    } else {
        actual.saturating_mul(10_000) / target
    };
    let reached_pct = (share_bp / 100).min(100);
    (share_bp, t.lag(expected_pct - reached_pct))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn project(
        e: &str,
        region: &str,
        above: bool,
        accepted: Option<(NaiveDate, i32)>,
    ) -> ProjectRecord {
        let mut milestones = vec![(Milestone::Submitted, d(2025, 3, 1))];
        if let Some((on, _)) = accepted {
            milestones.push((Milestone::Accepted, on));
        }
        ProjectRecord {
            enterprise_id: e.into(),
            region: region.into(),
            above_size: above,
            active: true,
            milestones,
            level_after: accepted.map(|(_, l)| l),
            ..ProjectRecord::default()
        }
    }

    /// Changji's 100% goals (002 一) and Xuchang's 上云用云全覆盖 (000 二).
    #[test]
    fn share_goals_count_their_own_group() {
        let mut a = project("a", "r1", true, Some((d(2026, 5, 1), 2)));
        a.little_giant = true;
        a.specialised = true;
        a.cloud_adopted = true;
        let mut b = project("b", "r1", false, Some((d(2026, 5, 1), 1)));
        b.little_giant = true;
        b.specialised = true;
        let c = project("c", "r1", false, None);
        let r = Records {
            projects: vec![a, b, c],
            specialised_registered: 4,
            ..Records::default()
        };
        let all = Filter::default();
        // Little giants a (level 2) and b (level 1): half.
        assert_eq!(
            actual(Metric::LittleGiantsLevel2Share, &r, &all, false),
            Some(5000)
        );
        // One of three pilot enterprises on the cloud.
        assert_eq!(
            actual(Metric::CloudAdoptionShare, &r, &all, false),
            Some(3333)
        );
        // Two of the four specialised SMEs the registry holds take part.
        assert_eq!(
            actual(Metric::SpecialisedIncludedShare, &r, &all, false),
            Some(5000)
        );
        let none = Records::default();
        assert_eq!(
            actual(Metric::SpecialisedIncludedShare, &none, &all, false),
            None
        );
        assert_eq!(actual(Metric::BaseStations5g, &r, &all, false), None);
    }

    #[test]
    fn transformed_counts_by_year_region_and_cumulatively() {
        let r = Records {
            projects: vec![
                project("a", "r1", true, Some((d(2026, 5, 1), 2))),
                project("b", "r1", true, Some((d(2027, 5, 1), 3))),
                project("c", "r2", false, Some((d(2026, 7, 1), 1))),
                project("d", "r2", true, None),
            ],
            ..Records::default()
        };
        let f = |year, region: Option<&str>| Filter {
            year,
            region: region.map(str::to_owned),
            industry: None,
        };
        let m = Metric::EnterprisesTransformed;
        assert_eq!(actual(m, &r, &f(None, None), false), Some(3));
        assert_eq!(actual(m, &r, &f(Some(2026), None), false), Some(2));
        assert_eq!(actual(m, &r, &f(Some(2027), None), true), Some(3));
        assert_eq!(actual(m, &r, &f(None, Some("r2")), false), Some(1));
        // Above-size pilots a, b, d: a and b at level ≥ 2 by 2027, a alone in 2026.
        assert_eq!(
            actual(Metric::AboveSizeLevel2Share, &r, &f(None, None), false),
            Some(6666)
        );
        assert_eq!(
            actual(
                Metric::AboveSizeLevel2Share,
                &r,
                &f(Some(2026), None),
                false
            ),
            Some(3333)
        );
        assert_eq!(
            actual(Metric::AboveSizeLevel3Share, &r, &f(None, None), false),
            Some(3333)
        );
        assert_eq!(
            actual(Metric::BelowSizeLevel2Share, &r, &f(None, None), false),
            Some(0)
        );
        assert_eq!(
            actual(Metric::PilotProjects, &r, &f(None, None), false),
            Some(4)
        );
        assert_eq!(
            actual(Metric::SubsidySecured, &r, &f(None, None), false),
            None
        );
    }

    #[test]
    fn pace_and_colour() {
        let programme = (d(2025, 1, 1), d(2027, 12, 31));
        assert_eq!(
            expected_pct(Some(2026), false, programme, d(2026, 7, 2)),
            50
        );
        assert_eq!(
            expected_pct(Some(2025), false, programme, d(2026, 7, 2)),
            100
        );
        assert_eq!(expected_pct(Some(2027), true, programme, d(2025, 1, 1)), 0);
        let t = Thresholds::default();
        assert_eq!(assess(100, 45, 50, &t), (4500, Colour::Green));
        assert_eq!(assess(100, 30, 50, &t), (3000, Colour::Yellow));
        assert_eq!(assess(100, 10, 50, &t), (1000, Colour::Red));
        assert_eq!(assess(100, 150, 100, &t), (15000, Colour::Green));
    }
}
