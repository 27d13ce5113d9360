//! Declarations: what enterprises and social organizations declare, its versions and its public
//! record. Reading lives here; changes are in `lifecycle`, many-at-once in `bulk`.

pub mod bulk;
pub mod comparisons;
pub mod input;
pub mod lifecycle;
pub mod replacements;
pub mod supervision;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::db::schema::{declaration_versions, declarations, flags, organizations};
use crate::domain::actor::Actor;
use crate::domain::declaration::{Kind, Status, VersionStatus, publicly_visible};
use crate::domain::diff::{self, FieldChange, ListDiff};
use crate::domain::standard_number::StandardType;
use crate::error::{ApiError, ApiResult};
use crate::services::notices::{self, NoticeView};
use input::{Indicator, Product, Warning};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = declarations)]
pub struct DeclarationRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: Kind,
    pub status: Status,
    pub current_version: Option<i32>,
    pub draft_version: Option<i32>,
    pub latest_version: i32,
    pub standard_number: String,
    pub standard_type: StandardType,
    pub standard_title: String,
    pub industry_code: Option<String>,
    pub division_code: String,
    pub first_published_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub flagged: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = declaration_versions)]
pub struct VersionRow {
    pub id: Uuid,
    pub declaration_id: Uuid,
    pub version: i32,
    pub status: VersionStatus,
    pub standard_number_raw: String,
    pub standard_number: String,
    pub standard_type: StandardType,
    pub standard_title: String,
    pub products: serde_json::Value,
    pub indicators: serde_json::Value,
    pub industry_code: Option<String>,
    pub ics_code: Option<String>,
    pub ccs_code: Option<String>,
    pub below_recommended: Option<String>,
    pub below_recommended_answer: String,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    pub full_text_sha256: Option<String>,
    pub full_text_size: Option<i64>,
    pub full_text_public: bool,
    pub warnings: serde_json::Value,
    pub commitment: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub cited_standards: Vec<Option<String>>,
    pub applicable_mandatory: Vec<Option<String>>,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct OrganizationBrief {
    pub uscc: String,
    pub name: String,
    pub division_code: String,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct StandardView {
    /// As declared.
    pub number: String,
    pub normalized: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: StandardType,
}

/// A full text. Its sha256 and size are null unless the text is public or the caller is the
/// organization or a supervising regulator: a fingerprint of a private text would let anyone
/// holding a candidate PDF confirm it.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct FullTextView {
    pub sha256: Option<String>,
    pub size: Option<i64>,
    /// Whether the public may download it (regulators and the owner always may).
    pub public: bool,
}

pub use crate::services::flags::FlagView;

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    pub status: VersionStatus,
    pub standard_number: String,
    pub published_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A declaration at one version, as the API returns it.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct DeclarationView {
    pub id: Uuid,
    pub kind: Kind,
    /// The status of this version.
    pub status: VersionStatus,
    pub version: i32,
    /// The version the public sees (null until first published).
    pub public_version: Option<i32>,
    pub organization: OrganizationBrief,
    pub standard: StandardView,
    pub products: Vec<Product>,
    /// The indicators as declared, each with its matched canonical `code`, its `comparisons` with
    /// the requirements of the declaration's standards and what could not be compared.
    pub indicators: Vec<comparisons::IndicatorView>,
    /// Every compared indicator is stricter than the national standards' requirements
    /// (指标严于国家标准).
    pub stricter_than_national: bool,
    pub industry_code: Option<String>,
    pub ics_code: Option<String>,
    pub ccs_code: Option<String>,
    /// The statement about indicators fewer or lower than the recommended national standard's.
    pub below_recommended: Option<String>,
    /// `not_stated` (the declarant said nothing: not an assurance), `none_lower` (no indicator is
    /// fewer or lower than the recommended national standard's) or `statement` (see `below_recommended`).
    pub below_recommended_answer: String,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    pub full_text_public: bool,
    pub full_text: Option<FullTextView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub first_published_at: Option<DateTime<Utc>>,
    /// When and why this version stopped being current.
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    /// Active supervision flags.
    pub flags: Vec<FlagView>,
    /// Every flag, active and resolved (raised, resolved, and by whom: campaign, complaint,
    /// regulator or the overdue job), oldest first.
    pub flag_history: Vec<crate::services::flags::FlagRecord>,
    /// Earlier records of the same standard number by the same organization that ended (withdrawn
    /// or abolished), with their end and their supervision history.
    pub earlier_records: Vec<supervision::EarlierRecord>,
    pub versions: Vec<VersionSummary>,
    pub warnings: Vec<Warning>,
    /// Standards the declared standard cites (规范性引用文件), normalized.
    pub cited_standards: Vec<String>,
    /// Mandatory national standards that apply to the products, normalized.
    pub applicable_mandatory: Vec<String>,
    /// Each standard of this version (declared, applicable, cited) with what the catalogue says.
    pub catalogue: Vec<CatalogueLine>,
    /// Public notices: a standard this declaration executes or cites was abolished or replaced.
    pub notices: Vec<NoticeView>,
}

/// One standard of a declaration and its catalogue status.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct CatalogueLine {
    pub number: String,
    pub role: crate::domain::catalog::Role,
    /// Null when the catalogue does not list it (group and enterprise standards are never listed).
    pub status: Option<crate::domain::catalog::CatalogStatus>,
    pub title: Option<String>,
    pub implement_date: Option<NaiveDate>,
    pub abolish_date: Option<NaiveDate>,
    pub replaced_by: Vec<String>,
}

