//! A programme's provider pool (服务商资源池) and product library (产品库):
//! providers and products apply, the pilot office (city_admin) admits,
//! grades, suspends, lists, recommends and removes them, by the status
//! machines of `shuzhuan_lifecycle::AdmissionKind`. The two resources share
//! every piece of code but their paths.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{AdmissionError, AdmissionKind, AdmissionStatus, ProjectState};
use shuzhuan_persistence::repo::{admissions, products, programs, providers};
use shuzhuan_persistence::rows::AdmissionRow;
use shuzhuan_persistence::{AnyConnection, Coded, Json, RepoError, Session, Tx, now};
use shuzhuan_types::{ObjectType, Target};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::{self, Body, Page};
use crate::journal::{Key, change};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::view::{List, code_list_schema, code_schema, optional_code_schema, utc};

fn status_list_schema() -> utoipa::openapi::schema::Array {
    code_list_schema::<AdmissionStatus>()
}

/// A consortium (联合体, Jinan): providers serving one industry together,
/// one of them the lead.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consortium {
    /// The programme's industry the consortium serves.
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 60)]
    pub industry_code: String,
    /// The lead provider (牵头单位), in the same pool; may be this provider.
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 60)]
    pub lead_provider_id: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"provider_id": "0193…"}))]
pub struct PoolApplication {
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 60)]
    pub provider_id: String,
    #[validate(nested)]
    pub consortium: Option<Consortium>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"product_id": "0193…"}))]
pub struct LibraryApplication {
    #[validate(length(min = 1, max = 60, message = "1 to 60 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 60)]
    pub product_id: String,
}

/// A change by the pilot office: a new status (with the reason the move
/// needs), a grade, a consortium. Grade and consortium are pool-only.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "suspended", "reason": "抽查发现虚报进度"}))]
pub struct AdmissionChange {
    #[schema(schema_with = optional_code_schema::<AdmissionStatus>)]
    pub status: Option<String>,
    /// A grade the programme gives (e.g. A/B/C, 星级).
    #[validate(length(min = 1, max = 20, message = "1 to 20 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 20)]
    pub grade: Option<String>,
    /// Why: needed to suspend, remove, delist or re-list.
    #[validate(length(min = 1, max = 500, message = "1 to 500 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
    #[validate(nested)]
    pub consortium: Option<Consortium>,
    /// What the decision is taken on: ids of the programme's spot-check
    /// findings (the provider ranking lists a provider's as `finding_ids`)
    /// and self-evaluation reports; replaces the entry's evidence.
    #[validate(length(max = 50, message = "at most 50", code = "length"))]
    #[schema(max_items = 50)]
    pub evidence: Option<Vec<String>>,
}

/// A provider in a pool or a product in a library.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdmissionView {
    pub program_id: String,
    #[schema(schema_with = code_schema::<AdmissionKind>)]
    pub kind: AdmissionKind,
    /// The provider (for a product: the one offering it).
    pub provider_id: String,
    /// The product, in a library; absent in a pool.
    pub product_id: Option<String>,
    /// The provider's or product's name.
    pub name: String,
    #[schema(schema_with = code_schema::<AdmissionStatus>)]
    pub status: AdmissionStatus,
    pub grade: Option<String>,
    /// The reason given with the last status change.
    pub reason: String,
    /// The findings and evaluation reports the last decision cited.
    pub evidence: Vec<String>,
    pub consortium: Option<Consortium>,
    /// Where the pilot office can move it next.
    #[schema(schema_with = status_list_schema)]
    pub next_statuses: Vec<AdmissionStatus>,
    /// The record the provider ranking (赛马) is built from, counted from
    /// the programme's projects.
    pub performance: PerformanceView,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A pool member's or library product's record in the programme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct PerformanceView {
    /// Projects it serves (a provider) or whose plan uses it (a product).
    pub projects: i64,
    /// Of those, plans approved: contracts signed and under way or done.
    pub contracts_signed: i64,
    /// Of those, acceptances passed (level 2 or higher).
    pub acceptances_passed: i64,
    /// Satisfaction ratings given at acceptance, and their mean (1–5).
    pub satisfaction_ratings: i64,
    pub satisfaction_average: Option<f64>,
}

