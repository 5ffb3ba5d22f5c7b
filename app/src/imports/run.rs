//! The import run every registry shares (enterprises, providers,
//! products, targets): column titles to fields, the natural key checked
//! once per file, chunks of rows stored in units of work, and `atomic` /
//! `dry_run`. A registry says only how a row reads and how a chunk is
//! stored.

use std::collections::HashSet;

use serde_json::Value;
use shuzhuan_persistence::{Actor, AnyConnection, RepoError, Session, Tx, overlapped};

use super::idempotency::{Outcome, Request};
use super::{Record, Report, RowError, Upload, records};
use crate::error::{AppError, FieldError, Result, Text};
use crate::principal::Principal;

/// Field names and the column titles officials use for them.
pub type Columns = &'static [(&'static str, &'static [&'static str])];

/// Columns that carry no data (row numbers; the status columns of an
/// annotated workbook are skipped too).
const IGNORED: [&str; 3] = ["序号", "no", "#"];

/// Rows written by one import from which the table's statistics are
/// refreshed.
const ANALYZE_AFTER: u64 = 10_000;

/// How the rows of one registry read: its columns and the checks of a row
/// that need no database. Runs on the import's reader thread, beside the
/// store, so it is shared (`Sync`) and owns what it needs (the programme's
/// region and industry names).
pub trait Reader: Send + Sync {
    /// A row's content once read, waiting for its chunk to be stored.
    type Parsed: Send;
    /// The columns the registry knows.
    const COLUMNS: Columns;
    /// The field every file must have: the natural key's (first) column.
    const KEY_FIELD: &'static str;
    /// How the key column is called, for the missing-column error.
    const KEY_TITLE: &'static str;

    /// Reads one record: its natural key and content, or its errors.
    fn read(&self, rec: &Record) -> std::result::Result<(String, Self::Parsed), Vec<RowError>>;

    /// Refuses a whole file whose columns cannot be read without something
    /// the request lacks (one answer, not an error per row).
    fn check_header(&self, _header: &[String]) -> Result<()> {
        Ok(())
    }
}

/// A registry that bulk import fills: how a chunk of read rows is stored.
pub trait Registry {
    /// How its rows read.
    type Reader: Reader;
    /// The table it fills (analysed after a large import).
    const TABLE: shuzhuan_persistence::RegistryTable;

    /// Stores a chunk of read rows inside the open unit of work: counts go
    /// to `report`, and so does every row's error.
    fn store(
        &mut self,
        tx: &mut Tx<'_>,
        rows: Vec<ReadRow<Parsed<Self>>>,
        report: &mut Report,
    ) -> Result<()>;

    /// Warnings about the whole table once the rows are in (read inside
    /// the import's unit of work when atomic).
    fn warnings(&self, _conn: &mut AnyConnection) -> Result<Vec<Text>> {
        Ok(Vec::new())
    }
}

/// The content a registry's reader makes of a row.
pub type Parsed<R> = <<R as Registry>::Reader as Reader>::Parsed;

/// A record read, with its natural key and content.
pub struct ReadRow<P> {
    pub rec: Record,
    pub key: String,
    pub parsed: P,
}

/// The field a column title names.
pub fn field_of(columns: Columns, column: &str) -> Option<&'static str> {
    let c = column.trim().trim_start_matches('\u{feff}');
    columns
        .iter()
        .find(|(field, aliases)| *field == c || aliases.contains(&c))
        .map(|(field, _)| *field)
}

/// The known fields of a record with their column and value; an unknown
/// column is an error of the row, a row-number column is skipped.
pub fn fields_of<'r>(
    columns: Columns,
    rec: &'r Record,
    errors: &mut Vec<RowError>,
) -> Vec<(&'static str, &'r str, &'r Value)> {
    let mut out = Vec::new();
    for (column, value) in &rec.values {
        let title = column.trim().to_ascii_lowercase();
        if IGNORED.contains(&title.as_str())
            || super::annotate::STATUS_COLUMNS.contains(&title.as_str())
        {
            continue;
        }
        match field_of(columns, column) {
            Some(field) => out.push((field, column.as_str(), value)),
            None => errors.push(RowError::at(
                rec,
                column,
                "unknown_column",
                Text::new("no such column", "无法识别的列"),
            )),
        }
    }
    out
}

/// A cell as text, trimmed.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// A list cell: a JSON array, or text split at 、，,；; / and newlines.
pub fn list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(text).filter(|s| !s.is_empty()).collect(),
        other => text(other)
            .split(['、', '，', ',', '；', ';', '/', '\n'])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    }
}

