//! Lifecycles of Shuzhuan as pure state machines: which action moves an
//! object from which state to which, and who may take it.
//!
//! The API and persistence only ask this crate; they never encode a
//! transition themselves. Batches and admissions (provider pool, product
//! library) live here now; the project lifecycle of
//! DOMAIN.md §4 joins them in its own module.

mod admission;
mod batch;

pub use admission::{AdmissionError, AdmissionKind, AdmissionStatus};
pub use batch::{BatchAction, BatchState, BatchTransitionError};
