//! What every handler shares, and the bridge from async handlers to the
//! blocking use cases: one hop to actix's blocking pool per request, on
//! which the application loads the principal and runs the use case on one
//! pooled connection.

use std::sync::Arc;

use actix_web::web;
use shuzhuan_app::{App, Principal, Session};

use crate::config::WebhookSettings;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::middleware::Metrics;

pub struct AppState {
    pub app: App,
    pub metrics: Metrics,
    pub webhooks: WebhookSettings,
    /// Wakes this instance's webhook worker after a commit, so deliveries
    /// leave at once instead of at the next poll.
    pub committed: Arc<tokio::sync::Notify>,
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
        Ok(web::block(move || app.run(&credential, f)).await??)
    }

    /// Runs a use case that has no caller yet (login, refresh).
    pub async fn run_public<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session, &App) -> shuzhuan_app::Result<T> + Send + 'static,
    {
        let app = self.app.clone();
        Ok(web::block(move || app.run_public(|s| f(s, &app))).await??)
    }
}
