//! Forecasts (预测): where each target will stand at its deadline, with a
//! low/likely/high range, the day the current pace reaches it, and — when
//! the likely value falls short — where the shortfall sits (the stage,
//! region and batch holding most of what will not arrive in time).
//!
//! Two methods, each deterministic for the same records and day:
//!
//! - **pipeline**, for the metrics that count enterprises reaching a
//!   milestone (diagnosed, contracted, transformed and its groups): every
//!   enterprise on its way (an active project past some earlier milestone)
//!   arrives after the days this programme's projects took from that
//!   milestone to the goal (25th, 50th and 75th percentile of those that
//!   did; 90 days a stage where none has yet), and arrives with the
//!   stage's observed conversion (those that reached the goal against those
//!   that reached it or dropped out; all of them while none has resolved).
//!   Likely: median days × conversion; low: 75th-percentile days ×
//!   conversion; high: 25th-percentile days, every one converting.
//! - **trend**, for every other metric with dated records (submissions,
//!   shares, awards, events, money): the change over the last 90 days
//!   carried on to the deadline; low at half that pace, high at one and a
//!   half.
//!
//! Metrics without dated records (the pool, the library, the registry,
//! figures recorded by hand) have no forecast.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::dashboard::{Filter, Milestone, ProjectRecord, Records, actual};
use crate::targets::{Metric, Unit};

shuzhuan_types::code_enum! {
    /// How a target's colour is judged: the pace that fits its metric.
    pub enum PaceRule ("pace rule") {
        /// Counts and sums grow with time: the share reached against the
        /// elapsed share of the target's period.
        Paced = "paced",
        /// Shares do not grow with time: the forecast at the deadline
        /// against the target (the current value shown beside it).
        AtDeadline = "at_deadline",
    }
}

impl PaceRule {
    pub fn of(metric: Metric) -> PaceRule {
        match metric.unit() {
            Unit::ShareBp => PaceRule::AtDeadline,
            Unit::Count | Unit::AmountFen => PaceRule::Paced,
        }
    }
}

shuzhuan_types::code_enum! {
    /// How a forecast was made.
    pub enum ForecastMethod ("forecast method") {
        /// Enterprises on their way, by stage, with the programme's own
        /// durations and conversion.
        Pipeline = "pipeline",
        /// The last 90 days' change carried on to the deadline.
        Trend = "trend",
    }
}

/// The days over which the current pace is measured.
pub const PACE_WINDOW_DAYS: u64 = 90;

/// Days a stage is assumed to take to the goal while no project of the
/// programme has yet made that way (ours).
pub const DEFAULT_STAGE_DAYS: i64 = 90;

/// One stage of the pipeline: what is on its way from it, and what the
/// programme's history says of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageInput {
    pub stage: Milestone,
    /// Enterprises whose furthest milestone it is (active, not yet at the
    /// goal).
    pub on_the_way: usize,
    /// Projects that went from it to the goal (the durations' sample).
    pub observed: usize,
    /// Days from it to the goal: 25th, 50th and 75th percentile (the
    /// default where nothing was observed).
    pub days: (i64, i64, i64),
    /// Reached the goal against reached it or dropped out, basis points.
    pub conversion_bp: u32,
    /// Of `on_the_way`, those arriving by the deadline at the median days.
    pub arriving: usize,
}

/// Where the shortfall sits: the stage, region and batch holding most of
/// the enterprises that will not arrive in time (at the median days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bottleneck {
    pub late: usize,
    pub stage: Option<(Milestone, usize)>,
    pub region: Option<(String, usize)>,
    pub batch: Option<(String, usize)>,
}

/// A target's forecast at its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    pub method: ForecastMethod,
    pub as_of: NaiveDate,
    pub deadline: NaiveDate,
    pub current: i64,
    pub low: i64,
    pub likely: i64,
    pub high: i64,
    /// The change over the last [`PACE_WINDOW_DAYS`] days.
    pub change_in_window: i64,
    /// The day the current pace reaches the target (`as_of` when it is
    /// reached already; None without a target or without progress).
    pub reaches_target_on: Option<NaiveDate>,
    /// The likely value falls short of the target.
    pub short: bool,
    /// The pipeline's stages (empty for a trend).
    pub stages: Vec<StageInput>,
    /// Where the shortfall sits (pipeline forecasts that fall short).
    pub bottleneck: Option<Bottleneck>,
}

