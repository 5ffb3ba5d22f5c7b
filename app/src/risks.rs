//! Risk intelligence (风险线索, issue 22): the rules of
//! `shuzhuan_monitoring::risk` over what the programme holds — parties,
//! plans, documents, steps, levels and the pinned policy — and a score per
//! project. The city office, finance, observers and county offices (their
//! regions) read it; enterprises and providers never do.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{DocumentKind, ProjectAction, ProjectState};
use shuzhuan_monitoring::draw::Weighting;
use shuzhuan_monitoring::risk::{self, FlagKind, Party, RiskProject};
use shuzhuan_persistence::repo::projects;
use shuzhuan_persistence::repo::supervision::{self, PartyRow};
use shuzhuan_persistence::rows::ProjectRow;
use shuzhuan_persistence::{AnyConnection, Session};
use shuzhuan_scoring::AssessmentKind;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{Lang, Result};
use crate::input::{self, Page};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::spot_checks::RANDOM_STRATUM;
use crate::view::{List, code_schema};

/// One flag on a project: what it points at, the projects it ties it to,
/// and why, in the caller's language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RiskFlagView {
    #[schema(schema_with = code_schema::<FlagKind>)]
    pub kind: FlagKind,
    /// The other projects of the evidence (the copy, the shared phone …).
    pub related: Vec<String>,
    /// The evidence, in the caller's language.
    pub reason: String,
}

/// A project's risk: its score (0–100, the points of its flag kinds) and
/// its flags with their evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectRiskView {
    pub project_id: String,
    pub title: String,
    pub enterprise_id: String,
    pub provider_id: Option<String>,
    pub batch_id: String,
    pub region_code: String,
    /// 0–100: the sum of the weights of its flag kinds, capped.
    pub score: u32,
    pub flags: Vec<RiskFlagView>,
}

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RiskQuery {
    /// Only projects scoring at least this (0–100).
    #[validate(range(max = 100, message = "must be 0 to 100", code = "range"))]
    #[param(minimum = 0, maximum = 100)]
    pub min_score: Option<u32>,
    /// Only projects with this flag.
    #[param(schema_with = code_schema::<FlagKind>)]
    pub flag: Option<String>,
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

fn party(row: &PartyRow) -> Party {
    Party {
        id: row.id.clone(),
        uscc: row.uscc.clone(),
        contact_name: row.contact_name.clone(),
        contact_phone: row.contact_phone.clone(),
    }
}

/// A project's score and flags, as read with the project itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectRisk {
    /// 0–100: the sum of the weights of its flag kinds, capped.
    pub score: u32,
    pub flags: Vec<RiskFlagView>,
}

impl Assessed {
    /// A project's flags (the list is sorted by project id).
    fn flags_on(&self, project_id: &str) -> &[risk::Flag] {
        let from = self
            .flags
            .partition_point(|f| f.project_id.as_str() < project_id);
        let len = self.flags[from..]
            .iter()
            .take_while(|f| f.project_id == project_id)
            .count();
        &self.flags[from..from + len]
    }

    /// A project's flags in the caller's language (empty when it has
    /// none).
    fn flags_of(&self, project_id: &str, lang: Lang) -> Vec<RiskFlagView> {
        self.flags_on(project_id)
            .iter()
            .map(|f| RiskFlagView {
                kind: f.kind,
                related: f.related.clone(),
                reason: match lang {
                    Lang::En => f.reason.clone(),
                    Lang::Zh => f.reason_zh.clone(),
                },
            })
            .collect()
    }

    /// A project's score and the codes of its flag kinds, for the
    /// monitor's risk indicator.
    pub(crate) fn kinds_of(&self, project_id: &str) -> (u32, Vec<String>) {
        let mut kinds: Vec<String> = self
            .flags_on(project_id)
            .iter()
            .map(|f| f.kind.as_str().to_owned())
            .collect();
        kinds.dedup();
        (self.score_of(project_id), kinds)
    }

    fn score_of(&self, project_id: &str) -> u32 {
        self.scores.get(project_id).copied().unwrap_or(0)
    }

    /// The projects the caller's reach to read projects holds.
    fn reached<'a>(&'a self, who: &Principal) -> impl Iterator<Item = &'a ProjectRow> {
        let reach = who.reach(Right::ReadProject);
        self.projects
            .iter()
            .filter(move |p| reach.contains(&projects::target(p, &[])))
    }
}

