//! Answering a search: Meilisearch first; when it is unreachable, fails or is slower than the
//! configured timeout, the same search from PostgreSQL (pg_trgm), marked `degraded`.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use serde::Serialize;
use uuid::Uuid;

use super::documents::{self, DeclarationDoc};

/// The document attributes a search answer needs (Meilisearch returns only these).
pub const RETRIEVED: &[&str] = &[
    "id",
    "standard_number",
    "standard_title",
    "standard_type",
    "kind",
    "status",
    "version",
    "organization_name",
    "uscc",
    "division_code",
    "industry_code",
    "products",
    "published_at",
    "flags",
    "outdated",
    "stricter_than_national",
];

/// A search hit: the retrieved attributes of a document.
#[derive(serde::Deserialize, Debug, Clone)]
pub struct Hit {
    pub id: Uuid,
    pub standard_number: String,
    pub standard_title: String,
    pub standard_type: StandardType,
    pub kind: Kind,
    pub status: Status,
    pub version: i32,
    pub organization_name: String,
    pub uscc: String,
    pub division_code: String,
    pub industry_code: Option<String>,
    pub products: Vec<String>,
    pub published_at: i64,
    pub flags: Vec<String>,
    #[serde(default)]
    pub outdated: bool,
    #[serde(default)]
    pub stricter_than_national: bool,
}

impl From<DeclarationDoc> for Hit {
    fn from(d: DeclarationDoc) -> Self {
        Self {
            id: d.id,
            standard_number: d.standard_number,
            standard_title: d.standard_title,
            standard_type: d.standard_type,
            kind: d.kind,
            status: d.status,
            version: d.version,
            organization_name: d.organization_name,
            uscc: d.uscc,
            division_code: d.division_code,
            industry_code: d.industry_code,
            products: d.products,
            published_at: d.published_at,
            flags: d.flags,
            outdated: d.outdated,
            stricter_than_national: d.stricter_than_national,
        }
    }
}
use super::SearchIndex;
use super::query::{FacetSet, SearchRequest, Sort};
use crate::db::{
    self, PgPool,
    schema::{declarations, organizations},
};
use crate::domain::declaration::{Kind, Status};
use crate::domain::standard_number::StandardType;
use crate::error::{ApiError, ApiResult};

const PRE: &str = "\u{E000}";
const POST: &str = "\u{E001}";

#[derive(Serialize, Debug, Clone, Default, utoipa::ToSchema)]
pub struct Highlight {
    /// HTML-escaped text with matches wrapped in `<em>`.
    pub standard_number: Option<String>,
    pub standard_title: Option<String>,
    pub organization_name: Option<String>,
    pub products: Vec<String>,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct SearchItem {
    pub id: Uuid,
    pub standard_number: String,
    pub standard_title: String,
    pub standard_type: StandardType,
    pub kind: Kind,
    pub status: Status,
    pub version: i32,
    pub organization_name: String,
    pub uscc: String,
    pub division_code: String,
    pub industry_code: Option<String>,
    /// Product or service names.
    pub products: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Active supervision flags.
    pub flags: Vec<String>,
    /// A standard it executes or cites was abolished or replaced (see the declaration's notices).
    pub outdated: bool,
    /// Every compared indicator is stricter than the national standards (指标严于国家标准).
    pub stricter_than_national: bool,
    pub highlight: Highlight,
}

#[derive(Serialize, Debug, Clone, Default, utoipa::ToSchema)]
pub struct Facets {
    pub kind: BTreeMap<String, usize>,
    pub standard_type: BTreeMap<String, usize>,
    pub status: BTreeMap<String, usize>,
    /// By division prefix (`50`, `5001`, `500103`): every level a declaration's division belongs to.
    /// Only on the search page (the API leaves it out).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub division: BTreeMap<String, usize>,
    /// By GB/T 4754 section letter (`C`). Only on the search page.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub industry_section: BTreeMap<String, usize>,
    /// `true` / `false`: with or without an active supervision flag. Only on the search page.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub flagged: BTreeMap<String, usize>,
    /// `true` / `false`: with or without a notice about an abolished or replaced standard.
    pub outdated: BTreeMap<String, usize>,
    /// `true` / `false`: whether every compared indicator is stricter than the national standards.
    pub stricter_than_national: BTreeMap<String, usize>,
}

#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct SearchResponse {
    pub items: Vec<SearchItem>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub facets: Facets,
    /// True when Meilisearch did not answer and PostgreSQL did.
    pub degraded: bool,
}

