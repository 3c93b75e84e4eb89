//! `insignia migrate --from FILE --to postgres://…`: moves a whole site from its SQLite file to
//! an empty PostgreSQL database, then proves the copy.
//!
//! Both databases are first brought to the current schema by their own migrations. Each table
//! then streams out of SQLite, already formatted by SQLite as lines of PostgreSQL's COPY text
//! format, into one COPY per table, all in one PostgreSQL transaction: a failed move leaves the
//! target as empty as it was. Ids and keys are copied as they are (identity counters are moved
//! past them), so every URL, API id and stored count stays what it was. Afterwards every table
//! is read back from both sides in primary-key order and compared by row count and a SHA-256
//! of its rows.

use std::cell::RefCell;
use std::io::Write;

use diesel::connection::{DefaultLoadingMode, SimpleConnection};
use diesel::pg::{CopyFormat, PgConnection, PgRowByRowLoadingMode};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use sha2::{Digest, Sha256};

use crate::db::{Location, redact_password, schema};
use insignia_core::Error;

/// Every table, parents before children: the one list `TABLES` and [`for_each_table!`] are
/// made from. (The schema test keeps the two databases' tables in step, and `run` refuses a
/// target with a table this list lacks.)
macro_rules! schema_tables {
    ($then:ident ! ($($args:tt)*)) => {
        $then!($($args)* [
            settings, admins, admin_sessions, login_failures, icon_uploads, badges, members,
            pages, member_badges, badge_pages, password_links, admin_password_links,
            member_sessions, api_keys, audit_log, audit_members, reports, rate_limits, jobs, events,
            webhook_endpoints, webhook_deliveries, webhook_lanes, webhook_attempts, badge_slugs,
            badge_rules, mail_outbox, email_confirmations, form_uses, bulk_changes, bulk_change_rows,
        ])
    };
}

macro_rules! names {
    ([$($table:ident),* $(,)?]) => {
        &[$(stringify!($table)),*]
    };
}

const TABLES: &[&str] = schema_tables!(names!());

/// Tables whose integer key PostgreSQL generates: their counters must start after the copy.
const IDENTITIES: &[(&str, &str)] = &[
    ("login_failures", "id"),
    ("badges", "key"),
    ("members", "key"),
    ("pages", "key"),
    ("audit_log", "id"),
    ("events", "key"),
    ("webhook_endpoints", "key"),
    ("webhook_deliveries", "key"),
    ("webhook_attempts", "key"),
    ("mail_outbox", "id"),
];

/// What was moved: per table, its name and row count.
#[derive(Debug)]
pub struct Moved {
    pub tables: Vec<(String, i64)>,
}

/// Something that shows how far the move is. The CLI draws a progress bar; tests pass
/// [`Quiet`].
pub trait Progress {
    fn table(&self, name: &str, rows: u64);
    fn rows(&self, done: u64);
    fn verifying(&self, name: &str);
}

pub struct Quiet;

impl Progress for Quiet {
    fn table(&self, _: &str, _: u64) {}
    fn rows(&self, _: u64) {}
    fn verifying(&self, _: &str) {}
}

