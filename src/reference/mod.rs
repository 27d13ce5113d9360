//! Reference data: CSV files embedded in the binary (see `data/README.md` for sources and
//! licences), loaded idempotently by `stdreg catalog import`, and the look-ups the services use.

pub mod holidays;
pub mod indicators;
pub mod indicators_file;
pub mod standards;
pub mod standards_file;
pub mod table_file;

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::Deserialize;

use crate::db::schema::{
    ccs_codes, district_groups, division_history, divisions, ics_codes, industries, plan_targets, sac_industry_codes,
};

const DIVISIONS: &str = include_str!("data/admin_divisions_mca_2024.csv");
const DIVISION_HISTORY: &str = include_str!("data/admin_divisions_history_1981_2024.csv");
const INDUSTRIES: &str = include_str!("data/gbt4754_2017_industry_classification.csv");
const ICS: &str = include_str!("data/ics_codes.csv");
const CCS: &str = include_str!("data/ccs_codes.csv");
const SAC: &str = include_str!("data/industry_standard_codes.csv");
const SAC_ADDENDUM: &str = include_str!("data/sac_industry_codes_addendum.csv");
const NATIONAL: &str = include_str!("data/national_standards_sample.csv");
const PLAN: &str = include_str!("data/chongqing_14th_fyp_standardization_targets.csv");
const GROUPS: &str = include_str!("data/chongqing_district_groups.csv");
/// Chongqing townships, used by the demo data generator for addresses.
pub const CHONGQING_TOWNSHIPS: &str = include_str!("data/chongqing_townships_nbs2023.csv");

fn rows<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

fn opt(s: String) -> Option<String> {
    if s.trim().is_empty() { None } else { Some(s) }
}

fn opt_int(s: &str) -> Option<i32> {
    s.trim().parse().ok()
}

#[derive(Deserialize)]
struct DivisionCsv {
    code: String,
    name: String,
    level: String,
    parent_code: String,
    province_code: String,
}

#[derive(Insertable)]
#[diesel(table_name = divisions)]
struct NewDivision {
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
    province_code: Option<String>,
}

#[derive(Deserialize)]
struct HistoryCsv {
    code: String,
    name: String,
    level: String,
    status: String,
    province_name: String,
    prefecture_name: String,
    start_year: String,
    end_year: String,
    new_codes: String,
}

#[derive(Insertable)]
#[diesel(table_name = division_history)]
struct NewHistory {
    code: String,
    name: String,
    level: String,
    status: String,
    province_name: String,
    prefecture_name: String,
    start_year: i32,
    end_year: Option<i32>,
    new_codes: String,
}

#[derive(Deserialize)]
struct IndustryCsv {
    code: String,
    level: String,
    name: String,
    parent_code: String,
    section: String,
    note: String,
}

#[derive(Insertable)]
#[diesel(table_name = industries)]
struct NewIndustry {
    code: String,
    level: String,
    name: String,
    parent_code: Option<String>,
    section: String,
    note: String,
}

#[derive(Deserialize)]
struct IcsCsv {
    code: String,
    level: String,
    parent_code: String,
    title_en: String,
    title_zh: String,
}

#[derive(Insertable)]
#[diesel(table_name = ics_codes)]
struct NewIcs {
    code: String,
    level: String,
    parent_code: Option<String>,
    title_en: String,
    title_zh: String,
}

#[derive(Deserialize)]
struct CcsCsv {
    code: String,
    level: String,
    parent_code: String,
    name_zh: String,
}

#[derive(Insertable)]
#[diesel(table_name = ccs_codes)]
struct NewCcs {
    code: String,
    level: String,
    parent_code: Option<String>,
    name_zh: String,
}

#[derive(Deserialize)]
struct SacCsv {
    code: String,
    industry_zh: String,
    industry_en: String,
}

#[derive(Insertable)]
#[diesel(table_name = sac_industry_codes)]
struct NewSac {
    code: String,
    industry_zh: String,
    industry_en: String,
    source: String,
}

