//! Checking a password, for admins and members alike: throttled per account and client
//! (`throttle`), with the same time spent whether or not the e-mail exists.

use diesel::prelude::*;

use super::throttle::{self, Attempt};
use super::{admins, password};
use crate::db::DbConnection;
use crate::db::schema::members;
use crate::db::{self, DbPool};
use crate::error::AppError;
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
    fn key(&self) -> String {
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

/// Checks an admin's password.
pub async fn admin(
    pool: &DbPool,
    client: Client,
    email: &str,
    password_text: String,
) -> Result<Outcome<admins::Admin>, AppError> {
    let account = account_key("admin", email);
    check(pool, account, client, email, password_text, find_admin).await
}

/// Checks a member's password (members without one, never invited to set it, cannot sign in).
pub async fn member(
    pool: &DbPool,
    client: Client,
    email: &str,
    password_text: String,
) -> Result<Outcome<Member>, AppError> {
    let account = account_key("member", email);
    check(pool, account, client, email, password_text, find_member).await
}

/// An admin and their password hash, by e-mail.
pub fn find_admin(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<(admins::Admin, Option<String>)>, AppError> {
    Ok(admins::find_by_email(conn, email)?.map(|a| {
        let hash = Some(a.password_hash.clone());
        (a, hash)
    }))
}

/// A member and their password hash (if they have set one), by e-mail.
pub fn find_member(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<(Member, Option<String>)>, AppError> {
    Ok(members::table
        .filter(members::email.eq(email.trim().to_lowercase()))
        .select((Member::as_select(), members::password_hash))
        .first::<(Member, Option<String>)>(conn)
        .optional()?)
}

type Lookup<T> = fn(&mut DbConnection, &str) -> Result<Option<(T, Option<String>)>, AppError>;

async fn check<T: Send + 'static>(
    pool: &DbPool,
    account: String,
    client: Client,
    email: &str,
    password_text: String,
    lookup: Lookup<T>,
) -> Result<Outcome<T>, AppError> {
    let client = client.key();
    let reservation =
        match db::run(pool, move |conn| throttle::reserve(conn, &account, &client)).await? {
            Attempt::Locked(minutes) => return Ok(Outcome::Locked(minutes)),
            Attempt::Allowed(reservation) => reservation,
        };
    if !reservation.delay.is_zero() {
        actix_web::rt::time::sleep(reservation.delay).await;
    }
    // No account's e-mail holds a control character, and PostgreSQL cannot even be asked
    // about text with NUL in it: such an e-mail is nobody's (the password is still "checked",
    // so the answer takes as long).
    let found = if email.chars().any(char::is_control) {
        None
    } else {
        let email = email.to_string();
        db::run(pool, move |conn| lookup(conn, &email)).await?
    };
    // argon2 is slow on purpose: verify without holding a database connection.
    let verified = actix_web::web::block(move || match found {
        Some((who, Some(hash))) => password::verify(&password_text, &hash).then_some(who),
        _ => {
            password::verify_dummy(&password_text);
            None
        }
    })
    .await
    .map_err(AppError::internal)?;
    match verified {
        Some(who) => {
            db::run(pool, move |conn| throttle::succeeded(conn, &reservation)).await?;
            Ok(Outcome::Ok(who))
        }
        None => Ok(Outcome::Wrong),
    }
}
