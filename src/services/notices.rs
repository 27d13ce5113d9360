//! Public notices on declarations whose standards were abolished or replaced (SPEC §3.6). A notice
//! is derived state: [`refresh`] recomputes a declaration's notices from its current public version
//! (the declared standard, the applicable mandatory ones, the cited ones) and the catalogue, keeps
//! unchanged notices (and their dates), starts new ones and ends those that no longer apply — when
//! a revision stops citing the standard, the catalogue changes back, or the declaration stops
//! being public. Information, not a flag: regulators decide what follows.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Text, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

use crate::db::schema::{declaration_notices, declarations};
use crate::domain::catalog::{self, NoticeKind, Role, Standing};
use crate::reference::standards;

/// A notice as declaration views show it.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct NoticeView {
    /// `standard_abolished` or `standard_replaced`
    pub kind: NoticeKind,
    /// The standard concerned (normalized number).
    pub standard: String,
    /// Its replacement, when the catalogue knows one (the first if several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// Every replacement the catalogue knows.
    pub replacements: Vec<String>,
    /// Since when: the abolition date, else the date the replacement took (or takes) effect.
    pub since: NaiveDate,
    /// How the declaration uses the standard: `declared`, `applicable_mandatory`, `cited`.
    pub role: Role,
}

type NoticeRow = (i64, Uuid, String, Role, NoticeKind, Vec<Option<String>>, NaiveDate);

fn view_of(r: &NoticeRow) -> Option<NoticeView> {
    let replacements: Vec<String> = r.5.iter().flatten().cloned().collect();
    Some(NoticeView {
        kind: r.4,
        standard: r.2.clone(),
        replaced_by: replacements.first().cloned(),
        replacements,
        since: r.6,
        role: r.3,
    })
}

fn active_rows(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<NoticeRow>> {
    declaration_notices::table
        .filter(declaration_notices::declaration_id.eq_any(ids))
        .filter(declaration_notices::ended_at.is_null())
        .order((declaration_notices::declaration_id, declaration_notices::role, declaration_notices::standard))
        .select((
            declaration_notices::id,
            declaration_notices::declaration_id,
            declaration_notices::standard,
            declaration_notices::role,
            declaration_notices::kind,
            declaration_notices::replaced_by,
            declaration_notices::since,
        ))
        .load(conn)
}

/// The active notices of a declaration (declared standard first, then applicable, then cited).
pub fn active_for(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<NoticeView>> {
    let mut v: Vec<NoticeView> = active_rows(conn, &[id])?.iter().filter_map(view_of).collect();
    v.sort_by(|a, b| (a.role, &a.standard).cmp(&(b.role, &b.standard)));
    Ok(v)
}

/// Active notices of many declarations.
pub fn active_for_many(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, Vec<NoticeView>>> {
    let mut out: HashMap<Uuid, Vec<NoticeView>> = HashMap::new();
    for r in active_rows(conn, ids)? {
        if let Some(v) = view_of(&r) {
            out.entry(r.1).or_default().push(v);
        }
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct Refs {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Bool)]
    public: bool,
    #[diesel(sql_type = Bool)]
    outdated: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    declared: Option<String>,
    #[diesel(sql_type = Array<diesel::sql_types::Nullable<Text>>)]
    cited: Vec<Option<String>>,
    #[diesel(sql_type = Array<diesel::sql_types::Nullable<Text>>)]
    applicable: Vec<Option<String>>,
}

/// A declaration, whether it is marked outdated now, and its standards with their roles.
type DeclRefs = (Uuid, bool, Vec<(String, Role)>);

/// The standards of each declaration's current public version with their role (a number listed
/// twice keeps its first role: declared, then applicable, then cited). Non-public declarations
/// have none.
fn load_refs(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<DeclRefs>> {
    let rows: Vec<Refs> = diesel::sql_query(
        "SELECT d.id, d.status = 'public' AS public, d.outdated, v.standard_number AS declared, \
         coalesce(v.cited_standards, '{}') AS cited, coalesce(v.applicable_mandatory, '{}') AS applicable \
         FROM declarations d LEFT JOIN declaration_versions v \
           ON v.declaration_id = d.id AND v.version = d.current_version \
         WHERE d.id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut refs: Vec<(String, Role)> = Vec::new();
            if r.public {
                let all = r.declared.into_iter().map(|n| (n, Role::Declared)).chain(
                    r.applicable
                        .into_iter()
                        .flatten()
                        .map(|n| (n, Role::ApplicableMandatory))
                        .chain(r.cited.into_iter().flatten().map(|n| (n, Role::Cited))),
                );
                for (n, role) in all {
                    if !refs.iter().any(|(m, _)| *m == n) {
                        refs.push((n, role));
                    }
                }
            }
            (r.id, r.outdated, refs)
        })
        .collect())
}

/// What the catalogue says about these numbers (only those it knows).
pub fn standings(conn: &mut PgConnection, numbers: &[String]) -> QueryResult<HashMap<String, Standing>> {
    let rows = standards::by_numbers(conn, numbers)?;
    let replacements: Vec<String> = {
        let set: HashSet<&String> = rows.values().flat_map(|r| r.replaced_by.0.iter()).collect();
        set.into_iter().cloned().collect()
    };
    let repl = standards::by_numbers(conn, &replacements)?;
    Ok(rows
        .into_values()
        .map(|r| {
            let replacement_from = r
                .replaced_by
                .0
                .iter()
                .filter_map(|n| repl.get(n))
                .filter_map(|x| x.implement_date.or(x.publish_date))
                .min();
            (
                r.number.clone(),
                Standing {
                    status: r.status(),
                    abolish_date: r.abolish_date,
                    replaced_by: r.replaced_by.0,
                    replacement_from,
                },
            )
        })
        .collect())
}

/// The public declarations whose current version executes or cites any of these numbers.
pub fn affected(conn: &mut PgConnection, numbers: &[String]) -> QueryResult<Vec<(Uuid, Vec<String>)>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Uuid, Vec<Option<String>>)> = declarations::table
        .filter(declarations::status.eq(crate::domain::declaration::Status::Public))
        .filter(diesel::dsl::sql::<Bool>("standard_refs && ").bind::<Array<Text>, _>(numbers))
        .select((declarations::id, declarations::standard_refs))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, refs)| (id, refs.into_iter().flatten().collect())).collect())
}

