//! What an organization declares, checked in two steps: shapes and lengths without the database
//! ([`check_body`]), then codes against the reference tables and the organization ([`References`]).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{catalog_standards, ccs_codes, divisions, ics_codes, industries, sac_industry_codes};
use crate::domain::codes;
use crate::domain::declaration::{Kind, gtin_valid};
use crate::domain::standard_number::{StandardNumber, StandardType};
use crate::error::FieldError;
use crate::validate::Check;

pub const MAX_PRODUCTS: usize = 500;
pub const MAX_INDICATORS: usize = 100;

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
    /// Required statement when indicators are fewer or lower than the recommended national standard's.
    pub below_recommended: Option<String>,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    #[serde(default)]
    pub full_text_public: bool,
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
    pub below_recommended: Option<String>,
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    pub full_text_public: Option<bool>,
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
    pub summary: Option<String>,
    pub effective_date: Option<NaiveDate>,
    pub full_text_public: bool,
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
            c.err(f("indicators"), format!("{}须公开功能指标和性能指标，至少填写一项", n.kind.label_zh()));
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
        let barcode = opt_trim(&pr.barcode);
        if let Some(b) = &barcode
            && !gtin_valid(b)
        {
            c.err(fp("barcode"), "条码应为 8、12、13 或 14 位 GTIN，且校验位正确");
        }
        products.push(Product { name, model, spec, brand, barcode, generic_name });
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
        indicators.push(Indicator {
            name,
            value,
            unit,
            comparator,
            test_method,
            safety_health_env: ind.safety_health_env,
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
    let below_recommended = c.opt_text(&f("below_recommended"), body.below_recommended.as_deref(), 2000);
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
        summary,
        effective_date: body.effective_date,
        full_text_public: body.full_text_public,
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
    catalog: HashMap<String, (String, Option<String>, String)>,
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
            if c.number.kind.is_catalogued() {
                numbers.insert(c.number.normalized.clone());
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
                ))
                .load::<(String, String, Option<String>, String)>(conn)?
                .into_iter()
                .map(|(n, s, r, t)| (n, (s, r, t)))
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
                if !self.sac.contains(&code) {
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

    /// The catalogue entry of a national, industry or local number: (status, replaced_by, title).
    pub fn catalog(&self, number: &str) -> Option<&(String, Option<String>, String)> {
        self.catalog.get(number)
    }

    /// Warnings for the response, and whether publishing must be refused (abolished standard).
    pub fn catalog_check(&self, c: &Content, p: &str) -> (Vec<Warning>, Option<FieldError>) {
        if !c.number.kind.is_catalogued() {
            return (Vec::new(), None);
        }
        let field = format!("{p}standard.number");
        match self.catalog(&c.number.normalized) {
            None => (
                vec![Warning {
                    code: "standard_not_in_catalogue".into(),
                    field,
                    message: format!("标准目录中未收录 {}，请核对编号是否正确", c.number.normalized),
                }],
                None,
            ),
            Some((status, replaced_by, _)) if status == "abolished" => {
                let message = match replaced_by {
                    Some(r) => format!("{} 已废止，已被 {r} 代替，请改为执行现行标准", c.number.normalized),
                    None => format!("{} 已废止，请改为执行现行标准", c.number.normalized),
                };
                (
                    vec![Warning { code: "standard_abolished".into(), field: field.clone(), message: message.clone() }],
                    Some(FieldError::new(field, message)),
                )
            }
            Some(_) => (Vec::new(), None),
        }
    }
}
