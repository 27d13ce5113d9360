//! The complainant's side: filing (validated, rate limited per client IP, routed, confidential
//! fields sealed) and tracking with the code and the access key.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::complainant::{self, Complainant};
use super::{ComplaintRow, not_found};
use crate::audit::{self, AuditActor, NewEvent};
use crate::config::ComplaintKeys;
use crate::crypto::secrets;
use crate::db::schema::{complaint_updates, complaints, declarations, organizations};
use crate::domain::complaint::{self, Category, Status};
use crate::domain::{codes, standard_number, uscc::Uscc};
use crate::error::{ApiError, ApiResult, Code};
use crate::services::calendar;
use crate::validate::{self, Check};

/// What the complaint is about: a published declaration, or an organization (by USCC or exact
/// name) with the standard number it executes.
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    pub declaration_id: Option<Uuid>,
    pub uscc: Option<String>,
    pub organization_name: Option<String>,
    pub standard_number: Option<String>,
    /// Where the organization is (6-digit division code), used to route a complaint whose
    /// organization is not registered here.
    pub division_code: Option<String>,
}

/// Who complains. Encrypted at rest and shown only to the assigned regulator.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplainantBody {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl std::fmt::Debug for ComplainantBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ComplainantBody([REDACTED])")
    }
}

#[derive(Deserialize, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintBody {
    pub target: TargetBody,
    pub category: Category,
    /// 10 to 5000 characters.
    pub description: String,
    /// Absent for an anonymous complaint.
    pub complainant: Option<ComplainantBody>,
}

/// A complaint checked at the edge.
#[derive(Debug)]
pub struct Intake {
    pub category: Category,
    pub description: String,
    pub declaration_id: Option<Uuid>,
    pub uscc: Option<String>,
    pub organization_name: Option<String>,
    pub standard_number: Option<String>,
    pub division_code: Option<String>,
    pub complainant: Option<Complainant>,
}

/// Checks a complaint body; one 422 names every failing field.
pub fn check(body: ComplaintBody) -> ApiResult<Intake> {
    let mut c = Check::new();
    let description = c.text("description", &body.description, 10, 5000);
    let t = body.target;
    let uscc = t.uscc.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(|raw| match Uscc::parse(raw) {
        Ok(u) => Some(u.into_string()),
        Err(e) => {
            c.err("target.uscc", e.to_string());
            None
        }
    });
    let organization_name = c.opt_text("target.organization_name", t.organization_name.as_deref(), 200);
    let standard_number = c.opt_text("target.standard_number", t.standard_number.as_deref(), 100);
    let division_code = t.division_code.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if division_code.as_deref().is_some_and(|d| !codes::is_division_code(d)) {
        c.err("target.division_code", "行政区划代码应为 6 位数字（GB/T 2260）");
    }
    let named_target = uscc.is_some() || organization_name.is_some() || c.has("target.uscc");
    if t.declaration_id.is_none() && !named_target {
        c.err("target", "请填写被投诉的声明编号（declaration_id），或企业的统一社会信用代码或名称");
    }
    let complainant = body.complainant.map(|p| {
        let name = c.text("complainant.name", &p.name, 1, 50);
        let phone = p
            .phone
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| validate::phone(&mut c, "complainant.phone", s));
        let email = p
            .email
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| validate::email(&mut c, "complainant.email", s));
        Complainant { name, phone, email }
    });
    c.finish()?;
    Ok(Intake {
        category: body.category,
        description,
        declaration_id: t.declaration_id,
        uscc,
        organization_name,
        standard_number,
        division_code,
        complainant,
    })
}

#[derive(QueryableByName)]
struct Window {
    #[diesel(sql_type = Integer)]
    count: i32,
    #[diesel(sql_type = Timestamptz)]
    window_start: DateTime<Utc>,
}

