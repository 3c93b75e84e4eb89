//! The connection pool for either database, its per-connection settings, the embedded
//! migrations of each, and the write-transaction rule. Everything here blocks; the web runs
//! it off its request threads (`insignia_web::blocking`).

pub mod backup;
mod connection;
pub mod keys;
pub mod schema;
pub mod stats;

pub use connection::on_backend;
pub use connection::{BackendKind, DbConnection, MultiBackend};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::Error;

pub type DbPool = Pool<Manager>;
pub type DbConn = PooledConnection<Manager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a writer waits for another to finish before giving up. Writers take turns (one
/// SQLite writer at a time; on PostgreSQL as their locks say, see [`write_locking`]) and queue on
/// this timeout, so it is kept well above the longest write (a 50,000-line bulk change or
/// import): a request waits instead of failing.
pub const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Where the data lives: a SQLite file (the embedded default) or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(String),
    Postgres(String),
}

impl Location {
    /// `postgres://` or `postgresql://` URLs name a PostgreSQL database; anything else is a
    /// SQLite file path.
    pub fn parse(value: &str) -> Location {
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Location::Postgres(value.to_string())
        } else {
            Location::Sqlite(value.to_string())
        }
    }

    fn url(&self) -> &str {
        match self {
            Location::Sqlite(path) | Location::Postgres(path) => path,
        }
    }

    pub fn backend(&self) -> BackendKind {
        match self {
            Location::Sqlite(_) => BackendKind::Sqlite,
            Location::Postgres(_) => BackendKind::Postgres,
        }
    }

    fn establish(&self) -> Result<DbConnection, diesel::ConnectionError> {
        Ok(match self {
            Location::Sqlite(path) => DbConnection::Sqlite(SqliteConnection::establish(path)?),
            Location::Postgres(url) => DbConnection::Postgres(PgConnection::establish(url)?),
        })
    }
}

impl From<&str> for Location {
    fn from(value: &str) -> Location {
        Location::parse(value)
    }
}

impl From<String> for Location {
    fn from(value: String) -> Location {
        Location::parse(&value)
    }
}

/// Shown in logs and errors: a PostgreSQL URL without its password.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => f.write_str(path),
            Location::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; also a `password=`
/// query parameter.
pub fn redact_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let redacted: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{base}{}", redacted.join("&"));
    }
    out
}

/// Opens a pooled connection the way the server wants it: SQLite with WAL, foreign keys and a
/// busy timeout; PostgreSQL with UTC and the same wait for locks.
#[derive(Debug)]
pub struct Manager(Location);

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let mut conn = self
            .0
            .establish()
            .map_err(diesel::r2d2::Error::ConnectionError)?;
        let settings = match conn.backend() {
            // The busy timeout comes first: the pool opens its connections together, and on a
            // new file the switch to WAL must wait for the others instead of failing.
            BackendKind::Sqlite => format!(
                "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                WRITE_WAIT.as_millis()
            ),
            BackendKind::Postgres => format!(
                "SET TIME ZONE 'UTC'; SET lock_timeout = {};",
                WRITE_WAIT.as_millis()
            ),
        };
        conn.batch_execute(&settings)
            .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        use diesel::r2d2::R2D2Connection;
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

/// A connection from the pool, counted for the metrics (`stats`): the caller is among the
/// waiters until it has one. Waits as long as the pool does ([`WRITE_WAIT`]).
pub fn checkout(pool: &DbPool, caller: stats::Caller) -> Result<DbConn, diesel::r2d2::PoolError> {
    checkout_within(pool, caller, WRITE_WAIT)
}

/// [`checkout`], giving up after `wait`: for a reader that has somewhere better to be.
pub fn checkout_within(
    pool: &DbPool,
    caller: stats::Caller,
    wait: std::time::Duration,
) -> Result<DbConn, diesel::r2d2::PoolError> {
    stats::FIGURES.waits(caller);
    let started = std::time::Instant::now();
    let conn = pool.get_timeout(wait);
    stats::FIGURES.waited(caller, started.elapsed());
    conn
}

/// Opens (creating if needed) the database and applies pending migrations.
pub fn open(location: &Location) -> Result<DbPool, Error> {
    migrate(location)?;
    let pool = Pool::builder()
        .max_size(8)
        // Waiting writers hold connections while they queue; others wait for one as long.
        .connection_timeout(WRITE_WAIT)
        .build(Manager(location.clone()))
        .map_err(|e| Error::internal(format!("cannot open database {location}: {e}")))?;
    Ok(pool)
}

