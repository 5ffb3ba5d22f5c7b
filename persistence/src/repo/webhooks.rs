//! Webhooks and their deliveries. The settings are written through the unit
//! of work like any resource; the delivery bookkeeping (cursor, leases,
//! attempts) is the worker's and runs in plain transactions (see
//! [`Db::transaction`](crate::Db::transaction)).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::repo::{Page, check_updated};
use crate::rows::{ChangeEventRow, WebhookDeliveryRow, WebhookRow};
use crate::schema::{change_events, ledger_head, webhook_deliveries as d, webhooks as w};
use shuzhuan_types::DeliveryStatus;

use crate::{AnyConnection, Coded, RepoError};

pub fn insert(conn: &mut AnyConnection, row: &WebhookRow) -> Result<(), RepoError> {
    diesel::insert_into(w::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<WebhookRow, RepoError> {
    Ok(w::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)?)
}

/// Webhooks in creation order, only `owner`'s when given.
pub fn list(
    conn: &mut AnyConnection,
    owner: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<WebhookRow>, RepoError> {
    let mut q = w::table
        .select(WebhookRow::as_select())
        .order(w::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(owner) = owner {
        q = q.filter(w::owner_user_id.eq(owner.to_owned()));
    }
    if let Some(after) = after {
        q = q.filter(w::id.gt(after.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |r| r.id.clone()))
}

/// Writes the settings a user may change (never the worker's cursor or
/// failure count, which move under it) if the webhook is still at
/// `expected_version`.
pub fn update_settings(
    conn: &mut AnyConnection,
    row: &WebhookRow,
    expected_version: i64,
) -> Result<(), RepoError> {
    let updated = diesel::update(
        w::table
            .filter(w::id.eq(&row.id))
            .filter(w::version.eq(expected_version)),
    )
    .set((
        w::url.eq(&row.url),
        w::secret.eq(&row.secret),
        w::event_types.eq(&row.event_types),
        w::program_id.eq(&row.program_id),
        w::active.eq(row.active),
        w::disabled_reason.eq(&row.disabled_reason),
        w::consecutive_failures.eq(row.consecutive_failures),
        w::failing_since.eq(row.failing_since),
        w::paused_until.eq(row.paused_until),
        w::version.eq(row.version),
        w::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    let current = w::table
        .find(&row.id)
        .select(w::version)
        .first::<i64>(conn)
        .optional()?;
    check_updated(updated, current)
}

/// Removes a webhook and its delivery log.
pub fn delete(conn: &mut AnyConnection, id: &str) -> Result<(), RepoError> {
    diesel::delete(d::table.filter(d::webhook_id.eq(id))).execute(conn)?;
    match diesel::delete(w::table.find(id)).execute(conn)? {
        0 => Err(RepoError::NotFound),
        _ => Ok(()),
    }
}

/// The sequence number of the last committed change event: where a new
/// webhook starts (earlier history is the feed's to page).
pub fn feed_head(conn: &mut AnyConnection) -> Result<i64, RepoError> {
    Ok(ledger_head::table
        .find(1)
        .select(ledger_head::change_seq)
        .first(conn)?)
}

/// The webhooks the worker serves.
pub fn active(conn: &mut AnyConnection) -> Result<Vec<WebhookRow>, RepoError> {
    Ok(w::table
        .filter(w::active.eq(true))
        .select(WebhookRow::as_select())
        .order(w::id)
        .load(conn)?)
}

/// Moves `webhook_id`'s cursor from `from` to `to` and queues `deliveries`,
/// if no one moved it first: the compare-and-set takes the row lock, so of
/// several instances fanning out at once exactly one queues each event.
/// Returns whether this call queued them.
pub fn queue(
    conn: &mut AnyConnection,
    webhook_id: &str,
    from: i64,
    to: i64,
    deliveries: &[WebhookDeliveryRow],
) -> Result<bool, RepoError> {
    let moved = diesel::update(
        w::table
            .filter(w::id.eq(webhook_id))
            .filter(w::event_cursor.eq(from)),
    )
    .set(w::event_cursor.eq(to))
    .execute(conn)?;
    if moved == 0 {
        return Ok(false);
    }
    // Multi-row VALUES compiles only on the inner connections.
    for chunk in deliveries.chunks(500) {
        let insert = diesel::insert_into(d::table).values(chunk);
        match conn {
            AnyConnection::Postgresql(pg) => insert.execute(pg)?,
            AnyConnection::Sqlite(lite) => insert.execute(lite)?,
        };
    }
    Ok(true)
}

/// Leases due deliveries to `owner` until `lease_until`: up to `limit` of
/// webhooks whose receivers answer, and of each failing webhook whose
/// pause has ended one probe (its earliest delivery), its pause moved to
/// the lease's end so no other instance probes at the same time.
pub fn claim_due(
    conn: &mut AnyConnection,
    owner: &str,
    at: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<WebhookDeliveryRow>, RepoError> {
    let healthy = w::table
        .filter(w::active.eq(true))
        .filter(w::failing_since.is_null())
        .select(w::id);
    let due = d::table
        .filter(d::status.eq(Coded(DeliveryStatus::Pending)))
        .filter(d::next_attempt_at.le(at))
        .filter(d::lease_until.is_null().or(d::lease_until.lt(at)))
        .filter(d::webhook_id.eq_any(healthy))
        .order(d::next_attempt_at)
        .select(d::id)
        .limit(limit);
    let mut ids: Vec<String> = match conn {
        AnyConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        AnyConnection::Sqlite(lite) => due.load(lite)?,
    };
    let resting: Vec<String> = w::table
        .filter(w::active.eq(true))
        .filter(w::failing_since.is_not_null())
        .filter(w::paused_until.is_null().or(w::paused_until.le(at)))
        .select(w::id)
        .load(conn)?;
    for hook in resting {
        let probe = d::table
            .filter(d::webhook_id.eq(&hook))
            .filter(d::status.eq(Coded(DeliveryStatus::Pending)))
            .filter(d::lease_until.is_null().or(d::lease_until.lt(at)))
            .order(d::event_seq)
            .select(d::id)
            .first::<String>(conn)
            .optional()?;
        let Some(probe) = probe else { continue };
        let took = diesel::update(
            w::table
                .find(&hook)
                .filter(w::paused_until.is_null().or(w::paused_until.le(at))),
        )
        .set(w::paused_until.eq(lease_until))
        .execute(conn)?;
        if took == 1 {
            ids.push(probe);
        }
    }
    diesel::update(
        d::table
            .filter(d::id.eq_any(&ids))
            .filter(d::lease_until.is_null().or(d::lease_until.lt(at))),
    )
    .set((d::lease_owner.eq(owner), d::lease_until.eq(lease_until)))
    .execute(conn)?;
    let claimed = d::table
        .filter(d::id.eq_any(&ids))
        .filter(d::lease_owner.eq(owner))
        .order(d::event_seq)
        .select(WebhookDeliveryRow::as_select())
        .load(conn)?;
    Ok(claimed)
}

/// Pending deliveries of active webhooks, and when the oldest was queued.
pub fn backlog(conn: &mut AnyConnection) -> Result<(i64, Option<NaiveDateTime>), RepoError> {
    let active = w::table.filter(w::active.eq(true)).select(w::id);
    let pending = d::table
        .filter(d::status.eq(Coded(DeliveryStatus::Pending)))
        .filter(d::webhook_id.eq_any(active));
    let count = pending.count().get_result(conn)?;
    let oldest = pending
        .select(diesel::dsl::min(d::created_at))
        .get_result(conn)?;
    Ok((count, oldest))
}

/// Gives back the deliveries `owner` still leases (a shutting-down
/// worker): due at once, for any instance to take.
pub fn release(
    conn: &mut AnyConnection,
    owner: &str,
    at: NaiveDateTime,
) -> Result<usize, RepoError> {
    Ok(diesel::update(d::table.filter(d::lease_owner.eq(owner)))
        .set((
            d::lease_owner.eq(None::<String>),
            d::lease_until.eq(None::<NaiveDateTime>),
            d::next_attempt_at.eq(at),
        ))
        .execute(conn)?)
}

/// The outcome of one attempt, as the worker writes it back.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// Delivered, pending (retry at `next_attempt_at`) or failed.
    pub status: DeliveryStatus,
    pub next_attempt_at: NaiveDateTime,
}

/// Records an attempt on a delivery `owner` still leases, and releases the
/// lease. Returns false (and writes nothing) when the lease was lost, e.g.
/// it expired and another instance took the delivery over.
pub fn record_attempt(
    conn: &mut AnyConnection,
    delivery_id: &str,
    owner: &str,
    attempt: &Attempt,
) -> Result<bool, RepoError> {
    let delivered_at = (attempt.status == DeliveryStatus::Delivered).then_some(attempt.at);
    let updated = diesel::update(
        d::table
            .filter(d::id.eq(delivery_id))
            .filter(d::lease_owner.eq(owner)),
    )
    .set((
        d::status.eq(Coded(attempt.status)),
        d::attempts.eq(d::attempts + 1),
        d::next_attempt_at.eq(attempt.next_attempt_at),
        d::lease_owner.eq(None::<String>),
        d::lease_until.eq(None::<NaiveDateTime>),
        d::last_attempt_at.eq(attempt.at),
        d::last_status_code.eq(attempt.status_code),
        d::last_error.eq(&attempt.error),
        d::last_duration_ms.eq(attempt.duration_ms),
        d::delivered_at.eq(delivered_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The receiver answered: the breaker closes, and if it had been failing,
/// what waited for it is due at once.
pub fn receiver_answered(
    conn: &mut AnyConnection,
    webhook_id: &str,
    at: NaiveDateTime,
) -> Result<(), RepoError> {
    let recovered = diesel::update(
        w::table.find(webhook_id).filter(
            w::failing_since
                .is_not_null()
                .or(w::consecutive_failures.ne(0)),
        ),
    )
    .set((
        w::consecutive_failures.eq(0),
        w::failing_since.eq(None::<NaiveDateTime>),
        w::paused_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    if recovered == 1 {
        diesel::update(
            d::table
                .filter(d::webhook_id.eq(webhook_id))
                .filter(d::status.eq(Coded(DeliveryStatus::Pending)))
                .filter(d::lease_owner.is_null()),
        )
        .set(d::next_attempt_at.eq(at))
        .execute(conn)?;
    }
    Ok(())
}

/// The receiver failed a whole round: one more failed round, failing since
/// the first, paused until `pause_for(rounds)` from `at`. Returns the
/// rounds and since when it fails.
pub fn receiver_failed(
    conn: &mut AnyConnection,
    webhook_id: &str,
    at: NaiveDateTime,
    pause_for: impl Fn(i32) -> chrono::Duration,
) -> Result<(i32, NaiveDateTime), RepoError> {
    let (rounds, since): (i32, Option<NaiveDateTime>) = w::table
        .find(webhook_id)
        .select((w::consecutive_failures, w::failing_since))
        .first(conn)?;
    let rounds = rounds.saturating_add(1);
    let since = since.unwrap_or(at);
    diesel::update(w::table.find(webhook_id))
        .set((
            w::consecutive_failures.eq(rounds),
            w::failing_since.eq(since),
            w::paused_until.eq(at + pause_for(rounds)),
        ))
        .execute(conn)?;
    Ok((rounds, since))
}

/// The change events with these sequence numbers.
pub fn events(conn: &mut AnyConnection, seqs: &[i64]) -> Result<Vec<ChangeEventRow>, RepoError> {
    Ok(change_events::table
        .filter(change_events::seq.eq_any(seqs))
        .select(ChangeEventRow::as_select())
        .load(conn)?)
}

/// A webhook's delivery log, newest first, optionally of one status.
pub fn deliveries(
    conn: &mut AnyConnection,
    webhook_id: &str,
    status: Option<DeliveryStatus>,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<WebhookDeliveryRow>, RepoError> {
    let mut q = d::table
        .filter(d::webhook_id.eq(webhook_id.to_owned()))
        .select(WebhookDeliveryRow::as_select())
        .order(d::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(status) = status {
        q = q.filter(d::status.eq(Coded(status)));
    }
    if let Some(before) = before {
        q = q.filter(d::id.lt(before.to_owned()));
    }
    Ok(Page::from_rows(q.load(conn)?, limit, |r| r.id.clone()))
}
