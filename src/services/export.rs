//! Open data: every published declaration (in force, withdrawn or abolished) at its current public
//! version, with its products, indicators and active flags, as NDJSON or CSV.
//!
//! Read in keyset pages of `(updated_at, id)` (index `declarations_updated_idx`), each page in its own
//! short query, and turned into a streaming body: memory holds one page, whatever the number of
//! declarations. Only public columns are selected — never an organization's contact phone or
//! address, a user, an e-mail, a draft, or complainant data.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use serde::Serialize;
use uuid::Uuid;

use crate::db::schema::{declaration_versions, declarations, flags, organizations};

/// Declarations per page.
pub const PAGE_SIZE: i64 = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

/// Where the previous page ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at: DateTime<Utc>,
    pub id: Uuid,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ExportOrganization {
    pub uscc: String,
    pub name: String,
    pub division_code: String,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ExportStandard {
    /// As declared.
    pub number: String,
    pub normalized: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ExportFlag {
    pub code: String,
    pub note: Option<String>,
    pub raised_at: DateTime<Utc>,
}

/// One line of the export (NDJSON); CSV has the same fields flattened.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ExportRecord {
    pub id: Uuid,
    /// `public` (in force), `withdrawn` or `abolished`.
    pub status: String,
    /// The current public version.
    pub version: i32,
    pub kind: String,
    pub organization: ExportOrganization,
    pub standard: ExportStandard,
    #[schema(value_type = Vec<Object>)]
    pub products: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub indicators: serde_json::Value,
    pub industry_code: Option<String>,
    pub ics_code: Option<String>,
    pub ccs_code: Option<String>,
    pub below_recommended: Option<String>,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    /// sha256 of the full text, when the organization made it public.
    pub full_text_sha256: Option<String>,
    /// Active supervision flags.
    pub flags: Vec<ExportFlag>,
    /// Standards cited (规范性引用文件), normalized.
    pub cited_standards: Vec<String>,
    /// Mandatory national standards that apply to the products, normalized.
    pub applicable_mandatory: Vec<String>,
    /// Notices: standards it executes or cites that were abolished or replaced.
    pub notices: Vec<crate::services::notices::NoticeView>,
    pub first_published_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// When and why the current version stopped being in force (withdrawal reason, abolition).
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    /// Changes whenever anything public about the declaration changes; use with `updated_since`.
    pub updated_at: DateTime<Utc>,
}

type DeclCols = (Uuid, String, String, i32, Option<DateTime<Utc>>, DateTime<Utc>);
type VersionCols = (
    String,
    String,
    String,
    String,
    serde_json::Value,
    serde_json::Value,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
    bool,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
    Vec<Option<String>>,
    Vec<Option<String>>,
);
type OrgCols = (String, String, String);

/// One page of published declarations changed at or after `since`, after `cursor`, in
/// `(updated_at, id)` order.
pub fn page(
    conn: &mut PgConnection,
    since: Option<DateTime<Utc>>,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<ExportRecord>> {
    let mut q = declarations::table
        .inner_join(organizations::table)
        .inner_join(
            declaration_versions::table.on(declaration_versions::declaration_id
                .eq(declarations::id)
                .and(declarations::current_version.eq(declaration_versions::version.nullable()))),
        )
        .filter(declarations::current_version.is_not_null())
        .into_boxed();
    if let Some(t) = since {
        q = q.filter(declarations::updated_at.ge(t));
    }
    if let Some(c) = cursor {
        q = q.filter(
            diesel::dsl::sql::<Bool>("(declarations.updated_at, declarations.id) > (")
                .bind::<Timestamptz, _>(c.updated_at)
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(c.id)
                .sql(")"),
        );
    }
    let rows: Vec<(DeclCols, VersionCols, OrgCols)> = q
        .order((declarations::updated_at, declarations::id))
        .limit(limit)
        .select((
            (
                declarations::id,
                declarations::status,
                declarations::kind,
                declaration_versions::version,
                declarations::first_published_at,
                declarations::updated_at,
            ),
            (
                declaration_versions::standard_number_raw,
                declaration_versions::standard_number,
                declaration_versions::standard_title,
                declaration_versions::standard_type,
                declaration_versions::products,
                declaration_versions::indicators,
                declaration_versions::industry_code,
                declaration_versions::ics_code,
                declaration_versions::ccs_code,
                declaration_versions::below_recommended,
                declaration_versions::summary,
                declaration_versions::effective_date,
                declaration_versions::full_text_public,
                declaration_versions::full_text_sha256,
                declaration_versions::published_at,
                declaration_versions::ended_at,
                declaration_versions::end_reason,
                declaration_versions::cited_standards,
                declaration_versions::applicable_mandatory,
            ),
            (organizations::uscc, organizations::name, organizations::division_code),
        ))
        .load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|(d, _, _)| d.0).collect();
    let mut active: HashMap<Uuid, Vec<ExportFlag>> = HashMap::new();
    let flag_rows: Vec<(Uuid, String, Option<String>, DateTime<Utc>)> = flags::table
        .filter(flags::declaration_id.eq_any(&ids))
        .filter(flags::resolved_at.is_null())
        .order((flags::declaration_id, flags::raised_at))
        .select((flags::declaration_id, flags::code, flags::note, flags::raised_at))
        .load(conn)?;
    for (declaration, code, note, raised_at) in flag_rows {
        active.entry(declaration).or_default().push(ExportFlag { code, note, raised_at });
    }
    let mut notices = crate::services::notices::active_for_many(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(d, v, o)| {
            let (id, status, kind, version, first_published_at, updated_at) = d;
            let (
                number,
                normalized,
                title,
                standard_type,
                products,
                indicators,
                industry_code,
                ics_code,
                ccs_code,
                below_recommended,
                summary,
                effective_date,
                full_text_public,
                full_text_sha256,
                published_at,
                ended_at,
                end_reason,
                cited,
                applicable,
            ) = v;
            let (uscc, name, division_code) = o;
            ExportRecord {
                id,
                status,
                version,
                kind,
                organization: ExportOrganization { uscc, name, division_code },
                standard: ExportStandard { number, normalized, title, kind: standard_type },
                products,
                indicators,
                industry_code,
                ics_code,
                ccs_code,
                below_recommended,
                summary,
                effective_date,
                full_text_sha256: full_text_sha256.filter(|_| full_text_public),
                flags: active.remove(&id).unwrap_or_default(),
                cited_standards: cited.into_iter().flatten().collect(),
                applicable_mandatory: applicable.into_iter().flatten().collect(),
                notices: notices.remove(&id).unwrap_or_default(),
                first_published_at,
                published_at,
                ended_at,
                end_reason,
                updated_at,
            }
        })
        .collect())
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 28] = [
    "id",
    "status",
    "version",
    "kind",
    "uscc",
    "organization_name",
    "division_code",
    "standard_number",
    "standard_number_normalized",
    "standard_title",
    "standard_type",
    "product_names",
    "products_json",
    "indicators_json",
    "industry_code",
    "ics_code",
    "ccs_code",
    "below_recommended",
    "summary",
    "effective_date",
    "full_text_sha256",
    "flags",
    "cited_standards",
    "applicable_mandatory",
    "outdated_standards",
    "first_published_at",
    "published_at",
    "updated_at",
];

