//! What a use case can answer instead of its view: one error type for all
//! of them, knowing nothing of HTTP (the API maps it to problem+json in one
//! place; the CLI and the worker print it in words), and the bilingual
//! text every message carries.

use std::borrow::Cow;

use shuzhuan_persistence::RepoError;

use crate::imports::Report;
use crate::policy::Right;

/// A text in both languages the API speaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

    pub fn get(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en.to_string(),
            Lang::Zh => self.zh.to_string(),
        }
    }
}

/// The language an answer is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

/// One invalid input: the JSON path (or CSV row/column) at fault, a stable
/// code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// A field every request of this kind must carry.
    pub fn required(field: impl Into<String>) -> Self {
        FieldError::new(field, "required", Text::new("required", "必填"))
    }
}

/// The version a writer read (`If-Match`): a version, or `*` for whatever
/// is current (RFC 9110: the object must exist, any version will do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Any,
    Version(i64),
}

impl Expected {
    /// The version to write against: `current`, unless the caller read
    /// another (412 `stale_version`).
    pub fn check(self, current: i64) -> Result<i64> {
        match self {
            Expected::Version(v) if v != current => Err(AppError::StaleVersion { current }),
            _ => Ok(current),
        }
    }
}

/// Every way a use case can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No caller, or a token that does not name one.
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    /// The caller's roles do not include the right.
    #[error("role lacks the right `{}`", .0.name())]
    Forbidden(Right),
    /// Missing, or outside the caller's scope: the two look the same.
    #[error("not found")]
    NotFound,
    /// The object's state does not allow the request.
    #[error("state conflict: {code}")]
    Conflict { code: &'static str, detail: Text },
    /// Optimistic concurrency: the caller read an older version.
    #[error("stale version: now at {current}")]
    StaleVersion { current: i64 },
    /// Fields of the request are invalid: `errors` names each.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// Well-formed input the rules refuse for a reason that is not one of
    /// its fields (a policy without a rate for the level reached, a key
    /// used for another request): its own top-level code.
    #[error("refused: {code}")]
    Refused { code: &'static str, detail: Text },
    /// An atomic import with failed rows: nothing was written.
    #[error("import rejected")]
    ImportRejected(Box<Report>),
    /// Input that cannot be read at all (not JSON, not CSV, bytes that
    /// are not what they claim).
    #[error("malformed input: {code}")]
    Malformed { code: &'static str, detail: Text },
    /// A file of a kind that is not accepted.
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    /// The database cannot be reached now; a retry may succeed.
    #[error("service unavailable")]
    Unavailable(#[source] RepoError),
    /// Too many wrong passwords from this username or address: wait.
    #[error("throttled")]
    Throttled { retry_after: std::time::Duration },
    /// Every slot for the work is taken (password hashing); a retry soon
    /// may succeed.
    #[error("busy")]
    Busy,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    pub fn field(field: impl Into<String>, code: &'static str, message: Text) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// Validation errors, or `Ok` when there are none.
    pub fn check(errors: Vec<FieldError>) -> Result<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errors))
        }
    }

    pub fn conflict(
        code: &'static str,
        en: impl Into<Cow<'static, str>>,
        zh: impl Into<Cow<'static, str>>,
    ) -> Self {
        AppError::Conflict {
            code,
            detail: Text::new(en, zh),
        }
    }

    /// Names what a unique conflict means for this request (`username_taken`
    /// rather than the generic `already_exists`); other errors pass through.
    pub fn conflict_as(self, code: &'static str, detail: Text) -> Self {
        match self {
            AppError::Conflict { .. } => AppError::Conflict { code, detail },
            other => other,
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Box::new(e))
    }

    /// The stable machine code (docs/ERRORS.md).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(code) => code,
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::StaleVersion { .. } => "stale_version",
            AppError::Validation(_) => "validation_failed",
            AppError::ImportRejected(_) => "import_rejected",
            AppError::Malformed { code, .. } => code,
            AppError::Refused { code, .. } => code,
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::Unavailable(_) => "unavailable",
            AppError::Throttled { .. } => "too_many_attempts",
            AppError::Busy => "busy",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// What happened, in words, in both languages.
    pub fn detail(&self) -> Text {
        match self {
            AppError::ImportRejected(r) => Text::new(
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
            AppError::Unauthenticated("invalid_credentials") => {
                Text::new("Unknown user or wrong password.", "用户名或密码错误。")
            }
            AppError::Unauthenticated("token_expired") => {
                Text::new("The token has expired.", "令牌已过期。")
            }
            AppError::Unauthenticated("invalid_refresh_token") => Text::new(
                "The refresh token is unknown, used or expired; log in again.",
                "刷新令牌无效、已使用或已过期，请重新登录。",
            ),
            AppError::Unauthenticated(_) => Text::new(
                "Send a valid access token or API token as `Authorization: Bearer <token>`.",
                "请以 `Authorization: Bearer <令牌>` 提供有效的访问令牌或 API 令牌。",
            ),
            AppError::Forbidden(right) => Text::new(
                format!("Your roles do not include the right to {}.", right.name()),
                format!("您的角色没有此项权限：{}。", right.name_zh()),
            ),
            AppError::NotFound => Text::new(
                "No such resource, or it is outside your scope.",
                "资源不存在，或不在您的权限范围内。",
            ),
            AppError::Conflict { detail, .. }
            | AppError::Malformed { detail, .. }
            | AppError::Refused { detail, .. } => detail.clone(),
            AppError::StaleVersion { current } => Text::new(
                format!(
                    "The resource has changed since you read it; it is now at version {current}. Read it again and retry."
                ),
                format!("资源在您读取后已被修改，当前版本为 {current}。请重新读取后再试。"),
            ),
            AppError::Validation(errors) => Text::new(
                format!("{} field(s) are invalid; see `errors`.", errors.len()),
                format!("{} 个字段未通过校验，详见 `errors`。", errors.len()),
            ),
            AppError::UnsupportedMediaType { expected } => Text::new(
                format!("Send the body as {expected}."),
                format!("请以 {expected} 格式发送请求体。"),
            ),
            AppError::Throttled { retry_after } => Text::new(
                format!(
                    "Too many wrong passwords for this user or from this address; try again in {} s.",
                    retry_after.as_secs().max(1)
                ),
                format!(
                    "该用户或该地址密码错误次数过多，请在 {} 秒后重试。",
                    retry_after.as_secs().max(1)
                ),
            ),
            AppError::Busy => Text::new(
                "The server is busy with other logins; retry in a moment.",
                "服务器正忙于处理其他登录，请稍后重试。",
            ),
            AppError::Unavailable(RepoError::Busy(_)) => Text::new(
                "The database is busy (a lock or statement waited past its limit); retry shortly.",
                "数据库繁忙（锁或语句等待超时），请稍后重试。",
            ),
            AppError::Unavailable(_) => Text::new(
                "The database is not reachable right now; retry later.",
                "数据库暂时无法访问，请稍后重试。",
            ),
            AppError::Internal(_) => Text::new(
                "An unexpected error occurred; it has been logged.",
                "发生意外错误，已记录日志。",
            ),
        }
    }
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => AppError::NotFound,
            RepoError::StaleVersion { current } => AppError::StaleVersion { current },
            RepoError::Conflict(_) => AppError::conflict(
                "already_exists",
                "A record with the same identifying fields exists already.",
                "已存在标识相同的记录。",
            ),
            RepoError::InvalidReference(_) => AppError::conflict(
                "invalid_reference",
                "The request refers to a record that does not exist.",
                "请求引用了不存在的记录。",
            ),
            RepoError::Unstorable(_) => AppError::field(
                "body",
                "unstorable_value",
                Text::new(
                    "A value cannot be stored: text with a NUL character, or a number beyond its range.",
                    "存在无法保存的取值：文本含 NUL 字符，或数值超出范围。",
                ),
            ),
            e if e.is_transient() => AppError::Unavailable(e),
            other => AppError::internal(other),
        }
    }
}

