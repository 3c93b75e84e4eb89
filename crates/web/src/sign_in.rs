//! Checking a password off the request threads: the throttle first (waiting out its delay),
//! then the lookup, then argon2 without a connection held. The steps and their rules are the
//! core's (`auth::sign_in`, `auth::throttle`).

use crate::blocking;
use crate::error::AppError;
use insignia_core::auth::admins::Admin;
use insignia_core::auth::sign_in::{self, Client, Outcome};
use insignia_core::auth::throttle::{self, Attempt};
use insignia_core::db::{DbConnection, DbPool};
use insignia_core::members::Member;

type Lookup<T> =
    fn(&mut DbConnection, &str) -> Result<Option<(T, Option<String>)>, insignia_core::Error>;

/// Checks an admin's password.
pub async fn admin(
    pool: &DbPool,
    client: Client,
    email: &str,
    password_text: String,
) -> Result<Outcome<Admin>, AppError> {
    let account = sign_in::admin_account(email);
    check(
        pool,
        account,
        client,
        email,
        password_text,
        sign_in::find_admin,
    )
    .await
}

/// Checks a member's password (members without one, never invited to set it, cannot sign in).
pub async fn member(
    pool: &DbPool,
    client: Client,
    email: &str,
    password_text: String,
) -> Result<Outcome<Member>, AppError> {
    let account = sign_in::member_account(email);
    check(
        pool,
        account,
        client,
        email,
        password_text,
        sign_in::find_member,
    )
    .await
}

async fn check<T: Send + 'static>(
    pool: &DbPool,
    account: String,
    client: Client,
    email: &str,
    password_text: String,
    lookup: Lookup<T>,
) -> Result<Outcome<T>, AppError> {
    let client = client.key();
    let reservation = match blocking::run(pool, move |conn| {
        Ok(throttle::reserve(conn, &account, &client)?)
    })
    .await?
    {
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
        blocking::run(pool, move |conn| Ok(lookup(conn, &email)?)).await?
    };
    let verified = blocking::compute(move || sign_in::verify(found, &password_text)).await?;
    match verified {
        Some(who) => {
            blocking::run(pool, move |conn| {
                Ok(throttle::succeeded(conn, &reservation)?)
            })
            .await?;
            Ok(Outcome::Ok(who))
        }
        None => Ok(Outcome::Wrong),
    }
}
