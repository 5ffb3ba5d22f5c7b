//! The ten monitoring indicators of a project (DOMAIN.md §6; Yinchuan,
//! seed 004 item 16: 项目进度、资金使用、服务商管理等10项核心指标的“红黄绿”三色动态管理).
//! Each gives a colour and the reason for it, or nothing where it does not
//! apply yet; the project's overall colour is the worst of them.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::ProjectState;

use crate::colour::{Colour, Thresholds, elapsed_pct};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// Time in the current state against its limit.
    StateDuration,
    /// Reported progress against the elapsed share of the plan period.
    ProgressPace,
    /// Days left in the batch window against the remaining work.
    BatchWindow,
    /// Audited amount against the contract amount of the plan.
    ContractAmount,
    /// Subsidy committed against disbursed.
    SubsidyPayment,
    /// Acceptance outcome and level gain.
    AcceptanceOutcome,
    /// The provider's load and share of red projects.
    ProviderLoad,
    /// Rectification past (or near) its deadline.
    RectificationOverdue,
    /// Spot-check findings.
    SpotCheck,
    /// Required documents missing.
    Documents,
    /// The risk score of its flags (风险线索): a lead for the inspectors,
    /// not a fault, so it weighs in no provider's red share.
    Risk,
}

impl Indicator {
    pub const ALL: [Indicator; 11] = [
        Indicator::StateDuration,
        Indicator::ProgressPace,
        Indicator::BatchWindow,
        Indicator::ContractAmount,
        Indicator::SubsidyPayment,
        Indicator::AcceptanceOutcome,
        Indicator::ProviderLoad,
        Indicator::RectificationOverdue,
        Indicator::SpotCheck,
        Indicator::Documents,
        Indicator::Risk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::StateDuration => "state_duration",
            Indicator::ProgressPace => "progress_pace",
            Indicator::BatchWindow => "batch_window",
            Indicator::ContractAmount => "contract_amount",
            Indicator::SubsidyPayment => "subsidy_payment",
            Indicator::AcceptanceOutcome => "acceptance_outcome",
            Indicator::ProviderLoad => "provider_load",
            Indicator::RectificationOverdue => "rectification_overdue",
            Indicator::SpotCheck => "spot_check",
            Indicator::Documents => "documents",
            Indicator::Risk => "risk",
        }
    }
}

/// A reason in both languages of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Why {
    pub en: String,
    pub zh: String,
}

fn why(en: impl Into<String>, zh: impl Into<String>) -> Why {
    Why {
        en: en.into(),
        zh: zh.into(),
    }
}

/// A project's spot-check status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SpotCheckStatus {
    #[default]
    NotSampled,
    /// Drawn, no finding recorded yet.
    Awaiting,
    Compliant,
    /// Findings of non-compliance (建而不用, 新瓶装旧酒 …).
    Findings(usize),
}

/// What the monitor needs to know of one active project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFacts {
    pub id: String,
    pub state: ProjectState,
    pub days_in_state: i64,
    /// The plan's period, once a plan is filed.
    pub plan_period: Option<(NaiveDate, NaiveDate)>,
    /// Whether the project is implementing (progress is reported then).
    pub implementing: bool,
    pub progress_percent: i64,
    /// The end of the batch window the project's current stage must finish
    /// in (implementation or acceptance), if the batch sets one.
    pub window_end: Option<NaiveDate>,
    pub contract_fen: Option<i64>,
    pub audited_fen: Option<i64>,
    /// Approved subsidy still to pay (waiting since `days_in_state`).
    pub awaiting_payment: bool,
    pub subsidy_fen: Option<i64>,
    pub disbursed_fen: i64,
    /// Acceptance recorded: passed, and the level gain when both levels
    /// are known.
    pub acceptance: Option<(bool, Option<i64>)>,
    pub rectification_deadline: Option<NaiveDate>,
    pub provider_id: Option<String>,
    pub spot_check: SpotCheckStatus,
    pub missing_documents: Vec<String>,
    /// Its risk score and the kinds of its flags, once assessed.
    pub risk: Option<(u32, Vec<String>)>,
}

