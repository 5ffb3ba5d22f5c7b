//! Products and solutions (小快轻准 产品/解决方案): each by one provider,
//! listed into programmes' libraries (see `admissions`).

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{products, providers};
use shuzhuan_persistence::rows::ProductRow;
use shuzhuan_persistence::{AnyConnection, RepoError, Tx, new_id, now};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError, Problem, Text};
use crate::extract::{IfMatch, Json, List, Query, created, versioned};
use crate::routes::providers::{
    codes_from, codes_to, may_maintain, one_of, own_providers, resolve_scenarios,
};
use crate::routes::{change_of, string_enum, utc};
use crate::state::AppState;

const DEPLOYMENTS: [&str; 3] = ["saas", "on_premises", "hybrid"];

fn deployment_schema() -> utoipa::openapi::schema::Object {
    string_enum(DEPLOYMENTS)
}

/// What a caller sets on a product (PATCH sets any subset but the provider).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "provider_id": "0193…", "name": "轻量化 MES 云平台", "scenarios": ["production_control", "quality"],
    "industries": ["装备制造"], "deployment": "saas", "price_fen": 4_800_000, "description": "按年订阅"
}))]
pub struct ProductFields {
    /// The provider that offers it (set on creation only).
    pub provider_id: Option<String>,
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// The business scenarios served, by the 16 codes of SCORING.md §2 (or
    /// their Chinese names).
    #[validate(length(max = 16, message = "at most 16 scenarios", code = "length"))]
    #[schema(max_items = 16)]
    pub scenarios: Option<Vec<String>>,
    /// The industries it is made for (codes or names, as free text).
    #[validate(length(max = 30, message = "at most 30 industries", code = "length"))]
    #[schema(max_items = 30)]
    pub industries: Option<Vec<String>>,
    #[schema(schema_with = deployment_schema)]
    pub deployment: Option<String>,
    /// Price in fen (分).
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    #[schema(minimum = 0)]
    pub price_fen: Option<i64>,
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductView {
    pub id: String,
    pub provider_id: String,
    pub name: String,
    pub scenarios: Vec<String>,
    pub industries: Vec<String>,
    #[schema(schema_with = deployment_schema)]
    pub deployment: String,
    pub price_fen: Option<i64>,
    pub description: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProductRow> for ProductView {
    fn from(p: ProductRow) -> Self {
        ProductView {
            scenarios: codes_from(&p.scenarios),
            industries: codes_from(&p.industries),
            id: p.id,
            provider_id: p.provider_id,
            name: p.name,
            deployment: p.deployment,
            price_fen: p.price_fen,
            description: p.description,
            version: p.version,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

/// Applies the given fields (but the provider) onto `row`, collecting every
/// fault.
pub(crate) fn apply(row: &mut ProductRow, f: ProductFields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(v) = f.name {
        row.name = v.trim().to_owned();
    }
    if let Some(v) = f.scenarios {
        match resolve_scenarios(&v) {
            Ok(codes) => row.scenarios = codes_to(&codes),
            Err(e) => errors.push(e),
        }
    }
    if let Some(v) = f.industries {
        let list: Vec<String> = v.iter().map(|i| i.trim().to_owned()).collect();
        if list.iter().any(|i| i.is_empty() || i.chars().count() > 50) {
            errors.push(FieldError::new(
                "industries",
                "invalid_value",
                Text::new("each 1 to 50 characters", "每项 1 至 50 个字符"),
            ));
        } else {
            row.industries = codes_to(&list);
        }
    }
    if let Some(v) = f.deployment {
        match one_of("deployment", v, &DEPLOYMENTS) {
            Ok(v) => row.deployment = v,
            Err(e) => errors.push(e),
        }
    }
    if f.price_fen.is_some() {
        row.price_fen = f.price_fen;
    }
    if let Some(v) = f.description {
        row.description = v;
    }
    errors
}

pub(crate) fn blank(id: String, provider_id: String) -> ProductRow {
    let at = now();
    ProductRow {
        id,
        provider_id,
        name: String::new(),
        scenarios: "[]".into(),
        industries: "[]".into(),
        deployment: "saas".into(),
        price_fen: None,
        description: String::new(),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// Loads a product the caller may see (404 otherwise): a provider's staff
/// see their own provider's products only.
pub(crate) fn load_visible(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<ProductRow, ApiError> {
    let row = products::find(conn, id)?;
    match own_providers(caller) {
        Some(own) if !own.contains(&row.provider_id) => Err(ApiError::NotFound),
        _ => Ok(row),
    }
}

fn name_taken(e: RepoError) -> ApiError {
    ApiError::from(e).conflict_as(
        "name_taken",
        Text::new(
            "The provider has a product of this name.",
            "该服务商已有同名产品。",
        ),
    )
}

pub(crate) fn store_new(tx: &mut Tx<'_>, row: ProductRow) -> Result<ProductView, ApiError> {
    products::insert(tx.conn(), &row).map_err(name_taken)?;
    let view = ProductView::from(row);
    let key = (view.id.as_str(), None, view.version);
    tx.record(change_of("product.create", "product", key, None, &view));
    Ok(view)
}

/// Stores `row` over `before`; an unchanged row writes nothing and emits no
/// change event.
pub(crate) fn store_update(
    tx: &mut Tx<'_>,
    before: ProductRow,
    mut row: ProductRow,
) -> Result<(ProductView, bool), ApiError> {
    if row == before {
        return Ok((ProductView::from(row), false));
    }
    row.version = before.version + 1;
    row.updated_at = now();
    products::update(tx.conn(), &row, before.version).map_err(name_taken)?;
    let (before, after) = (ProductView::from(before), ProductView::from(row));
    let key = (after.id.as_str(), None, after.version);
    tx.record(change_of(
        "product.update",
        "product",
        key,
        Some(&before),
        &after,
    ));
    Ok((after, true))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// A substring of the name.
    #[param(max_length = 100)]
    #[validate(length(max = 100, message = "at most 100 characters", code = "length"))]
    pub q: Option<String>,
    pub provider_id: Option<String>,
    /// A scenario code served.
    #[param(max_length = 40)]
    #[validate(length(max = 40, message = "at most 40 characters", code = "length"))]
    pub scenario: Option<String>,
    #[param(schema_with = deployment_schema)]
    pub deployment: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

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
    if let Some(v) = &q.deployment {
        one_of("deployment", v.clone(), &DEPLOYMENTS).map_err(|e| ApiError::Validation(vec![e]))?;
    }
    let filter = products::Filter {
        q: q.q,
        provider_id: q.provider_id,
        scenario: q.scenario,
        deployment: q.deployment,
        of_providers: own_providers(&caller),
    };
    let (after, limit) = (q.cursor, q.limit.unwrap_or(50));
    let page = state
        .read(move |conn| Ok(products::list(conn, &filter, after.as_deref(), limit)?))
        .await?;
    Ok(web::Json(List::from_page(page)))
}

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
    let mut fields = body.parse()?;
    let provider_id = fields.provider_id.take();
    let mut errors = Vec::new();
    for (field, missing) in [
        ("provider_id", provider_id.is_none()),
        ("name", fields.name.is_none()),
    ] {
        if missing {
            errors.push(FieldError::new(
                field,
                "required",
                Text::new("required", "必填"),
            ));
        }
    }
    let mut row = blank(new_id(), provider_id.unwrap_or_default());
    errors.extend(apply(&mut row, fields));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let view = state
        .write(caller.actor(), move |tx| {
            match providers::find(tx.conn(), &row.provider_id) {
                Err(RepoError::NotFound) => {
                    return Err(ApiError::field(
                        "provider_id",
                        "unknown_provider",
                        Text::new("no such provider", "服务商不存在"),
                    ));
                }
                other => other?,
            };
            if !may_maintain(tx.conn(), &caller, &row.provider_id)? {
                return Err(ApiError::Forbidden("add products of this provider"));
            }
            store_new(tx, row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/products/{}", view.id),
        view.version,
        view,
    ))
}

#[utoipa::path(
    tag = "products",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = ProductView)),
    security(("bearer" = []))
)]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let row = state
        .read(move |conn| load_visible(conn, &caller, &id))
        .await?;
    let view = ProductView::from(row);
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "products",
    params(
        ("id" = String, Path, description = "Product id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
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
    let id = id.into_inner();
    let fields = body.parse()?;
    if fields.provider_id.is_some() {
        return Err(ApiError::field(
            "provider_id",
            "immutable",
            Text::new("a product keeps its provider", "产品所属服务商不可修改"),
        ));
    }
    let (view, _) = state
        .write(caller.actor(), move |tx| {
            let before = load_visible(tx.conn(), &caller, &id)?;
            if !may_maintain(tx.conn(), &caller, &before.provider_id)? {
                return Err(ApiError::Forbidden("maintain this product"));
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
