//! Reading the two integrity logs: the hash-chained audit log and the
//! change-event feed.

use diesel::prelude::*;

use crate::rows::{AuditRow, ChangeEventRow};
use crate::schema::{audit_log, change_events, ledger_head};
use crate::uow::first_broken;
use shuzhuan_types::ObjectType;

use crate::{AnyConnection, Coded, RepoError};

/// Hash every chain starts from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub object_type: Option<ObjectType>,
    pub object_id: Option<String>,
    pub program_id: Option<String>,
}

/// Audit entries after `after_seq` in sequence order, at most `limit`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, RepoError> {
    let mut q = audit_log::table
        .select(AuditRow::as_select())
        .filter(audit_log::seq.gt(after_seq))
        .order(audit_log::seq)
        .limit(limit)
        .into_boxed();
    if let Some(t) = &filter.object_type {
        q = q.filter(audit_log::object_type.eq(Coded(*t)));
    }
    if let Some(id) = &filter.object_id {
        q = q.filter(audit_log::object_id.eq(id.clone()));
    }
    if let Some(p) = &filter.program_id {
        q = q.filter(audit_log::program_id.eq(p.clone()));
    }
    Ok(q.load(conn)?)
}

/// The outcome of re-computing the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: i64,
    pub head_hash: String,
    /// The first entry whose hash or link does not hold, if any.
    pub first_broken_seq: Option<i64>,
}

/// Re-computes every hash from the genesis in pages and compares the end
/// with the recorded head, so a removed tail is caught too.
pub fn verify_chain(conn: &mut AnyConnection) -> Result<ChainReport, RepoError> {
    const PAGE: i64 = 1000;
    let mut prev = GENESIS_HASH.to_owned();
    let mut after = 0;
    let mut entries = 0;
    loop {
        let page: Vec<AuditRow> = audit_log::table
            .select(AuditRow::as_select())
            .filter(audit_log::seq.gt(after))
            .order(audit_log::seq)
            .limit(PAGE)
            .load(conn)?;
        let Some(last) = page.last() else { break };
        if let Some(seq) = first_broken(&prev, &page) {
            return Ok(ChainReport {
                entries: entries + (seq - after),
                head_hash: prev,
                first_broken_seq: Some(seq),
            });
        }
        // A gap in the sequence is a removed entry.
        if last.seq - after != i64::try_from(page.len()).unwrap_or(i64::MAX) {
            let missing = page
                .iter()
                .zip(after + 1..)
                .find(|(e, expected)| e.seq != *expected)
                .map_or(last.seq, |(_, expected)| expected);
            return Ok(ChainReport {
                entries,
                head_hash: prev,
                first_broken_seq: Some(missing),
            });
        }
        entries += i64::try_from(page.len()).unwrap_or(i64::MAX);
        after = last.seq;
        prev = last.hash.clone();
    }
    let (head_seq, head_hash): (i64, String) = ledger_head::table
        .find(1)
        .select((ledger_head::audit_seq, ledger_head::audit_hash))
        .first(conn)?;
    let broken = (head_seq != after || head_hash != prev).then_some(after + 1);
    Ok(ChainReport {
        entries,
        head_hash: prev,
        first_broken_seq: broken,
    })
}

/// Which change events a reader gets: of one programme or type, and
/// whether the deployment's internal records (users, sessions, tokens,
/// webhooks) are left out.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedFilter<'a> {
    pub program_id: Option<&'a str>,
    pub object_type: Option<ObjectType>,
    pub business_only: bool,
}

/// Change events after `after_seq` in commit order, at most `limit`.
pub fn changes_after(
    conn: &mut AnyConnection,
    after_seq: i64,
    limit: i64,
    filter: FeedFilter<'_>,
) -> Result<Vec<ChangeEventRow>, RepoError> {
    let mut q = change_events::table
        .select(ChangeEventRow::as_select())
        .filter(change_events::seq.gt(after_seq))
        .order(change_events::seq)
        .limit(limit)
        .into_boxed();
    if let Some(p) = filter.program_id {
        q = q.filter(change_events::program_id.eq(p.to_owned()));
    }
    if let Some(t) = filter.object_type {
        q = q.filter(change_events::object_type.eq(Coded(t)));
    }
    if filter.business_only {
        let internal: Vec<Coded<ObjectType>> = ObjectType::internal().map(Coded).collect();
        q = q.filter(change_events::object_type.ne_all(internal));
    }
    Ok(q.load(conn)?)
}
