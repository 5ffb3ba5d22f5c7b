//! What use cases take in: request bodies read only after the right is
//! checked ([`Body`]), list paging ([`Page`]), and the parsing of codes
//! and credit codes into domain types with field errors that name the
//! field and what is allowed.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use shuzhuan_types::{Code, Uscc};
use utoipa::IntoParams;
use validator::Validate;

use crate::error::{AppError, FieldError, Result, Text, from_validation};

/// A request body not read yet. A use case reads it after its right
/// check, so a caller without the right learns nothing from validation.
pub enum Body<T> {
    /// JSON bytes as they came.
    Json(Vec<u8>),
    /// Already a value (tests, the CLI, seed packs).
    Value(T),
}

impl<T> From<T> for Body<T> {
    fn from(v: T) -> Self {
        Body::Value(v)
    }
}

impl<T: DeserializeOwned + Validate> Body<T> {
    /// Deserialises with the path of any field at fault, then validates.
    pub fn read(self) -> Result<T> {
        let value = match self {
            Body::Json(bytes) => parse_json(&bytes)?,
            Body::Value(v) => v,
        };
        value
            .validate()
            .map_err(|e| AppError::Validation(from_validation(&e)))?;
        Ok(value)
    }
}

/// JSON into `T`, naming the field at fault (422) or the syntax error (400).
/// Text with control characters (NUL and the like, which PostgreSQL cannot
/// store and no form field needs) is refused field by field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    if may_escape_control(body)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        let mut errors = Vec::new();
        control_fields(&value, &mut String::new(), &mut errors);
        AppError::check(errors)?;
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = field_path(&e.path().to_string());
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                AppError::field(path, "invalid_value", serde_message(&inner.to_string()))
            }
            _ => malformed_json(&inner),
        }
    })?;
    de.end().map_err(|e| malformed_json(&e))?;
    Ok(value)
}

/// Whether text has a control character other than tab, line feed and
/// carriage return.
pub fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}')
}

/// Whether text has any control character at all (for names, ids and
/// query values, where even a line break is an attack on a header or a
/// log line).
pub fn has_any_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// The field error for text with control characters.
pub fn control_error(field: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        "control_character",
        Text::new(
            "must not contain control characters (such as NUL)",
            "不得包含控制字符（如 NUL）",
        ),
    )
}

/// Whether raw JSON may hold an escaped control character (`\u0000`–
/// `\u001f`, `\u007f`, `\u0080`–`\u009f`); raw ones are not JSON at all.
fn may_escape_control(body: &[u8]) -> bool {
    body.windows(5).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2] == b'0'
            && matches!(w[3], b'0' | b'1' | b'7' | b'8' | b'9')
    })
}

/// Collects the paths of strings (keys too) with control characters.
fn control_fields(value: &serde_json::Value, path: &mut String, errors: &mut Vec<FieldError>) {
    use serde_json::Value;
    use std::fmt::Write;
    match value {
        Value::String(text) if has_control(text) => errors.push(control_error(field_path(path))),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                control_fields(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if has_control(key) {
                    errors.push(control_error(field_path(path)));
                } else {
                    control_fields(item, path, errors);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A serde data error in both languages: what was expected and what came,
/// without the parser's position (the field names the place). Only the
/// values and names of the request itself stay as they are.
pub fn serde_message(raw: &str) -> Text {
    let en = match raw.rfind(" at line ") {
        Some(at) => &raw[..at],
        None => raw,
    };
    Text::new(en.to_owned(), serde_zh(en))
}

fn serde_zh(en: &str) -> String {
    if let Some(rest) = en.strip_prefix("invalid type: ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return format!(
            "类型错误：应为{}，收到的是{}",
            kind_zh(expected),
            kind_zh(got)
        );
    }
    if let Some(rest) = en.strip_prefix("unknown field ") {
        let (field, allowed) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let allowed = allowed.trim_start_matches("one of ");
        return if allowed.is_empty() || allowed.starts_with("there are no fields") {
            format!("未知字段 {field}")
        } else {
            format!("未知字段 {field}，可用字段：{allowed}")
        };
    }
    if let Some(field) = en.strip_prefix("missing field ") {
        return format!("缺少必填字段 {field}");
    }
    if let Some(rest) = en.strip_prefix("unknown variant ") {
        let (value, allowed) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "取值 {value} 无效，应为以下之一：{}",
            allowed.trim_start_matches("one of ")
        );
    }
    if let Some(rest) = en.strip_prefix("invalid value: ")
        && let Some((_, expected)) = rest.split_once(", expected ")
    {
        return format!("取值无效：应为{}", kind_zh(expected));
    }
    if let Some(rest) = en.strip_prefix("invalid length ")
        && let Some((_, expected)) = rest.split_once(", expected ")
    {
        return format!("长度无效：应为{}", kind_zh(expected));
    }
    if en.contains("invalid digit")
        || en.contains("number too large")
        || en.contains("number too small")
    {
        return "应为范围内的整数".to_owned();
    }
    if en.contains("provided string was not `true` or `false`") {
        return "应为 true 或 false".to_owned();
    }
    // Our own deserialisers name the allowed values: `x` is not a …: one of a, b.
    if let Some((given, values)) = en.split_once(": one of ") {
        let given = given.split(" is not").next().unwrap_or(given);
        return format!("{given} 无效，应为以下之一：{values}");
    }
    "取值无效".to_owned()
}

/// A serde type name (`i32`, `a string`, `string \"120\"` …) in Chinese.
fn kind_zh(kind: &str) -> String {
    let kind = kind.trim();
    let (name, value) = match kind.split_once(' ') {
        Some((name, value)) if !kind.starts_with("a ") && !kind.starts_with("an ") => {
            (name, Some(value))
        }
        _ => (kind, None),
    };
    let zh = match name {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "integer" | "an integer" => {
            "整数"
        }
        "f32" | "f64" | "floating" | "a number" => "数字",
        "string" | "a string" | "char" | "a character" => "字符串",
        "boolean" | "a boolean" | "bool" => "布尔值",
        "sequence" | "a sequence" => "数组",
        "map" | "a map" | "struct" => "对象",
        "null" | "unit" => "null",
        other if other.starts_with("struct ") => "对象",
        other if other.contains("RFC 3339") || other.contains("date") => "日期（如 2026-12-31）",
        other => return format!("`{other}`"),
    };
    match value {
        Some(v) => format!("{zh} {}", v.trim_start_matches("point ")),
        None => zh.to_owned(),
    }
}

fn malformed_json(e: &serde_json::Error) -> AppError {
    AppError::Malformed {
        code: "malformed_json",
        detail: Text::new(
            format!("The body is not well-formed JSON: {e}."),
            format!("请求体不是合法的 JSON：{e}。"),
        ),
    }
}

/// serde_path_to_error writes the root as `.`; we name it `body`.
pub fn field_path(p: &str) -> String {
    if p == "." || p.is_empty() {
        "body".to_owned()
    } else {
        p.to_owned()
    }
}

/// `?limit=` and `?cursor=` of every list.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size, 1 to 500 (default 50).
    #[validate(range(min = 1, max = 500, message = "must be 1 to 500", code = "range"))]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque).
    #[param(pattern = "^c1\\.([0-9a-f]{2}){0,1024}$")]
    pub cursor: Option<String>,
}

impl Page {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50)
    }

    /// The key to continue after, from the opaque cursor (400
    /// `malformed_cursor` when it was not given out by a list).
    pub fn after(&self) -> Result<Option<String>> {
        crate::view::cursor_key(self.cursor.as_deref())
    }
}

