//! How to reach the owner's SMTP server (`--smtp-url`) and who mail is from (`--mail-from`).
//! The password in the URL never leaves this module: `Debug` and `Display` leave it out, and
//! errors name the URL without it.

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Tls,
    /// `smtp://…?tls=required`: STARTTLS, refused when the server does not offer it (587).
    StartTls,
    /// `smtp://` without TLS: to a loopback address only (a relay on the same machine, tests).
    Plain,
}

/// A parsed `--smtp-url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub security: Security,
    pub host: String,
    pub port: u16,
    user: Option<String>,
    password: Option<String>,
}

impl SmtpUrl {
    /// `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required`, or plain
    /// `smtp://host:port` to a loopback address.
    pub fn parse(input: &str) -> Result<SmtpUrl, String> {
        let url = url::Url::parse(input.trim())
            .map_err(|e| format!("the SMTP URL is not an address ({e})"))?;
        let shown = without_password(&url);
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{shown} has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls_required = url
            .query_pairs()
            .any(|(k, v)| k == "tls" && v == "required");
        if url
            .query_pairs()
            .any(|(k, v)| k != "tls" || v != "required")
        {
            return Err(format!(
                "{shown}: the only query it takes is ?tls=required (STARTTLS)"
            ));
        }
        let security = match (url.scheme(), tls_required) {
            ("smtps", false) => Security::Tls,
            ("smtps", true) => {
                return Err(format!(
                    "{shown}: smtps:// is TLS already; ?tls=required is for smtp:// (STARTTLS)"
                ));
            }
            ("smtp", true) => Security::StartTls,
            ("smtp", false) if is_loopback(&host) => Security::Plain,
            ("smtp", false) => {
                return Err(format!(
                    "{shown}: mail without TLS may only go to this machine (127.0.0.1, ::1 or \
                     localhost); use smtps://…:465, or smtp://…:587?tls=required for STARTTLS"
                ));
            }
            _ => return Err(format!("{shown} must start with smtps:// or smtp://")),
        };
        let port = url.port().unwrap_or(match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| format!("{shown}: the user name or password is not UTF-8"))
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && user.is_none() {
            return Err(format!("{shown}: a password needs a user name"));
        }
        Ok(SmtpUrl {
            security,
            host,
            port,
            user,
            password,
        })
    }

    /// The sign-in the URL carries, if any.
    pub fn credentials(&self) -> Option<Credentials> {
        self.user
            .as_ref()
            .map(|user| Credentials::new(user.clone(), self.password.clone().unwrap_or_default()))
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The URL as it may be shown: scheme, user, host and port; never the password.
fn without_password(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("…"));
    }
    shown.set_query(None);
    shown.to_string()
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            Security::Tls => "smtps",
            Security::StartTls | Security::Plain => "smtp",
        };
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let tls = if self.security == Security::StartTls {
            "?tls=required"
        } else {
            ""
        };
        write!(f, "{scheme}://{user}{host}:{}{tls}", self.port)
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

impl std::str::FromStr for SmtpUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SmtpUrl::parse(s)
    }
}

/// `--mail-from`: `Name <address>` or a bare address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFrom(pub Mailbox);

impl MailFrom {
    pub fn parse(input: &str) -> Result<MailFrom, String> {
        let mailbox: Mailbox = input.trim().parse().map_err(|e| {
            format!("{input:?} is not a sender like \"Badges <badges@example.org>\" ({e})")
        })?;
        Ok(MailFrom(mailbox))
    }

    /// The domain of the address: the right part of every `Message-ID`.
    pub fn domain(&self) -> &str {
        self.0.email.domain()
    }
}

impl std::str::FromStr for MailFrom {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MailFrom::parse(s)
    }
}

/// Everything the sender needs, built by the command line (or a test).
#[derive(Debug, Clone)]
pub struct Settings {
    pub smtp: SmtpUrl,
    pub from: MailFrom,
    /// The unit of the retry schedule (one minute; tests shorten it).
    pub retry_unit: Duration,
    /// How long one SMTP conversation may take.
    pub timeout: Duration,
    /// Mails sent at once by one server (each on a connection of its own).
    pub connections: u32,
    /// How long badge mail waits for more badges of the same member (the outbox's `GATHER`;
    /// tests shorten it).
    pub gather: Duration,
}

pub const DEFAULT_RETRY_UNIT_MS: u64 = 60_000;
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

impl Settings {
    pub fn new(smtp: SmtpUrl, from: MailFrom) -> Settings {
        Settings {
            smtp,
            from,
            retry_unit: Duration::from_millis(DEFAULT_RETRY_UNIT_MS),
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            connections: 4,
            gather: insignia_core::mail::outbox::GATHER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(input: &str) -> SmtpUrl {
        SmtpUrl::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    #[test]
    fn the_three_kinds_of_smtp_url() {
        let tls = parsed("smtps://ada:s3cret@mail.example.org");
        assert_eq!((tls.security, tls.port), (Security::Tls, 465));
        let starttls = parsed("smtp://ada:s3cret@mail.example.org:2587?tls=required");
        assert_eq!(
            (starttls.security, starttls.port),
            (Security::StartTls, 2587)
        );
        let plain = parsed("smtp://127.0.0.1:2525");
        assert_eq!((plain.security, plain.port), (Security::Plain, 2525));
        assert_eq!(parsed("smtp://[::1]:25").host, "::1");
        assert_eq!(parsed("smtp://localhost").port, 25);
        let encoded = parsed("smtps://ada%40example.org:p%40ss@mail.example.org");
        assert_eq!(encoded.user.as_deref(), Some("ada@example.org"));
        assert_eq!(encoded.password.as_deref(), Some("p@ss"));
    }

    #[test]
    fn plain_smtp_goes_to_this_machine_only() {
        for refused in [
            "smtp://mail.example.org:25",
            "smtp://10.0.0.5",
            "http://mail.example.org",
            "smtps://mail.example.org?tls=required",
            "smtp://mail.example.org?tls=maybe",
            "smtps://:secret@mail.example.org",
            "not a url",
        ] {
            assert!(SmtpUrl::parse(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let url = parsed("smtps://ada:hunter2hunter2@mail.example.org");
        assert!(!format!("{url} {url:?}").contains("hunter2"));
        assert_eq!(url.to_string(), "smtps://ada@mail.example.org:465");
        let refused = SmtpUrl::parse("smtp://ada:hunter2hunter2@mail.example.org")
            .err()
            .unwrap_or_default();
        assert!(!refused.contains("hunter2"), "{refused}");
        assert!(refused.contains("mail.example.org"), "{refused}");
    }

    #[test]
    fn senders_have_a_name_and_an_address() {
        let from = MailFrom::parse("Badges <badges@example.org>").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(from.0.name.as_deref(), Some("Badges"));
        assert_eq!(from.domain(), "example.org");
        assert!(MailFrom::parse("badges@example.org").is_ok());
        assert!(MailFrom::parse("not an address").is_err());
    }
}
