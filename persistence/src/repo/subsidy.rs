//! Subsidy policy versions, budget pools, decisions and disbursements.
//!
//! The no-overdraw rule lives in the statements: a commitment or payment
//! moves a counter only with `WHERE counter + x <= limit`, which the
//! database applies atomically per row on both backends, so concurrent
//! approvals can never take a pool below zero; zero rows updated means the
//! money is not there.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use shuzhuan_subsidy::DecisionState;

use crate::rows::{
    BudgetPoolRow, DisbursementRow, LedgerRow, SubsidyDecisionRow, SubsidyPolicyRow,
};
use crate::schema::{
    budget_pools, disbursements, enterprise_ledgers, subsidy_decisions, subsidy_policies,
};
use crate::{AnyConnection, Coded, RepoError};

pub fn insert_policy(conn: &mut AnyConnection, row: &SubsidyPolicyRow) -> Result<(), RepoError> {
    diesel::insert_into(subsidy_policies::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn policies_of(
    conn: &mut AnyConnection,
    program_id: &str,
) -> Result<Vec<SubsidyPolicyRow>, RepoError> {
    Ok(subsidy_policies::table
        .filter(subsidy_policies::program_id.eq(program_id))
        .select(SubsidyPolicyRow::as_select())
        .order(subsidy_policies::version)
        .load(conn)?)
}

pub fn insert_pool(conn: &mut AnyConnection, row: &BudgetPoolRow) -> Result<(), RepoError> {
    diesel::insert_into(budget_pools::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn pools_of(
    conn: &mut AnyConnection,
    program_id: &str,
) -> Result<Vec<BudgetPoolRow>, RepoError> {
    Ok(budget_pools::table
        .filter(budget_pools::program_id.eq(program_id))
        .select(BudgetPoolRow::as_select())
        .order(budget_pools::id)
        .load(conn)?)
}

pub fn find_pool(
    conn: &mut AnyConnection,
    program_id: &str,
    id: &str,
) -> Result<BudgetPoolRow, RepoError> {
    Ok(budget_pools::table
        .filter(budget_pools::id.eq(id))
        .filter(budget_pools::program_id.eq(program_id))
        .select(BudgetPoolRow::as_select())
        .first(conn)?)
}

/// Commits `amount` against the pool if it has that much uncommitted;
/// false when it has not.
pub fn commit_to_pool(
    conn: &mut AnyConnection,
    pool_id: &str,
    amount: i64,
    at: NaiveDateTime,
) -> Result<bool, RepoError> {
    let n = diesel::update(
        budget_pools::table
            .filter(budget_pools::id.eq(pool_id))
            .filter(budget_pools::committed_fen.le(budget_pools::amount_fen - amount)),
    )
    .set((
        budget_pools::committed_fen.eq(budget_pools::committed_fen + amount),
        budget_pools::version.eq(budget_pools::version + 1),
        budget_pools::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a payment out of the pool's commitments; false when it would
/// pay out more than was committed.
pub fn pay_from_pool(
    conn: &mut AnyConnection,
    pool_id: &str,
    amount: i64,
    at: NaiveDateTime,
) -> Result<bool, RepoError> {
    let n = diesel::update(
        budget_pools::table
            .filter(budget_pools::id.eq(pool_id))
            .filter(budget_pools::disbursed_fen.le(budget_pools::committed_fen - amount)),
    )
    .set((
        budget_pools::disbursed_fen.eq(budget_pools::disbursed_fen + amount),
        budget_pools::version.eq(budget_pools::version + 1),
        budget_pools::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn insert_decision(
    conn: &mut AnyConnection,
    row: &SubsidyDecisionRow,
) -> Result<(), RepoError> {
    diesel::insert_into(subsidy_decisions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_decision(
    conn: &mut AnyConnection,
    program_id: &str,
    id: &str,
) -> Result<SubsidyDecisionRow, RepoError> {
    Ok(subsidy_decisions::table
        .filter(subsidy_decisions::id.eq(id))
        .filter(subsidy_decisions::program_id.eq(program_id))
        .select(SubsidyDecisionRow::as_select())
        .first(conn)?)
}

pub fn decisions_of(
    conn: &mut AnyConnection,
    program_id: &str,
) -> Result<Vec<SubsidyDecisionRow>, RepoError> {
    Ok(subsidy_decisions::table
        .filter(subsidy_decisions::program_id.eq(program_id))
        .select(SubsidyDecisionRow::as_select())
        .order(subsidy_decisions::id)
        .load(conn)?)
}

/// Moves a proposed decision to approved if it is still proposed at
/// `expected_version`; false when someone else moved it first.
pub fn approve_decision(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i64,
    by: &str,
    at: NaiveDateTime,
) -> Result<bool, RepoError> {
    let n = diesel::update(
        subsidy_decisions::table
            .filter(subsidy_decisions::id.eq(id))
            .filter(subsidy_decisions::version.eq(expected_version))
            .filter(subsidy_decisions::state.eq(Coded(DecisionState::Proposed))),
    )
    .set((
        subsidy_decisions::state.eq(Coded(DecisionState::Approved)),
        subsidy_decisions::approved_by.eq(by),
        subsidy_decisions::approved_at.eq(at),
        subsidy_decisions::version.eq(expected_version + 1),
        subsidy_decisions::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Pays `amount` on an approved decision if that stays within it.
pub fn pay_decision(
    conn: &mut AnyConnection,
    id: &str,
    amount: i64,
    at: NaiveDateTime,
) -> Result<bool, RepoError> {
    let n = diesel::update(
        subsidy_decisions::table
            .filter(subsidy_decisions::id.eq(id))
            .filter(subsidy_decisions::state.eq(Coded(DecisionState::Approved)))
            .filter(subsidy_decisions::disbursed_fen.le(subsidy_decisions::amount_fen - amount)),
    )
    .set((
        subsidy_decisions::disbursed_fen.eq(subsidy_decisions::disbursed_fen + amount),
        subsidy_decisions::version.eq(subsidy_decisions::version + 1),
        subsidy_decisions::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// An enterprise's ledger row in a programme, if money was ever approved
/// for it.
/// Every enterprise's ledger of a programme, in enterprise id order.
pub fn ledgers_of(conn: &mut AnyConnection, program_id: &str) -> Result<Vec<LedgerRow>, RepoError> {
    Ok(enterprise_ledgers::table
        .filter(enterprise_ledgers::program_id.eq(program_id))
        .order(enterprise_ledgers::enterprise_id)
        .select(LedgerRow::as_select())
        .load(conn)?)
}

pub fn ledger(
    conn: &mut AnyConnection,
    program_id: &str,
    enterprise_id: &str,
) -> Result<Option<LedgerRow>, RepoError> {
    Ok(enterprise_ledgers::table
        .find((program_id, enterprise_id))
        .select(LedgerRow::as_select())
        .first(conn)
        .optional()?)
}

/// Commits `amount` to an enterprise's ledger if its approved total stays
/// within `cap` (no cap: always); false when it would not. The row is
/// created at zero first if missing; the conditional update takes its row
/// lock, so concurrent approvals for one enterprise serialise on it and
/// the later one sees the earlier one's total (PostgreSQL re-checks the
/// condition on the committed row).
pub fn commit_to_ledger(
    conn: &mut AnyConnection,
    program_id: &str,
    enterprise_id: &str,
    amount: i64,
    cap: Option<i64>,
    at: NaiveDateTime,
) -> Result<bool, RepoError> {
    use enterprise_ledgers as l;
    let fresh = LedgerRow {
        program_id: program_id.to_owned(),
        enterprise_id: enterprise_id.to_owned(),
        approved_fen: 0,
        disbursed_fen: 0,
        version: 0,
        updated_at: at,
    };
    let insert = diesel::insert_into(l::table)
        .values(&fresh)
        .on_conflict_do_nothing();
    match conn {
        AnyConnection::Postgresql(c) => insert.execute(c)?,
        AnyConnection::Sqlite(c) => insert.execute(c)?,
    };
    let mut q = diesel::update(l::table.find((program_id, enterprise_id))).into_boxed();
    if let Some(cap) = cap {
        q = q.filter(l::approved_fen.le(cap.saturating_sub(amount)));
    }
    let n = q
        .set((
            l::approved_fen.eq(l::approved_fen + amount),
            l::version.eq(l::version + 1),
            l::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Records a payment on an enterprise's ledger; false when it would pay
/// out more than was approved.
pub fn pay_from_ledger(
    conn: &mut AnyConnection,
    program_id: &str,
    enterprise_id: &str,
    amount: i64,
    at: NaiveDateTime,
) -> Result<bool, RepoError> {
    use enterprise_ledgers as l;
    let n = diesel::update(
        l::table
            .find((program_id, enterprise_id))
            .filter(l::disbursed_fen.le(l::approved_fen - amount)),
    )
    .set((
        l::disbursed_fen.eq(l::disbursed_fen + amount),
        l::version.eq(l::version + 1),
        l::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// A disbursement of the programme.
pub fn find_disbursement(
    conn: &mut AnyConnection,
    program_id: &str,
    id: &str,
) -> Result<DisbursementRow, RepoError> {
    Ok(disbursements::table
        .filter(disbursements::id.eq(id))
        .filter(disbursements::program_id.eq(program_id))
        .select(DisbursementRow::as_select())
        .first(conn)?)
}

pub fn insert_disbursement(
    conn: &mut AnyConnection,
    row: &DisbursementRow,
) -> Result<(), RepoError> {
    diesel::insert_into(disbursements::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn disbursements_of(
    conn: &mut AnyConnection,
    program_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<crate::repo::Page<DisbursementRow>, RepoError> {
    let mut q = disbursements::table
        .filter(disbursements::program_id.eq(program_id))
        .select(DisbursementRow::as_select())
        .order(disbursements::id)
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(disbursements::id.gt(after.to_owned()));
    }
    Ok(crate::repo::Page::from_rows(q.load(conn)?, limit, |d| {
        d.id.clone()
    }))
}

/// The payments made on one decision, oldest first.
pub fn disbursements_of_decision(
    conn: &mut AnyConnection,
    decision_id: &str,
) -> Result<Vec<DisbursementRow>, RepoError> {
    Ok(disbursements::table
        .filter(disbursements::decision_id.eq(decision_id))
        .order(disbursements::id)
        .select(DisbursementRow::as_select())
        .load(conn)?)
}
