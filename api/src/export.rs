//! Lists as spreadsheets over HTTP: which file a client asks for
//! (`?format=xlsx|csv|json` or `Accept`), the list's use case run to the
//! last page into that file, and the file answered as a download, read
//! from disk as it goes.

use std::fs::File;
use std::io::Read;

use actix_web::body::SizedStream;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use futures_util::future::{Ready, ready};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shuzhuan_app::error::{Lang, Text};
use shuzhuan_app::exports::{self, Paged, SheetFormat, Table, XLSX, tables};
use shuzhuan_app::view::List;
use shuzhuan_app::{AppError, Principal, Session};
use validator::Validate;

use crate::error::ApiError;
use crate::extract::{Caller, parse_query};
use crate::state::AppState;

/// What a list's caller wants back.
#[derive(Debug, Clone, Copy)]
pub enum Wants {
    Json,
    /// The whole list as a file, titled in this language (Chinese unless
    /// `Accept-Language` asks otherwise).
    Sheet(SheetFormat, Lang),
}

/// A list's query (without `format`) and what the caller wants back.
pub struct Listing<T>(pub T, pub Wants);

/// The `format` query parameter every exportable list takes.
pub const FORMAT: &str = "format";

impl<T: DeserializeOwned + Validate> FromRequest for Listing<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(listing(req))
    }
}

fn listing<T: DeserializeOwned + Validate>(req: &HttpRequest) -> Result<Listing<T>, ApiError> {
    let mut format = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key == FORMAT {
            format = Some(value.into_owned());
        } else {
            rest.append_pair(&key, &value);
        }
    }
    let query = parse_query::<T>(&rest.finish())?;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let gb18030 = accept.split(',').any(|media| {
        media.trim().starts_with("text/csv")
            && ["charset=gb18030", "charset=gbk", "charset=gb2312"]
                .iter()
                .any(|c| media.contains(c))
    });
    let csv = if gb18030 {
        SheetFormat::CsvGb18030
    } else {
        SheetFormat::Csv
    };
    let sheet = match format.as_deref() {
        Some("xlsx") => Some(SheetFormat::Xlsx),
        Some("csv") => Some(csv),
        Some("json") => None,
        Some(other) => {
            return Err(AppError::field(
                FORMAT,
                "invalid_value",
                Text::new(
                    format!("`{other}` is not a format: use json, xlsx or csv"),
                    format!("`{other}` 不是可用的格式：应为 json、xlsx 或 csv"),
                ),
            )
            .into());
        }
        None if accept.contains(XLSX) => Some(SheetFormat::Xlsx),
        None if accept.contains("text/csv") => Some(csv),
        None => None,
    };
    let lang = match req.headers().get(header::ACCEPT_LANGUAGE) {
        None => Lang::Zh,
        Some(v) => crate::middleware::preferred_lang(v.to_str().ok()),
    };
    Ok(Listing(
        query,
        sheet.map_or(Wants::Json, |format| Wants::Sheet(format, lang)),
    ))
}

/// A list as JSON (one page), or every page of it as a file.
pub async fn list<Q, T>(
    state: &AppState,
    caller: Caller,
    Listing(query, wants): Listing<Q>,
    table: &'static Table,
    list: impl Fn(&mut Session, &Principal, Q) -> shuzhuan_app::Result<List<T>> + Send + 'static,
) -> Result<HttpResponse, ApiError>
where
    Q: Paged + Send + 'static,
    T: Serialize + Send + 'static,
{
    match wants {
        Wants::Json => {
            let page = state.run(caller, move |s, who| list(s, who, query)).await?;
            Ok(json(&page))
        }
        Wants::Sheet(format, lang) => {
            let file = state
                .run(caller, move |s, who| {
                    exports::export_list(table, format, lang, query, |q| list(s, who, q))
                })
                .await?;
            download(StatusCode::OK, format, names(table, lang, format), file).await
        }
    }
}

/// A report read in one piece (the dashboard, monitoring) as JSON, or its
/// rows (`rows` picks them) as a file.
/// `read` takes the language its texts are written in: the caller's for
/// JSON, the file's for a file.
pub async fn report<V, T>(
    state: &AppState,
    caller: Caller,
    (json_lang, wants): (Lang, Wants),
    table: &'static Table,
    read: impl FnOnce(&mut Session, &Principal, Lang) -> shuzhuan_app::Result<V> + Send + 'static,
    rows: fn(&V) -> &[T],
) -> Result<HttpResponse, ApiError>
where
    V: Serialize + Send + 'static,
    T: Serialize + 'static,
{
    let lang = match wants {
        Wants::Json => json_lang,
        Wants::Sheet(_, lang) => lang,
    };
    let view = state.run(caller, move |s, who| read(s, who, lang)).await?;
    match wants {
        Wants::Json => Ok(json(&view)),
        Wants::Sheet(format, lang) => {
            let file = web::block(move || {
                exports::write_all(table, format, lang, |write| write(rows(&view)))
            })
            .await??;
            download(StatusCode::OK, format, names(table, lang, format), file).await
        }
    }
}

