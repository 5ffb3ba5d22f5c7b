//! The caller of a request, from its bearer token, with the scope checks
//! every handler starts with.
//!
//! Scope rule (DOMAIN.md §2): an object outside the caller's scope is 404,
//! as if it did not exist; an object in scope that the caller's roles may
//! not act on is 403.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use shuzhuan_persistence::repo::{tokens, users};
use shuzhuan_persistence::{Actor, AnyConnection, now};
use shuzhuan_types::{Grant, Role};

use crate::auth::{OpaqueToken, hash_token};
use crate::error::{ApiError, Text};
use crate::routes::users::grant_from_row;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub username: String,
    pub grants: Vec<Grant>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user_id, &self.username)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role() == role)
    }

    pub fn is_platform_admin(&self) -> bool {
        self.has_role(Role::PlatformAdmin)
    }

    /// The programmes the caller may see: `None` for all of them.
    pub fn visible_programs(&self) -> Option<Vec<String>> {
        if self.grants.iter().any(|g| g.program_id().is_none()) {
            return None;
        }
        let mut ids: Vec<String> = self
            .grants
            .iter()
            .filter_map(|g| g.program_id().map(str::to_owned))
            .collect();
        ids.sort();
        ids.dedup();
        Some(ids)
    }

    pub fn sees_program(&self, program_id: &str) -> bool {
        self.grants.iter().any(|g| g.sees_program(program_id))
    }

    /// Whether the caller holds `role` for programme `program_id` (platform
    /// admins hold every right everywhere).
    pub fn acts_in_program(&self, role: Role, program_id: &str) -> bool {
        self.is_platform_admin() || self.holds(role, program_id)
    }

    /// Whether the caller holds exactly `role` in `program_id`, for rights
    /// that belong to one office alone (finance approves and pays; not even
    /// a platform admin does).
    pub fn holds(&self, role: Role, program_id: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role() == role && g.program_id() == Some(program_id))
    }

    /// 404 unless the programme is in the caller's scope.
    pub fn require_program_visible(&self, program_id: &str) -> Result<(), ApiError> {
        if self.sees_program(program_id) {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// The programme must be visible (else 404) and the caller must hold
    /// `role` in it (else 403).
    pub fn require_program_role(
        &self,
        role: Role,
        program_id: &str,
        right: &'static str,
    ) -> Result<(), ApiError> {
        self.require_program_visible(program_id)?;
        if self.acts_in_program(role, program_id) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(right))
        }
    }

    /// The enterprise the caller acts for: the one named, if it is theirs
    /// (404 otherwise), or their only one (422 when they have several).
    pub fn own_enterprise(&self, named: Option<&str>) -> Result<String, ApiError> {
        let own: Vec<&str> = self
            .grants
            .iter()
            .filter(|g| g.role() == Role::Enterprise)
            .filter_map(|g| g.enterprise_id())
            .collect();
        match (named, own.as_slice()) {
            (Some(id), _) if own.contains(&id) => Ok(id.to_owned()),
            (Some(_), _) => Err(ApiError::NotFound),
            (None, [only]) => Ok((*only).to_owned()),
            (None, _) => Err(ApiError::field(
                "enterprise_id",
                "enterprise_required",
                Text::new(
                    "you act for several enterprises: name one",
                    "您关联多家企业，请指定 enterprise_id",
                ),
            )),
        }
    }

    pub fn require_platform_admin(&self, right: &'static str) -> Result<(), ApiError> {
        if self.is_platform_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(right))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_owned())
            });
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let token = token.ok_or(ApiError::Unauthenticated("missing_token"))?;
            let user_id = if token.starts_with(OpaqueToken::API_PREFIX) {
                None
            } else {
                Some(state.keys.verify(&token)?.sub)
            };
            let db = state.db.clone();
            web::block(move || {
                db.read(|conn| {
                    let user_id = match user_id {
                        Some(id) => id,
                        None => api_token_user(conn, &token)?,
                    };
                    load(conn, &user_id)
                })
            })
            .await?
        })
    }
}

fn api_token_user(conn: &mut AnyConnection, token: &str) -> Result<String, ApiError> {
    tokens::find_live_api_token(conn, &hash_token(token), now())?
        .map(|t| t.user_id)
        .ok_or(ApiError::Unauthenticated("invalid_token"))
}

/// The caller with their current grants; a deactivated or deleted user is
/// no caller, whatever token they hold.
pub fn load(conn: &mut AnyConnection, user_id: &str) -> Result<Caller, ApiError> {
    let user = match users::find(conn, user_id) {
        Ok(u) if u.active => u,
        Ok(_) | Err(shuzhuan_persistence::RepoError::NotFound) => {
            return Err(ApiError::Unauthenticated("invalid_token"));
        }
        Err(e) => return Err(e.into()),
    };
    let grants = users::grants_of(conn, user_id)?
        .into_iter()
        .filter_map(|row| grant_from_row(&row))
        .collect();
    Ok(Caller {
        user_id: user.id,
        username: user.username,
        grants,
    })
}
