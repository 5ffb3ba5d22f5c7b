//! Promotion (DOMAIN.md §7): benchmarks (标杆) nominated, reviewed and
//! decided; events (供需对接, exchanges, training) and finance products
//! recorded. All of them count on the dashboard.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{BenchmarkError, BenchmarkKind, BenchmarkStatus, Subject};
use shuzhuan_monitoring::{EventKind, FinanceKind};
use shuzhuan_persistence::repo::{enterprises, products, programs, providers, supervision};
use shuzhuan_persistence::rows::{BenchmarkRow, EventRow, FinanceProductRow};
use shuzhuan_persistence::{AnyConnection, Coded, RepoError, Session, new_id, now};
use shuzhuan_types::{Code, ObjectType, Target};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::error::{AppError, Expected, Result, Text};
use crate::input::{self, Body, Page};
use crate::journal::{Key, change};
use crate::policy::{self, Right, require_in_programme};
use crate::principal::Principal;
use crate::view::{List, code_list_schema, code_schema, utc};

fn status_list_schema() -> utoipa::openapi::schema::Array {
    code_list_schema::<BenchmarkStatus>()
}

/// A validator of a code of `T` for request fields typed as text.
fn valid_code<T: Code>(given: &str) -> std::result::Result<(), ValidationError> {
    T::from_code(given).map(|_| ()).ok_or_else(|| {
        ValidationError::new("invalid_value")
            .with_message(format!("not a {}: one of {}", T::WHAT, T::codes(", ")).into())
    })
}

fn validate_kind(k: &str) -> std::result::Result<(), ValidationError> {
    valid_code::<BenchmarkKind>(k)
}

