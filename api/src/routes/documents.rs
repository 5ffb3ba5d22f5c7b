//! Documents of projects (contracts, reports, photos, sign-in sheets …)
//! and the kinds each programme requires before an action.

use actix_web::http::header::{
    self, ContentDisposition, DispositionParam, DispositionType, HeaderValue,
};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use shuzhuan_app::documents::{
    self as use_case, DocumentView, MAX_DOCUMENT_BYTES, Requirements, UploadQuery,
};
use shuzhuan_app::{AppError, List, Page};

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, Json, Query, read_limited};
use crate::respond::{created, current};
use crate::state::AppState;

/// Attach a document
///
/// Uploads a file (PDF, image, office document, zip, text) of a kind
/// (contract, invoice, report…) to a project; the content must match its
/// declared type, or, sent as `application/octet-stream`, its type is taken
/// from the content.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), UploadQuery),
    request_body(content(
        (Vec<u8> = "application/octet-stream"),
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
    let declared = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The right and the project first: nothing is read from strangers.
    let (project_id, check) = (id.clone(), Caller(caller.0.clone()));
    let query = UploadQuery {
        kind: q.kind.clone(),
        filename: None,
    };
    state
        .run(check, move |s, who| {
            use_case::may_attach(s, who, &project_id, &query)
        })
        .await?;
    let bytes = read_limited(&mut payload, MAX_DOCUMENT_BYTES).await?;
    let store = state.app.documents.clone();
    state
        .run(caller, move |s, who| {
            use_case::upload(s, who, &store, (&id, q), declared.as_deref(), &bytes)
        })
        .await
        .map(created)
}

/// List a project's documents
///
/// The documents attached to a project.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), Page),
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
    Query(page): Query<Page>,
) -> Result<web::Json<List<DocumentView>>, ApiError> {
    state
        .run(caller, move |s, who| use_case::list(s, who, &id, &page))
        .await
        .map(web::Json)
}

/// Download a document
///
/// The file as uploaded, with its media type and SHA-256.
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
    let doc = state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await?;
    let file = actix_files::NamedFile::open_async(state.app.documents.path(&doc.sha256))
        .await
        .map_err(|_| ApiError::not_found())?
        .set_content_type(
            doc.media_type
                .parse()
                .unwrap_or(mime::APPLICATION_OCTET_STREAM),
        )
        .set_content_disposition(attachment(&doc.filename))
        .use_etag(false)
        .use_last_modified(false);
    let mut res = file.into_response(&req);
    res.headers_mut().insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{}\"", doc.sha256)).map_err(AppError::internal)?,
    );
    Ok(res)
}

/// Read document requirements
///
/// Which document kinds the programme requires before which project actions.
#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
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
    state
        .run(caller, move |s, who| {
            use_case::get_requirements(s, who, &program_id)
        })
        .await
        .map(web::Json)
}

/// Set document requirements
///
/// Replaces the programme's document requirements as a whole.
#[utoipa::path(
    tag = "projects",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
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
    state
        .run(caller, move |s, who| {
            use_case::put_requirements(s, who, &program_id, body.body())
        })
        .await
        .map(web::Json)
}

/// `Content-Disposition: attachment` per RFC 6266: an ASCII `filename` for
/// old clients and the exact UTF-8 name as `filename*` (RFC 8187); names
/// stored before uploads were sanitised are sanitised here.
fn attachment(stored: &str) -> ContentDisposition {
    use actix_web::http::header::{Charset, ExtendedValue};
    let name = use_case::safe_filename(stored).unwrap_or_else(|| "document".to_owned());
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: name.into_bytes(),
            }),
        ],
    }
}

/// Read a document's record
///
/// A document's record: kind, file name, media type, size and SHA-256;
/// `…/content` streams the file.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document's record", body = DocumentView, headers(("ETag" = String, description = "The version, for `If-Match` and `If-None-Match`"))),
    ),
    security(("bearer" = []))
)]
#[get("/documents/{id}")]
pub async fn get_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| use_case::get(s, who, &path))
        .await
        .map(current)
}
