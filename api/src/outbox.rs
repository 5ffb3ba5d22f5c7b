//! The webhook outbox and its worker.
//!
//! The change feed is the outbox. Each webhook keeps a cursor into it; the
//! worker turns the events after the cursor into delivery rows in the same
//! transaction that moves the cursor (a compare-and-set, so of several
//! instances exactly one queues each event), then leases due deliveries
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL), sends them, and writes each
//! outcome back. Everything lives in the database: a restart, or a second
//! instance, picks up where the last left off; a delivery leased by an
//! instance that died is taken over when its lease ends.
//!
//! A delivery is `POST {url}` with the JSON body [`DeliveryBody`] and
//! these headers:
//! - `Shuzhuan-Webhook-Id`, `Shuzhuan-Delivery-Id`, `Shuzhuan-Event-Type`;
//! - `Shuzhuan-Timestamp`: Unix seconds when this attempt was signed;
//! - `Shuzhuan-Signature`: `v1=` and the hex HMAC-SHA256, keyed with the
//!   webhook's secret, of `{timestamp}.{body}`.
//!
//! A receiver recomputes the HMAC over the timestamp header, a dot and the
//! raw body, compares in constant time, and rejects timestamps more than a
//! few minutes old (replays). Any 2xx is success; anything else, or no
//! answer within the timeout, is retried after an exponentially growing,
//! jittered delay ([`retry_delay`]) until the attempts run out. A run of
//! failed attempts disables the webhook until an admin enables it again;
//! while disabled its cursor stays put, so nothing is lost. Deliveries may
//! arrive out of order and, if a receiver answers too late, twice: receivers
//! keep the highest `event.seq` (or `version`) per object, and the feed
//! remains the ordered source of truth.

use std::time::{Duration, Instant};

use actix_web::web;
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use shuzhuan_persistence::repo::{audit, webhooks};
use shuzhuan_persistence::rows::{ChangeEventRow, WebhookDeliveryRow, WebhookRow};
use shuzhuan_persistence::{Actor, AnyConnection, Db, Op, RepoError, new_id, now};
use shuzhuan_types::Role;
use utoipa::ToSchema;

use crate::auth::caller_load;
use crate::config::WebhookSettings;
use crate::error::ApiError;
use crate::routes::audit::ChangeEventView;
use crate::routes::webhooks::webhook_change;
use crate::state::AppState;

/// An event-type pattern of a webhook: `*`, `{object_type}.*` or
/// `{object_type}.{op}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPattern {
    object_type: Option<String>,
    op: Option<Op>,
}

impl EventPattern {
    pub fn parse(text: &str) -> Option<Self> {
        if text == "*" {
            return Some(EventPattern {
                object_type: None,
                op: None,
            });
        }
        let (object_type, op) = text.split_once('.')?;
        let valid_type = !object_type.is_empty()
            && object_type
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_');
        let op = match op {
            "*" => None,
            "create" => Some(Op::Create),
            "update" => Some(Op::Update),
            "tombstone" => Some(Op::Tombstone),
            _ => return None,
        };
        valid_type.then(|| EventPattern {
            object_type: Some(object_type.to_owned()),
            op,
        })
    }

    pub fn matches(&self, object_type: &str, op: &str) -> bool {
        self.object_type.as_deref().is_none_or(|t| t == object_type)
            && self.op.is_none_or(|o| o.as_str() == op)
    }
}

/// The event type a delivery announces: `{object_type}.{op}`.
pub fn event_type(event: &ChangeEventRow) -> String {
    format!("{}.{}", event.object_type, event.op)
}

/// The `Shuzhuan-Signature` header value for a body signed at `timestamp`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// How long to wait after the `attempts`-th failed attempt (1-based):
/// `base · 2^(attempts−1)`, capped at `max`, of which the upper half is
/// scaled by `jitter` in [0, 1] ("equal jitter"), so receivers that failed
/// together do not all retry in the same instant.
pub fn retry_delay(base_ms: u64, max_ms: u64, attempts: u32, jitter: f64) -> Duration {
    let doubling = 2u64.saturating_pow(attempts.saturating_sub(1));
    let full = base_ms.saturating_mul(doubling).min(max_ms);
    let half = full / 2;
    // Truncation to whole milliseconds is intended.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let spread = (half as f64 * jitter.clamp(0.0, 1.0)) as u64;
    Duration::from_millis(full - half + spread)
}

/// The JSON body of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    pub delivery_id: String,
    pub webhook_id: String,
    #[schema(example = "project.update")]
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The change event as the feed serves it.
    pub event: ChangeEventView,
}

