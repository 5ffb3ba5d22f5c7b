//! Persistence for Shuzhuan: the only crate that knows diesel.
//!
//! It owns the schema, the rows, the repositories (functions over a
//! connection, so they compose inside one transaction), the unit of work
//! that writes every change together with its audit entry and change event,
//! the r2d2 pool over SQLite or PostgreSQL, and the embedded migrations.
//! It may depend on `domain/` crates, never on the HTTP layer.

mod codec;
mod connection;
mod db;
mod error;
mod migrations;
mod overlap;
pub mod repo;
pub mod rows;
mod schema;
mod uow;

pub use codec::{Coded, Json};
pub use connection::{AnyConnection, Backend, MultiBackend};
pub use db::{Db, Limits, Observer, PoolState, Registry as RegistryTable, Session};
pub use error::RepoError;
pub use overlap::{alongside, overlapped};
pub use shuzhuan_types::{ObjectType, Op};
pub use uow::{Actor, Change, Snapshot, Tx, feed_seq, head_hash};

/// The current UTC time at the precision both databases keep (microseconds),
/// so a stored time reads back equal.
pub fn now() -> chrono::NaiveDateTime {
    let t = chrono::Utc::now().naive_utc();
    let micros = t.and_utc().timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc())
        .unwrap_or(t)
}

/// A new opaque id: a UUIDv7, time-ordered, so ordering by id is creation
/// order and keyset pagination by id needs no second column.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
