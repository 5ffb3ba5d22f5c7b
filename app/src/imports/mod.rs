//! Bulk import, as officials run it with curl: CSV (UTF-8 with or without
//! BOM, or GB18030/GBK as Excel saves it on Chinese Windows — detected, not
//! declared), an .xlsx workbook, NDJSON, or a JSON array. The body arrives spooled to a
//! temporary file ([`Upload`]), never held in memory whole, and is read
//! record by record. One run ([`run`]) serves every registry: enterprises,
//! providers, products and targets.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use encoding_rs::{Encoding, GB18030, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, Lang, Text};

mod annotate;
mod enterprises;
mod idempotency;
pub(crate) mod names;
mod products;
mod providers;
pub(crate) mod run;
mod workbook;

pub use annotate::annotate;
pub use enterprises::import_enterprises;
pub use idempotency::Request;
pub use products::import_products;
pub use providers::import_providers;

/// The largest import accepted.
pub const IMPORT_LIMIT: usize = 200 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// An Office Open XML workbook (.xlsx): one sheet of it.
    Xlsx,
    Ndjson,
    Json,
}

/// The uploaded file, on disk, with the SHA-256 of its bytes (what an
/// `Idempotency-Key` is checked against).
pub struct Upload {
    pub file: File,
    pub format: Format,
    pub sha256: String,
}

impl Upload {
    /// The same file, read again from wherever this one is read next.
    pub fn try_clone(&self) -> Result<Upload, AppError> {
        Ok(Upload {
            file: self.file.try_clone().map_err(AppError::internal)?,
            format: self.format,
            sha256: self.sha256.clone(),
        })
    }
}

fn mode_schema() -> utoipa::openapi::schema::Object {
    crate::view::string_enum(["upsert", "insert"])
}

fn validate_mode(mode: &str) -> Result<(), validator::ValidationError> {
    if mode == "upsert" || mode == "insert" {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_value")
            .with_message("upsert or insert".into()))
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `upsert` (default: by credit code) or `insert` (existing codes fail).
    #[param(schema_with = mode_schema)]
    #[validate(custom(function = "validate_mode"))]
    pub mode: Option<String>,
    /// Check everything, write nothing.
    pub dry_run: Option<bool>,
    /// All rows or none (default true).
    pub atomic: Option<bool>,
    /// The programme whose region and industry names and codes the rows use
    /// (its id or its code).
    pub program_id: Option<String>,
    /// The sheet of an .xlsx workbook to read, by name (default: the
    /// first).
    #[validate(length(min = 1, max = 100, message = "1 to 100 characters", code = "length"))]
    pub sheet: Option<String>,
    // Described in the contract's glossary (utoipa drops a doc comment
    // beside `schema_with`).
    #[param(schema_with = report_schema)]
    #[validate(custom(function = "validate_report"))]
    pub report: Option<String>,
}

fn report_schema() -> utoipa::openapi::schema::Object {
    crate::view::string_enum(["json", "xlsx"])
}

fn validate_report(report: &str) -> Result<(), validator::ValidationError> {
    if report == "json" || report == "xlsx" {
        Ok(())
    } else {
        Err(validator::ValidationError::new("invalid_value").with_message("json or xlsx".into()))
    }
}

impl ImportQuery {
    /// Whether the answer is the annotated workbook.
    pub fn wants_workbook(&self) -> bool {
        self.report.as_deref() == Some("xlsx")
    }
}

/// One data row: its number as a spreadsheet shows it (the header is row
/// 1, so a file's first data row is 2; an item of NDJSON or JSON counts
/// from 1) and its values by column as the file names them.
pub struct Record {
    pub row: u64,
    pub values: Map<String, Value>,
    /// The file's column titles (CSV), so an error about an empty cell
    /// names the column as the file does.
    pub header: Option<std::sync::Arc<[String]>>,
}

/// One failed row (or column of it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowError {
    pub row: u64,
    pub column: Option<String>,
    pub code: String,
    pub message: Text,
}