#[derive(Deserialize)]
struct PlanCsv {
    seq: i32,
    unit: String,
    unit_kind: String,
    national_industry_standards: String,
    local_standards: String,
    group_standards: String,
    enterprise_standards: String,
    note: String,
}

#[derive(Insertable)]
#[diesel(table_name = plan_targets)]
struct NewPlanTarget {
    seq: i32,
    unit: String,
    unit_kind: String,
    national_industry_standards: Option<i32>,
    local_standards: Option<i32>,
    group_standards: Option<i32>,
    enterprise_standards: Option<i32>,
    note: String,
}

#[derive(Deserialize, Insertable)]
#[diesel(table_name = district_groups)]
struct GroupCsv {
    division_code: String,
    name: String,
    district_group: String,
    subgroup: String,
}

/// Row counts per table after an import.
#[derive(Debug, Default, serde::Serialize)]
pub struct ImportReport {
    pub divisions: usize,
    pub division_history: usize,
    pub industries: usize,
    pub ics_codes: usize,
    pub ccs_codes: usize,
    pub sac_industry_codes: usize,
    pub catalog_standards: usize,
    pub plan_targets: usize,
    pub district_groups: usize,
    /// Rows of the shipped holiday table (official holidays and make-up working days 2004-2026).
    pub calendar_days: usize,
    /// Canonical indicators and requirement rows of the shipped starter tables newly inserted.
    pub comparison_tables: indicators::ShippedReport,
}

