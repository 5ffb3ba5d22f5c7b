//! `POST /providers/import` and `POST /products/import`: the provider and
//! product lists as pilot offices keep them, through the same import run as
//! enterprises (`crate::import::registry`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, post, web};
use shuzhuan_persistence::repo::{products, programs, providers};
use shuzhuan_persistence::rows::ProviderRow;
use shuzhuan_persistence::{AnyConnection, Tx, new_id};
use shuzhuan_types::{Role, Uscc};

use crate::auth::Caller;
use crate::error::{ApiError, Problem, Text};
use crate::extract::Query;
use crate::import::registry::{
    Columns, ReadRow, Reader, Registry, field_errors, fields_of, invalid, list, row_error, serve,
    text,
};
use crate::import::{
    ImportQuery, ImportReport, Record, Report, RowError, Upload, parse_bool, parse_int,
    wan_yuan_to_fen,
};
use crate::routes::products::{self as product, ProductFields};
use crate::routes::providers::{self as provider, ProviderFields, may_maintain};
use crate::state::AppState;

const PROVIDER_COLUMNS: Columns = &[
    ("uscc", &["统一社会信用代码", "社会信用代码", "信用代码"]),
    ("name", &["服务商名称", "企业名称", "单位名称", "名称"]),
    ("kind", &["服务商类型", "类型"]),
    ("specialty", &["服务类别", "服务商类别"]),
    ("local", &["是否本地", "本地服务商"]),
    ("scenarios", &["服务场景", "业务场景"]),
    ("contact_name", &["联系人"]),
    ("contact_phone", &["联系电话", "电话"]),
    ("description", &["简介", "服务商简介", "备注"]),
];

const PRODUCT_COLUMNS: Columns = &[
    (
        "provider_uscc",
        &["服务商统一社会信用代码", "服务商信用代码", "服务商代码"],
    ),
    ("name", &["产品名称", "解决方案名称", "名称"]),
    ("scenarios", &["适用场景", "服务场景", "业务场景"]),
    ("industries", &["适用行业", "行业"]),
    ("deployment", &["部署方式"]),
    (
        "price_wan",
        &[
            "价格(万元)",
            "价格（万元）",
            "参考价格(万元)",
            "参考价格（万元）",
        ],
    ),
    ("price_fen", &[]),
    ("description", &["产品简介", "简介", "功能描述"]),
];

/// Imports need the platform or the pilot office of the programme named by
/// `program_id` (whose pool bounds which existing providers it may update).
fn require_importer(caller: &Caller, q: &ImportQuery, what: &'static str) -> Result<(), ApiError> {
    let ok = caller.is_platform_admin()
        || q.program_id
            .as_deref()
            .is_some_and(|p| caller.acts_in_program(Role::CityAdmin, p));
    if ok {
        Ok(())
    } else {
        Err(ApiError::Forbidden(what))
    }
}

/// A credit code cell, or the row's error on `field`.
fn code_of(
    columns: Columns,
    rec: &Record,
    field: &str,
    raw: Option<String>,
    errors: &mut Vec<RowError>,
) -> Option<String> {
    match raw.as_deref().map(Uscc::parse) {
        Some(Ok(u)) => Some(u.to_string()),
        Some(Err(e)) => {
            errors.push(row_error(
                columns,
                rec,
                field,
                e.code(),
                Text::new(e.to_string(), e.message_zh()),
            ));
            None
        }
        None => {
            errors.push(row_error(
                columns,
                rec,
                field,
                "required",
                Text::new("the credit code is required", "统一社会信用代码必填"),
            ));
            None
        }
    }
}

/// Whether the caller may update `provider_id`, asked once per provider.
struct Maintainers {
    caller: Caller,
    known: HashMap<String, bool>,
}

impl Maintainers {
    fn may(&mut self, conn: &mut AnyConnection, provider_id: &str) -> Result<bool, ApiError> {
        if let Some(v) = self.known.get(provider_id) {
            return Ok(*v);
        }
        let v = may_maintain(conn, &self.caller, provider_id)?;
        self.known.insert(provider_id.to_owned(), v);
        Ok(v)
    }
}

struct ProviderImport {
    insert_only: bool,
    maintainers: Maintainers,
}

fn not_yours(columns: Columns, rec: &Record, field: &str) -> RowError {
    row_error(
        columns,
        rec,
        field,
        "not_in_scope",
        Text::new(
            "you may not update this provider (not in your programme's pool)",
            "无权更新该服务商（不在本试点资源池中）",
        ),
    )
}

