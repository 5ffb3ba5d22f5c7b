//! Lists taken back to Excel (导出): every list an office works from, as a
//! workbook or CSV, with Chinese (or English) column titles, money in 元,
//! dates as dates. An export runs the list's own use case page after page
//! (same right, scope and filters as the JSON list) and writes each row as
//! it comes ([`sheet`]); a table says only which field goes in which column
//! ([`tables`]).

use serde::Serialize;
use serde_json::Value;

use crate::error::{AppError, Lang, Result};
use crate::view::List;

mod sheet;
pub mod tables;

pub use sheet::{Cell, FORMULA_STARTS, Mark, Sheet, SheetFormat, XLSX, yuan};

/// How a field reads in a cell.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    Int,
    /// Fen, shown in 元.
    Fen,
    /// 是/否 (yes/no in English).
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 moment, shown in Beijing time.
    Time,
    /// A code shown by its Chinese name (the code itself in English).
    Named(fn(&str) -> Option<&'static str>),
    /// A list of texts joined with 、.
    List,
    /// A list of objects: each one's field (a key) on a line of its own.
    ListOf(&'static str),
    /// Basis points, shown in percent with two decimals.
    Percent,
    /// A dashboard figure whose row's `unit` says what it is: a count, a
    /// share in basis points (shown in percent) or an amount in fen.
    ByUnit,
}

/// One column: the field (a path of keys, `a.b`), its titles, its kind.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub field: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
    pub kind: Kind,
}

/// What an export holds: its name (the file and the tab) and columns.
#[derive(Debug)]
pub struct Table {
    pub en: &'static str,
    pub zh: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    /// The file name an export suggests (`企业名单.xlsx`).
    pub fn file_name(&self, lang: Lang, format: SheetFormat) -> String {
        format!("{}.{}", self.name(lang), format.extension())
    }

    fn name(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }

    fn titles(&self, lang: Lang) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| match lang {
                Lang::En => c.en,
                Lang::Zh => c.zh,
            })
            .map(str::to_owned)
            .collect()
    }

    /// The cells of one item (a view serialised).
    fn cells(&self, item: &Value, lang: Lang) -> Vec<Cell> {
        self.columns.iter().map(|c| cell(item, c, lang)).collect()
    }
}

fn field<'v>(item: &'v Value, path: &str) -> &'v Value {
    path.split('.')
        .fold(item, |v, key| v.get(key).unwrap_or(&Value::Null))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn cell(item: &Value, column: &Column, lang: Lang) -> Cell {
    let v = field(item, column.field);
    if v.is_null() {
        return Cell::Empty;
    }
    match column.kind {
        Kind::Text => Cell::Text(text(v)),
        Kind::Int => v.as_i64().map_or_else(|| Cell::Text(text(v)), Cell::Int),
        Kind::Fen => v.as_i64().map_or(Cell::Empty, Cell::Fen),
        Kind::Bool => match (v.as_bool(), lang) {
            (Some(true), Lang::Zh) => Cell::Text("是".into()),
            (Some(false), Lang::Zh) => Cell::Text("否".into()),
            (Some(b), Lang::En) => Cell::Text(if b { "yes" } else { "no" }.into()),
            (None, _) => Cell::Empty,
        },
        Kind::Date => v
            .as_str()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map_or_else(|| Cell::Text(text(v)), Cell::Date),
        Kind::Time => v
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(
                || Cell::Text(text(v)),
                |t| Cell::Time((t.naive_utc() + chrono::Duration::hours(8)).trunc_subsecs(0)),
            ),
        Kind::Named(name) => {
            let code = text(v);
            match (lang, name(&code)) {
                (Lang::Zh, Some(zh)) => Cell::Text(zh.to_owned()),
                _ => Cell::Text(code),
            }
        }
        Kind::List => Cell::Text(
            v.as_array()
                .map(|items| items.iter().map(text).collect::<Vec<_>>().join("、"))
                .unwrap_or_else(|| text(v)),
        ),
        Kind::ListOf(key) => Cell::Text(
            v.as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| text(field(i, key)))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
        ),
        Kind::Percent => v
            .as_i64()
            .map_or(Cell::Empty, |bp| Cell::Text(format!("{}%", percent(bp)))),
        Kind::ByUnit => match (field(item, "unit").as_str(), v.as_i64()) {
            (Some("amount_fen"), Some(fen)) => Cell::Fen(fen),
            (Some("share_bp"), Some(bp)) => Cell::Text(format!("{}%", percent(bp))),
            (_, Some(n)) => Cell::Int(n),
            _ => Cell::Text(text(v)),
        },
    }
}

