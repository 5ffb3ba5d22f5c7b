//! The programme's dashboard (targets against actuals), the red/yellow/green
//! monitor of its projects and its thresholds. They, the provider ranking
//! (`crate::ranking`) and the evaluation reports read the same facts, loaded in a few queries and turned into
//! the inputs of the pure `shuzhuan-monitoring` crate. A county office
//! sees the projects of its regions: the projects its reach to read them
//! holds, as everywhere.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shuzhuan_lifecycle::{BenchmarkStatus, ProjectAction, ProjectState, rule};
use shuzhuan_monitoring::dashboard::{self, Filter, Milestone, ProjectRecord, Records};
use shuzhuan_monitoring::forecast::{self, Forecast, ForecastMethod, Pace, PaceRule};
use shuzhuan_monitoring::indicators::{
    self, Indicator, ProjectColours, ProjectFacts, SpotCheckStatus, Why,
};
use shuzhuan_monitoring::risk::RiskSettings;
use shuzhuan_monitoring::targets::{Metric, Unit};
use shuzhuan_monitoring::{Colour, Thresholds};
use shuzhuan_persistence::repo::{programs, projects, supervision};
use shuzhuan_persistence::rows::{MonitoringSettingsRow, ProgramRow, ProjectRow, TargetRow};
use shuzhuan_persistence::{AnyConnection, Json, Session, now};
use shuzhuan_types::{ObjectType, Reach};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Expected, FieldError, Lang, Result, Text};
use crate::input::{self, Body};
use crate::journal::{Key, change};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::targets::unit_str;
use crate::view::{code_schema, optional_code_schema, string_enum};

fn say(why: &Why, lang: Lang) -> String {
    match lang {
        Lang::En => why.en.clone(),
        Lang::Zh => why.zh.clone(),
    }
}

/// What the three views compute from.
pub(crate) struct Loaded {
    pub program: ProgramRow,
    pub facts: supervision::ProgramFacts,
    pub thresholds: Thresholds,
}

/// A programme's settings: the monitor's thresholds, the risk rules'
/// settings and their version (the defaults at version 0).
fn thresholds_of(row: Option<&MonitoringSettingsRow>) -> (Thresholds, RiskSettings, i64) {
    match row {
        None => (Thresholds::default(), RiskSettings::default(), 0),
        Some(r) => (r.thresholds.get().clone(), r.risk.get().clone(), r.version),
    }
}

