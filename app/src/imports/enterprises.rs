//! Importing the enterprise list as officials keep it, in CSV, NDJSON or
//! JSON, with Chinese column titles or field names, regions and industries
//! by code or by the seed's name.

use std::collections::HashMap;

use shuzhuan_persistence::repo::enterprises;
use shuzhuan_persistence::rows::EnterpriseRow;
use shuzhuan_persistence::{Session, Tx, new_id};
use shuzhuan_types::{Reach, SizeClass, Tier, Uscc};

use super::names::Context;
use super::run::{
    Columns, ReadRow, Reader, Registry, YES_NO, field_errors, field_of, fields_of, import, invalid,
    row_error, text,
};
use super::{
    Record, Report, Request, RowError, parse_bool, parse_int, wan_yuan_to_fen, yuan_to_fen,
};
use crate::enterprises::{EnterpriseFields, apply, blank, store_many, store_update};
use crate::error::{AppError, Result, Text};
use crate::policy::Right;
use crate::principal::Principal;

/// Field names and the column titles officials use for them.
const COLUMNS: Columns = &[
    ("uscc", &["统一社会信用代码", "社会信用代码", "信用代码"]),
    ("name", &["企业名称", "名称", "单位名称"]),
    ("region_code", &["所属区县", "区县", "所属地区", "县区"]),
    ("industry_code", &["所属行业", "细分行业", "行业"]),
    ("above_designated_size", &["是否规上", "规上", "规上企业"]),
    ("size_class", &["企业规模", "规模"]),
    ("specialised", &["专精特新", "是否专精特新"]),
    ("little_giant", &["小巨人", "专精特新小巨人", "是否小巨人"]),
    ("innovative", &["创新型", "创新型中小企业"]),
    ("chain_master", &["链主", "是否链主"]),
    ("employees", &["从业人数", "职工人数"]),
    (
        "revenue_wan",
        &["营业收入(万元)", "营业收入（万元）", "营业收入"],
    ),
    ("revenue_yuan", &["营业收入（元）", "营业收入(元)"]),
    ("revenue_fen", &[]),
    ("contact_name", &["联系人"]),
    ("contact_phone", &["联系电话", "电话"]),
    ("cloud_adopted", &["是否上云", "上云用云"]),
    ("tier", &["入库类型", "库别", "所属库"]),
    ("program_id", &[]),
];

