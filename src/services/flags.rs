//! Public supervision flags on declarations (SPEC §3.3): raised by a campaign's draw or result, by
//! the overdue job, by a complaint's conclusion, or ad hoc by a regulator; each ends with its
//! resolution and the history stays. Every change updates the declaration's `flagged` mark, appends
//! an audit event and queues the search document.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{declarations, flags};
use crate::error::{ApiError, ApiResult};
use crate::outbox;

/// A supervision flag as shown on the public record.
#[derive(Queryable, Selectable, serde::Serialize, Clone, Debug, utoipa::ToSchema)]
#[diesel(table_name = flags)]
pub struct FlagView {
    pub id: Uuid,
    /// `under_check`, `rectification_ordered`, `overdue`, `abolished_by_authority`
    pub code: String,
    pub note: Option<String>,
    pub raised_at: DateTime<Utc>,
    pub campaign_id: Option<Uuid>,
    pub inspection_id: Option<Uuid>,
    pub complaint_id: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
}

pub const UNDER_CHECK: &str = "under_check";
pub const RECTIFICATION_ORDERED: &str = "rectification_ordered";
pub const OVERDUE: &str = "overdue";
pub const ABOLISHED_BY_AUTHORITY: &str = "abolished_by_authority";
pub const ALL: [&str; 4] = [UNDER_CHECK, RECTIFICATION_ORDERED, OVERDUE, ABOLISHED_BY_AUTHORITY];

/// What a flag means, in plain words (public pages).
pub fn meaning_zh(code: &str) -> &'static str {
    match code {
        UNDER_CHECK => "监管部门正在对该声明进行检查",
        RECTIFICATION_ORDERED => "检查发现问题，已责令限期整改",
        OVERDUE => "整改已超过期限仍未完成",
        ABOLISHED_BY_AUTHORITY => "整改不合格，声明已被监管部门废止",
        _ => "监管标记",
    }
}

/// Where a flag comes from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Source {
    pub campaign_id: Option<Uuid>,
    pub inspection_id: Option<Uuid>,
    pub complaint_id: Option<Uuid>,
}

fn audit_flag(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    action: &str,
    flag: &FlagView,
    decl: Uuid,
    division: &str,
) -> QueryResult<i64> {
    audit::append(
        conn,
        now,
        NewEvent {
            actor: by,
            action,
            entity_type: "declaration",
            entity_id: decl.to_string(),
            division_code: Some(division.to_string()),
            summary: serde_json::json!({
                "flag_id": flag.id, "code": flag.code, "note": flag.note, "resolution": flag.resolution,
                "campaign_id": flag.campaign_id, "inspection_id": flag.inspection_id, "complaint_id": flag.complaint_id,
            }),
        },
    )
}

fn refresh_mark(conn: &mut PgConnection, now: DateTime<Utc>, decl: Uuid) -> QueryResult<()> {
    let active: bool = diesel::select(diesel::dsl::exists(
        flags::table.filter(flags::declaration_id.eq(decl)).filter(flags::resolved_at.is_null()),
    ))
    .get_result(conn)?;
    diesel::update(declarations::table.find(decl))
        .set((declarations::flagged.eq(active), declarations::updated_at.eq(now)))
        .execute(conn)?;
    outbox::enqueue(conn, outbox::DECLARATION, decl)
}

