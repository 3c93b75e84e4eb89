//! "Forgot your password?": a mail with a set-password link valid one hour, to whoever owns
//! the address typed, member or admin.
//!
//! The answer never tells whether the address has an account: the same page follows, and a
//! mail is queued only when it has one. Requests are budgeted per client address (refused
//! with a wait, the same for every address) and per e-mail address (silently: no more mail
//! goes to one inbox, whoever asks). The link's token is made when the mail is composed
//! (`link`), never stored in the outbox; a new one ends the one before.

use crate::auth::rate_limit::{self, Budget};
use crate::db::DbConnection;
use crate::error::Error;
use crate::mail::Recipient;
use crate::mail::outbox::{self, Kind};

/// How long a reset link works.
pub const VALID: time::Duration = time::Duration::hours(1);
/// Reset mails to one address per hour.
pub const PER_ADDRESS: Budget = Budget::per_hour(3);
/// Reset requests from one client address (an IPv6 /64) per hour.
pub const PER_CLIENT: Budget = Budget::per_hour(20);

/// Whose password: a member's (the public site) or an admin's (the dashboard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Member,
    Admin,
}

/// Why a request was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// What was typed is not an e-mail address.
    Invalid(String),
    /// This client asked too often: try again in so many seconds.
    TooMany(u64),
}

/// Takes a request for a reset mail to `typed` from `client`. `Ok(Ok(()))` whether or not
/// a mail was queued.
pub fn request(
    conn: &mut DbConnection,
    account: Account,
    typed: &str,
    client: &str,
) -> Result<Result<(), Refused>, Error> {
    let email = match crate::email::parse(typed) {
        Ok(email) => email,
        Err(m) => return Ok(Err(Refused::Invalid(m))),
    };
    let now = crate::clock::now_millis();
    if let Err(wait) = rate_limit::spend(conn, &format!("reset-client:{client}"), PER_CLIENT, now)?
    {
        return Ok(Err(Refused::TooMany(wait)));
    }
    if rate_limit::spend(conn, &format!("reset-address:{email}"), PER_ADDRESS, now)?.is_err() {
        return Ok(Ok(()));
    }
    crate::db::write(conn, |conn| {
        let recipient = match account {
            Account::Member => crate::members::find_by_email(conn, &email)?
                .map(|member| Recipient::Member(member.id)),
            Account::Admin => crate::auth::admins::find_by_email(conn, &email)?
                .map(|admin| Recipient::Admin(admin.id)),
        };
        if let Some(recipient) = recipient {
            outbox::queue(conn, Kind::PasswordReset, &recipient, &email)?;
        }
        Ok(Ok(()))
    })
}

/// A set-password link made as its mail to `to` is composed (a reset valid [`VALID`], an
/// invitation valid seven days): for whom (name or address), and the token. `None` when the
/// account is gone or no longer has that address (a link must not go to an address the
/// account left). An earlier link of the account stops working.
pub fn link(
    conn: &mut DbConnection,
    recipient: &Recipient,
    to: &str,
    valid_for: time::Duration,
) -> Result<Option<(String, String)>, Error> {
    crate::db::write(conn, |conn| match recipient {
        Recipient::Member(id) => {
            let Ok(member) = crate::members::find(conn, id) else {
                return Ok(None);
            };
            if member.email != to {
                return Ok(None);
            }
            let token = crate::auth::member_links::issue(conn, id, valid_for)?;
            Ok(Some((member.name, token)))
        }
        Recipient::Admin(id) => {
            let Ok(admin) = crate::auth::admins::find(conn, id) else {
                return Ok(None);
            };
            if admin.email != to {
                return Ok(None);
            }
            let token = crate::auth::admins::issue_link(conn, id, valid_for)?;
            Ok(Some((admin.email, token)))
        }
    })
}
