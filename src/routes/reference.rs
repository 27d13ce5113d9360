//! Public read endpoints for pickers: divisions, industries and the standards catalogue.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::reference::{self, CatalogStandard, Division, Industry};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DivisionQuery {
    /// Parent division code; omitted: the provinces.
    pub parent: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DivisionList {
    pub parent: Option<Division>,
    pub items: Vec<Division>,
}

/// Divisions under a parent (GB/T 2260), for pickers: `?parent=500000` lists Chongqing's districts
/// and counties; without `parent`, the provinces.
#[utoipa::path(tag = "reference", params(DivisionQuery), responses((status = 200, body = DivisionList), (status = 404)))]
#[get("/reference/divisions")]
pub async fn list_divisions(state: web::Data<AppState>, q: Query<DivisionQuery>) -> ApiResult<web::Json<DivisionList>> {
    let parent = q.0.parent.map(|p| p.trim().to_string());
    if let Some(p) = &parent
        && !crate::domain::codes::is_division_code(p)
    {
        return Err(ApiError::bad_param("parent", "应为 6 位行政区划代码"));
    }
    let list = db::run(&state.pool, move |conn| {
        let parent_row = match &parent {
            Some(p) => Some(reference::find_division(conn, p)?.ok_or_else(|| ApiError::not_found("行政区划"))?),
            None => None,
        };
        Ok(DivisionList { parent: parent_row, items: reference::divisions_under(conn, parent.as_deref())? })
    })
    .await?;
    Ok(web::Json(list))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IndustryQuery {
    /// Parent code in API form (`C`, `C38`, `C384`); omitted: the 20 sections.
    pub parent: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IndustryList {
    pub items: Vec<Industry>,
}

/// GB/T 4754-2017 industries under a parent: `?parent=C` lists manufacturing's divisions.
#[utoipa::path(tag = "reference", params(IndustryQuery), responses((status = 200, body = IndustryList)))]
#[get("/reference/industries")]
pub async fn list_industries(
    state: web::Data<AppState>,
    q: Query<IndustryQuery>,
) -> ApiResult<web::Json<IndustryList>> {
    let parent = match q.0.parent {
        Some(p) => Some(
            crate::domain::codes::parse_industry_code(&p)
                .ok_or_else(|| ApiError::bad_param("parent", "应为门类字母加 2-4 位数字，如 C 或 C38"))?,
        ),
        None => None,
    };
    let items = db::run(&state.pool, move |conn| Ok(reference::industries_under(conn, parent.as_deref())?)).await?;
    Ok(web::Json(IndustryList { items }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StandardQuery {
    /// Number (typed loosely: `17761`, `gb 17761—2018`) or words of the title.
    pub q: String,
    /// At most 50; default 20.
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StandardList {
    pub items: Vec<CatalogStandard>,
}

/// Catalogue look-up by number or title, for the declaration form.
#[utoipa::path(tag = "reference", params(StandardQuery), responses((status = 200, body = StandardList)))]
#[get("/reference/standards")]
pub async fn search_standards(
    state: web::Data<AppState>,
    q: Query<StandardQuery>,
) -> ApiResult<web::Json<StandardList>> {
    let raw = q.0.q.trim().to_string();
    if raw.is_empty() || raw.chars().count() > 100 {
        return Err(ApiError::bad_param("q", "应为 1-100 个字符"));
    }
    let limit = q.0.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::bad_param("limit", "应在 1 到 50 之间"));
    }
    let items = db::run(&state.pool, move |conn| Ok(reference::standards::search(conn, &raw, limit)?)).await?;
    Ok(web::Json(StandardList { items }))
}

/// One catalogue row, by number in any loose form (`GB 17761-2018`, `gb17761—2018`), with its
/// status, dates, what it replaces and what replaced it.
#[utoipa::path(tag = "reference", params(("number" = String, Path, description = "标准号")), responses((status = 200, body = CatalogStandard), (status = 404)))]
#[get("/reference/standards/{number:.*}")]
pub async fn get_standard(
    state: web::Data<AppState>,
    number: web::Path<String>,
) -> ApiResult<web::Json<CatalogStandard>> {
    let raw = number.into_inner();
    let raw = raw.trim().to_string();
    if raw.is_empty() || raw.chars().count() > 100 {
        return Err(ApiError::bad_param("number", "应为 1-100 个字符的标准号"));
    }
    let normalized = crate::domain::standard_number::StandardNumber::parse(&raw)
        .map(|n| n.normalized)
        .unwrap_or_else(|_| crate::domain::standard_number::normalize(&raw));
    let row = db::run(&state.pool, move |conn| crate::services::catalog::find(conn, &normalized)).await?;
    Ok(web::Json(row))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    /// Words of a name or synonym (`甲醛`), or of a code.
    pub q: String,
    /// At most 50; default 10.
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IndicatorList {
    pub items: Vec<crate::domain::indicators::Canonical>,
}

/// Canonical indicators whose name or a synonym contains the words, for the declaration form's
/// suggestions as the declarant types an indicator's name.
#[utoipa::path(tag = "reference", params(IndicatorQuery), responses((status = 200, body = IndicatorList)))]
#[get("/reference/indicators")]
pub async fn search_indicators(
    state: web::Data<AppState>,
    q: Query<IndicatorQuery>,
) -> ApiResult<web::Json<IndicatorList>> {
    let raw = q.0.q.trim().to_string();
    if raw.is_empty() || raw.chars().count() > 100 {
        return Err(ApiError::bad_param("q", "应为 1-100 个字符"));
    }
    let limit = q.0.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::bad_param("limit", "应在 1 到 50 之间"));
    }
    let items = db::run(&state.pool, move |conn| Ok(reference::indicators::suggest(conn, &raw, limit)?)).await?;
    Ok(web::Json(IndicatorList { items }))
}

/// One requirement of a standard on a canonical indicator.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RequirementView {
    pub clause: Option<String>,
    /// The canonical indicator's code.
    pub code: String,
    /// The indicator's name as the standard writes it.
    pub indicator_name: String,
    /// The product class it is for; absent: every product in the standard's scope.
    pub product_class: Option<String>,
    /// `<=`, `>=`, `range` or `=`
    pub comparator: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
    pub value_text: Option<String>,
    /// The limit in words (`≤ 75 mg/kg`).
    pub limit: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StandardRequirements {
    pub standard: String,
    /// `mandatory` or `recommended`; absent when the standard has no requirements.
    pub nature: Option<crate::domain::indicators::compare::Nature>,
    /// The product classes its requirements distinguish (the form asks declarants for one).
    pub classes: Vec<String>,
    pub requirements: Vec<RequirementView>,
}

/// What a standard requires of indicators (from the requirement tables), with its product classes.
#[utoipa::path(tag = "reference", params(("number" = String, Path, description = "标准号")), responses((status = 200, body = StandardRequirements), (status = 400)))]
#[get("/reference/requirements/{number:.*}")]
pub async fn get_requirements(
    state: web::Data<AppState>,
    number: web::Path<String>,
) -> ApiResult<web::Json<StandardRequirements>> {
    let raw = number.into_inner();
    let n = crate::domain::standard_number::StandardNumber::parse(raw.trim())
        .map_err(|e| ApiError::bad_param("number", e.to_string()))?;
    let standard = n.normalized;
    let key = standard.clone();
    let rows = db::run(&state.pool, move |conn| Ok(reference::indicators::requirements_for(conn, &[key])?)).await?;
    let mut classes: Vec<String> = Vec::new();
    for r in &rows {
        if let Some(c) = &r.product_class
            && !classes.contains(c)
        {
            classes.push(c.clone());
        }
    }
    Ok(web::Json(StandardRequirements {
        nature: rows.first().map(|r| r.nature),
        classes,
        requirements: rows
            .into_iter()
            .map(|r| RequirementView {
                limit: r.limit_text(),
                clause: r.clause,
                code: r.code,
                indicator_name: r.indicator_name,
                product_class: r.product_class,
                comparator: r.comparator.as_str().to_string(),
                min: r.min,
                max: r.max,
                unit: r.unit,
                value_text: r.value_text,
            })
            .collect(),
        standard,
    }))
}
