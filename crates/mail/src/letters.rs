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
use insignia_core::ids::BadgeId;
use insignia_core::mail::outbox::Claimed;
use insignia_core::mail::unsubscribe;
use insignia_core::mail::{Kind, Recipient};
use insignia_core::members::assignments::{self, Held};
use insignia_core::members::{addresses, expiry, invitations};

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

/// What a mail with a set-password link says, besides the link.
struct LinkWords {
    subject: String,
    lead: String,
    button: &'static str,
    valid: &'static str,
    otherwise: &'static str,
}

impl LinkWords {
    fn reset(site: &str) -> LinkWords {
        LinkWords {
            subject: format!("Choose a new password for {site}"),
            lead: format!(
                "Someone asked to choose a new password for your account on {site}. If it was \
                 you, choose it here:"
            ),
            button: "Choose a new password",
            valid: "The link works once, for one hour. Using it signs you out everywhere else.",
            otherwise: "If you did not ask for this, ignore this mail: your password stays as it is.",
        }
    }

    fn confirmation(site: &str) -> LinkWords {
        LinkWords {
            subject: format!("Confirm your e-mail address on {site}"),
            lead: format!(
                "Someone asked to use this address for an account on {site}. If it was you, \
                 confirm it here:"
            ),
            button: "Confirm this address",
            valid: "The link works once, for two days.",
            otherwise: "If you did not ask for this, ignore this mail: nothing changes.",
        }
    }

    fn invitation(site: &str) -> LinkWords {
        LinkWords {
            subject: format!("You are invited to {site}"),
            lead: format!(
                "You have an account on {site}, where your badges are shown. Choose a password \
                 to sign in:"
            ),
            button: "Choose your password",
            valid: "The link works once, for seven days.",
            otherwise: "If you do not want an account, ignore this mail.",
        }
    }
}

#[derive(Template)]
#[template(path = "link.txt")]
struct LinkText<'a> {
    name: &'a str,
    site: &'a str,
    site_url: &'a str,
    link: &'a str,
    words: &'a LinkWords,
}

#[derive(Template)]
#[template(path = "link.html")]
struct LinkHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    site_url: &'a str,
    link: &'a str,
    words: &'a LinkWords,
}

/// Composes one mail from claimed rows: a group of badge mails of one member (one mail for
/// all their new badges), or a single row of any other kind. Making it may write (a
/// set-password link's token is made now).
pub fn compose(
    conn: &mut DbConnection,
    settings: &Settings,
    site: &Site<'_>,
    rows: &[Claimed],
) -> Result<Letter, Error> {
    let Some(mail) = rows.first() else {
        return Ok(Letter::Nothing);
    };
    let Some(recipient) = recipient(mail) else {
        return Ok(Letter::Nothing);
    };
    let (words, link) = match mail.kind() {
        Some(Kind::PasswordReset) => (
            LinkWords::reset(&site.name),
            password_link(conn, &recipient, &mail.recipient, resets::VALID)?,
        ),
        Some(Kind::Invitation) => (
            LinkWords::invitation(&site.name),
            password_link(conn, &recipient, &mail.recipient, invitations::VALID)?,
        ),
        Some(Kind::EmailConfirmation) => (
            LinkWords::confirmation(&site.name),
            confirmation_link(conn, &recipient, &mail.recipient)?,
        ),
        Some(kind @ (Kind::BadgeGiven | Kind::BadgeEnding | Kind::BadgeExpired)) => {
            return badge_mail(conn, settings, site, kind, &recipient, rows);
        }
        None => return Ok(Letter::Nothing),
    };
    let Some(LinkTo {
        name,
        path,
        to_name,
    }) = link
    else {
        return Ok(Letter::Nothing);
    };
    let link = format!("{}{path}", site.url);
    let text = LinkText {
        name: &name,
        site: &site.name,
        site_url: site.url,
        link: &link,
        words: &words,
    };
    let html = LinkHtml {
        subject: &words.subject,
        name: &name,
        site: &site.name,
        site_url: site.url,
        link: &link,
        words: &words,
    };
    let message = build(
        settings,
        site,
        mail,
        to_name,
        &words.subject,
        &text,
        &html,
        None,
    )?;
    Ok(Letter::Ready {
        subject: words.subject,
        message,
    })
}

/// Where a mail's link leads, and whom the mail greets.
struct LinkTo {
    /// The greeting's name (a member's name; an admin's address).
    name: String,
    /// The link's path, with its token.
    path: String,
    /// The name on the `To` line, if any.
    to_name: Option<String>,
}

