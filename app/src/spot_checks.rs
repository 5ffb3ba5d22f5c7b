//! Spot checks (双随机、一公开): a published, reproducible draw of projects
//! and an inspector for each from the expert pool, and the findings that
//! may lead to disqualification through the lifecycle.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::ProjectState;
use shuzhuan_monitoring::FindingOutcome;
use shuzhuan_monitoring::draw::{Drawn, Stratum, Weighting, draw_strata};
use shuzhuan_persistence::repo::{programs, projects, supervision};
use shuzhuan_persistence::rows::{FindingRow, SpotCheckRow};
use shuzhuan_persistence::{AnyConnection, Coded, Json, RepoError, Session, new_id, now};
use shuzhuan_types::{ObjectType, Role, Target};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::error::{AppError, FieldError, Result, Text};
use crate::input::{Body, Page};
use crate::journal::{Key, change};
use crate::policy::{Right, require_in_programme};
use crate::principal::{self, Principal};
use crate::view::{List, code_schema, one_of, utc};

/// How anyone recomputes a draw (the algorithm of `shuzhuan-monitoring`'s
/// `draw` module), published with every spot check.
pub const ALGORITHM: &str = "SHA-256 counter mode. u(label, i) = first 8 bytes, big-endian, of SHA-256(seed bytes (the 32 bytes the 64 hex digits encode) ‖ ASCII label ‖ i as 8-byte big-endian). Projects: the draws are counted i = 0, 1, … across the strata in their published order; the i-th draw, in its stratum, takes r = u(\"project\", i) mod (sum of the weights of the candidates left in the stratum) and walks those candidates in their published order, adding their weights, to the first whose running sum exceeds r, and removes it; a stratum gives at most its sample_size (all its candidates of positive weight if fewer). Inspectors: the i-th drawn project gets inspectors[u(\"inspector\", i) mod len(inspectors)]. With one stratum and every weight 1 (uniform) this is: take the candidate at position u(\"project\", i) mod (candidates left).";

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

const DEFAULT_STATES: [ProjectState; 7] = [
    ProjectState::Implementing,
    ProjectState::AcceptanceRequested,
    ProjectState::AcceptancePrechecked,
    ProjectState::Accepted,
    ProjectState::Rectification,
    ProjectState::Audited,
    ProjectState::SubsidyApproved,
];

fn validate_seed(seed: &str) -> std::result::Result<(), ValidationError> {
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
    /// uniform (default); risk: each candidate weighted 1 + its risk score
    /// (published); stratified: `risk_share_pct` of the sample from the
    /// candidates scoring at least `risk_min_score`, the rest from the
    /// others, each stratum uniformly (membership published, not scores).
    #[serde(default)]
    #[schema(schema_with = code_schema::<Weighting>)]
    pub weighting: Weighting,
    /// stratified: the least risk score of the risk stratum (default 30).
    #[validate(range(max = 100, message = "must be 0 to 100", code = "range"))]
    #[schema(minimum = 0, maximum = 100)]
    pub risk_min_score: Option<u32>,
    /// stratified: the share of the sample drawn from the risk stratum,
    /// percent (default 50), rounded up.
    #[validate(range(max = 100, message = "must be 0 to 100", code = "range"))]
    #[schema(minimum = 0, maximum = 100)]
    pub risk_share_pct: Option<u32>,
}

/// One candidate of a stratum and its weight.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeightedCandidate {
    pub project_id: String,
    /// A positive integer: 1 in a uniform stratum, 1 + the risk score in a
    /// risk-weighted one.
    pub weight: u64,
}