/// One indicator of one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub indicator: Indicator,
    /// None where the indicator does not apply yet.
    pub colour: Option<Colour>,
    pub why: Why,
}

/// A project's readings and overall colour (the worst reading).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectColours {
    pub id: String,
    pub overall: Colour,
    pub readings: Vec<Reading>,
}

impl ProjectColours {
    /// Red by one of the project's own indicators: the provider-load
    /// indicator is its provider's red share and would count one late
    /// project against all of the provider's others.
    /// The risk indicator is a suspicion, not a fault: it counts neither.
    pub fn red_on_its_own(&self) -> bool {
        self.readings.iter().any(|r| {
            !matches!(r.indicator, Indicator::ProviderLoad | Indicator::Risk)
                && r.colour == Some(Colour::Red)
        })
    }
}

fn reading(indicator: Indicator, colour: Option<Colour>, why: Why) -> Reading {
    Reading {
        indicator,
        colour,
        why,
    }
}

fn not_yet(indicator: Indicator) -> Reading {
    reading(indicator, None, why("does not apply yet", "尚不适用"))
}

fn state_duration(p: &ProjectFacts, t: &Thresholds) -> Reading {
    let d = p.days_in_state;
    let colour = if d > t.state_days_red {
        Colour::Red
    } else if d > t.state_days_yellow {
        Colour::Yellow
    } else {
        Colour::Green
    };
    reading(
        Indicator::StateDuration,
        Some(colour),
        why(
            format!(
                "{d} days in {} (yellow after {}, red after {})",
                p.state, t.state_days_yellow, t.state_days_red
            ),
            format!(
                "处于 {} 状态 {d} 天（超过 {} 天黄、{} 天红）",
                p.state, t.state_days_yellow, t.state_days_red
            ),
        ),
    )
}

fn progress_pace(p: &ProjectFacts, t: &Thresholds, today: NaiveDate) -> Reading {
    let (Some((start, end)), true) = (p.plan_period, p.implementing) else {
        return not_yet(Indicator::ProgressPace);
    };
    let planned = elapsed_pct(start, end, today);
    let lag = planned - p.progress_percent;
    reading(
        Indicator::ProgressPace,
        Some(t.lag(lag)),
        why(
            format!(
                "{}% done, {planned}% of the plan period elapsed ({lag} points behind)",
                p.progress_percent
            ),
            format!(
                "完成 {}%，计划工期已过 {planned}%（落后 {lag} 个百分点）",
                p.progress_percent
            ),
        ),
    )
}

fn batch_window(p: &ProjectFacts, t: &Thresholds, today: NaiveDate) -> Reading {
    let Some(end) = p.window_end else {
        return not_yet(Indicator::BatchWindow);
    };
    let left = (end - today).num_days();
    let colour = if left < 0 {
        Colour::Red
    } else if left <= t.window_days_yellow {
        Colour::Yellow
    } else {
        Colour::Green
    };
    reading(
        Indicator::BatchWindow,
        Some(colour),
        why(
            format!(
                "{left} days left in the batch window for {} (ends {end})",
                p.state
            ),
            format!("批次 {} 阶段时限剩余 {left} 天（截至 {end}）", p.state),
        ),
    )
}

fn contract_amount(p: &ProjectFacts, t: &Thresholds) -> Reading {
    let (Some(contract), Some(audited)) = (p.contract_fen, p.audited_fen) else {
        return not_yet(Indicator::ContractAmount);
    };
    let pct = if contract == 0 {
        100
    } else {
        ((audited - contract).abs() * 100) / contract
    };
    let colour = if pct > t.amount_deviation_red_pct {
        Colour::Red
    } else if pct > t.amount_deviation_yellow_pct {
        Colour::Yellow
    } else {
        Colour::Green
    };
    reading(
        Indicator::ContractAmount,
        Some(colour),
        why(
            format!("audited {audited} fen against a contract of {contract} fen ({pct}% off)"),
            format!("审计金额 {audited} 分，合同金额 {contract} 分（偏差 {pct}%）"),
        ),
    )
}

