//! Scoring an assessment against a catalogue: answer validation, points
//! per indicator, group and dimension, scenario counts, the level by
//! SCORING.md §3 with the gate that bound it and what the next level lacks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::{IndicatorSet, QuestionKind};
use crate::{Level, Points};

/// What an assessor answered: the chosen option codes per question and a
/// level 0–4 per operations scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    pub answers: BTreeMap<String, Vec<String>>,
    pub scenarios: BTreeMap<String, i64>,
}

/// One reason answers do not fit the catalogue; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("no such question in the indicator set")]
    UnknownQuestion { question: String },
    #[error("the question is not answered")]
    MissingAnswer { question: String },
    #[error("choose at least one option (or `none`)")]
    EmptyAnswer { question: String },
    #[error("option `{option}` does not exist for this question")]
    UnknownOption { question: String, option: String },
    #[error("option `{option}` is chosen twice")]
    RepeatedOption { question: String, option: String },
    #[error("option `{option}` excludes every other option")]
    ExclusiveWithOthers { question: String, option: String },
    #[error("a single-choice question takes exactly one option")]
    SingleChoiceWithMany { question: String },
    #[error("no such scenario in the indicator set")]
    UnknownScenario { scenario: String },
    #[error("the scenario has no level")]
    MissingScenario { scenario: String },
    #[error("a scenario level is 0 to 4, not {level}")]
    ScenarioLevelOutOfRange { scenario: String, level: i64 },
}

impl AnswerError {
    /// JSON path of the answer at fault.
    pub fn field(&self) -> String {
        match self {
            AnswerError::UnknownQuestion { question }
            | AnswerError::MissingAnswer { question }
            | AnswerError::EmptyAnswer { question }
            | AnswerError::UnknownOption { question, .. }
            | AnswerError::RepeatedOption { question, .. }
            | AnswerError::ExclusiveWithOthers { question, .. }
            | AnswerError::SingleChoiceWithMany { question } => format!("answers.{question}"),
            AnswerError::UnknownScenario { scenario }
            | AnswerError::MissingScenario { scenario }
            | AnswerError::ScenarioLevelOutOfRange { scenario, .. } => {
                format!("scenarios.{scenario}")
            }
        }
    }

