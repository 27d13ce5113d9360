//! Accounts: organizations and their users, staff accounts, sign-in with throttling, refresh-token
//! rotation with reuse detection, API tokens. One use case per function, run inside the caller's
//! transaction; every account change appends an audit event.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, AuditActor, NewEvent};
use crate::crypto::{password, secrets};
use crate::db::schema::{api_tokens, declarations, divisions, login_throttle, organizations, refresh_tokens, users};
use crate::domain::actor::{Actor, Role};
use crate::domain::uscc::{RegistrantKind, Uscc};
use crate::error::{ApiError, ApiResult, Code};
use crate::reference;
use crate::services::revocation;
use crate::validate::{self, Check};

// ---------------------------------------------------------------- views

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub email: String,
    pub password_hash: String,
    pub name: String,
    pub role: String,
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
            role: Role::parse(&u.role).unwrap_or(Role::OrgMember),
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
    /// `enterprise` or `social_organization`
    pub kind: String,
    pub division_code: String,
    pub industry_code: Option<String>,
    pub group_code: Option<String>,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- registration

/// Registration input after the edge checks (formats); the service checks it against the database.
#[derive(Clone, Debug)]
pub struct Registration {
    pub uscc: String,
    pub name: String,
    pub kind: String,
    pub division_code: String,
    pub industry_code: Option<String>,
    pub group_code: Option<String>,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub email: String,
    pub password: String,
    pub user_name: String,
}

/// Raw registration fields as received.
pub struct RegistrationRaw<'a> {
    pub uscc: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub division_code: &'a str,
    pub industry_code: Option<&'a str>,
    pub group_code: Option<&'a str>,
    pub address: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
    pub email: &'a str,
    pub password: &'a str,
    pub user_name: &'a str,
}

/// Group codes that would collide with other standard number prefixes.
const RESERVED_GROUP_CODES: &[&str] = &["GB", "GBT", "GBZ", "DB", "Q", "T", "ISO", "IEC"];

/// Format checks of a registration (no database).
pub fn check_registration(raw: &RegistrationRaw<'_>) -> ApiResult<Registration> {
    let mut c = Check::new();
    let uscc = match Uscc::parse(raw.uscc) {
        Ok(u) => {
            let expected = match raw.kind {
                "enterprise" => Some(RegistrantKind::Enterprise),
                "social_organization" => Some(RegistrantKind::SocialOrganization),
                _ => None,
            };
            if let Some(exp) = expected
                && u.registrant_kind() != exp
            {
                c.err(
                    "organization.uscc",
                    match exp {
                        RegistrantKind::Enterprise => "企业的统一社会信用代码应以 91、92 或 93 开头",
                        _ => "社会团体的统一社会信用代码应以 51、52、53 或 59 开头",
                    },
                );
            }
            u.into_string()
        }
        Err(e) => {
            c.err("organization.uscc", e.to_string());
            raw.uscc.trim().to_ascii_uppercase()
        }
    };
    if !matches!(raw.kind, "enterprise" | "social_organization") {
        c.err("organization.kind", "应为 enterprise 或 social_organization");
    }
    let name = c.text("organization.name", raw.name, 2, 100);
    let division_code = raw.division_code.trim().to_string();
    if !crate::domain::codes::is_division_code(&division_code) {
        c.err("organization.division_code", "行政区划代码应为 6 位数字（GB/T 2260）");
    }
    let industry_code = match raw.industry_code.map(str::trim).filter(|s| !s.is_empty()) {
        Some(i) => match crate::domain::codes::parse_industry_code(i) {
            Some(code) => Some(code),
            None => {
                c.err("organization.industry_code", "国民经济行业代码应为门类字母加 2-4 位数字，如 C3841");
                None
            }
        },
        None => None,
    };
    let group_code = match raw.group_code.map(str::trim).filter(|s| !s.is_empty()) {
        Some(g) => {
            let g = g.to_ascii_uppercase();
            if raw.kind != "social_organization" {
                c.err("organization.group_code", "只有社会团体可以登记团体标准代号");
            } else if !((2..=12).contains(&g.len())
                && g.as_bytes()[0].is_ascii_uppercase()
                && g.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
            {
                c.err("organization.group_code", "团体代号应为 2-12 位大写字母或数字，以字母开头（如 CAS）");
            } else if RESERVED_GROUP_CODES.contains(&g.as_str())
                || (g.starts_with("DB") && g[2..].bytes().all(|b| b.is_ascii_digit()))
            {
                c.err("organization.group_code", format!("“{g}”是其他标准的代号，不能用作团体代号"));
            }
            Some(g)
        }
        None => None,
    };
    let address = c.opt_text("organization.address", raw.address, 200);
    let contact_phone = raw
        .contact_phone
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| validate::phone(&mut c, "organization.contact_phone", p));
    let email = validate::email(&mut c, "user.email", raw.email);
    if let Some(p) = password::policy_problem(raw.password, &email) {
        c.err("user.password", p);
    }
    let user_name = c.text("user.name", raw.user_name, 1, 50);
    c.finish()?;
    Ok(Registration {
        uscc,
        name,
        kind: raw.kind.to_string(),
        division_code,
        industry_code,
        group_code,
        address,
        contact_phone,
        email,
        password: raw.password.to_string(),
        user_name,
    })
}

