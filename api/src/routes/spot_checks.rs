//! Spot checks (双随机、一公开): a published, reproducible draw of projects
//! and an inspector for each from the expert pool, and the findings that
//! may lead to disqualification through the lifecycle.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use shuzhuan_monitoring::draw::{Drawn, draw};
use shuzhuan_persistence::repo::{programs, projects, supervision};
use shuzhuan_persistence::rows::{FindingRow, SpotCheckRow};
use shuzhuan_persistence::{AnyConnection, new_id, now};
use shuzhuan_types::Role;
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::auth::{Caller, caller_load};
use crate::error::{ApiError, FieldError, Problem, Text};
use crate::extract::{Json, List, PageQuery, Query, created};
use crate::routes::{change_of, string_enum, utc};
use crate::state::AppState;

/// How anyone recomputes a draw (the algorithm of `shuzhuan-monitoring`'s
/// `draw` module), published with every spot check.
pub const ALGORITHM: &str = "SHA-256 counter mode. u(label, i) = first 8 bytes, big-endian, of SHA-256(seed bytes ‖ ASCII label ‖ i as 8-byte big-endian). Projects: from the candidate list as published, for i = 0 … n−1 take the one at position u(\"project\", i) mod (candidates left) and remove it. Inspectors: the i-th drawn project gets inspectors[u(\"inspector\", i) mod len(inspectors)].";

/// Which projects may be drawn.
#[derive(Debug, Clone, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"states": ["implementing", "accepted"], "region_code": "640122"}))]
pub struct Population {
    /// Project states (default: implementing and later, not yet paid).
    #[serde(default)]
    #[validate(length(max = 16, message = "at most 16 states", code = "length"))]
    #[schema(max_items = 16)]
    pub states: Vec<String>,
    pub batch_id: Option<String>,
    pub region_code: Option<String>,
}

const DEFAULT_STATES: [&str; 7] = [
    "implementing",
    "acceptance_requested",
    "acceptance_prechecked",
    "accepted",
    "rectification",
    "audited",
    "subsidy_approved",
];

fn validate_seed(seed: &str) -> Result<(), ValidationError> {
    if seed.len() == 64 && seed.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_seed")
            .with_message("64 hexadecimal digits (32 bytes)".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "2026年第一次双随机抽查", "population": {"states": ["implementing"]}, "sample_size": 5, "inspector_user_ids": ["0193…"]}))]