/// Raises a flag on a published declaration. An identical active flag (same code and source) is
/// returned instead of a second one, so jobs may run twice.
#[allow(clippy::too_many_arguments)]
pub fn raise(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    decl: Uuid,
    code: &str,
    note: Option<&str>,
    source: Source,
) -> ApiResult<FlagView> {
    if !ALL.contains(&code) {
        return Err(ApiError::field("code", format!("应为 {}", ALL.join("、"))));
    }
    let (division, current): (String, Option<i32>) = declarations::table
        .find(decl)
        .select((declarations::division_code, declarations::current_version))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("声明"))?;
    if current.is_none() {
        return Err(ApiError::not_found("声明"));
    }
    let mut existing = flags::table
        .filter(flags::declaration_id.eq(decl))
        .filter(flags::code.eq(code))
        .filter(flags::resolved_at.is_null())
        .into_boxed();
    existing = match source.campaign_id {
        Some(c) => existing.filter(flags::campaign_id.eq(c)),
        None => existing.filter(flags::campaign_id.is_null()),
    };
    existing = match source.inspection_id {
        Some(i) => existing.filter(flags::inspection_id.eq(i)),
        None => existing.filter(flags::inspection_id.is_null()),
    };
    existing = match source.complaint_id {
        Some(c) => existing.filter(flags::complaint_id.eq(c)),
        None => existing.filter(flags::complaint_id.is_null()),
    };
    if let Some(f) = existing.select(FlagView::as_select()).first(conn).optional()? {
        return Ok(f);
    }
    let flag: FlagView = diesel::insert_into(flags::table)
        .values((
            flags::id.eq(Uuid::now_v7()),
            flags::declaration_id.eq(decl),
            flags::code.eq(code),
            flags::note.eq(note),
            flags::raised_at.eq(now),
            flags::raised_by.eq(by.id),
            flags::campaign_id.eq(source.campaign_id),
            flags::inspection_id.eq(source.inspection_id),
            flags::complaint_id.eq(source.complaint_id),
        ))
        .returning(FlagView::as_returning())
        .get_result(conn)?;
    refresh_mark(conn, now, decl)?;
    audit_flag(conn, now, by, "flag.raised", &flag, decl, &division)?;
    Ok(flag)
}

/// Ends an active flag with a resolution.
pub fn resolve(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    flag_id: Uuid,
    resolution: &str,
) -> ApiResult<FlagView> {
    let (decl, resolved): (Uuid, Option<DateTime<Utc>>) = flags::table
        .find(flag_id)
        .select((flags::declaration_id, flags::resolved_at))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("监管标记"))?;
    if resolved.is_some() {
        return Err(ApiError::invalid_state("该标记已经解除"));
    }
    let flag: FlagView = diesel::update(flags::table.find(flag_id))
        .set((flags::resolved_at.eq(now), flags::resolved_by.eq(by.id), flags::resolution.eq(resolution)))
        .returning(FlagView::as_returning())
        .get_result(conn)?;
    let division: String = declarations::table.find(decl).select(declarations::division_code).first(conn)?;
    refresh_mark(conn, now, decl)?;
    audit_flag(conn, now, by, "flag.resolved", &flag, decl, &division)?;
    Ok(flag)
}

/// Resolves every active flag of the given codes raised by an inspection.
pub fn resolve_for_inspection(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    inspection: Uuid,
    codes: &[&str],
    resolution: &str,
) -> ApiResult<Vec<FlagView>> {
    let source = Source { inspection_id: Some(inspection), ..Source::default() };
    resolve_for_source(conn, now, by, source, codes, resolution)
}

/// Resolves every active flag of the given codes raised by a source: an inspection when it names
/// one, else a complaint (a source with neither resolves nothing).
pub fn resolve_for_source(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &AuditActor,
    source: Source,
    codes: &[&str],
    resolution: &str,
) -> ApiResult<Vec<FlagView>> {
    let mut q = flags::table.filter(flags::code.eq_any(codes)).filter(flags::resolved_at.is_null()).into_boxed();
    q = match (source.inspection_id, source.complaint_id) {
        (Some(i), _) => q.filter(flags::inspection_id.eq(i)),
        (None, Some(c)) => q.filter(flags::complaint_id.eq(c)),
        (None, None) => return Ok(Vec::new()),
    };
    let ids: Vec<Uuid> = q.select(flags::id).load(conn)?;
    ids.into_iter().map(|id| resolve(conn, now, by, id, resolution)).collect()
}

/// The declaration a flag belongs to, with its division (for jurisdiction checks).
pub fn flag_declaration(conn: &mut PgConnection, flag_id: Uuid) -> ApiResult<(Uuid, String)> {
    flags::table
        .inner_join(declarations::table)
        .filter(flags::id.eq(flag_id))
        .select((declarations::id, declarations::division_code))
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("监管标记"))
}