/// Loads every embedded table, inserting new rows and updating changed ones (idempotent; rows added
/// by operators are kept).
pub fn import_all(conn: &mut PgConnection) -> anyhow::Result<ImportReport> {
    conn.transaction(|conn| {
        let mut report = ImportReport::default();

        let d: Vec<NewDivision> = rows::<DivisionCsv>("divisions", DIVISIONS)?
            .into_iter()
            .map(|r| NewDivision {
                code: r.code,
                name: r.name,
                level: r.level,
                parent_code: opt(r.parent_code),
                province_code: opt(r.province_code),
            })
            .collect();
        report.divisions = d.len();
        for chunk in d.chunks(2000) {
            diesel::insert_into(divisions::table)
                .values(chunk)
                .on_conflict(divisions::code)
                .do_update()
                .set((
                    divisions::name.eq(excluded(divisions::name)),
                    divisions::level.eq(excluded(divisions::level)),
                    divisions::parent_code.eq(excluded(divisions::parent_code)),
                    divisions::province_code.eq(excluded(divisions::province_code)),
                ))
                .execute(conn)?;
        }

        let h: Vec<NewHistory> = rows::<HistoryCsv>("division history", DIVISION_HISTORY)?
            .into_iter()
            .map(|r| {
                Ok(NewHistory {
                    start_year: r
                        .start_year
                        .trim()
                        .parse()
                        .map_err(|_| anyhow::anyhow!("bad start_year for {}", r.code))?,
                    end_year: opt_int(&r.end_year),
                    code: r.code,
                    name: r.name,
                    level: r.level,
                    status: r.status,
                    province_name: r.province_name,
                    prefecture_name: r.prefecture_name,
                    new_codes: r.new_codes,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        report.division_history = h.len();
        for chunk in h.chunks(2000) {
            diesel::insert_into(division_history::table)
                .values(chunk)
                .on_conflict((division_history::code, division_history::name, division_history::start_year))
                .do_update()
                .set((
                    division_history::level.eq(excluded(division_history::level)),
                    division_history::status.eq(excluded(division_history::status)),
                    division_history::province_name.eq(excluded(division_history::province_name)),
                    division_history::prefecture_name.eq(excluded(division_history::prefecture_name)),
                    division_history::end_year.eq(excluded(division_history::end_year)),
                    division_history::new_codes.eq(excluded(division_history::new_codes)),
                ))
                .execute(conn)?;
        }

        let i: Vec<NewIndustry> = rows::<IndustryCsv>("industries", INDUSTRIES)?
            .into_iter()
            .map(|r| NewIndustry {
                code: r.code,
                level: r.level,
                name: r.name,
                parent_code: opt(r.parent_code),
                section: r.section,
                note: r.note,
            })
            .collect();
        report.industries = i.len();
        for chunk in i.chunks(2000) {
            diesel::insert_into(industries::table)
                .values(chunk)
                .on_conflict(industries::code)
                .do_update()
                .set((
                    industries::level.eq(excluded(industries::level)),
                    industries::name.eq(excluded(industries::name)),
                    industries::parent_code.eq(excluded(industries::parent_code)),
                    industries::section.eq(excluded(industries::section)),
                    industries::note.eq(excluded(industries::note)),
                ))
                .execute(conn)?;
        }

        let ics: Vec<NewIcs> = rows::<IcsCsv>("ics", ICS)?
            .into_iter()
            .map(|r| NewIcs {
                code: r.code,
                level: r.level,
                parent_code: opt(r.parent_code),
                title_en: r.title_en,
                title_zh: r.title_zh,
            })
            .collect();
        report.ics_codes = ics.len();
        for chunk in ics.chunks(2000) {
            diesel::insert_into(ics_codes::table)
                .values(chunk)
                .on_conflict(ics_codes::code)
                .do_update()
                .set((
                    ics_codes::level.eq(excluded(ics_codes::level)),
                    ics_codes::parent_code.eq(excluded(ics_codes::parent_code)),
                    ics_codes::title_en.eq(excluded(ics_codes::title_en)),
                    ics_codes::title_zh.eq(excluded(ics_codes::title_zh)),
                ))
                .execute(conn)?;
        }

        let ccs: Vec<NewCcs> = rows::<CcsCsv>("ccs", CCS)?
            .into_iter()
            .map(|r| NewCcs { code: r.code, level: r.level, parent_code: opt(r.parent_code), name_zh: r.name_zh })
            .collect();
        report.ccs_codes = ccs.len();
        for chunk in ccs.chunks(2000) {
            diesel::insert_into(ccs_codes::table)
                .values(chunk)
                .on_conflict(ccs_codes::code)
                .do_update()
                .set((
                    ccs_codes::level.eq(excluded(ccs_codes::level)),
                    ccs_codes::parent_code.eq(excluded(ccs_codes::parent_code)),
                    ccs_codes::name_zh.eq(excluded(ccs_codes::name_zh)),
                ))
                .execute(conn)?;
        }

        let mut sac: Vec<NewSac> = rows::<SacCsv>("sac", SAC)?
            .into_iter()
            .map(|r| NewSac {
                code: r.code,
                industry_zh: r.industry_zh,
                industry_en: r.industry_en,
                source: "metanorma/gb-agencies".into(),
            })
            .collect();
        sac.extend(rows::<SacCsv>("sac addendum", SAC_ADDENDUM)?.into_iter().map(|r| NewSac {
            code: r.code,
            industry_zh: r.industry_zh,
            industry_en: r.industry_en,
            source: "stdreg addendum".into(),
        }));
        report.sac_industry_codes = sac.len();
        diesel::insert_into(sac_industry_codes::table)
            .values(&sac)
            .on_conflict(sac_industry_codes::code)
            .do_update()
            .set((
                sac_industry_codes::industry_zh.eq(excluded(sac_industry_codes::industry_zh)),
                sac_industry_codes::industry_en.eq(excluded(sac_industry_codes::industry_en)),
                sac_industry_codes::source.eq(excluded(sac_industry_codes::source)),
            ))
            .execute(conn)?;

        let sample = standards_file::parse("national_standards_sample.csv", NATIONAL.as_bytes());
        if let Some(r) = sample.refused.first() {
            anyhow::bail!("national standards sample, line {}: {}", r.line, r.reason);
        }
        let sample: Vec<crate::domain::catalog::Entry> = sample.entries.into_iter().map(|(_, e)| e).collect();
        report.catalog_standards = sample.len();
        standards::insert_missing(conn, &sample, chrono::Utc::now())?;

        let plan: Vec<NewPlanTarget> = rows::<PlanCsv>("plan targets", PLAN)?
            .into_iter()
            .map(|r| NewPlanTarget {
                seq: r.seq,
                unit: r.unit,
                unit_kind: r.unit_kind,
                national_industry_standards: opt_int(&r.national_industry_standards),
                local_standards: opt_int(&r.local_standards),
                group_standards: opt_int(&r.group_standards),
                enterprise_standards: opt_int(&r.enterprise_standards),
                note: r.note,
            })
            .collect();
        report.plan_targets = plan.len();
        diesel::insert_into(plan_targets::table)
            .values(&plan)
            .on_conflict(plan_targets::seq)
            .do_update()
            .set((
                plan_targets::unit.eq(excluded(plan_targets::unit)),
                plan_targets::unit_kind.eq(excluded(plan_targets::unit_kind)),
                plan_targets::national_industry_standards.eq(excluded(plan_targets::national_industry_standards)),
                plan_targets::local_standards.eq(excluded(plan_targets::local_standards)),
                plan_targets::group_standards.eq(excluded(plan_targets::group_standards)),
                plan_targets::enterprise_standards.eq(excluded(plan_targets::enterprise_standards)),
                plan_targets::note.eq(excluded(plan_targets::note)),
            ))
            .execute(conn)?;

        let groups: Vec<GroupCsv> = rows("district groups", GROUPS)?;
        report.district_groups = groups.len();
        diesel::insert_into(district_groups::table)
            .values(&groups)
            .on_conflict(district_groups::division_code)
            .do_update()
            .set((
                district_groups::name.eq(excluded(district_groups::name)),
                district_groups::district_group.eq(excluded(district_groups::district_group)),
                district_groups::subgroup.eq(excluded(district_groups::subgroup)),
            ))
            .execute(conn)?;
        report.calendar_days = holidays::import(conn, holidays::SHIPPED)?.rows;
        report.comparison_tables = indicators::import_shipped(conn)?;
        Ok(report)
    })
}

/// A current division, by code.
#[derive(Queryable, Selectable, Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = divisions)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
}

/// Divisions under a parent code, by code; without a parent, the provinces (pickers and names).
pub fn divisions_under(conn: &mut PgConnection, parent: Option<&str>) -> QueryResult<Vec<Division>> {
    let query = divisions::table.select(Division::as_select()).order(divisions::code).into_boxed();
    match parent {
        Some(p) => query.filter(divisions::parent_code.eq(p.to_string())).load(conn),
        None => query.filter(divisions::level.eq("province")).load(conn),
    }
}

/// A GB/T 4754-2017 industry in API form.
#[derive(serde::Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct Industry {
    /// API form: section letter plus digits (`C3841`).
    pub code: String,
    pub name: String,
    pub level: String,
}

/// Industries under a parent in API form (`C`, `C38`); without a parent, the 20 sections.
pub fn industries_under(conn: &mut PgConnection, parent: Option<&str>) -> QueryResult<Vec<Industry>> {
    let mut query = industries::table
        .select((industries::code, industries::name, industries::level, industries::section))
        .order(industries::code)
        .into_boxed();
    query = match parent {
        Some(p) => query
            .filter(industries::parent_code.eq(crate::domain::codes::industry_table_key(p).to_string()))
            .filter(industries::section.eq(p[..1].to_string())),
        None => query.filter(industries::level.eq("section")),
    };
    let rows: Vec<(String, String, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, name, level, section)| Industry {
            code: if level == "section" { code } else { format!("{section}{code}") },
            name,
            level,
        })
        .collect())
}

