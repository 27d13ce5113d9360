//! What an organization declares, checked in two steps: shapes and lengths without the database
//! ([`check_body`]), then codes against the reference tables and the organization ([`References`]).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{catalog_standards, ccs_codes, divisions, ics_codes, industries, sac_industry_codes};
use crate::domain::catalog::CatalogStatus;
use crate::domain::codes;
use crate::domain::declaration::{BelowRecommended, Kind, gtin_valid};
use crate::domain::standard_number::{StandardNumber, StandardType};
use crate::error::FieldError;
use crate::validate::Check;

pub const MAX_PRODUCTS: usize = 500;
pub const MAX_INDICATORS: usize = 100;
/// Cited standards (规范性引用文件) and applicable mandatory standards, each list.
pub const MAX_STANDARD_REFS: usize = 100;

/// A product or service covered by the declaration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// GTIN-8/12/13/14 (check digit verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_name: Option<String>,
    /// The product class where a standard sets requirements per class (GB 18401: `A`, `B`, `C`;
    /// GB 6566: `建筑主体材料` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_class: Option<String>,
}

/// A functional or performance indicator (功能指标、性能指标).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub name: String,
    /// A number or a text (e.g. `10~20`, `无`).
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `>=`, `<=`, `=` or `range`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    /// A standard number or a description of the method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_method: Option<String>,
    /// Concerns safety, health or the environment.
    #[serde(default)]
    pub safety_health_env: bool,
    /// The canonical indicator (`formaldehyde_content`); matched from the name when absent. Views
    /// show the matched code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardBody {
    /// As typed: `GB 17761-2018`, `q/abc 001—2024` ...
    pub number: String,
    pub title: String,
}

/// The body of `POST /declarations` (and of each bulk item).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationBody {
    pub kind: Kind,
    pub standard: StandardBody,
    #[serde(default)]
    pub products: Vec<Product>,
    pub industry_code: Option<String>,
    pub ics_code: Option<String>,
    pub ccs_code: Option<String>,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// The statement, when indicators are fewer or lower than the recommended national standard's
    /// (企业标准化促进办法 Art 14); with `below_recommended_answer` `statement` (implied when given).
    pub below_recommended: Option<String>,
    /// `not_stated` (the declarant says nothing; the default without a statement), `none_lower` (no
    /// indicator is fewer or lower than the recommended national standard's) or `statement`.
    #[serde(default)]
    pub below_recommended_answer: Option<BelowRecommended>,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    #[serde(default)]
    pub full_text_public: bool,
    /// Standards the declared standard cites (规范性引用文件), as typed; each is normalized.
    #[serde(default)]
    pub cited_standards: Vec<String>,
    /// Mandatory national standards (GB) that apply to the products.
    #[serde(default)]
    pub applicable_mandatory: Vec<String>,
}

/// The body of `PATCH /declarations/{id}`: fields given replace the draft's; an empty string clears
/// an optional text.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationPatch {
    pub standard: Option<StandardBody>,
    pub products: Option<Vec<Product>>,
    pub industry_code: Option<String>,
    pub ics_code: Option<String>,
    pub ccs_code: Option<String>,
    pub indicators: Option<Vec<Indicator>>,
    /// The statement; an empty string clears it (the answer then becomes `not_stated` unless given).
    pub below_recommended: Option<String>,
    pub below_recommended_answer: Option<BelowRecommended>,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    pub full_text_public: Option<bool>,
    pub cited_standards: Option<Vec<String>>,
    pub applicable_mandatory: Option<Vec<String>>,
}

/// A declaration's content after the shape checks.
#[derive(Clone, Debug)]
pub struct Content {
    pub kind: Kind,
    pub number: StandardNumber,
    pub title: String,
    pub products: Vec<Product>,
    pub indicators: Vec<Indicator>,
    pub industry_code: Option<String>,
    pub ics_code: Option<String>,
    pub ccs_code: Option<String>,
    pub below_recommended: Option<String>,
    pub below_recommended_answer: BelowRecommended,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    pub full_text_public: bool,
    pub cited_standards: Vec<StandardNumber>,
    pub applicable_mandatory: Vec<StandardNumber>,
}