/// Which enterprises a metric counts.
type Counts = fn(&ProjectRecord) -> bool;

/// The milestone a metric counts enterprises at, and which enterprises.
fn goal(metric: Metric) -> Option<(Milestone, Counts)> {
    use Metric as M;
    Some(match metric {
        M::EnterprisesTransformed => (Milestone::Accepted, |_| true),
        M::EnterprisesDiagnosed => (Milestone::Diagnosed, |_| true),
        M::EnterprisesContracted => (Milestone::Contracted, |_| true),
        M::SpecialisedEnterprisesTransformed => (Milestone::Accepted, |p| p.specialised),
        M::LittleGiantsTransformed => (Milestone::Accepted, |p| p.little_giant),
        M::InnovativeEnterprisesTransformed => (Milestone::Accepted, |p| {
            p.innovative || p.specialised || p.little_giant
        }),
        _ => return None,
    })
}

/// Whether a metric's records are dated (so it can be forecast).
fn dated(metric: Metric) -> bool {
    use Metric as M;
    !matches!(
        metric,
        M::CloudAdopters
            | M::Products
            | M::Providers
            | M::ComprehensiveProviders
            | M::ScenarioProviders
            | M::LocalProviders
            | M::SubsidySecured
            | M::SupplyListings
            | M::BaseStations5g
            | M::FullConnectionFactories5g
    )
}

/// The 25th, 50th and 75th percentile of sorted values.
fn quartiles(sorted: &[i64]) -> Option<(i64, i64, i64)> {
    let at = |q: usize| sorted.get((sorted.len() - 1) * q / 4).copied();
    if sorted.is_empty() {
        return None;
    }
    Some((at(1)?, at(2)?, at(3)?))
}

fn plus_days(day: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        day.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .unwrap_or(day)
}

/// The records as they stood on the day forecasts start from and at the
/// start of the pace window before it: cut once for every metric.
#[derive(Debug, Clone)]
pub struct Pace {
    pub as_of: NaiveDate,
    pub now: Records,
    then: Records,
}

impl Pace {
    pub fn new(records: &Records, as_of: NaiveDate) -> Self {
        let window_start = as_of
            .checked_sub_days(Days::new(PACE_WINDOW_DAYS))
            .unwrap_or(as_of);
        Pace {
            as_of,
            now: records.as_of(as_of),
            then: records.as_of(window_start),
        }
    }
}

/// The forecast of `metric` at `deadline` from the records as of the
/// pace's day (None where the metric has no dated records or no value).
pub fn forecast(
    metric: Metric,
    pace: &Pace,
    f: &Filter,
    cumulative: bool,
    target: Option<i64>,
    deadline: NaiveDate,
) -> Option<Forecast> {
    if !dated(metric) {
        return None;
    }
    let (now, as_of) = (&pace.now, pace.as_of);
    let current = actual(metric, now, f, cumulative)?;
    let then = actual(metric, &pace.then, f, cumulative).unwrap_or(current);
    let change = current - then;
    let days_left = (deadline - as_of).num_days().max(0);
    let reaches_target_on = target.and_then(|t| {
        if current >= t {
            Some(as_of)
        } else if change > 0 {
            let needed = (t - current).saturating_mul(PACE_WINDOW_DAYS as i64);
            Some(plus_days(as_of, (needed + change - 1) / change))
        } else {
            None
        }
    });
    let mut out = Forecast {
        method: ForecastMethod::Trend,
        as_of,
        deadline,
        current,
        low: current,
        likely: current,
        high: current,
        change_in_window: change,
        reaches_target_on,
        short: false,
        stages: Vec::new(),
        bottleneck: None,
    };
    match goal(metric) {
        Some((milestone, of)) => pipeline(&mut out, now, f, milestone, of),
        None => {
            let carried = |num: i64, den: i64| {
                change.saturating_mul(days_left).saturating_mul(num)
                    / (PACE_WINDOW_DAYS as i64 * den)
            };
            let (a, b) = (current + carried(1, 2), current + carried(3, 2));
            out.likely = current + carried(1, 1);
            (out.low, out.high) = (a.min(b), a.max(b));
            if metric.unit() == Unit::ShareBp {
                for v in [&mut out.low, &mut out.likely, &mut out.high] {
                    *v = (*v).clamp(0, 10_000);
                }
            }
        }
    }
    out.short = target.is_some_and(|t| out.likely < t);
    if !out.short {
        out.bottleneck = None;
    }
    Some(out)
}

