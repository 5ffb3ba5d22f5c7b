//! The one mapping from every error to HTTP: RFC 9457 problem+json with a
//! stable `code`, English by default and Chinese when the caller's
//! `Accept-Language` prefers it (see [`crate::middleware::localize`]).

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use shuzhuan_persistence::RepoError;
use utoipa::ToSchema;

/// A text in both languages the API speaks.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Text {
    pub en: Cow<'static, str>,
    pub zh: Cow<'static, str>,
}

impl Text {
    pub fn new(en: impl Into<Cow<'static, str>>, zh: impl Into<Cow<'static, str>>) -> Self {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }

    fn get(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en.to_string(),
            Lang::Zh => self.zh.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

/// One invalid input: the JSON path (or CSV row/column) at fault, a stable
/// code and a message.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub code: Cow<'static, str>,
    pub message: Text,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<Cow<'static, str>>,
        message: Text,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message,
        }
    }
}

/// Every way a request can fail, mapped to HTTP in [`ResponseError`] below.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    #[error("role lacks the right `{0}`")]
    Forbidden(&'static str),
    /// Missing, or outside the caller's scope: the two look the same.
    #[error("not found")]
    NotFound,
    /// A documented path asked with a method it does not have.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("state conflict: {code}")]
    Conflict { code: &'static str, detail: Text },
    #[error("stale version: now at {current}")]
    StaleVersion { current: i64 },
    #[error("If-Match required")]
    IfMatchRequired,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// An atomic import with failed rows: nothing was written.
    #[error("import rejected")]
    ImportRejected(Box<crate::import::Report>),
    #[error("malformed request: {code}")]
    Malformed { code: &'static str, detail: Text },
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    #[error("service unavailable")]
    Unavailable(#[source] RepoError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn field(field: impl Into<String>, code: &'static str, message: Text) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// Names what a unique conflict means for this request (`username_taken`
    /// rather than the generic `already_exists`); other errors pass through.
    pub fn conflict_as(self, code: &'static str, detail: Text) -> Self {
        match self {
            ApiError::Conflict { .. } => ApiError::Conflict { code, detail },
            other => other,
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(e))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(code) => code,
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::StaleVersion { .. } => "stale_version",
            ApiError::IfMatchRequired => "if_match_required",
            ApiError::Validation(_) => "validation_failed",
            ApiError::ImportRejected(_) => "import_rejected",
            ApiError::Malformed { code, .. } => code,
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> Text {
        match self {
            ApiError::Unauthenticated(_) => Text::new("Authentication required", "需要身份认证"),
            ApiError::Forbidden(_) => Text::new("Forbidden", "无权操作"),
            ApiError::NotFound => Text::new("Not found", "未找到"),
            ApiError::MethodNotAllowed { .. } => {
                Text::new("Method not allowed", "不支持该请求方法")
            }
            ApiError::Conflict { .. } => Text::new("Conflict", "状态冲突"),
            ApiError::StaleVersion { .. } => Text::new("Precondition failed", "版本已过期"),
            ApiError::IfMatchRequired => Text::new("Precondition required", "缺少 If-Match 请求头"),
            ApiError::Validation(_) => Text::new("Validation failed", "数据校验未通过"),
            ApiError::ImportRejected(_) => Text::new("Import rejected", "导入未通过"),
            ApiError::Malformed { .. } => Text::new("Malformed request", "请求格式错误"),
            ApiError::PayloadTooLarge { .. } => Text::new("Payload too large", "请求体过大"),
            ApiError::UnsupportedMediaType { .. } => {
                Text::new("Unsupported media type", "不支持的媒体类型")
            }
            ApiError::Unavailable(_) => Text::new("Service unavailable", "服务暂不可用"),
            ApiError::Internal(_) => Text::new("Internal error", "服务器内部错误"),
        }
    }

    fn detail(&self) -> Text {
        match self {
            ApiError::ImportRejected(r) => Text::new(
                format!(
                    "{} of {} rows failed; the import is atomic, so nothing was written. See `errors` (field `row N` or `row N: column`).",
                    r.failed_rows(),
                    r.received
                ),
                format!(
                    "{} 行中有 {} 行未通过；整体导入，未写入任何数据。详见 `errors`。",
                    r.received,
                    r.failed_rows()
                ),
            ),
            ApiError::MethodNotAllowed { allow } => Text::new(
                format!("This path answers {allow}."),
                format!("该路径支持的请求方法：{allow}。"),
            ),
            ApiError::Unauthenticated("invalid_credentials") => {
                Text::new("Unknown user or wrong password.", "用户名或密码错误。")
            }
            ApiError::Unauthenticated("token_expired") => {
                Text::new("The token has expired.", "令牌已过期。")
            }
            ApiError::Unauthenticated("invalid_refresh_token") => Text::new(
                "The refresh token is unknown, used or expired; log in again.",
                "刷新令牌无效、已使用或已过期，请重新登录。",
            ),
            ApiError::Unauthenticated(_) => Text::new(
                "Send a valid access token or API token as `Authorization: Bearer <token>`.",
                "请以 `Authorization: Bearer <令牌>` 提供有效的访问令牌或 API 令牌。",
            ),
            ApiError::Forbidden(right) => Text::new(
                format!("Your roles do not include the right to {right}."),
                format!("您的角色没有此项权限：{right}。"),
            ),
            ApiError::NotFound => Text::new(
                "No such resource, or it is outside your scope.",
                "资源不存在，或不在您的权限范围内。",
            ),
            ApiError::Conflict { detail, .. } | ApiError::Malformed { detail, .. } => {
                detail.clone()
            }
            ApiError::StaleVersion { current } => Text::new(
                format!(
                    "The resource has changed since you read it; it is now at version {current}. Read it again and retry."
                ),
                format!("资源在您读取后已被修改，当前版本为 {current}。请重新读取后再试。"),
            ),
            ApiError::IfMatchRequired => Text::new(
                "Send `If-Match` with the version (ETag) you read, so a concurrent change is not overwritten.",
                "请在 `If-Match` 中提供您读取到的版本（ETag），以免覆盖他人的修改。",
            ),
            ApiError::Validation(errors) => Text::new(
                format!("{} field(s) are invalid; see `errors`.", errors.len()),
                format!("{} 个字段未通过校验，详见 `errors`。", errors.len()),
            ),
            ApiError::PayloadTooLarge { limit } => Text::new(
                format!("The body exceeds the limit of {limit} bytes."),
                format!("请求体超过 {limit} 字节的上限。"),
            ),
            ApiError::UnsupportedMediaType { expected } => Text::new(
                format!("Send the body as {expected}."),
                format!("请以 {expected} 格式发送请求体。"),
            ),
            ApiError::Unavailable(_) => Text::new(
                "The database is not reachable right now; retry later.",
                "数据库暂时无法访问，请稍后重试。",
            ),
            ApiError::Internal(_) => Text::new(
                "An unexpected error occurred; it has been logged.",
                "发生意外错误，已记录日志。",
            ),
        }
    }

    /// The body in one language.
    pub fn problem(&self, lang: Lang) -> Problem {
        let code = self.code();
        let errors = match self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    code: e.code.to_string(),
                    message: e.message.get(lang),
                })
                .collect(),
            ApiError::ImportRejected(report) => report
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: match &e.column {
                        Some(c) => format!("row {}: {c}", e.row),
                        None => format!("row {}", e.row),
                    },
                    code: e.code.clone(),
                    message: e.message.get(lang),
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            r#type: format!("urn:shuzhuan:problem:{code}"),
            title: self.title().get(lang),
            status: self.status_code().as_u16(),
            detail: self.detail().get(lang),
            code: code.to_owned(),
            errors,
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:shuzhuan:problem:validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "1 field(s) are invalid; see `errors`.",
    "code": "validation_failed",
    "errors": [{"field": "password", "code": "length", "message": "must be 12 to 256 characters"}]
}))]
pub struct Problem {
    /// A URI naming the problem type: `urn:shuzhuan:problem:<code>`.
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code; see docs/ERRORS.md.
    pub code: String,
    /// Field errors of a validation problem; empty otherwise.
    pub errors: Vec<ProblemField>,
}

