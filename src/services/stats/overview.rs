//! `GET /stats/overview`: public figures, one section per area. Today: declarations. Campaign grade
//! counts and complaint figures join as sibling sections of [`Overview`] (built by their own
//! modules' functions) when those areas exist.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{by_key, counters};
use crate::db::schema::{divisions, industries};
use crate::domain::standard_number::StandardType;

/// The public statistics.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct Overview {
    /// When the figures were read (they are exact at that moment).
    pub as_of: DateTime<Utc>,
    pub declarations: DeclarationStats,
    pub campaigns: CampaignStats,
    pub complaints: ComplaintStats,
}

/// Complaints and how many were handled within their legal time limits (working days). Plain SQL
/// aggregates: complaint volumes are small.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema, diesel::QueryableByName)]
pub struct ComplaintStats {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub received: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub awaiting_acceptance: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub rejected: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub in_handling: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub concluded: i64,
    /// Acceptance decisions (accepted or rejected) made, and those made by their due day.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub decided: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub decided_on_time: i64,
    /// Conclusions made by their due day (15 working days after acceptance, 30 when extended).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub concluded_on_time: i64,
    /// Open complaints past a deadline now.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overdue_now: i64,
    /// Share of deadlines met (acceptance decisions and conclusions together), 0-100; null before any.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    pub on_time_rate: Option<f64>,
}

/// Spot-check campaigns and their results. Counted with plain SQL aggregates: a bureau runs tens of
/// campaigns a year, so these tables stay small.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct CampaignStats {
    /// Campaigns by state: `planned`, `drawn`, `closed`.
    pub by_status: BTreeMap<String, i64>,
    /// Inspections drawn so far.
    pub inspections: i64,
    /// Inspections by result grade: `compliant`, `compliant_with_defects`, `non_compliant`, and
    /// `pending` (no result yet).
    pub by_grade: BTreeMap<String, i64>,
    /// Share of graded inspections found compliant (符合), 0-100; null before any result.
    pub pass_rate: Option<f64>,
    /// Rectifications closed as `rectified` and `not_rectified`.
    pub rectified: i64,
    pub not_rectified: i64,
}

/// Published declarations. `by_status` and `by_month` count every declaration ever published (in
/// force, withdrawn or abolished); the other breakdowns count the declarations in force.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct DeclarationStats {
    /// Declarations in force (status `public`, 现行有效).
    pub in_force: i64,
    /// Declarations ever published, whatever their status now.
    pub published: i64,
    /// Every published declaration by its status: `public`, `withdrawn`, `abolished`.
    pub by_status: BTreeMap<String, i64>,
    /// In force, by kind: `product`, `service`, `group`.
    pub by_kind: BTreeMap<String, i64>,
    /// In force, by the type of the standard executed (`enterprise`, `group`, `national_mandatory` ...).
    pub by_standard_type: BTreeMap<String, i64>,
    /// In force, by the declaring organization's division, rolled up.
    pub by_division: DivisionRollup,
    /// In force, by GB/T 4754-2017 section (`section` null: no industry given).
    pub by_industry_section: Vec<SectionCount>,
    /// Every published declaration by the month of its first publication (China time), oldest first.
    pub by_month: Vec<MonthCount>,
}

