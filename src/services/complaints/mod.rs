//! Complaints from the public (SPEC §3.4): intake and tracking by the complainant (`intake`), the
//! regulators' workflow and the reveal of the complainant (`workflow`), and reading here.
//!
//! Who sees a complaint: regulators whose jurisdiction covers its division; sysadmins only the
//! queue of complaints no division could be found for. Everyone else gets 404. The complainant's
//! identity never appears in these views, only through `workflow::reveal` to the assignee.

pub mod complainant;
pub mod deadlines;
pub mod evidence;
pub mod intake;
pub mod rectification;
pub mod workflow;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::db::schema::{complaint_attachments, complaint_updates, complaints, flags, organizations};
use crate::domain::actor::{Actor, Role};
use crate::domain::codes;
use crate::domain::complaint::{self, Status};
use crate::error::{ApiError, ApiResult};
use crate::services::calendar;
use crate::services::declarations::{FlagView, OrganizationBrief};

/// A complaint without its confidential columns.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = complaints)]
pub struct ComplaintRow {
    pub id: Uuid,
    pub tracking_code: String,
    pub access_key_hash: String,
    pub category: String,
    pub description: String,
    pub target_declaration_id: Option<Uuid>,
    pub target_uscc: Option<String>,
    pub target_organization_name: Option<String>,
    pub target_standard_number: Option<String>,
    pub organization_id: Option<Uuid>,
    pub declaration_id: Option<Uuid>,
    pub division_code: Option<String>,
    pub status: String,
    pub received_at: DateTime<Utc>,
    pub acceptance_due: NaiveDate,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_on: Option<NaiveDate>,
    pub conclusion_due: Option<NaiveDate>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub extended_at: Option<DateTime<Utc>>,
    pub extension_reason: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub public_reply: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ComplaintRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Received)
    }

    pub fn overdue(&self, today: NaiveDate) -> bool {
        complaint::is_overdue(self.status(), self.acceptance_due, self.conclusion_due, today)
    }

    /// The deadline running now: acceptance while received, conclusion while accepted or assigned.
    pub fn running_due(&self) -> Option<NaiveDate> {
        match self.status() {
            Status::Received => Some(self.acceptance_due),
            Status::Accepted | Status::Assigned => self.conclusion_due,
            Status::Rejected | Status::Concluded => None,
        }
    }
}

/// Whether the actor handles complaints of this division: a regulator covering it, or a sysadmin
/// for the unrouted queue (no division).
pub fn handles(actor: &Actor, division: Option<&str>) -> bool {
    match (actor.role, division) {
        (Role::Regulator, Some(d)) => actor.covers(d),
        (Role::Sysadmin, None) => true,
        _ => false,
    }
}

pub fn not_found() -> ApiError {
    ApiError::not_found("投诉")
}

