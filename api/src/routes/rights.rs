//! Who may call each operation, in the contract: the rights each
//! operation's use case checks, described from the one table of rights
//! (`shuzhuan_app::policy`), so `/docs` cannot say other than the server
//! does. A test checks that every documented operation is listed.

use shuzhuan_app::policy::{Right, Scope};
use shuzhuan_lifecycle::{ProjectAction, rule};
use shuzhuan_types::Code;
use utoipa::openapi::OpenApi;

/// Who may call an operation.
enum Who {
    /// No token needed.
    Anyone,
    /// Any valid token.
    AnyUser,
    /// Holders of any of these rights, each within its scope.
    Holders(&'static [Right]),
    /// The project's lifecycle table decides by action.
    Lifecycle,
}

/// Every operation by its `operationId`.
const OPERATIONS: &[(&str, Who)] = &[
    ("healthz", Who::Anyone),
    ("readyz", Who::Anyone),
    ("metrics", Who::Anyone),
    ("create_token", Who::Anyone),
    ("refresh_token", Who::Anyone),
    ("me", Who::AnyUser),
    ("create_api_token", Who::Holders(&[Right::ManageApiTokens])),
    ("list_api_tokens", Who::Holders(&[Right::ManageApiTokens])),
    ("revoke_api_token", Who::Holders(&[Right::ManageApiTokens])),
    ("list_users", Who::Holders(&[Right::ManageUsers])),
    ("create_user", Who::Holders(&[Right::ManageUsers])),
    ("get_user", Who::Holders(&[Right::ManageUsers])),
    ("update_user", Who::Holders(&[Right::ManageUsers])),
    ("put_grants", Who::Holders(&[Right::ManageUsers])),
    ("list_webhooks", Who::Holders(&[Right::ManageWebhooks])),
    ("create_webhook", Who::Holders(&[Right::ManageWebhooks])),
    ("get_webhook", Who::Holders(&[Right::ManageWebhooks])),
    (
        "update_webhook",
        Who::Holders(&[Right::ManageWebhooks, Right::EnableWebhook]),
    ),
    ("delete_webhook", Who::Holders(&[Right::ManageWebhooks])),
    ("list_deliveries", Who::Holders(&[Right::ManageWebhooks])),
    ("list_audit_log", Who::Holders(&[Right::ReadAuditLog])),
    ("verify_audit_log", Who::Holders(&[Right::VerifyAuditLog])),
    (
        "list_changes",
        Who::Holders(&[Right::ReadFeed, Right::ReadInternalFeed]),
    ),
    (
        "get_dossier",
        Who::Holders(&[Right::ReadEnterprise, Right::ReadProject]),
    ),
    ("list_programs", Who::Holders(&[Right::ReadProgramme])),
    ("create_program", Who::Holders(&[Right::CreateProgramme])),
    ("get_program", Who::Holders(&[Right::ReadProgramme])),
    ("update_program", Who::Holders(&[Right::EditProgramme])),
    ("list_regions", Who::Holders(&[Right::ReadProgramme])),
    ("list_industries", Who::Holders(&[Right::ReadProgramme])),
    ("list_batches", Who::Holders(&[Right::ReadProgramme])),
    ("create_batch", Who::Holders(&[Right::RunBatches])),
    ("get_batch", Who::Holders(&[Right::ReadProgramme])),
    ("transition_batch", Who::Holders(&[Right::RunBatches])),
    ("extend_batch", Who::Holders(&[Right::RunBatches])),
    ("list_enterprises", Who::Holders(&[Right::ReadEnterprise])),
    (
        "create_enterprise",
        Who::Holders(&[Right::RegisterEnterprise]),
    ),
    ("get_enterprise", Who::Holders(&[Right::ReadEnterprise])),
    (
        "update_enterprise",
        Who::Holders(&[Right::EditEnterpriseProfile, Right::EditEnterpriseEnrolment]),
    ),
    (
        "get_enterprise_by_code",
        Who::Holders(&[Right::ReadEnterprise]),
    ),
    (
        "put_enterprise_by_code",
        Who::Holders(&[
            Right::RegisterEnterprise,
            Right::EditEnterpriseProfile,
            Right::EditEnterpriseEnrolment,
        ]),
    ),
    (
        "import_enterprises",
        Who::Holders(&[Right::ImportEnterprises]),
    ),
    ("list_providers", Who::Holders(&[Right::ReadProvider])),
    ("create_provider", Who::Holders(&[Right::RegisterProvider])),
    ("get_provider", Who::Holders(&[Right::ReadProvider])),
    ("update_provider", Who::Holders(&[Right::MaintainProvider])),
    ("get_provider_by_code", Who::Holders(&[Right::ReadProvider])),
    (
        "put_provider_by_code",
        Who::Holders(&[Right::RegisterProvider, Right::MaintainProvider]),
    ),
    ("import_providers", Who::Holders(&[Right::ImportProviders])),
    ("list_products", Who::Holders(&[Right::ReadProduct])),
    ("create_product", Who::Holders(&[Right::MaintainProduct])),
    ("get_product", Who::Holders(&[Right::ReadProduct])),
    ("update_product", Who::Holders(&[Right::MaintainProduct])),
    ("import_products", Who::Holders(&[Right::ImportProducts])),
    ("list_pool", Who::Holders(&[Right::ReadProgramme])),
    ("apply_to_pool", Who::Holders(&[Right::ApplyToPool])),
    ("change_pool_entry", Who::Holders(&[Right::DecideAdmission])),
    ("list_library", Who::Holders(&[Right::ReadProgramme])),
    ("submit_to_library", Who::Holders(&[Right::ApplyToPool])),
    (
        "change_library_entry",
        Who::Holders(&[Right::DecideAdmission]),
    ),
    (
        "list_indicator_sets",
        Who::Holders(&[Right::ReadIndicatorSets]),
    ),
    (
        "get_indicator_set",
        Who::Holders(&[Right::ReadIndicatorSets]),
    ),
    (
        "create_assessment",
        Who::Holders(&[
            Right::RecordSelfAssessment,
            Right::RecordDiagnosis,
            Right::RecordAcceptance,
            Right::ScoreAssessment,
        ]),
    ),
    ("get_assessment", Who::Holders(&[Right::ReadAssessment])),
    ("create_project", Who::Holders(&[Right::ApplyForProject])),
    ("list_projects", Who::Holders(&[Right::ReadProject])),
    ("get_project", Who::Holders(&[Right::ReadProject])),
    ("put_plan", Who::Holders(&[Right::WritePlan])),
    ("transition_project", Who::Lifecycle),
    ("project_history", Who::Holders(&[Right::ReadProject])),
    (
        "create_progress_report",
        Who::Holders(&[Right::ReportProgress]),
    ),
    ("list_progress_reports", Who::Holders(&[Right::ReadProject])),
    ("create_assignment", Who::Holders(&[Right::AssignToProject])),
    ("upload_document", Who::Holders(&[Right::AttachDocument])),
    ("list_documents", Who::Holders(&[Right::ReadProject])),
    ("document_content", Who::Holders(&[Right::ReadProject])),
    ("get_requirements", Who::Holders(&[Right::ReadProgramme])),
    (
        "put_requirements",
        Who::Holders(&[Right::SetDocumentRequirements]),
    ),
    ("list_policies", Who::Holders(&[Right::ReadProgramme])),
    ("create_policy", Who::Holders(&[Right::AuthorPolicy])),
    (
        "create_quote",
        Who::Holders(&[Right::ReadProgramme, Right::ReadLedger]),
    ),
    ("create_award_quote", Who::Holders(&[Right::ReadProgramme])),
    ("fund_compliance", Who::Holders(&[Right::ReadMoney])),
    ("list_pools", Who::Holders(&[Right::ReadMoney])),
    ("create_pool", Who::Holders(&[Right::ManagePools])),
    ("get_pool", Who::Holders(&[Right::ReadMoney])),
    ("create_decision", Who::Holders(&[Right::ProposeSubsidy])),
    ("create_award", Who::Holders(&[Right::ProposeSubsidy])),
    ("list_decisions", Who::Holders(&[Right::ReadMoney])),
    ("get_decision", Who::Holders(&[Right::ReadMoney])),
    ("approve_decision", Who::Holders(&[Right::ApproveSubsidy])),
    ("create_disbursement", Who::Holders(&[Right::Disburse])),
    ("list_disbursements", Who::Holders(&[Right::ReadMoney])),
    ("get_disbursement", Who::Holders(&[Right::ReadMoney])),
    ("enterprise_ledger", Who::Holders(&[Right::ReadLedger])),
    ("programme_ledger", Who::Holders(&[Right::ReadMoney])),
    ("list_targets", Who::Holders(&[Right::ReadTargets])),
    ("create_target", Who::Holders(&[Right::SetTargets])),
    ("import_targets", Who::Holders(&[Right::SetTargets])),
    ("get_dashboard", Who::Holders(&[Right::ReadTargets])),
    (
        "monitoring",
        Who::Holders(&[Right::ReadTargets, Right::ReadProject]),
    ),
    (
        "get_monitoring_settings",
        Who::Holders(&[Right::ReadTargets]),
    ),
    (
        "put_monitoring_settings",
        Who::Holders(&[Right::SetThresholds]),
    ),
    ("provider_ranking", Who::Holders(&[Right::ReadTargets])),
    ("list_risks", Who::Holders(&[Right::ReadRisks])),
    ("provider_risks", Who::Holders(&[Right::ReadRisks])),
    ("risk_precision", Who::Holders(&[Right::ReadRisks])),
    ("issue_evaluation", Who::Holders(&[Right::IssueEvaluations])),
    ("list_evaluations", Who::Holders(&[Right::ReadEvaluations])),
    ("get_evaluation", Who::Holders(&[Right::ReadEvaluations])),
    (
        "correct_evaluation",
        Who::Holders(&[Right::IssueEvaluations]),
    ),
    ("create_spot_check", Who::Holders(&[Right::RunSpotCheck])),
    ("list_spot_checks", Who::Holders(&[Right::ReadProgramme])),
    ("get_spot_check", Who::Holders(&[Right::ReadProgramme])),
    ("create_finding", Who::Holders(&[Right::RecordFinding])),
    ("list_findings", Who::Holders(&[Right::ReadProgramme])),
    (
        "nominate_benchmark",
        Who::Holders(&[Right::NominateBenchmark]),
    ),
    ("list_benchmarks", Who::Holders(&[Right::ReadProgramme])),
    (
        "decide_benchmark",
        Who::Holders(&[Right::ReviewBenchmark, Right::DecideBenchmark]),
    ),
    ("create_event", Who::Holders(&[Right::RecordEvent])),
    ("list_events", Who::Holders(&[Right::ReadProgramme])),
    (
        "create_finance_product",
        Who::Holders(&[Right::RecordFinanceProduct]),
    ),
    (
        "list_finance_products",
        Who::Holders(&[Right::ReadProgramme]),
    ),
    ("get_api_token", Who::Holders(&[Right::ManageApiTokens])),
    ("get_pool_entry", Who::Holders(&[Right::ReadProgramme])),
    ("get_library_entry", Who::Holders(&[Right::ReadProgramme])),
    ("get_benchmark", Who::Holders(&[Right::ReadProgramme])),
    ("get_event", Who::Holders(&[Right::ReadProgramme])),
    ("get_finance_product", Who::Holders(&[Right::ReadProgramme])),
    ("get_progress_report", Who::Holders(&[Right::ReadProject])),
    ("get_assignment", Who::Holders(&[Right::ReadProject])),
    ("list_assignments", Who::Holders(&[Right::ReadProject])),
    ("get_document", Who::Holders(&[Right::ReadProject])),
    ("get_policy", Who::Holders(&[Right::ReadProgramme])),
    ("get_target", Who::Holders(&[Right::ReadTargets])),
    ("get_finding", Who::Holders(&[Right::ReadProgramme])),
];

/// Where a grant's scope reaches, in words.
fn reach(scope: Scope) -> &'static str {
    match scope {
        Scope::All => "everywhere",
        Scope::Programme => "in their programme",
        Scope::Regions => "in their programme's regions",
        Scope::OwnEnterprise => "for their enterprise",
        Scope::OwnProvider => "for their provider",
        Scope::Assigned => "on projects assigned to them",
        Scope::Owned => "for what they own",
        Scope::Unclaimed => "for providers no pool holds yet",
    }
}