impl RowError {
    /// A fault of one cell: row `rec`, column `column`.
    pub fn at(rec: &Record, column: &str, code: &str, message: Text) -> Self {
        RowError {
            row: rec.row,
            column: Some(column.to_owned()),
            code: code.to_owned(),
            message,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub received: u64,
    /// Rows with every cell empty (what spreadsheets leave at the end):
    /// skipped, neither received nor failed.
    #[serde(default)]
    pub blank: u64,
    /// Whether rows are numbered as a spreadsheet's (CSV, workbooks) or as
    /// items (NDJSON, JSON).
    #[serde(default)]
    pub items: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub dry_run: bool,
    pub atomic: bool,
    pub errors: Vec<RowError>,
    /// What was accepted but looks wrong (a target table whose parts do
    /// not add up to its totals).
    #[serde(default)]
    pub warnings: Vec<Text>,
}

/// The import report (API.md): counts and every failed row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    // Described by its schema function (utoipa drops a doc comment beside
    // `schema_with`), as is `row_numbers`.
    #[schema(schema_with = outcome_schema)]
    pub outcome: &'static str,
    /// Rows read (blank rows not counted).
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// Rows with every cell empty, skipped.
    pub blank: u64,
    #[schema(schema_with = numbering_schema)]
    pub row_numbers: &'static str,
    pub dry_run: bool,
    pub atomic: bool,
    pub errors: Vec<ImportRowError>,
    /// Accepted, but worth a look (e.g. parts that do not add up to their
    /// total).
    pub warnings: Vec<String>,
}

fn outcome_schema() -> utoipa::openapi::schema::Object {
    let mut schema = crate::view::string_enum(["written", "would_write", "would_reject"]);
    schema.description = Some(
        "What the import did, or for a dry run what the same request without `dry_run` would \
         do: `written`, `would_write`, or `would_reject` (an atomic import with failed rows \
         writes nothing; the counts are then 0)."
            .to_owned(),
    );
    schema
}

fn numbering_schema() -> utoipa::openapi::schema::Object {
    let mut schema = crate::view::string_enum(["spreadsheet", "item"]);
    schema.description = Some(
        "How `errors[].row` counts: `spreadsheet` (the header is row 1, the first data row 2, \
         as Excel shows it) or `item` (NDJSON lines and JSON array items, from 1)."
            .to_owned(),
    );
    schema
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowError {
    /// The row as `row_numbers` says: in a CSV or workbook the row Excel
    /// shows (the header is row 1).
    pub row: u64,
    pub column: Option<String>,
    pub code: String,
    pub message: String,
}

impl Report {
    pub fn failed_rows(&self) -> u64 {
        let mut rows: Vec<u64> = self.errors.iter().map(|e| e.row).collect();
        rows.dedup();
        rows.len() as u64
    }

    pub fn render(&self, lang: Lang) -> ImportReport {
        // A dry run says what the real run would do: an atomic import with
        // failed rows is rejected whole.
        let rejected = self.dry_run && self.atomic && !self.errors.is_empty();
        let kept = |n: u64| if rejected { 0 } else { n };
        ImportReport {
            outcome: match (self.dry_run, rejected) {
                (false, _) => "written",
                (true, false) => "would_write",
                (true, true) => "would_reject",
            },
            received: self.received,
            created: kept(self.created),
            updated: kept(self.updated),
            unchanged: kept(self.unchanged),
            failed: self.failed_rows(),
            blank: self.blank,
            row_numbers: if self.items { "item" } else { "spreadsheet" },
            dry_run: self.dry_run,
            atomic: self.atomic,
            errors: self
                .errors
                .iter()
                .map(|e| ImportRowError {
                    row: e.row,
                    column: e.column.clone(),
                    code: e.code.clone(),
                    message: match lang {
                        Lang::En => e.message.en.to_string(),
                        Lang::Zh => e.message.zh.to_string(),
                    },
                })
                .collect(),
            warnings: self
                .warnings
                .iter()
                .map(|w| match lang {
                    Lang::En => w.en.to_string(),
                    Lang::Zh => w.zh.to_string(),
                })
                .collect(),
        }
    }
}

/// The encoding of a CSV file: a BOM says; else valid UTF-8 is UTF-8;
/// else it is GB18030 (a superset of GBK and GB2312), as Excel saves it.
pub fn detect_encoding(file: &mut File) -> std::io::Result<&'static Encoding> {
    let mut head = vec![0u8; 64 * 1024];
    let n = file.read(&mut head)?;
    head.truncate(n);
    file.seek(SeekFrom::Start(0))?;
    if let Some((enc, _)) = Encoding::for_bom(&head) {
        return Ok(enc);
    }
    // A multi-byte character may be cut at the end of the sample.
    let valid = match std::str::from_utf8(&head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && n == 64 * 1024,
    };
    Ok(if valid { UTF_8 } else { GB18030 })
}

fn malformed(code: &'static str, en: String, zh: String) -> AppError {
    AppError::Malformed {
        code,
        detail: Text::new(en, zh),
    }
}

/// The rows of an upload, read one at a time (on a thread of their own
/// while the previous chunk is stored).
pub type Records = Box<dyn Iterator<Item = Result<Record, RowError>> + Send>;

/// The records of an upload, one at a time, and the header if the file
/// has one (CSV, workbook: `sheet` names the sheet); a row that cannot be
/// read is an error for that row, and reading goes on.
pub fn records(
    upload: Upload,
    sheet: Option<&str>,
) -> Result<(Option<Vec<String>>, Records), AppError> {
    let (header, rows) = read_records(upload, sheet)?;
    let rows: Records = Box::new(rows.map(|r| r.map(restore_formulas).and_then(refuse_control)));
    Ok((header, rows))
}

/// A cell an export neutralised against formula injection (`'=…`, `'+…`,
/// `'-…`, `'@…`) reads as it was: the one apostrophe goes.
fn restore_formulas(mut rec: Record) -> Record {
    for value in rec.values.values_mut() {
        if let Value::String(text) = value
            && let Some(rest) = text.strip_prefix('\'')
            && rest.starts_with(crate::exports::FORMULA_STARTS)
        {
            *text = rest.to_owned();
        }
    }
    rec
}

/// A row whose text holds control characters (other than tab and line
/// breaks) fails on that column: such text is never stored.
fn refuse_control(rec: Record) -> Result<Record, RowError> {
    let bad = rec.values.iter().find_map(|(column, value)| {
        value
            .as_str()
            .filter(|text| crate::input::has_control(text))
            .map(|_| column.clone())
    });
    match bad {
        None => Ok(rec),
        Some(column) => Err(RowError::at(
            &rec,
            &column,
            "control_character",
            Text::new(
                "must not contain control characters (such as NUL)",
                "不得包含控制字符（如 NUL）",
            ),
        )),
    }
}

fn read_records(
    upload: Upload,
    sheet: Option<&str>,
) -> Result<(Option<Vec<String>>, Records), AppError> {
    let Upload {
        mut file, format, ..
    } = upload;
    match format {
        Format::Xlsx => {
            let (header, rows) = workbook::read(file, sheet)?;
            Ok((Some(header), rows))
        }
        Format::Csv => {
            let encoding = detect_encoding(&mut file).map_err(AppError::internal)?;
            let decoded = DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .build(file);
            let mut reader = csv::ReaderBuilder::new()
                .flexible(false)
                .from_reader(decoded);
            let headers: Vec<String> = reader
                .headers()
                .map_err(|e| {
                    malformed(
                        "malformed_csv",
                        format!("The CSV header cannot be read: {e}."),
                        format!("无法读取 CSV 表头：{e}。"),
                    )
                })?
                .iter()
                .map(|h| h.trim().to_owned())
                .collect();
            // The header is row 1, as a spreadsheet numbers it.
            let mut row = 1;
            let header = headers.clone();
            let titles: std::sync::Arc<[String]> = headers.clone().into();
            let rows: Records = Box::new(reader.into_records().map(move |r| {
                row += 1;
                match r {
                    Ok(rec) => Ok(Record {
                        header: Some(titles.clone()),
                        row,
                        values: headers
                            .iter()
                            .zip(rec.iter())
                            .filter(|(_, v)| !v.trim().is_empty())
                            .map(|(h, v)| (h.clone(), Value::String(v.trim().to_owned())))
                            .collect(),
                    }),
                    Err(e) => Err(RowError {
                        row,
                        column: None,
                        code: "malformed_row".into(),
                        message: Text::new(
                            format!("the row cannot be read: {e}"),
                            format!("该行无法读取：{e}"),
                        ),
                    }),
                }
            }));
            Ok((Some(header), rows))
        }
        Format::Ndjson => {
            let mut row = 0;
            let rows: Records = Box::new(BufReader::new(file).lines().filter_map(move |line| {
                let line = match line {
                    Ok(l) if l.trim().is_empty() => return None,
                    Ok(l) => l,
                    Err(e) => {
                        row += 1;
                        return Some(Err(row_error(row, "malformed_row", &e.to_string())));
                    }
                };
                row += 1;
                Some(object(row, serde_json::from_str(&line)))
            }));
            Ok((None, rows))
        }
        Format::Json => {
            let values: Vec<Value> =
                serde_json::from_reader(BufReader::new(file)).map_err(|e| {
                    malformed(
                        "malformed_json",
                        format!("The body is not a JSON array: {e}."),
                        format!("请求体不是 JSON 数组：{e}。"),
                    )
                })?;
            let rows: Records = Box::new(
                values
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| object(i as u64 + 1, Ok(v))),
            );
            Ok((None, rows))
        }
    }
}

