//! Settings, built explicitly by the CLI (or a test) and passed in; no globals.

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub bind: String,
    /// A SQLite file (created when missing) or a PostgreSQL URL.
    pub database: insignia_core::db::Location,
    /// How long a password confirmation unlocks restricted operations after the last one.
    pub elevation_minutes: i64,
    /// And how long at most in all, from the confirmation.
    pub elevation_max_minutes: i64,
    /// Mark the session cookie `Secure` (when served over https).
    pub secure_cookies: bool,
    /// Session-signing secret; when absent one is generated once and kept in the database.
    pub secret_key: Option<String>,
    /// Whether visitors may create member accounts at `/signup`.
    pub signups_open: bool,
    /// Changes per minute the JSON API accepts from one API key, and from one address.
    pub api_writes_per_minute: u32,
    /// Member sign-up attempts per hour from one client address.
    pub signups_per_hour: u32,
    /// Changes per minute a member may make to their own account and profile.
    pub member_changes_per_minute: u32,
    /// Proxies whose forwarding headers name the client (`X-Forwarded-For`, `Forwarded`).
    pub trusted_proxies: crate::client::TrustedProxies,
    /// Worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// The address people reach the site at; `None` means the address it listens on.
    pub public_url: Option<PublicUrl>,
    /// Webhooks: delivery settings.
    pub webhooks: insignia_webhooks::worker::Options,
    /// Mail through the owner's SMTP server; `None` when mail is off (`--smtp-url` not set).
    pub mail: Option<insignia_mail::Settings>,
    /// Where `/metrics` is served (`--metrics-bind`), apart from the public address; `None`
    /// serves no metrics.
    pub metrics_bind: Option<String>,
}

/// The defaults of `insignia serve`: the command line's (src/main.rs) and a test's settings
/// start from these same values.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_ELEVATION_MINUTES: i64 = 15;
pub const DEFAULT_ELEVATION_MAX_MINUTES: i64 = 120;
pub const DEFAULT_API_WRITES_PER_MINUTE: u32 = 600;
pub const DEFAULT_SIGNUPS_PER_HOUR: u32 = 20;
pub const DEFAULT_MEMBER_CHANGES_PER_MINUTE: u32 = 60;

impl Settings {
    /// How elevation lasts (sudo mode: see `sessions::Elevation`).
    pub fn elevation(&self) -> insignia_core::auth::sessions::Elevation {
        insignia_core::auth::sessions::Elevation {
            minutes: self.elevation_minutes,
            max_minutes: self.elevation_max_minutes,
        }
    }

    pub fn new(bind: impl Into<String>, database: impl Into<insignia_core::db::Location>) -> Self {
        Settings {
            bind: bind.into(),
            database: database.into(),
            elevation_minutes: DEFAULT_ELEVATION_MINUTES,
            elevation_max_minutes: DEFAULT_ELEVATION_MAX_MINUTES,
            secure_cookies: false,
            secret_key: None,
            signups_open: true,
            api_writes_per_minute: DEFAULT_API_WRITES_PER_MINUTE,
            signups_per_hour: DEFAULT_SIGNUPS_PER_HOUR,
            member_changes_per_minute: DEFAULT_MEMBER_CHANGES_PER_MINUTE,
            trusted_proxies: Default::default(),
            workers: None,
            public_url: None,
            webhooks: insignia_webhooks::worker::Options::default(),
            mail: None,
            metrics_bind: None,
        }
    }
}

/// The base address of the site as people reach it (`https://badges.example.org`), used for
/// every absolute link Insignia writes out. It is configured, never taken from request
/// headers, which anyone can set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// An http(s) address with a host and an optional path; no credentials, query or fragment.
    pub fn parse(input: &str) -> Result<PublicUrl, String> {
        let url = url::Url::parse(input.trim())
            .map_err(|e| format!("{input:?} is not an address ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{input:?} must start with http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{input:?} has no host name"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "{input:?} must not contain a user name or password"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "{input:?} must not have a query (?) or fragment (#)"
            ));
        }
        Ok(PublicUrl(url.as_str().trim_end_matches('/').to_string()))
    }

    /// The address a server bound to `addr` is reached at on this machine.
    pub fn from_listener(addr: std::net::SocketAddr) -> PublicUrl {
        let mut addr = addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        PublicUrl(format!("http://{addr}"))
    }

    /// An absolute link to `path` (which starts with `/`) on this site.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PublicUrl::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_plain_http_addresses() {
        let url = PublicUrl::parse("https://badges.example.org/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            url.join("/set-password/x"),
            "https://badges.example.org/set-password/x"
        );
        let under =
            PublicUrl::parse("https://example.org/badges").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(under.join("/members"), "https://example.org/badges/members");
        for bad in [
            "javascript://example.org",
            "ftp://example.org",
            "example.org",
            "https://user:pw@example.org",
            "https://example.org/?q=1",
            "https://example.org/#x",
            "",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_is_where_the_server_listens() {
        let any: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            PublicUrl::from_listener(any).as_str(),
            "http://127.0.0.1:8080"
        );
        let v6: std::net::SocketAddr = "[::]:9000".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(PublicUrl::from_listener(v6).as_str(), "http://[::1]:9000");
    }
}
