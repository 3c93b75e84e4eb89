//! The delivery worker, one in every server process.
//!
//! 1. *Queue*: for each enabled endpoint, events after its cursor (`events_after_txid`,
//!    `events_after`: see `insignia_core::events::Position`) that it wants become deliveries,
//!    set-based, and their lanes open.
//! 2. *Claim*: a lane is one endpoint and one badge, the unit of ordering. A server claims a
//!    lane that is due by writing a lease on it, only while it is still due, with the
//!    endpoint's row locked (claims of one endpoint take turns across servers; nothing else
//!    waits for them), so each lane is worked by one server at a time. Each endpoint gets
//!    its share of the server's slots and no more, so endpoints never wait on each other.
//! 3. *Deliver*: the lane's waiting deliveries go out one after another, oldest event first;
//!    a failure stops the lane until its retry time, so a badge's events never overtake each
//!    other. A 2xx answer is success; anything else is retried with exponential backoff and
//!    jitter for about a day, then given up; an endpoint failing for a whole day is turned off.
//!    A request that gets no answer (timed out, no connection) backs the whole endpoint off:
//!    its other lanes wait instead of each timing out in turn, and one lane tries it when the
//!    pause ends.
//!
//! A crash loses nothing: events and deliveries are rows; a lease runs out and another pass
//! (or another server) takes the lane again, so delivery is at least once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tokio::task::JoinSet;

use super::address::{self, PublicResolver};
use super::signing::{self, WixSigner};
use crate::endpoints::{Endpoint, Format};
use insignia_core::Error;
use insignia_core::db::schema::{
    events, webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_lanes,
};
use insignia_core::db::{BackendKind, DbConnection, DbPool, Locks};
use insignia_core::events::{Event, Kind, Position};
use insignia_core::jobs::{Job, Progress, Share, Waker};

pub use crate::lanes::{DELIVERED, GAVE_UP, WAITING};

/// Retry delays in retry units (5 s by default): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
/// about 27.5 hours in all, as Svix and Stripe do; then the delivery is given up.
const RETRY_STEPS: [i64; 7] = [1, 60, 360, 1440, 3600, 7200, 7200];
/// An endpoint with no success for this long is turned off.
const FAILING_LIMIT_MILLIS: i64 = 24 * 60 * 60 * 1000;
/// Deliveries read per lane claim.
const BATCH: i64 = 200;
/// Events queued per endpoint per pass.
const QUEUE_STEP: i64 = 10_000;
/// Events are kept this long after every endpoint has had them (for the delivery log).
const KEEP_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The first bytes of an answer kept in the log.
const RESPONSE_KEPT: usize = 1024;

#[derive(Debug, Clone)]
pub struct Options {
    /// Deliver to loopback and private addresses too (tests, intranets).
    pub allow_private: bool,
    /// The unit of the retry schedule (5 s in production; tests shorten it).
    pub retry_unit: Duration,
    /// Lanes delivered at once by this server, split evenly among the endpoints with work.
    pub concurrency: usize,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Options {
    /// How long a server works on a claimed lane before letting others have it.
    fn lane_work(&self) -> Duration {
        self.timeout * 3
    }

    /// A claimed lane is this server's until then (if it dies, another takes it after that);
    /// work on it stops well before.
    fn lease_millis(&self) -> i64 {
        (self.timeout * 6).as_millis() as i64
    }
}

/// The first retry's delay by default (later ones are multiples), in milliseconds.
pub const DEFAULT_RETRY_UNIT_MS: u64 = 5_000;
/// How long one delivery may take by default, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_private: false,
            retry_unit: Duration::from_millis(DEFAULT_RETRY_UNIT_MS),
            concurrency: 8,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
        }
    }
}

/// Webhook delivery, a job every server runs (`insignia_core::jobs`): each pass queues new
/// events and claims due lanes, whose requests then go out on this job's own async runtime.
/// A lane that finishes wakes the runner, so the next one starts at once.
pub struct Deliveries {
    context: Arc<Context>,
    runtime: tokio::runtime::Runtime,
    working: Working,
    waker: Waker,
}