/// The pipeline method (see the module's documentation).
fn pipeline(out: &mut Forecast, now: &Records, f: &Filter, goal: Milestone, of: Counts) {
    out.method = ForecastMethod::Pipeline;
    let scoped: Vec<&ProjectRecord> = now
        .projects
        .iter()
        .filter(|p| p.in_scope(f) && of(p))
        .collect();
    let stages: Vec<Milestone> = Milestone::ALL
        .iter()
        .copied()
        .filter(|m| *m < goal)
        .collect();
    // What the programme's history says of each stage.
    let history: BTreeMap<Milestone, (Vec<i64>, u32)> = stages
        .iter()
        .map(|stage| {
            let mut days = Vec::new();
            let (mut converted, mut lost) = (0u64, 0u64);
            for p in &scoped {
                let Some(from) = p.reached_on(*stage) else {
                    continue;
                };
                match p.reached_on(goal) {
                    Some(to) => {
                        days.push((to - from).num_days().max(0));
                        converted += 1;
                    }
                    None if !p.active => lost += 1,
                    None => {}
                }
            }
            days.sort_unstable();
            let conversion = (converted * 10_000)
                .checked_div(converted + lost)
                .map_or(10_000, |bp| u32::try_from(bp).unwrap_or(10_000));
            (*stage, (days, conversion))
        })
        .collect();
    // Each enterprise not yet at the goal, by its most advanced active
    // project (the earliest to reach that stage).
    let arrived: std::collections::BTreeSet<&str> = scoped
        .iter()
        .filter(|p| p.active && p.reached_on(goal).is_some())
        .map(|p| p.enterprise_id.as_str())
        .collect();
    let mut on_the_way: BTreeMap<&str, (Milestone, NaiveDate, &ProjectRecord)> = BTreeMap::new();
    for p in scoped.iter().filter(|p| p.active) {
        if arrived.contains(p.enterprise_id.as_str()) {
            continue;
        }
        let Some((stage, since)) = stages
            .iter()
            .rev()
            .find_map(|s| Some((*s, p.reached_on(*s)?)))
        else {
            continue;
        };
        let e = on_the_way
            .entry(p.enterprise_id.as_str())
            .or_insert((stage, since, p));
        if (stage, std::cmp::Reverse(since)) > (e.0, std::cmp::Reverse(e.1)) {
            *e = (stage, since, p);
        }
    }
    let (mut low_bp, mut likely_bp, mut high) = (0i64, 0i64, 0i64);
    let mut late: Vec<(Milestone, &str, &str)> = Vec::new();
    let mut inputs: BTreeMap<Milestone, StageInput> = BTreeMap::new();
    for (stage, since, p) in on_the_way.values() {
        let (days, conversion) = &history[stage];
        let default = DEFAULT_STAGE_DAYS * (goal.rank() as i64 - stage.rank() as i64).max(1);
        let (fast, median, slow) = quartiles(days).unwrap_or((default, default, default));
        let arrives = |d: i64| plus_days(*since, d).max(out.as_of) <= out.deadline;
        let conv = i64::from(*conversion);
        if arrives(slow) {
            low_bp += conv;
        }
        if arrives(median) {
            likely_bp += conv;
        } else {
            late.push((*stage, p.region.as_str(), p.batch.as_str()));
        }
        if arrives(fast) {
            high += 1;
        }
        let input = inputs.entry(*stage).or_insert(StageInput {
            stage: *stage,
            on_the_way: 0,
            observed: days.len(),
            days: (fast, median, slow),
            conversion_bp: *conversion,
            arriving: 0,
        });
        input.on_the_way += 1;
        input.arriving += usize::from(arrives(median));
    }
    out.low = out.current + low_bp / 10_000;
    out.likely = out.current + (likely_bp + 5_000) / 10_000;
    out.high = out.current + high;
    out.stages = inputs.into_values().collect();
    let most = |key: &dyn Fn(&(Milestone, &str, &str)) -> String| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for l in &late {
            *counts.entry(key(l)).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
    };
    if !late.is_empty() {
        out.bottleneck = Some(Bottleneck {
            late: late.len(),
            stage: most(&|l| l.0.as_str().to_owned()).and_then(|(code, n)| {
                Milestone::ALL
                    .iter()
                    .find(|m| m.as_str() == code)
                    .map(|m| (*m, n))
            }),
            region: most(&|l| l.1.to_owned()),
            batch: most(&|l| l.2.to_owned()),
        });
    }
}