fn subsidy_payment(p: &ProjectFacts, t: &Thresholds) -> Reading {
    let Some(committed) = p.subsidy_fen else {
        return not_yet(Indicator::SubsidyPayment);
    };
    if !p.awaiting_payment {
        return reading(
            Indicator::SubsidyPayment,
            Some(Colour::Green),
            why(
                format!("{} of {committed} fen paid", p.disbursed_fen),
                format!("已拨付 {} / {committed} 分", p.disbursed_fen),
            ),
        );
    }
    let d = p.days_in_state;
    let colour = if d > t.unpaid_days_red {
        Colour::Red
    } else if d > t.unpaid_days_yellow {
        Colour::Yellow
    } else {
        Colour::Green
    };
    reading(
        Indicator::SubsidyPayment,
        Some(colour),
        why(
            format!(
                "{} of {committed} fen paid, {d} days since approval",
                p.disbursed_fen
            ),
            format!("已拨付 {} / {committed} 分，核定后 {d} 天", p.disbursed_fen),
        ),
    )
}

fn acceptance_outcome(p: &ProjectFacts) -> Reading {
    match p.acceptance {
        None => not_yet(Indicator::AcceptanceOutcome),
        Some((false, _)) => reading(
            Indicator::AcceptanceOutcome,
            Some(Colour::Red),
            why("acceptance failed: below level 2", "验收未通过：未达到二级"),
        ),
        Some((true, Some(gain))) if gain <= 0 => reading(
            Indicator::AcceptanceOutcome,
            Some(Colour::Yellow),
            why(
                "accepted without a level gain",
                "验收通过但数字化水平未提升",
            ),
        ),
        Some((true, gain)) => reading(
            Indicator::AcceptanceOutcome,
            Some(Colour::Green),
            why(
                format!(
                    "accepted, level gain {}",
                    gain.map_or("unknown".into(), |g| g.to_string())
                ),
                format!(
                    "验收通过，水平提升 {}",
                    gain.map_or("未知".into(), |g| g.to_string())
                ),
            ),
        ),
    }
}

/// A rectification deadline is set when the city resumes the project
/// (`resume`: rectification → implementing) and applies until the next
/// acceptance passes: while the project rectifies and is re-accepted.
fn rectification(p: &ProjectFacts, t: &Thresholds, today: NaiveDate) -> Reading {
    let rectifying = matches!(
        p.state,
        ProjectState::Rectification
            | ProjectState::Implementing
            | ProjectState::AcceptanceRequested
            | ProjectState::AcceptancePrechecked
    );
    let Some(deadline) = p.rectification_deadline.filter(|_| rectifying) else {
        return not_yet(Indicator::RectificationOverdue);
    };
    let left = (deadline - today).num_days();
    let colour = if left < 0 {
        Colour::Red
    } else if left <= t.rectification_due_days_yellow {
        Colour::Yellow
    } else {
        Colour::Green
    };
    reading(
        Indicator::RectificationOverdue,
        Some(colour),
        why(
            format!("rectification due {deadline} ({left} days left)"),
            format!("整改期限 {deadline}（剩余 {left} 天）"),
        ),
    )
}

fn spot_check(p: &ProjectFacts) -> Reading {
    let (colour, w) = match p.spot_check {
        SpotCheckStatus::NotSampled => return not_yet(Indicator::SpotCheck),
        SpotCheckStatus::Awaiting => (
            Colour::Yellow,
            why(
                "drawn for a spot check, no finding yet",
                "已抽中，尚无检查结论",
            ),
        ),
        SpotCheckStatus::Compliant => (
            Colour::Green,
            why("spot check found it compliant", "抽查合规"),
        ),
        SpotCheckStatus::Findings(n) => (
            Colour::Red,
            why(
                format!("{n} spot-check finding(s) of non-compliance"),
                format!("抽查发现 {n} 项问题"),
            ),
        ),
    };
    reading(Indicator::SpotCheck, Some(colour), w)
}

