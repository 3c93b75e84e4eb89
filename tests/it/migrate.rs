//! `insignia migrate`: a whole site moves from its SQLite file to an empty PostgreSQL database
//! and works there as before. Runs in the PostgreSQL pass (`INSIGNIA_TEST_POSTGRES`).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, fresh_database, location, postgres_server, spawn_app_on,
    sqlite_database,
};

/// `insignia migrate`, with the target as `--to`.
fn migrate(from: &str, to: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["migrate", "--from", from, "--to", to])
        .output()
        .expect("run migrate")
}

/// `insignia migrate`, with the target (and its password) in `INSIGNIA_MIGRATE_TO`, out of
/// the process list.
fn migrate_to_environment(from: &str, to: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["migrate", "--from", from])
        .env("INSIGNIA_MIGRATE_TO", to)
        .output()
        .expect("run migrate")
}

/// Everything a user or a program could notice, read through the site itself.
async fn what_people_see(app: &TestApp, key: &str) -> (serde_json::Value, Vec<serde_json::Value>) {
    let badges = app
        .api(Method::GET, "/members/v3/badges", Some(key), None)
        .await;
    assert_eq!(badges.status, StatusCode::OK);
    let mut holders = Vec::new();
    for badge in badges.body["badges"].as_array().expect("badges") {
        let id = badge["id"].as_str().expect("id");
        let reply = app
            .api(
                Method::GET,
                &format!("/members/v3/badges/{id}/members"),
                Some(key),
                None,
            )
            .await;
        holders.push(reply.body);
    }
    (badges.body, holders)
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn a_sqlite_site_moves_to_postgresql_and_works_the_same() {
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let old = spawn_app_on(sqlite_database(), |_| {}).await;
    old.setup_admin().await;
    let key = old.create_api_key("moving").await;
    let gold = old.create_badge("Gold").await;
    let silver = old.create_badge("Silver").await;
    let members = old.insert_members(40, "Mover");
    for (badge, some) in [(&gold, &members[..30]), (&silver, &members[10..])] {
        let reply = old
            .api(
                Method::POST,
                &format!("/members/v3/badges/{badge}/members"),
                Some(&key),
                Some(json!({"memberIds": some})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let member = old.new_visitor();
    member
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Ada Lovelace"),
                ("email", "ada@example.com"),
                ("password", "member password 1"),
            ],
        )
        .await;
    let before = what_people_see(&old, &key).await;
    let audit_before = old.audit_actions();

    let target = fresh_database();
    let out = migrate_to_environment(&old.database, &target.database());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified"));

    let new = spawn_app_on(target, |_| {}).await;
    // Same badges, order, ids, counts and holders; the same API key and passwords work.
    assert_eq!(what_people_see(&new, &key).await, before);
    assert_eq!(new.audit_actions(), audit_before);
    new.assert_counts_exact();
    let res = new.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(location(&res), "/dashboard/badges");
    let signed_in = new.new_visitor();
    let res = signed_in
        .submit(
            "/login",
            "/login",
            &[
                ("email", "ada@example.com"),
                ("password", "member password 1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.page("/me").await.status, StatusCode::OK);
    // New rows get keys after the copied ones.
    new.create_badge("Bronze").await;
    new.create_member("Grace Hopper", "grace@example.com").await;
    new.assert_counts_exact();

    // A database with data is never written into.
    let again = migrate(&old.database, &new.database);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has data"));
    assert_eq!(new.badge_titles(), ["Gold", "Silver", "Bronze"]);
}
