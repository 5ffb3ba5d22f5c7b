//! Products and solutions (小快轻准 产品/解决方案), each by one provider.

use diesel::prelude::*;

use crate::repo::{Page, contains_pattern, update_at_version};
use crate::rows::ProductRow;
use crate::schema::products;
use shuzhuan_types::Deployment;

use crate::{AnyConnection, Coded, MultiBackend, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &ProductRow) -> Result<(), RepoError> {
    diesel::insert_into(products::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<ProductRow, RepoError> {
    Ok(products::table
        .find(id)
        .select(ProductRow::as_select())
        .first(conn)?)
}

/// The products with any of these ids.
pub fn find_many(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<ProductRow>, RepoError> {
    Ok(products::table
        .filter(products::id.eq_any(ids.to_vec()))
        .select(ProductRow::as_select())
        .load(conn)?)
}

/// A provider's product by its name (a product's natural key on import).
pub fn find_by_name(
    conn: &mut AnyConnection,
    provider_id: &str,
    name: &str,
) -> Result<Option<ProductRow>, RepoError> {
    Ok(products::table
        .filter(products::provider_id.eq(provider_id))
        .filter(products::name.eq(name))
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?)
}

/// Writes `row` over the stored product if it is still at `expected_version`.
pub fn update(
    conn: &mut AnyConnection,
    row: &ProductRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    update_at_version!(conn, products, row, expected_version, [id])
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A substring of the name.
    pub q: Option<String>,
    pub provider_id: Option<String>,
    /// A scenario code the product serves.
    pub scenario: Option<String>,
    pub deployment: Option<Deployment>,
    /// Only the products of these providers (a provider user's own).
    pub of_providers: Option<Vec<String>>,
}

/// Products in id order after `after`, filtered.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<ProductRow>, RepoError> {
    let mut q = products::table
        .select(ProductRow::as_select())
        .order(products::id)
        .limit(limit + 1)
        .into_boxed::<MultiBackend>();
    if let Some(ids) = &filter.of_providers {
        q = q.filter(products::provider_id.eq_any(ids.clone()));
    }
    if let Some(after) = after {
        q = q.filter(products::id.gt(after.to_owned()));
    }
    if let Some(text) = &filter.q {
        q = q.filter(products::name.like(contains_pattern(text)).escape('\\'));
    }
    if let Some(v) = &filter.provider_id {
        q = q.filter(products::provider_id.eq(v.clone()));
    }
    if let Some(v) = &filter.deployment {
        q = q.filter(products::deployment.eq(Coded(*v)));
    }
    if let Some(v) = &filter.scenario {
        q = q.filter(
            products::scenarios
                .like(contains_pattern(&format!("\"{v}\"")))
                .escape('\\'),
        );
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |p| p.id.clone()))
}