/// A code of `T` from a request field, or the field error listing what
/// is allowed.
pub fn code<T: Code>(field: &str, given: &str) -> std::result::Result<T, FieldError> {
    T::from_code(given.trim()).ok_or_else(|| {
        let list = T::codes(", ");
        FieldError::new(
            field,
            "invalid_value",
            Text::new(
                format!("`{given}` is not a {}: one of {list}", T::WHAT),
                format!("`{given}` 无效，应为以下之一：{}", T::codes("、")),
            ),
        )
    })
}

/// An optional code of `T` from a query parameter, as a 422 naming it.
pub fn optional_code<T: Code>(field: &str, given: Option<&str>) -> Result<Option<T>> {
    given
        .map(|g| code(field, g).map_err(|e| AppError::Validation(vec![e])))
        .transpose()
}

/// Deserialises a field as a code of `T` (for request types that name a
/// closed set): the error lists the values allowed.
pub fn deserialize_code<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Code,
{
    let text = String::deserialize(d)?;
    T::from_code(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "`{text}` is not a {}: one of {}",
            T::WHAT,
            T::codes(", ")
        ))
    })
}

/// A unified social credit code from the wire, normalised, or the field
/// error naming what is wrong with it (GB 32100-2015).
pub fn uscc(field: &str, raw: &str) -> std::result::Result<String, FieldError> {
    Uscc::parse(raw)
        .map(|u| u.to_string())
        .map_err(|e| FieldError::new(field, e.code(), Text::new(e.to_string(), e.message_zh())))
}

/// A credit code from a path (`/…/by-code/{uscc}`), or the 422.
pub fn path_uscc(raw: &str) -> Result<String> {
    uscc("uscc", raw).map_err(|e| AppError::Validation(vec![e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_errors_read_in_chinese_without_positions() {
        let t = serde_message("invalid type: string \"120\", expected i32 at line 1 column 18");
        assert_eq!(t.en, "invalid type: string \"120\", expected i32");
        assert_eq!(t.zh, "类型错误：应为整数，收到的是字符串 \"120\"");
        let t = serde_message("unknown field `employee_count`, expected one of `name`, `uscc`");
        assert_eq!(t.zh, "未知字段 `employee_count`，可用字段：`name`, `uscc`");
        assert_eq!(
            serde_message("missing field `uscc`").zh,
            "缺少必填字段 `uscc`"
        );
        assert_eq!(
            serde_message("invalid digit found in string").zh,
            "应为范围内的整数"
        );
        assert_eq!(
            serde_message("`小` is not a size class: one of micro, small").zh,
            "`小` 无效，应为以下之一：micro, small"
        );
        for raw in [
            "invalid type: integer `5`, expected a string",
            "invalid type: map, expected a sequence",
            "something else entirely",
        ] {
            let zh = serde_message(raw).zh;
            assert!(!zh.chars().any(|c| c.is_ascii_lowercase()), "{raw}: {zh}");
        }
    }
}
