//! HTTP routes, one module per resource. Each handler starts with its
//! policy check on the [`Caller`](crate::auth::Caller).

pub mod admissions;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod documents;
pub mod dossier;
pub mod enterprise_import;
pub mod enterprises;
pub mod health;
pub mod monitoring;
pub mod products;
pub mod programs;
pub mod projects;
pub mod promotion;
pub mod provider_import;
pub mod providers;
pub mod spot_checks;
pub mod subsidy;
pub mod targets;
pub mod users;
pub mod webhooks;

use chrono::{DateTime, NaiveDateTime, Utc};
use shuzhuan_lifecycle::{BatchAction, BatchState};
use shuzhuan_types::Role;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa_actix_web::service_config::ServiceConfig;

/// Everything under `/api/v1`.
pub fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::create_token)
        .service(auth::refresh_token)
        .service(auth::me)
        .service(auth::create_api_token)
        .service(auth::list_api_tokens)
        .service(auth::revoke_api_token)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(users::put_grants)
        .service(programs::list_programs)
        .service(programs::create_program)
        .service(programs::get_program)
        .service(programs::update_program)
        .service(programs::list_regions)
        .service(programs::list_industries)
        .service(programs::list_batches)
        .service(programs::create_batch)
        .service(programs::get_batch)
        .service(programs::transition_batch)
        .service(enterprise_import::import_enterprises)
        .service(enterprises::list_enterprises)
        .service(enterprises::create_enterprise)
        .service(enterprises::get_enterprise_by_code)
        .service(enterprises::put_enterprise_by_code)
        .service(enterprises::get_enterprise)
        .service(enterprises::update_enterprise)
        .service(dossier::get_dossier)
        .service(provider_import::import_providers)
        .service(providers::list_providers)
        .service(providers::create_provider)
        .service(providers::get_provider_by_code)
        .service(providers::put_provider_by_code)
        .service(providers::get_provider)
        .service(providers::update_provider)
        .service(admissions::list_pool)
        .service(admissions::apply_to_pool)
        .service(admissions::change_pool_entry)
        .service(provider_import::import_products)
        .service(products::list_products)
        .service(products::create_product)
        .service(products::get_product)
        .service(products::update_product)
        .service(admissions::list_library)
        .service(admissions::submit_to_library)
        .service(admissions::change_library_entry)
        .service(assessments::list_indicator_sets)
        .service(assessments::get_indicator_set)
        .service(assessments::create_assessment)
        .service(assessments::get_assessment)
        .service(subsidy::list_policies)
        .service(subsidy::create_policy)
        .service(subsidy::create_quote)
        .service(subsidy::list_pools)
        .service(subsidy::create_pool)
        .service(subsidy::list_decisions)
        .service(subsidy::create_decision)
        .service(subsidy::approve_decision)
        .service(subsidy::create_award)
        .service(subsidy::create_disbursement)
        .service(subsidy::list_disbursements)
        .service(subsidy::enterprise_ledger)
        .service(projects::list_projects)
        .service(projects::create_project)
        .service(projects::get_project)
        .service(projects::put_plan)
        .service(projects::transition_project)
        .service(projects::project_history)
        .service(projects::create_progress_report)
        .service(projects::list_progress_reports)
        .service(projects::create_assignment)
        .service(documents::upload_document)
        .service(documents::list_documents)
        .service(documents::document_content)
        .service(documents::get_requirements)
        .service(documents::put_requirements)
        .service(targets::list_targets)
        .service(targets::create_target)
        .service(targets::import_targets)
        .service(monitoring::get_dashboard)
        .service(monitoring::monitoring)
        .service(monitoring::get_monitoring_settings)
        .service(monitoring::put_monitoring_settings)
        .service(monitoring::provider_ranking)
        .service(spot_checks::create_spot_check)
        .service(spot_checks::list_spot_checks)
        .service(spot_checks::get_spot_check)
        .service(spot_checks::create_finding)
        .service(spot_checks::list_findings)
        .service(promotion::nominate_benchmark)
        .service(promotion::list_benchmarks)
        .service(promotion::decide_benchmark)
        .service(promotion::create_event)
        .service(promotion::list_events)
        .service(promotion::create_finance_product)
        .service(promotion::list_finance_products)
        .service(audit::list_audit_log)
        .service(audit::verify_audit_log)
        .service(audit::list_changes)
        .service(webhooks::list_webhooks)
        .service(webhooks::create_webhook)
        .service(webhooks::get_webhook)
        .service(webhooks::update_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::list_deliveries);
}

/// Lists what a programme holds (after the handler's own policy check):
/// 404 when the programme does not exist, else every row converted.
pub(crate) async fn program_list<R, T>(
    state: &crate::state::AppState,
    program_id: String,
    load: fn(
        &mut shuzhuan_persistence::AnyConnection,
        &str,
    ) -> Result<Vec<R>, shuzhuan_persistence::RepoError>,
) -> Result<actix_web::web::Json<crate::extract::List<T>>, crate::error::ApiError>
where
    R: Send + 'static,
    T: From<R>,
{
    let rows = state
        .read(move |conn| {
            shuzhuan_persistence::repo::programs::find(conn, &program_id)?;
            Ok(load(conn, &program_id)?)
        })
        .await?;
    Ok(actix_web::web::Json(crate::extract::List::all(
        rows.into_iter().map(Into::into).collect(),
    )))
}

/// Stored times are UTC; the wire shows them with their offset.
pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub(crate) fn string_enum(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

pub(crate) fn role_schema() -> Object {
    string_enum(Role::ALL.map(Role::as_str))
}

pub(crate) fn batch_state_schema() -> Object {
    string_enum(BatchState::ALL.map(BatchState::as_str))
}

pub(crate) fn batch_action_schema() -> Object {
    string_enum(BatchAction::ALL.map(BatchAction::as_str))
}

/// The change record of a versioned object whose views serialise to the
/// snapshot: `before` is `None` on creation.
pub(crate) fn change_of<V: serde::Serialize>(
    action: &str,
    object_type: &'static str,
    (object_id, program_id, version): (&str, Option<&str>, i64),
    before: Option<&V>,
    after: &V,
) -> shuzhuan_persistence::Change {
    shuzhuan_persistence::Change {
        action: action.to_owned(),
        object_type,
        object_id: object_id.to_owned(),
        program_id: program_id.map(str::to_owned),
        version,
        op: if before.is_some() {
            shuzhuan_persistence::Op::Update
        } else {
            shuzhuan_persistence::Op::Create
        },
        before: before.and_then(shuzhuan_persistence::Snapshot::of),
        after: shuzhuan_persistence::Snapshot::of(after),
    }
}

/// A unified social credit code from the wire, normalised, or the field
/// error naming what is wrong with it (GB 32100-2015).
pub(crate) fn parse_uscc(raw: &str) -> Result<String, crate::error::FieldError> {
    shuzhuan_types::Uscc::parse(raw)
        .map(|u| u.to_string())
        .map_err(|e| {
            crate::error::FieldError::new(
                "uscc",
                e.code(),
                crate::error::Text::new(e.to_string(), e.message_zh()),
            )
        })
}

/// A credit code from a path segment (`/…/by-code/{uscc}`), or the 422.
pub(crate) fn parse_path_uscc(raw: &str) -> Result<String, crate::error::ApiError> {
    parse_uscc(raw).map_err(|e| crate::error::ApiError::Validation(vec![e]))
}
