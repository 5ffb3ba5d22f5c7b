//! The project (改造项目) life of DOMAIN.md §4, as one table a reader can
//! check against the diagram: which action, from which states, to which
//! state, by which roles. Guards that need facts about the project (the
//! acceptance level, the county's plan approval, the batch's state) are
//! in [`decide`] next to the table; the API only asks this module.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shuzhuan_types::Role;

use crate::{BatchState, BatchWindow, WindowBound};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectState {
    #[default]
    Draft,
    Submitted,
    Enrolled,
    Matched,
    Diagnosed,
    PlanFiled,
    Implementing,
    AcceptanceRequested,
    AcceptancePrechecked,
    Accepted,
    Rectification,
    Audited,
    SubsidyApproved,
    Disbursed,
    Withdrawn,
    Disqualified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectAction {
    Submit,
    ApproveEnrolment,
    Return,
    ChooseProvider,
    RecordDiagnosis,
    FilePlan,
    ApprovePlan,
    RequestAcceptance,
    PrecheckAcceptance,
    RecordAcceptance,
    Resume,
    RecordAudit,
    ApproveSubsidy,
    Disburse,
    Withdraw,
    Disqualify,
}

use ProjectAction as A;
use ProjectState as S;
use shuzhuan_types::Role as R;

/// One arrow of the diagram. `to` is where the action normally leads;
/// [`decide`] overrides it for `return` (back one step), `approve_plan`
/// (the county's approval keeps the state) and `record_acceptance`
/// (rectification below level 2).
pub struct Rule {
    pub action: ProjectAction,
    pub from: &'static [ProjectState],
    pub to: ProjectState,
    pub roles: &'static [Role],
}

/// Everything before acceptance, from which the enterprise may withdraw.
const BEFORE_ACCEPTED: &[ProjectState] = &[
    S::Draft,
    S::Submitted,
    S::Enrolled,
    S::Matched,
    S::Diagnosed,
    S::PlanFiled,
    S::Implementing,
    S::AcceptanceRequested,
    S::AcceptancePrechecked,
    S::Rectification,
];

/// Every state that is not final, from which the city may disqualify.
const NOT_FINAL: &[ProjectState] = &[
    S::Draft,
    S::Submitted,
    S::Enrolled,
    S::Matched,
    S::Diagnosed,
    S::PlanFiled,
    S::Implementing,
    S::AcceptanceRequested,
    S::AcceptancePrechecked,
    S::Accepted,
    S::Rectification,
    S::Audited,
    S::SubsidyApproved,
];

/// The table of DOMAIN.md §4, row for row.
pub const RULES: [Rule; 16] = [
    Rule {
        action: A::Submit,
        from: &[S::Draft],
        to: S::Submitted,
        roles: &[R::Enterprise],
    },
    Rule {
        action: A::ApproveEnrolment,
        from: &[S::Submitted],
        to: S::Enrolled,
        roles: &[R::CountyAdmin],
    },
    Rule {
        action: A::Return,
        from: &[S::Submitted, S::PlanFiled],
        to: S::Draft,
        roles: &[R::CountyAdmin, R::CityAdmin],
    },
    Rule {
        action: A::ChooseProvider,
        from: &[S::Enrolled],
        to: S::Matched,
        roles: &[R::Enterprise],
    },
    Rule {
        action: A::RecordDiagnosis,
        from: &[S::Matched],
        to: S::Diagnosed,
        roles: &[R::Provider],
    },
    Rule {
        action: A::FilePlan,
        from: &[S::Diagnosed],
        to: S::PlanFiled,
        roles: &[R::Provider, R::Enterprise],
    },
    Rule {
        action: A::ApprovePlan,
        from: &[S::PlanFiled],
        to: S::Implementing,
        roles: &[R::CountyAdmin, R::CityAdmin],
    },
    Rule {
        action: A::RequestAcceptance,
        from: &[S::Implementing],
        to: S::AcceptanceRequested,
        roles: &[R::Enterprise],
    },
    Rule {
        action: A::PrecheckAcceptance,
        from: &[S::AcceptanceRequested],
        to: S::AcceptancePrechecked,
        roles: &[R::CountyAdmin],
    },
    Rule {
        action: A::RecordAcceptance,
        from: &[S::AcceptancePrechecked],
        to: S::Accepted,
        roles: &[R::Evaluator],
    },
    Rule {
        action: A::Resume,
        from: &[S::Rectification],
        to: S::Implementing,
        roles: &[R::CityAdmin],
    },
    Rule {
        action: A::RecordAudit,
        from: &[S::Accepted],
        to: S::Audited,
        roles: &[R::Auditor],
    },
    Rule {
        action: A::ApproveSubsidy,
        from: &[S::Audited],
        to: S::SubsidyApproved,
        roles: &[R::Finance],
    },
    Rule {
        action: A::Disburse,
        from: &[S::SubsidyApproved],
        to: S::Disbursed,
        roles: &[R::Finance],
    },
    Rule {
        action: A::Withdraw,
        from: BEFORE_ACCEPTED,
        to: S::Withdrawn,
        roles: &[R::Enterprise],
    },
    Rule {
        action: A::Disqualify,
        from: NOT_FINAL,
        to: S::Disqualified,
        roles: &[R::CityAdmin],
    },
];

/// The acceptance level that passes unless a programme says otherwise
/// (each programme's own is in its pack: DOMAIN.md §4).
pub const DEFAULT_PASS_LEVEL: u8 = 2;

/// What [`decide`] needs to know beyond the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub batch: BatchState,
    /// The county approved the plan already (the city's approval moves it).
    pub county_approved_plan: bool,
    /// The level of the acceptance assessment, for `record_acceptance`.
    pub acceptance_level: Option<u8>,
    /// The programme's pass level: an acceptance below it goes to
    /// rectification.
    pub pass_level: u8,
    /// The batch's dates and the day of the request: applications and
    /// acceptance requests outside them are refused.
    pub window: BatchWindow,
    pub today: NaiveDate,
    /// For `disburse`: this payment settles the approved amount in full.
    pub pays_in_full: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    #[error("role {role} may not `{action}`")]
    RoleNotAllowed { role: Role, action: ProjectAction },
    #[error("action `{action}` is not allowed from state `{from}`")]
    NotAllowedFrom {
        from: ProjectState,
        action: ProjectAction,
    },
    #[error("the batch is `{batch}`: `{action}` is not allowed now")]
    BatchWindow {
        batch: BatchState,
        action: ProjectAction,
    },
    #[error("{bound}: `{action}` is not taken")]
    OutsideWindow {
        bound: WindowBound,
        action: ProjectAction,
    },
    #[error("the county approves the plan before the city")]
    CountyApprovalFirst,
    #[error("the county has approved this plan already")]
    AlreadyApproved,
    #[error("`record_acceptance` needs the acceptance assessment's level")]
    LevelRequired,
}

