//! HTTP tests of the whole application, each on SQLite and PostgreSQL.
//! One binary (faster to link); one module per area.

// Test code: a panic is how a test fails.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod http {
    pub mod assessments;
    pub mod auth;
    pub mod conventions;
    pub mod enterprises;
    pub mod errors;
    pub mod evaluations;
    pub mod excel;
    pub mod feed;
    pub mod hardening;
    pub mod imports;
    pub mod integrity;
    pub mod policy_language;
    pub mod programs;
    pub mod projects;
    pub mod providers;
    pub mod rights;
    pub mod subsidy;
    pub mod supervision;
    pub mod users;
    pub mod webhooks;
}