/// The programme's facts; with a reach, only the projects it holds.
pub(crate) fn load(
    conn: &mut AnyConnection,
    program_id: &str,
    projects_in: Option<&Reach>,
) -> Result<Loaded> {
    let program = programs::find(conn, program_id)?;
    let mut facts = supervision::program_facts(conn, program_id)?;
    if let Some(reach) = projects_in {
        facts
            .projects
            .retain(|p| reach.contains(&projects::target(p, &[])));
    }
    let (thresholds, ..) = thresholds_of(supervision::settings_of(conn, program_id)?.as_ref());
    Ok(Loaded {
        program,
        facts,
        thresholds,
    })
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// States in which a project is monitored: applied and not yet finished.
fn monitored(state: ProjectState) -> bool {
    !matches!(
        state,
        ProjectState::Draft
            | ProjectState::Withdrawn
            | ProjectState::Disqualified
            | ProjectState::Disbursed
    )
}

/// Per project: its steps (action, to_state, date), in order.
pub(crate) fn steps_by_project(
    facts: &supervision::ProgramFacts,
) -> HashMap<&str, Vec<(ProjectAction, ProjectState, NaiveDate)>> {
    let mut out: HashMap<&str, Vec<_>> = HashMap::new();
    for s in &facts.steps {
        out.entry(s.project_id.as_str())
            .or_default()
            .push((s.action.0, s.to_state.0, s.at.date()));
    }
    out
}

/// The monitor's view of each monitored project.
fn project_facts(l: &Loaded, today: NaiveDate) -> Vec<(ProjectFacts, &ProjectRow)> {
    let steps = steps_by_project(&l.facts);
    let batches: HashMap<&str, _> = l.facts.batches.iter().map(|b| (b.id.as_str(), b)).collect();
    let mut kinds: HashMap<&str, HashSet<_>> = HashMap::new();
    for (project, kind) in &l.facts.documents {
        kinds.entry(project).or_default().insert(kind.0);
    }
    let drawn: HashSet<&str> = l
        .facts
        .spot_checks
        .iter()
        .flat_map(|c| c.drawn.iter().map(|d| d.project_id.as_str()))
        .collect();
    l.facts
        .projects
        .iter()
        .filter(|p| monitored(p.state.0))
        .map(|p| {
            let state = p.state.0;
            let since = steps
                .get(p.id.as_str())
                .and_then(|s| s.last().map(|(_, _, on)| *on))
                .unwrap_or(p.created_at.date());
            let plan = p.plan.as_ref().map(|plan| plan.get());
            let batch = batches.get(p.batch_id.as_str());
            let window_end = batch.and_then(|b| match state {
                ProjectState::Implementing => b.implementation_ends_on,
                ProjectState::AcceptanceRequested
                | ProjectState::AcceptancePrechecked
                | ProjectState::Rectification => b.acceptance_ends_on,
                _ => None,
            });
            let audited_fen = p.audited_line_items.as_ref().map(|items| {
                items
                    .iter()
                    .fold(0i64, |sum, i| sum.saturating_add(i.amount_fen))
            });
            let findings: Vec<_> = l
                .facts
                .findings
                .iter()
                .filter(|f| f.project_id == p.id)
                .collect();
            let adverse = findings.iter().filter(|f| f.outcome.is_adverse()).count();
            let spot_check = if adverse > 0 {
                SpotCheckStatus::Findings(adverse)
            } else if !findings.is_empty() {
                SpotCheckStatus::Compliant
            } else if drawn.contains(p.id.as_str()) {
                SpotCheckStatus::Awaiting
            } else {
                SpotCheckStatus::NotSampled
            };
            let present = kinds.get(p.id.as_str());
            let missing_documents = l
                .facts
                .requirements
                .iter()
                .filter(|(action, kind)| {
                    rule(action.0).from.contains(&state)
                        && !present.is_some_and(|k| k.contains(&kind.0))
                })
                .map(|(_, kind)| kind.as_str().to_owned())
                .collect();
            let facts = ProjectFacts {
                id: p.id.clone(),
                state,
                days_in_state: (today - since).num_days(),
                plan_period: plan.map(|v| (v.starts_on, v.ends_on)),
                implementing: state == ProjectState::Implementing,
                progress_percent: i64::from(p.progress_percent),
                window_end,
                contract_fen: plan.map(|v| v.contract_amount_fen),
                audited_fen,
                awaiting_payment: state == ProjectState::SubsidyApproved,
                subsidy_fen: p.subsidy_fen,
                disbursed_fen: p.disbursed_fen,
                acceptance: p.level_after.map(|after| {
                    (
                        after >= l.program.pass_level,
                        p.level_before.map(|before| i64::from(after - before)),
                    )
                }),
                rectification_deadline: p.rectification_deadline,
                provider_id: p.provider_id.clone(),
                spot_check,
                missing_documents,
                risk: None,
            };
            (facts, p)
        })
        .collect()
}

fn indicator_schema() -> utoipa::openapi::schema::Object {
    string_enum(Indicator::ALL.map(Indicator::as_str))
}

/// The thresholds as a schema built from the domain's own fields, so the
/// document cannot drift from what is accepted.
fn thresholds_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let defaults = serde_json::to_value(Thresholds::default()).unwrap_or_default();
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Monitoring thresholds; omitted fields keep their defaults. The defaults are Shuzhuan's, not a seed's: seed 004 item 16 names three of the ten core indicators (项目进度, 资金使用, 服务商管理) and no threshold. Yellow when progress lags the planned pace by 10–30 points, red beyond; the eleventh indicator, risk, yellow from a score of 25 and red from 50.",
        ))
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
    if let Some(map) = defaults.as_object() {
        for (name, default) in map {
            b = b.property(
                name,
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(Thresholds::MAX))
                    .default(Some(default.clone())),
            );
        }
    }
    b.build()
}

/// The risk rules' settings as a schema built from the domain's own
/// fields and defaults.
fn risk_settings_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let closed = || AdditionalProperties::FreeForm(false);
    let int = |default: &Value, max: Option<f64>| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0))
            .maximum(max)
            .default(Some(default.clone()))
    };
    let defaults = serde_json::to_value(RiskSettings::default()).unwrap_or_default();
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The risk rules' thresholds and the points of each flag kind towards the 0–100 score; omitted fields keep their defaults (Shuzhuan's, chosen to flag few projects on clean data: no seed sets them). `copied_plan_bp`: plans at least this similar (Jaccard of three-word shingles, basis points) are copies; `price_outlier_pct` with `price_min_peers`: a line item this many percent of its category's median; `list_price_pct`: a contract this many percent of the listed prices of the library products it names; `sweet_spot_band_bp`: a contract this close to the cap divided by the rate; `level_jump_levels` within `level_jump_days`; `early_acceptance_progress_pct`; `same_day_projects`; `concentration_pct` of the mean provider's share of a batch or region, with `concentration_min_providers`; `copied_assessment_bp`: the share of an acceptance's answers equal to the diagnosis's (with a higher level); `evaluator_excess_x100`: an evaluator's mean gain above the others' in hundredths of a level, each side with `evaluator_min_assessments`; `weights`: points per flag kind, 0–100.",
        ))
        .additional_properties(Some(closed()));
    if let Some(map) = defaults.as_object() {
        for (name, default) in map {
            b = match default.as_object() {
                Some(weights) => b.property(
                    name,
                    weights
                        .iter()
                        .fold(
                            ObjectBuilder::new()
                                .schema_type(Type::Object)
                                .additional_properties(Some(closed())),
                            |w, (kind, d)| w.property(kind, int(d, Some(100.0))),
                        )
                        .build(),
                ),
                None => b.property(name, int(default, None)),
            };
        }
    }
    b.build()
}

