//! Admissions into a programme: a provider into its pool (服务商资源池) and a
//! product into its library (产品库), each a small status machine that the
//! programme's pilot office (city_admin) moves (DOMAIN.md §3).
//!
//! Pool:    applied → admitted ⇄ suspended; any → removed (reasoned).
//! Library: submitted → listed ⇄ recommended; any → delisted (reasoned);
//!          delisted → listed (re-listing after a fix).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which kind of admission: the two tables share their shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionKind {
    ProviderPool,
    ProductLibrary,
}

/// One status of either machine; [`AdmissionKind::statuses`] says which
/// belong to which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionStatus {
    Applied,
    Admitted,
    Suspended,
    Removed,
    Submitted,
    Listed,
    Recommended,
    Delisted,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    #[error("`{0}` is not a status of the {1}")]
    UnknownStatus(AdmissionStatus, AdmissionKind),
    #[error("cannot go from `{from}` to `{to}`")]
    NotAllowed {
        from: AdmissionStatus,
        to: AdmissionStatus,
    },
    #[error("going to `{0}` needs a reason")]
    ReasonRequired(AdmissionStatus),
}

use AdmissionKind as K;
use AdmissionStatus as S;

/// The whole table: (kind, from, to, reason required). One row per arrow.
const TRANSITIONS: [(AdmissionKind, AdmissionStatus, AdmissionStatus, bool); 12] = [
    (K::ProviderPool, S::Applied, S::Admitted, false),
    (K::ProviderPool, S::Applied, S::Removed, true),
    (K::ProviderPool, S::Admitted, S::Suspended, true),
    (K::ProviderPool, S::Admitted, S::Removed, true),
    (K::ProviderPool, S::Suspended, S::Admitted, false),
    (K::ProviderPool, S::Suspended, S::Removed, true),
    (K::ProductLibrary, S::Submitted, S::Listed, false),
    (K::ProductLibrary, S::Submitted, S::Delisted, true),
    (K::ProductLibrary, S::Listed, S::Recommended, false),
    (K::ProductLibrary, S::Listed, S::Delisted, true),
    (K::ProductLibrary, S::Recommended, S::Listed, false),
    (K::ProductLibrary, S::Recommended, S::Delisted, true),
];

/// Re-listing a delisted product is the one way back; it is a row of its
/// own so the table above stays "forward and out".
const RELIST: (AdmissionKind, AdmissionStatus, AdmissionStatus, bool) =
    (K::ProductLibrary, S::Delisted, S::Listed, true);

impl AdmissionKind {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            AdmissionKind::ProviderPool => {
                "A provider into the programme's provider pool (服务商资源池)."
            }
            AdmissionKind::ProductLibrary => {
                "A product into the programme's product library (产品库)."
            }
        }
    }

    pub const ALL: [AdmissionKind; 2] = [K::ProviderPool, K::ProductLibrary];

    pub fn as_str(self) -> &'static str {
        match self {
            K::ProviderPool => "provider_pool",
            K::ProductLibrary => "product_library",
        }
    }

    /// The status a new admission starts in.
    pub fn initial(self) -> AdmissionStatus {
        match self {
            K::ProviderPool => S::Applied,
            K::ProductLibrary => S::Submitted,
        }
    }

    pub fn statuses(self) -> [AdmissionStatus; 4] {
        match self {
            K::ProviderPool => [S::Applied, S::Admitted, S::Suspended, S::Removed],
            K::ProductLibrary => [S::Submitted, S::Listed, S::Recommended, S::Delisted],
        }
    }

    /// Whether a member in `status` may be used by projects (chosen as a
    /// provider, named in a plan).
    pub fn usable(self, status: AdmissionStatus) -> bool {
        matches!(
            (self, status),
            (K::ProviderPool, S::Admitted) | (K::ProductLibrary, S::Listed | S::Recommended)
        )
    }

    /// Checks a move from `from` to `to`; staying put is always allowed
    /// (a PATCH that only changes the grade).
    pub fn check(
        self,
        from: AdmissionStatus,
        to: AdmissionStatus,
        has_reason: bool,
    ) -> Result<(), AdmissionError> {
        if !self.statuses().contains(&to) {
            return Err(AdmissionError::UnknownStatus(to, self));
        }
        if from == to {
            return Ok(());
        }
        let row = TRANSITIONS
            .iter()
            .chain(std::iter::once(&RELIST))
            .find(|(k, f, t, _)| *k == self && *f == from && *t == to)
            .ok_or(AdmissionError::NotAllowed { from, to })?;
        if row.3 && !has_reason {
            return Err(AdmissionError::ReasonRequired(to));
        }
        Ok(())
    }

    /// The statuses reachable from `from`, in table order.
    pub fn next(self, from: AdmissionStatus) -> Vec<AdmissionStatus> {
        TRANSITIONS
            .iter()
            .chain(std::iter::once(&RELIST))
            .filter(|(k, f, _, _)| *k == self && *f == from)
            .map(|(_, _, t, _)| *t)
            .collect()
    }
}

