//! Digital-level assessments as recorded.

use diesel::prelude::*;

use crate::rows::AssessmentRow;
use crate::schema::assessments;
use crate::{AnyConnection, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &AssessmentRow) -> Result<(), RepoError> {
    diesel::insert_into(assessments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<AssessmentRow, RepoError> {
    Ok(assessments::table
        .find(id)
        .select(AssessmentRow::as_select())
        .first(conn)?)
}
