//! The transformation plan and contract (改造方案与合同), written by the
//! project's provider or enterprise between the diagnosis and its filing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{
    AdmissionKind, DocumentKind, Plan, PlanError, PlanLineItem, ProjectState,
};
use shuzhuan_persistence::repo::{admissions, projects};
use shuzhuan_persistence::rows::ProjectRow;
use shuzhuan_persistence::{AnyConnection, Json, RepoError, Session};
use shuzhuan_subsidy::ExpenseCategory;
use utoipa::ToSchema;
use validator::Validate;

use super::{ProjectView, check, roles_on, save, view_for, visible};
use crate::error::{AppError, Expected, FieldError, Result, Text};
use crate::input::Body;
use crate::policy::Right;
use crate::principal::Principal;
use crate::view::code_schema;

/// A line item of the plan: what the money goes to, by expense category
/// (DOMAIN.md §5) — what the subsidy is later computed from.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanLineItemSpec {
    #[schema(schema_with = code_schema::<ExpenseCategory>)]
    pub category: ExpenseCategory,
    #[validate(length(min = 1, max = 500, message = "1 to 500 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    #[validate(range(min = 0, message = "must not be negative", code = "range"))]
    #[schema(minimum = 0)]
    pub amount_fen: i64,
}

/// The transformation plan and contract, filed by the provider or the
/// enterprise before county and city approve it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "goals": "生产管控与质量管理场景达到二级",
    "content": "部署轻量化 MES 与质量追溯系统，设备联网 40 台",
    "starts_on": "2026-03-01", "ends_on": "2026-09-30",
    "contract_amount_fen": 150000000,
    "line_items": [
        {"category": "software", "description": "轻量化 MES 订阅", "amount_fen": 100000000},
        {"category": "data_acquisition_equipment", "description": "数据采集网关", "amount_fen": 50000000}
    ],
    "provider_ids": [], "product_ids": []
}))]
pub struct PlanSpec {
    #[validate(length(min = 1, max = 4000, message = "1 to 4000 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 4000)]
    pub goals: String,
    #[validate(length(
        min = 1,
        max = 20000,
        message = "1 to 20000 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 20000)]
    pub content: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The contract's total in fen; the line items add up to it.
    #[validate(range(min = 1, message = "must be positive", code = "range"))]
    #[schema(minimum = 1)]
    pub contract_amount_fen: i64,
    #[validate(
        length(min = 1, max = 200, message = "1 to 200 line items", code = "length"),
        nested
    )]
    #[schema(min_items = 1, max_items = 200)]
    pub line_items: Vec<PlanLineItemSpec>,
    /// Further providers of the programme's pool working on it (the chosen
    /// provider always does).
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20", code = "length"))]
    #[schema(max_items = 20)]
    pub provider_ids: Vec<String>,
    /// Products from the programme's library (listed or recommended).
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50", code = "length"))]
    #[schema(max_items = 50)]
    pub product_ids: Vec<String>,
    /// The signed contract, a document of kind `contract` of this project.
    pub contract_document_id: Option<String>,
}

