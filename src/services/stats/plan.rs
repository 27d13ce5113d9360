//! `GET /stats/plan`: progress against Chongqing's 14th five-year standardization plan table
//! (reference data `plan_targets`, district membership `district_groups`).
//!
//! What is counted, for the three district groups and for any division prefix: declarations in force
//! (status `public`) first published on or after the period start (China time), by the declaring
//! organization's division —
//! - enterprise standards (企业标准): product or service declarations of an enterprise (Q/) standard;
//! - group standards (团体标准): declarations of kind `group`, a social organization publishing its
//!   own T/ standard.
//!
//! The district-group figures are read **per district** (the rows say 各区 / 各区县, "each
//! district"): a group's target is the printed figure times its number of districts, and every
//! district is shown against the printed figure. Department rows carry national/industry and local
//! standard targets, which are drafted by government, not self-declared: the registry shows them
//! and says it does not count them.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use super::counters;
use crate::db::schema::{district_groups, divisions, plan_targets};
use crate::error::{ApiError, ApiResult};

pub const TITLE: &str = "重庆市“十四五”期间标准化工作计划";
/// First day of the plan period.
pub fn period_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default()
}
/// The five-year deadline.
pub fn deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default()
}

const ENTERPRISE: &str = "new_enterprise_standard";
const GROUP: &str = "new_group_standard";

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct PlanProgress {
    pub plan: PlanInfo,
    /// The three district groups (rows 30-32), with every district's own line.
    pub district_groups: Vec<GroupProgress>,
    /// Municipal departments (rows 1-29): targets only.
    pub departments: Vec<DepartmentTargets>,
    /// With `?division=`: the same counts for every organization whose division starts with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division: Option<DivisionProgress>,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct PlanInfo {
    pub title: &'static str,
    pub period_start: NaiveDate,
    pub deadline: NaiveDate,
    /// Today (China time).
    pub as_of: NaiveDate,
    pub deadline_passed: bool,
    /// How the district-group figures are read: `per_district`.
    pub target_basis: &'static str,
    pub target_basis_explanation: &'static str,
    /// What the actual figures count.
    pub counting: &'static str,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct GroupProgress {
    pub seq: i32,
    /// As printed in the plan table (e.g. `主城都市区各区`).
    pub unit: String,
    /// The group's name in the district list (e.g. `主城都市区`).
    pub district_group: String,
    pub district_count: usize,
    pub enterprise_standards: MetricProgress,
    pub group_standards: MetricProgress,
    pub districts: Vec<DistrictProgress>,
    pub note: Option<String>,
}

/// A target and the count against it.
#[derive(Serialize, Clone, Debug, PartialEq, utoipa::ToSchema)]
pub struct MetricProgress {
    /// The figure printed in the plan table (a per-district figure).
    pub target_per_district: i64,
    /// The target of this line: the printed figure times the number of districts it covers.
    pub target: i64,
    /// Declarations counted since the period start, up to today.
    pub actual: i64,
    /// Of those, first published on or before the deadline.
    pub actual_by_deadline: i64,
    /// `actual / target` in percent, one decimal (may exceed 100).
    pub percent_done: f64,
    /// Still missing to reach the target (0 once reached).
    pub remaining: i64,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct DistrictProgress {
    pub code: String,
    pub name: String,
    /// `中心城区` or `主城新区` inside 主城都市区; null elsewhere.
    pub subgroup: Option<String>,
    pub enterprise_standards: MetricProgress,
    pub group_standards: MetricProgress,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct DepartmentTargets {
    pub seq: i32,
    pub unit: String,
    /// 支持制定(修订)国家和行业标准
    pub national_industry_standards: Option<i32>,
    /// 制定(修订)地方标准
    pub local_standards: Option<i32>,
    /// Always false: these standards are not self-declared, so the registry does not count them.
    pub counted: bool,
    pub explanation: &'static str,
    pub note: Option<String>,
}

/// Counts for a division prefix (no target: the plan sets targets for district groups only).
#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct DivisionProgress {
    /// The prefix matched (`50`, `5001`, `500103`).
    pub prefix: String,
    /// The division the prefix names, when it is one (`500103` 渝中区, `50` 重庆市).
    pub name: Option<String>,
    pub enterprise_standards: Counts,
    pub group_standards: Counts,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq, utoipa::ToSchema)]
