//! Documents attached to projects (contracts, reports, photos, sign-in
//! sheets …), stored once per content under the data directory by their
//! SHA-256, and the document kinds each programme requires before an
//! action (Jinan's pre-assessment report, seed 001: 评估计划、现场图片、
//! 人员签到、满意度调查表).
//!
//! Files live in `<data_dir>/documents`; several server instances share it
//! as a mounted volume (content addressing makes concurrent writes of the
//! same file harmless).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shuzhuan_lifecycle::{DocumentKind, ProjectAction, ProjectState};
use shuzhuan_persistence::repo::programs;
use shuzhuan_persistence::repo::projects as repo;
use shuzhuan_persistence::rows::DocumentRow;
use shuzhuan_persistence::{Coded, Session, new_id, now};
use shuzhuan_types::{Code, ObjectType};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{AppError, FieldError, Result, Text};
use crate::input::{self, Body, Page};
use crate::journal::{Key, change};
use crate::policy::{Right, require_in_programme};
use crate::principal::Principal;
use crate::projects::{self, check};
use crate::view::{List, code_schema, utc};

/// The largest document accepted (20 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// Media types accepted: what scanners, phones and office suites produce.
const MEDIA_TYPES: [&str; 8] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
    "text/plain",
    "text/csv",
];
const MEDIA_TYPES_TEXT: &str =
    "application/pdf, image/jpeg, image/png, .docx, .xlsx, application/zip, text/plain, text/csv";

fn kind_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(code_schema::<DocumentKind>())
        .min_items(Some(1))
        .max_items(Some(DocumentKind::ALL.len()))
        .build()
}

/// Where document files live, by content hash.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: PathBuf) -> Self {
        Store { dir }
    }

    /// Where content with this hash lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        content_path(&self.dir, sha256)
    }

    /// Stores `bytes` under their hash (once; a second upload of the same
    /// file finds it there).
    fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha256);
        if !path.exists() {
            let parent = path.parent().unwrap_or(&self.dir);
            std::fs::create_dir_all(parent).map_err(AppError::internal)?;
            let tmp = tempfile::NamedTempFile::new_in(parent).map_err(AppError::internal)?;
            std::fs::write(tmp.path(), bytes).map_err(AppError::internal)?;
            tmp.persist(&path)
                .map_err(|e| AppError::internal(e.error))?;
        }
        Ok(sha256)
    }
}

