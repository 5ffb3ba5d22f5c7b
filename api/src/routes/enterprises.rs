//! Enterprises (企业, 一企一档): register, find, maintain, and the
//! idempotent upsert by credit code the national platform uses.

use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::enterprises::{self, Filter, Scope};
use shuzhuan_persistence::repo::programs;
use shuzhuan_persistence::rows::EnterpriseRow;
use shuzhuan_persistence::{AnyConnection, Change, Tx, alongside, new_id, now};
use shuzhuan_types::{Role, Uscc};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Problem, Text};
use crate::extract::{IfMatch, Json, List, Query, created, versioned};
use crate::routes::{change_of, parse_path_uscc, parse_uscc, string_enum, utc};
use crate::state::AppState;

const SIZE_CLASSES: [&str; 3] = ["micro", "small", "medium"];
const TIERS: [&str; 3] = ["reserve", "pilot", "demonstration"];

fn size_schema() -> utoipa::openapi::schema::Object {
    string_enum(SIZE_CLASSES)
}

fn tier_schema() -> utoipa::openapi::schema::Object {
    string_enum(TIERS)
}

/// Everything about an enterprise that a caller sets (PATCH sets any
/// subset). `uscc` is given on POST; PUT by code takes it from the path.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "uscc": "916401223A000H0C6X", "name": "宁夏某新材料有限公司", "program_id": "0193…",
    "region_code": "640122", "industry_code": "new_materials", "above_designated_size": true,
    "size_class": "small", "specialised": true, "employees": 180, "revenue_fen": 8_600_000_000_i64,
    "contact_name": "王经理", "contact_phone": "0951-5000000", "cloud_adopted": true, "tier": "pilot"
}))]
pub struct EnterpriseFields {
    /// 统一社会信用代码, with its GB 32100 check character.
    #[schema(min_length = 18, max_length = 18)]
    pub uscc: Option<String>,
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// The programme it is enrolled in; regions and industries are its codes.
    pub program_id: Option<String>,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
    /// 规上 (above designated size).
    pub above_designated_size: Option<bool>,
    #[schema(schema_with = size_schema)]
    pub size_class: Option<String>,
    /// 专精特新
    pub specialised: Option<bool>,
    /// 专精特新“小巨人” (implies specialised).
    pub little_giant: Option<bool>,
    /// 创新型中小企业
    pub innovative: Option<bool>,
    /// 链主
    pub chain_master: Option<bool>,
    #[validate(range(
        min = 0,
        max = 10000000,
        message = "must be 0 to 10,000,000",
        code = "range"
    ))]
    #[schema(minimum = 0, maximum = 10000000)]
    pub employees: Option<i32>,
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    #[schema(minimum = 0)]
    pub revenue_fen: Option<i64>,
    #[validate(length(max = 50, message = "at most 50 characters", code = "length"))]
    #[schema(max_length = 50)]
    pub contact_name: Option<String>,
    #[validate(length(max = 30, message = "at most 30 characters", code = "length"))]
    #[schema(max_length = 30)]
    pub contact_phone: Option<String>,
    /// 上云用云
    pub cloud_adopted: Option<bool>,
    /// 储备库 / 试点库 / 示范库
    #[schema(schema_with = tier_schema)]
    pub tier: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub program_id: Option<String>,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
    pub above_designated_size: bool,
    #[schema(schema_with = size_schema)]
    pub size_class: String,
    pub specialised: bool,
    pub little_giant: bool,
    pub innovative: bool,
    pub chain_master: bool,
    pub employees: Option<i32>,
    pub revenue_fen: Option<i64>,
    pub contact_name: String,
    pub contact_phone: String,
    pub cloud_adopted: bool,
    #[schema(schema_with = tier_schema)]
    pub tier: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EnterpriseRow> for EnterpriseView {
    fn from(e: EnterpriseRow) -> Self {
        EnterpriseView {
            id: e.id,
            uscc: e.uscc,
            name: e.name,
            program_id: e.program_id,
            region_code: e.region_code,
            industry_code: e.industry_code,
            above_designated_size: e.above_designated_size,
            size_class: e.size_class,
            specialised: e.specialised,
            little_giant: e.little_giant,
            innovative: e.innovative,
            chain_master: e.chain_master,
            employees: e.employees,
            revenue_fen: e.revenue_fen,
            contact_name: e.contact_name,
            contact_phone: e.contact_phone,
            cloud_adopted: e.cloud_adopted,
            tier: e.tier,
            version: e.version,
            created_at: utc(e.created_at),
            updated_at: utc(e.updated_at),
        }
    }
}

