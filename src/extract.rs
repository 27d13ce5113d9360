//! Request extractors that answer bad input with the API's JSON error body and name the field:
//! [`Json`] (content type, size limit, syntax, then types and fields via `serde_path_to_error`) and
//! [`Query`] (unknown or malformed parameters).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code, FieldError};

/// The default JSON body limit (SPEC §5: 1 MiB).
pub const JSON_LIMIT: usize = 1024 * 1024;

/// Uploads and bulk bodies may be this large (SPEC §5: uploads 20 MiB).
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

/// A per-scope override of the body limit, as app data.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// A JSON request body.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Whether the request declares a JSON content type (`application/json` or `application/*+json`).
pub fn is_json_content_type(req: &HttpRequest) -> bool {
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

/// Reads the whole body, refusing more than `limit` bytes with 413.
pub async fn read_body<S>(req: &HttpRequest, payload: &mut S, limit: usize) -> Result<web::BytesMut, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let too_large = || ApiError::new(Code::PayloadTooLarge, format!("请求体超过 {} KiB 上限", limit / 1024));
    if let Some(len) =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
        && len > limit
    {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => too_large(),
            other => ApiError::new(Code::BadRequest, format!("读取请求体失败：{other}")),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Turns a serde error message into a Chinese explanation for one field.
fn explain(inner: &str) -> (Option<String>, String) {
    let between_ticks = |s: &str| s.split('`').nth(1).map(str::to_string);
    if let Some(rest) = inner.strip_prefix("missing field ") {
        return (between_ticks(rest), "必填字段缺失".to_string());
    }
    if let Some(rest) = inner.strip_prefix("unknown field ") {
        let expected = rest.split_once(", expected ").map(|(_, e)| e.replace('`', "")).unwrap_or_default();
        return (between_ticks(rest), format!("不认识的字段（可用字段：{expected}）"));
    }
    if let Some(rest) = inner.strip_prefix("unknown variant ") {
        let got = between_ticks(rest).unwrap_or_default();
        let expected = rest.split_once(", expected ").map(|(_, e)| e.replace('`', "")).unwrap_or_default();
        return (None, format!("取值“{got}”无效，可选值：{expected}"));
    }
    if let Some(rest) = inner.strip_prefix("invalid type: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return (None, format!("类型错误：应为 {want}，实际为 {got}"));
    }
    if let Some(rest) = inner.strip_prefix("invalid value: ") {
        return (None, format!("取值无效：{rest}"));
    }
    if inner.starts_with("invalid length") {
        return (None, format!("长度无效：{inner}"));
    }
    (None, inner.to_string())
}

/// A field error from a serde error at a path.
pub fn field_error_of(path: &serde_path_to_error::Path, inner: &str) -> FieldError {
    field_error(path, inner)
}

fn field_error(path: &serde_path_to_error::Path, inner: &str) -> FieldError {
    let (child, message) = explain(inner);
    let mut field = path.to_string();
    if field == "." {
        field.clear();
    }
    if let Some(child) = child {
        let already = field == child || field.ends_with(&format!(".{child}"));
        if !already {
            field = if field.is_empty() { child } else { format!("{field}.{child}") };
        }
    }
    if field.is_empty() {
        field = "(body)".into();
    }
    FieldError::new(field, message)
}

/// Parses a JSON document into `T`, mapping syntax errors to 400 and field errors to 422.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(Code::MalformedJson, "请求体为空，应为 JSON 对象"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => {
            // Trailing characters after the document are malformed JSON.
            let mut rest = serde_json::Deserializer::from_slice(bytes).into_iter::<serde::de::IgnoredAny>();
            rest.next();
            if rest.next().is_some() {
                return Err(ApiError::new(Code::MalformedJson, "JSON 文档之后还有多余内容"));
            }
            Ok(v)
        }
        Err(err) => {
            let inner = err.inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let msg = inner.to_string();
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    Err(ApiError::validation(vec![field_error(err.path(), &msg)]))
                }
                _ => Err(ApiError::new(
                    Code::MalformedJson,
                    format!("请求体不是合法的 JSON（第 {} 行第 {} 列）", inner.line(), inner.column()),
                )),
            }
        }
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json_content_type(&req) {
                return Err(ApiError::of(Code::UnsupportedMediaType));
            }
            let limit = req.app_data::<BodyLimit>().map(|l| l.0).unwrap_or(JSON_LIMIT);
            let body = read_body(&req, &mut payload, limit).await?;
            parse_json(&body).map(Json)
        })
    }
}

