//! The standards catalogue's rules (SPEC §3.6), without the database: what a catalogue row holds,
//! how statuses and dates are read from the exports operators load, which fields a new row changes,
//! when dates move a status, and what notice a declaration gets when a standard it executes or
//! cites is abolished or replaced.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::coded::coded;
use super::standard_number::{StandardNumber, StandardType};

coded! {
    /// A catalogue row's status.
    pub enum CatalogStatus {
        Current = "current" => "现行",
        Upcoming = "upcoming" => "即将实施",
        Abolished = "abolished" => "废止",
        /// The source states no status (rows of the shipped sample only).
        Unknown = "unknown" => "状态未知",
    }
}

impl CatalogStatus {
    /// Reads a status as the national platform's exports write it (现行, 即将实施, 废止) or as our
    /// own names. `None`: not a status.
    pub fn from_export(s: &str) -> Option<Self> {
        match s.trim() {
            "现行" | "现行有效" | "current" => Some(Self::Current),
            "即将实施" | "upcoming" => Some(Self::Upcoming),
            "废止" | "作废" | "已废止" | "被代替" | "abolished" => Some(Self::Abolished),
            _ => None,
        }
    }
}

/// `mandatory`, `recommended` or `guidance`, from the number's prefix (`GB`, `GB/T`, `QC/T`,
/// `DB50/T`, `GB/Z`).
pub fn nature_of(n: &StandardNumber) -> &'static str {
    if n.prefix.ends_with("/T") {
        "recommended"
    } else if n.prefix.ends_with("/Z") {
        "guidance"
    } else {
        "mandatory"
    }
}

/// Whether a number belongs in the catalogue (national, industry, local).
pub fn is_catalogue_number(n: &StandardNumber) -> bool {
    matches!(
        n.kind,
        StandardType::NationalMandatory
            | StandardType::NationalRecommended
            | StandardType::NationalGuidance
            | StandardType::Industry
            | StandardType::Local
    )
}

/// Letters and digits only, upper case: the loose form the catalogue search matches on
/// (`gb17761` meets `GB 17761-2018`). Mirrors the `number_compact` column.
pub fn compact(s: &str) -> String {
    super::standard_number::normalize(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// A catalogue row as loaded (normalized numbers, parsed dates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub number: String,
    pub prefix: String,
    pub standard_type: String,
    pub nature: String,
    pub title: String,
    pub title_en: Option<String>,
    pub status: CatalogStatus,
    pub publish_date: Option<NaiveDate>,
    pub implement_date: Option<NaiveDate>,
    pub abolish_date: Option<NaiveDate>,
    pub replaces: Vec<String>,
    pub replaced_by: Vec<String>,
    pub ics: Option<String>,
    pub ccs: Option<String>,
    pub adopted: Option<String>,
    pub department: Option<String>,
    pub committee: Option<String>,
    pub source: String,
}

/// The fields a load compares, in report order (`source` and the load time are not content).
pub const COMPARED_FIELDS: &[&str] = &[
    "title",
    "title_en",
    "status",
    "publish_date",
    "implement_date",
    "abolish_date",
    "replaces",
    "replaced_by",
    "ics",
    "ccs",
    "adopted",
    "department",
    "committee",
];

impl Entry {
    /// The fields whose value differs from `old`, in [`COMPARED_FIELDS`] order.
    pub fn changed_fields(&self, old: &Entry) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut cmp = |name: &'static str, same: bool| {
            if !same {
                out.push(name);
            }
        };
        cmp("title", self.title == old.title);
        cmp("title_en", self.title_en == old.title_en);
        cmp("status", self.status == old.status);
        cmp("publish_date", self.publish_date == old.publish_date);
        cmp("implement_date", self.implement_date == old.implement_date);
        cmp("abolish_date", self.abolish_date == old.abolish_date);
        cmp("replaces", self.replaces == old.replaces);
        cmp("replaced_by", self.replaced_by == old.replaced_by);
        cmp("ics", self.ics == old.ics);
        cmp("ccs", self.ccs == old.ccs);
        cmp("adopted", self.adopted == old.adopted);
        cmp("department", self.department == old.department);
        cmp("committee", self.committee == old.committee);
        out
    }

    /// Whether declarations executing or citing this standard get a notice.
    pub fn outdated(&self) -> bool {
        self.status == CatalogStatus::Abolished || !self.replaced_by.is_empty()
    }
}

