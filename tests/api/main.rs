//! The integration tests: one binary, a module per resource. Every test gets its own database and
//! search index (see helpers.rs) and talks HTTP to the real application.

mod accounts;
mod architecture;
mod audit;
mod calendar;
mod catalog;
mod catalog_consoles;
mod comparisons;
mod complaint_rectification;
mod complaints;
mod declarations;
mod drills;
mod export;
mod foundation;
mod hardening;
mod helpers;
mod operations;
mod partners;
mod public_pages;
mod search;
mod seed;
mod stats;
mod supervision;
mod supervision_holds;
mod web;
