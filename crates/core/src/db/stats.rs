//! Figures of this process's database use, for the metrics the web serves
//! (`insignia_web::metrics`): who waits for a pooled connection and how long, and how long
//! writers wait for the write lock. r2d2 counts no waiters and the write lock is ours, so the
//! counting is here. The figures are the process's, as a server is one process (tests that run
//! several servers in one process see their sum).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// The figures of this process.
pub static FIGURES: Figures = Figures {
    waiting: [AtomicI64::new(0), AtomicI64::new(0)],
    checkout_waits: Timings::new(),
    write_lock_waits: Timings::new(),
};

/// Who asks for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A web request.
    Request,
    /// Background work: webhook delivery, rules, expiry, mail.
    Background,
}

impl Caller {
    pub const ALL: [Caller; 2] = [Caller::Request, Caller::Background];

    pub fn name(self) -> &'static str {
        match self {
            Caller::Request => "request",
            Caller::Background => "background",
        }
    }
}

pub struct Figures {
    /// Callers waiting for a connection now, by [`Caller`] (counted by `db::checkout`).
    waiting: [AtomicI64; 2],
    /// How long each checkout waited for a connection.
    pub checkout_waits: Timings,
    /// How long each write transaction waited for the write lock (`db::write`).
    pub write_lock_waits: Timings,
}

impl Figures {
    /// How many of `caller` wait for a connection now.
    pub fn waiting(&self, caller: Caller) -> i64 {
        self.waiting[caller as usize].load(Ordering::Relaxed)
    }

    /// `caller` starts waiting for a connection; [`Figures::waited`] when it has one.
    pub(super) fn waits(&self, caller: Caller) {
        self.waiting[caller as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn waited(&self, caller: Caller, waited: Duration) {
        self.waiting[caller as usize].fetch_sub(1, Ordering::Relaxed);
        self.checkout_waits.observe(waited);
    }
}

/// Upper bounds, in seconds, of the buckets of every [`Timings`]: from half a millisecond to
/// `db::WRITE_WAIT`, the longest anything waits.
pub const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 15.0, 60.0,
];

/// A histogram of waits, lock-free: a count per bucket (the last for longer waits) and their
/// sum.
pub struct Timings {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

/// A reading of [`Timings`]: each bucket's own count (not cumulative), with its upper bound;
/// the last is unbounded (`f64::INFINITY`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimingsReading {
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

impl Timings {
    const fn new() -> Timings {
        Timings {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, waited: Duration) {
        let seconds = waited.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn read(&self) -> TimingsReading {
        let buckets = BUCKETS
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(&self.buckets)
            .map(|(bound, n)| (bound, n.load(Ordering::Relaxed)))
            .collect::<Vec<_>>();
        TimingsReading {
            // The count is the buckets' sum, so a reading taken during an observation agrees
            // with itself.
            count: buckets.iter().map(|(_, n)| n).sum(),
            buckets,
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_fall_in_the_first_bucket_that_holds_them() {
        let timings = Timings::new();
        timings.observe(Duration::from_micros(300));
        timings.observe(Duration::from_millis(1));
        timings.observe(Duration::from_millis(700));
        timings.observe(Duration::from_secs(120));
        let reading = timings.read();
        assert_eq!(reading.count, 4);
        assert!((reading.sum_seconds - 120.7013).abs() < 1e-9);
        let counts: Vec<u64> = reading.buckets.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(reading.buckets.last().map(|(b, _)| *b), Some(f64::INFINITY));
    }
}
