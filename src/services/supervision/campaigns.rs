//! Campaigns: creation within the regulator's jurisdiction, the draw, closing, and the report.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::inspections::{InspectionView, list_for_campaign};
use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{campaigns, declarations, inspections, users};
use crate::domain::actor::{Actor, Role};
use crate::domain::codes;
use crate::domain::declaration::Kind;
use crate::domain::declaration::Status;
use crate::domain::draw;
use crate::domain::standard_number::StandardType;
use crate::domain::supervision::FlagCode;
use crate::domain::supervision::{CampaignStatus, InspectionStatus};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::flags;
use crate::validate::Check;

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// A division prefix or code within the regulator's jurisdiction: `50`, `5001`, `500103`.
    pub division: String,
    /// `product`, `service`, `group` (all when empty).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Standard types (all when empty).
    #[serde(default)]
    pub standard_types: Vec<String>,
    /// A GB/T 4754 prefix such as `C38`.
    pub industry: Option<String>,
    /// Only declarations first published before this day (China time).
    pub published_before: Option<NaiveDate>,
    /// Leave out organizations sampled by any campaign drawn within this many years.
    pub exclude_sampled_within_years: Option<i32>,
    /// Only declarations whose declared values sit exactly at a mandatory limit or whose comparisons
    /// with the requirements could not be made.
    #[serde(default)]
    pub indicator_review: bool,
    /// Only declarations with a notice: a standard they execute or cite was abolished or replaced.
    #[serde(default)]
    pub outdated_only: bool,
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    pub scope: Scope,
    pub sample_size: i64,
    /// Regulators whose jurisdiction covers the scope.
    pub inspector_ids: Vec<Uuid>,
    pub due_date: NaiveDate,
    /// Optional; a random seed is drawn when omitted. Public in the report.
    pub seed: Option<String>,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: Uuid,
    pub name: String,
    pub jurisdiction: String,
    pub scope_division: String,
    pub scope_kinds: Vec<Option<String>>,
    pub scope_standard_types: Vec<Option<String>>,
    pub scope_industry: Option<String>,
    pub scope_published_before: Option<NaiveDate>,
    pub scope_exclude_sampled_years: Option<i32>,
    pub scope_outdated: bool,
    pub sample_size: i32,
    pub inspector_ids: Vec<Option<Uuid>>,
    pub due_date: NaiveDate,
    pub seed: Option<String>,
    pub status: CampaignStatus,
    pub algorithm: Option<String>,
    pub eligible_count: Option<i32>,
    pub eligible_digest: Option<String>,
    pub drawn_count: Option<i32>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub scope_indicator_review: bool,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct CampaignView {
    pub id: Uuid,
    pub name: String,
    pub status: CampaignStatus,
    pub jurisdiction: String,
    pub scope: Scope,
    pub sample_size: i32,
    pub inspector_ids: Vec<Uuid>,
    pub due_date: NaiveDate,
    pub seed: Option<String>,
    pub algorithm: Option<String>,
    pub eligible_count: Option<i32>,
    /// SHA-256 of the ordered eligible ids (one per line), to check a reproduction.
    pub eligible_digest: Option<String>,
    pub drawn_count: Option<i32>,
    /// True when the sample size was not smaller than the eligible set: every eligible declaration was taken.
    pub took_all: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<CampaignRow> for CampaignView {
    fn from(c: CampaignRow) -> Self {
        Self {
            took_all: c.eligible_count.map(|e| c.sample_size >= e),
            id: c.id,
            name: c.name,
            status: c.status,
            jurisdiction: c.jurisdiction,
            scope: Scope {
                division: c.scope_division,
                kinds: c.scope_kinds.into_iter().flatten().collect(),
                standard_types: c.scope_standard_types.into_iter().flatten().collect(),
                industry: c.scope_industry,
                published_before: c.scope_published_before,
                exclude_sampled_within_years: c.scope_exclude_sampled_years,
                indicator_review: c.scope_indicator_review,
                outdated_only: c.scope_outdated,
            },
            sample_size: c.sample_size,
            inspector_ids: c.inspector_ids.into_iter().flatten().collect(),
            due_date: c.due_date,
            seed: c.seed,
            algorithm: c.algorithm,
            eligible_count: c.eligible_count,
            eligible_digest: c.eligible_digest,
            drawn_count: c.drawn_count,
            created_at: c.created_at,
            drawn_at: c.drawn_at,
            closed_at: c.closed_at,
        }
    }
}

/// A campaign with its inspections (the answer of the draw and of `GET /campaigns/{id}`).
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct CampaignWithInspections {
    pub campaign: CampaignView,
    pub inspections: Vec<InspectionView>,
}

/// Whether a regulator (or sysadmin) supervises a scope prefix.
pub fn covers_scope(actor: &Actor, scope_division: &str) -> bool {
    match actor.role {
        Role::Sysadmin => true,
        Role::Regulator => actor.jurisdiction_prefix().is_some_and(|p| scope_division.starts_with(p)),
        _ => false,
    }
}

/// Checks the request; inspectors are checked against the database by [`create`].
fn check(actor: &Actor, n: &NewCampaign, today: NaiveDate) -> ApiResult<Scope> {
    let mut c = Check::new();
    c.text("name", &n.name, 2, 100);
    let division = codes::parse_division_filter(&n.scope.division);
    if division.is_none() {
        c.err("scope.division", "应为 2、4 或 6 位行政区划代码（如 50、5001、500103）");
    }
    for (i, k) in n.scope.kinds.iter().enumerate() {
        if Kind::parse(k).is_none() {
            c.err(format!("scope.kinds[{i}]"), "应为 product、service 或 group");
        }
    }
    for (i, t) in n.scope.standard_types.iter().enumerate() {
        if StandardType::parse(t).is_none() {
            c.err(format!("scope.standard_types[{i}]"), "不是有效的标准类型");
        }
    }
    let industry = match n.scope.industry.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(i) => match codes::parse_industry_code(i) {
            Some(v) => Some(v),
            None => {
                c.err("scope.industry", "应为门类字母加 0、2、3 或 4 位数字，如 C38");
                None
            }
        },
        None => None,
    };
    if let Some(y) = n.scope.exclude_sampled_within_years
        && !(0..=10).contains(&y)
    {
        c.err("scope.exclude_sampled_within_years", "应在 0 到 10 之间");
    }
    if !(1..=10_000).contains(&n.sample_size) {
        c.err("sample_size", "应在 1 到 10000 之间");
    }
    if n.inspector_ids.is_empty() {
        c.err("inspector_ids", "至少指定一名检查人员");
    }
    if n.due_date < today {
        c.err("due_date", format!("完成日期 {} 早于今天 {today}", n.due_date));
    }
    if let Some(s) = &n.seed
        && !(1..=128).contains(&s.chars().count())
    {
        c.err("seed", "随机种子应为 1-128 个字符");
    }
    c.finish()?;
    let division = division.unwrap_or_default();
    if !covers_scope(actor, &division) {
        return Err(ApiError::forbidden(format!("抽查范围 {division} 不在您的辖区内")));
    }
    Ok(Scope { division, industry, ..n.scope.clone() })
}

