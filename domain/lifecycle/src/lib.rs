//! Lifecycles of Shuzhuan as pure state machines: which action moves an
//! object from which state to which, and who may take it.
//!
//! The API and persistence only ask this crate; they never encode a
//! transition themselves: batches, admissions (provider pool, product
//! library), benchmarks and the project lifecycle of DOMAIN.md §4.

mod admission;
mod batch;
mod benchmark;
mod document;
mod plan;
mod project;

pub use admission::{AdmissionError, AdmissionKind, AdmissionStatus};
pub use batch::{BatchAction, BatchState, BatchTransitionError};
pub use benchmark::{BenchmarkError, BenchmarkKind, BenchmarkStatus, Subject};
pub use document::DocumentKind;
pub use plan::{Plan, PlanError, PlanLineItem};
pub use project::{
    Facts, PASSING_LEVEL, ProjectAction, ProjectError, ProjectState, RULES, Rule, acting_role,
    batch_allows, decide, next_actions, rule,
};

shuzhuan_types::impl_code!(ProjectState, "project state");
shuzhuan_types::impl_code!(ProjectAction, "project action");
shuzhuan_types::impl_code!(BatchState, "batch state");
shuzhuan_types::impl_code!(BatchAction, "batch action");
shuzhuan_types::impl_code!(AdmissionKind, "admission kind");
shuzhuan_types::impl_code!(AdmissionStatus, "admission status");
shuzhuan_types::impl_code!(BenchmarkKind, "benchmark kind");
shuzhuan_types::impl_code!(BenchmarkStatus, "benchmark status");
