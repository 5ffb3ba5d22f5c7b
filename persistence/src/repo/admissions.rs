//! Admissions into a programme: providers into its pool, products into its
//! library (one table, told apart by `kind`).

use diesel::prelude::*;

use crate::repo::update_at_version;
use crate::rows::AdmissionRow;
use crate::schema::admissions;
use shuzhuan_lifecycle::{AdmissionKind, AdmissionStatus};

use crate::{AnyConnection, Coded, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &AdmissionRow) -> Result<(), RepoError> {
    diesel::insert_into(admissions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut AnyConnection,
    program_id: &str,
    kind: AdmissionKind,
    member_id: &str,
) -> Result<AdmissionRow, RepoError> {
    Ok(admissions::table
        .find((program_id, Coded(kind), member_id))
        .select(AdmissionRow::as_select())
        .first(conn)?)
}

/// Writes `row` over the stored admission if it is still at `expected_version`.
pub fn update(
    conn: &mut AnyConnection,
    row: &AdmissionRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    update_at_version!(
        conn,
        admissions,
        row,
        expected_version,
        [program_id, kind, member_id]
    )
}

/// A programme's pool or library, optionally of one status, in member order.
pub fn list(
    conn: &mut AnyConnection,
    program_id: &str,
    kind: AdmissionKind,
    status: Option<AdmissionStatus>,
) -> Result<Vec<AdmissionRow>, RepoError> {
    let mut q = admissions::table
        .filter(admissions::program_id.eq(program_id))
        .filter(admissions::kind.eq(Coded(kind)))
        .select(AdmissionRow::as_select())
        .order(admissions::member_id)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(admissions::status.eq(Coded(s)));
    }
    Ok(q.load(conn)?)
}

/// The programmes whose pool or library (by `kind`) holds `member_id`,
/// whatever the status.
pub fn programs_of(
    conn: &mut AnyConnection,
    kind: AdmissionKind,
    member_id: &str,
) -> Result<Vec<String>, RepoError> {
    Ok(admissions::table
        .filter(admissions::kind.eq(Coded(kind)))
        .filter(admissions::member_id.eq(member_id))
        .select(admissions::program_id)
        .load(conn)?)
}