/// Creates a planned campaign.
pub fn create(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    actor: &Actor,
    n: &NewCampaign,
) -> ApiResult<CampaignView> {
    let scope = check(actor, n, today)?;
    let mut pool = n.inspector_ids.clone();
    pool.sort();
    pool.dedup();
    let found: Vec<(Uuid, Role, Option<String>, bool)> = users::table
        .filter(users::id.eq_any(&pool))
        .select((users::id, users::role, users::jurisdiction, users::active))
        .load(conn)?;
    let mut problems = Vec::new();
    for (i, id) in pool.iter().enumerate() {
        match found.iter().find(|(u, _, _, _)| u == id) {
            Some((_, role, Some(j), true))
                if *role == Role::Regulator && scope.division.starts_with(codes::division_prefix(j)) => {}
            Some((_, Role::Regulator, _, true)) => {
                problems.push(FieldError::new(format!("inspector_ids[{i}]"), "该检查人员的辖区不覆盖抽查范围"))
            }
            _ => problems.push(FieldError::new(format!("inspector_ids[{i}]"), "不是在职的监管人员")),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let row: CampaignRow = diesel::insert_into(campaigns::table)
        .values((
            campaigns::id.eq(Uuid::now_v7()),
            campaigns::name.eq(n.name.trim()),
            campaigns::jurisdiction.eq(actor.jurisdiction.clone().unwrap_or_else(|| "000000".into())),
            campaigns::scope_division.eq(&scope.division),
            campaigns::scope_kinds.eq(scope.kinds.iter().cloned().map(Some).collect::<Vec<_>>()),
            campaigns::scope_standard_types.eq(scope.standard_types.iter().cloned().map(Some).collect::<Vec<_>>()),
            campaigns::scope_industry.eq(&scope.industry),
            campaigns::scope_published_before.eq(scope.published_before),
            campaigns::scope_exclude_sampled_years.eq(scope.exclude_sampled_within_years),
            campaigns::scope_indicator_review.eq(scope.indicator_review),
            campaigns::scope_outdated.eq(scope.outdated_only),
            campaigns::sample_size.eq(n.sample_size as i32),
            campaigns::inspector_ids.eq(pool.iter().copied().map(Some).collect::<Vec<_>>()),
            campaigns::due_date.eq(n.due_date),
            campaigns::seed.eq(n.seed.as_deref().map(str::trim)),
            campaigns::status.eq(CampaignStatus::Planned),
            campaigns::created_by.eq(actor.user_id),
            campaigns::created_at.eq(now),
            campaigns::updated_at.eq(now),
        ))
        .returning(CampaignRow::as_returning())
        .get_result(conn)?;
    audit_campaign(
        conn,
        now,
        actor,
        "campaign.created",
        &row,
        serde_json::json!({"name": row.name, "scope": scope, "sample_size": row.sample_size, "inspectors": pool, "due_date": row.due_date}),
    )?;
    Ok(row.into())
}

fn audit_campaign(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    c: &CampaignRow,
    summary: serde_json::Value,
) -> QueryResult<i64> {
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action,
            entity_type: "campaign",
            entity_id: c.id.to_string(),
            division_code: Some(format!("{:0<6}", c.scope_division)),
            summary,
        },
    )
}

