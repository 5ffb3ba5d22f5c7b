//! The unit of work: every write runs in one transaction together with its
//! audit entries and change events (DOMAIN.md §8).
//!
//! Ordering. Both logs are appended at the very end of the transaction,
//! after locking the single `ledger_head` row. The lock is held until
//! commit, so the next writer reads the head only after this one has
//! committed: audit hashes chain without forks, and change-event sequence
//! numbers are assigned in commit order. A feed consumer paging by `seq`
//! therefore never sees a gap fill in behind it, on PostgreSQL with many
//! concurrent writers as on SQLite. The cost is that writers serialise for
//! the few statements of the append, not for their whole transaction.
//! On SQLite the head is touched at the start instead: SQLite has one
//! writer at a time anyway, and taking the write lock first avoids the
//! busy-snapshot error a read-then-write transaction meets under WAL.

use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shuzhuan_types::Code;

use crate::repo::insert_all;
use crate::rows::{AuditRow, ChangeEventRow, LedgerHeadRow};
use crate::schema::{audit_log, change_events, ledger_head};
use shuzhuan_types::{ObjectType, Op};

use crate::db::Observer;
use crate::{AnyConnection, Backend, Coded, RepoError, now, overlapped};

/// Who writes: a user, or the system itself (seeding, bootstrap).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<String>,
    pub label: String,
}

impl Actor {
    pub fn user(id: &str, username: &str) -> Self {
        Actor {
            user_id: Some(id.to_owned()),
            label: username.to_owned(),
        }
    }

    pub fn system() -> Self {
        Actor {
            user_id: None,
            label: "system".to_owned(),
        }
    }
}

/// An object's state as JSON text, rendered once when the change is made:
/// a bulk import may record a hundred thousand of them, and text is a
/// fraction of the memory (and of the time) of a `Value` tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(String);

impl Snapshot {
    /// Renders a view straight to text (no `Value` in between); `None` for
    /// the view serde cannot render (a map with non-string keys).
    pub fn of(view: &impl serde::Serialize) -> Option<Self> {
        serde_json::to_string(view).ok().map(Snapshot)
    }
}

impl From<Value> for Snapshot {
    fn from(v: Value) -> Self {
        Snapshot(v.to_string())
    }
}

/// One object changed by a write: becomes one audit entry and one change
/// event. `after` is the snapshot the feed carries (`before` for a
/// tombstone that has no after).
#[derive(Debug, Clone)]
pub struct Change {
    pub action: String,
    pub object_type: ObjectType,
    pub object_id: String,
    pub program_id: Option<String>,
    pub version: i64,
    pub op: Op,
    pub before: Option<Snapshot>,
    pub after: Option<Snapshot>,
}

/// The open transaction handed to a write.
pub struct Tx<'c> {
    conn: &'c mut AnyConnection,
    changes: Pending,
}

/// Changes kept in memory before the older ones go to disk.
const SPILL_AFTER: usize = 10_000;

/// The changes of one transaction, waiting for its commit. A bulk write
/// (a million-row atomic import) records one per row: past
/// [`SPILL_AFTER`] they are written to a temporary file, each field
/// length-prefixed (the snapshots' JSON is copied, not escaped again), so
/// memory stays flat whatever the size of the write.
#[derive(Default)]
struct Pending {
    recent: Vec<Change>,
    spilled: Option<std::io::BufWriter<std::fs::File>>,
    count: usize,
    /// Why spilling failed: the commit fails with it.
    failed: Option<diesel::result::Error>,
}

fn spill_error(e: impl std::error::Error + Send + Sync + 'static) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(Box::new(e))
}

/// One field of a spilled change: absent, or its length and bytes.
fn put(out: &mut impl std::io::Write, field: Option<&str>) -> std::io::Result<()> {
    match field {
        None => out.write_all(&u32::MAX.to_le_bytes()),
        Some(text) => {
            let len = u32::try_from(text.len()).map_err(std::io::Error::other)?;
            out.write_all(&len.to_le_bytes())?;
            out.write_all(text.as_bytes())
        }
    }
}

