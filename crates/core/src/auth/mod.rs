//! Who is who: admin and member accounts, passwords and set-password links, server-side
//! sessions, elevation, sign-in throttling, API keys and the setup code of a new site.

pub mod admins;
pub mod api_keys;
pub mod member_accounts;
pub mod member_links;
pub mod password;
pub mod rate_limit;
pub mod resets;
pub mod sessions;
pub mod setup;
pub mod sign_in;
pub mod throttle;
