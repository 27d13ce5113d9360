//! Reading catalogue files: the national standards platform's exports (Chinese headers such as
//! 标准号, 中文标准名称, 标准状态 ...) and the layout of the shared data (`standard_no`, `title_zh`,
//! `status` ...), recognized by their headers in any order, in any encoding and format
//! [`table_file`](super::table_file) reads. Every row is checked; the caller applies nothing when
//! any row or the file is refused.

use std::collections::HashMap;

use super::table_file::{self, header_key, whole};
pub use super::table_file::{FileSummary, Refused};
use crate::domain::catalog::{self, CatalogStatus, Entry};
use crate::domain::standard_number::StandardNumber;

/// The rows of one file (line, entry) and the refused ones.
pub struct ParsedFile {
    pub summary: FileSummary,
    pub entries: Vec<(usize, Entry)>,
    pub refused: Vec<Refused>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Col {
    Number,
    Title,
    TitleEn,
    Status,
    Publish,
    Implement,
    Abolish,
    Replaces,
    ReplacedBy,
    Ccs,
    Ics,
    Adopted,
    Department,
    Committee,
    Source,
}

/// Header names per column, best first (compared after NFKC, without spaces, lower case).
const HEADERS: &[(Col, &[&str])] = &[
    (Col::Number, &["标准号", "标准编号", "standard_no", "standard_number"]),
    (Col::Title, &["中文标准名称", "标准名称", "中文名称", "标准中文名称", "title_zh", "title"]),
    (Col::TitleEn, &["英文标准名称", "英文名称", "标准英文名称", "title_en"]),
    (Col::Status, &["标准状态", "状态", "status"]),
    (Col::Publish, &["发布日期", "publish_date"]),
    (Col::Implement, &["实施日期", "implement_date"]),
    (Col::Abolish, &["废止日期", "abolish_date"]),
    (Col::Replaces, &["代替标准", "代替标准号", "替代标准", "替代标准号", "replaces"]),
    (Col::ReplacedBy, &["被代替标准", "被代替标准号", "被替代标准", "被替代标准号", "replaced_by"]),
    (Col::Ccs, &["中国标准分类号", "ccs", "ccs_code"]),
    (Col::Ics, &["国际标准分类号", "ics", "ics_code"]),
    (Col::Adopted, &["采标情况", "adopted"]),
    (Col::Department, &["主管部门", "department"]),
    (Col::Committee, &["归口单位", "归口部门", "技术归口", "committee"]),
    (Col::Source, &["source", "来源"]),
];

/// Reads and checks one file. A file that cannot be read at all, or lacks a required column, comes
/// back with one refusal for the whole file (line 0) and no entries.
pub fn parse(file: &str, bytes: &[u8]) -> ParsedFile {
    let failed = |summary: FileSummary, reason: String| ParsedFile {
        summary,
        entries: Vec::new(),
        refused: vec![whole(file, reason)],
    };
    let (mut summary, rows) = table_file::read(file, bytes);
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return failed(summary, e),
    };
    let Some((header_at, cols)) = table_file::find_header(&rows, HEADERS, Col::Number) else {
        return failed(summary, "找不到表头：缺少“标准号”列（或 standard_no）".into());
    };
    let shared = rows[header_at].1.iter().any(|h| header_key(h) == "standard_no");
    summary.layout = if shared { "shared_data" } else { "national_platform" }.into();
    let mut missing = Vec::new();
    if !cols.contains_key(&Col::Title) {
        missing.push("中文标准名称（或 title_zh）");
    }
    if !cols.contains_key(&Col::Status) {
        missing.push("标准状态（或 status）");
    }
    if !missing.is_empty() {
        return failed(summary, format!("缺少必需的列：{}", missing.join("、")));
    }
    let default_source = table_file::base_name(file);
    let mut out = ParsedFile { summary, entries: Vec::new(), refused: Vec::new() };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, cells) in rows.into_iter().skip(header_at + 1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.summary.rows += 1;
        let get = |c: Col| cols.get(&c).and_then(|i| cells.get(*i)).map(|s| s.trim()).unwrap_or("");
        match entry(get, shared, &default_source) {
            Ok(e) => {
                if let Some(first) = seen.insert(e.number.clone(), line) {
                    out.refused.push(Refused {
                        file: file.to_string(),
                        line,
                        number: Some(e.number.clone()),
                        reason: format!("标准号 {} 在本文件第 {first} 行已出现", e.number),
                    });
                } else {
                    out.entries.push((line, e));
                }
            }
            Err((number, reason)) => {
                if let Some(n) = &number {
                    seen.entry(n.clone()).or_insert(line);
                }
                out.refused.push(Refused { file: file.to_string(), line, number, reason })
            }
        }
    }
    if out.summary.rows == 0 {
        out.refused.push(whole(file, "文件只有表头，没有数据行"));
    }
    out
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t != "-" && t != "—").then(|| t.to_string())
}

