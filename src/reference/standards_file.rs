//! Reading catalogue files: the national standards platform's exports (Chinese headers such as
//! 标准号, 中文标准名称, 标准状态 ...) and the layout of the shared data (`standard_no`, `title_zh`,
//! `status` ...), recognized by their headers in any order. CSV in UTF-8 (with or without BOM),
//! UTF-16 with BOM or GB18030 (detected: BOM, else valid UTF-8, else GB18030), comma- or
//! tab-separated; or a spreadsheet (XLSX, XLS, ODS) read with calamine. Every row is checked; the
//! caller applies nothing when any row or the file is refused.

use std::collections::HashMap;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::domain::catalog::{self, CatalogStatus, Entry};
use crate::domain::standard_number::StandardNumber;

/// A row that cannot be loaded, with its place and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Refused {
    pub file: String,
    /// Line of a CSV file or row of a sheet (1 = the first); 0 for the whole file.
    pub line: usize,
    pub number: Option<String>,
    pub reason: String,
}

/// A file read and checked.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FileSummary {
    pub file: String,
    /// `csv` or `spreadsheet`
    pub format: String,
    /// `UTF-8`, `UTF-8 (BOM)`, `UTF-16LE`, `UTF-16BE`, `GB18030`; for spreadsheets the sheet name.
    pub encoding: String,
    /// `national_platform` or `shared_data`
    pub layout: String,
    pub rows: usize,
}

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

fn header_key(h: &str) -> String {
    h.trim_start_matches('\u{feff}').nfkc().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

/// Column positions from a header row; `None` when it lacks the number column.
fn columns(header: &[String]) -> Option<HashMap<Col, usize>> {
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let mut out = HashMap::new();
    for (col, names) in HEADERS {
        if let Some(i) = names.iter().find_map(|n| keys.iter().position(|k| k == n)) {
            out.insert(*col, i);
        }
    }
    out.contains_key(&Col::Number).then_some(out)
}

/// Decodes a text file: BOM first, then UTF-8 if valid, else GB18030.
fn decode(bytes: &[u8]) -> Result<(String, &'static str), String> {
    let (text, label) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (
            std::str::from_utf8(rest)
                .map_err(|_| "文件以 UTF-8 BOM 开头，但内容不是有效的 UTF-8".to_string())?
                .to_string(),
            "UTF-8 (BOM)",
        )
    } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let enc = if bytes[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
        let (text, had_errors) = enc.decode_with_bom_removal(&bytes[2..]);
        if had_errors {
            return Err("文件以 UTF-16 BOM 开头，但内容不是有效的 UTF-16".into());
        }
        (text.into_owned(), if bytes[0] == 0xFF { "UTF-16LE" } else { "UTF-16BE" })
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_string(), "UTF-8")
    } else {
        let text = encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(|| "无法识别文件编码：既不是 UTF-8，也不是 GB18030（GBK）".to_string())?;
        (text.into_owned(), "GB18030")
    };
    if text.contains('\0') {
        return Err(format!("文件内容不是文本（按 {label} 读出了空字符），请上传 CSV 或 XLSX 文件"));
    }
    Ok((text, label))
}

/// Rows of cells with their 1-based line (or sheet row) numbers.
type Cells = Vec<(usize, Vec<String>)>;

/// The cells of a CSV text with 1-based line numbers.
fn csv_rows(text: &str) -> Result<Cells, String> {
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches('\t').count() > first.matches(',').count() { b'\t' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| format!("CSV 格式错误：{e}"))?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(out.len() + 1);
        out.push((line, rec.iter().map(|s| s.trim().to_string()).collect()));
    }
    Ok(out)
}

fn cell_text(c: &calamine::Data) -> String {
    use calamine::{Data, DataType};
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(_) => c.as_date().map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The cells of the first non-empty sheet, with 1-based row numbers as the spreadsheet shows them.
fn sheet_rows(bytes: &[u8]) -> Result<(Cells, String), String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("无法读取电子表格：{e}"))?;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|e| format!("无法读取工作表“{name}”：{e}"))?;
        if range.is_empty() {
            continue;
        }
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let rows =
            range.rows().enumerate().map(|(i, r)| (first_row + i + 1, r.iter().map(cell_text).collect())).collect();
        return Ok((rows, name));
    }
    Err("电子表格中没有数据".into())
}

fn is_spreadsheet(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_lowercase();
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"\xD0\xCF\x11\xE0")
        || [".xlsx", ".xls", ".xlsm", ".ods"].iter().any(|e| lower.ends_with(e))
}

fn whole(file: &str, reason: impl Into<String>) -> Refused {
    Refused { file: file.to_string(), line: 0, number: None, reason: reason.into() }
}

/// Reads and checks one file. A file that cannot be read at all, or lacks a required column, comes
/// back with one refusal for the whole file (line 0) and no entries.
pub fn parse(file: &str, bytes: &[u8]) -> ParsedFile {
    let mut summary = FileSummary {
        file: file.to_string(),
        format: "csv".into(),
        encoding: String::new(),
        layout: String::new(),
        rows: 0,
    };
    let failed = |summary: FileSummary, reason: String| ParsedFile {
        summary,
        entries: Vec::new(),
        refused: vec![whole(file, reason)],
    };
    if bytes.is_empty() {
        return failed(summary, "文件为空".into());
    }
    let rows = if is_spreadsheet(file, bytes) {
        summary.format = "spreadsheet".into();
        match sheet_rows(bytes) {
            Ok((rows, sheet)) => {
                summary.encoding = format!("sheet {sheet}");
                rows
            }
            Err(e) => return failed(summary, e),
        }
    } else {
        match decode(bytes).and_then(|(text, label)| {
            summary.encoding = label.into();
            csv_rows(&text)
        }) {
            Ok(rows) => rows,
            Err(e) => return failed(summary, e),
        }
    };
    // The header is the first of the first ten rows that names the number column (exports may put
    // a title line above it).
    let Some((header_at, cols)) = rows.iter().take(10).enumerate().find_map(|(i, (_, r))| columns(r).map(|c| (i, c)))
    else {
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
    let default_source = std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
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
