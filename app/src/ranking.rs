//! The provider ranking and evaluation (赛马, 服务商绩效评价): every admitted
//! provider's record in a period — contracts, acceptances at first try and
//! after rectification, level gain, satisfaction, on-time rate, spot-check
//! findings, subsidy paid to its clients — with the documented score of
//! `shuzhuan_monitoring::ranking`. The pool entries and the evaluation
//! reports read the same figures.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{ProjectAction, ProjectState};
use shuzhuan_monitoring::FindingOutcome;
use shuzhuan_monitoring::ranking::{self, ProviderRecord};
use shuzhuan_persistence::Session;
use shuzhuan_persistence::rows::ProjectRow;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Result, Text};
use crate::monitoring::{Loaded, load, run_monitor, steps_by_project};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;

/// A provider's place in the ranking, with its record and the score's
/// components.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedProvider {
    /// The place; null for a provider without projects (unranked).
    pub rank: Option<usize>,
    pub provider_id: String,
    pub name: String,
    pub score: f64,
    /// Projects naming it, applied by the period's end.
    pub projects: i64,
    pub contracts: i64,
    pub contracts_points: f64,
    /// Passed at first try plus after rectification.
    pub acceptances_passed: i64,
    /// Passed at the first acceptance evaluation.
    pub acceptances_first_try: i64,
    /// Passed after a failed acceptance and rectification (counted half).
    pub acceptances_after_rectification: i64,
    pub acceptance_points: f64,
    pub ratings: i64,
    pub mean_satisfaction: Option<f64>,
    pub satisfaction_points: f64,
    /// Mean of the accepted less the diagnosed level, over its acceptances.
    pub mean_level_gain: Option<f64>,
    /// 10 × mean gain (at most 2) / 2.
    pub gain_points: f64,
    /// Acceptances passed by the plan's end date.
    pub on_time: i64,
    /// 10 × on time / acceptances passed.
    pub on_time_points: f64,
    pub active_projects: i64,
    pub red_projects: i64,
    pub red_points: f64,
    /// Spot-check findings other than compliant against its projects.
    pub adverse_findings: i64,
    /// 5 points per adverse finding, taken off the score.
    pub findings_penalty: f64,
    /// The findings behind the penalty: evidence for a pool decision.
    pub finding_ids: Vec<String>,
    /// Paid to its clients for its projects in the period, fen.
    pub subsidy_paid_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderRanking {
    pub program_id: String,
    /// The period evaluated (the programme's start and today by default).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day read: the period's end.
    pub as_of: NaiveDate,
    /// How the score is built.
    pub formula: String,
    pub items: Vec<RankedProvider>,
}

/// The period of a ranking (days inclusive).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// First day (`YYYY-MM-DD`; default the programme's start).
    pub from: Option<NaiveDate>,
    /// Last day (`YYYY-MM-DD`; default today).
    pub to: Option<NaiveDate>,
}

pub const FORMULA: &str = "score = 20 × contracts / most contracts of any provider + 25 × (first-try acceptances + ½ × acceptances after rectification) / contracts (at most 25) + 20 × (mean satisfaction − 1) / 4 + 10 × (mean level gain, at most 2) / 2 + 10 × on-time acceptances / acceptances passed + 15 × (1 − red / active projects) − 5 × adverse spot-check findings, never below 0; contracts are plans the city approved in the period, acceptances those passed in it (first try when none failed before), on time by the plan's end date, the gain the accepted less the diagnosed level, active projects those under monitoring, a project red by one of its own indicators, findings those recorded in the period other than compliant, subsidy paid the payments of the period to its clients; providers without projects are unranked; ties go to more contracts, then the provider id";

/// Admitted providers by score (赛马), each component shown, over a
/// period of the programme.
pub fn ranking(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: &RankingQuery,
) -> Result<ProviderRanking> {
    require_in_programme(who, Right::ReadTargets, program_id)?;
    let loaded = load(s.conn(), program_id, None)?;
    let from = q.from.unwrap_or(loaded.program.starts_on);
    let to = q.to.unwrap_or_else(|| Utc::now().date_naive());
    if to < from {
        return Err(AppError::field(
            "to",
            "range",
            Text::new("must not be before `from`", "不得早于 `from`"),
        ));
    }
    Ok(evaluate(&loaded, from, to))
}

/// What was paid on each subsidy decision over `from..=to`, fen.
pub(crate) fn paid_by_decision(
    loaded: &Loaded,
    from: NaiveDate,
    to: NaiveDate,
) -> HashMap<&str, i64> {
    let mut paid: HashMap<&str, i64> = HashMap::new();
    for (decision, amount, on) in &loaded.facts.payments {
        if from <= *on && *on <= to {
            *paid.entry(decision.as_str()).or_default() += amount;
        }
    }
    paid
}

