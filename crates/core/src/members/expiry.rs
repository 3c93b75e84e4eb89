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
