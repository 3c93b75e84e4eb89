//! What one client may repeat, spent in the database so that every server of a site shares
//! the budgets: JSON API changes per key and per address, sign-ups per address, and a
//! member's own changes on `/me`. A spent budget is a 429 that says when to try again; the
//! request it refuses changes nothing.

use crate::blocking;
use crate::error::AppError;
use insignia_core::auth::rate_limit::{self, Budget};

/// Spends one action from each bucket, in order; `Err(seconds to wait)` at the first that is
/// spent (the buckets before it have paid, which only errs on the careful side).
pub async fn spend(
    pool: &insignia_core::db::DbPool,
    buckets: Vec<(String, Budget)>,
) -> Result<Result<(), u64>, AppError> {
    blocking::run(pool, move |conn| {
        let now = insignia_core::clock::now_millis();
        for (bucket, budget) in &buckets {
            if let Err(wait) = rate_limit::spend(conn, bucket, *budget, now)? {
                return Ok(Err(wait));
            }
        }
        Ok(Ok(()))
    })
    .await
}

/// Spends one action of `bucket`, or refuses with a 429 that says `what` and when to retry.
async fn spend_or_refuse(
    state: &crate::state::AppState,
    bucket: String,
    budget: Budget,
    what: &str,
) -> Result<(), AppError> {
    spend(&state.pool, vec![(bucket, budget)])
        .await?
        .map_err(|wait| insignia_core::Error::too_many(what, wait).into())
}

/// A sign-up from the client of `req`, or a 429.
pub async fn spend_signup(
    state: &crate::state::AppState,
    req: &actix_web::HttpRequest,
) -> Result<(), AppError> {
    let bucket = format!("signup:{}", super::client::client_network(req));
    let what =
        "There were too many sign-ups from your network in a short time. No account was made.";
    spend_or_refuse(state, bucket, state.budgets.signups, what).await
}

/// A try at the setup code from the client of `req`, or a 429.
pub async fn spend_setup_try(
    state: &crate::state::AppState,
    req: &actix_web::HttpRequest,
) -> Result<(), AppError> {
    let bucket = format!("setup:{}", super::client::client_network(req));
    let what = "Too many tries at setting up this site from your network. Nothing was changed.";
    spend_or_refuse(state, bucket, SETUP_TRIES, what).await
}

/// Tries at the setup code: a person needs a few, and the code is too long to guess anyway.
const SETUP_TRIES: Budget = Budget::per_minute(10);

/// One change a member makes to their own account or profile, or a 429.
pub async fn spend_member_change(
    state: &crate::state::AppState,
    member: &insignia_core::members::Member,
) -> Result<(), AppError> {
    let bucket = format!("member:{}", member.id);
    let what = "You have made a lot of changes in a short time. Nothing was changed.";
    spend_or_refuse(state, bucket, state.budgets.member_changes, what).await
}
