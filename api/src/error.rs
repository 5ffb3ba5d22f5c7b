//! The one mapping from every error to HTTP: RFC 9457 problem+json with a
//! stable `code`, English by default and Chinese when the caller's
//! `Accept-Language` prefers it (see [`crate::middleware::localize`]).
//! Use-case errors ([`AppError`]) come with their code and words; this
//! module adds the transport's own (405, 413, 428) and the statuses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use shuzhuan_app::error::cause_chain;
use shuzhuan_app::{AppError, Lang, Text};
use utoipa::ToSchema;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What the use case answered instead of its view.
    #[error(transparent)]
    App(#[from] AppError),
    /// A documented path asked with a method it does not have.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("If-Match required")]
    IfMatchRequired,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// The blocking pool failed to run the work (it panicked or shut down).
    #[error("blocking task failed")]
    Blocking(#[from] actix_web::error::BlockingError),
    /// More requests in flight than this instance takes at once.
    #[error("overloaded")]
    Overloaded,
    /// The server is still migrating and seeding, or is shutting down.
    #[error("starting")]
    Starting,
    #[error("shutting down")]
    ShuttingDown,
}

impl ApiError {
    pub fn not_found() -> Self {
        ApiError::App(AppError::NotFound)
    }

    pub fn malformed(code: &'static str, detail: Text) -> Self {
        ApiError::App(AppError::Malformed { code, detail })
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::App(e) => e.code(),
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::IfMatchRequired => "if_match_required",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Blocking(_) => "internal_error",
            ApiError::Overloaded => "overloaded",
            ApiError::Starting => "starting",
            ApiError::ShuttingDown => "shutting_down",
        }
    }

    fn title(&self) -> Text {
        title_of(self.status_code(), self.code())
    }

    fn detail(&self) -> Text {
        match self {
            ApiError::App(e) => e.detail(),
            ApiError::MethodNotAllowed { allow } => Text::new(
                format!("This path answers {allow}."),
                format!("该路径支持的请求方法：{allow}。"),
            ),
            ApiError::IfMatchRequired => Text::new(
                "Send `If-Match` with the version (ETag) you read, so a concurrent change is not overwritten.",
                "请在 `If-Match` 中提供您读取到的版本（ETag），以免覆盖他人的修改。",
            ),
            ApiError::PayloadTooLarge { limit } => Text::new(
                format!("The body exceeds the limit of {limit} bytes."),
                format!("请求体超过 {limit} 字节的上限。"),
            ),
            ApiError::Blocking(_) => AppError::Internal("".into()).detail(),
            ApiError::Overloaded => Text::new(
                "This server is handling as many requests as it takes at once; retry shortly.",
                "服务器当前并发请求已满，请稍后重试。",
            ),
            ApiError::Starting => Text::new(
                "The server is starting (migrating the database); retry shortly.",
                "服务正在启动（数据库迁移中），请稍后重试。",
            ),
            ApiError::ShuttingDown => Text::new(
                "This instance is shutting down; retry and another will answer.",
                "该实例正在停止，请重试，将由其他实例处理。",
            ),
        }
    }

    /// The body in one language.
    pub fn problem(&self, lang: Lang) -> Problem {
        let code = self.code();
        let errors = match self {
            ApiError::App(AppError::Validation(errors)) => errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    code: e.code.to_string(),
                    message: e.message.get(lang),
                    row: None,
                    column: None,
                })
                .collect(),
            ApiError::App(AppError::ImportRejected(report)) => report
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: match (&e.column, lang) {
                        (Some(c), Lang::En) => format!("row {}: {c}", e.row),
                        (None, Lang::En) => format!("row {}", e.row),
                        (Some(c), Lang::Zh) => format!("第 {} 行：{c}", e.row),
                        (None, Lang::Zh) => format!("第 {} 行", e.row),
                    },
                    code: e.code.clone(),
                    message: e.message.get(lang),
                    row: Some(e.row),
                    column: e.column.clone(),
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
            instance: None,
            request_id: None,
        }
    }
}

