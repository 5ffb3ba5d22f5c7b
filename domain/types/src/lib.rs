//! Shared domain vocabulary of Shuzhuan: roles, role grants and their scopes.
//!
//! Pure data and rules: no IO, no database, no HTTP. Every other crate may
//! depend on this one; it depends on nothing of ours.

mod grant;
mod role;

pub use grant::{Grant, GrantError};
pub use role::{Role, UnknownRole};
