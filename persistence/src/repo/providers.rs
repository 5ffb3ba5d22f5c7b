//! Service providers (服务商): national entities by credit code.

use diesel::prelude::*;

use crate::repo::{Page, contains_pattern, update_at_version};
use crate::rows::ProviderRow;
use crate::schema::providers;
use shuzhuan_types::{ProviderKind, Specialty};

use crate::{AnyConnection, Coded, MultiBackend, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &ProviderRow) -> Result<(), RepoError> {
    diesel::insert_into(providers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<ProviderRow, RepoError> {
    Ok(providers::table
        .find(id)
        .select(ProviderRow::as_select())
        .first(conn)?)
}

/// The providers with any of these credit codes.
pub fn find_by_usccs(
    conn: &mut AnyConnection,
    codes: &[String],
) -> Result<Vec<ProviderRow>, RepoError> {
    Ok(providers::table
        .filter(providers::uscc.eq_any(codes.to_vec()))
        .select(ProviderRow::as_select())
        .load(conn)?)
}

/// The providers with any of these ids.
pub fn find_many(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<ProviderRow>, RepoError> {
    Ok(providers::table
        .filter(providers::id.eq_any(ids.to_vec()))
        .select(ProviderRow::as_select())
        .load(conn)?)
}

/// Writes `row` over the stored provider if it is still at `expected_version`.
pub fn update(
    conn: &mut AnyConnection,
    row: &ProviderRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    update_at_version!(conn, providers, row, expected_version, [id])
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A substring of the name or the credit code.
    pub q: Option<String>,
    pub kind: Option<ProviderKind>,
    pub specialty: Option<Specialty>,
    pub local: Option<bool>,
    /// A scenario code the provider serves.
    pub scenario: Option<String>,
    /// Only these providers (a provider user's own), or all when `None`.
    pub only: Option<Vec<String>>,
}

/// Providers in id order after `after`, filtered.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<ProviderRow>, RepoError> {
    let mut q = providers::table
        .select(ProviderRow::as_select())
        .order(providers::id)
        .limit(limit + 1)
        .into_boxed::<MultiBackend>();
    if let Some(ids) = &filter.only {
        q = q.filter(providers::id.eq_any(ids.clone()));
    }
    if let Some(after) = after {
        q = q.filter(providers::id.gt(after.to_owned()));
    }
    if let Some(text) = &filter.q {
        let pattern = contains_pattern(text);
        q = q.filter(
            providers::name
                .like(pattern.clone())
                .escape('\\')
                .or(providers::uscc.like(pattern.to_uppercase()).escape('\\')),
        );
    }
    if let Some(v) = &filter.kind {
        q = q.filter(providers::kind.eq(Coded(*v)));
    }
    if let Some(v) = &filter.specialty {
        q = q.filter(providers::specialty.eq(Coded(*v)));
    }
    if let Some(v) = filter.local {
        q = q.filter(providers::local.eq(v));
    }
    if let Some(v) = &filter.scenario {
        q = q.filter(
            providers::scenarios
                .like(contains_pattern(&format!("\"{v}\"")))
                .escape('\\'),
        );
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |p| p.id.clone()))
}
