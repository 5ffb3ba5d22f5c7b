//! The provider pool (服务商资源池) and the product library (产品库) of
//! each programme: apply, list, and the pilot office's decisions.

use actix_web::{HttpResponse, get, patch, post, web};
use shuzhuan_app::admissions::{
    self as use_case, AdmissionChange, AdmissionView, LibraryApplication, LibraryQuery,
    PoolApplication, PoolQuery,
};
use shuzhuan_app::{Expected, List};
use shuzhuan_lifecycle::AdmissionKind;

use crate::error::{ApiError, Problem};
use crate::export::{self, Listing};
use crate::extract::{Caller, IfMatch, Json};
use crate::respond::{created, current};
use crate::state::AppState;
use shuzhuan_app::exports::tables;

const IF_MATCH: &str = "ETag of the version you read";

/// List a programme's provider pool (服务商资源池)
///
/// The providers that applied to or are in the programme's pool, with status,
/// grade and consortium; filter by status.
#[utoipa::path(
    tag = "providers",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), PoolQuery),
    responses((status = 200, description = "The programme's provider pool", body = List<AdmissionView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/provider-pool")]
pub async fn list_pool(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    listing: Listing<PoolQuery>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::POOL,
        move |s, who, q: PoolQuery| {
            let page = q.page();
            use_case::list(
                s,
                who,
                &program_id,
                AdmissionKind::ProviderPool,
                q.status.as_deref(),
                &page,
            )
        },
    )
    .await
}

/// Apply to the provider pool
///
/// A provider applies to join the programme's pool (status `applied`); the
/// pilot office decides.
#[utoipa::path(
    tag = "providers",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = PoolApplication,
    responses(
        (status = 201, description = "Applied (status `applied`)", body = AdmissionView),
        (status = 403, description = "Only the provider's staff or the programme's pilot office apply", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_applied`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/provider-pool")]
pub async fn apply_to_pool(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<PoolApplication>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::apply_to_pool(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// Decide on a pool entry
///
/// The pilot office admits, suspends or removes a provider (a reason where the
/// change needs one), grades it or records its consortium (`If-Match`
/// required).
#[utoipa::path(
    tag = "providers",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("provider_id" = String, Path, description = "Provider id"),
        ("If-Match" = String, Header, description = IF_MATCH, pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = AdmissionChange,
    responses(
        (status = 200, body = AdmissionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`status_transition_not_allowed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/programs/{program_id}/provider-pool/{provider_id}")]
pub async fn change_pool_entry(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    IfMatch(expected): IfMatch,
    body: Json<AdmissionChange>,
) -> Result<HttpResponse, ApiError> {
    change(
        state,
        caller,
        path,
        AdmissionKind::ProviderPool,
        expected,
        body,
    )
    .await
}

/// List a programme's product library (产品库)
///
/// The products submitted to or listed in the programme's library; filter by
/// status.
#[utoipa::path(
    tag = "products",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), LibraryQuery),
    responses((status = 200, description = "The programme's product library", body = List<AdmissionView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/product-library")]
pub async fn list_library(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    listing: Listing<LibraryQuery>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::LIBRARY,
        move |s, who, q: LibraryQuery| {
            let page = q.page();
            use_case::list(
                s,
                who,
                &program_id,
                AdmissionKind::ProductLibrary,
                q.status.as_deref(),
                &page,
            )
        },
    )
    .await
}

/// Submit a product to the library
///
/// A provider submits one of its products to the programme's library (status
/// `submitted`).
#[utoipa::path(
    tag = "products",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = LibraryApplication,
    responses(
        (status = 201, description = "Submitted (status `submitted`)", body = AdmissionView),
        (status = 403, description = "Only the provider's staff or the programme's pilot office submit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_applied`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/product-library")]
pub async fn submit_to_library(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<LibraryApplication>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::submit_to_library(s, who, &program_id, body.body())
        })
        .await
        .map(created)
}

/// Decide on a library entry
///
/// The pilot office lists, recommends or delists a product (a reason where
/// needed; `If-Match` required).
#[utoipa::path(
    tag = "products",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("product_id" = String, Path, description = "Product id"),
        ("If-Match" = String, Header, description = IF_MATCH, pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = AdmissionChange,
    responses(
        (status = 200, body = AdmissionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`status_transition_not_allowed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/programs/{program_id}/product-library/{product_id}")]
pub async fn change_library_entry(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    IfMatch(expected): IfMatch,
    body: Json<AdmissionChange>,
) -> Result<HttpResponse, ApiError> {
    change(
        state,
        caller,
        path,
        AdmissionKind::ProductLibrary,
        expected,
        body,
    )
    .await
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    kind: AdmissionKind,
    expected: Expected,
    body: Json<AdmissionChange>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            let (program_id, member_id) = path.into_inner();
            use_case::change_entry(
                s,
                who,
                (&program_id, &member_id),
                kind,
                expected,
                body.body(),
            )
        })
        .await
        .map(current)
}

/// Read a provider pool entry
///
/// One provider's entry in the programme's pool: status, grade, consortium and
/// the statuses it may move to.
#[utoipa::path(
    tag = "providers",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ("provider_id" = String, Path, description = "Provider id")),
    responses(
        (status = 200, description = "The pool entry", body = AdmissionView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/provider-pool/{provider_id}")]
pub async fn get_pool_entry(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_entry(s, who, (&path.0, &path.1), AdmissionKind::ProviderPool)
        })
        .await
        .map(current)
}

/// Read a product library entry
///
/// One product's entry in the programme's library: status and the statuses it
/// may move to.
#[utoipa::path(
    tag = "products",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), ("product_id" = String, Path, description = "Product id")),
    responses(
        (status = 200, description = "The library entry", body = AdmissionView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/product-library/{product_id}")]
pub async fn get_library_entry(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_entry(s, who, (&path.0, &path.1), AdmissionKind::ProductLibrary)
        })
        .await
        .map(current)
}