/// A spreadsheet would run a cell starting with `=`, `+`, `-`, `@` as a formula: such text cells get a
/// leading apostrophe (CSV only; NDJSON carries the values unchanged).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(cell).unwrap_or_default()
}

fn ts(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)).unwrap_or_default()
}

fn product_names(products: &serde_json::Value) -> String {
    products
        .as_array()
        .map(|a| a.iter().filter_map(|p| p.get("name").and_then(|n| n.as_str())).collect::<Vec<_>>().join("；"))
        .unwrap_or_default()
}

/// The CSV line of a record (without the header).
pub fn csv_row(r: &ExportRecord) -> Vec<String> {
    vec![
        r.id.to_string(),
        r.status.clone(),
        r.version.to_string(),
        r.kind.clone(),
        cell(&r.organization.uscc),
        cell(&r.organization.name),
        r.organization.division_code.clone(),
        cell(&r.standard.number),
        cell(&r.standard.normalized),
        cell(&r.standard.title),
        r.standard.kind.clone(),
        cell(&product_names(&r.products)),
        r.products.to_string(),
        r.indicators.to_string(),
        opt(&r.industry_code),
        opt(&r.ics_code),
        opt(&r.ccs_code),
        opt(&r.below_recommended),
        opt(&r.summary),
        r.effective_date.map(|d| d.to_string()).unwrap_or_default(),
        opt(&r.full_text_sha256),
        r.flags.iter().map(|f| f.code.as_str()).collect::<Vec<_>>().join(";"),
        r.cited_standards.iter().map(|n| cell(n)).collect::<Vec<_>>().join(";"),
        r.applicable_mandatory.iter().map(|n| cell(n)).collect::<Vec<_>>().join(";"),
        r.notices.iter().map(|n| cell(&n.standard)).collect::<Vec<_>>().join(";"),
        ts(&r.first_published_at),
        ts(&r.published_at),
        ts(&Some(r.updated_at)),
    ]
}

/// The bytes a format starts with: for CSV the UTF-8 byte order mark and the header line.
pub fn preamble(format: Format) -> Vec<u8> {
    match format {
        Format::Ndjson => Vec::new(),
        Format::Csv => {
            let mut out = "\u{feff}".as_bytes().to_vec();
            out.extend(csv_bytes(&[CSV_HEADER.iter().map(|s| s.to_string()).collect()]));
            out
        }
    }
}

fn csv_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for r in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

/// A page rendered in the format.
pub fn render(format: Format, records: &[ExportRecord]) -> Vec<u8> {
    match format {
        Format::Ndjson => {
            let mut out = Vec::with_capacity(records.len() * 1024);
            for r in records {
                if serde_json::to_writer(&mut out, r).is_ok() {
                    out.push(b'\n');
                }
            }
            out
        }
        Format::Csv => csv_bytes(&records.iter().map(csv_row).collect::<Vec<_>>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized_for_spreadsheets() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Q/CQ 001-2024"), "Q/CQ 001-2024");
        assert_eq!(cell("锂电池"), "锂电池");
    }

    #[test]
    fn csv_starts_with_the_bom_and_the_header() {
        let p = preamble(Format::Csv);
        assert_eq!(&p[..3], b"\xEF\xBB\xBF");
        let header = std::str::from_utf8(&p[3..]).expect("utf-8");
        assert!(header.starts_with("id,status,version,kind,uscc,"));
        assert!(header.ends_with("updated_at\r\n"));
        assert!(preamble(Format::Ndjson).is_empty());
    }
}
