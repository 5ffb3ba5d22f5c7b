//! Webhooks: the change feed pushed to a receiver (sync_client or
//! platform_admin), each owned by its creator. The delivery work is
//! [`outbox`]; the worker that runs it lives in the server.

pub mod outbound;
pub mod outbox;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{programs, webhooks};
use shuzhuan_persistence::rows::{WebhookDeliveryRow, WebhookRow};
use shuzhuan_persistence::{AnyConnection, Change, Json, Session, Snapshot, new_id, now};
use shuzhuan_types::{DeliveryStatus, ObjectType, Op, Target};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

pub use outbound::Outbound;
pub use outbox::EventPattern;

use crate::auth::OpaqueToken;
use crate::error::{AppError, Expected, Result, Text};
use crate::input::{Body, Page};
use crate::policy::Right;
use crate::principal::Principal;
use crate::view::{List, code_schema, utc};

/// A webhook as its owner and the admins see it; the secret is shown only
/// in the response that created it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193…", "owner_user_id": "0193…", "url": "https://sync.example.gov.cn/shuzhuan",
    "event_types": ["project.*", "enterprise.update"], "program_id": null, "active": true,
    "disabled_reason": null, "consecutive_failures": 0, "failing_since": null,
    "paused_until": null, "version": 1,
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
    /// Rounds of attempts the receiver failed since it last answered (the
    /// deliveries sent together in one round count once).
    pub consecutive_failures: i32,
    /// Since when the receiver has failed without a break; the webhook is
    /// disabled when this lasts longer than the operator's limit (a day by
    /// default).
    pub failing_since: Option<DateTime<Utc>>,
    /// The receiver is paused until then: one probe delivery goes out
    /// then, and the rest follow at once when it is acknowledged.
    pub paused_until: Option<DateTime<Utc>>,
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
            event_types: r.event_types.into_inner(),
            program_id: r.program_id,
            active: r.active,
            disabled_reason: r.disabled_reason,
            consecutive_failures: r.consecutive_failures,
            failing_since: r.failing_since.map(utc),
            paused_until: r.paused_until.map(utc),
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
        object_type: ObjectType::Webhook,
        object_id: after.id.clone(),
        program_id: after.program_id.clone(),
        version: after.version,
        op,
        before: before.and_then(snapshot),
        after: snapshot(after),
    }
}

fn validate_url(url: &str) -> std::result::Result<(), ValidationError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ValidationError::new("invalid_url")
            .with_message("must be an absolute http or https URL".into())),
    }
}

/// The URL's scheme and addresses against the operator's allow-list.
fn check_url(outbound: &Outbound, url: &str) -> Result<()> {
    outbound.check_url(url).map_err(|refusal| {
        AppError::field("url", refusal.code(), Text::new(refusal.en(), refusal.zh()))
    })
}