/// A tree of codes a picker walks down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    Divisions,
    Industries,
}

/// (code, name) of the children of a node of a tree (the top level without a parent).
pub fn children(conn: &mut PgConnection, tree: Tree, parent: Option<&str>) -> QueryResult<Vec<(String, String)>> {
    Ok(match tree {
        Tree::Divisions => divisions_under(conn, parent)?.into_iter().map(|d| (d.code, d.name)).collect(),
        Tree::Industries => industries_under(conn, parent)?.into_iter().map(|i| (i.code, i.name)).collect(),
    })
}

/// The levels a picker shows: the top level, then the children of each chosen code in turn (up to
/// `depth` levels, stopping at the first code that is not among its level's options).
pub fn picker_levels(
    conn: &mut PgConnection,
    tree: Tree,
    chosen: &[String],
    depth: usize,
) -> QueryResult<Vec<Vec<(String, String)>>> {
    let mut out = vec![children(conn, tree, None)?];
    for (i, c) in chosen.iter().enumerate().take(depth.saturating_sub(1)) {
        if c.is_empty() || !out[i].iter().any(|(code, _)| code == c) {
            break;
        }
        let next = children(conn, tree, Some(c))?;
        if next.is_empty() {
            break;
        }
        out.push(next);
    }
    Ok(out)
}

