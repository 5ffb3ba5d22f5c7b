//! What use cases give back: the list page every collection answers with,
//! times as the wire shows them, and the schemas of closed sets for the
//! OpenAPI document.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use shuzhuan_persistence::repo::Page as RepoPage;
use shuzhuan_types::Code;

use crate::error::Text;
use crate::error::{AppError, Result};
use crate::input::Page;
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
    /// A page of rows as views, continuing after its last key.
    pub fn from_page<R>(page: RepoPage<R>) -> Self
    where
        T: From<R>,
    {
        List::new(
            page.items.into_iter().map(Into::into).collect(),
            page.next_after,
        )
    }

    /// A page of `items`, continuing after the key `next_after`.
    pub fn new(items: Vec<T>, next_after: Option<String>) -> Self {
        List {
            items,
            next_cursor: next_after.as_deref().map(cursor_of),
        }
    }

    /// The same page with each item turned into another view (so a long
    /// list is paged on light keys and only its page is built).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> List<U> {
        List::new(self.items.into_iter().map(f).collect(), self.next_cursor)
    }

    /// One page of a short collection loaded whole (regions, a project's
    /// history): the same `limit` and `cursor` as every list, the cursor
    /// holding the position.
    pub fn paged(items: Vec<T>, page: &Page) -> Result<Self> {
        // A well-formed cursor this list never gave out names a place past
        // its end.
        let start = match page.after()? {
            None => 0,
            Some(key) => key.parse::<usize>().unwrap_or(usize::MAX),
        };
        let limit = usize::try_from(page.limit()).unwrap_or(usize::MAX);
        let end = start.saturating_add(limit).min(items.len());
        let next = (end < items.len()).then(|| end.to_string());
        let items = items.into_iter().skip(start).take(limit).collect();
        Ok(List::new(items, next))
    }
}

/// The one item of a collection the caller may read that `is` picks, or
/// 404: a single read shows exactly what the list shows.
pub fn one_of<T>(items: Vec<T>, is: impl Fn(&T) -> bool) -> Result<T> {
    items.into_iter().find(is).ok_or(AppError::NotFound)
}

/// Cursors are opaque to clients: the key a page ends at, in hex behind a
/// tag (`c1.` and pairs of hex digits, the pattern the contract gives).
/// Anything else is refused rather than read as a place in the list; a
/// well-formed one is a place in key order, as a key is.
const CURSOR_TAG: &str = "c1.";

/// The cursor a client passes back for the page after `key`.
fn cursor_of(key: &str) -> String {
    format!("{CURSOR_TAG}{}", hex::encode(key))
}

/// The key a cursor given out by [`List`] stands for; 400
/// `malformed_cursor` for anything not of its form.
pub fn cursor_key(cursor: Option<&str>) -> Result<Option<String>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    cursor
        .strip_prefix(CURSOR_TAG)
        .filter(|digits| digits.len() <= 2048)
        .and_then(|digits| hex::decode(digits).ok())
        .map(|bytes| Some(String::from_utf8_lossy(&bytes).into_owned()))
        .ok_or_else(malformed_cursor)
}

/// The refusal of a cursor no list gave out.
pub(crate) fn malformed_cursor() -> AppError {
    AppError::Malformed {
        code: "malformed_cursor",
        detail: Text::new(
            "The cursor was not given out by this list: pass `next_cursor` of the previous page unchanged, or none for the first page.",
            "游标无效：请原样传入上一页返回的 `next_cursor`，首页不传。",
        ),
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
    shuzhuan_subsidy::FundPurpose,
    shuzhuan_monitoring::risk::FlagKind,
    shuzhuan_monitoring::draw::Weighting,
    shuzhuan_monitoring::forecast::PaceRule,
    shuzhuan_monitoring::forecast::ForecastMethod,
    shuzhuan_monitoring::dashboard::Milestone,
    shuzhuan_monitoring::report::PeriodKind,
    shuzhuan_monitoring::report::CellUnit,
    shuzhuan_subsidy::DecisionKind,
    shuzhuan_subsidy::DecisionState,
    shuzhuan_subsidy::PayeeKind,
    shuzhuan_subsidy::RateKind,
    shuzhuan_subsidy::PolicyStatus,
    shuzhuan_lifecycle::DocumentKind,
    shuzhuan_lifecycle::ProjectState,
    shuzhuan_lifecycle::ProjectAction,
    shuzhuan_lifecycle::BatchState,
    shuzhuan_lifecycle::BatchAction,
    shuzhuan_lifecycle::PhaseKind,
    shuzhuan_lifecycle::AdmissionKind,
    shuzhuan_lifecycle::AdmissionStatus,
    shuzhuan_lifecycle::BenchmarkKind,
    shuzhuan_lifecycle::BenchmarkStatus,
    shuzhuan_monitoring::Colour,
    shuzhuan_monitoring::targets::Metric,
    shuzhuan_subsidy::ExpenseCategory,
    shuzhuan_scoring::AssessmentKind,
];
