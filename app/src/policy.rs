//! The one table of rights (DOMAIN.md §2): every right the system grants,
//! which roles hold it, and how far it reaches for each (its scope rule).
//! Every use case starts by asking this table for its right; the same
//! answer ([`Reach`]) decides a single object and filters a list, so a list
//! never shows what a single read refuses.
//!
//! Reading the table: `(Role::CountyAdmin, Regions)` on `EditEnterpriseEnrolment`
//! means a county office may change the enrolment of enterprises in the
//! regions of its grant, in its grant's programme. A right no grant holds
//! is 403 before anything is looked up; an object outside the reach of
//! the right to read it is 404.

use shuzhuan_lifecycle::{ProjectAction, rule};
use shuzhuan_types::{Reach, Role, Target};

use crate::error::AppError;
use crate::principal::Principal;

/// How far a role's grant reaches for a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere.
    All,
    /// Objects of the grant's programme.
    Programme,
    /// Objects of the grant's programme in the grant's regions.
    Regions,
    /// The grant's enterprise and what belongs to it.
    OwnEnterprise,
    /// The grant's provider, what belongs to it and what it serves.
    OwnProvider,
    /// Projects of the grant's programme assigned to the user in the
    /// grant's role, and what belongs to them.
    Assigned,
    /// Objects the user owns (webhooks, API tokens, what they recorded).
    Owned,
    /// Objects no programme holds yet (a provider before any pool admits it).
    Unclaimed,
}