/// A programme's monitoring thresholds and risk settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitoringSettingsView {
    pub program_id: String,
    #[schema(schema_with = thresholds_schema)]
    pub thresholds: Value,
    #[schema(schema_with = risk_settings_schema)]
    pub risk: Value,
    /// 0 while the defaults apply.
    pub version: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"thresholds": {"progress_lag_yellow_pp": 15, "progress_lag_red_pp": 35}, "risk": {"copied_plan_bp": 7500, "weights": {"concentration": 5}}}))]
pub struct MonitoringSettingsRequest {
    #[schema(schema_with = thresholds_schema)]
    pub thresholds: Value,
    /// Omitted: every risk default.
    #[serde(default)]
    #[schema(schema_with = risk_settings_schema)]
    pub risk: Option<Value>,
}

impl Validate for MonitoringSettingsRequest {
    /// Checked against the domain's rules in the use case.
    fn validate(&self) -> std::result::Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

fn settings_view(
    program_id: &str,
    thresholds: &Thresholds,
    risk: &RiskSettings,
    version: i64,
) -> MonitoringSettingsView {
    MonitoringSettingsView {
        program_id: program_id.to_owned(),
        thresholds: serde_json::to_value(thresholds).unwrap_or_default(),
        risk: serde_json::to_value(risk).unwrap_or_default(),
        version,
    }
}

pub fn get_settings(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
) -> Result<MonitoringSettingsView> {
    require_in_programme(who, Right::ReadTargets, program_id)?;
    programs::find(s.conn(), program_id)?;
    let (t, risk, version) =
        thresholds_of(supervision::settings_of(s.conn(), program_id)?.as_ref());
    Ok(settings_view(program_id, &t, &risk, version))
}

/// One part of the settings read from JSON, its faults named by path.
fn read_setting<T: serde::de::DeserializeOwned>(part: &str, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = format!("{part}.{}", e.path());
        let message = crate::input::serde_message(&e.into_inner().to_string());
        AppError::field(path, "invalid_value", message)
    })
}

/// Replaces the thresholds and risk settings (the city_admin; If-Match "0"
/// for the defaults).
pub fn put_settings(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    expected: Expected,
    body: Body<MonitoringSettingsRequest>,
) -> Result<MonitoringSettingsView> {
    require_in_programme(who, Right::SetThresholds, program_id)?;
    let body = body.read()?;
    let thresholds: Thresholds = read_setting("thresholds", body.thresholds)?;
    let risk: RiskSettings = match body.risk {
        Some(v) => read_setting("risk", v)?,
        None => RiskSettings::default(),
    };
    risk.check().map_err(|errors| {
        AppError::Validation(
            errors
                .into_iter()
                .map(|e| {
                    FieldError::new(
                        format!("risk.{}", e.field),
                        "range",
                        Text::new(e.message, e.message_zh),
                    )
                })
                .collect(),
        )
    })?;
    thresholds.check().map_err(|errors| {
        AppError::Validation(
            errors
                .into_iter()
                .map(|e| {
                    FieldError::new(
                        format!("thresholds.{}", e.field),
                        "threshold_order",
                        Text::new(e.message, "红色阈值须大于黄色阈值，且不得为负"),
                    )
                })
                .collect(),
        )
    })?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        let before = supervision::settings_of(tx.conn(), program_id)?;
        let (old, old_risk, current) = thresholds_of(before.as_ref());
        expected.check(current)?;
        let row = MonitoringSettingsRow {
            program_id: program_id.to_owned(),
            thresholds: Json::new(thresholds.clone())?,
            version: current + 1,
            updated_at: now(),
            risk: Json::new(risk.clone())?,
        };
        supervision::put_settings(tx.conn(), &row, current)?;
        let after = settings_view(program_id, &thresholds, &risk, row.version);
        let before_view = before.map(|_| settings_view(program_id, &old, &old_risk, current));
        tx.record(change(
            "monitoring_settings.put",
            ObjectType::MonitoringSettings,
            Key::new(program_id, Some(program_id), row.version),
            before_view.as_ref(),
            &after,
        ));
        Ok(after)
    })
}

