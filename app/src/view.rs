//! What use cases give back: the list page every collection answers with,
//! times as the wire shows them, and the schemas of closed sets for the
//! OpenAPI document.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use shuzhuan_persistence::repo::Page as RepoPage;
use shuzhuan_types::Code;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, Object, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};

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

/// The schema of a closed set of codes: a reference to its component, so
/// every field of the set shares one named type in generated clients.
pub fn code_schema<T: Code>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::NAME))
}

/// A code of the set, or null where none applies.
pub fn optional_code_schema<T: Code>() -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(code_schema::<T>())
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// The schema of a list of codes.
pub fn code_list_schema<T: Code>() -> Array {
    Array::new(code_schema::<T>())
}

/// The component of a closed set: its values, and what each means.
fn code_component<T: Code>() -> (String, RefOr<Schema>) {
    let mut about = T::ABOUT.trim().to_owned();
    for value in T::VALUES {
        let meaning = value.meaning().trim();
        about.push_str(&format!("\n- `{}`", value.code()));
        if !meaning.is_empty() {
            about.push_str(&format!(": {meaning}"));
        }
    }
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(T::VALUES.iter().map(|v| v.code())))
        .description(Some(about.trim_start()))
        .build();
    (T::NAME.to_owned(), RefOr::T(Schema::Object(schema)))
}

/// The components of every closed set the contract names: one line per
/// set, so a new set is one more name here.
macro_rules! code_components {
    ($($t:ty),+ $(,)?) => {
        /// The named schemas of the closed sets, for the document's
        /// components.
        pub fn code_components() -> Vec<(String, RefOr<Schema>)> {
            vec![$(code_component::<$t>()),+]
        }
    };
}

code_components![
    shuzhuan_types::Role,
    shuzhuan_types::SizeClass,
    shuzhuan_types::Tier,
    shuzhuan_types::ProviderKind,
    shuzhuan_types::Specialty,
    shuzhuan_types::Deployment,
    shuzhuan_types::RegionKind,
    shuzhuan_types::ObjectType,
    shuzhuan_types::Op,
    shuzhuan_types::DeliveryStatus,
    shuzhuan_monitoring::FindingOutcome,
    shuzhuan_monitoring::EventKind,
    shuzhuan_monitoring::FinanceKind,
    shuzhuan_subsidy::FundSource,
    shuzhuan_subsidy::DecisionKind,
    shuzhuan_subsidy::DecisionState,
    shuzhuan_lifecycle::DocumentKind,
    shuzhuan_lifecycle::ProjectState,
    shuzhuan_lifecycle::ProjectAction,
    shuzhuan_lifecycle::BatchState,
    shuzhuan_lifecycle::BatchAction,
    shuzhuan_lifecycle::AdmissionKind,
    shuzhuan_lifecycle::AdmissionStatus,
    shuzhuan_lifecycle::BenchmarkKind,
    shuzhuan_lifecycle::BenchmarkStatus,
    shuzhuan_monitoring::Colour,
    shuzhuan_monitoring::targets::Metric,
    shuzhuan_subsidy::ExpenseCategory,
    shuzhuan_scoring::AssessmentKind,
];
