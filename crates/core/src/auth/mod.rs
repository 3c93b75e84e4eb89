//! Admin accounts, passwords, server-side sessions, elevation and sign-in throttling.

pub mod admins;
pub mod api_keys;
pub mod password;
pub mod rate_limit;
pub mod sessions;
pub mod setup;
pub mod sign_in;
pub mod throttle;
