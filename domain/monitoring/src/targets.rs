//! Target metrics and the roll-up check of a target table.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a metric's value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Enterprises, projects, products, events …
    Count,
    /// A share in basis points (9,500 = 95 %).
    ShareBp,
    /// Money in fen.
    AmountFen,
}

impl Unit {
    /// Counts and amounts of parts add up to their total; shares do not.
    pub fn additive(self) -> bool {
        !matches!(self, Unit::ShareBp)
    }
}

macro_rules! metrics {
    ($($variant:ident => $key:literal, $unit:ident, $zh:literal;)*) => {
        /// A metric a programme sets targets for (DOMAIN.md §6), with the
        /// Chinese name the seed tables use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Metric { $(#[serde(rename = $key)] $variant,)* }

        impl Metric {
            pub const ALL: &'static [Metric] = &[$(Metric::$variant,)*];

            pub fn key(self) -> &'static str {
                match self { $(Metric::$variant => $key,)* }
            }

            pub fn unit(self) -> Unit {
                match self { $(Metric::$variant => Unit::$unit,)* }
            }

            pub fn name_zh(self) -> &'static str {
                match self { $(Metric::$variant => $zh,)* }
            }
        }
    };
}

metrics! {
    EnterprisesTransformed => "enterprises_transformed", Count, "完成改造企业数量";
    EnterprisesDiagnosed => "enterprises_diagnosed", Count, "完成诊断企业数量";
    EnterprisesContracted => "enterprises_contracted", Count, "签订改造合同企业数量";
    PilotEnterprises => "pilot_enterprises", Count, "试点企业数量";
    PilotEnterprisesAboveSize => "pilot_enterprises_above_size", Count, "规上试点企业数量";
    PilotEnterprisesBelowSize => "pilot_enterprises_below_size", Count, "规下试点企业数量";
    PilotProjects => "pilot_projects", Count, "试点项目数量";
    AboveSizeLevel2Share => "above_size_level2_share", ShareBp, "规上企业数字化水平二级及以上占比";
    AboveSizeLevel3Share => "above_size_level3_share", ShareBp, "规上企业数字化水平三级及以上占比";
    BelowSizeLevel2Share => "below_size_level2_share", ShareBp, "规下企业数字化水平二级及以上占比";
    AboveSizeLevel2Enterprises => "above_size_level2_enterprises", Count, "数字化水平二级及以上规上企业数量";
    SpecialisedEnterprisesTransformed => "specialised_enterprises_transformed", Count, "改造企业中专精特新中小企业数量";
    LittleGiantsTransformed => "little_giants_transformed", Count, "改造企业中专精特新“小巨人”企业数量";
    InnovativeEnterprisesTransformed => "innovative_enterprises_transformed", Count, "改造企业中创新型（含专精特新）中小企业数量";
    CloudAdopters => "cloud_adopters", Count, "上云用云企业数量";
    Products => "products", Count, "“小快轻准”产品和解决方案数量";
    Providers => "providers", Count, "服务商数量";
    ComprehensiveProviders => "comprehensive_providers", Count, "综合型服务商数量";
    ScenarioProviders => "scenario_providers", Count, "场景型服务商数量";
    LocalProviders => "local_providers", Count, "本地服务商数量";
    SmartFactories => "smart_factories", Count, "智能工厂（数字化车间）数量";
    Level4Enterprises => "level4_enterprises", Count, "数字化水平四级企业数量";
    LittleLighthouses => "little_lighthouses", Count, "“小灯塔”企业数量";
    ChainCases => "chain_cases", Count, "“链式”转型案例数量";
    ClusterCases => "cluster_cases", Count, "“集群”转型案例数量";
    BeltAndRoadCases => "belt_and_road_cases", Count, "“一带一路”案例数量";
    BenchmarkEnterprises => "benchmark_enterprises", Count, "标杆企业、项目数量";
    ExcellentProviders => "excellent_providers", Count, "优秀服务商数量";
    ExcellentProducts => "excellent_products", Count, "优秀产品数量";
    Events => "events", Count, "供需对接、交流活动场次";
    Trainings => "trainings", Count, "培训场次";
    CertifiedTalent => "certified_talent", Count, "数字化能力证书人才数量";
    FinanceProducts => "finance_products", Count, "数字化转型金融产品数量";
    SubsidyCommitted => "subsidy_committed", AmountFen, "已核定奖补资金";
    SubsidyDisbursed => "subsidy_disbursed", AmountFen, "已拨付奖补资金";
    SubsidySecured => "subsidy_secured", AmountFen, "可争取的“四争”资金";
    ProvincialDemonstrations => "provincial_demonstrations", Count, "省级两化融合示范企业数量";
    SmartFactoriesAndLighthouses => "smart_factories_and_lighthouses", Count, "智能制造示范工厂和“小灯塔”企业数量";
    MatchmakingEvents => "matchmaking_events", Count, "供需对接活动场次";
    SupplyListings => "supply_listings", Count, "供给侧产品和服务清单发布数量";
    BaseStations5g => "base_stations_5g", Count, "5G基站数量";
    FullConnectionFactories5g => "full_connection_factories_5g", Count, "5G全连接工厂数量";
    SpecialisedIncludedShare => "specialised_included_share", ShareBp, "专精特新中小企业纳入改造比例";
    LittleGiantsLevel2Share => "little_giants_level2_share", ShareBp, "专精特新“小巨人”企业完成改造并达到二级及以上比例";
    CloudAdoptionShare => "cloud_adoption_share", ShareBp, "试点企业上云用云比例";
}