/// One indicator of one project.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorReading {
    #[schema(schema_with = indicator_schema)]
    pub indicator: Indicator,
    /// Null where it does not apply yet.
    #[schema(schema_with = optional_code_schema::<Colour>)]
    pub colour: Option<Colour>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectMonitor {
    pub project_id: String,
    pub title: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub batch_id: String,
    pub provider_id: Option<String>,
    #[schema(schema_with = code_schema::<ProjectState>)]
    pub state: ProjectState,
    #[schema(schema_with = code_schema::<Colour>)]
    pub overall: Colour,
    /// Why it is not green: the reasons of its yellow and red indicators.
    pub reasons: Vec<String>,
    pub indicators: Vec<IndicatorReading>,
}

/// A group of projects (a region, batch or provider, or all of them).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupColour {
    pub key: String,
    pub total: usize,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    #[schema(schema_with = code_schema::<Colour>)]
    pub colour: Colour,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonitoringReport {
    pub program_id: String,
    pub as_of: NaiveDate,
    /// All monitored projects in the caller's scope.
    pub summary: GroupColour,
    pub by_region: Vec<GroupColour>,
    pub by_batch: Vec<GroupColour>,
    pub by_provider: Vec<GroupColour>,
    /// The projects, filtered by the query.
    pub projects: Vec<ProjectMonitor>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonitoringQuery {
    /// Only projects of this overall colour.
    #[param(schema_with = code_schema::<Colour>)]
    pub colour: Option<String>,
    pub region_code: Option<String>,
    pub batch_id: Option<String>,
    pub provider_id: Option<String>,
}

fn group(key: String, colours: &[Colour], t: &Thresholds, lang: Lang) -> GroupColour {
    let count = |c: Colour| colours.iter().filter(|x| **x == c).count();
    let (green, yellow, red) = (
        count(Colour::Green),
        count(Colour::Yellow),
        count(Colour::Red),
    );
    let total = colours.len();
    let colour = t.group(red, yellow, total);
    let reason = match lang {
        Lang::En => format!(
            "{red} red and {yellow} yellow of {total} (red above {}% red, yellow above {}% red or yellow)",
            t.group_red_share_pct, t.group_yellow_share_pct
        ),
        Lang::Zh => format!(
            "共 {total} 个，红 {red} 个、黄 {yellow} 个（红色占比超过 {}% 为红，红黄合计超过 {}% 为黄）",
            t.group_red_share_pct, t.group_yellow_share_pct
        ),
    };
    GroupColour {
        key,
        total,
        green,
        yellow,
        red,
        colour,
        reason,
    }
}

fn groups(
    rows: &[(&ProjectRow, &ProjectColours)],
    key: impl Fn(&ProjectRow) -> Option<String>,
    t: &Thresholds,
    lang: Lang,
) -> Vec<GroupColour> {
    let mut by: BTreeMap<String, Vec<Colour>> = BTreeMap::new();
    for (p, c) in rows {
        if let Some(k) = key(p) {
            by.entry(k).or_default().push(c.overall);
        }
    }
    by.into_iter()
        .map(|(k, cs)| group(k, &cs, t, lang))
        .collect()
}

/// Runs the monitor over the loaded facts.
/// With `risk`, each project's score and flag kinds feed the eleventh
/// indicator (the ranking does without: a suspicion counts in no score).
pub(crate) fn run_monitor<'l>(
    l: &'l Loaded,
    today: NaiveDate,
    risk: Option<&crate::risks::Assessed>,
) -> Vec<(&'l ProjectRow, ProjectColours)> {
    let facts = project_facts(l, today);
    let inputs: Vec<ProjectFacts> = facts
        .iter()
        .map(|(f, _)| ProjectFacts {
            risk: risk.map(|r| r.kinds_of(&f.id)),
            ..f.clone()
        })
        .collect();
    let colours = indicators::monitor(&inputs, &l.thresholds, today);
    facts.into_iter().map(|(_, p)| p).zip(colours).collect()
}

