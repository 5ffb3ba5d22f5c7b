//! HTTP routes, one module per resource. A handler is transport only:
//! it takes what the request carries, runs one use case of `shuzhuan_app`
//! (which starts with its right) and answers its view.

pub mod admissions;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod documents;
pub mod dossier;
pub mod enterprises;
pub mod evaluations;
pub mod health;
pub mod monitoring;
pub mod products;
pub mod programs;
pub mod projects;
pub mod promotion;
pub mod providers;
pub mod rights;
pub mod spot_checks;
pub mod subsidy;
pub mod targets;
pub mod users;
pub mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of the application; the OpenAPI document is collected from
/// exactly these registrations.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(utoipa_actix_web::scope("/api/v1").configure(api_v1));
}

/// Everything under `/api/v1`.
fn api_v1(cfg: &mut ServiceConfig) {
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
        .service(programs::extend_batch)
        .service(enterprises::import_enterprises)
        .service(enterprises::list_enterprises)
        .service(enterprises::create_enterprise)
        .service(enterprises::get_enterprise_by_code)
        .service(enterprises::put_enterprise_by_code)
        .service(enterprises::get_enterprise)
        .service(enterprises::update_enterprise)
        .service(dossier::get_dossier)
        .service(providers::import_providers)
        .service(providers::list_providers)
        .service(providers::create_provider)
        .service(providers::get_provider_by_code)
        .service(providers::put_provider_by_code)
        .service(providers::get_provider)
        .service(providers::update_provider)
        .service(admissions::list_pool)
        .service(admissions::apply_to_pool)
        .service(admissions::change_pool_entry)
        .service(products::import_products)
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
        .service(subsidy::create_award_quote)
        .service(subsidy::fund_compliance)
        .service(subsidy::list_pools)
        .service(subsidy::create_pool)
        .service(subsidy::get_pool)
        .service(subsidy::list_decisions)
        .service(subsidy::create_decision)
        .service(subsidy::get_decision)
        .service(subsidy::approve_decision)
        .service(subsidy::create_award)
        .service(subsidy::create_disbursement)
        .service(subsidy::list_disbursements)
        .service(subsidy::get_disbursement)
        .service(subsidy::programme_ledger)
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
        .service(monitoring::list_risks)
        .service(monitoring::provider_risks)
        .service(monitoring::risk_precision)
        .service(evaluations::issue_evaluation)
        .service(evaluations::list_evaluations)
        .service(evaluations::get_evaluation)
        .service(evaluations::correct_evaluation)
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
        .service(webhooks::list_deliveries)
        .service(auth::get_api_token)
        .service(admissions::get_pool_entry)
        .service(admissions::get_library_entry)
        .service(promotion::get_benchmark)
        .service(promotion::get_event)
        .service(promotion::get_finance_product)
        .service(projects::get_progress_report)
        .service(projects::get_assignment)
        .service(projects::list_assignments)
        .service(documents::get_document)
        .service(subsidy::get_policy)
        .service(targets::get_target)
        .service(spot_checks::get_finding);
}
