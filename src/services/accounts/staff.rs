//! Staff accounts: regulators and sysadmins, created by a sysadmin (or by the command line for the
//! first one).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{NewUser, UserView, insert_user};
use crate::audit::{self, AuditActor, NewEvent};
use crate::crypto::password;
use crate::domain::actor::Role;
use crate::error::{ApiError, ApiResult};
use crate::reference;
use crate::validate::{self, Check};

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
        NewUser {
            organization_id: None,
            email: &input.email,
            password_hash,
            name: &input.name,
            role: input.role,
            jurisdiction: input.jurisdiction.as_deref(),
        },
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
