//! Projects (项目): application, the lifecycle of DOMAIN.md §4 with its
//! history, the plan, progress reports, and assignments of evaluators,
//! auditors and experts.

use actix_web::{HttpResponse, get, post, put, web};
use shuzhuan_app::projects::{
    self as use_case, AssignmentSpec, AssignmentView, PlanSpec, ProgressSpec, ProgressView,
    ProjectApplication, ProjectQuery, ProjectView, TransitionRequest, TransitionView,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::export::{self, Listing};
use crate::extract::{AcceptLang, Caller, IfMatch, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;
use shuzhuan_app::exports::tables;

/// Apply for a project (申报)
///
/// The enterprise starts a transformation project in an open batch (state
/// `draft`).
#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = ProjectApplication,
    responses(
        (status = 201, description = "A draft project; `submit` applies it", body = ProjectView),
        (status = 403, description = "Only an enterprise applies, for itself", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme or batch", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`batch_not_open`, or `enterprise_not_in_program`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<ProjectApplication>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// List projects (改造项目)
///
/// Projects in your scope, filtered by state, batch, region, enterprise or
/// provider, a page at a time; `GET /projects/{id}` adds what you may do
/// next and why the rest is unavailable.
#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ProjectQuery),
    responses(
        (status = 200, description = "The programme's projects in the caller's scope, in id order", body = List<ProjectView>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    listing: Listing<ProjectQuery>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::PROJECTS,
        move |s, who, q| use_case::list(s, who, &program_id, q),
    )
    .await
}

/// Read a project
///
/// One project with its state, plan, levels, subsidy quote and decision, and
/// `next_actions`: what you may do now and, for the rest, why not; `risk`
/// (its score and flags) for the offices and observers who read risks;
/// `ETag` carries its version.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project with what the caller may do next", body = ProjectView,
         headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 404, description = "Missing or out of the caller's scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}")]
pub async fn get_project(
    AcceptLang(lang): AcceptLang,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id, lang))
        .await
        .map(current)
}

/// Write the plan (改造方案)
///
/// The provider or enterprise writes the plan after the diagnosis: goals, line
/// items by expense category, providers and products (`If-Match` required).
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "ETag of the project version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = PlanSpec,
    responses(
        (status = 200, description = "The project with its plan; `file_plan` files it", body = ProjectView),
        (status = 403, description = "Only the project's provider or enterprise writes the plan", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`plan_locked`: the plan is filed or approved", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The project changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Each problem named: dates, totals, providers outside the pool, products outside the library", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/projects/{id}/plan")]
pub async fn put_plan(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<PlanSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::put_plan(s, who, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// Move a project on
///
/// Takes one action of the project's life (DOMAIN.md §4) with the fields it
/// needs (`If-Match` required); who may take which action is the lifecycle's
/// table below.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "Project id"),
        ("If-Match" = String, Header, description = "ETag of the project version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The project after the step", body = ProjectView),
        (status = 403, description = "Your roles may not take this action", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Missing or out of the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`transition_not_allowed`, `batch_window_closed`, `outside_batch_dates`, `county_approval_first`, `already_approved`, `documents_missing`, `plan_missing`, `provider_not_admitted`, `pool_exhausted`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The project moved on since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field the action needs is missing or wrong; `policy_sets_no_rate_for_level` when the programme's policy sets no rate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/transitions")]
pub async fn transition_project(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::transition(s, who, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// A project's history
///
/// Every transition of the project: action, from, to, who, when and what the
/// step took.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), Page),
    responses(
        (status = 200, description = "Every transition in order: who, when, from, to, comment", body = List<TransitionView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/history")]
pub async fn project_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<TransitionView>>, ApiError> {
    state
        .run(caller, move |s, who| use_case::history(s, who, &id, &page))
        .await
        .map(web::Json)
}

/// Report progress
///
/// The enterprise or provider reports progress while the project implements,
/// with evidence documents.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = ProgressSpec,
    responses(
        (status = 201, description = "Recorded; the project's progress follows it", body = ProgressView),
        (status = 403, description = "Only the project's provider reports progress", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_implementing`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/progress-reports")]
pub async fn create_progress_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<ProgressSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_progress(s, who, &id, body.body())
        })
        .await
        .map(created)
}

/// List progress reports
///
/// The project's progress reports, oldest first.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), Page),
    responses(
        (status = 200, description = "The project's progress reports, oldest first", body = List<ProgressView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/progress-reports")]
pub async fn list_progress_reports(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<ProgressView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_progress(s, who, &id, &page)
        })
        .await
        .map(web::Json)
}

/// Assign to a project
///
/// Assigns an evaluator, auditor or expert of the programme to a project for a
/// period.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = AssignmentSpec,
    responses(
        (status = 201, description = "Assigned: the project is now in that user's scope", body = AssignmentView),
        (status = 403, description = "Only the programme's city_admin assigns", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already assigned", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`role_not_held`: the user holds no such grant in the programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/assignments")]
pub async fn create_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<AssignmentSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_assignment(s, who, &id, body.body())
        })
        .await
        .map(created)
}

/// Read a progress report
///
/// One progress report of the project.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("report_id" = String, Path, description = "Progress report id")),
    responses(
        (status = 200, description = "The report", body = ProgressView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/progress-reports/{report_id}")]
pub async fn get_progress_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_progress(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}

/// Read an assignment
///
/// One assignment of the project: the user in the role.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("role" = String, Path, description = "`evaluator`, `auditor` or `expert`"), ("user_id" = String, Path, description = "The assigned user's id")),
    responses(
        (status = 200, description = "The assignment", body = AssignmentView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/assignments/{role}/{user_id}")]
pub async fn get_assignment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_assignment(s, who, &path.0, (&path.1, &path.2))
        })
        .await
        .map(current)
}

/// List a project's assignments
///
/// The evaluators, auditors and experts assigned to the project, by role and
/// user.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), Page),
    responses((status = 200, description = "The assignments", body = List<AssignmentView>)),
    security(("bearer" = []))
)]
#[get("/projects/{id}/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<AssignmentView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_assignments(s, who, &id, &page)
        })
        .await
        .map(web::Json)
}