/// How a provider row reads (nothing but the row is needed).
struct ProviderReader;

impl Reader for ProviderReader {
    type Parsed = ProviderFields;
    const COLUMNS: Columns = PROVIDER_COLUMNS;
    const KEY_FIELD: &'static str = "uscc";
    const KEY_TITLE: &'static str = "统一社会信用代码";

    fn read(&self, rec: &Record) -> Result<(String, ProviderFields), Vec<RowError>> {
        let mut errors = Vec::new();
        let mut f = ProviderFields::default();
        let mut raw = None;
        for (field, column, value) in fields_of(PROVIDER_COLUMNS, rec, &mut errors) {
            let t = text(value);
            let mut bad = |what, zh| {
                errors.push(RowError {
                    row: rec.row,
                    column: Some(column.to_owned()),
                    code: "invalid_value".into(),
                    message: invalid(what, zh),
                });
            };
            match field {
                "uscc" => raw = Some(t),
                "name" => f.name = Some(t),
                "kind" => match t.as_str() {
                    "comprehensive" | "综合型" => f.kind = Some("comprehensive".into()),
                    "scenario" | "场景型" => f.kind = Some("scenario".into()),
                    _ => bad("comprehensive or scenario (综合型/场景型)", "服务商类型"),
                },
                "specialty" => match t.as_str() {
                    "integrator" | "行业集成" | "集成" => {
                        f.specialty = Some("integrator".into())
                    }
                    "specialist" | "专业" => f.specialty = Some("specialist".into()),
                    _ => bad("integrator or specialist (行业集成/专业)", "服务类别"),
                },
                "local" => match parse_bool(value) {
                    Some(b) => f.local = Some(b),
                    None => bad("是/否 or true/false", "是/否"),
                },
                "scenarios" => f.scenarios = Some(list(value)),
                "contact_name" => f.contact_name = Some(t),
                "contact_phone" => f.contact_phone = Some(t),
                _ => f.description = Some(t),
            }
        }
        let code = code_of(PROVIDER_COLUMNS, rec, "uscc", raw, &mut errors);
        match code {
            Some(code) if errors.is_empty() => Ok((code, f)),
            _ => Err(errors),
        }
    }
}

impl Registry for ProviderImport {
    type Reader = ProviderReader;
    const TABLE: shuzhuan_persistence::RegistryTable =
        shuzhuan_persistence::RegistryTable::Providers;

    fn store(
        &mut self,
        tx: &mut Tx<'_>,
        rows: Vec<ReadRow<ProviderFields>>,
        report: &mut Report,
    ) -> Result<(), ApiError> {
        let codes: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
        let mut existing: HashMap<String, ProviderRow> =
            providers::find_by_usccs(tx.conn(), &codes)?
                .into_iter()
                .map(|p| (p.uscc.clone(), p))
                .collect();
        for ReadRow { rec, key, parsed } in rows {
            let errors = match existing.remove(&key) {
                Some(_) if self.insert_only => vec![row_error(
                    PROVIDER_COLUMNS,
                    &rec,
                    "uscc",
                    "exists",
                    Text::new(
                        "a provider with this code exists (mode=insert)",
                        "该代码的服务商已存在（mode=insert）",
                    ),
                )],
                Some(before) if !self.maintainers.may(tx.conn(), &before.id)? => {
                    vec![not_yours(PROVIDER_COLUMNS, &rec, "uscc")]
                }
                Some(before) => {
                    let mut row = before.clone();
                    let errs = provider::apply(&mut row, parsed);
                    if errs.is_empty() {
                        count(report, provider::store_update(tx, before, row)?.1);
                    }
                    field_errors(PROVIDER_COLUMNS, &rec, errs)
                }
                None => {
                    let named = parsed.name.is_some();
                    let mut row = provider::blank(new_id(), key);
                    let mut errs = provider::apply(&mut row, parsed);
                    if !named {
                        errs.push(required("name", "服务商名称必填"));
                    }
                    if errs.is_empty() {
                        provider::store_new(tx, row)?;
                        report.created += 1;
                    }
                    field_errors(PROVIDER_COLUMNS, &rec, errs)
                }
            };
            report.errors.extend(errors);
        }
        Ok(())
    }
}

fn count(report: &mut Report, changed: bool) {
    if changed {
        report.updated += 1;
    } else {
        report.unchanged += 1;
    }
}

fn required(field: &str, zh: &'static str) -> crate::error::FieldError {
    crate::error::FieldError::new(field, "required", Text::new("required", zh))
}