/// What the dates say the status should be on `today`: an upcoming standard becomes current on its
/// implementation date, a current (or upcoming) one abolished on its abolition date. `None`: no move.
pub fn status_due(
    status: CatalogStatus,
    implement: Option<NaiveDate>,
    abolish: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<CatalogStatus> {
    match status {
        CatalogStatus::Current | CatalogStatus::Upcoming if abolish.is_some_and(|d| d <= today) => {
            Some(CatalogStatus::Abolished)
        }
        CatalogStatus::Upcoming if implement.is_some_and(|d| d <= today) => Some(CatalogStatus::Current),
        _ => None,
    }
}

/// Reads a date as exports write it: `2018-05-14`, `2018/5/14`, `2018.5.14`, `2018年5月14日`,
/// `20180514`, or a spreadsheet's date-time (`2018-05-14 00:00:00`). Empty: `Ok(None)`. A date that
/// does not exist (`2023-02-30`) or a year outside 1949-2100 is an error with the text.
pub fn parse_date(s: &str) -> Result<Option<NaiveDate>, String> {
    let t = s.trim();
    if t.is_empty() || t == "-" || t == "—" {
        return Ok(None);
    }
    let bad = || format!("“{t}”不是有效日期（应为 YYYY-MM-DD）");
    let head = t.split([' ', 'T']).next().unwrap_or(t);
    let parts: Vec<&str> = if head.len() == 8 && head.bytes().all(|b| b.is_ascii_digit()) {
        vec![&head[..4], &head[4..6], &head[6..]]
    } else {
        head.trim_end_matches('日').split(['-', '/', '.', '年', '月']).collect()
    };
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let (y, m, d) = (parts[0].parse::<i32>(), parts[1].parse::<u32>(), parts[2].parse::<u32>());
    let (Ok(y), Ok(m), Ok(d)) = (y, m, d) else { return Err(bad()) };
    if parts[0].len() != 4 {
        return Err(bad());
    }
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)?;
    if !(1949..=2100).contains(&date.year()) {
        return Err(bad());
    }
    Ok(Some(date))
}

/// Splits a list of standard numbers as exports write it (`;`, `；`, `,`, `，`, `、`, new lines).
pub fn split_numbers(s: &str) -> Vec<&str> {
    s.split([';', '；', ',', '，', '、', '\n', '\r', '|']).map(str::trim).filter(|p| !p.is_empty()).collect()
}

coded! {
    /// Which of a declaration's standards a notice is about.
    pub enum Role {
        /// The standard the declaration executes.
        Declared = "declared" => "执行标准",
        /// A mandatory standard that applies to its products.
        ApplicableMandatory = "applicable_mandatory" => "适用的强制性国家标准",
        /// A normative reference (规范性引用文件).
        Cited = "cited" => "规范性引用文件",
    }
}

coded! {
    /// The kind of a declaration's notice.
    pub enum NoticeKind {
        StandardAbolished = "standard_abolished" => "已废止",
        StandardReplaced = "standard_replaced" => "已被代替",
    }
}

/// What the catalogue says about one standard, for notices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub status: CatalogStatus,
    pub abolish_date: Option<NaiveDate>,
    pub replaced_by: Vec<String>,
    /// The earliest implementation (else publication) date among the replacements the catalogue
    /// knows.
    pub replacement_from: Option<NaiveDate>,
}

