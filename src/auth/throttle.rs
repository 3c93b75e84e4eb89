//! Slows down password guessing: after `MAX_FAILURES` failed attempts for one account within
//! `WINDOW_MINUTES`, further attempts are refused until the oldest failure ages out.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::db::schema::login_failures;
use crate::error::AppError;

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

fn window_start() -> String {
    crate::db::format_time(
        time::OffsetDateTime::now_utc() - time::Duration::minutes(WINDOW_MINUTES),
    )
}

/// `Some(minutes)` to wait when the account is locked out now.
pub fn locked_for(conn: &mut SqliteConnection, account: &str) -> Result<Option<i64>, AppError> {
    let recent: Vec<String> = login_failures::table
        .filter(login_failures::account.eq(account))
        .filter(login_failures::failed_at.gt(window_start()))
        .order(login_failures::failed_at.asc())
        .select(login_failures::failed_at)
        .load(conn)?;
    if (recent.len() as i64) < MAX_FAILURES {
        return Ok(None);
    }
    let oldest = recent.first().and_then(|t| crate::db::parse_time(t));
    let wait = oldest
        .map(|t| {
            let frees_at = t + time::Duration::minutes(WINDOW_MINUTES);
            ((frees_at - time::OffsetDateTime::now_utc()).whole_seconds() + 59) / 60
        })
        .unwrap_or(WINDOW_MINUTES);
    Ok(Some(wait.max(1)))
}

pub fn record_failure(conn: &mut SqliteConnection, account: &str) -> Result<(), AppError> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::account.eq(account),
            login_failures::failed_at.eq(crate::db::now()),
        ))
        .execute(conn)?;
    // Old rows are no longer needed to decide anything.
    diesel::delete(
        login_failures::table
            .filter(login_failures::account.eq(account))
            .filter(login_failures::failed_at.le(window_start())),
    )
    .execute(conn)?;
    Ok(())
}

pub fn clear(conn: &mut SqliteConnection, account: &str) -> Result<(), AppError> {
    diesel::delete(login_failures::table.filter(login_failures::account.eq(account)))
        .execute(conn)?;
    Ok(())
}

pub fn lockout_message(minutes: i64) -> String {
    format!(
        "Too many failed sign-ins for this account. For your safety, try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}
