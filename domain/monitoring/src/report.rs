//! The self-evaluation report (绩效自评) as data: sections of plain tables
//! (a title in Chinese and English, typed columns, rows keyed by their
//! first cell), so one renderer serves the JSON, the workbook and the
//! printable page, and two versions compare cell by cell.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

shuzhuan_types::code_enum! {
    /// The period a report covers (seeds: 中期和末期绩效自评, 年度).
    pub enum PeriodKind ("period kind") {
        /// From the programme's start to the day it is issued for.
        MidTerm = "mid_term",
        /// The whole programme.
        Final = "final",
        /// One calendar year.
        Annual = "annual",
        /// Dates given by the pilot office.
        Custom = "custom",
    }
}

shuzhuan_types::code_enum! {
    /// How a column's figures read.
    pub enum CellUnit ("cell unit") {
        Text = "text",
        Count = "count",
        /// Money in fen (分), shown in yuan.
        Fen = "fen",
        /// A share in basis points (1/100 of a percent).
        Bp = "bp",
        /// A date, `YYYY-MM-DD`.
        Date = "date",
    }
}

/// One cell: a figure, a text, or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Int(i64),
    Text(String),
    Empty(()),
}

impl Cell {
    pub const EMPTY: Cell = Cell::Empty(());

    /// The cell as a row key or a printed figure without its unit.
    pub fn plain(&self) -> String {
        match self {
            Cell::Int(v) => v.to_string(),
            Cell::Text(t) => t.clone(),
            Cell::Empty(()) => String::new(),
        }
    }

    /// The cell as shown to a reader: money in yuan, shares in percent.
    pub fn shown(&self, unit: CellUnit) -> String {
        match (self, unit) {
            (Cell::Int(v), CellUnit::Fen) => decimal(*v, "元"),
            (Cell::Int(v), CellUnit::Bp) => decimal(*v, "%"),
            (c, _) => c.plain(),
        }
    }
}

/// A hundredth-unit integer as a two-decimal figure (fen as yuan, basis
/// points as percent), exact.
fn decimal(v: i64, suffix: &str) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:02}{suffix}", a / 100, a % 100)
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<usize> for Cell {
    fn from(v: usize) -> Self {
        Cell::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_owned())
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::EMPTY, Into::into)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub key: String,
    pub title: String,
    pub title_en: String,
    pub unit: CellUnit,
}

/// One section of the report: a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub code: String,
    pub title: String,
    pub title_en: String,
    pub columns: Vec<Column>,
    /// Each row's cells in column order; the first cell names the row.
    pub rows: Vec<Vec<Cell>>,
}