impl AdmissionStatus {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            AdmissionStatus::Applied => "申请入库: the provider asked to join the pool.",
            AdmissionStatus::Admitted => "入库: may be chosen by enterprises.",
            AdmissionStatus::Suspended => "暂停: may not take new projects until re-admitted.",
            AdmissionStatus::Removed => "清退: out of the pool.",
            AdmissionStatus::Submitted => "已提交: the product waits for review.",
            AdmissionStatus::Listed => "入选: in the library.",
            AdmissionStatus::Recommended => "推荐: recommended to enterprises (e.g. 优秀产品).",
            AdmissionStatus::Delisted => "下架: out of the library.",
        }
    }

    pub const ALL: [AdmissionStatus; 8] = [
        S::Applied,
        S::Admitted,
        S::Suspended,
        S::Removed,
        S::Submitted,
        S::Listed,
        S::Recommended,
        S::Delisted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            S::Applied => "applied",
            S::Admitted => "admitted",
            S::Suspended => "suspended",
            S::Removed => "removed",
            S::Submitted => "submitted",
            S::Listed => "listed",
            S::Recommended => "recommended",
            S::Delisted => "delisted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for AdmissionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AdmissionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            K::ProviderPool => "provider pool",
            K::ProductLibrary => "product library",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (kind, from, to) against the diagrams in the module doc,
    /// given a reason.
    #[test]
    fn exhaustive_table() {
        let expected = |kind: K, from: S, to: S| match (kind, from, to) {
            (_, f, t) if f == t => kind.statuses().contains(&t),
            (K::ProviderPool, S::Applied, S::Admitted | S::Removed)
            | (K::ProviderPool, S::Admitted, S::Suspended | S::Removed)
            | (K::ProviderPool, S::Suspended, S::Admitted | S::Removed)
            | (K::ProductLibrary, S::Submitted, S::Listed | S::Delisted)
            | (K::ProductLibrary, S::Listed, S::Recommended | S::Delisted)
            | (K::ProductLibrary, S::Recommended, S::Listed | S::Delisted)
            | (K::ProductLibrary, S::Delisted, S::Listed) => true,
            _ => false,
        };
        for kind in AdmissionKind::ALL {
            for from in kind.statuses() {
                for to in AdmissionStatus::ALL {
                    assert_eq!(
                        kind.check(from, to, true).is_ok(),
                        expected(kind, from, to),
                        "{kind}: {from} → {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn going_out_needs_a_reason() {
        assert_eq!(
            K::ProviderPool.check(S::Admitted, S::Suspended, false),
            Err(AdmissionError::ReasonRequired(S::Suspended))
        );
        assert!(
            K::ProviderPool
                .check(S::Applied, S::Admitted, false)
                .is_ok()
        );
        assert_eq!(
            K::ProductLibrary.check(S::Delisted, S::Listed, false),
            Err(AdmissionError::ReasonRequired(S::Listed))
        );
    }

    #[test]
    fn removed_is_terminal_and_only_admitted_or_listed_are_usable() {
        assert!(K::ProviderPool.next(S::Removed).is_empty());
        assert_eq!(K::ProductLibrary.next(S::Delisted), vec![S::Listed]);
        for kind in AdmissionKind::ALL {
            let usable: Vec<S> = kind
                .statuses()
                .into_iter()
                .filter(|s| kind.usable(*s))
                .collect();
            match kind {
                K::ProviderPool => assert_eq!(usable, vec![S::Admitted]),
                K::ProductLibrary => assert_eq!(usable, vec![S::Listed, S::Recommended]),
            }
            assert!(kind.statuses().contains(&kind.initial()));
        }
    }

    #[test]
    fn statuses_parse_from_their_codes() {
        for st in AdmissionStatus::ALL {
            assert_eq!(AdmissionStatus::parse(st.as_str()), Some(st));
        }
        assert_eq!(AdmissionStatus::parse("paused"), None);
    }
}
