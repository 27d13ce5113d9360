//! Search requests: parameters validated into typed values, the query text prepared (standard
//! numbers typed loosely are normalized), and the Meilisearch filter built only from those typed
//! values, so no user text ever reaches a filter expression.

use chrono::NaiveDate;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::domain::codes;
use crate::domain::declaration::{Kind, Status};
use crate::domain::standard_number::{self, StandardNumber, StandardType};
use crate::domain::uscc::Uscc;
use crate::error::{ApiError, ApiResult};

/// `GET /search` parameters as received.
#[derive(Deserialize, Debug, Default, Clone, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words (Chinese or not), a standard number typed loosely (`17761`, `gb17761`, `GB 17761—2018`),
    /// a product or organization name.
    pub q: Option<String>,
    /// `product`, `service`, `group`; several separated by commas.
    pub kind: Option<String>,
    /// `national_mandatory`, `national_recommended`, `national_guidance`, `industry`, `local`, `group`,
    /// `enterprise`; several separated by commas.
    pub standard_type: Option<String>,
    /// A division prefix or code: `50` (Chongqing), `5001`, `500103` (渝中区).
    pub division: Option<String>,
    /// A GB/T 4754 prefix: `C`, `C38`, `C3841`.
    pub industry: Option<String>,
    /// `public` (default), `withdrawn`, `abolished`, or `all`; several separated by commas.
    pub status: Option<String>,
    /// `true`: only declarations with an active supervision flag; `false`: only without.
    pub flagged: Option<String>,
    /// `true`: only declarations with a notice (a standard they execute or cite was abolished or
    /// replaced); `false`: only without.
    pub outdated: Option<String>,
    /// `true`: only declarations whose compared indicators are all stricter than the national
    /// standards (指标严于国家标准); `false`: only the others.
    pub stricter_than_national: Option<String>,
    pub uscc: Option<String>,
    /// First publication day (China time), `YYYY-MM-DD`.
    pub published_from: Option<String>,
    /// Last publication day (China time), inclusive.
    pub published_to: Option<String>,
    /// `relevance` (default), `published_at:desc`, `published_at:asc`.
    pub sort: Option<String>,
    pub page: Option<String>,
    /// At most 100; default 20.
    pub per_page: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    NewestFirst,
    OldestFirst,
}

/// Which facet counts a search computes: the API's three, the search page's six, or none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FacetSet {
    #[default]
    Standard,
    Extended,
    None,
}

/// A validated search.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    /// Facet counts to compute (each costs time in Meilisearch).
    pub facets: FacetSet,
    /// The text sent to the engine (normalized when it looks like a standard number).
    pub q: Option<String>,
    pub number_like: bool,
    pub kinds: Vec<Kind>,
    pub types: Vec<StandardType>,
    pub division: Option<String>,
    pub industry: Option<String>,
    pub statuses: Vec<Status>,
    pub flagged: Option<bool>,
    pub outdated: Option<bool>,
    pub stricter_than_national: Option<bool>,
    pub uscc: Option<String>,
    /// Unix milliseconds, inclusive lower and exclusive upper bound.
    pub from_ts: Option<i64>,
    pub to_ts: Option<i64>,
    pub sort: Option<Sort>,
    pub page: usize,
    pub per_page: usize,
}

fn list<T>(name: &str, raw: Option<&str>, parse: impl Fn(&str) -> Option<T>, expected: &str) -> ApiResult<Vec<T>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    raw.split(',')
        .map(|v| {
            parse(v.trim()).ok_or_else(|| ApiError::bad_param(name, format!("“{}”无效，可选值：{expected}", v.trim())))
        })
        .collect()
}

fn china_midnight(d: NaiveDate) -> i64 {
    crate::clock::china_midnight(d).timestamp_millis()
}

fn date(name: &str, raw: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::bad_param(name, "日期格式应为 YYYY-MM-DD")),
    }
}

/// Whether the text looks like (part of) a standard number rather than words.
pub fn looks_like_number(q: &str) -> bool {
    let n: String = q.nfkc().collect();
    n.chars().any(|c| c.is_ascii_digit())
        && n.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '/' | '.' | '-' | '–' | '—' | '－' | '一' | '\u{3000}')
        })
}