pub fn find_division(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Division>> {
    divisions::table.find(code).select(Division::as_select()).first(conn).optional()
}

/// Why a division code is not usable: unknown, or retired with its successors named.
pub fn division_problem(conn: &mut PgConnection, code: &str) -> QueryResult<Option<String>> {
    if !crate::domain::codes::is_division_code(code) {
        return Ok(Some("行政区划代码应为 6 位数字（GB/T 2260）".into()));
    }
    if find_division(conn, code)?.is_some() {
        return Ok(None);
    }
    let past: Option<(String, Option<i32>, String)> = division_history::table
        .filter(division_history::code.eq(code))
        .order(division_history::start_year.desc())
        .select((division_history::name, division_history::end_year, division_history::new_codes))
        .first(conn)
        .optional()?;
    Ok(Some(match past {
        Some((name, end, new_codes)) if !new_codes.is_empty() => format!(
            "行政区划代码 {code}（{name}）已于 {} 年停用，请改用 {}",
            end.map(|y| y.to_string()).unwrap_or_else(|| "此前".into()),
            new_codes.replace(';', "、")
        ),
        Some((name, _, _)) => format!("行政区划代码 {code}（{name}）已停用"),
        None => format!("行政区划代码 {code} 不在 GB/T 2260 代码表中"),
    }))
}

/// Whether an industry code (as parsed by `domain::codes::parse_industry_code`) exists.
pub fn industry_exists(conn: &mut PgConnection, code: &str) -> QueryResult<bool> {
    let key = crate::domain::codes::industry_table_key(code);
    let section = &code[..1];
    diesel::select(diesel::dsl::exists(
        industries::table.filter(industries::code.eq(key)).filter(industries::section.eq(section)),
    ))
    .get_result(conn)
}

pub fn ics_exists(conn: &mut PgConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(ics_codes::table.find(code))).get_result(conn)
}

pub fn ccs_exists(conn: &mut PgConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(ccs_codes::table.find(code))).get_result(conn)
}

pub fn sac_code_exists(conn: &mut PgConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(sac_industry_codes::table.find(code))).get_result(conn)
}

pub use standards::CatalogStandard;

/// The name of every current division, by code (the pages show names next to codes).
pub fn division_names(conn: &mut PgConnection) -> QueryResult<std::collections::HashMap<String, String>> {
    Ok(divisions::table
        .select((divisions::code, divisions::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_parse_with_expected_counts() {
        assert_eq!(rows::<DivisionCsv>("d", DIVISIONS).expect("divisions").len(), 3213);
        assert_eq!(rows::<HistoryCsv>("h", DIVISION_HISTORY).expect("history").len(), 6823);
        assert_eq!(rows::<IndustryCsv>("i", INDUSTRIES).expect("industries").len(), 1970);
        assert_eq!(rows::<IcsCsv>("ics", ICS).expect("ics").len(), 1381);
        assert_eq!(rows::<CcsCsv>("ccs", CCS).expect("ccs").len(), 1857);
        assert_eq!(rows::<SacCsv>("sac", SAC).expect("sac").len(), 64);
        assert_eq!(rows::<PlanCsv>("p", PLAN).expect("plan").len(), 32);
        assert_eq!(rows::<GroupCsv>("g", GROUPS).expect("groups").len(), 38);
    }
}
