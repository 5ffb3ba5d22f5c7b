//! What every handler shares, and the bridge from async handlers to the
//! blocking use cases: one hop to actix's blocking pool per request, on
//! which the application loads the principal and runs the use case on one
//! pooled connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::web;
use shuzhuan_app::{App, Principal, Session};

use crate::config::{GuardSettings, WebhookSettings};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::middleware::Metrics;
use crate::observe;

pub struct AppState {
    pub app: App,
    pub metrics: Arc<Metrics>,
    pub webhooks: WebhookSettings,
    pub guard: GuardSettings,
    /// Wakes this instance's webhook worker after a commit, so deliveries
    /// leave at once instead of at the next poll.
    pub committed: Arc<tokio::sync::Notify>,
    pub shutdown: Shutdown,
    /// Requests being served now (bounded by `guard.max_in_flight`).
    pub in_flight: std::sync::atomic::AtomicUsize,
}

/// Whether this instance is shutting down: `/readyz` answers 503 from the
/// first moment, and the webhook worker stops claiming.
#[derive(Default)]
pub struct Shutdown {
    draining: AtomicBool,
    begun: tokio::sync::Notify,
}

impl Shutdown {
    pub fn begin(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.begun.notify_waiters();
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Resolves once shutdown has begun.
    pub async fn begun(&self) {
        let notified = self.begun.notified();
        if self.is_draining() {
            return;
        }
        notified.await;
    }
}

impl AppState {
    /// Runs a use case for the caller `credential` names, off the async
    /// workers, in one trip.
    pub async fn run<T, F>(&self, Caller(credential): Caller, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session, &Principal) -> shuzhuan_app::Result<T> + Send + 'static,
    {
        let app = self.app.clone();
        let context = observe::current();
        Ok(web::block(move || match context {
            Some(context) => context.enter(|| {
                app.run(&credential, |s, who| {
                    context.set_caller(&who.username);
                    f(s, who)
                })
            }),
            None => app.run(&credential, f),
        })
        .await??)
    }

    /// Runs a use case that has no caller yet (login, refresh).
    pub async fn run_public<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session, &App) -> shuzhuan_app::Result<T> + Send + 'static,
    {
        let app = self.app.clone();
        let context = observe::current();
        Ok(web::block(move || {
            let run = || app.run_public(|s| f(s, &app));
            match context {
                Some(context) => context.enter(run),
                None => run(),
            }
        })
        .await??)
    }
}