/// An error of `field` in this row, named by the column it came from.
pub fn row_error(
    columns: Columns,
    rec: &Record,
    field: &str,
    code: &str,
    message: Text,
) -> RowError {
    // The column as the file names it: the cell's, else the file's title
    // of that (empty) column, else the usual Chinese title when a CSV lacks
    // the column; JSON names fields by their keys.
    let named = |c: &&String| field_of(columns, c) == Some(field);
    let column = rec
        .values
        .keys()
        .find(named)
        .or_else(|| rec.header.as_deref().and_then(|h| h.iter().find(named)))
        .map(String::as_str)
        .or_else(|| {
            rec.header.as_ref()?;
            columns
                .iter()
                .find(|(f, _)| *f == field)
                .and_then(|(_, titles)| titles.first().copied())
        })
        .unwrap_or(field);
    RowError::at(rec, column, code, message)
}

/// Field errors of a row's content, as row errors.
pub fn field_errors(columns: Columns, rec: &Record, errs: Vec<FieldError>) -> Vec<RowError> {
    errs.into_iter()
        .map(|e| row_error(columns, rec, &e.field, &e.code, e.message))
        .collect()
}

/// A cell the column does not take: what was found and what is allowed,
/// in both languages.
pub fn invalid(found: &str, allowed_en: &str, allowed_zh: &str) -> Text {
    Text::new(
        format!("`{found}` is not allowed here: use {allowed_en}"),
        format!("`{found}` 无效，应为{allowed_zh}"),
    )
}

/// What a yes/no column takes.
pub const YES_NO: (&str, &str) = (
    "是 or 否 (also yes/no, true/false, 1/0)",
    "是或否（也可填 yes/no、true/false、1/0）",
);

/// Checks an importer before anything is read: 403 without `right`; a
/// programme must be named (by id or code) unless the importer's reach is
/// everything (422 `program_required`, said once); one outside the reach,
/// or none at all, is 404.
pub(crate) fn importer(
    s: &mut Session,
    who: &Principal,
    right: crate::policy::Right,
    program_id: Option<&str>,
) -> Result<()> {
    let reach = who.require(right)?;
    let Some(p) = program_id else {
        return match reach.all {
            true => Ok(()),
            false => Err(AppError::field(
                "program_id",
                "program_required",
                Text::new(
                    "name the programme the rows belong to: ?program_id= (its id or code)",
                    "请用 ?program_id= 指明这些行所属的试点（试点 id 或代码）",
                ),
            )),
        };
    };
    let target = shuzhuan_types::Target {
        programmes: vec![p],
        ..Default::default()
    };
    if !reach.contains(&target) {
        return Err(AppError::NotFound);
    }
    shuzhuan_persistence::repo::programs::find(s.conn(), p)?;
    Ok(())
}

enum Stop {
    /// Undo everything written (dry run, or an atomic import with failures).
    Rollback,
    App(AppError),
}

impl From<RepoError> for Stop {
    fn from(e: RepoError) -> Self {
        Stop::App(e.into())
    }
}

/// Rows per chunk (per unit of work when not atomic).
const CHUNK: usize = 500;

/// Chunks read ahead of the one being stored.
const READ_AHEAD: usize = 4;

/// A chunk as the reader thread hands it over: the rows that read well,
/// the errors of those that did not, and how many records it held.
struct ReadChunk<P> {
    rows: Vec<ReadRow<P>>,
    errors: Vec<RowError>,
    received: u64,
    blank: u64,
}

/// Reads a chunk of records; a key seen earlier in the file is an error:
/// which row should win is the official's call, not ours.
fn read_chunk<Rd: Reader>(
    reader: &Rd,
    recs: Vec<Result<Record, RowError>>,
    seen: &mut HashSet<String>,
) -> ReadChunk<Rd::Parsed> {
    let mut out = ReadChunk {
        rows: Vec::with_capacity(recs.len()),
        errors: Vec::new(),
        received: recs.len() as u64,
        blank: 0,
    };
    for rec in recs {
        let rec = match rec {
            Ok(r) if r.values.is_empty() => {
                out.blank += 1;
                out.received -= 1;
                continue;
            }
            Ok(r) => r,
            Err(e) => {
                out.errors.push(e);
                continue;
            }
        };
        match reader.read(&rec) {
            Ok((key, _)) if !seen.insert(key.clone()) => {
                out.errors.push(row_error(
                    Rd::COLUMNS,
                    &rec,
                    Rd::KEY_FIELD,
                    "duplicate_in_file",
                    Text::new(
                        "the same record appears earlier in the file",
                        "该记录在文件中重复出现",
                    ),
                ));
            }
            Ok((key, parsed)) => out.rows.push(ReadRow { rec, key, parsed }),
            Err(errors) => out.errors.extend(errors),
        }
    }
    out
}

