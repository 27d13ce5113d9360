//! Changing declarations: create, edit the draft, publish, revise, withdraw, attach the full text.
//! Each function is one use case inside the caller's transaction: it locks the declaration, checks
//! ownership and the state machine, writes, appends an audit event and an outbox row.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::comparisons;
use super::input::{self, Content, DeclarationBody, DeclarationPatch, References, StandardBody, Warning};
use super::{DeclarationRow, DeclarationView, VersionRow, get_for, is_owner, load_version, lock_declaration};
use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{blobs, declaration_versions, declarations, organizations};
use crate::domain::actor::Actor;
use crate::domain::declaration::{Action, Kind, Status, VersionStatus, check};
use crate::domain::organization::OrgKind;
use crate::domain::standard_number::StandardType;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::outbox;
use crate::services::notices;

/// What the rules need to know of the declaring organization.
#[derive(Queryable, Clone, Debug)]
pub struct OrgInfo {
    pub id: Uuid,
    pub uscc: String,
    pub name: String,
    pub kind: OrgKind,
    pub division_code: String,
    pub group_code: Option<String>,
}

pub fn load_org(conn: &mut PgConnection, id: Uuid) -> QueryResult<OrgInfo> {
    organizations::table
        .find(id)
        .select((
            organizations::id,
            organizations::uscc,
            organizations::name,
            organizations::kind,
            organizations::division_code,
            organizations::group_code,
        ))
        .first(conn)
}

/// Rules that depend on who declares: only social organizations declare group standards, and only
/// under their own registered group code.
pub fn org_problems(org: &OrgInfo, c: &Content, p: &str) -> Vec<FieldError> {
    let mut out = Vec::new();
    if c.kind == Kind::Group {
        if org.kind != OrgKind::SocialOrganization {
            out.push(FieldError::new(format!("{p}kind"), "只有社会团体可以发布团体标准声明（kind = group）"));
        } else {
            match (&org.group_code, &c.number.issuer) {
                (None, _) => out.push(FieldError::new(
                    format!("{p}standard.number"),
                    "本团体尚未登记团体代号，不能发布团体标准声明",
                )),
                (Some(own), Some(issuer)) if own != issuer => out.push(FieldError::new(
                    format!("{p}standard.number"),
                    format!("团体标准编号应使用本团体登记的代号 T/{own}，而不是 T/{issuer}"),
                )),
                _ => {}
            }
        }
    }
    out
}

/// Whether another live declaration of the organization holds this number and kind (its current
/// number, or the number of its pending draft).
pub fn number_taken(
    conn: &mut PgConnection,
    org: Uuid,
    kind: Kind,
    number: &str,
    except: Option<Uuid>,
) -> QueryResult<bool> {
    let drafts_with_number = declaration_versions::table
        .filter(declaration_versions::status.eq(VersionStatus::Draft))
        .filter(declaration_versions::standard_number.eq(number))
        .select(declaration_versions::declaration_id);
    let mut q = declarations::table
        .filter(declarations::organization_id.eq(org))
        .filter(declarations::kind.eq(kind))
        .filter(declarations::status.eq_any([Status::Draft, Status::Public]))
        .filter(declarations::standard_number.eq(number).or(declarations::id.eq_any(drafts_with_number)))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(declarations::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(q)).get_result(conn)
}

pub fn duplicate(number: &str) -> ApiError {
    ApiError::conflict(
        "duplicate_declaration",
        format!("本单位已有同类型、执行 {number} 的有效声明（草稿或现行），请修订原声明"),
    )
    .with_details(vec![FieldError::new("standard.number", "已有同一标准的有效声明")])
}

/// Maps the live-uniqueness index violation (a concurrent declaration of the same number) to 409.
pub fn map_unique(number: &str) -> impl Fn(diesel::result::Error) -> ApiError + '_ {
    move |e| match &e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("declarations_live_unique") =>
        {
            duplicate(number)
        }
        _ => e.into(),
    }
}

