//! The regulators' workflow: accept or reject, assign, extend once, conclude (optionally flagging
//! the declaration), route the unroutable (sysadmins), and reveal the complainant to the assignee.
//! Each function locks the complaint, checks who may act and the state machine, writes, appends an
//! update and an audit event, all in the caller's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::{ComplaintRow, ComplaintView, complainant, load_for, view};
use crate::audit::{self, AuditActor, NewEvent};
use crate::config::ComplaintKeys;
use crate::db::schema::{complaint_updates, complaints, users};
use crate::domain::actor::{Actor, Role};
use crate::domain::codes;
use crate::domain::complaint::{self, Action, Outcome, Status};
use crate::error::{ApiError, ApiResult};
use crate::services::supervision::rectification::DueInput;
use crate::services::{calendar, flags};

/// One workflow step's update row and audit event.
struct Step<'a> {
    event: &'a str,
    status: Status,
    public_reply: Option<&'a str>,
    note: Option<&'a str>,
    summary: serde_json::Value,
}

fn record(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    c: &ComplaintRow,
    step: Step<'_>,
) -> ApiResult<()> {
    diesel::insert_into(complaint_updates::table)
        .values((
            complaint_updates::complaint_id.eq(c.id),
            complaint_updates::at.eq(now),
            complaint_updates::event.eq(step.event),
            complaint_updates::status.eq(step.status.as_str()),
            complaint_updates::public_reply.eq(step.public_reply),
            complaint_updates::note.eq(step.note),
            complaint_updates::actor_id.eq(actor.user_id),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: &format!("complaint.{}", step.event),
            entity_type: "complaint",
            entity_id: c.id.to_string(),
            division_code: c.division_code.clone(),
            summary: step.summary,
        },
    )?;
    Ok(())
}

fn allowed(c: &ComplaintRow, action: Action) -> ApiResult<()> {
    complaint::check(c.status(), c.extended_at.is_some(), action).map_err(|r| ApiError::invalid_state(r.0))
}

fn regulator_only(actor: &Actor) -> ApiResult<()> {
    if actor.role == Role::Regulator { Ok(()) } else { Err(ApiError::forbidden("仅限监管人员")) }
}

fn reread(conn: &mut PgConnection, actor: &Actor, id: Uuid, today: NaiveDate) -> ApiResult<ComplaintView> {
    let c = load_for(conn, actor, id, false)?;
    view(conn, c, today, true)
}

/// Accepts (受理): the conclusion deadline starts from today.
pub fn accept(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    note: Option<&str>,
) -> ApiResult<ComplaintView> {
    regulator_only(actor)?;
    let c = load_for(conn, actor, id, true)?;
    allowed(&c, Action::Accept)?;
    let cal = calendar::load(conn)?;
    let due = complaint::conclusion_due(&cal, today, false);
    calendar::warn_uncovered(&cal, today, due, "complaint conclusion");
    diesel::update(complaints::table.find(id))
        .set((
            complaints::status.eq(Status::Accepted.as_str()),
            complaints::accepted_at.eq(now),
            complaints::accepted_on.eq(today),
            complaints::conclusion_due.eq(due),
            complaints::updated_at.eq(now),
        ))
        .execute(conn)?;
    let late = today > c.acceptance_due;
    let summary = serde_json::json!({"conclusion_due": due, "acceptance_due": c.acceptance_due, "late": late});
    record(
        conn,
        now,
        actor,
        &c,
        Step { event: "accepted", status: Status::Accepted, public_reply: None, note, summary },
    )?;
    reread(conn, actor, id, today)
}

