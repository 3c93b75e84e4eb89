//! A database made by the release before integer keys (`tests/fixtures/v0.1-schema5.db`, made
//! by `scripts/make-upgrade-fixture.py` with that release) is upgraded in place on start and
//! loses nothing: every row keeps its public id, times and stored counts, and the site
//! answers as it did.

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
) -> Vec<Vec<Row>> {
    vec![
        rows(
            conn,
            "SELECT id AS a, title || '|' || position || '|' || member_count || '|' || slug AS b, description || icon || background_color || text_color || permissions_enabled || self_assignable AS c FROM badges ORDER BY id",
        ),
        rows(
            conn,
            "SELECT id AS a, name || '|' || email || '|' || slug || '|' || badge_count AS b, password_hash AS c FROM members ORDER BY id",
        ),
        rows(conn, assignments_sql),
        rows(
            conn,
            "SELECT id AS a, title || '|' || slug || '|' || access AS b, body AS c FROM pages ORDER BY id",
        ),
        rows(conn, permissions_sql),
        rows(
            conn,
            "SELECT token_hash AS a, admin_id || '|' || created_at || '|' || last_seen_at AS b, elevated_until AS c FROM admin_sessions ORDER BY 1",
        ),
        rows(
            conn,
            "SELECT token_hash AS a, member_id || '|' || last_seen_at AS b, created_at AS c FROM member_sessions ORDER BY 1",
        ),
        rows(
            conn,
            "SELECT token_hash AS a, member_id AS b, expires_at AS c FROM password_links ORDER BY 1",
        ),
        rows(
            conn,
            "SELECT id AS a, name || '|' || key_hash || '|' || hint AS b, last_used_at AS c FROM api_keys ORDER BY 1",
        ),
        rows(
            conn,
            "SELECT CAST(id AS TEXT) AS a, at || '|' || actor || '|' || action || '|' || coalesce(badge_id, '') || '|' || target AS b, details || '|' || coalesce(member_id, '') AS c FROM audit_log ORDER BY id",
        ),
        rows(
            conn,
            "SELECT id AS a, email AS b, password_hash AS c FROM admins ORDER BY 1",
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
        member,
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