/// Reads a field [`put`] wrote; `Ok(None)` for an absent one.
fn take(input: &mut impl std::io::Read) -> std::io::Result<Option<String>> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len);
    if len == u32::MAX {
        return Ok(None);
    }
    let mut bytes = vec![0u8; len as usize];
    input.read_exact(&mut bytes)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(std::io::Error::other)
}

impl Change {
    fn spill(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let version = self.version.to_string();
        for field in [
            Some(self.action.as_str()),
            Some(self.object_type.code()),
            Some(self.object_id.as_str()),
            self.program_id.as_deref(),
            Some(version.as_str()),
            Some(self.op.code()),
            self.before.as_ref().map(|s| s.0.as_str()),
            self.after.as_ref().map(|s| s.0.as_str()),
        ] {
            put(out, field)?;
        }
        Ok(())
    }

    fn unspill(input: &mut impl std::io::Read) -> std::io::Result<Change> {
        let bad = || std::io::Error::other("a spilled change is damaged");
        let mut field = || take(input);
        let action = field()?.ok_or_else(bad)?;
        let object_type = field()?
            .and_then(|c| ObjectType::from_code(&c))
            .ok_or_else(bad)?;
        let object_id = field()?.ok_or_else(bad)?;
        let program_id = field()?;
        let version = field()?.and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let op = field()?.and_then(|c| Op::from_code(&c)).ok_or_else(bad)?;
        Ok(Change {
            action,
            object_type,
            object_id,
            program_id,
            version,
            op,
            before: field()?.map(Snapshot),
            after: field()?.map(Snapshot),
        })
    }
}

impl Pending {
    fn push(&mut self, change: Change) {
        self.recent.push(change);
        self.count += 1;
        if self.recent.len() >= SPILL_AFTER
            && self.failed.is_none()
            && let Err(e) = self.spill()
        {
            self.failed = Some(spill_error(e));
        }
    }

    fn spill(&mut self) -> std::io::Result<()> {
        let out = match &mut self.spilled {
            Some(out) => out,
            None => self
                .spilled
                .insert(std::io::BufWriter::new(tempfile::tempfile()?)),
        };
        for change in self.recent.drain(..) {
            change.spill(out)?;
        }
        Ok(())
    }

    /// Every change in the order recorded: the spilled ones read back.
    fn into_iter(self) -> QueryResult<impl Iterator<Item = QueryResult<Change>> + Send> {
        use std::io::Seek;
        if let Some(e) = self.failed {
            return Err(e);
        }
        let on_disk = self.count - self.recent.len();
        let spilled = match self.spilled {
            None => None,
            Some(out) => {
                let mut file = out.into_inner().map_err(|e| spill_error(e.into_error()))?;
                file.rewind().map_err(spill_error)?;
                let mut input = std::io::BufReader::new(file);
                Some((0..on_disk).map(move |_| Change::unspill(&mut input).map_err(spill_error)))
            }
        };
        Ok(spilled
            .into_iter()
            .flatten()
            .chain(self.recent.into_iter().map(Ok)))
    }
}

impl Tx<'_> {
    pub fn conn(&mut self) -> &mut AnyConnection {
        self.conn
    }

    /// Runs `f` in a savepoint of this transaction: when it fails, what it
    /// wrote is undone and the transaction goes on (on PostgreSQL a failed
    /// statement would otherwise abort the whole transaction).
    pub fn savepoint<T>(
        &mut self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        self.conn.transaction(f)
    }

    /// Records that an object changed; appended to both logs at commit
    /// (which fails, rolling everything back, should a large write be
    /// unable to spill its changes to disk).
    pub fn record(&mut self, change: Change) {
        self.changes.push(change);
    }
}

