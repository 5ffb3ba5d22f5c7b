//! Money by source and purpose (资金来源与用途): what each level of
//! government put in, what it is earmarked for, and whether the
//! programme's minimum shares hold — the per-source view a city shows at
//! its mid-term and final evaluation. Pure: pool figures in, the view out;
//! shares in basis points, rounded down.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FundSource;

shuzhuan_types::code_enum! {
    /// What a budget pool's money is for (资金用途): earmarks and shares
    /// are stated per purpose.
    pub enum FundPurpose ("fund purpose") {
        /// 企业数字化改造: transformation subsidies to enterprises.
        EnterpriseTransformation = "enterprise_transformation",
        /// 奖励: awards (benchmarks, chain masters, providers, products).
        Awards = "awards",
        /// 公共服务平台: the city's public-service platform.
        ServicePlatform = "service_platform",
        /// 培训、供需对接、评测等: training, matchmaking, evaluations.
        Services = "services",
        /// Anything else the fund rules allow.
        Other = "other",
    }
}

#[allow(clippy::derivable_impls)] // code_enum! owns the derive list
impl Default for FundPurpose {
    fn default() -> Self {
        FundPurpose::EnterpriseTransformation
    }
}

/// A programme's rule that at least a share of one source's money goes to
/// one purpose ("中央资金不低于80%用于企业数字化改造"); 专款专用 is such a
/// rule at 100%.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Earmark {
    pub source: FundSource,
    pub purpose: FundPurpose,
    /// The least share of the source's allocation, basis points.
    pub min_share_bp: u32,
    /// The clause it comes from.
    #[serde(default)]
    pub basis: String,
}

/// One pool's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolFigures {
    pub source: FundSource,
    pub purpose: FundPurpose,
    pub allocated_fen: i64,
    pub committed_fen: i64,
    pub disbursed_fen: i64,
}

/// Allocated, committed and paid money.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sums {
    pub allocated_fen: i64,
    pub committed_fen: i64,
    pub disbursed_fen: i64,
}

impl Sums {
    fn add(&mut self, p: &PoolFigures) {
        self.allocated_fen = self.allocated_fen.saturating_add(p.allocated_fen);
        self.committed_fen = self.committed_fen.saturating_add(p.committed_fen);
        self.disbursed_fen = self.disbursed_fen.saturating_add(p.disbursed_fen);
    }
}

/// `part` of `whole` in basis points, rounded down (0 of nothing).
pub fn share_bp(part: i64, whole: i64) -> u32 {
    if whole <= 0 || part <= 0 {
        return 0;
    }
    u32::try_from(i128::from(part) * 10_000 / i128::from(whole)).unwrap_or(10_000)
}

/// One source with its purposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFunds {
    pub source: FundSource,
    pub sums: Sums,
    /// Per purpose: its sums and its share of the source's allocation.
    pub purposes: Vec<(FundPurpose, Sums, u32)>,
}

/// An earmark checked against the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EarmarkCheck {
    pub earmark: Earmark,
    /// The purpose's share of the source's allocation, committed and
    /// disbursed money, basis points.
    pub allocated_share_bp: u32,
    pub committed_share_bp: u32,
    pub disbursed_share_bp: u32,
    /// Whether the allocation meets the minimum share (a source with no
    /// money yet meets nothing).
    pub met: bool,
}

/// The programme's money: all sources together, by source and purpose, and
/// every earmark checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Funds {
    pub total: Sums,
    pub sources: Vec<SourceFunds>,
    pub earmarks: Vec<EarmarkCheck>,
}

