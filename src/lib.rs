//! stdreg: the standard self-declaration registry (企业标准、团体标准自我声明公开和监督).
//!
//! Data flows one way:
//!
//! ```text
//! HTTP request -> routes/ (parse, extract the actor, pick status codes; no SQL)
//!              -> services/ (one use case = one transaction: load, check rights, rule, write, audit, outbox)
//!              -> domain/ (pure types and rules: identifiers, state machines; no actix, no diesel)
//!              -> db/ (pool, schema.rs, queries), audit.rs, outbox.rs
//! outbox -> worker -> search/ (Meilisearch, and the PostgreSQL fallback) -> Meilisearch
//! ```

pub mod audit;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod blocking;
pub mod clock;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod files;
pub mod html;
pub mod metrics;
pub mod middleware;
pub mod outbox;
pub mod reference;
pub mod request;
pub mod routes;
pub mod search;
pub mod seed;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validate;
pub mod web;
pub mod worker;