/// The enterprises a caller may see (DOMAIN.md §2).
pub(crate) fn scope_of(caller: &Caller) -> Scope {
    let mut scope = Scope::default();
    for g in &caller.grants {
        match g.role() {
            Role::PlatformAdmin | Role::SyncClient => scope.all = true,
            Role::CountyAdmin => {
                if let Some(p) = g.program_id() {
                    scope
                        .regions
                        .push((p.to_owned(), g.region_codes().to_vec()));
                }
            }
            Role::Enterprise => scope
                .enterprise_ids
                .extend(g.enterprise_id().map(str::to_owned)),
            Role::Provider => {}
            _ => scope.program_ids.extend(g.program_id().map(str::to_owned)),
        }
    }
    scope
}

/// Applies the given fields onto `row`, collecting every fault.
pub(crate) fn apply(row: &mut EnterpriseRow, f: EnterpriseFields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(v) = f.name {
        row.name = v;
    }
    if let Some(v) = f.program_id {
        row.program_id = Some(v);
    }
    if let Some(v) = f.region_code {
        row.region_code = Some(v);
    }
    if let Some(v) = f.industry_code {
        row.industry_code = Some(v);
    }
    if let Some(v) = f.size_class {
        if SIZE_CLASSES.contains(&v.as_str()) {
            row.size_class = v;
        } else {
            errors.push(FieldError::new(
                "size_class",
                "invalid_value",
                Text::new("micro, small or medium", "应为 micro、small 或 medium"),
            ));
        }
    }
    if let Some(v) = f.tier {
        if TIERS.contains(&v.as_str()) {
            row.tier = v;
        } else {
            errors.push(FieldError::new(
                "tier",
                "invalid_value",
                Text::new(
                    "reserve, pilot or demonstration",
                    "应为 reserve、pilot 或 demonstration",
                ),
            ));
        }
    }
    let flags = [
        (f.above_designated_size, &mut row.above_designated_size),
        (f.specialised, &mut row.specialised),
        (f.little_giant, &mut row.little_giant),
        (f.innovative, &mut row.innovative),
        (f.chain_master, &mut row.chain_master),
        (f.cloud_adopted, &mut row.cloud_adopted),
    ];
    for (given, field) in flags {
        if let Some(v) = given {
            *field = v;
        }
    }
    if f.employees.is_some() {
        row.employees = f.employees;
    }
    if f.revenue_fen.is_some() {
        row.revenue_fen = f.revenue_fen;
    }
    if let Some(v) = f.contact_name {
        row.contact_name = v;
    }
    if let Some(v) = f.contact_phone {
        row.contact_phone = v;
    }
    if row.little_giant && !row.specialised {
        errors.push(FieldError::new(
            "little_giant",
            "little_giant_requires_specialised",
            Text::new(
                "a little giant (小巨人) is a specialised SME (专精特新) too",
                "专精特新“小巨人”企业须同时为专精特新企业",
            ),
        ));
    }
    errors
}