/// The performance of every member of `program_id`'s pool and library.
fn performance_of(
    conn: &mut AnyConnection,
    program_id: &str,
    providers: Option<&[String]>,
) -> Result<HashMap<String, PerformanceView>> {
    use ProjectState as S;
    let mut by_member: HashMap<String, (PerformanceView, i64)> = HashMap::new();
    for (provider, state, satisfaction, plan) in
        shuzhuan_persistence::repo::projects::performance_rows(conn, program_id, providers)?
    {
        let signed = matches!(
            state.0,
            S::Implementing
                | S::AcceptanceRequested
                | S::AcceptancePrechecked
                | S::Accepted
                | S::Rectification
                | S::Audited
                | S::SubsidyApproved
                | S::Disbursed
        );
        let passed = matches!(
            state.0,
            S::Accepted | S::Audited | S::SubsidyApproved | S::Disbursed
        );
        let products: Vec<String> = plan.map(|p| p.into_inner().product_ids).unwrap_or_default();
        for member in provider.into_iter().chain(products) {
            let (perf, sum) = by_member.entry(member).or_default();
            perf.projects += 1;
            perf.contracts_signed += i64::from(signed);
            perf.acceptances_passed += i64::from(passed);
            if let Some(score) = satisfaction {
                perf.satisfaction_ratings += 1;
                *sum += i64::from(score);
            }
        }
    }
    Ok(by_member
        .into_iter()
        .map(|(member, (mut perf, sum))| {
            if perf.satisfaction_ratings > 0 {
                // Two decimals are all a ranking shows.
                let hundredths = sum * 100 / perf.satisfaction_ratings;
                perf.satisfaction_average = Some(hundredths as f64 / 100.0);
            }
            (member, perf)
        })
        .collect())
}

/// Views of `rows` (of one programme) with their members' names and
/// performance (one query each per list).
fn views(conn: &mut AnyConnection, rows: Vec<AdmissionRow>) -> Result<Vec<AdmissionView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.member_id.clone()).collect();
    // member id → (provider id, product id, name)
    let mut members: HashMap<String, (String, Option<String>, String)> = HashMap::new();
    if rows.iter().any(|r| *r.kind == AdmissionKind::ProviderPool) {
        for p in providers::find_many(conn, &ids)? {
            members.insert(p.id.clone(), (p.id, None, p.name));
        }
    }
    if rows
        .iter()
        .any(|r| *r.kind == AdmissionKind::ProductLibrary)
    {
        for p in products::find_many(conn, &ids)? {
            members.insert(p.id.clone(), (p.provider_id, Some(p.id), p.name));
        }
    }
    let mut performance = HashMap::new();
    if let Some(first) = rows.first() {
        // A pool's members: only the projects they serve are read.
        let pool_only = rows.iter().all(|r| *r.kind == AdmissionKind::ProviderPool);
        performance = performance_of(conn, &first.program_id, pool_only.then_some(&ids[..]))?;
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let (kind, status) = (r.kind.0, r.status.0);
            let perf = performance.get(&r.member_id).cloned().unwrap_or_default();
            let (provider_id, product_id, name) = members
                .get(&r.member_id)
                .cloned()
                .unwrap_or_else(|| (r.member_id.clone(), None, String::new()));
            let consortium = r
                .consortium_industry_code
                .clone()
                .zip(r.consortium_lead_id.clone())
                .map(|(industry_code, lead_provider_id)| Consortium {
                    industry_code,
                    lead_provider_id,
                });
            AdmissionView {
                kind,
                program_id: r.program_id,
                provider_id,
                product_id,
                name,
                status,
                grade: r.grade,
                reason: r.reason,
                evidence: r.evidence.into_inner(),
                consortium,
                next_statuses: kind.next(status),
                performance: perf,
                version: r.version,
                created_at: utc(r.created_at),
                updated_at: utc(r.updated_at),
            }
        })
        .collect())
}

