//! Where subsidy money comes from and what a decision about it is
//! (DOMAIN.md §5).

shuzhuan_types::code_enum! {
    /// The source of a budget pool's funds.
    pub enum FundSource ("fund source") {
        /// 中央专项
        Central = "central",
        /// 地方配套
        Local = "local",
    }
}

shuzhuan_types::code_enum! {
    /// What a subsidy decision pays for.
    pub enum DecisionKind ("decision kind") {
        /// The transformation subsidy of a project's acceptance and audit;
        /// it counts against the enterprise's cap in the programme.
        Transformation = "transformation",
        /// An award of the policy (chain master, benchmark …).
        Award = "award",
    }
}

shuzhuan_types::code_enum! {
    /// A decision is proposed by the pilot office, then approved by
    /// finance, which commits its amount.
    pub enum DecisionState ("decision state") {
        Proposed = "proposed",
        Approved = "approved",
    }
}