/// Every monitored project the caller reads (applied, not yet paid,
/// withdrawn or disqualified) with a colour per indicator and overall, and
/// the colours of its region, batch and provider.
pub fn monitoring(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: &MonitoringQuery,
    lang: Lang,
) -> Result<MonitoringReport> {
    require_in_programme(who, Right::ReadTargets, program_id)?;
    let colour = input::optional_code::<Colour>("colour", q.colour.as_deref())?;
    let loaded = load(s.conn(), program_id, Some(&who.reach(Right::ReadProject)))?;
    let today = today();
    let risk = crate::risks::assessed(s.conn(), program_id)?;
    let monitored = run_monitor(&loaded, today, Some(&risk));
    let rows: Vec<(&ProjectRow, &ProjectColours)> =
        monitored.iter().map(|(p, c)| (*p, c)).collect();
    let t = &loaded.thresholds;
    let all: Vec<Colour> = rows.iter().map(|(_, c)| c.overall).collect();
    let projects = rows
        .iter()
        .filter(|(p, c)| {
            colour.is_none_or(|x| x == c.overall)
                && q.region_code.as_ref().is_none_or(|r| *r == p.region_code)
                && q.batch_id.as_ref().is_none_or(|b| *b == p.batch_id)
                && q.provider_id
                    .as_ref()
                    .is_none_or(|pr| Some(pr) == p.provider_id.as_ref())
        })
        .map(|(p, c)| ProjectMonitor {
            project_id: p.id.clone(),
            title: p.title.clone(),
            enterprise_id: p.enterprise_id.clone(),
            region_code: p.region_code.clone(),
            batch_id: p.batch_id.clone(),
            provider_id: p.provider_id.clone(),
            state: p.state.0,
            overall: c.overall,
            reasons: c
                .readings
                .iter()
                .filter(|r| r.colour.is_some_and(|x| x != Colour::Green))
                .map(|r| say(&r.why, lang))
                .collect(),
            indicators: c
                .readings
                .iter()
                .map(|r| IndicatorReading {
                    indicator: r.indicator,
                    colour: r.colour,
                    reason: say(&r.why, lang),
                })
                .collect(),
        })
        .collect();
    Ok(MonitoringReport {
        program_id: loaded.program.id.clone(),
        as_of: today,
        summary: group("all".into(), &all, t, lang),
        by_region: groups(&rows, |p| Some(p.region_code.clone()), t, lang),
        by_batch: groups(&rows, |p| Some(p.batch_id.clone()), t, lang),
        by_provider: groups(&rows, |p| p.provider_id.clone(), t, lang),
        projects,
    })
}

/// The milestone a step reached, if any.
fn milestone(action: ProjectAction, to: ProjectState) -> Option<Milestone> {
    use ProjectAction as A;
    match (action, to) {
        (A::Submit, _) => Some(Milestone::Submitted),
        (A::RecordDiagnosis, _) => Some(Milestone::Diagnosed),
        (A::ApprovePlan, ProjectState::Implementing) => Some(Milestone::Contracted),
        (A::RecordAcceptance, ProjectState::Accepted) => Some(Milestone::Accepted),
        (A::ApproveSubsidy, _) => Some(Milestone::SubsidyApproved),
        _ => None,
    }
}

/// The dashboard's records from the loaded facts.
fn records(conn: &mut AnyConnection, l: &Loaded, f: &Filter) -> Result<Records> {
    let steps = steps_by_project(&l.facts);
    let enterprises: HashMap<&str, &supervision::EnterpriseFlags> = l
        .facts
        .enterprises
        .iter()
        .map(|e| (e.id.as_str(), e))
        .collect();
    let projects = l
        .facts
        .projects
        .iter()
        .map(|p| {
            let e = enterprises.get(p.enterprise_id.as_str());
            ProjectRecord {
                enterprise_id: p.enterprise_id.clone(),
                region: p.region_code.clone(),
                batch: p.batch_id.clone(),
                industry: e.and_then(|e| e.industry_code.clone()),
                above_size: e.is_some_and(|e| e.above_designated_size),
                specialised: e.is_some_and(|e| e.specialised),
                little_giant: e.is_some_and(|e| e.little_giant),
                innovative: e.is_some_and(|e| e.innovative),
                cloud_adopted: e.is_some_and(|e| e.cloud_adopted),
                active: !matches!(
                    p.state.0,
                    ProjectState::Withdrawn | ProjectState::Disqualified
                ),
                milestones: steps
                    .get(p.id.as_str())
                    .map(|s| {
                        s.iter()
                            .filter_map(|(a, to, on)| Some((milestone(*a, *to)?, *on)))
                            .collect()
                    })
                    .unwrap_or_default(),
                level_after: p.level_after,
                subsidy_fen: p.subsidy_fen,
                disbursed_fen: p.disbursed_fen,
            }
        })
        .collect();
    Ok(Records {
        projects,
        providers: l
            .facts
            .providers
            .iter()
            .map(|p| (p.kind.0, p.local))
            .collect(),
        listed_products: l.facts.listed_products,
        benchmarks: l
            .facts
            .benchmarks
            .iter()
            .filter(|b| *b.status == BenchmarkStatus::Awarded)
            .map(|b| (b.kind.0, b.year))
            .collect(),
        events: l
            .facts
            .events
            .iter()
            .map(|e| {
                (
                    e.kind.0,
                    e.held_on,
                    e.region_code.clone(),
                    i64::from(e.certified),
                )
            })
            .collect(),
        finance_products: l
            .facts
            .finance_products
            .iter()
            .map(|p| p.launched_on)
            .collect(),
        cloud_adopters: supervision::cloud_adopters(
            conn,
            &l.program.id,
            f.region.as_deref(),
            f.industry.as_deref(),
        )?,
        specialised_registered: supervision::specialised_registered(
            conn,
            &l.program.id,
            f.region.as_deref(),
            f.industry.as_deref(),
        )?,
    })
}

