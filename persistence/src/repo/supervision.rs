//! Targets, monitoring settings, spot checks and their findings,
//! benchmarks, events and finance products (DOMAIN.md §6–7), and the facts
//! the dashboard and the monitor read in a few queries per programme.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::repo::{Page, update_at_version};
use crate::rows::{
    BatchRow, BenchmarkRow, EventRow, FinanceProductRow, FindingRow, MonitoringSettingsRow,
    ProjectRow, SpotCheckRow, TargetRow,
};
use crate::schema::{
    admissions, assessments, batches, benchmarks, disbursements, document_requirements, documents,
    enterprises, finance_products, monitoring_settings, products, program_events,
    project_transitions, projects, providers, spot_check_findings, spot_checks, targets,
};
use shuzhuan_lifecycle::{
    AdmissionKind, AdmissionStatus, BenchmarkKind, BenchmarkStatus, DocumentKind, ProjectAction,
    ProjectState,
};
use shuzhuan_types::ProviderKind;

use crate::{AnyConnection, Coded, Json, RepoError};
use shuzhuan_scoring::{Answers, AssessmentKind};

// ---- targets -------------------------------------------------------------

pub fn targets_of(conn: &mut AnyConnection, program_id: &str) -> Result<Vec<TargetRow>, RepoError> {
    Ok(targets::table
        .filter(targets::program_id.eq(program_id))
        .select(TargetRow::as_select())
        .order((targets::metric, targets::scope_key))
        .load(conn)?)
}