impl Deliveries {
    pub fn new(pool: DbPool, options: Options, waker: Waker) -> Result<Deliveries, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("webhooks")
            .enable_all()
            .build()
            .map_err(Error::internal)?;
        let client = {
            let _inside = runtime.enter();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(options.timeout)
                .connect_timeout(options.timeout.min(Duration::from_secs(5)))
                .user_agent(concat!("Insignia-Webhooks/", env!("CARGO_PKG_VERSION")))
                .dns_resolver(Arc::new(PublicResolver {
                    allow_private: options.allow_private,
                }))
                .build()
                .map_err(|e| Error::internal(format!("cannot make an HTTP client: {e}")))?
        };
        Ok(Deliveries {
            context: Arc::new(Context {
                pool,
                options,
                client,
                wix: tokio::sync::OnceCell::new(),
                instance_id: tokio::sync::OnceCell::new(),
            }),
            runtime,
            working: Working::default(),
            waker,
        })
    }
}

impl Job for Deliveries {
    fn name(&self) -> &'static str {
        "webhooks.deliver"
    }

    fn share(&self) -> Share {
        Share::EveryServer {
            every: Duration::from_millis(200),
        }
    }

    fn run(&mut self, pool: &DbPool) -> Result<Progress, Error> {
        while let Some(done) = self.working.tasks.try_join_next_with_id() {
            self.working.finished(task_id(&done));
        }
        let mut conn =
            insignia_core::db::checkout(pool, insignia_core::db::stats::Caller::Background)
                .map_err(Error::internal)?;
        queue(&mut conn)?;
        let claimed = claim(
            &mut conn,
            &self.working.held,
            self.context.options.concurrency,
            insignia_core::clock::now_millis(),
            self.context.options.lease_millis(),
        )?;
        drop(conn);
        if claimed.is_empty() {
            return Ok(Progress::Done);
        }
        for lane in claimed {
            let waker = self.waker.clone();
            let endpoint = lane.endpoint;
            let work = deliver_lane(self.context.clone(), lane);
            let work = async move {
                work.await;
                waker.wake();
            };
            self.working.start(endpoint, work, self.runtime.handle());
        }
        Ok(Progress::MoreNow)
    }
}

/// Deletes events older than a week that every endpoint has queued: a job one server at a
/// time runs, every ten minutes.
pub struct PruneEvents;

impl Job for PruneEvents {
    fn name(&self) -> &'static str {
        "webhooks.prune_events"
    }

    fn share(&self) -> Share {
        Share::OneServer {
            every: Duration::from_secs(600),
            lease: Duration::from_secs(600),
        }
    }

    fn run(&mut self, pool: &DbPool) -> Result<Progress, Error> {
        let mut conn =
            insignia_core::db::checkout(pool, insignia_core::db::stats::Caller::Background)
                .map_err(Error::internal)?;
        prune(&mut conn)?;
        Ok(Progress::Done)
    }
}

struct Context {
    pool: DbPool,
    options: Options,
    client: reqwest::Client,
    wix: tokio::sync::OnceCell<Arc<WixSigner>>,
    instance_id: tokio::sync::OnceCell<String>,
}

/// The lanes this server is delivering, and how many of them each endpoint has.
#[derive(Default)]
struct Working {
    tasks: JoinSet<()>,
    endpoint_of: HashMap<tokio::task::Id, i64>,
    held: HashMap<i64, usize>,
}

impl Working {
    fn start(
        &mut self,
        endpoint: i64,
        work: impl Future<Output = ()> + Send + 'static,
        runtime: &tokio::runtime::Handle,
    ) {
        let id = self.tasks.spawn_on(work, runtime).id();
        self.endpoint_of.insert(id, endpoint);
        *self.held.entry(endpoint).or_default() += 1;
    }

    fn finished(&mut self, id: tokio::task::Id) {
        let Some(endpoint) = self.endpoint_of.remove(&id) else {
            return;
        };
        if let Some(held) = self.held.get_mut(&endpoint) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                self.held.remove(&endpoint);
            }
        }
    }
}

fn task_id(done: &Result<(tokio::task::Id, ()), tokio::task::JoinError>) -> tokio::task::Id {
    match done {
        Ok((id, ())) => *id,
        Err(e) => e.id(),
    }
}

/// Turns new events into deliveries for every enabled endpoint that wants them, in
/// [`Position`] order up to what can be read for good (`events::readable_upto`): on PostgreSQL
/// a transaction still running may yet commit events with smaller keys than committed ones,
/// and the queue waits for it rather than pass them by. Endpoints' rows are locked while their
/// cursors move, so servers queueing together queue each event once; nothing else waits.
fn queue(conn: &mut DbConnection) -> Result<(), Error> {
    let enabled: Vec<Endpoint> = webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .select(Endpoint::as_select())
        .load(conn)?;
    if enabled.is_empty() {
        return Ok(());
    }
    let readable = insignia_core::events::readable_upto(conn)?;
    let behind = enabled.into_iter().filter(|e| cursor(e) < readable);
    // One transaction per endpoint: it holds that endpoint's row alone, and only while it
    // queues for it.
    for endpoint in behind {
        queue_for(conn, &endpoint, readable)?;
    }
    Ok(())
}

