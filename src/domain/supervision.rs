//! Supervision after declaration (SPEC §3.3): campaigns and their inspections, the checklist of
//! findings, result grades, and the public flags on declarations.

use super::coded::coded;

coded! {
    /// A public supervision flag on a declaration.
    pub enum FlagCode {
        UnderCheck = "under_check" => "检查中",
        RectificationOrdered = "rectification_ordered" => "责令整改",
        Overdue = "overdue" => "整改超期",
        AbolishedByAuthority = "abolished_by_authority" => "监管废止",
    }
}

impl FlagCode {
    /// Flags a regulator raises by hand (on a declaration, or with a complaint's conclusion); the
    /// others belong to the overdue job and to abolition.
    pub const fn is_ad_hoc(self) -> bool {
        matches!(self, FlagCode::UnderCheck | FlagCode::RectificationOrdered)
    }

    /// What the flag means, in plain words (the public pages).
    pub const fn meaning(self) -> &'static str {
        match self {
            FlagCode::UnderCheck => "监管部门正在对该声明进行检查",
            FlagCode::RectificationOrdered => "检查发现问题，已责令限期整改",
            FlagCode::Overdue => "整改已超过期限仍未完成",
            FlagCode::AbolishedByAuthority => "整改不合格，声明已被监管部门废止",
        }
    }
}

coded! {
    /// Who raised a flag (its public history says so).
    pub enum FlagSource {
        /// A spot-check campaign and its inspection.
        Campaign = "campaign" => "双随机抽查",
        /// A complaint's conclusion and its rectification.
        Complaint = "complaint" => "投诉举报处理",
        /// A regulator, ad hoc.
        Regulator = "regulator" => "监管部门",
        /// The overdue job.
        System = "system" => "整改逾期自动标记",
    }
}

coded! {
    /// The result of an inspection.
    pub enum Grade {
        Compliant = "compliant" => "符合",
        CompliantWithDefects = "compliant_with_defects" => "符合但存在瑕疵",
        NonCompliant = "non_compliant" => "不符合",
    }
}

coded! {
    /// A checklist code of a finding.
    pub enum FindingCode {
        BelowMandatory = "below_mandatory" => "指标低于强制性国家标准",
        IndicatorsNotPublic = "indicators_not_public" => "未公开功能指标和性能指标",
        NumberingInvalid = "numbering_invalid" => "标准编号不规范",
        CitesAbolishedStandard = "cites_abolished_standard" => "引用已废止的标准",
        DraftingNonconformant = "drafting_nonconformant" => "标准编写不符合要求",
        InfoInconsistent = "info_inconsistent" => "公开信息与实际不一致",
        Other = "other" => "其他问题",
    }
}

coded! {
    /// Whether a finding is about legality or about normativity.
    pub enum FindingCategory {
        Legality = "legality" => "合法性问题",
        Normativity = "normativity" => "规范性问题",
    }
}

coded! {
    /// The state of a spot-check campaign.
    pub enum CampaignStatus {
        Planned = "planned" => "待抽取",
        Drawn = "drawn" => "检查中",
        Closed = "closed" => "已结束",
    }
}

coded! {
    /// The state of one inspection.
    pub enum InspectionStatus {
        Assigned = "assigned" => "待检查",
        Compliant = "compliant" => "检查完成，无需整改",
        RectificationOrdered = "rectification_ordered" => "责令整改中",
        Responded = "responded" => "已提交整改报告",
        Rectified = "rectified" => "已整改",
        NotRectified = "not_rectified" => "整改不合格",
        /// Closed without a result (the reason in `resolution_note`).
        NotInspected = "not_inspected" => "未检查",
    }
}
