//! Many declarations at once (`POST /declarations:bulk`): each item stands alone (an invalid item
//! never stops the others), but valid items are written together, with every invariant the single
//! path keeps: the same checks, one audit event per change, one outbox row per declaration.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::comparisons::{self, Rules, Subject};
use super::input::{Content, References, Warning};
use super::lifecycle::{duplicate, load_org, new_rows, org_problems};
use crate::audit::{self, AuditActor, NewEvent};
use crate::db::schema::{declaration_versions, declarations};
use crate::domain::actor::Actor;
use crate::domain::declaration::{Kind, Status, VersionStatus};
use crate::error::{ApiError, ApiResult};
use crate::outbox;

pub const MAX_ITEMS: usize = 1000;

/// Whether one item of a bulk request was created.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Created,
    Error,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct ItemResult {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub status: ItemStatus,
    /// The declaration's status after the call (`draft` or `public`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration_status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// The error body of this item, as a single request would have answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub error: Option<serde_json::Value>,
}

fn failed(index: usize, e: &ApiError) -> ItemResult {
    ItemResult {
        index,
        id: None,
        status: ItemStatus::Error,
        declaration_status: None,
        warnings: Vec::new(),
        error: Some(e.body()["error"].clone()),
    }
}

/// Live (draft/public) numbers the organization already holds, by kind.
fn live_numbers(conn: &mut PgConnection, org: Uuid) -> QueryResult<HashSet<(Kind, String)>> {
    let current: Vec<(Kind, String)> = declarations::table
        .filter(declarations::organization_id.eq(org))
        .filter(declarations::status.eq_any([Status::Draft, Status::Public]))
        .select((declarations::kind, declarations::standard_number))
        .load(conn)?;
    let drafts: Vec<(Kind, String)> = declaration_versions::table
        .inner_join(declarations::table)
        .filter(declarations::organization_id.eq(org))
        .filter(declaration_versions::status.eq(VersionStatus::Draft))
        .select((declarations::kind, declaration_versions::standard_number))
        .load(conn)?;
    Ok(current.into_iter().chain(drafts).collect())
}

/// Creates (and optionally publishes) every valid item; `items` holds each item's shape-checked
/// content or its error.
pub fn create_many(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    items: Vec<Result<Content, ApiError>>,
    publish: bool,
    _today: NaiveDate,
) -> ApiResult<Vec<ItemResult>> {
    let org = load_org(conn, actor.org_id()?)?;
    let valid: Vec<&Content> = items.iter().filter_map(|r| r.as_ref().ok()).collect();
    let refs = References::load(conn, &valid)?;
    let subjects: Vec<Subject<'_>> = valid.iter().map(|c| Subject::of_content(c)).collect();
    let rules = if publish {
        Rules::load(conn, &subjects.iter().collect::<Vec<_>>())?
    } else {
        Rules::load_unlocked(conn, &subjects.iter().collect::<Vec<_>>())?
    };
    let mut subjects = subjects.into_iter();
    let mut taken = live_numbers(conn, org.id)?;
    let mut results: Vec<Option<ItemResult>> = vec![None; items.len()];
    let mut accepted: Vec<(usize, Uuid, &Content, Vec<Warning>)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let c = match item {
            Ok(c) => c,
            Err(e) => {
                results[index] = Some(failed(index, e));
                continue;
            }
        };
        let p = format!("declarations[{index}].");
        let mut problems = org_problems(&org, c, &p);
        problems.extend(refs.problems(c, &p));
        let (mut warnings, blocking) = refs.catalog_check(c, &p);
        let Some(subject) = subjects.next() else { continue };
        let assessment = rules.assess(&subject);
        let mut below_mandatory = None;
        if publish {
            problems.extend(blocking);
            let (more, below) = comparisons::publish_check(&assessment, &subject, c.below_recommended.as_deref(), &p);
            problems.extend(more);
            below_mandatory = below;
        } else {
            problems.extend(comparisons::field_problems(&assessment, &subject, &p, false));
            warnings.extend(comparisons::draft_warnings(&assessment, &subject, c.below_recommended.as_deref(), &p));
        }
        if !problems.is_empty() {
            results[index] = Some(failed(index, &ApiError::validation(problems)));
            continue;
        }
        if let Some(refused) = below_mandatory {
            results[index] = Some(failed(index, &refused));
            continue;
        }
        if !taken.insert((c.kind, c.number.normalized.clone())) {
            results[index] = Some(failed(index, &duplicate(&c.number.normalized)));
            continue;
        }
        accepted.push((index, Uuid::now_v7(), c, warnings));
    }

    let status_after = if publish { Status::Public } else { Status::Draft };
    let ok = |index: usize, id: Uuid, warnings: Vec<Warning>| ItemResult {
        index,
        id: Some(id),
        status: ItemStatus::Created,
        declaration_status: Some(status_after),
        warnings,
        error: None,
    };
    let items: Vec<NewItem<'_>> = accepted
        .iter()
        .map(|(_, id, c, warnings)| NewItem { actor, org: &org, id: *id, content: c, warnings })
        .collect();
    // All valid items in one go; a conflict with a concurrent writer would abort the batch, so the
    // batch runs in a savepoint and falls back to one savepoint per item.
    let batch = conn.transaction::<_, ApiError, _>(|conn| write_new(conn, now, &items, publish));
    match batch {
        Ok(()) => {
            for (index, id, _, warnings) in accepted {
                results[index] = Some(ok(index, id, warnings));
            }
        }
        Err(_) => {
            for (index, id, c, warnings) in accepted {
                let item = NewItem { actor, org: &org, id, content: c, warnings: &warnings };
                let one = conn.transaction::<_, ApiError, _>(|conn| write_new(conn, now, &[item], publish));
                results[index] = Some(match one {
                    Ok(()) => ok(index, id, warnings),
                    Err(e) => failed(index, &e),
                });
            }
        }
    }
    Ok(results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| failed(i, &ApiError::internal(anyhow::anyhow!("item not processed")))))
        .collect())
}