/// [`queue`] for one endpoint, up to `readable`.
fn queue_for(
    conn: &mut DbConnection,
    endpoint: &Endpoint,
    readable: Position,
) -> Result<(), Error> {
    insignia_core::db::write_locking(
        conn,
        |_| Ok(Locks::Rows),
        |conn| {
            let now = insignia_core::clock::now_millis();
            // Read again, locked: another server may have queued them.
            let after = lock_endpoint(conn, endpoint.key)?;
            let upto = step_end(conn, after, readable)?;
            if upto <= after {
                return Ok(());
            }
            let kinds: Vec<&str> = endpoint.kinds().iter().map(|k| k.name()).collect();
            let kinds_sql = vec!["?"; kinds.len().max(1)].join(", ");
            let range = match conn.backend() {
                BackendKind::Sqlite => "key > ? AND key <= ?",
                BackendKind::Postgres => "(txid, key) > (?, ?) AND (txid, key) <= (?, ?)",
            };
            let wanted = format!(
                "FROM events WHERE {range} AND \
                 (endpoint_key = ? OR (endpoint_key IS NULL AND kind IN ({kinds_sql})))"
            );
            for sql in [
                format!(
                    "INSERT INTO webhook_deliveries (endpoint_key, event_key, lane, state, attempts) \
                     SELECT ?, key, badge_id, {WAITING}, 0 {wanted} ORDER BY key"
                ),
                format!(
                    "INSERT INTO webhook_lanes (endpoint_key, lane, next_attempt_at, lease_until) \
                     SELECT DISTINCT ?, badge_id, {now}, 0 {wanted} ON CONFLICT DO NOTHING"
                ),
            ] {
                let mut query = diesel::sql_query(conn.sql(&sql))
                    .into_boxed()
                    .bind::<BigInt, _>(endpoint.key);
                query = match conn.backend() {
                    BackendKind::Sqlite => query
                        .bind::<BigInt, _>(after.key)
                        .bind::<BigInt, _>(upto.key),
                    BackendKind::Postgres => query
                        .bind::<BigInt, _>(after.txid)
                        .bind::<BigInt, _>(after.key)
                        .bind::<BigInt, _>(upto.txid)
                        .bind::<BigInt, _>(upto.key),
                };
                query = query.bind::<BigInt, _>(endpoint.key);
                for kind in &kinds {
                    query = query.bind::<Text, _>(*kind);
                }
                if kinds.is_empty() {
                    query = query.bind::<Text, _>("");
                }
                query.execute(conn)?;
            }
            diesel::update(
                webhook_endpoints::table.filter(webhook_endpoints::key.eq(endpoint.key)),
            )
            .set((
                webhook_endpoints::events_after_txid.eq(upto.txid),
                webhook_endpoints::events_after.eq(upto.key),
            ))
            .execute(conn)?;
            Ok(())
        },
    )
}

/// The last event queued for an endpoint.
fn cursor(endpoint: &Endpoint) -> Position {
    Position {
        txid: endpoint.events_after_txid,
        key: endpoint.events_after,
    }
}

/// Locks an endpoint's row (PostgreSQL) until the transaction ends; returns its cursor.
fn lock_endpoint(conn: &mut DbConnection, endpoint: i64) -> Result<Position, Error> {
    let lock = match conn.backend() {
        BackendKind::Sqlite => "",
        BackendKind::Postgres => " FOR UPDATE",
    };
    let rows: Vec<Position> = diesel::sql_query(conn.sql(&format!(
        "SELECT events_after_txid AS txid, events_after AS key FROM webhook_endpoints \
         WHERE key = ?{lock}"
    )))
    .bind::<BigInt, _>(endpoint)
    .load(conn)?;
    rows.into_iter().next().ok_or(Error::NotFound)
}

