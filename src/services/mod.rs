//! Use cases, one module per aggregate. Each function runs inside the caller's transaction.

pub mod accounts;
pub mod audit_log;
pub mod calendar;
pub mod catalog;
pub mod comparisons;
pub mod complaints;
pub mod declarations;
pub mod export;
pub mod flags;
pub mod notices;
pub mod partners;
pub mod revocation;
pub mod sessions;
pub mod stats;
pub mod supervision;
