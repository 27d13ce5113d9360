//! Reading the tables operators load (the standards catalogue, canonical indicators, requirement
//! tables): CSV in UTF-8 (with or without BOM), UTF-16 with BOM or GB18030 (detected: BOM, else valid
//! UTF-8, else GB18030), comma- or tab-separated, or a spreadsheet (XLSX, XLS, ODS) read with
//! calamine; the header found among the first rows by its names in any order; and the report every
//! load gives (added, changed, removed, unchanged, refused with file and line), applied whole or
//! not at all by the caller.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// A row that cannot be loaded, with its place and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Refused {
    pub file: String,
    /// Line of a CSV file or row of a sheet (1 = the first); 0 for the whole file.
    pub line: usize,
    /// The row's key: a standard number (catalogue), an indicator code, or standard + code + class
    /// (requirements).
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
    /// Which layout the header shows (`national_platform` or `shared_data` for the catalogue,
    /// `indicators`, `requirements`).
    pub layout: String,
    pub rows: usize,
}

/// A row whose content changes, with the fields that change.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ChangedRow {
    /// The row's key (see [`Refused::number`]).
    pub number: String,
    pub fields: Vec<&'static str>,
}

/// What a load did, or would do (`--dry-run`, or refused): the part every table's load shares.
#[derive(Serialize, Clone, Debug, Default, utoipa::ToSchema)]
pub struct TableReport {
    /// Whether the rows were written (false for a dry run and for a refused load).
    pub applied: bool,
    pub dry_run: bool,
    pub files: Vec<FileSummary>,
    /// Keys new to the table.
    pub added: Vec<String>,
    pub changed: Vec<ChangedRow>,
    /// Keys the load removes (a requirement table replaces a standard's rows whole).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    pub unchanged: usize,
    /// Rows that cannot be loaded; any refusal means nothing is applied.
    pub refused: Vec<Refused>,
}

impl TableReport {
    /// The counts, for audit events and one-line summaries.
    pub fn counts(&self) -> serde_json::Value {
        serde_json::json!({
            "files": self.files.iter().map(|f| f.file.clone()).collect::<Vec<_>>(),
            "rows": self.files.iter().map(|f| f.rows).sum::<usize>(),
            "added": self.added.len(),
            "changed": self.changed.len(),
            "removed": self.removed.len(),
            "unchanged": self.unchanged,
            "refused": self.refused.len(),
        })
    }

    /// The files, rows added, changed, removed and refused as text (long lists cut after 20 lines).
    pub fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        for f in &self.files {
            let _ = writeln!(out, "file {}: {} {} ({}), {} rows", f.file, f.format, f.encoding, f.layout, f.rows);
        }
        let _ = writeln!(out, "added: {}", self.added.len());
        for n in self.added.iter().take(20) {
            let _ = writeln!(out, "  + {n}");
        }
        cut(out, self.added.len());
        let _ = writeln!(out, "changed: {}", self.changed.len());
        for c in self.changed.iter().take(20) {
            let _ = writeln!(out, "  ~ {} ({})", c.number, c.fields.join(", "));
        }
        cut(out, self.changed.len());
        if !self.removed.is_empty() {
            let _ = writeln!(out, "removed: {}", self.removed.len());
            for n in self.removed.iter().take(20) {
                let _ = writeln!(out, "  - {n}");
            }
            cut(out, self.removed.len());
        }
        let _ = writeln!(out, "unchanged: {}", self.unchanged);
        let _ = writeln!(out, "refused: {}", self.refused.len());
        for x in &self.refused {
            let place = if x.line == 0 { x.file.clone() } else { format!("{} line {}", x.file, x.line) };
            let key = x.number.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
            let _ = writeln!(out, "  ! {place}{key}: {}", x.reason);
        }
    }

    /// The last line of the text: applied, refused or a dry run.
    pub fn outcome(&self) -> &'static str {
        if self.applied {
            "applied"
        } else if !self.refused.is_empty() {
            "refused: nothing applied"
        } else {
            "dry run: nothing applied"
        }
    }
}

/// Notes how many lines a list cut at 20 left out.
pub fn cut(out: &mut String, total: usize) {
    use std::fmt::Write;
    if total > 20 {
        let _ = writeln!(out, "  ... and {} more", total - 20);
    }
}

/// A refusal of the whole file (line 0).
pub fn whole(file: &str, reason: impl Into<String>) -> Refused {
    Refused { file: file.to_string(), line: 0, number: None, reason: reason.into() }
}

/// A header cell in the form names are compared in: NFKC, no spaces, lower case, no BOM.
pub fn header_key(h: &str) -> String {
    h.trim_start_matches('\u{feff}').nfkc().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

/// Column positions from a header row: for each column, the first of its names (best first) that
/// the header holds.
pub fn columns<C: Copy + Eq + Hash>(header: &[String], table: &[(C, &[&str])]) -> HashMap<C, usize> {
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let mut out = HashMap::new();
    for (col, names) in table {
        if let Some(i) = names.iter().find_map(|n| keys.iter().position(|k| k == n)) {
            out.insert(*col, i);
        }
    }
    out
}

/// The header: the first of the first ten rows that names the `required` column (files may put a
/// title line above it), as (its index in `rows`, the column positions).
pub fn find_header<C: Copy + Eq + Hash>(
    rows: &Cells,
    table: &[(C, &[&str])],
    required: C,
) -> Option<(usize, HashMap<C, usize>)> {
    rows.iter().take(10).enumerate().find_map(|(i, (_, r))| {
        let cols = columns(r, table);
        cols.contains_key(&required).then_some((i, cols))
    })
}

/// The file's base name (the default `source` of its rows).
pub fn base_name(file: &str) -> String {
    std::path::Path::new(file).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file.to_string())
}

/// Rows of cells with their 1-based line (or sheet row) numbers.
pub type Cells = Vec<(usize, Vec<String>)>;

/// Reads a file's cells: the summary (format and encoding set; layout and rows left to the caller)
/// and the rows, or why the whole file cannot be read.
pub fn read(file: &str, bytes: &[u8]) -> (FileSummary, Result<Cells, String>) {
    let mut summary = FileSummary {
        file: file.to_string(),
        format: "csv".into(),
        encoding: String::new(),
        layout: String::new(),
        rows: 0,
    };
    if bytes.is_empty() {
        return (summary, Err("文件为空".into()));
    }
    let rows = if is_spreadsheet(file, bytes) {
        summary.format = "spreadsheet".into();
        sheet_rows(bytes).map(|(rows, sheet)| {
            summary.encoding = format!("sheet {sheet}");
            rows
        })
    } else {
        decode(bytes).and_then(|(text, label)| {
            summary.encoding = label.into();
            csv_rows(&text)
        })
    };
    (summary, rows)
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
