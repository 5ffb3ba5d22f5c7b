//! Self-evaluation reports (绩效自评): the city office issues a report of
//! a period from the data as of a day; it is frozen when issued — its JSON
//! stored byte for byte with the change feed's high-water mark, its
//! SHA-256 in the version's audit entry (and so in the hash chain), the
//! version in the feed for the national platform. A correction is a new
//! version of the same report with its reason and the cells that changed.
//! Seeds: 许昌 "开展试点城市自评估工作", 昌吉 "组织做好试点工作中期和末期绩效自评",
//! 银川 "完成整体试点工作的绩效评价".

mod content;
pub mod render;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shuzhuan_monitoring::report::{Difference, PeriodKind, Section, differences};
use shuzhuan_persistence::repo::evaluations;
use shuzhuan_persistence::rows::EvaluationReportRow;
use shuzhuan_persistence::{AnyConnection, Coded, Json, Session, new_id, now};
use shuzhuan_types::{Code, ObjectType};
use utoipa::ToSchema;
use validator::Validate;

use crate::error::{AppError, FieldError, Result, Text};
use crate::input::{Body, Page};
use crate::journal::{Key, change};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::view::{List, code_schema, utc};

pub use content::period_name;
use content::{Period, sections};

/// What to report on. `mid_term` runs from the programme's start to
/// `as_of`; `final` is the whole programme; `annual` one calendar `year`;
/// `custom` the dates given.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period_kind": "mid_term", "as_of": "2026-06-30"}))]
pub struct IssueEvaluation {
    /// `mid_term`, `final`, `annual` or `custom`.
    #[schema(schema_with = code_schema::<PeriodKind>)]
    pub period_kind: String,
    /// The year of an `annual` report.
    #[validate(range(
        min = 2000,
        max = 2100,
        message = "must be 2000 to 2100",
        code = "range"
    ))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// First and last day of a `custom` report.
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// The day whose data the report shows (default today, or the period's
    /// end when that is earlier); not in the future.
    pub as_of: Option<NaiveDate>,
    /// A title (default: the programme's name and the period's).
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
}

/// A correction: the same report rebuilt from the data as it now stands
/// (as of the same day unless another is given), with the reason.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "第二批两家企业验收等级更正"}))]
pub struct CorrectEvaluation {
    #[validate(length(min = 1, max = 2000, message = "1 to 2000 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    pub as_of: Option<NaiveDate>,
}

/// A report section's column (mirrors `shuzhuan_monitoring::report::Column`).
#[derive(ToSchema)]
#[schema(as = ReportColumn)]
#[allow(dead_code)]
struct ColumnSchema {
    /// The key a difference names.
    key: String,
    /// Chinese title, as printed.
    title: String,
    /// English title.
    title_en: String,
    /// How its figures read: text, count, fen (money in 分), bp (basis
    /// points) or date.
    #[schema(schema_with = code_schema::<shuzhuan_monitoring::report::CellUnit>)]
    unit: String,
}

/// One section of a report: a table (mirrors
/// `shuzhuan_monitoring::report::Section`).
#[derive(ToSchema)]
#[schema(as = ReportSection)]
#[allow(dead_code)]
struct SectionSchema {
    /// The section's code (`targets`, `transformation`, `funds` …).
    code: String,
    /// Chinese title, as printed (the workbook's sheet name).
    title: String,
    /// English title.
    title_en: String,
    /// Its columns, in order.
    columns: Vec<ColumnSchema>,
    /// Each row's cells in column order: an integer, a text or null; the
    /// first cell names the row.
    rows: Vec<Vec<serde_json::Value>>,
}

/// A cell that differs from the previous version.
#[derive(ToSchema)]
#[schema(as = ReportDifference)]
#[allow(dead_code)]
struct DifferenceSchema {
    /// The section's code.
    section: String,
    /// The row's first cell.
    row: String,
    /// The column's key.
    column: String,
    /// The cell before (null when the row is new).
    before: serde_json::Value,
    /// The cell now (null when the row is gone).
    after: serde_json::Value,
}