/// The rule for `action`.
pub fn rule(action: ProjectAction) -> &'static Rule {
    // RULES has one row per action, in ALL order (checked by a test).
    &RULES[ProjectAction::ALL
        .iter()
        .position(|a| *a == action)
        .unwrap_or_default()]
}

/// Whether the batch's state allows `action`: applications only while it
/// is open, acceptance requests while it implements or accepts; a closed
/// (or not yet opened) batch takes withdrawals and disqualifications, and
/// the audit, approval and payment of what was accepted.
pub fn batch_allows(batch: BatchState, action: ProjectAction) -> bool {
    match action {
        // What was accepted is audited, approved and paid (or settled)
        // also after the batch closes: closing never strands it.
        A::Withdraw | A::Disqualify | A::RecordAudit | A::ApproveSubsidy | A::Disburse => true,
        A::Submit => batch == BatchState::Open,
        A::RequestAcceptance => {
            matches!(batch, BatchState::Implementing | BatchState::Accepting)
        }
        _ => matches!(
            batch,
            BatchState::Open | BatchState::Implementing | BatchState::Accepting
        ),
    }
}

/// The state `action` by `role` leads to from `from`, or why not.
pub fn decide(
    from: ProjectState,
    action: ProjectAction,
    role: Role,
    facts: &Facts,
) -> Result<ProjectState, ProjectError> {
    let r = rule(action);
    if !r.roles.contains(&role) {
        return Err(ProjectError::RoleNotAllowed { role, action });
    }
    if !r.from.contains(&from) {
        return Err(ProjectError::NotAllowedFrom { from, action });
    }
    if !batch_allows(facts.batch, action) {
        return Err(ProjectError::BatchWindow {
            batch: facts.batch,
            action,
        });
    }
    if let Some(bound) = facts.window.refuses(action, facts.today) {
        return Err(ProjectError::OutsideWindow { bound, action });
    }
    Ok(match action {
        A::Return if from == S::PlanFiled => S::Diagnosed,
        A::ApprovePlan => match (role, facts.county_approved_plan) {
            (R::CountyAdmin, false) => S::PlanFiled,
            (R::CountyAdmin, true) => return Err(ProjectError::AlreadyApproved),
            (_, false) => return Err(ProjectError::CountyApprovalFirst),
            (_, true) => S::Implementing,
        },
        A::RecordAcceptance => match facts.acceptance_level {
            Some(level) if level >= facts.pass_level => S::Accepted,
            Some(_) => S::Rectification,
            None => return Err(ProjectError::LevelRequired),
        },
        A::Disburse if !facts.pays_in_full => S::SubsidyApproved,
        _ => r.to,
    })
}

