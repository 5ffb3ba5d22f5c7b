//! Webhooks: subscriptions to the change events a caller may read, and
//! their delivery log.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use shuzhuan_app::webhooks::{
    self as use_case, CreateWebhookRequest, DeliveriesQuery, DeliveryView, UpdateWebhookRequest,
    WebhookView,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, IfMatch, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// List webhooks
///
/// Your webhooks (all of them for the platform admin) with their health:
/// `failing_since`, `paused_until`, the last delivery's outcome.
#[utoipa::path(
    tag = "sync",
    params(Page),
    responses(
        (status = 200, description = "The caller's webhooks (all of them for a platform_admin), in creation order", body = List<WebhookView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<web::Json<List<WebhookView>>, ApiError> {
    state
        .run(caller, move |s, who| use_case::list(s, who, &page))
        .await
        .map(web::Json)
}

/// Subscribe a webhook
///
/// Registers an https URL to receive change events (the feed's events, signed
/// with HMAC-SHA256 of the secret) for the event types given; deliveries start
/// after the feed's current head.
#[utoipa::path(
    tag = "sync",
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Created; deliveries start with the next committed change. The body carries the secret, this once.", body = WebhookView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid URL (not https, or a loopback, link-local or private address the operator does not allow), secret, pattern or unknown programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let outbound = state.app.outbound.clone();
    state
        .run(caller, move |s, who| {
            use_case::create(s, who, &outbound, body.body())
        })
        .await
        .map(created)
}

/// Read a webhook
///
/// One webhook with its state and health; `ETag` carries its version.
#[utoipa::path(
    tag = "sync",
    params(("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 200, body = WebhookView, headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook of the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await
        .map(current)
}

/// Change a webhook
///
/// Changes URL, event types, secret or active flag (`If-Match` required). Re-
/// enabling a webhook the server disabled resumes delivery where it stopped.
#[utoipa::path(
    tag = "sync",
    params(
        ("id" = String, Path, description = "Webhook id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = UpdateWebhookRequest,
    responses(
        (status = 200, body = WebhookView),
        (status = 403, description = "Only a platform_admin enables a webhook", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let outbound = state.app.outbound.clone();
    state
        .run(caller, move |s, who| {
            use_case::update(s, who, &outbound, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// Delete a webhook
///
/// Removes the webhook and its pending deliveries.
#[utoipa::path(
    tag = "sync",
    params(("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted with its delivery log; nothing more is sent"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::delete(s, who, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a webhook's deliveries
///
/// The delivery attempts of one webhook, newest first, with status, attempts,
/// last answer and next attempt.
#[utoipa::path(
    tag = "sync",
    params(("id" = String, Path, description = "Webhook id"), DeliveriesQuery),
    responses(
        (status = 200, description = "The delivery log, newest first", body = List<DeliveryView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<web::Json<List<DeliveryView>>, ApiError> {
    state
        .run(caller, move |s, who| use_case::deliveries(s, who, &id, q))
        .await
        .map(web::Json)
}