/// Escapes HTML, then turns the private-use match markers into `<em>` tags.
pub fn safe_highlight(s: &str) -> String {
    crate::html::escape(s).replace(PRE, "<em>").replace(POST, "</em>")
}

fn item(doc: Hit, formatted: Option<&serde_json::Map<String, serde_json::Value>>) -> SearchItem {
    let text = |k: &str| formatted.and_then(|f| f.get(k)).and_then(|v| v.as_str()).map(safe_highlight);
    let highlight = Highlight {
        standard_number: text("standard_number"),
        standard_title: text("standard_title"),
        organization_name: text("organization_name"),
        products: formatted
            .and_then(|f| f.get("products"))
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).filter(|s| s.contains(PRE)).map(safe_highlight).collect())
            .unwrap_or_default(),
    };
    SearchItem {
        id: doc.id,
        standard_number: doc.standard_number,
        standard_title: doc.standard_title,
        standard_type: doc.standard_type,
        kind: doc.kind,
        status: doc.status,
        version: doc.version,
        organization_name: doc.organization_name,
        uscc: doc.uscc,
        division_code: doc.division_code,
        industry_code: doc.industry_code,
        products: doc.products,
        published_at: DateTime::from_timestamp_millis(doc.published_at),
        flags: doc.flags,
        outdated: doc.outdated,
        stricter_than_national: doc.stricter_than_national,
        highlight,
    }
}

fn facet_map(dist: &Option<HashMap<String, HashMap<String, usize>>>, name: &str) -> BTreeMap<String, usize> {
    dist.as_ref()
        .and_then(|d| d.get(name))
        .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default()
}

/// The facet attributes a search asks Meilisearch to count.
pub fn facet_names(req: &SearchRequest) -> &'static [&'static str] {
    match req.facets {
        FacetSet::Standard => &["kind", "standard_type", "status", "outdated", "stricter_than_national"],
        FacetSet::Extended => &[
            "kind",
            "standard_type",
            "status",
            "outdated",
            "stricter_than_national",
            "division_prefixes",
            "industry_section",
            "flagged",
        ],
        FacetSet::None => &[],
    }
}

/// The JSON body Meilisearch receives for a search (the same the SDK sends; used to benchmark
/// Meilisearch directly with identical requests).
pub fn meili_body(req: &SearchRequest) -> serde_json::Value {
    let mut body = serde_json::json!({
        "page": req.page,
        "hitsPerPage": req.per_page,
        "facets": facet_names(req),
        "attributesToRetrieve": RETRIEVED,
        "attributesToHighlight": ["standard_number", "standard_title", "organization_name", "products"],
        "highlightPreTag": PRE,
        "highlightPostTag": POST,
        "matchingStrategy": "all",
    });
    if let Some(q) = &req.q {
        body["q"] = serde_json::json!(q);
    }
    if let Some(f) = req.meili_filter() {
        body["filter"] = serde_json::json!(f);
    }
    match req.sort {
        Some(Sort::NewestFirst) => body["sort"] = serde_json::json!(["published_at:desc"]),
        Some(Sort::OldestFirst) => body["sort"] = serde_json::json!(["published_at:asc"]),
        None => {}
    }
    body
}

/// Sets every search parameter on the SDK query (the same as [`meili_body`]).
fn configure<'a, Http: meilisearch_sdk::request::HttpClient>(
    query: &mut meilisearch_sdk::search::SearchQuery<'a, Http>,
    req: &'a SearchRequest,
    filter: &'a Option<String>,
    sort: &'a [&'a str],
) {
    query
        .with_page(req.page)
        .with_hits_per_page(req.per_page)
        .with_facets(Selectors::Some(facet_names(req)))
        .with_attributes_to_retrieve(Selectors::Some(RETRIEVED))
        .with_attributes_to_highlight(Selectors::Some(&[
            "standard_number",
            "standard_title",
            "organization_name",
            "products",
        ]))
        .with_highlight_pre_tag(PRE)
        .with_highlight_post_tag(POST)
        .with_matching_strategy(MatchingStrategies::ALL);
    if let Some(q) = &req.q {
        query.with_query(q);
    }
    if let Some(f) = filter {
        query.with_filter(f);
    }
    if !sort.is_empty() {
        query.with_sort(sort);
    }
}

