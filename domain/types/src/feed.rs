//! What the change feed announces (DOMAIN.md §8): the type of each object
//! changed, whether it is a business record the national platform syncs
//! or one of the deployment's internals, and the operation.

crate::code_enum! {
    /// Every type of object a write records in the audit log and the feed.
    pub enum ObjectType ("object type") {
        Program = "program",
        Batch = "batch",
        Enterprise = "enterprise",
        Provider = "provider",
        Product = "product",
        /// A provider's place in a programme's pool.
        ProviderPool = "provider_pool",
        /// A product's place in a programme's library.
        ProductLibrary = "product_library",
        Project = "project",
        ProjectAssignment = "project_assignment",
        Document = "document",
        DocumentRequirements = "document_requirements",
        Assessment = "assessment",
        SubsidyPolicy = "subsidy_policy",
        BudgetPool = "budget_pool",
        SubsidyDecision = "subsidy_decision",
        Disbursement = "disbursement",
        Target = "target",
        MonitoringSettings = "monitoring_settings",
        SpotCheck = "spot_check",
        SpotCheckFinding = "spot_check_finding",
        Benchmark = "benchmark",
        Event = "event",
        FinanceProduct = "finance_product",
        /// One issued version of a self-evaluation report (绩效自评).
        EvaluationReport = "evaluation_report",
        User = "user",
        Session = "session",
        ApiToken = "api_token",
        Webhook = "webhook",
    }
}

impl ObjectType {
    /// The deployment's own bookkeeping (users and their grants, login
    /// sessions, API tokens, webhooks): only a platform admin reads their
    /// events; sync clients get the business records.
    pub fn is_internal(self) -> bool {
        matches!(
            self,
            ObjectType::User | ObjectType::Session | ObjectType::ApiToken | ObjectType::Webhook
        )
    }

    /// The internal types, for excluding them from a feed query.
    pub fn internal() -> impl Iterator<Item = ObjectType> {
        ObjectType::ALL.iter().copied().filter(|t| t.is_internal())
    }
}

crate::code_enum! {
    /// The operation a change event announces.
    pub enum Op ("operation") {
        Create = "create",
        Update = "update",
        /// Withdrawn, closed or revoked: consumers drop or close it.
        Tombstone = "tombstone",
    }
}

crate::code_enum! {
    /// A webhook delivery's state.
    pub enum DeliveryStatus ("delivery status") {
        /// Waiting for its first attempt or a retry.
        Pending = "pending",
        Delivered = "delivered",
        /// Every attempt failed; the event stays in the feed.
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_sessions_tokens_and_webhooks_are_the_internal_types() {
        let internal: Vec<&str> = ObjectType::internal().map(ObjectType::as_str).collect();
        assert_eq!(internal, ["user", "session", "api_token", "webhook"]);
        for t in [
            ObjectType::Program,
            ObjectType::Enterprise,
            ObjectType::Project,
            ObjectType::SubsidyDecision,
            ObjectType::SpotCheckFinding,
        ] {
            assert!(!t.is_internal(), "{t}");
        }
    }
}