/// A set-password link for the mail to `to`, made now; `None` when the account is gone or
/// has another address now.
fn password_link(
    conn: &mut DbConnection,
    recipient: &Recipient,
    to: &str,
    valid_for: time::Duration,
) -> Result<Option<LinkTo>, Error> {
    let Some((name, token)) = resets::link(conn, recipient, to, valid_for)? else {
        return Ok(None);
    };
    Ok(Some(match recipient {
        Recipient::Member(_) => LinkTo {
            path: format!("/set-password/{token}"),
            to_name: Some(name.clone()),
            name,
        },
        Recipient::Admin(_) => LinkTo {
            path: format!("/dashboard/set-password/{token}"),
            to_name: None,
            name,
        },
    }))
}

/// A link confirming `address`, made now; `None` when the member no longer waits for it.
fn confirmation_link(
    conn: &mut DbConnection,
    recipient: &Recipient,
    address: &str,
) -> Result<Option<LinkTo>, Error> {
    let Recipient::Member(member) = recipient else {
        return Ok(None);
    };
    // The address is not confirmed: the mail greets nobody by name, so a name typed at
    // sign-up cannot carry words of its own to a stranger's inbox.
    Ok(
        addresses::issue(conn, member, address)?.map(|token| LinkTo {
            path: format!("/confirm-email/{token}"),
            to_name: None,
            name: String::new(),
        }),
    )
}

/// Badge mail older than this is old news: it is dropped instead of sent (it waited while
/// mail was off, or the SMTP server was down for days).
const BADGE_MAIL_KEPT: time::Duration = time::Duration::days(3);

/// A badge as a badge mail lists it.
struct ListedBadge {
    title: String,
    description: String,
    link: String,
    background: String,
    text: String,
    /// When the member's assignment ends (or ended), in words.
    until: Option<String>,
}

#[derive(Template)]
#[template(path = "badges.txt")]
struct BadgesText<'a> {
    name: &'a str,
    lead: &'a str,
    after: &'a str,
    site: &'a str,
    site_url: &'a str,
    badges: &'a [ListedBadge],
    me: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "badges.html")]
struct BadgesHtml<'a> {
    subject: &'a str,
    name: &'a str,
    lead: &'a str,
    after: &'a str,
    site: &'a str,
    site_url: &'a str,
    badges: &'a [ListedBadge],
    me: &'a str,
    unsubscribe: &'a str,
}

/// What a badge mail of `kind` about `badges` says: its subject, the line before the list,
/// and the one after it.
fn badge_words(kind: Kind, site: &str, badges: &[ListedBadge]) -> (String, String, &'static str) {
    let one = match badges {
        [only] => Some(only.title.as_str()),
        _ => None,
    };
    let n = badges.len();
    match (kind, one) {
        (Kind::BadgeEnding, Some(title)) => (
            format!("Your badge {title} ends soon"),
            format!("Your badge on {site} ends soon:"),
            "If you should keep it, ask the site's owner to renew it.",
        ),
        (Kind::BadgeEnding, None) => (
            format!("{n} of your badges on {site} end soon"),
            format!("{n} of your badges on {site} end soon:"),
            "If you should keep them, ask the site's owner to renew them.",
        ),
        (Kind::BadgeExpired, Some(title)) => (
            format!("Your badge {title} has ended"),
            format!("Your badge on {site} has ended:"),
            "",
        ),
        (Kind::BadgeExpired, None) => (
            format!("{n} of your badges on {site} have ended"),
            format!("{n} of your badges on {site} have ended:"),
            "",
        ),
        (_, Some(title)) => (
            format!("You have a new badge: {title}"),
            format!("You have a new badge on {site}:"),
            "",
        ),
        (_, None) => (
            format!("You have {n} new badges on {site}"),
            format!("You have {n} new badges on {site}:"),
            "",
        ),
    }
}

/// Whether a badge mail of `kind` still has something to say of an assignment as it is now:
/// a new badge still held; an end still coming within a week (not renewed past it); an ended
/// badge not given again since.
fn still_true(kind: Kind, held: Held) -> bool {
    let now = insignia_core::clock::Timestamp::now();
    match (kind, held) {
        (Kind::BadgeGiven, held) => held != Held::No,
        (Kind::BadgeEnding, Held::Until(at)) => {
            at <= now + expiry::WARN_BEFORE + time::Duration::days(1)
        }
        (Kind::BadgeExpired, held) => held == Held::No,
        _ => false,
    }
}

