//! The kinds supervision and promotion record (DOMAIN.md §7): what a spot
//! check found, what an event was, what a finance product is.

shuzhuan_types::code_enum! {
    /// A spot check's finding on one project.
    pub enum FindingOutcome ("finding outcome") {
        /// 合规
        Compliant = "compliant",
        /// 建而不用: built but unused.
        BuiltButUnused = "built_but_unused",
        /// 新瓶装旧酒: old systems relabelled.
        OldWineInNewBottles = "old_wine_in_new_bottles",
        /// Not as contracted.
        ContractBreach = "contract_breach",
        Other = "other",
    }
}

impl FindingOutcome {
    /// A finding against the project, which lets the city disqualify it.
    pub fn is_adverse(self) -> bool {
        self != FindingOutcome::Compliant
    }
}

shuzhuan_types::code_enum! {
    /// An event the programme holds.
    pub enum EventKind ("event kind") {
        /// 供需对接
        Matchmaking = "matchmaking",
        /// 经验交流
        Exchange = "exchange",
        /// 培训
        Training = "training",
    }
}

shuzhuan_types::code_enum! {
    /// A digital-transformation finance product (金融产品).
    pub enum FinanceKind ("finance product kind") {
        Loan = "loan",
        Guarantee = "guarantee",
        Insurance = "insurance",
        Leasing = "leasing",
        Other = "other",
    }
}
