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
pub use batch::{
    BatchAction, BatchState, BatchTransitionError, BatchWindow, Phase, PhaseKind, WindowBound,
};
pub use benchmark::{BenchmarkError, BenchmarkKind, BenchmarkStatus, Subject};
pub use document::DocumentKind;
pub use plan::{Plan, PlanError, PlanLineItem};
pub use project::{
    Blocked, DEFAULT_PASS_LEVEL, Facts, ProjectAction, ProjectError, ProjectState, RULES, Rule,
    acting_role, batch_allows, blocked_actions, decide, next_actions, rule,
};

shuzhuan_types::impl_code!(
    ProjectState,
    "project state",
    "The state of a transformation project (改造项目) in its life (DOMAIN.md §4)."
);
shuzhuan_types::impl_code!(
    ProjectAction,
    "project action",
    "An action that moves a project to its next state; `next_actions` lists those the caller may take now."
);
shuzhuan_types::impl_code!(
    BatchState,
    "batch state",
    "The state of a batch (批次) of a programme."
);
shuzhuan_types::impl_code!(
    BatchAction,
    "batch action",
    "An action that moves a batch to its next state (the city office's)."
);
shuzhuan_types::impl_code!(
    AdmissionKind,
    "admission kind",
    "Which admission: a provider into the pool or a product into the library."
);
shuzhuan_types::impl_code!(
    AdmissionStatus,
    "admission status",
    "The status of an admission; `applied, admitted, suspended, removed` belong to the pool, `submitted, listed, recommended, delisted` to the library."
);
shuzhuan_types::impl_code!(
    BenchmarkKind,
    "benchmark kind",
    "What a benchmark (标杆) recognises."
);
shuzhuan_types::impl_code!(
    BenchmarkStatus,
    "benchmark status",
    "The status of a benchmark nomination."
);