fn one_view(conn: &mut AnyConnection, row: AdmissionRow) -> Result<AdmissionView> {
    views(conn, vec![row])?
        .pop()
        .ok_or_else(|| AppError::Internal("admission view lost".into()))
}

/// The provider behind a member: itself, or a product's provider; a member
/// that does not exist, or that the caller cannot read, is a 422 on
/// `field`.
fn provider_of(
    conn: &mut AnyConnection,
    who: &Principal,
    kind: AdmissionKind,
    member_id: &str,
) -> Result<String> {
    let (field, found) = match kind {
        AdmissionKind::ProviderPool => (
            "provider_id",
            providers::find(conn, member_id).map(|p| p.id),
        ),
        AdmissionKind::ProductLibrary => (
            "product_id",
            products::find(conn, member_id).map(|p| p.provider_id),
        ),
    };
    let unknown = || {
        AppError::field(
            field,
            "unknown_member",
            Text::new("no such provider or product", "服务商或产品不存在"),
        )
    };
    match found {
        Err(RepoError::NotFound) => Err(unknown()),
        Ok(provider) if !crate::providers::readable(who, &provider) => Err(unknown()),
        other => Ok(other?),
    }
}

/// A consortium must name an industry of the programme and a lead in its
/// pool (or the provider itself).
fn check_consortium(
    conn: &mut AnyConnection,
    program_id: &str,
    provider_id: &str,
    c: &Consortium,
) -> Result<()> {
    let mut errors = Vec::new();
    if !programs::industries_of(conn, program_id)?
        .iter()
        .any(|i| i.code == c.industry_code)
    {
        errors.push(FieldError::new(
            "consortium.industry_code",
            "unknown_industry",
            Text::new("not an industry of the programme", "不是该试点的细分行业"),
        ));
    }
    let lead_in_pool = c.lead_provider_id == provider_id
        || matches!(
            admissions::find(conn, program_id, AdmissionKind::ProviderPool, &c.lead_provider_id),
            Ok(r) if *r.status != AdmissionStatus::Removed
        );
    if !lead_in_pool {
        errors.push(FieldError::new(
            "consortium.lead_provider_id",
            "lead_not_in_pool",
            Text::new(
                "the lead must be a provider in this programme's pool",
                "牵头单位须为本试点资源池中的服务商",
            ),
        ));
    }
    AppError::check(errors)
}

/// One entry of a programme's pool or library.
pub fn get_entry(
    s: &mut Session,
    who: &Principal,
    (program_id, member_id): (&str, &str),
    kind: AdmissionKind,
) -> Result<AdmissionView> {
    crate::programs::visible(s.conn(), who, program_id)?;
    let conn = s.conn();
    let row = admissions::find(conn, program_id, kind, member_id)?;
    views(conn, vec![row])?.pop().ok_or(AppError::NotFound)
}

/// A programme's pool or library, optionally of one status.
pub fn list(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    kind: AdmissionKind,
    status: Option<&str>,
    page: &Page,
) -> Result<List<AdmissionView>> {
    crate::programs::visible(s.conn(), who, program_id)?;
    let status = status.map(|st| parse_status(kind, st)).transpose()?;
    let conn = s.conn();
    let rows = admissions::list(conn, program_id, kind, status)?;
    List::paged(views(conn, rows)?, page)
}

/// Puts `member_id` into the programme's pool or library in `status`,
/// with its audit entry and change event.
pub(crate) fn insert(
    tx: &mut Tx<'_>,
    (program_id, member_id): (&str, &str),
    kind: AdmissionKind,
    status: AdmissionStatus,
    consortium: Option<Consortium>,
) -> Result<AdmissionView> {
    let at = now();
    let row = AdmissionRow {
        program_id: program_id.to_owned(),
        kind: Coded(kind),
        member_id: member_id.to_owned(),
        status: Coded(status),
        grade: None,
        reason: String::new(),
        consortium_industry_code: consortium.as_ref().map(|c| c.industry_code.clone()),
        consortium_lead_id: consortium.map(|c| c.lead_provider_id),
        version: 1,
        created_at: at,
        updated_at: at,
        evidence: Json::new(Vec::new())?,
    };
    admissions::insert(tx.conn(), &row).map_err(|e| {
        AppError::from(e).conflict_as(
            "already_applied",
            Text::new(
                "It is in this programme's pool or library already.",
                "已在该试点的资源池或产品库中。",
            ),
        )
    })?;
    let view = one_view(tx.conn(), row)?;
    let key = Key::new(view.member_id(), Some(&view.program_id), 1);
    tx.record(change(
        &format!("{kind}.{status}"),
        object_type(kind),
        key,
        None,
        &view,
    ));
    Ok(view)
}