struct ProductImport {
    insert_only: bool,
    maintainers: Maintainers,
}

/// A product row: its provider's credit code and its fields.
type ProductParsed = (String, ProductFields);

/// How a product row reads (nothing but the row is needed).
struct ProductReader;

impl Reader for ProductReader {
    type Parsed = ProductParsed;
    const COLUMNS: Columns = PRODUCT_COLUMNS;
    const KEY_FIELD: &'static str = "provider_uscc";
    const KEY_TITLE: &'static str = "服务商统一社会信用代码";

    fn read(&self, rec: &Record) -> Result<(String, ProductParsed), Vec<RowError>> {
        let mut errors = Vec::new();
        let mut f = ProductFields::default();
        let mut raw = None;
        for (field, column, value) in fields_of(PRODUCT_COLUMNS, rec, &mut errors) {
            let t = text(value);
            let mut bad = |what, zh| {
                errors.push(RowError {
                    row: rec.row,
                    column: Some(column.to_owned()),
                    code: "invalid_value".into(),
                    message: invalid(what, zh),
                });
            };
            match field {
                "provider_uscc" => raw = Some(t),
                "name" => f.name = Some(t),
                "scenarios" => f.scenarios = Some(list(value)),
                "industries" => f.industries = Some(list(value)),
                "deployment" => match t.to_lowercase().as_str() {
                    "saas" | "云端" | "云部署" | "公有云" => {
                        f.deployment = Some("saas".into())
                    }
                    "on_premises" | "本地部署" | "私有化部署" | "本地" => {
                        f.deployment = Some("on_premises".into());
                    }
                    "hybrid" | "混合" | "混合部署" => f.deployment = Some("hybrid".into()),
                    _ => bad(
                        "saas, on_premises or hybrid (云部署/本地部署/混合部署)",
                        "部署方式",
                    ),
                },
                "price_wan" => match wan_yuan_to_fen(value) {
                    Some(fen) => f.price_fen = Some(fen),
                    None => bad("an amount in 万元", "金额（万元）"),
                },
                "price_fen" => match parse_int(value).filter(|n| *n >= 0) {
                    Some(fen) => f.price_fen = Some(fen),
                    None => bad("an amount in fen", "金额（分）"),
                },
                _ => f.description = Some(t),
            }
        }
        let code = code_of(PRODUCT_COLUMNS, rec, "provider_uscc", raw, &mut errors);
        let name = f.name.clone().filter(|n| !n.is_empty());
        if name.is_none() {
            errors.push(row_error(
                PRODUCT_COLUMNS,
                rec,
                "name",
                "required",
                Text::new("required", "产品名称必填"),
            ));
        }
        match (code, name) {
            (Some(code), Some(name)) if errors.is_empty() => {
                Ok((format!("{code}/{name}"), (code, f)))
            }
            _ => Err(errors),
        }
    }
}

impl Registry for ProductImport {
    type Reader = ProductReader;
    const TABLE: shuzhuan_persistence::RegistryTable =
        shuzhuan_persistence::RegistryTable::Products;

    fn store(
        &mut self,
        tx: &mut Tx<'_>,
        rows: Vec<ReadRow<ProductParsed>>,
        report: &mut Report,
    ) -> Result<(), ApiError> {
        let codes: Vec<String> = rows.iter().map(|r| r.parsed.0.clone()).collect();
        let owners: HashMap<String, String> = providers::find_by_usccs(tx.conn(), &codes)?
            .into_iter()
            .map(|p| (p.uscc, p.id))
            .collect();
        for ReadRow {
            rec,
            parsed: (code, fields),
            ..
        } in rows
        {
            let Some(provider_id) = owners.get(&code) else {
                report.errors.push(row_error(
                    PRODUCT_COLUMNS,
                    &rec,
                    "provider_uscc",
                    "unknown_provider",
                    Text::new(
                        "no provider has this credit code",
                        "没有该统一社会信用代码的服务商",
                    ),
                ));
                continue;
            };
            if !self.maintainers.may(tx.conn(), provider_id)? {
                report
                    .errors
                    .push(not_yours(PRODUCT_COLUMNS, &rec, "provider_uscc"));
                continue;
            }
            let name = fields.name.clone().unwrap_or_default();
            let errors = match products::find_by_name(tx.conn(), provider_id, &name)? {
                Some(_) if self.insert_only => vec![row_error(
                    PRODUCT_COLUMNS,
                    &rec,
                    "name",
                    "exists",
                    Text::new(
                        "the provider has a product of this name (mode=insert)",
                        "该服务商已有同名产品（mode=insert）",
                    ),
                )],
                Some(before) => {
                    let mut row = before.clone();
                    let errs = product::apply(&mut row, fields);
                    if errs.is_empty() {
                        count(report, product::store_update(tx, before, row)?.1);
                    }
                    field_errors(PRODUCT_COLUMNS, &rec, errs)
                }
                None => {
                    let mut row = product::blank(new_id(), provider_id.clone());
                    let errs = product::apply(&mut row, fields);
                    if errs.is_empty() {
                        product::store_new(tx, row)?;
                        report.created += 1;
                    }
                    field_errors(PRODUCT_COLUMNS, &rec, errs)
                }
            };
            report.errors.extend(errors);
        }
        Ok(())
    }
}