fn validate_status(s: &str) -> std::result::Result<(), ValidationError> {
    valid_code::<BenchmarkStatus>(s)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BenchmarkView {
    pub id: String,
    pub program_id: String,
    #[schema(schema_with = code_schema::<BenchmarkKind>)]
    pub kind: BenchmarkKind,
    /// The enterprise, provider or product recognised (a chain or cluster
    /// case by its lead enterprise).
    pub subject_id: String,
    pub year: i32,
    pub title: String,
    #[schema(schema_with = code_schema::<BenchmarkStatus>)]
    pub status: BenchmarkStatus,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub nominated_by: String,
    /// Where it may go next.
    #[schema(schema_with = status_list_schema)]
    pub next_statuses: Vec<BenchmarkStatus>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BenchmarkRow> for BenchmarkView {
    fn from(r: BenchmarkRow) -> Self {
        BenchmarkView {
            next_statuses: r.status.next().to_vec(),
            id: r.id,
            program_id: r.program_id,
            kind: r.kind.0,
            subject_id: r.subject_id,
            year: r.year,
            title: r.title,
            status: r.status.0,
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
    #[schema(schema_with = code_schema::<BenchmarkKind>)]
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
    #[schema(schema_with = code_schema::<BenchmarkStatus>)]
    pub status: String,
    /// Required to reject.
    #[validate(length(min = 1, max = 2000, message = "1 to 2000 characters", code = "length"))]
    pub reason: Option<String>,
}

/// The subject as a target of the nomination right: the programme, and
/// the enterprise or provider it names (a product by its provider). A
/// subject that does not exist, or an enterprise of another programme, is
/// a 422 on `subject_id`.
fn subject<'a>(
    conn: &mut AnyConnection,
    program_id: &'a str,
    kind: BenchmarkKind,
    subject_id: &'a str,
    provider: &'a mut String,
) -> Result<Target<'a>> {
    let unknown = || {
        AppError::field(
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
        Subject::Provider => providers::find(conn, subject_id).map(|p| {
            *provider = p.id;
            true
        }),
        Subject::Product => products::find(conn, subject_id).map(|p| {
            *provider = p.provider_id;
            true
        }),
    };
    match found {
        Ok(true) => {}
        Ok(false) | Err(RepoError::NotFound) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    }
    Ok(Target {
        programmes: vec![program_id],
        enterprise: (kind.subject() == Subject::Enterprise).then_some(subject_id),
        providers: if provider.is_empty() {
            vec![]
        } else {
            vec![provider.as_str()]
        },
        ..Default::default()
    })
}

/// Nominates a subject: the programme's offices anyone; an enterprise
/// itself; a provider itself or its products.
pub fn nominate(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<NominateBenchmark>,
) -> Result<BenchmarkView> {
    let reach = who.require(Right::NominateBenchmark)?;
    crate::programs::visible(s.conn(), who, program_id)?;
    let body = body.read()?;
    let kind = input::code::<BenchmarkKind>("kind", &body.kind)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let mut provider = String::new();
    let target = subject(s.conn(), program_id, kind, &body.subject_id, &mut provider)?;
    if !reach.contains(&target) {
        return Err(AppError::Forbidden(Right::NominateBenchmark));
    }
    s.write(&who.actor(), |tx| {
        let at = now();
        let row = BenchmarkRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            kind: Coded(kind),
            subject_id: body.subject_id.clone(),
            year: body.year,
            title: body.title.clone(),
            status: Coded(BenchmarkStatus::Nominated),
            reason: None,
            nominated_by: who.user_id.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
        };
        supervision::insert_benchmark(tx.conn(), &row).map_err(|e| {
            AppError::from(e).conflict_as(
                "already_nominated",
                Text::new(
                    "This subject is nominated for this kind and year already.",
                    "该对象已在本年度被提名为此类标杆。",
                ),
            )
        })?;
        let v = BenchmarkView::from(row.clone());
        tx.record(change(
            "benchmark.nominate",
            ObjectType::Benchmark,
            Key::new(&row.id, Some(program_id), 1),
            None,
            &v,
        ));
        Ok(v)
    })
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BenchmarksQuery {
    #[param(schema_with = code_schema::<BenchmarkKind>)]
    #[validate(custom(function = "validate_kind"))]
    pub kind: Option<String>,
    #[param(schema_with = code_schema::<BenchmarkStatus>)]
    #[validate(custom(function = "validate_status"))]
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

/// Nominations and decisions, oldest first.
pub fn list_benchmarks(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    q: BenchmarksQuery,
) -> Result<List<BenchmarkView>> {
    crate::programs::visible(s.conn(), who, program_id)?;
    let kind = input::optional_code::<BenchmarkKind>("kind", q.kind.as_deref())?;
    let status = input::optional_code::<BenchmarkStatus>("status", q.status.as_deref())?;
    let page = supervision::benchmarks_of(
        s.conn(),
        program_id,
        kind,
        status,
        crate::view::cursor_key(q.cursor.as_deref())?.as_deref(),
        q.limit.unwrap_or(50),
    )?;
    Ok(List::from_page(page))
}

/// Moves a benchmark: review (the city_admin or an expert), decision (the
/// city_admin).
pub fn decide(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<DecideBenchmark>,
) -> Result<BenchmarkView> {
    let review = who.reach(Right::ReviewBenchmark);
    let decide = who.reach(Right::DecideBenchmark);
    if review.is_empty() && decide.is_empty() {
        return Err(AppError::Forbidden(Right::DecideBenchmark));
    }
    let body = body.read()?;
    let to = input::code::<BenchmarkStatus>("status", &body.status)
        .map_err(|e| AppError::Validation(vec![e]))?;
    s.write(&who.actor(), |tx| {
        let before = supervision::find_benchmark(tx.conn(), id)?;
        let target = policy::programme(&before.program_id);
        who.sees(Right::ReadProgramme, &target)?;
        let (right, reach) = match to {
            BenchmarkStatus::UnderReview => (Right::ReviewBenchmark, &review),
            _ => (Right::DecideBenchmark, &decide),
        };
        if !reach.contains(&target) {
            return Err(AppError::Forbidden(right));
        }
        expected.check(before.version)?;
        before
            .status
            .check(to, body.reason.is_some())
            .map_err(|e| match e {
                BenchmarkError::ReasonRequired => AppError::field(
                    "reason",
                    "reason_required",
                    Text::new(e.to_string(), "驳回须说明理由"),
                ),
                other => AppError::Conflict {
                    code: "transition_not_allowed",
                    detail: Text::new(other.to_string(), "当前状态不允许此操作"),
                },
            })?;
        let mut row = before.clone();
        row.status = Coded(to);
        row.reason = body.reason.clone();
        row.version += 1;
        row.updated_at = now();
        supervision::update_benchmark(tx.conn(), &row, before.version)?;
        let after = BenchmarkView::from(row.clone());
        tx.record(change(
            &format!("benchmark.{}", to.as_str()),
            ObjectType::Benchmark,
            Key::new(&row.id, Some(&row.program_id), row.version),
            Some(&BenchmarkView::from(before)),
            &after,
        ));
        Ok(after)
    })
}

fn validate_event_kind(k: &str) -> std::result::Result<(), ValidationError> {
    valid_code::<EventKind>(k)
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "matchmaking", "title": "新型材料行业供需对接会", "held_on": "2026-04-18", "region_code": "640122", "participants": 86, "certified": 0}))]
pub struct EventSpec {
    #[validate(custom(function = "validate_event_kind"))]
    #[schema(schema_with = code_schema::<EventKind>)]
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
                kind: r.kind.as_str().to_owned(),
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

fn validate_finance_kind(k: &str) -> std::result::Result<(), ValidationError> {
    valid_code::<FinanceKind>(k)
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
    #[schema(schema_with = code_schema::<FinanceKind>)]
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
                kind: r.kind.as_str().to_owned(),
                launched_on: r.launched_on,
                note: r.note,
            },
            created_by: r.created_by,
            created_at: utc(r.created_at),
        }
    }
}