/// Searches Meilisearch.
pub async fn search_meili(search: &SearchIndex, req: &SearchRequest) -> anyhow::Result<SearchResponse> {
    let index = search.client.index(search.declarations_uid());
    let filter = req.meili_filter();
    let sort: Vec<&str> = match req.sort {
        Some(Sort::NewestFirst) => vec!["published_at:desc"],
        Some(Sort::OldestFirst) => vec!["published_at:asc"],
        _ => Vec::new(),
    };
    let mut query = index.search();
    configure(&mut query, req, &filter, &sort);
    let started = std::time::Instant::now();
    let results = query.execute::<Hit>().await?;
    tracing::debug!(
        meili_ms = started.elapsed().as_secs_f64() * 1000.0,
        hits = results.hits.len(),
        "meilisearch answered"
    );
    let facets = Facets {
        kind: facet_map(&results.facet_distribution, "kind"),
        standard_type: facet_map(&results.facet_distribution, "standard_type"),
        status: facet_map(&results.facet_distribution, "status"),
        division: facet_map(&results.facet_distribution, "division_prefixes"),
        industry_section: facet_map(&results.facet_distribution, "industry_section"),
        flagged: facet_map(&results.facet_distribution, "flagged"),
        outdated: facet_map(&results.facet_distribution, "outdated"),
        stricter_than_national: facet_map(&results.facet_distribution, "stricter_than_national"),
    };
    Ok(SearchResponse {
        total: results.total_hits.unwrap_or(results.hits.len()),
        items: results.hits.into_iter().map(|h| item(h.result, h.formatted_result.as_ref())).collect(),
        page: req.page,
        per_page: req.per_page,
        facets,
        degraded: false,
    })
}

/// Two-way synonym groups from the shipped settings, so the fallback understands 锂电池 too.
static SYNONYMS: LazyLock<HashMap<String, Vec<String>>> =
    LazyLock::new(|| super::SearchIndex::desired_settings().ok().and_then(|s| s.synonyms).unwrap_or_default());

/// The words of the query and, for each, its alternatives.
fn terms(req: &SearchRequest) -> Vec<Vec<String>> {
    let Some(q) = &req.q else { return Vec::new() };
    // A number is one term (its search text holds the spaced and compact forms); words are ANDed.
    let words: Vec<String> =
        if req.number_like { vec![q.clone()] } else { q.split_whitespace().map(str::to_string).collect() };
    words
        .into_iter()
        .map(|w| {
            let mut alts = vec![w.clone()];
            if req.number_like {
                alts.push(w.replace(' ', ""));
            }
            if let Some(s) = SYNONYMS.get(&w) {
                alts.extend(s.iter().cloned());
            }
            alts.dedup();
            alts
        })
        .collect()
}

type Boxed<'a> = declarations::BoxedQuery<'a, diesel::pg::Pg>;

fn filtered(req: &SearchRequest) -> Boxed<'static> {
    let mut q: Boxed<'static> = declarations::table.filter(declarations::current_version.is_not_null()).into_boxed();
    if !req.statuses.is_empty() {
        q = q.filter(declarations::status.eq_any(req.statuses.clone()));
    }
    if !req.kinds.is_empty() {
        q = q.filter(declarations::kind.eq_any(req.kinds.clone()));
    }
    if !req.types.is_empty() {
        q = q.filter(declarations::standard_type.eq_any(req.types.clone()));
    }
    if let Some(d) = &req.division {
        q = q.filter(declarations::division_code.like(format!("{d}%")));
    }
    if let Some(i) = &req.industry {
        q = q.filter(declarations::industry_code.like(format!("{}%", db::escape_like(i))));
    }
    if let Some(f) = req.flagged {
        q = q.filter(declarations::flagged.eq(f));
    }
    if let Some(o) = req.outdated {
        q = q.filter(declarations::outdated.eq(o));
    }
    if let Some(s) = req.stricter_than_national {
        q = q.filter(declarations::stricter_than_national.eq(s));
    }
    if let Some(u) = &req.uscc {
        q = q.filter(
            declarations::organization_id
                .eq_any(organizations::table.filter(organizations::uscc.eq(u.clone())).select(organizations::id)),
        );
    }
    if let Some(t) = req.from_ts.and_then(DateTime::<Utc>::from_timestamp_millis) {
        q = q.filter(declarations::published_at.ge(t));
    }
    if let Some(t) = req.to_ts.and_then(DateTime::<Utc>::from_timestamp_millis) {
        q = q.filter(declarations::published_at.lt(t));
    }
    for alts in terms(req) {
        let mut cond: Option<Box<dyn BoxableExpression<declarations::table, diesel::pg::Pg, SqlType = Bool>>> = None;
        for a in alts {
            let pattern = format!("%{}%", db::escape_like(&a));
            let this: Box<dyn BoxableExpression<declarations::table, diesel::pg::Pg, SqlType = Bool>> =
                Box::new(declarations::search_text.ilike(pattern));
            cond = Some(match cond {
                None => this,
                Some(prev) => Box::new(prev.or(this)),
            });
        }
        if let Some(c) = cond {
            q = q.filter(c);
        }
    }
    q
}