use chrono::SubsecRound as _;

/// Basis points as a percent with two decimals (`6250` → `62.50`).
fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let abs = bp.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A list query that can be asked for the page after a cursor.
pub trait Paged: Clone {
    /// The same query, at `cursor`, with the largest page.
    fn at(&self, cursor: Option<String>) -> Self;
}

/// The largest page a list gives (what an export asks for).
const LARGEST_PAGE: i64 = 500;

/// `impl Paged` for queries with `limit` and `cursor` fields.
macro_rules! paged {
    ($($query:ty),* $(,)?) => {
        $(impl Paged for $query {
            fn at(&self, cursor: Option<String>) -> Self {
                Self {
                    cursor,
                    limit: Some(LARGEST_PAGE),
                    ..self.clone()
                }
            }
        })*
    };
}

paged!(
    crate::enterprises::EnterpriseQuery,
    crate::providers::ProviderQuery,
    crate::admissions::PoolQuery,
    crate::admissions::LibraryQuery,
    crate::projects::ProjectQuery,
    crate::feed::AuditQuery,
    crate::subsidy::ProgrammeLedgerQuery,
    crate::risks::RiskQuery,
);

impl Paged for crate::input::Page {
    fn at(&self, cursor: Option<String>) -> Self {
        crate::input::Page {
            cursor,
            limit: Some(LARGEST_PAGE),
        }
    }
}

/// Writes the items of `rows` as `table` says, in `format`, in the
/// caller's language.
pub fn write_all<T: Serialize>(
    table: &Table,
    format: SheetFormat,
    lang: Lang,
    mut rows: impl FnMut(&mut dyn FnMut(&[T]) -> Result<()>) -> Result<()>,
) -> Result<std::fs::File> {
    let mut sheet = Sheet::new(format, table.name(lang), table.titles(lang))?;
    rows(&mut |items: &[T]| {
        for item in items {
            let value = serde_json::to_value(item).map_err(AppError::internal)?;
            sheet.write(&table.cells(&value, lang), &[])?;
        }
        Ok(())
    })?;
    sheet.finish()
}

/// Exports every page of a list: `list` is the list's use case, called
/// with the query at each cursor until the last page.
pub fn export_list<Q: Paged, T: Serialize>(
    table: &Table,
    format: SheetFormat,
    lang: Lang,
    query: Q,
    mut list: impl FnMut(Q) -> Result<List<T>>,
) -> Result<std::fs::File> {
    write_all(table, format, lang, |write| {
        let mut cursor = None;
        loop {
            let page = list(query.at(cursor))?;
            write(&page.items)?;
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLUMNS: &[Column] = &[
        Column {
            field: "name",
            en: "name",
            zh: "企业名称",
            kind: Kind::Text,
        },
        Column {
            field: "paid.fen",
            en: "paid",
            zh: "已拨付（元）",
            kind: Kind::Fen,
        },
        Column {
            field: "flag",
            en: "flag",
            zh: "规上",
            kind: Kind::Bool,
        },
        Column {
            field: "at",
            en: "at",
            zh: "时间",
            kind: Kind::Time,
        },
        Column {
            field: "actual",
            en: "actual",
            zh: "实际",
            kind: Kind::ByUnit,
        },
    ];
    const TABLE: Table = Table {
        en: "test",
        zh: "测试",
        columns: COLUMNS,
    };

    #[test]
    fn fields_become_cells_by_kind() {
        let item = json!({"name": "=cmd", "paid": {"fen": 12345}, "flag": true,
            "at": "2026-12-02T16:30:00.5Z", "actual": 6250, "unit": "share_bp"});
        let cells = TABLE.cells(&item, Lang::Zh);
        assert_eq!(cells[0], Cell::Text("=cmd".into()));
        assert_eq!(cells[1], Cell::Fen(12345));
        assert_eq!(cells[2], Cell::Text("是".into()));
        let beijing = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_opt(0, 30, 0)
            .unwrap();
        assert_eq!(cells[3], Cell::Time(beijing));
        assert_eq!(cells[4], Cell::Text("62.50%".into()));
        assert_eq!(TABLE.cells(&json!({}), Lang::En)[1], Cell::Empty);
    }
}