/// Region and industry must be codes of the enterprise's programme.
fn check_codes(conn: &mut AnyConnection, row: &EnterpriseRow) -> Result<Vec<FieldError>, ApiError> {
    let mut errors = Vec::new();
    let Some(program_id) = &row.program_id else {
        for (field, given) in [
            ("region_code", &row.region_code),
            ("industry_code", &row.industry_code),
        ] {
            if given.is_some() {
                errors.push(FieldError::new(
                    field,
                    "program_required",
                    Text::new(
                        "codes belong to a programme: give program_id",
                        "代码属于某个试点，请提供 program_id",
                    ),
                ));
            }
        }
        return Ok(errors);
    };
    if !programs::exists(conn, program_id)? {
        errors.push(FieldError::new(
            "program_id",
            "unknown_program",
            Text::new("no such programme", "试点不存在"),
        ));
        return Ok(errors);
    }
    if let Some(code) = &row.region_code
        && !programs::unknown_region_codes(conn, program_id, std::slice::from_ref(code))?.is_empty()
    {
        errors.push(FieldError::new(
            "region_code",
            "unknown_region",
            Text::new("not a region of the programme", "不是该试点的区县"),
        ));
    }
    if let Some(code) = &row.industry_code
        && !programs::industries_of(conn, program_id)?
            .iter()
            .any(|i| &i.code == code)
    {
        errors.push(FieldError::new(
            "industry_code",
            "unknown_industry",
            Text::new("not an industry of the programme", "不是该试点的细分行业"),
        ));
    }
    Ok(errors)
}

