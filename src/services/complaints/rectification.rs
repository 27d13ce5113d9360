//! Rectification ordered by a complaint's conclusion, with the inspection's lifecycle: the rule is
//! `services::supervision::rectification` (due date in working days, order flag, answer, close,
//! overdue); this module keeps the rows (`complaint_rectifications`) and who may act. The
//! organization sees the order (the declaration, the requirement, the due date), never the
//! complaint itself; only the complaint's assignee closes it; regulators covering the division
//! read it.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::ComplaintRow;
use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{complaint_rectifications, declarations, organizations};
use crate::domain::actor::{Actor, Role};
use crate::domain::rectification::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::flags::{FlagView, Source};
use crate::services::supervision::rectification::{self as rect, DueInput, ResponseInput, Subject};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = complaint_rectifications)]
pub struct RectificationRow {
    pub id: Uuid,
    pub complaint_id: Uuid,
    pub declaration_id: Uuid,
    pub organization_id: Uuid,
    pub division_code: String,
    pub requirement: String,
    pub ordered_by: Uuid,
    pub ordered_at: DateTime<Utc>,
    pub rectification_due: NaiveDate,
    pub status: String,
    pub response_statement: Option<String>,
    pub response_version_id: Option<Uuid>,
    pub responded_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    pub closed_by: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
    pub overdue_flagged_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl RectificationRow {
    fn subject(&self) -> Subject {
        Subject {
            declaration_id: self.declaration_id,
            source: Source { complaint_id: Some(self.complaint_id), ..Source::default() },
        }
    }
}

/// A rectification ordered by a complaint, as the organization and the regulators see it.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct RectificationView {
    pub id: Uuid,
    /// The complaint that ordered it (its content is for the handling regulators only).
    pub complaint_id: Uuid,
    pub declaration_id: Uuid,
    pub standard_number: String,
    pub standard_title: String,
    pub organization_name: String,
    pub uscc: String,
    pub division_code: String,
    /// What the organization must put right.
    pub requirement: String,
    pub ordered_at: DateTime<Utc>,
    /// Last day to rectify (China date, inclusive).
    pub rectification_due: NaiveDate,
    /// `rectification_ordered`, `responded`, `rectified`, `not_rectified`
    pub status: String,
    /// Past its due date without an answer.
    pub overdue: bool,
    pub response_statement: Option<String>,
    pub response_version_id: Option<Uuid>,
    pub responded_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

type Joined = (RectificationRow, (String, String, String, String));

fn view(row: RectificationRow, extra: (String, String, String, String), today: NaiveDate) -> RectificationView {
    let (standard_number, standard_title, organization_name, uscc) = extra;
    RectificationView {
        overdue: rect::is_overdue(&row.status, Some(row.rectification_due), today),
        id: row.id,
        complaint_id: row.complaint_id,
        declaration_id: row.declaration_id,
        standard_number,
        standard_title,
        organization_name,
        uscc,
        division_code: row.division_code,
        requirement: row.requirement,
        ordered_at: row.ordered_at,
        rectification_due: row.rectification_due,
        status: row.status,
        response_statement: row.response_statement,
        response_version_id: row.response_version_id,
        responded_at: row.responded_at,
        resolution_note: row.resolution_note,
        closed_at: row.closed_at,
    }
}

macro_rules! joined {
    () => {
        complaint_rectifications::table
            .inner_join(declarations::table)
            .inner_join(organizations::table.on(organizations::id.eq(complaint_rectifications::organization_id)))
    };
}

macro_rules! select_view {
    () => {
        (
            RectificationRow::as_select(),
            (declarations::standard_number, declarations::standard_title, organizations::name, organizations::uscc),
        )
    };
}

fn not_found() -> ApiError {
    ApiError::not_found("整改事项")
}

/// Who may read: the organization, regulators covering the division.
fn visible(actor: &Actor, row: &RectificationRow) -> bool {
    match actor.role {
        Role::OrgAdmin | Role::OrgMember => actor.organization_id == Some(row.organization_id),
        Role::Regulator => actor.covers(&row.division_code),
        Role::Sysadmin | Role::Partner => false,
    }
}

pub fn get(conn: &mut PgConnection, actor: &Actor, id: Uuid, today: NaiveDate) -> ApiResult<RectificationView> {
    let (row, extra): Joined = joined!()
        .filter(complaint_rectifications::id.eq(id))
        .select(select_view!())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
    if !visible(actor, &row) {
        return Err(not_found());
    }
    Ok(view(row, extra, today))
}

/// The rectification a complaint ordered, if any (handling regulators' view of the complaint).
pub fn for_complaint(
    conn: &mut PgConnection,
    complaint: Uuid,
    today: NaiveDate,
) -> QueryResult<Option<RectificationView>> {
    let found: Option<Joined> = joined!()
        .filter(complaint_rectifications::complaint_id.eq(complaint))
        .select(select_view!())
        .first(conn)
        .optional()?;
    Ok(found.map(|(row, extra)| view(row, extra, today)))
}

/// Filters of `GET /rectifications`.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub overdue: bool,
}