impl Milestone {
    /// Its place on a project's way (submitted 0 … subsidy approved 4).
    pub fn rank(self) -> usize {
        Milestone::ALL.iter().position(|m| *m == self).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forecast of a metric over the whole programme (no filter, not
    /// cumulative).
    fn whole(
        metric: Metric,
        records: &Records,
        target: Option<i64>,
        as_of: NaiveDate,
        deadline: NaiveDate,
    ) -> Option<Forecast> {
        forecast(
            metric,
            &Pace::new(records, as_of),
            &Filter::default(),
            false,
            target,
            deadline,
        )
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    /// A synthetic history whose outcome is known: 100 enterprises submit
    /// on Jan 10, each is diagnosed 30 days after, contracted 30 days
    /// after that, and accepted 120 days after its contract, except every
    /// fifth, which withdraws after its diagnosis. Staggered: enterprise i
    /// starts i days late. Its true count of transformed enterprises by
    /// the end of September is known from the rule.
    fn history() -> (Records, impl Fn(NaiveDate) -> i64) {
        let start = d(1, 10);
        let mut projects = Vec::new();
        for i in 0..100i64 {
            let s = plus_days(start, i);
            let diag = plus_days(s, 30);
            let contract = plus_days(diag, 30);
            let accepted = plus_days(contract, 120);
            let drops = i % 5 == 4;
            let mut milestones = vec![(Milestone::Submitted, s), (Milestone::Diagnosed, diag)];
            if !drops {
                milestones.push((Milestone::Contracted, contract));
                milestones.push((Milestone::Accepted, accepted));
            }
            projects.push(ProjectRecord {
                enterprise_id: format!("e{i}"),
                region: if i % 2 == 0 { "r1" } else { "r2" }.into(),
                batch: if i < 50 { "b1" } else { "b2" }.into(),
                active: !drops,
                milestones,
                ..ProjectRecord::default()
            });
        }
        let truth = move |day: NaiveDate| {
            (0..100i64)
                .filter(|i| i % 5 != 4 && plus_days(start, i + 180) <= day)
                .count() as i64
        };
        (
            Records {
                projects,
                ..Records::default()
            },
            truth,
        )
    }

    #[test]
    fn the_pipeline_forecast_brackets_the_known_outcome() {
        let (records, truth) = history();
        // As of Aug 1, the first 23 have been accepted (Jul 9 + i ≤ Aug 1);
        // the rest of the 80 that stay are on their way.
        let as_of = d(8, 1);
        let deadline = d(9, 30);
        let f = whole(
            Metric::EnterprisesTransformed,
            &records,
            Some(80),
            as_of,
            deadline,
        )
        .unwrap();
        assert_eq!(f.method, ForecastMethod::Pipeline);
        assert_eq!(f.current, truth(as_of));
        let known = truth(deadline);
        assert!(
            f.low <= known && known <= f.high,
            "{} in {}..{}: {f:?}",
            known,
            f.low,
            f.high
        );
        assert!(
            (f.likely - known).abs() <= 2,
            "likely {} vs {known}",
            f.likely
        );
        // Short of 80: the late ones are contracted, in both regions.
        assert!(f.short);
        let b = f.bottleneck.clone().unwrap();
        assert_eq!(b.stage.map(|s| s.0), Some(Milestone::Contracted));
        assert_eq!(b.batch.map(|x| x.0), Some("b2".to_owned()));
        // The contracted stage took exactly 120 days for everyone.
        let contracted = f
            .stages
            .iter()
            .find(|s| s.stage == Milestone::Contracted)
            .unwrap();
        assert_eq!(contracted.days, (120, 120, 120));
        assert_eq!(contracted.conversion_bp, 10_000);
        // Deterministic for the same records and day.
        assert_eq!(
            Some(f),
            whole(
                Metric::EnterprisesTransformed,
                &records,
                Some(80),
                as_of,
                deadline
            )
        );
    }

    #[test]
    fn conversion_counts_the_dropped_out() {
        let (records, _) = history();
        // Diagnosis → acceptance: 80 of the 100 diagnosed stay; as of Dec
        // 31 all have resolved: 80 converted, 20 lost.
        let f = whole(
            Metric::EnterprisesTransformed,
            &records,
            Some(80),
            d(12, 31),
            d(12, 31),
        )
        .unwrap();
        assert_eq!(f.current, 80);
        assert_eq!((f.low, f.likely, f.high), (80, 80, 80));
        assert!(!f.short && f.bottleneck.is_none());
        assert_eq!(f.reaches_target_on, Some(d(12, 31)));
    }

    #[test]
    fn a_trend_carries_the_last_90_days_on() {
        // Ten events a month since January: as of Jun 30 the last 90 days
        // added about 30; six months more add about 60.
        let events = (0..365)
            .step_by(3)
            .map(|n| {
                (
                    crate::supervision::EventKind::Training,
                    plus_days(d(1, 1), n),
                    None,
                    0,
                )
            })
            .collect();
        let records = Records {
            events,
            ..Records::default()
        };
        let as_of = d(6, 30);
        let deadline = d(12, 31);
        let f = whole(Metric::Trainings, &records, Some(100), as_of, deadline).unwrap();
        assert_eq!(f.method, ForecastMethod::Trend);
        let known = actual(
            Metric::Trainings,
            &records.as_of(deadline),
            &Filter::default(),
            false,
        )
        .unwrap();
        assert!(f.low <= known && known <= f.high, "{known}: {f:?}");
        assert!((f.likely - known).abs() <= 2, "{} vs {known}", f.likely);
        assert_eq!(f.change_in_window, 30);
        // 100 − 61 = 39 more at 30 per 90 days: 117 days.
        assert_eq!(f.reaches_target_on, Some(plus_days(as_of, 117)));
        assert!(!f.short);
    }

    #[test]
    fn undated_metrics_have_no_forecast_and_shares_stay_in_bounds() {
        let (records, _) = history();
        assert_eq!(
            whole(Metric::Providers, &records, Some(5), d(6, 1), d(12, 31)),
            None
        );
        assert_eq!(
            PaceRule::of(Metric::AboveSizeLevel2Share),
            PaceRule::AtDeadline
        );
        assert_eq!(
            PaceRule::of(Metric::EnterprisesTransformed),
            PaceRule::Paced
        );
    }

    proptest::proptest! {
        /// For any history and day: low ≤ likely ≤ high, and current ≤
        /// low for counts (nothing arrives backwards).
        #[test]
        fn the_range_is_ordered(
            starts in proptest::collection::vec((0i64..300, 0i64..200, 0i64..200, proptest::bool::ANY), 1..40),
            as_of_day in 0i64..500,
            horizon in 0i64..300,
        ) {
            let base = d(1, 1);
            let projects = starts
                .iter()
                .enumerate()
                .map(|(i, (s, a, b, drops))| {
                    let submitted = plus_days(base, *s);
                    let diag = plus_days(submitted, *a);
                    let accepted = plus_days(diag, *b);
                    let mut milestones = vec![(Milestone::Submitted, submitted), (Milestone::Diagnosed, diag)];
                    if !drops {
                        milestones.push((Milestone::Accepted, accepted));
                    }
                    ProjectRecord {
                        enterprise_id: format!("e{}", i % 30),
                        region: "r".into(),
                        batch: "b".into(),
                        active: !drops,
                        milestones,
                        ..ProjectRecord::default()
                    }
                })
                .collect();
            let records = Records { projects, ..Records::default() };
            let as_of = plus_days(base, as_of_day);
            let deadline = plus_days(as_of, horizon);
            for metric in [Metric::EnterprisesTransformed, Metric::PilotProjects, Metric::AboveSizeLevel2Share] {
                let f = whole(metric, &records, Some(10), as_of, deadline).unwrap();
                proptest::prop_assert!(f.low <= f.likely && f.likely <= f.high, "{:?}", f);
                if metric.unit() == Unit::Count {
                    proptest::prop_assert!(f.current <= f.low, "{:?}", f);
                }
            }
        }
    }
}