/// Query parameters; unknown names and bad values answer 400 naming the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses a query string into `T`.
pub fn parse_query<T: DeserializeOwned>(qs: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(qs));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|err| {
        let msg = err.inner().to_string();
        let fe = field_error(err.path(), &msg);
        ApiError::bad_param(fe.field, fe.message)
    })
}

fn form_urlencoded_parse(qs: &str) -> url::form_urlencoded::Parse<'_> {
    url::form_urlencoded::parse(qs.as_bytes())
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Validated paging: `page >= 1`, `1 <= per_page <= 100` (default 20).
pub fn paging(page: Option<i64>, per_page: Option<i64>) -> Result<(i64, i64), ApiError> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(20);
    if !(1..=100_000).contains(&page) {
        return Err(ApiError::bad_param("page", "应为不小于 1 的整数"));
    }
    if !(1..=100).contains(&per_page) {
        return Err(ApiError::bad_param("per_page", "应在 1 到 100 之间"));
    }
    Ok((page, per_page))
}

/// Path parameters that fail to parse (e.g. a malformed UUID) answer 400.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| ApiError::bad_param("path", format!("路径参数无效：{err}")).into())
}

/// Percent-decoded query pairs that serde_urlencoded cannot take directly are rare; this keeps one
/// parser for both.
#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Org {
        uscc: String,
        kind: Kind,
    }
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Enterprise,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        organization: Org,
        count: u32,
    }

    fn field_of(e: &ApiError) -> &str {
        &e.details[0].field
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_json::<Body>(br#"{"organization":{"kind":"enterprise"},"count":1}"#).expect_err("missing");
        assert_eq!(e.code, Code::Validation);
        assert_eq!(field_of(&e), "organization.uscc");

        let e =
            parse_json::<Body>(br#"{"organization":{"uscc":"x","kind":"enterprise"},"count":"1"}"#).expect_err("type");
        assert_eq!(field_of(&e), "count");

        let e = parse_json::<Body>(br#"{"organization":{"uscc":"x","kind":"shop"},"count":1}"#).expect_err("variant");
        assert_eq!(field_of(&e), "organization.kind");

        let e = parse_json::<Body>(br#"{"organization":{"uscc":"x","kind":"enterprise"},"count":1,"extra":2}"#)
            .expect_err("unknown");
        assert_eq!(field_of(&e), "extra");

        let e = parse_json::<Body>(br#"{"organization": "#).expect_err("syntax");
        assert_eq!(e.code, Code::MalformedJson);
        let e = parse_json::<Body>(br#"{"organization":{"uscc":"x","kind":"enterprise"},"count":1} x"#)
            .expect_err("trailing");
        assert_eq!(e.code, Code::MalformedJson);
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        page: Option<u32>,
        q: Option<String>,
    }

    #[test]
    fn query_errors() {
        let q: Q = parse_query("page=2&q=%E9%94%82").expect("ok");
        assert_eq!(q.q.as_deref(), Some("锂"));
        let e = parse_query::<Q>("page=abc").expect_err("bad");
        assert_eq!(e.code, Code::InvalidParameter);
        assert_eq!(field_of(&e), "page");
        let e = parse_query::<Q>("pgae=1").expect_err("unknown");
        assert_eq!(field_of(&e), "pgae");
    }
}
