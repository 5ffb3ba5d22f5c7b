//! Enterprises (企业, 一企一档): register, find, maintain, import, and the
//! idempotent upsert by credit code the national platform uses.

use actix_web::{HttpResponse, get, patch, post, put, web};
use shuzhuan_app::List;
use shuzhuan_app::enterprises::{
    self as use_case, EnterpriseFields, EnterpriseQuery, EnterpriseView,
};
use shuzhuan_app::imports::{self as use_cases, ImportQuery, ImportReport};

use crate::error::{ApiError, Problem};
use crate::export::{self, Listing};
use crate::extract::{AcceptLang, Caller, IfMatch, Json, OptionalIfMatch};
use crate::import::{self, Import};
use crate::respond::{created, current, upserted};
use crate::state::AppState;
use shuzhuan_app::exports::tables;

/// List enterprises (企业)
///
/// Enterprises in your scope, filtered by programme, region, industry, size,
/// tier, flags or text, a page at a time.
#[utoipa::path(
    tag = "enterprises",
    params(EnterpriseQuery),
    responses((status = 200, description = "Enterprises in your scope, filtered", body = List<EnterpriseView>)),
    security(("bearer" = []))
)]
#[get("/enterprises")]
pub async fn list_enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    listing: Listing<EnterpriseQuery>,
) -> Result<HttpResponse, ApiError> {
    export::list(
        &state,
        caller,
        listing,
        &tables::ENTERPRISES,
        use_case::list,
    )
    .await
}

/// Register an enterprise
///
/// Registers an SME by its unified social credit code (统一社会信用代码, checked by GB
/// 32100-2015) in a programme's region and industry.
#[utoipa::path(
    tag = "enterprises",
    request_body = EnterpriseFields,
    responses(
        (status = 201, body = EnterpriseView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`uscc_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enterprises")]
pub async fn create_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<EnterpriseFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::create(s, who, body.body()))
        .await
        .map(created)
}

/// Read an enterprise
///
/// One enterprise's profile and enrolment; `ETag` carries its version.
#[utoipa::path(
    tag = "enterprises",
    params(("id" = String, Path, description = "Enterprise id")),
    responses((status = 200, body = EnterpriseView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`")))),
    security(("bearer" = []))
)]
#[get("/enterprises/{id}")]
pub async fn get_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await
        .map(current)
}

/// Change an enterprise
///
/// Changes an enterprise (`If-Match` required): its own staff edit the profile
/// (name, contact, descriptive fields), the programme's offices the enrolment
/// (region, industry, tier, flags, figures).
#[utoipa::path(
    tag = "enterprises",
    params(
        ("id" = String, Path, description = "Enterprise id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = EnterpriseFields,
    responses(
        (status = 200, body = EnterpriseView),
        (status = 403, description = "Your roles may not change these fields: the enterprise's own staff edit its profile (name, contact, descriptive fields); the city office, and the county office for its regions, edit its enrolment (region, industry, tier, flags, figures)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_version`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; `program_immutable` when `program_id` names another programme (an enterprise never moves by PATCH)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/enterprises/{id}")]
pub async fn update_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<EnterpriseFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::update(s, who, &id, expected, body.body())
        })
        .await
        .map(current)
}

/// Read an enterprise by credit code
///
/// The enterprise with this unified social credit code, as the national
/// platform names it.
#[utoipa::path(
    tag = "enterprises",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = EnterpriseView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`")))),
    security(("bearer" = []))
)]
#[get("/enterprises/by-code/{uscc}")]
pub async fn get_enterprise_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get_by_code(s, who, &uscc))
        .await
        .map(current)
}

/// Upsert an enterprise by credit code
///
/// Creates the enterprise (201) or changes it (200), idempotently: the national
/// platform's way to keep enterprises in step. `If-Match` is optional and
/// checked when sent.
#[utoipa::path(
    tag = "enterprises",
    params(
        ("uscc" = String, Path, description = "Unified social credit code"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "ETag of the version you read; without it the last writer wins", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body(content = EnterpriseFields, description = "The enterprise as the caller knows it (uscc comes from the path)"),
    responses(
        (status = 200, description = "Updated, or unchanged when the body changes nothing (no new version, no change event)", body = EnterpriseView),
        (status = 201, description = "Created", body = EnterpriseView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The code belongs to an enterprise of a programme you do not hold", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`stale_version`: the If-Match you sent is no longer current", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; `program_immutable` when the body names another programme", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/enterprises/by-code/{uscc}")]
pub async fn put_enterprise_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
    OptionalIfMatch(expected): OptionalIfMatch,
    body: Json<EnterpriseFields>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::put_by_code(s, who, &uscc, expected, body.body())
        })
        .await
        .map(upserted)
}

/// Import enterprises
///
/// Imports enterprises from CSV (UTF-8 or GBK as Excel saves it, Chinese or
/// English headers), NDJSON or JSON; atomic (all or nothing) or partial, with a
/// dry run and an `Idempotency-Key`. The report names each failed row and
/// column.
#[utoipa::path(
    tag = "enterprises",
    params(
        ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first report instead of running again (1–200 visible ASCII characters)", max_length = 200),
    ),
    request_body(
        description = "CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK: detected), NDJSON, or a JSON array. Columns by field name or Chinese title (统一社会信用代码, 企业名称, 所属区县, 所属行业, 是否规上, 企业规模, 专精特新, 小巨人, 创新型, 链主, 从业人数, 营业收入(万元), 联系人, 联系电话, 是否上云, 入库类型).",
        content(
            (String = "text/csv", example = "统一社会信用代码,企业名称,所属区县,所属行业,是否规上,企业规模\n916401223A000H0C6X,宁夏某新材料有限公司,贺兰县,新型材料制造,是,小型\n"),
            (String = "application/x-ndjson"),
            (Vec<EnterpriseFields> = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "The report (a dry run, or a non-atomic import with any failed rows listed)", body = ImportReport),
        (status = 403, description = "Imports need the programme's city_admin or a platform admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The programme named by program_id does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`import_rejected`: an atomic import with failed rows wrote nothing; `errors` names each row and column", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enterprises/import")]
pub async fn import_enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    lang: AcceptLang,
    request: Import,
) -> Result<HttpResponse, ApiError> {
    import::answer(&state, caller, lang, request, use_cases::import_enterprises).await
}
