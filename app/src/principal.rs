//! Who is asking: the user behind a bearer token with their current grants,
//! read in one query on the request's own connection, so a revoked grant
//! or a deactivated user takes effect at once.

use shuzhuan_persistence::repo::users;
use shuzhuan_persistence::rows::{GrantRow, UserRow};
use shuzhuan_persistence::{Actor, AnyConnection, now};
use shuzhuan_types::{Grant, Reach, Role, Target};

use crate::auth::{JwtKeys, OpaqueToken, hash_token};
use crate::error::{AppError, FieldError, Result, Text};
use crate::policy::{self, Right};

/// What a request presents: a bearer token (a JWT or an `szt_` API
/// token), or nothing.
#[derive(Debug, Clone)]
pub enum Credential {
    Bearer(String),
    None,
}

/// The caller of a use case.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub grants: Vec<Grant>,
}

impl Principal {
    /// A principal built in a test, without a database.
    pub fn for_tests(user_id: &str, grants: Vec<Grant>) -> Self {
        Principal {
            user_id: user_id.to_owned(),
            username: user_id.to_owned(),
            grants,
        }
    }

    /// Who the audit log names.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user_id, &self.username)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role() == role)
    }

    /// Whether the caller holds exactly `role` in `program_id`.
    pub fn holds(&self, role: Role, program_id: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role() == role && g.program_id() == Some(program_id))
    }

    pub fn is_platform_admin(&self) -> bool {
        self.has_role(Role::PlatformAdmin)
    }

    /// How far `right` reaches for this caller (see [`policy`]).
    pub fn reach(&self, right: Right) -> Reach {
        policy::reach(self, right)
    }

    /// The reach of `right`, or 403 when no grant holds it: the first line
    /// of every use case.
    pub fn require(&self, right: Right) -> Result<Reach> {
        policy::require(self, right)
    }

    /// 403 unless the object lies in the reach of `right`.
    pub fn check(&self, right: Right, target: &Target<'_>) -> Result<()> {
        if self.reach(right).contains(target) {
            Ok(())
        } else {
            Err(AppError::Forbidden(right))
        }
    }

    /// 404 unless the object lies in the reach of `right` (reading it).
    pub fn sees(&self, right: Right, target: &Target<'_>) -> Result<()> {
        if self.reach(right).contains(target) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The roles through which the caller's grants reach the object for
    /// `right` (the roles a project action may be taken in).
    pub fn roles_on(&self, right: Right, target: &Target<'_>) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .grants
            .iter()
            .filter(|g| {
                policy::reach_of(&self.user_id, std::iter::once(*g), right).contains(target)
            })
            .map(Grant::role)
            .collect();
        roles.sort_by_key(|r| r.as_str());
        roles.dedup();
        roles
    }

    /// The enterprise the caller acts for: the one named, if it is theirs
    /// (404 otherwise), or their only one (422 when they have several).
    pub fn own_enterprise(&self, named: Option<&str>) -> Result<String> {
        let own: Vec<&str> = self
            .grants
            .iter()
            .filter(|g| g.role() == Role::Enterprise)
            .filter_map(|g| g.enterprise_id())
            .collect();
        match (named, own.as_slice()) {
            (Some(id), _) if own.contains(&id) => Ok(id.to_owned()),
            (Some(_), _) => Err(AppError::NotFound),
            (None, [only]) => Ok((*only).to_owned()),
            (None, _) => Err(AppError::Validation(vec![FieldError::new(
                "enterprise_id",
                "enterprise_required",
                Text::new(
                    "you act for several enterprises: name one",
                    "您关联多家企业，请指定 enterprise_id",
                ),
            )])),
        }
    }
}

/// Rebuilds a domain grant from its row; a row that no longer makes a valid
/// grant (hand-edited data) grants nothing and is logged.
pub fn grant_of(row: &GrantRow) -> Option<Grant> {
    let grant = Grant::new(
        row.role.0,
        row.program_id.clone(),
        row.region_codes.get().clone(),
        row.enterprise_id.clone(),
        row.provider_id.clone(),
    );
    if grant.is_err() {
        log::warn!(
            "grant {} of user {} is inconsistent; ignored",
            row.id,
            row.user_id
        );
    }
    grant.ok()
}

/// The principal a credential names, with their grants as they are now.
pub fn load(
    conn: &mut AnyConnection,
    keys: &JwtKeys,
    credential: &Credential,
) -> Result<Principal> {
    let Credential::Bearer(token) = credential else {
        return Err(AppError::Unauthenticated("missing_token"));
    };
    let found = if token.starts_with(OpaqueToken::API_PREFIX) {
        users::by_api_token(conn, &hash_token(token), now())?
    } else {
        let claims = keys.verify(token)?;
        users::with_grants(conn, &claims.sub)?
    };
    match found {
        Some((user, grants)) if user.active => Ok(of_rows(user, &grants)),
        _ => Err(AppError::Unauthenticated("invalid_token")),
    }
}

/// The principal of a user row and its grant rows.
fn of_rows(user: UserRow, grants: &[GrantRow]) -> Principal {
    Principal {
        user_id: user.id,
        username: user.username,
        grants: grants.iter().filter_map(grant_of).collect(),
    }
}

/// The user `id` as a principal (an assignee, a webhook's owner), if
/// active.
pub fn of_user(conn: &mut AnyConnection, id: &str) -> Result<Option<Principal>> {
    Ok(users::with_grants(conn, id)?
        .filter(|(u, _)| u.active)
        .map(|(user, grants)| of_rows(user, &grants)))
}