/// Loads (and with `lock`, locks) a complaint the actor handles; 404 otherwise.
pub fn load_for(conn: &mut PgConnection, actor: &Actor, id: Uuid, lock: bool) -> ApiResult<ComplaintRow> {
    let q = complaints::table.find(id).select(ComplaintRow::as_select());
    let row = if lock { q.for_update().first(conn).optional()? } else { q.first(conn).optional()? };
    row.filter(|c| handles(actor, c.division_code.as_deref())).ok_or_else(not_found)
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct TargetView {
    pub declaration_id: Option<Uuid>,
    pub uscc: Option<String>,
    pub organization_name: Option<String>,
    pub standard_number: Option<String>,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: Uuid,
    /// `image/jpeg`, `image/png`, `image/gif`, `image/webp` or `application/pdf` (from the content)
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// One step of a complaint's history, as regulators see it.
#[derive(Queryable, Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct UpdateView {
    pub at: DateTime<Utc>,
    /// `received`, `routed`, `accepted`, `rejected`, `assigned`, `extended`, `concluded`
    pub event: String,
    /// The status after this step.
    pub status: String,
    /// What the complainant sees with this step.
    pub public_reply: Option<String>,
    /// Internal (never shown to the complainant).
    pub note: Option<String>,
    pub actor_id: Option<Uuid>,
}

/// A complaint as its handling regulators see it. Never the complainant's identity.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ComplaintView {
    pub id: Uuid,
    pub tracking_code: String,
    /// `false_indicator`, `not_executed`, `info_missing`, `numbering`, `other`
    pub category: String,
    pub description: String,
    /// The target as the complainant gave it.
    pub target: TargetView,
    /// The organization and declaration it resolved to, if any.
    pub organization: Option<OrganizationBrief>,
    pub declaration_id: Option<Uuid>,
    /// The division it is routed to (null: the sysadmins' queue).
    pub division_code: Option<String>,
    /// `received`, `accepted`, `rejected`, `assigned`, `concluded`
    pub status: String,
    pub received_at: DateTime<Utc>,
    /// Last day to decide acceptance (China date, inclusive).
    pub acceptance_due: NaiveDate,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Last day to conclude, once accepted (China date, inclusive).
    pub conclusion_due: Option<NaiveDate>,
    pub extended: bool,
    pub extension_reason: Option<String>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// `substantiated`, `partially_substantiated`, `unsubstantiated`
    pub outcome: Option<String>,
    pub public_reply: Option<String>,
    /// The flag the conclusion raised on the declaration.
    pub flag: Option<FlagView>,
    /// The rectification the conclusion ordered, with its answer and close.
    pub rectification: Option<rectification::RectificationView>,
    /// Whether the complainant gave a name (the identity itself only through the reveal).
    pub named: bool,
    /// Past its running deadline today.
    pub overdue: bool,
    /// Set when the running deadline falls in a year the holiday table does not cover yet (it was
    /// counted by weekends only).
    pub deadline_note: Option<String>,
    /// Handling regulators only.
    pub attachments: Vec<AttachmentView>,
    pub updates: Vec<UpdateView>,
}

