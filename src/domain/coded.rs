//! Coded values: what is stored and sent as a short code (`withdrawn`, `rectification_ordered`)
//! and shown as one Chinese label (已撤回, 责令整改). Each is declared once with [`coded!`]: the
//! enum, its codes (serde uses the same ones, so the wire, the database and the pages agree) and
//! its labels, which API messages and pages alike read.

/// What every coded enum offers; lets code (and the tests) treat them alike.
pub trait Coded: Copy + Eq + std::fmt::Debug + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// The code: the wire and database value.
    fn code(self) -> &'static str;
    /// The one Chinese label.
    fn label(self) -> &'static str;
    /// The value of a code.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// Declares a coded enum: `Variant = "code" => "标签"` per value (the label may be any constant
/// expression, e.g. another enum's `label()`).
macro_rules! coded {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $code:literal => $label:expr),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// (code, label) of every value: the pages' look-up table.
            pub const LABELS: &'static [(&'static str, &'static str)] = &[$(($code, $label)),+];

            /// The code: the wire and database value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The one Chinese label.
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }

            /// The value of a code.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        /// The code (for attributes, URLs and logs; words come from `label()`).
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::domain::coded::Coded for $name {
            const ALL: &'static [Self] = $name::ALL;
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn label(self) -> &'static str {
                $name::label(self)
            }
        }
    };
}
pub(crate) use coded;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::Coded;
    use crate::domain::{actor, complaint, declaration, organization, standard_number, supervision};

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
        check::<standard_number::StandardType>(standard_number::StandardType::LABELS);
        check::<standard_number::CatalogStatus>(standard_number::CatalogStatus::LABELS);
        check::<organization::OrgKind>(organization::OrgKind::LABELS);
        check::<actor::Role>(actor::Role::LABELS);
        check::<supervision::FlagCode>(supervision::FlagCode::LABELS);
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
