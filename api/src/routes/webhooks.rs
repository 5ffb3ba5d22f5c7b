//! Webhooks: the change feed pushed to a receiver (sync_client or
//! platform_admin). The worker that delivers them is [`crate::outbox`].

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{programs, webhooks};
use shuzhuan_persistence::rows::{WebhookDeliveryRow, WebhookRow};
use shuzhuan_persistence::{AnyConnection, Change, Op, Snapshot, new_id, now};
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::auth::{Caller, OpaqueToken};
use crate::error::{ApiError, Problem, Text};
use crate::extract::{IfMatch, Json, List, PageQuery, Query, created, versioned};
use crate::outbox::EventPattern;
use crate::routes::utc;
use crate::state::AppState;

/// A webhook as its owner and the admins see it; the secret is shown only
/// in the response that created it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193…", "owner_user_id": "0193…", "url": "https://sync.example.gov.cn/shuzhuan",
    "event_types": ["project.*", "enterprise.update"], "program_id": null, "active": true,
    "disabled_reason": null, "consecutive_failures": 0, "version": 1,
    "created_at": "2026-11-22T08:00:00Z", "updated_at": "2026-11-22T08:00:00Z"
}))]
pub struct WebhookView {
    pub id: String,
    pub owner_user_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Patterns of `{object_type}.{op}` (op: create, update, tombstone);
    /// `*` matches every event, `project.*` every project event.
    pub event_types: Vec<String>,
    /// Only events of this programme, if set.
    pub program_id: Option<String>,
    /// A disabled webhook queues nothing and sends nothing until a
    /// platform_admin enables it again; nothing is lost meanwhile.
    pub active: bool,
    /// Why the webhook was disabled.
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: i32,
    /// The HMAC-SHA256 key: in the creation response only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for WebhookView {
    fn from(r: WebhookRow) -> Self {
        WebhookView {
            id: r.id,
            owner_user_id: r.owner_user_id,
            url: r.url,
            event_types: serde_json::from_str(&r.event_types).unwrap_or_default(),
            program_id: r.program_id,
            active: r.active,
            disabled_reason: r.disabled_reason,
            consecutive_failures: r.consecutive_failures,
            secret: None,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

/// The audit entry and change event of a webhook write; the snapshot never
/// carries the secret.
pub(crate) fn webhook_change(
    action: &str,
    before: Option<&WebhookRow>,
    after: &WebhookRow,
    op: Op,
) -> Change {
    let snapshot = |r: &WebhookRow| Snapshot::of(&WebhookView::from(r.clone()));
    Change {
        action: action.to_owned(),
        object_type: "webhook",
        object_id: after.id.clone(),
        program_id: after.program_id.clone(),
        version: after.version,
        op,
        before: before.and_then(snapshot),
        after: snapshot(after),
    }
}

fn validate_url(url: &str) -> Result<(), ValidationError> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ValidationError::new("invalid_url")
            .with_message("must be an absolute http or https URL".into())),
    }
}

fn validate_patterns(patterns: &[String]) -> Result<(), ValidationError> {
    match patterns.iter().find(|p| EventPattern::parse(p).is_none()) {
        None => Ok(()),
        Some(bad) => Err(ValidationError::new("invalid_event_type").with_message(
            format!(
                "`{bad}` is not `*`, `<object_type>.*` or `<object_type>.<create|update|tombstone>`"
            )
            .into(),
        )),
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://sync.example.gov.cn/shuzhuan", "event_types": ["project.*", "enterprise.update"]}))]
pub struct CreateWebhookRequest {
    #[validate(
        length(max = 2000, message = "at most 2000 characters", code = "length"),
        custom(function = "validate_url")
    )]
    #[schema(max_length = 2000, pattern = "^https?://")]
    pub url: String,
    /// The HMAC key, 16 to 256 characters; one is generated (and returned
    /// once) when omitted.
    #[validate(length(
        min = 16,
        max = 256,
        message = "must be 16 to 256 characters",
        code = "length"
    ))]
    #[schema(min_length = 16, max_length = 256)]
    pub secret: Option<String>,
    #[validate(
        length(min = 1, max = 50, message = "1 to 50 patterns", code = "length"),
        custom(function = "validate_patterns")
    )]
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Vec<String>,
    pub program_id: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": true}))]
pub struct UpdateWebhookRequest {
    #[validate(
        length(max = 2000, message = "at most 2000 characters", code = "length"),
        custom(function = "validate_url")
    )]
    #[schema(max_length = 2000, pattern = "^https?://")]
    pub url: Option<String>,
    #[validate(length(
        min = 16,
        max = 256,
        message = "must be 16 to 256 characters",
        code = "length"
    ))]
    #[schema(min_length = 16, max_length = 256)]
    pub secret: Option<String>,
    #[validate(
        length(min = 1, max = 50, message = "1 to 50 patterns", code = "length"),
        custom(function = "validate_patterns")
    )]
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Option<Vec<String>>,
    /// `false` pauses deliveries; `true` (platform_admin only) enables a
    /// webhook again and clears its run of failures.
    pub active: Option<bool>,
}

/// Webhooks are for the platform's sync clients and its admins.
fn require_webhook_role(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_platform_admin() || caller.has_role(Role::SyncClient) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("manage webhooks"))
    }
}

