//! Reading the two integrity logs: the hash-chained audit log and the
//! change-event feed.

use diesel::prelude::*;

use crate::rows::{AuditRow, ChangeEventRow};
use crate::schema::{audit_log, change_events, ledger_head};
use crate::uow::entry_hash;
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
    /// Entries read.
    pub entries: i64,
    /// The stored hash of the last entry (the chain's end as it stands).
    pub head_hash: String,
    /// The last entry before the first break, and its hash: everything up
    /// to it is proven (the genesis when the first entry is broken).
    pub last_good_seq: i64,
    pub last_good_hash: String,
    /// Every break, in sequence order (at most [`MAX_BREAKS`]).
    pub breaks: Vec<ChainBreak>,
    /// Whether more breaks exist than are listed.
    pub more_breaks: bool,
}

/// Breaks listed at most; a chain broken everywhere says so once.
pub const MAX_BREAKS: usize = 1000;

/// Where and how the chain does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first sequence number concerned.
    pub seq: i64,
    /// The last one (a run of removed entries); equal to `seq` otherwise.
    pub through_seq: i64,
    pub kind: BreakKind,
}

/// How an entry does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// Its content does not hash to its stored hash: edited in place.
    Edited,
    /// Sequence numbers are missing: entries deleted.
    Deleted,
    /// Its link names another hash than the entry before it: the entry
    /// before was rewritten with a new hash, or entries were reordered or
    /// inserted.
    Relinked,
    /// The recorded head names later entries than there are: the tail was
    /// removed.
    TailDeleted,
    /// The recorded head's hash is not the last entry's.
    HeadMismatch,
}

impl BreakKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Edited => "edited",
            BreakKind::Deleted => "deleted",
            BreakKind::Relinked => "relinked",
            BreakKind::TailDeleted => "tail_deleted",
            BreakKind::HeadMismatch => "head_mismatch",
        }
    }
}

/// Re-computes every entry's own hash and its link to the entry before,
/// from the genesis in pages, lists every break, and compares the end with
/// the recorded head, so a removed tail is caught too.
pub fn verify_chain(conn: &mut AnyConnection) -> Result<ChainReport, RepoError> {
    const PAGE: i64 = 1000;
    let mut report = ChainReport {
        entries: 0,
        head_hash: GENESIS_HASH.to_owned(),
        last_good_seq: 0,
        last_good_hash: GENESIS_HASH.to_owned(),
        breaks: Vec::new(),
        more_breaks: false,
    };
    let note = |report: &mut ChainReport, seq: i64, through_seq: i64, kind: BreakKind| {
        if report.breaks.len() < MAX_BREAKS {
            report.breaks.push(ChainBreak {
                seq,
                through_seq,
                kind,
            });
        } else {
            report.more_breaks = true;
        }
    };
    let mut after = 0;
    loop {
        let page: Vec<AuditRow> = audit_log::table
            .select(AuditRow::as_select())
            .filter(audit_log::seq.gt(after))
            .order(audit_log::seq)
            .limit(PAGE)
            .load(conn)?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            let gap = e.seq != after + 1;
            if gap {
                note(&mut report, after + 1, e.seq - 1, BreakKind::Deleted);
            }
            if entry_hash(e) != e.hash {
                note(&mut report, e.seq, e.seq, BreakKind::Edited);
            } else if !gap && e.prev_hash != report.head_hash {
                note(&mut report, e.seq, e.seq, BreakKind::Relinked);
            }
            if report.breaks.is_empty() {
                report.last_good_seq = e.seq;
                report.last_good_hash.clone_from(&e.hash);
            }
            report.entries += 1;
            report.head_hash.clone_from(&e.hash);
            after = e.seq;
        }
    }
    let (head_seq, head_hash): (i64, String) = ledger_head::table
        .find(1)
        .select((ledger_head::audit_seq, ledger_head::audit_hash))
        .first(conn)?;
    if head_seq > after {
        note(&mut report, after + 1, head_seq, BreakKind::TailDeleted);
    } else if head_hash != report.head_hash {
        note(&mut report, after, after, BreakKind::HeadMismatch);
    }
    Ok(report)
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
