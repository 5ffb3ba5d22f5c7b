//! The subsidy rules engine (奖补, DOMAIN.md §5).
//!
//! Pure: policy, audited line items and level in, an exact amount in fen
//! with its explanation out. Money is integer fen, rates are basis points,
//! every division rounds down to the fen; there is no floating point here.

mod award;
mod funds;
mod money;
mod policy;
mod quote;
#[cfg(test)]
mod rules_tests;
#[cfg(test)]
mod seed_tests;

pub use award::{AwardAmount, AwardInput, AwardKind, AwardRule, Tier, award};
pub use funds::{
    Earmark, EarmarkCheck, FundPurpose, Funds, PoolFigures, SourceFunds, Sums, compliance, share_bp,
};
pub use money::{DecisionKind, DecisionState, FundSource};
pub use policy::{
    InvestmentBand, LevelTerms, PayeeKind, Policy, PolicyError, PolicyStatus, RateKind, select,
};
pub use quote::{Bound, LineItem, Quote, QuoteError, QuoteRequest, Step, quote, rate_of};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Expense categories of a plan's line items. The codes are part of the API
/// contract (DOMAIN.md §5); which of them count as eligible investment is
/// each programme's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseCategory {
    Software,
    CloudService,
    NetworkEquipment,
    DataAcquisitionEquipment,
    Hardware,
    Consulting,
    TechnicalRetrofit,
    Other,
}

impl ExpenseCategory {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            ExpenseCategory::Software => "Software licences and subscriptions (软件).",
            ExpenseCategory::CloudService => "Cloud services (云服务).",
            ExpenseCategory::NetworkEquipment => "Gateways, routers (网关、路由).",
            ExpenseCategory::DataAcquisitionEquipment => {
                "Data acquisition and transmission devices (数据采集传输设备)."
            }
            ExpenseCategory::Hardware => "Other purchased hardware (硬件).",
            ExpenseCategory::Consulting => "Pre-assessment and consulting (预评估咨询).",
            ExpenseCategory::TechnicalRetrofit => "Technical retrofit of equipment (技术改造).",
            ExpenseCategory::Other => "Anything else: construction, vehicles, staff …",
        }
    }

    pub const ALL: [ExpenseCategory; 8] = [
        ExpenseCategory::Software,
        ExpenseCategory::CloudService,
        ExpenseCategory::NetworkEquipment,
        ExpenseCategory::DataAcquisitionEquipment,
        ExpenseCategory::Hardware,
        ExpenseCategory::Consulting,
        ExpenseCategory::TechnicalRetrofit,
        ExpenseCategory::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExpenseCategory::Software => "software",
            ExpenseCategory::CloudService => "cloud_service",
            ExpenseCategory::NetworkEquipment => "network_equipment",
            ExpenseCategory::DataAcquisitionEquipment => "data_acquisition_equipment",
            ExpenseCategory::Hardware => "hardware",
            ExpenseCategory::Consulting => "consulting",
            ExpenseCategory::TechnicalRetrofit => "technical_retrofit",
            ExpenseCategory::Other => "other",
        }
    }

    /// The Chinese term officials write on import sheets.
    pub fn name_zh(self) -> &'static str {
        match self {
            ExpenseCategory::Software => "软件",
            ExpenseCategory::CloudService => "云服务",
            ExpenseCategory::NetworkEquipment => "网关、路由",
            ExpenseCategory::DataAcquisitionEquipment => "数据采集传输设备",
            ExpenseCategory::Hardware => "硬件",
            ExpenseCategory::Consulting => "预评估咨询",
            ExpenseCategory::TechnicalRetrofit => "技术改造",
            ExpenseCategory::Other => "其他",
        }
    }
}

shuzhuan_types::impl_code!(
    ExpenseCategory,
    "expense category",
    "The expense category of a plan's line item; which count as eligible investment is each programme's policy."
);

impl ExpenseCategory {
    pub fn as_str(self) -> &'static str {
        self.code()
    }
}

impl fmt::Display for ExpenseCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown expense category `{0}`")]
pub struct UnknownCategory(pub String);

impl FromStr for ExpenseCategory {
    type Err = UnknownCategory;

    /// Accepts the code or the Chinese term.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        ExpenseCategory::ALL
            .into_iter()
            .find(|c| c.code() == s || c.name_zh() == s)
            .ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse_from_code_and_chinese_term() {
        for c in ExpenseCategory::ALL {
            assert_eq!(c.code().parse(), Ok(c));
            assert_eq!(c.name_zh().parse(), Ok(c));
        }
        assert_eq!(
            " 云服务 ".parse::<ExpenseCategory>(),
            Ok(ExpenseCategory::CloudService)
        );
        assert!("vehicles".parse::<ExpenseCategory>().is_err());
    }
}
