//! `POST /enterprises/import`: the enterprise list as officials keep it,
//! in CSV, NDJSON or JSON, with Chinese column titles or field names,
//! regions and industries by code or by the seed's name.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::Value;
use shuzhuan_persistence::repo::{enterprises, programs};
use shuzhuan_persistence::rows::{EnterpriseRow, IndustryRow, RegionRow};
use shuzhuan_persistence::{Db, RepoError, Tx, new_id};
use shuzhuan_types::{Role, Uscc};

use crate::auth::Caller;
use crate::error::{ApiError, Problem, Text};
use crate::extract::Query;
use crate::import::{
    ImportQuery, ImportReport, Record, Report, RowError, Upload, parse_bool, parse_int, records,
    wan_yuan_to_fen,
};
use crate::middleware::preferred_lang;
use crate::routes::enterprises::{
    EnterpriseFields, apply, blank, scope_of, store_many, store_update,
};
use crate::state::AppState;

/// Field names and the column titles officials use for them.
const COLUMNS: &[(&str, &[&str])] = &[
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
    ("revenue_fen", &[]),
    ("contact_name", &["联系人"]),
    ("contact_phone", &["联系电话", "电话"]),
    ("cloud_adopted", &["是否上云", "上云用云"]),
    ("tier", &["入库类型", "库别", "所属库"]),
    ("program_id", &[]),
];

/// Columns that carry no data (row numbers).
const IGNORED: [&str; 3] = ["序号", "no", "#"];

fn field_of(column: &str) -> Option<&'static str> {
    let c = column.trim().trim_start_matches('\u{feff}');
    COLUMNS
        .iter()
        .find(|(field, aliases)| *field == c || aliases.contains(&c))
        .map(|(field, _)| *field)
}

/// The programme the rows are about, with its codes and names.
struct Context {
    program_id: Option<String>,
    regions: Vec<RegionRow>,
    industries: Vec<IndustryRow>,
}

/// A name without its parenthesis: 贺兰县（含贺兰工业园） → 贺兰县.
fn short(name: &str) -> &str {
    name.split(['（', '(']).next().unwrap_or(name).trim()
}

impl Context {
    fn region(&self, given: &str) -> Result<String, (&'static str, Text)> {
        if let Some(r) = self
            .regions
            .iter()
            .find(|r| r.code == given || r.name == given)
        {
            return Ok(r.code.clone());
        }
        let matches: Vec<&RegionRow> = self
            .regions
            .iter()
            .filter(|r| short(&r.name) == short(given))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.code.clone()),
            [] => Err((
                "unknown_region",
                Text::new(
                    format!("`{given}` is not a region of the programme"),
                    format!("`{given}` 不是该试点的区县"),
                ),
            )),
            _ => Err((
                "ambiguous_region",
                Text::new(
                    format!("`{given}` names several regions; use the code"),
                    format!("`{given}` 对应多个区县，请填写代码"),
                ),
            )),
        }
    }

    fn industry(&self, given: &str) -> Result<String, (&'static str, Text)> {
        self.industries
            .iter()
            .find(|i| i.code == given || i.name == given || i.description == given)
            .map(|i| i.code.clone())
            .ok_or((
                "unknown_industry",
                Text::new(
                    format!("`{given}` is not an industry of the programme"),
                    format!("`{given}` 不是该试点的细分行业"),
                ),
            ))
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// The credit code and the fields of one row, or what is wrong with it.
fn read_row(rec: &Record, ctx: &Context) -> (Option<String>, EnterpriseFields, Vec<RowError>) {
    let mut fields = EnterpriseFields {
        program_id: ctx.program_id.clone(),
        ..Default::default()
    };
    let mut uscc = None;
    let mut errors = Vec::new();
    let mut fail = |column: &str, code: &str, message: Text| {
        errors.push(RowError {
            row: rec.row,
            column: Some(column.to_owned()),
            code: code.to_owned(),
            message,
        });
    };
    let invalid =
        |what: &str, zh: &str| Text::new(format!("not {what}"), format!("不是有效的{zh}"));
    for (column, value) in &rec.values {
        if IGNORED.contains(&column.trim().to_ascii_lowercase().as_str()) {
            continue;
        }
        let Some(field) = field_of(column) else {
            fail(
                column,
                "unknown_column",
                Text::new("no such column", "无法识别的列"),
            );
            continue;
        };
        let t = text(value);
        let flag = |value: &Value| parse_bool(value);
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
            "size_class" => match t.trim_end_matches("企业") {
                "micro" | "微型" => fields.size_class = Some("micro".into()),
                "small" | "小型" => fields.size_class = Some("small".into()),
                "medium" | "中型" => fields.size_class = Some("medium".into()),
                _ => fail(
                    column,
                    "invalid_value",
                    invalid("micro, small or medium (微型/小型/中型)", "企业规模"),
                ),
            },
            "tier" => match t.as_str() {
                "reserve" | "储备库" => fields.tier = Some("reserve".into()),
                "pilot" | "试点库" => fields.tier = Some("pilot".into()),
                "demonstration" | "示范库" => fields.tier = Some("demonstration".into()),
                _ => fail(
                    column,
                    "invalid_value",
                    invalid(
                        "reserve, pilot or demonstration (储备库/试点库/示范库)",
                        "入库类型",
                    ),
                ),
            },
            "employees" => match parse_int(value)
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| *n >= 0)
            {
                Some(n) => fields.employees = Some(n),
                None => fail(column, "invalid_value", invalid("a whole number", "人数")),
            },
            "revenue_wan" => match wan_yuan_to_fen(value) {
                Some(fen) => fields.revenue_fen = Some(fen),
                None => fail(
                    column,
                    "invalid_value",
                    invalid("an amount in 万元", "金额（万元）"),
                ),
            },
            "revenue_fen" => match parse_int(value).filter(|n| *n >= 0) {
                Some(fen) => fields.revenue_fen = Some(fen),
                None => fail(
                    column,
                    "invalid_value",
                    invalid("an amount in fen", "金额（分）"),
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
                None => fail(
                    column,
                    "invalid_value",
                    invalid("是/否 or true/false", "是/否"),
                ),
            },
        }
    }
    (uscc, fields, errors)
}