/// Where one pass of the queue stops for an endpoint at `after`: [`QUEUE_STEP`] events on,
/// or `readable`, whichever comes first.
fn step_end(
    conn: &mut DbConnection,
    after: Position,
    readable: Position,
) -> Result<Position, Error> {
    match conn.backend() {
        // Keys are the order: no need to look.
        BackendKind::Sqlite => Ok(Position {
            txid: 0,
            key: readable.key.min(after.key + QUEUE_STEP),
        }),
        BackendKind::Postgres => {
            let step: Vec<Position> = diesel::sql_query(conn.sql(
                "SELECT txid, key FROM events WHERE (txid, key) > (?, ?) \
                 AND (txid, key) <= (?, ?) ORDER BY txid, key OFFSET ? LIMIT 1",
            ))
            .bind::<BigInt, _>(after.txid)
            .bind::<BigInt, _>(after.key)
            .bind::<BigInt, _>(readable.txid)
            .bind::<BigInt, _>(readable.key)
            .bind::<BigInt, _>(QUEUE_STEP - 1)
            .load(conn)?;
            Ok(step.into_iter().next().unwrap_or(readable))
        }
    }
}

/// A lane this server holds.
#[derive(Debug, Clone)]
struct Lane {
    endpoint: i64,
    lane: String,
}

