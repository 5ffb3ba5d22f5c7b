//! The application layer of Shuzhuan: every use case and the one table of
//! rights, knowing nothing of HTTP.
//!
//! A use case takes the request's [`Session`] (one pooled connection: its
//! reads, and its units of work with their audit entries and change
//! events), the [`Principal`] asking, and its input as domain types or a
//! [`Body`] it reads after its right check; it answers a view or an
//! [`AppError`]. Its first line asks [`policy`] for its right. The HTTP
//! layer, the CLI, the webhook worker and the tests call the same
//! functions; [`App::run`] loads the principal and runs the use case on
//! one connection, in one trip.
//!
//! Depends on `persistence` and the `domain` crates, never on actix.

pub mod admissions;
pub mod assessments;
pub mod auth;
pub mod bootstrap;
pub mod demo;
pub mod documents;
pub mod dossier;
pub mod enterprises;
pub mod error;
pub mod evaluations;
pub mod exports;
pub mod feed;
pub mod imports;
pub mod input;
pub mod journal;
pub mod monitoring;
pub mod packs;
pub mod policy;
pub mod principal;
pub mod products;
pub mod programs;
pub mod projects;
pub mod promotion;
pub mod providers;
pub mod ranking;
pub mod registry;
pub mod risks;
pub mod spot_checks;
pub mod subsidy;
pub mod targets;
pub mod users;
pub mod view;
pub mod webhooks;

use std::sync::Arc;

pub use error::{AppError, Expected, FieldError, Lang, Result, Text};
pub use input::{Body, Page};
pub use policy::Right;
pub use principal::{Credential, Principal};
pub use shuzhuan_persistence::{Db, Session};
pub use view::List;

use auth::JwtKeys;

/// The application: the database, the token keys, the document store, and
/// who to tell when a unit of work commits (this instance's webhook worker).
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub keys: Arc<JwtKeys>,
    pub documents: documents::Store,
    /// Where webhooks may send.
    pub outbound: Arc<webhooks::Outbound>,
    /// Bounds password hashing and throttles wrong passwords.
    pub logins: Arc<auth::Logins>,
    committed: Arc<dyn Fn() + Send + Sync>,
}

impl App {
    pub fn new(db: Db, keys: JwtKeys, documents: documents::Store) -> Self {
        App {
            db,
            keys: Arc::new(keys),
            documents,
            outbound: Arc::new(webhooks::Outbound::default()),
            logins: Arc::new(auth::Logins::default()),
            committed: Arc::new(|| {}),
        }
    }

    /// Webhooks may name the hosts `outbound` allows.
    pub fn with_outbound(mut self, outbound: webhooks::Outbound) -> Self {
        self.outbound = Arc::new(outbound);
        self
    }

    /// Logins are throttled and bounded by `logins`.
    pub fn with_logins(mut self, logins: auth::Logins) -> Self {
        self.logins = Arc::new(logins);
        self
    }

    /// Calls `f` after every request that committed a unit of work.
    pub fn on_commit(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.committed = Arc::new(f);
        self
    }

    /// Runs a use case for the caller `credential` names: one pooled
    /// connection, the principal read on it (user and grants in one
    /// query), then the use case on the same connection.
    pub fn run<T>(
        &self,
        credential: &Credential,
        f: impl FnOnce(&mut Session, &Principal) -> Result<T>,
    ) -> Result<T> {
        let mut session = self.db.session()?;
        let who = principal::load(session.conn(), &self.keys, credential)?;
        let out = f(&mut session, &who);
        if session.wrote() {
            (self.committed)();
        }
        out
    }

    /// Runs a use case that has no caller yet (login, refresh).
    pub fn run_public<T>(&self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let mut session = self.db.session()?;
        let out = f(&mut session);
        if session.wrote() {
            (self.committed)();
        }
        out
    }
}
