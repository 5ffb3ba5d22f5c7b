//! The webhook outbox: what the delivery worker does, but the sending.
//!
//! The change feed is the outbox. Each webhook keeps a cursor into it;
//! [`fan_out`] turns the events after the cursor into delivery rows in the
//! same transaction that moves the cursor (a compare-and-set, so of several
//! instances exactly one queues each event) — only the events its owner may
//! read: a sync client's webhook carries the business records, never the
//! deployment's internals. [`claim`] leases due deliveries (`FOR UPDATE
//! SKIP LOCKED` on PostgreSQL) as [`Job`]s with their signed bodies;
//! [`record`] writes each outcome back and disables a webhook after a run
//! of failures. Everything lives in the database: a restart, or a second
//! instance, picks up where the last left off.
//!
//! A delivery is `POST {url}` with the JSON body [`DeliveryBody`] and the
//! headers `Shuzhuan-Webhook-Id`, `Shuzhuan-Delivery-Id`,
//! `Shuzhuan-Event-Type`, `Shuzhuan-Timestamp` (Unix seconds) and
//! `Shuzhuan-Signature` (`v1=` and the hex HMAC-SHA256, keyed with the
//! webhook's secret, of `{timestamp}.{body}`). Any 2xx is success; anything
//! else is retried after an exponentially growing, jittered delay
//! ([`retry_delay`]) until the attempts run out.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use shuzhuan_persistence::repo::audit::{self, FeedFilter};
use shuzhuan_persistence::repo::webhooks;
use shuzhuan_persistence::rows::{ChangeEventRow, WebhookDeliveryRow, WebhookRow};
use shuzhuan_persistence::{Actor, Coded, Db, RepoError, new_id, now};
use shuzhuan_types::{Code, DeliveryStatus, Op};
use utoipa::ToSchema;

use super::webhook_change;
use crate::error::{AppError, Result};
use crate::feed::ChangeEventView;
use crate::policy::{Right, reach_of};
use crate::principal;

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
            other => Some(Op::from_code(other)?),
        };
        valid_type.then(|| EventPattern {
            object_type: Some(object_type.to_owned()),
            op,
        })
    }

    pub fn matches(&self, object_type: &str, op: Op) -> bool {
        self.object_type.as_deref().is_none_or(|t| t == object_type)
            && self.op.is_none_or(|o| o == op)
    }
}