/// One issued version of a self-evaluation report, as frozen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvaluationView {
    pub id: String,
    pub program_id: String,
    /// The report's number in the programme (a correction keeps it).
    pub report_no: i32,
    /// 1 when issued, then one more per correction.
    pub version: i32,
    /// The period it covers.
    #[schema(schema_with = code_schema::<PeriodKind>)]
    pub period_kind: PeriodKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The day whose data it shows.
    pub as_of: NaiveDate,
    pub title: String,
    /// The change feed's sequence number when it was built: every change
    /// up to it is in the report.
    pub feed_seq: i64,
    /// SHA-256 (hex) of `content` as compact JSON in the order served; the
    /// same value is in the version's audit entry.
    pub content_sha256: String,
    /// Why this version corrects the previous one (null for version 1).
    pub correction_reason: Option<String>,
    /// The cells that changed from the previous version.
    #[schema(value_type = Vec<DifferenceSchema>)]
    pub differences: Vec<Difference>,
    /// The user who issued this version.
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    /// The report: its sections, in print order.
    #[schema(value_type = Vec<SectionSchema>)]
    pub content: Vec<Section>,
}

impl EvaluationView {
    fn of(row: EvaluationReportRow) -> Result<Self> {
        let content: Vec<Section> =
            serde_json::from_str(&row.content).map_err(AppError::internal)?;
        Ok(EvaluationView {
            id: row.id,
            program_id: row.program_id,
            report_no: row.report_no,
            version: row.version,
            period_kind: row.period_kind.0,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            as_of: row.as_of,
            title: row.title,
            feed_seq: row.feed_seq,
            content_sha256: row.content_sha256,
            correction_reason: row.correction_reason,
            differences: row.differences.into_inner(),
            issued_by: row.issued_by,
            issued_at: utc(row.issued_at),
            content,
        })
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn bad(field: &str, code: &'static str, en: &str, zh: &str) -> FieldError {
    FieldError::new(
        field.to_owned(),
        code,
        Text::new(en.to_owned(), zh.to_owned()),
    )
}

/// The period a request names, checked against the programme's dates.
fn period_of(
    body: &IssueEvaluation,
    kind: PeriodKind,
    (start, end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Period> {
    let mut errors = Vec::new();
    let (starts_on, ends_on) = match kind {
        PeriodKind::MidTerm => (start, body.as_of.unwrap_or(today).min(end)),
        PeriodKind::Final => (start, end),
        PeriodKind::Annual => match body.year.and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1)) {
            Some(first) => (
                first,
                NaiveDate::from_ymd_opt(first.year(), 12, 31).unwrap_or(first),
            ),
            None => {
                errors.push(bad(
                    "year",
                    "required",
                    "an annual report needs its year",
                    "年度报告须给出年份",
                ));
                (start, end)
            }
        },
        PeriodKind::Custom => match (body.starts_on, body.ends_on) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                errors.push(bad(
                    "starts_on",
                    "required",
                    "a custom report needs starts_on and ends_on",
                    "专项报告须给出起止日期",
                ));
                (start, end)
            }
        },
    };
    if ends_on < starts_on {
        errors.push(bad(
            "ends_on",
            "range",
            "must not be before starts_on",
            "不得早于开始日期",
        ));
    }
    let as_of = body.as_of.unwrap_or_else(|| today.min(ends_on));
    if as_of > today {
        errors.push(bad(
            "as_of",
            "range",
            "must not be in the future",
            "不得晚于今天",
        ));
    }
    if as_of < starts_on || as_of > ends_on {
        errors.push(bad(
            "as_of",
            "range",
            "must fall within the report's period",
            "须在评价期内",
        ));
    }
    AppError::check(errors)?;
    Ok(Period {
        kind,
        starts_on,
        ends_on,
        as_of,
    })
}

