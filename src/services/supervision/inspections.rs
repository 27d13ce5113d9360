//! Inspections: results with findings by the assigned inspector, the organization's response, the
//! inspector's closing (rectified, or not rectified and the declaration abolished), listings, and the
//! overdue job.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rectification::{self as rect, DueInput, Subject};
use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{campaigns, declarations, inspections, organizations};
use crate::domain::actor::{Actor, Role};
use crate::domain::rectification::Action;
use crate::domain::supervision::{FindingCategory, FindingCode, FlagCode, Grade, InspectionStatus};
use crate::error::{ApiError, ApiResult};
use crate::services::flags;
use crate::validate::Check;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub declaration_id: Uuid,
    pub declaration_version: i32,
    pub organization_id: Uuid,
    pub division_code: String,
    pub inspector_id: Uuid,
    pub draw_position: i32,
    pub status: InspectionStatus,
    pub grade: Option<Grade>,
    pub findings: serde_json::Value,
    pub result_at: Option<DateTime<Utc>>,
    pub rectification_due: Option<NaiveDate>,
    pub response_statement: Option<String>,
    pub response_version_id: Option<Uuid>,
    pub responded_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub overdue_flagged_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct InspectionView {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub campaign_name: String,
    pub declaration_id: Uuid,
    pub declaration_version: i32,
    pub standard_number: String,
    pub standard_title: String,
    pub organization_name: String,
    pub uscc: String,
    pub division_code: String,
    pub inspector_id: Uuid,
    /// Closed without a result: `not_inspected` (the reason in `resolution_note`).
    pub status: InspectionStatus,
    /// The campaign's due date for results.
    pub campaign_due_date: NaiveDate,
    /// Still without a result after the campaign's due date.
    pub result_overdue: bool,
    pub grade: Option<Grade>,
    #[schema(value_type = Vec<Object>)]
    pub findings: serde_json::Value,
    pub result_at: Option<DateTime<Utc>>,
    pub rectification_due: Option<NaiveDate>,
    /// Rectification past its due date without an answer.
    pub overdue: bool,
    pub response_statement: Option<String>,
    pub response_version_id: Option<Uuid>,
    pub responded_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

type Extra = (String, NaiveDate, String, String, String, String);

fn view(row: InspectionRow, extra: Extra, today: NaiveDate) -> InspectionView {
    let (campaign_name, campaign_due_date, standard_number, standard_title, organization_name, uscc) = extra;
    InspectionView {
        overdue: row.status == InspectionStatus::RectificationOrdered
            && row.rectification_due.is_some_and(|d| d < today),
        result_overdue: row.status == InspectionStatus::Assigned && campaign_due_date < today,
        campaign_due_date,
        id: row.id,
        campaign_id: row.campaign_id,
        campaign_name,
        declaration_id: row.declaration_id,
        declaration_version: row.declaration_version,
        standard_number,
        standard_title,
        organization_name,
        uscc,
        division_code: row.division_code,
        inspector_id: row.inspector_id,
        status: row.status,
        grade: row.grade,
        findings: row.findings,
        result_at: row.result_at,
        rectification_due: row.rectification_due,
        response_statement: row.response_statement,
        response_version_id: row.response_version_id,
        responded_at: row.responded_at,
        resolution_note: row.resolution_note,
        closed_at: row.closed_at,
    }
}

type Joined = (InspectionRow, Extra);

fn load_views(rows: Vec<Joined>, today: NaiveDate) -> Vec<InspectionView> {
    rows.into_iter().map(|(r, extra)| view(r, extra, today)).collect()
}

macro_rules! select_view {
    () => {
        (
            InspectionRow::as_select(),
            (
                campaigns::name,
                campaigns::due_date,
                declarations::standard_number,
                declarations::standard_title,
                organizations::name,
                organizations::uscc,
            ),
        )
    };
}

pub fn list_for_campaign(
    conn: &mut PgConnection,
    campaign: Uuid,
    today: NaiveDate,
) -> QueryResult<Vec<InspectionView>> {
    let rows: Vec<Joined> = inspections::table
        .inner_join(campaigns::table)
        .inner_join(declarations::table)
        .inner_join(organizations::table.on(organizations::id.eq(inspections::organization_id)))
        .filter(inspections::campaign_id.eq(campaign))
        .order(inspections::draw_position)
        .select(select_view!())
        .load(conn)?;
    Ok(load_views(rows, today))
}

/// Filters of `GET /inspections`.
#[derive(Default, Clone, Debug)]
pub struct ListFilter {
    pub assignee_me: bool,
    pub status: Option<InspectionStatus>,
    pub overdue: bool,
    /// Still without a result after the campaign's due date.
    pub result_overdue: bool,
    pub campaign_id: Option<Uuid>,
}

/// Inspections the actor may see: an inspector's own (`assignee=me`) or the jurisdiction's for a
/// regulator; an organization's own.
pub fn list(
    conn: &mut PgConnection,
    actor: &Actor,
    f: &ListFilter,
    today: NaiveDate,
) -> ApiResult<Vec<InspectionView>> {
    let mut q = inspections::table
        .inner_join(campaigns::table)
        .inner_join(declarations::table)
        .inner_join(organizations::table.on(organizations::id.eq(inspections::organization_id)))
        .into_boxed();
    q = match actor.role {
        Role::Regulator if f.assignee_me => q.filter(inspections::inspector_id.eq(actor.user_id)),
        Role::Regulator => {
            q.filter(inspections::division_code.like(format!("{}%", actor.jurisdiction_prefix().unwrap_or("-"))))
        }
        Role::Sysadmin => q,
        Role::OrgAdmin | Role::OrgMember => q.filter(inspections::organization_id.eq(actor.org_id()?)),
        Role::Partner => return Err(ApiError::forbidden("合作方账号不能查看检查")),
    };
    if let Some(s) = f.status {
        q = q.filter(inspections::status.eq(s));
    }
    if f.overdue {
        q = q
            .filter(inspections::status.eq(InspectionStatus::RectificationOrdered))
            .filter(inspections::rectification_due.lt(today));
    }
    if f.result_overdue {
        q = q.filter(inspections::status.eq(InspectionStatus::Assigned)).filter(campaigns::due_date.lt(today));
    }
    if let Some(c) = f.campaign_id {
        q = q.filter(inspections::campaign_id.eq(c));
    }
    let rows: Vec<Joined> = q.order(inspections::created_at.desc()).limit(1000).select(select_view!()).load(conn)?;
    Ok(load_views(rows, today))
}

fn lock(conn: &mut PgConnection, id: Uuid) -> ApiResult<InspectionRow> {
    inspections::table
        .find(id)
        .select(InspectionRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("检查"))
}

/// The inspection as a rectification's subject: its declaration, with the campaign and the
/// inspection as the flags' source.
fn subject(row: &InspectionRow) -> Subject {
    Subject {
        declaration_id: row.declaration_id,
        source: flags::Source { campaign_id: Some(row.campaign_id), inspection_id: Some(row.id), complaint_id: None },
    }
}

/// Who may read an inspection: its inspector, regulators covering the declaration, its organization.
fn visible(actor: &Actor, row: &InspectionRow) -> ApiResult<()> {
    match actor.role {
        Role::OrgAdmin | Role::OrgMember if actor.organization_id == Some(row.organization_id) => Ok(()),
        Role::OrgAdmin | Role::OrgMember => Err(ApiError::not_found("检查")),
        _ if actor.user_id == row.inspector_id || actor.covers(&row.division_code) => Ok(()),
        _ => Err(ApiError::forbidden("该检查不在您的辖区内")),
    }
}

pub fn get(conn: &mut PgConnection, actor: &Actor, id: Uuid, today: NaiveDate) -> ApiResult<InspectionView> {
    let (row, extra): Joined = inspections::table
        .inner_join(campaigns::table)
        .inner_join(declarations::table)
        .inner_join(organizations::table.on(organizations::id.eq(inspections::organization_id)))
        .filter(inspections::id.eq(id))
        .select(select_view!())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("检查"))?;
    visible(actor, &row)?;
    Ok(view(row, extra, today))
}

