//! Importing providers (服务商) as pilot offices keep them, through the
//! same run as enterprises; and what products' import shares with it.

use std::collections::HashMap;

use shuzhuan_persistence::repo::providers;
use shuzhuan_persistence::rows::ProviderRow;
use shuzhuan_persistence::{AnyConnection, Session, Tx, new_id};
use shuzhuan_types::{ProviderKind, Specialty, Uscc};

use super::run::{
    Columns, ReadRow, Reader, Registry, YES_NO, field_errors, fields_of, import, invalid, list,
    row_error, text,
};
use super::{Record, Report, Request, RowError, parse_bool};
use crate::error::{FieldError, Result, Text};
use crate::policy::Right;
use crate::principal::Principal;
use crate::providers::{self as provider, ProviderFields, maintains};

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

/// The words officials write for each provider kind and specialty.
const KIND_WORDS: [(ProviderKind, &[&str]); 2] = [
    (ProviderKind::Comprehensive, &["综合型"]),
    (ProviderKind::Scenario, &["场景型"]),
];
const SPECIALTY_WORDS: [(Specialty, &[&str]); 2] = [
    (Specialty::Integrator, &["行业集成", "集成"]),
    (Specialty::Specialist, &["专业"]),
];

/// The value a cell names: its code or one of the words for it.
pub(super) fn named<T: shuzhuan_types::Code>(words: &[(T, &[&str])], cell: &str) -> Option<T> {
    words
        .iter()
        .find(|(v, aliases)| v.code() == cell || aliases.contains(&cell))
        .map(|(v, _)| *v)
}

/// A credit code cell, or the row's error on `field`.
pub(super) fn code_of(
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

/// Whether the importer may update a provider (or its products), asked
/// once per provider.
pub(super) struct Maintainers {
    pub who: Principal,
    pub right: Right,
    pub known: HashMap<String, bool>,
}

impl Maintainers {
    pub fn may(&mut self, conn: &mut AnyConnection, provider_id: &str) -> Result<bool> {
        if let Some(v) = self.known.get(provider_id) {
            return Ok(*v);
        }
        let v = maintains(conn, &self.who, self.right, provider_id)?;
        self.known.insert(provider_id.to_owned(), v);
        Ok(v)
    }
}

struct ProviderImport {
    insert_only: bool,
    maintainers: Maintainers,
}

pub(super) fn not_yours(columns: Columns, rec: &Record, field: &str) -> RowError {
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

    fn read(&self, rec: &Record) -> std::result::Result<(String, ProviderFields), Vec<RowError>> {
        let mut errors = Vec::new();
        let mut f = ProviderFields::default();
        let mut raw = None;
        for (field, column, value) in fields_of(PROVIDER_COLUMNS, rec, &mut errors) {
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
                "uscc" => raw = Some(t),
                "name" => f.name = Some(t),
                "kind" => match named(&KIND_WORDS, &t) {
                    Some(k) => f.kind = Some(k.as_str().to_owned()),
                    None => bad(
                        "comprehensive or scenario (综合型, 场景型)",
                        "综合型或场景型",
                    ),
                },
                "specialty" => match named(&SPECIALTY_WORDS, &t) {
                    Some(k) => f.specialty = Some(k.as_str().to_owned()),
                    None => bad(
                        "integrator or specialist (行业集成, 专业)",
                        "行业集成或专业",
                    ),
                },
                "local" => match parse_bool(value) {
                    Some(b) => f.local = Some(b),
                    None => bad(YES_NO.0, YES_NO.1),
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
    ) -> Result<()> {
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
                    let mut row = provider::blank(new_id(), key)?;
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

pub(super) fn count(report: &mut Report, changed: bool) {
    if changed {
        report.updated += 1;
    } else {
        report.unchanged += 1;
    }
}

fn required(field: &str, zh: &'static str) -> FieldError {
    FieldError::new(field, "required", Text::new("required", zh))
}

/// Imports providers (a programme's city_admin, or the platform): new ones
/// are registered, existing ones updated where the importer maintains them.
pub fn import_providers(s: &mut Session, who: &Principal, request: Request) -> Result<Report> {
    super::run::importer(
        s,
        who,
        Right::ImportProviders,
        request.query.program_id.as_deref(),
    )?;
    let maintainers = Maintainers {
        who: who.clone(),
        right: Right::MaintainProvider,
        known: HashMap::new(),
    };
    let insert_only = request.query.mode.as_deref() == Some("insert");
    import(s, who, request, |_| {
        Ok((
            ProviderReader,
            ProviderImport {
                insert_only,
                maintainers,
            },
        ))
    })
}
