//! Self-evaluation reports: inserted once per version, never updated.

use diesel::prelude::*;

use super::Page;
use crate::rows::EvaluationReportRow;
use crate::schema::evaluation_reports as r;
use crate::{AnyConnection, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &EvaluationReportRow) -> Result<(), RepoError> {
    diesel::insert_into(r::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<EvaluationReportRow, RepoError> {
    Ok(r::table
        .find(id)
        .select(EvaluationReportRow::as_select())
        .first(conn)?)
}

/// The programme's reports, every version, oldest first.
pub fn of_program(
    conn: &mut AnyConnection,
    program_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<EvaluationReportRow>, RepoError> {
    let mut q = r::table
        .filter(r::program_id.eq(program_id.to_owned()))
        .select(EvaluationReportRow::as_select())
        .order(r::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(r::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |r| r.id.clone()))
}

/// The highest report number the programme has issued (0 before the
/// first).
pub fn last_report_no(conn: &mut AnyConnection, program_id: &str) -> Result<i32, RepoError> {
    Ok(r::table
        .filter(r::program_id.eq(program_id.to_owned()))
        .select(diesel::dsl::max(r::report_no))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0))
}

/// The newest version of a report.
pub fn latest_version(
    conn: &mut AnyConnection,
    program_id: &str,
    report_no: i32,
) -> Result<EvaluationReportRow, RepoError> {
    Ok(r::table
        .filter(r::program_id.eq(program_id.to_owned()))
        .filter(r::report_no.eq(report_no))
        .order(r::version.desc())
        .select(EvaluationReportRow::as_select())
        .first(conn)?)
}

/// Of `ids`, those that name an evaluation report of the programme or a
/// finding of one of its spot checks: what a pool decision may cite.
pub fn evidence_of_program(
    conn: &mut AnyConnection,
    program_id: &str,
    ids: &[String],
) -> Result<Vec<String>, RepoError> {
    use crate::schema::{spot_check_findings as f, spot_checks as c};
    let mut known: Vec<String> = r::table
        .filter(r::program_id.eq(program_id.to_owned()))
        .filter(r::id.eq_any(ids))
        .select(r::id)
        .load(conn)?;
    let checks = c::table
        .filter(c::program_id.eq(program_id.to_owned()))
        .select(c::id);
    known.extend(
        f::table
            .filter(f::spot_check_id.eq_any(checks))
            .filter(f::id.eq_any(ids))
            .select(f::id)
            .load::<String>(conn)?,
    );
    Ok(known)
}