/// Describes the delivery request in the OpenAPI document's `webhooks`
/// section, so integrators see the body and headers they will receive.
pub fn describe(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{
        ContentBuilder, HttpMethod, PathItem, PathsBuilder, Ref, Required, ResponseBuilder,
    };
    use utoipa::{PartialSchema, ToSchema};

    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(String::schema()))
            .build()
    };
    let operation = OperationBuilder::new()
        .summary(Some("A change event, POSTed to each matching webhook"))
        .description(Some(
            "Verify `Shuzhuan-Signature` before trusting the body: it is `v1=` and the hex \
             HMAC-SHA256, keyed with the webhook's secret, of the `Shuzhuan-Timestamp` value, \
             a dot and the raw body. Reject timestamps more than five minutes old. Answer any \
             2xx to acknowledge; anything else is retried with exponential backoff and jitter. \
             Deliveries may repeat or arrive out of order: keep the highest `event.seq` per \
             object.",
        ))
        .tag("sync")
        .parameter(header("Shuzhuan-Webhook-Id", "The webhook's id"))
        .parameter(header(
            "Shuzhuan-Delivery-Id",
            "The same on every attempt of a delivery",
        ))
        .parameter(header("Shuzhuan-Event-Type", "`{object_type}.{op}`"))
        .parameter(header(
            "Shuzhuan-Timestamp",
            "Unix seconds when this attempt was signed",
        ))
        .parameter(header(
            "Shuzhuan-Signature",
            "`v1=<hex HMAC-SHA256 of \"{timestamp}.{body}\">`",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(DeliveryBody::name())))
                        .build(),
                )
                .required(Some(Required::True))
                .build(),
        ))
        .response(
            "2XX",
            ResponseBuilder::new().description("Acknowledged").build(),
        )
        .response(
            "default",
            ResponseBuilder::new()
                .description("Not acknowledged: retried later")
                .build(),
        );
    doc.webhooks = Some(
        PathsBuilder::new()
            .path("changeEvent", PathItem::new(HttpMethod::Post, operation))
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(DeliveryBody::name().into_owned(), DeliveryBody::schema())];
    DeliveryBody::schemas(&mut schemas);
    components.schemas.extend(schemas);
}

/// Runs for the life of the server: fans the feed out to deliveries and
/// sends what is due, woken by this instance's commits or by the poll.
pub async fn worker(state: web::Data<AppState>) {
    let owner = new_id();
    let settings = state.webhooks.clone();
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .user_agent(concat!("shuzhuan-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            log::error!("webhook worker cannot start its HTTP client: {e}");
            return;
        }
    };
    loop {
        if let Err(e) = cycle(&state.db, &client, &owner, &settings).await {
            log::warn!("webhook worker: {e}");
        }
        let poll = actix_web::rt::time::sleep(Duration::from_millis(settings.poll_ms));
        tokio::select! {
            () = state.committed.notified() => {}
            () = poll => {}
        }
    }
}

/// One pass: queue new events, then send due deliveries until none is due.
async fn cycle(
    db: &Db,
    client: &reqwest::Client,
    owner: &str,
    settings: &WebhookSettings,
) -> Result<(), ApiError> {
    let fan_db = db.clone();
    web::block(move || fan_out(&fan_db)).await??;
    loop {
        let claim_db = db.clone();
        let lease_owner = owner.to_owned();
        let lease = Duration::from_millis(settings.timeout_ms) + Duration::from_secs(30);
        let jobs = web::block(move || claim(&claim_db, &lease_owner, lease)).await??;
        if jobs.is_empty() {
            return Ok(());
        }
        let sent =
            futures_util::future::join_all(jobs.into_iter().map(|job| send(client, job))).await;
        let record_db = db.clone();
        let lease_owner = owner.to_owned();
        let settings = settings.clone();
        web::block(move || record(&record_db, &lease_owner, &settings, sent)).await??;
    }
}

/// Whether the webhook's owner may still read the feed (a deactivated user
/// or a revoked role stops their webhooks).
fn owner_may_read(conn: &mut AnyConnection, hook: &WebhookRow) -> bool {
    caller_load(conn, &hook.owner_user_id)
        .is_ok_and(|c| c.is_platform_admin() || c.has_role(Role::SyncClient))
}