impl Content {
    /// Every standard of the declaration with its field path: the declared one, then the
    /// applicable mandatory ones, then the cited ones.
    pub fn standards(&self) -> impl Iterator<Item = (String, &StandardNumber)> {
        std::iter::once(("standard.number".to_string(), &self.number))
            .chain(self.applicable_mandatory.iter().enumerate().map(|(i, n)| (format!("applicable_mandatory[{i}]"), n)))
            .chain(self.cited_standards.iter().enumerate().map(|(i, n)| (format!("cited_standards[{i}]"), n)))
    }

    /// The normalized numbers of a list, for storage.
    pub fn numbers(list: &[StandardNumber]) -> Vec<String> {
        list.iter().map(|n| n.normalized.clone()).collect()
    }
}

/// Checks a list of standard numbers: each parsed (`field[i]` names a bad one), no year after
/// today, duplicates (after normalization) dropped; `mandatory` requires GB numbers.
fn check_numbers(c: &mut Check, field: &str, raw: &[String], today: NaiveDate, mandatory: bool) -> Vec<StandardNumber> {
    if raw.len() > MAX_STANDARD_REFS {
        c.err(field.to_string(), format!("最多 {MAX_STANDARD_REFS} 项，实际 {} 项", raw.len()));
    }
    let mut out: Vec<StandardNumber> = Vec::new();
    for (i, r) in raw.iter().take(MAX_STANDARD_REFS).enumerate() {
        let path = format!("{field}[{i}]");
        match StandardNumber::parse(r) {
            Ok(n) if n.year > today.year() => c.err(path, format!("标准年号 {} 晚于声明日期 {today}", n.year)),
            Ok(n) if mandatory && n.kind != StandardType::NationalMandatory => c.err(
                path,
                format!("{} 不是强制性国家标准：此处只填写适用于产品的强制性国家标准（GB，不带 /T）", n.normalized),
            ),
            Ok(n) => {
                if !out.iter().any(|o| o.normalized == n.normalized) {
                    out.push(n);
                }
            }
            Err(e) => c.err(path, e.to_string()),
        }
    }
    out
}

