//! The SQLite pool, its per-connection settings, the embedded migrations, and `run`, which
//! moves a blocking diesel call off the async executor.

pub mod keys;
pub mod schema;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub type DbPool = Pool<ConnectionManager<SqliteConnection>>;
pub type DbConn = PooledConnection<ConnectionManager<SqliteConnection>>;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// How long a writer waits for another to finish before giving up. SQLite lets one writer
/// in at a time and the others queue on this timeout, so it is kept well above the longest
/// write (a 50,000-line bulk change or import): a request waits instead of failing.
pub const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
            WRITE_WAIT.as_millis()
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Opens (creating if needed) the database file and applies pending migrations.
pub fn open(path: &str) -> Result<DbPool, AppError> {
    let manager = ConnectionManager::<SqliteConnection>::new(path);
    let pool = Pool::builder()
        .max_size(8)
        // Waiting writers hold connections while they queue; others wait for one as long.
        .connection_timeout(WRITE_WAIT)
        .connection_customizer(Box::new(Pragmas))
        .build(manager)
        .map_err(|e| AppError::internal(format!("cannot open database {path}: {e}")))?;
    migrate(path)?;
    let mut conn = pool.get().map_err(AppError::internal)?;
    // Title keys stored under an older comparison rule are brought up to the current one.
    crate::badges::store::refresh_title_keys(&mut conn)?;
    Ok(pool)
}

/// Applies pending migrations on a connection of their own with foreign keys off, as SQLite
/// requires for rebuilding a table (dropping the old one must not cascade), then checks every
/// foreign key: a migration that broke a reference fails the start instead of losing data.
fn migrate(path: &str) -> Result<(), AppError> {
    use diesel::{Connection, RunQueryDsl};
    let failed = |e: &dyn std::fmt::Display| AppError::internal(format!("migrations failed: {e}"));
    let mut conn = SqliteConnection::establish(path).map_err(|e| failed(&e))?;
    conn.batch_execute(&format!(
        "PRAGMA foreign_keys = OFF; PRAGMA busy_timeout = {};",
        WRITE_WAIT.as_millis()
    ))?;
    conn.run_pending_migrations(MIGRATIONS)
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
    Ok(())
}

/// Runs a blocking database closure on the blocking thread pool.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut SqliteConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(AppError::internal)?;
        f(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}

/// The current time as stored and returned everywhere: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

/// The current time as a stored instant: Unix milliseconds (assignment times).
pub fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A stored instant in the text form shown and returned everywhere.
pub fn format_millis(millis: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format_time(t)
}

pub fn format_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

pub fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` (so concurrent writers queue on the
/// busy timeout instead of failing mid-way), or a savepoint when already inside one, so domain
/// operations compose.
pub fn write<T, E, F>(conn: &mut SqliteConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut SqliteConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let nested = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_err(E::from)?
        .is_some();
    if nested {
        conn.transaction(f)
    } else {
        conn.immediate_transaction(f)
    }
}