pub struct CreateSpotCheck {
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[validate(nested)]
    pub population: Population,
    #[validate(range(min = 1, max = 1000, message = "1 to 1000", code = "range"))]
    #[schema(minimum = 1, maximum = 1000)]
    pub sample_size: i32,
    /// The inspector pool: users holding the expert or evaluator role in
    /// the programme.
    #[validate(length(min = 1, max = 500, message = "1 to 500 inspectors", code = "length"))]
    #[schema(min_items = 1, max_items = 500)]
    pub inspector_user_ids: Vec<String>,
    /// 64 hex digits, e.g. from a public lottery draw; the server draws
    /// one from its CSPRNG when omitted. Either way it is published.
    #[validate(custom(function = "validate_seed"))]
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub seed: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DrawnView {
    pub project_id: String,
    pub inspector_id: Option<String>,
}

fn outcome_schema() -> utoipa::openapi::schema::Object {
    string_enum(OUTCOMES)
}

/// 合规; 建而不用 (built but unused); 新瓶装旧酒 (old wine in new bottles);
/// not as contracted; other.
const OUTCOMES: [&str; 5] = [
    "compliant",
    "built_but_unused",
    "old_wine_in_new_bottles",
    "contract_breach",
    "other",
];

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub id: String,
    pub spot_check_id: String,
    pub project_id: String,
    #[schema(schema_with = outcome_schema)]
    pub outcome: String,
    pub note: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<FindingRow> for FindingView {
    fn from(r: FindingRow) -> Self {
        FindingView {
            id: r.id,
            spot_check_id: r.spot_check_id,
            project_id: r.project_id,
            outcome: r.outcome,
            note: r.note,
            recorded_by: r.recorded_by,
            created_at: utc(r.created_at),
        }
    }
}

/// A published spot check: everything needed to recompute the draw.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpotCheckView {
    pub id: String,
    pub program_id: String,
    pub title: String,
    pub population: Population,
    /// 64 hex digits; the draw's input with the two lists.
    pub seed: String,
    pub sample_size: i32,
    /// Project ids in the order the draw used (by id).
    pub candidates: Vec<String>,
    /// Inspector user ids in the order the draw used (by id).
    pub inspectors: Vec<String>,
    pub drawn: Vec<DrawnView>,
    pub algorithm: String,
    pub findings: Vec<FindingView>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn view(row: SpotCheckRow, findings: Vec<FindingRow>) -> SpotCheckView {
    SpotCheckView {
        population: serde_json::from_str(&row.population).unwrap_or_default(),
        candidates: serde_json::from_str(&row.candidates).unwrap_or_default(),
        inspectors: serde_json::from_str(&row.inspectors).unwrap_or_default(),
        drawn: serde_json::from_str(&row.drawn).unwrap_or_default(),
        id: row.id,
        program_id: row.program_id,
        title: row.title,
        seed: row.seed,
        sample_size: row.sample_size,
        algorithm: ALGORITHM.to_owned(),
        findings: findings.into_iter().map(FindingView::from).collect(),
        created_by: row.created_by,
        created_at: utc(row.created_at),
    }
}

/// Who sees spot checks: anyone who sees the programme (一公开).
fn load_visible(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<SpotCheckRow, ApiError> {
    let row = supervision::find_spot_check(conn, id)?;
    caller.require_program_visible(&row.program_id)?;
    Ok(row)
}

#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = CreateSpotCheck,
    responses(
        (status = 201, description = "Drawn and published: seed, ordered candidate lists, the draw and the algorithm to recompute it", body = SpotCheckView),
        (status = 403, description = "Spot checks are the city_admin's", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An inspector without the expert or evaluator role, an unknown state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/spot-checks")]
pub async fn create_spot_check(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<CreateSpotCheck>,
) -> Result<HttpResponse, ApiError> {
    let program_id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &program_id, "run spot checks")?;
    let body = body.parse()?;
    let mut errors: Vec<FieldError> = body
        .population
        .states
        .iter()
        .enumerate()
        .filter(|(_, s)| s.parse::<shuzhuan_lifecycle::ProjectState>().is_err())
        .map(|(i, s)| {
            FieldError::new(
                format!("population.states[{i}]"),
                "unknown_state",
                Text::new(
                    format!("`{s}` is not a project state"),
                    format!("`{s}` 不是项目状态"),
                ),
            )
        })
        .collect();
    let seed = body.seed.clone().unwrap_or_else(|| {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    });
    let seed_bytes = hex::decode(&seed).map_err(ApiError::internal)?;
    let actor = caller.actor();
    let created_by = caller.user_id.clone();
    let row = state
        .write(actor, move |tx| {
            programs::find(tx.conn(), &program_id)?;
            let mut inspectors = body.inspector_user_ids.clone();
            inspectors.sort();
            inspectors.dedup();
            for (i, user) in inspectors.iter().enumerate() {
                let eligible = caller_load(tx.conn(), user).is_ok_and(|c| {
                    c.holds(Role::Expert, &program_id) || c.holds(Role::Evaluator, &program_id)
                });
                if !eligible {
                    errors.push(FieldError::new(
                        format!("inspector_user_ids[{i}]"),
                        "role_not_held",
                        Text::new(
                            "not an expert or evaluator of the programme",
                            "不是本试点的专家或验收机构人员",
                        ),
                    ));
                }
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let p = &body.population;
            let states: Vec<&str> = if p.states.is_empty() {
                DEFAULT_STATES.to_vec()
            } else {
                p.states.iter().map(String::as_str).collect()
            };
            let candidates: Vec<String> = projects::ids_in(
                tx.conn(),
                &program_id,
                &states,
                p.batch_id.as_deref(),
                p.region_code.as_deref(),
            )?;
            let sample = usize::try_from(body.sample_size).unwrap_or(0);
            let drawn: Vec<DrawnView> = draw(&seed_bytes, &candidates, &inspectors, sample)
                .into_iter()
                .map(
                    |Drawn {
                         project_id,
                         inspector_id,
                     }| DrawnView {
                        project_id,
                        inspector_id,
                    },
                )
                .collect();
            let row = SpotCheckRow {
                id: new_id(),
                program_id: program_id.clone(),
                title: body.title.clone(),
                population: to_text(&body.population)?,
                seed: seed.to_lowercase(),
                sample_size: body.sample_size,
                candidates: to_text(&candidates)?,
                inspectors: to_text(&inspectors)?,
                drawn: to_text(&drawn)?,
                created_by,
                created_at: now(),
            };
            supervision::insert_spot_check(tx.conn(), &row)?;
            let v = view(row.clone(), Vec::new());
            tx.record(change_of(
                "spot_check.create",
                "spot_check",
                (&row.id, Some(&program_id), 1),
                None,
                &v,
            ));
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/spot-checks/{}", row.id),
        1,
        view(row, Vec::new()),
    ))
}

/// JSON text of a value (a serialisation failure is an internal error).
fn to_text<T: Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(ApiError::internal)
}

#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id"), PageQuery),
    responses(
        (status = 200, description = "The programme's spot checks, oldest first", body = List<SpotCheckView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/spot-checks")]
pub async fn list_spot_checks(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<web::Json<List<SpotCheckView>>, ApiError> {
    let program_id = program_id.into_inner();
    caller.require_program_visible(&program_id)?;
    let (after, limit) = (page.after(), page.limit());
    let list = state
        .read(move |conn| {
            let page = supervision::spot_checks_of(conn, &program_id, after.as_deref(), limit)?;
            let items = page
                .items
                .into_iter()
                .map(|r| {
                    let findings = supervision::findings_of(conn, &r.id)?;
                    Ok(view(r, findings))
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok(List::new(items, page.next_after.as_deref()))
        })
        .await?;
    Ok(web::Json(list))
}

#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "Spot check id")),
    responses(
        (status = 200, body = SpotCheckView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/spot-checks/{id}")]
pub async fn get_spot_check(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<SpotCheckView>, ApiError> {
    let id = id.into_inner();
    let v = state
        .read(move |conn| {
            let row = load_visible(conn, &caller, &id)?;
            let findings = supervision::findings_of(conn, &id)?;
            Ok(view(row, findings))
        })
        .await?;
    Ok(web::Json(v))
}

fn validate_outcome(o: &str) -> Result<(), ValidationError> {
    if OUTCOMES.contains(&o) {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_value")
            .with_message(format!("one of {}", OUTCOMES.join(", ")).into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"project_id": "0193…", "outcome": "built_but_unused", "note": "MES 已部署但三个月无登录记录"}))]
pub struct CreateFinding {
    pub project_id: String,
    #[validate(custom(function = "validate_outcome"))]
    #[schema(schema_with = outcome_schema)]
    pub outcome: String,
    #[serde(default)]
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub note: String,
}

#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "Spot check id")),
    request_body = CreateFinding,
    responses(
        (status = 201, description = "Recorded; a finding other than `compliant` lets the city_admin disqualify the project (`disqualify` with this `spot_check_id`)", body = FindingView),
        (status = 403, description = "Only the inspector drawn for the project, or the city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`finding_exists` for this project", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_drawn`: the project is not in the draw", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/spot-checks/{id}/findings")]
pub async fn create_finding(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<CreateFinding>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.parse()?;
    let row = state
        .write(caller.actor(), move |tx| {
            let check = load_visible(tx.conn(), &caller, &id)?;
            let drawn: Vec<DrawnView> = serde_json::from_str(&check.drawn).unwrap_or_default();
            let Some(entry) = drawn.iter().find(|d| d.project_id == body.project_id) else {
                return Err(ApiError::field(
                    "project_id",
                    "not_drawn",
                    Text::new("the project is not in this draw", "该项目未被本次抽中"),
                ));
            };
            let inspector = entry.inspector_id.as_deref() == Some(caller.user_id.as_str());
            if !inspector && !caller.acts_in_program(Role::CityAdmin, &check.program_id) {
                return Err(ApiError::Forbidden(
                    "record findings (the drawn inspector or the city_admin)",
                ));
            }
            let row = FindingRow {
                id: new_id(),
                spot_check_id: id.clone(),
                project_id: body.project_id,
                outcome: body.outcome,
                note: body.note,
                recorded_by: caller.user_id.clone(),
                created_at: now(),
            };
            supervision::insert_finding(tx.conn(), &row).map_err(|e| {
                ApiError::from(e).conflict_as(
                    "finding_exists",
                    Text::new(
                        "This project's finding is recorded already.",
                        "该项目的检查结论已记录。",
                    ),
                )
            })?;
            let v = FindingView::from(row.clone());
            tx.record(change_of(
                "spot_check.finding",
                "spot_check_finding",
                (&row.id, Some(&check.program_id), 1),
                None,
                &v,
            ));
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/spot-checks/{}", row.spot_check_id),
        1,
        FindingView::from(row),
    ))
}

#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "Spot check id")),
    responses(
        (status = 200, description = "The findings, in the order recorded", body = List<FindingView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/spot-checks/{id}/findings")]
pub async fn list_findings(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<List<FindingView>>, ApiError> {
    let id = id.into_inner();
    let items = state
        .read(move |conn| {
            load_visible(conn, &caller, &id)?;
            Ok(supervision::findings_of(conn, &id)?)
        })
        .await?;
    Ok(web::Json(List::all(
        items.into_iter().map(FindingView::from).collect(),
    )))
}

/// A disqualification that names a spot check needs that check to be of
/// the project's programme and to hold a finding against the project.
pub(crate) fn check_disqualification(
    conn: &mut AnyConnection,
    program_id: &str,
    project_id: &str,
    spot_check_id: &str,
) -> Result<(), ApiError> {
    let no_finding = || {
        ApiError::field(
            "spot_check_id",
            "no_finding",
            Text::new(
                "that spot check holds no finding of non-compliance against this project",
                "该抽查未对本项目作出不合规结论",
            ),
        )
    };
    let check = match supervision::find_spot_check(conn, spot_check_id) {
        Ok(c) if c.program_id == program_id => c,
        Ok(_) | Err(shuzhuan_persistence::RepoError::NotFound) => return Err(no_finding()),
        Err(e) => return Err(e.into()),
    };
    let against = supervision::findings_of(conn, &check.id)?
        .iter()
        .any(|f| f.project_id == project_id && f.outcome != "compliant");
    if against { Ok(()) } else { Err(no_finding()) }
}