fn unit_schema() -> utoipa::openapi::schema::Object {
    string_enum(["count", "share_bp", "amount_fen"])
}

/// One metric on the dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardRow {
    #[schema(schema_with = code_schema::<Metric>)]
    pub metric: Metric,
    pub metric_name: String,
    /// count, share_bp or amount_fen.
    #[schema(schema_with = unit_schema)]
    pub unit: String,
    /// The target for exactly the requested scope, if one is set.
    pub target: Option<i64>,
    pub cumulative: bool,
    pub actual: Option<i64>,
    /// `computed` from the data, `recorded` on the target, or `none`.
    #[schema(example = "computed")]
    pub actual_source: String,
    /// Actual over target, in basis points (may exceed 10,000).
    pub share_bp: Option<i64>,
    /// Where the pace says the share should be today, in percent (paced
    /// metrics only).
    pub expected_pct: Option<i64>,
    #[schema(schema_with = code_schema::<PaceRule>)]
    pub pace_rule: PaceRule,
    /// Where it will stand at its deadline; null for metrics without dated
    /// records (the pool, the library, the registry, figures recorded by
    /// hand).
    pub forecast: Option<ForecastView>,
    #[schema(schema_with = optional_code_schema::<Colour>)]
    pub colour: Option<Colour>,
    /// Why that colour.
    pub reason: Option<String>,
    /// The target's source (seed and clause).
    pub source: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub program_id: String,
    pub as_of: NaiveDate,
    pub year: Option<i32>,
    pub industry: Option<String>,
    pub region: Option<String>,
    /// Of the metrics with a target: red above the group red share, etc.
    pub summary: GroupColour,
    pub items: Vec<DashboardRow>,
    /// The programme's money by source and purpose with its earmarks
    /// checked (as `GET …/fund-compliance`), for callers who read the
    /// programme's money; null for the others.
    pub funds: Option<crate::subsidy::FundComplianceView>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// Targets of this year (and actuals of that year, or up to its end
    /// for cumulative targets); omit for whole-programme targets.
    #[validate(range(
        min = 2000,
        max = 2100,
        message = "must be 2000 to 2100",
        code = "range"
    ))]
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// An industry code of the programme.
    pub industry: Option<String>,
    /// A region code of the programme.
    pub region: Option<String>,
    /// Read the dashboard as it stood at the end of this day
    /// (`YYYY-MM-DD`; default today): actuals from what was dated by then,
    /// pace and forecasts from that day. Counts without dates (the pool,
    /// the library, the registry) are today's.
    pub as_of: Option<NaiveDate>,
}

/// One stage of a pipeline forecast.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastStage {
    #[schema(schema_with = code_schema::<Milestone>)]
    pub stage: Milestone,
    /// Enterprises whose furthest milestone it is, on their way.
    pub on_the_way: usize,
    /// Projects of the programme that went from it to the goal.
    pub observed: usize,
    /// Days from it to the goal: 25th, 50th and 75th percentile of those
    /// observed (90 days a stage while none is).
    pub days_p25: i64,
    pub days_median: i64,
    pub days_p75: i64,
    /// Reached the goal against reached it or dropped out, basis points.
    pub conversion_bp: u32,
    /// Of those on their way, arriving by the deadline at the median.
    pub arriving: usize,
}

/// Where a shortfall sits: the stage, region and batch holding most of
/// the enterprises that will not arrive in time.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastBottleneck {
    /// Enterprises arriving after the deadline (at the median days).
    pub late: usize,
    #[schema(schema_with = optional_code_schema::<Milestone>)]
    pub stage: Option<Milestone>,
    pub region_code: Option<String>,
    pub batch_id: Option<String>,
}

/// A target's forecast at its deadline, with its inputs and method.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastView {
    #[schema(schema_with = code_schema::<ForecastMethod>)]
    pub method: ForecastMethod,
    /// The end of the target's period (its year, or the programme).
    pub deadline: NaiveDate,
    pub low: i64,
    pub likely: i64,
    pub high: i64,
    /// The change over the last 90 days (the current pace).
    pub change_last_90_days: i64,
    /// The day the current pace reaches the target (`as_of` when reached;
    /// null without a target or without progress).
    pub reaches_target_on: Option<NaiveDate>,
    /// The likely value falls short of the target.
    pub short: bool,
    /// The pipeline by stage (empty for a trend).
    pub stages: Vec<ForecastStage>,
    pub bottleneck: Option<ForecastBottleneck>,
    /// The method and its inputs in words, in the caller's language.
    pub explanation: String,
}

