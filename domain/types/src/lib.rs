//! Shared domain vocabulary of Shuzhuan: roles, role grants and their
//! scopes, and the unified social credit code that keys enterprises and
//! providers.
//!
//! Pure data and rules: no IO, no database, no HTTP. Every other crate may
//! depend on this one; it depends on nothing of ours.

mod grant;
mod role;
mod uscc;

pub use grant::{Grant, GrantError};
pub use role::{Role, UnknownRole};
pub use uscc::{Uscc, UsccError, check_character};
