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
    Ok(Overview { as_of: now, declarations: declaration_stats(conn)? })
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