/// Queues the events after each active webhook's cursor.
fn fan_out(db: &Db) -> Result<(), ApiError> {
    const PAGE: i64 = 500;
    let hooks = db.read(|conn| Ok::<_, ApiError>(webhooks::active(conn)?))?;
    for hook in hooks {
        if !db.read(|conn| Ok::<_, ApiError>(owner_may_read(conn, &hook)))? {
            continue;
        }
        let patterns: Vec<EventPattern> = serde_json::from_str::<Vec<String>>(&hook.event_types)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| EventPattern::parse(p))
            .collect();
        let mut cursor = hook.event_cursor;
        loop {
            let events = db.read(|conn| {
                audit::changes_after(conn, cursor, PAGE, hook.program_id.as_deref(), None)
            })?;
            let Some(last) = events.last().map(|e| e.seq) else {
                break;
            };
            let at = now();
            let deliveries: Vec<WebhookDeliveryRow> = events
                .iter()
                .filter(|e| patterns.iter().any(|p| p.matches(&e.object_type, &e.op)))
                .map(|e| WebhookDeliveryRow {
                    id: new_id(),
                    webhook_id: hook.id.clone(),
                    event_seq: e.seq,
                    event_type: event_type(e),
                    status: "pending".to_owned(),
                    attempts: 0,
                    next_attempt_at: at,
                    lease_owner: None,
                    lease_until: None,
                    last_attempt_at: None,
                    last_status_code: None,
                    last_error: None,
                    last_duration_ms: None,
                    delivered_at: None,
                    created_at: at,
                })
                .collect();
            let queued =
                db.transaction(|conn| webhooks::queue(conn, &hook.id, cursor, last, &deliveries))?;
            if !queued {
                break; // another instance got there first
            }
            cursor = last;
        }
    }
    Ok(())
}

/// A leased delivery with what it takes to send it.
struct Job {
    delivery: WebhookDeliveryRow,
    url: String,
    secret: String,
    body: Vec<u8>,
}

fn claim(db: &Db, owner: &str, lease: Duration) -> Result<Vec<Job>, ApiError> {
    const BATCH: i64 = 32;
    let at = now();
    let until = at + chrono::Duration::from_std(lease).map_err(ApiError::internal)?;
    let leased = db.transaction(|conn| webhooks::claim_due(conn, owner, at, until, BATCH))?;
    if leased.is_empty() {
        return Ok(Vec::new());
    }
    db.read(|conn| {
        let seqs: Vec<i64> = leased.iter().map(|d| d.event_seq).collect();
        let events = webhooks::events(conn, &seqs)?;
        let mut jobs = Vec::with_capacity(leased.len());
        for delivery in leased {
            let hook = webhooks::find(conn, &delivery.webhook_id)?;
            let Some(event) = events.iter().find(|e| e.seq == delivery.event_seq) else {
                return Err(
                    RepoError::Corrupt(format!("delivery {} names no event", delivery.id)).into(),
                );
            };
            let body = DeliveryBody {
                delivery_id: delivery.id.clone(),
                webhook_id: hook.id.clone(),
                event_type: delivery.event_type.clone(),
                attempt: delivery.attempts + 1,
                event: ChangeEventView::from(event.clone()),
            };
            jobs.push(Job {
                body: serde_json::to_vec(&body).map_err(ApiError::internal)?,
                delivery,
                url: hook.url,
                secret: hook.secret,
            });
        }
        Ok(jobs)
    })
}

/// What one attempt gave.
struct Sent {
    delivery: WebhookDeliveryRow,
    status_code: Option<u16>,
    error: Option<String>,
    duration: Duration,
}

async fn send(client: &reqwest::Client, job: Job) -> Sent {
    let timestamp = Utc::now().timestamp();
    let started = Instant::now();
    let result = client
        .post(&job.url)
        .header("Content-Type", "application/json")
        .header("Shuzhuan-Webhook-Id", &job.delivery.webhook_id)
        .header("Shuzhuan-Delivery-Id", &job.delivery.id)
        .header("Shuzhuan-Event-Type", &job.delivery.event_type)
        .header("Shuzhuan-Timestamp", timestamp.to_string())
        .header(
            "Shuzhuan-Signature",
            signature(job.secret.as_bytes(), timestamp, &job.body),
        )
        .body(job.body)
        .send()
        .await;
    let (status_code, error) = match result {
        Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), None),
        Ok(res) => (
            Some(res.status().as_u16()),
            Some(format!("receiver answered {}", res.status())),
        ),
        Err(e) if e.is_timeout() => (None, Some("no answer within the timeout".to_owned())),
        Err(e) => (None, Some(format!("not delivered: {e}"))),
    };
    Sent {
        delivery: job.delivery,
        status_code,
        error,
        duration: started.elapsed(),
    }
}