pub fn find_target(
    conn: &mut AnyConnection,
    program_id: &str,
    scope_key: &str,
) -> Result<Option<TargetRow>, RepoError> {
    Ok(targets::table
        .filter(targets::program_id.eq(program_id))
        .filter(targets::scope_key.eq(scope_key))
        .select(TargetRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_target(conn: &mut AnyConnection, row: &TargetRow) -> Result<(), RepoError> {
    diesel::insert_into(targets::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn update_target(
    conn: &mut AnyConnection,
    row: &TargetRow,
    expected: i64,
) -> Result<(), RepoError> {
    update_at_version!(conn, targets, row, expected, [id])
}

pub fn settings_of(
    conn: &mut AnyConnection,
    program_id: &str,
) -> Result<Option<MonitoringSettingsRow>, RepoError> {
    Ok(monitoring_settings::table
        .find(program_id)
        .select(MonitoringSettingsRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a programme's thresholds: the first write creates the row (the
/// defaults are version 0), later ones must name the version they read.
pub fn put_settings(
    conn: &mut AnyConnection,
    row: &MonitoringSettingsRow,
    expected: i64,
) -> Result<(), RepoError> {
    if expected == 0 {
        diesel::insert_into(monitoring_settings::table)
            .values(row)
            .execute(conn)
            .map_err(|e| match RepoError::from(e) {
                RepoError::Conflict(_) => RepoError::StaleVersion { current: 1 },
                other => other,
            })?;
        return Ok(());
    }
    update_at_version!(conn, monitoring_settings, row, expected, [program_id])
}

// ---- spot checks ----------------------------------------------------------

pub fn insert_spot_check(conn: &mut AnyConnection, row: &SpotCheckRow) -> Result<(), RepoError> {
    diesel::insert_into(spot_checks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_spot_check(conn: &mut AnyConnection, id: &str) -> Result<SpotCheckRow, RepoError> {
    Ok(spot_checks::table
        .find(id)
        .select(SpotCheckRow::as_select())
        .first(conn)?)
}

pub fn spot_checks_of(
    conn: &mut AnyConnection,
    program_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<SpotCheckRow>, RepoError> {
    let mut q = spot_checks::table
        .filter(spot_checks::program_id.eq(program_id.to_owned()))
        .select(SpotCheckRow::as_select())
        .order(spot_checks::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(spot_checks::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |r| r.id.clone()))
}

pub fn insert_finding(conn: &mut AnyConnection, row: &FindingRow) -> Result<(), RepoError> {
    diesel::insert_into(spot_check_findings::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn findings_of(
    conn: &mut AnyConnection,
    spot_check_id: &str,
) -> Result<Vec<FindingRow>, RepoError> {
    Ok(spot_check_findings::table
        .filter(spot_check_findings::spot_check_id.eq(spot_check_id))
        .select(FindingRow::as_select())
        .order(spot_check_findings::id)
        .load(conn)?)
}

/// Whether a finding of this spot check names the project.
pub fn finding_exists(
    conn: &mut AnyConnection,
    spot_check_id: &str,
    project_id: &str,
) -> Result<bool, RepoError> {
    Ok(spot_check_findings::table
        .filter(spot_check_findings::spot_check_id.eq(spot_check_id))
        .filter(spot_check_findings::project_id.eq(project_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

// ---- benchmarks, events, finance products --------------------------------

pub fn insert_benchmark(conn: &mut AnyConnection, row: &BenchmarkRow) -> Result<(), RepoError> {
    diesel::insert_into(benchmarks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_benchmark(conn: &mut AnyConnection, id: &str) -> Result<BenchmarkRow, RepoError> {
    Ok(benchmarks::table
        .find(id)
        .select(BenchmarkRow::as_select())
        .first(conn)?)
}

pub fn update_benchmark(
    conn: &mut AnyConnection,
    row: &BenchmarkRow,
    expected: i64,
) -> Result<(), RepoError> {
    update_at_version!(conn, benchmarks, row, expected, [id])
}

/// A programme's benchmarks, optionally of one kind and status.
pub fn benchmarks_of(
    conn: &mut AnyConnection,
    program_id: &str,
    kind: Option<BenchmarkKind>,
    status: Option<BenchmarkStatus>,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<BenchmarkRow>, RepoError> {
    let mut q = benchmarks::table
        .filter(benchmarks::program_id.eq(program_id.to_owned()))
        .select(BenchmarkRow::as_select())
        .order(benchmarks::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(kind) = kind {
        q = q.filter(benchmarks::kind.eq(Coded(kind)));
    }
    if let Some(status) = status {
        q = q.filter(benchmarks::status.eq(Coded(status)));
    }
    if let Some(after) = after {
        q = q.filter(benchmarks::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |r| r.id.clone()))
}

pub fn insert_event(conn: &mut AnyConnection, row: &EventRow) -> Result<(), RepoError> {
    diesel::insert_into(program_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn events_of(
    conn: &mut AnyConnection,
    program_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<EventRow>, RepoError> {
    let mut q = program_events::table
        .filter(program_events::program_id.eq(program_id.to_owned()))
        .select(EventRow::as_select())
        .order(program_events::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(program_events::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |r| r.id.clone()))
}

/// An event of the programme.
pub fn find_event(
    conn: &mut AnyConnection,
    program_id: &str,
    id: &str,
) -> Result<EventRow, RepoError> {
    Ok(program_events::table
        .find(id)
        .filter(program_events::program_id.eq(program_id.to_owned()))
        .select(EventRow::as_select())
        .first(conn)?)
}

/// A finance product of the programme.
pub fn find_finance_product(
    conn: &mut AnyConnection,
    program_id: &str,
    id: &str,
) -> Result<FinanceProductRow, RepoError> {
    Ok(finance_products::table
        .find(id)
        .filter(finance_products::program_id.eq(program_id.to_owned()))
        .select(FinanceProductRow::as_select())
        .first(conn)?)
}

pub fn insert_finance_product(
    conn: &mut AnyConnection,
    row: &FinanceProductRow,
) -> Result<(), RepoError> {
    diesel::insert_into(finance_products::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn finance_products_of(
    conn: &mut AnyConnection,
    program_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<FinanceProductRow>, RepoError> {
    let mut q = finance_products::table
        .filter(finance_products::program_id.eq(program_id.to_owned()))
        .select(FinanceProductRow::as_select())
        .order(finance_products::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(finance_products::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |r| r.id.clone()))
}

// ---- what the dashboard and the monitor read -------------------------------

/// A project's enterprise as the metrics see it.
#[derive(Debug, Clone, Queryable)]
pub struct EnterpriseFlags {
    pub id: String,
    pub industry_code: Option<String>,
    pub above_designated_size: bool,
    pub specialised: bool,
    pub little_giant: bool,
    pub innovative: bool,
    pub cloud_adopted: bool,
}

/// A step of a project's history, without its details.
#[derive(Debug, Clone, Queryable)]
pub struct Step {
    pub project_id: String,
    pub action: Coded<ProjectAction>,
    pub to_state: Coded<ProjectState>,
    pub at: NaiveDateTime,
}

/// An admitted provider of the programme's pool.
#[derive(Debug, Clone, Queryable)]
pub struct PoolProvider {
    pub id: String,
    pub name: String,
    pub kind: Coded<ProviderKind>,
    pub local: bool,
}

/// Everything the dashboard and the monitor compute from, for one
/// programme, read in a handful of queries (no query per project).
#[derive(Debug, Clone, Default)]
pub struct ProgramFacts {
    pub projects: Vec<ProjectRow>,
    pub steps: Vec<Step>,
    pub enterprises: Vec<EnterpriseFlags>,
    pub batches: Vec<BatchRow>,
    /// (project id, document kind) of every document.
    pub documents: Vec<(String, Coded<DocumentKind>)>,
    /// (action, kind) the programme requires.
    pub requirements: Vec<(Coded<ProjectAction>, Coded<DocumentKind>)>,
    pub spot_checks: Vec<SpotCheckRow>,
    pub findings: Vec<FindingRow>,
    pub providers: Vec<PoolProvider>,
    pub listed_products: i64,
    pub benchmarks: Vec<BenchmarkRow>,
    pub events: Vec<EventRow>,
    pub finance_products: Vec<FinanceProductRow>,
    /// Every payment: (decision id, amount in fen, paid on).
    pub payments: Vec<(String, i64, NaiveDate)>,
}

pub fn program_facts(
    conn: &mut AnyConnection,
    program_id: &str,
) -> Result<ProgramFacts, RepoError> {
    let in_program = projects::table
        .filter(projects::program_id.eq(program_id))
        .select(projects::id);
    let project_rows: Vec<ProjectRow> = projects::table
        .filter(projects::program_id.eq(program_id))
        .select(ProjectRow::as_select())
        .order(projects::id)
        .load(conn)?;
    let steps = project_transitions::table
        .filter(project_transitions::project_id.eq_any(in_program))
        .select((
            project_transitions::project_id,
            project_transitions::action,
            project_transitions::to_state,
            project_transitions::at,
        ))
        .order((project_transitions::project_id, project_transitions::seq))
        .load(conn)?;
    let enterprise_ids = projects::table
        .filter(projects::program_id.eq(program_id))
        .select(projects::enterprise_id);
    let enterprise_flags = enterprises::table
        .filter(enterprises::id.eq_any(enterprise_ids))
        .select((
            enterprises::id,
            enterprises::industry_code,
            enterprises::above_designated_size,
            enterprises::specialised,
            enterprises::little_giant,
            enterprises::innovative,
            enterprises::cloud_adopted,
        ))
        .load(conn)?;
    let in_program = projects::table
        .filter(projects::program_id.eq(program_id))
        .select(projects::id);
    let document_kinds = documents::table
        .filter(documents::project_id.eq_any(in_program))
        .select((documents::project_id, documents::kind))
        .load(conn)?;
    let admitted = admissions::table
        .filter(admissions::program_id.eq(program_id))
        .filter(admissions::kind.eq(Coded(AdmissionKind::ProviderPool)))
        .filter(admissions::status.eq(Coded(AdmissionStatus::Admitted)))
        .select(admissions::member_id);
    let pool = providers::table
        .filter(providers::id.eq_any(admitted))
        .select((
            providers::id,
            providers::name,
            providers::kind,
            providers::local,
        ))
        .load(conn)?;
    let listed_products = admissions::table
        .filter(admissions::program_id.eq(program_id))
        .filter(admissions::kind.eq(Coded(AdmissionKind::ProductLibrary)))
        .filter(admissions::status.eq_any([
            Coded(AdmissionStatus::Listed),
            Coded(AdmissionStatus::Recommended),
        ]))
        .inner_join(products::table.on(products::id.eq(admissions::member_id)))
        .count()
        .get_result(conn)?;
    let program_checks: Vec<SpotCheckRow> = spot_checks::table
        .filter(spot_checks::program_id.eq(program_id))
        .select(SpotCheckRow::as_select())
        .load(conn)?;
    let check_ids: Vec<String> = program_checks.iter().map(|c| c.id.clone()).collect();
    Ok(ProgramFacts {
        projects: project_rows,
        steps,
        enterprises: enterprise_flags,
        batches: batches::table
            .filter(batches::program_id.eq(program_id))
            .select(BatchRow::as_select())
            .load(conn)?,
        documents: document_kinds,
        requirements: document_requirements::table
            .filter(document_requirements::program_id.eq(program_id))
            .select((document_requirements::action, document_requirements::kind))
            .load(conn)?,
        findings: spot_check_findings::table
            .filter(spot_check_findings::spot_check_id.eq_any(&check_ids))
            .select(FindingRow::as_select())
            .load(conn)?,
        spot_checks: program_checks,
        providers: pool,
        listed_products,
        benchmarks: benchmarks::table
            .filter(benchmarks::program_id.eq(program_id))
            .select(BenchmarkRow::as_select())
            .load(conn)?,
        events: program_events::table
            .filter(program_events::program_id.eq(program_id))
            .select(EventRow::as_select())
            .load(conn)?,
        finance_products: finance_products::table
            .filter(finance_products::program_id.eq(program_id))
            .select(FinanceProductRow::as_select())
            .load(conn)?,
        payments: disbursements::table
            .filter(disbursements::program_id.eq(program_id))
            .select((
                disbursements::decision_id,
                disbursements::amount_fen,
                disbursements::paid_on,
            ))
            .load(conn)?,
    })
}

/// Enterprises of the programme that use the cloud (上云用云), from the
/// registry, optionally of one region and industry.
pub fn cloud_adopters(
    conn: &mut AnyConnection,
    program_id: &str,
    region: Option<&str>,
    industry: Option<&str>,
) -> Result<i64, RepoError> {
    registered(conn, program_id, Flag::CloudAdopted, region, industry)
}

/// Specialised SMEs (专精特新) of the programme in the registry, optionally
/// of one region and industry.
pub fn specialised_registered(
    conn: &mut AnyConnection,
    program_id: &str,
    region: Option<&str>,
    industry: Option<&str>,
) -> Result<i64, RepoError> {
    registered(conn, program_id, Flag::Specialised, region, industry)
}

/// A registry flag the dashboard counts.
enum Flag {
    CloudAdopted,
    Specialised,
}

/// Enterprises of the programme whose `flag` is set, optionally of one
/// region and industry.
fn registered(
    conn: &mut AnyConnection,
    program_id: &str,
    flag: Flag,
    region: Option<&str>,
    industry: Option<&str>,
) -> Result<i64, RepoError> {
    let mut q = enterprises::table
        .filter(enterprises::program_id.eq(program_id.to_owned()))
        .into_boxed();
    q = match flag {
        Flag::CloudAdopted => q.filter(enterprises::cloud_adopted.eq(true)),
        Flag::Specialised => q.filter(enterprises::specialised.eq(true)),
    };
    if let Some(r) = region {
        q = q.filter(enterprises::region_code.eq(r.to_owned()));
    }
    if let Some(i) = industry {
        q = q.filter(enterprises::industry_code.eq(i.to_owned()));
    }
    Ok(q.count().get_result(conn)?)
}

// ---- what the risk rules read ------------------------------------------------

/// An enterprise or provider as the risk rules compare them.
#[derive(Debug, Clone, Queryable)]
pub struct PartyRow {
    pub id: String,
    pub uscc: String,
    pub contact_name: String,
    pub contact_phone: String,
}

/// A project's document as the risk rules read it.
#[derive(Debug, Clone, Queryable)]
pub struct DocumentFact {
    pub project_id: String,
    pub kind: Coded<DocumentKind>,
    pub sha256: String,
    pub created_at: NaiveDateTime,
}

/// A project's assessment as the risk rules read it: its answers and who
/// recorded it.
#[derive(Debug, Clone, Queryable)]
pub struct AssessmentFact {
    pub project_id: String,
    pub kind: Coded<AssessmentKind>,
    pub answers: Json<Answers>,
    pub recorded_by: String,
}

/// The parties, documents, assessments and listed prices of a
/// programme's projects.
pub struct RiskFacts {
    pub enterprises: Vec<PartyRow>,
    pub providers: Vec<PartyRow>,
    pub documents: Vec<DocumentFact>,
    /// In the order recorded.
    pub assessments: Vec<AssessmentFact>,
    /// (product id, listed price) of the programme's library products.
    pub listed_prices: Vec<(String, Option<i64>)>,
}

pub fn risk_facts(conn: &mut AnyConnection, program_id: &str) -> Result<RiskFacts, RepoError> {
    let enterprise_ids = projects::table
        .filter(projects::program_id.eq(program_id))
        .select(projects::enterprise_id);
    let enterprises = enterprises::table
        .filter(enterprises::id.eq_any(enterprise_ids))
        .select((
            enterprises::id,
            enterprises::uscc,
            enterprises::contact_name,
            enterprises::contact_phone,
        ))
        .load(conn)?;
    let provider_ids = projects::table
        .filter(projects::program_id.eq(program_id))
        .filter(projects::provider_id.is_not_null())
        .select(projects::provider_id.assume_not_null());
    let providers = providers::table
        .filter(providers::id.eq_any(provider_ids))
        .select((
            providers::id,
            providers::uscc,
            providers::contact_name,
            providers::contact_phone,
        ))
        .load(conn)?;
    let in_program = projects::table
        .filter(projects::program_id.eq(program_id))
        .select(projects::id);
    let documents = documents::table
        .filter(documents::project_id.eq_any(in_program))
        .select((
            documents::project_id,
            documents::kind,
            documents::sha256,
            documents::created_at,
        ))
        .order((documents::project_id, documents::created_at))
        .load(conn)?;
    let assessments = assessments::table
        .filter(assessments::project_id.eq_any(in_program.nullable()))
        .select((
            assessments::project_id.assume_not_null(),
            assessments::kind,
            assessments::answers,
            assessments::recorded_by,
        ))
        .order((assessments::created_at, assessments::id))
        .load(conn)?;
    let library = admissions::table
        .filter(admissions::program_id.eq(program_id))
        .filter(admissions::kind.eq(Coded(AdmissionKind::ProductLibrary)))
        .select(admissions::member_id);
    let listed_prices = products::table
        .filter(products::id.eq_any(library))
        .select((products::id, products::price_fen))
        .load(conn)?;
    Ok(RiskFacts {
        enterprises,
        providers,
        documents,
        assessments,
        listed_prices,
    })
}
