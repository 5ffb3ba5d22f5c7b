//! Spot checks (抽查): a reproducible random draw of projects, and the
//! findings recorded on each.

use actix_web::{HttpResponse, get, post, web};
use shuzhuan_app::spot_checks::{
    self as use_case, CreateFinding, CreateSpotCheck, FindingView, SpotCheckView,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// Draw a spot check (双随机、一公开)
///
/// Draws projects and inspectors at random from a published seed, so anyone can
/// recompute the draw.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = CreateSpotCheck,
    responses(
        (status = 201, description = "Drawn and published: seed, ordered candidate lists, the draw and the algorithm to recompute it", body = SpotCheckView),
        (status = 403, description = "Spot checks are the city_admin's", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An inspector without the expert or evaluator role, an unknown state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/spot-checks")]
pub async fn create_spot_check(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<CreateSpotCheck>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// List spot checks
///
/// The programme's draws with their seeds, populations and results.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, description = "The programme's spot checks, oldest first", body = List<SpotCheckView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/spot-checks")]
pub async fn list_spot_checks(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<SpotCheckView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// Read a spot check
///
/// One draw with the projects and inspectors drawn and the findings.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "Spot check id")),
    responses(
        (status = 200, body = SpotCheckView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/spot-checks/{id}")]
pub async fn get_spot_check(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<SpotCheckView>, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await
        .map(web::Json)
}

/// Record a finding
///
/// The drawn inspector (or the pilot office) records the outcome of checking a
/// drawn project.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "Spot check id")),
    request_body = CreateFinding,
    responses(
        (status = 201, description = "Recorded; a finding other than `compliant` lets the city_admin disqualify the project (`disqualify` with this `spot_check_id`)", body = FindingView),
        (status = 403, description = "Only the inspector drawn for the project, or the city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`finding_exists` for this project", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not_drawn`: the project is not in the draw", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/spot-checks/{id}/findings")]
pub async fn create_finding(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<CreateFinding>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_finding(s, who, &id, body.body())
        })
        .await
        .map(created)
}

/// List findings
///
/// The findings of one spot check, in the order recorded.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "Spot check id"), Page),
    responses(
        (status = 200, description = "The findings, in the order recorded", body = List<FindingView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/spot-checks/{id}/findings")]
pub async fn list_findings(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<FindingView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_findings(s, who, &id, &page)
        })
        .await
        .map(web::Json)
}

/// Read a finding
///
/// One finding of the spot check.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = String, Path, description = "Spot check id"), ("finding_id" = String, Path, description = "Finding id")),
    responses(
        (status = 200, description = "The finding", body = FindingView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/spot-checks/{id}/findings/{finding_id}")]
pub async fn get_finding(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_finding(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}
