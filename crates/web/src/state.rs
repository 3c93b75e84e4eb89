//! What every handler can reach: the pool, the settings and the budgets.

use crate::config::{PublicUrl, Settings};
use insignia_core::auth::rate_limit::Budget;
use insignia_core::db::DbPool;
use insignia_core::identity::Identity;

/// Largest request body accepted by forms: a 50,000-line bulk box or CSV import fits.
pub const FORM_LIMIT: usize = 8 * 1024 * 1024;

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
    /// Where the site is reached; every absolute link is built from it.
    pub public_url: PublicUrl,
    /// What one client may repeat (API changes, sign-ups, a member's own changes).
    pub budgets: Budgets,
    /// The site's name and description, for every page.
    pub identity: IdentityCache,
}

/// The budgets of what one client may repeat, from the settings (spent by `budgets`).
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    pub api_writes: Budget,
    pub signups: Budget,
    pub member_changes: Budget,
}

impl Budgets {
    pub fn from_settings(settings: &crate::config::Settings) -> Budgets {
        Budgets {
            api_writes: Budget::per_minute(settings.api_writes_per_minute),
            signups: Budget::per_hour(settings.signups_per_hour),
            member_changes: Budget::per_minute(settings.member_changes_per_minute),
        }
    }
}

/// The site's name and description as every page shows them, read from the database when
/// the server starts and again at most every [`IDENTITY_FRESH`] while pages are drawn (in the
/// background: a page never waits for it), so servers sharing a database follow a change made
/// on another within seconds. The server that saves a change shows it at once.
#[derive(Clone)]
pub struct IdentityCache {
    pool: DbPool,
    kept: std::sync::Arc<std::sync::RwLock<KeptIdentity>>,
}

struct KeptIdentity {
    identity: std::sync::Arc<Identity>,
    read_at: std::time::Instant,
    reading: bool,
}

/// How long a read identity is shown before it is read again.
pub const IDENTITY_FRESH: std::time::Duration = std::time::Duration::from_secs(5);

impl IdentityCache {
    /// Reads the identity now (at start-up); the defaults if that fails.
    pub fn load(pool: DbPool) -> IdentityCache {
        let identity = pool
            .get()
            .ok()
            .and_then(|mut conn| insignia_core::identity::load(&mut conn).ok())
            .unwrap_or_default();
        IdentityCache {
            pool,
            kept: std::sync::Arc::new(std::sync::RwLock::new(KeptIdentity {
                identity: std::sync::Arc::new(identity),
                read_at: std::time::Instant::now(),
                reading: false,
            })),
        }
    }

    /// The identity to show now; once it is older than [`IDENTITY_FRESH`], a read in the
    /// background brings it up to date for the pages that follow.
    pub fn current(&self) -> std::sync::Arc<Identity> {
        let (identity, stale) = match self.kept.read() {
            Ok(kept) => (
                kept.identity.clone(),
                !kept.reading && kept.read_at.elapsed() > IDENTITY_FRESH,
            ),
            Err(_) => return std::sync::Arc::new(Identity::default()),
        };
        if stale && let Ok(mut kept) = self.kept.write() {
            kept.reading = true;
            let (pool, cache) = (self.pool.clone(), self.clone());
            actix_web::rt::task::spawn_blocking(move || {
                let read = pool
                    .get()
                    .ok()
                    .and_then(|mut conn| insignia_core::identity::load(&mut conn).ok());
                if let Ok(mut kept) = cache.kept.write() {
                    if let Some(identity) = read {
                        kept.identity = std::sync::Arc::new(identity);
                    }
                    kept.read_at = std::time::Instant::now();
                    kept.reading = false;
                }
            });
        }
        identity
    }

    /// Shows a just-saved identity at once.
    pub fn set(&self, identity: Identity) {
        if let Ok(mut kept) = self.kept.write() {
            kept.identity = std::sync::Arc::new(identity);
            kept.read_at = std::time::Instant::now();
        }
    }
}
