//! What every handler shares, and the bridge from async handlers to the
//! blocking database (diesel + r2d2 run on actix's blocking pool, so no
//! worker ever waits on I/O).

use std::sync::Arc;

use actix_web::web;
use shuzhuan_persistence::{Actor, AnyConnection, Db, Tx};

use crate::auth::JwtKeys;
use crate::config::WebhookSettings;
use crate::error::ApiError;
use crate::middleware::Metrics;

pub struct AppState {
    pub db: Db,
    /// Where uploaded documents are stored by hash (shared by instances).
    pub documents_dir: std::path::PathBuf,
    pub keys: JwtKeys,
    pub metrics: Metrics,
    pub webhooks: WebhookSettings,
    /// Wakes this instance's webhook worker after a commit, so deliveries
    /// leave at once instead of at the next poll.
    pub committed: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Runs reads on a pooled connection off the async workers.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.db.clone();
        web::block(move || db.read(f)).await?
    }

    /// Runs one unit of work (rows, audit entries, change events; all or
    /// nothing) off the async workers.
    pub async fn write<T, F>(&self, actor: Actor, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.db.clone();
        let out = web::block(move || db.write(&actor, f)).await??;
        self.committed.notify_one();
        Ok(out)
    }
}
