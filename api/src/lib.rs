//! The HTTP layer of Shuzhuan: the only crate that knows actix-web.
//!
//! Routes, extractors, authentication and authorisation, the one mapping
//! of errors to problem+json, and the `shuzhuan` binary. It depends on
//! `persistence` and the `domain` crates and on `openapi` for the
//! document's frame; nothing depends on it but the binary and the tests.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod import;
pub mod middleware;
pub mod outbox;
pub mod packs;
pub mod routes;
pub mod state;

pub use app::{openapi, prepare, server};
pub use config::Settings;