/// The cause chain of an error in one line, for logs (never for clients).
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
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
                    let zh = zh_message(e, &en);
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

/// Chinese for the validation codes our request types use, built from the
/// rule's own bounds, so no English reaches a Chinese answer.
fn zh_message(e: &validator::ValidationError, en: &str) -> String {
    let param = |name: &str| e.params.get(name).map(ToString::to_string);
    let (min, max) = (param("min"), param("max"));
    match (e.code.as_ref(), min, max) {
        ("length", Some(min), Some(max)) => format!("长度应为 {min} 至 {max}"),
        ("length", Some(min), None) => format!("长度至少为 {min}"),
        ("length", None, Some(max)) => format!("长度不得超过 {max}"),
        ("range", Some(min), Some(max)) => format!("取值应在 {min} 至 {max} 之间"),
        ("range", Some(min), None) if min == "0" => "不得为负数".to_owned(),
        ("range", Some(min), None) if min == "1" => "应为正数".to_owned(),
        ("range", Some(min), None) => format!("不得小于 {min}"),
        ("range", None, Some(max)) => format!("不得大于 {max}"),
        ("code_format", ..) => "代码只能包含小写字母、数字、连字符和下划线".to_owned(),
        ("username_format", ..) => "用户名只能包含字母、数字、点、连字符和下划线".to_owned(),
        ("date_order", ..) => "日期先后顺序不正确".to_owned(),
        ("duplicate", ..) => "存在重复的取值".to_owned(),
        ("blank", ..) => "不能为空".to_owned(),
        ("invalid_url", ..) => "应为完整的 http 或 https 地址".to_owned(),
        ("invalid_event_type", ..) => {
            "事件类型应为 `*`、`<对象类型>.*` 或 `<对象类型>.<create|update|tombstone>`".to_owned()
        }
        ("invalid_seed", ..) => "应为 64 位十六进制数字（32 字节）".to_owned(),
        // Closed sets name their values (codes, the same in both languages).
        ("invalid_value", ..) => match en.split_once("one of ") {
            Some((_, values)) => format!("取值无效，应为以下之一：{values}"),
            None => format!("取值无效，应为：{en}"),
        },
        _ => "取值无效".to_owned(),
    }
}