macro_rules! rights {
    ($($(#[$doc:meta])* $right:ident => $en:literal, $zh:literal;)*) => {
        /// A right: what a caller may do (or read).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Right {
            $($(#[$doc])* $right,)*
            /// Take a project action (the lifecycle table of DOMAIN.md §4
            /// says which roles; each acts within its project scope).
            Act(ProjectAction),
        }

        impl Right {
            /// Every right but the project actions, in table order.
            pub const PLAIN: &'static [Right] = &[$(Right::$right,)*];

            /// What the right lets one do, for messages.
            pub fn name(self) -> &'static str {
                match self {
                    $(Right::$right => $en,)*
                    Right::Act(_) => "take this action on the project",
                }
            }

            pub fn name_zh(self) -> &'static str {
                match self {
                    $(Right::$right => $zh,)*
                    Right::Act(_) => "对该项目执行此操作",
                }
            }
        }
    };
}

rights! {
    ReadProgramme => "read the programme", "查看试点";
    CreateProgramme => "create programmes", "创建试点";
    EditProgramme => "edit the programme", "修改试点";
    /// Plan batches and move them through their life.
    RunBatches => "plan and move batches", "管理批次";
    SetDocumentRequirements => "set document requirements", "设置材料要求";
    ManageUsers => "manage users and their grants", "管理用户与授权";
    ReadEnterprise => "read enterprises", "查看企业";
    RegisterEnterprise => "register enterprises", "登记企业";
    /// Name and contact: what an enterprise's own staff keep up to date.
    EditEnterpriseProfile => "edit an enterprise's profile", "修改企业基本信息";
    /// Region, industry, size, tier, flags and figures: what feeds the
    /// targets, decided by the programme's offices.
    EditEnterpriseEnrolment => "change an enterprise's enrolment", "修改企业入库信息";
    ImportEnterprises => "import enterprises", "导入企业";
    ReadProvider => "read providers", "查看服务商";
    RegisterProvider => "register providers", "登记服务商";
    MaintainProvider => "maintain this provider", "维护该服务商";
    ImportProviders => "import providers", "导入服务商";
    ReadProduct => "read products", "查看产品";
    MaintainProduct => "add or change products of this provider", "维护该服务商的产品";
    ImportProducts => "import products", "导入产品";
    ApplyToPool => "apply to the programme's pool or library", "申请入池或入库";
    DecideAdmission => "change the pool or library", "审核资源池与产品库";
    ReadProject => "read projects", "查看项目";
    ApplyForProject => "apply for a project", "申报项目";
    WritePlan => "write the plan", "编写改造方案";
    ReportProgress => "report progress", "报送进度";
    AssignToProject => "assign evaluators, auditors and experts", "指派评测、审计人员和专家";
    AttachDocument => "attach documents", "上传材料";
    RecordSelfAssessment => "record self-assessments", "记录自评";
    RecordDiagnosis => "record diagnoses", "记录诊断评测";
    RecordAcceptance => "record acceptance evaluations", "记录验收评测";
    ReadAssessment => "read assessments", "查看评测";
    ReadIndicatorSets => "read the indicator sets", "查看评测指标";
    /// Score answers without storing them.
    ScoreAssessment => "score answers", "试算评测";
    AuthorPolicy => "author subsidy policies", "制定奖补政策";
    ReadMoney => "read the programme's subsidies", "查看奖补资金";
    ReadLedger => "read an enterprise's subsidy ledger", "查看企业奖补台账";
    ManagePools => "manage budget pools", "管理资金池";
    ProposeSubsidy => "propose subsidy decisions and awards", "提出奖补决定";
    ApproveSubsidy => "approve subsidies (finance)", "审批奖补（财政）";
    Disburse => "disburse subsidies (finance)", "拨付奖补（财政）";
    ReadTargets => "read the programme's targets and monitoring", "查看目标与监测";
    SetTargets => "set targets", "设定目标";
    SetThresholds => "set monitoring and risk thresholds", "设定监测与风险阈值";
    /// Risk flags and scores: officials only, never the enterprise or the
    /// provider they are about.
    ReadRisks => "read risk flags and scores", "查看风险线索";
    RunSpotCheck => "run spot checks", "组织抽查";
    /// Self-evaluation reports (绩效自评): frozen once issued.
    IssueEvaluations => "issue self-evaluation reports", "出具绩效自评报告";
    ReadEvaluations => "read self-evaluation reports", "查看绩效自评报告";
    RecordFinding => "record findings (the drawn inspector or the city_admin)", "记录抽查结论";
    NominateBenchmark => "nominate this subject", "推荐标杆";
    ReviewBenchmark => "review benchmarks", "评审标杆";
    DecideBenchmark => "decide benchmarks", "认定标杆";
    RecordEvent => "record events", "记录活动";
    RecordFinanceProduct => "record finance products", "记录金融产品";
    ReadFeed => "read the change feed", "读取变更流";
    /// Users, grants, sessions, tokens and webhooks in the feed.
    ReadInternalFeed => "read the deployment's internal changes", "读取系统内部变更";
    ReadAuditLog => "read the audit log", "查看审计日志";
    VerifyAuditLog => "verify the audit log", "校验审计日志";
    ManageWebhooks => "manage webhooks", "管理 Webhook";
    EnableWebhook => "enable a webhook", "启用 Webhook";
    ManageApiTokens => "manage API tokens", "管理 API 令牌";
}

use Role as R;
use Scope as S;

/// Everyone who reads a project, each in its project scope.
const PROJECT_READERS: &[(Role, Scope)] = &[
    (R::PlatformAdmin, S::All),
    (R::CityAdmin, S::Programme),
    (R::Finance, S::Programme),
    (R::Observer, S::Programme),
    (R::CountyAdmin, S::Regions),
    (R::Enterprise, S::OwnEnterprise),
    (R::Provider, S::OwnProvider),
    (R::Evaluator, S::Assigned),
    (R::Auditor, S::Assigned),
    (R::Expert, S::Assigned),
];

/// The pilot office of the programme, and the platform.
const OFFICE: &[(Role, Scope)] = &[(R::PlatformAdmin, S::All), (R::CityAdmin, S::Programme)];

const EVERYONE_EVERYWHERE: &[(Role, Scope)] = &[
    (R::PlatformAdmin, S::All),
    (R::CityAdmin, S::All),
    (R::Finance, S::All),
    (R::CountyAdmin, S::All),
    (R::Enterprise, S::All),
    (R::Provider, S::All),
    (R::Evaluator, S::All),
    (R::Auditor, S::All),
    (R::Expert, S::All),
    (R::SyncClient, S::All),
    (R::Observer, S::All),
];

const EVERYONE_OWN: &[(Role, Scope)] = &[
    (R::PlatformAdmin, S::All),
    (R::CityAdmin, S::Owned),
    (R::Finance, S::Owned),
    (R::CountyAdmin, S::Owned),
    (R::Enterprise, S::Owned),
    (R::Provider, S::Owned),
    (R::Evaluator, S::Owned),
    (R::Auditor, S::Owned),
    (R::Expert, S::Owned),
    (R::SyncClient, S::Owned),
    (R::Observer, S::Owned),
];

/// The national registries (providers, products): every programme role
/// and every applicant browses them; a provider's staff see their own.
const REGISTRY_READERS: &[(Role, Scope)] = &[
    (R::PlatformAdmin, S::All),
    (R::SyncClient, S::All),
    (R::CityAdmin, S::All),
    (R::Finance, S::All),
    (R::CountyAdmin, S::All),
    (R::Evaluator, S::All),
    (R::Auditor, S::All),
    (R::Expert, S::All),
    (R::Observer, S::All),
    (R::Enterprise, S::All),
    (R::Provider, S::OwnProvider),
];

/// Who maintains a provider and its products: the platform and sync
/// clients, the provider's staff, the pilot office of a programme whose
/// pool holds it, and any pilot office while no pool does (it registered
/// it to admit it).
const PROVIDER_MAINTAINERS: &[(Role, Scope)] = &[
    (R::PlatformAdmin, S::All),
    (R::SyncClient, S::All),
    (R::Provider, S::OwnProvider),
    (R::CityAdmin, S::Programme),
    (R::CityAdmin, S::Unclaimed),
];

const MONEY_READERS: &[(Role, Scope)] = &[
    (R::PlatformAdmin, S::All),
    (R::CityAdmin, S::Programme),
    (R::Finance, S::Programme),
    (R::Observer, S::Programme),
    (R::Auditor, S::Programme),
];

/// The table: who holds each right, and how far. Project actions are not
/// rows: their roles are the lifecycle's table (`shuzhuan_lifecycle::RULES`),
/// see [`Right::holders`].
pub const RIGHTS: &[(Right, &[(Role, Scope)])] = &[
    (
        Right::ReadProgramme,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::CountyAdmin, S::Programme),
            (R::Evaluator, S::Programme),
            (R::Auditor, S::Programme),
            (R::Expert, S::Programme),
            (R::Observer, S::Programme),
            // Enterprises, providers and sync clients deal with national
            // entities and browse every programme (they apply to them).
            (R::Enterprise, S::All),
            (R::Provider, S::All),
            (R::SyncClient, S::All),
        ],
    ),
    (Right::CreateProgramme, &[(R::PlatformAdmin, S::All)]),
    (Right::EditProgramme, OFFICE),
    (Right::RunBatches, OFFICE),
    (Right::SetDocumentRequirements, OFFICE),
    (Right::ManageUsers, &[(R::PlatformAdmin, S::All)]),
    (
        Right::ReadEnterprise,
        &[
            (R::PlatformAdmin, S::All),
            (R::SyncClient, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::Observer, S::Programme),
            (R::CountyAdmin, S::Regions),
            (R::Enterprise, S::OwnEnterprise),
            (R::Provider, S::OwnProvider),
            (R::Evaluator, S::Assigned),
            (R::Auditor, S::Assigned),
            (R::Expert, S::Assigned),
        ],
    ),
    (
        Right::RegisterEnterprise,
        &[
            (R::PlatformAdmin, S::All),
            (R::SyncClient, S::All),
            (R::CityAdmin, S::Programme),
        ],
    ),
    (
        Right::EditEnterpriseProfile,
        &[
            (R::PlatformAdmin, S::All),
            (R::SyncClient, S::All),
            (R::CityAdmin, S::Programme),
            (R::CountyAdmin, S::Regions),
            (R::Enterprise, S::OwnEnterprise),
        ],
    ),
    (
        Right::EditEnterpriseEnrolment,
        &[
            (R::PlatformAdmin, S::All),
            (R::SyncClient, S::All),
            (R::CityAdmin, S::Programme),
            (R::CountyAdmin, S::Regions),
        ],
    ),
    (Right::ImportEnterprises, OFFICE),
    (Right::ReadProvider, REGISTRY_READERS),
    (
        Right::RegisterProvider,
        &[
            (R::PlatformAdmin, S::All),
            (R::SyncClient, S::All),
            (R::CityAdmin, S::Unclaimed),
        ],
    ),
    (Right::MaintainProvider, PROVIDER_MAINTAINERS),
    (Right::ImportProviders, OFFICE),
    (Right::ReadProduct, REGISTRY_READERS),
    (Right::MaintainProduct, PROVIDER_MAINTAINERS),
    (Right::ImportProducts, OFFICE),
    (
        Right::ApplyToPool,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Provider, S::OwnProvider),
        ],
    ),
    (Right::DecideAdmission, OFFICE),
    (Right::ReadProject, PROJECT_READERS),
    (Right::ApplyForProject, &[(R::Enterprise, S::OwnEnterprise)]),
    (
        Right::WritePlan,
        &[
            (R::Enterprise, S::OwnEnterprise),
            (R::Provider, S::OwnProvider),
        ],
    ),
    (Right::ReportProgress, &[(R::Provider, S::OwnProvider)]),
    (Right::AssignToProject, OFFICE),
    (
        Right::AttachDocument,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::CountyAdmin, S::Regions),
            (R::Enterprise, S::OwnEnterprise),
            (R::Provider, S::OwnProvider),
            (R::Evaluator, S::Assigned),
            (R::Auditor, S::Assigned),
            (R::Expert, S::Assigned),
        ],
    ),
    (
        Right::RecordSelfAssessment,
        &[(R::Enterprise, S::OwnEnterprise)],
    ),
    (Right::RecordDiagnosis, &[(R::Provider, S::OwnProvider)]),
    (Right::RecordAcceptance, &[(R::Evaluator, S::Assigned)]),
    (
        Right::ReadAssessment,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::Observer, S::Programme),
            (R::CountyAdmin, S::Regions),
            (R::Enterprise, S::OwnEnterprise),
            (R::Provider, S::OwnProvider),
            (R::Provider, S::Owned),
            (R::Evaluator, S::Assigned),
            (R::Evaluator, S::Owned),
            (R::Auditor, S::Assigned),
            (R::Expert, S::Assigned),
        ],
    ),
    (Right::ReadIndicatorSets, EVERYONE_EVERYWHERE),
    (Right::ScoreAssessment, EVERYONE_EVERYWHERE),
    (Right::AuthorPolicy, OFFICE),
    (Right::ReadMoney, MONEY_READERS),
    (
        Right::ReadLedger,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::Observer, S::Programme),
            (R::Auditor, S::Programme),
            (R::Enterprise, S::OwnEnterprise),
        ],
    ),
    (
        Right::ManagePools,
        &[(R::PlatformAdmin, S::All), (R::Finance, S::Programme)],
    ),
    (Right::ProposeSubsidy, OFFICE),
    // Finance's alone: not even a platform admin approves or pays.
    (Right::ApproveSubsidy, &[(R::Finance, S::Programme)]),
    (Right::Disburse, &[(R::Finance, S::Programme)]),
    (
        Right::ReadTargets,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::CountyAdmin, S::Programme),
            (R::Observer, S::Programme),
        ],
    ),
    (Right::SetTargets, OFFICE),
    (Right::SetThresholds, OFFICE),
    (
        Right::ReadRisks,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::CountyAdmin, S::Programme),
            (R::Observer, S::Programme),
        ],
    ),
    (Right::RunSpotCheck, OFFICE),
    (Right::IssueEvaluations, OFFICE),
    (
        Right::ReadEvaluations,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
            (R::Observer, S::Programme),
        ],
    ),
    (
        Right::RecordFinding,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Expert, S::Assigned),
            (R::Evaluator, S::Assigned),
        ],
    ),
    (
        Right::NominateBenchmark,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::CountyAdmin, S::Programme),
            (R::Enterprise, S::OwnEnterprise),
            (R::Provider, S::OwnProvider),
        ],
    ),
    (
        Right::ReviewBenchmark,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Expert, S::Programme),
        ],
    ),
    (Right::DecideBenchmark, OFFICE),
    (
        Right::RecordEvent,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::CountyAdmin, S::Regions),
        ],
    ),
    (
        Right::RecordFinanceProduct,
        &[
            (R::PlatformAdmin, S::All),
            (R::CityAdmin, S::Programme),
            (R::Finance, S::Programme),
        ],
    ),
    (
        Right::ReadFeed,
        &[(R::PlatformAdmin, S::All), (R::SyncClient, S::All)],
    ),
    (Right::ReadInternalFeed, &[(R::PlatformAdmin, S::All)]),
    (Right::ReadAuditLog, OFFICE),
    (Right::VerifyAuditLog, &[(R::PlatformAdmin, S::All)]),
    (
        Right::ManageWebhooks,
        &[(R::PlatformAdmin, S::All), (R::SyncClient, S::Owned)],
    ),
    (Right::EnableWebhook, &[(R::PlatformAdmin, S::All)]),
    (Right::ManageApiTokens, EVERYONE_OWN),
];

