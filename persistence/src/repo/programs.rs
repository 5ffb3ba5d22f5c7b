//! Programmes (试点) with their regions, industries and batches.

use diesel::prelude::*;

use crate::repo::{Page, check_updated};
use crate::rows::{BatchRow, IndustryRow, ProgramRow, RegionRow};
use crate::schema::{batches, industries, programs, regions};
use crate::{AnyConnection, RepoError};

/// A programme with everything that is created with it.
#[derive(Debug, Clone)]
pub struct ProgramAggregate {
    pub program: ProgramRow,
    pub regions: Vec<RegionRow>,
    pub industries: Vec<IndustryRow>,
    pub batches: Vec<BatchRow>,
}

pub fn insert(conn: &mut AnyConnection, agg: &ProgramAggregate) -> Result<(), RepoError> {
    diesel::insert_into(programs::table)
        .values(&agg.program)
        .execute(conn)?;
    for r in &agg.regions {
        diesel::insert_into(regions::table)
            .values(r)
            .execute(conn)?;
    }
    for i in &agg.industries {
        diesel::insert_into(industries::table)
            .values(i)
            .execute(conn)?;
    }
    for b in &agg.batches {
        diesel::insert_into(batches::table)
            .values(b)
            .execute(conn)?;
    }
    Ok(())
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, RepoError> {
    Ok(programs::table.count().get_result(conn)?)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<ProgramRow, RepoError> {
    Ok(programs::table
        .find(id)
        .select(ProgramRow::as_select())
        .first(conn)?)
}

/// The id of the programme with this code, if any.
pub fn id_of_code(conn: &mut AnyConnection, code: &str) -> Result<Option<String>, RepoError> {
    Ok(programs::table
        .filter(programs::code.eq(code))
        .select(programs::id)
        .first(conn)
        .optional()?)
}

pub fn exists(conn: &mut AnyConnection, id: &str) -> Result<bool, RepoError> {
    Ok(diesel::select(diesel::dsl::exists(programs::table.find(id))).get_result(conn)?)
}

/// Lists programmes in id order; `only` restricts to the given ids (the
/// programmes a scoped caller may see).
pub fn list(
    conn: &mut AnyConnection,
    only: Option<&[String]>,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<ProgramRow>, RepoError> {
    let mut q = programs::table
        .select(ProgramRow::as_select())
        .order(programs::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(ids) = only {
        q = q.filter(programs::id.eq_any(ids.to_vec()));
    }
    if let Some(after) = after {
        q = q.filter(programs::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |p| p.id.clone()))
}

/// Writes the patched programme if it is still at `expected_version`.
pub fn update(
    conn: &mut AnyConnection,
    row: &ProgramRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    let updated = diesel::update(
        programs::table
            .filter(programs::id.eq(&row.id))
            .filter(programs::version.eq(expected_version)),
    )
    .set((
        programs::name.eq(&row.name),
        programs::description.eq(&row.description),
        programs::starts_on.eq(row.starts_on),
        programs::ends_on.eq(row.ends_on),
        programs::pass_level.eq(row.pass_level),
        programs::earmarks.eq(&row.earmarks),
        programs::phases.eq(&row.phases),
        programs::version.eq(row.version),
        programs::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    let current = programs::table
        .find(&row.id)
        .select(programs::version)
        .first(conn)
        .optional()?;
    check_updated(updated, current)
}

pub fn regions_of(conn: &mut AnyConnection, program_id: &str) -> Result<Vec<RegionRow>, RepoError> {
    Ok(regions::table
        .filter(regions::program_id.eq(program_id))
        .select(RegionRow::as_select())
        .order(regions::position)
        .load(conn)?)
}

/// Which of `codes` are not regions of the programme.
pub fn unknown_region_codes(
    conn: &mut AnyConnection,
    program_id: &str,
    codes: &[String],
) -> Result<Vec<String>, RepoError> {
    let known: Vec<String> = regions::table
        .filter(regions::program_id.eq(program_id))
        .filter(regions::code.eq_any(codes.to_vec()))
        .select(regions::code)
        .load(conn)?;
    Ok(codes
        .iter()
        .filter(|c| !known.contains(c))
        .cloned()
        .collect())
}

pub fn industries_of(
    conn: &mut AnyConnection,
    program_id: &str,
) -> Result<Vec<IndustryRow>, RepoError> {
    Ok(industries::table
        .filter(industries::program_id.eq(program_id))
        .select(IndustryRow::as_select())
        .order(industries::position)
        .load(conn)?)
}

pub fn batches_of(conn: &mut AnyConnection, program_id: &str) -> Result<Vec<BatchRow>, RepoError> {
    Ok(batches::table
        .filter(batches::program_id.eq(program_id))
        .select(BatchRow::as_select())
        .order(batches::number)
        .load(conn)?)
}

pub fn find_batch(
    conn: &mut AnyConnection,
    program_id: &str,
    batch_id: &str,
) -> Result<BatchRow, RepoError> {
    Ok(batches::table
        .filter(batches::id.eq(batch_id))
        .filter(batches::program_id.eq(program_id))
        .select(BatchRow::as_select())
        .first(conn)?)
}

pub fn insert_batch(conn: &mut AnyConnection, row: &BatchRow) -> Result<(), RepoError> {
    diesel::insert_into(batches::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Writes a batch's state and dates if it is still at `expected_version`.
pub fn update_batch(
    conn: &mut AnyConnection,
    row: &BatchRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    let updated = diesel::update(
        batches::table
            .filter(batches::id.eq(&row.id))
            .filter(batches::version.eq(expected_version)),
    )
    .set((
        batches::state.eq(&row.state),
        batches::applications_open_on.eq(row.applications_open_on),
        batches::applications_close_on.eq(row.applications_close_on),
        batches::implementation_ends_on.eq(row.implementation_ends_on),
        batches::acceptance_ends_on.eq(row.acceptance_ends_on),
        batches::version.eq(row.version),
        batches::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    let current = batches::table
        .find(&row.id)
        .select(batches::version)
        .first(conn)
        .optional()?;
    check_updated(updated, current)
}

/// A programme by its code (`yinchuan`, …).
pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> Result<ProgramRow, RepoError> {
    Ok(programs::table
        .filter(programs::code.eq(code))
        .select(ProgramRow::as_select())
        .first(conn)?)
}