/// A table's file name in the caller's language and in English.
fn names(table: &Table, lang: Lang, format: SheetFormat) -> (String, String) {
    (
        table.file_name(lang, format),
        table.file_name(Lang::En, format),
    )
}

fn json<V: Serialize>(view: &V) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .json(view)
}

/// Bytes read from the file per chunk of the response.
const CHUNK: usize = 256 * 1024;

/// A file answered as a download named `name` (`ascii` for clients that
/// cannot read UTF-8 names), streamed from disk.
pub async fn download(
    status: StatusCode,
    format: SheetFormat,
    (name, ascii): (String, String),
    file: File,
) -> Result<HttpResponse, ApiError> {
    let len = file.metadata().map_err(AppError::internal)?.len();
    let body = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            let mut buf = vec![0; CHUNK];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((file, buf))) => Some((Ok(Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
            Err(e) => Some((Err(actix_web::Error::from(e)), None)),
        }
    });
    Ok(HttpResponse::build(status)
        .content_type(format.media_type())
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .insert_header(attachment(&name, ascii))
        .body(SizedStream::new(len, body)))
}

/// `Content-Disposition` of a download named `name` (`ascii` for clients
/// that cannot read UTF-8 names).
pub fn attachment(name: &str, ascii: String) -> ContentDisposition {
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

/// The lists that export, by `operationId`, with what they hold.
const EXPORTS: &[(&str, &Table)] = &[
    ("list_enterprises", &tables::ENTERPRISES),
    ("list_providers", &tables::PROVIDERS),
    ("list_pool", &tables::POOL),
    ("list_library", &tables::LIBRARY),
    ("list_projects", &tables::PROJECTS),
    ("get_dashboard", &tables::TARGETS),
    ("monitoring", &tables::MONITORING),
    ("list_decisions", &tables::DECISIONS),
    ("fund_compliance", &tables::FUNDS),
    ("list_disbursements", &tables::DISBURSEMENTS),
    ("programme_ledger", &tables::LEDGER),
    ("list_audit_log", &tables::AUDIT_LOG),
    ("list_risks", &tables::RISKS),
];

/// A binary file's schema.
fn file_schema(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Binary,
        )))
        .description(Some(description))
        .into()
}

/// Adds to the contract what the handlers' annotations cannot say once:
/// the `format` parameter and the CSV and workbook answers of every
/// exportable list, and the workbook body and annotated answer of every
/// import.
pub fn describe(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{Content, RefOr};
    for (path, item) in doc.paths.paths.iter_mut() {
        if let Some(op) = &mut item.get
            && let Some((_, table)) = EXPORTS
                .iter()
                .find(|(id, _)| op.operation_id.as_deref() == Some(id))
        {
            let mut format = crate::export::format_schema();
            format.description = Some(
                "`json` (default): one page. `xlsx` or `csv`: every row the same query matches, \
                 as a file (also chosen by `Accept`)."
                    .into(),
            );
            op.parameters.get_or_insert_with(Vec::new).push(
                ParameterBuilder::new()
                    .name(FORMAT)
                    .parameter_in(ParameterIn::Query)
                    .description(Some(
                        "The answer's form: `json` (default), `xlsx` or `csv`; `Accept` may say the same.",
                    ))
                    .schema(Some(format))
                    .build()
                    .into(),
            );
            let columns: Vec<String> = table
                .columns
                .iter()
                .map(|c| format!("{} ({})", c.zh, c.en))
                .collect();
            let about = format!(
                "{} ({}): every matching row, same filters and scope as the JSON list. Columns: {}. \
                 Titles in Chinese unless Accept-Language asks for English; money in 元 with two \
                 decimals; times in Beijing time; text that would start a formula is neutralised.",
                table.zh,
                table.en,
                columns.join(", ")
            );
            if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
                ok.content.insert(
                    XLSX.into(),
                    RefOr::T(Content::new(Some(file_schema(&format!(
                        "A workbook. {about}"
                    ))))),
                );
                ok.content.insert(
                    "text/csv".into(),
                    RefOr::T(Content::new(Some(file_schema(&format!(
                        "CSV, UTF-8 with a BOM (GB18030 for `Accept: text/csv; charset=gb18030`). {about}"
                    ))))),
                );
            }
        }
        if let Some(op) = &mut item.post
            && path.ends_with("/import")
        {
            if let Some(RefOr::T(body)) = &mut op.request_body {
                body.content.insert(
                    XLSX.into(),
                    RefOr::T(Content::new(Some(file_schema(
                        "An .xlsx workbook: the first sheet (or `?sheet=`), its first row the column titles, cells as Excel stores them.",
                    )))),
                );
            }
            for status in ["200", "422"] {
                if let Some(RefOr::T(answer)) = op.responses.responses.get_mut(status) {
                    answer.content.insert(
                        XLSX.into(),
                        RefOr::T(Content::new(Some(file_schema(
                            "With `?report=xlsx`: the rows as sent, with 状态 and 错误原因 columns (failed rows and cells highlighted); fix and send the same file again.",
                        )))),
                    );
                }
            }
        }
    }
}

fn format_schema() -> utoipa::openapi::schema::Object {
    shuzhuan_app::view::string_enum(["json", "xlsx", "csv"])
}
