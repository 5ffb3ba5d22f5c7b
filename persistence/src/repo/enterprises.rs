//! Enterprises (一企一档), with the keyset-paginated, scope-bounded list.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};

use crate::repo::{Page, contains_pattern, insert_all, update_at_version};
use crate::rows::EnterpriseRow;
use crate::schema::enterprises;
use shuzhuan_types::{Reach, Role, Target, Tier};

use crate::{AnyConnection, Coded, MultiBackend, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &EnterpriseRow) -> Result<(), RepoError> {
    diesel::insert_into(enterprises::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Inserts many rows (bulk imports, demo data): COPY on PostgreSQL.
pub fn insert_many(conn: &mut AnyConnection, rows: &[EnterpriseRow]) -> Result<(), RepoError> {
    // 23 columns: 500 rows stay under SQLite's 32,766 bound parameters.
    insert_all!(conn, enterprises::table, rows, 500)?;
    Ok(())
}

/// The enterprises with any of these credit codes.
pub fn find_by_usccs(
    conn: &mut AnyConnection,
    codes: &[String],
) -> Result<Vec<EnterpriseRow>, RepoError> {
    Ok(enterprises::table
        .filter(enterprises::uscc.eq_any(codes.to_vec()))
        .select(EnterpriseRow::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<EnterpriseRow, RepoError> {
    Ok(enterprises::table
        .find(id)
        .select(EnterpriseRow::as_select())
        .first(conn)?)
}

pub fn find_by_uscc(
    conn: &mut AnyConnection,
    uscc: &str,
) -> Result<Option<EnterpriseRow>, RepoError> {
    Ok(enterprises::table
        .filter(enterprises::uscc.eq(uscc))
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()?)
}

/// Writes `row` over the stored enterprise if it is still at `expected_version`.
pub fn update(
    conn: &mut AnyConnection,
    row: &EnterpriseRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    update_at_version!(conn, enterprises, row, expected_version, [id])
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A substring of the name or the credit code.
    pub q: Option<String>,
    pub program_id: Option<String>,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
    pub above_designated_size: Option<bool>,
    pub specialised: Option<bool>,
    pub little_giant: Option<bool>,
    pub tier: Option<Tier>,
}

type Condition =
    Box<dyn BoxableExpression<enterprises::table, MultiBackend, SqlType = Nullable<Bool>>>;

/// The enterprises a reach holds, as SQL: the same clauses as
/// [`Reach::contains`] over [`target`]'s fields (a test proves the two
/// agree), so a list shows exactly what a single read would.
fn reach_condition(reach: &Reach) -> Condition {
    use crate::schema::{project_assignments as a, projects as p};
    let mut cond: Condition = Box::new(sql::<Nullable<Bool>>("1 = 0"));
    // One programme (the usual case) as `=`, not `= ANY`: PostgreSQL then
    // walks the (program_id, id) index in key order and stops after a page,
    // where `= ANY` made it sort the whole programme (1.4 s at 1,000,000).
    match reach.programmes.as_slice() {
        [] => {}
        [one] => cond = Box::new(cond.or(enterprises::program_id.eq(one.clone()))),
        many => cond = Box::new(cond.or(enterprises::program_id.eq_any(many.to_vec()))),
    }
    for (program, codes) in &reach.regions {
        let in_program = enterprises::program_id.eq(program.clone());
        cond = match codes.as_slice() {
            [one] => Box::new(cond.or(in_program.and(enterprises::region_code.eq(one.clone())))),
            many => {
                Box::new(cond.or(in_program.and(enterprises::region_code.eq_any(many.to_vec()))))
            }
        };
    }
    if !reach.enterprises.is_empty() {
        cond = Box::new(cond.or(enterprises::id.eq_any(reach.enterprises.clone()).nullable()));
    }
    if !reach.providers.is_empty() {
        let served = p::table
            .filter(p::provider_id.eq_any(reach.providers.clone()))
            .select(p::enterprise_id);
        cond = Box::new(cond.or(enterprises::id.eq_any(served).nullable()));
    }
    for (program, role) in &reach.assigned {
        let assigned = a::table
            .filter(a::user_id.eq(reach.user.clone()))
            .filter(a::role.eq(Coded(*role)))
            .select(a::project_id);
        let theirs = p::table
            .filter(p::program_id.eq(program.clone()))
            .filter(p::id.eq_any(assigned))
            .select(p::enterprise_id);
        cond = Box::new(cond.or(enterprises::id.eq_any(theirs).nullable()));
    }
    if reach.unclaimed {
        cond = Box::new(cond.or(enterprises::program_id.is_null().nullable()));
    }
    cond
}

/// The providers serving an enterprise's projects and the assignments to
/// them (programme, role, user): what [`target`] needs beyond the row.
#[derive(Debug, Clone, Default)]
pub struct ProjectTies {
    pub providers: Vec<String>,
    pub assigned: Vec<(String, Role, String)>,
}

/// What an enterprise offers a reach: its programme and region, itself,
/// and the providers and assignments of its projects.
pub fn target<'a>(e: &'a EnterpriseRow, ties: &'a ProjectTies) -> Target<'a> {
    let ProjectTies {
        providers,
        assigned,
    } = ties;
    Target {
        programmes: e.program_id.as_deref().into_iter().collect(),
        region: e.region_code.as_deref(),
        enterprise: Some(&e.id),
        providers: providers.iter().map(String::as_str).collect(),
        assigned: assigned
            .iter()
            .map(|(p, r, u)| (p.as_str(), *r, u.as_str()))
            .collect(),
        owner: None,
    }
}

/// The [`ProjectTies`] of an enterprise.
pub fn project_ties(
    conn: &mut AnyConnection,
    enterprise_id: &str,
) -> Result<ProjectTies, RepoError> {
    use crate::schema::{project_assignments as a, projects as p};
    let providers: Vec<Option<String>> = p::table
        .filter(p::enterprise_id.eq(enterprise_id))
        .select(p::provider_id)
        .distinct()
        .load(conn)?;
    let assigned: Vec<(String, Coded<Role>, String)> = a::table
        .inner_join(p::table.on(p::id.eq(a::project_id)))
        .filter(p::enterprise_id.eq(enterprise_id))
        .select((p::program_id, a::role, a::user_id))
        .load(conn)?;
    Ok(ProjectTies {
        providers: providers.into_iter().flatten().collect(),
        assigned: assigned.into_iter().map(|(p, r, u)| (p, r.0, u)).collect(),
    })
}

/// A flag filter as the bare column or its negation, not `= $1`: a bound
/// parameter does not prove a partial index's `WHERE specialised` to the
/// planner, the column itself does (on both databases).
fn flag_is<C>(
    column: C,
    value: bool,
) -> Box<dyn BoxableExpression<enterprises::table, MultiBackend, SqlType = Bool>>
where
    C: BoxableExpression<enterprises::table, MultiBackend, SqlType = Bool> + 'static,
    diesel::dsl::not<C>: BoxableExpression<enterprises::table, MultiBackend, SqlType = Bool>,
{
    if value {
        Box::new(column)
    } else {
        Box::new(diesel::dsl::not(column))
    }
}

/// Enterprises in id order after `after`, filtered and bounded by reach.
pub fn list(
    conn: &mut AnyConnection,
    reach: &Reach,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<EnterpriseRow>, RepoError> {
    let mut q = enterprises::table
        .select(EnterpriseRow::as_select())
        .order(enterprises::id)
        .limit(limit + 1)
        .into_boxed::<MultiBackend>();
    if !reach.all {
        q = q.filter(reach_condition(reach));
    }
    if let Some(after) = after {
        q = q.filter(enterprises::id.gt(after.to_owned()));
    }
    if let Some(text) = &filter.q {
        let pattern = contains_pattern(text);
        q = q.filter(
            enterprises::name
                .like(pattern.clone())
                .escape('\\')
                .or(enterprises::uscc.like(pattern.to_uppercase()).escape('\\')),
        );
    }
    if let Some(v) = &filter.program_id {
        q = q.filter(enterprises::program_id.eq(v.clone()));
    }
    if let Some(v) = &filter.region_code {
        q = q.filter(enterprises::region_code.eq(v.clone()));
    }
    if let Some(v) = &filter.industry_code {
        q = q.filter(enterprises::industry_code.eq(v.clone()));
    }
    if let Some(v) = filter.above_designated_size {
        q = q.filter(enterprises::above_designated_size.eq(v));
    }
    if let Some(v) = filter.specialised {
        q = q.filter(flag_is(enterprises::specialised, v));
    }
    if let Some(v) = filter.little_giant {
        q = q.filter(flag_is(enterprises::little_giant, v));
    }
    if let Some(v) = &filter.tier {
        q = q.filter(enterprises::tier.eq(Coded(*v)));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |e| e.id.clone()))
}
