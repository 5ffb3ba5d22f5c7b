//! `Idempotency-Key` on imports: a retried request (the network dropped the
//! answer, curl retried) returns the first report instead of running again.
//! Keys are per user; the same key with another file or path is refused.
//!
//! The answer is kept after the import finished. Two requests racing with
//! one key may both run; an upsert by code makes the second a run of
//! "unchanged" rows, and only the first answer is kept.

use serde::{Deserialize, Serialize};
use shuzhuan_persistence::repo::idempotency;
use shuzhuan_persistence::rows::IdempotencyRow;
use shuzhuan_persistence::{Actor, RepoError, Session, now};

use super::{ImportQuery, Report, Upload};
use crate::error::{AppError, Result, Text};
use crate::principal::Principal;

/// The header that carries the key.
pub const HEADER: &str = "Idempotency-Key";

/// An import request: its query, the file, the path it was sent to and the
/// key it was sent with, if any.
pub struct Request {
    pub query: ImportQuery,
    pub upload: Upload,
    /// The request's path and query, what a key is bound to.
    pub path: String,
    pub key: Option<String>,
}

/// An import's outcome as kept: the report and whether it was rejected.
#[derive(Serialize, Deserialize)]
pub(crate) struct Outcome {
    pub rejected: bool,
    pub report: Report,
}

impl Outcome {
    /// The report, or `import_rejected` carrying it.
    pub fn answer(self) -> Result<Report> {
        if self.rejected {
            Err(AppError::ImportRejected(Box::new(self.report)))
        } else {
            Ok(self.report)
        }
    }
}

/// A checked key, bound to its user, path and file.
pub(crate) struct Key {
    user_id: String,
    key: String,
    path: String,
    sha256: String,
}

impl Request {
    /// The request's key, if it sent one: 1 to 200 visible ASCII characters.
    pub(crate) fn key(&self, who: &Principal) -> Result<Option<Key>> {
        let Some(raw) = &self.key else {
            return Ok(None);
        };
        let key = Some(raw.trim())
            .filter(|k| !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                AppError::field(
                    HEADER,
                    "invalid_value",
                    Text::new(
                        "1 to 200 visible ASCII characters (a UUID, say)",
                        "应为 1 至 200 个可见 ASCII 字符（如 UUID）",
                    ),
                )
            })?;
        Ok(Some(Key {
            user_id: who.user_id.clone(),
            key: key.to_owned(),
            path: self.path.clone(),
            sha256: self.upload.sha256.clone(),
        }))
    }
}

impl Key {
    /// The kept outcome of the first request with this key, if any.
    pub fn replay(&self, s: &mut Session) -> Result<Option<Outcome>> {
        let Some(row) = idempotency::find(s.conn(), &self.user_id, &self.key)? else {
            return Ok(None);
        };
        if row.request_sha256 != self.sha256 || row.path != self.path {
            return Err(AppError::Refused {
                code: "idempotency_key_reused",
                detail: Text::new(
                    format!(
                        "The `{HEADER}` was used for another request (another file, programme or mode); use a new key for a new request."
                    ),
                    format!(
                        "该 `{HEADER}` 已用于其他请求（不同的文件、试点或模式）；新请求请使用新的幂等键。"
                    ),
                ),
            });
        }
        serde_json::from_str(&row.response)
            .map(Some)
            .map_err(AppError::internal)
    }

    /// Keeps `outcome` as the answer to this key (the first kept wins).
    pub fn keep(self, s: &mut Session, actor: &Actor, outcome: &Outcome) -> Result<()> {
        let row = IdempotencyRow {
            user_id: self.user_id,
            key: self.key,
            path: self.path,
            request_sha256: self.sha256,
            response: serde_json::to_string(outcome).map_err(AppError::internal)?,
            created_at: now(),
        };
        match s.write(actor, |tx| idempotency::insert(tx.conn(), &row)) {
            Ok(()) | Err(RepoError::Conflict(_)) => Ok(()),
            Err(e) => Err(AppError::from(e)),
        }
    }
}
