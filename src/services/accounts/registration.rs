//! Registration: an organization and its first user (org_admin), checked at the edge for formats
//! ([`check_registration`]) and against the database in the transaction ([`register`]).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{
    NewUser, OrganizationView, UserView, duplicate_email, email_taken, insert_user, unique_violation_to_conflict,
};
use crate::audit::{self, AuditActor, NewEvent};
use crate::crypto::password;
use crate::db::schema::{organizations, users};
use crate::domain::actor::Role;
use crate::domain::organization::OrgKind;
use crate::domain::uscc::{RegistrantKind, Uscc};
use crate::error::{ApiError, ApiResult};
use crate::reference;
use crate::validate::{self, Check};

/// Registration input after the edge checks (formats); the service checks it against the database.
#[derive(Clone, Debug)]
pub struct Registration {
    pub uscc: String,
    pub name: String,
    pub kind: OrgKind,
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
    let kind = OrgKind::parse(raw.kind);
    let uscc = match Uscc::parse(raw.uscc) {
        Ok(u) => {
            let expected = kind.map(|k| match k {
                OrgKind::Enterprise => RegistrantKind::Enterprise,
                OrgKind::SocialOrganization => RegistrantKind::SocialOrganization,
            });
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
    if kind.is_none() {
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
            if kind != Some(OrgKind::SocialOrganization) {
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
        kind: kind.unwrap_or(OrgKind::Enterprise),
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
    let user = insert_user(
        conn,
        now,
        NewUser {
            organization_id: Some(org_id),
            email: &r.email,
            password_hash,
            name: &r.user_name,
            role: Role::OrgAdmin,
            jurisdiction: None,
        },
    )?;
    let actor = AuditActor { id: Some(user.id), role: Role::OrgAdmin.as_str().into() };
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
                users::role.eq(Role::OrgAdmin),
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
        regs.iter().map(|(_, u, _)| AuditActor { id: Some(*u), role: Role::OrgAdmin.as_str().into() }).collect();
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
