//! Shared domain vocabulary of Shuzhuan: roles, role grants and their
//! scopes, how far a right reaches, the kinds of the registries, the
//! objects of the change feed, and the unified social credit code that
//! keys enterprises and providers.
//!
//! Pure data and rules: no IO, no database, no HTTP. Every other crate may
//! depend on this one; it depends on nothing of ours.

mod code;
mod feed;
mod grant;
mod reach;
mod registry;
mod role;
mod uscc;

pub use code::{Code, UnknownCode, parse_code};
pub use feed::{DeliveryStatus, ObjectType, Op};
pub use grant::{Grant, GrantError};
pub use reach::{Reach, Target};
pub use registry::{Deployment, ProviderKind, RegionKind, SizeClass, Specialty, Tier};
pub use role::{Role, UnknownRole};
pub use uscc::{Uscc, UsccError, check_character};
