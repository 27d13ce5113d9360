//! Collecting field errors: each check records a problem against a field path and the caller gets one
//! 422 naming every failing field.

use crate::error::{ApiError, ApiResult, FieldError};

#[derive(Default, Debug)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn err(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// A required text: trimmed, between `min` and `max` characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let v = value.trim();
        let n = v.chars().count();
        if n == 0 && min > 0 {
            self.err(field, "不能为空");
        } else if n < min {
            self.err(field, format!("至少 {min} 个字符"));
        } else if n > max {
            self.err(field, format!("最多 {max} 个字符，实际 {n} 个"));
        } else if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            self.err(field, "含有不可见的控制字符");
        }
        v.to_string()
    }

    /// An optional text: empty becomes `None`.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = value.map(str::trim).filter(|s| !s.is_empty())?;
        Some(self.text(field, v, 1, max))
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::validation(self.errors)) }
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }
}

/// A plausible e-mail address (one `@`, a dotted domain, no spaces), lower-cased.
pub fn email(check: &mut Check, field: &str, value: &str) -> String {
    let v = value.trim().to_lowercase();
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !domain.contains('@')
        })
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        check.err(field, "不是有效的电子邮箱地址");
    }
    v
}

/// A phone number: digits with optional `+`, spaces and dashes, 5 to 20 characters.
pub fn phone(check: &mut Check, field: &str, value: &str) -> String {
    let v = value.trim().to_string();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let ok = (5..=20).contains(&v.chars().count())
        && digits >= 5
        && v.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
    if !ok {
        check.err(field, "不是有效的电话号码");
    }
    v
}