/// The programme's flagged projects the caller reads, highest score first
/// (ties by project id); projects without a flag are not listed.
pub fn list(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: &RiskQuery,
    lang: Lang,
) -> Result<List<ProjectRiskView>> {
    require_in_programme(who, Right::ReadRisks, program_id)?;
    let only = input::optional_code::<FlagKind>("flag", q.flag.as_deref())?;
    let assessed = assessed(s.conn(), program_id)?;
    // Paged on (score, project); the views are built for the page only.
    let mut keys: Vec<(u32, &ProjectRow)> = assessed
        .reached(who)
        .filter_map(|p| {
            let flags = assessed.flags_on(&p.id);
            let score = assessed.score_of(&p.id);
            (!flags.is_empty()
                && q.min_score.is_none_or(|m| score >= m)
                && only.is_none_or(|k| flags.iter().any(|f| f.kind == k)))
            .then_some((score, p))
        })
        .collect();
    keys.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    let page = List::paged(
        keys,
        &Page {
            limit: q.limit,
            cursor: q.cursor.clone(),
        },
    )?;
    Ok(page.map(|(score, p)| ProjectRiskView {
        project_id: p.id.clone(),
        title: p.title.clone(),
        enterprise_id: p.enterprise_id.clone(),
        provider_id: p.provider_id.clone(),
        batch_id: p.batch_id.clone(),
        region_code: p.region_code.clone(),
        score,
        flags: assessed.flags_of(&p.id, lang),
    }))
}

/// A project's risk for `GET /projects/{id}`: only for those holding the
/// right to read risks over it (None for everyone else, the enterprise
/// and its provider above all).
pub(crate) fn of_project(
    conn: &mut AnyConnection,
    who: &Principal,
    project: &ProjectRow,
    lang: Lang,
) -> Result<Option<ProjectRisk>> {
    if who
        .check(Right::ReadRisks, &projects::target(project, &[]))
        .is_err()
        || project.state.0 == ProjectState::Draft
    {
        return Ok(None);
    }
    let assessed = assessed(conn, &project.program_id)?;
    Ok(Some(ProjectRisk {
        score: assessed.score_of(&project.id),
        flags: assessed.flags_of(&project.id, lang),
    }))
}

/// A provider's risk: the mean of its projects' scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderRiskView {
    pub provider_id: String,
    /// 0–100: the mean score of its applied projects the caller reads (a
    /// project without a flag counts 0).
    pub score: u32,
    /// Its applied projects the caller reads.
    pub projects: usize,
    /// Of them, those with a flag.
    pub flagged: usize,
}

/// The programme's providers by risk, highest first, over the projects
/// the caller reads.
pub fn providers(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
) -> Result<Vec<ProviderRiskView>> {
    require_in_programme(who, Right::ReadRisks, program_id)?;
    let assessed = assessed(s.conn(), program_id)?;
    let ids: BTreeSet<&str> = assessed.reached(who).map(|p| p.id.as_str()).collect();
    let reached: Vec<RiskProject> = assessed
        .inputs
        .iter()
        .filter(|p| ids.contains(p.project_id.as_str()))
        .cloned()
        .collect();
    Ok(risk::provider_scores(&reached, &assessed.scores)
        .into_iter()
        .map(|p| ProviderRiskView {
            provider_id: p.provider_id,
            score: p.score,
            projects: p.projects,
            flagged: p.flagged,
        })
        .collect())
}

/// Of some inspected projects, how many had findings against them.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitRateView {
    pub inspected: usize,
    pub with_findings: usize,
    /// `with_findings / inspected` in basis points; null before any
    /// inspection.
    pub rate_bp: Option<u32>,
}

impl From<risk::HitRate> for HitRateView {
    fn from(h: risk::HitRate) -> Self {
        HitRateView {
            inspected: h.inspected,
            with_findings: h.with_findings,
            rate_bp: h.rate_bp,
        }
    }
}

/// One flag kind's hit rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagPrecision {
    #[schema(schema_with = code_schema::<FlagKind>)]
    pub kind: FlagKind,
    pub inspected: usize,
    pub with_findings: usize,
    pub rate_bp: Option<u32>,
}

/// How well the flags point at trouble (精准度), to tune the thresholds
/// with evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskPrecisionView {
    pub program_id: String,
    /// Projects drawn at random (a uniform draw, or the `random` stratum
    /// of a stratified one) with a recorded finding: the base rate.
    pub at_random: HitRateView,
    /// Inspected projects carrying any flag today.
    pub any_flag: HitRateView,
    /// Per flag kind, every kind listed.
    pub by_kind: Vec<FlagPrecision>,
    /// How it is counted, in the caller's language.
    pub method: String,
}