/// Applies pending migrations on a connection of their own. On SQLite foreign keys are off
/// meanwhile, as it requires for rebuilding a table (dropping the old one must not cascade),
/// and every foreign key is checked afterwards: a migration that broke a reference fails the
/// start instead of losing data. On PostgreSQL each migration runs in a transaction under a
/// lock, so two servers starting together do not both apply it.
fn migrate(location: &Location) -> Result<(), Error> {
    let failed = |e: &dyn std::fmt::Display| Error::internal(format!("migrations failed: {e}"));
    match location {
        Location::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)
                .map_err(|e| Error::internal(format!("cannot open database {path}: {e}")))?;
            conn.batch_execute(&format!(
                "PRAGMA foreign_keys = OFF; PRAGMA busy_timeout = {};",
                WRITE_WAIT.as_millis()
            ))?;
            conn.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| failed(&e))?;
            #[derive(diesel::QueryableByName)]
            struct Violation {
                #[diesel(sql_type = diesel::sql_types::Text)]
                table: String,
            }
            let broken: Vec<Violation> =
                diesel::sql_query("SELECT \"table\" FROM pragma_foreign_key_check")
                    .load::<Violation>(&mut conn)?;
            if let Some(v) = broken.first() {
                return Err(failed(&format!(
                    "{} rows of {} point at rows that do not exist",
                    broken.len(),
                    v.table
                )));
            }
        }
        Location::Postgres(_) => {
            let mut conn = PgConnection::establish(location.url()).map_err(|e| {
                Error::internal(format!(
                    "cannot open database {location}: {}",
                    redact_password(&e.to_string())
                ))
            })?;
            conn.batch_execute("SELECT pg_advisory_lock(7263010)")?;
            let result = conn.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            conn.batch_execute("SELECT pg_advisory_unlock(7263010)")?;
            result.map_err(|e| failed(&e))?;
        }
    }
    Ok(())
}

/// The lock every PostgreSQL write transaction takes first: exclusively by [`write`], shared
/// by [`write_locking`] (see [`Locks`]).
pub const WRITE_LOCK: i64 = 7263011;

/// The namespace of the badge locks of [`Locks::Badges`] (PostgreSQL advisory locks keyed by
/// two integers: this, and the badge's key).
pub const BADGE_LOCKS: i32 = 7263012;

/// What a write transaction must have to itself on PostgreSQL, beyond the rows it writes
/// (which PostgreSQL locks anyway). SQLite has one writer whatever this says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locks {
    /// Every other writer waits: what [`write`] takes. For changes that read something and
    /// rely on it until they commit (a title still free, the display order's version, the
    /// rules), and every change not yet shown to be safe beside others.
    Everything,
    /// The assignments of these badges (keys): their holders, stored counts and events. Writes
    /// of other badges, and other such writes, go on beside it; [`Locks::Everything`] waits.
    Badges(Vec<i64>),
    /// Nothing but its own rows, which it locks as it writes them (leases, queue cursors).
    Rows,
}

/// Runs `f` in a write transaction, or a savepoint when already inside one, so domain
/// operations compose. Writers take turns on both databases, so what a write reads it can rely
/// on until it commits (a stale order version, a title that is still free, a count): on SQLite
/// `BEGIN IMMEDIATE`, on PostgreSQL [`WRITE_LOCK`] taken exclusively first — the same
/// one-writer-at-a-time rule across every server on the database ([`Locks::Everything`]).
/// Readers never wait for it. Writes that need less use [`write_locking`].
pub fn write<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::AnsiTransactionManager;
    if in_transaction(conn)? {
        return conn.transaction(f);
    }
    let waiting_since = std::time::Instant::now();
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(inner) => {
            begin_postgres(inner, &format!("pg_advisory_xact_lock({WRITE_LOCK})"))?
        }
    }
    run_locked(conn, waiting_since, f)
}