/// The actions a caller holding `roles` could take now, each with the role
/// it would act in (the first of the caller's roles the rule names).
pub fn next_actions(
    from: ProjectState,
    roles: &[Role],
    facts: &Facts,
) -> Vec<(ProjectAction, Role)> {
    let facts = Facts {
        acceptance_level: facts.acceptance_level.or(Some(facts.pass_level)),
        ..*facts
    };
    ProjectAction::ALL
        .iter()
        .filter_map(|&a| {
            acting_role(a, roles, &facts)
                .filter(|role| decide(from, a, *role, &facts).is_ok())
                .map(|role| (a, role))
        })
        .collect()
}

/// Why an action is not open to a caller now, so a UI can explain a
/// missing button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// Another role's action: these roles take it.
    OtherRoles(&'static [Role]),
    /// Taken from these states only.
    State(&'static [ProjectState]),
    /// The batch's state does not take it now.
    BatchWindow(BatchState),
    /// The batch's dates do not take it today.
    Dates(WindowBound),
    /// The county approves the plan before the city.
    CountyApprovalFirst,
    /// The county approved the plan already; the city's turn.
    AlreadyApproved,
}

/// Every action not among [`next_actions`], with why: the two together
/// are all the actions, each once.
pub fn blocked_actions(
    from: ProjectState,
    roles: &[Role],
    facts: &Facts,
) -> Vec<(ProjectAction, Blocked)> {
    let facts = Facts {
        acceptance_level: facts.acceptance_level.or(Some(facts.pass_level)),
        ..*facts
    };
    ProjectAction::ALL
        .iter()
        .filter_map(|&a| {
            let Some(role) = acting_role(a, roles, &facts) else {
                return Some((a, Blocked::OtherRoles(rule(a).roles)));
            };
            let why = match decide(from, a, role, &facts).err()? {
                ProjectError::NotAllowedFrom { .. } | ProjectError::LevelRequired => {
                    Blocked::State(rule(a).from)
                }
                ProjectError::BatchWindow { batch, .. } => Blocked::BatchWindow(batch),
                ProjectError::OutsideWindow { bound, .. } => Blocked::Dates(bound),
                ProjectError::CountyApprovalFirst => Blocked::CountyApprovalFirst,
                ProjectError::AlreadyApproved => Blocked::AlreadyApproved,
                ProjectError::RoleNotAllowed { .. } => Blocked::OtherRoles(rule(a).roles),
            };
            Some((a, why))
        })
        .collect()
}

/// The role a caller holding `roles` acts in for `action`: for the plan's
/// approval the county's turn comes first, otherwise the first role the
/// rule names.
pub fn acting_role(action: ProjectAction, roles: &[Role], facts: &Facts) -> Option<Role> {
    let allowed = rule(action).roles;
    if action == A::ApprovePlan && roles.contains(&R::CountyAdmin) && !facts.county_approved_plan {
        return Some(R::CountyAdmin);
    }
    allowed.iter().find(|r| roles.contains(r)).copied()
}

impl ProjectState {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            ProjectState::Draft => {
                "Being written by the enterprise (草稿): where every project starts."
            }
            ProjectState::Submitted => "Applied, waiting for the county (申报).",
            ProjectState::Enrolled => "Approved by the county into the batch (入库).",
            ProjectState::Matched => "A provider from the pool chosen (对接服务商).",
            ProjectState::Diagnosed => {
                "The provider's diagnosis recorded: the level before (诊断)."
            }
            ProjectState::PlanFiled => "Plan and contract filed (方案备案).",
            ProjectState::Implementing => {
                "Plan approved by county and city; transformation under way (实施)."
            }
            ProjectState::AcceptanceRequested => "The enterprise asked for acceptance (申请验收).",
            ProjectState::AcceptancePrechecked => "The county's pre-check done (初验).",
            ProjectState::Accepted => {
                "Third-party acceptance passed at level 2 or higher (验收通过)."
            }
            ProjectState::Rectification => "Acceptance failed: rectify by a deadline (限期整改).",
            ProjectState::Audited => "Eligible investment verified (审计).",
            ProjectState::SubsidyApproved => "The subsidy decided and approved (奖补核定).",
            ProjectState::Disbursed => "The subsidy paid (拨付): final.",
            ProjectState::Withdrawn => "Withdrawn by the enterprise (撤回): final.",
            ProjectState::Disqualified => {
                "Removed, e.g. on a spot-check finding of fake transformation."
            }
        }
    }

    pub const ALL: [ProjectState; 16] = [
        S::Draft,
        S::Submitted,
        S::Enrolled,
        S::Matched,
        S::Diagnosed,
        S::PlanFiled,
        S::Implementing,
        S::AcceptanceRequested,
        S::AcceptancePrechecked,
        S::Accepted,
        S::Rectification,
        S::Audited,
        S::SubsidyApproved,
        S::Disbursed,
        S::Withdrawn,
        S::Disqualified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            S::Draft => "draft",
            S::Submitted => "submitted",
            S::Enrolled => "enrolled",
            S::Matched => "matched",
            S::Diagnosed => "diagnosed",
            S::PlanFiled => "plan_filed",
            S::Implementing => "implementing",
            S::AcceptanceRequested => "acceptance_requested",
            S::AcceptancePrechecked => "acceptance_prechecked",
            S::Accepted => "accepted",
            S::Rectification => "rectification",
            S::Audited => "audited",
            S::SubsidyApproved => "subsidy_approved",
            S::Disbursed => "disbursed",
            S::Withdrawn => "withdrawn",
            S::Disqualified => "disqualified",
        }
    }

    /// No action leads out of it.
    pub fn is_final(self) -> bool {
        matches!(self, S::Disbursed | S::Withdrawn | S::Disqualified)
    }
}

