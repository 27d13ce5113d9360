//! The coded enums of the domain as database values: each is stored as its code in a `TEXT`
//! column (which a `CHECK` constraint limits to the same codes), read back into the enum, and
//! compared and written as the enum (`declarations::status.eq(Status::Public)`), so no status is a
//! string literal in a query.

use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

use crate::domain::{
    actor, catalog, complaint, declaration, organization, rectification, standard_number, supervision,
};

macro_rules! text_column {
    ($($t:ty),+ $(,)?) => {$(
        impl FromSql<Text, Pg> for $t {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let code = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                <$t>::parse(&code).ok_or_else(|| format!("{code:?} is not a {}", stringify!($t)).into())
            }
        }

        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl Queryable<Text, Pg> for $t {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl AsExpression<Text> for $t {
            type Expression = <&'static str as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Text>>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Text> for &$t {
            type Expression = <&'static str as AsExpression<Text>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Text>>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Nullable<Text>> for $t {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Nullable<Text>>>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Nullable<Text>> for &$t {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Nullable<Text>>>::as_expression(self.as_str())
            }
        }
    )+};
}

text_column!(
    declaration::Status,
    declaration::VersionStatus,
    declaration::Kind,
    declaration::BelowRecommended,
    standard_number::StandardType,
    catalog::CatalogStatus,
    catalog::Role,
    catalog::NoticeKind,
    rectification::Status,
    organization::OrgKind,
    actor::Role,
    supervision::FlagCode,
    supervision::Grade,
    supervision::CampaignStatus,
    supervision::InspectionStatus,
    complaint::Category,
    complaint::Status,
    complaint::Outcome,
    complaint::Event,
);
