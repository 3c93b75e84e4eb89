//! Badges valid for a time: the background job that takes expired assignments away
//! (`assignments::expire_due`), one server at a time, soon after their time is up.

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
        let mut conn = pool.get().map_err(Error::internal)?;
        super::assignments::expire_due(&mut conn, Timestamp::now())?;
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
