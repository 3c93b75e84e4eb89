//! The schema diesel compiles against is generated, and the two databases' schemas agree:
//!
//! - `crates/core/src/db/schema.rs` is exactly what `diesel print-schema` prints from a
//!   database the migrations made, with the patch file of that database (crates/core/diesel.toml,
//!   diesel.sqlite.toml): checked on SQLite in the first pass and on PostgreSQL in the second.
//! - The two migrations, SQLite's and PostgreSQL's, are kept in step by hand (a migration for
//!   each): the same tables, columns (kind and nullability), keys, unique columns, foreign keys
//!   and indexes. Runs in the PostgreSQL pass (`INSIGNIA_TEST_POSTGRES`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::prelude::*;
use diesel::sql_types::Text;
use insignia::db::DbConnection;

use crate::helpers::{fresh_database, postgres_server, sqlite_database};

/// What each database has that the other does without: SQLite's full-text tables (trigrams,
/// name words) and their triggers' bookkeeping, PostgreSQL's trigram and word indexes doing
/// the same jobs; SQLite's partial index of members without badges (on PostgreSQL it would
/// cost the badge count's HOT updates: see its migration); PostgreSQL's index of events by
/// transaction, which its webhook queue reads in that order (SQLite's reads them by key).
const SQLITE_ONLY: &[&str] = &[
    "table members_search",
    "table members_search_config",
    "table members_search_content",
    "table members_search_data",
    "table members_search_docsize",
    "table members_search_idx",
    "table members_words",
    "table members_words_config",
    "table members_words_data",
    "table members_words_docsize",
    "table members_words_idx",
    "table sqlite_sequence",
    "index members.members_without_badges key",
];
const POSTGRES_ONLY: &[&str] = &[
    "index members.members_name_trigrams name_key",
    "index members.members_email_trigrams email",
    "index members.members_name_words expr",
    "index events.events_by_transaction txid,key",
];

#[derive(QueryableByName)]
struct Fact {
    #[diesel(sql_type = Text)]
    fact: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn facts(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Fact>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|f| f.fact)
        .collect()
}

fn sqlite_schema(conn: &mut DbConnection) -> BTreeSet<String> {
    let tables: Vec<String> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '__diesel_schema_migrations'",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    let mut all = BTreeSet::new();
    for t in &tables {
        all.insert(format!("table {t}"));
        if t.starts_with("members_search")
            || t.starts_with("members_words")
            || t == "sqlite_sequence"
        {
            continue;
        }
        let sql = format!(
            "SELECT 'column {t}.' || name || ' ' || \
                    CASE WHEN upper(type) IN ('INTEGER', 'BIGINT') THEN 'integer' \
                         WHEN upper(type) = 'BOOLEAN' THEN 'boolean' ELSE lower(type) END || \
                    CASE WHEN \"notnull\" OR pk > 0 THEN ' not null' ELSE '' END AS fact \
             FROM pragma_table_info('{t}') \
             UNION ALL SELECT 'key {t} ' || group_concat(name, ',') AS fact \
               FROM (SELECT name FROM pragma_table_info('{t}') WHERE pk > 0 ORDER BY pk) \
             UNION ALL SELECT 'foreign {t}.' || \"from\" || ' -> ' || \"table\" || '.' || \"to\" || \
                    ' on delete ' || lower(on_delete) AS fact FROM pragma_foreign_key_list('{t}')"
        );
        all.extend(facts(conn, &sql));
        // Unique columns (from UNIQUE constraints) and named indexes with their columns.
        let sql = format!(
            "SELECT CASE WHEN l.origin = 'u' THEN 'unique {t} ' ELSE 'index {t}.' || l.name || ' ' END || \
                    (SELECT group_concat(coalesce(i.name, 'expr'), ',') FROM pragma_index_xinfo(l.name) i \
                      WHERE i.key) AS fact \
             FROM pragma_index_list('{t}') l WHERE l.origin IN ('u', 'c')"
        );
        all.extend(facts(conn, &sql));
    }
    all
}