/// The providers' records and scores over `from..=to`.
pub(crate) fn evaluate(loaded: &Loaded, from: NaiveDate, to: NaiveDate) -> ProviderRanking {
    let within = |d: NaiveDate| from <= d && d <= to;
    let red: HashMap<&str, (i64, i64)> =
        run_monitor(loaded, to, None)
            .iter()
            .fold(HashMap::new(), |mut acc, (p, c)| {
                if let Some(id) = p.provider_id.as_deref() {
                    let e = acc.entry(id).or_default();
                    e.0 += 1;
                    e.1 += i64::from(c.red_on_its_own());
                }
                acc
            });
    let steps = steps_by_project(&loaded.facts);
    let no_steps = Vec::new();
    let paid = paid_by_decision(loaded, from, to);
    let mut adverse: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in &loaded.facts.findings {
        if *f.outcome != FindingOutcome::Compliant && within(f.created_at.date()) {
            adverse
                .entry(f.project_id.as_str())
                .or_default()
                .push(f.id.as_str());
        }
    }
    let names: HashMap<&str, &str> = loaded
        .facts
        .providers
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    let mut findings_of: HashMap<&str, Vec<String>> = HashMap::new();
    let records: Vec<ProviderRecord> = loaded
        .facts
        .providers
        .iter()
        .map(|prov| {
            let theirs: Vec<(&ProjectRow, &Vec<_>)> = loaded
                .facts
                .projects
                .iter()
                .filter(|p| p.provider_id.as_deref() == Some(prov.id.as_str()))
                .map(|p| (p, steps.get(p.id.as_str()).unwrap_or(&no_steps)))
                .filter(|(_, s)| s.first().is_some_and(|(.., on)| *on <= to))
                .collect();
            let mut r = ProviderRecord {
                provider_id: prov.id.clone(),
                projects: theirs.len() as i64,
                ..ProviderRecord::default()
            };
            let (mut rated, mut gains) = (Vec::new(), Vec::new());
            for (p, steps) in &theirs {
                let step = |action, state| {
                    steps
                        .iter()
                        .find(|(a, t, _)| *a == action && *t == state)
                        .map(|(.., on)| *on)
                };
                if step(ProjectAction::ApprovePlan, ProjectState::Implementing).is_some_and(within)
                {
                    r.contracts += 1;
                }
                if let Some(on) = step(ProjectAction::RecordAcceptance, ProjectState::Accepted)
                    .filter(|d| within(*d))
                {
                    let failed_before = steps.iter().any(|(a, t, d)| {
                        *a == ProjectAction::RecordAcceptance
                            && *t == ProjectState::Rectification
                            && *d <= on
                    });
                    if failed_before {
                        r.acceptances_after_rectification += 1;
                    } else {
                        r.acceptances_first_try += 1;
                    }
                    if p.plan.as_ref().is_some_and(|plan| on <= plan.get().ends_on) {
                        r.on_time += 1;
                    }
                    if let (Some(b), Some(a)) = (p.level_before, p.level_after) {
                        gains.push(f64::from(a - b));
                    }
                    rated.extend(p.satisfaction.map(f64::from));
                }
                if let Some(ids) = adverse.get(p.id.as_str()) {
                    r.adverse_findings += ids.len() as i64;
                    findings_of
                        .entry(prov.id.as_str())
                        .or_default()
                        .extend(ids.iter().map(|id| (*id).to_owned()));
                }
                r.subsidy_paid_fen += p
                    .decision_id
                    .as_deref()
                    .and_then(|d| paid.get(d))
                    .copied()
                    .unwrap_or(0);
            }
            let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            r.ratings = rated.len() as i64;
            r.mean_satisfaction = mean(&rated);
            r.mean_level_gain = mean(&gains);
            (r.active_projects, r.red_projects) =
                red.get(prov.id.as_str()).copied().unwrap_or_default();
            r
        })
        .collect();
    let items = ranking::rank(records)
        .into_iter()
        .map(|r| RankedProvider {
            rank: r.rank,
            name: names
                .get(r.record.provider_id.as_str())
                .copied()
                .unwrap_or_default()
                .to_owned(),
            finding_ids: findings_of
                .remove(r.record.provider_id.as_str())
                .unwrap_or_default(),
            score: r.score,
            projects: r.record.projects,
            contracts: r.record.contracts,
            contracts_points: r.contracts_points,
            acceptances_passed: r.record.acceptances_passed(),
            acceptances_first_try: r.record.acceptances_first_try,
            acceptances_after_rectification: r.record.acceptances_after_rectification,
            acceptance_points: r.acceptance_points,
            ratings: r.record.ratings,
            mean_satisfaction: r.record.mean_satisfaction,
            satisfaction_points: r.satisfaction_points,
            mean_level_gain: r.record.mean_level_gain,
            gain_points: r.gain_points,
            on_time: r.record.on_time,
            on_time_points: r.on_time_points,
            active_projects: r.record.active_projects,
            red_projects: r.record.red_projects,
            red_points: r.red_points,
            adverse_findings: r.record.adverse_findings,
            findings_penalty: r.findings_penalty,
            subsidy_paid_fen: r.record.subsidy_paid_fen,
            provider_id: r.record.provider_id,
        })
        .collect();
    ProviderRanking {
        program_id: loaded.program.id.clone(),
        from,
        to,
        as_of: to,
        formula: FORMULA.to_owned(),
        items,
    }
}
