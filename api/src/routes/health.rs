//! Liveness, readiness and metrics, outside `/api/v1` for load balancers
//! and Prometheus.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use shuzhuan_app::AppError;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness
///
/// Answers 200 while the process runs, also while it migrates at start
/// (`status: starting`). No token; for the orchestrator's liveness probe.
#[utoipa::path(tag = "health", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Readiness
///
/// 200 when this instance takes requests: the database answers within 800 ms
/// and it is not shutting down; 503 `unavailable`, `starting` or
/// `shutting_down` otherwise. No token; for the load balancer.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "The database answers and the instance takes requests", body = Health),
        (status = 503, description = "The database does not answer within a second, or the instance is shutting down (`shutting_down`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    if state.shutdown.is_draining() {
        return Err(ApiError::ShuttingDown);
    }
    let db = state.app.db.clone();
    web::block(move || db.ping(READINESS_WAIT))
        .await?
        .map_err(AppError::Unavailable)?;
    Ok(web::Json(Health { status: "ok" }))
}

/// How long readiness waits for the database: its own short bound, so a
/// probe answers within a second whatever the database does.
const READINESS_WAIT: std::time::Duration = std::time::Duration::from_millis(800);

/// Prometheus metrics
///
/// Request, pool, ledger-lock, webhook and import figures in the Prometheus
/// text format (README, Operating it). No token: expose it only to the
/// monitoring network.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let db = state.app.db.clone();
    let backlog = web::block(move || shuzhuan_app::webhooks::outbox::backlog(&db))
        .await
        .ok()
        .and_then(Result::ok);
    state.metrics.sample(
        state.app.db.pool_state(),
        state.in_flight.load(std::sync::atomic::Ordering::SeqCst),
        backlog,
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