fn postgres_schema(conn: &mut DbConnection) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    all.extend(facts(
        conn,
        "SELECT 'table ' || table_name AS fact FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'",
    ));
    all.extend(facts(
        conn,
        "SELECT 'column ' || table_name || '.' || column_name || ' ' || \
                CASE WHEN data_type IN ('integer', 'bigint') THEN 'integer' ELSE data_type END || \
                CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END AS fact \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'",
    ));
    all.extend(facts(
        conn,
        "SELECT CASE c.contype WHEN 'p' THEN 'key ' ELSE 'unique ' END || t.relname || ' ' || \
                string_agg(a.attname, ',' ORDER BY k.n) AS fact \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE c.contype IN ('p', 'u') AND t.relnamespace = current_schema()::regnamespace \
           AND t.relname <> '__diesel_schema_migrations' \
         GROUP BY c.oid, c.contype, t.relname",
    ));
    all.extend(facts(
        conn,
        "SELECT 'foreign ' || t.relname || '.' || a.attname || ' -> ' || r.relname || '.' || ra.attname || \
                ' on delete ' || CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' \
                ELSE 'no action' END AS fact \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace",
    ));
    // Named indexes (not those backing a key or a unique constraint), by their columns; an
    // expression counts as `expr`. PostgreSQL's first-character indexes list the key after
    // the expression, which SQLite's rowid carries implicitly.
    all.extend(facts(
        conn,
        "SELECT 'index ' || t.relname || '.' || i.relname || ' ' || \
                string_agg(coalesce(a.attname, 'expr'), ',' ORDER BY k.n) AS fact \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0 \
         WHERE t.relnamespace = current_schema()::regnamespace \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
         GROUP BY i.relname, t.relname",
    ));
    all
}

#[test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
fn both_databases_have_the_same_schema() {
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let sqlite = sqlite_database();
    let postgres = fresh_database();
    let mut schemas = Vec::new();
    for location in [sqlite.database(), postgres.database()] {
        let pool = insignia::open_site(&location.as_str().into()).expect("migrates");
        let mut conn = pool.get().expect("connection");
        schemas.push(match conn.backend() {
            insignia::db::BackendKind::Sqlite => sqlite_schema(&mut conn),
            insignia::db::BackendKind::Postgres => postgres_schema(&mut conn),
        });
    }
    let normalise = |facts: &BTreeSet<String>, only: &[&str]| -> BTreeSet<String> {
        facts
            .iter()
            .filter(|f| !only.contains(&f.as_str()))
            // SQLite's first-character indexes end at the expression (the rowid follows).
            .map(|f| {
                f.strip_suffix("expr,key")
                    .map_or(f.clone(), |s| format!("{s}expr"))
            })
            .collect()
    };
    let sqlite = normalise(&schemas[0], SQLITE_ONLY);
    let postgres = normalise(&schemas[1], POSTGRES_ONLY);
    let missing: Vec<_> = sqlite.difference(&postgres).collect();
    let extra: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "only in SQLite: {missing:#?}\nonly in PostgreSQL: {extra:#?}"
    );
    assert!(sqlite.len() > 100, "{} facts compared", sqlite.len());
}

fn core_crate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/core")
}

/// diesel_cli: `INSIGNIA_DIESEL`, or the pinned version scripts/diesel-cli.sh installs.
fn diesel_cli() -> PathBuf {
    if let Some(named) = std::env::var_os("INSIGNIA_DIESEL") {
        return PathBuf::from(named);
    }
    let output = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/diesel-cli.sh"))
        .output()
        .expect("bash runs scripts/diesel-cli.sh");
    assert!(
        output.status.success(),
        "scripts/diesel-cli.sh could not install diesel_cli: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

/// `INSIGNIA_BLESS_SCHEMA=1 cargo test --test it schema::` writes what diesel printed into
/// schema.rs: after a migration, run it on SQLite, then check the PostgreSQL pass agrees (a
/// difference between the databases goes into the patch files).
#[test]
fn the_schema_is_what_diesel_prints_from_the_migrations() {
    let scratch = fresh_database();
    let location = scratch.database();
    drop(insignia::open_site(&location.as_str().into()).expect("migrates"));
    let config = if location.starts_with("postgres") {
        "diesel.toml"
    } else {
        "diesel.sqlite.toml"
    };
    let output = Command::new(diesel_cli())
        .arg("print-schema")
        .arg("--config-file")
        .arg(core_crate().join(config))
        .args(["--database-url", &location])
        .output()
        .expect("diesel_cli runs");
    assert!(
        output.status.success(),
        "diesel print-schema failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("UTF-8 schema");
    let file = core_crate().join("src/db/schema.rs");
    if std::env::var_os("INSIGNIA_BLESS_SCHEMA").is_some() {
        std::fs::write(&file, &printed).expect("write schema.rs");
    }
    let checked_in = std::fs::read_to_string(&file).expect("schema.rs");
    if printed != checked_in {
        let first = printed
            .lines()
            .zip(checked_in.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| printed.lines().count().min(checked_in.lines().count()));
        panic!(
            "crates/core/src/db/schema.rs is not what the migrations make on this database \
             (diesel print-schema --config-file crates/core/{config}); first difference at \
             line {}:\n  printed:    {:?}\n  checked in: {:?}\nRegenerate it with \
             INSIGNIA_BLESS_SCHEMA=1 (see this test), or edit it and write the patch files \
             anew with scripts/schema-patches.sh (docs/storage.md).",
            first + 1,
            printed.lines().nth(first),
            checked_in.lines().nth(first),
        );
    }
}
