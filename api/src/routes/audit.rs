//! The audit log (审计日志) with its hash chain, and the change feed the
//! national platform syncs from.

use actix_web::{HttpResponse, get, web};
use shuzhuan_app::List;
use shuzhuan_app::feed::{
    self as use_case, AuditEntryView, AuditQuery, ChainVerification, ChangeEventView, ChangesQuery,
};

use crate::error::{ApiError, Problem};
use crate::export::{self, Listing};
use crate::extract::{Caller, Query};
use crate::state::AppState;
use shuzhuan_app::exports::tables;

/// Read the audit log (审计日志)
///
/// Audit entries in sequence order: who did what to which object, when, with
/// the hash chaining each entry to the previous. A city office reads its
/// programme's (`program_id` required).
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
    listing: Listing<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::AUDIT_LOG,
        use_case::audit_log,
    )
    .await
}

/// Verify the audit chain
///
/// Recomputes the hash chain and lists every break (an entry changed, removed
/// or inserted), so an auditor can prove the log untouched.
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
    state.run(caller, use_case::verify).await.map(web::Json)
}

/// Read the change feed (变更流)
///
/// Every committed change in commit order, each once, for the national platform
/// and other systems: keep calling with `next_cursor` (always present; an empty
/// page means nothing new yet). Sync clients receive business objects only.
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
    state
        .run(caller, move |s, who| use_case::changes(s, who, q))
        .await
        .map(web::Json)
}