fn audit_inspection(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    action: &str,
    row: &InspectionRow,
    summary: serde_json::Value,
) -> QueryResult<i64> {
    audit::append(
        conn,
        now,
        NewEvent {
            actor: by,
            action,
            entity_type: "inspection",
            entity_id: row.id.to_string(),
            division_code: Some(row.division_code.clone()),
            summary,
        },
    )
}

fn require_inspector(actor: &Actor, row: &InspectionRow) -> ApiResult<()> {
    if actor.role == Role::Regulator && actor.user_id == row.inspector_id {
        return Ok(());
    }
    if actor.role == Role::Regulator && actor.covers(&row.division_code) {
        return Err(ApiError::forbidden("这项检查分配给了另一名检查人员，只有被分配的检查人员可以录入"));
    }
    Err(ApiError::forbidden("只有被分配的检查人员可以操作这项检查"))
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// `below_mandatory`, `indicators_not_public`, `numbering_invalid`, `cites_abolished_standard`,
    /// `drafting_nonconformant`, `info_inconsistent`, `other`
    pub code: String,
    /// `legality` (合法性) or `normativity` (规范性)
    pub category: String,
    pub description: String,
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    /// `compliant`, `compliant_with_defects`, `non_compliant`
    pub grade: String,
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// When rectification is due (a date after today); default: 20 working days after the result.
    pub rectification_due: Option<NaiveDate>,
    /// Or: rectification is due this many working days after the result (1-120, counted on the
    /// holiday calendar).
    #[serde(default)]
    pub rectification_working_days: Option<u32>,
}

