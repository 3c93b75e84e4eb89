//! Background work: one runner per server process, on one thread of its own, runs every job
//! the server has (webhook delivery and the pruning of old events today). A feature that
//! works by itself adds a [`Job`] here instead of starting a thread.
//!
//! A job is shared between servers one of two ways ([`Share`]):
//! - every server runs it, and the job divides the work itself through leases on its own rows
//!   (webhook lanes);
//! - one server at a time runs it: the runner first takes the job's lease in the `jobs`
//!   table with one conditional `UPDATE` (no lock that other writes wait for). A server that
//!   dies mid-run holds the lease until it runs out, then another server takes the job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::clock::Timestamp;
use crate::db::schema::jobs;
use crate::db::{DbConnection, DbPool};
use crate::error::Error;

/// How the servers on one database share a job, and how often it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// Every server runs it this often.
    EveryServer { every: Duration },
    /// One server at a time runs it this often; a run may take up to `lease` before another
    /// server may take the job over.
    OneServer { every: Duration, lease: Duration },
}

/// What a run left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing more until the job is due again.
    Done,
    /// More is waiting: run again without waiting.
    MoreNow,
}

/// A piece of background work.
pub trait Job: Send {
    /// A stable name: the `jobs` row of a one-server job, and what the log says.
    fn name(&self) -> &'static str;
    fn share(&self) -> Share;
    /// Runs once, on the runner's thread (blocking is fine; a long wait delays the other
    /// jobs, so work that waits on the network runs elsewhere, as webhook delivery does).
    fn run(&mut self, pool: &DbPool) -> Result<Progress, Error>;
}

/// A failed run is tried again after this long at the soonest.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(2);
/// The runner looks at the stop flag at least this often.
const STOP_CHECK: Duration = Duration::from_millis(200);

/// Lets a job (or whatever it started) wake the runner before the next job is due: a
/// delivery that finished frees a slot for the next lane at once.
#[derive(Clone, Default)]
pub struct Waker(Arc<(Mutex<bool>, Condvar)>);

impl Waker {
    pub fn wake(&self) {
        let (woken, signal) = &*self.0;
        *woken.lock().unwrap_or_else(PoisonError::into_inner) = true;
        signal.notify_one();
    }

    /// Waits until woken or `timeout` passes; says whether it was woken.
    fn wait(&self, timeout: Duration) -> bool {
        let (woken, signal) = &*self.0;
        let guard = woken.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut guard, _) = signal
            .wait_timeout_while(guard, timeout, |woken| !*woken)
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *guard, false)
    }
}

/// The jobs of one server process.
pub struct Runner {
    pool: DbPool,
    jobs: Vec<Box<dyn Job>>,
    waker: Waker,
    /// Names this runner in the `jobs` table's leases.
    holder: String,
}

impl Runner {
    pub fn new(pool: DbPool) -> Runner {
        Runner {
            pool,
            jobs: Vec::new(),
            waker: Waker::default(),
            holder: crate::tokens::random_token()[..16].to_string(),
        }
    }

    /// Wakes this runner early.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    pub fn with(mut self, job: impl Job + 'static) -> Runner {
        self.jobs.push(Box::new(job));
        self
    }

    /// Starts the runner on its own thread; it stops soon after `stop` is set, and its jobs
    /// are dropped there.
    pub fn start(self, stop: Arc<AtomicBool>) -> Result<(), Error> {
        std::thread::Builder::new()
            .name("jobs".to_string())
            .spawn(move || self.run(&stop))
            .map_err(Error::internal)?;
        Ok(())
    }

    fn run(mut self, stop: &AtomicBool) {
        let start = Instant::now();
        let mut next: Vec<Instant> = vec![start; self.jobs.len()];
        // When each job every server runs was last written down by this runner.
        let mut noted: Vec<Option<Instant>> = vec![None; self.jobs.len()];
        while !stop.load(Ordering::Relaxed) {
            for (i, job) in self.jobs.iter_mut().enumerate() {
                if next[i] <= Instant::now() && !stop.load(Ordering::Relaxed) {
                    next[i] = Instant::now()
                        + run_one(&self.pool, &self.holder, job.as_mut(), &mut noted[i]);
                }
            }
            let soonest = next.iter().min().copied().unwrap_or(start);
            let wait = soonest
                .saturating_duration_since(Instant::now())
                .min(STOP_CHECK);
            if !wait.is_zero() && self.waker.wait(wait) {
                // Work a job started has finished (a delivery, a batch of mail): the jobs
                // every server runs look again at once, so a freed slot does not idle until
                // their next turn.
                let now = Instant::now();
                for (i, job) in self.jobs.iter().enumerate() {
                    if matches!(job.share(), Share::EveryServer { .. }) {
                        next[i] = next[i].min(now);
                    }
                }
            }
        }
    }
}

