//! Confirming a member's address by mail. A sign-up's address, or a new one a member types on
//! `/me`, waits in `members.email_pending` until the member follows the link mailed to it;
//! then it is the account's address and is trusted, which is what rules by e-mail domain
//! read (a stranger's word for an address is not enough to earn a badge).
//!
//! As with password links, the token is made when the mail is composed (`issue`), only its
//! hash is kept, it works once, and a newer one ends the one before. A link names the address
//! it was sent to, so it confirms only that address.

use diesel::prelude::*;

use crate::audit::{self, Actor, Change};
use crate::auth::rate_limit::{self, Budget};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{email_confirmations, members, password_links};
use crate::error::Error;
use crate::ids::MemberId;
use crate::mail::Recipient;
use crate::mail::outbox::{self, Kind};
use crate::members::Member;
use crate::tokens::hash_token as hash;

/// How long a confirmation link works.
pub const VALID: time::Duration = time::Duration::days(2);
/// What a member is told of a link that no longer works.
pub const EXPIRED: &str =
    "This link has expired or was already used. Sign in and ask for a new one on your profile.";
/// Confirmation mails per member per hour (a member cannot make the site mail strangers).
pub const PER_MEMBER: Budget = Budget::per_hour(3);

/// What a member asked to confirm, as `/me` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The address on the account is confirmed (or was entered by an admin).
    Confirmed,
    /// A mail went to this address; the account keeps its address until it is confirmed
    /// (the same address, after a sign-up).
    Waiting(String),
    /// Nobody has confirmed it and no confirmation is waiting (a sign-up while mail was off).
    Unconfirmed,
}

/// Where `member` stands.
pub fn standing(conn: &mut DbConnection, member: &MemberId) -> Result<Standing, Error> {
    let (trusted, pending): (bool, Option<String>) = members::table
        .find(member)
        .select((members::email_trusted, members::email_pending))
        .first(conn)?;
    Ok(match (pending, trusted) {
        (Some(address), _) => Standing::Waiting(address),
        (None, true) => Standing::Confirmed,
        (None, false) => Standing::Unconfirmed,
    })
}

/// Why a confirmation mail was not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// What was typed is not an address (the message says why).
    Invalid(String),
    /// Another account has the address.
    Taken,
    /// The address is the account's own and is confirmed already.
    Unchanged,
    /// Too many confirmation mails this hour: try again in so many seconds.
    TooMany(u64),
}

/// Inside a sign-up's transaction: the new member's address waits for confirmation, and the
/// mail is queued. (Not budgeted: sign-ups have their own budget per client.)
pub(crate) fn confirm_sign_up(
    conn: &mut DbConnection,
    member: &MemberId,
    email: &str,
) -> Result<(), Error> {
    wait_for(conn, member, email)
}

/// Whether asking to confirm `typed` needs the member's password: only a new address does. A
/// mail again to the account's own address, or to the one already waiting, asks nothing new.
pub fn needs_password(
    conn: &mut DbConnection,
    member: &Member,
    typed: &str,
) -> Result<bool, Error> {
    let Ok(address) = crate::email::parse(typed) else {
        // Refused by `request` anyway; the password is checked first all the same.
        return Ok(true);
    };
    Ok(address != member.email && standing(conn, &member.id)? != Standing::Waiting(address))
}

/// A member asks to confirm `typed`: a new address for their account, or their own one again
/// (a sign-up whose mail was lost). The account keeps its address until the link is followed.
pub fn request(
    conn: &mut DbConnection,
    member: &Member,
    typed: &str,
) -> Result<Result<String, Refused>, Error> {
    let email = match crate::email::parse(typed) {
        Ok(email) => email,
        Err(m) => return Ok(Err(Refused::Invalid(m))),
    };
    crate::db::write(conn, |conn| {
        if email == member.email {
            if standing(conn, &member.id)? == Standing::Confirmed {
                return Ok(Err(Refused::Unchanged));
            }
        } else if crate::members::find_by_email(conn, &email)?.is_some() {
            return Ok(Err(Refused::Taken));
        }
        let now = crate::clock::now_millis();
        let bucket = format!("confirm-member:{}", member.id);
        if let Err(wait) = rate_limit::spend(conn, &bucket, PER_MEMBER, now)? {
            return Ok(Err(Refused::TooMany(wait)));
        }
        wait_for(conn, &member.id, &email)?;
        audit::record(
            conn,
            &Actor::member(&member.email),
            Change {
                action: "member.email_requested",
                member_id: Some(&member.id),
                target: &member.name,
                details: format!("a confirmation mail to {email}"),
                ..Default::default()
            },
        )?;
        Ok(Ok(email))
    })
}