/// Normalizes a number-like query and separates letters from digits (`GB17761` -> `GB 17761`).
pub fn prepare_number_query(q: &str) -> String {
    if let Ok(n) = StandardNumber::parse(q) {
        return n.normalized;
    }
    let n = standard_number::normalize(q);
    let mut out = String::with_capacity(n.len() + 4);
    let mut prev: Option<char> = None;
    for c in n.chars() {
        if let Some(p) = prev
            && ((p.is_ascii_alphabetic() && c.is_ascii_digit()) || (p.is_ascii_digit() && c.is_ascii_alphabetic()))
        {
            out.push(' ');
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

impl SearchRequest {
    pub fn parse(p: &SearchParams) -> ApiResult<Self> {
        let q = p.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if let Some(q) = &q
            && q.chars().count() > 200
        {
            return Err(ApiError::bad_param("q", "检索词最多 200 个字符"));
        }
        let number_like = q.as_deref().is_some_and(looks_like_number);
        let q = q.map(|q| if number_like { prepare_number_query(&q) } else { q });
        let kinds = list("kind", p.kind.as_deref(), Kind::parse, "product、service、group")?;
        let types = list(
            "standard_type",
            p.standard_type.as_deref(),
            StandardType::parse,
            "national_mandatory、national_recommended、national_guidance、industry、local、group、enterprise",
        )?;
        let division = match p.division.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(d) => Some(codes::parse_division_filter(d).ok_or_else(|| {
                ApiError::bad_param("division", "应为 2、4 或 6 位行政区划代码（如 50、5001、500103）")
            })?),
        };
        let industry =
            match p.industry.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(i) => Some(codes::parse_industry_code(i).ok_or_else(|| {
                    ApiError::bad_param("industry", "应为门类字母加 0、2、3 或 4 位数字，如 C 或 C3841")
                })?),
            };
        let statuses = match p.status.as_deref().map(str::trim) {
            None | Some("") => vec![Status::Public],
            Some("all") => Vec::new(),
            Some(s) => list(
                "status",
                Some(s),
                |v| Status::parse(v).filter(|s| *s != Status::Draft),
                "public、withdrawn、abolished、all",
            )?,
        };
        let flagged = match p.flagged.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(ApiError::bad_param("flagged", "应为 true 或 false")),
        };
        let outdated = match p.outdated.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(ApiError::bad_param("outdated", "应为 true 或 false")),
        };
        let stricter_than_national = match p.stricter_than_national.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(ApiError::bad_param("stricter_than_national", "应为 true 或 false")),
        };
        let uscc = match p.uscc.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(u) => Some(Uscc::parse(u).map_err(|e| ApiError::bad_param("uscc", e.to_string()))?.into_string()),
        };
        let from = date("published_from", p.published_from.as_deref())?;
        let to = date("published_to", p.published_to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(ApiError::bad_param("published_from", "起始日期晚于结束日期"));
        }
        let sort = match p.sort.as_deref().map(str::trim) {
            None | Some("") | Some("relevance") => None,
            Some("published_at:desc") => Some(Sort::NewestFirst),
            Some("published_at:asc") => Some(Sort::OldestFirst),
            Some(_) => {
                return Err(ApiError::bad_param("sort", "应为 relevance、published_at:desc 或 published_at:asc"));
            }
        };
        let page = match p.page.as_deref() {
            None => 1,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| ApiError::bad_param("page", "应为 1 到 10000 之间的整数"))?,
        };
        let per_page = match p.per_page.as_deref() {
            None => 20,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| ApiError::bad_param("per_page", "应为 1 到 100 之间的整数"))?,
        };
        Ok(Self {
            facets: FacetSet::Standard,
            q,
            number_like,
            kinds,
            types,
            division,
            industry,
            statuses,
            flagged,
            outdated,
            stricter_than_national,
            uscc,
            from_ts: from.map(china_midnight),
            to_ts: to.map(|t| china_midnight(t) + 86_400_000),
            sort,
            page,
            per_page,
        })
    }

    /// The Meilisearch filter, from validated values only (enums, digits, USCC characters).
    pub fn meili_filter(&self) -> Option<String> {
        fn quoted(v: &str) -> String {
            format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
        }
        fn any_of(field: &str, values: &[&str]) -> Option<String> {
            (!values.is_empty())
                .then(|| format!("{field} IN [{}]", values.iter().map(|v| quoted(v)).collect::<Vec<_>>().join(", ")))
        }
        let mut parts: Vec<String> = Vec::new();
        parts.extend(any_of("kind", &self.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()));
        parts.extend(any_of("standard_type", &self.types.iter().map(|t| t.as_str()).collect::<Vec<_>>()));
        parts.extend(any_of("status", &self.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
        if let Some(d) = &self.division {
            parts.push(format!("division_prefixes = {}", quoted(d)));
        }
        if let Some(i) = &self.industry {
            parts.push(format!("industry_prefixes = {}", quoted(i)));
        }
        if let Some(f) = self.flagged {
            parts.push(format!("flagged = {f}"));
        }
        if let Some(o) = self.outdated {
            parts.push(format!("outdated = {o}"));
        }
        if let Some(s) = self.stricter_than_national {
            parts.push(format!("stricter_than_national = {s}"));
        }
        if let Some(u) = &self.uscc {
            parts.push(format!("uscc = {}", quoted(u)));
        }
        if let Some(t) = self.from_ts {
            parts.push(format!("published_at >= {t}"));
        }
        if let Some(t) = self.to_ts {
            parts.push(format!("published_at < {t}"));
        }
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> ApiResult<SearchRequest> {
        let qs: String = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
        let p: SearchParams =
            serde_urlencoded::from_str(&qs).map_err(|e| ApiError::bad_param("query", e.to_string()))?;
        SearchRequest::parse(&p)
    }

    fn urlencode(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    #[test]
    fn numbers_typed_loosely_are_prepared() {
        assert_eq!(prepare_number_query("gb 17761—2018"), "GB 17761-2018");
        assert_eq!(prepare_number_query("GB17761"), "GB 17761");
        assert_eq!(prepare_number_query("17761"), "17761");
        assert_eq!(prepare_number_query("ｇｂ／ｔ２２２３９"), "GB/T 22239");
        assert!(looks_like_number("gb17761"));
        assert!(!looks_like_number("一次性口罩"));
        assert!(!looks_like_number("锂电池 48V"));
        let r = parse(&[("q", "一次性使用医用口罩")]).expect("ok");
        assert_eq!(r.q.as_deref(), Some("一次性使用医用口罩"));
    }

    #[test]
    fn filters_come_only_from_validated_values() {
        let r = parse(&[("kind", "product,service"), ("division", "500103"), ("industry", "c38"), ("flagged", "true")])
            .expect("ok");
        assert_eq!(
            r.meili_filter().as_deref(),
            Some(
                r#"kind IN ["product", "service"] AND status IN ["public"] AND division_prefixes = "500103" AND industry_prefixes = "C38" AND flagged = true"#
            )
        );
        let r = parse(&[("division", "500000")]).expect("ok");
        assert!(r.meili_filter().is_some_and(|f| f.contains(r#"division_prefixes = "50""#)));
        for (k, v) in [
            ("division", r#"50" OR status = "draft"#),
            ("division", "50 OR 1=1"),
            ("kind", r#"product"] OR kind IN ["x"#),
            ("status", "draft"),
            ("industry", "C38\" OR"),
            ("uscc", r#"91350200MA2YJ1XR9G" OR uscc != ""#),
            ("flagged", "yes"),
            ("outdated", "1"),
            ("stricter_than_national", "yes"),
            ("sort", "uscc:asc"),
            ("per_page", "1000"),
            ("published_from", "2024/01/01"),
        ] {
            let e = parse(&[(k, v)]).expect_err(v);
            assert_eq!(e.details[0].field, k, "{k}={v}");
        }
        assert!(parse(&[("unknown", "x")]).is_err());
        let r = parse(&[("status", "all")]).expect("ok");
        assert_eq!(r.meili_filter(), None);
    }

    #[test]
    fn dates_are_china_days() {
        let r = parse(&[("published_from", "2025-01-01"), ("published_to", "2025-01-01")]).expect("ok");
        assert_eq!(r.from_ts, Some(1_735_660_800_000));
        assert_eq!(r.to_ts, Some(1_735_660_800_000 + 86_400_000));
    }
}
