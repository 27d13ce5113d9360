//! The one table of error codes and the JSON error body of the API:
//! `{"error": {"code": "...", "message": "...", "details": [{"field": "...", "message": "..."}]}}`.
//!
//! Handlers return `Result<_, ApiError>` and use `?`; unexpected failures become an opaque 500 whose
//! cause is logged once, with the request id, by the request middleware.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Every error code the API answers with, its HTTP status and a default message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    MalformedJson,
    BadRequest,
    InvalidParameter,
    Unauthorized,
    InvalidToken,
    InvalidCredentials,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    InvalidState,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    BelowMandatory,
    RateLimited,
    DatabaseUnavailable,
    SearchUnavailable,
    Internal,
}

impl Code {
    /// (wire code, status, default message)
    const fn entry(self) -> (&'static str, StatusCode, &'static str) {
        use Code::*;
        match self {
            MalformedJson => ("malformed_json", StatusCode::BAD_REQUEST, "请求体不是合法的 JSON"),
            BadRequest => ("bad_request", StatusCode::BAD_REQUEST, "请求无法解析"),
            InvalidParameter => ("invalid_parameter", StatusCode::BAD_REQUEST, "参数无效"),
            Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED, "需要登录或有效的访问令牌"),
            InvalidToken => ("invalid_token", StatusCode::UNAUTHORIZED, "访问令牌无效或已过期"),
            InvalidCredentials => ("invalid_credentials", StatusCode::UNAUTHORIZED, "邮箱或密码错误"),
            Forbidden => ("forbidden", StatusCode::FORBIDDEN, "无权执行此操作"),
            NotFound => ("not_found", StatusCode::NOT_FOUND, "资源不存在"),
            MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED, "该地址不支持此请求方法"),
            Conflict => ("conflict", StatusCode::CONFLICT, "与现有数据冲突"),
            InvalidState => ("invalid_state", StatusCode::CONFLICT, "当前状态不允许此操作"),
            PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE, "请求体过大"),
            UnsupportedMediaType => (
                "unsupported_media_type",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "不支持的内容类型，请使用 application/json",
            ),
            Validation => ("validation_failed", StatusCode::UNPROCESSABLE_ENTITY, "提交的数据未通过校验"),
            BelowMandatory => {
                ("below_mandatory", StatusCode::UNPROCESSABLE_ENTITY, "有指标低于强制性标准的要求，不能发布")
            }
            RateLimited => ("rate_limited", StatusCode::TOO_MANY_REQUESTS, "请求过于频繁，请稍后再试"),
            DatabaseUnavailable => {
                ("database_unavailable", StatusCode::SERVICE_UNAVAILABLE, "数据库暂时不可用，请稍后重试")
            }
            SearchUnavailable => ("search_unavailable", StatusCode::SERVICE_UNAVAILABLE, "搜索服务暂时不可用"),
            Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误"),
        }
    }

    pub const fn as_str(self) -> &'static str {
        self.entry().0
    }
    pub const fn status(self) -> StatusCode {
        self.entry().1
    }
    pub const fn default_message(self) -> &'static str {
        self.entry().2
    }

    /// The code that stands for an HTTP status when nothing more specific is known
    /// (actix's own errors: unknown route, wrong method, size limits).
    pub fn for_status(status: StatusCode) -> Code {
        match status.as_u16() {
            400 => Code::BadRequest,
            401 => Code::Unauthorized,
            403 => Code::Forbidden,
            404 => Code::NotFound,
            405 => Code::MethodNotAllowed,
            409 => Code::Conflict,
            413 => Code::PayloadTooLarge,
            415 => Code::UnsupportedMediaType,
            422 => Code::Validation,
            429 => Code::RateLimited,
            503 => Code::DatabaseUnavailable,
            _ => Code::Internal,
        }
    }
}

/// One field-level problem: the JSON path of the field and what is wrong with it, and for some
/// codes more about it (`below_mandatory`: the standard, clause, class, limit and declared value).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), context: None }
    }

    /// With more about the problem, as sibling keys of `field` and `message`.
    pub fn with_context(mut self, context: serde_json::Map<String, serde_json::Value>) -> Self {
        self.context = Some(context);
        self
    }
}

