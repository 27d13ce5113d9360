//! The search document of a declaration: one per declaration, built from its current public-facing
//! version. Never carries a confidential field (no contacts, no complainant data, no drafts).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::schema::{declaration_versions, declarations, flags, organizations};
use crate::domain::codes::{division_prefixes, industry_prefixes};
use crate::domain::declaration::{Kind, Status};
use crate::domain::standard_number::{StandardNumber, StandardType};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeclarationDoc {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub standard_number: String,
    pub standard_number_raw: String,
    /// Loose forms people type: `GB17761`, `17761`, `GB 17761` ...
    pub number_forms: Vec<String>,
    pub standard_title: String,
    pub standard_type: StandardType,
    pub kind: Kind,
    pub status: Status,
    pub version: i32,
    pub organization_name: String,
    pub uscc: String,
    pub division_code: String,
    pub division_prefixes: Vec<String>,
    pub industry_code: Option<String>,
    pub industry_prefixes: Vec<String>,
    pub industry_section: Option<String>,
    /// Product or service names.
    pub products: Vec<String>,
    /// Models, specifications, brands and generic names of the products.
    pub product_details: Vec<String>,
    pub summary: Option<String>,
    pub indicator_names: Vec<String>,
    pub flags: Vec<String>,
    pub flagged: bool,
    /// A standard it executes or cites was abolished or replaced (it carries a notice).
    #[serde(default)]
    pub outdated: bool,
    /// Every compared indicator is stricter than the national standards (指标严于国家标准).
    #[serde(default)]
    pub stricter_than_national: bool,
    /// Unix milliseconds of the current version's publication (filterable and sortable).
    pub published_at: i64,
}

#[derive(Queryable)]
struct Row {
    id: Uuid,
    organization_id: Uuid,
    kind: Kind,
    status: Status,
    version: i32,
    number: String,
    number_raw: String,
    standard_type: StandardType,
    title: String,
    industry_code: Option<String>,
    products: serde_json::Value,
    indicators: serde_json::Value,
    summary: Option<String>,
    published_at: Option<DateTime<Utc>>,
    org_name: String,
    uscc: String,
    division_code: String,
    outdated: bool,
    stricter_than_national: bool,
}

fn strings_of(items: &serde_json::Value, keys: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(arr) = items.as_array() {
        for item in arr {
            for k in keys {
                if let Some(s) = item.get(*k).and_then(|v| v.as_str()) {
                    let s = s.trim();
                    if !s.is_empty() && !out.iter().any(|x: &String| x == s) {
                        out.push(s.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Loads the documents of the given declarations. Declarations never published (or unknown ids)
/// have no document: the caller deletes them from the index.
pub fn load(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<DeclarationDoc>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = declarations::table
        .inner_join(organizations::table)
        .inner_join(
            declaration_versions::table.on(declaration_versions::declaration_id
                .eq(declarations::id)
                .and(declarations::current_version.eq(declaration_versions::version.nullable()))),
        )
        .filter(declarations::id.eq_any(ids))
        .select((
            declarations::id,
            declarations::organization_id,
            declarations::kind,
            declarations::status,
            declaration_versions::version,
            declaration_versions::standard_number,
            declaration_versions::standard_number_raw,
            declaration_versions::standard_type,
            declaration_versions::standard_title,
            declaration_versions::industry_code,
            declaration_versions::products,
            declaration_versions::indicators,
            declaration_versions::summary,
            declaration_versions::published_at,
            organizations::name,
            organizations::uscc,
            organizations::division_code,
            declarations::outdated,
            declarations::stricter_than_national,
        ))
        .load(conn)?;
    let active: Vec<(Uuid, String)> = flags::table
        .filter(flags::declaration_id.eq_any(ids))
        .filter(flags::resolved_at.is_null())
        .select((flags::declaration_id, flags::code))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut flag_codes: Vec<String> =
                active.iter().filter(|(d, _)| *d == r.id).map(|(_, c)| c.clone()).collect();
            flag_codes.sort();
            flag_codes.dedup();
            build(r, flag_codes)
        })
        .collect())
}

fn build(r: Row, flag_codes: Vec<String>) -> DeclarationDoc {
    let number_forms =
        StandardNumber::parse(&r.number).map(|n| n.search_forms()).unwrap_or_else(|_| vec![r.number.clone()]);
    let industry_prefixes = r.industry_code.as_deref().map(industry_prefixes).unwrap_or_default();
    DeclarationDoc {
        id: r.id,
        organization_id: r.organization_id,
        standard_number: r.number,
        standard_number_raw: r.number_raw,
        number_forms,
        standard_title: r.title,
        standard_type: r.standard_type,
        kind: r.kind,
        status: r.status,
        version: r.version,
        division_prefixes: division_prefixes(&r.division_code),
        division_code: r.division_code,
        industry_section: r.industry_code.as_ref().map(|c| c[..1].to_string()),
        industry_code: r.industry_code,
        industry_prefixes,
        products: strings_of(&r.products, &["name"]),
        product_details: strings_of(&r.products, &["model", "spec", "brand", "generic_name", "barcode"]),
        summary: r.summary,
        indicator_names: strings_of(&r.indicators, &["name"]),
        flagged: !flag_codes.is_empty(),
        flags: flag_codes,
        outdated: r.outdated,
        stricter_than_national: r.stricter_than_national,
        published_at: r.published_at.map(|t| t.timestamp_millis()).unwrap_or(0),
        organization_name: r.org_name,
        uscc: r.uscc,
    }
}

/// The text the PostgreSQL fallback searches (kept in `declarations.search_text`).
pub fn search_text(
    number: &StandardNumber,
    title: &str,
    products: &serde_json::Value,
    indicators: &serde_json::Value,
    summary: Option<&str>,
    org_name: &str,
    uscc: &str,
) -> String {
    let mut parts: Vec<String> = number.search_forms();
    parts.push(title.to_string());
    parts.extend(strings_of(products, &["name", "model", "spec", "brand", "generic_name", "barcode"]));
    parts.push(org_name.to_string());
    parts.push(uscc.to_string());
    if let Some(s) = summary {
        parts.push(s.to_string());
    }
    parts.extend(strings_of(indicators, &["name"]));
    parts.join(" \u{2502} ")
}
