//! The KPI targets (目标) of a programme: the table with its roll-up
//! warnings, one target at a time, or the whole table imported.

use actix_web::{HttpResponse, get, post, web};
use shuzhuan_app::Page;
use shuzhuan_app::imports::{ImportQuery, ImportReport};
use shuzhuan_app::targets::{self as use_case, TargetSpec, TargetTable, TargetView};

use crate::error::{ApiError, Problem};
use crate::extract::{AcceptLang, Caller, Json, Query};
use crate::import::{self, Import};
use crate::respond::{created, current};
use crate::state::AppState;

/// List targets (目标)
///
/// The programme's targets by metric and scope (year, industry, region), with a
/// warning per total whose parts do not add up.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, description = "Every target of the programme, and a warning per total whose parts do not add up", body = TargetTable),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/targets")]
pub async fn list_targets(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<TargetTable>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// Set a target
///
/// Sets one target: a metric for a scope with its value (count, basis points or
/// fen).
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = TargetSpec,
    responses(
        (status = 201, description = "Created", body = TargetView),
        (status = 403, description = "Targets are the city_admin's", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`target_exists` for this metric and scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/targets")]
pub async fn create_target(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<TargetSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// Import targets
///
/// Imports a target table from CSV (UTF-8 or GBK) as officials write it, atomic
/// or partial.
#[utoipa::path(
    tag = "monitoring",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first report instead of running again (1–200 visible ASCII characters)", max_length = 200),
    ),
    request_body(
        description = "A target table: CSV (UTF-8, BOM or GB18030, detected), NDJSON or a JSON array; columns by field name or title (指标, 目标值, 金额(万元), 年度, 行业, 地区, 累计, 实际值, 来源, 备注). Metrics by key or Chinese name; shares as `95%`; industries and regions by code or the programme's name.",
        content(
            (String = "text/csv", example = "指标,年度,地区,目标值\nenterprises_transformed,2026,贺兰县,37\nenterprises_transformed,2027,贺兰县,16\n"),
            (String = "application/x-ndjson"),
            (Vec<TargetSpec> = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "The report; `warnings` names every total whose parts do not add up", body = ImportReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`import_rejected`: an atomic import with failed rows wrote nothing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/targets/import")]
pub async fn import_targets(
    state: web::Data<AppState>,
    caller: Caller,
    lang: AcceptLang,
    program_id: web::Path<String>,
    request: Import,
) -> Result<HttpResponse, ApiError> {
    import::answer(&state, caller, lang, request, move |s, who, r| {
        use_case::import_targets(s, who, &program_id, r)
    })
    .await
}

/// Read a target
///
/// One target of the programme: metric, scope and value.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ("target_id" = String, Path, description = "Target id")),
    responses(
        (status = 200, description = "The target", body = TargetView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/targets/{target_id}")]
pub async fn get_target(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}