fn opt_trim(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Shape checks of a declaration body; `p` prefixes field paths (bulk items).
pub fn check_body(body: &DeclarationBody, p: &str, today: NaiveDate) -> Result<Content, Vec<FieldError>> {
    let mut c = Check::new();
    let f = |name: &str| format!("{p}{name}");
    let number = match StandardNumber::parse(&body.standard.number) {
        Ok(n) => {
            if n.year > today.year() {
                c.err(f("standard.number"), format!("标准年号 {} 晚于声明日期 {today}", n.year));
            }
            Some(n)
        }
        Err(e) => {
            c.err(f("standard.number"), e.to_string());
            None
        }
    };
    let title = c.text(&f("standard.title"), &body.standard.title, 2, 200);

    if let Some(n) = &number {
        if body.kind == Kind::Group && n.kind != StandardType::Group {
            c.err(f("standard.number"), "团体标准声明（kind = group）应为 T/ 开头的团体标准编号");
        }
        if n.kind.requires_indicators() && body.indicators.is_empty() {
            c.err(f("indicators"), format!("{}须公开功能指标和性能指标，至少填写一项", n.kind.label()));
        }
    }
    match body.kind {
        Kind::Product | Kind::Service if body.products.is_empty() => {
            c.err(f("products"), "至少填写一个产品或服务");
        }
        _ => {}
    }
    if body.products.len() > MAX_PRODUCTS {
        c.err(f("products"), format!("最多 {MAX_PRODUCTS} 个产品或服务，实际 {} 个", body.products.len()));
    }
    let mut products = Vec::with_capacity(body.products.len().min(MAX_PRODUCTS));
    for (i, pr) in body.products.iter().take(MAX_PRODUCTS).enumerate() {
        let fp = |name: &str| format!("{p}products[{i}].{name}");
        let name = c.text(&fp("name"), &pr.name, 1, 100);
        let mut opt = |field: &str, v: &Option<String>, max: usize| c.opt_text(&fp(field), v.as_deref(), max);
        let model = opt("model", &pr.model, 100);
        let spec = opt("spec", &pr.spec, 200);
        let brand = opt("brand", &pr.brand, 100);
        let generic_name = opt("generic_name", &pr.generic_name, 100);
        let product_class = opt("product_class", &pr.product_class, 100);
        let barcode = opt_trim(&pr.barcode);
        if let Some(b) = &barcode
            && !gtin_valid(b)
        {
            c.err(fp("barcode"), "条码应为 8、12、13 或 14 位 GTIN，且校验位正确");
        }
        products.push(Product { name, model, spec, brand, barcode, generic_name, product_class });
    }
    if body.indicators.len() > MAX_INDICATORS {
        c.err(f("indicators"), format!("最多 {MAX_INDICATORS} 项指标"));
    }
    let mut indicators = Vec::with_capacity(body.indicators.len().min(MAX_INDICATORS));
    for (i, ind) in body.indicators.iter().take(MAX_INDICATORS).enumerate() {
        let fi = |name: &str| format!("{p}indicators[{i}].{name}");
        let name = c.text(&fi("name"), &ind.name, 1, 100);
        let value = match &ind.value {
            serde_json::Value::Number(n) => serde_json::Value::Number(n.clone()),
            serde_json::Value::String(s) if !s.trim().is_empty() && s.chars().count() <= 200 => {
                serde_json::Value::String(s.trim().to_string())
            }
            _ => {
                c.err(fi("value"), "应为数值或 1-200 个字符的文字");
                serde_json::Value::Null
            }
        };
        let unit = c.opt_text(&fi("unit"), ind.unit.as_deref(), 20);
        let comparator = opt_trim(&ind.comparator);
        if let Some(cmp) = &comparator
            && !matches!(cmp.as_str(), ">=" | "<=" | "=" | "range")
        {
            c.err(fi("comparator"), "应为 >=、<=、= 或 range");
        }
        let test_method = c.opt_text(&fi("test_method"), ind.test_method.as_deref(), 200);
        let code = opt_trim(&ind.code);
        if let Some(k) = &code
            && !crate::reference::indicators_file::code_ok(k)
        {
            c.err(fi("code"), "指标代码应为小写字母、数字或下划线（如 formaldehyde_content），或留空按名称自动匹配");
        }
        indicators.push(Indicator {
            name,
            value,
            unit,
            comparator,
            test_method,
            safety_health_env: ind.safety_health_env,
            code,
        });
    }
    let industry_code = match opt_trim(&body.industry_code) {
        Some(code) => match codes::parse_industry_code(&code) {
            Some(v) => Some(v),
            None => {
                c.err(f("industry_code"), "国民经济行业代码应为门类字母加 2-4 位数字，如 C3841");
                None
            }
        },
        None => None,
    };
    let ics_code = opt_trim(&body.ics_code);
    if let Some(v) = &ics_code
        && !codes::is_ics_code(v)
    {
        c.err(f("ics_code"), "ICS 分类号格式应为 13、13.220 或 13.220.20");
    }
    let ccs_code = opt_trim(&body.ccs_code).map(|v| v.to_ascii_uppercase());
    if let Some(v) = &ccs_code
        && !codes::is_ccs_code(v)
    {
        c.err(f("ccs_code"), "中国标准文献分类号格式应为一个字母加两位数字，如 K81");
    }
    let cited_standards = check_numbers(&mut c, &f("cited_standards"), &body.cited_standards, today, false);
    let applicable_mandatory =
        check_numbers(&mut c, &f("applicable_mandatory"), &body.applicable_mandatory, today, true);
    let below_recommended = c.opt_text(&f("below_recommended"), body.below_recommended.as_deref(), 2000);
    let below_recommended_answer = BelowRecommended::of(body.below_recommended_answer, below_recommended.is_some());
    match (below_recommended_answer, below_recommended.is_some()) {
        (BelowRecommended::Statement, false) if !c.has(&f("below_recommended")) => c.err(
            f("below_recommended"),
            "选择了“有指标低于推荐性国家标准”，请写明是哪些指标、低多少以及理由（《企业标准化促进办法》第十四条）",
        ),
        (BelowRecommended::NoneLower, true) => c.err(
            f("below_recommended"),
            "已声明“没有指标低于推荐性国家标准”，不应再填写说明；如有低于的指标，请选择“有，说明如下”",
        ),
        (BelowRecommended::NotStated, true) => {
            c.err(f("below_recommended_answer"), "填写了低于推荐性国家标准的说明，应选择“有，说明如下”（statement）")
        }
        _ => {}
    }
    let summary = c.opt_text(&f("summary"), body.summary.as_deref(), 2000);
    if !c.is_ok() {
        return Err(c.into_errors());
    }
    let Some(number) = number else { return Err(c.into_errors()) };
    Ok(Content {
        kind: body.kind,
        number,
        title,
        products,
        indicators,
        industry_code,
        ics_code,
        ccs_code,
        below_recommended,
        below_recommended_answer,
        summary,
        effective_date: body.effective_date,
        full_text_public: body.full_text_public,
        cited_standards,
        applicable_mandatory,
    })
}

/// A catalogue fact worth telling the declarant.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Warning {
    pub code: String,
    pub field: String,
    pub message: String,
}