/// Records the result (the assigned inspector, once). Defects or non-compliance order rectification.
pub fn record_result(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    input: &ResultInput,
) -> ApiResult<InspectionView> {
    let mut c = Check::new();
    let grade = Grade::parse(&input.grade);
    if grade.is_none() {
        c.err("grade", "应为 compliant、compliant_with_defects 或 non_compliant");
    }
    let mut findings = Vec::new();
    for (i, f) in input.findings.iter().enumerate() {
        let label = FindingCode::parse(&f.code).map(FindingCode::label);
        if label.is_none() {
            c.err(format!("findings[{i}].code"), "不是检查清单中的问题代码");
        }
        if FindingCategory::parse(&f.category).is_none() {
            c.err(format!("findings[{i}].category"), "应为 legality（合法性）或 normativity（规范性）");
        }
        let description = c.text(&format!("findings[{i}].description"), &f.description, 2, 1000);
        findings.push(
            serde_json::json!({"code": f.code, "label": label, "category": f.category, "description": description}),
        );
    }
    if input.findings.len() > 50 {
        c.err("findings", "最多 50 项");
    }
    let orders = grade != Some(Grade::Compliant);
    if orders && input.findings.is_empty() {
        c.err("findings", "符合但存在瑕疵或不符合时，须列出发现的问题");
    }
    let due_input = DueInput { date: input.rectification_due, working_days: input.rectification_working_days };
    if !orders && input.rectification_due.is_some() {
        c.err("rectification_due", "检查合格时不需要整改期限");
    } else if !orders && input.rectification_working_days.is_some() {
        c.err("rectification_working_days", "检查合格时不需要整改期限");
    } else {
        rect::check_due(&mut c, "", due_input, today);
    }
    c.finish()?;
    let row = lock(conn, id)?;
    require_inspector(actor, &row)?;
    if row.status != InspectionStatus::Assigned {
        return Err(ApiError::invalid_state(format!("检查结果已录入（当前状态：{}）", row.status.label())));
    }
    let by = AuditActor::of(actor);
    let (status, due) = if orders {
        (InspectionStatus::RectificationOrdered, Some(rect::due_date(conn, today, due_input)?))
    } else {
        (InspectionStatus::Compliant, None)
    };
    let findings = serde_json::Value::Array(findings);
    diesel::update(inspections::table.find(id))
        .set((
            inspections::status.eq(status),
            inspections::grade.eq(grade),
            inspections::findings.eq(&findings),
            inspections::result_at.eq(now),
            inspections::rectification_due.eq(due),
            inspections::closed_at.eq((!orders).then_some(now)),
            inspections::updated_at.eq(now),
        ))
        .execute(conn)?;
    let resolution = if orders { "检查发现问题，已责令整改" } else { "检查合格" };
    flags::resolve_for_inspection(conn, now, &by, id, &[FlagCode::UnderCheck], resolution)?;
    if let Some(due) = due {
        rect::order(conn, now, &by, subject(&row), due, None)?;
    }
    audit_inspection(
        conn,
        now,
        &by,
        "inspection.result",
        &row,
        serde_json::json!({"grade": input.grade, "findings": findings, "rectification_due": due}),
    )?;
    get(conn, actor, id, today)
}

pub use super::rectification::ResponseInput;

