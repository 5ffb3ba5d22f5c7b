//! Projects (改造项目) with their history, progress reports, documents,
//! assignments, and the programme's document requirements.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::repo::{Page, update_at_version};
use crate::rows::{AssignmentRow, DocumentRow, ProgressReportRow, ProjectRow, TransitionRow};
use crate::schema::{
    document_requirements, documents, progress_reports, project_assignments, project_transitions,
    projects,
};
use shuzhuan_lifecycle::{DocumentKind, Plan, ProjectAction, ProjectState};
use shuzhuan_types::{Reach, Target};

use crate::{AnyConnection, Coded, Json, MultiBackend, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &ProjectRow) -> Result<(), RepoError> {
    diesel::insert_into(projects::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<ProjectRow, RepoError> {
    Ok(projects::table
        .find(id)
        .select(ProjectRow::as_select())
        .first(conn)?)
}

/// Writes `row` over the stored project if it is still at `expected_version`
/// (the loser of two concurrent transitions gets StaleVersion).
pub fn update(
    conn: &mut AnyConnection,
    row: &ProjectRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    update_at_version!(conn, projects, row, expected_version, [id])
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub program_id: String,
    pub state: Option<ProjectState>,
    pub batch_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub provider_id: Option<String>,
    pub region_code: Option<String>,
}

type Condition = Box<dyn BoxableExpression<projects::table, MultiBackend, SqlType = Bool>>;

/// The projects a reach holds, as SQL: the same clauses as
/// [`Reach::contains`] over [`target`] (a test proves the two agree), so a
/// list shows exactly what a single read would.
fn reach_condition(reach: &Reach) -> Condition {
    use crate::schema::project_assignments as a;
    let mut cond: Condition = Box::new(sql::<Bool>("1 = 0"));
    if !reach.programmes.is_empty() {
        cond = Box::new(cond.or(projects::program_id.eq_any(reach.programmes.clone())));
    }
    for (program, codes) in &reach.regions {
        let part = projects::program_id
            .eq(program.clone())
            .and(projects::region_code.eq_any(codes.clone()));
        cond = Box::new(cond.or(part));
    }
    if !reach.enterprises.is_empty() {
        cond = Box::new(cond.or(projects::enterprise_id.eq_any(reach.enterprises.clone())));
    }
    if !reach.providers.is_empty() {
        cond = Box::new(
            cond.or(projects::provider_id
                .eq_any(reach.providers.clone())
                .assume_not_null()),
        );
    }
    for (program, role) in &reach.assigned {
        let assigned = a::table
            .filter(a::user_id.eq(reach.user.clone()))
            .filter(a::role.eq(Coded(*role)))
            .select(a::project_id);
        let part = projects::program_id
            .eq(program.clone())
            .and(projects::id.eq_any(assigned));
        cond = Box::new(cond.or(part));
    }
    cond
}

/// What a project offers a reach: its programme, region, enterprise,
/// provider and assignments ((role, user) of each).
pub fn target<'a>(p: &'a ProjectRow, assigned: &'a [AssignmentRow]) -> Target<'a> {
    Target {
        programmes: vec![&p.program_id],
        region: Some(&p.region_code),
        enterprise: Some(&p.enterprise_id),
        providers: p.provider_id.as_deref().into_iter().collect(),
        assigned: assigned
            .iter()
            .map(|a| (p.program_id.as_str(), a.role.0, a.user_id.as_str()))
            .collect(),
        owner: None,
    }
}

/// The project `id` if the reach holds it (the single read of what
/// [`list`] pages through, by the same condition).
pub fn find_in(
    conn: &mut AnyConnection,
    id: &str,
    reach: &Reach,
) -> Result<Option<ProjectRow>, RepoError> {
    let mut q = projects::table
        .filter(projects::id.eq(id.to_owned()))
        .select(ProjectRow::as_select())
        .into_boxed::<MultiBackend>();
    if !reach.all {
        q = q.filter(reach_condition(reach));
    }
    Ok(q.first(conn).optional()?)
}

/// The projects of an enterprise the reach holds, oldest first (its
/// dossier shows each project only to those who may read it).
pub fn of_enterprise_in(
    conn: &mut AnyConnection,
    enterprise_id: &str,
    reach: &Reach,
) -> Result<Vec<ProjectRow>, RepoError> {
    let mut q = projects::table
        .filter(projects::enterprise_id.eq(enterprise_id.to_owned()))
        .select(ProjectRow::as_select())
        .order(projects::id)
        .into_boxed::<MultiBackend>();
    if !reach.all {
        q = q.filter(reach_condition(reach));
    }
    Ok(q.load(conn)?)
}

/// A programme's projects in id order after `after`, filtered and bounded
/// by scope.
pub fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<ProjectRow>, RepoError> {
    let mut q = projects::table
        .select(ProjectRow::as_select())
        .filter(projects::program_id.eq(filter.program_id.clone()))
        .order(projects::id)
        .limit(limit + 1)
        .into_boxed::<MultiBackend>();
    if !reach.all {
        q = q.filter(reach_condition(reach));
    }
    if let Some(after) = after {
        q = q.filter(projects::id.gt(after.to_owned()));
    }
    if let Some(v) = &filter.state {
        q = q.filter(projects::state.eq(Coded(*v)));
    }
    if let Some(v) = &filter.batch_id {
        q = q.filter(projects::batch_id.eq(v.clone()));
    }
    if let Some(v) = &filter.enterprise_id {
        q = q.filter(projects::enterprise_id.eq(v.clone()));
    }
    if let Some(v) = &filter.provider_id {
        q = q.filter(projects::provider_id.eq(v.clone()));
    }
    if let Some(v) = &filter.region_code {
        q = q.filter(projects::region_code.eq(v.clone()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |p| p.id.clone()))
}

pub fn insert_transition(conn: &mut AnyConnection, row: &TransitionRow) -> Result<(), RepoError> {
    diesel::insert_into(project_transitions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A project's history, oldest first.
pub fn history(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<TransitionRow>, RepoError> {
    Ok(project_transitions::table
        .filter(project_transitions::project_id.eq(project_id))
        .order(project_transitions::seq)
        .select(TransitionRow::as_select())
        .load(conn)?)
}

pub fn insert_progress(conn: &mut AnyConnection, row: &ProgressReportRow) -> Result<(), RepoError> {
    diesel::insert_into(progress_reports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn progress_of(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<ProgressReportRow>, RepoError> {
    Ok(progress_reports::table
        .filter(progress_reports::project_id.eq(project_id))
        .order(progress_reports::id)
        .select(ProgressReportRow::as_select())
        .load(conn)?)
}

pub fn insert_document(conn: &mut AnyConnection, row: &DocumentRow) -> Result<(), RepoError> {
    diesel::insert_into(documents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_document(conn: &mut AnyConnection, id: &str) -> Result<DocumentRow, RepoError> {
    Ok(documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(conn)?)
}

pub fn documents_of(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<DocumentRow>, RepoError> {
    Ok(documents::table
        .filter(documents::project_id.eq(project_id))
        .order(documents::id)
        .select(DocumentRow::as_select())
        .load(conn)?)
}

pub fn insert_assignment(conn: &mut AnyConnection, row: &AssignmentRow) -> Result<(), RepoError> {
    diesel::insert_into(project_assignments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn assignments_of(
    conn: &mut AnyConnection,
    project_id: &str,
) -> Result<Vec<AssignmentRow>, RepoError> {
    Ok(project_assignments::table
        .filter(project_assignments::project_id.eq(project_id))
        .order((project_assignments::role, project_assignments::user_id))
        .select(AssignmentRow::as_select())
        .load(conn)?)
}

/// The document kinds `program_id` requires before `action`.
pub fn required_documents(
    conn: &mut AnyConnection,
    program_id: &str,
    action: ProjectAction,
) -> Result<Vec<Coded<DocumentKind>>, RepoError> {
    Ok(document_requirements::table
        .filter(document_requirements::program_id.eq(program_id))
        .filter(document_requirements::action.eq(Coded(action)))
        .order(document_requirements::kind)
        .select(document_requirements::kind)
        .load(conn)?)
}

/// All of a programme's requirements as (action, kind), in order.
pub fn requirements_of(
    conn: &mut AnyConnection,
    program_id: &str,
) -> Result<Vec<(ProjectAction, DocumentKind)>, RepoError> {
    let pairs: Vec<(Coded<ProjectAction>, Coded<DocumentKind>)> = document_requirements::table
        .filter(document_requirements::program_id.eq(program_id))
        .order((document_requirements::action, document_requirements::kind))
        .select((document_requirements::action, document_requirements::kind))
        .load(conn)?;
    Ok(pairs.into_iter().map(|(a, k)| (a.0, k.0)).collect())
}

/// Replaces a programme's requirements with `pairs` of (action, kind).
pub fn set_requirements(
    conn: &mut AnyConnection,
    program_id: &str,
    pairs: &[(ProjectAction, DocumentKind)],
) -> Result<(), RepoError> {
    diesel::delete(
        document_requirements::table.filter(document_requirements::program_id.eq(program_id)),
    )
    .execute(conn)?;
    for (action, kind) in pairs {
        diesel::insert_into(document_requirements::table)
            .values((
                document_requirements::program_id.eq(program_id),
                document_requirements::action.eq(Coded(*action)),
                document_requirements::kind.eq(Coded(*kind)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What the performance of a programme's providers and products is counted
/// from: (provider, state, satisfaction, plan) of every project.
pub type PerformanceRow = (
    Option<String>,
    Coded<ProjectState>,
    Option<i32>,
    Option<Json<Plan>>,
);

/// `providers` narrows it to the projects those providers serve (a pool's
/// members); products need every plan.
pub fn performance_rows(
    conn: &mut AnyConnection,
    program_id: &str,
    providers: Option<&[String]>,
) -> Result<Vec<PerformanceRow>, RepoError> {
    let mut q = projects::table
        .filter(projects::program_id.eq(program_id))
        .into_boxed::<MultiBackend>();
    if let Some(ids) = providers {
        q = q.filter(projects::provider_id.eq_any(ids.to_vec()));
    }
    Ok(q.select((
        projects::provider_id,
        projects::state,
        projects::satisfaction,
        projects::plan,
    ))
    .load(conn)?)
}

/// Every project of an enterprise, oldest first (its dossier).
pub fn of_enterprise(
    conn: &mut AnyConnection,
    enterprise_id: &str,
) -> Result<Vec<ProjectRow>, RepoError> {
    Ok(projects::table
        .filter(projects::enterprise_id.eq(enterprise_id))
        .order(projects::id)
        .select(ProjectRow::as_select())
        .load(conn)?)
}

/// Ids of a programme's projects in these states, optionally of one batch
/// and region, in id order (a spot check's published candidate list).
pub fn ids_in(
    conn: &mut AnyConnection,
    program_id: &str,
    states: &[ProjectState],
    batch_id: Option<&str>,
    region_code: Option<&str>,
) -> Result<Vec<String>, RepoError> {
    let mut q = projects::table
        .filter(projects::program_id.eq(program_id.to_owned()))
        .filter(projects::state.eq_any(states.iter().map(|s| Coded(*s)).collect::<Vec<_>>()))
        .select(projects::id)
        .order(projects::id)
        .into_boxed();
    if let Some(b) = batch_id {
        q = q.filter(projects::batch_id.eq(b.to_owned()));
    }
    if let Some(r) = region_code {
        q = q.filter(projects::region_code.eq(r.to_owned()));
    }
    Ok(q.load(conn)?)
}
