//! Importing products (小快轻准 产品/解决方案) by their provider's credit
//! code and their name.

use std::collections::HashMap;

use shuzhuan_persistence::repo::{products, providers};
use shuzhuan_persistence::{Session, Tx, new_id};
use shuzhuan_types::Deployment;

use super::providers::{Maintainers, code_of, count, named, not_yours};
use super::run::{
    Columns, ReadRow, Reader, Registry, field_errors, fields_of, import, invalid, list, row_error,
    text,
};
use super::{Record, Report, Request, RowError, parse_int, wan_yuan_to_fen};
use crate::error::{Result, Text};
use crate::policy::Right;
use crate::principal::Principal;
use crate::products::{self as product, ProductFields};

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

/// The words officials write for each deployment.
const DEPLOYMENT_WORDS: [(Deployment, &[&str]); 3] = [
    (Deployment::Saas, &["云端", "云部署", "公有云", "SaaS"]),
    (Deployment::OnPremises, &["本地部署", "私有化部署", "本地"]),
    (Deployment::Hybrid, &["混合", "混合部署"]),
];

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

    fn read(&self, rec: &Record) -> std::result::Result<(String, ProductParsed), Vec<RowError>> {
        let mut errors = Vec::new();
        let mut f = ProductFields::default();
        let mut raw = None;
        for (field, column, value) in fields_of(PRODUCT_COLUMNS, rec, &mut errors) {
            let t = text(value);
            let mut bad = |allowed_en, allowed_zh| {
                errors.push(RowError::at(
                    rec,
                    column,
                    "invalid_value",
                    invalid(&text(value), allowed_en, allowed_zh),
                ));
            };
            match field {
                "provider_uscc" => raw = Some(t),
                "name" => f.name = Some(t),
                "scenarios" => f.scenarios = Some(list(value)),
                "industries" => f.industries = Some(list(value)),
                "deployment" => match named(&DEPLOYMENT_WORDS, &t)
                    .or_else(|| named(&DEPLOYMENT_WORDS, &t.to_lowercase()))
                {
                    Some(d) => f.deployment = Some(d.as_str().to_owned()),
                    None => bad(
                        "saas, on_premises or hybrid (云部署, 本地部署, 混合部署)",
                        "云部署、本地部署或混合部署",
                    ),
                },
                "price_wan" => match wan_yuan_to_fen(value) {
                    Some(fen) => f.price_fen = Some(fen),
                    None => bad(
                        "an amount in 万元 (e.g. 1200.5)",
                        "以万元计的金额（如 1200.5）",
                    ),
                },
                "price_fen" => match parse_int(value).filter(|n| *n >= 0) {
                    Some(fen) => f.price_fen = Some(fen),
                    None => bad("an amount in fen (a whole number)", "以分计的金额（整数）"),
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
    ) -> Result<()> {
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
                    let mut row = product::blank(new_id(), provider_id.clone())?;
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

/// Imports products (a programme's city_admin, or the platform) of
/// providers the importer maintains.
pub fn import_products(s: &mut Session, who: &Principal, request: Request) -> Result<Report> {
    super::run::importer(
        s,
        who,
        Right::ImportProducts,
        request.query.program_id.as_deref(),
    )?;
    let maintainers = Maintainers {
        who: who.clone(),
        right: Right::MaintainProduct,
        known: HashMap::new(),
    };
    let insert_only = request.query.mode.as_deref() == Some("insert");
    import(s, who, request, |_| {
        Ok((
            ProductReader,
            ProductImport {
                insert_only,
                maintainers,
            },
        ))
    })
}