/// Reference look-ups for a batch of declarations, each table queried once.
#[derive(Default)]
pub struct References {
    industries: HashSet<String>,
    ics: HashSet<String>,
    ccs: HashSet<String>,
    sac: HashSet<String>,
    divisions: HashSet<String>,
    catalog: HashMap<String, CatalogFact>,
}

/// What the catalogue says about a number, for the checks and warnings.
#[derive(Clone, Debug)]
pub struct CatalogFact {
    pub status: CatalogStatus,
    pub replaced_by: Vec<String>,
    pub title: String,
    pub implement_date: Option<NaiveDate>,
}

impl References {
    /// Loads what the given contents refer to.
    pub fn load(conn: &mut PgConnection, contents: &[&Content]) -> QueryResult<Self> {
        let mut industry_keys = HashSet::new();
        let mut ics = HashSet::new();
        let mut ccs = HashSet::new();
        let mut sac = HashSet::new();
        let mut div = HashSet::new();
        let mut numbers = HashSet::new();
        for c in contents {
            if let Some(i) = &c.industry_code {
                industry_keys.insert(i.clone());
            }
            if let Some(v) = &c.ics_code {
                ics.insert(v.clone());
            }
            if let Some(v) = &c.ccs_code {
                ccs.insert(v.clone());
            }
            match c.number.kind {
                StandardType::Industry => {
                    sac.insert(c.number.issuer.clone().unwrap_or_default());
                }
                StandardType::Local => {
                    let d = c.number.issuer.clone().unwrap_or_default();
                    div.insert(format!("{d:0<6}"));
                }
                _ => {}
            }
            for (_, n) in c.standards() {
                if n.kind.is_catalogued() {
                    numbers.insert(n.normalized.clone());
                }
            }
        }
        let mut r = References::default();
        if !industry_keys.is_empty() {
            let rows: Vec<(String, String, String)> = industries::table
                .filter(industries::code.eq_any(industry_keys.iter().map(|c| codes::industry_table_key(c).to_string())))
                .select((industries::code, industries::section, industries::level))
                .load(conn)?;
            r.industries = rows
                .into_iter()
                .map(|(code, section, level)| if level == "section" { code } else { format!("{section}{code}") })
                .collect();
        }
        if !ics.is_empty() {
            r.ics = ics_codes::table
                .filter(ics_codes::code.eq_any(&ics))
                .select(ics_codes::code)
                .load::<String>(conn)?
                .into_iter()
                .collect();
        }
        if !ccs.is_empty() {
            r.ccs = ccs_codes::table
                .filter(ccs_codes::code.eq_any(&ccs))
                .select(ccs_codes::code)
                .load::<String>(conn)?
                .into_iter()
                .collect();
        }
        if !sac.is_empty() {
            r.sac = sac_industry_codes::table
                .filter(sac_industry_codes::code.eq_any(&sac))
                .select(sac_industry_codes::code)
                .load::<String>(conn)?
                .into_iter()
                .collect();
        }
        if !div.is_empty() {
            r.divisions = divisions::table
                .filter(divisions::code.eq_any(&div))
                .select(divisions::code)
                .load::<String>(conn)?
                .into_iter()
                .collect();
        }
        if !numbers.is_empty() {
            r.catalog = catalog_standards::table
                .filter(catalog_standards::number.eq_any(&numbers))
                .select((
                    catalog_standards::number,
                    catalog_standards::status,
                    catalog_standards::replaced_by,
                    catalog_standards::title,
                    catalog_standards::implement_date,
                ))
                .load::<(String, CatalogStatus, Vec<Option<String>>, String, Option<NaiveDate>)>(conn)?
                .into_iter()
                .map(|(n, status, r, title, implement_date)| {
                    (n, CatalogFact { status, replaced_by: r.into_iter().flatten().collect(), title, implement_date })
                })
                .collect();
        }
        Ok(r)
    }