/// The webhook if the caller owns it or is a platform_admin; 404 otherwise.
fn load_in_scope(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<WebhookRow, ApiError> {
    let row = webhooks::find(conn, id)?;
    if caller.is_platform_admin() || row.owner_user_id == caller.user_id {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

#[utoipa::path(
    tag = "sync",
    params(PageQuery),
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
    Query(page): Query<PageQuery>,
) -> Result<web::Json<List<WebhookView>>, ApiError> {
    require_webhook_role(&caller)?;
    let owner = (!caller.is_platform_admin()).then(|| caller.user_id.clone());
    let (after, limit) = (page.after(), page.limit());
    let page = state
        .read(move |conn| {
            Ok(webhooks::list(
                conn,
                owner.as_deref(),
                after.as_deref(),
                limit,
            )?)
        })
        .await?;
    Ok(web::Json(List::from_page(page)))
}

#[utoipa::path(
    tag = "sync",
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Created; deliveries start with the next committed change. The body carries the secret, this once.", body = WebhookView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid URL, secret, pattern or unknown programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    require_webhook_role(&caller)?;
    let body = body.parse()?;
    let secret = body
        .secret
        .unwrap_or_else(|| OpaqueToken::generate("whsec_").plain);
    let owner = caller.user_id.clone();
    let stored = secret.clone();
    let mut view = state
        .write(caller.actor(), move |tx| {
            if let Some(p) = &body.program_id
                && !programs::exists(tx.conn(), p)?
            {
                return Err(ApiError::field(
                    "program_id",
                    "unknown_program",
                    Text::new("no such programme", "试点不存在"),
                ));
            }
            let at = now();
            let row = WebhookRow {
                id: new_id(),
                owner_user_id: owner,
                url: body.url,
                secret: stored,
                event_types: serde_json::to_string(&body.event_types)
                    .map_err(ApiError::internal)?,
                program_id: body.program_id,
                active: true,
                disabled_reason: None,
                consecutive_failures: 0,
                event_cursor: webhooks::feed_head(tx.conn())?,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            webhooks::insert(tx.conn(), &row)?;
            tx.record(webhook_change("webhook.create", None, &row, Op::Create));
            Ok(WebhookView::from(row))
        })
        .await?;
    view.secret = Some(secret);
    Ok(created(
        format!("/api/v1/webhooks/{}", view.id),
        view.version,
        view,
    ))
}

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
    require_webhook_role(&caller)?;
    let id = id.into_inner();
    let row = state
        .read(move |conn| load_in_scope(conn, &caller, &id))
        .await?;
    Ok(versioned(row.version, WebhookView::from(row)))
}

#[utoipa::path(
    tag = "sync",
    params(
        ("id" = String, Path, description = "Webhook id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
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
    require_webhook_role(&caller)?;
    let body = body.parse()?;
    if body.active == Some(true) && !caller.is_platform_admin() {
        return Err(ApiError::Forbidden("enable a webhook"));
    }
    let id = id.into_inner();
    let actor = caller.actor();
    let row = state
        .write(actor, move |tx| {
            let before = load_in_scope(tx.conn(), &caller, &id)?;
            if before.version != expected {
                return Err(ApiError::StaleVersion {
                    current: before.version,
                });
            }
            let mut row = before.clone();
            if let Some(url) = body.url {
                row.url = url;
            }
            if let Some(secret) = body.secret {
                row.secret = secret;
            }
            if let Some(patterns) = body.event_types {
                row.event_types = serde_json::to_string(&patterns).map_err(ApiError::internal)?;
            }
            match body.active {
                Some(true) if !before.active => {
                    row.active = true;
                    row.disabled_reason = None;
                    row.consecutive_failures = 0;
                }
                Some(false) if before.active => {
                    row.active = false;
                    row.disabled_reason = Some(format!("paused by {}", caller.username));
                }
                _ => {}
            }
            row.version += 1;
            row.updated_at = now();
            webhooks::update_settings(tx.conn(), &row, expected)?;
            tx.record(webhook_change(
                "webhook.update",
                Some(&before),
                &row,
                Op::Update,
            ));
            Ok(row)
        })
        .await?;
    Ok(versioned(row.version, WebhookView::from(row)))
}

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
    require_webhook_role(&caller)?;
    let id = id.into_inner();
    state
        .write(caller.actor(), move |tx| {
            let before = load_in_scope(tx.conn(), &caller, &id)?;
            webhooks::delete(tx.conn(), &id)?;
            tx.record(webhook_change(
                "webhook.delete",
                Some(&before),
                &before,
                Op::Tombstone,
            ));
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry at `next_attempt_at`.
    Pending,
    Delivered,
    /// Every attempt failed; the event stays in the feed.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// One event's delivery to one webhook, with its last attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub webhook_id: String,
    /// The change event's `seq` in the feed.
    pub event_seq: i64,
    #[schema(example = "project.update")]
    pub event_type: String,
    #[schema(value_type = DeliveryStatus)]
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status, if it answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed (timeout, refused, status).
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<WebhookDeliveryRow> for DeliveryView {
    fn from(r: WebhookDeliveryRow) -> Self {
        DeliveryView {
            next_attempt_at: (r.status == "pending").then(|| utc(r.next_attempt_at)),
            id: r.id,
            webhook_id: r.webhook_id,
            event_seq: r.event_seq,
            event_type: r.event_type,
            status: r.status,
            attempts: r.attempts,
            last_attempt_at: r.last_attempt_at.map(utc),
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            last_duration_ms: r.last_duration_ms,
            delivered_at: r.delivered_at.map(utc),
            created_at: utc(r.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    pub cursor: Option<String>,
}

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
    require_webhook_role(&caller)?;
    let id = id.into_inner();
    let limit = q.limit.unwrap_or(50);
    let page = state
        .read(move |conn| {
            load_in_scope(conn, &caller, &id)?;
            Ok(webhooks::deliveries(
                conn,
                &id,
                q.status.map(DeliveryStatus::as_str),
                q.cursor.as_deref(),
                limit,
            )?)
        })
        .await?;
    Ok(web::Json(List::from_page(page)))
}