/// One invalid field of a validation problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON path of the field (`regions[2].code`), or `row:column` for files.
    pub field: String,
    pub code: String,
    pub message: String,
}

/// The Chinese rendering of a problem, carried in the response extensions
/// for the localisation middleware to swap in.
#[derive(Clone)]
pub struct ZhProblem(pub Vec<u8>);

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::StaleVersion { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::IfMatchRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Validation(_) | ApiError::ImportRejected(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Malformed { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(e) => log::error!("internal error: {}", cause_chain(e.as_ref())),
            ApiError::Unavailable(e) => log::warn!("unavailable: {}", cause_chain(e)),
            _ => {}
        }
        let en = serde_json::to_vec(&self.problem(Lang::En)).unwrap_or_default();
        let zh = serde_json::to_vec(&self.problem(Lang::Zh)).unwrap_or_default();
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::Unauthenticated(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::MethodNotAllowed { allow } => {
                res.insert_header((header::ALLOW, allow.clone()));
            }
            _ => {}
        }
        let mut res = res.body(en);
        res.extensions_mut().insert(ZhProblem(zh));
        res
    }
}

fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => ApiError::NotFound,
            RepoError::StaleVersion { current } => ApiError::StaleVersion { current },
            RepoError::Conflict(_) => ApiError::Conflict {
                code: "already_exists",
                detail: Text::new(
                    "A record with the same identifying fields exists already.",
                    "已存在标识相同的记录。",
                ),
            },
            RepoError::InvalidReference(_) => ApiError::Conflict {
                code: "invalid_reference",
                detail: Text::new(
                    "The request refers to a record that does not exist.",
                    "请求引用了不存在的记录。",
                ),
            },
            RepoError::Pool(_) => ApiError::Unavailable(e),
            other => ApiError::internal(other),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

/// Converts the `validator` crate's report into field errors with JSON
/// paths (`batches[1].name`).
pub fn from_validation(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, String::new(), &mut out);
    out
}

fn collect(errors: &validator::ValidationErrors, prefix: String, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind as Kind;
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    for (name, kind) in errors.errors() {
        match kind {
            Kind::Field(list) => {
                for e in list {
                    let en = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("invalid ({})", e.code));
                    let zh = zh_message(&e.code, &en);
                    out.push(FieldError::new(
                        join(name),
                        e.code.to_string(),
                        Text::new(en, zh),
                    ));
                }
            }
            Kind::Struct(inner) => collect(inner, join(name), out),
            Kind::List(items) => {
                for (i, inner) in items {
                    collect(inner, format!("{}[{i}]", join(name)), out);
                }
            }
        }
    }
}

/// Chinese for the validation codes our request types use.
fn zh_message(code: &str, en: &str) -> String {
    match code {
        "length" => format!("长度不符合要求（{en}）"),
        "range" => format!("数值超出范围（{en}）"),
        "code_format" => "代码只能包含小写字母、数字、连字符和下划线".to_owned(),
        "username_format" => "用户名只能包含字母、数字、点、连字符和下划线".to_owned(),
        "date_order" => format!("日期先后顺序不正确（{en}）"),
        "duplicate" => format!("重复的取值（{en}）"),
        "blank" => "不能为空".to_owned(),
        _ => en.to_owned(),
    }
}