/// Counts one complaint from a client IP in a fixed window shared by every instance; past `limit`
/// answers 429 with the seconds until the window ends. Runs in the intake's transaction, so a
/// refused or failed intake does not count.
pub fn count_intake(conn: &mut PgConnection, now: DateTime<Utc>, ip: &str, limit: u32) -> ApiResult<()> {
    let window =
        chrono::Duration::from_std(crate::config::COMPLAINT_RATE_WINDOW).unwrap_or(chrono::Duration::minutes(10));
    let key = secrets::sha256_hex(&format!("complaint-intake:{ip}"));
    let w: Window = diesel::sql_query(
        "INSERT INTO complaint_throttle AS t (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN t.window_start <= $3 THEN 1 ELSE t.count + 1 END, \
           window_start = CASE WHEN t.window_start <= $3 THEN $2 ELSE t.window_start END \
         RETURNING count, window_start",
    )
    .bind::<Text, _>(&key)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(now - window)
    .get_result(conn)?;
    if i64::from(w.count) > i64::from(limit) {
        let secs = (w.window_start + window - now).num_seconds().max(1);
        return Err(
            ApiError::new(Code::RateLimited, format!("提交投诉过于频繁，请 {secs} 秒后再试")).retry_after(secs as u64)
        );
    }
    Ok(())
}

/// Where a complaint goes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Routing {
    pub organization_id: Option<Uuid>,
    pub declaration_id: Option<Uuid>,
    pub division_code: Option<String>,
}

/// Resolves the target: a published declaration (422 when the id names none), else an organization
/// by USCC or exact name and, with a standard number, its published declaration of that number.
/// Unresolved targets go to the given division, or to nobody (the sysadmins' queue).
pub fn route(conn: &mut PgConnection, i: &Intake) -> ApiResult<Routing> {
    if let Some(id) = i.declaration_id {
        let found: Option<(Uuid, String, Option<i32>)> = declarations::table
            .find(id)
            .select((declarations::organization_id, declarations::division_code, declarations::current_version))
            .first(conn)
            .optional()?;
        return match found {
            Some((org, division, Some(_))) => {
                Ok(Routing { organization_id: Some(org), declaration_id: Some(id), division_code: Some(division) })
            }
            _ => Err(ApiError::field("target.declaration_id", "没有这份公开的声明，请核对声明编号")),
        };
    }
    let org: Option<(Uuid, String)> = if let Some(u) = &i.uscc {
        organizations::table
            .filter(organizations::uscc.eq(u))
            .select((organizations::id, organizations::division_code))
            .first(conn)
            .optional()?
    } else if let Some(name) = &i.organization_name {
        let found: Vec<(Uuid, String)> = organizations::table
            .filter(organizations::name.eq(name))
            .select((organizations::id, organizations::division_code))
            .limit(2)
            .load(conn)?;
        // Two organizations of the same name cannot be told apart: leave it to the division.
        if found.len() == 1 { found.into_iter().next() } else { None }
    } else {
        None
    };
    if let Some(given) = &i.division_code
        && org.is_none()
        && let Some(problem) = crate::reference::division_problem(conn, given)?
    {
        return Err(ApiError::field("target.division_code", problem));
    }
    let Some((org_id, division)) = org else {
        return Ok(Routing { division_code: i.division_code.clone(), ..Routing::default() });
    };
    let declaration_id = match &i.standard_number {
        Some(raw) => declarations::table
            .filter(declarations::organization_id.eq(org_id))
            .filter(declarations::current_version.is_not_null())
            .filter(declarations::standard_number.eq(standard_number::normalize(raw)))
            .order((declarations::status.eq("public").desc(), declarations::published_at.desc()))
            .select(declarations::id)
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok(Routing { organization_id: Some(org_id), declaration_id, division_code: Some(division) })
}

/// What the complainant gets once: the code and the secret key.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct Receipt {
    /// `XXXX-XXXX-XXXX`
    pub tracking_code: String,
    /// Shown once; needed with the code to track the complaint and add attachments.
    pub access_key: String,
    pub status: Status,
    /// Last day for the regulator to decide acceptance (China date).
    pub acceptance_due: NaiveDate,
}

