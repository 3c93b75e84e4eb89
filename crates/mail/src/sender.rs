//! The sender, a job every server runs (`insignia_core::jobs`): each pass records the batches
//! that finished, then claims a batch of due mails (a lease on each row), composes them and
//! hands them to this job's own async runtime, where they go out one after another over one
//! SMTP connection (`smtp.rs`). Up to `connections` batches are out at once, so mail leaves at the
//! steady pace the SMTP server takes it, never inside a request.
//!
//! A mail the server refuses for itself (550–554) is given up; one it defers (4xx) is tried
//! again on the outbox's schedule. A server that cannot be reached (or refuses our sign-in)
//! is nothing wrong with the mail: the mails stay due and the sender pauses, from one second
//! doubling up to a minute, then tries again; a restarted server tries at once.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::client::AsyncSmtpConnection;

use crate::letters::{self, Letter, Site};
use crate::settings::Settings;
use crate::smtp::{Connector, SendError};
use insignia_core::Error;
use insignia_core::db::DbPool;
use insignia_core::jobs::{Job, Progress, Share, Waker};
use insignia_core::mail::Kind;
use insignia_core::mail::outbox::{self, Claimed, Outcome};

/// Mails claimed at once, sent one after another on one connection.
const BATCH: i64 = 25;
/// The longest pause while the SMTP server cannot be reached.
const MAX_PAUSE: Duration = Duration::from_secs(60);

pub struct Sender {
    settings: Settings,
    /// The site's public address, for links.
    public_url: String,
    connector: Arc<Connector>,
    runtime: tokio::runtime::Runtime,
    /// Names this server in the outbox's leases.
    holder: String,
    out: usize,
    finished: (mpsc::Sender<Batch>, mpsc::Receiver<Batch>),
    waker: Waker,
    /// While the SMTP server cannot be reached: how long the current pause is, and its end.
    pause: Option<(Duration, Instant)>,
}

/// A batch that finished: what became of each mail.
struct Batch {
    outcomes: Vec<(Claimed, Outcome)>,
    unreachable: bool,
}

impl Sender {
    pub fn new(settings: Settings, public_url: String, waker: Waker) -> Result<Sender, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mail")
            .enable_all()
            .build()
            .map_err(Error::internal)?;
        Ok(Sender {
            public_url,
            connector: Arc::new(Connector::new(&settings.smtp, settings.timeout)),
            runtime,
            holder: insignia_core::tokens::random_token()[..16].to_string(),
            out: 0,
            finished: mpsc::channel(),
            waker,
            pause: None,
            settings,
        })
    }

    /// How long a batch may take: what is not sent by then goes back unsent (`NotTried`), so
    /// a slow SMTP server cannot hold mail longer than the lease.
    fn batch_time(&self) -> Duration {
        self.settings.timeout * 2
    }

    /// A claimed row's lease: its batch's time, plus one SMTP conversation that began just
    /// before the batch's time ran out. A server that dies holding mail frees it after this.
    fn lease(&self) -> Duration {
        self.batch_time() + self.settings.timeout * 2
    }

    fn record_finished(&mut self, pool: &DbPool) -> Result<(), Error> {
        while let Ok(batch) = self.finished.1.try_recv() {
            self.out -= 1;
            self.pause = if batch.unreachable {
                let length = self.pause.map_or(Duration::from_secs(1), |(last, _)| {
                    (last * 2).min(MAX_PAUSE)
                });
                Some((length, Instant::now() + length))
            } else {
                None
            };
            let mut conn =
                insignia_core::db::checkout(pool, insignia_core::db::stats::Caller::Background)
                    .map_err(Error::internal)?;
            outbox::record(
                &mut conn,
                &self.holder,
                &batch.outcomes,
                self.settings.retry_unit,
            )?;
        }
        Ok(())
    }
}

