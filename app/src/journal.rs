//! What every write records besides its rows: one audit entry and one
//! change event per object changed (DOMAIN.md §8), built here from the
//! object's view so the feed carries what the API shows.

use serde::Serialize;
use shuzhuan_persistence::{Change, Snapshot};
use shuzhuan_types::{ObjectType, Op};

/// An object's identity in the logs: its id, its programme, its version.
pub struct Key<'a> {
    pub id: &'a str,
    pub program_id: Option<&'a str>,
    pub version: i64,
}

impl<'a> Key<'a> {
    pub fn new(id: &'a str, program_id: Option<&'a str>, version: i64) -> Self {
        Key {
            id,
            program_id,
            version,
        }
    }
}

/// The change of a versioned object whose view is the snapshot: created
/// when there is no `before`, updated otherwise.
pub fn change<V: Serialize>(
    action: &str,
    object_type: ObjectType,
    key: Key<'_>,
    before: Option<&V>,
    after: &V,
) -> Change {
    Change {
        action: action.to_owned(),
        object_type,
        object_id: key.id.to_owned(),
        program_id: key.program_id.map(str::to_owned),
        version: key.version,
        op: if before.is_some() {
            Op::Update
        } else {
            Op::Create
        },
        before: before.and_then(Snapshot::of),
        after: Snapshot::of(after),
    }
}

/// A change with its operation named (a tombstone, or an update that has
/// no before snapshot).
pub fn change_with<V: Serialize>(
    action: &str,
    object_type: ObjectType,
    key: Key<'_>,
    op: Op,
    before: Option<&V>,
    after: &V,
) -> Change {
    Change {
        op,
        ..change(action, object_type, key, before, after)
    }
}
