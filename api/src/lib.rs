//! The HTTP layer of Shuzhuan: the only crate that knows actix-web.
//!
//! Extractors, thin handlers (take the request apart, run one use case of
//! `shuzhuan_app`, answer its view), the one mapping of errors to
//! problem+json, middleware, the webhook worker's HTTP side and the
//! `shuzhuan` binary. Use cases and rights live in `shuzhuan_app`.

pub mod app;
pub mod config;
pub mod error;
pub mod export;
pub mod extract;
pub mod import;
pub mod middleware;
pub mod observe;
pub mod outbox;
pub mod respond;
pub mod routes;
pub mod state;

pub use app::{Starting, Stopper, openapi, prepare, start};
pub use config::Settings;