pub struct Counts {
    /// Since the period start, up to today.
    pub actual: i64,
    /// Of those, first published on or before the deadline.
    pub actual_by_deadline: i64,
}

const BASIS_EXPLANATION: &str =
    "计划表区县组行写作“各区”“各区县”，指标按每个区县计：组目标 = 表中数字 × 该组区县数，每个区县对照表中数字。";
const COUNTING: &str = "统计自 2021-01-01（北京时间）起首次发布、目前仍现行有效的声明，按声明单位所在行政区划归属：企业标准 = 产品或服务声明中执行企业标准（Q/）的；团体标准 = 社会团体自我声明公开的本团体团体标准（kind = group）。";
const DEPARTMENT_EXPLANATION: &str =
    "部门指标为国家标准、行业标准和地方标准的制修订数量，不属于自我声明公开，本平台不统计其完成情况。";

/// Counts per division code, split by year of first publication: (since start, by deadline).
struct YearCounts(HashMap<String, Counts>);

impl YearCounts {
    fn load(conn: &mut PgConnection, dimension: &str) -> QueryResult<Self> {
        let (start, end) = (period_start().year(), deadline().year());
        let mut out: HashMap<String, Counts> = HashMap::new();
        for c in counters(conn, &[dimension])? {
            let Some((division, year)) = c.key.split_once(':') else { continue };
            let Ok(year) = year.parse::<i32>() else { continue };
            if year < start {
                continue;
            }
            let e = out.entry(division.to_string()).or_default();
            e.actual += c.n;
            if year <= end {
                e.actual_by_deadline += c.n;
            }
        }
        Ok(Self(out))
    }

    fn of(&self, code: &str) -> Counts {
        self.0.get(code).cloned().unwrap_or_default()
    }

    fn with_prefix(&self, prefix: &str) -> Counts {
        self.0.iter().filter(|(code, _)| code.starts_with(prefix)).fold(Counts::default(), |mut acc, (_, c)| {
            acc.actual += c.actual;
            acc.actual_by_deadline += c.actual_by_deadline;
            acc
        })
    }
}

fn progress(per_district: i64, districts: usize, counts: &Counts) -> MetricProgress {
    let target = per_district * i64::try_from(districts).unwrap_or(0);
    let percent_done = if target > 0 { (counts.actual as f64 * 1000.0 / target as f64).round() / 10.0 } else { 0.0 };
    MetricProgress {
        target_per_district: per_district,
        target,
        actual: counts.actual,
        actual_by_deadline: counts.actual_by_deadline,
        percent_done,
        remaining: (target - counts.actual).max(0),
    }
}

fn sum(counts: &[Counts]) -> Counts {
    counts.iter().fold(Counts::default(), |mut acc, c| {
        acc.actual += c.actual;
        acc.actual_by_deadline += c.actual_by_deadline;
        acc
    })
}

#[derive(Queryable)]
struct PlanRow {
    seq: i32,
    unit: String,
    unit_kind: String,
    national_industry_standards: Option<i32>,
    local_standards: Option<i32>,
    group_standards: Option<i32>,
    enterprise_standards: Option<i32>,
    note: String,
}

/// Checks a `division` filter: a 2, 4 or 6-digit prefix that some division code starts with.
pub fn check_division(conn: &mut PgConnection, raw: &str) -> ApiResult<(String, Option<String>)> {
    let prefix = crate::domain::codes::parse_division_filter(raw)
        .ok_or_else(|| ApiError::bad_param("division", "应为 2、4 或 6 位行政区划代码（前缀），如 50、5001、500103"))?;
    let exists: bool =
        diesel::select(diesel::dsl::exists(divisions::table.filter(divisions::code.like(format!("{prefix}%")))))
            .get_result(conn)?;
    if !exists {
        return Err(ApiError::bad_param("division", format!("没有以 {prefix} 开头的行政区划代码")));
    }
    let padded = format!("{prefix:0<6}");
    let name = divisions::table.find(&padded).select(divisions::name).first(conn).optional()?;
    Ok((prefix, name))
}