/// A badge mail: every badge of `rows` it is still true of, while the member takes badge
/// mail. "You have a new badge", "ends soon" or "has ended".
fn badge_mail(
    conn: &mut DbConnection,
    settings: &Settings,
    site: &Site<'_>,
    kind: Kind,
    recipient: &Recipient,
    rows: &[Claimed],
) -> Result<Letter, Error> {
    let Recipient::Member(member_id) = recipient else {
        return Ok(Letter::Nothing);
    };
    let Ok(member) = insignia_core::members::find(conn, member_id) else {
        return Ok(Letter::Nothing);
    };
    if !unsubscribe::takes_badge_mail(conn, member_id)? {
        return Ok(Letter::Nothing);
    }
    let fresh_since = insignia_core::clock::Timestamp::now() - BADGE_MAIL_KEPT;
    let mut badges = Vec::new();
    for row in rows.iter().filter(|row| row.created_at > fresh_since) {
        let Some(badge_id) = &row.badge_id else {
            continue;
        };
        let badge_id = BadgeId::from(badge_id.as_str());
        let Ok(badge) = insignia_core::badges::store::find(conn, &badge_id) else {
            continue;
        };
        let held = assignments::held(conn, &badge_id, member_id)?;
        if !still_true(kind, held) || badges.iter().any(|b: &ListedBadge| b.title == badge.title) {
            continue;
        }
        badges.push(ListedBadge {
            link: format!("{}/badges/{}", site.url, badge.slug),
            title: badge.title,
            description: badge.description,
            background: badge.background_color,
            text: badge.text_color,
            until: match held {
                Held::Until(at) => Some(at.long_day()),
                _ => None,
            },
        });
    }
    if badges.is_empty() {
        return Ok(Letter::Nothing);
    }
    let (subject, lead, after) = badge_words(kind, &site.name, &badges);
    let me = format!("{}/me", site.url);
    let unsubscribe = format!(
        "{}/unsubscribe/{}",
        site.url,
        unsubscribe::token(conn, member_id)?
    );
    let text = BadgesText {
        name: &member.name,
        lead: &lead,
        after,
        site: &site.name,
        site_url: site.url,
        badges: &badges,
        me: &me,
        unsubscribe: &unsubscribe,
    };
    let html = BadgesHtml {
        subject: &subject,
        name: &member.name,
        lead: &lead,
        after,
        site: &site.name,
        site_url: site.url,
        badges: &badges,
        me: &me,
        unsubscribe: &unsubscribe,
    };
    let message = build(
        settings,
        site,
        &rows[0],
        Some(member.name.clone()),
        &subject,
        &text,
        &html,
        Some(&unsubscribe),
    )?;
    Ok(Letter::Ready { subject, message })
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

/// The message: headers, and the text and HTML parts. With `unsubscribe` (a badge mail), the
/// one-click unsubscribe headers of RFC 8058 too.
#[allow(clippy::too_many_arguments)]
fn build(
    settings: &Settings,
    site: &Site<'_>,
    mail: &Claimed,
    to_name: Option<String>,
    subject: &str,
    text: &impl Template,
    html: &impl Template,
    unsubscribe: Option<&str>,
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
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(subject))
        .date_now()
        .message_id(Some(message_id))
        .header(AutoSubmitted("auto-generated".to_string()));
    if let Some(link) = unsubscribe {
        builder = builder
            .header(ListUnsubscribe(format!("<{link}>")))
            .header(ListUnsubscribePost(
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    builder
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

/// A header lettre has no type for: its name, and a text value (encoded by lettre like any).
macro_rules! text_header {
    ($(#[$doc:meta])* $name:ident, $header:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        struct $name(String);

        impl lettre::message::header::Header for $name {
            fn name() -> lettre::message::header::HeaderName {
                lettre::message::header::HeaderName::new_from_ascii_str($header)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($name(s.to_string()))
            }

            fn display(&self) -> lettre::message::header::HeaderValue {
                lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(
    /// `Auto-Submitted: auto-generated` (RFC 3834): no auto-reply should answer it.
    AutoSubmitted,
    "Auto-Submitted"
);
text_header!(
    /// `List-Unsubscribe: <https://…/unsubscribe/…>` (RFC 2369).
    ListUnsubscribe,
    "List-Unsubscribe"
);
text_header!(
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the link unsubscribes
    /// with one POST, which mail clients send for the reader.
    ListUnsubscribePost,
    "List-Unsubscribe-Post"
);

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
