//! Benchmarks (标杆, DOMAIN.md §7): a nomination is reviewed and decided.
//!
//! nominated → under_review → awarded | rejected; nominated → rejected
//! (a nomination that does not qualify). Rejection needs a reason.

use serde::{Deserialize, Serialize};

/// What is being recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchmarkKind {
    LittleLighthouse,
    SmartFactory,
    DigitalWorkshop,
    Level4Enterprise,
    ChainCase,
    ClusterCase,
    BeltAndRoadCase,
    ExcellentProvider,
    ExcellentProduct,
    ProvincialDemonstration,
}

/// What a benchmark names: an enterprise, a provider, a product, or a
/// project (cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Enterprise,
    Provider,
    Product,
}

impl BenchmarkKind {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            BenchmarkKind::LittleLighthouse => "数字化转型“小灯塔”企业.",
            BenchmarkKind::SmartFactory => "智能工厂.",
            BenchmarkKind::DigitalWorkshop => "数字化车间.",
            BenchmarkKind::Level4Enterprise => "数字化水平四级企业.",
            BenchmarkKind::ChainCase => "“链式”转型案例.",
            BenchmarkKind::ClusterCase => "“集群”转型案例.",
            BenchmarkKind::BeltAndRoadCase => "“一带一路”案例.",
            BenchmarkKind::ExcellentProvider => "优秀服务商.",
            BenchmarkKind::ExcellentProduct => "优秀产品.",
            BenchmarkKind::ProvincialDemonstration => {
                "省级两化融合、智能制造试点示范企业 (a provincial recognition the city records)."
            }
        }
    }

    pub const ALL: [BenchmarkKind; 10] = [
        BenchmarkKind::LittleLighthouse,
        BenchmarkKind::SmartFactory,
        BenchmarkKind::DigitalWorkshop,
        BenchmarkKind::Level4Enterprise,
        BenchmarkKind::ChainCase,
        BenchmarkKind::ClusterCase,
        BenchmarkKind::BeltAndRoadCase,
        BenchmarkKind::ExcellentProvider,
        BenchmarkKind::ExcellentProduct,
        BenchmarkKind::ProvincialDemonstration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BenchmarkKind::LittleLighthouse => "little_lighthouse",
            BenchmarkKind::SmartFactory => "smart_factory",
            BenchmarkKind::DigitalWorkshop => "digital_workshop",
            BenchmarkKind::Level4Enterprise => "level4_enterprise",
            BenchmarkKind::ChainCase => "chain_case",
            BenchmarkKind::ClusterCase => "cluster_case",
            BenchmarkKind::BeltAndRoadCase => "belt_and_road_case",
            BenchmarkKind::ExcellentProvider => "excellent_provider",
            BenchmarkKind::ExcellentProduct => "excellent_product",
            BenchmarkKind::ProvincialDemonstration => "provincial_demonstration",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind of record the benchmark names (a chain or cluster case is
    /// named by its lead enterprise).
    pub fn subject(self) -> Subject {
        match self {
            BenchmarkKind::ExcellentProvider => Subject::Provider,
            BenchmarkKind::ExcellentProduct => Subject::Product,
            _ => Subject::Enterprise,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchmarkStatus {
    Nominated,
    UnderReview,
    Awarded,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchmarkError {
    #[error("cannot go from `{from}` to `{to}`")]
    NotAllowed {
        from: &'static str,
        to: &'static str,
    },
    #[error("a rejection needs a reason")]
    ReasonRequired,
}

use BenchmarkStatus as B;

/// (from, to): every arrow of the module doc.
const ARROWS: [(BenchmarkStatus, BenchmarkStatus); 4] = [
    (B::Nominated, B::UnderReview),
    (B::Nominated, B::Rejected),
    (B::UnderReview, B::Awarded),
    (B::UnderReview, B::Rejected),
];

impl BenchmarkStatus {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            BenchmarkStatus::Nominated => "Nominated (推荐申报), waiting for review.",
            BenchmarkStatus::UnderReview => "Being reviewed (评审中).",
            BenchmarkStatus::Awarded => "Recognised (认定): final.",
            BenchmarkStatus::Rejected => "Not recognised (未通过), with a reason: final.",
        }
    }

    pub const ALL: [BenchmarkStatus; 4] = [B::Nominated, B::UnderReview, B::Awarded, B::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            B::Nominated => "nominated",
            B::UnderReview => "under_review",
            B::Awarded => "awarded",
            B::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Checks a move; a decision (awarded, rejected) is final.
    pub fn check(self, to: BenchmarkStatus, has_reason: bool) -> Result<(), BenchmarkError> {
        if !ARROWS.contains(&(self, to)) {
            return Err(BenchmarkError::NotAllowed {
                from: self.as_str(),
                to: to.as_str(),
            });
        }
        if to == B::Rejected && !has_reason {
            return Err(BenchmarkError::ReasonRequired);
        }
        Ok(())
    }

    /// Where it may go next.
    pub fn next(self) -> Vec<BenchmarkStatus> {
        ARROWS
            .iter()
            .filter(|(f, _)| *f == self)
            .map(|(_, t)| *t)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_against_the_diagram() {
        for from in BenchmarkStatus::ALL {
            for to in BenchmarkStatus::ALL {
                let allowed = matches!(
                    (from, to),
                    (B::Nominated, B::UnderReview | B::Rejected)
                        | (B::UnderReview, B::Awarded | B::Rejected)
                );
                assert_eq!(from.check(to, true).is_ok(), allowed, "{from:?} → {to:?}");
            }
        }
        assert_eq!(
            B::UnderReview.check(B::Rejected, false),
            Err(BenchmarkError::ReasonRequired)
        );
        assert!(B::Awarded.next().is_empty() && B::Rejected.next().is_empty());
    }

    #[test]
    fn kinds_round_trip_and_name_their_subject() {
        for k in BenchmarkKind::ALL {
            assert_eq!(BenchmarkKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(BenchmarkKind::ExcellentProduct.subject(), Subject::Product);
        assert_eq!(BenchmarkKind::ChainCase.subject(), Subject::Enterprise);
    }
}
