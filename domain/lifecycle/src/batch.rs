//! The batch (批次) life: planned → open → implementing → accepting → closed
//! (DOMAIN.md §3; Changji's per-batch six steps in seed 002 run inside it).

use std::fmt;
use std::str::FromStr;

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