/// Recomputes the notices of these declarations; returns those whose notices or `outdated` mark
/// changed (their search documents need refreshing).
pub fn refresh(conn: &mut PgConnection, now: DateTime<Utc>, today: NaiveDate, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    let mut changed: Vec<Uuid> = Vec::new();
    for chunk in ids.chunks(5000) {
        changed.extend(refresh_chunk(conn, now, today, chunk)?);
    }
    Ok(changed)
}

struct Desired {
    role: Role,
    kind: NoticeKind,
    replaced_by: Vec<String>,
    since: NaiveDate,
}

fn refresh_chunk(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    ids: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    let decls = load_refs(conn, ids)?;
    let numbers: Vec<String> = {
        let set: HashSet<&String> = decls.iter().flat_map(|(_, _, r)| r.iter().map(|(n, _)| n)).collect();
        set.into_iter().cloned().collect()
    };
    let standing = standings(conn, &numbers)?;
    let mut desired: BTreeMap<(Uuid, String), Desired> = BTreeMap::new();
    for (id, _, refs) in &decls {
        for (n, role) in refs {
            if let Some(s) = standing.get(n)
                && let Some((kind, since)) = catalog::notice_for(s, today)
            {
                desired
                    .insert((*id, n.clone()), Desired { role: *role, kind, replaced_by: s.replaced_by.clone(), since });
            }
        }
    }
    let existing = active_rows(conn, ids)?;
    let mut touched: HashSet<Uuid> = HashSet::new();
    let mut ended: Vec<(i64, &'static str)> = Vec::new();
    let mut kept: HashSet<(Uuid, String)> = HashSet::new();
    let refs_of: HashMap<Uuid, &Vec<(String, Role)>> = decls.iter().map(|(id, _, r)| (*id, r)).collect();
    for row in &existing {
        let key = (row.1, row.2.clone());
        let same = desired.get(&key).is_some_and(|d| {
            d.role == row.3 && d.kind == row.4 && d.replaced_by == row.5.iter().flatten().cloned().collect::<Vec<_>>()
        });
        if same {
            kept.insert(key);
            continue;
        }
        touched.insert(row.1);
        let still_cited = refs_of.get(&row.1).is_some_and(|r| r.iter().any(|(n, _)| *n == row.2));
        let reason = match refs_of.get(&row.1) {
            Some(r) if r.is_empty() => "declaration_not_public",
            _ if !still_cited => "no_longer_cited",
            _ => "catalogue_changed",
        };
        ended.push((row.0, reason));
    }
    for reason in ["declaration_not_public", "no_longer_cited", "catalogue_changed"] {
        let ids: Vec<i64> = ended.iter().filter(|(_, r)| *r == reason).map(|(id, _)| *id).collect();
        for chunk in ids.chunks(10_000) {
            diesel::update(declaration_notices::table.filter(declaration_notices::id.eq_any(chunk)))
                .set((declaration_notices::ended_at.eq(now), declaration_notices::end_reason.eq(reason)))
                .execute(conn)?;
        }
    }
    let new: Vec<_> = desired
        .iter()
        .filter(|(k, _)| !kept.contains(*k))
        .map(|((id, n), d)| {
            touched.insert(*id);
            (
                declaration_notices::declaration_id.eq(*id),
                declaration_notices::standard.eq(n.clone()),
                declaration_notices::role.eq(d.role),
                declaration_notices::kind.eq(d.kind),
                declaration_notices::replaced_by.eq(d.replaced_by.iter().cloned().map(Some).collect::<Vec<_>>()),
                declaration_notices::since.eq(d.since),
                declaration_notices::started_at.eq(now),
            )
        })
        .collect();
    for chunk in new.chunks(1000) {
        diesel::insert_into(declaration_notices::table).values(chunk).execute(conn)?;
    }
    let outdated_now: HashSet<Uuid> = desired.keys().map(|(id, _)| *id).collect();
    let (mut mark, mut unmark) = (Vec::new(), Vec::new());
    for (id, was, _) in &decls {
        let is = outdated_now.contains(id);
        if is != *was {
            touched.insert(*id);
            if is { mark.push(*id) } else { unmark.push(*id) }
        }
    }
    for (list, value) in [(mark, true), (unmark, false)] {
        for chunk in list.chunks(10_000) {
            diesel::update(declarations::table.filter(declarations::id.eq_any(chunk)))
                .set(declarations::outdated.eq(value))
                .execute(conn)?;
        }
    }
    Ok(touched.into_iter().collect())
}

/// Public declarations with an outdated standard per division, within a jurisdiction prefix.
pub fn outdated_by_division(conn: &mut PgConnection, prefix: &str) -> QueryResult<Vec<(String, i64)>> {
    declarations::table
        .filter(declarations::outdated.eq(true))
        .filter(declarations::status.eq(crate::domain::declaration::Status::Public))
        .filter(declarations::division_code.like(format!("{prefix}%")))
        .group_by(declarations::division_code)
        .select((declarations::division_code, diesel::dsl::count_star()))
        .order(declarations::division_code)
        .load(conn)
}

/// An organization's public declarations that carry notices, with them (its console dashboard).
#[derive(Serialize, Clone, Debug)]
pub struct OutdatedDeclaration {
    pub id: Uuid,
    pub standard_number: String,
    pub standard_title: String,
    pub notices: Vec<NoticeView>,
}

/// The organization's declarations with notices, newest change first (at most 100).
pub fn for_organization(conn: &mut PgConnection, org: Uuid) -> QueryResult<Vec<OutdatedDeclaration>> {
    let rows: Vec<(Uuid, String, String)> = declarations::table
        .filter(declarations::organization_id.eq(org))
        .filter(declarations::outdated.eq(true))
        .filter(declarations::status.eq(crate::domain::declaration::Status::Public))
        .order((declarations::updated_at.desc(), declarations::id))
        .limit(100)
        .select((declarations::id, declarations::standard_number, declarations::standard_title))
        .load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let mut notices = active_for_many(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(id, standard_number, standard_title)| OutdatedDeclaration {
            id,
            standard_number,
            standard_title,
            notices: notices.remove(&id).unwrap_or_default(),
        })
        .collect())
}
