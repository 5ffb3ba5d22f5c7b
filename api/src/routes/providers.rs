//! Service providers (服务商): register, find, maintain, import, and the
//! idempotent upsert by credit code.

use actix_web::{HttpResponse, get, patch, post, put, web};
use shuzhuan_app::List;
use shuzhuan_app::imports::{self as use_cases, ImportQuery, ImportReport};
use shuzhuan_app::providers::{self as use_case, ProviderFields, ProviderQuery, ProviderView};

use crate::error::{ApiError, Problem};
use crate::export::{self, Listing};
use crate::extract::{AcceptLang, Caller, IfMatch, Json, OptionalIfMatch};
use crate::import::{self, Import};
use crate::respond::{created, current, upserted};
use crate::state::AppState;
use shuzhuan_app::exports::tables;

/// List providers (服务商)
///
/// Service providers of the national registry, filtered by kind, specialty,
/// locality, scenario or text; a provider's staff see their own.
#[utoipa::path(
    tag = "providers",
    params(ProviderQuery),
    responses((status = 200, description = "Providers (a provider's staff see their own only)", body = List<ProviderView>)),
    security(("bearer" = []))
)]
#[get("/providers")]
pub async fn list_providers(
    state: web::Data<AppState>,
    caller: Caller,
    listing: Listing<ProviderQuery>,
) -> Result<HttpResponse, ApiError> {
    export::list(&state, caller, listing, &tables::PROVIDERS, use_case::list).await
}

/// Register a provider
///
/// Registers a service provider by its credit code, with its kind (综合型/场景型),
/// specialty and scenarios.
#[utoipa::path(
    tag = "providers",
    request_body = ProviderFields,
    responses(
        (status = 201, body = ProviderView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`uscc_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/providers")]
pub async fn create_provider(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ProviderFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::create(s, who, body.body()))
        .await
        .map(created)
}

/// Read a provider
///
/// One provider; `ETag` carries its version.
#[utoipa::path(
    tag = "providers",
    params(("id" = String, Path, description = "Provider id")),
    responses((status = 200, body = ProviderView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`")))),
    security(("bearer" = []))
)]
#[get("/providers/{id}")]
pub async fn get_provider(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await
        .map(current)
}

/// Change a provider
///
/// Changes a provider's profile (`If-Match` required): its own staff, the
/// platform and sync clients, and the pilot office of a programme whose pool
/// holds it.
#[utoipa::path(
    tag = "providers",
    params(
        ("id" = String, Path, description = "Provider id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = ProviderFields,
    responses(
        (status = 200, body = ProviderView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/providers/{id}")]
pub async fn update_provider(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<ProviderFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::update(s, who, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// Read a provider by credit code
///
/// The provider with this unified social credit code.
#[utoipa::path(
    tag = "providers",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = ProviderView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`")))),
    security(("bearer" = []))
)]
#[get("/providers/by-code/{uscc}")]
pub async fn get_provider_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get_by_code(s, who, &uscc))
        .await
        .map(current)
}

/// Upsert a provider by credit code
///
/// Creates (201) or changes (200) the provider with this credit code,
/// idempotently; `If-Match` optional and checked when sent.
#[utoipa::path(
    tag = "providers",
    params(
        ("uscc" = String, Path, description = "Unified social credit code"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "ETag of the version you read; without it the last writer wins", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body(content = ProviderFields, description = "The provider as the caller knows it (uscc comes from the path)"),
    responses(
        (status = 200, description = "Updated, or unchanged when the body changes nothing (no new version, no change event)", body = ProviderView),
        (status = 201, description = "Created", body = ProviderView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_version`: the If-Match you sent is no longer current", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/providers/by-code/{uscc}")]
pub async fn put_provider_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
    OptionalIfMatch(expected): OptionalIfMatch,
    body: Json<ProviderFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::put_by_code(s, who, &uscc, expected, body.body())
        })
        .await
        .map(upserted)
}

/// Import providers
///
/// Imports providers from CSV (UTF-8 or GBK), NDJSON or JSON, atomic or
/// partial, with a dry run and an `Idempotency-Key`.
#[utoipa::path(
    tag = "providers",
    params(
        ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first report instead of running again (1–200 visible ASCII characters)", max_length = 200),
    ),
    request_body(
        description = "CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK: detected), NDJSON, or a JSON array. Columns by field name or Chinese title (统一社会信用代码, 服务商名称, 服务商类型 综合型/场景型, 服务类别 行业集成/专业, 是否本地, 服务场景 (separated by 、), 联系人, 联系电话, 简介). Upsert by credit code.",
        content(
            (String = "text/csv", example = "统一社会信用代码,服务商名称,服务商类型,服务类别,是否本地,服务场景\n91640100000000001X,宁夏某数字科技有限公司,场景型,专业,是,生产管控、质量管理\n"),
            (String = "application/x-ndjson"),
            (Vec<ProviderFields> = "application/json"),
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
#[post("/providers/import")]
pub async fn import_providers(
    state: web::Data<AppState>,
    caller: Caller,
    lang: AcceptLang,
    request: Import,
) -> Result<HttpResponse, ApiError> {
    import::answer(&state, caller, lang, request, use_cases::import_providers).await
}