pub fn run(from: &str, to: &Location, progress: &dyn Progress) -> Result<Moved, Error> {
    let Location::Postgres(url) = to else {
        return Err(Error::internal(
            "--to must be a PostgreSQL URL (postgres://user:password@host:port/dbname)",
        ));
    };
    if !std::path::Path::new(from).is_file() {
        return Err(Error::internal(format!("{from} is not a SQLite file")));
    }
    // Both schemas up to date (an older site is upgraded first), then connections of our own.
    drop(insignia_core::open_site(&Location::Sqlite(
        from.to_string(),
    ))?);
    drop(insignia_core::open_site(to)?);
    let source = SqliteConnection::establish(from).map_err(Error::internal)?;
    let mut target = PgConnection::establish(url)
        .map_err(|e| Error::internal(redact_password(&e.to_string())))?;

    let source = RefCell::new(source);
    let mut plans = Vec::new();
    for table in target_tables(&mut target)? {
        if !TABLES.contains(&table.as_str()) {
            return Err(Error::internal(format!(
                "the target has a table `{table}` that migrate does not know"
            )));
        }
    }
    for table in TABLES {
        plans.push(Plan::new(&mut target, table)?);
    }
    let nonempty: Vec<&str> = plans
        .iter()
        .filter(|plan| plan.has_rows(&mut target).unwrap_or(true))
        .map(|plan| plan.table)
        .collect();
    if !nonempty.is_empty() {
        return Err(Error::internal(format!(
            "the target database already has data (in {}); migrate copies into an empty database only",
            nonempty.join(", ")
        )));
    }

    let mut counted = Vec::new();
    target.batch_execute("BEGIN")?;
    let copied = (|| -> Result<(), Error> {
        for plan in &plans {
            let rows = plan.count(&mut source.borrow_mut())?;
            progress.table(plan.table, rows as u64);
            plan.copy(&source, &mut target, progress)?;
            counted.push((plan.table.to_string(), rows));
        }
        for (table, column) in IDENTITIES {
            target.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            ))?;
        }
        Ok(())
    })();
    match copied {
        Ok(()) => target.batch_execute("COMMIT")?,
        Err(e) => {
            let _ = target.batch_execute("ROLLBACK");
            return Err(e);
        }
    }
    target.batch_execute("ANALYZE")?;

    for plan in &plans {
        progress.verifying(plan.table);
        let (source_rows, source_sum) = plan.checksum(&mut source.borrow_mut())?;
        let (target_rows, target_sum) = plan.checksum_pg(&mut target)?;
        if (source_rows, &source_sum) != (target_rows, &target_sum) {
            return Err(Error::internal(format!(
                "the copy of {} differs: {source_rows} rows (sha256 {source_sum}) in SQLite, \
                 {target_rows} rows (sha256 {target_sum}) in PostgreSQL",
                plan.table
            )));
        }
    }
    Ok(Moved { tables: counted })
}

fn target_tables(target: &mut PgConnection) -> Result<Vec<String>, Error> {
    Ok(diesel::sql_query(
        "SELECT table_name AS value FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
           AND table_name <> '__diesel_schema_migrations'",
    )
    .load::<Value>(target)?
    .into_iter()
    .map(|v| v.value)
    .collect())
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(Clone, Copy)]
enum Side {
    Sqlite,
    Postgres,
}

/// How one table is moved: its columns in the order diesel's COPY names them, which of them
/// are flags, and its primary key (the order rows are compared in).
struct Plan {
    table: &'static str,
    columns: Vec<String>,
    flags: Vec<bool>,
    key: Vec<String>,
}