impl ProjectAction {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            ProjectAction::Submit => "The enterprise applies (申报).",
            ProjectAction::ApproveEnrolment => {
                "The county approves the application into the batch (入库)."
            }
            ProjectAction::Return => {
                "The county or city returns an application or plan for rework (退回)."
            }
            ProjectAction::ChooseProvider => {
                "The enterprise chooses a provider from the pool (对接服务商)."
            }
            ProjectAction::RecordDiagnosis => {
                "The provider records the diagnosis: the level before (诊断)."
            }
            ProjectAction::FilePlan => {
                "The provider or enterprise files the plan and contract (方案备案)."
            }
            ProjectAction::ApprovePlan => "The county, then the city, approve the plan (方案审核).",
            ProjectAction::RequestAcceptance => "The enterprise asks for acceptance (申请验收).",
            ProjectAction::PrecheckAcceptance => {
                "The county pre-checks the acceptance request (初验)."
            }
            ProjectAction::RecordAcceptance => {
                "The evaluator records the acceptance assessment (验收评测)."
            }
            ProjectAction::Resume => "Back to implementation after rectification (整改后继续).",
            ProjectAction::RecordAudit => {
                "The auditor records the verified eligible investment (审计)."
            }
            ProjectAction::ApproveSubsidy => "Finance approves the subsidy decision (奖补核定).",
            ProjectAction::Disburse => "Finance records the payment (拨付).",
            ProjectAction::Withdraw => "The enterprise withdraws before acceptance (撤回).",
            ProjectAction::Disqualify => {
                "The city removes the project, e.g. on a spot-check finding (取消资格)."
            }
        }
    }

    pub const ALL: [ProjectAction; 16] = [
        A::Submit,
        A::ApproveEnrolment,
        A::Return,
        A::ChooseProvider,
        A::RecordDiagnosis,
        A::FilePlan,
        A::ApprovePlan,
        A::RequestAcceptance,
        A::PrecheckAcceptance,
        A::RecordAcceptance,
        A::Resume,
        A::RecordAudit,
        A::ApproveSubsidy,
        A::Disburse,
        A::Withdraw,
        A::Disqualify,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            A::Submit => "submit",
            A::ApproveEnrolment => "approve_enrolment",
            A::Return => "return",
            A::ChooseProvider => "choose_provider",
            A::RecordDiagnosis => "record_diagnosis",
            A::FilePlan => "file_plan",
            A::ApprovePlan => "approve_plan",
            A::RequestAcceptance => "request_acceptance",
            A::PrecheckAcceptance => "precheck_acceptance",
            A::RecordAcceptance => "record_acceptance",
            A::Resume => "resume",
            A::RecordAudit => "record_audit",
            A::ApproveSubsidy => "approve_subsidy",
            A::Disburse => "disburse",
            A::Withdraw => "withdraw",
            A::Disqualify => "disqualify",
        }
    }
}

