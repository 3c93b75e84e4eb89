//! Which assignments are in force: an assignment of a badge valid for a time stops counting
//! for every read at its end, before the expiry job (`expiry.rs`) takes it away.

use diesel::prelude::*;

use crate::clock::Timestamp;
use crate::db::schema::member_badges;

/// Assignments still in force at `now`: those that never expire, and those whose time is not
/// up. An expired one stops counting for every read at once, before the expiry job takes it
/// away.
pub fn in_force(
    now: Timestamp,
) -> diesel::dsl::Or<
    diesel::dsl::IsNull<member_badges::expires_at>,
    diesel::dsl::Gt<member_badges::expires_at, i64>,
> {
    member_badges::expires_at
        .is_null()
        .or(member_badges::expires_at.gt(now.millis()))
}

/// [`in_force`] for hand-written SQL: the condition on the assignment row `alias` (`mb`, or
/// empty for an unaliased `member_badges`), with one `?` for now in Unix milliseconds.
pub fn in_force_sql(alias: &str) -> String {
    let column = if alias.is_empty() {
        "expires_at".to_string()
    } else {
        format!("{alias}.expires_at")
    };
    format!("({column} IS NULL OR {column} > ?)")
}

/// [`in_force`] for an end already read (Unix milliseconds).
pub fn in_force_at(expires_at: Option<i64>, now: i64) -> bool {
    expires_at.is_none_or(|at| at > now)
}