/// The scope a role has over a project (the project readers' row).
pub fn project_scope(role: Role) -> Option<Scope> {
    PROJECT_READERS
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, s)| *s)
}

impl Right {
    /// Who holds the right, and how far.
    pub fn holders(self) -> Vec<(Role, Scope)> {
        match self {
            Right::Act(action) => {
                let roles = rule(action).roles;
                let mut out: Vec<(Role, Scope)> = roles
                    .iter()
                    .filter_map(|r| project_scope(*r).map(|s| (*r, s)))
                    .collect();
                // The platform acts as the pilot office (never as finance).
                if roles.contains(&R::CityAdmin) {
                    out.push((R::PlatformAdmin, S::All));
                }
                out
            }
            plain => RIGHTS
                .iter()
                .find(|(r, _)| *r == plain)
                .map(|(_, holders)| holders.to_vec())
                .unwrap_or_default(),
        }
    }

    /// Every right, the project actions included.
    pub fn all() -> Vec<Right> {
        Right::PLAIN
            .iter()
            .copied()
            .chain(ProjectAction::ALL.iter().map(|a| Right::Act(*a)))
            .collect()
    }
}

/// The reach of `right` for the principal: the union of the clauses its
/// grants give.
pub fn reach(who: &Principal, right: Right) -> Reach {
    reach_of(&who.user_id, who.grants.iter(), right)
}