pub(crate) fn blank(id: String, uscc: String) -> EnterpriseRow {
    let at = now();
    EnterpriseRow {
        id,
        uscc,
        name: String::new(),
        program_id: None,
        region_code: None,
        industry_code: None,
        above_designated_size: false,
        size_class: "small".into(),
        specialised: false,
        little_giant: false,
        innovative: false,
        chain_master: false,
        employees: None,
        revenue_fen: None,
        contact_name: String::new(),
        contact_phone: String::new(),
        cloud_adopted: false,
        tier: "reserve".into(),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// Who may create or change an enterprise of `program_id`: the platform,
/// the national platform's sync clients, or the programme's pilot office.
fn require_registrar(caller: &Caller, program_id: Option<&str>) -> Result<(), ApiError> {
    let ok = caller.is_platform_admin()
        || caller.has_role(Role::SyncClient)
        || program_id.is_some_and(|p| caller.acts_in_program(Role::CityAdmin, p));
    if ok {
        Ok(())
    } else {
        Err(ApiError::Forbidden("register enterprises"))
    }
}

fn change(action: &str, before: Option<&EnterpriseView>, after: &EnterpriseView) -> Change {
    let key = (
        after.id.as_str(),
        after.program_id.as_deref(),
        after.version,
    );
    change_of(action, "enterprise", key, before, after)
}

/// Creates `row` in a unit of work after checking its codes.
pub(crate) fn insert(tx: &mut Tx<'_>, row: EnterpriseRow) -> Result<EnterpriseView, ApiError> {
    let errors = check_codes(tx.conn(), &row)?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    store_new(tx, row)
}

/// Creates many rows, whose codes the caller has checked, in one unit of
/// work (bulk imports). Their change snapshots render on a second thread
/// while the rows are written.
pub(crate) fn store_many(tx: &mut Tx<'_>, rows: Vec<EnterpriseRow>) -> Result<u64, ApiError> {
    let (changes, written) = alongside(
        || {
            rows.iter()
                .map(|row| {
                    change(
                        "enterprise.create",
                        None,
                        &EnterpriseView::from(row.clone()),
                    )
                })
                .collect::<Vec<_>>()
        },
        || enterprises::insert_many(tx.conn(), &rows),
    );
    written?;
    changes.into_iter().for_each(|c| tx.record(c));
    Ok(rows.len() as u64)
}

/// Creates `row`, whose codes the caller has checked, in a unit of work.
pub(crate) fn store_new(tx: &mut Tx<'_>, row: EnterpriseRow) -> Result<EnterpriseView, ApiError> {
    enterprises::insert(tx.conn(), &row).map_err(|e| {
        ApiError::from(e).conflict_as(
            "uscc_taken",
            Text::new(
                "An enterprise with this credit code exists.",
                "已存在该统一社会信用代码的企业。",
            ),
        )
    })?;
    let view = EnterpriseView::from(row);
    tx.record(change("enterprise.create", None, &view));
    Ok(view)
}

/// Stores `row` over `before` (at `before.version`) unless nothing changed.
pub(crate) fn update(
    tx: &mut Tx<'_>,
    before: EnterpriseRow,
    row: EnterpriseRow,
) -> Result<(EnterpriseView, bool), ApiError> {
    let errors = check_codes(tx.conn(), &row)?;
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    store_update(tx, before, row)
}

/// Stores `row`, whose codes the caller has checked, over `before`; an
/// unchanged row writes nothing and emits no change event.
pub(crate) fn store_update(
    tx: &mut Tx<'_>,
    before: EnterpriseRow,
    mut row: EnterpriseRow,
) -> Result<(EnterpriseView, bool), ApiError> {
    if row == before {
        return Ok((EnterpriseView::from(row), false));
    }
    row.version = before.version + 1;
    row.updated_at = now();
    enterprises::update(tx.conn(), &row, before.version)?;
    let (before, after) = (EnterpriseView::from(before), EnterpriseView::from(row));
    tx.record(change("enterprise.update", Some(&before), &after));
    Ok((after, true))
}

fn validate_tier(tier: &str) -> Result<(), validator::ValidationError> {
    if TIERS.contains(&tier) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_value")
            .with_message("reserve, pilot or demonstration".into()))
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// A substring of the name or the credit code (Chinese included).
    #[param(max_length = 100)]
    #[validate(length(max = 100, message = "at most 100 characters", code = "length"))]
    pub q: Option<String>,
    pub program_id: Option<String>,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
    pub above_designated_size: Option<bool>,
    pub specialised: Option<bool>,
    pub little_giant: Option<bool>,
    #[param(schema_with = tier_schema)]
    #[validate(custom(function = "validate_tier"))]
    pub tier: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

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
    Query(q): Query<EnterpriseQuery>,
) -> Result<web::Json<List<EnterpriseView>>, ApiError> {
    let scope = scope_of(&caller);
    let limit = q.limit.unwrap_or(50);
    let after = q.cursor.clone();
    let filter = Filter {
        q: q.q,
        program_id: q.program_id,
        region_code: q.region_code,
        industry_code: q.industry_code,
        above_designated_size: q.above_designated_size,
        specialised: q.specialised,
        little_giant: q.little_giant,
        tier: q.tier,
    };
    let page = state
        .read(move |conn| {
            Ok(enterprises::list(
                conn,
                &scope,
                &filter,
                after.as_deref(),
                limit,
            )?)
        })
        .await?;
    Ok(web::Json(List::from_page(page)))
}

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
    let mut fields = body.parse()?;
    require_registrar(&caller, fields.program_id.as_deref())?;
    let raw = fields.uscc.take().unwrap_or_default();
    let (code, mut errors) = match parse_uscc(&raw) {
        Ok(code) => (code, Vec::new()),
        Err(e) => (String::new(), vec![e]),
    };
    if fields.name.is_none() {
        errors.push(FieldError::new(
            "name",
            "required",
            Text::new("required", "必填"),
        ));
    }
    let mut row = blank(new_id(), code);
    errors.extend(apply(&mut row, fields));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let view = state
        .write(caller.actor(), move |tx| insert(tx, row))
        .await?;
    Ok(created(
        format!("/api/v1/enterprises/{}", view.id),
        view.version,
        view,
    ))
}