/// The stored JSON of the content and its hash.
fn frozen(content: &[Section]) -> Result<(String, String)> {
    let text = serde_json::to_string(content).map_err(AppError::internal)?;
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    Ok((text, hash))
}

/// Builds and stores one version (the office's right already checked).
fn store(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    period: Period,
    title: String,
    previous: Option<(EvaluationReportRow, String)>,
) -> Result<(EvaluationView, bool)> {
    // The mark is read first: everything up to it is in what is read next.
    let feed_seq = shuzhuan_persistence::feed_seq(s.conn())?;
    let loaded = crate::monitoring::load(s.conn(), program_id, None)?;
    let content = sections(s, who, &loaded, period)?;
    let (text, hash) = frozen(&content)?;
    // Two offices issuing at once may take the same number: the second
    // tries again with the next (a correction racing another is refused as
    // not the newest).
    for _ in 0..3 {
        match write_version(
            s,
            who,
            program_id,
            period,
            (&title, &text, &hash),
            feed_seq,
            &content,
            previous.as_ref(),
        ) {
            Err(AppError::Conflict {
                code: "already_exists",
                ..
            }) if previous.is_none() => continue,
            Err(AppError::Conflict {
                code: "already_exists",
                ..
            }) => return Err(not_latest()),
            done => return done,
        }
    }
    Err(AppError::conflict(
        "too_many_concurrent_writes",
        "Other reports kept taking the number: retry.",
        "其他报告同时出具，请重试。",
    ))
}

/// Refused: the version corrected is not the newest.
fn not_latest() -> AppError {
    AppError::Conflict {
        code: "not_latest_version",
        detail: Text::new(
            "a newer version exists: correct that one",
            "已有更新的版本，请更正最新版本",
        ),
    }
}

/// One unit of work storing the version and recording it.
#[allow(clippy::too_many_arguments)]
fn write_version(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    period: Period,
    (title, text, hash): (&str, &str, &str),
    feed_seq: i64,
    content: &[Section],
    previous: Option<&(EvaluationReportRow, String)>,
) -> Result<(EvaluationView, bool)> {
    s.write(&who.actor(), |tx| {
        let (report_no, version, diffs, reason) = match previous {
            None => {
                // The same period, day and data issued again (a retried
                // request): the report already issued.
                if let Some(same) = same_as_last(tx.conn(), program_id, period, hash)? {
                    return Ok((EvaluationView::of(same)?, false));
                }
                (
                    evaluations::last_report_no(tx.conn(), program_id)? + 1,
                    1,
                    Vec::new(),
                    None,
                )
            }
            Some((prev, reason)) => {
                let old: Vec<Section> =
                    serde_json::from_str(&prev.content).map_err(AppError::internal)?;
                (
                    prev.report_no,
                    prev.version + 1,
                    differences(&old, content),
                    Some(reason.clone()),
                )
            }
        };
        let row = EvaluationReportRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            report_no,
            version,
            period_kind: Coded(period.kind),
            starts_on: period.starts_on,
            ends_on: period.ends_on,
            as_of: period.as_of,
            title: title.to_owned(),
            feed_seq,
            content: text.to_owned(),
            content_sha256: hash.to_owned(),
            correction_reason: reason,
            differences: Json::new(diffs)?,
            issued_by: who.user_id.clone(),
            issued_at: now(),
        };
        evaluations::insert(tx.conn(), &row)?;
        let view = EvaluationView::of(row)?;
        tx.record(change(
            if version == 1 {
                "evaluation.issue"
            } else {
                "evaluation.correct"
            },
            ObjectType::EvaluationReport,
            Key::new(&view.id, Some(program_id), i64::from(version)),
            None,
            &view,
        ));
        Ok((view, true))
    })
}

