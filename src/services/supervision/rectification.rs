//! The rectification rule, written once and used by inspections (`inspections`) and by complaints
//! concluded with an order to rectify (`complaints::rectification`): the due date (a date, or a
//! number of working days on the holiday calendar, 20 by default), the public flag that orders it,
//! the organization's answer (a statement, optionally a version published since the order), the
//! regulator's close (rectified resolves the flags; not rectified abolishes the declaration and
//! marks it `abolished_by_authority`), and the `overdue` flag when the due date passes unanswered.
//! The state machine is `domain::rectification`; the callers keep their own rows and rights.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::audit::AuditActor;
use crate::db::schema::declaration_versions;
use crate::domain::rectification::{self, Action, DEFAULT_WORKING_DAYS, MAX_WORKING_DAYS, Resolution, Status};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::flags::{self, FlagView, Source};
use crate::services::{calendar, declarations};
use crate::validate::Check;

/// What a rectification is about: the declaration and where the order came from.
#[derive(Clone, Copy, Debug)]
pub struct Subject {
    pub declaration_id: Uuid,
    pub source: Source,
}

/// How the due date is asked for: a date, or a number of working days (not both); neither means
/// [`DEFAULT_WORKING_DAYS`] working days.
#[derive(Clone, Copy, Debug, Default)]
pub struct DueInput {
    pub date: Option<NaiveDate>,
    pub working_days: Option<u32>,
}

/// Checks a due date as asked (`prefix` is the field path prefix, e.g. `""` or `"flag."`).
pub fn check_due(c: &mut Check, prefix: &str, due: DueInput, today: NaiveDate) {
    if due.date.is_some() && due.working_days.is_some() {
        c.err(format!("{prefix}rectification_working_days"), "整改期限只能给出日期或工作日数之一");
    }
    if let Some(d) = due.date
        && d <= today
    {
        c.err(format!("{prefix}rectification_due"), format!("整改期限 {d} 应晚于今天 {today}"));
    }
    if let Some(n) = due.working_days
        && !(1..=MAX_WORKING_DAYS).contains(&n)
    {
        c.err(format!("{prefix}rectification_working_days"), format!("整改期限应为 1-{MAX_WORKING_DAYS} 个工作日"));
    }
}

/// The due date: the date given, or the working days counted on the holiday calendar from the day
/// after `today` (开始的当日不计入).
pub fn due_date(conn: &mut PgConnection, today: NaiveDate, due: DueInput) -> QueryResult<NaiveDate> {
    if let Some(d) = due.date {
        return Ok(d);
    }
    let cal = calendar::load(conn)?;
    Ok(calendar::deadline(&cal, today, due.working_days.unwrap_or(DEFAULT_WORKING_DAYS), "rectification"))
}

/// Orders rectification publicly: raises `rectification_ordered` on the declaration, its note naming
/// the due date (and the requirement, when given).
pub fn order(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    subject: Subject,
    due: NaiveDate,
    requirement: Option<&str>,
) -> ApiResult<FlagView> {
    let note = match requirement {
        Some(r) => format!("{r}（整改期限：{due}）"),
        None => format!("整改期限：{due}"),
    };
    flags::raise(conn, now, by, subject.declaration_id, flags::RECTIFICATION_ORDERED, Some(&note), subject.source)
}

/// The organization's answer to a rectification order.
#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    /// What the organization did (2-2000 characters).
    pub statement: String,
    /// The id of a declaration version published after the order (the rectified declaration).
    pub new_version_id: Option<Uuid>,
}

/// Refuses an action the state does not allow (409 naming the state).
pub fn allowed(status: &str, action: Action) -> ApiResult<Status> {
    let s = Status::parse(status)
        .ok_or_else(|| ApiError::invalid_state(format!("当前状态（{status}）没有进行中的整改")))?;
    rectification::check(s, action).map_err(ApiError::invalid_state)?;
    Ok(s)
}