/// Runs an import: reads the upload in chunks and stores them, all in one
/// unit of work when atomic or a dry run (rolled back if any row failed or
/// nothing may be written), else one unit of work per chunk.
fn run<R: Registry>(
    s: &mut Session,
    actor: &Actor,
    upload: Upload,
    sheet: Option<&str>,
    reader: &R::Reader,
    registry: &mut R,
    report: &mut Report,
) -> Result<()> {
    let (header, records) = records(upload, sheet)?;
    let mut records = records.peekable();
    // NDJSON and JSON have no header: the first item's keys stand for it.
    let columns = match (&header, records.peek()) {
        (Some(header), _) => Some(header.clone()),
        (None, Some(Ok(first))) => Some(first.values.keys().cloned().collect()),
        _ => None,
    };
    if let Some(columns) = &columns {
        reader.check_header(columns)?;
    }
    report.items = header.is_none();
    if let Some(header) = header
        && !header
            .iter()
            .any(|c| field_of(<R::Reader>::COLUMNS, c) == Some(<R::Reader>::KEY_FIELD))
    {
        return Err(AppError::field(
            "header",
            "missing_column",
            Text::new(
                format!(
                    "the first line must name the columns, among them {} ({})",
                    <R::Reader>::KEY_TITLE,
                    <R::Reader>::KEY_FIELD
                ),
                format!("首行应为列名，且须包含“{}”列", <R::Reader>::KEY_TITLE),
            ),
        ));
    }
    let step = |registry: &mut R, tx: &mut Tx<'_>, chunk: ReadChunk<_>, report: &mut Report| {
        report.received += chunk.received;
        report.blank += chunk.blank;
        report.errors.extend(chunk.errors);
        registry.store(tx, chunk.rows, report)
    };
    // Decoding, splitting and reading the rows runs on its own thread, a
    // few chunks ahead of this one storing them, so the connection waits
    // on the least work (bounded, so memory stays flat).
    let mut seen = HashSet::new();
    let read = std::iter::from_fn(|| {
        let recs: Vec<_> = records.by_ref().take(CHUNK).collect();
        (!recs.is_empty()).then(|| read_chunk(reader, recs, &mut seen))
    });
    overlapped(read, READ_AHEAD, |chunks| {
        if report.atomic || report.dry_run {
            let outcome = s.write(actor, |tx| {
                for chunk in chunks {
                    step(registry, tx, chunk, report).map_err(Stop::App)?;
                }
                report.warnings = registry.warnings(tx.conn()).map_err(Stop::App)?;
                if report.dry_run || !report.errors.is_empty() {
                    Err(Stop::Rollback)
                } else {
                    Ok(())
                }
            });
            return match outcome {
                Ok(()) | Err(Stop::Rollback) => Ok(()),
                Err(Stop::App(e)) => Err(e),
            };
        }
        for chunk in chunks {
            s.write(actor, |tx| step(registry, tx, chunk, report))?;
        }
        report.warnings = registry.warnings(s.conn())?;
        Ok(())
    })
}

/// Runs an import whose right the caller has checked: builds the reader
/// and the registry from the database (`make`), runs the upload through
/// them, and answers the report — or `import_rejected` when an atomic
/// import had failures and wrote nothing. With an `Idempotency-Key` the
/// first answer is kept and a retry with the same key and file gets it
/// again without running (another file under the same key is 422).
pub(crate) fn import<R: Registry>(
    s: &mut Session,
    who: &Principal,
    request: Request,
    make: impl FnOnce(&mut AnyConnection) -> Result<(R::Reader, R)>,
) -> Result<Report> {
    let key = request.key(who)?;
    if let Some(key) = &key
        && let Some(kept) = key.replay(s)?
    {
        return kept.answer();
    }
    let mut report = Report {
        dry_run: request.query.dry_run.unwrap_or(false),
        atomic: request.query.atomic.unwrap_or(true),
        ..Default::default()
    };
    let (reader, mut registry) = make(s.conn())?;
    run(
        s,
        &who.actor(),
        request.upload,
        request.query.sheet.as_deref(),
        &reader,
        &mut registry,
        &mut report,
    )?;
    if !report.dry_run && report.created + report.updated >= ANALYZE_AFTER {
        s.analyze(R::TABLE)?;
    }
    let outcome = Outcome {
        rejected: report.atomic && !report.dry_run && !report.errors.is_empty(),
        report,
    };
    if let Some(key) = key {
        key.keep(s, &who.actor(), &outcome)?;
    }
    outcome.answer()
}