/// Checks the programme named by the query exists (404 otherwise).
fn check_program(conn: &mut AnyConnection, program_id: Option<&str>) -> Result<(), ApiError> {
    if let Some(p) = program_id {
        programs::find(conn, p)?;
    }
    Ok(())
}

fn maintainers(caller: &Caller) -> Maintainers {
    Maintainers {
        caller: caller.clone(),
        known: HashMap::new(),
    }
}

#[utoipa::path(
    tag = "providers",
    params(
        ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first report instead of running again (1–200 visible ASCII characters)", max_length = 200),
    ),
    request_body(
        description = "CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK: detected), NDJSON, or a JSON array. Columns by field name or Chinese title (统一社会信用代码, 服务商名称, 服务商类型 综合型/场景型, 服务类别 行业集成/专业, 是否本地, 服务场景 (separated by 、), 联系人, 联系电话, 简介). Upsert by credit code.",
        content(
            (String = "text/csv", example = "统一社会信用代码,服务商名称,服务商类型,服务类别,是否本地,服务场景\n91640100000000001X,宁夏某数字科技有限公司,场景型,专业,是,生产管控、质量管理\n"),
            (String = "application/x-ndjson"),
            (Vec<ProviderFields> = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "The report (a dry run, or a non-atomic import with any failed rows listed)", body = ImportReport),
        (status = 403, description = "Imports need a platform admin or the city_admin of the programme named by program_id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The programme named by program_id does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`import_rejected`: an atomic import with failed rows wrote nothing; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/providers/import")]
pub async fn import_providers(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    upload: Upload,
) -> Result<HttpResponse, ApiError> {
    require_importer(&caller, &q, "import providers")?;
    let (insert_only, maintainers, query) = (
        q.mode.as_deref() == Some("insert"),
        maintainers(&caller),
        q.program_id.clone(),
    );
    serve(&req, &state, &caller, &q, upload, move |conn| {
        check_program(conn, query.as_deref())?;
        Ok((
            ProviderReader,
            ProviderImport {
                insert_only,
                maintainers,
            },
        ))
    })
    .await
}

#[utoipa::path(
    tag = "products",
    params(
        ImportQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first report instead of running again (1–200 visible ASCII characters)", max_length = 200),
    ),
    request_body(
        description = "CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK: detected), NDJSON, or a JSON array. Columns by field name or Chinese title (服务商统一社会信用代码, 产品名称, 适用场景 (separated by 、), 适用行业, 部署方式 云部署/本地部署/混合部署, 价格(万元), 产品简介). Upsert by provider and product name.",
        content(
            (String = "text/csv", example = "服务商统一社会信用代码,产品名称,适用场景,部署方式,价格(万元)\n91640100000000001X,轻量化 MES 云平台,生产管控、质量管理,云部署,4.8\n"),
            (String = "application/x-ndjson"),
            (Vec<ProductFields> = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "The report (a dry run, or a non-atomic import with any failed rows listed)", body = ImportReport),
        (status = 403, description = "Imports need a platform admin or the city_admin of the programme named by program_id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The programme named by program_id does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`import_rejected`: an atomic import with failed rows wrote nothing; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products/import")]
pub async fn import_products(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    upload: Upload,
) -> Result<HttpResponse, ApiError> {
    require_importer(&caller, &q, "import products")?;
    let (insert_only, maintainers, query) = (
        q.mode.as_deref() == Some("insert"),
        maintainers(&caller),
        q.program_id.clone(),
    );
    serve(&req, &state, &caller, &q, upload, move |conn| {
        check_program(conn, query.as_deref())?;
        Ok((
            ProductReader,
            ProductImport {
                insert_only,
                maintainers,
            },
        ))
    })
    .await
}