/// The organization's own orders, or those of a regulator's jurisdiction; newest first.
pub fn list(
    conn: &mut PgConnection,
    actor: &Actor,
    f: &ListFilter,
    today: NaiveDate,
) -> ApiResult<Vec<RectificationView>> {
    let mut q = joined!().into_boxed();
    q = match actor.role {
        Role::OrgAdmin | Role::OrgMember => q.filter(complaint_rectifications::organization_id.eq(actor.org_id()?)),
        Role::Regulator => q.filter(
            complaint_rectifications::division_code.like(format!("{}%", actor.jurisdiction_prefix().unwrap_or("-"))),
        ),
        Role::Sysadmin | Role::Partner => return Err(ApiError::forbidden("仅限声明单位或监管人员")),
    };
    if let Some(s) = &f.status {
        q = q.filter(complaint_rectifications::status.eq(s.clone()));
    }
    if f.overdue {
        q = q
            .filter(complaint_rectifications::status.eq("rectification_ordered"))
            .filter(complaint_rectifications::rectification_due.lt(today));
    }
    let rows: Vec<Joined> =
        q.order(complaint_rectifications::ordered_at.desc()).limit(1000).select(select_view!()).load(conn)?;
    Ok(rows.into_iter().map(|(r, e)| view(r, e, today)).collect())
}

fn lock(conn: &mut PgConnection, id: Uuid) -> ApiResult<RectificationRow> {
    complaint_rectifications::table
        .find(id)
        .select(RectificationRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(not_found)
}

fn audit_event(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    action: &str,
    row: &RectificationRow,
    summary: serde_json::Value,
) -> QueryResult<i64> {
    audit::append(
        conn,
        now,
        NewEvent {
            actor: by,
            action,
            entity_type: "complaint_rectification",
            entity_id: row.id.to_string(),
            division_code: Some(row.division_code.clone()),
            summary,
        },
    )
}

/// What a conclusion orders: on which declaration, what to put right, by when.
pub struct Order<'a> {
    pub declaration: Uuid,
    pub requirement: &'a str,
    pub due: DueInput,
}

/// Orders rectification from a complaint being concluded (called by `workflow::conclude`, which
/// checked the assignee and the requirement): the row, and the public flag with the complaint as
/// its source.
pub fn order(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    c: &ComplaintRow,
    order: Order<'_>,
) -> ApiResult<FlagView> {
    let Order { declaration, requirement, due } = order;
    let (organization_id, division_code): (Uuid, String) = declarations::table
        .find(declaration)
        .select((declarations::organization_id, declarations::division_code))
        .first(conn)?;
    let due = rect::due_date(conn, today, due)?;
    let row: RectificationRow = diesel::insert_into(complaint_rectifications::table)
        .values((
            complaint_rectifications::id.eq(Uuid::now_v7()),
            complaint_rectifications::complaint_id.eq(c.id),
            complaint_rectifications::declaration_id.eq(declaration),
            complaint_rectifications::organization_id.eq(organization_id),
            complaint_rectifications::division_code.eq(&division_code),
            complaint_rectifications::requirement.eq(requirement),
            complaint_rectifications::ordered_by.eq(actor.user_id),
            complaint_rectifications::ordered_at.eq(now),
            complaint_rectifications::rectification_due.eq(due),
            complaint_rectifications::status.eq("rectification_ordered"),
            complaint_rectifications::updated_at.eq(now),
        ))
        .returning(RectificationRow::as_returning())
        .get_result(conn)?;
    let by = AuditActor::of(actor);
    let flag = rect::order(conn, now, &by, row.subject(), due, Some(requirement))?;
    audit_event(
        conn,
        now,
        &by,
        "complaint_rectification.ordered",
        &row,
        serde_json::json!({"complaint_id": c.id, "declaration_id": declaration, "requirement": requirement, "rectification_due": due}),
    )?;
    Ok(flag)
}

