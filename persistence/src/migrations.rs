//! Embedded migrations, one folder per backend (`migrations/postgres`,
//! `migrations/sqlite`), run at start and by `shuzhuan migrate`.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{AnyConnection, RepoError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// Applies every pending migration; returns how many ran.
pub(crate) fn run_pending(conn: &mut AnyConnection) -> Result<usize, RepoError> {
    let applied = match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES).map(|v| v.len()),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map(|v| v.len()),
    };
    applied.map_err(|e| RepoError::Migration(e.to_string()))
}
