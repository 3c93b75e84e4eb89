//! Budgets of actions per period (the JSON API's write limit, sign-ups per address, a member's
//! own changes), counted in the database so that every server on it spends the same budget.
//!
//! Each bucket (an API key, a client address, a member) keeps one number, the time its budget
//! is full again (the "theoretical arrival time" of the generic cell rate algorithm): every
//! action moves it one interval (the period divided by the budget) later, starting from now
//! when it lies in the past, and an action is allowed while it stays within one period of now.
//! So a caller may spend the whole budget at once and then one action per interval, as with a
//! bucket refilling steadily. Checking and spending is one statement, atomic on both databases.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::{BackendKind, DbConnection};
use crate::error::Error;

/// So many actions per so many milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    count: i64,
    period_ms: i64,
}

impl Budget {
    pub const fn per_minute(count: u32) -> Budget {
        Budget::per(count, 60_000)
    }

    pub const fn per_hour(count: u32) -> Budget {
        Budget::per(count, 3_600_000)
    }

    const fn per(count: u32, period_ms: i64) -> Budget {
        Budget {
            count: if count == 0 { 1 } else { count as i64 },
            period_ms,
        }
    }
}

#[derive(QueryableByName)]
struct Tat {
    #[diesel(sql_type = BigInt)]
    tat: i64,
}

/// Spends one action of `bucket`'s `budget` at `now_ms`. `Ok(Err(s))` when the budget is
/// spent: the next action is allowed in `s` seconds (at least 1).
pub fn spend(
    conn: &mut DbConnection,
    bucket: &str,
    budget: Budget,
    now_ms: i64,
) -> Result<Result<(), u64>, Error> {
    let interval = (budget.period_ms / budget.count).max(1);
    let later = match conn.backend() {
        BackendKind::Sqlite => "max(rate_limits.tat, ?2)",
        BackendKind::Postgres => "GREATEST(rate_limits.tat, ?2)",
    };
    let spent: Vec<Tat> = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO rate_limits (bucket, tat) VALUES (?1, ?2 + ?3) \
         ON CONFLICT (bucket) DO UPDATE SET tat = {later} + ?3 \
         WHERE {later} + ?3 <= ?2 + ?4 \
         RETURNING tat"
    )))
    .bind::<Text, _>(bucket)
    .bind::<BigInt, _>(now_ms)
    .bind::<BigInt, _>(interval)
    .bind::<BigInt, _>(interval * budget.count)
    .load(conn)?;
    if !spent.is_empty() {
        // Buckets whose budget is full again need no row; clear them now and then.
        if rand::random_ratio(1, 1000) {
            diesel::sql_query(conn.sql("DELETE FROM rate_limits WHERE tat < ?"))
                .bind::<BigInt, _>(now_ms)
                .execute(conn)?;
        }
        return Ok(Ok(()));
    }
    let tat: Vec<Tat> = diesel::sql_query(conn.sql("SELECT tat FROM rate_limits WHERE bucket = ?"))
        .bind::<Text, _>(bucket)
        .load(conn)?;
    let full_at = tat.first().map_or(now_ms, |t| t.tat);
    // Allowed again once one interval has run off the full minute ahead.
    let wait_ms = full_at + interval - now_ms - interval * budget.count;
    Ok(Err(u64::try_from(wait_ms)
        .unwrap_or(0)
        .div_ceil(1000)
        .max(1)))
}
