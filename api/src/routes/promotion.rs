//! Promotion (DOMAIN.md §7): benchmarks (标杆) nominated, reviewed and
//! decided; events (供需对接, exchanges, training) and finance products
//! recorded. All of them count on the dashboard.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{BenchmarkKind, BenchmarkStatus, Subject};
use shuzhuan_persistence::repo::{Page, enterprises, products, programs, supervision};
use shuzhuan_persistence::rows::{BenchmarkRow, EventRow, FinanceProductRow};
use shuzhuan_persistence::{AnyConnection, new_id, now};
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::auth::Caller;
use crate::error::{ApiError, Problem, Text};
use crate::extract::{IfMatch, Json, List, PageQuery, Query, created, versioned};
use crate::routes::{change_of, string_enum, utc};
use crate::state::AppState;

fn kind_schema() -> utoipa::openapi::schema::Object {
    string_enum(BenchmarkKind::ALL.map(BenchmarkKind::as_str))
}

fn status_schema() -> utoipa::openapi::schema::Object {
    string_enum(BenchmarkStatus::ALL.map(BenchmarkStatus::as_str))
}

fn validate_kind(k: &str) -> Result<(), ValidationError> {
    BenchmarkKind::parse(k).map(|_| ()).ok_or_else(|| {
        ValidationError::new("invalid_value").with_message("not a benchmark kind".into())
    })
}

fn validate_status(s: &str) -> Result<(), ValidationError> {
    BenchmarkStatus::parse(s).map(|_| ()).ok_or_else(|| {
        ValidationError::new("invalid_value").with_message("not a benchmark status".into())
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BenchmarkView {
    pub id: String,
    pub program_id: String,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    /// The enterprise, provider or product recognised (a chain or cluster
    /// case by its lead enterprise).
    pub subject_id: String,
    pub year: i32,
    pub title: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub nominated_by: String,
    /// Where it may go next.
    pub next_statuses: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BenchmarkRow> for BenchmarkView {
    fn from(r: BenchmarkRow) -> Self {
        BenchmarkView {
            next_statuses: BenchmarkStatus::parse(&r.status)
                .map(|s| s.next().iter().map(|n| n.as_str().to_owned()).collect())
                .unwrap_or_default(),
            id: r.id,
            program_id: r.program_id,
            kind: r.kind,
            subject_id: r.subject_id,
            year: r.year,
            title: r.title,
            status: r.status,
            reason: r.reason,
            nominated_by: r.nominated_by,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "little_lighthouse", "subject_id": "0193…", "year": 2026, "title": "某化工企业数字化转型“小灯塔”"}))]
pub struct NominateBenchmark {
    #[validate(custom(function = "validate_kind"))]
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    pub subject_id: String,
    #[validate(range(
        min = 2000,
        max = 2100,
        message = "must be 2000 to 2100",
        code = "range"
    ))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "awarded"}))]
pub struct DecideBenchmark {
    #[validate(custom(function = "validate_status"))]
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// Required to reject.
    #[validate(length(min = 1, max = 2000, message = "1 to 2000 characters", code = "length"))]
    pub reason: Option<String>,
}

/// Whether the caller may nominate this subject: the programme's offices
/// anything; an enterprise itself; a provider itself or its products.
fn may_nominate(
    conn: &mut AnyConnection,
    caller: &Caller,
    program_id: &str,
    kind: BenchmarkKind,
    subject_id: &str,
) -> Result<bool, ApiError> {
    let office = [Role::CityAdmin, Role::CountyAdmin];
    if office
        .iter()
        .any(|r| caller.acts_in_program(*r, program_id))
    {
        return Ok(true);
    }
    let own = |role: Role, id: &str| {
        caller.grants.iter().any(|g| {
            g.role() == role
                && match role {
                    Role::Enterprise => g.enterprise_id() == Some(id),
                    _ => g.provider_id() == Some(id),
                }
        })
    };
    Ok(match kind.subject() {
        Subject::Enterprise => own(Role::Enterprise, subject_id),
        Subject::Provider => own(Role::Provider, subject_id),
        Subject::Product => own(
            Role::Provider,
            &products::find(conn, subject_id)?.provider_id,
        ),
    })
}