/// The credit code and the fields of one row, or what is wrong with it.
fn read_row(rec: &Record, ctx: &Context) -> (Option<String>, EnterpriseFields, Vec<RowError>) {
    let mut fields = EnterpriseFields {
        program_id: ctx.program_id.clone(),
        ..Default::default()
    };
    let mut uscc = None;
    let mut errors = Vec::new();
    let known = fields_of(COLUMNS, rec, &mut errors);
    let mut fail = |column: &str, code: &str, message: Text| {
        errors.push(RowError::at(rec, column, code, message));
    };
    for (field, column, value) in known {
        let t = text(value);
        let flag = |value: &serde_json::Value| parse_bool(value);
        match field {
            "uscc" => uscc = Some(t),
            "name" => fields.name = Some(t),
            // Codes are resolved against the programme named by the query.
            "program_id" if ctx.program_id.as_deref() == Some(t.as_str()) => {}
            "program_id" => fail(
                column,
                "program_mismatch",
                Text::new(
                    "differs from the import's program_id",
                    "与导入参数 program_id 不一致",
                ),
            ),
            "contact_name" => fields.contact_name = Some(t),
            "contact_phone" => fields.contact_phone = Some(t),
            "region_code" => match ctx.region(&t) {
                Ok(code) => fields.region_code = Some(code),
                Err((code, message)) => fail(column, code, message),
            },
            "industry_code" => match ctx.industry(&t) {
                Ok(code) => fields.industry_code = Some(code),
                Err((code, message)) => fail(column, code, message),
            },
            "size_class" => {
                let given = t.trim_end_matches("企业");
                match SizeClass::ALL
                    .iter()
                    .find(|c| c.as_str() == given || c.name_zh() == given)
                {
                    Some(c) => fields.size_class = Some(c.as_str().to_owned()),
                    None => fail(
                        column,
                        "invalid_value",
                        invalid(
                            &t,
                            "micro, small or medium (微型, 小型, 中型)",
                            "微型、小型或中型",
                        ),
                    ),
                }
            }
            "tier" => match Tier::ALL
                .iter()
                .find(|c| c.as_str() == t || c.name_zh() == t)
            {
                Some(c) => fields.tier = Some(c.as_str().to_owned()),
                None => fail(
                    column,
                    "invalid_value",
                    invalid(
                        &t,
                        "reserve, pilot or demonstration (储备库, 试点库, 示范库)",
                        "储备库、试点库或示范库",
                    ),
                ),
            },
            "employees" => match parse_int(value)
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| *n >= 0)
            {
                Some(n) => fields.employees = Some(n),
                None => fail(
                    column,
                    "invalid_value",
                    invalid(&t, "a whole number of people", "人数（整数）"),
                ),
            },
            "revenue_wan" | "revenue_yuan" => {
                // 万元 as statistics report it, or 元 as an export writes it.
                let (amount, (en, zh)): (fn(&serde_json::Value) -> Option<i64>, _) = match field {
                    "revenue_wan" => (
                        wan_yuan_to_fen,
                        (
                            "an amount in 万元 (e.g. 1200.5)",
                            "以万元计的金额（如 1200.5）",
                        ),
                    ),
                    _ => (
                        yuan_to_fen,
                        (
                            "an amount in 元 with at most two decimals (e.g. 12000000.50)",
                            "以元计、至多两位小数的金额（如 12000000.50）",
                        ),
                    ),
                };
                match amount(value) {
                    Some(fen) => fields.revenue_fen = Some(fen),
                    None => fail(column, "invalid_value", invalid(&t, en, zh)),
                }
            }
            "revenue_fen" => match parse_int(value).filter(|n| *n >= 0) {
                Some(fen) => fields.revenue_fen = Some(fen),
                None => fail(
                    column,
                    "invalid_value",
                    invalid(
                        &t,
                        "an amount in fen (a whole number)",
                        "以分计的金额（整数）",
                    ),
                ),
            },
            flag_field => match flag(value) {
                Some(b) => {
                    let slot = match flag_field {
                        "above_designated_size" => &mut fields.above_designated_size,
                        "specialised" => &mut fields.specialised,
                        "little_giant" => &mut fields.little_giant,
                        "innovative" => &mut fields.innovative,
                        "chain_master" => &mut fields.chain_master,
                        _ => &mut fields.cloud_adopted,
                    };
                    *slot = Some(b);
                }
                None => fail(column, "invalid_value", invalid(&t, YES_NO.0, YES_NO.1)),
            },
        }
    }
    (uscc, fields, errors)
}

/// How an enterprise row reads: names resolved in the programme's context.
struct EnterpriseReader(Context);

impl Reader for EnterpriseReader {
    type Parsed = EnterpriseFields;
    const COLUMNS: Columns = COLUMNS;
    const KEY_FIELD: &'static str = "uscc";
    const KEY_TITLE: &'static str = "统一社会信用代码";

    /// Region and industry columns name a programme's codes: without
    /// `program_id` the file is refused once, not row by row.
    fn check_header(&self, header: &[String]) -> Result<()> {
        let programme_columns = header
            .iter()
            .any(|c| matches!(field_of(COLUMNS, c), Some("region_code" | "industry_code")));
        if self.0.program_id.is_none() && programme_columns {
            return Err(AppError::field(
                "program_id",
                "program_required",
                Text::new(
                    "the file names regions and industries, which belong to a programme: give ?program_id= (its id or code)",
                    "文件中有区县、行业列，它们属于某个试点：请提供 ?program_id=（试点 id 或代码）",
                ),
            ));
        }
        Ok(())
    }