fn object_type(kind: AdmissionKind) -> ObjectType {
    match kind {
        AdmissionKind::ProviderPool => ObjectType::ProviderPool,
        AdmissionKind::ProductLibrary => ObjectType::ProductLibrary,
    }
}

/// A provider (its staff, or the programme's office) applies to the pool.
pub fn apply_to_pool(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<PoolApplication>,
) -> Result<AdmissionView> {
    who.require(Right::ApplyToPool)?;
    let body = body.read()?;
    let kind = AdmissionKind::ProviderPool;
    apply(s, who, program_id, kind, &body.provider_id, body.consortium)
}

/// A provider submits one of its products to the library.
pub fn submit_to_library(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<LibraryApplication>,
) -> Result<AdmissionView> {
    who.require(Right::ApplyToPool)?;
    let body = body.read()?;
    let kind = AdmissionKind::ProductLibrary;
    apply(s, who, program_id, kind, &body.product_id, None)
}

/// Enters a provider into the pool or a product into the library, as
/// the caller's provider (or the programme's office).
fn apply(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    kind: AdmissionKind,
    member_id: &str,
    consortium: Option<Consortium>,
) -> Result<AdmissionView> {
    let reach = who.require(Right::ApplyToPool)?;
    crate::programs::visible(s.conn(), who, program_id)?;
    let may_enter = |provider_id: &str| {
        let target = Target {
            programmes: vec![program_id],
            providers: vec![provider_id],
            ..Default::default()
        };
        if reach.contains(&target) {
            Ok(())
        } else {
            Err(AppError::Forbidden(Right::ApplyToPool))
        }
    };
    // A pool application names its provider: the right on it comes first,
    // so nobody learns whether a provider they may not enter exists.
    if kind == AdmissionKind::ProviderPool {
        may_enter(member_id)?;
    }
    let provider_id = provider_of(s.conn(), who, kind, member_id)?;
    may_enter(&provider_id)?;
    s.write(&who.actor(), |tx| {
        if let Some(c) = &consortium {
            check_consortium(tx.conn(), program_id, &provider_id, c)?;
        }
        insert(
            tx,
            (program_id, member_id),
            kind,
            kind.initial(),
            consortium.clone(),
        )
    })
}

impl AdmissionView {
    pub fn member_id(&self) -> &str {
        self.product_id.as_deref().unwrap_or(&self.provider_id)
    }
}

/// A status of `kind`'s machine, or 422 on `status`.
fn parse_status(kind: AdmissionKind, given: &str) -> Result<AdmissionStatus> {
    input::code::<AdmissionStatus>("status", given)
        .ok()
        .filter(|st| kind.statuses().contains(st))
        .ok_or_else(|| {
            let list = kind.statuses().map(AdmissionStatus::as_str).join(", ");
            AppError::field(
                "status",
                "invalid_value",
                Text::new(
                    format!("not a status of the {kind}: one of {list}"),
                    format!("应为以下状态之一：{list}"),
                ),
            )
        })
}

fn refusal(e: AdmissionError) -> AppError {
    match e {
        AdmissionError::UnknownStatus(..) => AppError::field(
            "status",
            "invalid_value",
            Text::new(e.to_string(), "不是该名录的状态"),
        ),
        AdmissionError::ReasonRequired(_) => AppError::field(
            "reason",
            "reason_required",
            Text::new(e.to_string(), "该状态变更须说明理由"),
        ),
        AdmissionError::NotAllowed { .. } => AppError::Conflict {
            code: "status_transition_not_allowed",
            detail: Text::new(e.to_string(), "不允许的状态变更"),
        },
    }
}