/// The subject must exist (an enterprise of the programme).
fn check_subject(
    conn: &mut AnyConnection,
    program_id: &str,
    kind: BenchmarkKind,
    subject_id: &str,
) -> Result<(), ApiError> {
    let unknown = || {
        ApiError::field(
            "subject_id",
            "unknown_subject",
            Text::new(
                "no such enterprise, provider or product for this kind",
                "该类别下不存在此企业、服务商或产品",
            ),
        )
    };
    let found = match kind.subject() {
        Subject::Enterprise => {
            enterprises::find(conn, subject_id).map(|e| e.program_id.as_deref() == Some(program_id))
        }
        Subject::Provider => {
            shuzhuan_persistence::repo::providers::find(conn, subject_id).map(|_| true)
        }
        Subject::Product => products::find(conn, subject_id).map(|_| true),
    };
    match found {
        Ok(true) => Ok(()),
        Ok(false) | Err(shuzhuan_persistence::RepoError::NotFound) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = NominateBenchmark,
    responses(
        (status = 201, description = "Nominated", body = BenchmarkView),
        (status = 403, description = "Offices nominate anyone; enterprises and providers themselves", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_nominated` for this kind and year", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_subject`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/benchmarks")]
pub async fn nominate_benchmark(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<NominateBenchmark>,
) -> Result<HttpResponse, ApiError> {
    let program_id = program_id.into_inner();
    caller.require_program_visible(&program_id)?;
    let body = body.parse()?;
    let kind = BenchmarkKind::parse(&body.kind).ok_or(ApiError::NotFound)?;
    let row = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &program_id)?;
            check_subject(tx.conn(), &program_id, kind, &body.subject_id)?;
            if !may_nominate(tx.conn(), &caller, &program_id, kind, &body.subject_id)? {
                return Err(ApiError::Forbidden("nominate this subject"));
            }
            let at = now();
            let row = BenchmarkRow {
                id: new_id(),
                program_id: program_id.clone(),
                kind: kind.as_str().to_owned(),
                subject_id: body.subject_id,
                year: body.year,
                title: body.title,
                status: BenchmarkStatus::Nominated.as_str().to_owned(),
                reason: None,
                nominated_by: caller.user_id.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
            };
            supervision::insert_benchmark(tx.conn(), &row).map_err(|e| {
                ApiError::from(e).conflict_as(
                    "already_nominated",
                    Text::new(
                        "This subject is nominated for this kind and year already.",
                        "该对象已在本年度被提名为此类标杆。",
                    ),
                )
            })?;
            let v = BenchmarkView::from(row.clone());
            tx.record(change_of(
                "benchmark.nominate",
                "benchmark",
                (&row.id, Some(&program_id), 1),
                None,
                &v,
            ));
            Ok(row)
        })
        .await?;
    Ok(created(
        format!("/api/v1/benchmarks/{}", row.id),
        row.version,
        BenchmarkView::from(row),
    ))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BenchmarksQuery {
    #[param(schema_with = kind_schema)]
    #[validate(custom(function = "validate_kind"))]
    pub kind: Option<String>,
    #[param(schema_with = status_schema)]
    #[validate(custom(function = "validate_status"))]
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    pub cursor: Option<String>,
}

#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id"), BenchmarksQuery),
    responses(
        (status = 200, description = "Nominations and decisions, oldest first", body = List<BenchmarkView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/benchmarks")]
pub async fn list_benchmarks(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(q): Query<BenchmarksQuery>,
) -> Result<web::Json<List<BenchmarkView>>, ApiError> {
    let program_id = program_id.into_inner();
    caller.require_program_visible(&program_id)?;
    let page = state
        .read(move |conn| {
            Ok(supervision::benchmarks_of(
                conn,
                &program_id,
                q.kind.as_deref(),
                q.status.as_deref(),
                q.cursor.as_deref(),
                q.limit.unwrap_or(50),
            )?)
        })
        .await?;
    Ok(web::Json(List::from_page(page)))
}

#[utoipa::path(
    tag = "promotion",
    params(
        ("id" = String, Path, description = "Benchmark id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#),
    ),
    request_body = DecideBenchmark,
    responses(
        (status = 200, body = BenchmarkView),
        (status = 403, description = "Review: city_admin or expert; decision: city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`transition_not_allowed`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/benchmarks/{id}")]
pub async fn decide_benchmark(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<DecideBenchmark>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.parse()?;
    let to = BenchmarkStatus::parse(&body.status).ok_or(ApiError::NotFound)?;
    let row = state
        .write(caller.actor(), move |tx| {
            let before = supervision::find_benchmark(tx.conn(), &id)?;
            caller.require_program_visible(&before.program_id)?;
            let p = before.program_id.as_str();
            let allowed = match to {
                BenchmarkStatus::UnderReview => {
                    caller.acts_in_program(Role::CityAdmin, p) || caller.holds(Role::Expert, p)
                }
                _ => caller.acts_in_program(Role::CityAdmin, p),
            };
            if !allowed {
                return Err(ApiError::Forbidden("review or decide benchmarks"));
            }
            if before.version != expected {
                return Err(ApiError::StaleVersion {
                    current: before.version,
                });
            }
            let from = BenchmarkStatus::parse(&before.status).ok_or_else(|| {
                ApiError::from(shuzhuan_persistence::RepoError::Corrupt(format!(
                    "benchmark status {}",
                    before.status
                )))
            })?;
            from.check(to, body.reason.is_some()).map_err(|e| match e {
                shuzhuan_lifecycle::BenchmarkError::ReasonRequired => ApiError::field(
                    "reason",
                    "reason_required",
                    Text::new(e.to_string(), "驳回须说明理由"),
                ),
                other => ApiError::Conflict {
                    code: "transition_not_allowed",
                    detail: Text::new(other.to_string(), "当前状态不允许此操作"),
                },
            })?;
            let mut row = before.clone();
            row.status = to.as_str().to_owned();
            row.reason = body.reason;
            row.version += 1;
            row.updated_at = now();
            supervision::update_benchmark(tx.conn(), &row, before.version)?;
            tx.record(change_of(
                &format!("benchmark.{}", to.as_str()),
                "benchmark",
                (&row.id, Some(&row.program_id), row.version),
                Some(&BenchmarkView::from(before)),
                &BenchmarkView::from(row.clone()),
            ));
            Ok(row)
        })
        .await?;
    Ok(versioned(row.version, BenchmarkView::from(row)))
}

fn event_kind_schema() -> utoipa::openapi::schema::Object {
    string_enum(EVENT_KINDS)
}

/// 供需对接; 经验交流; 培训.
const EVENT_KINDS: [&str; 3] = ["matchmaking", "exchange", "training"];

fn validate_event_kind(k: &str) -> Result<(), ValidationError> {
    if EVENT_KINDS.contains(&k) {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_value")
            .with_message("matchmaking, exchange or training".into()))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "matchmaking", "title": "新型材料行业供需对接会", "held_on": "2026-04-18", "region_code": "640122", "participants": 86, "certified": 0}))]
pub struct EventSpec {
    #[validate(custom(function = "validate_event_kind"))]
    #[schema(schema_with = event_kind_schema)]
    pub kind: String,
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    pub held_on: NaiveDate,
    /// A region of the programme, if held in one.
    pub region_code: Option<String>,
    #[validate(range(min = 0, max = 100000, message = "0 to 100000", code = "range"))]
    #[schema(minimum = 0, maximum = 100000)]
    pub participants: i32,
    /// Participants who earned a digital-skills certificate (trainings).
    #[serde(default)]
    #[validate(range(min = 0, max = 100000, message = "0 to 100000", code = "range"))]
    #[schema(minimum = 0, maximum = 100000)]
    pub certified: i32,
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub program_id: String,
    pub event: EventSpec,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<EventRow> for EventView {
    fn from(r: EventRow) -> Self {
        EventView {
            id: r.id,
            program_id: r.program_id,
            event: EventSpec {
                kind: r.kind,
                title: r.title,
                held_on: r.held_on,
                region_code: r.region_code,
                participants: r.participants,
                certified: r.certified,
                note: r.note,
            },
            created_by: r.created_by,
            created_at: utc(r.created_at),
        }
    }
}

fn finance_kind_schema() -> utoipa::openapi::schema::Object {
    string_enum(FINANCE_KINDS)
}

const FINANCE_KINDS: [&str; 5] = ["loan", "guarantee", "insurance", "leasing", "other"];

fn validate_finance_kind(k: &str) -> Result<(), ValidationError> {
    if FINANCE_KINDS.contains(&k) {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_value")
            .with_message("loan, guarantee, insurance, leasing or other".into()))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "数转贷", "institution": "宁夏银行", "kind": "loan", "launched_on": "2026-03-01"}))]