/// A figure in its unit, for the explanations.
fn figure(unit: Unit, v: i64) -> String {
    match unit {
        Unit::ShareBp => format!("{}.{:02}%", v / 100, (v % 100).abs()),
        Unit::AmountFen => format!("{}.{:02} yuan", v / 100, (v % 100).abs()),
        Unit::Count => v.to_string(),
    }
}

fn forecast_view(f: Forecast, unit: Unit, target: Option<i64>, lang: Lang) -> ForecastView {
    let fig = |v: i64| match lang {
        Lang::En => figure(unit, v),
        Lang::Zh => figure(unit, v).replace(" yuan", " 元"),
    };
    let mut explanation = match (f.method, lang) {
        (ForecastMethod::Pipeline, Lang::En) => format!(
            "Pipeline: {} now; each enterprise on its way arrives after the days this programme's projects took from its stage (25th/50th/75th percentile) with the stage's conversion: likely {}, between {} and {} by {}.",
            fig(f.current),
            fig(f.likely),
            fig(f.low),
            fig(f.high),
            f.deadline
        ),
        (ForecastMethod::Pipeline, Lang::Zh) => format!(
            "按在途推算：当前 {}；在途企业按本试点项目从所处环节到目标环节的历时（25/50/75 分位）和转化率到达：至 {} 最可能 {}，区间 {}–{}。",
            fig(f.current),
            f.deadline,
            fig(f.likely),
            fig(f.low),
            fig(f.high)
        ),
        (ForecastMethod::Trend, Lang::En) => format!(
            "Trend: {} now, {} over the last 90 days carried on to {}: likely {}, between {} (half the pace) and {} (one and a half).",
            fig(f.current),
            fig(f.change_in_window),
            f.deadline,
            fig(f.likely),
            fig(f.low),
            fig(f.high)
        ),
        (ForecastMethod::Trend, Lang::Zh) => format!(
            "按趋势推算：当前 {}，近 90 天变化 {}，按此速度至 {} 最可能 {}，区间 {}（半速）–{}（1.5 倍速）。",
            fig(f.current),
            fig(f.change_in_window),
            f.deadline,
            fig(f.likely),
            fig(f.low),
            fig(f.high)
        ),
    };
    if let (true, Some(t)) = (f.short, target) {
        explanation.push_str(&match lang {
            Lang::En => format!(" Likely short of the target {}.", fig(t)),
            Lang::Zh => format!(" 预计达不到目标 {}。", fig(t)),
        });
        if let Some(b) = &f.bottleneck {
            let stage = b
                .stage
                .as_ref()
                .map_or(String::new(), |s| s.0.as_str().to_owned());
            let region = b.region.as_ref().map_or(String::new(), |r| r.0.clone());
            let batch = b.batch.as_ref().map_or(String::new(), |x| x.0.clone());
            explanation.push_str(&match lang {
                Lang::En => format!(
                    " {} enterprises would arrive after the deadline, most at stage {stage}, in region {region}, batch {batch}.",
                    b.late
                ),
                Lang::Zh => format!(
                    " 有 {} 家企业将晚于期限到达，主要卡在 {stage} 环节、区县 {region}、批次 {batch}。",
                    b.late
                ),
            });
        }
    }
    ForecastView {
        method: f.method,
        deadline: f.deadline,
        low: f.low,
        likely: f.likely,
        high: f.high,
        change_last_90_days: f.change_in_window,
        reaches_target_on: f.reaches_target_on,
        short: f.short,
        stages: f
            .stages
            .into_iter()
            .map(|s| ForecastStage {
                stage: s.stage,
                on_the_way: s.on_the_way,
                observed: s.observed,
                days_p25: s.days.0,
                days_median: s.days.1,
                days_p75: s.days.2,
                conversion_bp: s.conversion_bp,
                arriving: s.arriving,
            })
            .collect(),
        bottleneck: f.bottleneck.map(|b| ForecastBottleneck {
            late: b.late,
            stage: b.stage.map(|s| s.0),
            region_code: b.region.map(|r| r.0),
            batch_id: b.batch.map(|x| x.0),
        }),
        explanation,
    }
}

/// The end of a target's period: its year's last day, or the programme's.
fn deadline_of(year: Option<i32>, programme_end: NaiveDate) -> NaiveDate {
    year.and_then(|y| NaiveDate::from_ymd_opt(y, 12, 31))
        .unwrap_or(programme_end)
}

