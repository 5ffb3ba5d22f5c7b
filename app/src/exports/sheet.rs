//! Writing a table as a spreadsheet, row by row to a temporary file: an
//! .xlsx workbook (rust_xlsxwriter in constant-memory mode, so a million
//! rows never sit in memory) or CSV (UTF-8 with a BOM so Excel reads it,
//! or GB18030 for older Excel on Chinese Windows). Text that a spreadsheet
//! would run as a formula is neutralised.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use chrono::NaiveDate;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use crate::error::AppError;

/// What a cell that starts with one of these would be to a spreadsheet: a
/// formula. Exports neutralise them; imports restore them.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The file an export or annotated report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Xlsx,
    /// CSV in UTF-8 with a byte-order mark.
    Csv,
    /// CSV in GB18030 (a superset of GBK), as older Excel expects.
    CsvGb18030,
}

/// The media type of an .xlsx workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl SheetFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => XLSX,
            SheetFormat::Csv => "text/csv; charset=utf-8",
            SheetFormat::CsvGb18030 => "text/csv; charset=gb18030",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "xlsx",
            SheetFormat::Csv | SheetFormat::CsvGb18030 => "csv",
        }
    }
}

/// One cell as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Money in fen, shown in 元 with two decimals.
    Fen(i64),
    Date(NaiveDate),
    /// A moment, in Beijing time (UTC+8), to the second.
    Time(chrono::NaiveDateTime),
}

/// How a cell looks: plain, or marked (a row or cell with an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Plain,
    /// The status cells of a failed row.
    Error,
    /// The cell an error names.
    Fault,
}

/// Rows an .xlsx sheet holds (Excel's limit), the header included; more
/// rows go on to a further sheet with the same header.
const SHEET_ROWS: u32 = 1_048_576;

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal(e)
}

/// A spreadsheet being written.
pub struct Sheet {
    out: Out,
    titles: Vec<String>,
    name: String,
}

/// The cell formats of a workbook.
struct Styles {
    header: Format,
    money: Format,
    date: Format,
    time: Format,
    error: Format,
    fault: Format,
}

enum Out {
    Xlsx {
        book: Box<Workbook>,
        row: u32,
        sheets: u16,
        styles: Box<Styles>,
    },
    Csv {
        file: BufWriter<File>,
        gb18030: bool,
        /// One record's bytes, before re-encoding.
        line: Vec<u8>,
    },
}

impl Sheet {
    /// A sheet named `name` (the workbook's tab) with these column titles.
    pub fn new(format: SheetFormat, name: &str, titles: Vec<String>) -> Result<Self, AppError> {
        let out = match format {
            SheetFormat::Xlsx => Out::Xlsx {
                book: Box::new(Workbook::new()),
                row: 0,
                sheets: 0,
                styles: Box::new(Styles {
                    header: Format::new()
                        .set_bold()
                        .set_background_color(Color::RGB(0xDDEBF7))
                        .set_border_bottom(FormatBorder::Thin),
                    money: Format::new().set_num_format("#,##0.00"),
                    date: Format::new().set_num_format("yyyy-mm-dd"),
                    time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
                    error: Format::new()
                        .set_font_color(Color::RGB(0x9C0006))
                        .set_background_color(Color::RGB(0xFFC7CE)),
                    fault: Format::new().set_background_color(Color::RGB(0xFFEB9C)),
                }),
            },
            SheetFormat::Csv | SheetFormat::CsvGb18030 => {
                let mut file = BufWriter::new(tempfile::tempfile().map_err(AppError::internal)?);
                if format == SheetFormat::Csv {
                    file.write_all("\u{feff}".as_bytes())
                        .map_err(AppError::internal)?;
                }
                Out::Csv {
                    file,
                    gb18030: format == SheetFormat::CsvGb18030,
                    line: Vec::new(),
                }
            }
        };
        let mut sheet = Sheet {
            out,
            titles,
            name: sheet_name(name),
        };
        sheet.start()?;
        Ok(sheet)
    }

    /// Starts a sheet (or, in a workbook past Excel's row limit, the next
    /// one) with the header row.
    fn start(&mut self) -> Result<(), AppError> {
        let titles: Vec<Cell> = self.titles.iter().cloned().map(Cell::Text).collect();
        match &mut self.out {
            Out::Xlsx {
                book,
                row,
                sheets,
                styles,
            } => {
                let name = match *sheets {
                    0 => self.name.clone(),
                    n => format!("{} ({})", self.name, n + 1),
                };
                let sheet = book
                    .add_worksheet_with_constant_memory()
                    .map_err(xlsx_error)?;
                sheet.set_name(&name).map_err(xlsx_error)?;
                for (c, title) in self.titles.iter().enumerate() {
                    let c = column(c)?;
                    sheet
                        .write_string_with_format(0, c, title, &styles.header)
                        .map_err(xlsx_error)?;
                    sheet
                        .set_column_width(c, (title.chars().count() as f64 * 2.2).max(12.0))
                        .map_err(xlsx_error)?;
                }
                sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
                *sheets += 1;
                *row = 1;
                Ok(())
            }
            Out::Csv { .. } => self.write(&titles, &[]),
        }
    }