fn validate_patterns(patterns: &[String]) -> std::result::Result<(), ValidationError> {
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

/// The webhook if the caller manages it (its owner, or a platform admin);
/// 404 otherwise.
fn visible(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<WebhookRow> {
    let reach = who.require(Right::ManageWebhooks)?;
    let row = webhooks::find(conn, id)?;
    let target = Target {
        owner: Some(&row.owner_user_id),
        ..Default::default()
    };
    if reach.contains(&target) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// The caller's webhooks (all of them for a platform admin), in creation
/// order.
pub fn list(s: &mut Session, who: &Principal, page: &Page) -> Result<List<WebhookView>> {
    let reach = who.require(Right::ManageWebhooks)?;
    let owner = (!reach.all).then(|| who.user_id.clone());
    let rows = webhooks::list(
        s.conn(),
        owner.as_deref(),
        page.after()?.as_deref(),
        page.limit(),
    )?;
    Ok(List::from_page(rows))
}

/// Creates a webhook; deliveries start with the next committed change. The
/// view carries the secret, this once.
pub fn create(
    s: &mut Session,
    who: &Principal,
    outbound: &Outbound,
    body: Body<CreateWebhookRequest>,
) -> Result<WebhookView> {
    who.require(Right::ManageWebhooks)?;
    let body = body.read()?;
    check_url(outbound, &body.url)?;
    let secret = body
        .secret
        .clone()
        .unwrap_or_else(|| OpaqueToken::generate("whsec_").plain);
    let mut view = s.write(&who.actor(), |tx| {
        if let Some(p) = &body.program_id
            && !programs::exists(tx.conn(), p)?
        {
            return Err(AppError::field(
                "program_id",
                "unknown_program",
                Text::new("no such programme", "试点不存在"),
            ));
        }
        let at = now();
        let row = WebhookRow {
            id: new_id(),
            owner_user_id: who.user_id.clone(),
            url: body.url.clone(),
            secret: secret.clone(),
            event_types: Json::new(body.event_types.clone())?,
            program_id: body.program_id.clone(),
            active: true,
            disabled_reason: None,
            consecutive_failures: 0,
            event_cursor: webhooks::feed_head(tx.conn())?,
            version: 1,
            created_at: at,
            updated_at: at,
            failing_since: None,
            paused_until: None,
        };
        webhooks::insert(tx.conn(), &row)?;
        tx.record(webhook_change("webhook.create", None, &row, Op::Create));
        Ok(WebhookView::from(row))
    })?;
    view.secret = Some(secret);
    Ok(view)
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<WebhookView> {
    Ok(visible(s.conn(), who, id)?.into())
}

/// Changes a webhook: its owner pauses it, changes URL, secret and
/// patterns; only a platform admin enables it again.
pub fn update(
    s: &mut Session,
    who: &Principal,
    outbound: &Outbound,
    id: &str,
    expected: Expected,
    body: Body<UpdateWebhookRequest>,
) -> Result<WebhookView> {
    who.require(Right::ManageWebhooks)?;
    let body = body.read()?;
    if let Some(url) = &body.url {
        check_url(outbound, url)?;
    }
    if body.active == Some(true) {
        who.require(Right::EnableWebhook)?;
    }
    s.write(&who.actor(), |tx| {
        let before = visible(tx.conn(), who, id)?;
        let expected = expected.check(before.version)?;
        let mut row = before.clone();
        if let Some(url) = &body.url {
            row.url = url.clone();
        }
        if let Some(secret) = &body.secret {
            row.secret = secret.clone();
        }
        if let Some(patterns) = &body.event_types {
            row.event_types = Json::new(patterns.clone())?;
        }
        match body.active {
            Some(true) if !before.active => {
                row.active = true;
                row.disabled_reason = None;
                row.consecutive_failures = 0;
                row.failing_since = None;
                row.paused_until = None;
            }
            Some(false) if before.active => {
                row.active = false;
                row.disabled_reason = Some(format!("paused by {}", who.username));
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
        Ok(WebhookView::from(row))
    })
}

/// Deletes a webhook with its delivery log; nothing more is sent.
pub fn delete(s: &mut Session, who: &Principal, id: &str) -> Result<()> {
    who.require(Right::ManageWebhooks)?;
    s.write(&who.actor(), |tx| {
        let before = visible(tx.conn(), who, id)?;
        webhooks::delete(tx.conn(), id)?;
        tx.record(webhook_change(
            "webhook.delete",
            Some(&before),
            &before,
            Op::Tombstone,
        ));
        Ok(())
    })
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
    #[schema(schema_with = code_schema::<DeliveryStatus>)]
    pub status: DeliveryStatus,
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
            next_attempt_at: (*r.status == DeliveryStatus::Pending).then(|| utc(r.next_attempt_at)),
            id: r.id,
            webhook_id: r.webhook_id,
            event_seq: r.event_seq,
            event_type: r.event_type,
            status: r.status.0,
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
    #[param(schema_with = code_schema::<DeliveryStatus>)]
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

/// The delivery log, newest first.
pub fn deliveries(
    s: &mut Session,
    who: &Principal,
    id: &str,
    q: DeliveriesQuery,
) -> Result<List<DeliveryView>> {
    visible(s.conn(), who, id)?;
    let status = crate::input::optional_code::<DeliveryStatus>("status", q.status.as_deref())?;
    let page = webhooks::deliveries(
        s.conn(),
        id,
        status,
        crate::view::cursor_key(q.cursor.as_deref())?.as_deref(),
        q.limit.unwrap_or(50),
    )?;
    Ok(List::from_page(page))
}