pub struct FinanceProductSpec {
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub institution: String,
    #[validate(custom(function = "validate_finance_kind"))]
    #[schema(schema_with = finance_kind_schema)]
    pub kind: String,
    pub launched_on: NaiveDate,
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FinanceProductView {
    pub id: String,
    pub program_id: String,
    pub product: FinanceProductSpec,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<FinanceProductRow> for FinanceProductView {
    fn from(r: FinanceProductRow) -> Self {
        FinanceProductView {
            id: r.id,
            program_id: r.program_id,
            product: FinanceProductSpec {
                name: r.name,
                institution: r.institution,
                kind: r.kind,
                launched_on: r.launched_on,
                note: r.note,
            },
            created_by: r.created_by,
            created_at: utc(r.created_at),
        }
    }
}

/// Records an event or finance product: the programme's city_admin (and
/// the roles `also` names) write, one unit of work with its audit entry.
async fn record<R, V>(
    state: &AppState,
    caller: Caller,
    program_id: String,
    also: Role,
    (object_type, collection): (&'static str, &'static str),
    make: impl FnOnce(&Caller, &mut AnyConnection) -> Result<R, ApiError> + Send + 'static,
    insert: fn(&mut AnyConnection, &R) -> Result<(), shuzhuan_persistence::RepoError>,
) -> Result<HttpResponse, ApiError>
where
    R: Send + 'static + Clone,
    V: From<R> + Serialize + Send + 'static,
    R: HasId,
{
    caller.require_program_visible(&program_id)?;
    if !(caller.acts_in_program(Role::CityAdmin, &program_id) || caller.holds(also, &program_id)) {
        return Err(ApiError::Forbidden("record this for the programme"));
    }
    let view = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &program_id)?;
            let row = make(&caller, tx.conn())?;
            insert(tx.conn(), &row)?;
            let v = V::from(row.clone());
            tx.record(change_of(
                &format!("{object_type}.create"),
                object_type,
                (row.id(), Some(&program_id), 1),
                None,
                &v,
            ));
            Ok((program_id, v))
        })
        .await?;
    Ok(created(
        format!("/api/v1/programs/{}/{collection}", view.0),
        1,
        view.1,
    ))
}