    /// Reference problems of one declaration (`p` prefixes field paths).
    pub fn problems(&self, c: &Content, p: &str) -> Vec<FieldError> {
        let mut out = Vec::new();
        if let Some(i) = &c.industry_code
            && !self.industries.contains(i)
        {
            out.push(FieldError::new(format!("{p}industry_code"), format!("{i} 不在 GB/T 4754-2017 行业分类中")));
        }
        if let Some(v) = &c.ics_code
            && !self.ics.contains(v)
        {
            out.push(FieldError::new(format!("{p}ics_code"), format!("{v} 不在 ICS 分类表中")));
        }
        if let Some(v) = &c.ccs_code
            && !self.ccs.contains(v)
        {
            out.push(FieldError::new(format!("{p}ccs_code"), format!("{v} 不在中国标准文献分类表中")));
        }
        match c.number.kind {
            StandardType::Industry => {
                let code = c.number.issuer.clone().unwrap_or_default();
                // a number the catalogue knows is real, whatever our list of sector codes says
                if !self.sac.contains(&code) && !self.catalog.contains_key(&c.number.normalized) {
                    out.push(FieldError::new(
                        format!("{p}standard.number"),
                        format!("“{code}”不是已登记的行业标准代号（如 QC、SN、JB）；如确为新的行业标准代号，请联系平台管理员补充"),
                    ));
                }
            }
            StandardType::Local => {
                let d = c.number.issuer.clone().unwrap_or_default();
                if !self.divisions.contains(&format!("{d:0<6}")) {
                    out.push(FieldError::new(
                        format!("{p}standard.number"),
                        format!("地方标准代号 DB{d} 中的行政区划代码不存在"),
                    ));
                }
            }
            _ => {}
        }
        out
    }

    /// The catalogue entry of a national, industry or local number.
    pub fn catalog(&self, number: &str) -> Option<&CatalogFact> {
        self.catalog.get(number)
    }

    /// Warnings for the response about every standard of the declaration (declared, applicable,
    /// cited), and the refusals that block publishing: a standard the catalogue knows abolished
    /// (naming its replacement). Not in the catalogue: a warning; upcoming: a note with its date;
    /// replaced but not yet abolished: a note naming the replacement.
    pub fn catalog_check(&self, c: &Content, p: &str) -> (Vec<Warning>, Vec<FieldError>) {
        let mut warnings = Vec::new();
        let mut blocking = Vec::new();
        for (path, n) in c.standards() {
            if !n.kind.is_catalogued() {
                continue;
            }
            let field = format!("{p}{path}");
            let number = &n.normalized;
            let warn = |code: &str, message: String| Warning { code: code.into(), field: field.clone(), message };
            match self.catalog(number) {
                None => warnings
                    .push(warn("standard_not_in_catalogue", format!("标准目录中未收录 {number}，请核对编号是否正确"))),
                Some(f) if f.status == CatalogStatus::Abolished => {
                    let message = match f.replaced_by.as_slice() {
                        [] => format!("{number} 已废止，请改为执行现行标准"),
                        r => format!("{number} 已废止，已被 {} 代替，请改为执行现行标准", r.join("、")),
                    };
                    warnings.push(warn("standard_abolished", message.clone()));
                    blocking.push(FieldError::new(field.clone(), message));
                }
                Some(f) if f.status == CatalogStatus::Upcoming => warnings.push(warn(
                    "standard_upcoming",
                    match f.implement_date {
                        Some(d) => format!("{number} 即将实施（{d} 起实施）"),
                        None => format!("{number} 即将实施，尚未生效"),
                    },
                )),
                Some(f) if !f.replaced_by.is_empty() => warnings.push(warn(
                    "standard_replaced",
                    format!("{number} 已被 {} 代替，请关注新标准的实施日期并及时修订", f.replaced_by.join("、")),
                )),
                Some(_) => {}
            }
        }
        (warnings, blocking)
    }
}