/// The title of a problem of `status` with `code`.
fn title_of(status: StatusCode, code: &str) -> Text {
    match status {
        StatusCode::UNAUTHORIZED => Text::new("Authentication required", "需要身份认证"),
        StatusCode::FORBIDDEN => Text::new("Forbidden", "无权操作"),
        StatusCode::NOT_FOUND => Text::new("Not found", "未找到"),
        StatusCode::METHOD_NOT_ALLOWED => Text::new("Method not allowed", "不支持该请求方法"),
        StatusCode::CONFLICT => Text::new("Conflict", "状态冲突"),
        StatusCode::PRECONDITION_FAILED => Text::new("Precondition failed", "版本已过期"),
        StatusCode::PRECONDITION_REQUIRED => {
            Text::new("Precondition required", "缺少 If-Match 请求头")
        }
        StatusCode::UNPROCESSABLE_ENTITY => match code {
            "import_rejected" => Text::new("Import rejected", "导入未通过"),
            "validation_failed" => Text::new("Validation failed", "数据校验未通过"),
            _ => Text::new("Refused", "请求无法处理"),
        },
        StatusCode::BAD_REQUEST => Text::new("Malformed request", "请求格式错误"),
        StatusCode::PAYLOAD_TOO_LARGE => Text::new("Payload too large", "请求体过大"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            Text::new("Unsupported media type", "不支持的媒体类型")
        }
        StatusCode::SERVICE_UNAVAILABLE => Text::new("Service unavailable", "服务暂不可用"),
        StatusCode::TOO_MANY_REQUESTS => Text::new("Too many requests", "请求过于频繁"),
        _ => Text::new("Internal error", "服务器内部错误"),
    }
}

/// A problem body as the server would send it, for the contract's
/// examples: `detail` is the code's meaning from docs/ERRORS.md.
pub fn example(status: u16, code: &str, detail: &str) -> serde_json::Value {
    let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let errors = if code == "validation_failed" {
        serde_json::json!([{"field": "name", "code": "length", "message": "1 to 200 characters"}])
    } else {
        serde_json::json!([])
    };
    serde_json::json!({
        "type": format!("urn:shuzhuan:problem:{code}"),
        "title": title_of(status_code, code).en,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors,
        "instance": "urn:shuzhuan:request:0193a0c4-7f5e-7b61-9c1d-2f8e4a6b5c3d",
        "request_id": "0193a0c4-7f5e-7b61-9c1d-2f8e4a6b5c3d",
    })
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    /// This occurrence: `urn:shuzhuan:request:<request id>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request's id (`X-Request-Id`), to quote when reporting it: the
    /// server's log lines of the request carry it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One invalid field of a validation problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON path of the field (`regions[2].code`), or for a file's row the
    /// row and column in the caller's language (`row 3: 所属区县`, `第 3
    /// 行：所属区县`).
    pub field: String,
    pub code: String,
    pub message: String,
    /// For a file's row: its number, as the import report's `row_numbers`
    /// says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// For a file's row: the column as the file titles it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

/// A problem in both languages, carried in the response extensions for the
/// localisation middleware to render in the caller's, with the request id.
#[derive(Clone)]
pub struct Problems {
    pub en: Problem,
    pub zh: Problem,
}

impl Problems {
    pub fn get(&self, lang: Lang) -> &Problem {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        let ApiError::App(e) = self else {
            return match self {
                ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
                ApiError::IfMatchRequired => StatusCode::PRECONDITION_REQUIRED,
                ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::Overloaded | ApiError::Starting | ApiError::ShuttingDown => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
        };
        match e {
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::StaleVersion { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::Validation(_) | AppError::ImportRejected(_) | AppError::Refused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Malformed { .. } => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) | AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::App(AppError::Internal(e)) => {
                log::error!("internal error: {}", cause_chain(e.as_ref()))
            }
            ApiError::App(AppError::Unavailable(e)) => {
                log::warn!("unavailable: {}", cause_chain(e))
            }
            ApiError::App(AppError::Throttled { .. }) => log::warn!("login throttled"),
            ApiError::Blocking(e) => log::error!("internal error: {}", cause_chain(e)),
            _ => {}
        }
        let en = self.problem(Lang::En);
        let zh = self.problem(Lang::Zh);
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::App(AppError::Unauthenticated(_)) => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::MethodNotAllowed { allow } => {
                res.insert_header((header::ALLOW, allow.clone()));
            }
            // The database is away or busy, or this instance cannot take
            // the request now: tell clients when to try again.
            ApiError::App(AppError::Unavailable(_)) | ApiError::Starting => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            ApiError::Overloaded | ApiError::ShuttingDown | ApiError::App(AppError::Busy) => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            ApiError::App(AppError::Throttled { retry_after }) => {
                res.insert_header((
                    header::RETRY_AFTER,
                    retry_after.as_secs().max(1).to_string(),
                ));
            }
            _ => {}
        }
        let mut res = res.body(serde_json::to_vec(&en).unwrap_or_default());
        res.extensions_mut().insert(Problems { en, zh });
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shuzhuan_persistence::RepoError;

    #[test]
    fn a_lost_database_is_a_503_with_retry_after_in_both_languages() {
        let e = ApiError::App(AppError::Unavailable(RepoError::Lost(
            diesel::result::Error::BrokenTransactionManager,
        )));
        let res = e.error_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"5"[..])
        );
        assert_eq!(e.problem(Lang::En).code, "unavailable");
        assert!(e.problem(Lang::Zh).detail.chars().any(|c| c > '\u{2e80}'));
    }
}