    /// Stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            AnswerError::UnknownQuestion { .. } => "unknown_question",
            AnswerError::MissingAnswer { .. } => "missing_answer",
            AnswerError::EmptyAnswer { .. } => "empty_answer",
            AnswerError::UnknownOption { .. } => "unknown_option",
            AnswerError::RepeatedOption { .. } => "repeated_option",
            AnswerError::ExclusiveWithOthers { .. } => "exclusive_option_with_others",
            AnswerError::SingleChoiceWithMany { .. } => "single_choice_with_many",
            AnswerError::UnknownScenario { .. } => "unknown_scenario",
            AnswerError::MissingScenario { .. } => "missing_scenario",
            AnswerError::ScenarioLevelOutOfRange { .. } => "scenario_level_out_of_range",
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            AnswerError::UnknownQuestion { .. } => "评测指标中没有该题目".into(),
            AnswerError::MissingAnswer { .. } => "该题目未作答".into(),
            AnswerError::EmptyAnswer { .. } => "请至少选择一个选项（或“无”）".into(),
            AnswerError::UnknownOption { option, .. } => format!("该题目没有选项 `{option}`"),
            AnswerError::RepeatedOption { option, .. } => format!("选项 `{option}` 重复选择"),
            AnswerError::ExclusiveWithOthers { option, .. } => {
                format!("选项 `{option}` 不能与其他选项同时选择")
            }
            AnswerError::SingleChoiceWithMany { .. } => "单选题只能选择一个选项".into(),
            AnswerError::UnknownScenario { .. } => "评测指标中没有该场景".into(),
            AnswerError::MissingScenario { .. } => "该场景未评定等级".into(),
            AnswerError::ScenarioLevelOutOfRange { level, .. } => {
                format!("场景等级应为 0 到 4，而不是 {level}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorScore {
    pub code: String,
    pub points: Points,
    pub max_points: Points,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupScore {
    pub code: String,
    pub points: Points,
    pub max_points: Points,
    pub indicators: Vec<IndicatorScore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DimensionScore {
    pub code: String,
    pub points: Points,
    pub max_points: Points,
    pub groups: Vec<GroupScore>,
}

/// n(k) and c(k) for one level k.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScenarioCount {
    pub level: u8,
    /// Scenarios at level k or above: n(k).
    pub scenarios: u32,
    /// Constraint scenarios among them: c(k).
    pub constraint_scenarios: u32,
}

/// Which gate kept the result from the next level up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// The points S fell short; the scenarios would have sufficed.
    Score,
    /// The scenario counts fell short; the points would have sufficed.
    Scenarios,
    /// Both fell short.
    Both,
    /// The result is the highest level: nothing bound it.
    None,
}

/// What the next level up lacks (zeros where a gate already holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LevelGaps {
    pub level: u8,
    pub points_short: Points,
    pub scenarios_short: u32,
    pub constraint_scenarios_short: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scorecard {
    pub indicator_set: String,
    /// S: foundation + management + results, 0 to 100.
    pub total_points: Points,
    pub dimensions: Vec<DimensionScore>,
    /// The level of each operations scenario as judged.
    pub scenario_levels: BTreeMap<String, u8>,
    pub scenario_counts: Vec<ScenarioCount>,
    pub level: Level,
    pub binding_gate: Gate,
    pub next_level_gaps: Option<LevelGaps>,
}

/// Validates `answers` against `set` (every error at once) and scores them.
pub fn score(set: &IndicatorSet, answers: &Answers) -> Result<Scorecard, Vec<AnswerError>> {
    let mut errors = Vec::new();
    for code in answers.answers.keys() {
        if !set.questions().any(|q| &q.code == code) {
            errors.push(AnswerError::UnknownQuestion {
                question: code.clone(),
            });
        }
    }
    for code in answers.scenarios.keys() {
        if !set.operations.scenarios.iter().any(|s| &s.code == code) {
            errors.push(AnswerError::UnknownScenario {
                scenario: code.clone(),
            });
        }
    }

    let mut dimensions = Vec::new();
    for d in &set.dimensions {
        let mut groups = Vec::new();
        for g in &d.groups {
            let mut indicators = Vec::new();
            for i in &g.indicators {
                let mut points = Points::ZERO;
                for q in &i.questions {
                    match question_points(q, answers.answers.get(&q.code)) {
                        Ok(p) => points = points + p,
                        Err(e) => errors.push(e),
                    }
                }
                indicators.push(IndicatorScore {
                    code: i.code.clone(),
                    points,
                    max_points: i.max_points,
                });
            }
            groups.push(GroupScore {
                code: g.code.clone(),
                points: indicators.iter().map(|i| i.points).sum(),
                max_points: g.max_points,
                indicators,
            });
        }
        dimensions.push(DimensionScore {
            code: d.code.clone(),
            points: groups.iter().map(|g| g.points).sum(),
            max_points: d.max_points,
            groups,
        });
    }

    let mut scenario_levels = BTreeMap::new();
    for s in &set.operations.scenarios {
        match answers.scenarios.get(&s.code) {
            None => errors.push(AnswerError::MissingScenario {
                scenario: s.code.clone(),
            }),
            Some(&level) => match Level::new(level) {
                Ok(l) => {
                    scenario_levels.insert(s.code.clone(), l.get());
                }
                Err(_) => errors.push(AnswerError::ScenarioLevelOutOfRange {
                    scenario: s.code.clone(),
                    level,
                }),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let total_points: Points = dimensions.iter().map(|d| d.points).sum();
    let count = |k: u8| {
        let at_or_above = set
            .operations
            .scenarios
            .iter()
            .filter(|s| scenario_levels.get(&s.code).is_some_and(|l| *l >= k));
        ScenarioCount {
            level: k,
            scenarios: u32::try_from(at_or_above.clone().count()).unwrap_or(u32::MAX),
            constraint_scenarios: u32::try_from(at_or_above.filter(|s| s.constraint).count())
                .unwrap_or(u32::MAX),
        }
    };
    let scenario_counts: Vec<ScenarioCount> = (1..=4).map(count).collect();

    // From the highest level down, the first whose gates all hold.
    let holds = |rule: &crate::catalogue::LevelRule| {
        let c = count(rule.level);
        total_points >= rule.min_points
            && c.scenarios >= rule.min_scenarios
            && c.constraint_scenarios >= rule.min_constraint_scenarios
    };
    let reached = set.levels.iter().find(|r| holds(r)).map_or(0, |r| r.level);
    let next = set
        .levels
        .iter()
        .filter(|r| r.level > reached)
        .min_by_key(|r| r.level);
    let (binding_gate, next_level_gaps) = match next {
        None => (Gate::None, None),
        Some(rule) => {
            let c = count(rule.level);
            let gaps = LevelGaps {
                level: rule.level,
                points_short: if total_points >= rule.min_points {
                    Points::ZERO
                } else {
                    rule.min_points - total_points
                },
                scenarios_short: rule.min_scenarios.saturating_sub(c.scenarios),
                constraint_scenarios_short: rule
                    .min_constraint_scenarios
                    .saturating_sub(c.constraint_scenarios),
            };
            let score_short = gaps.points_short > Points::ZERO;
            let scenarios_short = gaps.scenarios_short > 0 || gaps.constraint_scenarios_short > 0;
            let gate = match (score_short, scenarios_short) {
                (true, true) => Gate::Both,
                (true, false) => Gate::Score,
                _ => Gate::Scenarios,
            };
            (gate, Some(gaps))
        }
    };
    Ok(Scorecard {
        indicator_set: set.code.clone(),
        total_points,
        dimensions,
        scenario_levels,
        scenario_counts,
        level: Level::new(i64::from(reached)).unwrap_or(Level::MAX),
        binding_gate,
        next_level_gaps,
    })
}

fn question_points(
    q: &crate::catalogue::Question,
    chosen: Option<&Vec<String>>,
) -> Result<Points, AnswerError> {
    let question = || q.code.clone();
    let chosen = chosen.ok_or_else(|| AnswerError::MissingAnswer {
        question: question(),
    })?;
    if chosen.is_empty() {
        return Err(AnswerError::EmptyAnswer {
            question: question(),
        });
    }
    if q.kind == QuestionKind::Single && chosen.len() > 1 {
        return Err(AnswerError::SingleChoiceWithMany {
            question: question(),
        });
    }
    let mut points = Points::ZERO;
    for (i, code) in chosen.iter().enumerate() {
        let option = q.option(code).ok_or_else(|| AnswerError::UnknownOption {
            question: question(),
            option: code.clone(),
        })?;
        if chosen[..i].contains(code) {
            return Err(AnswerError::RepeatedOption {
                question: question(),
                option: code.clone(),
            });
        }
        if option.exclusive && chosen.len() > 1 {
            return Err(AnswerError::ExclusiveWithOthers {
                question: question(),
                option: code.clone(),
            });
        }
        points = points + option.points;
    }
    Ok(points)
}

/// The change from a diagnosis (before) to an acceptance (after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub level_before: Level,
    pub level_after: Level,
    pub level_gain: i8,
    pub total_points_delta: Points,
    /// After minus before, per dimension code.
    pub dimension_deltas: BTreeMap<String, Points>,
    /// Scenarios whose level rose, with before and after.
    pub scenarios_raised: BTreeMap<String, (u8, u8)>,
}

pub fn compare(before: &Scorecard, after: &Scorecard) -> Comparison {
    let before_dims: BTreeMap<&str, Points> = before
        .dimensions
        .iter()
        .map(|d| (d.code.as_str(), d.points))
        .collect();
    Comparison {
        level_before: before.level,
        level_after: after.level,
        level_gain: i8::try_from(i16::from(after.level.get()) - i16::from(before.level.get()))
            .unwrap_or(0),
        total_points_delta: after.total_points - before.total_points,
        dimension_deltas: after
            .dimensions
            .iter()
            .map(|d| {
                (
                    d.code.clone(),
                    d.points
                        - before_dims
                            .get(d.code.as_str())
                            .copied()
                            .unwrap_or_default(),
                )
            })
            .collect(),
        scenarios_raised: after
            .scenario_levels
            .iter()
            .filter_map(|(code, &a)| {
                let b = before.scenario_levels.get(code).copied().unwrap_or(0);
                (a > b).then(|| (code.clone(), (b, a)))
            })
            .collect(),
    }
}
