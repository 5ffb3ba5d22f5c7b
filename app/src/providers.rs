//! Service providers (服务商): national entities by credit code, registered
//! once and admitted into each programme's pool (see `admissions`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::AdmissionKind;
use shuzhuan_persistence::repo::{admissions, providers};
use shuzhuan_persistence::rows::ProviderRow;
use shuzhuan_persistence::{
    AnyConnection, Change, Coded, Json, RepoError, Session, Tx, new_id, now,
};
use shuzhuan_types::{ObjectType, ProviderKind, Reach, Specialty, Target};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::{self, Body};
use crate::journal::{Key, change};
use crate::policy::Right;
use crate::principal::Principal;
use crate::registry::{self, ByCode, Upserted};
use crate::view::{List, code_schema, utc};

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
    #[schema(schema_with = code_schema::<ProviderKind>)]
    pub kind: Option<String>,
    /// 行业集成 (integrator) or 专业 (specialist).
    #[schema(schema_with = code_schema::<Specialty>)]
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
    #[schema(schema_with = code_schema::<ProviderKind>)]
    pub kind: ProviderKind,
    #[schema(schema_with = code_schema::<Specialty>)]
    pub specialty: Specialty,
    pub local: bool,
    pub scenarios: Vec<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProviderRow> for ProviderView {
    fn from(p: ProviderRow) -> Self {
        ProviderView {
            scenarios: p.scenarios.into_inner(),
            id: p.id,
            uscc: p.uscc,
            name: p.name,
            kind: p.kind.0,
            specialty: p.specialty.0,
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

/// Scenario codes from codes or Chinese names (SCORING.md §2), in the
/// catalogue's order without repeats, or the field error naming the first
/// unknown one.
pub(crate) fn resolve_scenarios(given: &[String]) -> std::result::Result<Vec<String>, FieldError> {
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
    if let Some(v) = f.kind {
        match input::code::<ProviderKind>("kind", &v) {
            Ok(k) => row.kind = Coded(k),
            Err(e) => errors.push(e),
        }
    }
    if let Some(v) = f.specialty {
        match input::code::<Specialty>("specialty", &v) {
            Ok(k) => row.specialty = Coded(k),
            Err(e) => errors.push(e),
        }
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

pub(crate) fn blank(id: String, uscc: String) -> Result<ProviderRow> {
    let at = now();
    Ok(ProviderRow {
        id,
        uscc,
        name: String::new(),
        kind: Coded(ProviderKind::Scenario),
        specialty: Coded(Specialty::Specialist),
        local: false,
        scenarios: Json::new(Vec::new())?,
        contact_name: String::new(),
        contact_phone: String::new(),
        description: String::new(),
        version: 1,
        created_at: at,
        updated_at: at,
    })
}

/// A provider as a target: itself, and the programmes whose pool holds it
/// (loaded only when the reach asks by programme).
pub(crate) fn target<'a>(
    conn: &mut AnyConnection,
    id: &'a str,
    reach: &Reach,
    pools: &'a mut Vec<String>,
) -> Result<Target<'a>> {
    if !reach.all && (!reach.programmes.is_empty() || reach.unclaimed) {
        *pools = admissions::programs_of(conn, AdmissionKind::ProviderPool, id)?;
    }
    Ok(Target {
        programmes: pools.iter().map(String::as_str).collect(),
        providers: vec![id],
        ..Default::default()
    })
}

/// Whether `right` (maintaining the provider or its products) reaches
/// provider `id`.
pub(crate) fn maintains(
    conn: &mut AnyConnection,
    who: &Principal,
    right: Right,
    id: &str,
) -> Result<bool> {
    let reach = who.reach(right);
    let mut pools = Vec::new();
    Ok(reach.contains(&target(conn, id, &reach, &mut pools)?))
}

/// 403 unless `right` (maintaining the provider or its products) reaches
/// provider `id`.
pub(crate) fn may_maintain(
    conn: &mut AnyConnection,
    who: &Principal,
    right: Right,
    id: &str,
) -> Result<()> {
    who.require(right)?;
    if maintains(conn, who, right, id)? {
        Ok(())
    } else {
        Err(AppError::Forbidden(right))
    }
}

/// Whether the caller reads provider `id`.
pub(crate) fn readable(who: &Principal, id: &str) -> bool {
    who.reach(Right::ReadProvider).contains(&Target {
        providers: vec![id],
        ..Default::default()
    })
}

/// The provider if the caller reads it; 404 otherwise.
fn visible(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<ProviderRow> {
    who.require(Right::ReadProvider)?;
    if !readable(who, id) {
        return Err(AppError::NotFound);
    }
    Ok(providers::find(conn, id)?)
}

fn provider_change(action: &str, before: Option<&ProviderView>, after: &ProviderView) -> Change {
    change(
        action,
        ObjectType::Provider,
        Key::new(&after.id, None, after.version),
        before,
        after,
    )
}

fn uscc_taken(e: RepoError) -> AppError {
    AppError::from(e).conflict_as(
        "uscc_taken",
        Text::new(
            "A provider with this credit code exists.",
            "已存在该统一社会信用代码的服务商。",
        ),
    )
}

pub(crate) fn store_new(tx: &mut Tx<'_>, row: ProviderRow) -> Result<ProviderView> {
    providers::insert(tx.conn(), &row).map_err(uscc_taken)?;
    Registry::created(tx, row)
}

/// Stores `row` over `before`; an unchanged row writes nothing and emits no
/// change event.
pub(crate) fn store_update(
    tx: &mut Tx<'_>,
    before: ProviderRow,
    mut row: ProviderRow,
) -> Result<(ProviderView, bool)> {
    if row == before {
        return Ok((ProviderView::from(row), false));
    }
    row.version = before.version + 1;
    row.updated_at = now();
    providers::update(tx.conn(), &row, before.version)?;
    let (before, after) = (ProviderView::from(before), ProviderView::from(row));
    tx.record(provider_change("provider.update", Some(&before), &after));
    Ok((after, true))
}

/// The provider registry as the shared upsert by code sees it.
struct Registry;

impl ByCode for Registry {
    type Row = ProviderRow;
    type View = ProviderView;

    fn find(conn: &mut AnyConnection, code: &str) -> Result<Option<ProviderRow>> {
        Ok(providers::find_by_usccs(conn, &[code.to_owned()])?
            .into_iter()
            .next())
    }

    fn version(row: &ProviderRow) -> i64 {
        row.version
    }

    fn insert(conn: &mut AnyConnection, row: &ProviderRow) -> std::result::Result<(), RepoError> {
        providers::insert(conn, row)
    }

    fn created(tx: &mut Tx<'_>, row: ProviderRow) -> Result<ProviderView> {
        let view = ProviderView::from(row);
        tx.record(provider_change("provider.create", None, &view));
        Ok(view)
    }

    fn update(
        tx: &mut Tx<'_>,
        before: ProviderRow,
        row: ProviderRow,
    ) -> Result<(ProviderView, bool)> {
        store_update(tx, before, row)
    }
}

/// A new provider from `fields` (name required), or every fault.
pub(crate) fn new_row(
    code: std::result::Result<String, FieldError>,
    fields: ProviderFields,
) -> Result<ProviderRow> {
    let mut errors = Vec::new();
    let code = code.unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    if fields.name.is_none() {
        errors.push(FieldError::required("name"));
    }
    let mut row = blank(new_id(), code)?;
    errors.extend(apply(
        &mut row,
        ProviderFields {
            uscc: None,
            ..fields
        },
    ));
    AppError::check(errors)?;
    Ok(row)
}

/// 403 unless the caller registers new providers (a new one is in no pool).
fn may_register(who: &Principal) -> Result<()> {
    who.check(Right::RegisterProvider, &Target::default())
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProviderQuery {
    /// A substring of the name or the credit code.
    #[param(max_length = 100)]
    #[validate(length(max = 100, message = "at most 100 characters", code = "length"))]
    pub q: Option<String>,
    #[param(schema_with = code_schema::<ProviderKind>)]
    pub kind: Option<String>,
    #[param(schema_with = code_schema::<Specialty>)]
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
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

/// The providers a reach lists: all, or its own providers (the table
/// gives provider reads no other scope).
pub(crate) fn only(reach: &Reach) -> Option<Vec<String>> {
    (!reach.all).then(|| reach.providers.clone())
}

/// Providers (a provider's staff see their own only).
pub fn list(s: &mut Session, who: &Principal, q: ProviderQuery) -> Result<List<ProviderView>> {
    let reach = who.require(Right::ReadProvider)?;
    let mut errors = Vec::new();
    let kind = q
        .kind
        .as_deref()
        .map(|v| input::code::<ProviderKind>("kind", v))
        .transpose()
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        });
    let specialty = q
        .specialty
        .as_deref()
        .map(|v| input::code::<Specialty>("specialty", v))
        .transpose()
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        });
    AppError::check(errors)?;
    let filter = providers::Filter {
        q: q.q,
        kind,
        specialty,
        local: q.local,
        scenario: q.scenario,
        only: only(&reach),
    };
    let page = providers::list(
        s.conn(),
        &filter,
        crate::view::cursor_key(q.cursor.as_deref())?.as_deref(),
        q.limit.unwrap_or(50),
    )?;
    Ok(List::from_page(page))
}

pub fn create(
    s: &mut Session,
    who: &Principal,
    body: Body<ProviderFields>,
) -> Result<ProviderView> {
    who.require(Right::RegisterProvider)?;
    may_register(who)?;
    let fields = body.read()?;
    let code = input::uscc("uscc", fields.uscc.as_deref().unwrap_or_default());
    let row = new_row(code, fields)?;
    s.write(&who.actor(), |tx| store_new(tx, row))
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<ProviderView> {
    Ok(visible(s.conn(), who, id)?.into())
}

pub fn get_by_code(s: &mut Session, who: &Principal, uscc: &str) -> Result<ProviderView> {
    who.require(Right::ReadProvider)?;
    let code = input::path_uscc(uscc)?;
    let row = Registry::find(s.conn(), &code)?.ok_or(AppError::NotFound)?;
    if !readable(who, &row.id) {
        return Err(AppError::NotFound);
    }
    Ok(row.into())
}

pub fn update(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<ProviderFields>,
) -> Result<ProviderView> {
    who.require(Right::MaintainProvider)?;
    let before = visible(s.conn(), who, id)?;
    may_maintain(s.conn(), who, Right::MaintainProvider, id)?;
    let fields = body.read()?;
    if fields.uscc.is_some() {
        return Err(AppError::field(
            "uscc",
            "immutable",
            Text::new("the credit code cannot change", "统一社会信用代码不可修改"),
        ));
    }
    expected.check(before.version)?;
    let mut row = before.clone();
    AppError::check(apply(&mut row, fields))?;
    s.write(&who.actor(), |tx| Ok(store_update(tx, before, row)?.0))
}

/// The idempotent upsert by credit code; see `registry`.
pub fn put_by_code(
    s: &mut Session,
    who: &Principal,
    uscc: &str,
    expected: Option<Expected>,
    body: Body<ProviderFields>,
) -> Result<Upserted<ProviderView>> {
    let maintain = who.reach(Right::MaintainProvider);
    let register = who.reach(Right::RegisterProvider);
    if maintain.is_empty() && register.is_empty() {
        return Err(AppError::Forbidden(Right::MaintainProvider));
    }
    let code = input::path_uscc(uscc)?;
    let fields = body.read()?;
    if fields
        .uscc
        .as_deref()
        .is_some_and(|u| input::uscc("uscc", u).ok().as_deref() != Some(code.as_str()))
    {
        return Err(AppError::field(
            "uscc",
            "uscc_mismatch",
            Text::new("differs from the code in the path", "与路径中的代码不一致"),
        ));
    }
    let fields = ProviderFields {
        uscc: None,
        ..fields
    };
    s.write(&who.actor(), |tx| {
        registry::upsert::<Registry>(
            tx,
            &code,
            expected,
            |_| {
                may_register(who)?;
                new_row(Ok(code.clone()), fields.clone())
            },
            |conn, before| {
                if !readable(who, &before.id) {
                    return Err(AppError::NotFound);
                }
                may_maintain(conn, who, Right::MaintainProvider, &before.id)?;
                let mut row = before.clone();
                AppError::check(apply(&mut row, fields.clone()))?;
                Ok(row)
            },
        )
    })
}
