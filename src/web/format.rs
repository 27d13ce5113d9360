//! Small formatting helpers for the pages: China-time dates, HTML escaping for pre-built
//! fragments, and JSON values as words.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

/// `2025-03-01` in China time.
pub fn date(t: DateTime<Utc>) -> String {
    crate::clock::in_china(t).format("%Y-%m-%d").to_string()
}

/// `2025-03-01 14:05` in China time.
pub fn datetime(t: DateTime<Utc>) -> String {
    crate::clock::in_china(t).format("%Y-%m-%d %H:%M").to_string()
}

pub fn opt_date(t: Option<DateTime<Utc>>) -> String {
    t.map(date).unwrap_or_default()
}

pub fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Escapes text for HTML (for fragments built in Rust and rendered with `|safe`).
pub use crate::html::escape;

/// A JSON value as plain words (`null` as the empty marker, booleans as 是/否).
pub fn value(v: &Value, empty: &str, yes: &str, no: &str) -> String {
    match v {
        Value::Null => empty.to_string(),
        Value::String(s) if s.is_empty() => empty.to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => yes.to_string(),
        Value::Bool(false) => no.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A percentage with one decimal (`0.4567` -> `45.7%`).
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// A query string from pairs, percent-encoded.
pub fn query(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A file size in words (`1.2 MB`, `830 KB`).
pub fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_dates() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        let t = DateTime::parse_from_rfc3339("2025-01-31T17:30:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(date(t), "2025-02-01");
        assert_eq!(datetime(t), "2025-02-01 01:30");
        assert_eq!(percent(0.4567), "45.7%");
        assert_eq!(query(&[("q".into(), "电池 a&b".into())]), "q=%E7%94%B5%E6%B1%A0+a%26b");
    }
}