impl Metric {
    /// By key (`enterprises_transformed`) or Chinese name.
    pub fn parse(text: &str) -> Option<Metric> {
        let t = text.trim();
        Metric::ALL
            .iter()
            .copied()
            .find(|m| m.key() == t || m.name_zh() == t)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Where a target applies: the whole programme, or a year, an industry, a
/// region, or a combination.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub year: Option<i32>,
    pub industry: Option<String>,
    pub region: Option<String>,
}

/// A dimension a table can break a total down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Year,
    Industry,
    Region,
}

impl Scope {
    /// The scope with `dim` cleared, if it was set.
    fn parent(&self, dim: Dimension) -> Option<Scope> {
        let mut p = self.clone();
        let was_set = match dim {
            Dimension::Year => p.year.take().is_some(),
            Dimension::Industry => p.industry.take().is_some(),
            Dimension::Region => p.region.take().is_some(),
        };
        was_set.then_some(p)
    }
}

/// One target value. `cumulative` targets count everything up to the end
/// of their year and are not parts of a yearly breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub metric: Metric,
    pub scope: Scope,
    pub value: i64,
    pub cumulative: bool,
}

/// A total whose parts add up to something else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub metric: Metric,
    /// The total's scope.
    pub scope: Scope,
    /// What the parts break it down by.
    pub by: Dimension,
    pub total: i64,
    pub sum_of_parts: i64,
    pub parts: usize,
}

