//! The standards catalogue table (`catalog_standards`): reading rows for the API and the checks,
//! the as-you-type search (trigram indexes on the title and on the loose number), and writing the
//! rows a load decided on.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Text};
use diesel::upsert::excluded;
use serde::Serialize;

use crate::db::escape_like;
use crate::db::schema::catalog_standards;
use crate::domain::catalog::{self, CatalogStatus, Entry};

/// A catalogue row as the API shows it.
#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = catalog_standards)]
pub struct CatalogStandard {
    pub number: String,
    #[serde(skip)]
    pub prefix: String,
    /// `national_mandatory`, `national_recommended`, `national_guidance`, `industry`, `local`
    #[serde(rename = "type")]
    pub standard_type: String,
    /// `mandatory`, `recommended` or `guidance`
    pub nature: String,
    pub title: String,
    pub title_en: Option<String>,
    pub status: CatalogStatus,
    pub publish_date: Option<NaiveDate>,
    pub implement_date: Option<NaiveDate>,
    pub abolish_date: Option<NaiveDate>,
    #[diesel(deserialize_as = Vec<Option<String>>)]
    #[schema(value_type = Vec<String>)]
    pub replaces: Strings,
    #[diesel(deserialize_as = Vec<Option<String>>)]
    #[schema(value_type = Vec<String>)]
    pub replaced_by: Strings,
    pub ics: Option<String>,
    pub ccs: Option<String>,
    /// Adopted international standard (采标情况).
    pub adopted: Option<String>,
    /// Responsible department (主管部门).
    pub department: Option<String>,
    /// Technical committee (归口单位).
    pub committee: Option<String>,
    pub source: String,
    pub loaded_at: DateTime<Utc>,
}

/// A list of numbers read from a `TEXT[]` column (its elements are never null).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Strings(pub Vec<String>);

impl From<Vec<Option<String>>> for Strings {
    fn from(v: Vec<Option<String>>) -> Self {
        Strings(v.into_iter().flatten().collect())
    }
}

impl CatalogStandard {
    pub fn status(&self) -> CatalogStatus {
        self.status
    }

    /// The row as a load compares it.
    pub fn entry(&self) -> Entry {
        Entry {
            number: self.number.clone(),
            prefix: self.prefix.clone(),
            standard_type: self.standard_type.clone(),
            nature: self.nature.clone(),
            title: self.title.clone(),
            title_en: self.title_en.clone(),
            status: self.status(),
            publish_date: self.publish_date,
            implement_date: self.implement_date,
            abolish_date: self.abolish_date,
            replaces: self.replaces.0.clone(),
            replaced_by: self.replaced_by.0.clone(),
            ics: self.ics.clone(),
            ccs: self.ccs.clone(),
            adopted: self.adopted.clone(),
            department: self.department.clone(),
            committee: self.committee.clone(),
            source: self.source.clone(),
        }
    }
}

/// One row by its normalized number, else by its loose form when that names exactly one row
/// (`gb17761-2018`, `GB17761—2018`).
pub fn find(conn: &mut PgConnection, number: &str) -> QueryResult<Option<CatalogStandard>> {
    if let Some(row) =
        catalog_standards::table.find(number).select(CatalogStandard::as_select()).first(conn).optional()?
    {
        return Ok(Some(row));
    }
    let compact = catalog::compact(number);
    if compact.is_empty() {
        return Ok(None);
    }
    let mut rows: Vec<CatalogStandard> = catalog_standards::table
        .filter(catalog_standards::number_compact.eq(compact))
        .select(CatalogStandard::as_select())
        .limit(2)
        .load(conn)?;
    Ok(if rows.len() == 1 { rows.pop() } else { None })
}

/// Rows by normalized number.
pub fn by_numbers(conn: &mut PgConnection, numbers: &[String]) -> QueryResult<HashMap<String, CatalogStandard>> {
    let mut out = HashMap::with_capacity(numbers.len());
    for chunk in numbers.chunks(10_000) {
        let rows: Vec<CatalogStandard> = catalog_standards::table
            .filter(catalog_standards::number.eq_any(chunk))
            .select(CatalogStandard::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|r| (r.number.clone(), r)));
    }
    Ok(out)
}

/// As-you-type search over the whole catalogue: a loose number (`gb17761`, `17761`, `GB/T 222`)
/// matches on the compact number (trigram index; prefix matches first), words match the Chinese
/// or English title (trigram index). Current standards come before upcoming, abolished last.
pub fn search(conn: &mut PgConnection, q: &str, limit: i64) -> QueryResult<Vec<CatalogStandard>> {
    let compact = catalog::compact(q);
    let title = format!("%{}%", escape_like(q.trim()));
    let numberish = !compact.is_empty() && compact.chars().any(|c| c.is_ascii_digit());
    let mut query = catalog_standards::table.select(CatalogStandard::as_select()).into_boxed();
    query = if numberish {
        let pattern = format!("%{}%", escape_like(&compact));
        query.filter(catalog_standards::number_compact.like(pattern).or(catalog_standards::title.ilike(title)))
    } else {
        query.filter(catalog_standards::title.ilike(title.clone()).or(catalog_standards::title_en.ilike(title)))
    };
    let prefix = format!("{}%", escape_like(&compact));
    query
        .order((
            diesel::dsl::sql::<Bool>("number_compact LIKE ").bind::<Text, _>(prefix).desc(),
            diesel::dsl::sql::<Bool>("status = 'abolished'").asc(),
            diesel::dsl::sql::<Bool>("status = 'current'").desc(),
            catalog_standards::number_compact,
        ))
        .limit(limit)
        .load(conn)
}