fn email_taken(conn: &mut PgConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::email.eq(email)))).get_result(conn)
}

fn duplicate_email() -> ApiError {
    ApiError::conflict("duplicate_email", "该电子邮箱已注册")
        .with_details(vec![crate::error::FieldError::new("user.email", "已被使用")])
}

/// Registers an organization with its first user (org_admin).
pub fn register(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    r: &Registration,
    password_hash: &str,
) -> ApiResult<(OrganizationView, UserView)> {
    let mut c = Check::new();
    if let Some(problem) = reference::division_problem(conn, &r.division_code)? {
        c.err("organization.division_code", problem);
    }
    if let Some(code) = &r.industry_code
        && !reference::industry_exists(conn, code)?
    {
        c.err("organization.industry_code", format!("{code} 不在 GB/T 4754-2017 行业分类中"));
    }
    if let Some(g) = &r.group_code
        && reference::sac_code_exists(conn, g)?
    {
        c.err("organization.group_code", format!("“{g}”是行业标准代号，不能用作团体代号"));
    }
    c.finish()?;
    if diesel::select(diesel::dsl::exists(organizations::table.filter(organizations::uscc.eq(&r.uscc))))
        .get_result(conn)?
    {
        return Err(ApiError::conflict("duplicate_uscc", "该统一社会信用代码已注册")
            .with_details(vec![crate::error::FieldError::new("organization.uscc", "已被注册")]));
    }
    if email_taken(conn, &r.email)? {
        return Err(duplicate_email());
    }
    if let Some(g) = &r.group_code
        && diesel::select(diesel::dsl::exists(organizations::table.filter(organizations::group_code.eq(g))))
            .get_result(conn)?
    {
        return Err(ApiError::conflict("duplicate_group_code", "该团体代号已被其他社会团体使用")
            .with_details(vec![crate::error::FieldError::new("organization.group_code", "已被使用")]));
    }
    let org_id = Uuid::now_v7();
    let org: OrganizationView = diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(org_id),
            organizations::uscc.eq(&r.uscc),
            organizations::name.eq(&r.name),
            organizations::kind.eq(&r.kind),
            organizations::division_code.eq(&r.division_code),
            organizations::industry_code.eq(&r.industry_code),
            organizations::group_code.eq(&r.group_code),
            organizations::address.eq(&r.address),
            organizations::contact_phone.eq(&r.contact_phone),
            organizations::created_at.eq(now),
            organizations::updated_at.eq(now),
        ))
        .returning(OrganizationView::as_returning())
        .get_result(conn)
        .map_err(unique_violation_to_conflict)?;
    let user = insert_user(conn, now, Some(org_id), &r.email, password_hash, &r.user_name, Role::OrgAdmin, None)?;
    let actor = AuditActor { id: Some(user.id), role: "org_admin".into() };
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &actor,
            action: "organization.registered",
            entity_type: "organization",
            entity_id: org_id.to_string(),
            division_code: Some(org.division_code.clone()),
            summary: serde_json::json!({"uscc": org.uscc, "name": org.name, "kind": org.kind, "first_user": user.id}),
        },
    )?;
    Ok((org, user.into()))
}

