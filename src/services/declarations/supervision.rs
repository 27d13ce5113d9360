//! Supervision seen from a declaration: what keeps its organization from withdrawing it (an open
//! inspection, an active `rectification_ordered` or `overdue` flag), and the earlier records of the
//! same standard number by the same organization, with their end and their supervision history,
//! which a later declaration shows publicly.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::DeclarationRow;
use crate::db::schema::{campaigns, declaration_versions, declarations, flags, inspections};
use crate::domain::declaration::Status;
use crate::domain::supervision::{FlagCode, InspectionStatus};
use crate::error::{ApiError, ApiResult};
use crate::services::flags::FlagRecord;

/// Inspection states that are not over yet.
pub const OPEN_INSPECTION: [InspectionStatus; 3] =
    [InspectionStatus::Assigned, InspectionStatus::RectificationOrdered, InspectionStatus::Responded];

/// Refuses (409 `under_supervision`) while an inspection of the declaration is open or a
/// `rectification_ordered` / `overdue` flag on it is active; the message names the inspection or
/// the flag. A regulator can still close the inspection as not rectified, which abolishes it.
pub fn refuse_withdrawal_if_supervised(conn: &mut PgConnection, decl: Uuid) -> ApiResult<()> {
    let open: Option<(Uuid, InspectionStatus, String)> = inspections::table
        .inner_join(campaigns::table)
        .filter(inspections::declaration_id.eq(decl))
        .filter(inspections::status.eq_any(OPEN_INSPECTION))
        .order(inspections::created_at)
        .select((inspections::id, inspections::status, campaigns::name))
        .first(conn)
        .optional()?;
    if let Some((id, status, campaign)) = open {
        return Err(ApiError::conflict(
            "under_supervision",
            format!(
                "该声明正在接受监督检查，不能撤回：抽查任务“{campaign}”的检查（{id}）{}，检查结束后才能撤回",
                status.label()
            ),
        ));
    }
    let flag: Option<(Uuid, FlagCode, DateTime<Utc>)> = flags::table
        .filter(flags::declaration_id.eq(decl))
        .filter(flags::resolved_at.is_null())
        .filter(flags::code.eq_any([FlagCode::RectificationOrdered, FlagCode::Overdue]))
        .order(flags::raised_at)
        .select((flags::id, flags::code, flags::raised_at))
        .first(conn)
        .optional()?;
    if let Some((id, code, raised)) = flag {
        return Err(ApiError::conflict(
            "under_supervision",
            format!(
                "该声明有未解除的监管标记“{}”（{id}，{} 标记：{}），整改结束、标记解除后才能撤回",
                code.label(),
                crate::clock::china_date(raised),
                code.meaning()
            ),
        ));
    }
    Ok(())
}

/// An earlier public record of the same standard number by the same organization.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct EarlierRecord {
    pub id: Uuid,
    pub status: Status,
    pub standard_number: String,
    pub first_published_at: Option<DateTime<Utc>>,
    /// When and why it ended.
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    /// Its supervision history: every flag, active and resolved, oldest first.
    pub flags: Vec<FlagRecord>,
}

type EarlierRow = (Uuid, Status, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<String>);

/// Ended records (withdrawn or abolished) of the same organization and standard number, created
/// before this declaration, newest first.
pub fn earlier_records(conn: &mut PgConnection, decl: &DeclarationRow) -> QueryResult<Vec<EarlierRecord>> {
    let rows: Vec<EarlierRow> = declarations::table
        .inner_join(
            declaration_versions::table.on(declaration_versions::declaration_id
                .eq(declarations::id)
                .and(declarations::current_version.eq(declaration_versions::version.nullable()))),
        )
        .filter(declarations::organization_id.eq(decl.organization_id))
        .filter(declarations::standard_number.eq(&decl.standard_number))
        .filter(declarations::id.ne(decl.id))
        .filter(declarations::status.eq_any([Status::Withdrawn, Status::Abolished]))
        .filter(declarations::created_at.le(decl.created_at))
        .order(declarations::created_at.desc())
        .limit(20)
        .select((
            declarations::id,
            declarations::status,
            declarations::standard_number,
            declarations::first_published_at,
            declaration_versions::ended_at,
            declaration_versions::end_reason,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, status, standard_number, first_published_at, ended_at, end_reason)| {
            Ok(EarlierRecord {
                flags: crate::services::flags::records(conn, id)?,
                id,
                status,
                standard_number,
                first_published_at,
                ended_at,
                end_reason,
            })
        })
        .collect()
}