impl fmt::Display for ProjectState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ProjectAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProjectState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProjectState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown project state `{s}`"))
    }
}

impl FromStr for ProjectAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProjectAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown project action `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            batch: BatchState::Implementing,
            county_approved_plan: true,
            acceptance_level: Some(3),
            pass_level: DEFAULT_PASS_LEVEL,
            window: BatchWindow::default(),
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            pays_in_full: true,
        }
    }

    /// DOMAIN.md §4 written out independently of [`RULES`]: the
    /// (from, action) → (to, roles) of the table's rows.
    fn expected(from: S, action: A) -> Option<(S, &'static [Role])> {
        let before_accepted = !matches!(
            from,
            S::Accepted
                | S::Audited
                | S::SubsidyApproved
                | S::Disbursed
                | S::Withdrawn
                | S::Disqualified
        );
        match (from, action) {
            (S::Draft, A::Submit) => Some((S::Submitted, &[R::Enterprise])),
            (S::Submitted, A::ApproveEnrolment) => Some((S::Enrolled, &[R::CountyAdmin])),
            (S::Submitted, A::Return) => Some((S::Draft, &[R::CountyAdmin, R::CityAdmin])),
            (S::PlanFiled, A::Return) => Some((S::Diagnosed, &[R::CountyAdmin, R::CityAdmin])),
            (S::Enrolled, A::ChooseProvider) => Some((S::Matched, &[R::Enterprise])),
            (S::Matched, A::RecordDiagnosis) => Some((S::Diagnosed, &[R::Provider])),
            (S::Diagnosed, A::FilePlan) => Some((S::PlanFiled, &[R::Provider, R::Enterprise])),
            (S::PlanFiled, A::ApprovePlan) => Some((S::Implementing, &[R::CityAdmin])),
            (S::Implementing, A::RequestAcceptance) => {
                Some((S::AcceptanceRequested, &[R::Enterprise]))
            }
            (S::AcceptanceRequested, A::PrecheckAcceptance) => {
                Some((S::AcceptancePrechecked, &[R::CountyAdmin]))
            }
            (S::AcceptancePrechecked, A::RecordAcceptance) => Some((S::Accepted, &[R::Evaluator])),
            (S::Rectification, A::Resume) => Some((S::Implementing, &[R::CityAdmin])),
            (S::Accepted, A::RecordAudit) => Some((S::Audited, &[R::Auditor])),
            (S::Audited, A::ApproveSubsidy) => Some((S::SubsidyApproved, &[R::Finance])),
            (S::SubsidyApproved, A::Disburse) => Some((S::Disbursed, &[R::Finance])),
            (_, A::Withdraw) if before_accepted => Some((S::Withdrawn, &[R::Enterprise])),
            (_, A::Disqualify) if !from.is_final() => Some((S::Disqualified, &[R::CityAdmin])),
            _ => None,
        }
    }

    /// Every (state, action, role) triple is allowed or refused as the
    /// table says (with the county's plan approval already given, so the
    /// city's approval is the one that moves the state).
    #[test]
    fn exhaustive_table() {
        for from in ProjectState::ALL {
            for action in ProjectAction::ALL {
                for role in Role::ALL {
                    // A batch whose window takes the action (see batch_windows).
                    let batch = if action == A::Submit {
                        BatchState::Open
                    } else {
                        BatchState::Implementing
                    };
                    let got = decide(from, action, role, &Facts { batch, ..facts() });
                    let want = expected(from, action)
                        .filter(|(_, roles)| roles.contains(&role))
                        .map(|(to, _)| to);
                    match (action, role, &got) {
                        // The county's second approval is refused by a guard.
                        (A::ApprovePlan, R::CountyAdmin, _) if from == S::PlanFiled => {
                            assert_eq!(got, Err(ProjectError::AlreadyApproved));
                        }
                        _ => assert_eq!(got.ok(), want, "{from} --{action}/{role}-->"),
                    }
                }
            }
        }
    }

    #[test]
    fn one_rule_per_action_in_order() {
        for (rule, action) in RULES.iter().zip(ProjectAction::ALL) {
            assert_eq!(rule.action, action);
        }
    }

    #[test]
    fn plan_needs_the_county_then_the_city() {
        let before = Facts {
            county_approved_plan: false,
            ..facts()
        };
        assert_eq!(
            decide(S::PlanFiled, A::ApprovePlan, R::CountyAdmin, &before),
            Ok(S::PlanFiled)
        );
        assert_eq!(
            decide(S::PlanFiled, A::ApprovePlan, R::CityAdmin, &before),
            Err(ProjectError::CountyApprovalFirst)
        );
        assert_eq!(
            decide(S::PlanFiled, A::ApprovePlan, R::CityAdmin, &facts()),
            Ok(S::Implementing)
        );
    }

    #[test]
    fn acceptance_passes_at_the_programmes_pass_level() {
        for (pass_level, level, to) in [
            (1, 0, S::Rectification),
            (1, 1, S::Accepted),
            (3, 2, S::Rectification),
            (3, 3, S::Accepted),
        ] {
            let f = Facts {
                acceptance_level: Some(level),
                pass_level,
                ..facts()
            };
            assert_eq!(
                decide(
                    S::AcceptancePrechecked,
                    A::RecordAcceptance,
                    R::Evaluator,
                    &f
                ),
                Ok(to),
                "pass level {pass_level}, level {level}"
            );
        }
    }

    #[test]
    fn acceptance_passes_at_level_two() {
        for (level, to) in [
            (0, S::Rectification),
            (1, S::Rectification),
            (2, S::Accepted),
            (4, S::Accepted),
        ] {
            let f = Facts {
                acceptance_level: Some(level),
                ..facts()
            };
            assert_eq!(
                decide(
                    S::AcceptancePrechecked,
                    A::RecordAcceptance,
                    R::Evaluator,
                    &f
                ),
                Ok(to)
            );
        }
        let none = Facts {
            acceptance_level: None,
            ..facts()
        };
        assert_eq!(
            decide(
                S::AcceptancePrechecked,
                A::RecordAcceptance,
                R::Evaluator,
                &none
            ),
            Err(ProjectError::LevelRequired)
        );
    }

    #[test]
    fn a_partial_payment_keeps_the_subsidy_approved() {
        let partial = Facts {
            pays_in_full: false,
            ..facts()
        };
        assert_eq!(
            decide(S::SubsidyApproved, A::Disburse, R::Finance, &partial),
            Ok(S::SubsidyApproved)
        );
    }

    #[test]
    fn the_batch_dates_bound_applications_and_acceptance_requests() {
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
        let f = |today| Facts {
            batch: BatchState::Open,
            window: BatchWindow {
                applications_open_on: Some(d(1, 1)),
                applications_close_on: Some(d(5, 31)),
                implementation_ends_on: None,
                acceptance_ends_on: None,
            },
            today,
            ..facts()
        };
        assert_eq!(
            decide(S::Draft, A::Submit, R::Enterprise, &f(d(5, 31))),
            Ok(S::Submitted)
        );
        assert_eq!(
            decide(S::Draft, A::Submit, R::Enterprise, &f(d(6, 1))),
            Err(ProjectError::OutsideWindow {
                bound: WindowBound::ApplicationsCloseOn(d(5, 31)),
                action: A::Submit
            })
        );
        let blocked = blocked_actions(S::Draft, &[R::Enterprise], &f(d(6, 1)));
        assert!(blocked.contains(&(
            A::Submit,
            Blocked::Dates(WindowBound::ApplicationsCloseOn(d(5, 31)))
        )));
        // Withdrawing is never cut off.
        assert_eq!(
            decide(S::Draft, A::Withdraw, R::Enterprise, &f(d(12, 1))),
            Ok(S::Withdrawn)
        );
    }

    #[test]
    fn batch_windows() {
        use BatchState as B;
        for batch in BatchState::ALL {
            assert_eq!(batch_allows(batch, A::Submit), batch == B::Open);
            assert_eq!(
                batch_allows(batch, A::RequestAcceptance),
                matches!(batch, B::Implementing | B::Accepting)
            );
            assert!(batch_allows(batch, A::Withdraw));
            assert!(batch_allows(batch, A::Disqualify));
            for a in [A::RecordAudit, A::ApproveSubsidy, A::Disburse] {
                assert!(batch_allows(batch, a), "{a:?}");
            }
            assert_eq!(
                batch_allows(batch, A::RecordAcceptance),
                !matches!(batch, B::Planned | B::Closed)
            );
        }
        let closed = Facts {
            batch: B::Closed,
            ..facts()
        };
        // Closing never strands what was accepted: audit and payment go on.
        assert_eq!(
            decide(S::Accepted, A::RecordAudit, R::Auditor, &closed),
            Ok(S::Audited)
        );
        assert_eq!(
            decide(
                S::Implementing,
                A::RequestAcceptance,
                R::Enterprise,
                &closed
            ),
            Err(ProjectError::BatchWindow {
                batch: B::Closed,
                action: A::RequestAcceptance
            })
        );
        assert_eq!(
            decide(S::Accepted, A::Disqualify, R::CityAdmin, &closed),
            Ok(S::Disqualified)
        );
    }

    #[test]
    fn next_actions_are_the_allowed_ones() {
        let f = Facts {
            county_approved_plan: false,
            ..facts()
        };
        let county_and_city = [R::CountyAdmin, R::CityAdmin];
        assert_eq!(
            next_actions(S::PlanFiled, &county_and_city, &f),
            vec![
                (A::Return, R::CountyAdmin),
                (A::ApprovePlan, R::CountyAdmin),
                (A::Disqualify, R::CityAdmin)
            ]
        );
        assert_eq!(
            next_actions(S::Implementing, &[R::Enterprise], &f),
            vec![
                (A::RequestAcceptance, R::Enterprise),
                (A::Withdraw, R::Enterprise)
            ]
        );
        for st in ProjectState::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(next_actions(st, &Role::ALL, &facts()).is_empty(), "{st}");
        }
    }

    #[test]
    fn blocked_actions_say_why() {
        let f = Facts {
            county_approved_plan: false,
            ..facts()
        };
        let blocked = blocked_actions(S::PlanFiled, &[R::CityAdmin], &f);
        let why = |a| blocked.iter().find(|(b, _)| *b == a).map(|(_, w)| *w);
        assert_eq!(why(A::ApprovePlan), Some(Blocked::CountyApprovalFirst));
        assert_eq!(why(A::Submit), Some(Blocked::OtherRoles(&[R::Enterprise])));
        assert_eq!(why(A::Resume), Some(Blocked::State(&[S::Rectification])));
        assert_eq!(why(A::Return), None, "open to the city");
        let closed = Facts {
            batch: BatchState::Closed,
            ..facts()
        };
        assert_eq!(
            blocked_actions(S::Implementing, &[R::Enterprise], &closed)
                .into_iter()
                .find(|(a, _)| *a == A::RequestAcceptance),
            Some((
                A::RequestAcceptance,
                Blocked::BatchWindow(BatchState::Closed)
            ))
        );
    }

    proptest::proptest! {
        /// Open and blocked actions partition the actions, for any state,
        /// roles and batch.
        #[test]
        fn open_and_blocked_actions_are_all_actions_once(
            state in 0..ProjectState::ALL.len(),
            role_bits in 0u16..(1 << 11),
            batch in 0..BatchState::ALL.len(),
            county in proptest::bool::ANY,
        ) {
            let roles: Vec<Role> = Role::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| role_bits & (1 << i) != 0)
                .map(|(_, r)| *r)
                .collect();
            let f = Facts {
                batch: BatchState::ALL[batch],
                county_approved_plan: county,
                ..facts()
            };
            let from = ProjectState::ALL[state];
            let mut all: Vec<ProjectAction> = next_actions(from, &roles, &f)
                .into_iter()
                .map(|(a, _)| a)
                .chain(blocked_actions(from, &roles, &f).into_iter().map(|(a, _)| a))
                .collect();
            all.sort_by_key(|a| a.as_str());
            let mut expected = ProjectAction::ALL.to_vec();
            expected.sort_by_key(|a| a.as_str());
            proptest::prop_assert_eq!(all, expected);
        }
    }

    #[test]
    fn codes_round_trip() {
        for st in ProjectState::ALL {
            assert_eq!(st.as_str().parse::<ProjectState>(), Ok(st));
        }
        for a in ProjectAction::ALL {
            assert_eq!(a.as_str().parse::<ProjectAction>(), Ok(a));
        }
        assert!("approve".parse::<ProjectAction>().is_err());
    }
}
