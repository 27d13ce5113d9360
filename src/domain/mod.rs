//! Pure domain types and rules: no actix, no diesel.

pub mod actor;
pub mod catalog;
pub mod coded;
pub mod codes;
pub mod complaint;
pub mod declaration;
pub mod diff;
pub mod draw;
pub mod indicators;
pub mod organization;
pub mod rectification;
pub mod standard_number;
pub mod supervision;
pub mod uscc;
pub mod workdays;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::coded::Coded;
    use super::{actor, catalog, complaint, declaration, organization, rectification, standard_number, supervision};

    /// Every variant has a code (snake_case or a comparator sign, unique, the one serde writes and
    /// reads) and a label (non-empty, unique within its enum, with Chinese in it).
    fn check<T: Coded + serde::Serialize + serde::de::DeserializeOwned>(labels: &[(&str, &str)]) {
        let name = std::any::type_name::<T>();
        assert!(!T::ALL.is_empty(), "{name}");
        assert_eq!(labels.len(), T::ALL.len(), "{name}: the label table lists every value");
        let (mut codes, mut words) = (HashSet::new(), HashSet::new());
        for &v in T::ALL {
            let (code, label) = (v.code(), v.label());
            assert!(!code.is_empty() && codes.insert(code), "{name}: code {code:?}");
            assert!(!label.trim().is_empty() && words.insert(label), "{name}::{v:?}: label {label:?}");
            assert!(label.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{name}::{v:?}: {label}");
            assert_eq!(serde_json::to_value(v).expect("serializes"), serde_json::json!(code), "{name}");
            assert_eq!(serde_json::from_value::<T>(serde_json::json!(code)).expect("reads"), v, "{name}");
            assert_eq!(T::from_code(code), Some(v), "{name}");
            assert!(labels.contains(&(code, label)), "{name}: table entry for {code}");
        }
        assert_eq!(T::from_code("no_such_code"), None);
    }

    #[test]
    fn every_variant_has_its_code_and_label() {
        check::<declaration::Status>(declaration::Status::LABELS);
        check::<declaration::VersionStatus>(declaration::VersionStatus::LABELS);
        check::<declaration::Kind>(declaration::Kind::LABELS);
        check::<declaration::Comparator>(declaration::Comparator::LABELS);
        check::<declaration::BelowRecommended>(declaration::BelowRecommended::LABELS);
        check::<standard_number::StandardType>(standard_number::StandardType::LABELS);
        check::<catalog::CatalogStatus>(catalog::CatalogStatus::LABELS);
        check::<catalog::Role>(catalog::Role::LABELS);
        check::<catalog::NoticeKind>(catalog::NoticeKind::LABELS);
        check::<rectification::Status>(rectification::Status::LABELS);
        check::<organization::OrgKind>(organization::OrgKind::LABELS);
        check::<actor::Role>(actor::Role::LABELS);
        check::<supervision::FlagCode>(supervision::FlagCode::LABELS);
        check::<supervision::FlagSource>(supervision::FlagSource::LABELS);
        check::<supervision::Grade>(supervision::Grade::LABELS);
        check::<supervision::FindingCode>(supervision::FindingCode::LABELS);
        check::<supervision::FindingCategory>(supervision::FindingCategory::LABELS);
        check::<supervision::CampaignStatus>(supervision::CampaignStatus::LABELS);
        check::<supervision::InspectionStatus>(supervision::InspectionStatus::LABELS);
        check::<complaint::Category>(complaint::Category::LABELS);
        check::<complaint::Status>(complaint::Status::LABELS);
        check::<complaint::Outcome>(complaint::Outcome::LABELS);
        check::<complaint::Event>(complaint::Event::LABELS);
    }

    #[test]
    fn a_value_has_one_label_wherever_it_appears() {
        use declaration::{Status, VersionStatus};
        for s in Status::ALL {
            let v = VersionStatus::parse(s.as_str()).expect("every declaration status is a version status");
            assert_eq!(v.label(), s.label(), "{s:?}");
        }
        assert_eq!(Status::Withdrawn.label(), "已撤回");
    }
}
