//! Admin accounts, passwords, server-side sessions, elevation and sign-in throttling.

pub mod admins;
pub mod password;
pub mod sessions;
pub mod throttle;