/// Every id of `evidence` names a finding or an evaluation report of the
/// programme (422 `unknown_evidence` on each that does not).
fn check_evidence(conn: &mut AnyConnection, program_id: &str, evidence: &[String]) -> Result<()> {
    let known =
        shuzhuan_persistence::repo::evaluations::evidence_of_program(conn, program_id, evidence)?;
    AppError::check(
        evidence
            .iter()
            .enumerate()
            .filter(|(_, id)| !known.contains(id))
            .map(|(i, _)| {
                FieldError::new(
                    format!("evidence[{i}]"),
                    "unknown_evidence",
                    Text::new(
                        "not a spot-check finding or evaluation report of the programme",
                        "不是本试点的抽查结论或绩效自评报告",
                    ),
                )
            })
            .collect(),
    )
}

/// The pilot office moves an entry: status (with the reason it needs),
/// grade, consortium.
pub fn change_entry(
    s: &mut Session,
    who: &Principal,
    (program_id, member_id): (&str, &str),
    kind: AdmissionKind,
    expected: Expected,
    body: Body<AdmissionChange>,
) -> Result<AdmissionView> {
    require_in_programme(who, Right::DecideAdmission, program_id)?;
    let body = body.read()?;
    if kind == AdmissionKind::ProductLibrary {
        for (field, given) in [
            ("grade", body.grade.is_some()),
            ("consortium", body.consortium.is_some()),
        ] {
            if given {
                return Err(AppError::field(
                    field,
                    "pool_only",
                    Text::new("products have none", "产品无此项"),
                ));
            }
        }
    }
    let to = body
        .status
        .as_deref()
        .map(|s| parse_status(kind, s))
        .transpose()?;
    s.write(&who.actor(), |tx| {
        let before = admissions::find(tx.conn(), program_id, kind, member_id)?;
        expected.check(before.version)?;
        let from = before.status.0;
        let mut row = before.clone();
        if let Some(to) = to {
            kind.check(from, to, body.reason.is_some())
                .map_err(refusal)?;
            row.status = Coded(to);
        }
        if let Some(reason) = body.reason {
            row.reason = reason;
        }
        if let Some(grade) = body.grade {
            row.grade = Some(grade);
        }
        if let Some(evidence) = body.evidence {
            check_evidence(tx.conn(), program_id, &evidence)?;
            row.evidence = Json::new(evidence)?;
        }
        if let Some(c) = body.consortium {
            check_consortium(tx.conn(), program_id, member_id, &c)?;
            row.consortium_industry_code = Some(c.industry_code);
            row.consortium_lead_id = Some(c.lead_provider_id);
        }
        let before_view = one_view(tx.conn(), before.clone())?;
        if row == before {
            return Ok(before_view);
        }
        row.version = before.version + 1;
        row.updated_at = now();
        admissions::update(tx.conn(), &row, before.version)?;
        let after = one_view(tx.conn(), row)?;
        let key = Key::new(after.member_id(), Some(&after.program_id), after.version);
        tx.record(change(
            &format!("{kind}.{}", after.status),
            object_type(kind),
            key,
            Some(&before_view),
            &after,
        ));
        Ok(after)
    })
}

fn pool_status_schema() -> utoipa::openapi::schema::Object {
    crate::view::string_enum(
        AdmissionKind::ProviderPool
            .statuses()
            .map(AdmissionStatus::as_str),
    )
}

fn library_status_schema() -> utoipa::openapi::schema::Object {
    crate::view::string_enum(
        AdmissionKind::ProductLibrary
            .statuses()
            .map(AdmissionStatus::as_str),
    )
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PoolQuery {
    /// Only providers in this status.
    #[param(schema_with = pool_status_schema)]
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

impl PoolQuery {
    pub fn page(&self) -> Page {
        Page {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LibraryQuery {
    /// Only products in this status.
    #[param(schema_with = library_status_schema)]
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

impl LibraryQuery {
    pub fn page(&self) -> Page {
        Page {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}