/// Checks an answer's statement (2-2000 characters), before anything is loaded.
pub fn check_statement(input: &ResponseInput) -> ApiResult<String> {
    let mut c = Check::new();
    let statement = c.text("statement", &input.statement, 2, 2000);
    c.finish()?;
    Ok(statement)
}

/// Checks that a version named by an answer belongs to the declaration and was published on or
/// after the order.
pub fn check_version(
    conn: &mut PgConnection,
    subject: Subject,
    ordered_at: Option<DateTime<Utc>>,
    input: &ResponseInput,
) -> ApiResult<()> {
    let Some(v) = input.new_version_id else { return Ok(()) };
    let version: Option<(Uuid, Option<DateTime<Utc>>)> = declaration_versions::table
        .find(v)
        .select((declaration_versions::declaration_id, declaration_versions::published_at))
        .first(conn)
        .optional()?;
    let ok = matches!(version, Some((d, Some(p))) if d == subject.declaration_id && ordered_at.is_none_or(|o| p >= o));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError::new("new_version_id", "应为本声明在责令整改之后发布的版本")]))
    }
}

/// Versions of the declaration published since the order, which an answer may name: (version id,
/// version number, published at), newest first.
pub fn versions_since(
    conn: &mut PgConnection,
    declaration: Uuid,
    since: Option<DateTime<Utc>>,
) -> QueryResult<Vec<(Uuid, i32, DateTime<Utc>)>> {
    let Some(since) = since else { return Ok(Vec::new()) };
    let rows: Vec<(Uuid, i32, Option<DateTime<Utc>>)> = declaration_versions::table
        .filter(declaration_versions::declaration_id.eq(declaration))
        .filter(declaration_versions::published_at.ge(since))
        .order(declaration_versions::version.desc())
        .select((declaration_versions::id, declaration_versions::version, declaration_versions::published_at))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, v, p)| p.map(|p| (id, v, p))).collect())
}

/// Checks the resolution asked for (`rectified` or `not_rectified`).
pub fn parse_resolution(raw: &str) -> ApiResult<Resolution> {
    Resolution::parse(raw)
        .ok_or_else(|| ApiError::field("resolution", "应为 rectified（已整改）或 not_rectified（整改不合格）"))
}

/// What closing does to the declaration: `rectified` resolves the order's flags; `not_rectified`
/// resolves them, abolishes the declaration (`why` is the abolition's reason) and marks it
/// `abolished_by_authority` with the regulator's note.
pub fn close(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    subject: Subject,
    resolution: Resolution,
    note: Option<&str>,
    why: &str,
) -> ApiResult<()> {
    let codes = [flags::RECTIFICATION_ORDERED, flags::OVERDUE];
    match resolution {
        Resolution::Rectified => {
            flags::resolve_for_source(conn, now, by, subject.source, &codes, "已整改")?;
        }
        Resolution::NotRectified => {
            flags::resolve_for_source(conn, now, by, subject.source, &codes, "整改不合格，声明已废止")?;
            declarations::lifecycle::abolish(conn, now, by, subject.declaration_id, why)?;
            flags::raise(conn, now, by, subject.declaration_id, flags::ABOLISHED_BY_AUTHORITY, note, subject.source)?;
        }
    }
    Ok(())
}

/// Marks a rectification past its due date `overdue` on the declaration (the scheduled job).
pub fn flag_overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    subject: Subject,
    due: NaiveDate,
) -> ApiResult<FlagView> {
    let note = format!("整改期限 {due} 已过");
    flags::raise(conn, now, &AuditActor::system(), subject.declaration_id, flags::OVERDUE, Some(&note), subject.source)
}

/// Whether an open rectification is past its due date (due dates are inclusive).
pub fn is_overdue(status: &str, due: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == Status::RectificationOrdered.as_str() && due.is_some_and(|d| d < today)
}