/// The notice a declaration gets for a standard in this standing, with the date it runs from:
/// abolished — the abolition date, else the date its replacement took effect, else `today`;
/// replaced — the date the replacement takes effect (may lie ahead), else `today`.
pub fn notice_for(s: &Standing, today: NaiveDate) -> Option<(NoticeKind, NaiveDate)> {
    match s.status {
        CatalogStatus::Abolished => {
            Some((NoticeKind::StandardAbolished, s.abolish_date.or(s.replacement_from).unwrap_or(today)))
        }
        _ if !s.replaced_by.is_empty() => Some((NoticeKind::StandardReplaced, s.replacement_from.unwrap_or(today))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn statuses_read_as_exports_write_them() {
        assert_eq!(CatalogStatus::from_export("现行"), Some(CatalogStatus::Current));
        assert_eq!(CatalogStatus::from_export(" 即将实施 "), Some(CatalogStatus::Upcoming));
        assert_eq!(CatalogStatus::from_export("废止"), Some(CatalogStatus::Abolished));
        assert_eq!(CatalogStatus::from_export("abolished"), Some(CatalogStatus::Abolished));
        assert_eq!(CatalogStatus::from_export("有效"), None);
        assert_eq!(CatalogStatus::from_export(""), None);
    }

    #[test]
    fn dates_in_the_forms_exports_use() {
        for s in ["2018-05-14", "2018/5/14", "2018.05.14", "2018年5月14日", "20180514", "2018-05-14 00:00:00"] {
            assert_eq!(parse_date(s), Ok(Some(d("2018-05-14"))), "{s}");
        }
        assert_eq!(parse_date(""), Ok(None));
        for s in ["2023-02-30", "2018-13-01", "18-05-14", "2018-05", "明年", "1800-01-01", "2018-05-14x"] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }

    #[test]
    fn dates_move_statuses() {
        let today = d("2025-09-01");
        assert_eq!(
            status_due(CatalogStatus::Upcoming, Some(today), None, today),
            Some(CatalogStatus::Current),
            "on the implementation date"
        );
        assert_eq!(status_due(CatalogStatus::Upcoming, Some(d("2025-09-02")), None, today), None);
        assert_eq!(status_due(CatalogStatus::Current, None, Some(today), today), Some(CatalogStatus::Abolished));
        assert_eq!(status_due(CatalogStatus::Current, Some(d("2020-01-01")), None, today), None);
        assert_eq!(status_due(CatalogStatus::Abolished, None, Some(today), today), None);
        assert_eq!(status_due(CatalogStatus::Unknown, Some(today), None, today), None);
    }

    #[test]
    fn notices_name_the_date_they_run_from() {
        let today = d("2026-12-01");
        let replaced = Standing {
            status: CatalogStatus::Abolished,
            abolish_date: None,
            replaced_by: vec!["GB 17761-2024".into()],
            replacement_from: Some(d("2025-09-01")),
        };
        assert_eq!(notice_for(&replaced, today), Some((NoticeKind::StandardAbolished, d("2025-09-01"))));
        let with_date = Standing { abolish_date: Some(d("2025-10-01")), ..replaced.clone() };
        assert_eq!(notice_for(&with_date, today), Some((NoticeKind::StandardAbolished, d("2025-10-01"))));
        let still_current = Standing { status: CatalogStatus::Current, ..replaced.clone() };
        assert_eq!(notice_for(&still_current, today), Some((NoticeKind::StandardReplaced, d("2025-09-01"))));
        let fine = Standing { replaced_by: Vec::new(), ..still_current };
        assert_eq!(notice_for(&fine, today), None);
    }

    #[test]
    fn loose_numbers_compact_alike() {
        assert_eq!(compact("gb17761"), "GB17761");
        assert_eq!(compact("GB 17761—2018"), "GB177612018");
        assert_eq!(compact("ｇｂ／ｔ２２２３９"), "GBT22239");
        assert_eq!(split_numbers("GB 1-2000；GB/T 2-2001、 GB 3-2002"), vec!["GB 1-2000", "GB/T 2-2001", "GB 3-2002"]);
    }
}
