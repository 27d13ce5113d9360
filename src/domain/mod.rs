//! Pure domain types and rules: no actix, no diesel.

pub mod codes;
pub mod standard_number;
pub mod uscc;
