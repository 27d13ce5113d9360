//! Pure domain types and rules: no actix, no diesel.

pub mod actor;
pub mod coded;
pub mod codes;
pub mod complaint;
pub mod declaration;
pub mod diff;
pub mod draw;
pub mod organization;
pub mod standard_number;
pub mod supervision;
pub mod uscc;
pub mod workdays;
