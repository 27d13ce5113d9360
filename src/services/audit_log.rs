//! Reading the audit log: sysadmins read every event; regulators read the events whose division lies
//! within their jurisdiction (events without a division, such as account changes, are operators'
//! business). Appending is `crate::audit`; verifying the chain is `stdreg audit verify`.

use diesel::prelude::*;
use serde::Serialize;

use crate::audit::AuditEvent;
use crate::db::schema::audit_events;
use crate::domain::actor::{Actor, Role};
use crate::error::{ApiError, ApiResult};

/// Filters of `GET /audit`, already checked.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct AuditList {
    /// Newest first.
    pub items: Vec<AuditEvent>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// What part of the log an actor may read: `None` = everything, `Some(prefix)` = a jurisdiction.
fn scope(actor: &Actor) -> ApiResult<Option<String>> {
    match actor.role {
        Role::Sysadmin => Ok(None),
        Role::Regulator => actor
            .jurisdiction_prefix()
            .map(|p| Some(p.to_string()))
            .ok_or_else(|| ApiError::forbidden("监管账号没有辖区，不能查看审计日志")),
        _ => Err(ApiError::forbidden("仅限监管人员或系统管理员")),
    }
}

/// One page of events the actor may read, newest first.
pub fn list(
    conn: &mut PgConnection,
    actor: &Actor,
    filter: &AuditFilter,
    page: i64,
    per_page: i64,
) -> ApiResult<AuditList> {
    let jurisdiction = scope(actor)?;
    let base = || {
        let mut q = audit_events::table.into_boxed();
        if let Some(prefix) = &jurisdiction {
            // digits only (a validated division prefix): nothing to escape in the pattern
            q = q.filter(audit_events::division_code.like(format!("{prefix}%")));
        }
        if let Some(t) = &filter.entity_type {
            q = q.filter(audit_events::entity_type.eq(t.clone()));
        }
        if let Some(id) = &filter.entity_id {
            q = q.filter(audit_events::entity_id.eq(id.clone()));
        }
        q
    };
    let total: i64 = base().count().get_result(conn)?;
    let items = base()
        .order(audit_events::seq.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(AuditEvent::as_select())
        .load(conn)?;
    Ok(AuditList { items, total, page, per_page })
}
