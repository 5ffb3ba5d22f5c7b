//! What use cases give back: the list page every collection answers with,
//! times as the wire shows them, and the schemas of closed sets for the
//! OpenAPI document.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use shuzhuan_persistence::repo::Page as RepoPage;
use shuzhuan_types::Code;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, Object, ObjectBuilder, Type};

/// A page of a list: `{items, next_cursor}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn all(items: Vec<T>) -> Self {
        List {
            items,
            next_cursor: None,
        }
    }

    /// A page of rows as views, continuing after its last key.
    pub fn from_page<R>(page: RepoPage<R>) -> Self
    where
        T: From<R>,
    {
        List {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_after,
        }
    }

    /// A page of `items`, continuing after the key `next_after`.
    pub fn new(items: Vec<T>, next_after: Option<String>) -> Self {
        List {
            items,
            next_cursor: next_after,
        }
    }
}

/// Stored times are UTC; the wire shows them with their offset.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A string schema listing `values`.
pub fn string_enum(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

/// The schema of a closed set of codes.
pub fn code_schema<T: Code>() -> Object {
    string_enum(T::VALUES.iter().map(|v| v.code()))
}

/// The schema of a list of codes.
pub fn code_list_schema<T: Code>() -> Array {
    Array::new(code_schema::<T>())
}