/// The column a field came from in this row, for error reports.
fn column_of(rec: &Record, field: &str) -> Option<String> {
    rec.values
        .keys()
        .find(|c| field_of(c) == Some(field))
        .cloned()
        .or_else(|| Some(field.to_owned()))
}

enum Stop {
    /// Undo everything written (dry run, or an atomic import with failures).
    Rollback,
    Api(ApiError),
}

impl From<RepoError> for Stop {
    fn from(e: RepoError) -> Self {
        Stop::Api(e.into())
    }
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Self {
        Stop::Api(e)
    }
}

struct Run {
    ctx: Context,
    insert_only: bool,
    scope: shuzhuan_persistence::repo::enterprises::Scope,
}

/// A row read and checked, waiting for its chunk's lookup of existing codes.
struct Prepared {
    rec: Record,
    code: String,
    fields: EnterpriseFields,
}

fn row_error(rec: &Record, field: &str, code: &str, message: Text) -> RowError {
    RowError {
        row: rec.row,
        column: column_of(rec, field),
        code: code.into(),
        message,
    }
}

fn field_errors(rec: &Record, errs: Vec<crate::error::FieldError>) -> Vec<RowError> {
    errs.into_iter()
        .map(|e| row_error(rec, &e.field, &e.code, e.message))
        .collect()
}

/// Reads one row: its credit code and fields, or its errors in the report.
/// A code seen earlier in the file is an error: which row should win is
/// the official's call, not ours.
fn prepare(
    run: &Run,
    rec: Result<Record, RowError>,
    seen: &mut HashSet<String>,
    report: &mut Report,
) -> Option<Prepared> {
    report.received += 1;
    let rec = match rec {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(e);
            return None;
        }
    };
    let (raw, fields, mut errors) = read_row(&rec, &run.ctx);
    let code = match raw.as_deref().map(Uscc::parse) {
        Some(Ok(u)) => Some(u.to_string()),
        Some(Err(e)) => {
            errors.push(row_error(
                &rec,
                "uscc",
                e.code(),
                Text::new(e.to_string(), e.message_zh()),
            ));
            None
        }
        None => {
            errors.push(RowError {
                row: rec.row,
                column: Some("uscc".into()),
                code: "required".into(),
                message: Text::new("the credit code is required", "统一社会信用代码必填"),
            });
            None
        }
    };
    if let Some(c) = &code
        && !seen.insert(c.clone())
    {
        errors.push(row_error(
            &rec,
            "uscc",
            "duplicate_in_file",
            Text::new(
                "the credit code appears earlier in the file",
                "该统一社会信用代码在文件中重复出现",
            ),
        ));
    }
    match (code, errors.is_empty()) {
        (Some(code), true) => Some(Prepared { rec, code, fields }),
        _ => {
            report.errors.extend(errors);
            None
        }
    }
}

/// Validates and writes a chunk of rows inside the open unit of work: one
/// lookup of the existing codes and one multi-row insert of the new rows
/// per chunk, rather than round trips per row.
fn process_chunk(
    tx: &mut Tx<'_>,
    run: &Run,
    recs: Vec<Result<Record, RowError>>,
    seen: &mut HashSet<String>,
    report: &mut Report,
) -> Result<(), ApiError> {
    let prepared: Vec<Prepared> = recs
        .into_iter()
        .filter_map(|r| prepare(run, r, seen, report))
        .collect();
    let codes: Vec<String> = prepared.iter().map(|p| p.code.clone()).collect();
    let mut existing: HashMap<String, EnterpriseRow> =
        enterprises::find_by_usccs(tx.conn(), &codes)?
            .into_iter()
            .map(|e| (e.uscc.clone(), e))
            .collect();
    let mut new_rows = Vec::new();
    for Prepared { rec, code, fields } in prepared {
        let errors = match existing.remove(&code) {
            Some(_) if run.insert_only => vec![row_error(
                &rec,
                "uscc",
                "exists",
                Text::new(
                    "an enterprise with this code exists (mode=insert)",
                    "该代码的企业已存在（mode=insert）",
                ),
            )],
            Some(e) if !run.scope.contains(&e) => vec![row_error(
                &rec,
                "uscc",
                "not_in_scope",
                Text::new("the enterprise is enrolled elsewhere", "该企业属于其他试点"),
            )],
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
                field_errors(&rec, errs)
            }
            None => {
                let mut row = blank(new_id(), code);
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
                field_errors(&rec, errs)
            }
        };
        report.errors.extend(errors);
    }
    report.created += store_many(tx, new_rows)?;
    Ok(())
}

