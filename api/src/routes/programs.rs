//! Programmes (试点) from their packs, their regions and industries, and
//! their batches (批次) with the batch lifecycle.

use actix_web::{HttpResponse, get, patch, post, web};
use shuzhuan_app::packs::{BatchSpec, ProgramPack};
use shuzhuan_app::programs::{
    self as use_case, BatchExtensionRequest, BatchTransitionRequest, BatchView, IndustryView,
    ProgramView, RegionView, UpdateProgramRequest,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, IfMatch, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// List programmes (试点)
///
/// The pilot programmes the caller may read, a page at a time.
#[utoipa::path(
    tag = "programs",
    params(Page),
    responses(
        (status = 200, description = "The programmes in the caller's scope", body = List<ProgramView>),
    ),
    security(("bearer" = []))
)]
#[get("/programs")]
pub async fn list_programs(
    state: web::Data<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<web::Json<List<ProgramView>>, ApiError> {
    state
        .run(caller, move |s, who| use_case::list(s, who, &page))
        .await
        .map(web::Json)
}

/// Create a programme
///
/// Creates a pilot programme from a pack: its regions, industries, batches,
/// targets and policy, as the city's work plan (实施方案) sets them.
#[utoipa::path(
    tag = "programs",
    request_body(content = ProgramPack, description = "A programme pack, the format of the files in `packs/`"),
    responses(
        (status = 201, body = ProgramView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A programme with this code exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs")]
pub async fn create_program(
    state: web::Data<AppState>,
    caller: Caller,
    pack: Json<ProgramPack>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::create(s, who, pack.body()))
        .await
        .map(created)
}

/// Read a programme
///
/// One programme with its settings and pass level; `ETag` carries its version.
#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    responses(
        (status = 200, body = ProgramView, headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}")]
pub async fn get_program(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &program_id))
        .await
        .map(current)
}

/// Change a programme
///
/// Changes a programme's name, dates, pass level or description (`If-Match`
/// required).
#[utoipa::path(
    tag = "programs",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = UpdateProgramRequest,
    responses(
        (status = 200, body = ProgramView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/programs/{program_id}")]
pub async fn update_program(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<UpdateProgramRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::update(s, who, &program_id, expected, body.body())
        })
        .await
        .map(current)
}

/// List a programme's regions (区县/园区)
///
/// The districts, counties and parks the programme is organised by, in the
/// seed's order.
#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses((status = 200, description = "Districts, counties and parks in the seed's order", body = List<RegionView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/regions")]
pub async fn list_regions(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<RegionView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::regions(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// List a programme's industries (细分行业)
///
/// The industry segments the programme transforms.
#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses((status = 200, description = "Industry segments (细分行业)", body = List<IndustryView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/industries")]
pub async fn list_industries(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<IndustryView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::industries(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// List a programme's batches (批次)
///
/// The batches by number with their windows and state.
#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses((status = 200, description = "Batches (批次) by number", body = List<BatchView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/batches")]
pub async fn list_batches(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<BatchView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::batches(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// Plan a batch
///
/// Adds a batch with its application, implementation and acceptance windows.
#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = BatchSpec,
    responses(
        (status = 201, description = "Created in state `planned`", body = BatchView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A batch with this number exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/batches")]
pub async fn create_batch(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    spec: Json<BatchSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_batch(s, who, &program_id, spec.body())
        })
        .await
        .map(created)
}

/// Read a batch
///
/// One batch with its state, windows and the actions that move it on; `ETag`
/// carries its version.
#[utoipa::path(
    tag = "programs",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("batch_id" = String, Path, description = "Batch id"),
    ),
    responses(
        (status = 200, body = BatchView, headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/batches/{batch_id}")]
pub async fn get_batch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_batch(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}

/// Move a batch on
///
/// Opens a batch for applications, starts implementation, starts acceptance or
/// closes it (`If-Match` required).
#[utoipa::path(
    tag = "programs",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("batch_id" = String, Path, description = "Batch id"),
        ("If-Match" = String, Header, description = "ETag of the batch version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = BatchTransitionRequest,
    responses(
        (status = 200, description = "The batch in its new state", body = BatchView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The action is not allowed from the batch's state; `batch_window_passed` when opening a batch whose application dates have passed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/batches/{batch_id}/transitions")]
pub async fn transition_batch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    IfMatch(expected): IfMatch,
    body: Json<BatchTransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::transition_batch(s, who, (&path.0, &path.1), expected, body.body())
        })
        .await
        .map(current)
}

/// Extend a batch's dates (延期)
///
/// The city office moves the application close, implementation end or
/// acceptance end of a batch later, with the reason (a notice, a
/// decision), which the audit log and the change feed keep. A batch's dates
/// bound what it takes: applications between its open and close dates,
/// acceptance requests until its acceptance end (`outside_batch_dates`);
/// an extension is how a city gives more time. `If-Match` required.
#[utoipa::path(
    tag = "programs",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`changji`)"),
        ("batch_id" = String, Path, description = "Batch id"),
        ("If-Match" = String, Header, description = "ETag of the batch version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = BatchExtensionRequest,
    responses(
        (status = 200, description = "The batch with its extended dates", body = BatchView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No date named, a date moved earlier (`not_an_extension`) or dates out of order (`date_order`)", body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/batches/{batch_id}/extensions")]
pub async fn extend_batch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    IfMatch(expected): IfMatch,
    body: Json<BatchExtensionRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::extend_batch(s, who, (&path.0, &path.1), expected, body.body())
        })
        .await
        .map(current)
}