fn unique_violation_to_conflict(e: diesel::result::Error) -> ApiError {
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

#[allow(clippy::too_many_arguments)]
fn insert_user(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    org: Option<Uuid>,
    email: &str,
    password_hash: &str,
    name: &str,
    role: Role,
    jurisdiction: Option<&str>,
) -> ApiResult<UserRow> {
    if email_taken(conn, email)? {
        return Err(duplicate_email());
    }
    diesel::insert_into(users::table)
        .values((
            users::id.eq(Uuid::now_v7()),
            users::organization_id.eq(org),
            users::email.eq(email),
            users::password_hash.eq(password_hash),
            users::name.eq(name),
            users::role.eq(role.as_str()),
            users::jurisdiction.eq(jurisdiction),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .map_err(unique_violation_to_conflict)
}

// ---------------------------------------------------------------- staff accounts

/// A new regulator, sysadmin or partner (by a sysadmin, or by the CLI for the first one).
#[derive(Clone, Debug)]
pub struct StaffInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
    pub jurisdiction: Option<String>,
}

pub fn check_staff(email: &str, pw: &str, name: &str, role: &str, jurisdiction: Option<&str>) -> ApiResult<StaffInput> {
    let mut c = Check::new();
    let email = validate::email(&mut c, "email", email);
    if let Some(p) = password::policy_problem(pw, &email) {
        c.err("password", p);
    }
    let name = c.text("name", name, 1, 50);
    let role = match role {
        "regulator" => Role::Regulator,
        "sysadmin" => Role::Sysadmin,
        "partner" => Role::Partner,
        _ => {
            c.err("role", "应为 regulator、sysadmin 或 partner");
            Role::Regulator
        }
    };
    let jurisdiction = jurisdiction.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    match (role, &jurisdiction) {
        (Role::Regulator, None) => c.err("jurisdiction", "监管人员必须指定辖区（6 位行政区划代码）"),
        (Role::Regulator, Some(j)) if !crate::domain::codes::is_division_code(j) => {
            c.err("jurisdiction", "辖区应为 6 位行政区划代码")
        }
        (Role::Sysadmin, Some(_)) => c.err("jurisdiction", "系统管理员没有辖区"),
        (Role::Partner, Some(_)) => c.err("jurisdiction", "合作方账号没有辖区"),
        _ => {}
    }
    c.finish()?;
    Ok(StaffInput { email, password: pw.to_string(), name, role, jurisdiction })
}

pub fn create_staff(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    input: &StaffInput,
    password_hash: &str,
) -> ApiResult<UserView> {
    if let Some(j) = &input.jurisdiction
        && let Some(problem) = reference::division_problem(conn, j)?
    {
        return Err(ApiError::field("jurisdiction", problem));
    }
    let user = insert_user(
        conn,
        now,
        None,
        &input.email,
        password_hash,
        &input.name,
        input.role,
        input.jurisdiction.as_deref(),
    )?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: by,
            action: "user.created",
            entity_type: "user",
            entity_id: user.id.to_string(),
            division_code: input.jurisdiction.clone(),
            summary: serde_json::json!({"email": user.email, "role": user.role, "jurisdiction": user.jurisdiction}),
        },
    )?;
    Ok(user.into())
}

// ---------------------------------------------------------------- sign-in and throttling

/// Failures per account before it is throttled, and per client IP.
pub const ACCOUNT_MAX_FAILURES: i32 = 5;
pub const IP_MAX_FAILURES: i32 = 30;
/// Counting window, and the cap of a throttle (so no attacker can block an account for long).
pub const WINDOW_MINUTES: i64 = 15;
pub const MAX_BLOCK_SECONDS: i64 = 15 * 60;

pub fn account_key(email: &str) -> String {
    format!("acct:{email}")
}
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Seconds until the caller may try again, if throttled.
pub fn throttled_for(conn: &mut PgConnection, now: DateTime<Utc>, keys: &[String]) -> QueryResult<Option<i64>> {
    let blocked: Vec<Option<DateTime<Utc>>> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .select(login_throttle::blocked_until)
        .load(conn)?;
    Ok(blocked.into_iter().flatten().filter(|b| *b > now).map(|b| (b - now).num_seconds().max(1)).max())
}