impl Job for Sender {
    fn name(&self) -> &'static str {
        "mail.send"
    }

    fn share(&self) -> Share {
        Share::EveryServer {
            every: Duration::from_millis(500),
        }
    }

    fn run(&mut self, pool: &DbPool) -> Result<Progress, Error> {
        self.record_finished(pool)?;
        let paused = self.pause.is_some_and(|(_, until)| Instant::now() < until);
        if paused || self.out >= self.settings.connections as usize {
            return Ok(Progress::Done);
        }
        let mut conn =
            insignia_core::db::checkout(pool, insignia_core::db::stats::Caller::Background)
                .map_err(Error::internal)?;
        // Badge mail is queued due `GATHER` after it was given; a sender told to gather for
        // less (tests) takes it that much sooner.
        let early = outbox::GATHER.saturating_sub(self.settings.gather);
        let due_by = insignia_core::clock::Timestamp::now() + early;
        let claimed = outbox::claim(&mut conn, &self.holder, self.lease(), due_by, BATCH)?;
        if claimed.is_empty() {
            return Ok(Progress::Done);
        }
        let site = Site {
            name: self
                .settings
                .from
                .0
                .name
                .clone()
                .unwrap_or_else(|| "Insignia".to_string()),
            url: &self.public_url,
        };
        let mut letters = Vec::with_capacity(claimed.len());
        for rows in one_mail_each(claimed) {
            let letter = match letters::compose(&mut conn, &self.settings, &site, &rows) {
                Ok(Letter::Ready { subject, message }) => Ok((subject, message)),
                Ok(Letter::Nothing) => Err(Outcome::Dropped),
                Err(Error::Invalid(error)) => Err(Outcome::Failed {
                    error,
                    permanent: true,
                }),
                Err(e) => Err(Outcome::Failed {
                    error: e.detail(),
                    permanent: false,
                }),
            };
            letters.push((rows, letter));
        }
        drop(conn);
        let connector = Arc::clone(&self.connector);
        let done = self.finished.0.clone();
        let waker = self.waker.clone();
        let ends = tokio::time::Instant::now() + self.batch_time();
        self.out += 1;
        self.runtime.spawn(async move {
            let batch = send_batch(&connector, letters, ends).await;
            let _ = done.send(batch);
            waker.wake();
        });
        Ok(Progress::MoreNow)
    }
}

/// The claimed rows grouped by the mail they make: a member's badge mails of one kind
/// together, every other row alone; in the order claimed.
fn one_mail_each(claimed: Vec<Claimed>) -> Vec<Vec<Claimed>> {
    let mut mails: Vec<Vec<Claimed>> = Vec::new();
    for row in claimed {
        let joins = row.kind().is_some_and(Kind::is_badge_mail) && row.member_id.is_some();
        let group = mails.iter_mut().find(|rows| {
            joins && rows[0].kind() == row.kind() && rows[0].member_id == row.member_id
        });
        match group {
            Some(rows) => rows.push(row),
            None => mails.push(vec![row]),
        }
    }
    mails
}

type Composed = Result<(String, Message), Outcome>;

/// Sends a batch's mails one after another on one connection until `ends`; after that, or
/// once the server proved unreachable, the rest go back unsent. A conversation an error broke
/// off is opened again for the next mail.
async fn send_batch(
    connector: &Connector,
    letters: Vec<(Vec<Claimed>, Composed)>,
    ends: tokio::time::Instant,
) -> Batch {
    let mut unreachable = false;
    let mut outcomes = Vec::with_capacity(letters.len());
    let mut open: Option<AsyncSmtpConnection> = None;
    for (rows, letter) in letters {
        let outcome = match letter {
            Err(outcome) => outcome,
            Ok(_) if unreachable || tokio::time::Instant::now() >= ends => Outcome::NotTried,
            Ok((subject, message)) => {
                let sent = match open.take().filter(|conn| !conn.has_broken()) {
                    Some(conn) => Ok(conn),
                    None => connector.connect().await,
                };
                let sent = match sent {
                    Ok(mut conn) => {
                        let sent = connector.send(&mut conn, &message).await;
                        open = Some(conn);
                        sent
                    }
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(()) => Outcome::Sent { subject },
                    Err(e) => {
                        let outcome = judge(&e);
                        unreachable = matches!(outcome, Outcome::Unreachable { .. });
                        outcome
                    }
                }
            }
        };
        outcomes.extend(rows.into_iter().map(|row| (row, outcome.clone())));
    }
    if let Some(mut conn) = open.filter(|conn| !conn.has_broken()) {
        let _ = conn.quit().await;
    }
    Batch {
        outcomes,
        unreachable,
    }
}

/// What an SMTP error means for the mail: its own refusal (550–554: the address), a deferral
/// (4xx), or the server's (no connection, TLS, a refused sign-in, 421 closing).
fn judge(e: &SendError) -> Outcome {
    let error = e.to_string();
    let code = match e {
        SendError::Smtp(e) => e.status().map(|c| c.to_string()).unwrap_or_default(),
        SendError::Connect(_) => String::new(),
    };
    match code.as_bytes() {
        [b'5', b'5', b'0'..=b'4'] => Outcome::Failed {
            error,
            permanent: true,
        },
        [b'4', ..] if code != "421" => Outcome::Failed {
            error,
            permanent: false,
        },
        _ => Outcome::Unreachable { error },
    }
}