/// The reach of `right` for the grants of one user (a webhook's owner,
/// an assignee): the same table, without a request.
pub fn reach_of<'g>(
    user_id: &str,
    grants: impl IntoIterator<Item = &'g shuzhuan_types::Grant>,
    right: Right,
) -> Reach {
    let holders = right.holders();
    let mut r = Reach::none(user_id);
    for g in grants {
        for (_, scope) in holders.iter().filter(|(role, _)| *role == g.role()) {
            let program = g.program_id().map(str::to_owned);
            match scope {
                S::All => r.all = true,
                S::Programme => r.programmes.extend(program),
                S::Regions => {
                    if let Some(p) = program {
                        r.regions.push((p, g.region_codes().to_vec()));
                    }
                }
                S::OwnEnterprise => r.enterprises.extend(g.enterprise_id().map(str::to_owned)),
                S::OwnProvider => r.providers.extend(g.provider_id().map(str::to_owned)),
                S::Assigned => {
                    if let Some(p) = program {
                        r.assigned.push((p, g.role()));
                    }
                }
                S::Owned => r.owned = true,
                S::Unclaimed => r.unclaimed = true,
            }
        }
    }
    r.programmes.sort();
    r.programmes.dedup();
    r.enterprises.sort();
    r.enterprises.dedup();
    r.providers.sort();
    r.providers.dedup();
    r
}