pub fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<CampaignRow> {
    campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("抽查任务"))
}

/// A campaign a regulator supervises (403 for another jurisdiction's).
pub fn load_for(conn: &mut PgConnection, actor: &Actor, id: Uuid, lock: bool) -> ApiResult<CampaignRow> {
    let row = if lock {
        campaigns::table
            .find(id)
            .select(CampaignRow::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found("抽查任务"))?
    } else {
        load(conn, id)?
    };
    if !covers_scope(actor, &row.scope_division) {
        return Err(ApiError::forbidden("该抽查任务不在您的辖区内"));
    }
    Ok(row)
}

/// The eligible declarations: (id, current version, organization, division).
pub fn eligible(
    conn: &mut PgConnection,
    c: &CampaignRow,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, i32, Uuid, String)>> {
    let scope = Scope {
        division: c.scope_division.clone(),
        kinds: c.scope_kinds.iter().flatten().cloned().collect(),
        standard_types: c.scope_standard_types.iter().flatten().cloned().collect(),
        industry: c.scope_industry.clone(),
        published_before: c.scope_published_before,
        exclude_sampled_within_years: c.scope_exclude_sampled_years,
        indicator_review: c.scope_indicator_review,
        outdated_only: c.scope_outdated,
    };
    eligible_in(conn, &scope, Some(c.id), now)
}

/// How many declarations a scope would draw from now (the console's live count while a campaign
/// is being planned); the scope must lie within the actor's jurisdiction.
pub fn count_eligible(conn: &mut PgConnection, actor: &Actor, scope: &Scope, now: DateTime<Utc>) -> ApiResult<usize> {
    let division = codes::parse_division_filter(&scope.division)
        .ok_or_else(|| ApiError::field("scope.division", "应为 2、4 或 6 位行政区划代码（如 50、5001、500103）"))?;
    if !covers_scope(actor, &division) {
        return Err(ApiError::forbidden(format!("抽查范围 {division} 不在您的辖区内")));
    }
    let industry =
        scope.industry.as_deref().map(str::trim).filter(|s| !s.is_empty()).and_then(codes::parse_industry_code);
    let scope = Scope { division, industry, ..scope.clone() };
    Ok(eligible_in(conn, &scope, None, now)?.len())
}