impl Section {
    /// A section with its columns as (key, Chinese title, English title,
    /// unit).
    pub fn new(
        code: &str,
        title: &str,
        title_en: &str,
        columns: &[(&str, &str, &str, CellUnit)],
    ) -> Self {
        Section {
            code: code.to_owned(),
            title: title.to_owned(),
            title_en: title_en.to_owned(),
            columns: columns
                .iter()
                .map(|(key, title, title_en, unit)| Column {
                    key: (*key).to_owned(),
                    title: (*title).to_owned(),
                    title_en: (*title_en).to_owned(),
                    unit: *unit,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (padded or cut to the columns).
    pub fn row(&mut self, cells: Vec<Cell>) {
        let mut cells = cells;
        cells.resize(self.columns.len(), Cell::EMPTY);
        self.rows.push(cells);
    }
}

/// A cell that differs between two versions (a row only in one of them
/// differs in every column, the missing side empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub section: String,
    /// The row's first cell.
    pub row: String,
    pub column: String,
    pub before: Cell,
    pub after: Cell,
}

/// What changed from `old` to `new`, section by section in `new`'s order
/// (then sections only `old` has), row by row, column by column.
pub fn differences(old: &[Section], new: &[Section]) -> Vec<Difference> {
    let keyed = |s: &Section| -> BTreeMap<String, BTreeMap<String, Cell>> {
        s.rows
            .iter()
            .map(|r| {
                let key = r.first().map(Cell::plain).unwrap_or_default();
                let cells = s
                    .columns
                    .iter()
                    .map(|c| c.key.clone())
                    .zip(r.iter().cloned())
                    .collect();
                (key, cells)
            })
            .collect()
    };
    let mut codes: Vec<&str> = new.iter().map(|s| s.code.as_str()).collect();
    codes.extend(
        old.iter()
            .map(|s| s.code.as_str())
            .filter(|c| new.iter().all(|s| s.code != *c)),
    );
    let mut out = Vec::new();
    for code in codes {
        let find = |list: &[Section]| {
            list.iter()
                .find(|s| s.code == code)
                .map(keyed)
                .unwrap_or_default()
        };
        let (a, b) = (find(old), find(new));
        let mut rows: Vec<&String> = b.keys().collect();
        rows.extend(a.keys().filter(|k| !b.contains_key(*k)));
        for row in rows {
            let empty = BTreeMap::new();
            let (ra, rb) = (a.get(row).unwrap_or(&empty), b.get(row).unwrap_or(&empty));
            let mut columns: Vec<&String> = rb.keys().collect();
            columns.extend(ra.keys().filter(|k| !rb.contains_key(*k)));
            for column in columns {
                let before = ra.get(column).cloned().unwrap_or(Cell::EMPTY);
                let after = rb.get(column).cloned().unwrap_or(Cell::EMPTY);
                if before != after {
                    out.push(Difference {
                        section: code.to_owned(),
                        row: row.clone(),
                        column: column.clone(),
                        before,
                        after,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn section(code: &str, rows: &[(&str, i64)]) -> Section {
        let mut s = Section::new(
            code,
            "目标",
            "Targets",
            &[
                ("name", "名称", "Name", CellUnit::Text),
                ("value", "数值", "Value", CellUnit::Count),
            ],
        );
        for (k, v) in rows {
            s.row(vec![(*k).into(), (*v).into()]);
        }
        s
    }

    #[test]
    fn a_changed_cell_an_added_and_a_removed_row_are_listed() {
        let old = vec![section("t", &[("a", 1), ("b", 2)])];
        let new = vec![section("t", &[("a", 5), ("c", 3)])];
        let d = differences(&old, &new);
        let got: Vec<(String, String, Cell, Cell)> = d
            .into_iter()
            .map(|d| (d.row, d.column, d.before, d.after))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".into(), "value".into(), Cell::Int(1), Cell::Int(5)),
                ("c".into(), "name".into(), Cell::EMPTY, "c".into()),
                ("c".into(), "value".into(), Cell::EMPTY, Cell::Int(3)),
                ("b".into(), "name".into(), "b".into(), Cell::EMPTY),
                ("b".into(), "value".into(), Cell::Int(2), Cell::EMPTY),
            ]
        );
    }

    #[test]
    fn a_section_only_in_one_version_differs_in_all_its_cells() {
        let d = differences(&[], &[section("t", &[("a", 1)])]);
        assert_eq!(d.len(), 2);
        assert!(
            d.iter()
                .all(|d| d.section == "t" && d.before == Cell::EMPTY)
        );
    }

    #[test]
    fn cells_read_in_their_units_exactly() {
        assert_eq!(Cell::Int(123_456).shown(CellUnit::Fen), "1234.56元");
        assert_eq!(Cell::Int(-5).shown(CellUnit::Fen), "-0.05元");
        assert_eq!(Cell::Int(7_550).shown(CellUnit::Bp), "75.50%");
        assert_eq!(Cell::Int(7).shown(CellUnit::Count), "7");
        assert_eq!(Cell::EMPTY.shown(CellUnit::Fen), "");
    }

    #[test]
    fn cells_serialise_as_plain_json() {
        let cells = vec![Cell::Int(3), "x".into(), Cell::EMPTY];
        let text = serde_json::to_string(&cells).unwrap_or_default();
        assert_eq!(text, r#"[3,"x",null]"#);
        let back: Vec<Cell> = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, cells);
    }

    fn rows() -> impl Strategy<Value = Vec<(String, i64)>> {
        proptest::collection::btree_map("[a-e]", -50i64..50, 0..5)
            .prop_map(|m| m.into_iter().collect())
    }

    fn of(rows: &[(String, i64)]) -> Vec<Section> {
        let rows: Vec<(&str, i64)> = rows.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        vec![section("t", &rows)]
    }

    proptest! {
        #[test]
        fn no_differences_exactly_when_equal(a in rows(), b in rows()) {
            let (a, b) = (of(&a), of(&b));
            prop_assert_eq!(differences(&a, &b).is_empty(), a == b);
        }

        #[test]
        fn differences_are_symmetric(a in rows(), b in rows()) {
            let (a, b) = (of(&a), of(&b));
            let mut there: Vec<_> = differences(&a, &b)
                .into_iter()
                .map(|d| (d.row, d.column, d.before, d.after))
                .collect();
            let mut back: Vec<_> = differences(&b, &a)
                .into_iter()
                .map(|d| (d.row, d.column, d.after, d.before))
                .collect();
            there.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
            back.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
            prop_assert_eq!(there, back);
        }
    }
}