/// A stratum as published: its candidates in the order the draw used and
/// how many it gives.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StratumView {
    /// `all`, `risk-weighted`, `risk` or `random`.
    pub name: String,
    pub sample_size: usize,
    pub candidates: Vec<WeightedCandidate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DrawnView {
    pub project_id: String,
    pub inspector_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub id: String,
    pub spot_check_id: String,
    pub project_id: String,
    #[schema(schema_with = code_schema::<FindingOutcome>)]
    pub outcome: FindingOutcome,
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
            outcome: r.outcome.0,
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
    /// How the candidates were weighed.
    #[schema(schema_with = code_schema::<Weighting>)]
    pub weighting: Weighting,
    /// The strata with each candidate's weight, in the draw's order: with
    /// the seed and the inspectors, all it takes to recompute the draw.
    pub strata: Vec<StratumView>,
    pub drawn: Vec<DrawnView>,
    pub algorithm: String,
    pub findings: Vec<FindingView>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn view(row: SpotCheckRow, findings: Vec<FindingRow>) -> SpotCheckView {
    SpotCheckView {
        population: serde_json::from_str(&row.population).unwrap_or_default(),
        candidates: row.candidates.into_inner(),
        inspectors: row.inspectors.into_inner(),
        weighting: row.weighting.0,
        strata: row
            .strata
            .into_inner()
            .into_iter()
            .map(|s| StratumView {
                name: s.name,
                sample_size: s.sample_size,
                candidates: s
                    .candidates
                    .into_iter()
                    .map(|(project_id, weight)| WeightedCandidate { project_id, weight })
                    .collect(),
            })
            .collect(),
        drawn: row
            .drawn
            .into_inner()
            .into_iter()
            .map(|d| DrawnView {
                project_id: d.project_id,
                inspector_id: d.inspector_id,
            })
            .collect(),
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
fn load_visible(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<SpotCheckRow> {
    who.require(Right::ReadProgramme)?;
    let row = supervision::find_spot_check(conn, id)?;
    who.sees(
        Right::ReadProgramme,
        &crate::policy::programme(&row.program_id),
    )?;
    Ok(row)
}

/// The stratum of a stratified draw taken at random (the others' base
/// rate for the flags' precision).
pub(crate) const RANDOM_STRATUM: &str = "random";

/// The strata a draw takes its sample from, by the request's weighting:
/// one uniform stratum; one stratum weighted 1 + risk score; or a risk
/// stratum (scores at least the threshold) giving its share of the sample
/// and a random stratum of the others giving the rest, both uniform.
fn strata_for(
    conn: &mut AnyConnection,
    program_id: &str,
    body: &CreateSpotCheck,
    candidates: &[String],
    sample: usize,
) -> Result<Vec<Stratum>> {
    let uniform = |name: &str, ids: Vec<&String>, n: usize| Stratum {
        name: name.to_owned(),
        candidates: ids.into_iter().map(|c| (c.clone(), 1)).collect(),
        sample_size: n,
    };
    if body.weighting == Weighting::Uniform {
        return Ok(vec![uniform("all", candidates.iter().collect(), sample)]);
    }
    let assessed = crate::risks::assessed(conn, program_id)?;
    let score = |c: &String| assessed.scores.get(c).copied().unwrap_or(0);
    Ok(match body.weighting {
        Weighting::Risk => vec![Stratum {
            name: "risk-weighted".into(),
            candidates: candidates
                .iter()
                .map(|c| (c.clone(), 1 + u64::from(score(c))))
                .collect(),
            sample_size: sample,
        }],
        _ => {
            let min = body.risk_min_score.unwrap_or(30);
            let share = usize::try_from(body.risk_share_pct.unwrap_or(50)).unwrap_or(50);
            let (risky, rest): (Vec<&String>, Vec<&String>) =
                candidates.iter().partition(|c| score(c) >= min);
            let from_risk = (sample * share).div_ceil(100).min(risky.len());
            vec![
                uniform("risk", risky, from_risk),
                uniform(RANDOM_STRATUM, rest, sample - from_risk),
            ]
        }
    })
}

/// Draws and publishes a spot check (the city_admin): seed, ordered
/// candidate lists, the draw and the algorithm to recompute it.
pub fn create(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<CreateSpotCheck>,
) -> Result<SpotCheckView> {
    require_in_programme(who, Right::RunSpotCheck, program_id)?;
    let body = body.read()?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut states = Vec::new();
    for (i, given) in body.population.states.iter().enumerate() {
        match given.parse::<ProjectState>() {
            Ok(state) => states.push(state),
            Err(_) => errors.push(FieldError::new(
                format!("population.states[{i}]"),
                "unknown_state",
                Text::new(
                    format!("`{given}` is not a project state"),
                    format!("`{given}` 不是项目状态"),
                ),
            )),
        }
    }
    if states.is_empty() {
        states = DEFAULT_STATES.to_vec();
    }
    let seed = body.seed.clone().unwrap_or_else(|| {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    });
    let seed_bytes = hex::decode(&seed).map_err(AppError::internal)?;
    let mut inspectors = body.inspector_user_ids.clone();
    inspectors.sort();
    inspectors.dedup();
    for (i, user) in inspectors.iter().enumerate() {
        let eligible = principal::of_user(s.conn(), user)?.is_some_and(|c| {
            c.holds(Role::Expert, program_id) || c.holds(Role::Evaluator, program_id)
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
    AppError::check(errors)?;
    let row = s.write(&who.actor(), |tx| -> Result<SpotCheckRow> {
        programs::find(tx.conn(), program_id)?;
        let p = &body.population;
        let candidates: Vec<String> = projects::ids_in(
            tx.conn(),
            program_id,
            &states,
            p.batch_id.as_deref(),
            p.region_code.as_deref(),
        )?;
        let sample = usize::try_from(body.sample_size).unwrap_or(0);
        let strata = strata_for(tx.conn(), program_id, &body, &candidates, sample)?;
        let drawn: Vec<Drawn> = draw_strata(&seed_bytes, &strata, &inspectors);
        let row = SpotCheckRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            title: body.title.clone(),
            population: to_text(&body.population)?,
            seed: seed.to_lowercase(),
            sample_size: body.sample_size,
            candidates: Json::new(candidates)?,
            inspectors: Json::new(inspectors.clone())?,
            drawn: Json::new(drawn)?,
            created_by: who.user_id.clone(),
            created_at: now(),
            weighting: Coded(body.weighting),
            strata: Json::new(strata)?,
        };
        supervision::insert_spot_check(tx.conn(), &row)?;
        let v = view(row.clone(), Vec::new());
        tx.record(change(
            "spot_check.create",
            ObjectType::SpotCheck,
            Key::new(&row.id, Some(program_id), 1),
            None,
            &v,
        ));
        Ok(row)
    })?;
    Ok(view(row, Vec::new()))
}

/// JSON text of a value (a serialisation failure is an internal error).
fn to_text<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(AppError::internal)
}

/// The programme's spot checks, oldest first (一公开: anyone who sees the
/// programme).
pub fn list(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<SpotCheckView>> {
    crate::programs::visible(s.conn(), who, program_id)?;
    let conn = s.conn();
    let rows =
        supervision::spot_checks_of(conn, program_id, page.after()?.as_deref(), page.limit())?;
    let items = rows
        .items
        .into_iter()
        .map(|r| {
            let findings = supervision::findings_of(conn, &r.id)?;
            Ok(view(r, findings))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(List::new(items, rows.next_after))
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<SpotCheckView> {
    let row = load_visible(s.conn(), who, id)?;
    let findings = supervision::findings_of(s.conn(), id)?;
    Ok(view(row, findings))
}

fn validate_outcome(o: &str) -> std::result::Result<(), ValidationError> {
    use shuzhuan_types::Code;
    if FindingOutcome::from_code(o).is_some() {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_value")
            .with_message(format!("one of {}", FindingOutcome::codes(", ")).into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"project_id": "0193…", "outcome": "built_but_unused", "note": "MES 已部署但三个月无登录记录"}))]
pub struct CreateFinding {
    pub project_id: String,
    #[validate(custom(function = "validate_outcome"))]
    #[schema(schema_with = code_schema::<FindingOutcome>)]
    pub outcome: String,
    #[serde(default)]
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub note: String,
}

/// Records a finding: the inspector drawn for the project, or the
/// city_admin; a finding other than `compliant` lets the city_admin
/// disqualify the project.
pub fn create_finding(
    s: &mut Session,
    who: &Principal,
    id: &str,
    body: Body<CreateFinding>,
) -> Result<FindingView> {
    let reach = who.require(Right::RecordFinding)?;
    let check = load_visible(s.conn(), who, id)?;
    let body = body.read()?;
    let drawn = check.drawn.get();
    let Some(entry) = drawn.iter().find(|d| d.project_id == body.project_id) else {
        return Err(AppError::field(
            "project_id",
            "not_drawn",
            Text::new("the project is not in this draw", "该项目未被本次抽中"),
        ));
    };
    // The drawn inspector is "assigned" to the project by the draw.
    let inspector: Vec<(&str, Role, &str)> = entry
        .inspector_id
        .as_deref()
        .map(|u| {
            vec![
                (check.program_id.as_str(), Role::Expert, u),
                (check.program_id.as_str(), Role::Evaluator, u),
            ]
        })
        .unwrap_or_default();
    let target = Target {
        programmes: vec![&check.program_id],
        assigned: inspector,
        ..Default::default()
    };
    if !reach.contains(&target) {
        return Err(AppError::Forbidden(Right::RecordFinding));
    }
    let outcome = crate::input::code::<FindingOutcome>("outcome", &body.outcome)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let program_id = check.program_id.clone();
    s.write(&who.actor(), |tx| {
        let row = FindingRow {
            id: new_id(),
            spot_check_id: id.to_owned(),
            project_id: body.project_id.clone(),
            outcome: Coded(outcome),
            note: body.note.clone(),
            recorded_by: who.user_id.clone(),
            created_at: now(),
        };
        supervision::insert_finding(tx.conn(), &row).map_err(|e| {
            AppError::from(e).conflict_as(
                "finding_exists",
                Text::new(
                    "This project's finding is recorded already.",
                    "该项目的检查结论已记录。",
                ),
            )
        })?;
        let v = FindingView::from(row.clone());
        tx.record(change(
            "spot_check.finding",
            ObjectType::SpotCheckFinding,
            Key::new(&row.id, Some(&program_id), 1),
            None,
            &v,
        ));
        Ok(v)
    })
}

/// The findings, in the order recorded.
pub fn list_findings(
    s: &mut Session,
    who: &Principal,
    id: &str,
    page: &Page,
) -> Result<List<FindingView>> {
    List::paged(findings(s, who, id)?, page)
}

/// One finding of a spot check.
pub fn get_finding(
    s: &mut Session,
    who: &Principal,
    id: &str,
    finding_id: &str,
) -> Result<FindingView> {
    one_of(findings(s, who, id)?, |f| f.id == finding_id)
}

/// The findings of a spot check the caller may read, in the order recorded.
fn findings(s: &mut Session, who: &Principal, id: &str) -> Result<Vec<FindingView>> {
    load_visible(s.conn(), who, id)?;
    Ok(supervision::findings_of(s.conn(), id)?
        .into_iter()
        .map(FindingView::from)
        .collect())
}

/// A disqualification that names a spot check needs that check to be of
/// the project's programme and to hold a finding against the project.
pub(crate) fn check_disqualification(
    conn: &mut AnyConnection,
    program_id: &str,
    project_id: &str,
    spot_check_id: &str,
) -> Result<()> {
    let no_finding = || {
        AppError::field(
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
        Ok(_) | Err(RepoError::NotFound) => return Err(no_finding()),
        Err(e) => return Err(e.into()),
    };
    let against = supervision::findings_of(conn, &check.id)?
        .iter()
        .any(|f| f.project_id == project_id && f.outcome.is_adverse());
    if against { Ok(()) } else { Err(no_finding()) }
}
