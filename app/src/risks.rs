//! Risk intelligence (风险线索, issue 22): the rules of
//! `shuzhuan_monitoring::risk` over what the programme holds — parties,
//! plans, documents, steps, levels and the pinned policy — and a score per
//! project. The city office, finance, observers and county offices (their
//! regions) read it; enterprises and providers never do.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{DocumentKind, ProjectAction, ProjectState};
use shuzhuan_monitoring::risk::{self, FlagKind, Party, RiskProject, RiskSettings};
use shuzhuan_persistence::repo::projects;
use shuzhuan_persistence::repo::supervision::{self, PartyRow};
use shuzhuan_persistence::rows::ProjectRow;
use shuzhuan_persistence::{AnyConnection, Session};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{Lang, Result};
use crate::input::{self, Page};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::view::{List, code_schema};

/// One flag on a project: what it points at, the projects it ties it to,
/// and why, in the caller's language.
#[derive(Debug, Serialize, ToSchema)]
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

/// The programme's flagged projects the caller reads, highest score first
/// (ties by project id); projects without a flag are not listed.
pub fn list(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: &RiskQuery,
    lang: Lang,
) -> Result<List<ProjectRiskView>> {
    require_in_programme(who, Right::ReadTargets, program_id)?;
    let only = input::optional_code::<FlagKind>("flag", q.flag.as_deref())?;
    let reach = who.reach(Right::ReadProject);
    let Assessed {
        projects: applied,
        flags,
        scores,
    } = assess(s.conn(), program_id)?;
    let mut by_project: BTreeMap<&str, Vec<RiskFlagView>> = BTreeMap::new();
    for f in &flags {
        by_project
            .entry(f.project_id.as_str())
            .or_default()
            .push(RiskFlagView {
                kind: f.kind,
                related: f.related.clone(),
                reason: match lang {
                    Lang::En => f.reason.clone(),
                    Lang::Zh => f.reason_zh.clone(),
                },
            });
    }
    let mut items: Vec<ProjectRiskView> = applied
        .iter()
        .filter(|p| reach.contains(&projects::target(p, &[])))
        .filter_map(|p| {
            let flags = by_project.remove(p.id.as_str())?;
            let score = scores.get(&p.id).copied().unwrap_or(0);
            Some(ProjectRiskView {
                project_id: p.id.clone(),
                title: p.title.clone(),
                enterprise_id: p.enterprise_id.clone(),
                provider_id: p.provider_id.clone(),
                batch_id: p.batch_id.clone(),
                region_code: p.region_code.clone(),
                score,
                flags,
            })
        })
        .filter(|v| q.min_score.is_none_or(|m| v.score >= m))
        .filter(|v| only.is_none_or(|k| v.flags.iter().any(|f| f.kind == k)))
        .collect();
    items.sort_by(|a, b| b.score.cmp(&a.score).then(a.project_id.cmp(&b.project_id)));
    List::paged(
        items,
        &Page {
            limit: q.limit,
            cursor: q.cursor.clone(),
        },
    )
}

/// The programme's applied projects with their flags and scores.
pub(crate) struct Assessed {
    pub projects: Vec<ProjectRow>,
    pub flags: Vec<risk::Flag>,
    /// Score per project id (projects without a flag are absent: 0).
    pub scores: BTreeMap<String, u32>,
}

/// Runs the rules over everything the programme holds.
pub(crate) fn assess(conn: &mut AnyConnection, program_id: &str) -> Result<Assessed> {
    let facts = supervision::program_facts(conn, program_id)?;
    let parties = supervision::risk_facts(conn, program_id)?;
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
                steps: own
                    .iter()
                    .map(|(a, _, d)| (a.as_str().to_owned(), *d))
                    .collect(),
            }
        })
        .collect();
    let settings = RiskSettings::default();
    let flags = risk::flags(&inputs, &settings);
    let scores = risk::scores(&flags, &settings);
    let projects = applied.into_iter().cloned().collect();
    Ok(Assessed {
        projects,
        flags,
        scores,
    })
}
