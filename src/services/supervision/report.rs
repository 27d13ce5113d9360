//! The public report of a campaign (SPEC §3.3): scope, seed, sample, grade counts, the
//! declarations found non-compliant or with defects, and those not inspected with the reason; public
//! once the campaign is closed, before that for regulators of the jurisdiction.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::campaigns::{CampaignView, covers_scope, load};
use super::inspections::list_for_campaign;
use crate::domain::actor::{Actor, Role};
use crate::domain::draw;
use crate::error::{ApiError, ApiResult};

#[derive(Serialize, Clone, Debug, Default, utoipa::ToSchema)]
pub struct GradeCounts {
    pub compliant: i64,
    pub compliant_with_defects: i64,
    pub non_compliant: i64,
    /// Drawn but without a result yet.
    pub pending: i64,
    pub rectified: i64,
    pub not_rectified: i64,
    /// Closed without a result, with a reason.
    pub not_inspected: i64,
}

/// A drawn declaration that could not be inspected, and why.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct NotInspectedItem {
    pub declaration_id: Uuid,
    pub standard_number: String,
    pub organization_name: String,
    pub reason: String,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ReportItem {
    pub declaration_id: Uuid,
    pub standard_number: String,
    pub standard_title: String,
    pub organization_name: String,
    pub uscc: String,
    pub grade: String,
    #[schema(value_type = Vec<Object>)]
    pub findings: serde_json::Value,
    pub rectification_due: Option<NaiveDate>,
    /// `rectification_ordered`, `responded`, `rectified`, `not_rectified`
    pub status: String,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct CampaignReport {
    pub campaign: CampaignView,
    pub grades: GradeCounts,
    /// Declarations found non-compliant or with defects, with their findings.
    pub findings: Vec<ReportItem>,
    /// Drawn declarations that could not be inspected, with the reason.
    pub not_inspected: Vec<NotInspectedItem>,
    /// How to re-run the draw.
    pub reproduction: String,
}

/// The campaign report: public once closed; before that only regulators of the jurisdiction.
pub fn report(conn: &mut PgConnection, actor: Option<&Actor>, id: Uuid) -> ApiResult<CampaignReport> {
    let c = load(conn, id)?;
    if c.status != "closed" {
        match actor {
            Some(a) if covers_scope(a, &c.scope_division) => {}
            Some(a) if matches!(a.role, Role::Regulator) => {
                return Err(ApiError::forbidden("该抽查任务不在您的辖区内"));
            }
            _ => return Err(ApiError::not_found("抽查结果报告（任务关闭后公开）")),
        }
    }
    let items = list_for_campaign(conn, id, crate::clock::china_date(chrono::Utc::now()))?;
    let mut grades = GradeCounts::default();
    let mut findings = Vec::new();
    let mut not_inspected = Vec::new();
    for i in &items {
        if i.status == "not_inspected" {
            grades.not_inspected += 1;
            not_inspected.push(NotInspectedItem {
                declaration_id: i.declaration_id,
                standard_number: i.standard_number.clone(),
                organization_name: i.organization_name.clone(),
                reason: i.resolution_note.clone().unwrap_or_default(),
            });
            continue;
        }
        match i.grade.as_deref() {
            Some("compliant") => grades.compliant += 1,
            Some("compliant_with_defects") => grades.compliant_with_defects += 1,
            Some("non_compliant") => grades.non_compliant += 1,
            _ => grades.pending += 1,
        }
        match i.status.as_str() {
            "rectified" => grades.rectified += 1,
            "not_rectified" => grades.not_rectified += 1,
            _ => {}
        }
        if matches!(i.grade.as_deref(), Some("compliant_with_defects" | "non_compliant")) {
            findings.push(ReportItem {
                declaration_id: i.declaration_id,
                standard_number: i.standard_number.clone(),
                standard_title: i.standard_title.clone(),
                organization_name: i.organization_name.clone(),
                uscc: i.uscc.clone(),
                grade: i.grade.clone().unwrap_or_default(),
                findings: i.findings.clone(),
                rectification_due: i.rectification_due,
                status: i.status.clone(),
            });
        }
    }
    let reproduction = format!(
        "算法 {alg}：将符合条件的 {n} 条声明的 ID 按字符串升序排列（其 SHA-256 摘要为 {digest}），以种子“{seed}”的 UTF-8 字节的 SHA-256 作为 ChaCha20 密钥生成随机数流，依次做部分 Fisher-Yates 洗牌取前 {k} 条；再用同一随机数流打乱按升序排列的检查人员名单，第 i 条样本分配给第 i mod m 名检查人员。详见 stdreg 源码 src/domain/draw.rs。",
        alg = c.algorithm.clone().unwrap_or_else(|| draw::ALGORITHM.into()),
        n = c.eligible_count.unwrap_or(0),
        digest = c.eligible_digest.clone().unwrap_or_default(),
        seed = c.seed.clone().unwrap_or_default(),
        k = c.sample_size.min(c.eligible_count.unwrap_or(0)),
    );
    Ok(CampaignReport { campaign: c.into(), grades, findings, not_inspected, reproduction })
}