    fn read(&self, rec: &Record) -> std::result::Result<(String, EnterpriseFields), Vec<RowError>> {
        let (raw, fields, mut errors) = read_row(rec, &self.0);
        let code = match raw.as_deref().map(Uscc::parse) {
            Some(Ok(u)) => Some(u.to_string()),
            Some(Err(e)) => {
                errors.push(row_error(
                    COLUMNS,
                    rec,
                    "uscc",
                    e.code(),
                    Text::new(e.to_string(), e.message_zh()),
                ));
                None
            }
            None => {
                errors.push(row_error(
                    COLUMNS,
                    rec,
                    "uscc",
                    "required",
                    Text::new("the credit code is required", "统一社会信用代码必填"),
                ));
                None
            }
        };
        match code {
            Some(code) if errors.is_empty() => Ok((code, fields)),
            _ => Err(errors),
        }
    }
}

/// The enterprise registry as an import fills it: existing enterprises
/// only where the importer may change their enrolment.
struct EnterpriseImport {
    insert_only: bool,
    edit: Reach,
}

impl Registry for EnterpriseImport {
    type Reader = EnterpriseReader;
    const TABLE: shuzhuan_persistence::RegistryTable =
        shuzhuan_persistence::RegistryTable::Enterprises;

    /// One lookup of the existing codes and one multi-row insert of the new
    /// rows per chunk, rather than round trips per row.
    fn store(
        &mut self,
        tx: &mut Tx<'_>,
        rows: Vec<ReadRow<EnterpriseFields>>,
        report: &mut Report,
    ) -> Result<()> {
        let codes: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
        let mut existing: HashMap<String, EnterpriseRow> =
            enterprises::find_by_usccs(tx.conn(), &codes)?
                .into_iter()
                .map(|e| (e.uscc.clone(), e))
                .collect();
        let mut new_rows = Vec::new();
        for ReadRow {
            rec,
            key,
            parsed: fields,
        } in rows
        {
            let fail =
                |code: &str, message: Text| vec![row_error(COLUMNS, &rec, "uscc", code, message)];
            let errors = match existing.remove(&key) {
                Some(_) if self.insert_only => fail(
                    "exists",
                    Text::new(
                        "an enterprise with this code exists (mode=insert)",
                        "该代码的企业已存在（mode=insert）",
                    ),
                ),
                Some(e)
                    if e.program_id.is_some()
                        && !self
                            .edit
                            .contains(&enterprises::target(&e, &Default::default())) =>
                {
                    fail(
                        "not_in_scope",
                        Text::new("the enterprise is enrolled elsewhere", "该企业属于其他试点"),
                    )
                }
                Some(before) => {
                    let mut row = before.clone();
                    let errs = apply(&mut row, fields);
                    if errs.is_empty() {
                        let (_, changed) = store_update(tx, before, row)?;
                        *(if changed {
                            &mut report.updated
                        } else {
                            &mut report.unchanged
                        }) += 1;
                    }
                    field_errors(COLUMNS, &rec, errs)
                }
                None => {
                    let mut row = blank(new_id(), key);
                    let mut errs = apply(&mut row, fields.clone());
                    if fields.name.is_none() {
                        errs.push(crate::error::FieldError::new(
                            "name",
                            "required",
                            Text::new("the name is required", "企业名称必填"),
                        ));
                    }
                    if errs.is_empty() {
                        new_rows.push(row);
                    }
                    field_errors(COLUMNS, &rec, errs)
                }
            };
            report.errors.extend(errors);
        }
        report.created += store_many(tx, new_rows)?;
        Ok(())
    }
}

/// Imports enterprises (the programme's city_admin, or the platform): the
/// programme named by `program_id` resolves the region and industry names.
pub fn import_enterprises(s: &mut Session, who: &Principal, request: Request) -> Result<Report> {
    let program_id = request.query.program_id.clone();
    super::run::importer(s, who, Right::ImportEnterprises, program_id.as_deref())?;
    let insert_only = request.query.mode.as_deref() == Some("insert");
    let edit = who.reach(Right::EditEnterpriseEnrolment);
    import(s, who, request, |conn| {
        let ctx = Context::load(conn, program_id.as_deref())?;
        Ok((
            EnterpriseReader(ctx),
            EnterpriseImport { insert_only, edit },
        ))
    })
}
