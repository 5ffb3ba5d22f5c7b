//! The batch (批次) life: planned → open → implementing → accepting → closed
//! (DOMAIN.md §3; Changji's per-batch six steps in seed 002 run inside it).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shuzhuan_types::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchState {
    Planned,
    Open,
    Implementing,
    Accepting,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchAction {
    Open,
    StartImplementation,
    StartAcceptance,
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchTransitionError {
    #[error("action `{action}` is not allowed from state `{from}`")]
    NotAllowedFrom {
        from: BatchState,
        action: BatchAction,
    },
    #[error("role {role} may not move batches")]
    RoleNotAllowed { role: Role },
}

/// The whole table: (action, from, to). One row per arrow of the diagram.
const TRANSITIONS: [(BatchAction, BatchState, BatchState); 4] = [
    (BatchAction::Open, BatchState::Planned, BatchState::Open),
    (
        BatchAction::StartImplementation,
        BatchState::Open,
        BatchState::Implementing,
    ),
    (
        BatchAction::StartAcceptance,
        BatchState::Implementing,
        BatchState::Accepting,
    ),
    (
        BatchAction::Close,
        BatchState::Accepting,
        BatchState::Closed,
    ),
];

impl BatchState {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            BatchState::Planned => "Announced, not yet taking applications.",
            BatchState::Open => "Taking applications (申报).",
            BatchState::Implementing => "Transformations under way (改造实施).",
            BatchState::Accepting => "Acceptance evaluations under way (验收评测).",
            BatchState::Closed => {
                "Finished: no more transitions but withdrawals and disqualifications."
            }
        }
    }

    pub const ALL: [BatchState; 5] = [
        BatchState::Planned,
        BatchState::Open,
        BatchState::Implementing,
        BatchState::Accepting,
        BatchState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BatchState::Planned => "planned",
            BatchState::Open => "open",
            BatchState::Implementing => "implementing",
            BatchState::Accepting => "accepting",
            BatchState::Closed => "closed",
        }
    }

    /// The state `action` leads to when `role` takes it from `self`.
    /// Only the programme's pilot office (city_admin) and the platform
    /// operator run batches.
    pub fn apply(self, action: BatchAction, role: Role) -> Result<Self, BatchTransitionError> {
        if !matches!(role, Role::CityAdmin | Role::PlatformAdmin) {
            return Err(BatchTransitionError::RoleNotAllowed { role });
        }
        TRANSITIONS
            .iter()
            .find(|(a, from, _)| *a == action && *from == self)
            .map(|(_, _, to)| *to)
            .ok_or(BatchTransitionError::NotAllowedFrom { from: self, action })
    }

    /// The actions that can be taken from this state, in table order.
    pub fn next_actions(self) -> Vec<BatchAction> {
        TRANSITIONS
            .iter()
            .filter(|(_, from, _)| *from == self)
            .map(|(a, _, _)| *a)
            .collect()
    }
}

impl BatchAction {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            BatchAction::Open => "Start taking applications.",
            BatchAction::StartImplementation => "Close applications; transformations begin.",
            BatchAction::StartAcceptance => "Acceptance evaluations begin.",
            BatchAction::Close => "Finish the batch.",
        }
    }

    pub const ALL: [BatchAction; 4] = [
        BatchAction::Open,
        BatchAction::StartImplementation,
        BatchAction::StartAcceptance,
        BatchAction::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BatchAction::Open => "open",
            BatchAction::StartImplementation => "start_implementation",
            BatchAction::StartAcceptance => "start_acceptance",
            BatchAction::Close => "close",
        }
    }
}