/// Marks matches of the query words in a text (for the fallback's highlights).
fn mark(text: &str, req: &SearchRequest) -> Option<String> {
    let mut out = text.to_string();
    let mut hit = false;
    for alts in terms(req) {
        for a in alts {
            if !a.is_empty() && out.contains(&a) {
                out = out.replace(&a, &format!("{PRE}{a}{POST}"));
                hit = true;
            }
        }
    }
    hit.then(|| safe_highlight(&out))
}

/// The same search from PostgreSQL.
pub async fn search_postgres(pool: &PgPool, req: &SearchRequest) -> ApiResult<SearchResponse> {
    let r = req.clone();
    let (ids, total, facets) = db::run(pool, move |conn| {
        let total: i64 = filtered(&r).count().get_result(conn)?;
        let mut page = filtered(&r).select(declarations::id);
        page = match (r.sort, &r.q) {
            (Some(Sort::OldestFirst), _) => page.order((declarations::published_at.asc(), declarations::id)),
            (Some(Sort::NewestFirst), _) | (None, None) => {
                page.order((declarations::published_at.desc(), declarations::id))
            }
            (_, Some(q)) => page
                .order((
                    diesel::dsl::sql::<diesel::sql_types::Float>("word_similarity(")
                        .bind::<Text, _>(q.clone())
                        .sql(", search_text)")
                        .desc(),
                    declarations::published_at.desc(),
                ))
                .then_order_by(declarations::id),
        };
        let ids: Vec<Uuid> = page.limit(r.per_page as i64).offset(((r.page - 1) * r.per_page) as i64).load(conn)?;
        let matching = || declarations::table.filter(declarations::id.eq_any(filtered(&r).select(declarations::id)));
        let count_by = |conn: &mut PgConnection, col: &str| -> QueryResult<BTreeMap<String, usize>> {
            let rows: Vec<(String, i64)> = match col {
                "kind" => matching()
                    .group_by(declarations::kind)
                    .select((declarations::kind, diesel::dsl::count_star()))
                    .load(conn)?,
                "standard_type" => matching()
                    .group_by(declarations::standard_type)
                    .select((declarations::standard_type, diesel::dsl::count_star()))
                    .load(conn)?,
                "outdated" => matching()
                    .group_by(declarations::outdated)
                    .select((declarations::outdated, diesel::dsl::count_star()))
                    .load::<(bool, i64)>(conn)?
                    .into_iter()
                    .map(|(o, n)| (o.to_string(), n))
                    .collect(),
                "stricter_than_national" => matching()
                    .group_by(declarations::stricter_than_national)
                    .select((declarations::stricter_than_national, diesel::dsl::count_star()))
                    .load::<(bool, i64)>(conn)?
                    .into_iter()
                    .map(|(o, n)| (o.to_string(), n))
                    .collect(),
                _ => matching()
                    .group_by(declarations::status)
                    .select((declarations::status, diesel::dsl::count_star()))
                    .load(conn)?,
            };
            Ok(rows.into_iter().map(|(k, n)| (k, n as usize)).collect())
        };
        if r.facets == FacetSet::None {
            return Ok((ids, total, Facets::default()));
        }
        let standard = (count_by(conn, "kind")?, count_by(conn, "standard_type")?, count_by(conn, "status")?);
        let outdated = count_by(conn, "outdated")?;
        let stricter_than_national = count_by(conn, "stricter_than_national")?;
        if r.facets == FacetSet::Standard {
            let (kind, standard_type, status) = standard;
            return Ok((
                ids,
                total,
                Facets { kind, standard_type, status, outdated, stricter_than_national, ..Facets::default() },
            ));
        }
        let by_division: Vec<(String, i64)> = matching()
            .group_by(declarations::division_code)
            .select((declarations::division_code, diesel::dsl::count_star()))
            .load(conn)?;
        let mut division = BTreeMap::new();
        for (code, n) in by_division {
            for prefix in crate::domain::codes::division_prefixes(&code) {
                *division.entry(prefix).or_insert(0) += n as usize;
            }
        }
        let by_industry: Vec<(Option<String>, i64)> = matching()
            .group_by(declarations::industry_code)
            .select((declarations::industry_code, diesel::dsl::count_star()))
            .load(conn)?;
        let mut industry_section = BTreeMap::new();
        for (code, n) in by_industry {
            if let Some(section) = code.as_deref().and_then(|c| c.get(..1)) {
                *industry_section.entry(section.to_string()).or_insert(0) += n as usize;
            }
        }
        let by_flag: Vec<(bool, i64)> = matching()
            .group_by(declarations::flagged)
            .select((declarations::flagged, diesel::dsl::count_star()))
            .load(conn)?;
        let (kind, standard_type, status) = standard;
        let facets = Facets {
            kind,
            standard_type,
            status,
            division,
            industry_section,
            flagged: by_flag.into_iter().map(|(f, n)| (f.to_string(), n as usize)).collect(),
            outdated,
            stricter_than_national,
        };
        Ok((ids, total, facets))
    })
    .await?;
    let ids_for_docs = ids.clone();
    let mut docs = db::run(pool, move |conn| Ok(documents::load(conn, &ids_for_docs)?)).await?;
    docs.sort_by_key(|d| ids.iter().position(|id| *id == d.id));
    let items = docs
        .into_iter()
        .map(|d| {
            let mut it = item(d.into(), None);
            it.highlight = Highlight {
                standard_number: mark(&it.standard_number, req),
                standard_title: mark(&it.standard_title, req),
                organization_name: mark(&it.organization_name, req),
                products: it.products.iter().filter_map(|p| mark(p, req)).collect(),
            };
            it
        })
        .collect();
    Ok(SearchResponse { items, total: total as usize, page: req.page, per_page: req.per_page, facets, degraded: true })
}