fn content_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub project_id: String,
    #[schema(schema_with = code_schema::<DocumentKind>)]
    pub kind: DocumentKind,
    /// Hex SHA-256 of the content: anyone holding the file can verify it.
    pub sha256: String,
    pub size_bytes: i64,
    pub media_type: String,
    pub filename: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<DocumentRow> for DocumentView {
    fn from(d: DocumentRow) -> Self {
        DocumentView {
            id: d.id,
            project_id: d.project_id,
            kind: d.kind.0,
            sha256: d.sha256,
            size_bytes: d.size_bytes,
            media_type: d.media_type,
            filename: d.filename,
            uploaded_by: d.uploaded_by,
            created_at: utc(d.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// What the document is.
    #[param(schema_with = code_schema::<DocumentKind>)]
    pub kind: String,
    /// The original file name, for downloads.
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[param(min_length = 1, max_length = 200)]
    pub filename: Option<String>,
}

/// A file name safe to store and to send back in `Content-Disposition`: its
/// last path component, without control characters, quotes or
/// backslashes, at most 200 characters; `None` when nothing is left.
pub fn safe_filename(given: &str) -> Option<String> {
    let last = given.rsplit(['/', '\\']).next().unwrap_or(given);
    let clean: String = last
        .chars()
        .map(|c| if c.is_control() || c == '"' { '_' } else { c })
        .take(200)
        .collect();
    let clean = clean.trim().trim_matches('.').trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

/// The declared media type, checked against the list and against what the
/// content's magic bytes say it is; `application/octet-stream` (what
/// generic clients send) takes the type the content shows.
fn check_media_type(declared: Option<&str>, head: &[u8]) -> Result<String> {
    let unsupported = AppError::UnsupportedMediaType {
        expected: MEDIA_TYPES_TEXT,
    };
    let declared = declared
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .ok_or(AppError::UnsupportedMediaType {
            expected: MEDIA_TYPES_TEXT,
        })?;
    let sniffed = infer::get(head).map(|t| t.mime_type());
    if declared == "application/octet-stream" {
        return match sniffed {
            Some(s) if MEDIA_TYPES.contains(&s) => Ok(s.to_owned()),
            None if std::str::from_utf8(head).is_ok() => Ok("text/plain".to_owned()),
            _ => Err(unsupported),
        };
    }
    if !MEDIA_TYPES.contains(&declared.as_str()) {
        return Err(unsupported);
    }
    let consistent = match (declared.as_str(), sniffed) {
        ("text/plain" | "text/csv", None) => std::str::from_utf8(head).is_ok(),
        (_, None) => false,
        // Office files are zip containers; the sniffer may see either.
        (d, Some("application/zip")) => {
            d.starts_with("application/vnd.openxmlformats") || d == "application/zip"
        }
        (d, Some(s)) => d == s,
    };
    if consistent {
        Ok(declared)
    } else {
        Err(AppError::Malformed {
            code: "content_mismatch",
            detail: Text::new(
                format!("The content is not {declared}."),
                format!("文件内容与声明的类型 {declared} 不符。"),
            ),
        })
    }
}

/// Whether the caller may attach documents to the project now (asked
/// before the file is read: nothing is read from strangers), and the kind.
pub fn may_attach(
    s: &mut Session,
    who: &Principal,
    project_id: &str,
    q: &UploadQuery,
) -> Result<DocumentKind> {
    who.require(Right::AttachDocument)?;
    let p = projects::visible(s.conn(), who, project_id)?;
    check(who, Right::AttachDocument, &p)?;
    let kind = input::code::<DocumentKind>("kind", &q.kind).map_err(|e| {
        AppError::Validation(vec![FieldError {
            code: "unknown_kind".into(),
            ..e
        }])
    })?;
    if matches!(
        p.row.state.0,
        ProjectState::Withdrawn | ProjectState::Disqualified
    ) {
        return Err(AppError::conflict(
            "project_closed",
            "The project is closed.",
            "该项目已终止。",
        ));
    }
    Ok(kind)
}

/// Stores a file (its bytes and declared media type) and attaches it.
pub fn upload(
    s: &mut Session,
    who: &Principal,
    store: &Store,
    (project_id, q): (&str, UploadQuery),
    declared: Option<&str>,
    bytes: &[u8],
) -> Result<DocumentView> {
    let kind = may_attach(s, who, project_id, &q)?;
    if bytes.is_empty() {
        return Err(AppError::Malformed {
            code: "empty_document",
            detail: Text::new("The document is empty.", "文件为空。"),
        });
    }
    let media_type = check_media_type(declared, &bytes[..bytes.len().min(8192)])?;
    let sha256 = store.put(bytes)?;
    let filename = q
        .filename
        .as_deref()
        .and_then(safe_filename)
        .unwrap_or_else(|| format!("{}.bin", &sha256[..12]));
    s.write(&who.actor(), |tx| {
        let p = projects::visible(tx.conn(), who, project_id)?;
        let row = DocumentRow {
            id: new_id(),
            project_id: project_id.to_owned(),
            kind: Coded(kind),
            sha256,
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            media_type,
            filename,
            uploaded_by: who.user_id.clone(),
            created_at: now(),
        };
        repo::insert_document(tx.conn(), &row)?;
        let view = DocumentView::from(row);
        tx.record(change(
            "document.create",
            ObjectType::Document,
            Key::new(&view.id, Some(&p.row.program_id), 1),
            None,
            &view,
        ));
        Ok(view)
    })
}

/// The project's documents with their hashes.
pub fn list(
    s: &mut Session,
    who: &Principal,
    project_id: &str,
    page: &Page,
) -> Result<List<DocumentView>> {
    projects::visible(s.conn(), who, project_id)?;
    List::paged(
        repo::documents_of(s.conn(), project_id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        page,
    )
}

/// A document of a project the caller reads (404 otherwise): its record,
/// and what the content is streamed by.
pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<DocumentView> {
    who.require(Right::ReadProject)?;
    let doc = match repo::find_document(s.conn(), id) {
        Ok(d) => d,
        Err(shuzhuan_persistence::RepoError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    projects::visible(s.conn(), who, &doc.project_id)?;
    Ok(doc.into())
}

// ---- requirements -------------------------------------------------------------------

/// The document kinds required before one action.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementSpec {
    #[schema(schema_with = code_schema::<ProjectAction>)]
    pub action: String,
    #[validate(length(min = 1, max = 14, message = "1 to 14 kinds", code = "length"))]
    #[schema(schema_with = kind_list_schema)]
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"requirements": [{"action": "record_diagnosis", "kinds": ["diagnosis_report", "plan", "photo", "sign_in_sheet", "satisfaction_survey"]}]}))]
pub struct Requirements {
    #[validate(
        length(max = 16, message = "at most one entry per action", code = "length"),
        nested
    )]
    #[schema(max_items = 16)]
    pub requirements: Vec<RequirementSpec>,
}

impl Requirements {
    /// (action, kind) pairs, or the field errors naming unknown ones.
    pub(crate) fn pairs(&self) -> Result<Vec<(ProjectAction, DocumentKind)>> {
        let mut errors = Vec::new();
        let mut pairs = Vec::new();
        for (i, r) in self.requirements.iter().enumerate() {
            let action = ProjectAction::from_code(&r.action);
            if action.is_none() {
                errors.push(FieldError::new(
                    format!("requirements[{i}].action"),
                    "unknown_action",
                    Text::new("not a project action", "不是项目操作"),
                ));
            }
            for (j, k) in r.kinds.iter().enumerate() {
                let Some(kind) = DocumentKind::from_code(k) else {
                    errors.push(FieldError::new(
                        format!("requirements[{i}].kinds[{j}]"),
                        "unknown_kind",
                        Text::new("not a document kind", "不是文件类型"),
                    ));
                    continue;
                };
                if let Some(action) = action
                    && !pairs.contains(&(action, kind))
                {
                    pairs.push((action, kind));
                }
            }
        }
        AppError::check(errors)?;
        Ok(pairs)
    }

    fn from_pairs(pairs: impl IntoIterator<Item = (ProjectAction, DocumentKind)>) -> Self {
        let mut requirements: Vec<RequirementSpec> = Vec::new();
        for (action, kind) in pairs {
            match requirements
                .iter_mut()
                .find(|r| r.action == action.as_str())
            {
                Some(r) => r.kinds.push(kind.as_str().to_owned()),
                None => requirements.push(RequirementSpec {
                    action: action.as_str().to_owned(),
                    kinds: vec![kind.as_str().to_owned()],
                }),
            }
        }
        Requirements { requirements }
    }
}

fn stored(s: &mut shuzhuan_persistence::AnyConnection, program_id: &str) -> Result<Requirements> {
    Ok(Requirements::from_pairs(repo::requirements_of(
        s, program_id,
    )?))
}

/// The document kinds the programme requires before each action.
pub fn get_requirements(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
) -> Result<Requirements> {
    crate::programs::visible(s.conn(), who, program_id)?;
    stored(s.conn(), program_id)
}

/// Replaces the programme's requirements (the city_admin).
pub fn put_requirements(
    s: &mut Session,
    who: &Principal,
    program_id: &str,
    body: Body<Requirements>,
) -> Result<Requirements> {
    require_in_programme(who, Right::SetDocumentRequirements, program_id)?;
    let pairs = body.read()?.pairs()?;
    s.write(&who.actor(), |tx| {
        programs::find(tx.conn(), program_id)?;
        let before = stored(tx.conn(), program_id)?;
        repo::set_requirements(tx.conn(), program_id, &pairs)?;
        let after = Requirements::from_pairs(pairs.iter().copied());
        tx.record(change(
            "document_requirements.set",
            ObjectType::DocumentRequirements,
            Key::new(program_id, Some(program_id), 1),
            Some(&before),
            &after,
        ));
        Ok(after)
    })
}