/// Rejects (不予受理) with a reason the complainant sees.
pub fn reject(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> ApiResult<ComplaintView> {
    regulator_only(actor)?;
    let c = load_for(conn, actor, id, true)?;
    allowed(&c, Action::Reject)?;
    diesel::update(complaints::table.find(id))
        .set((
            complaints::status.eq(Status::Rejected.as_str()),
            complaints::rejected_at.eq(now),
            complaints::rejection_reason.eq(reason),
            complaints::updated_at.eq(now),
        ))
        .execute(conn)?;
    let summary = serde_json::json!({"reason": reason, "late": today > c.acceptance_due});
    let step = Step { event: "rejected", status: Status::Rejected, public_reply: Some(reason), note: None, summary };
    record(conn, now, actor, &c, step)?;
    reread(conn, actor, id, today)
}

/// Whether the actor may take a complaint away from its current assignee: the assignee, or a
/// supervisor of theirs (a jurisdiction that strictly contains the assignee's). When the assignee
/// is no longer an active regulator, any regulator who handles the complaint may.
pub fn may_reassign(conn: &mut PgConnection, actor: &Actor, current: Uuid) -> QueryResult<bool> {
    if actor.user_id == current {
        return Ok(true);
    }
    let held: Option<(String, bool, Option<String>)> =
        users::table.find(current).select((users::role, users::active, users::jurisdiction)).first(conn).optional()?;
    Ok(match (held, actor.jurisdiction.as_deref()) {
        (Some((role, true, Some(theirs))), Some(mine)) if role == Role::Regulator.as_str() => {
            codes::in_jurisdiction(mine, &theirs) && codes::division_prefix(mine) != codes::division_prefix(&theirs)
        }
        (Some((role, true, Some(_))), _) if role == Role::Regulator.as_str() => false,
        _ => true,
    })
}

/// Assigns the complaint to a regulator whose jurisdiction covers its division. Reassigning an
/// assigned complaint is for [`may_reassign`] only, and needs a reason (history and audit), so a
/// regulator cannot take over a colleague's complaint to reveal its complainant.
pub fn assign(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    assignee: Uuid,
    reason: Option<&str>,
) -> ApiResult<ComplaintView> {
    regulator_only(actor)?;
    let c = load_for(conn, actor, id, true)?;
    allowed(&c, Action::Assign)?;
    if let Some(current) = c.assignee_id {
        if !may_reassign(conn, actor, current)? {
            return Err(ApiError::forbidden("只有当前承办人或其上级监管部门可以改派"));
        }
        if reason.is_none() {
            return Err(ApiError::field("reason", "改派须说明理由（2 到 1000 个字符）"));
        }
    }
    let division = c.division_code.clone().unwrap_or_default();
    let who: Option<(String, bool, Option<String>)> =
        users::table.find(assignee).select((users::role, users::active, users::jurisdiction)).first(conn).optional()?;
    let covers = matches!(&who, Some((role, true, Some(j))) if role == Role::Regulator.as_str() && codes::in_jurisdiction(j, &division));
    if !covers {
        return Err(ApiError::field("assignee_id", "承办人须为辖区覆盖该投诉的在职监管人员"));
    }
    diesel::update(complaints::table.find(id))
        .set((
            complaints::status.eq(Status::Assigned.as_str()),
            complaints::assignee_id.eq(assignee),
            complaints::assigned_at.eq(now),
            complaints::updated_at.eq(now),
        ))
        .execute(conn)?;
    let summary = serde_json::json!({"assignee_id": assignee, "previous_assignee_id": c.assignee_id, "reason": reason});
    record(
        conn,
        now,
        actor,
        &c,
        Step { event: "assigned", status: Status::Assigned, public_reply: None, note: reason, summary },
    )?;
    reread(conn, actor, id, today)
}

/// Extends the conclusion deadline once, to 30 working days after acceptance, before it has passed.
pub fn extend(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> ApiResult<ComplaintView> {
    regulator_only(actor)?;
    let c = load_for(conn, actor, id, true)?;
    allowed(&c, Action::Extend)?;
    let (Some(accepted_on), Some(old_due)) = (c.accepted_on, c.conclusion_due) else {
        return Err(ApiError::invalid_state("投诉尚未受理，不能延长办理期限"));
    };
    if today > old_due {
        return Err(ApiError::invalid_state(format!("办理期限已于 {old_due} 届满，不能再延长")));
    }
    let cal = calendar::load(conn)?;
    let due = complaint::conclusion_due(&cal, accepted_on, true);
    calendar::warn_uncovered(&cal, accepted_on, due, "complaint conclusion (extended)");
    diesel::update(complaints::table.find(id))
        .set((
            complaints::conclusion_due.eq(due),
            complaints::extended_at.eq(now),
            complaints::extension_reason.eq(reason),
            complaints::updated_at.eq(now),
        ))
        .execute(conn)?;
    let summary = serde_json::json!({"reason": reason, "previous_due": old_due, "conclusion_due": due});
    let step = Step { event: "extended", status: c.status(), public_reply: None, note: Some(reason), summary };
    record(conn, now, actor, &c, step)?;
    reread(conn, actor, id, today)
}

/// A flag to raise on the declaration when concluding.
pub struct ConclusionFlag {
    pub code: String,
    /// For `rectification_ordered`: what the organization must put right (required).
    pub note: Option<String>,
    /// For `rectification_ordered`: the due date, as a date or in working days (default 20).
    pub due: DueInput,
}

/// How a complaint ends.
pub struct Conclusion {
    pub outcome: Outcome,
    /// What the complainant reads.
    pub public_reply: String,
    pub flag: Option<ConclusionFlag>,
}

/// Concludes (办结): the assignee only, with an outcome and the reply the complainant sees;
/// optionally raises a supervision flag on the declaration with the complaint as its source.
pub fn conclude(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    conclusion: Conclusion,
) -> ApiResult<ComplaintView> {
    let Conclusion { outcome, public_reply, flag } = conclusion;
    let public_reply = public_reply.as_str();
    regulator_only(actor)?;
    let c = load_for(conn, actor, id, true)?;
    allowed(&c, Action::Conclude)?;
    if c.assignee_id != Some(actor.user_id) {
        return Err(ApiError::forbidden("只有该投诉的承办人可以办结"));
    }
    let raised = match flag {
        Some(f) => {
            let decl =
                c.declaration_id.ok_or_else(|| ApiError::field("flag", "该投诉没有关联到已公开的声明，不能标记"))?;
            if f.code == flags::RECTIFICATION_ORDERED {
                let requirement = f.note.as_deref().unwrap_or_default();
                let order = super::rectification::Order { declaration: decl, requirement, due: f.due };
                Some(super::rectification::order(conn, now, today, actor, &c, order)?)
            } else {
                let source = flags::Source { complaint_id: Some(id), ..flags::Source::default() };
                Some(flags::raise(conn, now, &AuditActor::of(actor), decl, &f.code, f.note.as_deref(), source)?)
            }
        }
        None => None,
    };
    diesel::update(complaints::table.find(id))
        .set((
            complaints::status.eq(Status::Concluded.as_str()),
            complaints::concluded_at.eq(now),
            complaints::outcome.eq(outcome.as_str()),
            complaints::public_reply.eq(public_reply),
            complaints::updated_at.eq(now),
        ))
        .execute(conn)?;
    let late = c.conclusion_due.is_some_and(|d| today > d);
    let summary = serde_json::json!({
        "outcome": outcome.as_str(), "public_reply": public_reply, "late": late,
        "flag_id": raised.as_ref().map(|f| f.id), "flag_code": raised.as_ref().map(|f| f.code.clone()),
    });
    let step =
        Step { event: "concluded", status: Status::Concluded, public_reply: Some(public_reply), note: None, summary };
    record(conn, now, actor, &c, step)?;
    reread(conn, actor, id, today)
}

/// Routes a complaint from the sysadmins' queue to a division's regulators.
pub fn route(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    id: Uuid,
    division: &str,
) -> ApiResult<ComplaintView> {
    if actor.role != Role::Sysadmin {
        return Err(ApiError::forbidden("仅限系统管理员"));
    }
    let c = load_for(conn, actor, id, true)?;
    if c.status() != Status::Received {
        return Err(ApiError::invalid_state("只有尚未受理的投诉可以分派辖区"));
    }
    if let Some(problem) = crate::reference::division_problem(conn, division)? {
        return Err(ApiError::field("division_code", problem));
    }
    diesel::update(complaints::table.find(id))
        .set((complaints::division_code.eq(division), complaints::updated_at.eq(now)))
        .execute(conn)?;
    let mut routed = c.clone();
    routed.division_code = Some(division.to_string());
    let summary = serde_json::json!({"division_code": division});
    record(
        conn,
        now,
        actor,
        &routed,
        Step { event: "routed", status: Status::Received, public_reply: None, note: None, summary },
    )?;
    view(conn, routed, today, false)
}

/// The complainant's identity, for the assigned regulator.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ComplainantView {
    pub anonymous: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Reveals the complainant to the assigned regulator; every reveal is audited (which fields, never
/// the values).
pub fn reveal(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    keys: &ComplaintKeys,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<ComplainantView> {
    regulator_only(actor)?;
    let c = load_for(conn, actor, id, false)?;
    if !matches!(c.status(), Status::Assigned | Status::Concluded) || c.assignee_id != Some(actor.user_id) {
        return Err(ApiError::forbidden("只有该投诉的承办人可以查看投诉人信息"));
    }
    let view = match complainant::open(conn, keys, id) {
        Ok(None) => ComplainantView { anonymous: true, name: None, phone: None, email: None },
        Ok(Some(p)) => ComplainantView { anonymous: false, name: Some(p.name), phone: p.phone, email: p.email },
        Err(complainant::RevealError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let fields: Vec<&str> = [("name", &view.name), ("phone", &view.phone), ("email", &view.email)]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k)
        .collect();
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action: "complaint.complainant_revealed",
            entity_type: "complaint",
            entity_id: id.to_string(),
            division_code: c.division_code.clone(),
            summary: serde_json::json!({"fields": fields, "anonymous": view.anonymous}),
        },
    )?;
    Ok(view)
}

// ---------------------------------------------------------------- edge checks shared by API and console

/// An acceptance note (optional, at most 2000 characters; internal).
pub fn check_note(note: Option<&str>) -> ApiResult<Option<String>> {
    let mut c = crate::validate::Check::new();
    let note = c.opt_text("note", note, 2000);
    c.finish()?;
    Ok(note)
}

/// The reason of a rejection (public) or an extension (internal): 2 to 1000 characters.
pub fn check_reason(reason: &str) -> ApiResult<String> {
    let mut c = crate::validate::Check::new();
    let reason = c.text("reason", reason, 2, 1000);
    c.finish()?;
    Ok(reason)
}

/// A conclusion as asked: the reply 2 to 2000 characters; a flag only `under_check` or
/// `rectification_ordered`, its note at most 500 characters. Ordering rectification needs the
/// requirement (the note) and takes a due date (a date after `today`, or 1-120 working days).
pub fn check_conclusion(
    outcome: Outcome,
    public_reply: &str,
    flag: Option<ConclusionFlag>,
    today: NaiveDate,
) -> ApiResult<Conclusion> {
    let mut c = crate::validate::Check::new();
    let public_reply = c.text("public_reply", public_reply, 2, 2000);
    let flag = flag.map(|f| {
        let ordered = f.code == flags::RECTIFICATION_ORDERED;
        if !matches!(f.code.as_str(), flags::UNDER_CHECK | flags::RECTIFICATION_ORDERED) {
            c.err("flag.code", "投诉办结时的标记只能是 under_check 或 rectification_ordered");
        }
        let note = c.opt_text("flag.note", f.note.as_deref(), 500);
        if ordered && note.is_none() && !c.has("flag.note") {
            c.err("flag.note", "责令整改须写明整改要求（声明单位和公众都能看到）");
        }
        if ordered {
            crate::services::supervision::rectification::check_due(&mut c, "flag.", f.due, today);
        } else if f.due.date.is_some() || f.due.working_days.is_some() {
            c.err("flag.rectification_due", "只有责令整改（rectification_ordered）需要整改期限");
        }
        ConclusionFlag { code: f.code, note, due: f.due }
    });
    c.finish()?;
    Ok(Conclusion { outcome, public_reply, flag })
}