/// Counts per administrative level. A county directly under its province (Chongqing's districts
/// and counties, 省直辖县级) has no prefecture line; it counts in its province.
#[derive(Serialize, Clone, Debug, Default, utoipa::ToSchema)]
pub struct DivisionRollup {
    pub province: Vec<DivisionCount>,
    pub prefecture: Vec<DivisionCount>,
    pub county: Vec<DivisionCount>,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct DivisionCount {
    /// GB/T 2260 code.
    pub code: String,
    pub name: Option<String>,
    pub count: i64,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct SectionCount {
    /// Section letter `A`-`T`; null for declarations without an industry code.
    pub section: Option<String>,
    pub name: String,
    pub count: i64,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`
    pub month: String,
    pub count: i64,
}

const KINDS: [&str; 3] = ["product", "service", "group"];
const STATUSES: [&str; 3] = ["public", "withdrawn", "abolished"];
const DIMENSIONS: [&str; 6] = ["status", "first_month", "kind", "standard_type", "division", "industry_section"];

/// Every section of the overview.
pub fn overview(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Overview> {
    let today = crate::clock::china_date(now);
    Ok(Overview {
        as_of: now,
        declarations: declaration_stats(conn)?,
        campaigns: campaign_stats(conn)?,
        complaints: complaint_stats(conn, today)?,
    })
}

/// A map holding every known key (zero when absent) plus any other key the counters have.
fn with_known_keys(counts: HashMap<String, i64>, known: &[&str]) -> BTreeMap<String, i64> {
    let mut out: BTreeMap<String, i64> = known.iter().map(|k| (k.to_string(), 0)).collect();
    out.extend(counts);
    out
}

pub fn declaration_stats(conn: &mut PgConnection) -> QueryResult<DeclarationStats> {
    let all = counters(conn, &DIMENSIONS)?;
    let by_status = with_known_keys(by_key(&all, "status"), &STATUSES);
    let types: Vec<&str> = StandardType::ALL.iter().map(|t| t.as_str()).collect();
    let mut by_month: Vec<MonthCount> =
        by_key(&all, "first_month").into_iter().map(|(month, count)| MonthCount { month, count }).collect();
    by_month.sort_by(|a, b| a.month.cmp(&b.month));
    Ok(DeclarationStats {
        in_force: by_status.get("public").copied().unwrap_or(0),
        published: by_status.values().sum(),
        by_status,
        by_kind: with_known_keys(by_key(&all, "kind"), &KINDS),
        by_standard_type: with_known_keys(by_key(&all, "standard_type"), &types),
        by_division: division_rollup(conn, &by_key(&all, "division"))?,
        by_industry_section: sections(conn, &by_key(&all, "industry_section"))?,
        by_month,
    })
}

fn sorted(map: HashMap<String, i64>, names: &HashMap<String, String>) -> Vec<DivisionCount> {
    let mut v: Vec<DivisionCount> =
        map.into_iter().map(|(code, count)| DivisionCount { name: names.get(&code).cloned(), code, count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    v
}

/// A division's code, level, parent and province.
type DivisionLinks = (String, String, Option<String>, Option<String>);

/// Rolls the counts of the organizations' own division codes up to prefecture and province.
fn division_rollup(conn: &mut PgConnection, counts: &HashMap<String, i64>) -> QueryResult<DivisionRollup> {
    let codes: Vec<&String> = counts.keys().collect();
    let rows: Vec<DivisionLinks> = divisions::table
        .filter(divisions::code.eq_any(&codes))
        .select((divisions::code, divisions::level, divisions::parent_code, divisions::province_code))
        .load(conn)?;
    let info: HashMap<&str, (&str, Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|(code, level, parent, province)| {
            (code.as_str(), (level.as_str(), parent.as_deref(), province.as_deref()))
        })
        .collect();
    let (mut province, mut prefecture, mut county) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (code, &n) in counts {
        let province_of = || format!("{}0000", &code[..code.len().min(2)]);
        match info.get(code.as_str()) {
            Some(("province", _, _)) => *province.entry(code.clone()).or_insert(0) += n,
            Some(("prefecture", _, prov)) => {
                *prefecture.entry(code.clone()).or_insert(0) += n;
                *province.entry(prov.map(str::to_string).unwrap_or_else(province_of)).or_insert(0) += n;
            }
            Some((_, parent, prov)) => {
                *county.entry(code.clone()).or_insert(0) += n;
                if let Some(p) = parent.filter(|p| !p.ends_with("0000")) {
                    *prefecture.entry(p.to_string()).or_insert(0) += n;
                }
                *province.entry(prov.map(str::to_string).unwrap_or_else(province_of)).or_insert(0) += n;
            }
            // A code missing from the reference table (an operator removed it): count it as itself
            // and in the province its first two digits name.
            None => {
                *county.entry(code.clone()).or_insert(0) += n;
                *province.entry(province_of()).or_insert(0) += n;
            }
        }
    }
    let all_codes: Vec<String> = province.keys().chain(prefecture.keys()).chain(county.keys()).cloned().collect();
    let names: HashMap<String, String> = divisions::table
        .filter(divisions::code.eq_any(&all_codes))
        .select((divisions::code, divisions::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(DivisionRollup {
        province: sorted(province, &names),
        prefecture: sorted(prefecture, &names),
        county: sorted(county, &names),
    })
}

fn sections(conn: &mut PgConnection, counts: &HashMap<String, i64>) -> QueryResult<Vec<SectionCount>> {
    let names: HashMap<String, String> = industries::table
        .filter(industries::level.eq("section"))
        .select((industries::code, industries::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut v: Vec<SectionCount> = counts
        .iter()
        .map(|(key, &count)| {
            if key == "-" {
                SectionCount { section: None, name: "未填写行业".into(), count }
            } else {
                SectionCount {
                    name: names.get(key).cloned().unwrap_or_else(|| key.clone()),
                    section: Some(key.clone()),
                    count,
                }
            }
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.section.cmp(&b.section)));
    Ok(v)
}

pub fn campaign_stats(conn: &mut PgConnection) -> QueryResult<CampaignStats> {
    use crate::db::schema::{campaigns, inspections};
    let by_status: Vec<(String, i64)> = campaigns::table
        .group_by(campaigns::status)
        .select((campaigns::status, diesel::dsl::count_star()))
        .load(conn)?;
    let by_grade_rows: Vec<(Option<String>, i64)> = inspections::table
        .group_by(inspections::grade)
        .select((inspections::grade, diesel::dsl::count_star()))
        .load(conn)?;
    let by_inspection_status: Vec<(String, i64)> = inspections::table
        .group_by(inspections::status)
        .select((inspections::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut by_grade =
        with_known_keys(HashMap::new(), &["compliant", "compliant_with_defects", "non_compliant", "pending"]);
    for (grade, n) in by_grade_rows {
        *by_grade.entry(grade.unwrap_or_else(|| "pending".into())).or_default() += n;
    }
    let graded: i64 = by_grade.iter().filter(|(k, _)| k.as_str() != "pending").map(|(_, n)| n).sum();
    let compliant = by_grade.get("compliant").copied().unwrap_or(0);
    let status = |s: &str| by_inspection_status.iter().find(|(k, _)| k == s).map(|(_, n)| *n).unwrap_or(0);
    Ok(CampaignStats {
        by_status: with_known_keys(by_status.into_iter().collect(), &["planned", "drawn", "closed"]),
        inspections: by_grade.values().sum(),
        pass_rate: (graded > 0).then(|| (compliant as f64) * 100.0 / graded as f64),
        by_grade,
        rectified: status("rectified"),
        not_rectified: status("not_rectified"),
    })
}

pub fn complaint_stats(conn: &mut PgConnection, today: chrono::NaiveDate) -> QueryResult<ComplaintStats> {
    // Days are China days: timestamps (UTC in the session) are shifted to China time before
    // taking the date.
    let shift = format!("interval '{} seconds'", crate::clock::CHINA.local_minus_utc());
    diesel::sql_query(format!(
        "WITH c AS (
            SELECT status, acceptance_due, conclusion_due,
                   (COALESCE(accepted_at, rejected_at) + {shift})::date AS decided_on,
                   (concluded_at + {shift})::date AS concluded_on
            FROM complaints)
         SELECT count(*)::int8 AS received,
                count(*) FILTER (WHERE status = 'received')::int8 AS awaiting_acceptance,
                count(*) FILTER (WHERE status = 'rejected')::int8 AS rejected,
                count(*) FILTER (WHERE status IN ('accepted', 'assigned'))::int8 AS in_handling,
                count(*) FILTER (WHERE status = 'concluded')::int8 AS concluded,
                count(decided_on)::int8 AS decided,
                count(*) FILTER (WHERE decided_on <= acceptance_due)::int8 AS decided_on_time,
                count(*) FILTER (WHERE concluded_on <= conclusion_due)::int8 AS concluded_on_time,
                count(*) FILTER (WHERE (status = 'received' AND acceptance_due < $1)
                                    OR (status IN ('accepted', 'assigned') AND conclusion_due < $1))::int8 AS overdue_now,
                CASE WHEN count(decided_on) + count(concluded_on) = 0 THEN NULL
                     ELSE 100.0 * (count(*) FILTER (WHERE decided_on <= acceptance_due)
                                   + count(*) FILTER (WHERE concluded_on <= conclusion_due))
                          / (count(decided_on) + count(concluded_on)) END::float8 AS on_time_rate
         FROM c"
    ))
    .bind::<diesel::sql_types::Date, _>(today)
    .get_result(conn)
}
