//! All integration tests, in one binary: each test starts the real server on port 0 with a
//! database of its own.

// Test code may panic on setup failures: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admins;
mod api;
mod api_keys;
mod audit;
mod auth;
mod backup;
mod badge_pages;
mod badges;
mod browser;
mod budgets;
mod demo;
mod expiry;
mod exports;
mod filters;
mod first_run;
mod hardening;
mod helpers;
mod identity;
mod import;
mod instances;
mod load_bench;
mod mail;
mod members;
mod metrics;
mod migrate;
mod once;
mod openapi;
mod pages;
mod profiles;
mod proxies;
mod query_plans;
mod rules;
mod schema;
mod schemathesis;
mod security;
mod smtp;
mod storage;
mod undo;
mod upgrade;
mod webhooks;
mod wix_client;
