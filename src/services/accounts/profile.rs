//! What the public sees of an organization: its registration and declaration counts, never its
//! contacts or users.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::OrganizationView;
use crate::db::schema::{declarations, divisions, organizations};
use crate::domain::declaration::Status;
use crate::domain::organization::OrgKind;
use crate::error::{ApiError, ApiResult};

/// How many organizations are registered (the home page's count).
pub fn count_organizations(conn: &mut PgConnection) -> QueryResult<i64> {
    organizations::table.count().get_result(conn)
}

#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct DeclarationCounts {
    /// Declarations in force (public).
    pub public: i64,
    pub withdrawn: i64,
    pub abolished: i64,
    /// Public declarations with an active supervision flag.
    pub flagged: i64,
}

/// What the public sees of an organization: never contacts or users.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct PublicOrganization {
    pub uscc: String,
    pub name: String,
    pub kind: OrgKind,
    pub division_code: String,
    pub division_name: Option<String>,
    pub industry_code: Option<String>,
    pub group_code: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub declarations: DeclarationCounts,
}

pub fn public_organization(conn: &mut PgConnection, uscc: &str) -> ApiResult<PublicOrganization> {
    let org: OrganizationView = organizations::table
        .filter(organizations::uscc.eq(uscc))
        .select(OrganizationView::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("组织"))?;
    let division_name: Option<String> =
        divisions::table.find(&org.division_code).select(divisions::name).first(conn).optional()?;
    let rows: Vec<(Status, bool, i64)> = declarations::table
        .filter(declarations::organization_id.eq(org.id))
        .filter(declarations::current_version.is_not_null())
        .group_by((declarations::status, declarations::flagged))
        .select((declarations::status, declarations::flagged, diesel::dsl::count_star()))
        .load(conn)?;
    let sum = |s: Status| rows.iter().filter(|(st, _, _)| *st == s).map(|(_, _, n)| n).sum::<i64>();
    let flagged = rows.iter().filter(|(st, f, _)| *st == Status::Public && *f).map(|(_, _, n)| n).sum();
    Ok(PublicOrganization {
        uscc: org.uscc,
        name: org.name,
        kind: org.kind,
        division_code: org.division_code,
        division_name,
        industry_code: org.industry_code,
        group_code: org.group_code,
        registered_at: org.created_at,
        declarations: DeclarationCounts {
            public: sum(Status::Public),
            withdrawn: sum(Status::Withdrawn),
            abolished: sum(Status::Abolished),
            flagged,
        },
    })
}
