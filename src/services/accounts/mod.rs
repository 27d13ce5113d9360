//! Accounts: organizations and their users, one module per responsibility: [`registration`] of an
//! organization with its first user, [`staff`] accounts (regulators, sysadmins), [`members`] of an
//! organization, [`api_tokens`], [`refresh_tokens`] (rotation with reuse detection), sign-in
//! [`throttle`] counts, the [`sign_in`] rule itself, [`password`] changes and the public
//! [`profile`]. One use case per function, run inside the caller's transaction; every account
//! change appends an audit event. This module holds the views and the look-ups they share.

pub mod access;
pub mod api_tokens;
pub mod members;
pub mod password;
pub mod profile;
pub mod refresh_tokens;
pub mod registration;
pub mod sign_in;
pub mod staff;
pub mod throttle;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::db::schema::{organizations, users};
use crate::domain::actor::Role;
use crate::domain::organization::OrgKind;
use crate::error::{ApiError, ApiResult};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub email: String,
    pub password_hash: String,
    pub name: String,
    pub role: Role,
    pub jurisdiction: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Access tokens carry it; raising it ends them (`services::revocation`).
    pub token_version: i32,
}

/// A user as the API shows it (never the password hash).
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            organization_id: u.organization_id,
            jurisdiction: u.jurisdiction,
            active: u.active,
            created_at: u.created_at,
        }
    }
}

#[derive(Queryable, Selectable, Serialize, Clone, Debug, utoipa::ToSchema)]
#[diesel(table_name = organizations)]
pub struct OrganizationView {
    pub id: Uuid,
    pub uscc: String,
    pub name: String,
    pub kind: OrgKind,
    pub division_code: String,
    pub industry_code: Option<String>,
    pub group_code: Option<String>,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn get_user(conn: &mut PgConnection, id: Uuid) -> QueryResult<UserRow> {
    users::table.find(id).select(UserRow::as_select()).first(conn)
}

pub fn get_organization(conn: &mut PgConnection, id: Uuid) -> QueryResult<OrganizationView> {
    organizations::table.find(id).select(OrganizationView::as_select()).first(conn)
}

pub fn find_user_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Active regulators who could work in a jurisdiction: those within it and those above it
/// (campaign inspector pools, complaint assignees), by name.
pub fn regulators_near(conn: &mut PgConnection, prefix: &str) -> QueryResult<Vec<UserView>> {
    let all: Vec<UserRow> = users::table
        .filter(users::role.eq(Role::Regulator))
        .filter(users::active.eq(true))
        .order(users::name)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(all
        .into_iter()
        .filter(|u| {
            let p = crate::domain::codes::division_prefix(u.jurisdiction.as_deref().unwrap_or("-"));
            p.starts_with(prefix) || prefix.starts_with(p)
        })
        .map(UserView::from)
        .collect())
}

/// Names of users by id (lists that show who did what).
pub fn names_of(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<std::collections::HashMap<Uuid, String>> {
    Ok(users::table.filter(users::id.eq_any(ids)).select((users::id, users::name)).load(conn)?.into_iter().collect())
}

pub(super) fn email_taken(conn: &mut PgConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::email.eq(email)))).get_result(conn)
}

pub(super) fn duplicate_email() -> ApiError {
    ApiError::conflict("duplicate_email", "该电子邮箱已注册")
        .with_details(vec![crate::error::FieldError::new("user.email", "已被使用")])
}

pub(super) fn unique_violation_to_conflict(e: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match &e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let c = info.constraint_name().unwrap_or_default();
            if c.contains("email") {
                duplicate_email()
            } else if c.contains("uscc") {
                ApiError::conflict("duplicate_uscc", "该统一社会信用代码已注册")
            } else if c.contains("group_code") {
                ApiError::conflict("duplicate_group_code", "该团体代号已被其他社会团体使用")
            } else {
                ApiError::conflict("conflict", "与现有数据冲突")
            }
        }
        _ => e.into(),
    }
}

/// A user to create.
pub(super) struct NewUser<'a> {
    pub organization_id: Option<Uuid>,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub jurisdiction: Option<&'a str>,
}

/// Creates a user (the e-mail must be free).
pub(super) fn insert_user(conn: &mut PgConnection, now: DateTime<Utc>, u: NewUser<'_>) -> ApiResult<UserRow> {
    if email_taken(conn, u.email)? {
        return Err(duplicate_email());
    }
    diesel::insert_into(users::table)
        .values((
            users::id.eq(Uuid::now_v7()),
            users::organization_id.eq(u.organization_id),
            users::email.eq(u.email),
            users::password_hash.eq(u.password_hash),
            users::name.eq(u.name),
            users::role.eq(u.role),
            users::jurisdiction.eq(u.jurisdiction),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .map_err(unique_violation_to_conflict)
}

/// The division of an organization (audit events of its accounts).
pub(super) fn org_division(conn: &mut PgConnection, org: Uuid) -> QueryResult<String> {
    organizations::table.find(org).select(organizations::division_code).first(conn)
}
