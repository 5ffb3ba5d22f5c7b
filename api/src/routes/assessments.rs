//! The MIIT indicator sets and assessments (数字化水平评测): dry runs,
//! self-assessments, diagnoses and acceptances.

use actix_web::{HttpResponse, get, post, web};
use shuzhuan_app::assessments::{
    self as use_case, AssessmentQuery, AssessmentRequest, AssessmentView, IndicatorSetSummary,
    IndicatorSetView,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// List indicator sets
///
/// The MIIT digital-level indicator sets the server has loaded (中小企业数字化水平评测指标).
#[utoipa::path(
    tag = "assessments",
    params(Page),
    responses(
        (status = 200, description = "The loaded indicator sets", body = List<IndicatorSetSummary>),
    ),
    security(("bearer" = []))
)]
#[get("/indicator-sets")]
pub async fn list_indicator_sets(
    state: web::Data<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<web::Json<List<IndicatorSetSummary>>, ApiError> {
    state
        .run(caller, move |_, who| {
            use_case::list_indicator_sets(who, &page)
        })
        .await
        .map(web::Json)
}

/// Read an indicator set
///
/// One indicator set: dimensions, indicators with their options and points,
/// scenarios and the level rules (SCORING.md).
#[utoipa::path(
    tag = "assessments",
    params(("code" = String, Path, description = "Indicator set code", example = "miit-2024-manufacturing")),
    responses(
        (status = 200, body = IndicatorSetView),
        (status = 404, description = "No such indicator set is loaded", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/indicator-sets/{code}")]
pub async fn get_indicator_set(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> Result<web::Json<IndicatorSetView>, ApiError> {
    state
        .run(caller, move |_, who| {
            use_case::get_indicator_set(who, &code)
        })
        .await
        .map(web::Json)
}

/// Record an assessment (数字化水平评测)
///
/// Scores answers against an indicator set and records them: a self-assessment
/// by the enterprise, a diagnosis by the provider (level before), an acceptance
/// by the evaluator (level after); `dry_run` only scores.
#[utoipa::path(
    tag = "assessments",
    params(AssessmentQuery),
    request_body = AssessmentRequest,
    responses(
        (status = 200, description = "Dry run: the result, nothing stored", body = AssessmentView),
        (status = 201, description = "Recorded", body = AssessmentView),
        (status = 403, description = "Your roles may not record this kind", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The enterprise named is not yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown or unloaded indicator set, or answers that do not fit it (each named)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/assessments")]
pub async fn create_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    Query(query): Query<AssessmentQuery>,
    body: Json<AssessmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let out = state
        .run(caller, move |s, who| {
            use_case::create(s, who, &query, body.body())
        })
        .await?;
    Ok(if out.recorded {
        created(out.view)
    } else {
        HttpResponse::Ok().json(out.view)
    })
}

/// Read an assessment
///
/// One assessment with its scorecard: points per dimension, scenario levels,
/// the level reached and the gaps to the next.
#[utoipa::path(
    tag = "assessments",
    params(("id" = String, Path, description = "Assessment id")),
    responses(
        (status = 200, body = AssessmentView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/assessments/{id}")]
pub async fn get_assessment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await
        .map(current)
}
