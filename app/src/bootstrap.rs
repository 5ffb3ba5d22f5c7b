//! What happens before the server listens: migrations, the seed
//! programmes on first start, and the first platform admin. Safe with
//! several instances starting at once: each step tolerates another
//! instance having done it first.

use shuzhuan_persistence::repo::programs;
use shuzhuan_persistence::repo::users as user_rows;
use shuzhuan_persistence::rows::UserRow;
use shuzhuan_persistence::{Actor, Db, RepoError, new_id, now};
use shuzhuan_types::{Grant, Role};
use validator::Validate;

use crate::error::AppError;
use crate::packs::{ProgramPack, SEED_PACKS};
use crate::programs::insert_pack;
use crate::users;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("database: {0}")]
    Database(#[from] RepoError),
    #[error("seed pack {name} is invalid: {reason}")]
    Pack { name: &'static str, reason: String },
    #[error("SHUZHUAN_ADMIN_PASSWORD must be at least 12 characters")]
    AdminPasswordTooShort,
    #[error("cannot create the admin user: {0}")]
    Admin(String),
}

/// Migrates, loads the seed programmes into an empty database, and
/// creates user `admin` with `admin_password` when no platform admin
/// exists.
pub fn run(db: &Db, admin_password: Option<&str>) -> Result<(), BootstrapError> {
    let ran = db.migrate()?;
    log::info!(
        "database {}: {ran} migration(s) applied",
        db.backend().name()
    );
    seed_programs(db)?;
    if let Some(password) = admin_password {
        ensure_admin(db, password)?;
    }
    Ok(())
}

/// Parses and checks a shipped pack.
pub fn seed_pack(name: &'static str, text: &str) -> Result<ProgramPack, BootstrapError> {
    let invalid = |reason: String| BootstrapError::Pack { name, reason };
    let pack: ProgramPack = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    pack.validate().map_err(|e| invalid(e.to_string()))?;
    let errors = pack.check();
    if let Some(e) = errors.first() {
        return Err(invalid(format!("{}: {}", e.field, e.message.en)));
    }
    Ok(pack)
}

/// On a database without programmes, loads the five seed cities.
fn seed_programs(db: &Db) -> Result<(), BootstrapError> {
    let existing = db.read(programs::count)?;
    if existing > 0 {
        return Ok(());
    }
    for (name, text) in SEED_PACKS {
        let pack = seed_pack(name, text)?;
        match db.write(&Actor::system(), |tx| insert_pack(tx, &pack)) {
            Ok(_) => {
                log::info!("loaded seed programme {name}");
                for w in pack.warnings() {
                    log::warn!("seed programme {name}: {w}");
                }
            }
            // Another instance loaded it first.
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(BootstrapError::Admin(format!("seeding {name}: {e}"))),
        }
    }
    Ok(())
}

/// Creates user `admin` with the platform_admin grant when no active
/// platform admin exists.
fn ensure_admin(db: &Db, password: &str) -> Result<(), BootstrapError> {
    if password.chars().count() < 12 {
        return Err(BootstrapError::AdminPasswordTooShort);
    }
    if db.read(user_rows::platform_admin_exists)? {
        return Ok(());
    }
    let hash =
        crate::auth::hash_password(password).map_err(|e| BootstrapError::Admin(e.to_string()))?;
    let at = now();
    let row = UserRow {
        id: new_id(),
        username: "admin".to_owned(),
        display_name: "Platform administrator".to_owned(),
        password_hash: hash,
        active: true,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    let grant = Grant::new(Role::PlatformAdmin, None, vec![], None, None)
        .map_err(|e| BootstrapError::Admin(e.to_string()))?;
    match db.write(&Actor::system(), |tx| users::insert(tx, &row, &[grant])) {
        Ok(_) => {
            log::info!("created platform admin `admin` from SHUZHUAN_ADMIN_PASSWORD");
            Ok(())
        }
        Err(AppError::Conflict { .. }) => {
            log::warn!("user `admin` exists without an active platform_admin grant; not changed");
            Ok(())
        }
        Err(e) => Err(BootstrapError::Admin(e.to_string())),
    }
}
