//! Where subsidy money comes from and what a decision about it is
//! (DOMAIN.md §5).

shuzhuan_types::code_enum! {
    /// The source of a budget pool's funds: the level of government that
    /// put the money in, which its earmarks and the evaluation's
    /// per-source figures follow.
    pub enum FundSource ("fund source") {
        /// 中央财政专项资金 (central special funds).
        Central = "central",
        /// 省级（自治区）财政资金 (provincial or autonomous-region funds).
        Provincial = "provincial",
        /// 市级财政资金 (city funds).
        City = "city",
        /// 县（区）级财政资金 (county or district funds).
        County = "county",
        /// 地方配套, local matching not split by level (kept for pools
        /// created before the levels were told apart).
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