impl From<Plan> for PlanSpec {
    fn from(p: Plan) -> Self {
        PlanSpec {
            goals: p.goals,
            content: p.content,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            contract_amount_fen: p.contract_amount_fen,
            line_items: p
                .line_items
                .into_iter()
                .map(|l| PlanLineItemSpec {
                    category: l.category,
                    description: l.description,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            provider_ids: p.provider_ids,
            product_ids: p.product_ids,
            contract_document_id: p.contract_document_id,
        }
    }
}

impl From<PlanSpec> for Plan {
    fn from(p: PlanSpec) -> Self {
        Plan {
            goals: p.goals,
            content: p.content,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            contract_amount_fen: p.contract_amount_fen,
            line_items: p
                .line_items
                .into_iter()
                .map(|l| PlanLineItem {
                    category: l.category,
                    description: l.description,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            provider_ids: p.provider_ids,
            product_ids: p.product_ids,
            contract_document_id: p.contract_document_id,
        }
    }
}

/// Whether `member_id` is usable in the programme's pool or library
/// (admitted; listed or recommended).
pub(crate) fn admitted(
    conn: &mut AnyConnection,
    program_id: &str,
    kind: AdmissionKind,
    member_id: &str,
) -> Result<bool> {
    match admissions::find(conn, program_id, kind, member_id) {
        Ok(a) => Ok(kind.usable(a.status.0)),
        Err(RepoError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Checks a plan against itself (dates, totals, by the domain) and against
/// the programme (pool, library, the contract document).
fn check_plan(conn: &mut AnyConnection, p: &ProjectRow, plan: &Plan) -> Result<()> {
    let mut errors: Vec<FieldError> = plan
        .check()
        .into_iter()
        .map(|e| {
            let zh = match &e {
                PlanError::EndsBeforeStart => "结束日期早于开始日期".to_owned(),
                PlanError::TotalMismatch {
                    items_fen,
                    contract_fen,
                } => format!("明细合计 {items_fen} 分，与合同金额 {contract_fen} 分不符"),
                PlanError::TotalOverflow => "明细合计超出金额范围".to_owned(),
            };
            let code = match e {
                PlanError::EndsBeforeStart => "before_start",
                PlanError::TotalMismatch { .. } => "total_mismatch",
                PlanError::TotalOverflow => "amount_out_of_range",
            };
            FieldError::new(e.field(), code, Text::new(e.to_string(), zh))
        })
        .collect();
    for (i, provider) in plan.provider_ids.iter().enumerate() {
        if !admitted(conn, &p.program_id, AdmissionKind::ProviderPool, provider)? {
            errors.push(FieldError::new(
                format!("provider_ids[{i}]"),
                "provider_not_admitted",
                Text::new(
                    "not an admitted provider of the programme's pool",
                    "不是本试点资源池中已入库的服务商",
                ),
            ));
        }
    }
    for (i, product) in plan.product_ids.iter().enumerate() {
        if !admitted(conn, &p.program_id, AdmissionKind::ProductLibrary, product)? {
            errors.push(FieldError::new(
                format!("product_ids[{i}]"),
                "product_not_listed",
                Text::new(
                    "not a listed product of the programme's library",
                    "不是本试点产品库中已上架的产品",
                ),
            ));
        }
    }
    if let Some(doc) = &plan.contract_document_id {
        let ok = projects::find_document(conn, doc)
            .map(|d| d.project_id == p.id && *d.kind == DocumentKind::Contract)
            .unwrap_or(false);
        if !ok {
            errors.push(FieldError::new(
                "contract_document_id",
                "unknown_contract",
                Text::new(
                    "not a contract document of this project",
                    "不是本项目的合同文件",
                ),
            ));
        }
    }
    AppError::check(errors)
}

/// Writes the plan (the project's provider or enterprise), between the
/// diagnosis and its filing.
pub fn put_plan(
    s: &mut Session,
    who: &Principal,
    id: &str,
    expected: Expected,
    body: Body<PlanSpec>,
) -> Result<ProjectView> {
    who.require(Right::WritePlan)?;
    let p = visible(s.conn(), who, id)?;
    check(who, Right::WritePlan, &p)?;
    let plan: Plan = body.read()?.into();
    let roles = roles_on(who, &p);
    let before = p.row;
    expected.check(before.version)?;
    if *before.state != ProjectState::Diagnosed {
        return Err(AppError::conflict(
            "plan_locked",
            "The plan is written after the diagnosis and before it is filed.",
            "改造方案须在诊断之后、备案之前编写。",
        ));
    }
    check_plan(s.conn(), &before, &plan)?;
    s.write(&who.actor(), |tx| {
        let mut row = before.clone();
        row.plan = Some(Json::new(plan)?);
        let row = save(tx, "project.plan", &before, row)?;
        view_for(tx.conn(), &row, &roles)
    })
}
