//! The kinds of document pilot platforms ask for (DOMAIN.md §3), which a
//! programme may require before a project action.

shuzhuan_types::code_enum! {
    /// What an uploaded document is.
    pub enum DocumentKind ("document kind") {
        /// 合同
        Contract = "contract",
        /// 诊断报告
        DiagnosisReport = "diagnosis_report",
        /// 实施方案: the transformation plan.
        Plan = "plan",
        /// 评估计划: the plan of a pre-assessment (Jinan 001: part of the
        /// 预评估咨询报告), not the transformation plan.
        AssessmentPlan = "assessment_plan",
        /// 合同备案: the filing of the contract on the platform (Jinan 001).
        ContractFiling = "contract_filing",
        /// 项目备案: the enterprise's filing of the project (Changji 002).
        ProjectFiling = "project_filing",
        /// 进度佐证
        ProgressEvidence = "progress_evidence",
        /// 验收报告
        AcceptanceReport = "acceptance_report",
        /// 审计报告
        AuditReport = "audit_report",
        /// 发票及银行回单
        Invoice = "invoice",
        /// 现场图片
        Photo = "photo",
        /// 人员签到表
        SignInSheet = "sign_in_sheet",
        /// 满意度调查表
        SatisfactionSurvey = "satisfaction_survey",
        /// 改造前自评估报告
        SelfAssessmentReport = "self_assessment_report",
        /// 真实性承诺
        TruthfulnessStatement = "truthfulness_statement",
        /// 奖补申请承诺函
        CommitmentLetter = "commitment_letter",
        Other = "other",
    }
}