/// The member gives up the new address they asked for; the account keeps its own. Their
/// links stop working.
pub fn cancel(conn: &mut DbConnection, member: &MemberId) -> Result<(), Error> {
    crate::db::write(conn, |conn| {
        diesel::update(members::table.find(member))
            .set(members::email_pending.eq(None::<String>))
            .execute(conn)?;
        forget_links(conn, member)
    })
}

/// Ends the member's confirmation links.
fn forget_links(conn: &mut DbConnection, member: &MemberId) -> Result<(), Error> {
    diesel::delete(email_confirmations::table.filter(email_confirmations::member_id.eq(member)))
        .execute(conn)?;
    Ok(())
}

fn wait_for(conn: &mut DbConnection, member: &MemberId, email: &str) -> Result<(), Error> {
    diesel::update(members::table.find(member))
        .set(members::email_pending.eq(email))
        .execute(conn)?;
    // A link to an address asked for before must not confirm it now.
    forget_links(conn, member)?;
    outbox::queue(
        conn,
        Kind::EmailConfirmation,
        &Recipient::Member(member.clone()),
        email,
    )?;
    Ok(())
}

/// A link for the mail being composed to `email`: its token. `None`
/// when the member is gone or no longer waits for that address (they asked for another
/// since, or confirmed it), so a stale mail is not sent.
pub fn issue(
    conn: &mut DbConnection,
    member: &MemberId,
    email: &str,
) -> Result<Option<String>, Error> {
    crate::db::write(conn, |conn| {
        let pending: Option<Option<String>> = members::table
            .find(member)
            .select(members::email_pending)
            .first(conn)
            .optional()?;
        if pending.flatten().as_deref() != Some(email) {
            return Ok(None);
        }
        forget_links(conn, member)?;
        let token = crate::tokens::random_token();
        diesel::insert_into(email_confirmations::table)
            .values((
                email_confirmations::token_hash.eq(hash(&token)),
                email_confirmations::member_id.eq(member),
                email_confirmations::email.eq(email),
                email_confirmations::expires_at.eq(Timestamp::now() + VALID),
            ))
            .execute(conn)?;
        Ok(Some(token))
    })
}

/// What a still-valid link would confirm: for whom, and which address.
pub fn link_for(conn: &mut DbConnection, token: &str) -> Result<Option<(Member, String)>, Error> {
    let link: Option<(MemberId, String, Timestamp)> = email_confirmations::table
        .find(hash(token))
        .select((
            email_confirmations::member_id,
            email_confirmations::email,
            email_confirmations::expires_at,
        ))
        .first(conn)
        .optional()?;
    match link {
        Some((member, email, expires)) if expires > Timestamp::now() => {
            Ok(crate::members::find(conn, &member).ok().map(|m| (m, email)))
        }
        _ => Ok(None),
    }
}

/// Follows a link: its address becomes the account's, trusted, and rules that read the
/// address run for the member. `Err` says why not, in words for the member.
pub fn confirm(conn: &mut DbConnection, token: &str) -> Result<Result<Member, String>, Error> {
    crate::db::write(conn, |conn| {
        let Some((member, email)) = link_for(conn, token)? else {
            return Ok(Err(EXPIRED.to_string()));
        };
        forget_links(conn, &member.id)?;
        if standing(conn, &member.id)? != Standing::Waiting(email.clone()) {
            return Ok(Err(EXPIRED.to_string()));
        }
        if email != member.email && crate::members::find_by_email(conn, &email)?.is_some() {
            diesel::update(members::table.find(&member.id))
                .set(members::email_pending.eq(None::<String>))
                .execute(conn)?;
            return Ok(Err(format!(
                "{email} now belongs to another account, so it cannot be yours. Your \
                 address stays {}.",
                member.email
            )));
        }
        diesel::update(members::table.find(&member.id))
            .set((
                members::email.eq(&email),
                members::email_domain.eq(crate::email::domain(&email)),
                members::email_trusted.eq(true),
                members::email_pending.eq(None::<String>),
            ))
            .execute(conn)?;
        if email != member.email {
            // A set-password link mailed to the old address stops working. (Deleted here, not
            // through `auth::member_links`, which depends on this module's parent.)
            diesel::delete(password_links::table.filter(password_links::member_id.eq(&member.id)))
                .execute(conn)?;
        }
        let details = if email == member.email {
            format!("confirmed {email}")
        } else {
            format!("confirmed {email}; e-mail was {}", member.email)
        };
        audit::record(
            conn,
            &Actor::member(&email),
            Change {
                action: "member.email_confirmed",
                member_id: Some(&member.id),
                target: &member.name,
                details,
                ..Default::default()
            },
        )?;
        crate::rules::follow_email_change(conn, &member.id)?;
        Ok(Ok(crate::members::find(conn, &member.id)?))
    })
}