/// Records a failed attempt under a key; past `max` failures in the window, blocks with a doubling
/// delay capped at [`MAX_BLOCK_SECONDS`].
pub fn record_failure(conn: &mut PgConnection, now: DateTime<Utc>, key: &str, max: i32) -> QueryResult<()> {
    let window_start = now - Duration::minutes(WINDOW_MINUTES);
    let row: Option<(i32, DateTime<Utc>)> = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::window_start))
        .for_update()
        .first(conn)
        .optional()?;
    let failures = match row {
        Some((f, start)) if start > window_start => f + 1,
        _ => 1,
    };
    let start = match row {
        Some((_, s)) if s > window_start => s,
        _ => now,
    };
    let blocked_until = (failures >= max).then(|| {
        let exp = (failures - max).clamp(0, 10) as u32;
        now + Duration::seconds((30i64 << exp).min(MAX_BLOCK_SECONDS))
    });
    diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::key.eq(key),
            login_throttle::failures.eq(failures),
            login_throttle::window_start.eq(start),
            login_throttle::blocked_until.eq(blocked_until),
        ))
        .on_conflict(login_throttle::key)
        .do_update()
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::window_start.eq(start),
            login_throttle::blocked_until.eq(blocked_until),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn clear_throttle(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}

pub fn find_user_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Creates a refresh token (a new family unless one is given); returns the secret.
pub fn issue_refresh_token(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    ttl: Duration,
    user_id: Uuid,
    family: Option<Uuid>,
) -> QueryResult<String> {
    let secret = format!("rt_{}", secrets::random_token(32));
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7()),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family.unwrap_or_else(Uuid::now_v7)),
            refresh_tokens::token_hash.eq(secrets::sha256_hex(&secret)),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    Ok(secret)
}

#[derive(Queryable)]
struct RefreshRow {
    id: Uuid,
    user_id: Uuid,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn refresh_invalid() -> ApiError {
    ApiError::new(Code::InvalidToken, "刷新令牌无效或已过期，请重新登录")
}

fn revoke_family(conn: &mut PgConnection, now: DateTime<Utc>, family: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// What [`rotate_refresh_token`] decided.
pub enum Rotation {
    /// A new refresh token (secret) for this user.
    Rotated { user: UserRow, refresh_token: String },
    /// The token had already been rotated: the whole family was revoked. The caller must commit
    /// this and then answer 401.
    ReuseDetected,
}

/// Exchanges a refresh token for a new one of the same family. Reuse of a rotated token revokes
/// the family.
pub fn rotate_refresh_token(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    ttl: Duration,
    secret: &str,
) -> ApiResult<Rotation> {
    let row: RefreshRow = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(secrets::sha256_hex(secret)))
        .select((
            refresh_tokens::id,
            refresh_tokens::user_id,
            refresh_tokens::family_id,
            refresh_tokens::expires_at,
            refresh_tokens::rotated_at,
            refresh_tokens::revoked_at,
        ))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(refresh_invalid)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(refresh_invalid());
    }
    if row.rotated_at.is_some() {
        revoke_family(conn, now, row.family_id)?;
        revocation::end_access_tokens(conn, row.user_id)?;
        audit::append(
            conn,
            now,
            NewEvent {
                actor: &AuditActor { id: Some(row.user_id), role: "system".into() },
                action: "session.refresh_token_reused",
                entity_type: "user",
                entity_id: row.user_id.to_string(),
                division_code: None,
                summary: serde_json::json!({"family": row.family_id, "token": row.id}),
            },
        )?;
        return Ok(Rotation::ReuseDetected);
    }
    let user: UserRow = users::table.find(row.user_id).select(UserRow::as_select()).first(conn)?;
    if !user.active {
        revoke_family(conn, now, row.family_id)?;
        return Err(refresh_invalid());
    }
    diesel::update(refresh_tokens::table.find(row.id)).set(refresh_tokens::rotated_at.eq(now)).execute(conn)?;
    let refresh_token = issue_refresh_token(conn, now, ttl, user.id, Some(row.family_id))?;
    Ok(Rotation::Rotated { user, refresh_token })
}