/// Every flag of a declaration, active and resolved, oldest first.
pub fn history(conn: &mut PgConnection, decl: Uuid) -> QueryResult<Vec<FlagView>> {
    flags::table.filter(flags::declaration_id.eq(decl)).order(flags::raised_at).select(FlagView::as_select()).load(conn)
}

/// A flag in a declaration's public history, with where it came from.
#[derive(serde::Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct FlagRecord {
    #[serde(flatten)]
    pub flag: FlagView,
    /// Who raised it: `campaign` (a spot-check campaign and its inspection), `complaint` (a
    /// complaint's conclusion and its rectification), `regulator` (ad hoc), `system` (the overdue job).
    pub source: &'static str,
}

/// Where a flag came from (see [`FlagRecord::source`]).
pub fn source_of(f: &FlagView) -> &'static str {
    if f.campaign_id.is_some() {
        "campaign"
    } else if f.complaint_id.is_some() {
        "complaint"
    } else if f.code == OVERDUE {
        "system"
    } else {
        "regulator"
    }
}

/// The public flag history of a declaration: every flag, raised and resolved, oldest first.
pub fn records(conn: &mut PgConnection, decl: Uuid) -> QueryResult<Vec<FlagRecord>> {
    Ok(history(conn, decl)?.into_iter().map(|flag| FlagRecord { source: source_of(&flag), flag }).collect())
}

/// A regulator raises an ad hoc flag (`under_check` or `rectification_ordered`) on a declaration
/// of their jurisdiction: `POST /declarations/{id}/flags` and the console's flags page.
pub fn raise_by_regulator(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &crate::domain::actor::Actor,
    decl: Uuid,
    code: &str,
    note: Option<&str>,
) -> ApiResult<FlagView> {
    let mut c = crate::validate::Check::new();
    if !matches!(code, UNDER_CHECK | RECTIFICATION_ORDERED) {
        c.err("code", "临时标记只能是 under_check 或 rectification_ordered");
    }
    let note = c.opt_text("note", note, 500);
    c.finish()?;
    let division: String = declarations::table
        .find(decl)
        .select(declarations::division_code)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("声明"))?;
    if !actor.covers(&division) {
        return Err(ApiError::forbidden("该声明不在您的辖区内"));
    }
    raise(conn, now, &AuditActor::of(actor), decl, code, note.as_deref(), Source::default())
}

/// A regulator resolves a flag of a declaration in their jurisdiction, with a reason.
pub fn resolve_by_regulator(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &crate::domain::actor::Actor,
    flag_id: Uuid,
    resolution: &str,
) -> ApiResult<FlagView> {
    let mut c = crate::validate::Check::new();
    let resolution = c.text("resolution", resolution, 2, 500);
    c.finish()?;
    let (_, division) = flag_declaration(conn, flag_id)?;
    if !actor.covers(&division) {
        return Err(ApiError::forbidden("该声明不在您的辖区内"));
    }
    resolve(conn, now, &AuditActor::of(actor), flag_id, &resolution)
}

/// An active flag with its declaration, for the regulators' list.
pub struct ActiveFlag {
    pub flag: FlagView,
    pub declaration_id: Uuid,
    pub standard_number: String,
    pub standard_title: String,
    pub organization_name: String,
}

/// Active flags of declarations within the actor's jurisdiction, newest first.
pub fn active_within(conn: &mut PgConnection, actor: &crate::domain::actor::Actor) -> QueryResult<Vec<ActiveFlag>> {
    use crate::db::schema::organizations;
    let prefix = actor.jurisdiction_prefix().unwrap_or("").to_string();
    let rows: Vec<(FlagView, Uuid, String, String, String)> = flags::table
        .inner_join(declarations::table.inner_join(organizations::table))
        .filter(flags::resolved_at.is_null())
        .filter(declarations::division_code.like(format!("{prefix}%")))
        .order(flags::raised_at.desc())
        .limit(500)
        .select((
            FlagView::as_select(),
            declarations::id,
            declarations::standard_number,
            declarations::standard_title,
            organizations::name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(flag, declaration_id, standard_number, standard_title, organization_name)| ActiveFlag {
            flag,
            declaration_id,
            standard_number,
            standard_title,
            organization_name,
        })
        .collect())
}
