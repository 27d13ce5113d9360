//! `/search`: the API's search parameters, the same search call, results with highlights, facet
//! counts as links, a Chongqing district picker, sorting, paging, the degraded notice and an
//! empty-result page with suggestions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;

use super::DeclarationCard;
use crate::domain::coded::Coded;
use crate::error::ApiError;
use crate::extract::parse_query;
use crate::search::engine::SearchResponse;
use crate::search::query::{SearchParams, SearchRequest};
use crate::state::AppState;
use crate::web::i18n::{Labels, Strings};
use crate::web::page::{Chrome, OrPage, PageResult, render, strings};
use crate::web::{Names, WebState, format};

/// One clickable filter value.
pub struct FacetLink {
    pub label: String,
    pub count: Option<usize>,
    pub href: String,
    pub selected: bool,
}

pub struct FacetGroup {
    pub title: &'static str,
    pub links: Vec<FacetLink>,
}

/// An option of the district picker.
pub struct DistrictOption {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

/// A filter in force, with the link that removes it.
pub struct ActiveFilter {
    pub label: String,
    pub remove_href: String,
}

pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub heading: String,
    pub q: String,
    pub error: Option<String>,
    pub degraded: bool,
    pub total_text: String,
    pub total: usize,
    pub cards: Vec<DeclarationCard>,
    pub groups: Vec<FacetGroup>,
    pub districts: Vec<DistrictOption>,
    /// Current parameters other than `division` and `page`, for the picker's form.
    pub keep: Vec<(String, String)>,
    pub division_selected: bool,
    pub sorts: Vec<FacetLink>,
    pub active: Vec<ActiveFilter>,
    pub clear_href: String,
    pub pages: Vec<PageLink>,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

/// The non-empty parameters of the request, in a stable order.
fn current(p: &SearchParams) -> Vec<(String, String)> {
    let fields: [(&str, &Option<String>); 15] = [
        ("q", &p.q),
        ("kind", &p.kind),
        ("standard_type", &p.standard_type),
        ("division", &p.division),
        ("industry", &p.industry),
        ("status", &p.status),
        ("flagged", &p.flagged),
        ("stricter_than_national", &p.stricter_than_national),
        ("outdated", &p.outdated),
        ("uscc", &p.uscc),
        ("published_from", &p.published_from),
        ("published_to", &p.published_to),
        ("sort", &p.sort),
        ("page", &p.page),
        ("per_page", &p.per_page),
    ];
    fields
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|v| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// `/search` with `key` set to `value` (or removed), back on page 1.
fn href(cur: &[(String, String)], key: &str, value: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = cur.iter().filter(|(k, _)| k != key && k != "page").cloned().collect();
    if let Some(v) = value {
        pairs.push((key.to_string(), v.to_string()));
    }
    if pairs.is_empty() { "/search".to_string() } else { format!("/search?{}", format::query(&pairs)) }
}

fn page_href(cur: &[(String, String)], page: usize) -> String {
    let mut pairs: Vec<(String, String)> = cur.iter().filter(|(k, _)| k != "page").cloned().collect();
    if page > 1 {
        pairs.push(("page".into(), page.to_string()));
    }
    if pairs.is_empty() { "/search".to_string() } else { format!("/search?{}", format::query(&pairs)) }
}

fn label(table: Labels, code: &str) -> String {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| l.to_string()).unwrap_or_else(|| code.to_string())
}

/// The codes of coded values (the facets' keys).
fn codes_of<T: Coded>(values: &[T]) -> Vec<&'static str> {
    values.iter().map(|v| v.code()).collect()
}

/// A group of links from a facet: every value the table knows, with its count.
fn coded_group(
    title: &'static str,
    key: &str,
    table: Labels,
    counts: &std::collections::BTreeMap<String, usize>,
    selected: &[&str],
    cur: &[(String, String)],
) -> FacetGroup {
    let mut links: Vec<FacetLink> = table
        .iter()
        .filter(|(code, _)| counts.contains_key(*code) || selected.contains(code))
        .map(|(code, words)| {
            let on = selected.contains(code);
            FacetLink {
                label: words.to_string(),
                count: counts.get(*code).copied(),
                href: href(cur, key, if on { None } else { Some(code) }),
                selected: on,
            }
        })
        .collect();
    links.sort_by_key(|l| std::cmp::Reverse(l.count.unwrap_or(0)));
    FacetGroup { title, links }
}

struct Built {
    groups: Vec<FacetGroup>,
    districts: Vec<DistrictOption>,
    active: Vec<ActiveFilter>,
    sorts: Vec<FacetLink>,
}