fn row_error(row: u64, code: &str, detail: &str) -> RowError {
    RowError {
        row,
        column: None,
        code: code.into(),
        message: Text::new(
            format!("the row cannot be read: {detail}"),
            format!("该行无法读取：{detail}"),
        ),
    }
}

fn object(row: u64, parsed: Result<Value, serde_json::Error>) -> Result<Record, RowError> {
    match parsed {
        Ok(Value::Object(values)) => Ok(Record {
            header: None,
            row,
            values: values.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        }),
        Ok(_) => Err(row_error(
            row,
            "not_an_object",
            "each row must be a JSON object",
        )),
        Err(e) => Err(row_error(row, "malformed_row", &e.to_string())),
    }
}

/// 是/否, true/false, 1/0, Y/N.
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "是" | "true" | "1" | "y" | "yes" | "√" => Some(true),
            "否" | "false" | "0" | "n" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A whole number from a JSON number or a decimal string.
pub fn parse_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

/// 万元 (ten thousand yuan, as statistics report it) to fen, exactly:
/// 1 万元 = 1,000,000 fen.
pub fn wan_yuan_to_fen(v: &Value) -> Option<i64> {
    amount_to_fen(v, 6)
}

/// 元 (up to two decimals, as an export writes it) to fen, exactly.
pub fn yuan_to_fen(v: &Value) -> Option<i64> {
    amount_to_fen(v, 2)
}

