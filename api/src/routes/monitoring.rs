//! The programme's dashboard (targets against actuals), the red/yellow/green
//! monitor of its projects, its thresholds, and the provider ranking (赛马).
//! All three read the same facts, loaded in a few queries and turned into
//! the inputs of the pure `shuzhuan-monitoring` crate.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shuzhuan_lifecycle::{PASSING_LEVEL, ProjectAction, ProjectState, rule};
use shuzhuan_monitoring::dashboard::{self, Filter, Milestone, ProjectRecord, Records};
use shuzhuan_monitoring::indicators::{self, ProjectColours, ProjectFacts, SpotCheckStatus, Why};
use shuzhuan_monitoring::ranking::{self, ProviderRecord};
use shuzhuan_monitoring::targets::{Metric, Unit};
use shuzhuan_monitoring::{Colour, Thresholds};
use shuzhuan_persistence::repo::{programs, supervision};
use shuzhuan_persistence::rows::{MonitoringSettingsRow, ProgramRow, ProjectRow, TargetRow};
use shuzhuan_persistence::{AnyConnection, now};
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Lang, Problem, Text};
use crate::extract::{IfMatch, Json, Query, versioned};
use crate::routes::targets::require_reader;
use crate::routes::{change_of, string_enum};
use crate::state::AppState;