/// Revokes the session (family) of a refresh token and ends the user's access tokens (other
/// sessions refresh theirs). Unknown tokens are ignored (logout is idempotent).
pub fn logout(conn: &mut PgConnection, now: DateTime<Utc>, secret: &str) -> QueryResult<()> {
    let family: Option<(Uuid, Uuid)> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(secrets::sha256_hex(secret)))
        .select((refresh_tokens::family_id, refresh_tokens::user_id))
        .first(conn)
        .optional()?;
    if let Some((f, user_id)) = family {
        revoke_family(conn, now, f)?;
        revocation::end_access_tokens(conn, user_id)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- the caller

pub fn get_user(conn: &mut PgConnection, id: Uuid) -> QueryResult<UserRow> {
    users::table.find(id).select(UserRow::as_select()).first(conn)
}

pub fn get_organization(conn: &mut PgConnection, id: Uuid) -> QueryResult<OrganizationView> {
    organizations::table.find(id).select(OrganizationView::as_select()).first(conn)
}

// ---------------------------------------------------------------- members

pub struct MemberInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
}

pub fn check_member(email: &str, pw: &str, name: &str, role: &str) -> ApiResult<MemberInput> {
    let mut c = Check::new();
    let email = validate::email(&mut c, "email", email);
    if let Some(p) = password::policy_problem(pw, &email) {
        c.err("password", p);
    }
    let name = c.text("name", name, 1, 50);
    let role = match role {
        "org_admin" => Role::OrgAdmin,
        "org_member" => Role::OrgMember,
        _ => {
            c.err("role", "应为 org_admin 或 org_member");
            Role::OrgMember
        }
    };
    c.finish()?;
    Ok(MemberInput { email, password: pw.to_string(), name, role })
}

fn org_division(conn: &mut PgConnection, org: Uuid) -> QueryResult<String> {
    organizations::table.find(org).select(organizations::division_code).first(conn)
}

pub fn add_member(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &MemberInput,
    password_hash: &str,
) -> ApiResult<UserView> {
    let org = actor.org_id()?;
    let user = insert_user(conn, now, Some(org), &input.email, password_hash, &input.name, input.role, None)?;
    let division = org_division(conn, org)?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "member.added",
            entity_type: "user",
            entity_id: user.id.to_string(),
            division_code: Some(division),
            summary: serde_json::json!({"organization_id": org, "email": user.email, "role": user.role}),
        },
    )?;
    Ok(user.into())
}

pub fn list_members(conn: &mut PgConnection, org: Uuid) -> QueryResult<Vec<UserView>> {
    Ok(users::table
        .filter(users::organization_id.eq(org))
        .order(users::created_at)
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(UserView::from)
        .collect())
}

/// Deactivates a member of the caller's organization and ends their sessions, their access tokens
/// and the API tokens they created.
pub fn remove_member(conn: &mut PgConnection, now: DateTime<Utc>, actor: &Actor, user_id: Uuid) -> ApiResult<()> {
    let org = actor.org_id()?;
    let target: UserRow = users::table
        .find(user_id)
        .filter(users::organization_id.eq(org))
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("成员"))?;
    if target.id == actor.user_id {
        return Err(ApiError::invalid_state("不能移除自己；请由本单位其他管理员操作"));
    }
    if !target.active {
        return Err(ApiError::invalid_state("该成员已被移除"));
    }
    diesel::update(users::table.find(user_id))
        .set((users::active.eq(false), users::updated_at.eq(now)))
        .execute(conn)?;
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    crate::services::sessions::revoke_all_for(conn, now, user_id, None)?;
    revocation::end_access_tokens(conn, user_id)?;
    let division = org_division(conn, org)?;
    let tokens_revoked =
        revocation::revoke_tokens_created_by(conn, now, &AuditActor::of(actor), user_id, Some(division.clone()))?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "member.removed",
            entity_type: "user",
            entity_id: user_id.to_string(),
            division_code: Some(division),
            summary: serde_json::json!({"organization_id": org, "email": target.email, "api_tokens_revoked": tokens_revoked}),
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------- API tokens

#[derive(Queryable, Selectable, Serialize, Clone, Debug, utoipa::ToSchema)]
#[diesel(table_name = api_tokens)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it ended: `revoked` (by an admin) or `creator_removed` (its creator left the organization).
    pub revoked_reason: Option<String>,
    /// The member who created it; the token ends when they leave the organization.
    pub created_by: Uuid,
}