/// Writes each outcome back and disables webhooks whose run of failures
/// reached the limit.
fn record(
    db: &Db,
    owner: &str,
    settings: &WebhookSettings,
    sent: Vec<Sent>,
) -> Result<(), ApiError> {
    for s in sent {
        let at = now();
        let made = s.delivery.attempts + 1;
        let delivered = s.error.is_none();
        let (status, next) = if delivered {
            ("delivered", at)
        } else if made >= i32::try_from(settings.max_attempts).unwrap_or(i32::MAX) {
            ("failed", at)
        } else {
            let wait = retry_delay(
                settings.retry_base_ms,
                settings.retry_max_ms,
                made.unsigned_abs(),
                rand::random::<f64>(),
            );
            (
                "pending",
                at + chrono::Duration::from_std(wait).map_err(ApiError::internal)?,
            )
        };
        let attempt = webhooks::Attempt {
            at,
            status_code: s.status_code.map(i32::from),
            error: s.error.clone(),
            duration_ms: i64::try_from(s.duration.as_millis()).unwrap_or(i64::MAX),
            status,
            next_attempt_at: next,
        };
        let hook_id = &s.delivery.webhook_id;
        let run = db.transaction(|conn| -> Result<Option<i32>, RepoError> {
            if !webhooks::record_attempt(conn, &s.delivery.id, owner, &attempt)? {
                return Ok(None);
            }
            if delivered {
                webhooks::count_success(conn, hook_id)?;
                Ok(None)
            } else {
                webhooks::count_failure(conn, hook_id).map(Some)
            }
        })?;
        if let Some(run) = run
            && run >= i32::try_from(settings.disable_after).unwrap_or(i32::MAX)
        {
            disable(db, hook_id, run, s.error.as_deref().unwrap_or_default())?;
        }
    }
    Ok(())
}

/// Disables a webhook after a run of failures: a change of its settings,
/// so it is audited and announced like any other.
fn disable(db: &Db, id: &str, run: i32, last_error: &str) -> Result<(), ApiError> {
    db.write(&Actor::system(), |tx| {
        let before = webhooks::find(tx.conn(), id)?;
        if !before.active {
            return Ok(());
        }
        let mut row = before.clone();
        row.active = false;
        row.disabled_reason = Some(format!(
            "disabled after {run} failed attempts in a row; last: {last_error}"
        ));
        row.version += 1;
        row.updated_at = now();
        webhooks::update_settings(tx.conn(), &row, before.version)?;
        tx.record(webhook_change(
            "webhook.disable",
            Some(&before),
            &row,
            Op::Update,
        ));
        log::warn!("webhook {id} disabled after {run} failed attempts");
        Ok::<_, ApiError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_by_type_and_op() {
        let all = EventPattern::parse("*").unwrap_or_else(|| panic!("valid"));
        assert!(all.matches("project", "update"));
        let projects = EventPattern::parse("project.*").unwrap_or_else(|| panic!("valid"));
        assert!(projects.matches("project", "tombstone"));
        assert!(!projects.matches("enterprise", "update"));
        let updates = EventPattern::parse("enterprise.update").unwrap_or_else(|| panic!("valid"));
        assert!(updates.matches("enterprise", "update"));
        assert!(!updates.matches("enterprise", "create"));
        for bad in [
            "",
            "project",
            "project.delete",
            ".update",
            "Project.*",
            "project.*.x",
        ] {
            assert_eq!(EventPattern::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn signature_is_the_hmac_of_timestamp_dot_body() {
        // RFC 4231 has no vector of this shape; the value was computed with
        // `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key`.
        assert_eq!(
            signature(b"key", 1_700_000_000, br#"{"a":1}"#),
            "v1=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"
        );
    }

    #[test]
    fn retry_delays_double_within_their_jitter_and_stop_at_the_cap() {
        for attempts in 1..40 {
            let full = (5_000u64.saturating_mul(2u64.saturating_pow(attempts - 1))).min(3_600_000);
            let low = retry_delay(5_000, 3_600_000, attempts, 0.0);
            let high = retry_delay(5_000, 3_600_000, attempts, 1.0);
            assert_eq!(low, Duration::from_millis(full - full / 2));
            assert_eq!(high, Duration::from_millis(full));
            let mid = retry_delay(5_000, 3_600_000, attempts, 0.5);
            assert!(low <= mid && mid <= high);
        }
        assert_eq!(
            retry_delay(5_000, 3_600_000, 1, 1.0),
            Duration::from_secs(5)
        );
        assert_eq!(
            retry_delay(5_000, 3_600_000, 2, 1.0),
            Duration::from_secs(10)
        );
        assert_eq!(
            retry_delay(5_000, 3_600_000, 30, 1.0),
            Duration::from_secs(3600)
        );
    }
}
