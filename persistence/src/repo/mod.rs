//! Queries, one module per aggregate, as functions over a connection so
//! they compose inside one unit of work.

pub mod admissions;
pub mod assessments;
pub mod audit;
pub mod enterprises;
pub mod evaluations;
pub mod idempotency;
pub mod products;
pub mod programs;
pub mod projects;
pub mod providers;
pub mod subsidy;
pub mod supervision;
pub mod throttles;
pub mod tokens;
pub mod users;
pub mod webhooks;

use crate::RepoError;

/// Writes `$row` over the stored record with the same key columns if it is
/// still at version `$expected`: the optimistic update every versioned
/// resource uses, answering NotFound or StaleVersion otherwise.
macro_rules! update_at_version {
    ($conn:expr, $table:ident, $row:expr, $expected:expr, [$($key:ident),+]) => {{
        use crate::schema::$table as t;
        let updated = diesel::update(
            t::table
                $(.filter(t::$key.eq(&$row.$key)))+
                .filter(t::version.eq($expected)),
        )
        .set($row)
        .execute($conn)?;
        let current = t::table
            $(.filter(t::$key.eq(&$row.$key)))+
            .select(t::version)
            .first::<i64>($conn)
            .optional()?;
        crate::repo::check_updated(updated, current)
    }};
}
pub(crate) use update_at_version;

/// Inserts a slice of rows of one table in as few round trips as the
/// backend allows: one binary `COPY` on PostgreSQL, multi-row INSERTs of
/// `$per` rows on SQLite (its bound-parameter limit caps a statement). The
/// rows' derive must set `treat_none_as_default_value = false`. Multi-row
/// statements do not compile through the connection enum, hence a macro
/// over the inner connections.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr, $per:expr) => {{
        use diesel::RunQueryDsl;
        let rows = $rows;
        match $conn {
            _ if rows.is_empty() => Ok(()),
            crate::AnyConnection::Postgresql(c) => diesel::copy_from($table)
                .from_insertable(rows)
                .execute(c)
                .map(|_| ()),
            crate::AnyConnection::Sqlite(c) => rows.chunks($per).try_for_each(|chunk| {
                diesel::insert_into($table)
                    .values(chunk)
                    .execute(c)
                    .map(|_| ())
            }),
        }
    }};
}
pub(crate) use insert_all;

/// A LIKE pattern matching `text` anywhere, with the wildcards in it escaped
/// (use with `.escape('\\')`).
pub(crate) fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// A page of a keyset-paginated list: the rows and the key to continue
/// after, if there are more.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in key order: the
    /// extra row only tells that there is more.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_after = if more { rows.last().map(key) } else { None };
        Page {
            items: rows,
            next_after,
        }
    }
}

/// Maps "zero rows updated" of an optimistic update to the right error:
/// the record is gone (NotFound) or someone else wrote first (StaleVersion).
pub(crate) fn check_updated(updated: usize, current: Option<i64>) -> Result<(), RepoError> {
    match (updated, current) {
        (0, None) => Err(RepoError::NotFound),
        (0, Some(current)) => Err(RepoError::StaleVersion { current }),
        _ => Ok(()),
    }
}
