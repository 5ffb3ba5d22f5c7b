//! Promotion (推广): benchmarks (标杆/典型案例) nominated and decided,
//! events, and the finance products offered to pilot enterprises.

use actix_web::{HttpResponse, get, patch, post, web};
use shuzhuan_app::promotion::{
    self as use_case, BenchmarkView, BenchmarksQuery, DecideBenchmark, EventSpec, EventView,
    FinanceProductSpec, FinanceProductView, NominateBenchmark,
};
use shuzhuan_app::{List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, IfMatch, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// Nominate a benchmark (标杆)
///
/// Nominates an enterprise, provider or product as a benchmark of a kind (小灯塔,
/// smart factory, excellent provider…).
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = NominateBenchmark,
    responses(
        (status = 201, description = "Nominated", body = BenchmarkView),
        (status = 403, description = "Offices nominate anyone; enterprises and providers themselves", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_nominated` for this kind and year", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_subject`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/benchmarks")]
pub async fn nominate_benchmark(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<NominateBenchmark>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::nominate(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// List benchmarks
///
/// The programme's nominations and benchmarks, filtered by kind or status.
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), BenchmarksQuery),
    responses(
        (status = 200, description = "Nominations and decisions, oldest first", body = List<BenchmarkView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/benchmarks")]
pub async fn list_benchmarks(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(q): Query<BenchmarksQuery>,
) -> Result<web::Json<List<BenchmarkView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_benchmarks(s, who, &program_id, q)
        })
        .await
        .map(web::Json)
}

/// Review or decide a benchmark
///
/// Moves a nomination to review, recognises it or rejects it with a reason
/// (`If-Match` required).
#[utoipa::path(
    tag = "promotion",
    params(
        ("id" = String, Path, description = "Benchmark id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = DecideBenchmark,
    responses(
        (status = 200, body = BenchmarkView),
        (status = 403, description = "Review: city_admin or expert; decision: city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`transition_not_allowed`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/benchmarks/{id}")]
pub async fn decide_benchmark(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<DecideBenchmark>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::decide(s, who, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// Record an event
///
/// Records a matchmaking event (供需对接) or a training with its participants.
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = EventSpec,
    responses(
        (status = 201, description = "Recorded", body = EventView),
        (status = 403, description = "The city_admin, or a county_admin for their region", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_region`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/events")]
pub async fn create_event(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<EventSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_event(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// List events
///
/// The programme's events in the order recorded.
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, description = "Events in the order recorded", body = List<EventView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<EventView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_events(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// Record a finance product
///
/// Records a digital-transformation finance product (loan, insurance…) offered
/// in the programme.
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = FinanceProductSpec,
    responses(
        (status = 201, description = "Recorded", body = FinanceProductView),
        (status = 403, description = "The city_admin or finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/finance-products")]
pub async fn create_finance_product(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<FinanceProductSpec>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::create_finance_product(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// List finance products
///
/// The programme's finance products.
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, description = "Finance products in the order recorded", body = List<FinanceProductView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/finance-products")]
pub async fn list_finance_products(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<FinanceProductView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list_finance_products(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// Read a benchmark
///
/// One benchmark nomination (标杆) with its status and the statuses it may move
/// to.
#[utoipa::path(
    tag = "promotion",
    params(("id" = String, Path, description = "Benchmark id")),
    responses(
        (status = 200, description = "The nomination", body = BenchmarkView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/benchmarks/{id}")]
pub async fn get_benchmark(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get_benchmark(s, who, &path))
        .await
        .map(current)
}

/// Read an event
///
/// One matchmaking event (供需对接) or training of the programme.
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ("event_id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The event", body = EventView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/events/{event_id}")]
pub async fn get_event(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_event(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}

/// Read a finance product
///
/// One finance product of the programme.
#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ("finance_product_id" = String, Path, description = "Finance product id")),
    responses(
        (status = 200, description = "The finance product", body = FinanceProductView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/finance-products/{finance_product_id}")]
pub async fn get_finance_product(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_finance_product(s, who, &path.0, &path.1)
        })
        .await
        .map(current)
}
