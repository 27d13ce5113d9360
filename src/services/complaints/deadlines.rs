//! Re-counting running complaint deadlines when a year's holiday notice is loaded: a deadline that
//! reached into a year the table did not cover was counted by weekends only (and said so); once the
//! year's official holidays and make-up working days are known, the legal deadline is the one
//! counted on them. Acceptance counts from the day of receipt, the conclusion from the day of
//! acceptance (30 working days when extended), as when they were first set.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::complaints;
use crate::domain::complaint::{self, Status};
use crate::services::calendar;

type Open = (Uuid, String, DateTime<Utc>, NaiveDate, Option<NaiveDate>, Option<NaiveDate>, bool, Option<String>);

/// Re-counts the running deadline of every open complaint whose count reaches into one of `years`;
/// returns how many changed. Each change appends an audit event with the previous date.
pub fn recount(conn: &mut PgConnection, now: DateTime<Utc>, years: &[i32]) -> QueryResult<usize> {
    let Some(first) = years.iter().min().and_then(|y| NaiveDate::from_ymd_opt(*y, 1, 1)) else { return Ok(0) };
    let cal = calendar::load(conn)?;
    let open: Vec<Open> = complaints::table
        .filter(complaints::status.eq_any([Status::Received, Status::Accepted, Status::Assigned]))
        .filter(complaints::acceptance_due.ge(first).or(complaints::conclusion_due.ge(first)))
        .select((
            complaints::id,
            complaints::status,
            complaints::received_at,
            complaints::acceptance_due,
            complaints::accepted_on,
            complaints::conclusion_due,
            complaints::extended_at.is_not_null(),
            complaints::division_code,
        ))
        .for_update()
        .load(conn)?;
    let mut changed = 0;
    for (id, status, received_at, acceptance_due, accepted_on, conclusion_due, extended, division) in open {
        let touches = |start: NaiveDate, due: NaiveDate| (start.year()..=due.year()).any(|y| years.contains(&y));
        let (field, previous, due) = match (Status::parse(&status), accepted_on, conclusion_due) {
            (Some(Status::Received), _, _) => {
                let received_on = crate::clock::china_date(received_at);
                if !touches(received_on, acceptance_due) {
                    continue;
                }
                ("acceptance_due", acceptance_due, complaint::acceptance_due(&cal, received_on))
            }
            (Some(Status::Accepted | Status::Assigned), Some(on), Some(old)) => {
                if !touches(on, old) {
                    continue;
                }
                ("conclusion_due", old, complaint::conclusion_due(&cal, on, extended))
            }
            _ => continue,
        };
        if due == previous {
            continue;
        }
        let target = complaints::table.find(id);
        if field == "acceptance_due" {
            diesel::update(target).set(complaints::acceptance_due.eq(due)).execute(conn)?;
        } else {
            diesel::update(target).set(complaints::conclusion_due.eq(due)).execute(conn)?;
        }
        audit::append(
            conn,
            now,
            NewEvent {
                actor: &AuditActor::system(),
                action: "complaint.deadline_recounted",
                entity_type: "complaint",
                entity_id: id.to_string(),
                division_code: division,
                summary: serde_json::json!({"field": field, "previous": previous, "due": due, "holiday_years": years}),
            },
        )?;
        changed += 1;
    }
    Ok(changed)
}
