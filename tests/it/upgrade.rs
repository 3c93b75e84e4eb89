//! A database made by the release before integer keys (`tests/fixtures/v0.1-schema5.db`, made
//! by `scripts/make-upgrade-fixture.py` with that release) is upgraded in place on start and
//! loses nothing: every row keeps its public id, times and stored counts, and the site
//! answers as it did. Times once stored as text are the same instants in Unix milliseconds
//! now, on SQLite (that file) and on PostgreSQL (rows written with its schema of then).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use insignia::db::DbConnection;

use crate::helpers::{spawn_app_on, sqlite_database};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v0.1-schema5.db"
);

#[derive(QueryableByName, Debug, PartialEq, Clone)]
struct Row {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Nullable<Text>)]
    b: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c: Option<String>,
}

fn rows(conn: &mut DbConnection, sql: &str) -> Vec<Row> {
    diesel::sql_query(sql)
        .load(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn count(conn: &mut DbConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result::<N>(conn)
        .expect("count")
        .n
}

/// What every table held, read the same way before and after (by public ids and text).
fn snapshot(
    conn: &mut DbConnection,
    assignments_sql: &str,
    permissions_sql: &str,
    time: fn(&str) -> String,
) -> Vec<Vec<Row>> {
    let t = time;
    vec![
        rows(
            conn,
            &format!(
                "SELECT id AS a, title || '|' || position || '|' || member_count || '|' || slug || '|' || {} || '|' || {} AS b, description || icon || background_color || text_color || permissions_enabled || self_assignable AS c FROM badges ORDER BY id",
                t("created_at"),
                t("updated_at")
            ),
        ),
        rows(
            conn,
            &format!(
                "SELECT id AS a, name || '|' || email || '|' || slug || '|' || badge_count || '|' || {} AS b, password_hash AS c FROM members ORDER BY id",
                t("created_at")
            ),
        ),
        rows(conn, assignments_sql),
        rows(
            conn,
            &format!(
                "SELECT id AS a, title || '|' || slug || '|' || access || '|' || {} || '|' || {} AS b, body AS c FROM pages ORDER BY id",
                t("created_at"),
                t("updated_at")
            ),
        ),
        rows(conn, permissions_sql),
        rows(
            conn,
            &format!(
                "SELECT token_hash AS a, admin_id || '|' || {} || '|' || {} AS b, {} AS c FROM admin_sessions ORDER BY 1",
                t("created_at"),
                t("last_seen_at"),
                t("elevated_until")
            ),
        ),
        rows(
            conn,
            &format!(
                "SELECT token_hash AS a, member_id || '|' || {} AS b, {} AS c FROM member_sessions ORDER BY 1",
                t("last_seen_at"),
                t("created_at")
            ),
        ),
        rows(
            conn,
            &format!(
                "SELECT token_hash AS a, member_id AS b, {} AS c FROM password_links ORDER BY 1",
                t("expires_at")
            ),
        ),
        rows(
            conn,
            &format!(
                "SELECT id AS a, name || '|' || key_hash || '|' || hint || '|' || {} AS b, {} AS c FROM api_keys ORDER BY 1",
                t("created_at"),
                t("last_used_at")
            ),
        ),
        rows(
            conn,
            &format!(
                "SELECT CAST(id AS TEXT) AS a, {} || '|' || actor || '|' || action || '|' || coalesce(badge_id, '') || '|' || target AS b, details || '|' || coalesce(member_id, '') AS c FROM audit_log ORDER BY id",
                t("at")
            ),
        ),
        rows(
            conn,
            &format!(
                "SELECT id AS a, email || '|' || {} AS b, password_hash AS c FROM admins ORDER BY 1",
                t("created_at")
            ),
        ),
    ]
}

#[tokio::test]
async fn a_database_of_the_previous_release_is_upgraded_losing_nothing() {
    // The previous release ran on SQLite only: this test opens its file on SQLite whichever
    // database the other tests use, so it runs once (scripts/test.sh leaves it out of the
    // PostgreSQL pass).
    // Read from a copy: the committed file stays as the old release left it.
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("before.db");
    std::fs::copy(FIXTURE, &copy).expect("copy the fixture");
    let mut old = DbConnection::Sqlite(
        SqliteConnection::establish(&copy.to_string_lossy()).expect("fixture"),
    );
    let before = snapshot(
        &mut old,
        "SELECT badge_id || '|' || member_id AS a, assigned_at AS b, assigned_by AS c \
         FROM member_badges ORDER BY 1",
        "SELECT badge_id || '|' || page_id AS a, NULL AS b, NULL AS c FROM badge_pages ORDER BY 1",
        |column| column.to_string(),
    );
    drop(old);
    assert!(before[2].len() > 50, "the fixture holds assignments");
    assert!(
        before.iter().all(|table| !table.is_empty()),
        "the fixture holds every kind of row"
    );

    let app = spawn_app_on(sqlite_database(), |settings| {
        let insignia::db::Location::Sqlite(path) = &settings.database else {
            unreachable!("sqlite_database() is a SQLite file");
        };
        std::fs::copy(FIXTURE, path).expect("copy the fixture");
    })
    .await;

    let mut conn = app.db();
    let after = snapshot(
        &mut conn,
        "SELECT b.id || '|' || m.id AS a, \
                strftime('%Y-%m-%dT%H:%M:%fZ', mb.assigned_at / 1000.0, 'unixepoch') AS b, \
                mb.assigned_by AS c \
         FROM member_badges mb JOIN badges b ON b.key = mb.badge_key \
         JOIN members m ON m.key = mb.member_key ORDER BY 1",
        "SELECT b.id || '|' || p.id AS a, NULL AS b, NULL AS c FROM badge_pages bp \
         JOIN badges b ON b.key = bp.badge_key JOIN pages p ON p.key = bp.page_key ORDER BY 1",
        // Times were RFC 3339 text and are Unix milliseconds now: the same instants.
        |column| format!("strftime('%Y-%m-%dT%H:%M:%fZ', {column} / 1000.0, 'unixepoch')"),
    );
    for (table, (was, is)) in before.iter().zip(&after).enumerate() {
        assert_eq!(
            was, is,
            "table #{table} of the snapshot changed in the upgrade"
        );
    }
    app.assert_counts_exact();
    // The assignment times read back as the same text the API showed before.
    let (badge, member) = before[2][0].a.split_once('|').expect("pair");
    let shown = insignia::members::profile::badges_of(
        &mut conn,
        &member.into(),
        insignia::members::profile::Audience::Everyone,
    )
    .expect("badges");
    assert!(shown.iter().any(|p| p.badge.id == badge));

    // The name search index still points at the right members.
    let name = before[1][0].b.clone().expect("name");
    let name = name.split('|').next().expect("name");
    let hits = insignia::members::search::members(&mut conn, name, None, 50).expect("search");
    assert!(
        hits.iter().any(|h| h.member.id == before[1][0].a),
        "search finds {name}"
    );

    // A member's history: the set-password link was given to one member.
    let linked = before[7][0].b.clone().expect("member of the link");
    let history = insignia::audit::page(
        &mut conn,
        &insignia::audit::Filter {
            member: Some(linked),
            ..Default::default()
        },
        50,
    )
    .expect("history");
    assert!(history.iter().any(|e| e.action == "member.password_link"));

    // The site answers with the same badges in the same order, and the page stays gated.
    let listed: serde_json::Value = app
        .get("/members/v3/badges?paging.limit=100")
        .await
        .json()
        .await
        .expect("json");
    let mut order: Vec<(i64, String)> = before[0]
        .iter()
        .map(|r| {
            let b = r.b.clone().unwrap_or_default();
            (
                b.split('|').nth(1).unwrap_or("0").parse().unwrap_or(0),
                r.a.clone(),
            )
        })
        .collect();
    order.sort();
    let ids: Vec<&str> = listed["badges"]
        .as_array()
        .expect("badges")
        .iter()
        .map(|b| b["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        ids,
        order.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>()
    );
    let page = app.get("/pages/mentors-room").await;
    assert!(
        !page.status().is_success(),
        "a visitor still cannot open the gated page"
    );
    // Entries about one member are in that member's history.
    assert_eq!(
        count(&mut conn, "audit_members"),
        count(&mut conn, "audit_log WHERE member_id IS NOT NULL")
    );
}

/// Sites made before times were stored one way kept most of them as RFC 3339 text, and events
/// only the label of who made them: on this pass's database, rows written with the schema of
/// then read back as the same instants, in Unix milliseconds, and events know the kind of
/// caller their label named.
#[test]
fn times_and_callers_stored_as_text_come_through_the_upgrade() {
    use diesel::connection::SimpleConnection;
    use diesel::migration::MigrationSource;
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
    const SQLITE: EmbeddedMigrations = embed_migrations!("crates/core/migrations/sqlite");
    const POSTGRES: EmbeddedMigrations = embed_migrations!("crates/core/migrations/postgres");
    /// Runs the migrations before the one that stores times as numbers.
    fn until_times<DB, C>(conn: &mut C, migrations: impl Fn() -> EmbeddedMigrations)
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
        EmbeddedMigrations: MigrationSource<DB>,
    {
        while let Some(next) = conn
            .pending_migrations(migrations())
            .expect("migrations")
            .first()
            .map(|m| m.name().to_string())
        {
            if next.contains("times_as_millis") {
                break;
            }
            conn.run_next_migration(migrations())
                .expect("an earlier migration");
        }
    }
    let scratch = crate::helpers::fresh_database();
    let location = scratch.database();
    let mut conn = if location.starts_with("postgres") {
        let mut pg = diesel::pg::PgConnection::establish(&location).expect("postgres");
        until_times(&mut pg, || POSTGRES);
        DbConnection::Postgres(pg)
    } else {
        let mut lite = SqliteConnection::establish(&location).expect("sqlite");
        // As the server migrates: tables are rebuilt with foreign keys off.
        lite.batch_execute("PRAGMA foreign_keys = OFF")
            .expect("pragma");
        until_times(&mut lite, || SQLITE);
        DbConnection::Sqlite(lite)
    };
    let when = "2026-11-28T09:15:02.123Z";
    let later = "2026-11-30T23:59:59.999Z";
    conn.batch_execute(&format!(
        "INSERT INTO admins (id, email, password_hash, created_at, last_sign_in_at) \
             VALUES ('a1', 'owner@example.org', 'x', '{when}', NULL); \
         INSERT INTO admin_sessions (token_hash, admin_id, created_at, elevated_until, last_seen_at) \
             VALUES ('t1', 'a1', '{when}', '{later}', ''); \
         INSERT INTO members (id, name, name_key, email, slug, created_at) \
             VALUES ('m1', 'Ada', 'ada', 'ada@example.org', 'ada', '{when}'); \
         INSERT INTO badges (id, title, title_key, slug, background_color, text_color, position, \
                             created_at, updated_at) \
             VALUES ('b1', 'Gold', 'gold', 'gold', '#000000', '#FFFFFF', 0, '{when}', '{later}'); \
         INSERT INTO api_keys (id, name, key_hash, hint, created_at, created_by, last_used_at) \
             VALUES ('k1', 'CI', 'h', 'abcd', '{when}', 'owner', '{later}'); \
         INSERT INTO audit_log (at, actor, action) VALUES ('{later}', 'owner', 'badge.create'); \
         INSERT INTO events (kind, badge_id, member_id, actor, occurred_at) VALUES \
             ('badge.assigned', 'b1', 'm1', 'admin owner@example.org', 1), \
             ('badge.assigned', 'b1', 'm1', 'member ada@example.org', 2), \
             ('badge.unassigned', 'b1', 'm1', 'API key “CI”', 3), \
             ('badge.updated', 'b1', NULL, 'system', 4);"
    ))
    .expect("rows of the release before");
    drop(conn);

    let pool = insignia::open_site(&location.as_str().into()).expect("the upgrade runs");
    let mut conn = pool.get().expect("connection");
    let millis = |text: &str| {
        insignia::clock::Timestamp::parse(text)
            .expect("a time")
            .millis()
    };
    #[derive(QueryableByName, Debug, PartialEq)]
    struct Times {
        #[diesel(sql_type = BigInt)]
        a: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        b: Option<i64>,
    }
    let read = |conn: &mut DbConnection, sql: &str| -> Times {
        diesel::sql_query(sql)
            .get_result(conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let (w, l) = (millis(when), millis(later));
    for (sql, expected) in [
        (
            "SELECT created_at AS a, last_sign_in_at AS b FROM admins",
            Times { a: w, b: None },
        ),
        (
            "SELECT created_at AS a, elevated_until AS b FROM admin_sessions",
            Times { a: w, b: Some(l) },
        ),
        (
            "SELECT last_seen_at AS a, CAST(NULL AS BIGINT) AS b FROM admin_sessions",
            Times { a: 0, b: None },
        ),
        (
            "SELECT created_at AS a, CAST(NULL AS BIGINT) AS b FROM members",
            Times { a: w, b: None },
        ),
        (
            "SELECT created_at AS a, updated_at AS b FROM badges",
            Times { a: w, b: Some(l) },
        ),
        (
            "SELECT created_at AS a, last_used_at AS b FROM api_keys",
            Times { a: w, b: Some(l) },
        ),
        (
            "SELECT at AS a, CAST(NULL AS BIGINT) AS b FROM audit_log",
            Times { a: l, b: None },
        ),
    ] {
        assert_eq!(read(&mut conn, sql), expected, "{sql}");
    }
    // Events from before say what kind of caller made them, as their labels did.
    let kinds: Vec<String> = insignia::db::schema::events::table
        .order(insignia::db::schema::events::occurred_at)
        .select(insignia::db::schema::events::actor_kind)
        .load(&mut conn)
        .expect("events");
    assert_eq!(kinds, ["admin", "member", "api_key", "system"]);
    // And they read back as the text they were.
    let badge = insignia::badges::store::find(&mut conn, &"b1".into()).expect("the badge");
    assert_eq!(badge.created_at.to_string(), when);
    assert_eq!(badge.updated_at.to_string(), later);
}