pub fn create_token(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    name: &str,
    expires_in_days: Option<i64>,
) -> ApiResult<(TokenView, String)> {
    let org = token_owner(actor)?;
    let mut c = Check::new();
    let name = c.text("name", name, 1, 100);
    if let Some(d) = expires_in_days
        && !(1..=3650).contains(&d)
    {
        c.err("expires_in_days", "应在 1 到 3650 之间");
    }
    c.finish()?;
    let secret = format!("{}{}", secrets::API_TOKEN_PREFIX, secrets::random_token(32));
    let view: TokenView = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(Uuid::now_v7()),
            api_tokens::organization_id.eq(org),
            api_tokens::created_by.eq(actor.user_id),
            api_tokens::name.eq(&name),
            api_tokens::token_hash.eq(secrets::sha256_hex(&secret)),
            api_tokens::token_prefix.eq(&secret[..secrets::API_TOKEN_PREFIX.len() + 6]),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(expires_in_days.map(|d| now + Duration::days(d))),
        ))
        .returning(TokenView::as_returning())
        .get_result(conn)?;
    let division = org.map(|o| org_division(conn, o)).transpose()?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "api_token.created",
            entity_type: "api_token",
            entity_id: view.id.to_string(),
            division_code: division,
            summary: serde_json::json!({"organization_id": org, "name": view.name, "expires_at": view.expires_at}),
        },
    )?;
    Ok((view, secret))
}

/// Whose tokens the caller manages: its organization's (org admins), or, for a partner, its own
/// (tokens without an organization, created by the partner).
fn token_owner(actor: &Actor) -> ApiResult<Option<Uuid>> {
    match actor.role {
        Role::Partner => Ok(None),
        _ => Ok(Some(actor.org_id()?)),
    }
}

fn owned(actor: &Actor) -> ApiResult<api_tokens::BoxedQuery<'static, diesel::pg::Pg>> {
    Ok(match token_owner(actor)? {
        Some(org) => api_tokens::table.filter(api_tokens::organization_id.eq(org)).into_boxed(),
        None => api_tokens::table
            .filter(api_tokens::organization_id.is_null())
            .filter(api_tokens::created_by.eq(actor.user_id))
            .into_boxed(),
    })
}

/// The API tokens the caller manages (see [`token_owner`]), newest first.
pub fn list_tokens(conn: &mut PgConnection, actor: &Actor) -> ApiResult<Vec<TokenView>> {
    Ok(owned(actor)?.order(api_tokens::created_at.desc()).select(TokenView::as_select()).load(conn)?)
}

pub fn revoke_token(conn: &mut PgConnection, now: DateTime<Utc>, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let org = token_owner(actor)?;
    let (token, token_org): (TokenView, Option<Uuid>) = api_tokens::table
        .find(id)
        .select((TokenView::as_select(), api_tokens::organization_id))
        .for_update()
        .first(conn)
        .optional()?
        .filter(|(t, o)| *o == org && (org.is_some() || t.created_by == actor.user_id))
        .ok_or_else(|| ApiError::not_found("API 令牌"))?;
    debug_assert_eq!(token_org, org);
    if token.revoked_at.is_some() {
        return Ok(());
    }
    diesel::update(api_tokens::table.find(id))
        .set((api_tokens::revoked_at.eq(now), api_tokens::revoked_reason.eq(revocation::REVOKED)))
        .execute(conn)?;
    let division = org.map(|o| org_division(conn, o)).transpose()?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "api_token.revoked",
            entity_type: "api_token",
            entity_id: id.to_string(),
            division_code: division,
            summary: serde_json::json!({"organization_id": org, "name": token.name}),
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------- public profile

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
    pub kind: String,
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
    let rows: Vec<(String, bool, i64)> = declarations::table
        .filter(declarations::organization_id.eq(org.id))
        .filter(declarations::current_version.is_not_null())
        .group_by((declarations::status, declarations::flagged))
        .select((declarations::status, declarations::flagged, diesel::dsl::count_star()))
        .load(conn)?;
    let sum = |s: &str| rows.iter().filter(|(st, _, _)| st == s).map(|(_, _, n)| n).sum::<i64>();
    let flagged = rows.iter().filter(|(st, f, _)| st == "public" && *f).map(|(_, _, n)| n).sum();
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
            public: sum("public"),
            withdrawn: sum("withdrawn"),
            abolished: sum("abolished"),
            flagged,
        },
    })
}

