//! Pure domain types and rules: no actix, no diesel.

pub mod actor;
pub mod catalog;
pub mod codes;
pub mod complaint;
pub mod declaration;
pub mod diff;
pub mod draw;
pub mod indicators;
pub mod rectification;
pub mod standard_number;
pub mod uscc;
pub mod workdays;
