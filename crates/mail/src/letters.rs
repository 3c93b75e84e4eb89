//! What each kind of mail says, in a text part and an HTML part, with the headers every mail
//! carries: `From` (the site's name with `--mail-from`'s address), `To`, `Subject`, `Date`,
//! `Message-ID` and `Auto-Submitted`. Names and subjects go through lettre's header encoder,
//! so a line break in a member's name cannot add a header. Links are absolute, built from the
//! site's public address.

use askama::Template;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::settings::Settings;
use insignia_core::Error;
use insignia_core::auth::resets;
use insignia_core::db::DbConnection;
use insignia_core::mail::outbox::Claimed;
use insignia_core::mail::{Kind, Recipient};

/// A mail ready to go, or the reason there is none.
pub enum Letter {
    Ready {
        subject: String,
        message: Message,
    },
    /// Its member or admin is gone, or its kind is unknown to this server.
    Nothing,
}

/// What every letter says of the site.
pub struct Site<'a> {
    /// The sender's name: `--mail-from`'s.
    pub name: String,
    /// The site's public address, without a trailing `/`.
    pub url: &'a str,
}

#[derive(Template)]
#[template(path = "password_reset.txt")]
struct ResetText<'a> {
    name: &'a str,
    site: &'a str,
    site_url: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    site_url: &'a str,
    link: &'a str,
}

/// Composes a claimed mail. Making it may write (a reset link's token is made now).
pub fn compose(
    conn: &mut DbConnection,
    settings: &Settings,
    site: &Site<'_>,
    mail: &Claimed,
) -> Result<Letter, Error> {
    let Some(recipient) = recipient(mail) else {
        return Ok(Letter::Nothing);
    };
    match mail.kind() {
        Some(Kind::PasswordReset) => {
            let Some((name, token)) = resets::link(conn, &recipient)? else {
                return Ok(Letter::Nothing);
            };
            let path = match recipient {
                Recipient::Member(_) => format!("/set-password/{token}"),
                Recipient::Admin(_) => format!("/dashboard/set-password/{token}"),
            };
            let link = format!("{}{path}", site.url);
            let subject = format!("Choose a new password for {}", site.name);
            let text = ResetText {
                name: &name,
                site: &site.name,
                site_url: site.url,
                link: &link,
            };
            let html = ResetHtml {
                subject: &subject,
                name: &name,
                site: &site.name,
                site_url: site.url,
                link: &link,
            };
            let to_name = match recipient {
                Recipient::Member(_) => Some(name.clone()),
                Recipient::Admin(_) => None,
            };
            let message = build(settings, site, mail, to_name, &subject, &text, &html)?;
            Ok(Letter::Ready { subject, message })
        }
        None => Ok(Letter::Nothing),
    }
}

fn recipient(mail: &Claimed) -> Option<Recipient> {
    match (&mail.member_id, &mail.admin_id) {
        (Some(member), _) => Some(Recipient::Member(member.clone())),
        (None, Some(admin)) => Some(Recipient::Admin(admin.clone())),
        (None, None) => None,
    }
}

/// A name fit for a header: one line, no control characters (the encoder would keep a header
/// from being added anyway; this keeps the name readable).
fn one_line(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn build(
    settings: &Settings,
    site: &Site<'_>,
    mail: &Claimed,
    to_name: Option<String>,
    subject: &str,
    text: &impl Template,
    html: &impl Template,
) -> Result<Message, Error> {
    let to_address = mail
        .recipient
        .parse()
        .map_err(|e| Error::Invalid(format!("{} is not an address: {e}", mail.recipient)))?;
    let to = Mailbox::new(to_name.map(|n| one_line(&n)), to_address);
    let from = Mailbox::new(Some(one_line(&site.name)), settings.from.0.email.clone());
    let message_id = format!("<{}@{}>", mail.message_id, settings.from.domain());
    let text = text.render().map_err(Error::internal)?;
    let html = html.render().map_err(Error::internal)?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(subject))
        .date_now()
        .message_id(Some(message_id))
        .header(AutoSubmitted)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(Error::internal)
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no auto-reply should answer it.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_headers_are_one_line() {
        assert_eq!(
            one_line("Ada\r\nBcc: x@example.org"),
            "Ada Bcc: x@example.org"
        );
        assert_eq!(one_line("  Ada   Lovelace "), "Ada Lovelace");
    }
}
