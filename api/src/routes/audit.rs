//! The audit log (hash-chained) and the change feed.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::audit::{self, AuditFilter};
use shuzhuan_persistence::rows::{AuditRow, ChangeEventRow};
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{List, Query};
use crate::routes::utc;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<String>,
    /// Username, or `system` for bootstrap and seeding.
    pub actor: String,
    pub action: String,
    pub object_type: String,
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
            object_type: r.object_type,
            object_id: r.object_id,
            program_id: r.program_id,
            before: parse_json(r.before_json),
            after: parse_json(r.after_json),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this object type (`program`, `batch`, `user` …).
    pub object_type: Option<String>,
    /// Only entries about this object id.
    pub object_id: Option<String>,
    /// Only entries of this programme (required for a city_admin).
    pub program_id: Option<String>,
    /// Sequence number to continue after (`next_cursor` of the last page).
    #[param(minimum = 0)]
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    pub cursor: Option<i64>,
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
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

#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries in sequence order", body = List<AuditEntryView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/audit-log")]
pub async fn list_audit_log(
    state: web::Data<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<web::Json<List<AuditEntryView>>, ApiError> {
    // A platform admin reads everything; a city_admin the entries of their
    // programme.
    match &q.program_id {
        Some(p) if !caller.is_platform_admin() => {
            caller.require_program_role(Role::CityAdmin, p, "read the audit log")?
        }
        None => caller.require_platform_admin("read the audit log")?,
        Some(_) => {}
    }
    let after = q.cursor.unwrap_or(0);
    let limit = q.limit.unwrap_or(50);
    let filter = AuditFilter {
        object_type: q.object_type,
        object_id: q.object_id,
        program_id: q.program_id,
    };
    let rows = state
        .read(move |conn| Ok(audit::list(conn, &filter, after, limit)?))
        .await?;
    Ok(web::Json(seq_list(
        rows.into_iter().map(Into::into).collect(),
        limit,
        |e: &AuditEntryView| e.seq,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainVerification {
    /// Whether every entry's hash and link hold and the chain ends at the
    /// recorded head.
    pub intact: bool,
    pub entries: i64,
    pub head_hash: String,
    /// The first entry that does not hold, if any.
    pub first_broken_seq: Option<i64>,
}

#[utoipa::path(
    tag = "audit",
    responses(
        (status = 200, body = ChainVerification),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/audit-log/verify")]
pub async fn verify_audit_log(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<ChainVerification>, ApiError> {
    caller.require_platform_admin("verify the audit log")?;
    let report = state.read(|conn| Ok(audit::verify_chain(conn)?)).await?;
    Ok(web::Json(ChainVerification {
        intact: report.first_broken_seq.is_none(),
        entries: report.entries,
        head_hash: report.head_hash,
        first_broken_seq: report.first_broken_seq,
    }))
}

/// A change event of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeEventView {
    pub seq: i64,
    pub object_type: String,
    pub object_id: String,
    pub program_id: Option<String>,
    pub version: i64,
    /// create, update or tombstone.
    #[schema(example = "create")]
    pub op: String,
    pub committed_at: DateTime<Utc>,
    /// The object as committed.
    pub snapshot: serde_json::Value,
}

impl From<ChangeEventRow> for ChangeEventView {
    fn from(r: ChangeEventRow) -> Self {
        ChangeEventView {
            seq: r.seq,
            object_type: r.object_type,
            object_id: r.object_id,
            program_id: r.program_id,
            version: r.version,
            op: r.op,
            committed_at: utc(r.committed_at),
            snapshot: serde_json::from_str(&r.snapshot).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_cursor` of the previous page (a sequence number); omit to
    /// start from the beginning.
    #[param(minimum = 0)]
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    pub after: Option<i64>,
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub program_id: Option<String>,
    pub object_type: Option<String>,
}

#[utoipa::path(
    tag = "sync",
    params(ChangesQuery),
    responses(
        (status = 200, description = "Change events in commit order; keep calling with `next_cursor`", body = List<ChangeEventView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/sync/changes")]
pub async fn list_changes(
    state: web::Data<AppState>,
    caller: Caller,
    Query(q): Query<ChangesQuery>,
) -> Result<web::Json<List<ChangeEventView>>, ApiError> {
    if !(caller.is_platform_admin() || caller.has_role(Role::SyncClient)) {
        return Err(ApiError::Forbidden("read the change feed"));
    }
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    let rows = state
        .read(move |conn| {
            Ok(audit::changes_after(
                conn,
                after,
                limit,
                q.program_id.as_deref(),
                q.object_type.as_deref(),
            )?)
        })
        .await?;
    // The cursor moves on even when this page is short, so a consumer
    // always resumes after the last event it saw.
    let next = rows
        .last()
        .map(|r| r.seq.to_string())
        .or_else(|| Some(after.to_string()));
    Ok(web::Json(List {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: next,
    }))
}