pub fn audit_event(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    decl: Uuid,
    division: &str,
    summary: serde_json::Value,
) -> QueryResult<i64> {
    audit::append(
        conn,
        now,
        NewEvent {
            actor: &AuditActor::of(actor),
            action,
            entity_type: "declaration",
            entity_id: decl.to_string(),
            division_code: Some(division.to_string()),
            summary,
        },
    )
}

fn refuse(e: crate::domain::declaration::TransitionError) -> ApiError {
    ApiError::invalid_state(e.0)
}

/// Loads and locks a declaration the actor's organization owns (404 otherwise, never 403).
pub fn lock_owned(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> ApiResult<DeclarationRow> {
    let decl = lock_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
    if !is_owner(Some(actor), &decl) {
        return Err(ApiError::not_found("声明"));
    }
    Ok(decl)
}

fn warnings_json(w: &[Warning]) -> serde_json::Value {
    serde_json::to_value(w).unwrap_or_else(|_| serde_json::json!([]))
}

/// Creates a declaration as a draft (version 1).
pub fn create(conn: &mut PgConnection, now: DateTime<Utc>, actor: &Actor, c: &Content) -> ApiResult<DeclarationView> {
    let org = load_org(conn, actor.org_id()?)?;
    let refs = References::load(conn, &[c])?;
    let mut problems = org_problems(&org, c, "");
    problems.extend(refs.problems(c, ""));
    let (more, compared) = comparisons::draft_check(conn, c, "")?;
    problems.extend(more);
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    if number_taken(conn, org.id, c.kind, &c.number.normalized, None)? {
        return Err(duplicate(&c.number.normalized));
    }
    let (mut warnings, _) = refs.catalog_check(c, "");
    warnings.extend(compared);
    let id = Uuid::now_v7();
    insert_declaration(conn, now, actor, &org, id, c, &warnings, false)?;
    outbox::enqueue(conn, outbox::DECLARATION, id)?;
    let mut view = get_for(conn, Some(actor), id)?;
    view.warnings = warnings;
    // The audit append holds the chain's lock until commit: do it last.
    audit_event(
        conn,
        now,
        actor,
        "declaration.created",
        id,
        &org.division_code,
        serde_json::json!({"standard_number": c.number.normalized, "kind": c.kind.as_str(), "products": c.products.len()}),
    )?;
    Ok(view)
}

#[derive(Insertable)]
#[diesel(table_name = declarations, treat_none_as_default_value = false)]
pub struct NewDeclaration {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: Kind,
    pub status: Status,
    pub current_version: Option<i32>,
    pub draft_version: Option<i32>,
    pub latest_version: i32,
    pub standard_number: String,
    pub standard_type: StandardType,
    pub standard_title: String,
    pub industry_code: Option<String>,
    pub division_code: String,
    pub first_published_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub search_text: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every standard of the current public version (empty for drafts).
    pub standard_refs: Vec<Option<String>>,
}

#[derive(Insertable)]
#[diesel(table_name = declaration_versions, treat_none_as_default_value = false)]
pub struct NewVersion {
    pub id: Uuid,
    pub declaration_id: Uuid,
    pub version: i32,
    pub status: VersionStatus,
    pub standard_number_raw: String,
    pub standard_number: String,
    pub standard_type: StandardType,
    pub standard_title: String,
    pub products: serde_json::Value,
    pub indicators: serde_json::Value,
    pub industry_code: Option<String>,
    pub ics_code: Option<String>,
    pub ccs_code: Option<String>,
    pub below_recommended: Option<String>,
    pub below_recommended_answer: &'static str,
    pub summary: Option<String>,
    pub effective_date: Option<chrono::NaiveDate>,
    pub full_text_public: bool,
    pub warnings: serde_json::Value,
    pub commitment: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
    pub cited_standards: Vec<Option<String>>,
    pub applicable_mandatory: Vec<Option<String>>,
}

/// Every number of a declaration's content (declared, applicable, cited), deduplicated.
pub fn standard_refs(c: &Content) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    for (_, n) in c.standards() {
        if !out.iter().flatten().any(|x| *x == n.normalized) {
            out.push(Some(n.normalized.clone()));
        }
    }
    out
}

