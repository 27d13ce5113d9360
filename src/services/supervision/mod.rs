//! Supervision after declaration (事中事后监督): spot-check campaigns with a reproducible double-random
//! draw, inspections with findings and rectification, the overdue job, and public reports.

pub mod campaigns;
pub mod inspections;
pub mod rectification;
pub mod report;

/// Checklist codes of findings (SPEC §3.3).
pub const FINDING_CODES: &[(&str, &str)] = &[
    ("below_mandatory", "技术指标低于强制性标准要求"),
    ("indicators_not_public", "未公开功能指标和性能指标"),
    ("numbering_invalid", "标准编号不规范"),
    ("cites_abolished_standard", "引用或执行已废止的标准"),
    ("drafting_nonconformant", "标准编写不符合 GB/T 1.1 等编写规则"),
    ("info_inconsistent", "声明信息与实际不一致"),
    ("other", "其他问题"),
];

pub fn finding_label(code: &str) -> Option<&'static str> {
    FINDING_CODES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Result grades.
pub const GRADES: &[&str] = &["compliant", "compliant_with_defects", "non_compliant"];
