//! The transformation plan and contract (改造方案与合同) a project files
//! before county and city approve it: what the money goes to, by expense
//! category (DOMAIN.md §5), which the subsidy is later computed from. One
//! type for every reader of the stored plan.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shuzhuan_subsidy::ExpenseCategory;

/// One line of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanLineItem {
    pub category: ExpenseCategory,
    pub description: String,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub goals: String,
    pub content: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The contract's total; the line items add up to it.
    pub contract_amount_fen: i64,
    pub line_items: Vec<PlanLineItem>,
    /// Further providers of the programme's pool working on it.
    #[serde(default)]
    pub provider_ids: Vec<String>,
    /// Products from the programme's library.
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// The signed contract, a document of kind `contract`.
    #[serde(default)]
    pub contract_document_id: Option<String>,
}

/// What is wrong with a plan on its own (references to the programme's
/// pool, library and documents are checked where they are known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the plan ends before it starts")]
    EndsBeforeStart,
    #[error("the line items add up to {items_fen} fen, the contract to {contract_fen}")]
    TotalMismatch { items_fen: i64, contract_fen: i64 },
    #[error("the line items add up to more than a fen amount can hold")]
    TotalOverflow,
}

impl PlanError {
    /// The field of the plan the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            PlanError::EndsBeforeStart => "ends_on",
            PlanError::TotalMismatch { .. } | PlanError::TotalOverflow => "line_items",
        }
    }
}

impl Plan {
    /// The line items' total, or `None` when it overflows.
    pub fn items_total(&self) -> Option<i64> {
        self.line_items
            .iter()
            .try_fold(0i64, |sum, l| sum.checked_add(l.amount_fen))
    }

    /// Every fault of the plan itself: dates in order, line items adding
    /// up to the contract exactly (checked arithmetic: a sum that overflows
    /// is refused, never wrapped).
    pub fn check(&self) -> Vec<PlanError> {
        let mut errors = Vec::new();
        if self.ends_on < self.starts_on {
            errors.push(PlanError::EndsBeforeStart);
        }
        match self.items_total() {
            None => errors.push(PlanError::TotalOverflow),
            Some(total) if total != self.contract_amount_fen => {
                errors.push(PlanError::TotalMismatch {
                    items_fen: total,
                    contract_fen: self.contract_amount_fen,
                })
            }
            Some(_) => {}
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan(items: &[i64], contract: i64) -> Plan {
        Plan {
            goals: "g".into(),
            content: "c".into(),
            starts_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
            contract_amount_fen: contract,
            line_items: items
                .iter()
                .map(|a| PlanLineItem {
                    category: ExpenseCategory::Software,
                    description: "x".into(),
                    amount_fen: *a,
                })
                .collect(),
            provider_ids: vec![],
            product_ids: vec![],
            contract_document_id: None,
        }
    }

    #[test]
    fn items_must_add_up_to_the_contract_and_dates_run_forward() {
        assert!(plan(&[100, 50], 150).check().is_empty());
        assert_eq!(
            plan(&[100, 50], 151).check(),
            [PlanError::TotalMismatch {
                items_fen: 150,
                contract_fen: 151
            }]
        );
        let mut backwards = plan(&[1], 1);
        backwards.ends_on = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(backwards.check(), [PlanError::EndsBeforeStart]);
        assert_eq!(backwards.check()[0].field(), "ends_on");
    }

    #[test]
    fn a_total_that_overflows_is_refused_not_wrapped() {
        let p = plan(&[i64::MAX, i64::MAX, 2], 0);
        assert_eq!(p.check(), [PlanError::TotalOverflow]);
    }

    proptest! {
        /// A plan whose items add up to its contract is accepted; any other
        /// contract amount is refused with the items' true total.
        #[test]
        fn the_check_agrees_with_the_true_sum(items in proptest::collection::vec(0i64..1_000_000_000, 1..20), delta in -5i64..5) {
            let total: i64 = items.iter().sum();
            let errors = plan(&items, total + delta).check();
            if delta == 0 {
                prop_assert!(errors.is_empty());
            } else {
                prop_assert_eq!(errors, vec![PlanError::TotalMismatch { items_fen: total, contract_fen: total + delta }]);
            }
        }
    }
}
