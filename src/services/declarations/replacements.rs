//! The one action offered with a notice: a revision that starts from the replacement. It opens a
//! new draft version (or takes the pending draft) and puts each replacement the catalogue knows in
//! place of the abolished or replaced standard — the declared number (with the replacement's
//! title), the applicable mandatory and the cited standards. Publishing that revision ends the
//! notices of the standards it no longer cites.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::input::{DeclarationPatch, StandardBody};
use super::lifecycle::{self, audit_event, lock_owned};
use super::{DeclarationView, get_for};
use crate::domain::actor::Actor;
use crate::domain::catalog::Role;
use crate::error::{ApiError, ApiResult};
use crate::reference::standards;
use crate::services::notices;

/// Replaces every number listed in `map` by its replacements, keeping the order and dropping
/// duplicates.
fn replace_all(list: &[String], map: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in list {
        for r in map.get(n).cloned().unwrap_or_else(|| vec![n.clone()]) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// Opens (or takes) the draft and fills in the replacements of the standards with notices.
/// 409 when the declaration has no notice with a known replacement.
pub fn revise_with_replacements(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &Actor,
    id: Uuid,
    today: NaiveDate,
) -> ApiResult<DeclarationView> {
    let decl = lock_owned(conn, actor, id)?;
    let active = notices::active_for(conn, id)?;
    let map: BTreeMap<String, Vec<String>> = active
        .iter()
        .filter(|n| !n.replacements.is_empty())
        .map(|n| (n.standard.clone(), n.replacements.clone()))
        .collect();
    if map.is_empty() {
        return Err(ApiError::conflict(
            "no_known_replacement",
            "本声明没有可自动替换的标准：目录中没有记录所执行或引用标准的代替标准，请手工修订",
        ));
    }
    if decl.draft_version.is_none() {
        lifecycle::revise(conn, now, actor, id)?;
    }
    let draft = get_for(conn, Some(actor), id)?;
    let declared_notice = active.iter().find(|n| n.role == Role::Declared && map.contains_key(&n.standard));
    let standard = match declared_notice {
        Some(n) if draft.standard.normalized == n.standard => {
            let new_number = map[&n.standard][0].clone();
            let title = standards::find(conn, &new_number)?.map_or(draft.standard.title.clone(), |r| r.title);
            Some(StandardBody { number: new_number, title })
        }
        _ => None,
    };
    let patch = DeclarationPatch {
        standard,
        cited_standards: Some(replace_all(&draft.cited_standards, &map)),
        applicable_mandatory: Some(replace_all(&draft.applicable_mandatory, &map)),
        ..DeclarationPatch::default()
    };
    let mut view = lifecycle::patch(conn, now, actor, id, patch, today)?;
    let replaced: Vec<&String> = map.keys().collect();
    // The audit append holds the chain's lock until commit: do it last.
    audit_event(
        conn,
        now,
        actor,
        "declaration.replacements_applied",
        id,
        &decl.division_code,
        serde_json::json!({"version": view.version, "replacements": map, "standards": replaced}),
    )?;
    view.notices = notices::active_for(conn, id)?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_keep_order_and_drop_duplicates() {
        let map = BTreeMap::from([("GB 1-2000".to_string(), vec!["GB 1-2020".to_string()])]);
        let list = vec!["GB/T 2-2001".to_string(), "GB 1-2000".to_string(), "GB 1-2020".to_string()];
        assert_eq!(replace_all(&list, &map), vec!["GB/T 2-2001".to_string(), "GB 1-2020".to_string()]);
    }
}
