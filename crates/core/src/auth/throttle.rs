//! Slows down password guessing without letting strangers lock the owner out.
//!
//! Failures are counted per account *and* client: after `MAX_FAILURES` failures from one
//! client (an address, or one signed-in session) for one account within `WINDOW_MINUTES`,
//! that client is refused until its oldest failure ages out. Someone guessing from elsewhere
//! only makes the account answer more slowly (`account_delay`), never refuses the right
//! password from the owner's own address.
//!
//! Checking is atomic: an attempt first reserves a failure in one write transaction, and only
//! a correct password takes it back. Parallel guesses therefore cannot slip past the limit.

use std::time::Duration;

use diesel::prelude::*;

use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::login_failures;
use crate::error::Error;

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;
/// Failures for one account, from all clients, before its answers start to slow down.
pub const ACCOUNT_SLOWDOWN_AFTER: i64 = 10;
/// The longest an answer is held back by the account-wide slowdown.
pub const MAX_ACCOUNT_DELAY: Duration = Duration::from_secs(5);

/// An attempt allowed to check a password. Its failure is already recorded; `succeeded`
/// takes it back.
#[derive(Debug, Clone)]
pub struct Reservation {
    account: String,
    client: String,
    /// How long to hold the answer back because the account is under attack.
    pub delay: Duration,
}

#[derive(Debug)]
pub enum Attempt {
    Allowed(Reservation),
    /// This client must wait this many minutes.
    Locked(i64),
}

fn window_start() -> Timestamp {
    Timestamp::now() - time::Duration::minutes(WINDOW_MINUTES)
}

/// The slowdown for an account with `failures` recent failures from all clients.
pub fn account_delay(failures: i64) -> Duration {
    let over = failures - ACCOUNT_SLOWDOWN_AFTER + 1;
    if over <= 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(500 * over as u64).min(MAX_ACCOUNT_DELAY)
}

/// Decides whether `client` may try a password for `account` now and, if so, records the
/// attempt as a failure until it proves otherwise. One write transaction, so concurrent
/// attempts are counted one after the other.
pub fn reserve(conn: &mut DbConnection, account: &str, client: &str) -> Result<Attempt, Error> {
    crate::db::write(conn, |conn| {
        let since = window_start();
        diesel::delete(
            login_failures::table
                .filter(login_failures::account.eq(account))
                .filter(login_failures::failed_at.le(since)),
        )
        .execute(conn)?;
        let mine: Vec<Timestamp> = login_failures::table
            .filter(login_failures::account.eq(account))
            .filter(login_failures::client.eq(client))
            .filter(login_failures::failed_at.gt(since))
            .order(login_failures::failed_at.asc())
            .select(login_failures::failed_at)
            .limit(MAX_FAILURES)
            .load(conn)?;
        if mine.len() as i64 >= MAX_FAILURES {
            return Ok(Attempt::Locked(minutes_until_free(mine.first().copied())));
        }
        let everyone: i64 = login_failures::table
            .filter(login_failures::account.eq(account))
            .filter(login_failures::failed_at.gt(since))
            .count()
            .get_result(conn)?;
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::account.eq(account),
                login_failures::client.eq(client),
                login_failures::failed_at.eq(Timestamp::now()),
            ))
            .execute(conn)?;
        Ok(Attempt::Allowed(Reservation {
            account: account.to_string(),
            client: client.to_string(),
            delay: account_delay(everyone),
        }))
    })
}

/// The password was right: this client's failures for the account are forgiven.
pub fn succeeded(conn: &mut DbConnection, reservation: &Reservation) -> Result<(), Error> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::account.eq(&reservation.account))
            .filter(login_failures::client.eq(&reservation.client)),
    )
    .execute(conn)?;
    Ok(())
}

fn minutes_until_free(oldest: Option<Timestamp>) -> i64 {
    let wait = oldest
        .map(|t| {
            let frees_at = t + time::Duration::minutes(WINDOW_MINUTES);
            ((frees_at - Timestamp::now()).whole_seconds() + 59) / 60
        })
        .unwrap_or(WINDOW_MINUTES);
    wait.max(1)
}

pub fn lockout_message(minutes: i64) -> String {
    format!(
        "Too many failed sign-ins. For your safety, try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_slows_down_gently_and_never_locks() {
        assert_eq!(account_delay(0), Duration::ZERO);
        assert_eq!(account_delay(ACCOUNT_SLOWDOWN_AFTER - 1), Duration::ZERO);
        assert_eq!(
            account_delay(ACCOUNT_SLOWDOWN_AFTER),
            Duration::from_millis(500)
        );
        assert_eq!(account_delay(10_000), MAX_ACCOUNT_DELAY);
    }

    #[test]
    fn lockout_message_names_the_wait() {
        assert!(lockout_message(1).ends_with("1 minute."));
        assert!(lockout_message(15).ends_with("15 minutes."));
    }
}
