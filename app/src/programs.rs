//! Programmes (试点): browse, create from a pack, patch; their regions,
//! industries and batches, and the batch life.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{BatchAction, BatchState, BatchWindow, Phase, PhaseKind};
use shuzhuan_persistence::repo::programs::{self, ProgramAggregate};
use shuzhuan_persistence::rows::{BatchRow, IndustryRow, ProgramRow, RegionRow};
use shuzhuan_persistence::{AnyConnection, Coded, Session, Tx, now};
use shuzhuan_subsidy::Earmark;
use shuzhuan_types::{ObjectType, Op, RegionKind, Role};
use utoipa::ToSchema;
use validator::Validate;

use crate::error::{AppError, Expected, Result, Text};
use crate::input::{Body, Page};
use crate::journal::{Key, change_with};
use crate::packs::{BatchSpec, ProgramPack};
use crate::policy::{self, Right, require_in_programme};
use crate::principal::Principal;
use crate::view::{List, code_list_schema, code_schema, utc};

/// A dated phase of a programme's work plan.
#[derive(ToSchema)]
#[schema(as = Phase, example = json!({"kind": "mid_term_review", "name": "中期考核", "starts_on": "2025-10-01", "ends_on": "2025-12-31", "source": "002 三(二)"}))]
#[allow(dead_code)] // the schema of Phase, never built
pub(crate) struct PhaseSchema {
    #[schema(schema_with = code_schema::<PhaseKind>)]
    kind: PhaseKind,
    /// Its name as the plan writes it.
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// The clause it comes from.
    source: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub city: String,
    pub province: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub description: String,
    /// The seed file and clauses the programme's data comes from.
    pub source: String,
    /// The acceptance level an enterprise must reach to pass (验收达标等级):
    /// the programme's own, 2 where its work plan says so.
    #[schema(minimum = 1, maximum = 4)]
    pub pass_level: u8,
    /// Minimum shares of a source's money per purpose.
    #[schema(value_type = Vec<crate::subsidy::EarmarkSchema>)]
    pub earmarks: Vec<Earmark>,
    /// The plan's dated phases (实施步骤), mid-term review included.
    #[schema(value_type = Vec<PhaseSchema>)]
    pub phases: Vec<Phase>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProgramRow> for ProgramView {
    fn from(p: ProgramRow) -> Self {
        ProgramView {
            id: p.id,
            code: p.code,
            name: p.name,
            city: p.city,
            province: p.province,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            description: p.description,
            source: p.source,
            pass_level: u8::try_from(p.pass_level).unwrap_or(2),
            earmarks: p.earmarks.into_inner(),
            phases: p.phases.into_inner(),
            version: p.version,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    pub code: String,
    pub name: String,
    #[schema(schema_with = code_schema::<RegionKind>)]
    pub kind: RegionKind,
    pub parent_code: Option<String>,
}

impl From<RegionRow> for RegionView {
    fn from(r: RegionRow) -> Self {
        RegionView {
            code: r.code,
            name: r.name,
            kind: r.kind.0,
            parent_code: r.parent_code,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndustryView {
    pub code: String,
    pub name: String,
    pub description: String,
}

impl From<IndustryRow> for IndustryView {
    fn from(i: IndustryRow) -> Self {
        IndustryView {
            code: i.code,
            name: i.name,
            description: i.description,
        }
    }
}

fn batch_action_list_schema() -> utoipa::openapi::schema::Array {
    code_list_schema::<BatchAction>()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchView {
    pub id: String,
    pub program_id: String,
    pub number: i32,
    pub name: String,
    pub applications_open_on: Option<NaiveDate>,
    pub applications_close_on: Option<NaiveDate>,
    pub implementation_ends_on: Option<NaiveDate>,
    pub acceptance_ends_on: Option<NaiveDate>,
    pub capacity: Option<i32>,
    #[schema(schema_with = code_schema::<BatchState>)]
    pub state: BatchState,
    /// The transitions the batch's state allows next.
    #[schema(schema_with = batch_action_list_schema)]
    pub next_actions: Vec<BatchAction>,
    pub note: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BatchRow> for BatchView {
    fn from(b: BatchRow) -> Self {
        BatchView {
            next_actions: b.state.next_actions(),
            id: b.id,
            program_id: b.program_id,
            number: b.number,
            name: b.name,
            applications_open_on: b.applications_open_on,
            applications_close_on: b.applications_close_on,
            implementation_ends_on: b.implementation_ends_on,
            acceptance_ends_on: b.acceptance_ends_on,
            capacity: b.capacity,
            state: b.state.0,
            note: b.note,
            version: b.version,
            created_at: utc(b.created_at),
            updated_at: utc(b.updated_at),
        }
    }
}

fn program_change(
    action: &str,
    before: Option<&ProgramView>,
    after: &ProgramView,
    op: Op,
) -> shuzhuan_persistence::Change {
    let key = Key::new(&after.id, Some(&after.id), after.version);
    change_with(action, ObjectType::Program, key, op, before, after)
}

fn batch_change(
    action: &str,
    before: Option<&BatchView>,
    after: &BatchView,
    op: Op,
) -> shuzhuan_persistence::Change {
    let key = Key::new(&after.id, Some(&after.program_id), after.version);
    change_with(action, ObjectType::Batch, key, op, before, after)
}

/// Creates a programme with its regions, industries, batches, policies,
/// targets and document requirements in one unit of work: one audit entry
/// and change event for the programme and one per batch (also how the seed
/// packs load).
pub(crate) fn insert_pack(tx: &mut Tx<'_>, pack: &ProgramPack) -> Result<ProgramView> {
    let agg: ProgramAggregate = pack.to_aggregate()?;
    programs::insert(tx.conn(), &agg)?;
    let view = ProgramView::from(agg.program.clone());
    let mut after = serde_json::to_value(&view).map_err(AppError::internal)?;
    after["regions"] = serde_json::to_value(
        agg.regions
            .iter()
            .cloned()
            .map(RegionView::from)
            .collect::<Vec<_>>(),
    )
    .map_err(AppError::internal)?;
    after["industries"] = serde_json::to_value(
        agg.industries
            .iter()
            .cloned()
            .map(IndustryView::from)
            .collect::<Vec<_>>(),
    )
    .map_err(AppError::internal)?;
    let mut change = program_change("program.create", None, &view, Op::Create);
    change.after = Some(after.into());
    tx.record(change);
    for b in &agg.batches {
        tx.record(batch_change(
            "batch.create",
            None,
            &BatchView::from(b.clone()),
            Op::Create,
        ));
    }
    for policy in &pack.subsidy_policies {
        crate::subsidy::publish_policy(tx, &view.id, policy, None)?;
    }
    crate::targets::store_pack_targets(tx, &view.id, &pack.targets)?;
    shuzhuan_persistence::repo::projects::set_requirements(
        tx.conn(),
        &view.id,
        &pack.requirements().pairs()?,
    )?;
    Ok(view)
}

/// The programmes the caller sees.
pub fn list(s: &mut Session, who: &Principal, page: &Page) -> Result<List<ProgramView>> {
    let reach = who.require(Right::ReadProgramme)?;
    let only = reach
        .programme_bound()
        .map(|ids| ids.into_iter().map(str::to_owned).collect::<Vec<String>>());
    let rows = programs::list(
        s.conn(),
        only.as_deref(),
        page.after()?.as_deref(),
        page.limit(),
    )?;
    Ok(List::from_page(rows))
}

/// A programme from a pack (platform_admin).
pub fn create(s: &mut Session, who: &Principal, body: Body<ProgramPack>) -> Result<ProgramView> {
    who.require(Right::CreateProgramme)?;
    let pack = body.read()?;
    AppError::check(pack.check())?;
    s.write(&who.actor(), |tx| insert_pack(tx, &pack))
        .map_err(|e| {
            e.conflict_as(
                "program_code_taken",
                Text::new("A programme with this code exists.", "已存在该代码的试点。"),
            )
        })
}

/// The programme, if the caller sees it (404 otherwise).
/// The id of the programme a code names (`yinchuan`), so a code serves
/// wherever an id does. Names are not secrets: the use case the request
/// goes on to checks its right and scope as it would for the id.
pub fn id_of_code(s: &mut Session, code: &str) -> Result<Option<String>> {
    Ok(programs::id_of_code(s.conn(), code)?)
}

pub(crate) fn visible(conn: &mut AnyConnection, who: &Principal, id: &str) -> Result<ProgramRow> {
    who.require(Right::ReadProgramme)?;
    who.sees(Right::ReadProgramme, &policy::programme(id))?;
    Ok(programs::find(conn, id)?)
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<ProgramView> {
    Ok(visible(s.conn(), who, id)?.into())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Updated after the 2026 mid-term review."}))]
pub struct UpdateProgramRequest {
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// The acceptance level that passes, 1 to 4; it applies to acceptances
    /// recorded from now on.
    #[validate(range(min = 1, max = 4, message = "must be 1 to 4", code = "range"))]
    #[schema(minimum = 1, maximum = 4)]
    pub pass_level: Option<u8>,
    /// Replaces the programme's earmarks (minimum shares of a source's
    /// money per purpose).
    #[validate(length(max = 50, message = "at most 50 earmarks", code = "length"))]
    #[schema(value_type = Option<Vec<crate::subsidy::EarmarkSchema>>, max_items = 50)]
    pub earmarks: Option<Vec<Earmark>>,
}

pub fn update(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<UpdateProgramRequest>,
) -> Result<ProgramView> {
    require_in_programme(who, Right::EditProgramme, id)?;
    let body = body.read()?;
    s.write(&who.actor(), |tx| {
        let mut row = programs::find(tx.conn(), id)?;
        let expected = expected.check(row.version)?;
        let before = ProgramView::from(row.clone());
        if let Some(v) = body.name {
            row.name = v;
        }
        if let Some(v) = body.description {
            row.description = v;
        }
        row.starts_on = body.starts_on.unwrap_or(row.starts_on);
        row.ends_on = body.ends_on.unwrap_or(row.ends_on);
        row.pass_level = body.pass_level.map_or(row.pass_level, i32::from);
        if let Some(earmarks) = &body.earmarks {
            crate::subsidy::check_earmarks(earmarks)?;
            row.earmarks = shuzhuan_persistence::Json::new(earmarks.clone())?;
        }
        if row.ends_on < row.starts_on {
            return Err(AppError::field(
                "ends_on",
                "date_order",
                Text::new("must not be before starts_on", "不能早于 starts_on"),
            ));
        }
        row.version += 1;
        row.updated_at = now();
        programs::update(tx.conn(), &row, expected)?;
        let after = ProgramView::from(row);
        tx.record(program_change(
            "program.update",
            Some(&before),
            &after,
            Op::Update,
        ));
        Ok(after)
    })
}

/// Districts, counties and parks in the seed's order.
pub fn regions(
    s: &mut Session,
    who: &Principal,
    id: &str,
    page: &Page,
) -> Result<List<RegionView>> {
    visible(s.conn(), who, id)?;
    List::paged(
        programs::regions_of(s.conn(), id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        page,
    )
}

/// Industry segments (细分行业).
pub fn industries(
    s: &mut Session,
    who: &Principal,
    id: &str,
    page: &Page,
) -> Result<List<IndustryView>> {
    visible(s.conn(), who, id)?;
    List::paged(
        programs::industries_of(s.conn(), id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        page,
    )
}

/// Batches (批次) by number.
pub fn batches(s: &mut Session, who: &Principal, id: &str, page: &Page) -> Result<List<BatchView>> {
    visible(s.conn(), who, id)?;
    List::paged(
        programs::batches_of(s.conn(), id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        page,
    )
}

pub fn create_batch(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<BatchSpec>,
) -> Result<BatchView> {
    require_in_programme(who, Right::RunBatches, program_id)?;
    let spec = body.read()?;
    AppError::check(spec.check(""))?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        let row = spec.to_row(program_id);
        programs::insert_batch(tx.conn(), &row)?;
        let view = BatchView::from(row);
        tx.record(batch_change("batch.create", None, &view, Op::Create));
        Ok(view)
    })
    .map_err(|e: AppError| {
        e.conflict_as(
            "batch_number_taken",
            Text::new(
                "The programme has a batch with this number.",
                "该试点已有相同编号的批次。",
            ),
        )
    })
}

pub fn get_batch(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    batch_id: &str,
) -> Result<BatchView> {
    visible(s.conn(), who, program_id)?;
    Ok(programs::find_batch(s.conn(), program_id, batch_id)?.into())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "open"}))]
pub struct BatchTransitionRequest {
    #[schema(schema_with = code_schema::<BatchAction>)]
    pub action: BatchAction,
}

pub fn transition_batch(
    s: &mut Session,
    who: &Principal,
    (program_id, batch_id): (&str, &str),
    expected: Expected,
    body: Body<BatchTransitionRequest>,
) -> Result<BatchView> {
    require_in_programme(who, Right::RunBatches, program_id)?;
    let body = body.read()?;
    let role = if who.is_platform_admin() {
        Role::PlatformAdmin
    } else {
        Role::CityAdmin
    };
    s.write(&who.actor(), |tx| {
        let mut row = programs::find_batch(tx.conn(), program_id, batch_id)?;
        let expected = expected.check(row.version)?;
        let from = row.state.0;
        let to = from
            .apply(body.action, role)
            .map_err(|e| AppError::Conflict {
                code: "transition_not_allowed",
                detail: Text::new(
                    format!("{e}."),
                    format!("批次当前状态为 `{from}`，不能执行 `{}`。", body.action),
                ),
            })?;
        if to == BatchState::Open
            && let Some(bound) = window_of(&row).refuses_opening(Utc::now().date_naive())
        {
            return Err(AppError::Conflict {
                code: "batch_window_passed",
                detail: Text::new(
                    format!("The batch cannot be opened: {bound}. Extend its dates first (POST …/extensions)."),
                    format!("{}，批次不能开启；请先延长批次时间。", bound.zh()),
                ),
            });
        }
        let before = BatchView::from(row.clone());
        row.state = Coded(to);
        row.version += 1;
        row.updated_at = now();
        programs::update_batch(tx.conn(), &row, expected)?;
        let after = BatchView::from(row);
        let op = if to == BatchState::Closed {
            Op::Tombstone
        } else {
            Op::Update
        };
        tx.record(batch_change(
            &format!("batch.{}", body.action),
            Some(&before),
            &after,
            op,
        ));
        Ok(after)
    })
}

/// A batch's dates as the rules read them.
pub(crate) fn window_of(b: &BatchRow) -> BatchWindow {
    BatchWindow {
        applications_open_on: b.applications_open_on,
        applications_close_on: b.applications_close_on,
        implementation_ends_on: b.implementation_ends_on,
        acceptance_ends_on: b.acceptance_ends_on,
    }
}

/// The city office's extension of a batch's dates (延期), with its reason.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"applications_close_on": "2025-06-30", "reason": "昌州工信发〔2025〕8号：第一批申报延期至6月30日"}))]
pub struct BatchExtensionRequest {
    /// The new last day of applications.
    pub applications_close_on: Option<NaiveDate>,
    /// The new end of implementation.
    pub implementation_ends_on: Option<NaiveDate>,
    /// The new last day to request acceptance.
    pub acceptance_ends_on: Option<NaiveDate>,
    /// Why the window is extended (the notice or decision), kept in the
    /// audit log and the change feed.
    #[serde(default)]
    #[schema(required = true)]
    #[validate(length(
        min = 1,
        max = 1000,
        message = "must be 1 to 1000 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// Extends a batch's dates (If-Match its version): every date named must
/// lie after the current one, never earlier; the reason goes with the
/// change into the audit log and the feed.
pub fn extend_batch(
    s: &mut Session,
    who: &Principal,
    (program_id, batch_id): (&str, &str),
    expected: Expected,
    body: Body<BatchExtensionRequest>,
) -> Result<BatchView> {
    require_in_programme(who, Right::RunBatches, program_id)?;
    let body = body.read()?;
    if body.applications_close_on.is_none()
        && body.implementation_ends_on.is_none()
        && body.acceptance_ends_on.is_none()
    {
        return Err(AppError::field(
            "acceptance_ends_on",
            "required",
            Text::new(
                "name at least one date to extend",
                "须至少给出一个延长后的日期",
            ),
        ));
    }
    s.write(&who.actor(), |tx| {
        let mut row = programs::find_batch(tx.conn(), program_id, batch_id)?;
        let expected = expected.check(row.version)?;
        let now_window = window_of(&row);
        let extended = BatchWindow {
            applications_close_on: body
                .applications_close_on
                .or(now_window.applications_close_on),
            implementation_ends_on: body
                .implementation_ends_on
                .or(now_window.implementation_ends_on),
            acceptance_ends_on: body.acceptance_ends_on.or(now_window.acceptance_ends_on),
            ..now_window
        };
        let shortened = now_window.shortened_by(&extended);
        let spec = BatchSpec {
            number: row.number,
            name: row.name.clone(),
            applications_open_on: extended.applications_open_on,
            applications_close_on: extended.applications_close_on,
            implementation_ends_on: extended.implementation_ends_on,
            acceptance_ends_on: extended.acceptance_ends_on,
            capacity: row.capacity,
            note: String::new(),
        };
        let mut errors: Vec<_> = shortened
            .into_iter()
            .map(|field| {
                crate::error::FieldError::new(
                    field,
                    "not_an_extension",
                    Text::new(
                        "an extension moves a date later, never earlier",
                        "延期只能推后日期，不能提前",
                    ),
                )
            })
            .collect();
        errors.extend(spec.check(""));
        AppError::check(errors)?;
        let before =
            serde_json::to_value(BatchView::from(row.clone())).map_err(AppError::internal)?;
        row.applications_close_on = extended.applications_close_on;
        row.implementation_ends_on = extended.implementation_ends_on;
        row.acceptance_ends_on = extended.acceptance_ends_on;
        row.version += 1;
        row.updated_at = now();
        programs::update_batch(tx.conn(), &row, expected)?;
        let after = BatchView::from(row);
        let mut recorded = serde_json::to_value(&after).map_err(AppError::internal)?;
        recorded["extension_reason"] = serde_json::Value::String(body.reason.clone());
        let key = Key::new(&after.id, Some(&after.program_id), after.version);
        tx.record(change_with(
            "batch.extend",
            ObjectType::Batch,
            key,
            Op::Update,
            Some(&before),
            &recorded,
        ));
        Ok(after)
    })
}