/// 404 unless the caller's scope holds the enterprise.
pub(crate) fn visible(caller: &Caller, row: EnterpriseRow) -> Result<EnterpriseRow, ApiError> {
    if scope_of(caller).contains(&row) {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

#[utoipa::path(
    tag = "enterprises",
    params(("id" = String, Path, description = "Enterprise id")),
    responses((status = 200, body = EnterpriseView)),
    security(("bearer" = []))
)]
#[get("/enterprises/{id}")]
pub async fn get_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = visible(
        &caller,
        state
            .read(move |conn| Ok(enterprises::find(conn, &id)?))
            .await?,
    )?;
    let view = EnterpriseView::from(row);
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "enterprises",
    params(
        ("id" = String, Path, description = "Enterprise id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    request_body = EnterpriseFields,
    responses(
        (status = 200, body = EnterpriseView),
        (status = 403, description = "Your roles may not change these fields", body = Problem, content_type = "application/problem+json"),
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
    let id = id.into_inner();
    let before = visible(
        &caller,
        state
            .read({
                let id = id.clone();
                move |conn| Ok(enterprises::find(conn, &id)?)
            })
            .await?,
    )?;
    let registrar = require_registrar(&caller, before.program_id.as_deref()).is_ok();
    let fields = body.parse()?;
    // The enterprise's own staff keep their profile; the programme decides
    // its enrolment (programme, region, industry, tier).
    let enrolment = fields.program_id.is_some()
        || fields.region_code.is_some()
        || fields.industry_code.is_some()
        || fields.tier.is_some();
    if !registrar && enrolment {
        return Err(ApiError::Forbidden("change an enterprise's enrolment"));
    }
    if fields.uscc.is_some() {
        return Err(ApiError::field(
            "uscc",
            "immutable",
            Text::new("the credit code cannot change", "统一社会信用代码不可修改"),
        ));
    }
    if before.version != expected {
        return Err(ApiError::StaleVersion {
            current: before.version,
        });
    }
    let mut row = before.clone();
    let errors = apply(&mut row, fields);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (view, _) = state
        .write(caller.actor(), move |tx| update(tx, before, row))
        .await?;
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "enterprises",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = EnterpriseView)),
    security(("bearer" = []))
)]
#[get("/enterprises/by-code/{uscc}")]
pub async fn get_enterprise_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = parse_path_uscc(&uscc)?;
    let row = state
        .read(move |conn| enterprises::find_by_uscc(conn, &code)?.ok_or(ApiError::NotFound))
        .await?;
    let view = EnterpriseView::from(visible(&caller, row)?);
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "enterprises",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    request_body(content = EnterpriseFields, description = "The enterprise as the caller knows it (uscc comes from the path)"),
    responses(
        (status = 200, description = "Updated, or unchanged when the body changes nothing (no new version, no change event)", body = EnterpriseView),
        (status = 201, description = "Created", body = EnterpriseView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/enterprises/by-code/{uscc}")]
pub async fn put_enterprise_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
    body: Json<EnterpriseFields>,
) -> Result<HttpResponse, ApiError> {
    let code = parse_path_uscc(&uscc)?;
    let fields = body.parse()?;
    if fields.uscc.as_ref().is_some_and(|u| {
        Uscc::parse(u).map(|p| p.to_string()).ok().as_deref() != Some(code.as_str())
    }) {
        return Err(ApiError::field(
            "uscc",
            "uscc_mismatch",
            Text::new("differs from the code in the path", "与路径中的代码不一致"),
        ));
    }
    let existing = state
        .read({
            let code = code.clone();
            move |conn| Ok(enterprises::find_by_uscc(conn, &code)?)
        })
        .await?;
    let program = fields
        .program_id
        .clone()
        .or_else(|| existing.as_ref().and_then(|e| e.program_id.clone()));
    require_registrar(&caller, program.as_deref())?;
    if let Some(e) = &existing
        && e.program_id.is_some()
        && !scope_of(&caller).contains(e)
    {
        return Err(ApiError::NotFound);
    }
    match existing {
        None => {
            if fields.name.is_none() {
                return Err(ApiError::field(
                    "name",
                    "required",
                    Text::new("required", "必填"),
                ));
            }
            let mut row = blank(new_id(), code);
            let errors = apply(
                &mut row,
                EnterpriseFields {
                    uscc: None,
                    ..fields
                },
            );
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let view = state
                .write(caller.actor(), move |tx| insert(tx, row))
                .await?;
            Ok(created(
                format!("/api/v1/enterprises/{}", view.id),
                view.version,
                view,
            ))
        }
        Some(before) => {
            let mut row = before.clone();
            let errors = apply(
                &mut row,
                EnterpriseFields {
                    uscc: None,
                    ..fields
                },
            );
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let (view, _) = state
                .write(caller.actor(), move |tx| update(tx, before, row))
                .await?;
            Ok(versioned(view.version, view))
        }
    }
}