/// The organization answers a rectification order.
pub fn respond(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    input: &ResponseInput,
) -> ApiResult<InspectionView> {
    let statement = rect::check_statement(input)?;
    let row = lock(conn, id)?;
    if actor.organization_id != Some(row.organization_id) {
        return Err(ApiError::not_found("检查"));
    }
    rect::allowed(row.status, Action::Respond)?;
    rect::check_version(conn, subject(&row), row.result_at, input)?;
    diesel::update(inspections::table.find(id))
        .set((
            inspections::status.eq(InspectionStatus::Responded),
            inspections::response_statement.eq(&statement),
            inspections::response_version_id.eq(input.new_version_id),
            inspections::responded_at.eq(now),
            inspections::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit_inspection(
        conn,
        now,
        &AuditActor::of(actor),
        "inspection.responded",
        &row,
        serde_json::json!({"statement": statement, "new_version_id": input.new_version_id}),
    )?;
    get(conn, actor, id, today)
}

/// The inspector closes a rectification: `rectified` resolves the flags; `not_rectified` abolishes
/// the declaration and marks it `abolished_by_authority`.
pub fn close(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    resolution: &str,
    note: Option<&str>,
) -> ApiResult<InspectionView> {
    let resolved = rect::parse_resolution(resolution)?;
    let row = lock(conn, id)?;
    require_inspector(actor, &row)?;
    rect::allowed(row.status, Action::Close)?;
    let by = AuditActor::of(actor);
    diesel::update(inspections::table.find(id))
        .set((
            inspections::status.eq(resolved.status().inspection_status()),
            inspections::resolution_note.eq(note),
            inspections::closed_at.eq(now),
            inspections::updated_at.eq(now),
        ))
        .execute(conn)?;
    rect::close(conn, now, &by, subject(&row), resolved, note, &format!("抽查整改不合格（检查 {id}）"))?;
    audit_inspection(
        conn,
        now,
        &by,
        "inspection.closed",
        &row,
        serde_json::json!({"resolution": resolution, "note": note}),
    )?;
    get(conn, actor, id, today)
}

/// Closes an inspection that could not be carried out (the organization closed down, the product
/// is no longer made ...), with a reason: its inspector, or a regulator whose jurisdiction covers
/// the campaign's scope. Only while it has no result; the `under_check` flag ends with the reason.
pub fn mark_not_inspected(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> ApiResult<InspectionView> {
    let mut c = Check::new();
    let reason = c.text("reason", reason, 2, 1000);
    c.finish()?;
    let row = lock(conn, id)?;
    let scope: String = campaigns::table.find(row.campaign_id).select(campaigns::scope_division).first(conn)?;
    let covers_scope = actor.jurisdiction_prefix().is_some_and(|p| scope.starts_with(p));
    let allowed = actor.role == Role::Regulator && (actor.user_id == row.inspector_id || covers_scope);
    if !allowed {
        return Err(ApiError::forbidden("只有该检查的检查人员或负责该抽查任务的监管人员可以标记未检查"));
    }
    if row.status != InspectionStatus::Assigned {
        return Err(ApiError::invalid_state(format!(
            "只有尚未录入结果的检查可以标记为未检查（当前状态：{}）",
            row.status.label()
        )));
    }
    let by = AuditActor::of(actor);
    diesel::update(inspections::table.find(id))
        .set((
            inspections::status.eq(InspectionStatus::NotInspected),
            inspections::resolution_note.eq(&reason),
            inspections::closed_at.eq(now),
            inspections::updated_at.eq(now),
        ))
        .execute(conn)?;
    flags::resolve_for_inspection(conn, now, &by, id, &[FlagCode::UnderCheck], &format!("未检查：{reason}"))?;
    audit_inspection(conn, now, &by, "inspection.not_inspected", &row, serde_json::json!({"reason": reason}))?;
    get(conn, actor, id, today)
}

/// Flags rectifications past their due date as `overdue`, once each. Safe with several instances
/// (rows are claimed with SKIP LOCKED and marked).
pub fn mark_overdue(conn: &mut PgConnection, now: DateTime<Utc>, today: NaiveDate) -> ApiResult<usize> {
    conn.transaction(|conn| {
        let due: Vec<InspectionRow> = inspections::table
            .filter(inspections::status.eq(InspectionStatus::RectificationOrdered))
            .filter(inspections::rectification_due.lt(today))
            .filter(inspections::overdue_flagged_at.is_null())
            .select(InspectionRow::as_select())
            .for_update()
            .skip_locked()
            .load(conn)?;
        for row in &due {
            rect::flag_overdue(conn, now, subject(row), row.rectification_due.unwrap_or(today))?;
            diesel::update(inspections::table.find(row.id))
                .set(inspections::overdue_flagged_at.eq(now))
                .execute(conn)?;
        }
        Ok(due.len())
    })
}

/// Versions of the inspected declaration published since the result, which an answer may name as
/// the rectified declaration: (version id, version number, published at). The organization only.
pub fn response_versions(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<Vec<(Uuid, i32, DateTime<Utc>)>> {
    let row: InspectionRow = inspections::table
        .find(id)
        .select(InspectionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("检查"))?;
    if actor.organization_id != Some(row.organization_id) {
        return Err(ApiError::not_found("检查"));
    }
    Ok(rect::versions_since(conn, row.declaration_id, row.result_at)?)
}