fn build_filters(
    t: &'static Strings,
    names: &Names,
    r: &SearchRequest,
    res: &SearchResponse,
    cur: &[(String, String)],
) -> Built {
    let f = &res.facets;
    let mut groups = vec![
        coded_group(t.search.kind, "kind", t.codes.kinds, &f.kind, &codes_of(&r.kinds), cur),
        coded_group(
            t.search.standard_type,
            "standard_type",
            t.codes.standard_types,
            &f.standard_type,
            &codes_of(&r.types),
            cur,
        ),
    ];
    // Districts of Chongqing with results, most first.
    let mut districts: Vec<FacetLink> = names
        .chongqing
        .iter()
        .filter_map(|(code, name)| {
            let prefix = crate::domain::codes::division_prefix(code);
            let n = f.division.get(prefix).copied()?;
            let on = r.division.as_deref() == Some(prefix);
            Some(FacetLink {
                label: name.clone(),
                count: Some(n),
                href: href(cur, "division", if on { None } else { Some(prefix) }),
                selected: on,
            })
        })
        .collect();
    districts.sort_by_key(|l| std::cmp::Reverse(l.count.unwrap_or(0)));
    districts.truncate(12);
    groups.push(FacetGroup { title: t.search.division, links: districts });
    let sections: Vec<FacetLink> = {
        let mut v: Vec<FacetLink> = f
            .industry_section
            .iter()
            .map(|(letter, n)| {
                let on = r.industry.as_deref() == Some(letter.as_str());
                FacetLink {
                    label: format!("{letter} {}", names.section(letter).unwrap_or_default()),
                    count: Some(*n),
                    href: href(cur, "industry", if on { None } else { Some(letter) }),
                    selected: on,
                }
            })
            .collect();
        v.sort_by_key(|l| std::cmp::Reverse(l.count.unwrap_or(0)));
        v
    };
    groups.push(FacetGroup { title: t.search.industry, links: sections });
    let flagged_links = [("true", t.search.flagged_true), ("false", t.search.flagged_false)]
        .iter()
        .filter(|(v, _)| f.flagged.contains_key(*v) || r.flagged.map(|b| b.to_string()).as_deref() == Some(*v))
        .map(|(v, words)| {
            let on = r.flagged.map(|b| b.to_string()).as_deref() == Some(*v);
            FacetLink {
                label: words.to_string(),
                count: f.flagged.get(*v).copied(),
                href: href(cur, "flagged", if on { None } else { Some(v) }),
                selected: on,
            }
        })
        .collect();
    groups.push(FacetGroup { title: t.search.flagged, links: flagged_links });
    let on = r.stricter_than_national == Some(true);
    let stricter_links = if f.stricter_than_national.contains_key("true") || on {
        vec![FacetLink {
            label: t.decl.stricter_badge.to_string(),
            count: f.stricter_than_national.get("true").copied(),
            href: href(cur, "stricter_than_national", if on { None } else { Some("true") }),
            selected: on,
        }]
    } else {
        Vec::new()
    };
    groups.push(FacetGroup { title: t.search.comparisons, links: stricter_links });
    let outdated_links = [("true", t.search.outdated_true), ("false", t.search.outdated_false)]
        .iter()
        .filter(|(v, _)| f.outdated.contains_key(*v) || r.outdated.map(|b| b.to_string()).as_deref() == Some(*v))
        .map(|(v, words)| {
            let on = r.outdated.map(|b| b.to_string()).as_deref() == Some(*v);
            FacetLink {
                label: words.to_string(),
                count: f.outdated.get(*v).copied(),
                href: href(cur, "outdated", if on { None } else { Some(v) }),
                selected: on,
            }
        })
        .collect();
    groups.push(FacetGroup { title: t.search.outdated, links: outdated_links });
    // Status: the default is "in force"; the other states are opt-in.
    let status_now = cur.iter().find(|(k, _)| k == "status").map(|(_, v)| v.as_str()).unwrap_or("public");
    let status_links = [("public", "public"), ("withdrawn", "withdrawn"), ("abolished", "abolished"), ("all", "all")]
        .iter()
        .map(|(v, code)| FacetLink {
            label: if *code == "all" { t.search.status_all.to_string() } else { label(t.codes.statuses, code) },
            count: f.status.get(*code).copied().filter(|_| status_now == "all" || status_now == *v),
            href: href(cur, "status", if *v == "public" { None } else { Some(v) }),
            selected: status_now == *v,
        })
        .collect();
    groups.push(FacetGroup { title: t.search.status, links: status_links });

    let districts = names
        .chongqing
        .iter()
        .map(|(code, name)| {
            let prefix = crate::domain::codes::division_prefix(code).to_string();
            let n = f.division.get(&prefix).copied().unwrap_or(0);
            DistrictOption {
                selected: r.division.as_deref() == Some(prefix.as_str()),
                label: if n > 0 { format!("{name}（{n}）") } else { name.clone() },
                code: prefix,
            }
        })
        .collect();

    let mut active = Vec::new();
    for k in &r.kinds {
        active.push(ActiveFilter { label: k.label().to_string(), remove_href: href(cur, "kind", None) });
    }
    for k in &r.types {
        active.push(ActiveFilter { label: k.label().to_string(), remove_href: href(cur, "standard_type", None) });
    }
    if let Some(d) = &r.division {
        let name = names.division_prefix(d).map(str::to_string).unwrap_or_else(|| d.clone());
        active.push(ActiveFilter { label: name, remove_href: href(cur, "division", None) });
    }
    if let Some(i) = &r.industry {
        let name = names.section(&i[..1]).map(|n| format!("{i} {n}")).unwrap_or_else(|| i.clone());
        active.push(ActiveFilter { label: name, remove_href: href(cur, "industry", None) });
    }
    if let Some(fl) = r.flagged {
        let words = if fl { t.search.flagged_true } else { t.search.flagged_false };
        active.push(ActiveFilter { label: words.to_string(), remove_href: href(cur, "flagged", None) });
    }
    if let Some(s) = r.stricter_than_national {
        let words =
            if s { t.decl.stricter_badge.to_string() } else { format!("{}：{}", t.search.comparisons, t.site.no) };
        active.push(ActiveFilter { label: words, remove_href: href(cur, "stricter_than_national", None) });
    }
    if let Some(o) = r.outdated {
        let words = if o { t.search.outdated_true } else { t.search.outdated_false };
        active.push(ActiveFilter { label: words.to_string(), remove_href: href(cur, "outdated", None) });
    }
    if let Some(u) = &r.uscc {
        active.push(ActiveFilter { label: u.clone(), remove_href: href(cur, "uscc", None) });
    }
    if status_now != "public" {
        let words =
            if status_now == "all" { t.search.status_all.to_string() } else { label(t.codes.statuses, status_now) };
        active.push(ActiveFilter { label: words, remove_href: href(cur, "status", None) });
    }

    let sort_now = cur.iter().find(|(k, _)| k == "sort").map(|(_, v)| v.as_str()).unwrap_or("relevance");
    let sorts = [
        ("relevance", t.search.sort_relevance),
        ("published_at:desc", t.search.sort_newest),
        ("published_at:asc", t.search.sort_oldest),
    ]
    .iter()
    .map(|(v, words)| FacetLink {
        label: words.to_string(),
        count: None,
        href: href(cur, "sort", if *v == "relevance" { None } else { Some(v) }),
        selected: sort_now == *v,
    })
    .collect();
    Built { groups, districts, active, sorts }
}

