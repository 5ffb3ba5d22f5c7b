//! Enterprises (企业, 一企一档): register, find, maintain, and the
//! idempotent upsert by credit code the national platform uses.
//!
//! Who edits what (DOMAIN.md §2): an enterprise's own staff keep its
//! profile (name, contact); the city office, and the county office for its
//! regions, its enrolment (region, industry, size, tier, flags, figures);
//! an enterprise never changes programme by an edit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::enterprises::{self, Filter};
use shuzhuan_persistence::repo::programs;
use shuzhuan_persistence::rows::EnterpriseRow;
use shuzhuan_persistence::{
    AnyConnection, Change, Coded, RepoError, Session, Tx, alongside, new_id, now,
};
use shuzhuan_types::{ObjectType, Reach, SizeClass, Target, Tier};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::{self, Body};
use crate::journal::{Key, change};
use crate::policy::Right;
use crate::principal::Principal;
use crate::registry::{self, ByCode, Upserted};
use crate::view::{List, code_schema, utc};

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
    /// The programme it is enrolled in; regions and industries are its
    /// codes. Set once: an enterprise never changes programme by an edit.
    pub program_id: Option<String>,
    pub region_code: Option<String>,
    pub industry_code: Option<String>,
    /// 规上 (above designated size).
    pub above_designated_size: Option<bool>,
    #[schema(schema_with = code_schema::<SizeClass>)]
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
    #[schema(schema_with = code_schema::<Tier>)]
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
    #[schema(schema_with = code_schema::<SizeClass>)]
    pub size_class: SizeClass,
    pub specialised: bool,
    pub little_giant: bool,
    pub innovative: bool,
    pub chain_master: bool,
    pub employees: Option<i32>,
    pub revenue_fen: Option<i64>,
    pub contact_name: String,
    pub contact_phone: String,
    pub cloud_adopted: bool,
    #[schema(schema_with = code_schema::<Tier>)]
    pub tier: Tier,
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
            size_class: e.size_class.0,
            specialised: e.specialised,
            little_giant: e.little_giant,
            innovative: e.innovative,
            chain_master: e.chain_master,
            employees: e.employees,
            revenue_fen: e.revenue_fen,
            contact_name: e.contact_name,
            contact_phone: e.contact_phone,
            cloud_adopted: e.cloud_adopted,
            tier: e.tier.0,
            version: e.version,
            created_at: utc(e.created_at),
            updated_at: utc(e.updated_at),
        }
    }
}

