//! What every handler can reach: the pool, the settings and the budgets.

use crate::config::{PublicUrl, Settings};
use insignia_core::auth::rate_limit::Budget;
use insignia_core::db::DbPool;

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
