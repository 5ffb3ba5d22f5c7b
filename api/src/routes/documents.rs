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

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shuzhuan_lifecycle::{ProjectAction, ProjectState};
use shuzhuan_persistence::repo::{programs, projects};
use shuzhuan_persistence::rows::DocumentRow;
use shuzhuan_persistence::{new_id, now};
use shuzhuan_types::Role;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem, Text};
use crate::extract::{Json, List, Query, created, read_limited};
use crate::routes::projects::load_in_scope;
use crate::routes::{change_of, string_enum, utc};
use crate::state::AppState;

/// The largest document accepted (20 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// The kinds of document pilot platforms ask for (DOMAIN.md §3).
pub const KINDS: [&str; 14] = [
    "contract",
    "diagnosis_report",
    "plan",
    "progress_evidence",
    "acceptance_report",
    "audit_report",
    "invoice",
    "photo",
    "sign_in_sheet",
    "satisfaction_survey",
    "self_assessment_report",
    "truthfulness_statement",
    "commitment_letter",
    "other",
];

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

fn kind_schema() -> utoipa::openapi::schema::Object {
    string_enum(KINDS)
}

fn kind_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(kind_schema())
        .min_items(Some(1))
        .max_items(Some(KINDS.len()))
        .build()
}

fn action_schema() -> utoipa::openapi::schema::Object {
    string_enum(ProjectAction::ALL.map(ProjectAction::as_str))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub project_id: String,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
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
            kind: d.kind,
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
    #[param(schema_with = kind_schema)]
    pub kind: String,
    /// The original file name, for downloads.
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters", code = "length"))]
    #[param(min_length = 1, max_length = 200)]
    pub filename: Option<String>,
}

/// Where content with this hash lives.
pub(crate) fn content_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

/// Stores `bytes` under their hash (once; a second upload of the same file
/// finds it there).
fn store(dir: &Path, bytes: &[u8]) -> Result<(String, PathBuf), ApiError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let path = content_path(dir, &sha256);
    if !path.exists() {
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).map_err(ApiError::internal)?;
        let tmp = tempfile::NamedTempFile::new_in(parent).map_err(ApiError::internal)?;
        std::fs::write(tmp.path(), bytes).map_err(ApiError::internal)?;
        tmp.persist(&path)
            .map_err(|e| ApiError::internal(e.error))?;
    }
    Ok((sha256, path))
}

/// The declared media type, checked against the list and against what the
/// content's magic bytes say it is.
fn check_media_type(declared: Option<&str>, head: &[u8]) -> Result<String, ApiError> {
    let declared = declared
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| MEDIA_TYPES.contains(&m.as_str()))
        .ok_or(ApiError::UnsupportedMediaType {
            expected: MEDIA_TYPES_TEXT,
        })?;
    let sniffed = infer::get(head).map(|t| t.mime_type());
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
        Err(ApiError::Malformed {
            code: "content_mismatch",
            detail: Text::new(
                format!("The content is not {declared}."),
                format!("文件内容与声明的类型 {declared} 不符。"),
            ),
        })
    }
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), UploadQuery),
    request_body(content(
        (Vec<u8> = "application/pdf"),
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
    ), description = "The file as the raw body, with its media type as Content-Type (at most 20 MiB)"),
    responses(
        (status = 201, description = "Stored by its SHA-256 and attached", body = DocumentView),
        (status = 400, description = "`content_mismatch`: the bytes are not of the declared type", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Missing or out of the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`project_closed`: withdrawn or disqualified", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 20 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A media type not accepted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown kind", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/projects/{id}/documents")]
pub async fn upload_document(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
    Query(q): Query<UploadQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if !KINDS.contains(&q.kind.as_str()) {
        return Err(ApiError::field(
            "kind",
            "unknown_kind",
            Text::new(
                format!("one of {}", KINDS.join(", ")),
                format!("须为以下之一：{}", KINDS.join("、")),
            ),
        ));
    }
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Scope first: nothing is read from strangers.
    let scope_caller = caller.clone();
    let scope_id = id.clone();
    state
        .read(move |conn| {
            let (p, roles) = load_in_scope(conn, &scope_caller, &scope_id)?;
            if roles == [Role::Observer] {
                return Err(ApiError::Forbidden("attach documents"));
            }
            if matches!(
                p.state.parse(),
                Ok(ProjectState::Withdrawn | ProjectState::Disqualified)
            ) {
                return Err(ApiError::Conflict {
                    code: "project_closed",
                    detail: Text::new("The project is closed.", "该项目已终止。"),
                });
            }
            Ok(())
        })
        .await?;
    let body = read_limited(&mut payload, MAX_DOCUMENT_BYTES).await?;
    if body.is_empty() {
        return Err(ApiError::Malformed {
            code: "empty_document",
            detail: Text::new("The document is empty.", "文件为空。"),
        });
    }
    let media_type = check_media_type(declared.as_deref(), &body[..body.len().min(8192)])?;
    let dir = state.documents_dir.clone();
    let size = body.len();
    let (sha256, _) = web::block(move || store(&dir, &body)).await??;
    let filename = q
        .filename
        .unwrap_or_else(|| format!("{}.bin", &sha256[..12]));
    let view = state
        .write(caller.actor(), move |tx| {
            let (p, _) = load_in_scope(tx.conn(), &caller, &id)?;
            let row = DocumentRow {
                id: new_id(),
                project_id: id.clone(),
                kind: q.kind,
                sha256,
                size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
                media_type,
                filename,
                uploaded_by: caller.user_id.clone(),
                created_at: now(),
            };
            projects::insert_document(tx.conn(), &row)?;
            let view = DocumentView::from(row);
            let key = (view.id.as_str(), Some(p.program_id.as_str()), 1);
            tx.record(change_of("document.create", "document", key, None, &view));
            Ok(view)
        })
        .await?;
    Ok(created(
        format!("/api/v1/documents/{}/content", view.id),
        1,
        view,
    ))
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project's documents with their hashes", body = List<DocumentView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/projects/{id}/documents")]
pub async fn list_documents(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<List<DocumentView>>, ApiError> {
    let id = id.into_inner();
    let rows = state
        .read(move |conn| {
            load_in_scope(conn, &caller, &id)?;
            Ok(projects::documents_of(conn, &id)?)
        })
        .await?;
    Ok(web::Json(List::all(
        rows.into_iter().map(Into::into).collect(),
    )))
}

#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The file, streamed with its media type", content(
            (Vec<u8> = "application/octet-stream"),
        ), headers(("ETag" = String, description = "The content's SHA-256"))),
        (status = 404, description = "Missing or its project is out of the caller's scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/documents/{id}/content")]
pub async fn document_content(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let doc = state
        .read(move |conn| {
            let doc = projects::find_document(conn, &id)?;
            load_in_scope(conn, &caller, &doc.project_id)?;
            Ok(doc)
        })
        .await?;
    let path = content_path(&state.documents_dir, &doc.sha256);
    let file = actix_files::NamedFile::open_async(&path)
        .await
        .map_err(|_| ApiError::NotFound)?
        .set_content_type(
            doc.media_type
                .parse()
                .unwrap_or(mime::APPLICATION_OCTET_STREAM),
        )
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(doc.filename.clone())],
        })
        .use_etag(false)
        .use_last_modified(false);
    let mut res = file.into_response(&req);
    res.headers_mut().insert(
        actix_web::http::header::ETAG,
        actix_web::http::header::HeaderValue::from_str(&format!("\"{}\"", doc.sha256))
            .map_err(ApiError::internal)?,
    );
    Ok(res)
}