impl fmt::Display for BatchState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for BatchAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BatchState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BatchState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown batch state `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BatchAction as A;
    use BatchState as S;

    /// Every (state, action) pair for a city_admin, against the diagram
    /// planned → open → implementing → accepting → closed.
    #[test]
    fn exhaustive_table() {
        let expected = |from: BatchState, action: BatchAction| match (from, action) {
            (S::Planned, A::Open) => Some(S::Open),
            (S::Open, A::StartImplementation) => Some(S::Implementing),
            (S::Implementing, A::StartAcceptance) => Some(S::Accepting),
            (S::Accepting, A::Close) => Some(S::Closed),
            _ => None,
        };
        for from in BatchState::ALL {
            for action in BatchAction::ALL {
                assert_eq!(
                    from.apply(action, Role::CityAdmin).ok(),
                    expected(from, action),
                    "{from} --{action}-->"
                );
            }
        }
    }

    #[test]
    fn only_city_and_platform_admins_move_batches() {
        for role in Role::ALL {
            let allowed = S::Planned.apply(A::Open, role).is_ok();
            assert_eq!(
                allowed,
                matches!(role, Role::CityAdmin | Role::PlatformAdmin),
                "{role}"
            );
        }
    }

    #[test]
    fn closed_is_terminal_and_next_actions_match_the_table() {
        assert!(S::Closed.next_actions().is_empty());
        for st in BatchState::ALL {
            for a in st.next_actions() {
                assert!(st.apply(a, Role::CityAdmin).is_ok());
            }
        }
        assert_eq!(S::Planned.next_actions(), vec![A::Open]);
    }

    #[test]
    fn states_parse_from_their_codes() {
        for st in BatchState::ALL {
            assert_eq!(st.as_str().parse::<BatchState>(), Ok(st));
        }
        assert!("paused".parse::<BatchState>().is_err());
    }
}

/// A batch's dates (批次时间安排) as its programme's work plan sets them:
/// applications are taken from the open date to the close date, and
/// acceptance is requested by the acceptance end date. A date left out
/// bounds nothing. The city office extends a window explicitly (audited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchWindow {
    pub applications_open_on: Option<NaiveDate>,
    pub applications_close_on: Option<NaiveDate>,
    pub implementation_ends_on: Option<NaiveDate>,
    pub acceptance_ends_on: Option<NaiveDate>,
}

/// Which date of the window a request falls outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "bound", content = "date")]
pub enum WindowBound {
    /// Applications are not taken before this day.
    ApplicationsOpenOn(NaiveDate),
    /// Applications closed after this day.
    ApplicationsCloseOn(NaiveDate),
    /// Acceptance could be requested until this day.
    AcceptanceEndsOn(NaiveDate),
}

impl BatchWindow {
    /// Why `today` lies outside what the window lets `action` do, if it
    /// does: applications (submit) within the application dates, requests
    /// for acceptance until the acceptance end. Everything else (approval,
    /// audit, payment of what was accepted) is never cut off by a date.
    pub fn refuses(&self, action: crate::ProjectAction, today: NaiveDate) -> Option<WindowBound> {
        use crate::ProjectAction as A;
        match action {
            A::Submit => self.refuses_applications(today),
            A::RequestAcceptance => self
                .acceptance_ends_on
                .filter(|end| today > *end)
                .map(WindowBound::AcceptanceEndsOn),
            _ => None,
        }
    }

    /// Why applications cannot be taken on `today`, if they cannot.
    pub fn refuses_applications(&self, today: NaiveDate) -> Option<WindowBound> {
        match self.applications_open_on.filter(|open| today < *open) {
            Some(open) => Some(WindowBound::ApplicationsOpenOn(open)),
            None => self.refuses_opening(today),
        }
    }

    /// Why the batch cannot be opened on `today`: its applications closed.
    pub fn refuses_opening(&self, today: NaiveDate) -> Option<WindowBound> {
        self.applications_close_on
            .filter(|close| today > *close)
            .map(WindowBound::ApplicationsCloseOn)
    }

    /// The dates of `extended` that move a date of this window earlier or
    /// drop it: an extension only ever gives more time.
    pub fn shortened_by(&self, extended: &BatchWindow) -> Vec<&'static str> {
        [
            (
                "applications_close_on",
                self.applications_close_on,
                extended.applications_close_on,
            ),
            (
                "implementation_ends_on",
                self.implementation_ends_on,
                extended.implementation_ends_on,
            ),
            (
                "acceptance_ends_on",
                self.acceptance_ends_on,
                extended.acceptance_ends_on,
            ),
        ]
        .into_iter()
        .filter(|(_, now, new)| match (now, new) {
            (Some(now), Some(new)) => new < now,
            (None, Some(_)) => true,
            _ => false,
        })
        .map(|(name, _, _)| name)
        .collect()
    }
}

impl fmt::Display for WindowBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowBound::ApplicationsOpenOn(d) => write!(f, "applications open on {d}"),
            WindowBound::ApplicationsCloseOn(d) => write!(f, "applications closed after {d}"),
            WindowBound::AcceptanceEndsOn(d) => {
                write!(f, "acceptance could be requested until {d}")
            }
        }
    }
}

impl WindowBound {
    /// The same in Chinese.
    pub fn zh(&self) -> String {
        match self {
            WindowBound::ApplicationsOpenOn(d) => format!("本批次 {d} 起受理申报"),
            WindowBound::ApplicationsCloseOn(d) => format!("本批次申报已于 {d} 截止"),
            WindowBound::AcceptanceEndsOn(d) => format!("本批次验收申请已于 {d} 截止"),
        }
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use crate::ProjectAction as A;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, d).unwrap()
    }

    /// Changji's batch 1 (002): applications 2025-01-01..2025-05-31.
    fn changji() -> BatchWindow {
        BatchWindow {
            applications_open_on: Some(day(1, 1)),
            applications_close_on: Some(day(5, 31)),
            implementation_ends_on: Some(day(8, 31)),
            acceptance_ends_on: Some(day(9, 30)),
        }
    }

    #[test]
    fn applications_are_taken_within_their_dates_only() {
        let w = changji();
        assert_eq!(
            w.refuses(A::Submit, NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()),
            Some(WindowBound::ApplicationsOpenOn(day(1, 1)))
        );
        assert_eq!(w.refuses(A::Submit, day(1, 1)), None);
        assert_eq!(w.refuses(A::Submit, day(5, 31)), None);
        assert_eq!(
            w.refuses(A::Submit, day(6, 1)),
            Some(WindowBound::ApplicationsCloseOn(day(5, 31)))
        );
        assert_eq!(w.refuses_opening(day(5, 31)), None);
        assert!(w.refuses_opening(day(6, 1)).is_some());
        assert_eq!(BatchWindow::default().refuses(A::Submit, day(6, 1)), None);
    }

    #[test]
    fn acceptance_is_requested_by_its_end_and_nothing_else_is_cut_off() {
        let w = changji();
        assert_eq!(w.refuses(A::RequestAcceptance, day(9, 30)), None);
        assert_eq!(
            w.refuses(A::RequestAcceptance, day(10, 1)),
            Some(WindowBound::AcceptanceEndsOn(day(9, 30)))
        );
        let late = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        for a in [A::RecordAudit, A::ApproveSubsidy, A::Disburse, A::Withdraw] {
            assert_eq!(w.refuses(a, late), None, "{a:?}");
        }
    }

    #[test]
    fn an_extension_only_moves_dates_later() {
        let w = changji();
        let mut later = w;
        later.applications_close_on = Some(day(6, 30));
        assert!(w.shortened_by(&later).is_empty());
        let mut earlier = w;
        earlier.acceptance_ends_on = Some(day(9, 1));
        assert_eq!(w.shortened_by(&earlier), ["acceptance_ends_on"]);
        let open = BatchWindow::default();
        assert_eq!(
            open.shortened_by(&changji()),
            [
                "applications_close_on",
                "implementation_ends_on",
                "acceptance_ends_on"
            ]
        );
    }
}

shuzhuan_types::code_enum! {
    /// A phase of a programme as its work plan dates it (实施步骤).
    pub enum PhaseKind ("phase kind") {
        /// 准备阶段
        Preparation = "preparation",
        /// 实施阶段 (推进实施、实施推广)
        Implementation = "implementation",
        /// 中期考核: the ministries' (or the province's) mid-term review.
        MidTermReview = "mid_term_review",
        /// 集中攻坚: a concentrated push on lagging enterprises.
        ConcentratedPush = "concentrated_push",
        /// 验收评价、总结验收
        Acceptance = "acceptance",
    }
}

/// One dated phase of a programme, with the clause that sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub kind: PhaseKind,
    /// Its name as the plan writes it.
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The clause it comes from.
    #[serde(default)]
    pub source: String,
}