fn lang_of(req: &HttpRequest) -> Lang {
    crate::middleware::preferred_lang(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn say(why: &Why, lang: Lang) -> String {
    match lang {
        Lang::En => why.en.clone(),
        Lang::Zh => why.zh.clone(),
    }
}

/// The regions a county_admin is limited to in the programme; `None` for
/// the offices that see all of it.
fn region_limit(caller: &Caller, program_id: &str) -> Option<HashSet<String>> {
    let whole = [Role::CityAdmin, Role::Finance, Role::Observer];
    if whole.iter().any(|r| caller.acts_in_program(*r, program_id)) {
        return None;
    }
    Some(
        caller
            .grants
            .iter()
            .filter(|g| g.role() == Role::CountyAdmin && g.program_id() == Some(program_id))
            .flat_map(|g| g.region_codes().iter().cloned())
            .collect(),
    )
}

/// What the three views compute from.
struct Loaded {
    program: ProgramRow,
    facts: supervision::ProgramFacts,
    thresholds: Thresholds,
}

fn thresholds_of(row: Option<&MonitoringSettingsRow>) -> Result<(Thresholds, i64), ApiError> {
    match row {
        None => Ok((Thresholds::default(), 0)),
        Some(r) => Ok((
            serde_json::from_str(&r.thresholds).map_err(ApiError::internal)?,
            r.version,
        )),
    }
}

fn load(
    conn: &mut AnyConnection,
    program_id: &str,
    regions: Option<&HashSet<String>>,
) -> Result<Loaded, ApiError> {
    let program = programs::find(conn, program_id)?;
    let mut facts = supervision::program_facts(conn, program_id)?;
    if let Some(regions) = regions {
        facts.projects.retain(|p| regions.contains(&p.region_code));
    }
    let (thresholds, _) = thresholds_of(supervision::settings_of(conn, program_id)?.as_ref())?;
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
fn monitored(state: &str) -> bool {
    !matches!(state, "draft" | "withdrawn" | "disqualified" | "disbursed")
}

/// Per project: its steps (action, to_state, date), in order.
fn steps_by_project(
    facts: &supervision::ProgramFacts,
) -> HashMap<&str, Vec<(&str, &str, NaiveDate)>> {
    let mut out: HashMap<&str, Vec<(&str, &str, NaiveDate)>> = HashMap::new();
    for s in &facts.steps {
        out.entry(s.project_id.as_str()).or_default().push((
            s.action.as_str(),
            s.to_state.as_str(),
            s.at.date(),
        ));
    }
    out
}

fn plan_of(p: &ProjectRow) -> Option<Value> {
    p.plan.as_deref().and_then(|t| serde_json::from_str(t).ok())
}

fn date_field(v: &Value, field: &str) -> Option<NaiveDate> {
    v.get(field)?.as_str()?.parse().ok()
}

/// The monitor's view of each monitored project.
fn project_facts(l: &Loaded, today: NaiveDate) -> Vec<(ProjectFacts, &ProjectRow)> {
    let steps = steps_by_project(&l.facts);
    let batches: HashMap<&str, _> = l.facts.batches.iter().map(|b| (b.id.as_str(), b)).collect();
    let mut kinds: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (project, kind) in &l.facts.documents {
        kinds.entry(project).or_default().insert(kind);
    }
    let drawn: HashSet<String> = l
        .facts
        .spot_checks
        .iter()
        .flat_map(|c| serde_json::from_str::<Vec<Value>>(&c.drawn).unwrap_or_default())
        .filter_map(|d| {
            d.get("project_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    l.facts
        .projects
        .iter()
        .filter(|p| monitored(&p.state))
        .map(|p| {
            let since = steps
                .get(p.id.as_str())
                .and_then(|s| s.last().map(|(_, _, on)| *on))
                .unwrap_or(p.created_at.date());
            let plan = plan_of(p);
            let batch = batches.get(p.batch_id.as_str());
            let window_end = batch.and_then(|b| match p.state.as_str() {
                "implementing" => b.implementation_ends_on,
                "acceptance_requested" | "acceptance_prechecked" | "rectification" => {
                    b.acceptance_ends_on
                }
                _ => None,
            });
            let audited_fen = p.audited_line_items.as_deref().and_then(|t| {
                let items: Vec<Value> = serde_json::from_str(t).ok()?;
                Some(
                    items
                        .iter()
                        .filter_map(|i| i.get("amount_fen")?.as_i64())
                        .sum(),
                )
            });
            let findings: Vec<_> = l
                .facts
                .findings
                .iter()
                .filter(|f| f.project_id == p.id)
                .collect();
            let spot_check = if findings.iter().any(|f| f.outcome != "compliant") {
                SpotCheckStatus::Findings(
                    findings.iter().filter(|f| f.outcome != "compliant").count(),
                )
            } else if !findings.is_empty() {
                SpotCheckStatus::Compliant
            } else if drawn.contains(&p.id) {
                SpotCheckStatus::Awaiting
            } else {
                SpotCheckStatus::NotSampled
            };
            let present = kinds.get(p.id.as_str());
            let state = p.state.parse::<ProjectState>().ok();
            let missing_documents = l
                .facts
                .requirements
                .iter()
                .filter(|(action, kind)| {
                    let due = action
                        .parse::<ProjectAction>()
                        .ok()
                        .zip(state)
                        .is_some_and(|(a, s)| rule(a).from.contains(&s));
                    due && !present.is_some_and(|k| k.contains(kind.as_str()))
                })
                .map(|(_, kind)| kind.clone())
                .collect();
            let facts = ProjectFacts {
                id: p.id.clone(),
                state: p.state.clone(),
                days_in_state: (today - since).num_days(),
                plan_period: plan
                    .as_ref()
                    .and_then(|v| Some((date_field(v, "starts_on")?, date_field(v, "ends_on")?))),
                implementing: p.state == "implementing",
                progress_percent: i64::from(p.progress_percent),
                window_end,
                contract_fen: plan
                    .as_ref()
                    .and_then(|v| v.get("contract_amount_fen")?.as_i64()),
                audited_fen,
                awaiting_payment: p.state == "subsidy_approved",
                subsidy_fen: p.subsidy_fen,
                disbursed_fen: p.disbursed_fen,
                acceptance: p.level_after.map(|after| {
                    (
                        after >= i32::from(PASSING_LEVEL),
                        p.level_before.map(|before| i64::from(after - before)),
                    )
                }),
                rectification_deadline: p.rectification_deadline,
                provider_id: p.provider_id.clone(),
                spot_check,
                missing_documents,
            };
            (facts, p)
        })
        .collect()
}

fn colour_schema() -> utoipa::openapi::schema::Object {
    string_enum(Colour::ALL.map(Colour::as_str))
}

/// A colour, or null where none applies.
fn optional_colour_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            Colour::ALL
                .map(|c| Value::from(c.as_str()))
                .into_iter()
                .chain([Value::Null]),
        ))
        .build()
}

/// The thresholds as a schema built from the domain's own fields, so the
/// document cannot drift from what is accepted.
fn thresholds_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let defaults = serde_json::to_value(Thresholds::default()).unwrap_or_default();
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Monitoring thresholds; omitted fields keep their defaults (Yinchuan practice: yellow when progress lags the planned pace by 10–30 points, red beyond).",
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

/// A programme's monitoring thresholds.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitoringSettingsView {
    pub program_id: String,
    #[schema(schema_with = thresholds_schema)]
    pub thresholds: Value,
    /// 0 while the defaults apply.
    pub version: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"thresholds": {"progress_lag_yellow_pp": 15, "progress_lag_red_pp": 35}}))]
