//! Request extractors: who is asking ([`Caller`]), a JSON body kept as
//! bytes until the use case has checked its right ([`Json`]), query
//! strings with the parameter at fault named ([`Query`]), `If-Match`
//! ([`IfMatch`], [`OptionalIfMatch`]) and the preferred language
//! ([`AcceptLang`]). None of them touches the database.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use shuzhuan_app::error::from_validation;
use shuzhuan_app::input::{field_path, serde_message};
use shuzhuan_app::{AppError, Body, Credential, Expected, Lang, Text};
use validator::Validate;

use crate::error::ApiError;

/// Largest JSON body accepted (programme packs are the biggest, ~20 KB).
pub const JSON_LIMIT: usize = 1024 * 1024;

/// The credential the request presents (`Authorization: Bearer …`). The
/// use case's trip loads the principal; extraction never queries.
pub struct Caller(pub Credential);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
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
        // Without a token there is nobody to load: 401 at once, before
        // the body is read.
        ready(match token {
            Some(t) if !t.is_empty() => Ok(Caller(Credential::Bearer(t))),
            _ => Err(AppError::Unauthenticated("missing_token").into()),
        })
    }
}

/// Hands each chunk of a request body to `sink`, refusing the body (413)
/// as soon as it passes `limit` bytes.
pub async fn read_chunks<S, E>(
    payload: &mut S,
    limit: usize,
    mut sink: impl FnMut(&[u8]) -> Result<(), ApiError>,
) -> Result<(), ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
{
    let mut size = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::malformed(
                "body_unreadable",
                Text::new("The request body could not be read.", "无法读取请求体。"),
            )
        })?;
        size += chunk.len();
        if size > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        sink(&chunk)?;
    }
    Ok(())
}

/// Reads a whole request body into memory (413 past `limit` bytes).
pub async fn read_limited<S, E>(payload: &mut S, limit: usize) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
{
    let mut body = Vec::new();
    read_chunks(payload, limit, |chunk| {
        body.extend_from_slice(chunk);
        Ok(())
    })
    .await?;
    Ok(body)
}

/// A JSON body: 415 when not JSON and 413 when too large at extraction;
/// its bytes go to the use case as a [`Body`], parsed only after the
/// right check, so a caller without the right learns nothing from
/// validation.
pub struct Json<T>(Body<T>);

impl<T> Json<T> {
    pub fn body(self) -> Body<T> {
        self.0
    }
}

/// Whether the request says its body is JSON (`application/json` or any
/// `application/…+json`).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

impl<T: 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(AppError::UnsupportedMediaType {
                    expected: "application/json",
                }
                .into());
            }
            Ok(Json(Body::Json(
                read_limited(&mut payload, JSON_LIMIT).await?,
            )))
        })
    }
}

/// Query parameters, with the parameter at fault named in a 422.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

pub(crate) fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = field_path(&e.path().to_string());
        let message = serde_message(&e.into_inner().to_string());
        AppError::field(path, "invalid_value", message)
    })?;
    value
        .validate()
        .map_err(|e| AppError::Validation(from_validation(&e)))?;
    Ok(value)
}

/// The version in an `If-Match` header (`"3"`, `W/"3"` or `3`), or `*`
/// for whatever version is current.
fn if_match(req: &HttpRequest) -> Option<Result<Expected, ApiError>> {
    let raw = req.headers().get(header::IF_MATCH)?;
    let parsed = raw.to_str().ok().and_then(|v| match v.trim() {
        "*" => Some(Expected::Any),
        v => v
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse::<i64>()
            .ok()
            .map(Expected::Version),
    });
    Some(parsed.ok_or_else(|| {
        ApiError::malformed(
            "invalid_if_match",
            Text::new(
                "If-Match must carry the ETag you read, e.g. \"3\", or `*`.",
                "If-Match 必须是读取到的 ETag（例如 \"3\"）或 `*`。",
            ),
        )
    }))
}

/// The version a client read, from `If-Match`. Changes to versioned
/// objects require it (428 without).
pub struct IfMatch(pub Expected);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match if_match(req) {
            Some(v) => v.map(IfMatch),
            None => Err(ApiError::IfMatchRequired),
        })
    }
}

/// `If-Match` where it is optional (the upserts by code, whose last
/// writer wins without it).
pub struct OptionalIfMatch(pub Option<Expected>);

impl FromRequest for OptionalIfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(if_match(req).transpose().map(OptionalIfMatch))
    }
}

/// The language the caller prefers (`Accept-Language`), for bodies other
/// than problems that carry words (the import report).
pub struct AcceptLang(pub Lang);

impl FromRequest for AcceptLang {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(AcceptLang(crate::middleware::preferred_lang(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ))))
    }
}
