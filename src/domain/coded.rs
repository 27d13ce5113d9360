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
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
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