/// Meilisearch, or PostgreSQL when Meilisearch does not answer in time (the answer says
/// `degraded: true`).
pub async fn search(pool: &PgPool, search: &SearchIndex, req: &SearchRequest) -> ApiResult<SearchResponse> {
    match tokio::time::timeout(search.timeout, search_meili(search, req)).await {
        Ok(Ok(res)) => Ok(res),
        outcome => {
            match outcome {
                Ok(Err(e)) => tracing::warn!(error = %e, "Meilisearch search failed; answering from PostgreSQL"),
                _ => tracing::warn!("Meilisearch search timed out; answering from PostgreSQL"),
            }
            search_postgres(pool, req).await.map_err(|e| {
                if e.code == crate::error::Code::DatabaseUnavailable {
                    ApiError::of(crate::error::Code::SearchUnavailable)
                } else {
                    e
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::SearchParams;

    /// The benchmark compares the API with Meilisearch answering the very same request.
    #[test]
    fn the_direct_body_is_what_the_sdk_sends() {
        let client = meilisearch_sdk::client::Client::new("http://127.0.0.1:1", Some("k")).expect("client");
        let index = client.index("x");
        for qs in [
            "q=%E9%94%82%E7%94%B5%E6%B1%A0",
            "q=gb17761&division=50&sort=published_at:desc",
            "kind=service&page=2&per_page=50",
            "",
        ] {
            let params: SearchParams = serde_urlencoded::from_str(qs).expect("params");
            for facets in [FacetSet::Standard, FacetSet::Extended, FacetSet::None] {
                let mut req = SearchRequest::parse(&params).expect("request");
                req.facets = facets;
                let filter = req.meili_filter();
                let sort: Vec<&str> = match req.sort {
                    Some(Sort::NewestFirst) => vec!["published_at:desc"],
                    Some(Sort::OldestFirst) => vec!["published_at:asc"],
                    None => Vec::new(),
                };
                let mut query = index.search();
                configure(&mut query, &req, &filter, &sort);
                let sdk = serde_json::to_value(&query).expect("serialize");
                assert_eq!(sdk, meili_body(&req), "{qs}");
            }
        }
    }
}