/// The newest report of the programme if it covers the same period as of
/// the same day with the same content.
fn same_as_last(
    conn: &mut AnyConnection,
    program_id: &str,
    p: Period,
    hash: &str,
) -> Result<Option<EvaluationReportRow>> {
    let last = evaluations::last_report_no(conn, program_id)?;
    if last == 0 {
        return Ok(None);
    }
    let row = evaluations::latest_version(conn, program_id, last)?;
    Ok((row.period_kind.0 == p.kind
        && row.starts_on == p.starts_on
        && row.ends_on == p.ends_on
        && row.as_of == p.as_of
        && row.content_sha256 == hash)
        .then_some(row))
}

/// Issues a report (the city office): built from the data as of its day,
/// frozen. Returns whether it was new (a retry of the same request with
/// nothing changed gets the report already issued).
pub fn issue(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<IssueEvaluation>,
) -> Result<(EvaluationView, bool)> {
    require_in_programme(who, Right::IssueEvaluations, program_id)?;
    let body = body.read()?;
    let program = shuzhuan_persistence::repo::programs::find(s.conn(), program_id)?;
    let kind = PeriodKind::from_code(&body.period_kind).ok_or_else(|| {
        AppError::field(
            "period_kind",
            "invalid_value",
            Text::new(
                format!("one of {}", PeriodKind::codes(", ")),
                format!("应为 {} 之一", PeriodKind::codes("、")),
            ),
        )
    })?;
    let period = period_of(&body, kind, (program.starts_on, program.ends_on), today())?;
    let title = body.title.clone().unwrap_or_else(|| {
        format!(
            "{}{}（{} 至 {}）",
            program.name,
            period_name(kind),
            period.starts_on,
            period.ends_on
        )
    });
    store(s, who, program_id, period, title, None)
}

/// Corrects a report: a new version of it from the data as it stands now,
/// with the reason and the cells that changed. Only the newest version is
/// corrected (an older one is 409 `not_latest_version`).
pub fn correct(
    s: &mut Session,
    who: &Principal,
    id: &str,
    body: Body<CorrectEvaluation>,
) -> Result<EvaluationView> {
    let row = visible(s.conn(), who, Right::IssueEvaluations, id)?;
    let body = body.read()?;
    let latest = evaluations::latest_version(s.conn(), &row.program_id, row.report_no)?;
    if latest.id != row.id {
        return Err(not_latest());
    }
    let as_of = body.as_of.unwrap_or(row.as_of);
    let mut errors = Vec::new();
    if as_of > today() {
        errors.push(bad(
            "as_of",
            "range",
            "must not be in the future",
            "不得晚于今天",
        ));
    }
    if as_of < row.starts_on || as_of > row.ends_on {
        errors.push(bad(
            "as_of",
            "range",
            "must fall within the report's period",
            "须在评价期内",
        ));
    }
    AppError::check(errors)?;
    let period = Period {
        kind: row.period_kind.0,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        as_of,
    };
    let (program_id, title) = (row.program_id.clone(), row.title.clone());
    store(s, who, &program_id, period, title, Some((row, body.reason))).map(|(v, _)| v)
}

/// A report version the caller may read (`right` over its programme), or
/// 404 as if it did not exist.
fn visible(
    conn: &mut AnyConnection,
    who: &Principal,
    right: Right,
    id: &str,
) -> Result<EvaluationReportRow> {
    who.require(right)?;
    let row = evaluations::find(conn, id)?;
    require_in_programme(who, right, &row.program_id)?;
    Ok(row)
}

pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<EvaluationView> {
    EvaluationView::of(visible(s.conn(), who, Right::ReadEvaluations, id)?)
}

/// The programme's reports, every version, in the order issued.
pub fn list(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    page: &Page,
) -> Result<List<EvaluationView>> {
    require_in_programme(who, Right::ReadEvaluations, program_id)?;
    let rows =
        evaluations::of_program(s.conn(), program_id, page.after()?.as_deref(), page.limit())?;
    let items = rows
        .items
        .into_iter()
        .map(EvaluationView::of)
        .collect::<Result<Vec<_>>>()?;
    Ok(List::new(items, rows.next_after))
}