/// How often a runner writes down that a job every server runs ran (failures at once).
const NOTE_EVERY: Duration = Duration::from_secs(60);

/// Runs a job if it is this server's to run now; returns how long until it is looked at again.
fn run_one(
    pool: &DbPool,
    holder: &str,
    job: &mut dyn Job,
    noted: &mut Option<Instant>,
) -> Duration {
    let outcome = match job.share() {
        Share::EveryServer { every } => {
            let started = Instant::now();
            let ran = job.run(pool).map(|progress| match progress {
                Progress::Done => every,
                Progress::MoreNow => Duration::ZERO,
            });
            if ran.is_err() || noted.is_none_or(|at| at.elapsed() >= NOTE_EVERY) {
                let failure = ran.as_ref().err().map(Error::detail);
                let next = Timestamp::now() + *ran.as_ref().unwrap_or(&RETRY_AFTER_ERROR);
                let took = started.elapsed();
                match crate::db::checkout(pool, crate::db::stats::Caller::Background)
                    .map_err(Error::internal)
                    .and_then(|mut conn| {
                        note_run(&mut conn, job.name(), next, took, failure.as_deref())
                    }) {
                    Ok(()) => *noted = Some(Instant::now()),
                    Err(e) => tracing::warn!("job {}: not noted: {}", job.name(), e.detail()),
                }
            }
            ran
        }
        Share::OneServer { every, lease } => run_leased(pool, holder, job, every, lease),
    };
    outcome.unwrap_or_else(|e| {
        tracing::warn!("job {}: {}", job.name(), e.detail());
        RETRY_AFTER_ERROR
    })
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The most of a failure's text kept for the dashboard.
const ERROR_KEPT: usize = 500;

fn kept(failure: &str) -> String {
    failure.chars().take(ERROR_KEPT).collect()
}

/// Writes down a run of a job every server runs: when, when next, and its failure if any.
fn note_run(
    conn: &mut DbConnection,
    name: &str,
    next: Timestamp,
    took: Duration,
    failure: Option<&str>,
) -> Result<(), Error> {
    let now = Timestamp::now();
    diesel::sql_query(conn.sql(
        "INSERT INTO jobs (name, due_at, lease_until, holder) VALUES (?, 0, 0, '') \
         ON CONFLICT (name) DO NOTHING",
    ))
    .bind::<Text, _>(name)
    .execute(conn)?;
    diesel::update(jobs::table.find(name))
        .set((
            jobs::due_at.eq(next),
            jobs::last_run_at.eq(Some(now)),
            jobs::last_took_ms.eq(Some(millis(took))),
        ))
        .execute(conn)?;
    if let Some(failure) = failure {
        diesel::update(jobs::table.find(name))
            .set((
                jobs::last_error.eq(Some(kept(failure))),
                jobs::last_error_at.eq(Some(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn run_leased(
    pool: &DbPool,
    holder: &str,
    job: &mut dyn Job,
    every: Duration,
    lease: Duration,
) -> Result<Duration, Error> {
    let name = job.name();
    let mut conn =
        crate::db::checkout(pool, crate::db::stats::Caller::Background).map_err(Error::internal)?;
    let now = Timestamp::now();
    match claim(&mut conn, name, holder, now, lease)? {
        Claim::Taken => {}
        Claim::NotBefore(at) => return Ok((at - now).unsigned_abs().min(every)),
    }
    drop(conn);
    let started = Instant::now();
    let ran = job.run(pool);
    let took = started.elapsed();
    let after = match ran {
        Ok(Progress::Done) => every,
        Ok(Progress::MoreNow) => Duration::ZERO,
        Err(_) => RETRY_AFTER_ERROR.max(every),
    };
    let mut conn =
        crate::db::checkout(pool, crate::db::stats::Caller::Background).map_err(Error::internal)?;
    // Before the release, which marks the run done (`last_run_at`).
    diesel::update(jobs::table.find(name))
        .set(jobs::last_took_ms.eq(Some(millis(took))))
        .execute(&mut conn)?;
    release(&mut conn, name, holder, Timestamp::now() + after)?;
    if let Err(e) = &ran {
        diesel::update(jobs::table.find(name))
            .set((
                jobs::last_error.eq(Some(kept(&e.detail()))),
                jobs::last_error_at.eq(Some(Timestamp::now())),
            ))
            .execute(&mut conn)?;
    }
    ran.map(|_| after)
}

/// Whether this runner got a one-server job's lease.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    Taken,
    /// Not due, or another server holds it: look again then.
    NotBefore(Timestamp),
}

/// Takes the lease of a one-server job if it is due and nobody holds it: one conditional
/// `UPDATE`, so of several servers trying at once exactly one gets it.
pub fn claim(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: Timestamp,
    lease: Duration,
) -> Result<Claim, Error> {
    let row: Option<(Timestamp, Timestamp)> = jobs::table
        .find(name)
        .select((jobs::due_at, jobs::lease_until))
        .first(conn)
        .optional()?;
    let Some((due_at, lease_until)) = row else {
        // First time on this database: the job is due at once.
        diesel::sql_query(conn.sql(
            "INSERT INTO jobs (name, due_at, lease_until, holder) VALUES (?, 0, 0, '') \
             ON CONFLICT (name) DO NOTHING",
        ))
        .bind::<Text, _>(name)
        .execute(conn)?;
        return claim(conn, name, holder, now, lease);
    };
    if due_at > now || lease_until > now {
        return Ok(Claim::NotBefore(due_at.max(lease_until)));
    }
    let until = now + lease;
    let taken = diesel::sql_query(conn.sql(
        "UPDATE jobs SET lease_until = ?, holder = ? \
         WHERE name = ? AND due_at <= ? AND lease_until <= ?",
    ))
    .bind::<BigInt, _>(until.millis())
    .bind::<Text, _>(holder)
    .bind::<Text, _>(name)
    .bind::<BigInt, _>(now.millis())
    .bind::<BigInt, _>(now.millis())
    .execute(conn)?;
    Ok(if taken == 1 {
        Claim::Taken
    } else {
        Claim::NotBefore(until)
    })
}

/// Gives a lease back and says when the job is due next. A lease that ran out and was taken
/// by another server meanwhile is left to it.
pub fn release(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    due_at: Timestamp,
) -> Result<(), Error> {
    diesel::update(
        jobs::table
            .filter(jobs::name.eq(name))
            .filter(jobs::holder.eq(holder)),
    )
    .set((
        jobs::due_at.eq(due_at),
        jobs::lease_until.eq(Timestamp::default()),
        jobs::last_run_at.eq(Some(Timestamp::now())),
    ))
    .execute(conn)?;
    Ok(())
}

/// What the dashboard shows of a job.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct JobState {
    pub name: String,
    pub due_at: Timestamp,
    pub lease_until: Timestamp,
    pub last_run_at: Option<Timestamp>,
    /// How long the last run took.
    pub last_took_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

impl JobState {
    /// Whether a server is running it now (its lease has not run out).
    pub fn running(&self) -> bool {
        self.lease_until > Timestamp::now()
    }
}

/// Every job that has run on this site, by name.
pub fn states(conn: &mut DbConnection) -> Result<Vec<JobState>, Error> {
    Ok(jobs::table
        .select(JobState::as_select())
        .order(jobs::name)
        .load(conn)?)
}
