//! Products and solutions (小快轻准 产品/解决方案): each by one provider,
//! listed into programmes' libraries (see `admissions`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::{products, providers};
use shuzhuan_persistence::rows::ProductRow;
use shuzhuan_persistence::{
    AnyConnection, Change, Coded, Json, RepoError, Session, Tx, new_id, now,
};
use shuzhuan_types::{Deployment, ObjectType, Target};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::{self, Body};
use crate::journal::{Key, change};
use crate::policy::Right;
use crate::principal::Principal;
use crate::providers::{may_maintain, only, resolve_scenarios};
use crate::view::{List, code_schema, utc};

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
    #[schema(schema_with = code_schema::<Deployment>)]
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
    #[schema(schema_with = code_schema::<Deployment>)]
    pub deployment: Deployment,
    pub price_fen: Option<i64>,
    pub description: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProductRow> for ProductView {
    fn from(p: ProductRow) -> Self {
        ProductView {
            scenarios: p.scenarios.into_inner(),
            industries: p.industries.into_inner(),
            id: p.id,
            provider_id: p.provider_id,
            name: p.name,
            deployment: p.deployment.0,
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
            Ok(codes) => {
                if let Ok(json) = Json::new(codes) {
                    row.scenarios = json;
                }
            }
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
        } else if let Ok(json) = Json::new(list) {
            row.industries = json;
        }
    }
    if let Some(v) = f.deployment {
        match input::code::<Deployment>("deployment", &v) {
            Ok(d) => row.deployment = Coded(d),
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

pub(crate) fn blank(id: String, provider_id: String) -> Result<ProductRow> {
    let at = now();
    Ok(ProductRow {
        id,
        provider_id,
        name: String::new(),
        scenarios: Json::new(Vec::new())?,
        industries: Json::new(Vec::new())?,
        deployment: Coded(Deployment::Saas),
        price_fen: None,
        description: String::new(),
        version: 1,
        created_at: at,
        updated_at: at,
    })
}

/// Whether the caller reads the product (by its provider).
fn readable_product(who: &Principal, row: &ProductRow) -> bool {
    who.reach(Right::ReadProduct).contains(&Target {
        providers: vec![&row.provider_id],
        ..Default::default()
    })
}

/// The product if the caller reads it; 404 otherwise.
fn visible(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<ProductRow> {
    who.require(Right::ReadProduct)?;
    let row = products::find(conn, id)?;
    if readable_product(who, &row) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

fn name_taken(e: RepoError) -> AppError {
    AppError::from(e).conflict_as(
        "name_taken",
        Text::new(
            "The provider has a product of this name.",
            "该服务商已有同名产品。",
        ),
    )
}

fn product_change(action: &str, before: Option<&ProductView>, after: &ProductView) -> Change {
    change(
        action,
        ObjectType::Product,
        Key::new(&after.id, None, after.version),
        before,
        after,
    )
}

pub(crate) fn store_new(tx: &mut Tx<'_>, row: ProductRow) -> Result<ProductView> {
    products::insert(tx.conn(), &row).map_err(name_taken)?;
    let view = ProductView::from(row);
    tx.record(product_change("product.create", None, &view));
    Ok(view)
}

/// Stores `row` over `before`; an unchanged row writes nothing and emits no
/// change event.
pub(crate) fn store_update(
    tx: &mut Tx<'_>,
    before: ProductRow,
    mut row: ProductRow,
) -> Result<(ProductView, bool)> {
    if row == before {
        return Ok((ProductView::from(row), false));
    }
    row.version = before.version + 1;
    row.updated_at = now();
    products::update(tx.conn(), &row, before.version).map_err(name_taken)?;
    let (before, after) = (ProductView::from(before), ProductView::from(row));
    tx.record(product_change("product.update", Some(&before), &after));
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
    #[param(schema_with = code_schema::<Deployment>)]
    pub deployment: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

/// Products (a provider's staff see their own only).
pub fn list(s: &mut Session, who: &Principal, q: ProductQuery) -> Result<List<ProductView>> {
    let reach = who.require(Right::ReadProduct)?;
    let filter = products::Filter {
        deployment: input::optional_code::<Deployment>("deployment", q.deployment.as_deref())?,
        q: q.q,
        provider_id: q.provider_id,
        scenario: q.scenario,
        of_providers: only(&reach),
    };
    let page = products::list(
        s.conn(),
        &filter,
        crate::view::cursor_key(q.cursor.as_deref())?.as_deref(),
        q.limit.unwrap_or(50),
    )?;
    Ok(List::from_page(page))
}

/// A product of a provider the caller maintains (its staff, a programme
/// office whose pool holds it, the platform).
pub fn create(s: &mut Session, who: &Principal, body: Body<ProductFields>) -> Result<ProductView> {
    who.require(Right::MaintainProduct)?;
    let mut fields = body.read()?;
    let provider_id = fields.provider_id.take();
    let mut errors = Vec::new();
    for (field, missing) in [
        ("provider_id", provider_id.is_none()),
        ("name", fields.name.is_none()),
    ] {
        if missing {
            errors.push(FieldError::required(field));
        }
    }
    let mut row = blank(new_id(), provider_id.unwrap_or_default())?;
    errors.extend(apply(&mut row, fields));
    AppError::check(errors)?;
    // The right on the provider named first (403), so nobody learns from
    // the answer whether a provider they may not maintain exists; only
    // those whose right reaches every provider can meet one that is not.
    may_maintain(s.conn(), who, Right::MaintainProduct, &row.provider_id)?;
    match providers::find(s.conn(), &row.provider_id) {
        Err(RepoError::NotFound) => {
            return Err(AppError::field(
                "provider_id",
                "unknown_provider",
                Text::new("no such provider", "服务商不存在"),
            ));
        }
        other => other?,
    };
    s.write(&who.actor(), |tx| store_new(tx, row))
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<ProductView> {
    Ok(visible(s.conn(), who, id)?.into())
}

pub fn update(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<ProductFields>,
) -> Result<ProductView> {
    who.require(Right::MaintainProduct)?;
    let before = visible(s.conn(), who, id)?;
    may_maintain(s.conn(), who, Right::MaintainProduct, &before.provider_id)?;
    let fields = body.read()?;
    if fields.provider_id.is_some() {
        return Err(AppError::field(
            "provider_id",
            "immutable",
            Text::new("a product keeps its provider", "产品所属服务商不可修改"),
        ));
    }
    expected.check(before.version)?;
    let mut row = before.clone();
    AppError::check(apply(&mut row, fields))?;
    s.write(&who.actor(), |tx| Ok(store_update(tx, before, row)?.0))
}