/// The event type a delivery announces: `{object_type}.{op}`.
pub fn event_type(event: &ChangeEventRow) -> String {
    format!("{}.{}", event.object_type.code(), event.op.code())
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

/// How deliveries are retried and when a webhook gives up.
#[derive(Debug, Clone)]
pub struct Retry {
    pub base_ms: u64,
    pub max_ms: u64,
    /// Attempts per delivery, while its receiver otherwise answers, before
    /// it is marked failed (a delivery the receiver keeps refusing).
    pub max_attempts: u32,
    /// How long a receiver may fail without a break before its webhook is
    /// disabled.
    pub disable_after: Duration,
}

impl Retry {
    fn delay(&self, attempts: u32) -> chrono::Duration {
        let wait = retry_delay(self.base_ms, self.max_ms, attempts, rand::random::<f64>());
        chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
    }
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

/// Which events a webhook's owner may have delivered: none when the owner
/// no longer reads the feed (deactivated, or the role revoked), the
/// business records for a sync client, everything for a platform admin.
fn owner_reads(
    conn: &mut shuzhuan_persistence::AnyConnection,
    hook: &WebhookRow,
) -> Result<Option<bool>> {
    let Some(owner) = principal::of_user(conn, &hook.owner_user_id)? else {
        return Ok(None);
    };
    if reach_of(&owner.user_id, &owner.grants, Right::ReadFeed).is_empty() {
        return Ok(None);
    }
    let business_only = reach_of(&owner.user_id, &owner.grants, Right::ReadInternalFeed).is_empty();
    Ok(Some(business_only))
}

/// Queues the events after each active webhook's cursor.
pub fn fan_out(db: &Db) -> Result<()> {
    const PAGE: i64 = 500;
    let hooks = db.read(|conn| Ok::<_, AppError>(webhooks::active(conn)?))?;
    for hook in hooks {
        let Some(business_only) = db.read(|conn| owner_reads(conn, &hook))? else {
            continue;
        };
        let patterns: Vec<EventPattern> = hook
            .event_types
            .iter()
            .filter_map(|p| EventPattern::parse(p))
            .collect();
        let mut cursor = hook.event_cursor;
        loop {
            // Internal events the owner may not read are passed over; the
            // cursor moves past them all the same.
            let page = db.read(|conn| {
                audit::changes_after(
                    conn,
                    cursor,
                    PAGE,
                    FeedFilter {
                        program_id: hook.program_id.as_deref(),
                        ..Default::default()
                    },
                )
            })?;
            let Some(last) = page.last().map(|e| e.seq) else {
                break;
            };
            let at = now();
            let deliveries: Vec<WebhookDeliveryRow> = page
                .iter()
                .filter(|e| !(business_only && e.object_type.is_internal()))
                .filter(|e| {
                    patterns
                        .iter()
                        .any(|p| p.matches(e.object_type.code(), *e.op))
                })
                .map(|e| WebhookDeliveryRow {
                    id: new_id(),
                    webhook_id: hook.id.clone(),
                    event_seq: e.seq,
                    event_type: event_type(e),
                    status: Coded(DeliveryStatus::Pending),
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
pub struct Job {
    pub delivery: WebhookDeliveryRow,
    pub url: String,
    pub secret: String,
    pub body: Vec<u8>,
}

/// Leases up to `batch` due deliveries to `owner` for `lease`, with their
/// bodies.
pub fn claim(db: &Db, owner: &str, lease: Duration, batch: i64) -> Result<Vec<Job>> {
    let at = now();
    let until = at + chrono::Duration::from_std(lease).map_err(AppError::internal)?;
    let leased = db.transaction(|conn| webhooks::claim_due(conn, owner, at, until, batch))?;
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
                body: serde_json::to_vec(&body).map_err(AppError::internal)?,
                delivery,
                url: hook.url,
                secret: hook.secret,
            });
        }
        Ok(jobs)
    })
}

/// What one attempt gave.
pub struct Sent {
    pub delivery: WebhookDeliveryRow,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration: Duration,
}

/// Writes each outcome back, per webhook in delivery order, and works its
/// circuit breaker. A round in which the receiver answered anything
/// closes the breaker (and makes what waited for it due at once); a round
/// in which every attempt failed counts once, however many went out
/// together, and pauses the webhook with backoff until one probe is due.
/// A delivery is marked failed only when it keeps failing while its
/// receiver answers others; while the receiver is down nothing is given
/// up, and only a receiver failing for `disable_after` disables the
/// webhook.
pub fn record(db: &Db, owner: &str, retry: &Retry, mut sent: Vec<Sent>) -> Result<()> {
    sent.sort_by(|a, b| {
        (&a.delivery.webhook_id, a.delivery.event_seq)
            .cmp(&(&b.delivery.webhook_id, b.delivery.event_seq))
    });
    for round in sent.chunk_by(|a, b| a.delivery.webhook_id == b.delivery.webhook_id) {
        let hook_id = round[0].delivery.webhook_id.clone();
        let answered = round.iter().any(|s| s.error.is_none());
        let at = now();
        type Failing = Option<(i32, chrono::NaiveDateTime)>;
        let failing = db.transaction(|conn| -> std::result::Result<Failing, RepoError> {
            let mut kept = false;
            for s in round {
                let attempt = attempt_of(s, answered, retry, at);
                kept |= webhooks::record_attempt(conn, &s.delivery.id, owner, &attempt)?;
            }
            if !kept {
                // Every lease was lost (taken over): another worker counts.
                Ok(None)
            } else if answered {
                webhooks::receiver_answered(conn, &hook_id, at)?;
                Ok(None)
            } else {
                let pause = |rounds: i32| retry.delay(rounds.unsigned_abs());
                Ok(Some(webhooks::receiver_failed(conn, &hook_id, at, pause)?))
            }
        })?;
        if let Some((rounds, since)) = failing
            && (at - since).to_std().unwrap_or_default() >= retry.disable_after
        {
            let last = round
                .last()
                .and_then(|s| s.error.as_deref())
                .unwrap_or_default();
            disable(db, &hook_id, rounds, since, last)?;
        }
    }
    Ok(())
}

/// The outcome of one attempt as stored.
fn attempt_of(
    s: &Sent,
    answered: bool,
    retry: &Retry,
    at: chrono::NaiveDateTime,
) -> webhooks::Attempt {
    let made = s.delivery.attempts.saturating_add(1);
    let (status, next) = match &s.error {
        None => (DeliveryStatus::Delivered, at),
        Some(_) if answered && made.unsigned_abs() >= retry.max_attempts => {
            (DeliveryStatus::Failed, at)
        }
        Some(_) => (
            DeliveryStatus::Pending,
            at + retry.delay(made.unsigned_abs()),
        ),
    };
    webhooks::Attempt {
        at,
        status_code: s.status_code.map(i32::from),
        error: s.error.clone(),
        duration_ms: i64::try_from(s.duration.as_millis()).unwrap_or(i64::MAX),
        status,
        next_attempt_at: next,
    }
}

/// How many deliveries wait, and how long the oldest has (for metrics).
pub fn backlog(db: &Db) -> Result<(i64, Option<Duration>)> {
    let (pending, oldest) = db.read(webhooks::backlog)?;
    let age = oldest.map(|at| (now() - at).to_std().unwrap_or_default());
    Ok((pending, age))
}

/// Gives back what `owner` still leases (a worker that is shutting down):
/// due at once, for this or another instance to send.
pub fn release(db: &Db, owner: &str) -> Result<usize> {
    Ok(db.transaction(|conn| webhooks::release(conn, owner, now()))?)
}

/// Disables a webhook whose receiver failed for too long: a change of its
/// settings, so it is audited and announced like any other.
fn disable(
    db: &Db,
    id: &str,
    rounds: i32,
    since: chrono::NaiveDateTime,
    last_error: &str,
) -> Result<()> {
    db.write(&Actor::system(), |tx| {
        let before = webhooks::find(tx.conn(), id)?;
        if !before.active {
            return Ok(());
        }
        let mut row = before.clone();
        row.active = false;
        row.disabled_reason = Some(format!(
            "disabled: the receiver has failed since {} ({rounds} rounds of attempts); last: {last_error}",
            crate::view::utc(since).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
        row.paused_until = None;
        row.version += 1;
        row.updated_at = now();
        webhooks::update_settings(tx.conn(), &row, before.version)?;
        tx.record(webhook_change(
            "webhook.disable",
            Some(&before),
            &row,
            Op::Update,
        ));
        log::warn!("webhook {id} disabled: its receiver has failed for {rounds} rounds since {since}");
        Ok::<_, AppError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_by_type_and_op() {
        let all = EventPattern::parse("*").unwrap_or_else(|| panic!("valid"));
        assert!(all.matches("project", Op::Update));
        let projects = EventPattern::parse("project.*").unwrap_or_else(|| panic!("valid"));
        assert!(projects.matches("project", Op::Tombstone));
        assert!(!projects.matches("enterprise", Op::Update));
        let updates = EventPattern::parse("enterprise.update").unwrap_or_else(|| panic!("valid"));
        assert!(updates.matches("enterprise", Op::Update));
        assert!(!updates.matches("enterprise", Op::Create));
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
