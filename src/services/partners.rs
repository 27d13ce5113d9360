//! Partner accounts: marketplaces and other machine clients that follow the registry (subscriptions,
//! webhooks) and, later, verify products. A sysadmin creates them (`POST /admin/users` with role
//! `partner`, or the sysadmins' page) through the same checks as staff accounts
//! ([`accounts::check_staff`](super::accounts::check_staff)); they belong to no organization and have
//! no jurisdiction. A partner signs in as a person to manage its own API tokens
//! ([`accounts::create_token`](super::accounts::create_token) and friends: tokens without an
//! organization, created by the partner) and its machines act through those tokens as
//! [`Role::Partner`]. A token ends when it is revoked, expires, or its partner account is deactivated.

use diesel::prelude::*;
use uuid::Uuid;

use super::accounts::{UserRow, UserView};
use crate::db::schema::{api_tokens, users};
use crate::domain::actor::Role;

/// Every partner account, by name.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<UserView>> {
    Ok(users::table
        .filter(users::role.eq(Role::Partner.as_str()))
        .order((users::name, users::id))
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(UserView::from)
        .collect())
}

/// How many live API tokens each partner holds (the sysadmins' overview).
pub fn live_token_counts(conn: &mut PgConnection, now: chrono::DateTime<chrono::Utc>) -> QueryResult<Vec<(Uuid, i64)>> {
    api_tokens::table
        .filter(api_tokens::organization_id.is_null())
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.is_null().or(api_tokens::expires_at.gt(now)))
        .group_by(api_tokens::created_by)
        .select((api_tokens::created_by, diesel::dsl::count_star()))
        .load(conn)
}