fn some_all(v: Vec<String>) -> Vec<Option<String>> {
    v.into_iter().map(Some).collect()
}

/// The rows of a new declaration (version 1), as a draft or already published (bulk).
pub fn new_rows(
    now: DateTime<Utc>,
    actor: &Actor,
    org: &OrgInfo,
    id: Uuid,
    c: &Content,
    warnings: &[Warning],
    published: bool,
) -> ApiResult<(NewDeclaration, NewVersion)> {
    let products = serde_json::to_value(&c.products).map_err(ApiError::internal)?;
    let indicators = serde_json::to_value(&c.indicators).map_err(ApiError::internal)?;
    let search_text = if published {
        crate::search::documents::search_text(
            &c.number,
            &c.title,
            &products,
            &indicators,
            c.summary.as_deref(),
            &org.name,
            &org.uscc,
        )
    } else {
        String::new()
    };
    let published_at = published.then_some(now);
    let (status, version_status) =
        if published { (Status::Public, VersionStatus::Public) } else { (Status::Draft, VersionStatus::Draft) };
    Ok((
        NewDeclaration {
            id,
            organization_id: org.id,
            kind: c.kind,
            status,
            current_version: published.then_some(1),
            draft_version: (!published).then_some(1),
            latest_version: 1,
            standard_number: c.number.normalized.clone(),
            standard_type: c.number.kind,
            standard_title: c.title.clone(),
            industry_code: c.industry_code.clone(),
            division_code: org.division_code.clone(),
            first_published_at: published_at,
            published_at,
            search_text,
            created_at: now,
            updated_at: now,
            standard_refs: if published { standard_refs(c) } else { Vec::new() },
        },
        NewVersion {
            id: Uuid::now_v7(),
            declaration_id: id,
            version: 1,
            status: version_status,
            standard_number_raw: c.number.raw.clone(),
            standard_number: c.number.normalized.clone(),
            standard_type: c.number.kind,
            standard_title: c.title.clone(),
            products,
            indicators,
            industry_code: c.industry_code.clone(),
            ics_code: c.ics_code.clone(),
            ccs_code: c.ccs_code.clone(),
            below_recommended: c.below_recommended.clone(),
            below_recommended_answer: c.below_recommended_answer.as_str(),
            summary: c.summary.clone(),
            effective_date: c.effective_date,
            full_text_public: c.full_text_public,
            warnings: warnings_json(warnings),
            commitment: published,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
            published_at,
            published_by: published.then_some(actor.user_id),
            cited_standards: some_all(Content::numbers(&c.cited_standards)),
            applicable_mandatory: some_all(Content::numbers(&c.applicable_mandatory)),
        },
    ))
}

/// Inserts the declaration and its first version.
#[allow(clippy::too_many_arguments)]
pub fn insert_declaration(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    org: &OrgInfo,
    id: Uuid,
    c: &Content,
    warnings: &[Warning],
    published: bool,
) -> ApiResult<()> {
    let (d, v) = new_rows(now, actor, org, id, c, warnings, published)?;
    diesel::insert_into(declarations::table).values(&d).execute(conn).map_err(map_unique(&c.number.normalized))?;
    diesel::insert_into(declaration_versions::table).values(&v).execute(conn)?;
    Ok(())
}