impl Plan {
    fn new(target: &mut PgConnection, table: &'static str) -> Result<Plan, Error> {
        let columns = copy_columns(table)?;
        #[derive(QueryableByName)]
        struct Column {
            #[diesel(sql_type = Text)]
            column_name: String,
            #[diesel(sql_type = Text)]
            data_type: String,
        }
        let described: Vec<Column> = diesel::sql_query(
            "SELECT column_name::text AS column_name, data_type::text AS data_type \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind::<Text, _>(table)
        .load(target)?;
        let mut in_target: Vec<&str> = described.iter().map(|c| c.column_name.as_str()).collect();
        let mut in_copy: Vec<&str> = columns.iter().map(String::as_str).collect();
        in_target.sort_unstable();
        in_copy.sort_unstable();
        if in_target != in_copy {
            return Err(Error::internal(format!(
                "the columns of {table} differ: {in_target:?} in PostgreSQL, {in_copy:?} in the code"
            )));
        }
        let flags = columns
            .iter()
            .map(|name| {
                described
                    .iter()
                    .any(|c| &c.column_name == name && c.data_type == "boolean")
            })
            .collect();
        let key = diesel::sql_query(
            "SELECT k.column_name::text AS value FROM information_schema.table_constraints t \
             JOIN information_schema.key_column_usage k \
               ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema \
             WHERE t.table_schema = current_schema() AND t.table_name = $1 \
               AND t.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position",
        )
        .bind::<Text, _>(table)
        .load::<Value>(target)?
        .into_iter()
        .map(|v| v.value)
        .collect();
        Ok(Plan {
            table,
            columns,
            flags,
            key,
        })
    }

    fn has_rows(&self, target: &mut PgConnection) -> Result<bool, Error> {
        let found: Count = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM (SELECT 1 FROM {} LIMIT 1) AS t",
            self.table
        ))
        .get_result(target)?;
        Ok(found.n > 0)
    }

    fn count(&self, source: &mut SqliteConnection) -> Result<i64, Error> {
        Ok(
            diesel::sql_query(format!("SELECT count(*) AS n FROM {}", self.table))
                .get_result::<Count>(source)?
                .n,
        )
    }

    /// One row as a line of COPY's text format (tab-separated, `\N` for NULL, backslash
    /// escapes), written by either database the same way: flags as 0 or 1.
    fn line(&self, side: Side) -> String {
        let cells: Vec<String> = self
            .columns
            .iter()
            .zip(&self.flags)
            .map(|(column, &flag)| {
                let text = match (side, flag) {
                    (Side::Sqlite, _) => format!("CAST({column} AS TEXT)"),
                    (Side::Postgres, true) => format!("({column})::int::text"),
                    (Side::Postgres, false) => format!("({column})::text"),
                };
                let (tab, newline, ret) = match side {
                    Side::Sqlite => ("char(9)", "char(10)", "char(13)"),
                    Side::Postgres => ("chr(9)", "chr(10)", "chr(13)"),
                };
                format!(
                    "coalesce(replace(replace(replace(replace({text}, '\\', '\\\\'), \
                     {tab}, '\\t'), {newline}, '\\n'), {ret}, '\\r'), '\\N')"
                )
            })
            .collect();
        let separator = match side {
            Side::Sqlite => " || char(9) || ",
            Side::Postgres => " || chr(9) || ",
        };
        format!(
            "SELECT {} AS value FROM {} ORDER BY {}",
            cells.join(separator),
            self.table,
            self.key.join(", ")
        )
    }

    fn copy(
        &self,
        source: &RefCell<SqliteConnection>,
        target: &mut PgConnection,
        progress: &dyn Progress,
    ) -> Result<(), Error> {
        let query = self.line(Side::Sqlite);
        let stream = |out: &mut dyn Write| -> Result<(), CopyError> {
            let mut source = source.borrow_mut();
            let rows =
                diesel::sql_query(&query).load_iter::<Value, DefaultLoadingMode>(&mut *source)?;
            for (done, row) in rows.enumerate() {
                out.write_all(row?.value.as_bytes())?;
                out.write_all(b"\n")?;
                if done % 10_000 == 0 {
                    progress.rows(done as u64);
                }
            }
            Ok(())
        };
        // The rows arrive without the table's foreign keys and secondary indexes, which come
        // back afterwards: one check and one sort each instead of one per row.
        let detached = detach(target, self.table)?;
        copy_into(target, self.table, stream)
            .map_err(|e| Error::internal(format!("copying {} failed: {e}", self.table)))?;
        for definition in detached {
            target.batch_execute(&definition)?;
        }
        Ok(())
    }

    /// Row count and SHA-256 of the table in SQLite.
    fn checksum(&self, source: &mut SqliteConnection) -> Result<(i64, String), Error> {
        let query = self.line(Side::Sqlite);
        digest(diesel::sql_query(query).load_iter::<Value, DefaultLoadingMode>(source)?)
    }

    /// The same in PostgreSQL, read row by row (the default mode would hold the whole result
    /// in memory).
    fn checksum_pg(&self, target: &mut PgConnection) -> Result<(i64, String), Error> {
        let query = self.line(Side::Postgres);
        digest(diesel::sql_query(query).load_iter::<Value, PgRowByRowLoadingMode>(target)?)
    }
}