enum Failure<E> {
    App(E),
    Db(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Failure<E> {
    fn from(e: diesel::result::Error) -> Self {
        Failure::Db(e)
    }
}

pub(crate) fn run<T, E>(
    conn: &mut AnyConnection,
    backend: Backend,
    observer: Option<&dyn Observer>,
    actor: &Actor,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<RepoError>,
{
    let result = conn.transaction::<T, Failure<E>, _>(|conn| {
        // SQLite takes its one write lock first (see the module's doc);
        // PostgreSQL waits for the head only when it appends.
        let (early, late) = match backend {
            Backend::Sqlite => (observer, None),
            Backend::Postgres => (None, observer),
        };
        if backend == Backend::Sqlite {
            lock_head(conn, early)?;
        }
        let mut tx = Tx {
            conn,
            changes: Pending::default(),
        };
        let out = f(&mut tx).map_err(Failure::App)?;
        let Tx { conn, changes } = tx;
        if changes.count > 0 {
            append(conn, actor, changes, late)?;
        }
        Ok(out)
    });
    result.map_err(|f| match f {
        Failure::App(e) => e,
        Failure::Db(e) => E::from(RepoError::from(e)),
    })
}

/// The hash at the head of the audit chain: it changes with every
/// committed write, so it keys what is computed from the data (a cache
/// read with it is never stale, on any instance).
pub fn head_hash(conn: &mut AnyConnection) -> Result<String, RepoError> {
    Ok(ledger_head::table
        .find(1)
        .select(ledger_head::audit_hash)
        .first(conn)?)
}

/// The change feed's last sequence number: the high-water mark of what a
/// report built now has read.
pub fn feed_seq(conn: &mut AnyConnection) -> Result<i64, RepoError> {
    Ok(ledger_head::table
        .find(1)
        .select(ledger_head::change_seq)
        .first(conn)?)
}

/// Takes the row lock on the head (an UPDATE locks on both backends),
/// telling `observer` how long it waited. The wait is bounded by the
/// connection's lock timeout: past it the write fails as busy (503).
fn lock_head(conn: &mut AnyConnection, observer: Option<&dyn Observer>) -> QueryResult<()> {
    let started = std::time::Instant::now();
    diesel::update(ledger_head::table.find(1))
        .set(ledger_head::audit_seq.eq(ledger_head::audit_seq))
        .execute(conn)?;
    if let Some(observer) = observer {
        observer.ledger_lock(started.elapsed());
    }
    Ok(())
}

fn append(
    conn: &mut AnyConnection,
    actor: &Actor,
    changes: Pending,
    observer: Option<&dyn Observer>,
) -> QueryResult<()> {
    lock_head(conn, observer)?;
    let head: LedgerHeadRow = ledger_head::table
        .find(1)
        .select(LedgerHeadRow::as_select())
        .first(conn)?;
    let (n, large) = (changes.count as i64, changes.count > BATCH);
    let mut batches = log_batches(&head, actor, changes.into_iter()?);
    let mut audit_hash = head.audit_hash.clone();
    let mut write = |batch: QueryResult<LogBatch>| {
        let (entries, events) = batch?;
        if let Some(last) = entries.last() {
            audit_hash.clone_from(&last.hash);
        }
        insert_batched(conn, &entries, &events)
    };
    // A bulk write's logs are built and hashed a batch ahead while the
    // batch before is written.
    if large {
        overlapped(batches, 2, |mut ahead| ahead.try_for_each(&mut write))?;
    } else {
        batches.try_for_each(&mut write)?;
    }
    diesel::update(ledger_head::table.find(1))
        .set((
            ledger_head::audit_seq.eq(head.audit_seq + n),
            ledger_head::audit_hash.eq(&audit_hash),
            ledger_head::change_seq.eq(head.change_seq + n),
        ))
        .execute(conn)?;
    Ok(())
}

/// Audit entries and change events written together.
type LogBatch = (Vec<AuditRow>, Vec<ChangeEventRow>);

/// The log rows of `changes` after `head`, in batches: the audit entries
/// chained by hash, the change events numbered on from the head.
fn log_batches(
    head: &LedgerHeadRow,
    actor: &Actor,
    changes: impl Iterator<Item = QueryResult<Change>> + Send,
) -> impl Iterator<Item = QueryResult<LogBatch>> + Send {
    let at = now();
    let (mut audit_seq, mut change_seq) = (head.audit_seq, head.change_seq);
    let mut audit_hash = head.audit_hash.clone();
    let (user_id, label) = (actor.user_id.clone(), actor.label.clone());
    let mut rows = changes.map(move |change| {
        let change = change?;
        audit_seq += 1;
        change_seq += 1;
        let mut entry = AuditRow {
            seq: audit_seq,
            at,
            actor_user_id: user_id.clone(),
            actor: label.clone(),
            action: change.action,
            object_type: Coded(change.object_type),
            object_id: change.object_id.clone(),
            program_id: change.program_id.clone(),
            before_json: change.before.map(|s| s.0),
            after_json: change.after.map(|s| s.0),
            prev_hash: std::mem::take(&mut audit_hash),
            hash: String::new(),
        };
        entry.hash = entry_hash(&entry);
        audit_hash.clone_from(&entry.hash);
        let snapshot = entry
            .after_json
            .clone()
            .or_else(|| entry.before_json.clone())
            .unwrap_or_else(|| "null".to_owned());
        let event = ChangeEventRow {
            seq: change_seq,
            object_type: Coded(change.object_type),
            object_id: change.object_id,
            program_id: change.program_id,
            version: change.version,
            op: Coded(change.op),
            committed_at: at,
            snapshot,
        };
        Ok((entry, event))
    });
    std::iter::from_fn(move || {
        let batch: QueryResult<Vec<(AuditRow, ChangeEventRow)>> =
            rows.by_ref().take(BATCH).collect();
        match batch {
            Ok(rows) if rows.is_empty() => None,
            Ok(rows) => Some(Ok(rows.into_iter().unzip())),
            Err(e) => Some(Err(e)),
        }
    })
}

/// Log rows gathered before they are written (and, on SQLite, rows per
/// multi-row INSERT: 12 columns each stays well under its 32,766 bound
/// parameters).
const BATCH: usize = 1000;

/// Inserts the log rows: COPY on PostgreSQL, a thousand per INSERT on SQLite.
fn insert_batched(
    conn: &mut AnyConnection,
    entries: &[AuditRow],
    events: &[ChangeEventRow],
) -> QueryResult<()> {
    insert_all!(&mut *conn, audit_log::table, entries, BATCH)?;
    insert_all!(conn, change_events::table, events, BATCH)
}

/// SHA-256 over the previous hash and every field of the entry, separated
/// by a unit separator, hex-encoded. Changing or removing any entry breaks
/// the chain from there on.
pub(crate) fn entry_hash(e: &AuditRow) -> String {
    let fields = [
        e.prev_hash.as_str(),
        &e.seq.to_string(),
        &e.at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.actor_user_id.as_deref().unwrap_or(""),
        &e.actor,
        &e.action,
        e.object_type.code(),
        &e.object_id,
        e.program_id.as_deref().unwrap_or(""),
        e.before_json.as_deref().unwrap_or(""),
        e.after_json.as_deref().unwrap_or(""),
    ];
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: usize) -> Change {
        Change {
            action: "enterprise.create".into(),
            object_type: ObjectType::Enterprise,
            object_id: format!("e{n}"),
            program_id: n.is_multiple_of(2).then(|| "p".to_owned()),
            version: n as i64,
            op: Op::Create,
            before: None,
            after: Some(Snapshot(format!("{{\"n\":{n},\"name\":\"企业\\n{n}\"}}"))),
        }
    }

    #[test]
    fn a_large_write_spills_its_changes_and_reads_them_back_in_order() {
        let mut pending = Pending::default();
        let n = SPILL_AFTER * 2 + 7;
        for i in 0..n {
            pending.push(change(i));
        }
        assert!(pending.spilled.is_some(), "spilled past {SPILL_AFTER}");
        assert!(
            pending.recent.len() < SPILL_AFTER,
            "memory holds the newest only"
        );
        let back: Vec<Change> = pending
            .into_iter()
            .unwrap()
            .collect::<QueryResult<_>>()
            .unwrap();
        assert_eq!(back.len(), n);
        for (i, c) in back.iter().enumerate() {
            let want = change(i);
            assert_eq!(
                (&c.object_id, &c.program_id, c.version, &c.after, c.op),
                (
                    &want.object_id,
                    &want.program_id,
                    want.version,
                    &want.after,
                    want.op
                )
            );
        }
    }
}
