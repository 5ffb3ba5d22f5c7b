//! Service providers (服务商): national entities by credit code, registered
//! once and admitted into each programme's pool (see `admissions`).

use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::AdmissionKind;
use shuzhuan_persistence::repo::{admissions, providers};
use shuzhuan_persistence::rows::ProviderRow;
use shuzhuan_persistence::{AnyConnection, Tx, new_id, now};
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Problem, Text};
use crate::extract::{IfMatch, Json, List, Query, created, versioned};
use crate::routes::{change_of, parse_path_uscc, parse_uscc, string_enum, utc};
use crate::state::AppState;

const KINDS: [&str; 2] = ["comprehensive", "scenario"];
const SPECIALTIES: [&str; 2] = ["integrator", "specialist"];

fn kind_schema() -> utoipa::openapi::schema::Object {
    string_enum(KINDS)
}

fn specialty_schema() -> utoipa::openapi::schema::Object {
    string_enum(SPECIALTIES)
}

/// What a caller sets on a provider (PATCH sets any subset).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "uscc": "91640100MA76XXXX0K", "name": "宁夏某数字科技有限公司", "kind": "scenario",
    "specialty": "specialist", "local": true, "scenarios": ["production_control", "quality"],
    "contact_name": "李工", "contact_phone": "0951-6000000", "description": "MES 与质量追溯"
}))]
pub struct ProviderFields {
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
    /// 综合型 (comprehensive) or 场景型 (scenario).
    #[schema(schema_with = kind_schema)]
    pub kind: Option<String>,
    /// 行业集成 (integrator) or 专业 (specialist).
    #[schema(schema_with = specialty_schema)]
    pub specialty: Option<String>,
    /// 本地服务商: registered in the programme's city.
    pub local: Option<bool>,
    /// The business scenarios served, by the 16 codes of SCORING.md §2 (or
    /// their Chinese names).
    #[validate(length(max = 16, message = "at most 16 scenarios", code = "length"))]
    #[schema(max_items = 16)]
    pub scenarios: Option<Vec<String>>,
    #[validate(length(max = 50, message = "at most 50 characters", code = "length"))]
    #[schema(max_length = 50)]
    pub contact_name: Option<String>,
    #[validate(length(max = 30, message = "at most 30 characters", code = "length"))]
    #[schema(max_length = 30)]
    pub contact_phone: Option<String>,
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderView {
    pub id: String,
    pub uscc: String,
    pub name: String,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    #[schema(schema_with = specialty_schema)]
    pub specialty: String,
    pub local: bool,
    pub scenarios: Vec<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored JSON list of codes (written only by this crate).
pub(crate) fn codes_from(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn codes_to(codes: &[String]) -> String {
    serde_json::to_string(codes).unwrap_or_else(|_| "[]".into())
}

impl From<ProviderRow> for ProviderView {
    fn from(p: ProviderRow) -> Self {
        ProviderView {
            scenarios: codes_from(&p.scenarios),
            id: p.id,
            uscc: p.uscc,
            name: p.name,
            kind: p.kind,
            specialty: p.specialty,
            local: p.local,
            contact_name: p.contact_name,
            contact_phone: p.contact_phone,
            description: p.description,
            version: p.version,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

/// `value` if it is one of `allowed`, else the field error listing them.
pub(crate) fn one_of(field: &str, value: String, allowed: &[&str]) -> Result<String, FieldError> {
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        let list = allowed.join(", ");
        Err(FieldError::new(
            field,
            "invalid_value",
            Text::new(format!("one of {list}"), format!("应为以下之一：{list}")),
        ))
    }
}

/// Scenario codes from codes or Chinese names (SCORING.md §2), in the
/// catalogue's order without repeats, or the field error naming the first
/// unknown one.
pub(crate) fn resolve_scenarios(given: &[String]) -> Result<Vec<String>, FieldError> {
    let sets = shuzhuan_scoring::builtin();
    let known: Vec<(&str, &str)> = sets
        .iter()
        .flat_map(|s| s.operations.scenarios.iter())
        .map(|s| (s.code.as_str(), s.name_zh.as_str()))
        .collect();
    let mut wanted = Vec::new();
    for g in given {
        let g = g.trim();
        match known.iter().find(|(code, zh)| *code == g || *zh == g) {
            Some((code, _)) => wanted.push(*code),
            None => {
                return Err(FieldError::new(
                    "scenarios",
                    "unknown_scenario",
                    Text::new(
                        format!("`{g}` is not a scenario code of SCORING.md §2"),
                        format!("`{g}` 不是评测指标中的业务场景"),
                    ),
                ));
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for (code, _) in &known {
        if wanted.contains(code) && !out.iter().any(|c| c == code) {
            out.push((*code).to_owned());
        }
    }
    Ok(out)
}

/// Applies the given fields onto `row`, collecting every fault.
pub(crate) fn apply(row: &mut ProviderRow, f: ProviderFields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut take = |r: Result<String, FieldError>, slot: &mut String| match r {
        Ok(v) => *slot = v,
        Err(e) => errors.push(e),
    };
    if let Some(v) = f.kind {
        take(one_of("kind", v, &KINDS), &mut row.kind);
    }
    if let Some(v) = f.specialty {
        take(one_of("specialty", v, &SPECIALTIES), &mut row.specialty);
    }
    if let Some(v) = f.scenarios {
        take(
            resolve_scenarios(&v).map(|codes| codes_to(&codes)),
            &mut row.scenarios,
        );
    }
    for (given, slot) in [
        (f.name, &mut row.name),
        (f.contact_name, &mut row.contact_name),
        (f.contact_phone, &mut row.contact_phone),
        (f.description, &mut row.description),
    ] {
        if let Some(v) = given {
            *slot = v;
        }
    }
    if let Some(v) = f.local {
        row.local = v;
    }
    errors
}

pub(crate) fn blank(id: String, uscc: String) -> ProviderRow {
    let at = now();
    ProviderRow {
        id,
        uscc,
        name: String::new(),
        kind: "scenario".into(),
        specialty: "specialist".into(),
        local: false,
        scenarios: "[]".into(),
        contact_name: String::new(),
        contact_phone: String::new(),
        description: String::new(),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// The providers a caller whose only roles are provider roles may see (their
/// own); everyone else sees the national registry (`None`).
pub(crate) fn own_providers(caller: &Caller) -> Option<Vec<String>> {
    if caller.grants.iter().all(|g| g.role() == Role::Provider) {
        Some(
            caller
                .grants
                .iter()
                .filter_map(|g| g.provider_id().map(str::to_owned))
                .collect(),
        )
    } else {
        None
    }
}

/// Who registers providers: the platform, the national platform's sync
/// clients, and any programme's pilot office (it admits them next).
fn require_registrar(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_platform_admin()
        || caller.has_role(Role::SyncClient)
        || caller.has_role(Role::CityAdmin)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden("register providers"))
    }
}

/// Who maintains a provider and its products: the platform and sync
/// clients, the provider's own staff, and the pilot office of a programme
/// whose pool holds it — any pilot office while it is in no pool yet (it
/// registered it to admit it).
pub(crate) fn may_maintain(
    conn: &mut AnyConnection,
    caller: &Caller,
    provider_id: &str,
) -> Result<bool, ApiError> {
    if caller.is_platform_admin()
        || caller.has_role(Role::SyncClient)
        || caller
            .grants
            .iter()
            .any(|g| g.role() == Role::Provider && g.provider_id() == Some(provider_id))
    {
        return Ok(true);
    }
    let pools = admissions::programs_of(conn, AdmissionKind::ProviderPool.as_str(), provider_id)?;
    Ok(if pools.is_empty() {
        caller.has_role(Role::CityAdmin)
    } else {
        pools
            .iter()
            .any(|p| caller.acts_in_program(Role::CityAdmin, p))
    })
}

/// Loads a provider the caller may see (404 otherwise).
fn load_visible(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<ProviderRow, ApiError> {
    let row = providers::find(conn, id)?;
    match own_providers(caller) {
        Some(own) if !own.contains(&row.id) => Err(ApiError::NotFound),
        _ => Ok(row),
    }
}

pub(crate) fn store_new(tx: &mut Tx<'_>, row: ProviderRow) -> Result<ProviderView, ApiError> {
    providers::insert(tx.conn(), &row).map_err(|e| {
        ApiError::from(e).conflict_as(
            "uscc_taken",
            Text::new(
                "A provider with this credit code exists.",
                "已存在该统一社会信用代码的服务商。",
            ),
        )
    })?;
    let view = ProviderView::from(row);
    let key = (view.id.as_str(), None, view.version);
    tx.record(change_of("provider.create", "provider", key, None, &view));
    Ok(view)
}

/// Stores `row` over `before`; an unchanged row writes nothing and emits no
/// change event.
pub(crate) fn store_update(
    tx: &mut Tx<'_>,
    before: ProviderRow,
    mut row: ProviderRow,
) -> Result<(ProviderView, bool), ApiError> {
    if row == before {
        return Ok((ProviderView::from(row), false));
    }
    row.version = before.version + 1;
    row.updated_at = now();
    providers::update(tx.conn(), &row, before.version)?;
    let (before, after) = (ProviderView::from(before), ProviderView::from(row));
    let key = (after.id.as_str(), None, after.version);
    tx.record(change_of(
        "provider.update",
        "provider",
        key,
        Some(&before),
        &after,
    ));
    Ok((after, true))
}

/// A new provider from `fields` (name required), or every fault.
fn new_row(
    code: Result<String, FieldError>,
    fields: ProviderFields,
) -> Result<ProviderRow, ApiError> {
    let mut errors = Vec::new();
    let code = code.unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    if fields.name.is_none() {
        errors.push(FieldError::new(
            "name",
            "required",
            Text::new("required", "必填"),
        ));
    }
    let mut row = blank(new_id(), code);
    errors.extend(apply(
        &mut row,
        ProviderFields {
            uscc: None,
            ..fields
        },
    ));
    if errors.is_empty() {
        Ok(row)
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProviderQuery {
    /// A substring of the name or the credit code.
    #[param(max_length = 100)]
    #[validate(length(max = 100, message = "at most 100 characters", code = "length"))]
    pub q: Option<String>,
    #[param(schema_with = kind_schema)]
    pub kind: Option<String>,
    #[param(schema_with = specialty_schema)]
    pub specialty: Option<String>,
    pub local: Option<bool>,
    /// A scenario code served.
    #[param(max_length = 40)]
    #[validate(length(max = 40, message = "at most 40 characters", code = "length"))]
    pub scenario: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

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
    Query(q): Query<ProviderQuery>,
) -> Result<web::Json<List<ProviderView>>, ApiError> {
    let mut errors = Vec::new();
    for (field, value, allowed) in [
        ("kind", &q.kind, &KINDS[..]),
        ("specialty", &q.specialty, &SPECIALTIES[..]),
    ] {
        if let Some(v) = value
            && let Err(e) = one_of(field, v.clone(), allowed)
        {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let filter = providers::Filter {
        q: q.q,
        kind: q.kind,
        specialty: q.specialty,
        local: q.local,
        scenario: q.scenario,
        only: own_providers(&caller),
    };
    let (after, limit) = (q.cursor, q.limit.unwrap_or(50));
    let page = state
        .read(move |conn| Ok(providers::list(conn, &filter, after.as_deref(), limit)?))
        .await?;
    Ok(web::Json(List::from_page(page)))
}

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
    require_registrar(&caller)?;
    let fields = body.parse()?;
    let code = parse_uscc(fields.uscc.as_deref().unwrap_or_default());
    let row = new_row(code, fields)?;
    let view = state
        .write(caller.actor(), move |tx| store_new(tx, row))
        .await?;
    Ok(created(
        format!("/api/v1/providers/{}", view.id),
        view.version,
        view,
    ))
}

#[utoipa::path(
    tag = "providers",
    params(("id" = String, Path, description = "Provider id")),
    responses((status = 200, body = ProviderView)),
    security(("bearer" = []))
)]
#[get("/providers/{id}")]
pub async fn get_provider(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = state
        .read(move |conn| load_visible(conn, &caller, &id))
        .await?;
    let view = ProviderView::from(row);
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "providers",
    params(
        ("id" = String, Path, description = "Provider id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
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
    let id = id.into_inner();
    let fields = body.parse()?;
    if fields.uscc.is_some() {
        return Err(ApiError::field(
            "uscc",
            "immutable",
            Text::new("the credit code cannot change", "统一社会信用代码不可修改"),
        ));
    }
    let (view, _) = state
        .write(caller.actor(), move |tx| {
            let before = load_visible(tx.conn(), &caller, &id)?;
            if !may_maintain(tx.conn(), &caller, &id)? {
                return Err(ApiError::Forbidden("maintain this provider"));
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
            store_update(tx, before, row)
        })
        .await?;
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "providers",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = ProviderView)),
    security(("bearer" = []))
)]
#[get("/providers/by-code/{uscc}")]
pub async fn get_provider_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = parse_path_uscc(&uscc)?;
    let row = state
        .read(move |conn| {
            let found = providers::find_by_usccs(conn, &[code])?;
            let row = found.into_iter().next().ok_or(ApiError::NotFound)?;
            load_visible(conn, &caller, &row.id)
        })
        .await?;
    let view = ProviderView::from(row);
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "providers",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    request_body(content = ProviderFields, description = "The provider as the caller knows it (uscc comes from the path)"),
    responses(
        (status = 200, description = "Updated, or unchanged when the body changes nothing (no new version, no change event)", body = ProviderView),
        (status = 201, description = "Created", body = ProviderView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/providers/by-code/{uscc}")]
pub async fn put_provider_by_code(
    state: web::Data<AppState>,
    caller: Caller,
    uscc: web::Path<String>,
    body: Json<ProviderFields>,
) -> Result<HttpResponse, ApiError> {
    let code = parse_path_uscc(&uscc)?;
    let fields = body.parse()?;
    if fields
        .uscc
        .as_deref()
        .is_some_and(|u| parse_uscc(u).ok().as_deref() != Some(code.as_str()))
    {
        return Err(ApiError::field(
            "uscc",
            "uscc_mismatch",
            Text::new("differs from the code in the path", "与路径中的代码不一致"),
        ));
    }
    let (view, is_new) = state
        .write(caller.actor(), move |tx| {
            let existing = providers::find_by_usccs(tx.conn(), std::slice::from_ref(&code))?;
            match existing.into_iter().next() {
                None => {
                    require_registrar(&caller)?;
                    let row = new_row(Ok(code), fields)?;
                    Ok((store_new(tx, row)?, true))
                }
                Some(before) => {
                    let before = load_visible(tx.conn(), &caller, &before.id)?;
                    if !may_maintain(tx.conn(), &caller, &before.id)? {
                        return Err(ApiError::Forbidden("maintain this provider"));
                    }
                    let mut row = before.clone();
                    let errors = apply(
                        &mut row,
                        ProviderFields {
                            uscc: None,
                            ..fields
                        },
                    );
                    if !errors.is_empty() {
                        return Err(ApiError::Validation(errors));
                    }
                    Ok((store_update(tx, before, row)?.0, false))
                }
            }
        })
        .await?;
    Ok(if is_new {
        created(format!("/api/v1/providers/{}", view.id), view.version, view)
    } else {
        versioned(view.version, view)
    })
}