/// The flags' precision from the findings recorded so far, over the
/// projects the caller reads.
pub fn precision(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    lang: Lang,
) -> Result<RiskPrecisionView> {
    require_in_programme(who, Right::ReadRisks, program_id)?;
    let assessed = assessed(s.conn(), program_id)?;
    let ids: BTreeSet<&str> = assessed.reached(who).map(|p| p.id.as_str()).collect();
    let inspections: Vec<risk::Inspection> = assessed
        .inspections
        .iter()
        .filter(|i| ids.contains(i.project_id.as_str()))
        .cloned()
        .collect();
    let p = risk::precision(&assessed.flags, &inspections);
    Ok(RiskPrecisionView {
        program_id: program_id.to_owned(),
        at_random: p.at_random.into(),
        any_flag: p.any_flag.into(),
        by_kind: p
            .by_kind
            .into_iter()
            .map(|(kind, h)| FlagPrecision {
                kind,
                inspected: h.inspected,
                with_findings: h.with_findings,
                rate_bp: h.rate_bp,
            })
            .collect(),
        method: match lang {
            Lang::En => "Each inspected project (a spot-check finding recorded) counts once, with findings if any finding was adverse. A flag is useful when its rate is well above the rate of the projects drawn at random. The flags are today's, under the programme's current thresholds.",
            Lang::Zh => "每个已检查项目（已记录抽查结论）计一次，有任一不合规结论即计为有问题。某类线索的问题率明显高于随机抽取项目的问题率，才说明该线索有效。线索按项目当前数据和本试点当前阈值计算。",
        }
        .to_owned(),
    })
}

/// The programme's applied projects with their flags and scores.
pub(crate) struct Assessed {
    pub projects: Vec<ProjectRow>,
    /// What the rules read of each, in the same order.
    pub inputs: Vec<RiskProject>,
    /// Sorted by project id.
    pub flags: Vec<risk::Flag>,
    /// Score per project id (projects without a flag are absent: 0).
    pub scores: BTreeMap<String, u32>,
    /// Every project a finding was recorded against.
    pub inspections: Vec<risk::Inspection>,
}

/// The last assessments, keyed by programme and the audit chain's head:
/// any committed write moves the head, so an entry is never stale, on
/// this instance or another. The rules read the whole programme (about a
/// second at 2,000 projects), too slow to run on every project read.
static ASSESSED: Mutex<Vec<(String, String, Arc<Assessed>)>> = Mutex::new(Vec::new());

/// Assessments kept (one per programme, the newest).
const KEPT: usize = 16;

/// The programme's assessment as of the data now: cached, or run.
pub(crate) fn assessed(conn: &mut AnyConnection, program_id: &str) -> Result<Arc<Assessed>> {
    let head = shuzhuan_persistence::head_hash(conn)?;
    let cached = |cache: &Vec<(String, String, Arc<Assessed>)>| {
        cache
            .iter()
            .find(|(p, h, _)| p == program_id && *h == head)
            .map(|(.., a)| Arc::clone(a))
    };
    if let Some(hit) = cached(&ASSESSED.lock().unwrap_or_else(PoisonError::into_inner)) {
        return Ok(hit);
    }
    let fresh = Arc::new(assess(conn, program_id)?);
    let mut cache = ASSESSED.lock().unwrap_or_else(PoisonError::into_inner);
    cache.retain(|(p, ..)| p != program_id);
    if cache.len() >= KEPT {
        cache.remove(0);
    }
    cache.push((program_id.to_owned(), head, Arc::clone(&fresh)));
    Ok(fresh)
}