/// Rows per lookup and insert (and per unit of work when not atomic).
const CHUNK: usize = 500;

fn run_import(
    db: &Db,
    actor: &shuzhuan_persistence::Actor,
    upload: Upload,
    run: &Run,
    report: &mut Report,
) -> Result<(), ApiError> {
    let (header, mut rows) = records(upload)?;
    if let Some(header) = header
        && !header.iter().any(|c| field_of(c) == Some("uscc"))
    {
        return Err(ApiError::field(
            "header",
            "missing_column",
            Text::new(
                "the first line must name the columns, among them 统一社会信用代码 (uscc)",
                "首行应为列名，且须包含“统一社会信用代码”列",
            ),
        ));
    }
    let mut seen = HashSet::new();
    if report.atomic || report.dry_run {
        let outcome = db.write(actor, |tx| {
            loop {
                let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
                if chunk.is_empty() {
                    break;
                }
                process_chunk(tx, run, chunk, &mut seen, report).map_err(Stop::Api)?;
            }
            if report.dry_run || !report.errors.is_empty() {
                Err(Stop::Rollback)
            } else {
                Ok(())
            }
        });
        return match outcome {
            Ok(()) | Err(Stop::Rollback) => Ok(()),
            Err(Stop::Api(e)) => Err(e),
        };
    }
    loop {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        db.write(actor, |tx| process_chunk(tx, run, chunk, &mut seen, report))?;
    }
}

#[utoipa::path(
    tag = "enterprises",
    params(ImportQuery),
    request_body(
        description = "CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK: detected), NDJSON, or a JSON array. Columns by field name or Chinese title (统一社会信用代码, 企业名称, 所属区县, 所属行业, 是否规上, 企业规模, 专精特新, 小巨人, 创新型, 链主, 从业人数, 营业收入(万元), 联系人, 联系电话, 是否上云, 入库类型).",
        content(
            (String = "text/csv", example = "统一社会信用代码,企业名称,所属区县,所属行业,是否规上,企业规模\n916401223A000H0C6X,宁夏某新材料有限公司,贺兰县,新型材料制造,是,小型\n"),
            (String = "application/x-ndjson"),
            (Vec<EnterpriseFields> = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "The report (a dry run, or a non-atomic import with any failed rows listed)", body = ImportReport),
        (status = 403, description = "Imports need the programme's city_admin or a platform admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The programme named by program_id does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`import_rejected`: an atomic import with failed rows wrote nothing; `errors` names each row and column", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enterprises/import")]
pub async fn import_enterprises(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    upload: Upload,
) -> Result<HttpResponse, ApiError> {
    let allowed = caller.is_platform_admin()
        || q.program_id
            .as_deref()
            .is_some_and(|p| caller.acts_in_program(Role::CityAdmin, p));
    if !allowed {
        return Err(ApiError::Forbidden(
            "import enterprises (city_admin of the programme named by program_id)",
        ));
    }
    let lang = preferred_lang(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut report = Report {
        dry_run: q.dry_run.unwrap_or(false),
        atomic: q.atomic.unwrap_or(true),
        ..Default::default()
    };
    let insert_only = q.mode.as_deref() == Some("insert");
    let db = state.db.clone();
    let actor = caller.actor();
    let scope = scope_of(&caller);
    let program_id = q.program_id.clone();
    let report = web::block(move || -> Result<Report, ApiError> {
        let ctx = db.read(|conn| -> Result<Context, ApiError> {
            Ok(match &program_id {
                Some(p) => {
                    programs::find(conn, p)?;
                    Context {
                        program_id: Some(p.clone()),
                        regions: programs::regions_of(conn, p)?,
                        industries: programs::industries_of(conn, p)?,
                    }
                }
                None => Context {
                    program_id: None,
                    regions: vec![],
                    industries: vec![],
                },
            })
        })?;
        let run = Run {
            ctx,
            insert_only,
            scope,
        };
        run_import(&db, &actor, upload, &run, &mut report)?;
        Ok(report)
    })
    .await??;
    if report.atomic && !report.dry_run && !report.errors.is_empty() {
        return Err(ApiError::ImportRejected(Box::new(report)));
    }
    Ok(HttpResponse::Ok().json(report.render(lang)))
}