/// Every total in the table whose parts along one dimension do not add up
/// to it: a part is a target of the same additive metric whose scope is the
/// total's plus that one dimension (2026 → 2026 × each industry; the whole
/// programme → each year). Cumulative targets are neither totals nor parts.
pub fn mismatches(targets: &[Target]) -> Vec<Mismatch> {
    let additive: Vec<&Target> = targets
        .iter()
        .filter(|t| t.metric.unit().additive() && !t.cumulative)
        .collect();
    let totals: BTreeMap<(Metric, &Scope), i64> = additive
        .iter()
        .map(|t| ((t.metric, &t.scope), t.value))
        .collect();
    let mut sums: BTreeMap<(Metric, Scope, Dimension), (i64, usize)> = BTreeMap::new();
    for t in &additive {
        for dim in [Dimension::Year, Dimension::Industry, Dimension::Region] {
            if let Some(parent) = t.scope.parent(dim) {
                let entry = sums.entry((t.metric, parent, dim)).or_default();
                entry.0 += t.value;
                entry.1 += 1;
            }
        }
    }
    sums.into_iter()
        .filter_map(|((metric, scope, by), (sum, parts))| {
            let total = *totals.get(&(metric, &scope))?;
            (total != sum).then_some(Mismatch {
                metric,
                scope,
                by,
                total,
                sum_of_parts: sum,
                parts,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The wire name is the key, also where a key holds a digit
    /// (`base_stations_5g`), and parses back.
    #[test]
    fn every_metric_serialises_as_its_key() {
        for m in Metric::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!(m.key()));
            assert_eq!(Metric::parse(m.key()), Some(*m));
            assert_eq!(Metric::parse(m.name_zh()), Some(*m));
        }
    }

    fn t(metric: Metric, year: Option<i32>, industry: Option<&str>, value: i64) -> Target {
        Target {
            metric,
            scope: Scope {
                year,
                industry: industry.map(str::to_owned),
                region: None,
            },
            value,
            cumulative: false,
        }
    }

    #[test]
    fn every_metric_parses_by_key_and_by_chinese_name() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.key()), Some(*m));
            assert_eq!(Metric::parse(m.name_zh()), Some(*m));
        }
        assert_eq!(Metric::parse("nonsense"), None);
    }

    /// Yinchuan annex 1 (seed 004), the level-4 row: total 4 = 2 + 2, but
    /// 2026's industries add up to 1 and 2027's to 3.
    #[test]
    fn the_yinchuan_level4_row_is_found() {
        let m = Metric::Level4Enterprises;
        let mut table = vec![
            t(m, None, None, 4),
            t(m, Some(2026), None, 2),
            t(m, Some(2027), None, 2),
        ];
        for (ind, a, b) in [
            ("chem", 0, 1),
            ("mat", 0, 1),
            ("equip", 1, 0),
            ("green", 0, 1),
        ] {
            table.push(t(m, Some(2026), Some(ind), a));
            table.push(t(m, Some(2027), Some(ind), b));
        }
        let found = mismatches(&table);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (found[0].scope.year, found[0].total, found[0].sum_of_parts),
            (Some(2026), 2, 1)
        );
        assert_eq!(
            (found[1].scope.year, found[1].total, found[1].sum_of_parts),
            (Some(2027), 2, 3)
        );
        assert!(
            found
                .iter()
                .all(|f| f.by == Dimension::Industry && f.parts == 4)
        );
    }

    #[test]
    fn shares_and_cumulative_targets_are_not_summed() {
        let share = Metric::AboveSizeLevel2Share;
        let table = vec![t(share, None, None, 9500), t(share, Some(2026), None, 9000)];
        assert!(mismatches(&table).is_empty());
        let mut cumulative = t(Metric::AboveSizeLevel2Enterprises, Some(2027), None, 300);
        cumulative.cumulative = true;
        let table = vec![
            t(Metric::AboveSizeLevel2Enterprises, None, None, 300),
            cumulative,
        ];
        assert!(mismatches(&table).is_empty());
    }

    #[test]
    fn a_total_without_parts_or_parts_without_a_total_pass() {
        let m = Metric::Products;
        assert!(mismatches(&[t(m, None, None, 150)]).is_empty());
        assert!(mismatches(&[t(m, Some(2026), Some("a"), 5)]).is_empty());
    }

    proptest! {
        /// A table built by summing its parts never mismatches; changing
        /// any one part makes exactly its year's total and the grand total
        /// along that path mismatch.
        #[test]
        fn consistent_tables_pass_and_one_change_is_caught(
            parts in proptest::collection::vec(proptest::collection::vec(0i64..500, 1..5), 1..4),
            bump in 1i64..50,
        ) {
            let m = Metric::EnterprisesTransformed;
            let mut table = Vec::new();
            let mut grand = 0;
            for (y, row) in parts.iter().enumerate() {
                let year = 2025 + i32::try_from(y).unwrap_or(0);
                let sum: i64 = row.iter().sum();
                grand += sum;
                table.push(t(m, Some(year), None, sum));
                for (i, v) in row.iter().enumerate() {
                    table.push(t(m, Some(year), Some(&format!("i{i}")), *v));
                }
            }
            table.push(t(m, None, None, grand));
            prop_assert!(mismatches(&table).is_empty());
            let last = table.len() - 2;
            table[last].value += bump;
            let found = mismatches(&table);
            prop_assert_eq!(found.len(), 1);
            prop_assert_eq!(found[0].by, Dimension::Industry);
        }
    }
}