fn documents(p: &ProjectFacts) -> Reading {
    if p.missing_documents.is_empty() {
        return reading(
            Indicator::Documents,
            Some(Colour::Green),
            why("no required document missing", "必备材料齐全"),
        );
    }
    let list = p.missing_documents.join(", ");
    reading(
        Indicator::Documents,
        Some(Colour::Yellow),
        why(
            format!("missing for the next step: {list}"),
            format!("下一步缺少材料：{list}"),
        ),
    )
}

fn risk(p: &ProjectFacts, t: &Thresholds) -> Reading {
    let Some((score, kinds)) = &p.risk else {
        return not_yet(Indicator::Risk);
    };
    let colour = if i64::from(*score) >= t.risk_score_red {
        Colour::Red
    } else if i64::from(*score) >= t.risk_score_yellow {
        Colour::Yellow
    } else {
        Colour::Green
    };
    let w = if kinds.is_empty() {
        why("no risk flag", "无风险线索")
    } else {
        let list = kinds.join(", ");
        why(
            format!(
                "risk score {score} ({list}; yellow from {}, red from {})",
                t.risk_score_yellow, t.risk_score_red
            ),
            format!(
                "风险分 {score}（{list}；{} 分起黄、{} 分起红）",
                t.risk_score_yellow, t.risk_score_red
            ),
        )
    };
    reading(Indicator::Risk, Some(colour), w)
}

/// The provider's load and share of red projects, from the first pass.
fn provider_load(p: &ProjectFacts, t: &Thresholds, load: &HashMap<&str, (i64, i64)>) -> Reading {
    let Some((active, red)) = p.provider_id.as_deref().and_then(|id| load.get(id)) else {
        return not_yet(Indicator::ProviderLoad);
    };
    let share = if *active == 0 { 0 } else { red * 100 / active };
    let by_load = if *active > t.provider_load_red {
        Colour::Red
    } else if *active > t.provider_load_yellow {
        Colour::Yellow
    } else {
        Colour::Green
    };
    let by_share = if share > t.provider_red_share_red_pct {
        Colour::Red
    } else if share > t.provider_red_share_yellow_pct {
        Colour::Yellow
    } else {
        Colour::Green
    };
    reading(
        Indicator::ProviderLoad,
        Some(by_load.max(by_share)),
        why(
            format!("the provider has {active} active projects, {red} of them red ({share}%)"),
            format!("服务商在办项目 {active} 个，其中红色 {red} 个（{share}%）"),
        ),
    )
}

fn worst(readings: &[Reading]) -> Colour {
    readings
        .iter()
        .filter_map(|r| r.colour)
        .max()
        .unwrap_or(Colour::Green)
}