/// The holders of `right`: `role` (where), grouped by role.
fn holders(right: Right) -> String {
    let mut by_role: Vec<(String, Vec<&str>)> = Vec::new();
    for (role, scope) in right.holders() {
        match by_role.iter_mut().find(|(r, _)| *r == role.code()) {
            Some((_, scopes)) => scopes.push(reach(scope)),
            None => by_role.push((role.code().to_owned(), vec![reach(scope)])),
        }
    }
    by_role
        .iter()
        .map(|(role, scopes)| format!("`{role}` ({})", scopes.join("; ")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn who_may_call(who: &Who) -> String {
    match who {
        Who::Anyone => "**Who may call:** anyone; no token.".to_owned(),
        Who::AnyUser => "**Who may call:** any user with a valid token.".to_owned(),
        Who::Holders(rights) => {
            let mut text = "**Who may call:**".to_owned();
            for right in *rights {
                text.push_str(&format!("\n- to {}: {}", right.name(), holders(*right)));
            }
            text
        }
        Who::Lifecycle => {
            let mut text = "**Who may call:** by action (the lifecycle of DOMAIN.md §4), each within their project scope:".to_owned();
            for action in ProjectAction::ALL {
                let roles: Vec<String> = rule(action)
                    .roles
                    .iter()
                    .map(|r| format!("`{}`", r.code()))
                    .collect();
                text.push_str(&format!("\n- `{}`: {}", action.code(), roles.join(", ")));
            }
            text
        }
    }
}

/// Appends who may call each operation to its description.
pub fn describe(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let id = op.operation_id.clone().unwrap_or_default();
            if let Some((_, who)) = OPERATIONS.iter().find(|(name, _)| *name == id) {
                let text = who_may_call(who);
                op.description = Some(match op.description.take() {
                    Some(d) if !d.is_empty() => format!("{d}\n\n{text}"),
                    _ => text,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_says_who_may_call_it() {
        let doc = crate::app::openapi();
        let mut documented = Vec::new();
        for item in doc.paths.paths.values() {
            for (_, op) in shuzhuan_openapi::operations(item) {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(
                    OPERATIONS.iter().any(|(name, _)| *name == id),
                    "{id} is not in routes::rights::OPERATIONS"
                );
                assert!(
                    op.description
                        .as_deref()
                        .is_some_and(|d| d.contains("**Who may call:**")),
                    "{id}"
                );
                documented.push(id);
            }
        }
        for (name, _) in OPERATIONS {
            assert!(
                documented.iter().any(|d| d == name),
                "{name} is no operation"
            );
        }
    }

    #[test]
    fn the_words_come_from_the_table() {
        let text = who_may_call(&Who::Holders(&[Right::ApproveSubsidy]));
        assert!(text.contains("`finance` (in their programme)"), "{text}");
        assert!(!text.contains("`city_admin`"), "{text}");
        let acts = who_may_call(&Who::Lifecycle);
        assert!(acts.contains("- `submit`: `enterprise`"), "{acts}");
    }
}