/// 403 unless some grant holds the right at all: asked before anything is
/// looked up, so a caller without the right learns nothing of what exists.
pub fn require(who: &Principal, right: Right) -> Result<Reach, AppError> {
    let r = reach(who, right);
    if r.is_empty() {
        Err(AppError::Forbidden(right))
    } else {
        Ok(r)
    }
}

/// A programme as a target (its structure, its lists).
pub fn programme(id: &str) -> Target<'_> {
    Target {
        programmes: vec![id],
        ..Default::default()
    }
}

/// 404 unless the caller reads the programme, then 403 unless `right`
/// reaches it: the check of every use case on a programme's collection.
pub fn require_in_programme(
    who: &Principal,
    right: Right,
    program_id: &str,
) -> Result<Reach, AppError> {
    let reach = require(who, right)?;
    let target = programme(program_id);
    who.sees(Right::ReadProgramme, &target)?;
    if reach.contains(&target) {
        Ok(reach)
    } else {
        Err(AppError::Forbidden(right))
    }
}

/// Whether the role can ever hold the right.
pub fn role_holds(role: Role, right: Right) -> bool {
    right.holders().iter().any(|(r, _)| *r == role)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The rights that change something (the others read).
    fn writes(right: Right) -> bool {
        use Right::*;
        !matches!(
            right,
            ReadProgramme
                | ReadEnterprise
                | ReadProvider
                | ReadProduct
                | ReadProject
                | ReadAssessment
                | ReadIndicatorSets
                | ScoreAssessment
                | ReadMoney
                | ReadLedger
                | ReadTargets
                | ReadRisks
                | ReadEvaluations
                | ReadFeed
                | ReadInternalFeed
                | ReadAuditLog
                | VerifyAuditLog
        )
    }

    fn written_by(role: Role) -> BTreeSet<String> {
        Right::all()
            .into_iter()
            .filter(|r| writes(*r) && role_holds(role, *r))
            .map(|r| format!("{r:?}"))
            .collect()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// DOMAIN.md §2, row by row: what each role may change ("typical
    /// rights"), and nothing more. Observers change nothing; finance only
    /// money; evaluators, auditors and experts only their assigned work.
    #[test]
    fn every_role_writes_what_domain_section_2_gives_it_and_nothing_else() {
        use ProjectAction as A;
        let act = |a: A| format!("{:?}", Right::Act(a));
        let mut city = set(&[
            "EditProgramme",
            "RunBatches",
            "SetDocumentRequirements",
            "RegisterEnterprise",
            "EditEnterpriseProfile",
            "EditEnterpriseEnrolment",
            "ImportEnterprises",
            "RegisterProvider",
            "MaintainProvider",
            "ImportProviders",
            "MaintainProduct",
            "ImportProducts",
            "ApplyToPool",
            "DecideAdmission",
            "AssignToProject",
            "AttachDocument",
            "AuthorPolicy",
            "ProposeSubsidy",
            "SetTargets",
            "SetThresholds",
            "RunSpotCheck",
            "IssueEvaluations",
            "RecordFinding",
            "NominateBenchmark",
            "ReviewBenchmark",
            "DecideBenchmark",
            "RecordEvent",
            "RecordFinanceProduct",
            "ManageApiTokens",
        ]);
        city.extend([A::Return, A::ApprovePlan, A::Resume, A::Disqualify].map(act));
        assert_eq!(written_by(Role::CityAdmin), city);

        let mut finance = set(&[
            "ManagePools",
            "ApproveSubsidy",
            "Disburse",
            "RecordFinanceProduct",
            "AttachDocument",
            "ManageApiTokens",
        ]);
        finance.extend([A::ApproveSubsidy, A::Disburse].map(act));
        assert_eq!(written_by(Role::Finance), finance);

        let mut county = set(&[
            "EditEnterpriseProfile",
            "EditEnterpriseEnrolment",
            "AttachDocument",
            "NominateBenchmark",
            "RecordEvent",
            "ManageApiTokens",
        ]);
        county.extend(
            [
                A::ApproveEnrolment,
                A::Return,
                A::ApprovePlan,
                A::PrecheckAcceptance,
            ]
            .map(act),
        );
        assert_eq!(written_by(Role::CountyAdmin), county);

        let mut enterprise = set(&[
            "EditEnterpriseProfile",
            "ApplyForProject",
            "WritePlan",
            "AttachDocument",
            "RecordSelfAssessment",
            "NominateBenchmark",
            "ManageApiTokens",
        ]);
        enterprise.extend(
            [
                A::Submit,
                A::ChooseProvider,
                A::FilePlan,
                A::RequestAcceptance,
                A::Withdraw,
            ]
            .map(act),
        );
        assert_eq!(written_by(Role::Enterprise), enterprise);

        let mut provider = set(&[
            "MaintainProvider",
            "MaintainProduct",
            "ApplyToPool",
            "WritePlan",
            "ReportProgress",
            "AttachDocument",
            "RecordDiagnosis",
            "NominateBenchmark",
            "ManageApiTokens",
        ]);
        provider.extend([A::RecordDiagnosis, A::FilePlan].map(act));
        assert_eq!(written_by(Role::Provider), provider);

        let mut evaluator = set(&[
            "AttachDocument",
            "RecordAcceptance",
            "RecordFinding",
            "ManageApiTokens",
        ]);
        evaluator.insert(act(A::RecordAcceptance));
        assert_eq!(written_by(Role::Evaluator), evaluator);

        let mut auditor = set(&["AttachDocument", "ManageApiTokens"]);
        auditor.insert(act(A::RecordAudit));
        assert_eq!(written_by(Role::Auditor), auditor);

        assert_eq!(
            written_by(Role::Expert),
            set(&[
                "AttachDocument",
                "RecordFinding",
                "ReviewBenchmark",
                "ManageApiTokens"
            ])
        );
        assert_eq!(
            written_by(Role::SyncClient),
            set(&[
                "RegisterEnterprise",
                "EditEnterpriseProfile",
                "EditEnterpriseEnrolment",
                "RegisterProvider",
                "MaintainProvider",
                "MaintainProduct",
                "ManageWebhooks",
                "ManageApiTokens"
            ])
        );
        assert_eq!(written_by(Role::Observer), set(&["ManageApiTokens"]));
    }

    #[test]
    fn finance_alone_approves_and_pays_and_the_platform_acts_as_the_pilot_office() {
        for right in [
            Right::ApproveSubsidy,
            Right::Disburse,
            Right::Act(ProjectAction::ApproveSubsidy),
            Right::Act(ProjectAction::Disburse),
        ] {
            let roles: Vec<Role> = right.holders().iter().map(|(r, _)| *r).collect();
            assert_eq!(roles, [Role::Finance], "{right:?}");
        }
        for a in [ProjectAction::ApprovePlan, ProjectAction::Disqualify] {
            assert!(role_holds(Role::PlatformAdmin, Right::Act(a)));
        }
        assert!(!role_holds(
            Role::PlatformAdmin,
            Right::Act(ProjectAction::Submit)
        ));
    }

    #[test]
    fn every_plain_right_has_exactly_one_row() {
        for right in Right::PLAIN {
            let rows = RIGHTS.iter().filter(|(r, _)| r == right).count();
            assert_eq!(rows, 1, "{right:?}");
        }
        assert_eq!(RIGHTS.len(), Right::PLAIN.len());
    }

    /// Provider and product lists filter by `all` and own providers only
    /// (persistence::repo::providers), so their read rights may use no
    /// other scope.
    #[test]
    fn registry_reads_reach_all_or_own_providers_only() {
        for right in [Right::ReadProvider, Right::ReadProduct] {
            for (_, scope) in right.holders() {
                assert!(matches!(scope, S::All | S::OwnProvider), "{right:?}");
            }
        }
    }

    #[test]
    fn a_grant_reaches_by_its_own_programme_regions_and_organisation() {
        let who = Principal::for_tests(
            "u1",
            vec![
                shuzhuan_types::Grant::new(
                    Role::CountyAdmin,
                    Some("p1".into()),
                    vec!["r1".into()],
                    None,
                    None,
                )
                .unwrap(),
                shuzhuan_types::Grant::new(Role::Evaluator, Some("p2".into()), vec![], None, None)
                    .unwrap(),
            ],
        );
        let r = reach(&who, Right::ReadProject);
        assert_eq!(r.regions, [("p1".to_owned(), vec!["r1".to_owned()])]);
        assert_eq!(r.assigned, [("p2".to_owned(), Role::Evaluator)]);
        assert!(!r.all && r.programmes.is_empty());
        assert!(matches!(
            require(&who, Right::ManageUsers),
            Err(AppError::Forbidden(Right::ManageUsers))
        ));
    }
}
