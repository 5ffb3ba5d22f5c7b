//! Subsidies (补贴): the programme's policy versions, quotes, budget
//! pools, decisions with finance's approval, awards, disbursements and
//! each enterprise's ledger (DOMAIN.md §5).

use actix_web::{HttpResponse, get, post, web};
use shuzhuan_app::subsidy::{
    self as use_case, AwardQuoteSpec, AwardQuoteView, AwardRequest, DecisionSpec, DecisionView,
    DisbursementSpec, DisbursementView, EnterpriseLedgerView, FundComplianceView, FundQuery,
    LedgerQuery, PolicySpec, PolicyView, PoolSpec, PoolView, ProgrammeLedgerQuery, QuoteSpec,
    QuoteView,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::export::{self, Listing};
use crate::extract::{AcceptLang, Caller, IfMatch, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;
use shuzhuan_app::exports::tables;

/// List subsidy policies (奖补政策)
///
/// The programme's policy versions, oldest first: rates and caps per level,
/// eligible categories, awards.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses((status = 200, description = "Policy versions, oldest first", body = List<PolicyView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-policies")]
pub async fn list_policies(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<PolicyView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_policies(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// Publish a policy version
///
/// Adds a policy version from its effective date; projects keep the version in
/// force when their plan was approved.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = PolicySpec,
    responses(
        (status = 201, description = "Published as the next version", body = PolicyView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another version was published at the same moment: retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<PolicySpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_policy(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// Quote a subsidy (测算)
///
/// What the rules would pay for line items at a level, explained step by step
/// (eligible sum, rate, caps); writes nothing.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = QuoteSpec,
    responses(
        (status = 200, description = "What the policy in force would pay, step by step", body = QuoteView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, no policy in force, or `policy_sets_no_rate_for_level` (never a quote of zero for want of a rate)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-quotes")]
pub async fn create_quote(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<QuoteSpec>,
) -> Result<web::Json<QuoteView>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_quote(s, who, &program_id, body.body())
        })
        .await
        .map(web::Json)
}

/// Quote an award (奖励测算)
///
/// What an award of the policy in force would pay for the inputs its kind
/// reads (units, a decided amount, a figure, period bases, an instalment),
/// explained step by step; writes nothing.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`shiyan`)")),
    request_body = AwardQuoteSpec,
    responses(
        (status = 200, description = "What the award pays, step by step", body = AwardQuoteView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, no policy in force, an unknown award, or an input the award's kind needs missing (`units_required`, `decided_amount_required`, `figure_required`, `period_bases_required`, `instalment_required`, `condition_required`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/award-quotes")]
pub async fn create_award_quote(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<AwardQuoteSpec>,
) -> Result<web::Json<AwardQuoteView>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_award_quote(s, who, &program_id, body.body())
        })
        .await
        .map(web::Json)
}

/// List budget pools (资金池)
///
/// The programme's budget pools by source with allocated, committed and
/// disbursed sums.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, description = "Pools with total, committed, disbursed and available", body = List<PoolView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/budget-pools")]
pub async fn list_pools(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<PoolView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_pools(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// Create a budget pool
///
/// Adds a budget pool of a fund source (central or local), optionally for a
/// region.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = PoolSpec,
    responses(
        (status = 201, body = PoolView),
        (status = 403, description = "Not the programme's finance", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/budget-pools")]
pub async fn create_pool(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<PoolSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_pool(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// Propose a subsidy decision
///
/// Proposes paying an enterprise or provider from a pool (state `proposed`);
/// finance approves.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = DecisionSpec,
    responses(
        (status = 201, description = "Proposed with the quoted amount; finance approves it", body = DecisionView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rules give nothing to pay, or `enterprise_cap_exceeded`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; `unknown_enterprise` when `enterprise_id` is not an enterprise of this programme, `unknown_pool` likewise", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-decisions")]
pub async fn create_decision(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<DecisionSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_decision(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// Propose an award
///
/// Proposes an award of the policy (a recognition paid a fixed sum or per unit)
/// as a decision.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = AwardRequest,
    responses(
        (status = 201, description = "An award decision, proposed with its computed amount", body = DecisionView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/awards")]
pub async fn create_award(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<AwardRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_award(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// List subsidy decisions
///
/// The programme's decisions with their state and amounts.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, body = List<DecisionView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-decisions")]
pub async fn list_decisions(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    listing: Listing<Page>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::DECISIONS,
        move |s, who, page| use_case::list_decisions(s, who, &program_id, &page),
    )
    .await
}

/// Approve a subsidy decision (核定)
///
/// Finance approves a proposed decision: the pool and the enterprise's cap are
/// checked and committed in one transaction (`If-Match` required).
#[utoipa::path(
    tag = "subsidy",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("decision_id" = String, Path, description = "Decision id"),
        ("If-Match" = String, Header, description = "ETag of the decision version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    responses(
        (status = 200, description = "Approved: the amount is committed against the pool", body = DecisionView),
        (status = 403, description = "Only finance approves", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`pool_exhausted` (the pool has less available), `enterprise_cap_exceeded` (the enterprise's approved total would pass its cap, DOMAIN.md §5), or not proposed any more", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/subsidy-decisions/{decision_id}/approve")]
pub async fn approve_decision(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    IfMatch(expected): IfMatch,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::approve_decision(s, who, (&path.0, &path.1), expected)
        })
        .await
        .map(current)
}

/// Record a payment (拨付)
///
/// Finance records a payment against an approved decision; never beyond what
/// the decision has left.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = DisbursementSpec,
    responses(
        (status = 201, body = DisbursementView),
        (status = 403, description = "Only finance disburses", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`exceeds_decision`: more than the approved decision has left (or it is not approved)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/disbursements")]
pub async fn create_disbursement(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<DisbursementSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_disbursement(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// List payments
///
/// The programme's disbursements.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, body = List<DisbursementView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/disbursements")]
pub async fn list_disbursements(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    listing: Listing<Page>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::DISBURSEMENTS,
        move |s, who, page| use_case::list_disbursements(s, who, &program_id, &page),
    )
    .await
}

/// The programme's subsidy ledger
///
/// Every enterprise with money approved or paid (资金台账), as each one's own
/// ledger reads: approved, received, remaining against the cap per level, any
/// overrun; also as a workbook or CSV.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ProgrammeLedgerQuery),
    responses(
        (status = 200, description = "The enterprises' ledgers in enterprise id order", body = List<EnterpriseLedgerView>),
        (status = 403, description = "Not a reader of the programme's money", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-ledger")]
pub async fn programme_ledger(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    listing: Listing<ProgrammeLedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::LEDGER,
        move |s, who, q| use_case::programme_ledger(s, who, &program_id, q),
    )
    .await
}

/// An enterprise's subsidy ledger
///
/// What an enterprise was approved and paid in the programme, against its cap
/// per level.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ("enterprise_id" = String, Path, description = "Enterprise id"), LedgerQuery),
    responses(
        (status = 200, description = "Approved, paid and remaining against the cap; an overrun (approved past the cap) shows as `overrun_fen`, never hidden", body = EnterpriseLedgerView),
        (status = 403, description = "Neither the enterprise's own staff nor a reader of the programme's money", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The enterprise is not one of this programme's, or not in your reach", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-ledger/enterprises/{enterprise_id}")]
pub async fn enterprise_ledger(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    Query(q): Query<LedgerQuery>,
) -> Result<web::Json<EnterpriseLedgerView>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::ledger(s, who, (&path.0, &path.1), &q)
        })
        .await
        .map(web::Json)
}

/// Read a budget pool
///
/// One budget pool with its sums.
#[utoipa::path(
    tag = "subsidy",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("pool_id" = String, Path, description = "Budget pool id"),
    ),
    responses(
        (status = 200, description = "The pool with what it has committed and paid", body = PoolView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
        (status = 403, description = "Not a reader of the programme's money (finance, city office, auditor, observer)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool in this programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/budget-pools/{pool_id}")]
pub async fn get_pool(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_pool(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}

/// Read a subsidy decision
///
/// One decision; `ETag` carries its version.
#[utoipa::path(
    tag = "subsidy",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("decision_id" = String, Path, description = "Subsidy decision id"),
    ),
    responses(
        (status = 200, description = "The decision; its `ETag` is what an approval's If-Match names", body = DecisionView),
        (status = 403, description = "Not a reader of the programme's money", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such decision in this programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-decisions/{decision_id}")]
pub async fn get_decision(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_decision(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}

/// Read a payment
///
/// One disbursement.
#[utoipa::path(
    tag = "subsidy",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("disbursement_id" = String, Path, description = "Disbursement id"),
    ),
    responses(
        (status = 200, description = "One payment", body = DisbursementView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
        (status = 403, description = "Not a reader of the programme's money", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such disbursement in this programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/disbursements/{disbursement_id}")]
pub async fn get_disbursement(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_disbursement(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}

/// Read a policy version
///
/// One version of the programme's subsidy policy (奖补政策) with its terms.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ("version" = i32, Path, description = "Policy version (1, 2, …)", minimum = 1, maximum = 2147483647)),
    responses(
        (status = 200, description = "The policy version", body = PolicyView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/subsidy-policies/{version}")]
pub async fn get_policy(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_policy(s, who, &path.0, path.1)
        })
        .await
        .map(current)
}

/// Money by source and purpose (资金来源与用途)
///
/// The programme's budget pools summed by source (central, provincial,
/// city, county) and purpose: allocated, committed and disbursed, each
/// purpose's share of its source, and every earmark of the programme
/// (minimum shares, 专款专用) checked against the allocation — the
/// per-source view of the mid-term and final evaluation.
#[utoipa::path(
    tag = "subsidy",
    params(("program_id" = String, Path, description = "Programme id, or its code (`xuchang`)"), FundQuery),
    responses(
        (status = 200, description = "Money by source and purpose with the earmarks checked (`format=xlsx|csv` exports the lines)", body = FundComplianceView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/fund-compliance")]
pub async fn fund_compliance(
    AcceptLang(lang): AcceptLang,
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Listing(q, wants): Listing<FundQuery>,
) -> Result<HttpResponse, ApiError> {
    export::report(
        &state,
        caller,
        (lang, wants),
        &tables::FUNDS,
        move |s, who, _| use_case::fund_compliance(s, who, &program_id, &q),
        |view: &FundComplianceView| &view.lines,
    )
    .await
}
