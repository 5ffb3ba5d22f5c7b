//! A report as a workbook (one sheet per section, Chinese titles) and as a
//! printable HTML page: both drawn from the frozen content alone.

use maud::{DOCTYPE, Markup, html};
use rust_xlsxwriter::{Format, Workbook};
use shuzhuan_monitoring::report::{Cell, CellUnit, Section};

use super::{EvaluationView, period_name};
use crate::error::{AppError, Result};

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

/// The report as an .xlsx workbook: a cover sheet, then one sheet per
/// section, then the changes from the previous version.
pub fn workbook(v: &EvaluationView) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let err = AppError::internal;
    let cover = book.add_worksheet().set_name("报告信息").map_err(err)?;
    let facts: [(&str, String); 9] = [
        ("报告", v.title.clone()),
        ("类型", period_name(v.period_kind).to_owned()),
        ("编号", format!("第 {} 号 第 {} 版", v.report_no, v.version)),
        ("评价期", format!("{} 至 {}", v.starts_on, v.ends_on)),
        ("数据截至", v.as_of.to_string()),
        ("变更流序号", v.feed_seq.to_string()),
        ("内容 SHA-256", v.content_sha256.clone()),
        ("出具时间", v.issued_at.to_rfc3339()),
        ("更正原因", v.correction_reason.clone().unwrap_or_default()),
    ];
    for (i, (k, value)) in (0u32..).zip(facts) {
        cover
            .write_string_with_format(i, 0, k, &bold)
            .map_err(err)?;
        cover.write_string(i, 1, value).map_err(err)?;
    }
    cover.set_column_width(0, 16).map_err(err)?;
    cover.set_column_width(1, 80).map_err(err)?;
    for section in &v.content {
        let sheet = book
            .add_worksheet()
            .set_name(sheet_name(&section.title))
            .map_err(err)?;
        for (c, col) in (0u16..).zip(&section.columns) {
            sheet
                .write_string_with_format(0, c, &col.title, &bold)
                .map_err(err)?;
            sheet.set_column_width(c, 14).map_err(err)?;
        }
        for (r, row) in (1u32..).zip(&section.rows) {
            for (c, (cell, col)) in (0u16..).zip(row.iter().zip(&section.columns)) {
                match (cell, col.unit) {
                    (Cell::Int(n), CellUnit::Fen) => {
                        sheet
                            .write_number_with_format(
                                r,
                                c,
                                *n as f64 / 100.0,
                                &Format::new().set_num_format("#,##0.00"),
                            )
                            .map_err(err)?;
                    }
                    (Cell::Int(n), CellUnit::Bp) => {
                        sheet
                            .write_number_with_format(
                                r,
                                c,
                                *n as f64 / 10_000.0,
                                &Format::new().set_num_format("0.00%"),
                            )
                            .map_err(err)?;
                    }
                    (Cell::Int(n), _) => {
                        sheet.write_number(r, c, *n as f64).map_err(err)?;
                    }
                    (Cell::Text(t), _) => {
                        sheet.write_string(r, c, t).map_err(err)?;
                    }
                    (Cell::Empty(()), _) => {}
                }
            }
        }
    }
    if !v.differences.is_empty() {
        let sheet = book.add_worksheet().set_name("版本变更").map_err(err)?;
        for (c, t) in (0u16..).zip(["部分", "行", "列", "更正前", "更正后"]) {
            sheet
                .write_string_with_format(0, c, t, &bold)
                .map_err(err)?;
        }
        for (r, d) in (1u32..).zip(&v.differences) {
            for (c, t) in (0u16..).zip([
                &d.section,
                &d.row,
                &d.column,
                &d.before.plain(),
                &d.after.plain(),
            ]) {
                sheet.write_string(r, c, t.as_str()).map_err(err)?;
            }
        }
    }
    book.save_to_buffer().map_err(err)
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC','WenQuanYi Micro Hei',sans-serif;margin:2em;color:#111}h1{font-size:1.5em;text-align:center}h2{font-size:1.15em;margin-top:1.6em;border-bottom:2px solid #333}table{border-collapse:collapse;width:100%;font-size:.8em}th,td{border:1px solid #888;padding:.25em .4em}th{background:#eee}td.n{text-align:right}.meta td:first-child{width:9em;font-weight:bold}@page{size:A4 landscape;margin:1.5cm}@media print{h2{break-after:avoid}tr{break-inside:avoid}}";

fn table(section: &Section) -> Markup {
    html! {
        h2 { (section.title) }
        table {
            thead { tr { @for c in &section.columns { th { (c.title) } } } }
            tbody {
                @for row in &section.rows {
                    tr {
                        @for (cell, col) in row.iter().zip(&section.columns) {
                            @if matches!(cell, Cell::Int(_)) {
                                td.n { (cell.shown(col.unit)) }
                            } @else {
                                td { (cell.shown(col.unit)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The report as a printable HTML page (A4, landscape).
pub fn page(v: &EvaluationView) -> String {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { (v.title) }
                style { (STYLE) }
            }
            body {
                h1 { (v.title) }
                table.meta {
                    tr { td { "类型" } td { (period_name(v.period_kind)) } }
                    tr { td { "编号" } td { "第 " (v.report_no) " 号 第 " (v.version) " 版" } }
                    tr { td { "评价期" } td { (v.starts_on) " 至 " (v.ends_on) } }
                    tr { td { "数据截至" } td { (v.as_of) } }
                    tr { td { "出具时间" } td { (v.issued_at.to_rfc3339()) } }
                    tr { td { "内容 SHA-256" } td { code { (v.content_sha256) } } }
                    @if let Some(reason) = &v.correction_reason {
                        tr { td { "更正原因" } td { (reason) } }
                    }
                }
                @for section in &v.content { (table(section)) }
                @if !v.differences.is_empty() {
                    h2 { "版本变更" }
                    table {
                        thead { tr { th { "部分" } th { "行" } th { "列" } th { "更正前" } th { "更正后" } } }
                        tbody {
                            @for d in &v.differences {
                                tr { td { (d.section) } td { (d.row) } td { (d.column) } td { (d.before.plain()) } td { (d.after.plain()) } }
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}