fn eligible_in(
    conn: &mut PgConnection,
    scope: &Scope,
    campaign: Option<Uuid>,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, i32, Uuid, String)>> {
    let mut q = declarations::table
        .filter(declarations::status.eq(Status::Public))
        .filter(declarations::division_code.like(format!("{}%", scope.division)))
        .into_boxed();
    if !scope.kinds.is_empty() {
        q = q.filter(declarations::kind.eq_any(scope.kinds.clone()));
    }
    if !scope.standard_types.is_empty() {
        q = q.filter(declarations::standard_type.eq_any(scope.standard_types.clone()));
    }
    if let Some(i) = &scope.industry {
        q = q.filter(declarations::industry_code.like(format!("{i}%")));
    }
    if let Some(d) = scope.published_before {
        q = q.filter(declarations::first_published_at.lt(crate::clock::china_midnight(d)));
    }
    if scope.indicator_review {
        q = q.filter(declarations::at_mandatory_limit.or(declarations::comparison_gaps));
    }
    if scope.outdated_only {
        q = q.filter(declarations::outdated.eq(true));
    }
    if let Some(years) = scope.exclude_sampled_within_years.filter(|y| *y > 0) {
        let since = now - chrono::Duration::days(365 * i64::from(years));
        let sampled = inspections::table
            .inner_join(campaigns::table)
            .filter(campaigns::drawn_at.ge(since))
            .filter(campaigns::id.ne(campaign.unwrap_or_else(Uuid::nil)))
            .select(inspections::organization_id);
        q = q.filter(declarations::organization_id.ne_all(sampled));
    }
    let rows: Vec<(Uuid, Option<i32>, Uuid, String)> = q
        .select((
            declarations::id,
            declarations::current_version,
            declarations::organization_id,
            declarations::division_code,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, v, org, div)| (id, v.unwrap_or(1), org, div)).collect())
}