    /// Writes one row; `marks` (by column, may be shorter) say which cells
    /// stand out.
    pub fn write(&mut self, cells: &[Cell], marks: &[Mark]) -> Result<(), AppError> {
        if let Out::Xlsx { row, .. } = &self.out
            && *row >= SHEET_ROWS
        {
            self.start()?;
        }
        match &mut self.out {
            Out::Xlsx {
                book,
                row,
                sheets,
                styles,
            } => {
                let Styles {
                    money,
                    date,
                    time,
                    error,
                    fault,
                    ..
                } = &**styles;
                let sheet = book
                    .worksheet_from_index(usize::from(*sheets) - 1)
                    .map_err(xlsx_error)?;
                for (c, cell) in cells.iter().enumerate() {
                    let col = column(c)?;
                    let mark = match marks.get(c) {
                        Some(Mark::Error) => Some(error),
                        Some(Mark::Fault) => Some(fault),
                        _ => None,
                    };
                    let r = *row;
                    let written = match (cell, mark) {
                        (Cell::Empty, None) => Ok(&mut *sheet),
                        (Cell::Empty, Some(m)) => sheet.write_blank(r, col, m),
                        // A text cell is never run as a formula.
                        (Cell::Text(t), None) => sheet.write_string(r, col, t),
                        (Cell::Text(t), Some(m)) => sheet.write_string_with_format(r, col, t, m),
                        (Cell::Int(n), _) => sheet.write_number(r, col, *n as f64),
                        (Cell::Fen(fen), _) => {
                            sheet.write_number_with_format(r, col, *fen as f64 / 100.0, money)
                        }
                        (Cell::Date(d), _) => sheet.write_datetime_with_format(r, col, d, date),
                        (Cell::Time(t), _) => sheet.write_datetime_with_format(r, col, t, time),
                    };
                    written.map_err(xlsx_error)?;
                }
                *row += 1;
                Ok(())
            }
            Out::Csv {
                file,
                gb18030,
                line,
            } => {
                line.clear();
                let mut record = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .buffer_capacity(1024)
                    .from_writer(&mut *line);
                record
                    .write_record(cells.iter().map(csv_text))
                    .map_err(AppError::internal)?;
                record.flush().map_err(AppError::internal)?;
                drop(record);
                if *gb18030 {
                    let text = String::from_utf8_lossy(line);
                    let (encoded, _, _) = encoding_rs::GB18030.encode(&text);
                    file.write_all(&encoded)
                } else {
                    file.write_all(line)
                }
                .map_err(AppError::internal)
            }
        }
    }

    /// The finished file, at its start.
    pub fn finish(self) -> Result<File, AppError> {
        let mut file = match self.out {
            Out::Xlsx { mut book, .. } => {
                let mut file = tempfile::tempfile().map_err(AppError::internal)?;
                book.save_to_writer(&mut file).map_err(xlsx_error)?;
                file
            }
            Out::Csv { file, .. } => file
                .into_inner()
                .map_err(|e| AppError::internal(e.into_error()))?,
        };
        file.seek(SeekFrom::Start(0)).map_err(AppError::internal)?;
        Ok(file)
    }
}

fn column(c: usize) -> Result<u16, AppError> {
    u16::try_from(c).map_err(AppError::internal)
}

/// A workbook tab's name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect()
}

/// A cell as CSV text: money in 元 with two decimals, exactly; text that
/// would be a formula behind one apostrophe.
fn csv_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(t) if t.starts_with(FORMULA_STARTS) => format!("'{t}"),
        Cell::Text(t) => t.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Fen(fen) => yuan(*fen),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

/// Fen as 元 with two decimals (`-1234.05`), without floating point.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn money_reads_in_yuan_exactly() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(-105), "-1.05");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn formulas_are_neutralised_in_csv() {
        for start in FORMULA_STARTS {
            let text = format!("{start}SUM(A1)");
            assert_eq!(csv_text(&Cell::Text(text.clone())), format!("'{text}"));
        }
        assert_eq!(csv_text(&Cell::Text("贺兰县".into())), "贺兰县");
        assert_eq!(csv_text(&Cell::Int(-3)), "-3");
    }

    #[test]
    fn csv_carries_a_bom_or_gb18030() {
        let read = |format| {
            let mut sheet = Sheet::new(format, "名单", vec!["企业名称".into()]).unwrap();
            sheet.write(&[Cell::Text("=1+1".into())], &[]).unwrap();
            let mut bytes = Vec::new();
            sheet.finish().unwrap().read_to_end(&mut bytes).unwrap();
            bytes
        };
        let utf8 = read(SheetFormat::Csv);
        assert_eq!(utf8, "\u{feff}企业名称\r\n'=1+1\r\n".as_bytes());
        let gbk = read(SheetFormat::CsvGb18030);
        let (text, _, bad) = encoding_rs::GB18030.decode(&gbk);
        assert!(!bad);
        assert_eq!(text, "企业名称\r\n'=1+1\r\n");
    }

    #[test]
    fn tab_names_are_what_excel_takes() {
        assert_eq!(sheet_name("a/b[c]"), "a_b_c_");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }
}
