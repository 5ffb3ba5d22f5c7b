//! Reading an .xlsx upload (calamine): one sheet (the first, or the one
//! named), streamed cell by cell on a thread of its own, so a large
//! workbook is never held whole. A cell reads as Excel shows it: whole
//! numbers without `.0`, dates as `YYYY-MM-DD`, and a number too long for
//! Excel to keep exactly (a credit code typed as a number) in the
//! scientific notation Excel shows, so the row says what happened to it.

use std::fs::File;
use std::io::BufReader;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use calamine::{DataRef, Reader as _, Xlsx};
use serde_json::{Map, Value};

use super::{Record, Records, RowError, malformed};
use crate::error::{AppError, Text};

/// Rows read ahead of the import.
const AHEAD: usize = 2_048;

/// One row as the sheet holds it: its number (as Excel shows it) and its
/// non-empty cells by column index.
type SheetRow = (u64, Vec<(usize, String)>);

/// The header (the first row with any cell) and the data rows of the
/// sheet named by `sheet`, or the first.
pub(super) fn read(file: File, sheet: Option<&str>) -> Result<(Vec<String>, Records), AppError> {
    let unreadable = |e: calamine::XlsxError| {
        malformed(
            "malformed_xlsx",
            format!("The workbook cannot be read: {e}."),
            format!("无法读取该工作簿：{e}。"),
        )
    };
    let mut book: Xlsx<BufReader<File>> = Xlsx::new(BufReader::new(file)).map_err(unreadable)?;
    let names = book.sheet_names();
    let name = match sheet {
        None => names.first().cloned().ok_or_else(|| {
            malformed(
                "malformed_xlsx",
                "The workbook has no sheet.".into(),
                "该工作簿没有工作表。".into(),
            )
        })?,
        Some(wanted) => names
            .iter()
            .find(|n| n.trim() == wanted.trim())
            .cloned()
            .ok_or_else(|| {
                AppError::field(
                    "sheet",
                    "unknown_sheet",
                    Text::new(
                        format!(
                            "the workbook has no sheet `{wanted}`; its sheets: {}",
                            names.join(", ")
                        ),
                        format!(
                            "工作簿中没有名为“{wanted}”的工作表；现有工作表：{}",
                            names.join("、")
                        ),
                    ),
                )
            })?,
    };
    // The reader borrows the workbook: both live on the thread, which
    // hands rows over through a bounded channel.
    let (send, rows) = sync_channel::<Result<SheetRow, String>>(AHEAD);
    std::thread::spawn(move || {
        let mut cells = match book.worksheet_cells_reader(&name) {
            Ok(cells) => cells,
            Err(e) => {
                let _ = send.send(Err(e.to_string()));
                return;
            }
        };
        let mut current: Option<SheetRow> = None;
        loop {
            match cells.next_cell() {
                Ok(Some(cell)) => {
                    let (r, c) = cell.get_position();
                    let row = u64::from(r) + 1;
                    if current.as_ref().is_some_and(|(n, _)| *n != row)
                        && let Some(done) = current.take()
                        && send.send(Ok(done)).is_err()
                    {
                        return;
                    }
                    let text = cell_text(cell.get_value());
                    let entry = current.get_or_insert_with(|| (row, Vec::new()));
                    if !text.is_empty() {
                        entry.1.push((c as usize, text));
                    }
                }
                Ok(None) => {
                    if let Some(done) = current.take() {
                        let _ = send.send(Ok(done));
                    }
                    return;
                }
                Err(e) => {
                    let _ = send.send(Err(e.to_string()));
                    return;
                }
            }
        }
    });
    let header = header(&rows)?;
    let titles: Arc<[String]> = header.clone().into();
    let records: Records = Box::new(rows.into_iter().map(move |row| match row {
        Ok((row, cells)) => Ok(record(&titles, row, cells)),
        Err(e) => Err(RowError {
            row: 0,
            column: None,
            code: "malformed_row".into(),
            message: Text::new(
                format!("the sheet cannot be read further: {e}"),
                format!("工作表无法继续读取：{e}"),
            ),
        }),
    }));
    Ok((header, records))
}

/// The first row with any cell: the column titles.
fn header(rows: &Receiver<Result<SheetRow, String>>) -> Result<Vec<String>, AppError> {
    for row in rows {
        let (_, cells) = row.map_err(|e| {
            malformed(
                "malformed_xlsx",
                format!("The sheet cannot be read: {e}."),
                format!("无法读取该工作表：{e}。"),
            )
        })?;
        if let Some(width) = cells.iter().map(|(c, _)| c + 1).max() {
            let mut titles = vec![String::new(); width];
            for (c, text) in cells {
                titles[c] = text;
            }
            return Ok(titles);
        }
    }
    Err(malformed(
        "malformed_xlsx",
        "The sheet is empty.".into(),
        "该工作表为空。".into(),
    ))
}

/// A data row by the header's titles; a cell beyond them is named by its
/// column letter (and fails as an unknown column).
fn record(titles: &Arc<[String]>, row: u64, cells: Vec<(usize, String)>) -> Record {
    let values: Map<String, Value> = cells
        .into_iter()
        .map(|(c, text)| {
            let title = titles
                .get(c)
                .filter(|t| !t.is_empty())
                .cloned()
                .unwrap_or_else(|| column_letter(c));
            (title, Value::String(text))
        })
        .collect();
    Record {
        row,
        values,
        header: Some(titles.clone()),
    }
}

/// `A`, `B`, …, `Z`, `AA`, … for a zero-based column index.
fn column_letter(mut c: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// Excel keeps 15 significant digits: a whole number at or past this was
/// typed into a number cell and has lost digits (a credit code).
const EXACT_DIGITS: f64 = 1e15;

/// A cell as Excel shows it, trimmed.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            s.trim().to_owned()
        }
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        DataRef::DateTime(d) => number_text(d.as_f64()),
        DataRef::Error(e) => e.to_string(),
    }
}

/// A number as Excel's General format shows it: whole numbers plainly,
/// fractions to 15 significant digits, and whole numbers past Excel's
/// precision in scientific notation (`9.16401E+17`).
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < EXACT_DIGITS {
        return format!("{f:.0}");
    }
    if f.fract() == 0.0 {
        let text = format!("{f:E}");
        let (mantissa, exponent) = text.split_once('E').unwrap_or((&text, "0"));
        return format!("{mantissa}E+{exponent}");
    }
    let text = format!("{:.*}", 15usize.saturating_sub(digits_before_point(f)), f);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn digits_before_point(f: f64) -> usize {
    let whole = f.abs().trunc();
    if whole < 1.0 {
        1
    } else {
        whole.log10().floor() as usize + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(number_text(180.0), "180");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(13_800_138_000.0), "13800138000");
        assert_eq!(number_text(916_401_000_000_000_000.0), "9.16401E+17");
        assert_eq!(number_text(-3.0), "-3");
    }

    #[test]
    fn columns_are_lettered_as_excel_letters_them() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