/// The declaration body a stored version corresponds to (to re-check it after a patch).
fn body_of(decl: &DeclarationRow, v: &VersionRow) -> ApiResult<DeclarationBody> {
    Ok(DeclarationBody {
        kind: decl.kind,
        standard: StandardBody { number: v.standard_number_raw.clone(), title: v.standard_title.clone() },
        products: serde_json::from_value(v.products.clone()).map_err(ApiError::internal)?,
        industry_code: v.industry_code.clone(),
        ics_code: v.ics_code.clone(),
        ccs_code: v.ccs_code.clone(),
        indicators: serde_json::from_value(v.indicators.clone()).map_err(ApiError::internal)?,
        below_recommended: v.below_recommended.clone(),
        below_recommended_answer: crate::domain::declaration::BelowRecommended::parse(&v.below_recommended_answer),
        summary: v.summary.clone(),
        effective_date: v.effective_date,
        full_text_public: v.full_text_public,
        cited_standards: v.cited_standards.iter().flatten().cloned().collect(),
        applicable_mandatory: v.applicable_mandatory.iter().flatten().cloned().collect(),
    })
}

/// Changes the pending draft.
pub fn patch(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    id: Uuid,
    p: DeclarationPatch,
    today: chrono::NaiveDate,
) -> ApiResult<DeclarationView> {
    let decl = lock_owned(conn, actor, id)?;
    check(decl.status, decl.draft_version.is_some(), Action::Edit).map_err(refuse)?;
    let draft_no = decl.draft_version.unwrap_or(decl.latest_version);
    let v = load_version(conn, id, draft_no)?.ok_or_else(|| ApiError::not_found("草稿"))?;
    let mut body = body_of(&decl, &v)?;
    let mut changed: Vec<&str> = Vec::new();
    if let Some(s) = p.standard {
        body.standard = s;
        changed.push("standard");
    }
    if let Some(x) = p.products {
        body.products = x;
        changed.push("products");
    }
    if let Some(x) = p.indicators {
        body.indicators = x;
        changed.push("indicators");
    }
    let mut set_opt = |name: &'static str, target: &mut Option<String>, value: Option<String>| {
        if let Some(v) = value {
            *target = if v.trim().is_empty() { None } else { Some(v) };
            changed.push(name);
        }
    };
    set_opt("industry_code", &mut body.industry_code, p.industry_code);
    set_opt("ics_code", &mut body.ics_code, p.ics_code);
    set_opt("ccs_code", &mut body.ccs_code, p.ccs_code);
    let answer_changed = p.below_recommended.is_some() || p.below_recommended_answer.is_some();
    set_opt("below_recommended", &mut body.below_recommended, p.below_recommended);
    set_opt("summary", &mut body.summary, p.summary);
    if answer_changed {
        // a new statement (or none) without an answer: the answer is read from it again
        body.below_recommended_answer = p.below_recommended_answer;
        changed.push("below_recommended_answer");
    }
    if let Some(d) = p.effective_date {
        body.effective_date = Some(d);
        changed.push("effective_date");
    }
    if let Some(b) = p.full_text_public {
        body.full_text_public = b;
        changed.push("full_text_public");
    }
    if let Some(x) = p.cited_standards {
        body.cited_standards = x;
        changed.push("cited_standards");
    }
    if let Some(x) = p.applicable_mandatory {
        body.applicable_mandatory = x;
        changed.push("applicable_mandatory");
    }
    let c = input::check_body(&body, "", today).map_err(ApiError::validation)?;
    let org = load_org(conn, decl.organization_id)?;
    let refs = References::load(conn, &[&c])?;
    let mut problems = org_problems(&org, &c, "");
    problems.extend(refs.problems(&c, ""));
    let (more, compared) = comparisons::draft_check(conn, &c, "")?;
    problems.extend(more);
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    if number_taken(conn, org.id, decl.kind, &c.number.normalized, Some(id))? {
        return Err(duplicate(&c.number.normalized));
    }
    let (mut warnings, _) = refs.catalog_check(&c, "");
    warnings.extend(compared);
    diesel::update(declaration_versions::table.find(v.id))
        .set((
            declaration_versions::standard_number_raw.eq(&c.number.raw),
            declaration_versions::standard_number.eq(&c.number.normalized),
            declaration_versions::standard_type.eq(c.number.kind),
            declaration_versions::standard_title.eq(&c.title),
            declaration_versions::products.eq(serde_json::to_value(&c.products).map_err(ApiError::internal)?),
            declaration_versions::indicators.eq(serde_json::to_value(&c.indicators).map_err(ApiError::internal)?),
            declaration_versions::industry_code.eq(&c.industry_code),
            declaration_versions::ics_code.eq(&c.ics_code),
            declaration_versions::ccs_code.eq(&c.ccs_code),
            declaration_versions::below_recommended.eq(&c.below_recommended),
            declaration_versions::below_recommended_answer.eq(c.below_recommended_answer.as_str()),
            declaration_versions::summary.eq(&c.summary),
            declaration_versions::effective_date.eq(c.effective_date),
            declaration_versions::full_text_public.eq(c.full_text_public),
            declaration_versions::warnings.eq(warnings_json(&warnings)),
            declaration_versions::cited_standards.eq(some_all(Content::numbers(&c.cited_standards))),
            declaration_versions::applicable_mandatory.eq(some_all(Content::numbers(&c.applicable_mandatory))),
            declaration_versions::updated_at.eq(now),
        ))
        .execute(conn)?;
    if decl.current_version.is_none() {
        diesel::update(declarations::table.find(id))
            .set((
                declarations::standard_number.eq(&c.number.normalized),
                declarations::standard_type.eq(c.number.kind),
                declarations::standard_title.eq(&c.title),
                declarations::industry_code.eq(&c.industry_code),
                declarations::updated_at.eq(now),
            ))
            .execute(conn)
            .map_err(map_unique(&c.number.normalized))?;
    } else {
        diesel::update(declarations::table.find(id)).set(declarations::updated_at.eq(now)).execute(conn)?;
    }
    outbox::enqueue(conn, outbox::DECLARATION, id)?;
    let mut view = get_for(conn, Some(actor), id)?;
    view.warnings = warnings;
    // The audit append holds the chain's lock until commit: do it last.
    audit_event(
        conn,
        now,
        actor,
        "declaration.updated",
        id,
        &decl.division_code,
        serde_json::json!({"version": draft_no, "fields": changed}),
    )?;
    Ok(view)
}