/// [`write`] for a change that needs less than every other writer to wait: on PostgreSQL it
/// takes [`WRITE_LOCK`] shared, asks `locks` (inside the transaction, so what it reads, such as
/// the rules, cannot change meanwhile) what else it needs, and takes that before `f` writes
/// anything: badge locks in key order, so two writers never wait for each other in a circle;
/// for [`Locks::Everything`] it starts again with the exclusive lock. Taking every lock before
/// the first write also gives the transaction its id after them, which orders a badge's events
/// (see `crate::events`). On SQLite it is [`write`].
pub fn write_locking<T, E, L, F>(conn: &mut DbConnection, locks: L, f: F) -> Result<T, E>
where
    L: FnOnce(&mut DbConnection) -> Result<Locks, E>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if conn.backend() == BackendKind::Sqlite || in_transaction(conn)? {
        // SQLite has one writer; an outer write holds what this one needs: it asked for it.
        return write(conn, f);
    }
    let waiting_since = std::time::Instant::now();
    if let DbConnection::Postgres(inner) = conn {
        begin_postgres(
            inner,
            &format!("pg_advisory_xact_lock_shared({WRITE_LOCK})"),
        )?;
    }
    let more = match locks(conn) {
        Ok(Locks::Everything) => {
            rollback(conn)?;
            return write(conn, f);
        }
        Ok(Locks::Rows) => String::new(),
        // Keys beyond 32 bits would share a lock with a smaller one: more waiting, never less.
        // Sorted as locked, so every writer takes them in one order.
        Ok(Locks::Badges(keys)) => {
            let mut locks: Vec<i32> = keys.iter().map(|k| *k as i32).collect();
            locks.sort_unstable();
            locks.dedup();
            locks
                .iter()
                .map(|k| format!("SELECT pg_advisory_xact_lock({BADGE_LOCKS}, {k});"))
                .collect()
        }
        Err(e) => {
            let _ = rollback(conn);
            return Err(e);
        }
    };
    if !more.is_empty()
        && let Err(e) = conn.batch_execute(&more)
    {
        let _ = rollback(conn);
        return Err(e.into());
    }
    // Checked in debug builds (the tests): `locks` must only read.
    debug_assert!(
        !matches!(has_transaction_id(conn), Ok(true)),
        "a write_locking transaction wrote before its locks: its id would not order its events"
    );
    run_locked(conn, waiting_since, f)
}

/// Whether the PostgreSQL transaction has written (and so has its id) already.
fn has_transaction_id(conn: &mut DbConnection) -> Result<bool, diesel::result::Error> {
    #[derive(diesel::QueryableByName)]
    struct Assigned {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        assigned: bool,
    }
    let row: Assigned =
        diesel::sql_query("SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS assigned")
            .get_result(conn)?;
    Ok(row.assigned)
}

fn in_transaction(conn: &mut DbConnection) -> Result<bool, diesel::result::Error> {
    use diesel::connection::TransactionManager;
    Ok(
        <DbConnection as TransactionManager<DbConnection>>::transaction_manager_status_mut(conn)
            .transaction_depth()?
            .is_some(),
    )
}

/// Begins a PostgreSQL transaction whose first statement takes the advisory lock `lock`.
fn begin_postgres(conn: &mut PgConnection, lock: &str) -> Result<(), diesel::result::Error> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN")?;
    if let Err(e) = diesel::sql_query(format!("SELECT {lock}")).execute(conn) {
        let _ = AnsiTransactionManager::rollback_transaction(conn);
        return Err(e);
    }
    Ok(())
}

/// Runs `f` in the transaction just begun with its locks, and commits, or rolls back on error.
fn run_locked<T, E, F>(
    conn: &mut DbConnection,
    waiting_since: std::time::Instant,
    f: F,
) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::TransactionManager;
    // Waiting for the locks is the one wait of a write worth telling apart from its work.
    stats::FIGURES
        .write_lock_waits
        .observe(waiting_since.elapsed());
    match f(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The error that stopped the change is the one worth reporting.
            let _ = rollback(conn);
            Err(e)
        }
    }
}

fn rollback(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    use diesel::connection::TransactionManager;
    <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn)
}

/// After a bulk load on PostgreSQL, gathers the planner's statistics for `tables` (names from
/// the code, never from input). Until then PostgreSQL plans as if the tables were as small as
/// before the load, until autovacuum happens by. Runs only outside a transaction, after the
/// load committed, so the statistics count its rows; SQLite keeps no statistics it would miss.
pub fn analyze(conn: &mut DbConnection, tables: &[&str]) -> Result<(), Error> {
    use diesel::connection::TransactionManager;
    if conn.backend() != BackendKind::Postgres || tables.is_empty() {
        return Ok(());
    }
    let in_transaction =
        <DbConnection as TransactionManager<DbConnection>>::transaction_manager_status_mut(conn)
            .transaction_depth()?
            .is_some();
    if !in_transaction {
        conn.batch_execute(&format!("ANALYZE {}", tables.join(", ")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_never_shown() {
        for (url, shown) in [
            (
                "postgres://insignia:s3cret@db.example:5432/insignia",
                "postgres://insignia:***@db.example:5432/insignia",
            ),
            (
                "postgresql://me:p%40ss:word@host/db?sslmode=require",
                "postgresql://me:***@host/db?sslmode=require",
            ),
            (
                "postgres://host/db?user=me&password=s3cret",
                "postgres://host/db?user=me&password=***",
            ),
            ("postgres://me@host/db", "postgres://me@host/db"),
        ] {
            let location = Location::parse(url);
            assert_eq!(location.backend(), BackendKind::Postgres);
            assert_eq!(location.to_string(), shown);
            assert_eq!(format!("{location:?}"), shown);
        }
        assert_eq!(
            Location::parse("sites/insignia.db"),
            Location::Sqlite("sites/insignia.db".into())
        );
    }
}