/// Records an event (the city_admin; a county_admin in its regions).
pub fn create_event(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<EventSpec>,
) -> Result<EventView> {
    let reach = who.require(Right::RecordEvent)?;
    crate::programs::visible(s.conn(), who, program_id)?;
    let spec = body.read()?;
    let kind =
        input::code::<EventKind>("kind", &spec.kind).map_err(|e| AppError::Validation(vec![e]))?;
    if let Some(r) = &spec.region_code
        && !programs::unknown_region_codes(s.conn(), program_id, std::slice::from_ref(r))?
            .is_empty()
    {
        return Err(AppError::field(
            "region_code",
            "unknown_region",
            Text::new("not a region of the programme", "不是本试点的区县"),
        ));
    }
    let target = Target {
        programmes: vec![program_id],
        region: spec.region_code.as_deref(),
        ..Default::default()
    };
    if !reach.contains(&target) {
        return Err(AppError::Forbidden(Right::RecordEvent));
    }
    s.write(&who.actor(), |tx| {
        let row = EventRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            kind: Coded(kind),
            title: spec.title.clone(),
            held_on: spec.held_on,
            region_code: spec.region_code.clone(),
            participants: spec.participants,
            certified: spec.certified,
            note: spec.note.clone(),
            created_by: who.user_id.clone(),
            created_at: now(),
        };
        supervision::insert_event(tx.conn(), &row)?;
        let v = EventView::from(row);
        tx.record(change(
            "event.create",
            ObjectType::Event,
            Key::new(&v.id, Some(program_id), 1),
            None,
            &v,
        ));
        Ok(v)
    })
}

/// Events in the order recorded.
pub fn list_events(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<EventView>> {
    crate::programs::visible(s.conn(), who, program_id)?;
    Ok(List::from_page(supervision::events_of(
        s.conn(),
        program_id,
        page.after()?.as_deref(),
        page.limit(),
    )?))
}

/// One event of the programme.
pub fn get_event(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    id: &str,
) -> Result<EventView> {
    crate::programs::visible(s.conn(), who, program_id)?;
    Ok(supervision::find_event(s.conn(), program_id, id)?.into())
}

/// Records a finance product (the city_admin or finance).
pub fn create_finance_product(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<FinanceProductSpec>,
) -> Result<FinanceProductView> {
    require_in_programme(who, Right::RecordFinanceProduct, program_id)?;
    let spec = body.read()?;
    let kind = input::code::<FinanceKind>("kind", &spec.kind)
        .map_err(|e| AppError::Validation(vec![e]))?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        let row = FinanceProductRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            name: spec.name.clone(),
            institution: spec.institution.clone(),
            kind: Coded(kind),
            launched_on: spec.launched_on,
            note: spec.note.clone(),
            created_by: who.user_id.clone(),
            created_at: now(),
        };
        supervision::insert_finance_product(tx.conn(), &row)?;
        let v = FinanceProductView::from(row);
        tx.record(change(
            "finance_product.create",
            ObjectType::FinanceProduct,
            Key::new(&v.id, Some(program_id), 1),
            None,
            &v,
        ));
        Ok(v)
    })
}

/// Finance products in the order recorded.
pub fn list_finance_products(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<FinanceProductView>> {
    crate::programs::visible(s.conn(), who, program_id)?;
    Ok(List::from_page(supervision::finance_products_of(
        s.conn(),
        program_id,
        page.after()?.as_deref(),
        page.limit(),
    )?))
}

/// One finance product of the programme.
pub fn get_finance_product(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    id: &str,
) -> Result<FinanceProductView> {
    crate::programs::visible(s.conn(), who, program_id)?;
    Ok(supervision::find_finance_product(s.conn(), program_id, id)?.into())
}

/// One benchmark nomination, for those who read its programme.
pub fn get_benchmark(s: &mut Session, who: &Principal, id: &str) -> Result<BenchmarkView> {
    let reach = who.require(Right::ReadProgramme)?;
    let row = supervision::find_benchmark(s.conn(), id)?;
    if !reach.contains(&policy::programme(&row.program_id)) {
        return Err(AppError::NotFound);
    }
    Ok(row.into())
}