/// An error answered to the client. `source` (unexpected failures only) is logged, never sent.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    /// A more specific wire code than the table's, e.g. `duplicate_uscc` for a 409.
    pub wire_code: Option<&'static str>,
    pub message: Cow<'static, str>,
    pub details: Vec<FieldError>,
    pub retry_after: Option<u32>,
    pub allow: Option<Box<str>>,
    pub source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: Code, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            wire_code: None,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            allow: None,
            source: None,
        }
    }

    pub fn of(code: Code) -> Self {
        Self::new(code, code.default_message())
    }

    /// Replaces the table's wire code by a more specific one (same status).
    pub fn with_code(mut self, wire: &'static str) -> Self {
        self.wire_code = Some(wire);
        self
    }

    pub fn with_details(mut self, details: Vec<FieldError>) -> Self {
        self.details = details;
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(u32::try_from(secs.max(1)).unwrap_or(u32::MAX));
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what}不存在"))
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Forbidden, message)
    }

    pub fn conflict(wire: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Conflict, message).with_code(wire)
    }

    pub fn invalid_state(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::InvalidState, message)
    }

    /// A 422 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// A 422 naming every failing field.
    pub fn validation(details: Vec<FieldError>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("{}：{}", one.field, one.message),
            _ => format!("{} 个字段未通过校验", details.len()),
        };
        Self::new(Code::Validation, message).with_details(details)
    }

    pub fn bad_param(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self::new(Code::InvalidParameter, format!("参数 {field}：{message}"))
            .with_details(vec![FieldError::new(field, message)])
    }

    /// An unexpected failure: answered as an opaque 500, the cause logged at the boundary.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::of(Code::Internal);
        e.source = Some(source.into());
        e
    }

    pub fn db_unavailable(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::of(Code::DatabaseUnavailable).retry_after(5);
        e.source = Some(source.into());
        e
    }

    pub fn wire_code(&self) -> &str {
        self.wire_code.unwrap_or(self.code.as_str())
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({
            "code": self.wire_code(),
            "message": self.message,
        });
        if !self.details.is_empty() {
            error["details"] = serde_json::to_value(&self.details).unwrap_or_default();
        }
        serde_json::json!({ "error": error })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.wire_code(), self.message)
    }
}

/// The cause of an unexpected failure is the error's source, so `anyhow` chains (command-line
/// paths: `error: internal: 服务器内部错误: <cause>`) keep it.
impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The cause of an unexpected failure, carried on the response built for it (never sent), so the
/// request boundary logs it once with the request id.
#[derive(Clone, Debug)]
pub struct ErrorCause(pub String);

impl ApiError {
    /// Records this error's cause, if any, on a response built for it.
    pub fn mark_cause(&self, res: &mut HttpResponse) {
        if let Some(src) = &self.source {
            res.extensions_mut().insert(ErrorCause(format!("{src:#}")));
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        if let Some(allow) = &self.allow {
            res.insert_header((header::ALLOW, &**allow));
        }
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        let mut res = res.json(self.body());
        self.mark_cause(&mut res);
        res
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::of(Code::NotFound),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => ApiError::db_unavailable(e),
            Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, ref info)
                if info.message().contains("connection") || info.message().contains("server") =>
            {
                ApiError::db_unavailable(e)
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::new(Code::Conflict, "并发修改冲突，请重试").with_code("concurrent_update").retry_after(1)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        ApiError::db_unavailable(e)
    }
}

impl From<crate::blocking::TaskFailed> for ApiError {
    fn from(e: crate::blocking::TaskFailed) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::domain::actor::NotAnOrganization> for ApiError {
    fn from(e: crate::domain::actor::NotAnOrganization) -> Self {
        ApiError::forbidden(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_snake_case_and_unique() {
        use Code::*;
        let all = [
            MalformedJson,
            BadRequest,
            InvalidParameter,
            Unauthorized,
            InvalidToken,
            InvalidCredentials,
            Forbidden,
            NotFound,
            MethodNotAllowed,
            Conflict,
            InvalidState,
            PayloadTooLarge,
            UnsupportedMediaType,
            Validation,
            BelowMandatory,
            RateLimited,
            DatabaseUnavailable,
            SearchUnavailable,
            Internal,
        ];
        let mut seen = std::collections::HashSet::new();
        for c in all {
            let s = c.as_str();
            assert!(s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'), "{s}");
            assert!(seen.insert(s), "duplicate {s}");
        }
    }

    #[test]
    fn validation_body_names_the_field() {
        let e = ApiError::field("organization.uscc", "校验位错误");
        let body = e.body();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["details"][0]["field"], "organization.uscc");
        assert_eq!(e.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
