//! The audit log (hash-chained) and the change feed. The feed carries the
//! business records to sync clients; the deployment's internals (users and
//! their grants, sessions, API tokens, webhooks) only to a platform admin
//! (DOMAIN.md §8).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::Session;
use shuzhuan_persistence::repo::audit::{self, AuditFilter, FeedFilter};
use shuzhuan_persistence::rows::{AuditRow, ChangeEventRow};
use shuzhuan_types::{ObjectType, Op};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Result};
use crate::input;
use crate::policy::{self, Right};
use crate::principal::Principal;
use crate::view::{List, code_schema, utc};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<String>,
    /// Username, or `system` for bootstrap and seeding.
    pub actor: String,
    pub action: String,
    #[schema(schema_with = code_schema::<ObjectType>)]
    pub object_type: ObjectType,
    pub object_id: String,
    pub program_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this entry's fields.
    pub hash: String,
}

fn parse_json(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

impl From<AuditRow> for AuditEntryView {
    fn from(r: AuditRow) -> Self {
        AuditEntryView {
            seq: r.seq,
            at: utc(r.at),
            actor_user_id: r.actor_user_id,
            actor: r.actor,
            action: r.action,
            object_type: r.object_type.0,
            object_id: r.object_id,
            program_id: r.program_id,
            before: parse_json(r.before_json),
            after: parse_json(r.after_json),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this object type (`program`, `batch`, `user` …).
    #[param(schema_with = code_schema::<ObjectType>)]
    pub object_type: Option<String>,
    /// Only entries about this object id.
    pub object_id: Option<String>,
    /// Only entries of this programme (required for a city_admin).
    pub program_id: Option<String>,
    /// Sequence number to continue after (`next_cursor` of the last page).
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The sequence number a feed or audit cursor stands for; 400
/// `malformed_cursor` for anything but a non-negative integer.
fn seq_cursor(cursor: Option<&str>) -> Result<Option<i64>> {
    cursor
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(crate::view::malformed_cursor)
        })
        .transpose()
}

fn seq_list<T>(items: Vec<T>, limit: i64, seq: impl Fn(&T) -> i64) -> List<T> {
    let full = i64::try_from(items.len()).unwrap_or(0) == limit;
    let next = if full {
        items.last().map(|i| seq(i).to_string())
    } else {
        None
    };
    List {
        items,
        next_cursor: next,
    }
}

/// Audit entries in sequence order: a platform admin all of them, a
/// city_admin those of their programme (`program_id` then required).
pub fn audit_log(s: &mut Session, who: &Principal, q: AuditQuery) -> Result<List<AuditEntryView>> {
    let reach = who.require(Right::ReadAuditLog)?;
    match &q.program_id {
        Some(p) => {
            policy::require_in_programme(who, Right::ReadAuditLog, p)?;
        }
        None if reach.all => {}
        None => return Err(AppError::Forbidden(Right::ReadAuditLog)),
    }
    let after = seq_cursor(q.cursor.as_deref())?.unwrap_or(0);
    let limit = q.limit.unwrap_or(50);
    let filter = AuditFilter {
        object_type: input::optional_code::<ObjectType>("object_type", q.object_type.as_deref())?,
        object_id: q.object_id,
        program_id: q.program_id,
    };
    let rows = audit::list(s.conn(), &filter, after, limit)?;
    Ok(seq_list(
        rows.into_iter().map(Into::into).collect(),
        limit,
        |e: &AuditEntryView| e.seq,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainVerification {
    /// Whether every entry's hash and link hold and the chain ends at the
    /// recorded head.
    pub intact: bool,
    /// Entries read.
    pub entries: i64,
    /// The stored hash of the last entry.
    pub head_hash: String,
    /// The last entry before the first break and its hash: everything up
    /// to it is proven (seq 0 and the genesis hash when the first entry is
    /// broken). Equal to the head when the chain is intact.
    pub last_good_seq: i64,
    pub last_good_hash: String,
    /// The first entry that does not hold, if any.
    pub first_broken_seq: Option<i64>,
    /// Every break in sequence order (at most 1,000).
    pub breaks: Vec<ChainBreakView>,
    /// Whether there are more breaks than listed.
    pub more_breaks: bool,
}

/// One place where the chain does not hold.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"seq": 273, "through_seq": 273, "kind": "edited"}))]
pub struct ChainBreakView {
    pub seq: i64,
    /// The last sequence number of a run of deleted entries; `seq` otherwise.
    pub through_seq: i64,
    /// `edited` (the content does not match its hash), `deleted` (sequence
    /// numbers missing), `relinked` (the link names another hash: the entry
    /// before was rewritten, or entries were reordered or inserted),
    /// `tail_deleted` (the recorded head names entries that are gone),
    /// `head_mismatch` (the recorded head's hash is not the last entry's).
    #[schema(example = "edited")]
    pub kind: &'static str,
}

/// Recomputes the whole chain (platform admin).
pub fn verify(s: &mut Session, who: &Principal) -> Result<ChainVerification> {
    who.require(Right::VerifyAuditLog)?;
    let report = audit::verify_chain(s.conn())?;
    Ok(ChainVerification {
        intact: report.breaks.is_empty(),
        entries: report.entries,
        head_hash: report.head_hash,
        last_good_seq: report.last_good_seq,
        last_good_hash: report.last_good_hash,
        first_broken_seq: report.breaks.first().map(|b| b.seq),
        breaks: report
            .breaks
            .iter()
            .map(|b| ChainBreakView {
                seq: b.seq,
                through_seq: b.through_seq,
                kind: b.kind.as_str(),
            })
            .collect(),
        more_breaks: report.more_breaks,
    })
}

/// A change event of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeEventView {
    pub seq: i64,
    #[schema(schema_with = code_schema::<ObjectType>)]
    pub object_type: ObjectType,
    pub object_id: String,
    pub program_id: Option<String>,
    pub version: i64,
    /// create, update or tombstone.
    #[schema(schema_with = code_schema::<Op>)]
    pub op: Op,
    pub committed_at: DateTime<Utc>,
    /// The object as committed.
    pub snapshot: serde_json::Value,
}

impl From<ChangeEventRow> for ChangeEventView {
    fn from(r: ChangeEventRow) -> Self {
        ChangeEventView {
            seq: r.seq,
            object_type: r.object_type.0,
            object_id: r.object_id,
            program_id: r.program_id,
            version: r.version,
            op: r.op.0,
            committed_at: utc(r.committed_at),
            snapshot: serde_json::from_str(&r.snapshot).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_cursor` of the previous page (a sequence number), as on
    /// every list; omit to start from the beginning.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// The same as `cursor` (its earlier name); `cursor` wins when both
    /// are given.
    #[param(minimum = 0)]
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    pub after: Option<i64>,
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub program_id: Option<String>,
    /// Only changes of this object type.
    #[param(schema_with = code_schema::<ObjectType>)]
    pub object_type: Option<String>,
}

/// Change events in commit order, each exactly once; keep calling with
/// `next_cursor` (sync clients and the platform; a sync client gets the
/// business records only).
pub fn changes(s: &mut Session, who: &Principal, q: ChangesQuery) -> Result<List<ChangeEventView>> {
    who.require(Right::ReadFeed)?;
    let business_only = who.reach(Right::ReadInternalFeed).is_empty();
    let object_type = input::optional_code::<ObjectType>("object_type", q.object_type.as_deref())?;
    let after = seq_cursor(q.cursor.as_deref())?.or(q.after).unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    let rows = audit::changes_after(
        s.conn(),
        after,
        limit,
        FeedFilter {
            program_id: q.program_id.as_deref(),
            object_type,
            business_only,
        },
    )?;
    // The cursor moves on even when this page is short, so a consumer
    // always resumes after the last event it saw.
    let next = rows
        .last()
        .map(|r| r.seq.to_string())
        .or_else(|| Some(after.to_string()));
    Ok(List {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: next,
    })
}