/// Every metric: its target for the requested scope, the actual computed
/// from the data (or recorded by hand), the share reached and its colour
/// against the pace.
pub fn dashboard(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: &DashboardQuery,
    lang: Lang,
) -> Result<Dashboard> {
    require_in_programme(who, Right::ReadTargets, program_id)?;
    let conn = s.conn();
    let loaded = load(conn, program_id, Some(&who.reach(Right::ReadProject)))?;
    let filter = Filter {
        year: q.year,
        industry: q.industry.clone(),
        region: q.region.clone(),
    };
    let today = q.as_of.unwrap_or_else(today);
    let pace = Pace::new(&records(conn, &loaded, &filter)?, today);
    let recs = &pace.now;
    let targets: Vec<TargetRow> = supervision::targets_of(conn, program_id)?
        .into_iter()
        .filter(|t| t.year == q.year && t.industry_code == q.industry && t.region_code == q.region)
        .collect();
    let span = (loaded.program.starts_on, loaded.program.ends_on);
    let t = &loaded.thresholds;
    let items: Vec<DashboardRow> = Metric::ALL
        .iter()
        .map(|m| {
            let target = targets.iter().find(|t| *t.metric == *m);
            let cumulative = target.is_some_and(|t| t.cumulative);
            let computed = dashboard::actual(*m, recs, &filter, cumulative);
            let recorded = target.and_then(|t| t.recorded_actual);
            let (actual, actual_source) = match (computed, recorded) {
                (Some(a), _) => (Some(a), "computed"),
                (None, Some(r)) => (Some(r), "recorded"),
                (None, None) => (None, "none"),
            };
            let rule = PaceRule::of(*m);
            let forecast = computed.and_then(|_| {
                forecast::forecast(
                    *m,
                    &pace,
                    &filter,
                    cumulative,
                    target.map(|t| t.value),
                    deadline_of(target.and_then(|t| t.year).or(q.year), span.1),
                )
            });
            let assessed = target.zip(actual).map(|(tg, a)| match rule {
                PaceRule::Paced => {
                    let expected = dashboard::expected_pct(tg.year, tg.cumulative, span, today);
                    let (share, colour) = dashboard::assess(tg.value, a, expected, t);
                    (share, Some(expected), colour)
                }
                // A share is judged where it will stand at the deadline:
                // the forecast's likely value as if the period were over
                // (the current value where there is no forecast).
                PaceRule::AtDeadline => {
                    let at_deadline = forecast.as_ref().map_or(a, |f| f.likely);
                    let (_, colour) = dashboard::assess(tg.value, at_deadline, 100, t);
                    let (share, _) = dashboard::assess(tg.value, a, 100, t);
                    (share, None, colour)
                }
            });
            DashboardRow {
                metric: *m,
                metric_name: m.name_zh().to_owned(),
                unit: unit_str(m.unit()).to_owned(),
                target: target.map(|t| t.value),
                cumulative,
                actual,
                actual_source: actual_source.to_owned(),
                share_bp: assessed.map(|a| a.0),
                expected_pct: assessed.and_then(|a| a.1),
                colour: assessed.map(|a| a.2),
                reason: assessed.map(|(share, expected, _)| {
                    let (whole, part) = (share / 100, share % 100);
                    match (expected, lang) {
                        (Some(e), Lang::En) => format!(
                            "{whole}.{part:02}% of the target reached, {e}% expected by now"
                        ),
                        (Some(e), Lang::Zh) => {
                            format!("已完成目标的 {whole}.{part:02}%，按进度此时应达 {e}%")
                        }
                        (None, Lang::En) => format!(
                            "{whole}.{part:02}% of the target now; a share is judged by where it will stand at the deadline"
                        ),
                        (None, Lang::Zh) => format!(
                            "当前为目标的 {whole}.{part:02}%；比例类指标按期末预计值评判"
                        ),
                    }
                }),
                source: target.map(|t| t.source.clone()),
                pace_rule: rule,
                forecast: forecast.map(|f| forecast_view(f, m.unit(), target.map(|t| t.value), lang)),
            }
        })
        .collect();
    let colours: Vec<Colour> = items.iter().filter_map(|r| r.colour).collect();
    Ok(Dashboard {
        program_id: program_id.to_owned(),
        as_of: today,
        year: q.year,
        industry: q.industry.clone(),
        region: q.region.clone(),
        summary: group("targets".into(), &colours, t, lang),
        items,
        funds: match require_in_programme(who, Right::ReadMoney, program_id) {
            Ok(_) => Some(crate::subsidy::funds_of(s.conn(), &loaded.program)?),
            Err(_) => None,
        },
    })
}