/// How many lines, and the SHA-256 of them each followed by a newline.
fn digest(lines: impl Iterator<Item = diesel::QueryResult<Value>>) -> Result<(i64, String), Error> {
    let mut hash = Sha256::new();
    let mut count = 0;
    for line in lines {
        hash.update(line?.value.as_bytes());
        hash.update(b"\n");
        count += 1;
    }
    Ok((count, hex(&hash.finalize())))
}

/// Drops `table`'s foreign keys and the indexes that back no constraint, returning the
/// statements that make them again (primary keys and unique constraints stay: other tables'
/// foreign keys lean on them).
fn detach(target: &mut PgConnection, table: &str) -> Result<Vec<String>, Error> {
    #[derive(QueryableByName)]
    struct Detached {
        #[diesel(sql_type = Text)]
        drop_sql: String,
        #[diesel(sql_type = Text)]
        create_sql: String,
    }
    let found: Vec<Detached> = diesel::sql_query(
        "SELECT 'DROP INDEX ' || quote_ident(i.indexname) AS drop_sql, i.indexdef AS create_sql \
         FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND i.tablename = $1 \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                           WHERE c.conrelid = $1::regclass AND c.conname = i.indexname) \
         UNION ALL \
         SELECT 'ALTER TABLE ' || quote_ident($1) || ' DROP CONSTRAINT ' || quote_ident(conname), \
                'ALTER TABLE ' || quote_ident($1) || ' ADD CONSTRAINT ' || quote_ident(conname) || \
                ' ' || pg_get_constraintdef(oid) \
         FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'",
    )
    .bind::<Text, _>(table)
    .load(target)?;
    for detached in &found {
        target.batch_execute(&detached.drop_sql)?;
    }
    Ok(found.into_iter().map(|d| d.create_sql).collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why streaming one table failed: reading SQLite, or writing to PostgreSQL.
#[derive(Debug, thiserror::Error)]
enum CopyError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Runs `$body` with `$table` bound to the schema module of the table named `$name`.
macro_rules! with_table {
    ($name:expr, |$table:ident| $body:expr, [$($known:ident),* $(,)?]) => {
        match $name {
            $(stringify!($known) => {
                use schema::$known as $table;
                $body
            })*
            other => Err(Error::internal(format!("no table {other} in the schema"))),
        }
    };
}

macro_rules! for_each_table {
    ($name:expr, |$table:ident| $body:expr) => {
        schema_tables!(with_table!($name, |$table| $body,))
    };
}

/// The table's columns in the order diesel's `COPY` lists them (its declaration order).
fn copy_columns(table: &str) -> Result<Vec<String>, Error> {
    for_each_table!(table, |t| {
        let select =
            diesel::debug_query::<diesel::pg::Pg, _>(&t::table.select(t::all_columns)).to_string();
        let list = select
            .strip_prefix("SELECT ")
            .and_then(|rest| rest.split(" FROM ").next())
            .unwrap_or_default();
        Ok(list
            .split(", ")
            .map(|qualified| {
                qualified
                    .rsplit('.')
                    .next()
                    .unwrap_or(qualified)
                    .trim_matches('"')
                    .to_string()
            })
            .collect())
    })
}

fn copy_into(
    target: &mut PgConnection,
    table: &str,
    stream: impl Fn(&mut dyn Write) -> Result<(), CopyError>,
) -> Result<usize, Error> {
    for_each_table!(table, |t| {
        diesel::copy_from(t::table)
            .from_raw_data(t::table, &stream)
            .with_format(CopyFormat::Text)
            .execute(target)
            .map_err(|e| Error::internal(e.to_string()))
    })
}