/// The organization answers (a statement, optionally a version published since the order).
pub fn respond(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    input: &ResponseInput,
) -> ApiResult<RectificationView> {
    let statement = rect::check_statement(input)?;
    let row = lock(conn, id)?;
    if !actor.role.is_org() || actor.organization_id != Some(row.organization_id) {
        return Err(not_found());
    }
    rect::allowed(&row.status, Action::Respond)?;
    rect::check_version(conn, row.subject(), Some(row.ordered_at), input)?;
    diesel::update(complaint_rectifications::table.find(id))
        .set((
            complaint_rectifications::status.eq("responded"),
            complaint_rectifications::response_statement.eq(&statement),
            complaint_rectifications::response_version_id.eq(input.new_version_id),
            complaint_rectifications::responded_at.eq(now),
            complaint_rectifications::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit_event(
        conn,
        now,
        &AuditActor::of(actor),
        "complaint_rectification.responded",
        &row,
        serde_json::json!({"statement": statement, "new_version_id": input.new_version_id}),
    )?;
    get(conn, actor, id, today)
}

/// The complaint's assignee closes: `rectified`, or `not_rectified` (the declaration is abolished).
pub fn close(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    resolution: &str,
    note: Option<&str>,
) -> ApiResult<RectificationView> {
    let resolved = rect::parse_resolution(resolution)?;
    let mut c = crate::validate::Check::new();
    let note = c.opt_text("note", note, 1000);
    c.finish()?;
    let row = lock(conn, id)?;
    if actor.role != Role::Regulator || !actor.covers(&row.division_code) {
        return Err(if actor.role == Role::Regulator {
            ApiError::forbidden("该整改事项不在您的辖区内")
        } else {
            not_found()
        });
    }
    let assignee: Option<Uuid> = crate::db::schema::complaints::table
        .find(row.complaint_id)
        .select(crate::db::schema::complaints::assignee_id)
        .first(conn)?;
    if assignee != Some(actor.user_id) {
        return Err(ApiError::forbidden("只有办结该投诉的承办人可以复查并关闭整改"));
    }
    rect::allowed(&row.status, Action::Close)?;
    let by = AuditActor::of(actor);
    diesel::update(complaint_rectifications::table.find(id))
        .set((
            complaint_rectifications::status.eq(resolved.status().as_str()),
            complaint_rectifications::resolution_note.eq(&note),
            complaint_rectifications::closed_by.eq(actor.user_id),
            complaint_rectifications::closed_at.eq(now),
            complaint_rectifications::updated_at.eq(now),
        ))
        .execute(conn)?;
    let why = format!("投诉举报查实后整改不合格（整改事项 {id}）");
    rect::close(conn, now, &by, row.subject(), resolved, note.as_deref(), &why)?;
    audit_event(
        conn,
        now,
        &by,
        "complaint_rectification.closed",
        &row,
        serde_json::json!({"resolution": resolved.status().as_str(), "note": note}),
    )?;
    get(conn, actor, id, today)
}

/// Flags complaint rectifications past their due date `overdue`, once each (the scheduled job;
/// rows are claimed with SKIP LOCKED).
pub fn mark_overdue(conn: &mut PgConnection, now: DateTime<Utc>, today: NaiveDate) -> ApiResult<usize> {
    conn.transaction(|conn| {
        let due: Vec<RectificationRow> = complaint_rectifications::table
            .filter(complaint_rectifications::status.eq("rectification_ordered"))
            .filter(complaint_rectifications::rectification_due.lt(today))
            .filter(complaint_rectifications::overdue_flagged_at.is_null())
            .select(RectificationRow::as_select())
            .for_update()
            .skip_locked()
            .load(conn)?;
        for row in &due {
            rect::flag_overdue(conn, now, row.subject(), row.rectification_due)?;
            diesel::update(complaint_rectifications::table.find(row.id))
                .set(complaint_rectifications::overdue_flagged_at.eq(now))
                .execute(conn)?;
        }
        Ok(due.len())
    })
}

/// Versions an answer may name (the organization only).
pub fn response_versions(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<Vec<(Uuid, i32, DateTime<Utc>)>> {
    let row: RectificationRow = complaint_rectifications::table
        .find(id)
        .select(RectificationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
    if actor.organization_id != Some(row.organization_id) {
        return Err(not_found());
    }
    Ok(rect::versions_since(conn, row.declaration_id, Some(row.ordered_at))?)
}