fn empty_page(t: &'static Strings, q: String, error: Option<String>) -> SearchPage {
    SearchPage {
        t,
        chrome: Chrome::new(t, t.search.title, "search"),
        heading: t.search.title.to_string(),
        q,
        error,
        degraded: false,
        total_text: String::new(),
        total: 0,
        cards: Vec::new(),
        groups: Vec::new(),
        districts: Vec::new(),
        keep: Vec::new(),
        division_selected: false,
        sorts: Vec::new(),
        active: Vec::new(),
        clear_href: "/search".into(),
        pages: Vec::new(),
        prev_href: None,
        next_href: None,
    }
}

pub async fn search(req: HttpRequest, state: web::Data<AppState>, ws: web::Data<WebState>) -> PageResult {
    let t = strings(&req);
    let parsed: Result<(SearchParams, SearchRequest), ApiError> = parse_query::<SearchParams>(req.query_string())
        .and_then(|p| {
            SearchRequest::parse(&p).map(|mut r| {
                r.facets = crate::search::query::FacetSet::Extended;
                (p, r)
            })
        });
    let (params, request) = match parsed {
        Ok(v) => v,
        Err(e) => {
            let q = url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let message =
                e.details.first().map(|d| format!("{}：{}", d.field, d.message)).unwrap_or(e.message.to_string());
            let mut page = empty_page(t, q, Some(message));
            page.heading = t.search.bad_request.to_string();
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
    };
    let names = ws.names(&state).await.or_page(&req)?;
    let res = state.search(&request).await.or_page(&req)?;
    let cur = current(&params);
    let built = build_filters(t, &names, &request, &res, &cur);
    let q = params.q.clone().unwrap_or_default();
    let heading = if q.trim().is_empty() { t.search.title.to_string() } else { t.fill1(t.search.title_for, q.trim()) };
    let last_page = res.total.div_ceil(request.per_page).clamp(1, 10_000);
    let window = request.page.saturating_sub(3).max(1)..=(request.page + 3).min(last_page);
    let pages = if last_page > 1 {
        window.map(|n| PageLink { number: n, href: page_href(&cur, n), current: n == request.page }).collect()
    } else {
        Vec::new()
    };
    let page = SearchPage {
        t,
        chrome: Chrome::new(t, heading.clone(), "search"),
        heading,
        q,
        error: None,
        degraded: res.degraded,
        total_text: t.fill1(t.search.total, res.total),
        total: res.total,
        cards: res.items.iter().map(|it| DeclarationCard::from_item(t, &names, it)).collect(),
        groups: built.groups,
        districts: built.districts,
        keep: cur.iter().filter(|(k, _)| k != "division" && k != "page").cloned().collect(),
        division_selected: request.division.is_some(),
        sorts: built.sorts,
        clear_href: href(
            &cur.iter().filter(|(k, _)| k == "q").cloned().collect::<Vec<_>>(),
            "q",
            params.q.as_deref().filter(|s| !s.trim().is_empty()),
        ),
        active: built.active,
        pages,
        prev_href: (request.page > 1).then(|| page_href(&cur, request.page - 1)),
        next_href: (request.page < last_page).then(|| page_href(&cur, request.page + 1)),
    };
    Ok(render(StatusCode::OK, &page))
}
