//! The indicator catalogue and digital-level assessments (数字化水平评测).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::assessments;
use shuzhuan_persistence::rows::{AssessmentRow, ProjectRow};
use shuzhuan_persistence::{AnyConnection, Coded, Json, Session, new_id, now};
use shuzhuan_scoring::catalogue::{
    AnswerOption, Dimension, Group, Indicator, LevelRule, Question, QuestionKind, Scenario,
};
use shuzhuan_scoring::{
    AnswerError, Answers, AssessmentKind, Gate, IndicatorSet, Points, Scorecard, builtin, score,
};
use shuzhuan_types::{ObjectType, Target};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, FieldError, Result, Text};
use crate::input::{Body, Page};
use crate::journal::{Key, change};
use crate::policy::Right;
use crate::principal::Principal;
use crate::view::{List, code_schema, string_enum, utc};

// ---- catalogue views -------------------------------------------------------

/// An indicator set as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorSetSummary {
    #[schema(example = "miit-2024-manufacturing")]
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub edition: String,
    pub industry: String,
    pub source: String,
    /// What the public sources leave unsettled and which values are
    /// therefore documented defaults.
    pub description: String,
}

/// A whole indicator set: the scored tree, the scenarios, the level rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorSetView {
    #[serde(flatten)]
    pub summary: IndicatorSetSummary,
    pub dimensions: Vec<DimensionView>,
    pub operations: OperationsView,
    /// Evaluated from the highest level down; the first whose three gates
    /// hold is the result.
    pub levels: Vec<LevelRuleView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionView {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    /// Points, a multiple of 0.025.
    pub max_points: f64,
    pub groups: Vec<GroupView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub max_points: f64,
    pub indicators: Vec<IndicatorView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorView {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub max_points: f64,
    pub questions: Vec<QuestionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    /// The key of this question in `answers`.
    pub code: String,
    pub text: String,
    pub text_zh: String,
    /// `single` (one option) or `multi` (several; an exclusive option such
    /// as `none` stands alone).
    #[schema(example = "multi")]
    pub kind: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionView {
    pub code: String,
    pub text: String,
    pub text_zh: String,
    pub points: f64,
    pub exclusive: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperationsView {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub scenarios: Vec<ScenarioView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioView {
    /// The key of this scenario in `scenarios`.
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub group: String,
    /// Constraint scenario (约束性场景) rather than guidance (指导性场景).
    pub constraint: bool,
    /// What levels 1 to 4 look like.
    pub level_descriptors: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelRuleView {
    pub level: u8,
    pub min_points: f64,
    pub min_scenarios: u32,
    pub min_constraint_scenarios: u32,
}

fn pts(p: Points) -> f64 {
    p.as_f64()
}

impl From<&IndicatorSet> for IndicatorSetSummary {
    fn from(s: &IndicatorSet) -> Self {
        IndicatorSetSummary {
            code: s.code.clone(),
            name: s.name.clone(),
            name_zh: s.name_zh.clone(),
            edition: s.edition.clone(),
            industry: s.industry.clone(),
            source: s.source.clone(),
            description: s.description.clone(),
        }
    }
}

impl From<&AnswerOption> for OptionView {
    fn from(o: &AnswerOption) -> Self {
        OptionView {
            code: o.code.clone(),
            text: o.text.clone(),
            text_zh: o.text_zh.clone(),
            points: pts(o.points),
            exclusive: o.exclusive,
        }
    }
}

impl From<&Question> for QuestionView {
    fn from(q: &Question) -> Self {
        QuestionView {
            code: q.code.clone(),
            text: q.text.clone(),
            text_zh: q.text_zh.clone(),
            kind: match q.kind {
                QuestionKind::Single => "single",
                QuestionKind::Multi => "multi",
            }
            .to_owned(),
            options: q.options.iter().map(Into::into).collect(),
        }
    }
}

impl From<&Indicator> for IndicatorView {
    fn from(i: &Indicator) -> Self {
        IndicatorView {
            code: i.code.clone(),
            name: i.name.clone(),
            name_zh: i.name_zh.clone(),
            max_points: pts(i.max_points),
            questions: i.questions.iter().map(Into::into).collect(),
        }
    }
}

impl From<&Group> for GroupView {
    fn from(g: &Group) -> Self {
        GroupView {
            code: g.code.clone(),
            name: g.name.clone(),
            name_zh: g.name_zh.clone(),
            max_points: pts(g.max_points),
            indicators: g.indicators.iter().map(Into::into).collect(),
        }
    }
}

impl From<&Dimension> for DimensionView {
    fn from(d: &Dimension) -> Self {
        DimensionView {
            code: d.code.clone(),
            name: d.name.clone(),
            name_zh: d.name_zh.clone(),
            max_points: pts(d.max_points),
            groups: d.groups.iter().map(Into::into).collect(),
        }
    }
}

impl From<&Scenario> for ScenarioView {
    fn from(s: &Scenario) -> Self {
        ScenarioView {
            code: s.code.clone(),
            name: s.name.clone(),
            name_zh: s.name_zh.clone(),
            group: s.group.clone(),
            constraint: s.constraint,
            level_descriptors: s.level_descriptors.clone(),
        }
    }
}

impl From<&LevelRule> for LevelRuleView {
    fn from(l: &LevelRule) -> Self {
        LevelRuleView {
            level: l.level,
            min_points: pts(l.min_points),
            min_scenarios: l.min_scenarios,
            min_constraint_scenarios: l.min_constraint_scenarios,
        }
    }
}

impl From<&IndicatorSet> for IndicatorSetView {
    fn from(s: &IndicatorSet) -> Self {
        IndicatorSetView {
            summary: s.into(),
            dimensions: s.dimensions.iter().map(Into::into).collect(),
            operations: OperationsView {
                code: s.operations.code.clone(),
                name: s.operations.name.clone(),
                name_zh: s.operations.name_zh.clone(),
                scenarios: s.operations.scenarios.iter().map(Into::into).collect(),
            },
            levels: s.levels.iter().map(Into::into).collect(),
        }
    }
}

/// The loaded indicator sets.
pub fn list_indicator_sets(who: &Principal, page: &Page) -> Result<List<IndicatorSetSummary>> {
    who.require(Right::ReadIndicatorSets)?;
    List::paged(builtin().iter().map(Into::into).collect(), page)
}

/// One indicator set whole (404 when none by that code is loaded).
pub fn get_indicator_set(who: &Principal, code: &str) -> Result<IndicatorSetView> {
    who.require(Right::ReadIndicatorSets)?;
    builtin()
        .iter()
        .find(|s| s.code == code)
        .map(Into::into)
        .ok_or(AppError::NotFound)
}

// ---- assessments -----------------------------------------------------------

fn gate_schema() -> utoipa::openapi::schema::Object {
    string_enum(["score", "scenarios", "both", "none"])
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "indicator_set": "miit-2024-manufacturing",
    "kind": "self",
    "answers": {"network": ["workshop_control_network", "application_network"], "equipment_digitalisation": ["20_40"], "…": ["…"]},
    "scenarios": {"product_design": 2, "marketing": 1, "…": 0}
}))]
pub struct AssessmentRequest {
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub indicator_set: String,
    #[schema(schema_with = code_schema::<AssessmentKind>)]
    pub kind: AssessmentKind,
    /// The project a diagnosis or acceptance belongs to.
    pub project_id: Option<String>,
    /// The enterprise of a self-assessment; defaults to the caller's.
    pub enterprise_id: Option<String>,
    /// Chosen option codes per question code (every question of the set).
    pub answers: BTreeMap<String, Vec<String>>,
    /// Level 0–4 per scenario code (every scenario of the set).
    pub scenarios: BTreeMap<String, i64>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// Score only: nothing is stored, and any signed-in user may ask.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IndicatorScoreView {
    pub code: String,
    pub points: f64,
    pub max_points: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupScoreView {
    pub code: String,
    pub points: f64,
    pub max_points: f64,
    pub indicators: Vec<IndicatorScoreView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DimensionScoreView {
    pub code: String,
    pub points: f64,
    pub max_points: f64,
    pub groups: Vec<GroupScoreView>,
}

/// n(k) and c(k): scenarios at level k or above, and constraint scenarios
/// among them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScenarioCountView {
    pub level: u8,
    pub scenarios: u32,
    pub constraint_scenarios: u32,
}

/// What the next level up lacks; zeros where a gate already holds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LevelGapsView {
    pub level: u8,
    pub points_short: f64,
    pub scenarios_short: u32,
    pub constraint_scenarios_short: u32,
}

/// The scored result, as stored with the assessment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScorecardView {
    /// S = foundation + management + results, 0–100, exact to 0.025.
    #[schema(example = 39.975)]
    pub total_points: f64,
    pub dimensions: Vec<DimensionScoreView>,
    pub scenario_levels: BTreeMap<String, u8>,
    pub scenario_counts: Vec<ScenarioCountView>,
    /// The digital level 0–4.
    #[schema(minimum = 0, maximum = 4)]
    pub level: u8,
    /// Which gate kept the result from the next level: `score`,
    /// `scenarios`, `both`, or `none` at the top level.
    #[schema(schema_with = gate_schema)]
    pub binding_gate: String,
    pub next_level_gaps: Option<LevelGapsView>,
}

impl From<&Scorecard> for ScorecardView {
    fn from(c: &Scorecard) -> Self {
        ScorecardView {
            total_points: pts(c.total_points),
            dimensions: c
                .dimensions
                .iter()
                .map(|d| DimensionScoreView {
                    code: d.code.clone(),
                    points: pts(d.points),
                    max_points: pts(d.max_points),
                    groups: d
                        .groups
                        .iter()
                        .map(|g| GroupScoreView {
                            code: g.code.clone(),
                            points: pts(g.points),
                            max_points: pts(g.max_points),
                            indicators: g
                                .indicators
                                .iter()
                                .map(|i| IndicatorScoreView {
                                    code: i.code.clone(),
                                    points: pts(i.points),
                                    max_points: pts(i.max_points),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
            scenario_levels: c.scenario_levels.clone(),
            scenario_counts: c
                .scenario_counts
                .iter()
                .map(|s| ScenarioCountView {
                    level: s.level,
                    scenarios: s.scenarios,
                    constraint_scenarios: s.constraint_scenarios,
                })
                .collect(),
            level: c.level.get(),
            binding_gate: match c.binding_gate {
                Gate::Score => "score",
                Gate::Scenarios => "scenarios",
                Gate::Both => "both",
                Gate::None => "none",
            }
            .to_owned(),
            next_level_gaps: c.next_level_gaps.map(|g| LevelGapsView {
                level: g.level,
                points_short: pts(g.points_short),
                scenarios_short: g.scenarios_short,
                constraint_scenarios_short: g.constraint_scenarios_short,
            }),
        }
    }
}

/// An assessment with its result. `id`, `version`, `recorded_by` and
/// `created_at` are null for a dry run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: Option<String>,
    #[schema(schema_with = code_schema::<AssessmentKind>)]
    pub kind: AssessmentKind,
    pub indicator_set: String,
    pub enterprise_id: Option<String>,
    pub project_id: Option<String>,
    pub answers: BTreeMap<String, Vec<String>>,
    pub scenarios: BTreeMap<String, i64>,
    #[serde(flatten)]
    pub result: ScorecardView,
    pub recorded_by: Option<String>,
    pub version: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
}

impl AssessmentView {
    pub(crate) fn from_row(row: AssessmentRow) -> Result<Self> {
        let answers: Answers = row.answers.into_inner();
        let result: ScorecardView =
            serde_json::from_str(&row.result).map_err(AppError::internal)?;
        Ok(AssessmentView {
            id: Some(row.id),
            kind: row.kind.0,
            indicator_set: row.indicator_set,
            enterprise_id: row.enterprise_id,
            project_id: row.project_id,
            answers: answers.answers,
            scenarios: answers.scenarios,
            result,
            recorded_by: Some(row.recorded_by),
            version: Some(row.version),
            created_at: Some(utc(row.created_at)),
        })
    }
}

fn answer_errors(errors: Vec<AnswerError>) -> AppError {
    AppError::Validation(
        errors
            .into_iter()
            .map(|e| {
                FieldError::new(
                    e.field(),
                    e.code(),
                    Text::new(e.to_string(), e.message_zh()),
                )
            })
            .collect(),
    )
}

fn unknown_project(code: &'static str) -> AppError {
    AppError::field(
        "project_id",
        code,
        Text::new(
            "a diagnosis or acceptance needs an existing project you serve or are assigned to",
            "诊断和验收评测须关联您负责或受指派的已有改造项目",
        ),
    )
}

/// The right that records each kind.
fn recording_right(kind: AssessmentKind) -> Right {
    match kind {
        AssessmentKind::SelfAssessment => Right::RecordSelfAssessment,
        AssessmentKind::Diagnosis => Right::RecordDiagnosis,
        AssessmentKind::Acceptance => Right::RecordAcceptance,
    }
}

/// The project a diagnosis (its provider, once matched) or an acceptance
/// (its assigned evaluator, once pre-checked) is recorded for; a project
/// the caller does not reach this way is as unknown as one that is not.
fn project_for(
    conn: &mut AnyConnection,
    who: &Principal,
    project_id: &str,
    kind: AssessmentKind,
) -> Result<ProjectRow> {
    let p = crate::projects::visible(conn, who, project_id).map_err(|e| match e {
        AppError::NotFound => unknown_project("unknown_project"),
        other => other,
    })?;
    if !who.reach(recording_right(kind)).contains(&p.target()) {
        return Err(unknown_project("unknown_project"));
    }
    let due = match kind {
        AssessmentKind::Diagnosis => shuzhuan_lifecycle::ProjectState::Matched,
        _ => shuzhuan_lifecycle::ProjectState::AcceptancePrechecked,
    };
    if *p.row.state != due {
        return Err(AppError::Conflict {
            code: "project_not_due",
            detail: Text::new(
                format!(
                    "The project is `{}`; this assessment is recorded when it is `{due}`.",
                    *p.row.state
                ),
                format!(
                    "项目当前状态为 `{}`，须在 `{due}` 状态下记录该评测。",
                    *p.row.state
                ),
            ),
        });
    }
    Ok(p.row)
}

/// Scores answers: a dry run for anyone signed in, or a recorded
/// assessment by the role of its kind (the enterprise its self-assessment,
/// the project's provider its diagnosis, the assigned evaluator its
/// acceptance). `recorded` tells which it was.
pub fn create(
    s: &mut Session,
    who: &Principal,
    query: &AssessmentQuery,
    body: Body<AssessmentRequest>,
) -> Result<Recorded> {
    let dry_run = query.dry_run.unwrap_or(false);
    if dry_run {
        who.require(Right::ScoreAssessment)?;
    } else if AssessmentKind::ALL
        .iter()
        .all(|k| who.reach(recording_right(*k)).is_empty())
    {
        return Err(AppError::Forbidden(Right::RecordSelfAssessment));
    }
    let body = body.read()?;
    if !dry_run {
        who.require(recording_right(body.kind))?;
    }
    let sets = builtin();
    let set = sets
        .iter()
        .find(|s| s.code == body.indicator_set)
        .ok_or_else(|| {
            let loaded: Vec<&str> = sets.iter().map(|s| s.code.as_str()).collect();
            AppError::field(
                "indicator_set",
                "indicator_set_not_loaded",
                Text::new(
                    format!("not loaded; loaded sets: {}", loaded.join(", ")),
                    format!("该评测指标未加载；已加载：{}", loaded.join("、")),
                ),
            )
        })?;
    let answers = Answers {
        answers: body.answers,
        scenarios: body.scenarios,
    };
    let card = score(set, &answers).map_err(answer_errors)?;
    let result = ScorecardView::from(&card);
    if dry_run {
        return Ok(Recorded {
            view: AssessmentView {
                id: None,
                kind: body.kind,
                indicator_set: set.code.clone(),
                enterprise_id: body.enterprise_id,
                project_id: body.project_id,
                answers: answers.answers,
                scenarios: answers.scenarios,
                result,
                recorded_by: None,
                version: None,
                created_at: None,
            },
            recorded: false,
        });
    }
    let (enterprise_id, project, program_id) = match body.kind {
        AssessmentKind::SelfAssessment => {
            if body.project_id.is_some() {
                return Err(AppError::field(
                    "project_id",
                    "project_not_allowed",
                    Text::new(
                        "a self-assessment belongs to no project",
                        "自评不属于任何改造项目",
                    ),
                ));
            }
            let own = who.own_enterprise(body.enterprise_id.as_deref())?;
            (own, None, None)
        }
        AssessmentKind::Diagnosis | AssessmentKind::Acceptance => {
            let Some(project_id) = &body.project_id else {
                return Err(unknown_project("project_required"));
            };
            let project = project_for(s.conn(), who, project_id, body.kind)?;
            (
                project.enterprise_id.clone(),
                Some(project.id),
                Some(project.program_id),
            )
        }
    };
    let row = AssessmentRow {
        id: new_id(),
        kind: Coded(body.kind),
        indicator_set: set.code.clone(),
        enterprise_id: Some(enterprise_id),
        project_id: project,
        recorded_by: who.user_id.clone(),
        answers: Json::new(answers)?,
        total_points: card.total_points.thousandths(),
        level: i32::from(card.level.get()),
        result: serde_json::to_string(&result).map_err(AppError::internal)?,
        version: 1,
        created_at: now(),
    };
    let view = s.write(&who.actor(), |tx| -> Result<AssessmentView> {
        assessments::insert(tx.conn(), &row)?;
        let view = AssessmentView::from_row(row)?;
        tx.record(change(
            "assessment.create",
            ObjectType::Assessment,
            Key::new(
                view.id.as_deref().unwrap_or_default(),
                program_id.as_deref(),
                1,
            ),
            None,
            &view,
        ));
        Ok(view)
    })?;
    Ok(Recorded {
        view,
        recorded: true,
    })
}

/// An assessment scored, and whether it was stored.
pub struct Recorded {
    pub view: AssessmentView,
    pub recorded: bool,
}

/// One assessment: its recorder, its enterprise's staff, whoever reads its
/// project, and the platform.
pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<AssessmentView> {
    let reach = who.require(Right::ReadAssessment)?;
    let row = assessments::find(s.conn(), id)?;
    let readable = match &row.project_id {
        Some(project) => match crate::projects::visible(s.conn(), who, project) {
            Ok(p) => {
                let mut t = p.target();
                t.owner = Some(&row.recorded_by);
                reach.contains(&t)
            }
            Err(AppError::NotFound) => reach.contains(&Target {
                owner: Some(&row.recorded_by),
                ..Default::default()
            }),
            Err(e) => return Err(e),
        },
        None => reach.contains(&Target {
            enterprise: row.enterprise_id.as_deref(),
            owner: Some(&row.recorded_by),
            ..Default::default()
        }),
    };
    if !readable {
        return Err(AppError::NotFound);
    }
    AssessmentView::from_row(row)
}