/// A new declaration, already checked, ready to be written.
pub struct NewItem<'a> {
    pub actor: &'a Actor,
    pub org: &'a super::lifecycle::OrgInfo,
    pub id: Uuid,
    pub content: &'a Content,
    pub warnings: &'a [Warning],
}

/// Writes checked new declarations (of one or several organizations) as drafts or published, with
/// one audit event per change and one outbox row per declaration, in the caller's transaction.
pub fn write_new(conn: &mut PgConnection, now: DateTime<Utc>, items: &[NewItem<'_>], publish: bool) -> ApiResult<()> {
    let mut decl_rows = Vec::with_capacity(items.len());
    let mut version_rows = Vec::with_capacity(items.len());
    for it in items {
        let (d, v) = new_rows(now, it.actor, it.org, it.id, it.content, it.warnings, publish)?;
        decl_rows.push(d);
        version_rows.push(v);
    }
    let actors: Vec<crate::audit::AuditActor> = items.iter().map(|it| AuditActor::of(it.actor)).collect();
    let mut events = Vec::with_capacity(items.len() * 2);
    for (it, actor) in items.iter().zip(&actors) {
        let c = it.content;
        events.push(NewEvent {
            actor,
            action: "declaration.created",
            entity_type: "declaration",
            entity_id: it.id.to_string(),
            division_code: Some(it.org.division_code.clone()),
            summary: serde_json::json!({"standard_number": c.number.normalized, "kind": c.kind.as_str(), "products": c.products.len(), "bulk": true}),
        });
        if publish {
            events.push(NewEvent {
                actor,
                action: "declaration.published",
                entity_type: "declaration",
                entity_id: it.id.to_string(),
                division_code: Some(it.org.division_code.clone()),
                summary: serde_json::json!({"version": 1, "standard_number": c.number.normalized, "superseded_version": null, "bulk": true}),
            });
        }
    }
    for chunk in decl_rows.chunks(1000) {
        if let Err(e) = diesel::insert_into(declarations::table).values(chunk).execute(conn) {
            let number = chunk.first().map(|d| d.standard_number.clone()).unwrap_or_default();
            return Err(super::lifecycle::map_unique(&number)(e));
        }
    }
    for chunk in version_rows.chunks(500) {
        diesel::insert_into(declaration_versions::table).values(chunk).execute(conn)?;
    }
    let ids: Vec<Uuid> = items.iter().map(|it| it.id).collect();
    if publish {
        let subjects: Vec<Subject<'_>> = items.iter().map(|it| Subject::of_content(it.content)).collect();
        let rules = Rules::load(conn, &subjects.iter().collect::<Vec<_>>())?;
        let assessments: Vec<_> = subjects.iter().map(|s| rules.assess(s)).collect();
        let kept: Vec<_> = items.iter().zip(&assessments).map(|(it, a)| (it.id, 1, a)).collect();
        comparisons::store(conn, &kept, true)?;
    }
    // a published standard the catalogue records as replaced gives a notice at once
    if publish && items.iter().any(|it| it.warnings.iter().any(|w| w.code == "standard_replaced")) {
        crate::services::notices::refresh(conn, now, crate::clock::china_date(now), &ids)?;
    }
    outbox::enqueue_many(conn, outbox::DECLARATION, &ids)?;
    // The audit append holds the chain's lock until commit: do it last.
    audit::append_many(conn, now, &events)?;
    Ok(())
}
