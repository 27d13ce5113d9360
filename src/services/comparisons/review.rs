//! What regulators look at (SPEC §3.8): public declarations whose declared values sit exactly at a
//! mandatory limit, or whose comparisons could not be made (a unit of another quantity, a value or
//! comparator that cannot be compared, a product class the requirement table lacks), per district
//! within the regulator's jurisdiction, and the list behind each count. A campaign can be scoped to
//! the same set (`scope.indicator_review`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::schema::{declarations, organizations};
use crate::domain::actor::Actor;
use crate::domain::codes;
use crate::error::{ApiError, ApiResult};

/// Which declarations to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// At a mandatory limit or with a comparison that could not be made.
    #[default]
    Any,
    /// A declared value equals a mandatory limit.
    AtLimit,
    /// A comparison could not be made.
    NotCompared,
}

impl Reason {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "any" => Some(Self::Any),
            "at_limit" => Some(Self::AtLimit),
            "not_compared" => Some(Self::NotCompared),
            _ => None,
        }
    }
}

/// One district's counts.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct DistrictCount {
    pub division_code: String,
    pub at_limit: i64,
    pub not_compared: i64,
}

/// A declaration to look at.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ReviewItem {
    pub id: Uuid,
    pub standard_number: String,
    pub standard_title: String,
    pub organization_name: String,
    pub uscc: String,
    pub division_code: String,
    pub at_mandatory_limit: bool,
    pub not_compared: bool,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct Review {
    /// Per district (county-level code) within the jurisdiction, districts with none left out.
    pub by_division: Vec<DistrictCount>,
    pub items: Vec<ReviewItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

type ItemRow = (Uuid, String, String, String, bool, bool, Option<DateTime<Utc>>, String, String);

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Text)]
    division_code: String,
    #[diesel(sql_type = Bool)]
    at_mandatory_limit: bool,
    #[diesel(sql_type = Bool)]
    comparison_gaps: bool,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The division prefix a regulator may look at: `division` when given (it must lie within the
/// jurisdiction), else the jurisdiction's own.
pub fn scope_prefix(actor: &Actor, division: Option<&str>) -> ApiResult<String> {
    let own = match actor.role {
        crate::domain::actor::Role::Sysadmin => String::new(),
        _ => actor.jurisdiction_prefix().ok_or_else(|| ApiError::forbidden("仅监管人员可以查看"))?.to_string(),
    };
    match division.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(own),
        Some(d) => {
            let p = codes::parse_division_filter(d).ok_or_else(|| {
                ApiError::bad_param("division", "应为 2、4 或 6 位行政区划代码（如 50、5001、500103）")
            })?;
            if !p.starts_with(&own) {
                return Err(ApiError::forbidden(format!("{d} 不在您的辖区内")));
            }
            Ok(p)
        }
    }
}

/// The declarations to look at within a division prefix, with the per-district counts.
pub fn review(conn: &mut PgConnection, prefix: &str, reason: Reason, page: i64, per_page: i64) -> QueryResult<Review> {
    let base = || {
        let q = declarations::table
            .filter(declarations::status.eq(crate::domain::declaration::Status::Public))
            .filter(declarations::division_code.like(format!("{prefix}%")))
            .into_boxed();
        match reason {
            Reason::Any => q.filter(declarations::at_mandatory_limit.or(declarations::comparison_gaps)),
            Reason::AtLimit => q.filter(declarations::at_mandatory_limit),
            Reason::NotCompared => q.filter(declarations::comparison_gaps),
        }
    };
    let counts: Vec<CountRow> = diesel::sql_query(
        "SELECT division_code, at_mandatory_limit, comparison_gaps, count(*) AS n FROM declarations \
         WHERE status = 'public' AND division_code LIKE $1 AND (at_mandatory_limit OR comparison_gaps) \
         GROUP BY 1, 2, 3",
    )
    .bind::<Text, _>(format!("{}%", crate::db::escape_like(prefix)))
    .load(conn)?;
    let counts = counts.into_iter().map(|r| (r.division_code, r.at_mandatory_limit, r.comparison_gaps, r.n));
    let mut by_division: Vec<DistrictCount> = Vec::new();
    for (division_code, at, gaps, n) in counts {
        let entry = match by_division.iter_mut().find(|d| d.division_code == division_code) {
            Some(e) => e,
            None => {
                by_division.push(DistrictCount { division_code, at_limit: 0, not_compared: 0 });
                by_division.last_mut().expect("just pushed")
            }
        };
        if at && reason != Reason::NotCompared {
            entry.at_limit += n;
        }
        if gaps && reason != Reason::AtLimit {
            entry.not_compared += n;
        }
    }
    by_division.sort_by(|a, b| a.division_code.cmp(&b.division_code));
    let total: i64 = base().count().get_result(conn)?;
    let rows: Vec<ItemRow> = base()
        .inner_join(organizations::table)
        .order((declarations::division_code, declarations::published_at.desc(), declarations::id))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select((
            declarations::id,
            declarations::standard_number,
            declarations::standard_title,
            declarations::division_code,
            declarations::at_mandatory_limit,
            declarations::comparison_gaps,
            declarations::published_at,
            organizations::name,
            organizations::uscc,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(id, standard_number, standard_title, division_code, at, gaps, published_at, organization_name, uscc)| {
            ReviewItem {
                id,
                standard_number,
                standard_title,
                organization_name,
                uscc,
                division_code,
                at_mandatory_limit: at,
                not_compared: gaps,
                published_at,
            }
        })
        .collect();
    Ok(Review { by_division, items, total, page, per_page })
}