#[derive(Insertable)]
#[diesel(table_name = catalog_standards)]
struct Row<'a> {
    number: &'a str,
    prefix: &'a str,
    nature: &'a str,
    standard_type: &'a str,
    title: &'a str,
    title_en: Option<&'a str>,
    status: &'static str,
    publish_date: Option<NaiveDate>,
    implement_date: Option<NaiveDate>,
    abolish_date: Option<NaiveDate>,
    replaces: Vec<Option<String>>,
    replaced_by: Vec<Option<String>>,
    ics: Option<&'a str>,
    ccs: Option<&'a str>,
    adopted: Option<&'a str>,
    department: Option<&'a str>,
    committee: Option<&'a str>,
    source: &'a str,
    loaded_at: DateTime<Utc>,
}

/// Inserts new rows and overwrites changed ones (all columns of the entry, and the load time).
pub fn upsert(conn: &mut PgConnection, entries: &[&Entry], at: DateTime<Utc>) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in entries.chunks(1000) {
        let rows: Vec<Row> = chunk
            .iter()
            .map(|e| Row {
                number: &e.number,
                prefix: &e.prefix,
                nature: &e.nature,
                standard_type: &e.standard_type,
                title: &e.title,
                title_en: e.title_en.as_deref(),
                status: e.status.as_str(),
                publish_date: e.publish_date,
                implement_date: e.implement_date,
                abolish_date: e.abolish_date,
                replaces: e.replaces.iter().cloned().map(Some).collect(),
                replaced_by: e.replaced_by.iter().cloned().map(Some).collect(),
                ics: e.ics.as_deref(),
                ccs: e.ccs.as_deref(),
                adopted: e.adopted.as_deref(),
                department: e.department.as_deref(),
                committee: e.committee.as_deref(),
                source: &e.source,
                loaded_at: at,
            })
            .collect();
        n += diesel::insert_into(catalog_standards::table)
            .values(&rows)
            .on_conflict(catalog_standards::number)
            .do_update()
            .set((
                catalog_standards::prefix.eq(excluded(catalog_standards::prefix)),
                catalog_standards::nature.eq(excluded(catalog_standards::nature)),
                catalog_standards::standard_type.eq(excluded(catalog_standards::standard_type)),
                catalog_standards::title.eq(excluded(catalog_standards::title)),
                catalog_standards::title_en.eq(excluded(catalog_standards::title_en)),
                catalog_standards::status.eq(excluded(catalog_standards::status)),
                catalog_standards::publish_date.eq(excluded(catalog_standards::publish_date)),
                catalog_standards::implement_date.eq(excluded(catalog_standards::implement_date)),
                catalog_standards::abolish_date.eq(excluded(catalog_standards::abolish_date)),
                catalog_standards::replaces.eq(excluded(catalog_standards::replaces)),
                catalog_standards::replaced_by.eq(excluded(catalog_standards::replaced_by)),
                catalog_standards::ics.eq(excluded(catalog_standards::ics)),
                catalog_standards::ccs.eq(excluded(catalog_standards::ccs)),
                catalog_standards::adopted.eq(excluded(catalog_standards::adopted)),
                catalog_standards::department.eq(excluded(catalog_standards::department)),
                catalog_standards::committee.eq(excluded(catalog_standards::committee)),
                catalog_standards::source.eq(excluded(catalog_standards::source)),
                catalog_standards::loaded_at.eq(excluded(catalog_standards::loaded_at)),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

/// Inserts rows that are not in the catalogue yet and leaves existing ones alone (the shipped
/// sample must never overwrite what an operator loaded).
pub fn insert_missing(conn: &mut PgConnection, entries: &[Entry], at: DateTime<Utc>) -> QueryResult<usize> {
    let numbers: Vec<String> = entries.iter().map(|e| e.number.clone()).collect();
    let present = by_numbers(conn, &numbers)?;
    let new: Vec<&Entry> = entries.iter().filter(|e| !present.contains_key(&e.number)).collect();
    upsert(conn, &new, at)
}

/// Statuses the dates say should move today: (number, from, to).
pub fn due_moves(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> QueryResult<Vec<(String, CatalogStatus, CatalogStatus)>> {
    let rows: Vec<(String, CatalogStatus, Option<NaiveDate>, Option<NaiveDate>)> = catalog_standards::table
        .filter(catalog_standards::status.eq_any([CatalogStatus::Upcoming, CatalogStatus::Current]))
        .filter(catalog_standards::implement_date.le(today).or(catalog_standards::abolish_date.le(today)))
        .select((
            catalog_standards::number,
            catalog_standards::status,
            catalog_standards::implement_date,
            catalog_standards::abolish_date,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(number, from, implement, abolish)| {
            catalog::status_due(from, implement, abolish, today).map(|to| (number, from, to))
        })
        .collect())
}

/// Sets the status of the given rows.
pub fn set_status(conn: &mut PgConnection, numbers: &[String], to: CatalogStatus) -> QueryResult<usize> {
    diesel::sql_query("UPDATE catalog_standards SET status = $1 WHERE number = ANY($2)")
        .bind::<Text, _>(to.as_str())
        .bind::<Array<Text>, _>(numbers)
        .execute(conn)
}