/// A non-negative decimal amount in a unit of `10^decimals` fen, to fen,
/// without floating point.
fn amount_to_fen(v: &Value, decimals: usize) -> Option<i64> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().replace(',', ""),
        _ => return None,
    };
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if frac.len() > decimals
        || whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<decimals$}").parse().ok()?;
    whole
        .checked_mul(10_i64.pow(decimals as u32))?
        .checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_as_officials_write_them() {
        assert_eq!(parse_bool(&json!("是")), Some(true));
        assert_eq!(parse_bool(&json!("否")), Some(false));
        assert_eq!(parse_bool(&json!(true)), Some(true));
        assert_eq!(parse_bool(&json!("maybe")), None);
        assert_eq!(wan_yuan_to_fen(&json!("8600")), Some(8_600_000_000));
        assert_eq!(wan_yuan_to_fen(&json!("12.5")), Some(12_500_000));
        assert_eq!(wan_yuan_to_fen(&json!("1,234.56")), Some(1_234_560_000));
        assert_eq!(wan_yuan_to_fen(&json!("-1")), None);
        assert_eq!(parse_int(&json!(" 180 ")), Some(180));
        assert_eq!(yuan_to_fen(&json!("1234.56")), Some(123_456));
        assert_eq!(yuan_to_fen(&json!("0")), Some(0));
        assert_eq!(yuan_to_fen(&json!(12.5)), Some(1_250));
        assert_eq!(yuan_to_fen(&json!("1.005")), None);
    }
}
