//! Settings, built explicitly by the CLI (or a test) and passed in; no globals.

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub bind: String,
    /// Path of the SQLite file, created when missing.
    pub database: String,
    /// How long a password confirmation unlocks restricted operations.
    pub elevation_minutes: i64,
    /// Mark the session cookie `Secure` (when served over https).
    pub secure_cookies: bool,
    /// Session-signing secret; when absent one is generated once and kept in the database.
    pub secret_key: Option<String>,
    /// Whether visitors may create member accounts at `/signup`.
    pub signups_open: bool,
    /// Changes per minute the JSON API accepts from one API key, and from one address.
    pub api_writes_per_minute: u32,
    /// Worker threads; `None` means one per core.
    pub workers: Option<usize>,
}

impl Settings {
    pub fn new(bind: impl Into<String>, database: impl Into<String>) -> Self {
        Settings {
            bind: bind.into(),
            database: database.into(),
            elevation_minutes: 15,
            secure_cookies: false,
            secret_key: None,
            signups_open: true,
            api_writes_per_minute: 600,
            workers: None,
        }
    }
}
