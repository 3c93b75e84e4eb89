//! Checking a password, for admins and members alike: throttled per account and client
//! (`throttle`), with the same time spent whether or not the e-mail exists. The steps are
//! here; the web crate runs them off the request threads.

use diesel::prelude::*;

use super::{admins, password};
use crate::db::DbConnection;
use crate::db::schema::members;
use crate::error::Error;
use crate::members::Member;

/// Who is trying, for the throttle.
#[derive(Debug, Clone)]
pub enum Client {
    /// A sign-in form: counted per client network (`web::client::client_network`).
    Address(String),
    /// A password prompt inside a live session (elevation, password change): counted per
    /// session, so nobody outside it can exhaust it.
    Session(String),
}

impl Client {
    /// The key the throttle counts this client under.
    pub fn key(&self) -> String {
        match self {
            Client::Address(network) => format!("ip:{network}"),
            Client::Session(token_hash) => format!("session:{token_hash}"),
        }
    }
}

/// The account an attempt counts against: the typed e-mail, lowercased. Control characters
/// (which no account's e-mail has, and NUL, which PostgreSQL cannot store) are kept as U+FFFD.
fn account_key(kind: &str, email: &str) -> String {
    let email: String = email
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    format!("{kind}:{email}")
}

#[derive(Debug)]
pub enum Outcome<T> {
    Ok(T),
    Wrong,
    /// Too many failures from this client: try again in this many minutes.
    Locked(i64),
}

impl<T> Outcome<T> {
    /// The same outcome with what a success carries changed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Ok(value) => Outcome::Ok(f(value)),
            Outcome::Wrong => Outcome::Wrong,
            Outcome::Locked(minutes) => Outcome::Locked(minutes),
        }
    }
}

/// An admin and their password hash, by e-mail.
pub fn find_admin(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<(admins::Admin, Option<String>)>, Error> {
    Ok(admins::find_by_email(conn, email)?.map(|a| {
        let hash = Some(a.password_hash.clone());
        (a, hash)
    }))
}

/// A member and their password hash (if they have set one), by e-mail.
pub fn find_member(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<(Member, Option<String>)>, Error> {
    Ok(members::table
        .filter(members::email.eq(email.trim().to_lowercase()))
        .select((Member::as_select(), members::password_hash))
        .first::<(Member, Option<String>)>(conn)
        .optional()?)
}

/// Checks `password_text` against what a lookup found, spending the same time when nothing
/// was found. argon2 is slow on purpose: call it without holding a database connection.
pub fn verify<T>(found: Option<(T, Option<String>)>, password_text: &str) -> Option<T> {
    match found {
        Some((who, Some(hash))) => password::verify(password_text, &hash).then_some(who),
        _ => {
            password::verify_dummy(password_text);
            None
        }
    }
}

/// The account an admin's sign-in counts against.
pub fn admin_account(email: &str) -> String {
    account_key("admin", email)
}

/// The account a member's sign-in counts against.
pub fn member_account(email: &str) -> String {
    account_key("member", email)
}