/// Runs the rules over everything the programme holds, under its
/// settings.
fn assess(conn: &mut AnyConnection, program_id: &str) -> Result<Assessed> {
    let facts = supervision::program_facts(conn, program_id)?;
    let parties = supervision::risk_facts(conn, program_id)?;
    let settings = supervision::settings_of(conn, program_id)?
        .map(|row| row.risk.get().clone())
        .unwrap_or_default();
    let listed: HashMap<&str, i64> = parties
        .listed_prices
        .iter()
        .filter_map(|(id, price)| Some((id.as_str(), (*price)?)))
        .collect();
    // The last diagnosis and the last acceptance of each project.
    let (mut diagnoses, mut acceptances) = (HashMap::new(), HashMap::new());
    for a in &parties.assessments {
        match a.kind.0 {
            AssessmentKind::Diagnosis => diagnoses.insert(a.project_id.as_str(), a),
            AssessmentKind::Acceptance => acceptances.insert(a.project_id.as_str(), a),
            AssessmentKind::SelfAssessment => None,
        };
    }
    let policies = crate::subsidy::policies(conn, program_id)?;
    let enterprises: HashMap<&str, &PartyRow> = parties
        .enterprises
        .iter()
        .map(|e| (e.id.as_str(), e))
        .collect();
    let providers: HashMap<&str, &PartyRow> = parties
        .providers
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let steps = crate::monitoring::steps_by_project(&facts);
    let mut documents: HashMap<&str, Vec<&supervision::DocumentFact>> = HashMap::new();
    for d in &parties.documents {
        documents.entry(d.project_id.as_str()).or_default().push(d);
    }
    let applied: Vec<_> = facts
        .projects
        .iter()
        .filter(|p| p.state.0 != ProjectState::Draft)
        .collect();
    let inputs: Vec<RiskProject> = applied
        .iter()
        .map(|p| {
            let own = steps
                .get(p.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let first = |a: ProjectAction| own.iter().find(|(x, ..)| *x == a).map(|(.., d)| *d);
            let last =
                |a: ProjectAction| own.iter().rev().find(|(x, ..)| *x == a).map(|(.., d)| *d);
            let docs = documents
                .get(p.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let plan = p.plan.as_ref().map(|plan| plan.get());
            let answers = |of: &HashMap<&str, &supervision::AssessmentFact>| {
                of.get(p.id.as_str())
                    .map(|a| a.answers.get().answers.clone())
                    .unwrap_or_default()
            };
            let listed_prices_fen = plan.and_then(|plan| {
                let prices: Vec<i64> = plan
                    .product_ids
                    .iter()
                    .filter_map(|id| listed.get(id.as_str()).copied())
                    .collect();
                (!prices.is_empty()).then(|| prices.iter().fold(0i64, |a, b| a.saturating_add(*b)))
            });
            // Where the formula pays the most: the cap of the level reached
            // (else the pass level's) divided by its rate, under the pinned
            // policy.
            let sweet_spot = p.policy_version.and_then(|v| {
                let policy = policies.iter().find(|x| x.version == v)?;
                let level = p
                    .level_after
                    .and_then(|l| u8::try_from(l).ok())
                    .unwrap_or(2);
                let terms = policy.levels.get(&level)?;
                let (cap, rate) = (terms.cap_fen?, terms.rate_bp.filter(|r| *r > 0)?);
                i64::try_from(i128::from(cap) * 10_000 / i128::from(rate)).ok()
            });
            RiskProject {
                project_id: p.id.clone(),
                enterprise: enterprises
                    .get(p.enterprise_id.as_str())
                    .map(|e| party(e))
                    .unwrap_or_default(),
                provider: p
                    .provider_id
                    .as_deref()
                    .and_then(|id| providers.get(id))
                    .map(|row| party(row)),
                batch_id: p.batch_id.clone(),
                region_code: p.region_code.clone(),
                documents: docs.iter().map(|d| d.sha256.clone()).collect(),
                plan_text: plan
                    .map(|plan| format!("{} {}", plan.goals, plan.content))
                    .unwrap_or_default(),
                line_items: plan
                    .map(|plan| {
                        plan.line_items
                            .iter()
                            .map(|l| (l.category.code().to_owned(), l.amount_fen))
                            .collect()
                    })
                    .unwrap_or_default(),
                contract_fen: plan.map(|plan| plan.contract_amount_fen),
                listed_prices_fen,
                subsidy_sweet_spot_fen: sweet_spot,
                enrolled_on: first(ProjectAction::ApproveEnrolment),
                contract_signed_on: docs
                    .iter()
                    .find(|d| d.kind.0 == DocumentKind::Contract)
                    .map(|d| d.created_at.date()),
                plan_ends_on: plan.map(|plan| plan.ends_on),
                acceptance_requested_on: first(ProjectAction::RequestAcceptance),
                progress_percent: i64::from(p.progress_percent),
                level_before: p.level_before.zip(first(ProjectAction::RecordDiagnosis)),
                level_after: p.level_after.zip(last(ProjectAction::RecordAcceptance)),
                answers_before: answers(&diagnoses),
                answers_after: answers(&acceptances),
                acceptance_evaluator: acceptances
                    .get(p.id.as_str())
                    .map(|a| a.recorded_by.clone()),
                steps: own
                    .iter()
                    .map(|(a, _, d)| (a.as_str().to_owned(), *d))
                    .collect(),
            }
        })
        .collect();
    let flags = risk::flags(&inputs, &settings);
    let scores = risk::scores(&flags, &settings);
    Ok(Assessed {
        projects: applied.into_iter().cloned().collect(),
        inputs,
        flags,
        scores,
        inspections: inspections(&facts),
    })
}

/// Every project a finding was recorded against, and whether it was drawn
/// at random: by a uniform draw, or from the `random` stratum.
fn inspections(facts: &supervision::ProgramFacts) -> Vec<risk::Inspection> {
    facts
        .findings
        .iter()
        .map(|f| {
            let check = facts.spot_checks.iter().find(|c| c.id == f.spot_check_id);
            let at_random = check.is_some_and(|c| match c.weighting.0 {
                Weighting::Uniform => true,
                Weighting::Risk => false,
                Weighting::Stratified => c.strata.get().iter().any(|s| {
                    s.name == RANDOM_STRATUM
                        && s.candidates.iter().any(|(id, _)| *id == f.project_id)
                }),
            });
            risk::Inspection {
                project_id: f.project_id.clone(),
                adverse: f.outcome.is_adverse(),
                at_random,
            }
        })
        .collect()
}