// ---- requirements -------------------------------------------------------------------

/// The document kinds required before one action.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementSpec {
    #[schema(schema_with = action_schema)]
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
    pub(crate) fn pairs(&self) -> Result<Vec<(String, String)>, ApiError> {
        let mut errors = Vec::new();
        let mut pairs = Vec::new();
        for (i, r) in self.requirements.iter().enumerate() {
            if r.action.parse::<ProjectAction>().is_err() {
                errors.push(crate::error::FieldError::new(
                    format!("requirements[{i}].action"),
                    "unknown_action",
                    Text::new("not a project action", "不是项目操作"),
                ));
            }
            for (j, k) in r.kinds.iter().enumerate() {
                if !KINDS.contains(&k.as_str()) {
                    errors.push(crate::error::FieldError::new(
                        format!("requirements[{i}].kinds[{j}]"),
                        "unknown_kind",
                        Text::new("not a document kind", "不是文件类型"),
                    ));
                }
                let pair = (r.action.clone(), k.clone());
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
        if errors.is_empty() {
            Ok(pairs)
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut requirements: Vec<RequirementSpec> = Vec::new();
        for (action, kind) in pairs {
            match requirements.iter_mut().find(|r| r.action == action) {
                Some(r) => r.kinds.push(kind),
                None => requirements.push(RequirementSpec {
                    action,
                    kinds: vec![kind],
                }),
            }
        }
        Requirements { requirements }
    }
}

#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "The document kinds the programme requires before each action", body = Requirements),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/document-requirements")]
pub async fn get_requirements(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<Requirements>, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_visible(&id)?;
    let pairs = state
        .read(move |conn| {
            programs::find(conn, &id)?;
            Ok(projects::requirements_of(conn, &id)?)
        })
        .await?;
    Ok(web::Json(Requirements::from_pairs(pairs)))
}

#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id")),
    request_body = Requirements,
    responses(
        (status = 200, description = "Replaced", body = Requirements),
        (status = 403, description = "Only the programme's city_admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/programs/{program_id}/document-requirements")]
pub async fn put_requirements(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<Requirements>,
) -> Result<web::Json<Requirements>, ApiError> {
    let id = program_id.into_inner();
    caller.require_program_role(Role::CityAdmin, &id, "set document requirements")?;
    let pairs = body.parse()?.pairs()?;
    let saved = state
        .write(caller.actor(), move |tx| {
            programs::find(tx.conn(), &id)?;
            let before = Requirements::from_pairs(projects::requirements_of(tx.conn(), &id)?);
            projects::set_requirements(tx.conn(), &id, &pairs)?;
            let after = Requirements::from_pairs(pairs);
            tx.record(change_of(
                "document_requirements.set",
                "document_requirements",
                (id.as_str(), Some(id.as_str()), 1),
                Some(&before),
                &after,
            ));
            Ok(after)
        })
        .await?;
    Ok(web::Json(saved))
}