/// Applies the given fields onto `row`, collecting every fault. The
/// programme is set here only on a row that has none (enrolment); a
/// different programme is refused.
pub(crate) fn apply(row: &mut EnterpriseRow, f: EnterpriseFields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(v) = f.name {
        row.name = v;
    }
    match (&row.program_id, f.program_id) {
        (_, None) => {}
        (None, Some(p)) => row.program_id = Some(p),
        (Some(current), Some(p)) if *current == p => {}
        (Some(_), Some(_)) => errors.push(FieldError::new(
            "program_id",
            "program_immutable",
            Text::new(
                "an enterprise stays in the programme it is enrolled in",
                "企业所属试点不可通过修改变更",
            ),
        )),
    }
    if let Some(v) = f.region_code {
        row.region_code = Some(v);
    }
    if let Some(v) = f.industry_code {
        row.industry_code = Some(v);
    }
    if let Some(v) = f.size_class {
        match input::code::<SizeClass>("size_class", &v) {
            Ok(c) => row.size_class = Coded(c),
            Err(e) => errors.push(e),
        }
    }
    if let Some(v) = f.tier {
        match input::code::<Tier>("tier", &v) {
            Ok(c) => row.tier = Coded(c),
            Err(e) => errors.push(e),
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

/// Whether `after` changes the enrolment of `before` (what feeds the
/// targets), not only its profile.
fn changes_enrolment(before: &EnterpriseRow, after: &EnterpriseRow) -> bool {
    before.program_id != after.program_id
        || before.region_code != after.region_code
        || before.industry_code != after.industry_code
        || before.above_designated_size != after.above_designated_size
        || before.size_class != after.size_class
        || before.specialised != after.specialised
        || before.little_giant != after.little_giant
        || before.innovative != after.innovative
        || before.chain_master != after.chain_master
        || before.employees != after.employees
        || before.revenue_fen != after.revenue_fen
        || before.cloud_adopted != after.cloud_adopted
        || before.tier != after.tier
}

/// Region and industry must be codes of the enterprise's programme.
pub(crate) fn check_codes(conn: &mut AnyConnection, row: &EnterpriseRow) -> Result<()> {
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
        return AppError::check(errors);
    };
    if !programs::exists(conn, program_id)? {
        return Err(AppError::field(
            "program_id",
            "unknown_program",
            Text::new("no such programme", "试点不存在"),
        ));
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
    AppError::check(errors)
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
        size_class: Coded(SizeClass::Small),
        specialised: false,
        little_giant: false,
        innovative: false,
        chain_master: false,
        employees: None,
        revenue_fen: None,
        contact_name: String::new(),
        contact_phone: String::new(),
        cloud_adopted: false,
        tier: Coded(Tier::Reserve),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn enterprise_change(
    action: &str,
    before: Option<&EnterpriseView>,
    after: &EnterpriseView,
) -> Change {
    let key = Key::new(&after.id, after.program_id.as_deref(), after.version);
    change(action, ObjectType::Enterprise, key, before, after)
}

/// What an enterprise offers the rights that reach it; its projects'
/// providers and assignments are read only when the reach asks for them.
pub(crate) fn target_of<'a>(
    conn: &mut AnyConnection,
    row: &'a EnterpriseRow,
    reach: &Reach,
    ties: &'a mut enterprises::ProjectTies,
) -> Result<Target<'a>> {
    if !reach.providers.is_empty() || !reach.assigned.is_empty() {
        *ties = enterprises::project_ties(conn, &row.id)?;
    }
    Ok(enterprises::target(row, ties))
}

/// Whether `right` reaches the enterprise.
pub(crate) fn reaches(
    conn: &mut AnyConnection,
    who: &Principal,
    right: Right,
    row: &EnterpriseRow,
) -> Result<bool> {
    holds(conn, &who.reach(right), row)
}

/// Whether `reach` holds the enterprise: the single read's check, in
/// memory, by the predicate the list's SQL (`enterprises::reach_condition`)
/// is tested to agree with.
fn holds(conn: &mut AnyConnection, reach: &Reach, row: &EnterpriseRow) -> Result<bool> {
    let mut ties = Default::default();
    let target = target_of(conn, row, reach, &mut ties)?;
    Ok(reach.contains(&target))
}

/// The enterprise if the caller may read it; 404 otherwise.
pub(crate) fn visible(
    conn: &mut AnyConnection,
    who: &Principal,
    id: &str,
) -> Result<EnterpriseRow> {
    let reach = who.require(Right::ReadEnterprise)?;
    let row = match enterprises::find(conn, id) {
        Err(RepoError::NotFound) => return Err(AppError::NotFound),
        other => other?,
    };
    reached(conn, &reach, row)
}

/// The row if `reach` holds it, 404 otherwise. Reading by id or code
/// first keeps the query a prepared statement the connection reuses.
fn reached(conn: &mut AnyConnection, reach: &Reach, row: EnterpriseRow) -> Result<EnterpriseRow> {
    if holds(conn, reach, &row)? {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// Creates many rows, whose codes the caller has checked, in one unit of
/// work (bulk imports, demo data). Their change snapshots render on a
/// second thread while the rows are written.
pub(crate) fn store_many(tx: &mut Tx<'_>, rows: Vec<EnterpriseRow>) -> Result<u64> {
    let (changes, written) = alongside(
        || {
            rows.iter()
                .map(|row| {
                    enterprise_change(
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

fn uscc_taken(e: RepoError) -> AppError {
    AppError::from(e).conflict_as(
        "uscc_taken",
        Text::new(
            "An enterprise with this credit code exists.",
            "已存在该统一社会信用代码的企业。",
        ),
    )
}

/// The enterprise registry as the shared upsert by code sees it.
struct Registry;

impl ByCode for Registry {
    type Row = EnterpriseRow;
    type View = EnterpriseView;

    fn find(conn: &mut AnyConnection, code: &str) -> Result<Option<EnterpriseRow>> {
        Ok(enterprises::find_by_uscc(conn, code)?)
    }

    fn version(row: &EnterpriseRow) -> i64 {
        row.version
    }

    fn insert(conn: &mut AnyConnection, row: &EnterpriseRow) -> std::result::Result<(), RepoError> {
        enterprises::insert(conn, row)
    }

    fn created(tx: &mut Tx<'_>, row: EnterpriseRow) -> Result<EnterpriseView> {
        let view = EnterpriseView::from(row);
        tx.record(enterprise_change("enterprise.create", None, &view));
        Ok(view)
    }

    fn update(
        tx: &mut Tx<'_>,
        before: EnterpriseRow,
        row: EnterpriseRow,
    ) -> Result<(EnterpriseView, bool)> {
        store_update(tx, before, row)
    }
}

/// Stores `row`, whose codes are checked, over `before`; an unchanged row
/// writes nothing and emits no change event.
pub(crate) fn store_update(
    tx: &mut Tx<'_>,
    before: EnterpriseRow,
    mut row: EnterpriseRow,
) -> Result<(EnterpriseView, bool)> {
    if row == before {
        return Ok((EnterpriseView::from(row), false));
    }
    row.version = before.version + 1;
    row.updated_at = now();
    enterprises::update(tx.conn(), &row, before.version)?;
    let (before, after) = (EnterpriseView::from(before), EnterpriseView::from(row));
    tx.record(enterprise_change(
        "enterprise.update",
        Some(&before),
        &after,
    ));
    Ok((after, true))
}

/// A new enterprise from `fields` with credit code `code` (name required),
/// or every fault.
fn new_row(
    code: std::result::Result<String, FieldError>,
    fields: EnterpriseFields,
) -> Result<EnterpriseRow> {
    let mut errors = Vec::new();
    let code = code.unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    if fields.name.is_none() {
        errors.push(FieldError::required("name"));
    }
    let mut row = blank(new_id(), code);
    errors.extend(apply(
        &mut row,
        EnterpriseFields {
            uscc: None,
            ..fields
        },
    ));
    AppError::check(errors)?;
    Ok(row)
}

/// 403 unless the caller may register an enterprise in its programme (a
/// national entity without one: only those whose reach is everything).
fn may_register(who: &Principal, program_id: Option<&str>) -> Result<()> {
    let target = Target {
        programmes: program_id.into_iter().collect(),
        ..Default::default()
    };
    let reach = who.require(Right::RegisterEnterprise)?;
    if reach.contains(&target) && (program_id.is_some() || reach.all) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Right::RegisterEnterprise))
    }
}

/// 403 unless the caller may make this change to a stored enterprise: its
/// profile always needs the profile right, its enrolment the enrolment
/// right as well.
fn may_change(
    conn: &mut AnyConnection,
    who: &Principal,
    before: &EnterpriseRow,
    after: &EnterpriseRow,
) -> Result<()> {
    if !reaches(conn, who, Right::EditEnterpriseProfile, before)? {
        return Err(AppError::Forbidden(Right::EditEnterpriseProfile));
    }
    if changes_enrolment(before, after)
        && !reaches(conn, who, Right::EditEnterpriseEnrolment, before)?
    {
        return Err(AppError::Forbidden(Right::EditEnterpriseEnrolment));
    }
    Ok(())
}

fn validate_tier(tier: &str) -> std::result::Result<(), validator::ValidationError> {
    match input::code::<Tier>("tier", tier) {
        Ok(_) => Ok(()),
        Err(_) => Err(validator::ValidationError::new("invalid_value")
            .with_message("reserve, pilot or demonstration".into())),
    }
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
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
    #[param(schema_with = code_schema::<Tier>)]
    #[validate(custom(function = "validate_tier"))]
    pub tier: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

/// The enterprises in the caller's reach, filtered, in id order.
pub fn list(s: &mut Session, who: &Principal, q: EnterpriseQuery) -> Result<List<EnterpriseView>> {
    let reach = who.require(Right::ReadEnterprise)?;
    let filter = Filter {
        tier: input::optional_code::<Tier>("tier", q.tier.as_deref())?,
        q: q.q,
        program_id: q.program_id,
        region_code: q.region_code,
        industry_code: q.industry_code,
        above_designated_size: q.above_designated_size,
        specialised: q.specialised,
        little_giant: q.little_giant,
    };
    let page = enterprises::list(
        s.conn(),
        &reach,
        &filter,
        crate::view::cursor_key(q.cursor.as_deref())?.as_deref(),
        q.limit.unwrap_or(50),
    )?;
    Ok(List::from_page(page))
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<EnterpriseView> {
    Ok(visible(s.conn(), who, id)?.into())
}

pub fn get_by_code(s: &mut Session, who: &Principal, uscc: &str) -> Result<EnterpriseView> {
    let reach = who.require(Right::ReadEnterprise)?;
    let code = input::path_uscc(uscc)?;
    let row = enterprises::find_by_uscc(s.conn(), &code)?.ok_or(AppError::NotFound)?;
    Ok(reached(s.conn(), &reach, row)?.into())
}

/// Registers an enterprise (the programme's office, the platform, sync
/// clients).
pub fn create(
    s: &mut Session,
    who: &Principal,
    body: Body<EnterpriseFields>,
) -> Result<EnterpriseView> {
    who.require(Right::RegisterEnterprise)?;
    let mut fields = body.read()?;
    may_register(who, fields.program_id.as_deref())?;
    let raw = fields.uscc.take().unwrap_or_default();
    let row = new_row(input::uscc("uscc", &raw), fields)?;
    s.write(&who.actor(), |tx| {
        check_codes(tx.conn(), &row)?;
        enterprises::insert(tx.conn(), &row).map_err(uscc_taken)?;
        Registry::created(tx, row)
    })
}

/// Changes an enterprise: its staff the profile, the offices also its
/// enrolment (see the module doc).
pub fn update(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<EnterpriseFields>,
) -> Result<EnterpriseView> {
    who.require(Right::EditEnterpriseProfile)?;
    let before = visible(s.conn(), who, id)?;
    if !reaches(s.conn(), who, Right::EditEnterpriseProfile, &before)? {
        return Err(AppError::Forbidden(Right::EditEnterpriseProfile));
    }
    let fields = body.read()?;
    if fields.uscc.is_some() {
        return Err(AppError::field(
            "uscc",
            "immutable",
            Text::new("the credit code cannot change", "统一社会信用代码不可修改"),
        ));
    }
    let mut row = before.clone();
    let errors = apply(&mut row, fields);
    may_change(s.conn(), who, &before, &row)?;
    AppError::check(errors)?;
    expected.check(before.version)?;
    s.write(&who.actor(), |tx| {
        check_codes(tx.conn(), &row)?;
        Ok(store_update(tx, before, row)?.0)
    })
}

/// The idempotent upsert by credit code (the national platform's sync;
/// registrars only): the same body twice writes nothing; the first
/// enrolment may set the programme, nothing changes it afterwards.
pub fn put_by_code(
    s: &mut Session,
    who: &Principal,
    uscc: &str,
    expected: Option<Expected>,
    body: Body<EnterpriseFields>,
) -> Result<Upserted<EnterpriseView>> {
    who.require(Right::RegisterEnterprise)?;
    let code = input::path_uscc(uscc)?;
    let fields = body.read()?;
    if fields
        .uscc
        .as_ref()
        .is_some_and(|u| input::uscc("uscc", u).ok().as_deref() != Some(code.as_str()))
    {
        return Err(AppError::field(
            "uscc",
            "uscc_mismatch",
            Text::new("differs from the code in the path", "与路径中的代码不一致"),
        ));
    }
    let fields = EnterpriseFields {
        uscc: None,
        ..fields
    };
    let read = who.reach(Right::ReadEnterprise);
    s.write(&who.actor(), |tx| {
        registry::upsert::<Registry>(
            tx,
            &code,
            expected,
            |conn| {
                may_register(who, fields.program_id.as_deref())?;
                let row = new_row(Ok(code.clone()), fields.clone())?;
                check_codes(conn, &row)?;
                Ok(row)
            },
            |conn, before| {
                if before.program_id.is_some() {
                    let mut ties = Default::default();
                    if !read.contains(&target_of(conn, before, &read, &mut ties)?) {
                        return Err(AppError::NotFound);
                    }
                } else {
                    // A national entity no programme holds yet: its first
                    // enrolment is a registration in that programme.
                    may_register(who, fields.program_id.as_deref())?;
                }
                let mut row = before.clone();
                let errors = apply(&mut row, fields.clone());
                if before.program_id.is_some() {
                    may_change(conn, who, before, &row)?;
                }
                AppError::check(errors)?;
                check_codes(conn, &row)?;
                Ok(row)
            },
        )
    })
}