/// Records a complaint: counts it against the client IP, routes it, computes the acceptance
/// deadline, seals the complainant, and appends the first update and an audit event.
pub fn file(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    keys: &ComplaintKeys,
    ip: &str,
    rate_limit: u32,
    i: Intake,
) -> ApiResult<Receipt> {
    count_intake(conn, now, ip, rate_limit)?;
    let routing = route(conn, &i)?;
    let cal = calendar::load(conn)?;
    let acceptance_due = complaint::acceptance_due(&cal, today);
    calendar::warn_uncovered(&cal, today, acceptance_due, "complaint acceptance");
    let id = Uuid::now_v7();
    let access_key = secrets::random_token(24);
    let mut tracking_code = None;
    for _ in 0..5 {
        let code = complaint::new_tracking_code();
        let inserted = diesel::insert_into(complaints::table)
            .values((
                complaints::id.eq(id),
                complaints::tracking_code.eq(&code),
                complaints::access_key_hash.eq(secrets::sha256_hex(&access_key)),
                complaints::category.eq(i.category.as_str()),
                complaints::description.eq(&i.description),
                complaints::target_declaration_id.eq(i.declaration_id),
                complaints::target_uscc.eq(&i.uscc),
                complaints::target_organization_name.eq(&i.organization_name),
                complaints::target_standard_number.eq(&i.standard_number),
                complaints::organization_id.eq(routing.organization_id),
                complaints::declaration_id.eq(routing.declaration_id),
                complaints::division_code.eq(&routing.division_code),
                complaints::status.eq(Status::Received.as_str()),
                complaints::received_at.eq(now),
                complaints::acceptance_due.eq(acceptance_due),
                complaints::created_at.eq(now),
                complaints::updated_at.eq(now),
            ))
            .on_conflict(complaints::tracking_code)
            .do_nothing()
            .execute(conn)?;
        if inserted == 1 {
            tracking_code = Some(code);
            break;
        }
    }
    let tracking_code =
        tracking_code.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no free tracking code after 5 draws")))?;
    if let Some(person) = &i.complainant {
        complainant::store(conn, keys, id, person)?;
    }
    diesel::insert_into(complaint_updates::table)
        .values((
            complaint_updates::complaint_id.eq(id),
            complaint_updates::at.eq(now),
            complaint_updates::event.eq("received"),
            complaint_updates::status.eq(Status::Received.as_str()),
        ))
        .execute(conn)?;
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::anonymous(),
            action: "complaint.received",
            entity_type: "complaint",
            entity_id: id.to_string(),
            division_code: routing.division_code.clone(),
            summary: serde_json::json!({
                "tracking_code": tracking_code,
                "category": i.category.as_str(),
                "declaration_id": routing.declaration_id,
                "organization_id": routing.organization_id,
                "routed": routing.division_code.is_some(),
                "named": i.complainant.is_some(),
                "acceptance_due": acceptance_due,
            }),
        },
    )?;
    Ok(Receipt { tracking_code, access_key, status: Status::Received, acceptance_due })
}

/// The complaint behind a code and key. An unknown code and a wrong key are the same 404.
pub fn find_by_code(conn: &mut PgConnection, raw_code: &str, access_key: &str, lock: bool) -> ApiResult<ComplaintRow> {
    let presented = secrets::sha256_hex(access_key);
    let Some(code) = complaint::parse_tracking_code(raw_code) else {
        return Err(not_found());
    };
    let q = complaints::table.filter(complaints::tracking_code.eq(&code)).select(ComplaintRow::as_select());
    let row = if lock { q.for_update().first(conn).optional()? } else { q.first(conn).optional()? };
    // Compare against a stand-in when the code is unknown, so both paths do the same work.
    let stored = row.as_ref().map(|r| r.access_key_hash.clone()).unwrap_or_else(|| "0".repeat(64));
    let ok = secrets::digest_eq(&stored, &presented) && !access_key.is_empty();
    row.filter(|_| ok).ok_or_else(not_found)
}

/// One step as the complainant sees it.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct TrackUpdate {
    pub at: DateTime<Utc>,
    /// `received`, `accepted`, `rejected`, `assigned`, `extended`, `concluded`
    pub event: String,
    pub status: String,
    /// The reason of a rejection, or the reply of the conclusion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_reply: Option<String>,
}

#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct TrackView {
    pub tracking_code: String,
    pub status: String,
    /// Last day for the regulator to decide acceptance (China date, working days on the holiday
    /// table).
    pub acceptance_due: NaiveDate,
    /// Last day to conclude, once accepted (extended at most once).
    pub conclusion_due: Option<NaiveDate>,
    pub updates: Vec<TrackUpdate>,
}

/// Status history and public replies only.
pub fn track(conn: &mut PgConnection, code: &str, access_key: &str) -> ApiResult<TrackView> {
    let c = find_by_code(conn, code, access_key, false)?;
    let updates = super::updates(conn, c.id)?
        .into_iter()
        .filter(|u| u.event != "routed")
        .map(|u| TrackUpdate { at: u.at, event: u.event, status: u.status, public_reply: u.public_reply })
        .collect();
    Ok(TrackView {
        tracking_code: c.tracking_code,
        status: c.status,
        acceptance_due: c.acceptance_due,
        conclusion_due: c.conclusion_due,
        updates,
    })
}
