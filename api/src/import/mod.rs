//! Bulk import over HTTP: the body spooled to a temporary file as it
//! arrives (never held in memory whole, 413 past the limit), hashed for
//! `Idempotency-Key`, and handed to the application's import with its
//! query, path and key. The `shuzhuan import` client lives beside it.

use std::io::{Seek, SeekFrom, Write};

use actix_web::HttpResponse;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};
use shuzhuan_app::error::Lang;
use shuzhuan_app::exports::SheetFormat;
use shuzhuan_app::imports::{Format, IMPORT_LIMIT, ImportQuery, Report, Request, Upload, annotate};
use shuzhuan_app::{AppError, Principal, Session};

use crate::error::ApiError;
use crate::extract::{AcceptLang, Caller, parse_query, read_chunks};
use crate::state::AppState;

pub mod client;

/// The header that makes a retried import return its first report.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// An import request as the application takes it.
pub struct Import(pub Request);

fn format_of(req: &HttpRequest) -> Option<Format> {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())?;
    match media.as_str() {
        "text/csv" => Some(Format::Csv),
        "application/x-ndjson" | "application/ndjson" => Some(Format::Ndjson),
        "application/json" => Some(Format::Json),
        shuzhuan_app::exports::XLSX => Some(Format::Xlsx),
        _ => None,
    }
}

/// Streams the body into a temporary file, hashing it on the way.
async fn spool(payload: &mut Payload, format: Format) -> Result<Upload, ApiError> {
    let mut file = tempfile::tempfile().map_err(AppError::internal)?;
    let mut hasher = Sha256::new();
    read_chunks(payload, IMPORT_LIMIT, |chunk| {
        hasher.update(chunk);
        file.write_all(chunk)
            .map_err(|e| AppError::internal(e).into())
    })
    .await?;
    file.seek(SeekFrom::Start(0)).map_err(AppError::internal)?;
    Ok(Upload {
        file,
        format,
        sha256: hex::encode(hasher.finalize()),
    })
}

impl FromRequest for Import {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let query = parse_query::<ImportQuery>(req.query_string());
        let format = format_of(req);
        let path = req.uri().to_string();
        let key = req
            .headers()
            .get(IDEMPOTENCY_KEY)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let mut payload = payload.take();
        Box::pin(async move {
            let query = query?;
            let format = format.ok_or(AppError::UnsupportedMediaType {
                expected: "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/x-ndjson or application/json",
            })?;
            Ok(Import(Request {
                query,
                upload: spool(&mut payload, format).await?,
                path,
                key,
            }))
        })
    }
}

/// The imports' one answer: the report in the caller's language (or the
/// 422 `import_rejected` carrying it); with `?report=xlsx`, the submitted
/// rows as an annotated workbook under the same status.
pub async fn answer(
    state: &AppState,
    caller: Caller,
    AcceptLang(lang): AcceptLang,
    Import(request): Import,
    import: impl FnOnce(&mut Session, &Principal, Request) -> shuzhuan_app::Result<Report>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let workbook = match request.query.wants_workbook() {
        true => Some((request.upload.try_clone()?, request.query.sheet.clone())),
        false => None,
    };
    let answered = state
        .run(caller, move |s, who| import(s, who, request))
        .await;
    let rows = &state.metrics.import_rows;
    match &answered {
        Ok(report) if !report.dry_run => {
            for (outcome, n) in [
                ("created", report.created),
                ("updated", report.updated),
                ("unchanged", report.unchanged),
                ("rejected", report.failed_rows()),
            ] {
                rows.with_label_values(&[outcome]).inc_by(n);
            }
        }
        Err(ApiError::App(shuzhuan_app::AppError::ImportRejected(report))) => {
            rows.with_label_values(&["rejected"])
                .inc_by(report.received);
        }
        _ => {}
    }
    let Some((upload, sheet)) = workbook else {
        return Ok(HttpResponse::Ok().json(answered?.render(lang)));
    };
    let (status, report) = match answered {
        Ok(report) => (StatusCode::OK, report),
        Err(ApiError::App(AppError::ImportRejected(report))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, *report)
        }
        Err(e) => return Err(e),
    };
    let file = web::block(move || annotate(upload, sheet.as_deref(), &report, lang)).await??;
    let name = match lang {
        Lang::En => "import-report.xlsx",
        Lang::Zh => "导入结果.xlsx",
    };
    let names = (name.to_owned(), "import-report.xlsx".to_owned());
    crate::export::download(status, SheetFormat::Xlsx, names, file).await
}