/// One row into a catalogue entry, or (number, reason) when it cannot be loaded.
fn entry<'a>(
    get: impl Fn(Col) -> &'a str,
    shared: bool,
    default_source: &str,
) -> Result<Entry, (Option<String>, String)> {
    let raw = get(Col::Number);
    let n = StandardNumber::parse(raw).map_err(|e| (opt(raw), format!("标准号无效：{e}")))?;
    let number = Some(n.normalized.clone());
    let fail = |reason: String| (number.clone(), reason);
    if !catalog::is_catalogue_number(&n) {
        return Err(fail(format!("{} 不是国家标准、行业标准或地方标准，标准目录不收录", n.normalized)));
    }
    let title = get(Col::Title).to_string();
    if title.is_empty() {
        return Err(fail("缺少中文标准名称".into()));
    }
    if title.chars().count() > 500 {
        return Err(fail("中文标准名称超过 500 个字符".into()));
    }
    let status_text = get(Col::Status);
    let status = match CatalogStatus::from_export(status_text) {
        Some(s) => s,
        None if status_text.is_empty() && shared => CatalogStatus::Unknown,
        None if status_text.is_empty() => return Err(fail("缺少标准状态（应为 现行、即将实施 或 废止）".into())),
        None => return Err(fail(format!("未知的标准状态“{status_text}”（应为 现行、即将实施 或 废止）"))),
    };
    let date = |c: Col, label: &str| catalog::parse_date(get(c)).map_err(|e| fail(format!("{label}{e}")));
    let publish_date = date(Col::Publish, "发布日期")?;
    let implement_date = date(Col::Implement, "实施日期")?;
    let abolish_date = date(Col::Abolish, "废止日期")?;
    if let (Some(p), Some(i)) = (publish_date, implement_date)
        && i < p
    {
        return Err(fail(format!("实施日期 {i} 早于发布日期 {p}")));
    }
    if let (Some(i), Some(a)) = (implement_date, abolish_date)
        && a < i
    {
        return Err(fail(format!("废止日期 {a} 早于实施日期 {i}")));
    }
    let list = |c: Col, label: &str| -> Result<Vec<String>, (Option<String>, String)> {
        let mut out: Vec<String> = Vec::new();
        for part in catalog::split_numbers(get(c)) {
            let r = StandardNumber::parse(part).map_err(|_| fail(format!("{label}中的“{part}”不是有效的标准号")))?;
            if r.normalized == n.normalized {
                return Err(fail(format!("{label}不能是本标准自己")));
            }
            if !out.contains(&r.normalized) {
                out.push(r.normalized);
            }
        }
        Ok(out)
    };
    let replaces = list(Col::Replaces, "代替标准")?;
    let replaced_by = list(Col::ReplacedBy, "被代替标准")?;
    Ok(Entry {
        prefix: n.prefix.clone(),
        standard_type: n.kind.as_str().to_string(),
        nature: catalog::nature_of(&n).to_string(),
        number: n.normalized,
        title,
        title_en: opt(get(Col::TitleEn)),
        status,
        publish_date,
        implement_date,
        abolish_date,
        replaces,
        replaced_by,
        ics: opt(get(Col::Ics)),
        ccs: opt(get(Col::Ccs)),
        adopted: opt(get(Col::Adopted)),
        department: opt(get(Col::Department)),
        committee: opt(get(Col::Committee)),
        source: opt(get(Col::Source)).unwrap_or_else(|| default_source.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NATIONAL: &str = "标准号,中文标准名称,英文标准名称,标准状态,发布日期,实施日期,废止日期,代替标准,被代替标准,中国标准分类号,国际标准分类号,采标情况,主管部门,归口单位\n\
        GB 17761-2018,电动自行车安全技术规范,Safety technical specification for electric bicycle,废止,2018-05-15,2019-04-15,,GB 17761-1999,GB 17761-2024,T82,43.150,,工业和信息化部,全国自行车标准化技术委员会\n\
        GB 17761-2024,电动自行车安全技术规范,,现行,2024-12-31,2025-09-01,,GB 17761-2018,,T82,43.150,,工业和信息化部,全国自行车标准化技术委员会\n";

    #[test]
    fn the_national_layout_in_utf8_and_gb18030() {
        let p = parse("export.csv", NATIONAL.as_bytes());
        assert!(p.refused.is_empty(), "{:?}", p.refused);
        assert_eq!(p.summary.encoding, "UTF-8");
        assert_eq!(p.summary.layout, "national_platform");
        assert_eq!(p.entries.len(), 2);
        let (line, e) = &p.entries[0];
        assert_eq!(*line, 2);
        assert_eq!(e.number, "GB 17761-2018");
        assert_eq!(e.status, CatalogStatus::Abolished);
        assert_eq!(e.replaced_by, vec!["GB 17761-2024".to_string()]);
        assert_eq!(e.committee.as_deref(), Some("全国自行车标准化技术委员会"));
        assert_eq!(e.source, "export.csv");
        let (gb, _, _) = encoding_rs::GB18030.encode(NATIONAL);
        assert!(std::str::from_utf8(&gb).is_err(), "really not UTF-8");
        let p = parse("export-gbk.csv", &gb);
        assert_eq!(p.summary.encoding, "GB18030");
        assert!(p.refused.is_empty(), "{:?}", p.refused);
        assert_eq!(p.entries[1].1.title, "电动自行车安全技术规范");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(NATIONAL.as_bytes());
        assert_eq!(parse("bom.csv", &bom).summary.encoding, "UTF-8 (BOM)");
        let tabs = NATIONAL.replace(',', "\t");
        assert_eq!(parse("tabs.txt", tabs.as_bytes()).entries.len(), 2);
    }

    #[test]
    fn headers_in_any_order_with_a_title_line_above() {
        let text = "国家标准目录导出\n实施日期,标准状态,中文标准名称,标准号\n2025-09-01,即将实施,电动自行车安全技术规范,gb 17761—2024\n";
        let p = parse("x.csv", text.as_bytes());
        assert!(p.refused.is_empty(), "{:?}", p.refused);
        assert_eq!(p.entries[0].0, 3);
        assert_eq!(p.entries[0].1.number, "GB 17761-2024");
        assert_eq!(p.entries[0].1.status, CatalogStatus::Upcoming);
    }

    #[test]
    fn the_shared_layout_reads_with_empty_statuses() {
        let text = include_str!("data/national_standards_sample.csv");
        let p = parse("national_standards_sample.csv", text.as_bytes());
        assert!(p.refused.is_empty(), "{:?}", p.refused);
        assert_eq!(p.summary.layout, "shared_data");
        assert_eq!(p.entries.len(), 184);
        assert_eq!(p.entries.iter().filter(|(_, e)| e.status == CatalogStatus::Unknown).count(), 178);
    }

    #[test]
    fn bad_rows_are_refused_with_their_line() {
        let head = "标准号,中文标准名称,标准状态,实施日期\n";
        let p = parse(
            "bad.csv",
            format!(
                "{head}GB 1-2000,甲,现行,2000-02-30\nGB 2-2000,乙,有效,\nGB 1-2000,甲,现行,\nQ/ABC 1-2020,企标,现行,\nXX,丙,现行,\nGB 3-2000,,现行,\n"
            )
            .as_bytes(),
        );
        let lines: Vec<(usize, &str)> = p.refused.iter().map(|r| (r.line, r.reason.as_str())).collect();
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert!(lines[0].0 == 2 && lines[0].1.contains("2000-02-30"), "{lines:?}");
        assert!(lines[1].0 == 3 && lines[1].1.contains("有效"), "{lines:?}");
        assert!(lines[2].0 == 4 && lines[2].1.contains("第 2 行"), "{lines:?}");
        assert!(lines[3].0 == 5 && lines[3].1.contains("标准目录不收录"), "{lines:?}");
        assert!(lines[4].0 == 6 && lines[4].1.contains("标准号无效"), "{lines:?}");
        assert!(lines[5].0 == 7 && lines[5].1.contains("名称"), "{lines:?}");
        // the duplicate of line 2 on line 4 is refused too, though line 2 itself was bad
        let p = parse("dup.csv", format!("{head}GB 1-2000,甲,现行,\nGB 1—2000,甲,现行,\n").as_bytes());
        assert_eq!(p.refused.len(), 1);
        assert!(p.refused[0].reason.contains("第 2 行"), "{:?}", p.refused);
    }

    #[test]
    fn unreadable_files_are_refused_whole() {
        let missing = parse("m.csv", "标准号,中文标准名称\nGB 1-2000,甲\n".as_bytes());
        assert_eq!(missing.refused.len(), 1);
        assert_eq!(missing.refused[0].line, 0);
        assert!(missing.refused[0].reason.contains("标准状态"));
        assert!(parse("e.csv", b"").refused[0].reason.contains("为空"));
        assert!(parse("bin.csv", b"\x00\x01\x02\xff\xfe\x00").refused[0].line == 0);
        let bad_bom = parse("b.csv", b"\xEF\xBB\xBF\xff\xff");
        assert!(bad_bom.refused[0].reason.contains("UTF-8"), "{:?}", bad_bom.refused);
        assert!(parse("x.xlsx", b"PK\x03\x04 not a zip").refused[0].reason.contains("电子表格"));
        assert!(parse("h.csv", "name,title\n".as_bytes()).refused[0].reason.contains("表头"));
    }
}