/// The programme's money by source and purpose, and every earmark checked.
pub fn compliance(pools: &[PoolFigures], earmarks: &[Earmark]) -> Funds {
    let mut total = Sums::default();
    let mut by_source: BTreeMap<FundSource, (Sums, BTreeMap<FundPurpose, Sums>)> = BTreeMap::new();
    for p in pools {
        total.add(p);
        let (total, purposes) = by_source.entry(p.source).or_default();
        total.add(p);
        purposes.entry(p.purpose).or_default().add(p);
    }
    let sources: Vec<SourceFunds> = by_source
        .iter()
        .map(|(source, (sums, purposes))| SourceFunds {
            source: *source,
            sums: *sums,
            purposes: purposes
                .iter()
                .map(|(purpose, s)| (*purpose, *s, share_bp(s.allocated_fen, sums.allocated_fen)))
                .collect(),
        })
        .collect();
    let checks = earmarks
        .iter()
        .map(|e| {
            let (total, part) = by_source
                .get(&e.source)
                .map(|(t, ps)| (*t, ps.get(&e.purpose).copied().unwrap_or_default()))
                .unwrap_or_default();
            let allocated_share_bp = share_bp(part.allocated_fen, total.allocated_fen);
            EarmarkCheck {
                earmark: e.clone(),
                allocated_share_bp,
                committed_share_bp: share_bp(part.committed_fen, total.committed_fen),
                disbursed_share_bp: share_bp(part.disbursed_fen, total.disbursed_fen),
                met: total.allocated_fen > 0 && allocated_share_bp >= e.min_share_bp,
            }
        })
        .collect();
    Funds {
        total,
        sources,
        earmarks: checks,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const WAN: i64 = 1_000_000;

    fn pool(
        source: FundSource,
        purpose: FundPurpose,
        allocated: i64,
        committed: i64,
    ) -> PoolFigures {
        PoolFigures {
            source,
            purpose,
            allocated_fen: allocated,
            committed_fen: committed,
            disbursed_fen: committed / 2,
        }
    }

    fn central_80() -> Earmark {
        Earmark {
            source: FundSource::Central,
            purpose: FundPurpose::EnterpriseTransformation,
            min_share_bp: 8000,
            basis: "中央资金不低于80%用于企业数字化改造".into(),
        }
    }

    #[test]
    fn an_earmark_is_met_at_its_share_and_missed_below() {
        use FundPurpose::*;
        use FundSource::*;
        let at = [
            pool(Central, EnterpriseTransformation, 800 * WAN, 100 * WAN),
            pool(Central, ServicePlatform, 200 * WAN, 0),
            pool(City, EnterpriseTransformation, 300 * WAN, 0),
        ];
        let Funds {
            total,
            sources,
            earmarks: checks,
        } = compliance(&at, &[central_80()]);
        assert_eq!(total.allocated_fen, 1300 * WAN);
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].sums.allocated_fen, 1000 * WAN);
        assert_eq!(
            sources[0].purposes[0],
            (
                EnterpriseTransformation,
                Sums {
                    allocated_fen: 800 * WAN,
                    committed_fen: 100 * WAN,
                    disbursed_fen: 50 * WAN
                },
                8000
            )
        );
        assert!(checks[0].met);
        assert_eq!(checks[0].committed_share_bp, 10_000);
        let below = [
            pool(Central, EnterpriseTransformation, 800 * WAN - 1, 0),
            pool(Central, ServicePlatform, 200 * WAN + 1, 0),
        ];
        let checks = compliance(&below, &[central_80()]).earmarks;
        assert_eq!((checks[0].allocated_share_bp, checks[0].met), (7999, false));
        // No central money yet: nothing is met.
        let checks = compliance(&[], &[central_80()]).earmarks;
        assert!(!checks[0].met);
    }

    proptest! {
        /// A source's purposes add up to it, and their shares to at most
        /// 100% (rounding down loses at most a basis point each).
        #[test]
        fn purposes_add_up_to_their_source(
            amounts in proptest::collection::vec((0usize..5, 0i64..1_000_000_000, 0i64..1_000_000_000), 0..12),
        ) {
            let pools: Vec<PoolFigures> = amounts
                .iter()
                .map(|&(p, a, c)| pool(FundSource::Central, FundPurpose::ALL[p], a, c.min(a)))
                .collect();
            let sources = compliance(&pools, &[]).sources;
            for s in sources {
                let sum: i64 = s.purposes.iter().map(|(_, x, _)| x.allocated_fen).sum();
                prop_assert_eq!(sum, s.sums.allocated_fen);
                let shares: u32 = s.purposes.iter().map(|(_, _, b)| *b).sum();
                prop_assert!(shares <= 10_000);
                if s.sums.allocated_fen > 0 {
                    prop_assert!(shares + u32::try_from(s.purposes.len()).unwrap() >= 10_000);
                }
            }
        }
    }
}