/// Colours every project. The provider indicator needs every project's
/// colour from the eight others that are the project's own faults first,
/// so it is read in a second pass, with the risk indicator.
pub fn monitor(projects: &[ProjectFacts], t: &Thresholds, today: NaiveDate) -> Vec<ProjectColours> {
    let first: Vec<Vec<Reading>> = projects
        .iter()
        .map(|p| {
            vec![
                state_duration(p, t),
                progress_pace(p, t, today),
                batch_window(p, t, today),
                contract_amount(p, t),
                subsidy_payment(p, t),
                acceptance_outcome(p),
                rectification(p, t, today),
                spot_check(p),
                documents(p),
            ]
        })
        .collect();
    let mut load: HashMap<&str, (i64, i64)> = HashMap::new();
    for (p, readings) in projects.iter().zip(&first) {
        if let Some(id) = p.provider_id.as_deref() {
            let entry = load.entry(id).or_default();
            entry.0 += 1;
            entry.1 += i64::from(worst(readings) == Colour::Red);
        }
    }
    projects
        .iter()
        .zip(first)
        .map(|(p, mut readings)| {
            readings.insert(6, provider_load(p, t, &load));
            readings.push(risk(p, t));
            ProjectColours {
                id: p.id.clone(),
                overall: worst(&readings),
                readings,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_indicator_has_the_code_serde_gives_it() {
        for i in Indicator::ALL {
            assert_eq!(
                serde_json::to_value(i).unwrap(),
                serde_json::json!(i.as_str())
            );
        }
    }
    use proptest::prelude::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
    }

    fn implementing(id: &str, progress: i64) -> ProjectFacts {
        ProjectFacts {
            id: id.into(),
            state: ProjectState::Implementing,
            days_in_state: 5,
            plan_period: Some((day(1, 1), day(11, 1))),
            implementing: true,
            progress_percent: progress,
            provider_id: Some("prov".into()),
            ..ProjectFacts::default()
        }
    }

    fn colour_of(c: &ProjectColours, i: Indicator) -> Option<Colour> {
        c.readings
            .iter()
            .find(|r| r.indicator == i)
            .and_then(|r| r.colour)
    }

    #[test]
    fn every_project_gets_all_eleven_indicators_in_order() {
        let out = monitor(&[implementing("a", 50)], &Thresholds::default(), day(6, 1));
        let order: Vec<Indicator> = out[0].readings.iter().map(|r| r.indicator).collect();
        assert_eq!(order, Indicator::ALL);
    }

    /// Yellow from 25 points, red from 50; a risky project is red overall
    /// but neither counts against its provider nor in the ranking.
    #[test]
    fn the_risk_indicator_colours_by_score_and_blames_no_provider() {
        let with = |id: &str, score: u32| ProjectFacts {
            risk: Some((
                score,
                if score > 0 {
                    vec!["copied_plan".into()]
                } else {
                    vec![]
                },
            )),
            ..implementing(id, 45)
        };
        let out = monitor(
            &[
                with("a", 0),
                with("b", 24),
                with("c", 25),
                with("d", 49),
                with("e", 50),
                implementing("f", 45),
            ],
            &Thresholds::default(),
            day(6, 1),
        );
        let colours: Vec<_> = out.iter().map(|c| colour_of(c, Indicator::Risk)).collect();
        use Colour::*;
        assert_eq!(
            colours,
            [
                Some(Green),
                Some(Green),
                Some(Yellow),
                Some(Yellow),
                Some(Red),
                None
            ]
        );
        assert_eq!(out[4].overall, Red);
        assert!(!out[4].red_on_its_own());
        assert_eq!(
            colour_of(&out[0], Indicator::ProviderLoad),
            Some(Green),
            "no red share"
        );
        assert!(out[4].readings[10].why.zh.contains("copied_plan"));
    }

    /// 2026-06-01 is 49% of Jan–Nov (151 of 304 days): 40% done is 9 points
    /// behind (green), 30% is 19 (yellow), 10% is 39 (red).
    #[test]
    fn progress_pace_follows_the_yinchuan_thresholds() {
        let t = Thresholds::default();
        let out = monitor(
            &[
                implementing("a", 40),
                implementing("b", 30),
                implementing("c", 10),
            ],
            &t,
            day(6, 1),
        );
        let pace: Vec<_> = out
            .iter()
            .map(|c| colour_of(c, Indicator::ProgressPace))
            .collect();
        assert_eq!(
            pace,
            [Some(Colour::Green), Some(Colour::Yellow), Some(Colour::Red)]
        );
        assert_eq!(out[2].overall, Colour::Red);
        assert!(
            out[2].readings[1].why.en.contains("39 points behind"),
            "{:?}",
            out[2].readings[1].why
        );
    }

    #[test]
    fn the_provider_indicator_sees_its_red_share() {
        let t = Thresholds::default();
        // One of two projects red: 50% > 30% makes the provider red for both.
        let out = monitor(
            &[implementing("a", 50), implementing("b", 0)],
            &t,
            day(6, 1),
        );
        assert_eq!(
            colour_of(&out[0], Indicator::ProviderLoad),
            Some(Colour::Red)
        );
        assert_eq!(
            out[0].overall,
            Colour::Red,
            "the provider's red share colours the project"
        );
    }

    /// Issue 22: the deadline `resume` sets applies while the project
    /// rectifies (implementing again) and is re-accepted; a deadline three
    /// days ahead is inside the seven-day warning window.
    #[test]
    fn a_rectification_deadline_applies_after_resume() {
        let t = Thresholds::default();
        let today = day(6, 1);
        let resumed = |state, deadline| ProjectFacts {
            id: "r".into(),
            state,
            rectification_deadline: Some(deadline),
            ..ProjectFacts::default()
        };
        for (state, deadline, colour) in [
            (ProjectState::Implementing, day(6, 4), Some(Colour::Yellow)),
            (
                ProjectState::AcceptanceRequested,
                day(5, 31),
                Some(Colour::Red),
            ),
            (
                ProjectState::AcceptancePrechecked,
                day(7, 30),
                Some(Colour::Green),
            ),
            (ProjectState::Accepted, day(5, 31), None),
        ] {
            let out = monitor(&[resumed(state, deadline)], &t, today);
            assert_eq!(
                colour_of(&out[0], Indicator::RectificationOverdue),
                colour,
                "{state:?} due {deadline}"
            );
        }
    }

    #[test]
    fn the_other_indicators() {
        let t = Thresholds::default();
        let today = day(6, 1);
        let overdue = ProjectFacts {
            id: "r".into(),
            state: ProjectState::Rectification,
            rectification_deadline: Some(day(5, 1)),
            acceptance: Some((false, Some(0))),
            ..ProjectFacts::default()
        };
        let audited = ProjectFacts {
            id: "x".into(),
            state: ProjectState::SubsidyApproved,
            days_in_state: 45,
            contract_fen: Some(1_000_000),
            audited_fen: Some(850_000),
            subsidy_fen: Some(400_000),
            awaiting_payment: true,
            acceptance: Some((true, Some(0))),
            spot_check: SpotCheckStatus::Findings(1),
            missing_documents: vec!["photo".into()],
            window_end: Some(day(6, 20)),
            ..ProjectFacts::default()
        };
        let out = monitor(&[overdue, audited], &t, today);
        assert_eq!(
            colour_of(&out[0], Indicator::RectificationOverdue),
            Some(Colour::Red)
        );
        assert_eq!(
            colour_of(&out[0], Indicator::AcceptanceOutcome),
            Some(Colour::Red)
        );
        assert_eq!(colour_of(&out[0], Indicator::ProgressPace), None);
        assert_eq!(
            colour_of(&out[1], Indicator::ContractAmount),
            Some(Colour::Yellow),
            "15% off"
        );
        assert_eq!(
            colour_of(&out[1], Indicator::SubsidyPayment),
            Some(Colour::Yellow),
            "45 days unpaid"
        );
        assert_eq!(
            colour_of(&out[1], Indicator::AcceptanceOutcome),
            Some(Colour::Yellow)
        );
        assert_eq!(colour_of(&out[1], Indicator::SpotCheck), Some(Colour::Red));
        assert_eq!(
            colour_of(&out[1], Indicator::Documents),
            Some(Colour::Yellow)
        );
        assert_eq!(
            colour_of(&out[1], Indicator::BatchWindow),
            Some(Colour::Yellow),
            "19 days left"
        );
        assert_eq!(
            colour_of(&out[1], Indicator::StateDuration),
            Some(Colour::Yellow)
        );
    }

    proptest! {
        /// The overall colour is the worst reading, and more progress never
        /// makes the pace colour worse.
        #[test]
        fn overall_is_the_worst_and_progress_only_helps(p in 0i64..=100, q in 0i64..=100, days in 0i64..400) {
            let t = Thresholds::default();
            let today = day(1, 1) + chrono::Duration::days(days);
            let out = monitor(&[implementing("a", p.min(q)), implementing("b", p.max(q))], &t, today);
            for c in &out {
                prop_assert_eq!(c.overall, c.readings.iter().filter_map(|r| r.colour).max().unwrap_or(Colour::Green));
            }
            prop_assert!(colour_of(&out[1], Indicator::ProgressPace) <= colour_of(&out[0], Indicator::ProgressPace));
        }
    }
}