/// Rows that carry their id.
trait HasId {
    fn id(&self) -> &str;
}

impl HasId for EventRow {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for FinanceProductRow {
    fn id(&self) -> &str {
        &self.id
    }
}

#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = EventSpec,
    responses(
        (status = 201, description = "Recorded", body = EventView),
        (status = 403, description = "The city_admin, or a county_admin for their region", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_region`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/events")]
pub async fn create_event(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<EventSpec>,
) -> Result<HttpResponse, ApiError> {
    let program_id = program_id.into_inner();
    let spec = body.parse()?;
    let pid = program_id.clone();
    record::<EventRow, EventView>(
        &state,
        caller,
        program_id,
        Role::CountyAdmin,
        ("event", "events"),
        move |caller, conn| {
            if let Some(r) = &spec.region_code
                && !programs::unknown_region_codes(conn, &pid, std::slice::from_ref(r))?.is_empty()
            {
                return Err(ApiError::field(
                    "region_code",
                    "unknown_region",
                    Text::new("not a region of the programme", "不是本试点的区县"),
                ));
            }
            let county_only = !caller.acts_in_program(Role::CityAdmin, &pid);
            let in_own_region = spec.region_code.as_ref().is_some_and(|r| {
                caller.grants.iter().any(|g| {
                    g.role() == Role::CountyAdmin
                        && g.program_id() == Some(pid.as_str())
                        && g.region_codes().contains(r)
                })
            });
            if county_only && !in_own_region {
                return Err(ApiError::Forbidden("record events outside your regions"));
            }
            Ok(EventRow {
                id: new_id(),
                program_id: pid,
                kind: spec.kind,
                title: spec.title,
                held_on: spec.held_on,
                region_code: spec.region_code,
                participants: spec.participants,
                certified: spec.certified,
                note: spec.note,
                created_by: caller.user_id.clone(),
                created_at: now(),
            })
        },
        supervision::insert_event,
    )
    .await
}

/// Reads a page of a programme's records after a key.
type PageReader<R> = fn(
    &mut AnyConnection,
    &str,
    Option<&str>,
    i64,
) -> Result<Page<R>, shuzhuan_persistence::RepoError>;

/// A page of a programme's records for anyone who sees the programme.
async fn page_of<R, V>(
    state: &AppState,
    caller: &Caller,
    program_id: String,
    page: PageQuery,
    read: PageReader<R>,
) -> Result<web::Json<List<V>>, ApiError>
where
    R: Send + 'static,
    V: From<R> + Send + 'static,
{
    caller.require_program_visible(&program_id)?;
    let (after, limit) = (page.after(), page.limit());
    let page = state
        .read(move |conn| Ok(read(conn, &program_id, after.as_deref(), limit)?))
        .await?;
    Ok(web::Json(List::from_page(page)))
}

#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id"), PageQuery),
    responses(
        (status = 200, description = "Events in the order recorded", body = List<EventView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<web::Json<List<EventView>>, ApiError> {
    page_of(
        &state,
        &caller,
        program_id.into_inner(),
        page,
        supervision::events_of,
    )
    .await
}

#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = FinanceProductSpec,
    responses(
        (status = 201, description = "Recorded", body = FinanceProductView),
        (status = 403, description = "The city_admin or finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/finance-products")]
pub async fn create_finance_product(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<FinanceProductSpec>,
) -> Result<HttpResponse, ApiError> {
    let program_id = program_id.into_inner();
    let spec = body.parse()?;
    let pid = program_id.clone();
    record::<FinanceProductRow, FinanceProductView>(
        &state,
        caller,
        program_id,
        Role::Finance,
        ("finance_product", "finance-products"),
        move |caller, _| {
            Ok(FinanceProductRow {
                id: new_id(),
                program_id: pid,
                name: spec.name,
                institution: spec.institution,
                kind: spec.kind,
                launched_on: spec.launched_on,
                note: spec.note,
                created_by: caller.user_id.clone(),
                created_at: now(),
            })
        },
        supervision::insert_finance_product,
    )
    .await
}

#[utoipa::path(
    tag = "promotion",
    params(("program_id" = String, Path, description = "Programme id"), PageQuery),
    responses(
        (status = 200, description = "Finance products in the order recorded", body = List<FinanceProductView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/finance-products")]
pub async fn list_finance_products(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<web::Json<List<FinanceProductView>>, ApiError> {
    page_of(
        &state,
        &caller,
        program_id.into_inner(),
        page,
        supervision::finance_products_of,
    )
    .await
}
