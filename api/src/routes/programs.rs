//! Programmes (试点): browse, create from a pack, patch; their regions,
//! industries and batches, and the batch life.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{BatchAction, BatchState};
use shuzhuan_persistence::repo::programs::{self, ProgramAggregate};
use shuzhuan_persistence::rows::{BatchRow, IndustryRow, ProgramRow, RegionRow};
use shuzhuan_persistence::{Change, Op, Tx, now};
use shuzhuan_types::Role;
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem, Text};
use crate::extract::{IfMatch, Json, List, PageQuery, Query, created, versioned};
use crate::packs::{BatchSpec, ProgramPack};
use crate::routes::{batch_action_schema, batch_state_schema, change_of, program_list, utc};
use crate::state::AppState;

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
    /// district, county, county_city, park or functional_zone.
    pub kind: String,
    pub parent_code: Option<String>,
}

impl From<RegionRow> for RegionView {
    fn from(r: RegionRow) -> Self {
        RegionView {
            code: r.code,
            name: r.name,
            kind: r.kind,
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
    #[schema(schema_with = batch_state_schema)]
    pub state: String,
    /// The transitions the batch's state allows next.
    #[schema(schema_with = batch_action_list_schema)]
    pub next_actions: Vec<String>,
    pub note: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn batch_action_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::Array::new(batch_action_schema())
}

impl From<BatchRow> for BatchView {
    fn from(b: BatchRow) -> Self {
        let next_actions = b
            .state
            .parse::<BatchState>()
            .map(|s| {
                s.next_actions()
                    .iter()
                    .map(|a| a.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        BatchView {
            id: b.id,
            program_id: b.program_id,
            number: b.number,
            name: b.name,
            applications_open_on: b.applications_open_on,
            applications_close_on: b.applications_close_on,
            implementation_ends_on: b.implementation_ends_on,
            acceptance_ends_on: b.acceptance_ends_on,
            capacity: b.capacity,
            state: b.state,
            next_actions,
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
) -> Change {
    let key = (after.id.as_str(), Some(after.id.as_str()), after.version);
    Change {
        op,
        ..change_of(action, "program", key, before, after)
    }
}

fn batch_change(action: &str, before: Option<&BatchView>, after: &BatchView, op: Op) -> Change {
    let key = (
        after.id.as_str(),
        Some(after.program_id.as_str()),
        after.version,
    );
    Change {
        op,
        ..change_of(action, "batch", key, before, after)
    }
}

/// Creates a programme with its regions, industries and batches in one unit
/// of work: one audit entry and change event for the programme and one per
/// batch.
pub(crate) fn insert_pack(
    tx: &mut Tx<'_>,
    agg: &ProgramAggregate,
    pack: &crate::packs::ProgramPack,
) -> Result<ProgramView, ApiError> {
    programs::insert(tx.conn(), agg)?;
    let view = ProgramView::from(agg.program.clone());
    let mut after = serde_json::to_value(&view).unwrap_or_default();
    after["regions"] = serde_json::to_value(
        agg.regions
            .iter()
            .cloned()
            .map(RegionView::from)
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    after["industries"] = serde_json::to_value(
        agg.industries
            .iter()
            .cloned()
            .map(IndustryView::from)
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
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
        crate::routes::subsidy::publish_policy(tx, &view.id, policy, None)?;
    }
    crate::routes::targets::store_pack_targets(tx, &view.id, &pack.targets)?;
    shuzhuan_persistence::repo::projects::set_requirements(
        tx.conn(),
        &view.id,
        &pack.requirements().pairs()?,
    )?;
    Ok(view)
}

#[utoipa::path(
    tag = "programs",
    params(PageQuery),
    responses(
        (status = 200, description = "The programmes in the caller's scope", body = List<ProgramView>),
    ),
    security(("bearer" = []))
)]
#[get("/programs")]
pub async fn list_programs(
    state: web::Data<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> Result<web::Json<List<ProgramView>>, ApiError> {
    let after = page.after();
    let limit = page.limit();
    let only = caller.visible_programs();
    let page = state
        .read(move |conn| {
            Ok(programs::list(
                conn,
                only.as_deref(),
                after.as_deref(),
                limit,
            )?)
        })
        .await?;
    Ok(web::Json(List::from_page(page)))
}

#[utoipa::path(
    tag = "programs",
    request_body(content = ProgramPack, description = "A programme pack, the format of the files in `packs/`"),
    responses(
        (status = 201, body = ProgramView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A programme with this code exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs")]
pub async fn create_program(
    state: web::Data<AppState>,
    caller: Caller,
    pack: Json<ProgramPack>,
) -> Result<HttpResponse, ApiError> {
    caller.require_platform_admin("create programmes")?;
    let pack = pack.parse()?;
    let errors = pack.check();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let agg = pack.to_aggregate();
    let view = state
        .write(caller.actor(), move |tx| insert_pack(tx, &agg, &pack))
        .await
        .map_err(|e| {
            e.conflict_as(
                "program_code_taken",
                Text::new("A programme with this code exists.", "已存在该代码的试点。"),
            )
        })?;
    Ok(created(
        format!("/api/v1/programs/{}", view.id),
        view.version,
        view,
    ))
}

#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, body = ProgramView, headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}")]
pub async fn get_program(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    let view: ProgramView = state
        .read(move |conn| Ok(programs::find(conn, &id)?))
        .await?
        .into();
    Ok(versioned(view.version, view))
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
}

#[utoipa::path(
    tag = "programs",
    params(
        ("program_id" = String, Path, description = "Programme id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    request_body = UpdateProgramRequest,
    responses(
        (status = 200, body = ProgramView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/programs/{program_id}")]
pub async fn update_program(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<UpdateProgramRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &id, "edit the programme")?;
    let body = body.parse()?;
    let view = state
        .write(caller.actor(), move |tx| {
            let mut row = programs::find(tx.conn(), &id)?;
            if row.version != expected {
                return Err(ApiError::StaleVersion {
                    current: row.version,
                });
            }
            let before = ProgramView::from(row.clone());
            if let Some(v) = body.name {
                row.name = v;
            }
            if let Some(v) = body.description {
                row.description = v;
            }
            row.starts_on = body.starts_on.unwrap_or(row.starts_on);
            row.ends_on = body.ends_on.unwrap_or(row.ends_on);
            if row.ends_on < row.starts_on {
                return Err(ApiError::field(
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
        .await?;
    Ok(versioned(view.version, view))
}

#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id")),
    responses((status = 200, description = "Districts, counties and parks in the seed's order", body = List<RegionView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/regions")]
pub async fn list_regions(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<List<RegionView>>, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    program_list(&state, id, programs::regions_of).await
}

#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id")),
    responses((status = 200, description = "Industry segments (细分行业)", body = List<IndustryView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/industries")]
pub async fn list_industries(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<List<IndustryView>>, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    program_list(&state, id, programs::industries_of).await
}

#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id")),
    responses((status = 200, description = "Batches (批次) by number", body = List<BatchView>)),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/batches")]
pub async fn list_batches(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<List<BatchView>>, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    program_list(&state, id, programs::batches_of).await
}

#[utoipa::path(
    tag = "programs",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = BatchSpec,
    responses(
        (status = 201, description = "Created in state `planned`", body = BatchView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A batch with this number exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/batches")]
pub async fn create_batch(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    spec: Json<BatchSpec>,
) -> Result<HttpResponse, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &id, "plan batches")?;
    let spec = spec.parse()?;
    let errors = spec.check("");
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let view = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &id)?;
            let row = spec.to_row(&id);
            programs::insert_batch(tx.conn(), &row)?;
            let view = BatchView::from(row);
            tx.record(batch_change("batch.create", None, &view, Op::Create));
            Ok(view)
        })
        .await
        .map_err(|e| {
            e.conflict_as(
                "batch_number_taken",
                Text::new(
                    "The programme has a batch with this number.",
                    "该试点已有相同编号的批次。",
                ),
            )
        })?;
    Ok(created(
        format!("/api/v1/programs/{}/batches/{}", view.program_id, view.id),
        view.version,
        view,
    ))
}

#[utoipa::path(
    tag = "programs",
    params(
        ("program_id" = String, Path, description = "Programme id"),
        ("batch_id" = String, Path, description = "Batch id"),
    ),
    responses(
        (status = 200, body = BatchView, headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/batches/{batch_id}")]
pub async fn get_batch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (program_id, batch_id) = path.into_inner();
    caller.require_program_visible(&program_id)?;
    let view: BatchView = state
        .read(move |conn| Ok(programs::find_batch(conn, &program_id, &batch_id)?))
        .await?
        .into();
    Ok(versioned(view.version, view))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "open"}))]
pub struct BatchTransitionRequest {
    #[schema(schema_with = batch_action_schema)]
    pub action: BatchAction,
}

#[utoipa::path(
    tag = "programs",
    params(
        ("program_id" = String, Path, description = "Programme id"),
        ("batch_id" = String, Path, description = "Batch id"),
        ("If-Match" = String, Header, description = "ETag of the batch version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    request_body = BatchTransitionRequest,
    responses(
        (status = 200, description = "The batch in its new state", body = BatchView),
        (status = 403, description = "Not the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The action is not allowed from the batch's state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/batches/{batch_id}/transitions")]
pub async fn transition_batch(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    IfMatch(expected): IfMatch,
    body: Json<BatchTransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (program_id, batch_id) = path.into_inner();
    caller.require_program_role(Role::CityAdmin, &program_id, "move batches")?;
    let body = body.parse()?;
    let role = if caller.is_platform_admin() {
        Role::PlatformAdmin
    } else {
        Role::CityAdmin
    };
    let view = state
        .write(caller.actor(), move |tx| {
            let mut row = programs::find_batch(tx.conn(), &program_id, &batch_id)?;
            if row.version != expected {
                return Err(ApiError::StaleVersion {
                    current: row.version,
                });
            }
            let from: BatchState = row
                .state
                .parse()
                .map_err(|e: String| ApiError::Internal(e.into()))?;
            let to = from
                .apply(body.action, role)
                .map_err(|e| ApiError::Conflict {
                    code: "transition_not_allowed",
                    detail: Text::new(
                        format!("{e}."),
                        format!("批次当前状态为 `{from}`，不能执行 `{}`。", body.action),
                    ),
                })?;
            let before = BatchView::from(row.clone());
            row.state = to.as_str().to_owned();
            row.version += 1;
            row.updated_at = now();
            programs::update_batch_state(tx.conn(), &row, expected)?;
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
        .await?;
    Ok(versioned(view.version, view))
}
