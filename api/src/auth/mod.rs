//! Authentication and authorisation: who is calling, and what may they do.

mod caller;
mod jwt;
mod password;
mod secret;

pub use caller::{Caller, load as caller_load};
pub use jwt::{Claims, JwtKeys};
pub use password::{hash_password, verify_password};
pub use secret::{OpaqueToken, hash_token};