pub struct MonitoringSettingsRequest {
    #[schema(schema_with = thresholds_schema)]
    pub thresholds: Value,
}

impl Validate for MonitoringSettingsRequest {
    /// Checked against the domain's rules in the handler.
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

fn settings_view(
    program_id: String,
    thresholds: &Thresholds,
    version: i64,
) -> MonitoringSettingsView {
    MonitoringSettingsView {
        program_id,
        thresholds: serde_json::to_value(thresholds).unwrap_or_default(),
        version,
    }
}

#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, body = MonitoringSettingsView, headers(("ETag" = String, description = "The version, for If-Match (\"0\" while the defaults apply)"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/monitoring-settings")]
pub async fn get_monitoring_settings(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let program_id = program_id.into_inner();
    require_reader(&caller, &program_id)?;
    let view = state
        .read(move |conn| {
            programs::find(conn, &program_id)?;
            let (t, version) =
                thresholds_of(supervision::settings_of(conn, &program_id)?.as_ref())?;
            Ok(settings_view(program_id, &t, version))
        })
        .await?;
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "monitoring",
    params(
        ("program_id" = String, Path, description = "Programme id"),
        ("If-Match" = String, Header, description = "ETag of the version you read (\"0\" for the defaults)", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    request_body = MonitoringSettingsRequest,
    responses(
        (status = 200, body = MonitoringSettingsView),
        (status = 403, description = "Thresholds are the city_admin's", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/programs/{program_id}/monitoring-settings")]
pub async fn put_monitoring_settings(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<MonitoringSettingsRequest>,
) -> Result<HttpResponse, ApiError> {
    let program_id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &program_id, "set monitoring thresholds")?;
    let body = body.parse()?;
    let thresholds: Thresholds =
        serde_path_to_error::deserialize(body.thresholds).map_err(|e| {
            let path = format!("thresholds.{}", e.path());
            let msg = e.into_inner().to_string();
            ApiError::field(
                path,
                "invalid_value",
                Text::new(msg.clone(), format!("取值无效：{msg}")),
            )
        })?;
    thresholds.check().map_err(|errors| {
        ApiError::Validation(
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
    let view = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &program_id)?;
            let before = supervision::settings_of(tx.conn(), &program_id)?;
            let (old, current) = thresholds_of(before.as_ref())?;
            if current != expected {
                return Err(ApiError::StaleVersion { current });
            }
            let row = MonitoringSettingsRow {
                program_id: program_id.clone(),
                thresholds: serde_json::to_string(&thresholds).map_err(ApiError::internal)?,
                version: current + 1,
                updated_at: now(),
            };
            supervision::put_settings(tx.conn(), &row, current)?;
            let after = settings_view(program_id.clone(), &thresholds, row.version);
            let before_view = before.map(|_| settings_view(program_id.clone(), &old, current));
            tx.record(change_of(
                "monitoring_settings.put",
                "monitoring_settings",
                (&program_id, Some(&program_id), row.version),
                before_view.as_ref(),
                &after,
            ));
            Ok(after)
        })
        .await?;
    Ok(versioned(view.version, view))
}

/// One indicator of one project.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorReading {
    #[schema(example = "progress_pace")]
    pub indicator: String,
    /// Null where it does not apply yet.
    #[schema(schema_with = optional_colour_schema)]
    pub colour: Option<String>,
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
    pub state: String,
    #[schema(schema_with = colour_schema)]
    pub overall: String,
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
    #[schema(schema_with = colour_schema)]
    pub colour: String,
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
    #[param(schema_with = colour_schema)]
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
        colour: colour.as_str().to_owned(),
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
fn run_monitor(l: &Loaded, today: NaiveDate) -> Vec<(&ProjectRow, ProjectColours)> {
    let facts = project_facts(l, today);
    let inputs: Vec<ProjectFacts> = facts.iter().map(|(f, _)| f.clone()).collect();
    let colours = indicators::monitor(&inputs, &l.thresholds, today);
    facts.into_iter().map(|(_, p)| p).zip(colours).collect()
}

#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id"), MonitoringQuery),
    responses(
        (status = 200, description = "Every monitored project (applied, not yet paid, withdrawn or disqualified) with a colour per indicator and overall, and the colours of its region, batch and provider. Reasons follow Accept-Language.", body = MonitoringReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/monitoring")]
pub async fn monitoring(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(q): Query<MonitoringQuery>,
) -> Result<web::Json<MonitoringReport>, ApiError> {
    let program_id = program_id.into_inner();
    require_reader(&caller, &program_id)?;
    if let Some(c) = &q.colour
        && !["green", "yellow", "red"].contains(&c.as_str())
    {
        return Err(ApiError::field(
            "colour",
            "invalid_value",
            Text::new("green, yellow or red", "应为 green、yellow 或 red"),
        ));
    }
    let lang = lang_of(&req);
    let regions = region_limit(&caller, &program_id);
    let report = state
        .read(move |conn| {
            let loaded = load(conn, &program_id, regions.as_ref())?;
            let today = today();
            let monitored = run_monitor(&loaded, today);
            let rows: Vec<(&ProjectRow, &ProjectColours)> =
                monitored.iter().map(|(p, c)| (*p, c)).collect();
            let t = &loaded.thresholds;
            let all: Vec<Colour> = rows.iter().map(|(_, c)| c.overall).collect();
            let projects = rows
                .iter()
                .filter(|(p, c)| {
                    q.colour.as_deref().is_none_or(|x| x == c.overall.as_str())
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
                    state: p.state.clone(),
                    overall: c.overall.as_str().to_owned(),
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
                            indicator: serde_json::to_value(r.indicator)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default(),
                            colour: r.colour.map(|x| x.as_str().to_owned()),
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
        })
        .await?;
    Ok(web::Json(report))
}

/// The dashboard's records from the loaded facts.
fn records(conn: &mut AnyConnection, l: &Loaded, f: &Filter) -> Result<Records, ApiError> {
    let steps = steps_by_project(&l.facts);
    let enterprises: HashMap<&str, &supervision::EnterpriseFlags> = l
        .facts
        .enterprises
        .iter()
        .map(|e| (e.id.as_str(), e))
        .collect();
    let milestone = |action: &str, to: &str| match (action, to) {
        ("submit", _) => Some(Milestone::Submitted),
        ("record_diagnosis", _) => Some(Milestone::Diagnosed),
        ("approve_plan", "implementing") => Some(Milestone::Contracted),
        ("record_acceptance", "accepted") => Some(Milestone::Accepted),
        ("approve_subsidy", _) => Some(Milestone::SubsidyApproved),
        _ => None,
    };
    let projects = l
        .facts
        .projects
        .iter()
        .map(|p| {
            let e = enterprises.get(p.enterprise_id.as_str());
            ProjectRecord {
                enterprise_id: p.enterprise_id.clone(),
                region: p.region_code.clone(),
                industry: e.and_then(|e| e.industry_code.clone()),
                above_size: e.is_some_and(|e| e.above_designated_size),
                specialised: e.is_some_and(|e| e.specialised),
                little_giant: e.is_some_and(|e| e.little_giant),
                innovative: e.is_some_and(|e| e.innovative),
                active: !matches!(p.state.as_str(), "withdrawn" | "disqualified"),
                milestones: steps
                    .get(p.id.as_str())
                    .map(|s| {
                        s.iter()
                            .filter_map(|(a, to, on)| Some((milestone(a, to)?, *on)))
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
            .map(|p| (p.kind.clone(), p.local))
            .collect(),
        listed_products: l.facts.listed_products,
        benchmarks: l
            .facts
            .benchmarks
            .iter()
            .filter(|b| b.status == "awarded")
            .map(|b| (b.kind.clone(), b.year))
            .collect(),
        events: l
            .facts
            .events
            .iter()
            .map(|e| {
                (
                    e.kind.clone(),
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
    })
}

/// One metric on the dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardRow {
    #[schema(example = "enterprises_transformed")]
    pub metric: String,
    pub metric_name: String,
    /// count, share_bp or amount_fen.
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
    /// Where the pace says the share should be today, in percent.
    pub expected_pct: Option<i64>,
    #[schema(schema_with = optional_colour_schema)]
    pub colour: Option<String>,
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
}

fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Count => "count",
        Unit::ShareBp => "share_bp",
        Unit::AmountFen => "amount_fen",
    }
}

#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id"), DashboardQuery),
    responses(
        (status = 200, description = "Every metric: its target for the requested scope, the actual computed from projects, assessments, pools, library, benchmarks, events and finance products (or recorded by hand), the share reached and its colour against the pace", body = Dashboard),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/dashboard")]
pub async fn get_dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(q): Query<DashboardQuery>,
) -> Result<web::Json<Dashboard>, ApiError> {
    let program_id = program_id.into_inner();
    require_reader(&caller, &program_id)?;
    let lang = lang_of(&req);
    let regions = region_limit(&caller, &program_id);
    let out = state
        .read(move |conn| {
            let loaded = load(conn, &program_id, regions.as_ref())?;
            let filter = Filter {
                year: q.year,
                industry: q.industry.clone(),
                region: q.region.clone(),
            };
            let recs = records(conn, &loaded, &filter)?;
            let targets: Vec<TargetRow> = supervision::targets_of(conn, &program_id)?
                .into_iter()
                .filter(|t| {
                    t.year == q.year && t.industry_code == q.industry && t.region_code == q.region
                })
                .collect();
            let today = today();
            let span = (loaded.program.starts_on, loaded.program.ends_on);
            let t = &loaded.thresholds;
            let items: Vec<DashboardRow> = Metric::ALL
                .iter()
                .map(|m| {
                    let target = targets.iter().find(|t| t.metric == m.key());
                    let cumulative = target.is_some_and(|t| t.cumulative);
                    let computed = dashboard::actual(*m, &recs, &filter, cumulative);
                    let recorded = target.and_then(|t| t.recorded_actual);
                    let (actual, actual_source) = match (computed, recorded) {
                        (Some(a), _) => (Some(a), "computed"),
                        (None, Some(r)) => (Some(r), "recorded"),
                        (None, None) => (None, "none"),
                    };
                    let assessed = target.zip(actual).map(|(tg, a)| {
                        let expected = dashboard::expected_pct(tg.year, tg.cumulative, span, today);
                        let (share, colour) = dashboard::assess(tg.value, a, expected, t);
                        (share, expected, colour)
                    });
                    DashboardRow {
                        metric: m.key().to_owned(),
                        metric_name: m.name_zh().to_owned(),
                        unit: unit_name(m.unit()).to_owned(),
                        target: target.map(|t| t.value),
                        cumulative,
                        actual,
                        actual_source: actual_source.to_owned(),
                        share_bp: assessed.map(|a| a.0),
                        expected_pct: assessed.map(|a| a.1),
                        colour: assessed.map(|a| a.2.as_str().to_owned()),
                        reason: assessed.map(|(share, expected, _)| match lang {
                            Lang::En => format!(
                                "{}.{:02}% of the target reached, {expected}% expected by now",
                                share / 100,
                                share % 100
                            ),
                            Lang::Zh => format!(
                                "已完成目标的 {}.{:02}%，按进度此时应达 {expected}%",
                                share / 100,
                                share % 100
                            ),
                        }),
                        source: target.map(|t| t.source.clone()),
                    }
                })
                .collect();
            let colours: Vec<Colour> = items
                .iter()
                .filter_map(|r| match r.colour.as_deref() {
                    Some("red") => Some(Colour::Red),
                    Some("yellow") => Some(Colour::Yellow),
                    Some(_) => Some(Colour::Green),
                    None => None,
                })
                .collect();
            Ok(Dashboard {
                program_id: program_id.clone(),
                as_of: today,
                year: q.year,
                industry: q.industry,
                region: q.region,
                summary: group("targets".into(), &colours, t, lang),
                items,
            })
        })
        .await?;
    Ok(web::Json(out))
}

/// A provider's place in the ranking, with the score's components.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedProvider {
    pub rank: usize,
    pub provider_id: String,
    pub name: String,
    pub score: f64,
    pub contracts: i64,
    pub contracts_points: f64,
    pub acceptances_passed: i64,
    pub acceptance_points: f64,
    pub ratings: i64,
    pub mean_satisfaction: Option<f64>,
    pub satisfaction_points: f64,
    pub active_projects: i64,
    pub red_projects: i64,
    pub red_points: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderRanking {
    pub program_id: String,
    pub as_of: NaiveDate,
    /// How the score is built.
    pub formula: String,
    pub items: Vec<RankedProvider>,
}

const FORMULA: &str = "score = 30 × contracts / most contracts of any provider + 30 × acceptances passed / contracts + 30 × (mean satisfaction − 1) / 4 + 10 × (1 − red / active projects); ties go to more contracts, then the provider id";

#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "Admitted providers by score (赛马), each component shown", body = ProviderRanking),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/provider-ranking")]
pub async fn provider_ranking(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<ProviderRanking>, ApiError> {
    let program_id = program_id.into_inner();
    require_reader(&caller, &program_id)?;
    let out = state
        .read(move |conn| {
            // The ranking compares providers over the whole programme.
            let loaded = load(conn, &program_id, None)?;
            let today = today();
            let red: HashMap<&str, (i64, i64)> =
                run_monitor(&loaded, today)
                    .iter()
                    .fold(HashMap::new(), |mut acc, (p, c)| {
                        if let Some(id) = p.provider_id.as_deref() {
                            let e = acc.entry(id).or_default();
                            e.0 += 1;
                            e.1 += i64::from(c.overall == Colour::Red);
                        }
                        acc
                    });
            let steps = steps_by_project(&loaded.facts);
            let reached = |p: &ProjectRow, action: &str, to: &str| {
                steps
                    .get(p.id.as_str())
                    .is_some_and(|s| s.iter().any(|(a, t, _)| *a == action && *t == to))
            };
            let names: HashMap<&str, &str> = loaded
                .facts
                .providers
                .iter()
                .map(|p| (p.id.as_str(), p.name.as_str()))
                .collect();
            let records: Vec<ProviderRecord> = loaded
                .facts
                .providers
                .iter()
                .map(|prov| {
                    let theirs: Vec<&ProjectRow> = loaded
                        .facts
                        .projects
                        .iter()
                        .filter(|p| p.provider_id.as_deref() == Some(prov.id.as_str()))
                        .collect();
                    let rated: Vec<i32> = theirs.iter().filter_map(|p| p.satisfaction).collect();
                    let (active, red_projects) =
                        red.get(prov.id.as_str()).copied().unwrap_or_default();
                    ProviderRecord {
                        provider_id: prov.id.clone(),
                        contracts: theirs
                            .iter()
                            .filter(|p| reached(p, "approve_plan", "implementing"))
                            .count() as i64,
                        acceptances_passed: theirs
                            .iter()
                            .filter(|p| reached(p, "record_acceptance", "accepted"))
                            .count() as i64,
                        ratings: rated.len() as i64,
                        mean_satisfaction: (!rated.is_empty())
                            .then(|| f64::from(rated.iter().sum::<i32>()) / rated.len() as f64),
                        active_projects: active,
                        red_projects,
                    }
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
                    provider_id: r.record.provider_id,
                    score: r.score,
                    contracts: r.record.contracts,
                    contracts_points: r.contracts_points,
                    acceptances_passed: r.record.acceptances_passed,
                    acceptance_points: r.acceptance_points,
                    ratings: r.record.ratings,
                    mean_satisfaction: r.record.mean_satisfaction,
                    satisfaction_points: r.satisfaction_points,
                    active_projects: r.record.active_projects,
                    red_projects: r.record.red_projects,
                    red_points: r.red_points,
                })
                .collect();
            Ok(ProviderRanking {
                program_id: program_id.clone(),
                as_of: today,
                formula: FORMULA.to_owned(),
                items,
            })
        })
        .await?;
    Ok(web::Json(out))
}