/// Registers many organizations at once (demo data and migrations from other registries): the same
/// rows and audit events as [`register`], written together. The registrations must already have
/// passed [`check_registration`] and name existing division and industry codes.
pub fn register_many(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    regs: &[(Uuid, Uuid, Registration)],
    password_hash: &str,
) -> ApiResult<()> {
    let orgs: Vec<_> = regs
        .iter()
        .map(|(org_id, _, r)| {
            (
                organizations::id.eq(*org_id),
                organizations::uscc.eq(&r.uscc),
                organizations::name.eq(&r.name),
                organizations::kind.eq(&r.kind),
                organizations::division_code.eq(&r.division_code),
                organizations::industry_code.eq(&r.industry_code),
                organizations::group_code.eq(&r.group_code),
                organizations::address.eq(&r.address),
                organizations::contact_phone.eq(&r.contact_phone),
                organizations::created_at.eq(now),
                organizations::updated_at.eq(now),
            )
        })
        .collect();
    for chunk in orgs.chunks(1000) {
        diesel::insert_into(organizations::table).values(chunk).execute(conn).map_err(unique_violation_to_conflict)?;
    }
    let users_rows: Vec<_> = regs
        .iter()
        .map(|(org_id, user_id, r)| {
            (
                users::id.eq(*user_id),
                users::organization_id.eq(Some(*org_id)),
                users::email.eq(&r.email),
                users::password_hash.eq(password_hash),
                users::name.eq(&r.user_name),
                users::role.eq(Role::OrgAdmin.as_str()),
                users::active.eq(true),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            )
        })
        .collect();
    for chunk in users_rows.chunks(1000) {
        diesel::insert_into(users::table).values(chunk).execute(conn).map_err(unique_violation_to_conflict)?;
    }
    let actors: Vec<AuditActor> =
        regs.iter().map(|(_, u, _)| AuditActor { id: Some(*u), role: "org_admin".into() }).collect();
    let events: Vec<NewEvent<'_>> = regs
        .iter()
        .zip(&actors)
        .map(|((org_id, user_id, r), actor)| NewEvent {
            actor,
            action: "organization.registered",
            entity_type: "organization",
            entity_id: org_id.to_string(),
            division_code: Some(r.division_code.clone()),
            summary: serde_json::json!({"uscc": r.uscc, "name": r.name, "kind": r.kind, "first_user": user_id}),
        })
        .collect();
    audit::append_many(conn, now, &events)?;
    Ok(())
}

// ---------------------------------------------------------------- password change

/// Checks a new password against the policy (the same as at registration).
pub fn check_new_password(user: &UserRow, new_password: &str) -> ApiResult<()> {
    let mut c = Check::new();
    if let Some(p) = password::policy_problem(new_password, &user.email) {
        c.err("new_password", p);
    }
    c.finish()
}

/// Stores a new password hash and ends the user's other sessions: every refresh token, every
/// access token and every console session except `keep` (the one that made the change).
pub fn set_password(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    password_hash: &str,
    keep: Option<Uuid>,
) -> ApiResult<()> {
    diesel::update(users::table.find(actor.user_id))
        .set((users::password_hash.eq(password_hash), users::updated_at.eq(now)))
        .execute(conn)?;
    revocation::end_access_tokens(conn, actor.user_id)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(actor.user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    let ended = crate::services::sessions::revoke_all_for(conn, now, actor.user_id, keep)?;
    let division = match actor.organization_id {
        Some(org) => Some(org_division(conn, org)?),
        None => None,
    };
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "user.password_changed",
            entity_type: "user",
            entity_id: actor.user_id.to_string(),
            division_code: division,
            summary: serde_json::json!({"other_sessions_ended": ended}),
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------- regulators

/// Active regulators who could work in a jurisdiction: those within it and those above it
/// (campaign inspector pools, complaint assignees), by name.
pub fn regulators_near(conn: &mut PgConnection, prefix: &str) -> QueryResult<Vec<UserView>> {
    let all: Vec<UserRow> = users::table
        .filter(users::role.eq("regulator"))
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