/// Draws the sample and the inspectors, once. Each drawn declaration gets an inspection and an
/// `under_check` flag; the seed, the eligible list and the assignments are audited.
pub fn draw(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<CampaignWithInspections> {
    let c = load_for(conn, actor, id, true)?;
    if c.status != CampaignStatus::Planned {
        return Err(ApiError::invalid_state(format!(
            "该抽查任务已经抽取过（当前状态：{}），每个任务只能抽取一次",
            c.status.label()
        )));
    }
    let seed = c.seed.clone().unwrap_or_else(|| crate::crypto::secrets::random_token(24));
    let pool = eligible(conn, &c, now)?;
    let ids: Vec<Uuid> = pool.iter().map(|(d, _, _, _)| *d).collect();
    let inspectors: Vec<Uuid> = c.inspector_ids.iter().flatten().copied().collect();
    let result = draw::draw(&seed, &ids, &inspectors, c.sample_size as usize);
    let digest = draw::eligible_digest(&ids);
    let mut ordered = ids.clone();
    ordered.sort_by_key(|u| u.hyphenated().to_string());
    for (position, (decl, inspector)) in result.assignments.iter().enumerate() {
        let (_, version, org, division) = pool.iter().find(|(d, _, _, _)| d == decl).cloned().unwrap_or_default();
        let inspection_id = Uuid::now_v7();
        diesel::insert_into(inspections::table)
            .values((
                inspections::id.eq(inspection_id),
                inspections::campaign_id.eq(c.id),
                inspections::declaration_id.eq(decl),
                inspections::declaration_version.eq(version),
                inspections::organization_id.eq(org),
                inspections::division_code.eq(&division),
                inspections::inspector_id.eq(inspector),
                inspections::draw_position.eq(position as i32),
                inspections::status.eq(InspectionStatus::Assigned),
                inspections::created_at.eq(now),
                inspections::updated_at.eq(now),
            ))
            .execute(conn)?;
        flags::raise(
            conn,
            now,
            &AuditActor::of(actor),
            *decl,
            FlagCode::UnderCheck,
            Some(&format!("双随机抽查：{}", c.name)),
            flags::Source { campaign_id: Some(c.id), inspection_id: Some(inspection_id), complaint_id: None },
        )?;
    }
    let row: CampaignRow = diesel::update(campaigns::table.find(c.id))
        .set((
            campaigns::status.eq(CampaignStatus::Drawn),
            campaigns::seed.eq(&seed),
            campaigns::algorithm.eq(draw::ALGORITHM),
            campaigns::eligible_count.eq(result.eligible as i32),
            campaigns::eligible_digest.eq(&digest),
            campaigns::eligible_ids.eq(Some(ordered.iter().copied().map(Some).collect::<Vec<_>>())),
            campaigns::drawn_count.eq(result.assignments.len() as i32),
            campaigns::drawn_at.eq(now),
            campaigns::updated_at.eq(now),
        ))
        .returning(CampaignRow::as_returning())
        .get_result(conn)?;
    audit_campaign(
        conn,
        now,
        actor,
        "campaign.drawn",
        &row,
        serde_json::json!({
            "seed": seed,
            "algorithm": draw::ALGORITHM,
            "eligible_count": result.eligible,
            "eligible_digest": digest,
            "eligible_ids": ordered,
            "sample_size": c.sample_size,
            "took_all": result.took_all,
            "assignments": result.assignments.iter().map(|(d, i)| serde_json::json!({"declaration_id": d, "inspector_id": i})).collect::<Vec<_>>(),
        }),
    )?;
    let inspections = list_for_campaign(conn, row.id, crate::clock::china_date(now))?;
    Ok(CampaignWithInspections { campaign: row.into(), inspections })
}

/// The campaign with its inspections, for regulators of the jurisdiction.
pub fn get(conn: &mut PgConnection, actor: &Actor, id: Uuid, today: NaiveDate) -> ApiResult<CampaignWithInspections> {
    let c = load_for(conn, actor, id, false)?;
    let inspections = list_for_campaign(conn, c.id, today)?;
    Ok(CampaignWithInspections { campaign: c.into(), inspections })
}

/// Campaigns a regulator supervises, newest first.
pub fn list(conn: &mut PgConnection, actor: &Actor, status: Option<CampaignStatus>) -> ApiResult<Vec<CampaignView>> {
    let mut q = campaigns::table.into_boxed();
    if actor.role == Role::Regulator {
        let prefix = actor.jurisdiction_prefix().unwrap_or("-").to_string();
        q = q.filter(campaigns::scope_division.like(format!("{prefix}%")));
    }
    if let Some(s) = status {
        q = q.filter(campaigns::status.eq(s));
    }
    Ok(q.order(campaigns::created_at.desc())
        .limit(500)
        .select(CampaignRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Closed campaigns, whose reports are public, most recently closed first.
pub fn closed(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<CampaignView>> {
    Ok(campaigns::table
        .filter(campaigns::status.eq(CampaignStatus::Closed))
        .order((campaigns::closed_at.desc(), campaigns::id))
        .limit(limit)
        .select(CampaignRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Closes a drawn campaign once every inspection has a result or is marked not inspected with a
/// reason; the report becomes public.
pub fn close(conn: &mut PgConnection, now: DateTime<Utc>, actor: &Actor, id: Uuid) -> ApiResult<CampaignView> {
    let c = load_for(conn, actor, id, true)?;
    if c.status != CampaignStatus::Drawn {
        return Err(ApiError::invalid_state(format!("只能关闭已抽取的任务（当前状态：{}）", c.status.label())));
    }
    let waiting: i64 = inspections::table
        .filter(inspections::campaign_id.eq(id))
        .filter(inspections::status.eq(InspectionStatus::Assigned))
        .count()
        .get_result(conn)?;
    if waiting > 0 {
        return Err(ApiError::invalid_state(format!(
            "还有 {waiting} 项检查未录入结果，不能关闭：请录入结果，或对无法检查的标记“未检查”并说明理由"
        )));
    }
    let row: CampaignRow = diesel::update(campaigns::table.find(id))
        .set((
            campaigns::status.eq(CampaignStatus::Closed),
            campaigns::closed_at.eq(now),
            campaigns::updated_at.eq(now),
        ))
        .returning(CampaignRow::as_returning())
        .get_result(conn)?;
    audit_campaign(conn, now, actor, "campaign.closed", &row, serde_json::json!({"drawn_count": row.drawn_count}))?;
    Ok(row.into())
}