/// Publishes the pending draft; a revision supersedes the previous public version in the same
/// transaction. Refused without the declarant's commitment, for a standard the catalogue knows to be
/// abolished, or a standard year after today.
pub fn publish(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    id: Uuid,
    commitment: bool,
    today: chrono::NaiveDate,
) -> ApiResult<DeclarationView> {
    if !commitment {
        return Err(ApiError::field(
            "commitment",
            "发布前须作出自我承诺：声明内容真实、合法，所执行标准不低于强制性标准（commitment 应为 true）",
        ));
    }
    let decl = lock_owned(conn, actor, id)?;
    check(decl.status, decl.draft_version.is_some(), Action::Publish).map_err(refuse)?;
    let draft_no = decl.draft_version.unwrap_or(decl.latest_version);
    let v = load_version(conn, id, draft_no)?.ok_or_else(|| ApiError::not_found("草稿"))?;
    let body = body_of(&decl, &v)?;
    let c = input::check_body(&body, "", today).map_err(ApiError::validation)?;
    let org = load_org(conn, decl.organization_id)?;
    let refs = References::load(conn, &[&c])?;
    let mut problems = org_problems(&org, &c, "");
    problems.extend(refs.problems(&c, ""));
    let (warnings, blocking) = refs.catalog_check(&c, "");
    problems.extend(blocking);
    let subject = comparisons::Subject::of_content(&c);
    let assessment = comparisons::Rules::load(conn, &[&subject])?.assess(&subject);
    let (more, below_mandatory) = comparisons::publish_check(&assessment, &subject, c.below_recommended.as_deref(), "");
    problems.extend(more);
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    if let Some(refused) = below_mandatory {
        return Err(refused);
    }
    if number_taken(conn, org.id, decl.kind, &c.number.normalized, Some(id))? {
        return Err(duplicate(&c.number.normalized));
    }
    let superseded = decl.current_version;
    if let Some(prev) = superseded {
        diesel::update(
            declaration_versions::table
                .filter(declaration_versions::declaration_id.eq(id))
                .filter(declaration_versions::version.eq(prev)),
        )
        .set((
            declaration_versions::status.eq(VersionStatus::Superseded),
            declaration_versions::ended_at.eq(now),
            declaration_versions::end_reason.eq(format!("被第 {draft_no} 版代替")),
        ))
        .execute(conn)?;
    }
    diesel::update(declaration_versions::table.find(v.id))
        .set((
            declaration_versions::status.eq(VersionStatus::Public),
            declaration_versions::commitment.eq(true),
            declaration_versions::published_at.eq(now),
            declaration_versions::published_by.eq(actor.user_id),
            declaration_versions::warnings.eq(warnings_json(&warnings)),
            declaration_versions::updated_at.eq(now),
        ))
        .execute(conn)?;
    let search_text = crate::search::documents::search_text(
        &c.number,
        &c.title,
        &v.products,
        &v.indicators,
        c.summary.as_deref(),
        &org.name,
        &org.uscc,
    );
    diesel::update(declarations::table.find(id))
        .set((
            declarations::status.eq(Status::Public),
            declarations::current_version.eq(draft_no),
            declarations::draft_version.eq(None::<i32>),
            declarations::standard_number.eq(&c.number.normalized),
            declarations::standard_type.eq(c.number.kind),
            declarations::standard_title.eq(&c.title),
            declarations::industry_code.eq(&c.industry_code),
            declarations::published_at.eq(now),
            declarations::first_published_at.eq(decl.first_published_at.unwrap_or(now)),
            declarations::search_text.eq(search_text),
            declarations::standard_refs.eq(standard_refs(&c)),
            declarations::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(map_unique(&c.number.normalized))?;
    comparisons::store(conn, &[(id, draft_no, &assessment)], false)?;
    // notices follow the published version: those of standards it no longer cites end
    notices::refresh(conn, now, today, &[id])?;
    outbox::enqueue(conn, outbox::DECLARATION, id)?;
    let mut view = get_for(conn, Some(actor), id)?;
    view.warnings = warnings;
    // The audit append holds the chain's lock until commit: do it last.
    audit_event(
        conn,
        now,
        actor,
        "declaration.published",
        id,
        &decl.division_code,
        serde_json::json!({"version": draft_no, "standard_number": c.number.normalized, "superseded_version": superseded}),
    )?;
    Ok(view)
}

/// Starts a revision: a new draft version prefilled from the current public one.
pub fn revise(conn: &mut PgConnection, now: DateTime<Utc>, actor: &Actor, id: Uuid) -> ApiResult<DeclarationView> {
    let decl = lock_owned(conn, actor, id)?;
    check(decl.status, decl.draft_version.is_some(), Action::Revise).map_err(refuse)?;
    let current = decl.current_version.unwrap_or(decl.latest_version);
    let v = load_version(conn, id, current)?.ok_or_else(|| ApiError::not_found("声明版本"))?;
    let next = decl.latest_version + 1;
    diesel::insert_into(declaration_versions::table)
        .values((
            declaration_versions::id.eq(Uuid::now_v7()),
            declaration_versions::declaration_id.eq(id),
            declaration_versions::version.eq(next),
            declaration_versions::status.eq(VersionStatus::Draft),
            declaration_versions::standard_number_raw.eq(&v.standard_number_raw),
            declaration_versions::standard_number.eq(&v.standard_number),
            declaration_versions::standard_type.eq(&v.standard_type),
            declaration_versions::standard_title.eq(&v.standard_title),
            declaration_versions::products.eq(&v.products),
            declaration_versions::indicators.eq(&v.indicators),
            declaration_versions::industry_code.eq(&v.industry_code),
            declaration_versions::ics_code.eq(&v.ics_code),
            declaration_versions::ccs_code.eq(&v.ccs_code),
            declaration_versions::below_recommended.eq(&v.below_recommended),
            declaration_versions::below_recommended_answer.eq(&v.below_recommended_answer),
            declaration_versions::summary.eq(&v.summary),
            declaration_versions::effective_date.eq(v.effective_date),
            declaration_versions::full_text_sha256.eq(&v.full_text_sha256),
            declaration_versions::full_text_size.eq(v.full_text_size),
            declaration_versions::full_text_public.eq(v.full_text_public),
            declaration_versions::cited_standards.eq(&v.cited_standards),
            declaration_versions::applicable_mandatory.eq(&v.applicable_mandatory),
            declaration_versions::created_by.eq(actor.user_id),
            declaration_versions::created_at.eq(now),
            declaration_versions::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(declarations::table.find(id))
        .set((
            declarations::draft_version.eq(next),
            declarations::latest_version.eq(next),
            declarations::updated_at.eq(now),
        ))
        .execute(conn)?;
    outbox::enqueue(conn, outbox::DECLARATION, id)?;
    let view = get_for(conn, Some(actor), id)?;
    // The audit append holds the chain's lock until commit: do it last.
    audit_event(
        conn,
        now,
        actor,
        "declaration.revision_started",
        id,
        &decl.division_code,
        serde_json::json!({"version": next, "from_version": current}),
    )?;
    Ok(view)
}

/// Withdraws a declaration (the organization, with a reason). A pending draft ends with it.
pub fn withdraw(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> ApiResult<DeclarationView> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if !(2..=500).contains(&n) {
        return Err(ApiError::field("reason", "撤回须说明理由（2-500 个字符）"));
    }
    let decl = lock_owned(conn, actor, id)?;
    check(decl.status, decl.draft_version.is_some(), Action::Withdraw).map_err(refuse)?;
    super::supervision::refuse_withdrawal_if_supervised(conn, id)?;
    let versions = end_live_versions(conn, now, &decl, Ended::Withdrawn, reason)?;
    let view = get_for(conn, Some(actor), id)?;
    // The audit append holds the chain's lock until commit: do it last.
    audit_event(
        conn,
        now,
        actor,
        "declaration.withdrawn",
        id,
        &decl.division_code,
        serde_json::json!({"reason": reason, "versions": versions}),
    )?;
    Ok(view)
}

/// Whether the actor may attach a full text now (its organization's declaration with a pending
/// draft): checked before the file is written, and again by [`attach_full_text`].
pub fn check_attachable(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    let decl = super::load_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
    if !is_owner(Some(actor), &decl) {
        return Err(ApiError::not_found("声明"));
    }
    check(decl.status, decl.draft_version.is_some(), Action::Edit).map_err(refuse)
}

/// Records an uploaded full text (already stored under its sha256) on the pending draft.
pub fn attach_full_text(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    id: Uuid,
    sha256: &str,
    size: i64,
) -> ApiResult<DeclarationView> {
    let decl = lock_owned(conn, actor, id)?;
    check(decl.status, decl.draft_version.is_some(), Action::Edit).map_err(refuse)?;
    let draft_no = decl.draft_version.unwrap_or(decl.latest_version);
    diesel::insert_into(blobs::table)
        .values((
            blobs::sha256.eq(sha256),
            blobs::size.eq(size),
            blobs::content_type.eq("application/pdf"),
            blobs::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    diesel::update(
        declaration_versions::table
            .filter(declaration_versions::declaration_id.eq(id))
            .filter(declaration_versions::version.eq(draft_no)),
    )
    .set((
        declaration_versions::full_text_sha256.eq(sha256),
        declaration_versions::full_text_size.eq(size),
        declaration_versions::updated_at.eq(now),
    ))
    .execute(conn)?;
    diesel::update(declarations::table.find(id)).set(declarations::updated_at.eq(now)).execute(conn)?;
    outbox::enqueue(conn, outbox::DECLARATION, id)?;
    let view = get_for(conn, Some(actor), id)?;
    // The audit append holds the chain's lock until commit: do it last.
    audit_event(
        conn,
        now,
        actor,
        "declaration.full_text_uploaded",
        id,
        &decl.division_code,
        serde_json::json!({"version": draft_no, "sha256": sha256, "size": size}),
    )?;
    Ok(view)
}

/// The full text a caller may download: (sha256, number for the file name).
pub fn full_text_for(conn: &mut PgConnection, actor: Option<&Actor>, id: Uuid) -> ApiResult<(String, String)> {
    let decl = super::load_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
    let owner = is_owner(actor, &decl);
    let supervisor = super::is_supervisor(actor, &decl);
    let version = if owner { decl.draft_version.or(decl.current_version) } else { decl.current_version };
    let Some(version) = version else { return Err(ApiError::not_found("声明")) };
    let v = load_version(conn, id, version)?.ok_or_else(|| ApiError::not_found("声明"))?;
    let sha = v.full_text_sha256.ok_or_else(|| ApiError::not_found("标准全文"))?;
    if !(v.full_text_public || owner || supervisor) {
        return Err(ApiError::forbidden("该标准全文未公开，仅声明单位和监管人员可以下载"));
    }
    Ok((sha, v.standard_number))
}

/// Abolishes a public declaration (a regulator, after a failed rectification). A pending draft ends
/// with it.
pub fn abolish(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    by: &crate::audit::AuditActor,
    id: Uuid,
    reason: &str,
) -> ApiResult<()> {
    let decl = lock_declaration(conn, id)?.ok_or_else(|| ApiError::not_found("声明"))?;
    check(decl.status, decl.draft_version.is_some(), Action::Abolish).map_err(refuse)?;
    let versions = end_live_versions(conn, now, &decl, Ended::Abolished, reason)?;
    // The audit append holds the chain's lock until commit: do it last.
    audit::append(
        conn,
        now,
        NewEvent {
            actor: by,
            action: "declaration.abolished",
            entity_type: "declaration",
            entity_id: id.to_string(),
            division_code: Some(decl.division_code.clone()),
            summary: serde_json::json!({"reason": reason, "versions": versions}),
        },
    )?;
    Ok(())
}

/// How a declaration ended.
#[derive(Clone, Copy)]
enum Ended {
    Withdrawn,
    Abolished,
}

/// Ends a declaration's live versions (the current one and a pending draft) with a reason, moves
/// the declaration to the end state and queues its search update; returns the versions ended.
/// The caller checks the transition first and appends its audit event after.
fn end_live_versions(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    decl: &DeclarationRow,
    ended: Ended,
    reason: &str,
) -> QueryResult<Vec<i32>> {
    let (status, version_status) = match ended {
        Ended::Withdrawn => (Status::Withdrawn, VersionStatus::Withdrawn),
        Ended::Abolished => (Status::Abolished, VersionStatus::Abolished),
    };
    let versions: Vec<i32> = decl.current_version.into_iter().chain(decl.draft_version).collect();
    diesel::update(
        declaration_versions::table
            .filter(declaration_versions::declaration_id.eq(decl.id))
            .filter(declaration_versions::version.eq_any(&versions)),
    )
    .set((
        declaration_versions::status.eq(version_status),
        declaration_versions::ended_at.eq(now),
        declaration_versions::end_reason.eq(reason),
    ))
    .execute(conn)?;
    let withdrawn_at = match ended {
        Ended::Withdrawn => Some(now),
        Ended::Abolished => None,
    };
    diesel::update(declarations::table.find(decl.id))
        .set((
            declarations::status.eq(status),
            declarations::draft_version.eq(None::<i32>),
            declarations::withdrawn_at.eq(withdrawn_at),
            declarations::updated_at.eq(now),
        ))
        .execute(conn)?;
    // a declaration that is no longer public carries no notices
    notices::refresh(conn, now, crate::clock::china_date(now), &[decl.id])?;
    outbox::enqueue(conn, outbox::DECLARATION, decl.id)?;
    Ok(versions)
}
