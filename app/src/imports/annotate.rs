//! The annotated error workbook (`?report=xlsx`): the rows as the official
//! sent them, each with 状态 (status) and 错误原因 (what is wrong) and the
//! faulty cells highlighted, so the same file is fixed and sent again as
//! it is — the import recognises those two columns and ignores them.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{Seek, SeekFrom};

use serde_json::Value;

use super::{Record, Report, RowError, Upload, read_records};
use crate::error::{AppError, Lang, Result, Text};
use crate::exports::{Cell, Mark, Sheet, SheetFormat};

/// The titles of the two columns the workbook adds, in either language;
/// an import skips them.
pub(crate) const STATUS_COLUMNS: [&str; 4] = ["状态", "错误原因", "status", "errors"];

fn titles(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => ("status", "errors"),
        Lang::Zh => ("状态", "错误原因"),
    }
}

/// A row's status, in the caller's language.
fn status(report: &Report, failed: bool, lang: Lang) -> String {
    let rejected = report.atomic && !report.errors.is_empty();
    let said = match (failed, report.dry_run, rejected) {
        (true, _, _) => Text::new("error", "错误"),
        (false, _, true) => Text::new("not imported: the file has errors", "未导入（文件有错误）"),
        (false, true, false) => Text::new("ready to import", "可导入"),
        (false, false, false) => Text::new("imported", "已导入"),
    };
    said.get(lang)
}

/// Writes the annotated workbook of an import's `report` from the file
/// that was uploaded (read again from its start).
pub fn annotate(
    mut upload: Upload,
    sheet: Option<&str>,
    report: &Report,
    lang: Lang,
) -> Result<File> {
    let mut errors: BTreeMap<u64, Vec<&RowError>> = BTreeMap::new();
    for e in &report.errors {
        errors.entry(e.row).or_default().push(e);
    }
    // NDJSON and JSON name their fields per item: one pass collects them.
    let columns = columns_of(&mut upload, sheet)?;
    let (status_title, errors_title) = titles(lang);
    let mut header = columns.clone();
    header.extend([status_title.to_owned(), errors_title.to_owned()]);
    let mut out = Sheet::new(
        SheetFormat::Xlsx,
        match lang {
            Lang::En => "import",
            Lang::Zh => "导入结果",
        },
        header,
    )?;
    rewind(&mut upload)?;
    let (_, records) = read_records(upload.try_clone()?, sheet)?;
    for rec in records {
        let rec = match rec {
            Ok(rec) if rec.values.is_empty() => continue,
            Ok(rec) => rec,
            // A row that could not be read is in the report with its number.
            Err(_) => continue,
        };
        let faults = errors.get(&rec.row).map(Vec::as_slice).unwrap_or_default();
        let (cells, marks) = row(&columns, &rec, faults, report, lang);
        out.write(&cells, &marks)?;
    }
    out.finish()
}

/// The columns of the file: its header (without the status columns of an
/// earlier annotation), or for items every key in the order first seen.
fn columns_of(upload: &mut Upload, sheet: Option<&str>) -> Result<Vec<String>> {
    rewind(upload)?;
    let (header, records) = read_records(upload.try_clone()?, sheet)?;
    let keep = |c: &String| !STATUS_COLUMNS.contains(&c.trim());
    if let Some(header) = header {
        return Ok(header.into_iter().filter(keep).collect());
    }
    let mut seen = HashSet::new();
    let mut columns = Vec::new();
    for rec in records.flatten() {
        for key in rec.values.keys() {
            if keep(key) && seen.insert(key.clone()) {
                columns.push(key.clone());
            }
        }
    }
    Ok(columns)
}

fn rewind(upload: &mut Upload) -> Result<()> {
    upload
        .file
        .seek(SeekFrom::Start(0))
        .map(|_| ())
        .map_err(AppError::internal)
}

/// One row's cells as sent, its status and reasons, and what to mark.
fn row(
    columns: &[String],
    rec: &Record,
    faults: &[&RowError],
    report: &Report,
    lang: Lang,
) -> (Vec<Cell>, Vec<Mark>) {
    let mut cells: Vec<Cell> = columns
        .iter()
        .map(|c| match rec.values.get(c) {
            None => Cell::Empty,
            Some(Value::String(s)) => Cell::Text(s.clone()),
            Some(other) => Cell::Text(other.to_string()),
        })
        .collect();
    let mut marks: Vec<Mark> = columns
        .iter()
        .map(|c| {
            if faults
                .iter()
                .any(|e| e.column.as_deref() == Some(c.as_str()))
            {
                Mark::Fault
            } else {
                Mark::Plain
            }
        })
        .collect();
    let reasons: Vec<String> = faults
        .iter()
        .map(|e| {
            let message = match lang {
                Lang::En => &e.message.en,
                Lang::Zh => &e.message.zh,
            };
            match &e.column {
                Some(column) => format!("{column}：{message}"),
                None => message.to_string(),
            }
        })
        .collect();
    cells.push(Cell::Text(status(report, !faults.is_empty(), lang)));
    cells.push(if reasons.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(reasons.join("；"))
    });
    let mark = if faults.is_empty() {
        Mark::Plain
    } else {
        Mark::Error
    };
    marks.extend([mark, mark]);
    (cells, marks)
}
