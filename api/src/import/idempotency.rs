//! `Idempotency-Key` on imports: a retried request (the network dropped the
//! answer, curl retried) returns the first report instead of running again.
//! Keys are per user; the same key with another file or path is refused.
//!
//! The answer is kept after the import finished. Two requests racing with
//! one key may both run; an upsert by code makes the second a run of
//! "unchanged" rows, and only the first answer is kept.

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::idempotency;
use shuzhuan_persistence::rows::IdempotencyRow;
use shuzhuan_persistence::{Actor, RepoError, now};

use crate::auth::Caller;
use crate::error::{ApiError, Text};
use crate::import::{Report, Upload};
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";

/// An import's outcome as kept: the report and whether it was rejected.
#[derive(Serialize, Deserialize)]
pub struct Outcome {
    pub rejected: bool,
    pub report: Report,
}

pub struct Key {
    actor: Actor,
    user_id: String,
    key: String,
    path: String,
    sha256: String,
}

impl Key {
    /// The request's key, if it sent one: 1 to 200 visible ASCII characters.
    pub fn from_request(
        req: &HttpRequest,
        caller: &Caller,
        upload: &Upload,
    ) -> Result<Option<Key>, ApiError> {
        let Some(value) = req.headers().get(HEADER) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                ApiError::field(
                    HEADER,
                    "invalid_value",
                    Text::new(
                        "1 to 200 visible ASCII characters (a UUID, say)",
                        "应为 1 至 200 个可见 ASCII 字符（如 UUID）",
                    ),
                )
            })?;
        Ok(Some(Key {
            actor: caller.actor(),
            user_id: caller.user_id.clone(),
            key: key.to_owned(),
            path: req.uri().to_string(),
            sha256: upload.sha256.clone(),
        }))
    }

    /// The kept outcome of the first request with this key, if any.
    pub async fn replay(&self, state: &AppState) -> Result<Option<Outcome>, ApiError> {
        let (user, key) = (self.user_id.clone(), self.key.clone());
        let Some(row) = state
            .read(move |conn| Ok(idempotency::find(conn, &user, &key)?))
            .await?
        else {
            return Ok(None);
        };
        if row.request_sha256 != self.sha256 || row.path != self.path {
            return Err(ApiError::field(
                HEADER,
                "idempotency_key_reused",
                Text::new(
                    "this key was used for another request; use a new key for a new file",
                    "该幂等键已用于其他请求；新文件请使用新的幂等键",
                ),
            ));
        }
        serde_json::from_str(&row.response)
            .map(Some)
            .map_err(ApiError::internal)
    }

    /// Keeps `outcome` as the answer to this key (the first kept wins).
    pub async fn keep(self, state: &AppState, outcome: &Outcome) -> Result<(), ApiError> {
        let row = IdempotencyRow {
            user_id: self.user_id,
            key: self.key,
            path: self.path,
            request_sha256: self.sha256,
            response: serde_json::to_string(outcome).map_err(ApiError::internal)?,
            created_at: now(),
        };
        let db = state.db.clone();
        let actor = self.actor;
        actix_web::web::block(move || {
            match db.write(&actor, |tx| idempotency::insert(tx.conn(), &row)) {
                Ok(()) | Err(RepoError::Conflict(_)) => Ok(()),
                Err(e) => Err(ApiError::from(e)),
            }
        })
        .await?
    }
}
