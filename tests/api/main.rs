//! The integration tests: one binary, a module per resource. Every test gets its own database and
//! search index (see helpers.rs) and talks HTTP to the real application.

mod accounts;
mod complaints;
mod declarations;
mod foundation;
mod helpers;
mod search;
