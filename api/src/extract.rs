//! Request extractors that turn bad input into problem+json: a JSON body
//! with size, media-type and field-path checks, query strings with field
//! paths, `If-Match`, and list paging.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::{ApiError, FieldError, Text, from_validation};

/// Largest JSON body accepted (programme packs are the biggest, ~20 KB).
pub const JSON_LIMIT: usize = 1024 * 1024;

/// Reads a whole request body, refusing it (413) as soon as it passes
/// `limit` bytes.
pub async fn read_limited<S, E>(payload: &mut S, limit: usize) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
{
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::Malformed {
            code: "body_unreadable",
            detail: Text::new("The request body could not be read.", "无法读取请求体。"),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A JSON body: 415 when not JSON and 413 when too large at extraction;
/// parsed by [`Json::parse`] only after the handler's policy check, so a
/// caller without the right learns nothing from validation (400 when not
/// well-formed, 422 naming the field otherwise).
pub struct Json<T> {
    bytes: Vec<u8>,
    _type: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned + Validate> Json<T> {
    /// Deserialises with the path of any field at fault, then validates.
    pub fn parse(self) -> Result<T, ApiError> {
        let value: T = parse_json(&self.bytes)?;
        value
            .validate()
            .map_err(|e| ApiError::Validation(from_validation(&e)))?;
        Ok(value)
    }
}

impl<T: 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                });
            }
            Ok(Json {
                bytes: read_limited(&mut payload, JSON_LIMIT).await?,
                _type: std::marker::PhantomData,
            })
        })
    }
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = field_path(&e.path().to_string());
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::Validation(vec![FieldError::new(
                path,
                "invalid_value",
                Text::new(inner.to_string(), format!("取值无效：{inner}")),
            )]),
            _ => malformed_json(&inner),
        }
    })?;
    de.end().map_err(|e| malformed_json(&e))?;
    Ok(value)
}

fn malformed_json(e: &serde_json::Error) -> ApiError {
    ApiError::Malformed {
        code: "malformed_json",
        detail: Text::new(
            format!("The body is not well-formed JSON: {e}."),
            format!("请求体不是合法的 JSON：{e}。"),
        ),
    }
}

/// serde_path_to_error writes the root as `.`; we name it `body`.
fn field_path(p: &str) -> String {
    if p == "." || p.is_empty() {
        "body".to_owned()
    } else {
        p.to_owned()
    }
}

/// Query parameters, with the parameter at fault named in a 422.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parse = || {
            let de = serde_urlencoded::Deserializer::new(form_urlencoded_pairs(req.query_string()));
            let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
                let path = field_path(&e.path().to_string());
                let msg = e.into_inner().to_string();
                ApiError::field(
                    path,
                    "invalid_value",
                    Text::new(msg.clone(), format!("查询参数取值无效：{msg}")),
                )
            })?;
            value
                .validate()
                .map_err(|e| ApiError::Validation(from_validation(&e)))?;
            Ok(Query(value))
        };
        ready(parse())
    }
}

fn form_urlencoded_pairs(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// The version a client read, from `If-Match` (`"3"`, `W/"3"` or `3`).
/// Writes to versioned objects require it (428 without).
pub struct IfMatch(pub i64);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(raw) = req.headers().get(header::IF_MATCH) else {
            return ready(Err(ApiError::IfMatchRequired));
        };
        let parsed = raw.to_str().ok().and_then(|v| {
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse::<i64>()
                .ok()
        });
        ready(parsed.map(IfMatch).ok_or(ApiError::Malformed {
            code: "invalid_if_match",
            detail: Text::new(
                "If-Match must carry the ETag you read, e.g. \"3\".",
                "If-Match 必须是读取到的 ETag，例如 \"3\"。",
            ),
        }))
    }
}

/// 201 Created with the new object's `Location` and `ETag`.
pub fn created(location: String, version: i64, body: impl Serialize) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header(etag(version))
        .json(body)
}

/// 200 OK with the object's `ETag`, for reads and writes of one object.
pub fn versioned(version: i64, body: impl Serialize) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header(etag(version))
        .json(body)
}

/// The `ETag` header value for a version.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// `?limit=` and `?cursor=` of every list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50)
    }

    /// The key to continue after. A cursor is the last key of a page,
    /// opaque to clients; any string is a valid position in key order.
    pub fn after(&self) -> Option<String> {
        self.cursor.clone()
    }
}

/// A page of a list: `{items, next_cursor}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn all(items: Vec<T>) -> Self {
        List {
            items,
            next_cursor: None,
        }
    }

    /// A page of rows as views, continuing after its last key.
    pub fn from_page<R>(page: shuzhuan_persistence::repo::Page<R>) -> Self
    where
        T: From<R>,
    {
        let next_cursor = page.next_after;
        List {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor,
        }
    }

    /// A page of `items`, continuing after the key `next_after`.
    pub fn new(items: Vec<T>, next_after: Option<&str>) -> Self {
        List {
            items,
            next_cursor: next_after.map(str::to_owned),
        }
    }
}
