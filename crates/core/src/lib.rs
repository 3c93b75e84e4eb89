//! Insignia's core: the domain rules and their storage. Badges, members and their
//! assignments, pages and access, accounts and sessions, the audit log, the webhook outbox,
//! exports and reports, over SQLite or PostgreSQL. It knows no HTTP: the web crate turns
//! requests into calls here, and `cargo tree -p insignia-core` shows no HTTP or template
//! crate.

pub mod audit;
pub mod auth;
pub mod badges;
pub mod clock;
pub mod db;
pub mod email;
pub mod error;
pub mod events;
pub mod exports;
pub mod identity;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod members;
pub mod once;
pub mod pages;
pub mod reports;
pub mod rules;
pub mod slug;
pub mod text;
pub mod tokens;

pub use error::Error;

/// Opens a site's database for work: the pool, with migrations applied, and what start-up
/// keeps current: title keys stored under an older comparison rule are brought up to the
/// current one (`badges::store::refresh_title_keys`).
pub fn open_site(location: &db::Location) -> Result<db::DbPool, Error> {
    let pool = db::open(location)?;
    let mut conn = pool.get().map_err(Error::internal)?;
    badges::store::refresh_title_keys(&mut conn)?;
    drop(conn);
    Ok(pool)
}