/// The catalogue lines of a version's standards.
fn catalogue_lines(
    conn: &mut PgConnection,
    declared: &str,
    applicable: &[String],
    cited: &[String],
) -> QueryResult<Vec<CatalogueLine>> {
    use crate::domain::catalog::Role;
    let mut lines: Vec<(String, Role)> = vec![(declared.to_string(), Role::Declared)];
    lines.extend(applicable.iter().map(|n| (n.clone(), Role::ApplicableMandatory)));
    lines.extend(cited.iter().map(|n| (n.clone(), Role::Cited)));
    let numbers: Vec<String> = lines.iter().map(|(n, _)| n.clone()).collect();
    let rows = crate::reference::standards::by_numbers(conn, &numbers)?;
    Ok(lines
        .into_iter()
        .map(|(number, role)| {
            let row = rows.get(&number);
            CatalogueLine {
                role,
                status: row.map(|r| r.status),
                title: row.map(|r| r.title.clone()),
                implement_date: row.and_then(|r| r.implement_date),
                abolish_date: row.and_then(|r| r.abolish_date),
                replaced_by: row.map(|r| r.replaced_by.0.clone()).unwrap_or_default(),
                number,
            }
        })
        .collect())
}

pub fn load_declaration(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<DeclarationRow>> {
    declarations::table.find(id).select(DeclarationRow::as_select()).first(conn).optional()
}

pub fn lock_declaration(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<DeclarationRow>> {
    declarations::table.find(id).select(DeclarationRow::as_select()).for_update().first(conn).optional()
}

pub fn load_version(conn: &mut PgConnection, id: Uuid, version: i32) -> QueryResult<Option<VersionRow>> {
    declaration_versions::table
        .filter(declaration_versions::declaration_id.eq(id))
        .filter(declaration_versions::version.eq(version))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()
}

pub fn organization_brief(conn: &mut PgConnection, org: Uuid) -> QueryResult<OrganizationBrief> {
    let (uscc, name, division_code) = organizations::table
        .find(org)
        .select((organizations::uscc, organizations::name, organizations::division_code))
        .first(conn)?;
    Ok(OrganizationBrief { uscc, name, division_code })
}

pub fn active_flags(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<FlagView>> {
    flags::table
        .filter(flags::declaration_id.eq(id))
        .filter(flags::resolved_at.is_null())
        .order(flags::raised_at)
        .select(FlagView::as_select())
        .load(conn)
}

/// Whether the actor may see drafts and private files of this declaration (its organization).
pub fn is_owner(actor: Option<&Actor>, decl: &DeclarationRow) -> bool {
    actor.is_some_and(|a| a.role.is_org() && a.organization_id == Some(decl.organization_id))
}

/// Whether the actor supervises this declaration (regulator of a covering jurisdiction, sysadmin).
pub fn is_supervisor(actor: Option<&Actor>, decl: &DeclarationRow) -> bool {
    actor.is_some_and(|a| a.covers(&decl.division_code))
}

type VersionLine = (i32, VersionStatus, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn versions(conn: &mut PgConnection, id: Uuid, include_drafts: bool) -> QueryResult<Vec<VersionSummary>> {
    let rows: Vec<VersionLine> = declaration_versions::table
        .filter(declaration_versions::declaration_id.eq(id))
        .order(declaration_versions::version)
        .select((
            declaration_versions::version,
            declaration_versions::status,
            declaration_versions::standard_number,
            declaration_versions::published_at,
            declaration_versions::ended_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, _, published, _)| include_drafts || published.is_some())
        .map(|(version, status, standard_number, published_at, ended_at)| VersionSummary {
            version,
            status,
            standard_number,
            published_at,
            ended_at,
        })
        .collect())
}

/// Builds the view of one version; `private` shows the fingerprint of a full text that is not
/// public (the organization, supervising regulators).
pub fn view(
    conn: &mut PgConnection,
    decl: &DeclarationRow,
    v: VersionRow,
    include_drafts: bool,
    private: bool,
) -> ApiResult<DeclarationView> {
    let fingerprint = private || v.full_text_public;
    let organization = organization_brief(conn, decl.organization_id)?;
    let flag_history = crate::services::flags::records(conn, decl.id)?;
    let flags = flag_history.iter().filter(|f| f.flag.resolved_at.is_none()).map(|f| f.flag.clone()).collect();
    let earlier_records = supervision::earlier_records(conn, decl)?;
    let versions = versions(conn, decl.id, include_drafts)?;
    let products: Vec<Product> = serde_json::from_value(v.products).map_err(ApiError::internal)?;
    let indicators: Vec<Indicator> = serde_json::from_value(v.indicators).map_err(ApiError::internal)?;
    let warnings: Vec<Warning> = serde_json::from_value(v.warnings).unwrap_or_default();
    let cited_standards: Vec<String> = v.cited_standards.into_iter().flatten().collect();
    let applicable_mandatory: Vec<String> = v.applicable_mandatory.into_iter().flatten().collect();
    let catalogue = catalogue_lines(conn, &v.standard_number, &applicable_mandatory, &cited_standards)?;
    let notices = notices::active_for(conn, decl.id)?;
    let subject = comparisons::Subject {
        applicable: comparisons::applicable(
            &v.standard_number,
            applicable_mandatory.iter().map(String::as_str),
            cited_standards.iter().map(String::as_str),
        ),
        indicators: &indicators,
        products: &products,
    };
    let assessment = comparisons::Rules::load_unlocked(conn, &[&subject])?.assess(&subject);
    let stricter_than_national = assessment.stricter_than_national();
    let indicators = comparisons::indicator_views(indicators, &assessment);
    Ok(DeclarationView {
        id: decl.id,
        kind: decl.kind,
        status: v.status,
        version: v.version,
        public_version: decl.current_version,
        organization,
        standard: StandardView {
            number: v.standard_number_raw,
            normalized: v.standard_number,
            title: v.standard_title,
            kind: v.standard_type,
        },
        products,
        indicators,
        stricter_than_national,
        industry_code: v.industry_code,
        ics_code: v.ics_code,
        ccs_code: v.ccs_code,
        below_recommended: v.below_recommended,
        below_recommended_answer: v.below_recommended_answer,
        summary: v.summary,
        effective_date: v.effective_date,
        full_text_public: v.full_text_public,
        full_text: v.full_text_sha256.map(|sha256| FullTextView {
            sha256: Some(sha256).filter(|_| fingerprint),
            size: Some(v.full_text_size.unwrap_or(0)).filter(|_| fingerprint),
            public: v.full_text_public,
        }),
        created_at: v.created_at,
        updated_at: v.updated_at,
        published_at: v.published_at,
        first_published_at: decl.first_published_at,
        ended_at: v.ended_at,
        end_reason: v.end_reason,
        flags,
        flag_history,
        earlier_records,
        versions,
        warnings,
        cited_standards,
        applicable_mandatory,
        catalogue,
        notices,
    })
}

/// The declaration as the actor may see it: the organization sees its pending draft, everyone else
/// the current public version; drafts never published are 404 to everyone but the organization.
pub fn get_for(conn: &mut PgConnection, actor: Option<&Actor>, id: Uuid) -> ApiResult<DeclarationView> {
    let decl = load_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
    let owner = is_owner(actor, &decl);
    let version = if owner {
        decl.draft_version.or(decl.current_version).unwrap_or(decl.latest_version)
    } else if publicly_visible(decl.current_version) {
        decl.current_version.unwrap_or(decl.latest_version)
    } else {
        return Err(ApiError::not_found("声明"));
    };
    let v = load_version(conn, id, version)?.ok_or_else(|| ApiError::not_found("声明版本"))?;
    let private = owner || is_supervisor(actor, &decl);
    view(conn, &decl, v, owner, private)
}

/// One version: published versions are public; drafts only for the organization.
pub fn get_version_for(
    conn: &mut PgConnection,
    actor: Option<&Actor>,
    id: Uuid,
    version: i32,
) -> ApiResult<DeclarationView> {
    let decl = load_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
    let owner = is_owner(actor, &decl);
    let v = load_version(conn, id, version)?.ok_or_else(|| ApiError::not_found("声明版本"))?;
    if v.published_at.is_none() && !owner {
        return Err(ApiError::not_found("声明版本"));
    }
    let private = owner || is_supervisor(actor, &decl);
    view(conn, &decl, v, owner, private)
}

/// A line of a declaration list.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct DeclarationListItem {
    pub id: Uuid,
    pub kind: Kind,
    pub status: Status,
    pub version: i32,
    pub has_draft: bool,
    pub standard: StandardView,
    pub industry_code: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub flagged: bool,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct DeclarationList {
    pub items: Vec<DeclarationListItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn list_item(d: DeclarationRow) -> DeclarationListItem {
    DeclarationListItem {
        id: d.id,
        kind: d.kind,
        status: d.status,
        version: d.draft_version.or(d.current_version).unwrap_or(d.latest_version),
        has_draft: d.draft_version.is_some(),
        standard: StandardView {
            number: d.standard_number.clone(),
            normalized: d.standard_number,
            title: d.standard_title,
            kind: d.standard_type,
        },
        industry_code: d.industry_code,
        published_at: d.published_at,
        updated_at: d.updated_at,
        flagged: d.flagged,
    }
}

/// The published declarations of the organization with this (normalized) USCC; 404 when unknown.
pub fn list_public_for_uscc(
    conn: &mut PgConnection,
    uscc: &str,
    status: Option<Status>,
    page: i64,
    per_page: i64,
) -> ApiResult<DeclarationList> {
    let org: Uuid = organizations::table
        .filter(organizations::uscc.eq(uscc))
        .select(organizations::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("组织"))?;
    Ok(list_for_organization(conn, org, true, status, page, per_page)?)
}

/// Declarations of an organization: `public_only` for everyone else (never drafts).
pub fn list_for_organization(
    conn: &mut PgConnection,
    org: Uuid,
    public_only: bool,
    status: Option<Status>,
    page: i64,
    per_page: i64,
) -> QueryResult<DeclarationList> {
    let base = || {
        let mut q = declarations::table.filter(declarations::organization_id.eq(org)).into_boxed();
        if public_only {
            q = q.filter(declarations::current_version.is_not_null());
        }
        if let Some(s) = status {
            q = q.filter(declarations::status.eq(s));
        }
        q
    };
    let total: i64 = base().count().get_result(conn)?;
    let rows: Vec<DeclarationRow> = base()
        .order((declarations::updated_at.desc(), declarations::id))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(DeclarationRow::as_select())
        .load(conn)?;
    Ok(DeclarationList { items: rows.into_iter().map(list_item).collect(), total, page, per_page })
}

// ---------------------------------------------------------------- differences between versions

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    /// Changed declaration fields (standard number, title, codes, statements, full text...).
    pub changes: Vec<FieldChange>,
    pub products: ListDiff,
    pub indicators: ListDiff,
}

pub const DIFF_FIELDS: &[&str] = &[
    "standard_number",
    "standard_title",
    "standard_type",
    "industry_code",
    "ics_code",
    "ccs_code",
    "below_recommended",
    "below_recommended_answer",
    "summary",
    "effective_date",
    "full_text_sha256",
    "full_text_public",
];

fn diff_shape(v: &DeclarationView) -> serde_json::Value {
    serde_json::json!({
        "standard_number": v.standard.normalized,
        "standard_title": v.standard.title,
        "standard_type": v.standard.kind,
        "industry_code": v.industry_code,
        "ics_code": v.ics_code,
        "ccs_code": v.ccs_code,
        "below_recommended": v.below_recommended,
        "below_recommended_answer": v.below_recommended_answer,
        "summary": v.summary,
        "effective_date": v.effective_date,
        // null when the caller may not see it (see `FullTextView`)
        "full_text_sha256": v.full_text.as_ref().and_then(|f| f.sha256.clone()),
        "full_text_public": v.full_text_public,
    })
}

/// What changed between two versions the actor may see (products matched by name and model,
/// indicators by name).
pub fn diff_for(
    conn: &mut PgConnection,
    actor: Option<&Actor>,
    id: Uuid,
    from: i32,
    to: i32,
) -> ApiResult<VersionDiff> {
    let a = get_version_for(conn, actor, id, from)?;
    let b = get_version_for(conn, actor, id, to)?;
    let to_values = |v: &DeclarationView| -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
        (
            v.products.iter().filter_map(|p| serde_json::to_value(p).ok()).collect(),
            v.indicators.iter().filter_map(|i| serde_json::to_value(&i.indicator).ok()).collect(),
        )
    };
    let (pa, ia) = to_values(&a);
    let (pb, ib) = to_values(&b);
    Ok(VersionDiff {
        from,
        to,
        changes: diff::fields(&diff_shape(&a), &diff_shape(&b), DIFF_FIELDS),
        products: diff::list(&pa, &pb, diff::product_key),
        indicators: diff::list(&ia, &ib, diff::indicator_key),
    })
}