/// Takes due lanes of enabled endpoints, leasing them to this server, each endpoint up to its
/// share of the server's `concurrency`: split evenly among the endpoints with work here (due
/// lanes, or lanes this server holds), at least one each. An endpoint gets its share at once,
/// even while another still holds more than its own (claimed when it had fewer to share
/// with; those lanes end within `lane_work`), so no endpoint waits for another's requests. A
/// paused endpoint gets none; one whose pause is over gets one lane, to try it with.
fn claim(
    conn: &mut DbConnection,
    held: &HashMap<i64, usize>,
    concurrency: usize,
    now: i64,
    lease: i64,
) -> Result<Vec<Lane>, Error> {
    if concurrency == 0 {
        return Ok(Vec::new());
    }
    let due = |endpoint: i64| {
        webhook_lanes::table
            .filter(webhook_lanes::endpoint_key.eq(endpoint))
            .filter(webhook_lanes::next_attempt_at.le(now))
            .filter(webhook_lanes::lease_until.le(now))
    };
    let ready = |endpoint: i64| {
        webhook_endpoints::table
            .filter(webhook_endpoints::key.eq(endpoint))
            .filter(webhook_endpoints::enabled.eq(true))
            .filter(webhook_endpoints::paused_until.le(now))
    };
    // A read first (per endpoint, one indexed look for a due lane): most passes find nothing
    // to take and need no write transaction.
    let wanting: Vec<(i64, i32)> = webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .filter(webhook_endpoints::paused_until.le(now))
        .filter(diesel::dsl::exists(
            webhook_lanes::table
                .filter(webhook_lanes::endpoint_key.eq(webhook_endpoints::key))
                .filter(webhook_lanes::next_attempt_at.le(now))
                .filter(webhook_lanes::lease_until.le(now)),
        ))
        .select((webhook_endpoints::key, webhook_endpoints::pauses))
        .load(conn)?;
    let with_work: HashSet<i64> = wanting
        .iter()
        .map(|(endpoint, _)| *endpoint)
        .chain(held.keys().copied())
        .collect();
    let share = (concurrency / with_work.len().max(1)).max(1);
    let mut wanted: Vec<(i64, usize)> = wanting
        .into_iter()
        .filter_map(|(endpoint, pauses)| {
            let limit = if pauses > 0 { 1 } else { share };
            let n = limit.saturating_sub(held.get(&endpoint).copied().unwrap_or(0));
            (n > 0).then_some((endpoint, n))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // Claims of one endpoint take turns on its row; other writers do not wait for them. The
    // rows are locked in key order, as every other step of the worker locks one at a time.
    wanted.sort_unstable();
    insignia_core::db::write_locking(
        conn,
        |_| Ok(Locks::Rows),
        |conn| {
            let mut claimed = Vec::new();
            for (endpoint, n) in wanted {
                // Again, locked: another server may have paused it meanwhile.
                lock_endpoint(conn, endpoint)?;
                let still: bool =
                    diesel::select(diesel::dsl::exists(ready(endpoint))).get_result(conn)?;
                if !still {
                    continue;
                }
                let lanes: Vec<String> = due(endpoint)
                    .order(webhook_lanes::next_attempt_at)
                    .limit(n as i64)
                    .select(webhook_lanes::lane)
                    .load(conn)?;
                for lane in lanes {
                    // Only while still due: a lane another server took meanwhile stays its own.
                    let taken = diesel::update(due(endpoint).filter(webhook_lanes::lane.eq(&lane)))
                        .set(webhook_lanes::lease_until.eq(now + lease))
                        .execute(conn)?;
                    if taken == 1 {
                        claimed.push(Lane { endpoint, lane });
                    }
                }
            }
            Ok(claimed)
        },
    )
}

/// Delivers a lane's waiting deliveries in order until one fails, the batch ends or the
/// lane's time is up; then lets go of the lane. Bodies are made and signed on a blocking
/// thread a few deliveries ahead of the requests (an RS256 signature costs about a
/// millisecond), so signing and sending overlap.
async fn deliver_lane(context: Arc<Context>, lane: Lane) {
    let started = Instant::now();
    let (endpoint_key, name) = (lane.endpoint, lane.lane.clone());
    let loaded = with_connection(&context.pool, move |conn| {
        let endpoint: Endpoint = webhook_endpoints::table
            .filter(webhook_endpoints::key.eq(endpoint_key))
            .select(Endpoint::as_select())
            .first(conn)?;
        let batch: Vec<(i64, i32, Event)> = webhook_deliveries::table
            .inner_join(events::table)
            .filter(webhook_deliveries::endpoint_key.eq(endpoint_key))
            .filter(webhook_deliveries::lane.eq(&name))
            .filter(webhook_deliveries::state.eq(WAITING))
            .order(webhook_deliveries::event_key)
            .limit(BATCH)
            .select((
                webhook_deliveries::key,
                webhook_deliveries::attempts,
                Event::as_select(),
            ))
            .load(conn)?;
        Ok((endpoint, batch))
    })
    .await;
    if let Ok((endpoint, batch)) = loaded {
        match signers(&context, &endpoint).await {
            Ok(signers) => deliver_batch(&context, &lane, endpoint, batch, signers, started).await,
            Err(e) => tracing::warn!("webhooks: signing keys: {}", e.detail()),
        }
    }
    let (endpoint_key, name) = (lane.endpoint, lane.lane);
    if let Err(e) = with_connection(&context.pool, move |conn| {
        release(conn, endpoint_key, &name)
    })
    .await
    {
        tracing::warn!("webhooks: releasing a lane: {}", e.detail());
    }
}

/// A delivery ready to send, or why it cannot be made.
struct Ready {
    delivery: i64,
    attempts: i32,
    is_test: bool,
    request: Result<Prepared, String>,
}

async fn deliver_batch(
    context: &Context,
    lane: &Lane,
    endpoint: Endpoint,
    batch: Vec<(i64, i32, Event)>,
    signers: Signers,
    started: Instant,
) {
    let (ready, mut next) = tokio::sync::mpsc::channel::<Ready>(16);
    let url = endpoint.url.clone();
    let endpoint_key = endpoint.key;
    let preparing = tokio::task::spawn_blocking(move || {
        for (delivery, attempts, event) in batch {
            let request = prepare(&signers, &endpoint, &event);
            let is_test = event.kind == Kind::Test.name();
            let item = Ready {
                delivery,
                attempts,
                is_test,
                request,
            };
            if ready.blocking_send(item).is_err() {
                return; // the lane stopped
            }
        }
    });
    while let Some(item) = next.recv().await {
        if started.elapsed() > context.options.lane_work() {
            break;
        }
        let outcome = send(context, &url, item.request).await;
        let retry_unit = context.options.retry_unit;
        let lane_name = lane.lane.clone();
        let recorded = with_connection(&context.pool, move |conn| {
            record(
                conn,
                endpoint_key,
                &lane_name,
                item.delivery,
                item.attempts,
                item.is_test,
                &outcome,
                retry_unit,
            )
        })
        .await;
        match recorded {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                tracing::warn!("webhooks: recording a delivery: {}", e.detail());
                break;
            }
        }
    }
    drop(next);
    let _ = preparing.await;
}

/// What one attempt got.
#[derive(Debug)]
struct Outcome {
    at: i64,
    status: Option<u16>,
    latency_ms: i64,
    response: String,
    /// No answer came: the request timed out or no connection could be made. That is the
    /// endpoint's state, not this delivery's.
    unanswered: bool,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What signs a lane's deliveries.
struct Signers {
    wix: Option<Arc<WixSigner>>,
    instance_id: String,
}

async fn signers(context: &Context, endpoint: &Endpoint) -> Result<Signers, Error> {
    Ok(Signers {
        wix: match endpoint.format() {
            Format::Wix => Some(wix_signer(context).await?),
            Format::Standard => None,
        },
        instance_id: instance_id(context).await?,
    })
}

/// A request's body and headers.
struct Prepared {
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// Makes and signs the request for an event, in the endpoint's format.
fn prepare(signers: &Signers, endpoint: &Endpoint, event: &Event) -> Result<Prepared, String> {
    if let Some(wix) = &signers.wix {
        return Ok(Prepared {
            headers: vec![("content-type", "text/plain; charset=utf-8".to_string())],
            body: wix.body(event).map_err(|e| e.detail())?,
        });
    }
    let secrets = endpoint.signing_secrets(insignia_core::clock::now_millis());
    let message =
        signing::standard_message(&signers.instance_id, event, &secrets).map_err(|e| e.detail())?;
    Ok(Prepared {
        headers: vec![
            ("content-type", "application/json".to_string()),
            ("webhook-id", message.id),
            ("webhook-timestamp", message.timestamp.to_string()),
            ("webhook-signature", message.signature),
        ],
        body: message.body,
    })
}

async fn send(context: &Context, url: &str, prepared: Result<Prepared, String>) -> Outcome {
    let at = insignia_core::clock::now_millis();
    let started = Instant::now();
    let failed = |why: String| Outcome {
        at,
        status: None,
        latency_ms: 0,
        response: why,
        unanswered: false,
    };
    let url = match address::check_url(url, true) {
        Ok(url) => url,
        Err(why) => return failed(why),
    };
    if !address::literal_allowed(&url, context.options.allow_private) {
        return failed(address::PRIVATE_REFUSED.to_string());
    }
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(why) => return failed(why),
    };
    let mut request = context.client.post(url).body(prepared.body);
    for (name, value) in prepared.headers {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let mut kept = Vec::new();
            while kept.len() < RESPONSE_KEPT {
                match response.chunk().await {
                    Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            kept.truncate(RESPONSE_KEPT);
            Outcome {
                at,
                status: Some(status),
                latency_ms: started.elapsed().as_millis() as i64,
                response: String::from_utf8_lossy(&kept).into_owned(),
                unanswered: false,
            }
        }
        Err(e) => {
            let unanswered = e.is_timeout() || e.is_connect();
            let why = failure_in_words(&e, context.options.timeout);
            tracing::debug!(error = %error_chain(&e), "webhook delivery failed");
            Outcome {
                latency_ms: started.elapsed().as_millis() as i64,
                unanswered,
                ..failed(why)
            }
        }
    }
}

/// An error with every cause after it, as the HTTP client reports it.
fn error_chain(e: &reqwest::Error) -> String {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        chain = format!("{chain}: {inner}");
        source = inner.source();
    }
    chain
}

/// Why a delivery got no answer, in words an owner can act on (the delivery log shows it):
/// "could not find the host example.org", not a resolver's error chain.
fn failure_in_words(e: &reqwest::Error, timeout: Duration) -> String {
    let url = e.url();
    let host = url.and_then(|u| u.host_str()).unwrap_or("the receiver");
    let port = url.and_then(|u| u.port_or_known_default());
    let chain = error_chain(e).to_lowercase();
    if e.is_timeout() {
        return format!(
            "{host} did not answer within {} seconds",
            timeout.as_secs().max(1)
        );
    }
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        return format!("could not find the host {host} (its name does not resolve)");
    }
    if chain.contains("connection refused") {
        return match port {
            Some(port) => format!("{host} refused the connection: nothing listens on port {port}"),
            None => format!("{host} refused the connection"),
        };
    }
    if chain.contains("certificate") || chain.contains("tls") || chain.contains("ssl") {
        return format!(
            "the secure connection to {host} failed: its certificate is not valid for it or not trusted"
        );
    }
    if chain.contains("connection reset") || chain.contains("connection closed") {
        return format!("{host} closed the connection before answering");
    }
    if e.is_connect() {
        return format!("could not connect to {host}");
    }
    if e.is_redirect() {
        return format!("{host} answered with too many redirects");
    }
    format!("the request to {host} failed ({chain})")
}

async fn wix_signer(context: &Context) -> Result<Arc<WixSigner>, Error> {
    context
        .wix
        .get_or_try_init(|| async {
            let keys = with_connection(&context.pool, signing::site_keys).await?;
            Ok(Arc::new(WixSigner::new(&keys)?))
        })
        .await
        .cloned()
}

async fn instance_id(context: &Context) -> Result<String, Error> {
    context
        .instance_id
        .get_or_try_init(|| async {
            let keys = with_connection(&context.pool, signing::site_keys).await?;
            Ok(keys.instance_id)
        })
        .await
        .cloned()
}

/// Writes down an attempt. Returns whether the lane may go on to its next delivery.
#[allow(clippy::too_many_arguments)]
fn record(
    conn: &mut DbConnection,
    endpoint: i64,
    lane: &str,
    delivery: i64,
    attempts: i32,
    is_test: bool,
    outcome: &Outcome,
    retry_unit: Duration,
) -> Result<bool, Error> {
    insignia_core::db::write_locking(
        conn,
        |_| Ok(Locks::Rows),
        |conn| {
            // What follows reads the endpoint's pause and failing time and writes them anew.
            lock_endpoint(conn, endpoint)?;
            diesel::insert_into(webhook_attempts::table)
                .values((
                    webhook_attempts::delivery_key.eq(delivery),
                    webhook_attempts::endpoint_key.eq(endpoint),
                    webhook_attempts::at.eq(outcome.at),
                    webhook_attempts::status.eq(outcome.status.map(i32::from)),
                    webhook_attempts::latency_ms.eq(outcome.latency_ms.min(i32::MAX as i64) as i32),
                    webhook_attempts::response.eq(&outcome.response),
                ))
                .execute(conn)?;
            let this = webhook_deliveries::table.filter(webhook_deliveries::key.eq(delivery));
            let endpoint_row = webhook_endpoints::table.filter(webhook_endpoints::key.eq(endpoint));
            if outcome.status.is_some() {
                // It answers: whatever it was backed off for is over.
                diesel::update(endpoint_row.filter(webhook_endpoints::pauses.gt(0)))
                    .set((
                        webhook_endpoints::paused_until.eq(0),
                        webhook_endpoints::pauses.eq(0),
                    ))
                    .execute(conn)?;
            }
            if outcome.succeeded() {
                diesel::update(this)
                    .set(webhook_deliveries::state.eq(DELIVERED))
                    .execute(conn)?;
                diesel::update(endpoint_row.filter(webhook_endpoints::failing_since.is_not_null()))
                    .set(webhook_endpoints::failing_since.eq(None::<i64>))
                    .execute(conn)?;
                return Ok(true);
            }
            let failures = attempts + 1;
            let give_up = is_test || failures as usize > RETRY_STEPS.len();
            diesel::update(this)
                .set((
                    webhook_deliveries::attempts.eq(failures),
                    webhook_deliveries::state.eq(if give_up { GAVE_UP } else { WAITING }),
                ))
                .execute(conn)?;
            if outcome.unanswered {
                pause(conn, endpoint, outcome.at, retry_unit)?;
            }
            // After no answer the lane stops whatever became of the delivery: the endpoint waits.
            let go_on = !outcome.unanswered;
            if is_test {
                return Ok(go_on);
            }
            let failing_since: Option<i64> = endpoint_row
                .select(webhook_endpoints::failing_since)
                .first(conn)?;
            let since = failing_since.unwrap_or(outcome.at);
            if outcome.at - since >= FAILING_LIMIT_MILLIS {
                diesel::update(endpoint_row)
                .set((
                    webhook_endpoints::enabled.eq(false),
                    webhook_endpoints::disabled_reason.eq(format!(
                        "Turned off on {}: no delivery succeeded for 24 hours (last answer: {}).",
                        insignia_core::clock::format_millis(outcome.at),
                        outcome
                            .status
                            .map_or("none".to_string(), |s| format!("HTTP {s}"))
                    )),
                ))
                .execute(conn)?;
            } else if failing_since.is_none() {
                diesel::update(endpoint_row)
                    .set(webhook_endpoints::failing_since.eq(Some(since)))
                    .execute(conn)?;
            }
            if give_up {
                return Ok(go_on);
            }
            let delay = retry_delay(retry_unit, failures as usize);
            diesel::update(
                webhook_lanes::table
                    .filter(webhook_lanes::endpoint_key.eq(endpoint))
                    .filter(webhook_lanes::lane.eq(lane)),
            )
            .set(webhook_lanes::next_attempt_at.eq(outcome.at + delay))
            .execute(conn)?;
            Ok(false)
        },
    )
}

/// Backs an endpoint off as a whole after a request that got no answer: none of its lanes is
/// claimed before the pause ends (on the retry schedule, longer after each pause in a row),
/// then one lane tries it. A request sent before the current pause ended (under way when it
/// began) is part of what started it and does not lengthen it.
fn pause(
    conn: &mut DbConnection,
    endpoint: i64,
    sent_at: i64,
    retry_unit: Duration,
) -> Result<(), Error> {
    let row = webhook_endpoints::table.filter(webhook_endpoints::key.eq(endpoint));
    let (until, pauses): (i64, i32) = row
        .select((webhook_endpoints::paused_until, webhook_endpoints::pauses))
        .first(conn)?;
    if sent_at < until {
        return Ok(());
    }
    let pauses = pauses.saturating_add(1);
    let until =
        insignia_core::clock::now_millis() + retry_delay(retry_unit, pauses.max(1) as usize);
    diesel::update(row)
        .set((
            webhook_endpoints::paused_until.eq(until),
            webhook_endpoints::pauses.eq(pauses),
        ))
        .execute(conn)?;
    Ok(())
}

/// The wait before retry `n` (1-based): the schedule's step with ±20 % jitter, so that many
/// failed deliveries do not all come back at the same moment.
fn retry_delay(unit: Duration, n: usize) -> i64 {
    let step = RETRY_STEPS[(n - 1).min(RETRY_STEPS.len() - 1)];
    let base = unit.as_millis() as i64 * step;
    let jitter = rand::random_range(0.8..1.2);
    (base as f64 * jitter) as i64
}

/// Lets go of a lane; closes it when nothing waits in it any more.
fn release(conn: &mut DbConnection, endpoint: i64, lane: &str) -> Result<(), Error> {
    insignia_core::db::write_locking(
        conn,
        |_| Ok(Locks::Rows),
        |conn| {
            // After the queue's pass on the endpoint, never beside it: a lane closed while the
            // queue adds to it would leave its new deliveries without a lane.
            lock_endpoint(conn, endpoint)?;
            let this = || {
                webhook_lanes::table
                    .filter(webhook_lanes::endpoint_key.eq(endpoint))
                    .filter(webhook_lanes::lane.eq(lane))
            };
            let waiting: bool = diesel::select(diesel::dsl::exists(
                webhook_deliveries::table
                    .filter(webhook_deliveries::endpoint_key.eq(endpoint))
                    .filter(webhook_deliveries::lane.eq(lane))
                    .filter(webhook_deliveries::state.eq(WAITING)),
            ))
            .get_result(conn)?;
            if waiting {
                diesel::update(this())
                    .set(webhook_lanes::lease_until.eq(0))
                    .execute(conn)?;
            } else {
                diesel::delete(this()).execute(conn)?;
            }
            Ok(())
        },
    )
}

/// Deletes events older than a week that every endpoint has queued, a few thousand at a time
/// (their deliveries and attempts go with them). Walks the key order from the oldest: times
/// grow with keys, so no index on the time is needed (which would cost every bulk change).
fn prune(conn: &mut DbConnection) -> Result<(), Error> {
    let queued_by_all: Vec<Position> = diesel::sql_query(
        "SELECT events_after_txid AS txid, events_after AS key FROM webhook_endpoints \
         ORDER BY events_after_txid, events_after LIMIT 1",
    )
    .load(conn)?;
    let upto = queued_by_all.into_iter().next().unwrap_or(Position {
        txid: i64::MAX,
        key: i64::MAX,
    });
    let before = insignia_core::clock::now_millis() - KEEP_MILLIS;
    loop {
        let deleted = insignia_core::db::write_locking(
            conn,
            |_| Ok(Locks::Rows),
            |conn| {
                let queued = match conn.backend() {
                    BackendKind::Sqlite => "key <= ?",
                    BackendKind::Postgres => "(txid, key) <= (?, ?)",
                };
                let delete = diesel::sql_query(conn.sql(&format!(
                    "DELETE FROM events WHERE key IN (SELECT key FROM events \
                     WHERE occurred_at < ? AND {queued} ORDER BY key LIMIT 5000)"
                )))
                .into_boxed()
                .bind::<BigInt, _>(before);
                let delete = match conn.backend() {
                    BackendKind::Sqlite => delete.bind::<BigInt, _>(upto.key),
                    BackendKind::Postgres => delete
                        .bind::<BigInt, _>(upto.txid)
                        .bind::<BigInt, _>(upto.key),
                };
                delete.execute(conn).map_err(Error::from)
            },
        )?;
        if deleted < 5000 {
            return Ok(());
        }
    }
}

/// Runs a blocking database closure on tokio's blocking threads, off the delivery tasks.
async fn with_connection<T, F>(pool: &DbPool, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn =
            insignia_core::db::checkout(&pool, insignia_core::db::stats::Caller::Background)
                .map_err(Error::internal)?;
        f(&mut conn)
    })
    .await
    .map_err(Error::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_over_about_a_day() {
        let unit = Duration::from_secs(5);
        let total: i64 = (1..=RETRY_STEPS.len()).map(|n| retry_delay(unit, n)).sum();
        let hours = total as f64 / 3_600_000.0;
        assert!((20.0..34.0).contains(&hours), "{hours} hours");
        assert!(retry_delay(unit, 1) < retry_delay(unit, 2));
    }
}
