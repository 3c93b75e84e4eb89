//! Badges valid for a time: the background job that takes expired assignments away
//! (`assignments::expire_due`), one server at a time, soon after their time is up, and tells
//! members of badges that tell their holders a week before an assignment ends
//! ([`warn_ending`]); the expiry itself queues "your badge has ended".

use std::time::Duration;

use crate::clock::Timestamp;
use crate::db::DbPool;
use crate::error::Error;
use crate::jobs::{Job, Progress, Share};

/// Looks for expired assignments this often, so each goes within a minute of its time.
pub const EVERY: Duration = Duration::from_secs(15);

pub struct ExpireAssignments;

impl Job for ExpireAssignments {
    fn name(&self) -> &'static str {
        "assignments.expire"
    }

    fn share(&self) -> Share {
        Share::OneServer {
            every: EVERY,
            lease: Duration::from_secs(600),
        }
    }

    fn run(&mut self, pool: &DbPool) -> Result<Progress, Error> {
        let mut conn = crate::db::checkout(pool, crate::db::stats::Caller::Background)
            .map_err(Error::internal)?;
        super::assignments::expire_due(&mut conn, Timestamp::now())?;
        warn_ending(&mut conn, Timestamp::now())?;
        Ok(Progress::Done)
    }
}

/// Assignments whose time is up that the job has not taken away yet (the partial index of
/// ending assignments answers).
pub fn backlog(conn: &mut crate::db::DbConnection) -> Result<i64, Error> {
    use crate::db::schema::member_badges;
    use diesel::prelude::*;
    Ok(member_badges::table
        .filter(member_badges::expires_at.le(crate::clock::now_millis()))
        .count()
        .get_result(conn)?)
}

/// Members are told this long before a badge they hold ends.
pub const WARN_BEFORE: time::Duration = time::Duration::days(7);

/// An end set less than this before it is not warned of (a badge given or renewed for a week:
/// its "new badge" mail said until when).
const NOTICE: time::Duration = time::Duration::days(8);

/// The window moves in steps of at least this, so a pass that has nothing to do writes
/// nothing (the job runs every 15 s).
const STEP: time::Duration = time::Duration::minutes(5);

/// Where the warnings have reached (in `settings`): every assignment ending by then whose end
/// was stored when the window passed it has been warned of.
const WARNED_UNTIL: &str = "expiry_warned_until";

fn warned_until(conn: &mut crate::db::DbConnection) -> Result<Option<Timestamp>, Error> {
    use crate::db::schema::settings;
    use diesel::prelude::*;
    let reached: Option<String> = settings::table
        .find(WARNED_UNTIL)
        .select(settings::value)
        .first(conn)
        .optional()?;
    Ok(reached
        .and_then(|text| text.parse().ok())
        .map(Timestamp::from_millis))
}

/// Queues "your badge ends soon" for assignments that now end within [`WARN_BEFORE`] and were
/// not warned of yet: the window from where the last pass stopped to `now + WARN_BEFORE`, so
/// each end is warned of once, and again only if it is renewed past the window. Returns how
/// many were queued.
pub fn warn_ending(conn: &mut crate::db::DbConnection, now: Timestamp) -> Result<usize, Error> {
    use crate::db::schema::settings;
    use diesel::prelude::*;
    let to = now + WARN_BEFORE;
    let reached = |conn: &mut crate::db::DbConnection| -> Result<Timestamp, Error> {
        Ok(warned_until(conn)?.filter(|&at| at > now).unwrap_or(now))
    };
    // Read first: most passes have less than a step to do and take no write lock.
    if to - reached(conn)? < STEP {
        return Ok(0);
    }
    crate::db::write(conn, |conn| {
        let from = reached(conn)?;
        if to - from < STEP {
            return Ok(0);
        }
        let queued = crate::mail::outbox::queue_badges_ending(conn, from, to, NOTICE)?;
        let value = to.millis().to_string();
        crate::db::on_backend!(conn, |c| diesel::insert_into(settings::table)
            .values((settings::key.eq(WARNED_UNTIL), settings::value.eq(&value)))
            .on_conflict(settings::key)
            .do_update()
            .set(settings::value.eq(&value))
            .execute(c))?;
        Ok(queued)
    })
}