/// The plan table with the counts. `unit` narrows the rows to one unit (as printed, or a district
/// group's name); `division` adds the counts of a division prefix (from [`check_division`]).
pub fn plan_progress(
    conn: &mut PgConnection,
    today: NaiveDate,
    unit: Option<&str>,
    division: Option<(String, Option<String>)>,
) -> ApiResult<PlanProgress> {
    let rows: Vec<PlanRow> = plan_targets::table
        .order(plan_targets::seq)
        .select((
            plan_targets::seq,
            plan_targets::unit,
            plan_targets::unit_kind,
            plan_targets::national_industry_standards,
            plan_targets::local_standards,
            plan_targets::group_standards,
            plan_targets::enterprise_standards,
            plan_targets::note,
        ))
        .load(conn)?;
    let members: Vec<(String, String, String, String)> = district_groups::table
        .order(district_groups::division_code)
        .select((
            district_groups::division_code,
            district_groups::name,
            district_groups::district_group,
            district_groups::subgroup,
        ))
        .load(conn)?;
    let group_names: Vec<&str> = {
        let mut g: Vec<&str> = members.iter().map(|m| m.2.as_str()).collect();
        g.sort_unstable();
        g.dedup();
        g
    };
    let group_of = |unit: &str| group_names.iter().find(|g| unit.starts_with(**g)).map(|g| g.to_string());
    let rows: Vec<PlanRow> = match unit.map(str::trim) {
        None | Some("") => rows,
        Some(u) => {
            let picked: Vec<PlanRow> =
                rows.into_iter().filter(|r| r.unit == u || group_of(&r.unit).as_deref() == Some(u)).collect();
            if picked.is_empty() {
                return Err(ApiError::bad_param("unit", format!("计划表中没有“{u}”（应为表中单位名称或区县组名称）")));
            }
            picked
        }
    };
    let enterprise = YearCounts::load(conn, ENTERPRISE)?;
    let group = YearCounts::load(conn, GROUP)?;

    let mut district_groups = Vec::new();
    let mut departments = Vec::new();
    for r in rows {
        let note = Some(r.note.clone()).filter(|n| !n.trim().is_empty());
        if r.unit_kind != "district_group" {
            departments.push(DepartmentTargets {
                seq: r.seq,
                unit: r.unit,
                national_industry_standards: r.national_industry_standards,
                local_standards: r.local_standards,
                counted: false,
                explanation: DEPARTMENT_EXPLANATION,
                note,
            });
            continue;
        }
        let group_name = group_of(&r.unit).unwrap_or_else(|| r.unit.clone());
        let e_target = i64::from(r.enterprise_standards.unwrap_or(0));
        let g_target = i64::from(r.group_standards.unwrap_or(0));
        let districts: Vec<DistrictProgress> = members
            .iter()
            .filter(|m| m.2 == group_name)
            .map(|(code, name, _, subgroup)| DistrictProgress {
                code: code.clone(),
                name: name.clone(),
                subgroup: Some(subgroup.clone()).filter(|s| !s.trim().is_empty()),
                enterprise_standards: progress(e_target, 1, &enterprise.of(code)),
                group_standards: progress(g_target, 1, &group.of(code)),
            })
            .collect();
        let e_counts: Vec<Counts> = districts.iter().map(|d| enterprise.of(&d.code)).collect();
        let g_counts: Vec<Counts> = districts.iter().map(|d| group.of(&d.code)).collect();
        district_groups.push(GroupProgress {
            seq: r.seq,
            unit: r.unit,
            district_group: group_name,
            district_count: districts.len(),
            enterprise_standards: progress(e_target, districts.len(), &sum(&e_counts)),
            group_standards: progress(g_target, districts.len(), &sum(&g_counts)),
            districts,
            note,
        });
    }
    let division = division.map(|(prefix, name)| DivisionProgress {
        enterprise_standards: enterprise.with_prefix(&prefix),
        group_standards: group.with_prefix(&prefix),
        prefix,
        name,
    });
    Ok(PlanProgress {
        plan: PlanInfo {
            title: TITLE,
            period_start: period_start(),
            deadline: deadline(),
            as_of: today,
            deadline_passed: today > deadline(),
            target_basis: "per_district",
            target_basis_explanation: BASIS_EXPLANATION,
            counting: COUNTING,
        },
        district_groups,
        departments,
        division,
    })
}
