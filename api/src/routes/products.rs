//! Products (“小快轻准”产品) of service providers: register, find,
//! maintain, import.

use actix_web::{HttpResponse, get, patch, post, web};
use shuzhuan_app::List;
use shuzhuan_app::imports::{self as use_cases, ImportQuery, ImportReport};
use shuzhuan_app::products::{self as use_case, ProductFields, ProductQuery, ProductView};

use crate::error::{ApiError, Problem};
use crate::extract::{AcceptLang, Caller, IfMatch, Json, Query};
use crate::import::{self, Import};
use crate::respond::{created, current};
use crate::state::AppState;

/// List products (小快轻准产品)
///
/// Products and solutions of the registry, filtered by provider, deployment,
/// scenario or text.
#[utoipa::path(
    tag = "products",
    params(ProductQuery),
    responses((status = 200, description = "Products (a provider's staff see their own only)", body = List<ProductView>)),
    security(("bearer" = []))
)]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    caller: Caller,
    Query(q): Query<ProductQuery>,
) -> Result<web::Json<List<ProductView>>, ApiError> {
    state
        .run(caller, move |s, who| use_case::list(s, who, q))
        .await
        .map(web::Json)
}

/// Register a product
///
/// Adds a product or solution of a provider, with its scenarios, deployment and
/// price.
#[utoipa::path(
    tag = "products",
    request_body = ProductFields,
    responses(
        (status = 201, body = ProductView),
        (status = 403, description = "Only the provider's staff, its programmes' pilot offices and the platform add its products", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`name_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ProductFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::create(s, who, body.body()))
        .await
        .map(created)
}

/// Read a product
///
/// One product; `ETag` carries its version.
#[utoipa::path(
    tag = "products",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = ProductView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`")))),
    security(("bearer" = []))
)]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await
        .map(current)
}

/// Change a product
///
/// Changes a product (`If-Match` required); the provider's staff and whoever
/// maintains the provider.
#[utoipa::path(
    tag = "products",
    params(
        ("id" = String, Path, description = "Product id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = ProductFields,
    responses(
        (status = 200, body = ProductView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`name_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/products/{id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<ProductFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::update(s, who, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// Import products
///
/// Imports products from CSV (UTF-8 or GBK), NDJSON or JSON, atomic or partial,
/// with a dry run and an `Idempotency-Key`.
#[utoipa::path(
    tag = "products",
    params(
        ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first report instead of running again (1–200 visible ASCII characters)", max_length = 200),
    ),
    request_body(
        description = "CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK: detected), NDJSON, or a JSON array. Columns by field name or Chinese title (服务商统一社会信用代码, 产品名称, 适用场景 (separated by 、), 适用行业, 部署方式 云部署/本地部署/混合部署, 价格(万元), 产品简介). Upsert by provider and product name.",
        content(
            (String = "text/csv", example = "服务商统一社会信用代码,产品名称,适用场景,部署方式,价格(万元)\n91640100000000001X,轻量化 MES 云平台,生产管控、质量管理,云部署,4.8\n"),
            (String = "application/x-ndjson"),
            (Vec<ProductFields> = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "The report (a dry run, or a non-atomic import with any failed rows listed)", body = ImportReport),
        (status = 403, description = "Imports need a platform admin or the city_admin of the programme named by program_id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The programme named by program_id does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`import_rejected`: an atomic import with failed rows wrote nothing; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products/import")]
pub async fn import_products(
    state: web::Data<AppState>,
    caller: Caller,
    lang: AcceptLang,
    request: Import,
) -> Result<HttpResponse, ApiError> {
    import::answer(&state, caller, lang, request, use_cases::import_products).await
}