pub fn updates(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<UpdateView>> {
    complaint_updates::table
        .filter(complaint_updates::complaint_id.eq(id))
        .order(complaint_updates::id)
        .select((
            complaint_updates::at,
            complaint_updates::event,
            complaint_updates::status,
            complaint_updates::public_reply,
            complaint_updates::note,
            complaint_updates::actor_id,
        ))
        .load(conn)
}

pub fn attachments(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<AttachmentView>> {
    let rows: Vec<(Uuid, String, i64, String, DateTime<Utc>)> = complaint_attachments::table
        .filter(complaint_attachments::complaint_id.eq(id))
        .order((complaint_attachments::created_at, complaint_attachments::id))
        .select((
            complaint_attachments::id,
            complaint_attachments::content_type,
            complaint_attachments::size,
            complaint_attachments::sha256,
            complaint_attachments::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, content_type, size, sha256, created_at)| AttachmentView {
            id,
            content_type,
            size,
            sha256,
            created_at,
        })
        .collect())
}

/// Builds the handlers' view of a complaint; attachments only for regulators.
pub fn view(
    conn: &mut PgConnection,
    c: ComplaintRow,
    today: NaiveDate,
    with_attachments: bool,
) -> ApiResult<ComplaintView> {
    let organization = match c.organization_id {
        Some(org) => Some(crate::services::declarations::organization_brief(conn, org)?),
        None => None,
    };
    let flag = flags::table
        .filter(flags::complaint_id.eq(c.id))
        .order(flags::raised_at.desc())
        .select(FlagView::as_select())
        .first(conn)
        .optional()?;
    let rectification = rectification::for_complaint(conn, c.id, today)?;
    let attachments = if with_attachments { attachments(conn, c.id)? } else { Vec::new() };
    let updates = updates(conn, c.id)?;
    let named = complainant::exists(conn, c.id)?;
    let overdue = c.overdue(today);
    let deadline_note = calendar::note_for(&calendar::covered_years(conn)?, c.running_due());
    Ok(ComplaintView {
        id: c.id,
        tracking_code: c.tracking_code,
        category: c.category,
        description: c.description,
        target: TargetView {
            declaration_id: c.target_declaration_id,
            uscc: c.target_uscc,
            organization_name: c.target_organization_name,
            standard_number: c.target_standard_number,
        },
        organization,
        declaration_id: c.declaration_id,
        division_code: c.division_code,
        status: c.status,
        received_at: c.received_at,
        acceptance_due: c.acceptance_due,
        accepted_at: c.accepted_at,
        conclusion_due: c.conclusion_due,
        extended: c.extended_at.is_some(),
        extension_reason: c.extension_reason,
        rejected_at: c.rejected_at,
        rejection_reason: c.rejection_reason,
        assignee_id: c.assignee_id,
        assigned_at: c.assigned_at,
        concluded_at: c.concluded_at,
        outcome: c.outcome,
        public_reply: c.public_reply,
        flag,
        rectification,
        named,
        overdue,
        deadline_note,
        attachments,
        updates,
    })
}

pub fn get_for(conn: &mut PgConnection, actor: &Actor, id: Uuid, today: NaiveDate) -> ApiResult<ComplaintView> {
    let c = load_for(conn, actor, id, false)?;
    view(conn, c, today, actor.role == Role::Regulator)
}

/// A line of the complaints list.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ComplaintListItem {
    pub id: Uuid,
    pub tracking_code: String,
    pub category: String,
    pub status: String,
    pub division_code: Option<String>,
    pub organization_name: Option<String>,
    pub declaration_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    pub acceptance_due: NaiveDate,
    pub conclusion_due: Option<NaiveDate>,
    pub overdue: bool,
    /// Set when the running deadline falls in a year the holiday table does not cover yet.
    pub deadline_note: Option<String>,
    pub assignee_id: Option<Uuid>,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ComplaintList {
    pub items: Vec<ComplaintListItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Filters of the complaints list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<Status>,
    pub overdue: Option<bool>,
    pub tracking_code: Option<String>,
    pub assignee: Option<Uuid>,
}

/// Complaints the actor handles, newest first; `overdue` compares the running deadline with `today`.
pub fn list_for(
    conn: &mut PgConnection,
    actor: &Actor,
    filter: &ListFilter,
    today: NaiveDate,
    page: i64,
    per_page: i64,
) -> ApiResult<ComplaintList> {
    let prefix = match actor.role {
        Role::Regulator => {
            Some(actor.jurisdiction.as_deref().map(codes::division_prefix).ok_or_else(not_found)?.to_string())
        }
        Role::Sysadmin => None,
        _ => return Err(ApiError::forbidden("仅限监管人员或系统管理员")),
    };
    let base = || {
        let mut q = complaints::table.left_join(organizations::table).into_boxed();
        q = match &prefix {
            Some(p) => q.filter(complaints::division_code.like(format!("{p}%"))),
            None => q.filter(complaints::division_code.is_null()),
        };
        if let Some(s) = filter.status {
            q = q.filter(complaints::status.eq(s.as_str()));
        }
        if let Some(code) = &filter.tracking_code {
            q = q.filter(complaints::tracking_code.eq(code.clone()));
        }
        if let Some(a) = filter.assignee {
            q = q.filter(complaints::assignee_id.eq(a));
        }
        let overdue =
            complaints::status.eq(Status::Received.as_str()).and(complaints::acceptance_due.lt(today)).nullable().or(
                complaints::status
                    .eq_any([Status::Accepted.as_str(), Status::Assigned.as_str()])
                    .and(complaints::conclusion_due.lt(today)),
            );
        match filter.overdue {
            Some(true) => q.filter(overdue),
            Some(false) => q.filter(diesel::dsl::not(overdue)),
            None => q,
        }
    };
    let total: i64 = base().count().get_result(conn)?;
    let rows: Vec<(ComplaintRow, Option<String>)> = base()
        .order((complaints::received_at.desc(), complaints::id))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select((ComplaintRow::as_select(), organizations::name.nullable()))
        .load(conn)?;
    let covered = calendar::covered_years(conn)?;
    let items = rows
        .into_iter()
        .map(|(c, organization_name)| ComplaintListItem {
            overdue: c.overdue(today),
            deadline_note: calendar::note_for(&covered, c.running_due()),
            id: c.id,
            tracking_code: c.tracking_code,
            category: c.category,
            status: c.status,
            division_code: c.division_code,
            organization_name,
            declaration_id: c.declaration_id,
            received_at: c.received_at,
            acceptance_due: c.acceptance_due,
            conclusion_due: c.conclusion_due,
            assignee_id: c.assignee_id,
        })
        .collect();
    Ok(ComplaintList { items, total, page, per_page })
}
