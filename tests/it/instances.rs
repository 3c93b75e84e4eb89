//! Two Insignia servers on one PostgreSQL database serve one site: a second `insignia serve`
//! process beside the test's own server, and a browser (or a program) that talks to both.
//! These run only on PostgreSQL (`INSIGNIA_TEST_POSTGRES`); SQLite is one process's file.

use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, demo_password, location, postgres_server, run_demo,
    spawn_app_with, to_page,
};

/// A second server: the real binary, as an operator starts it, on the test app's database.
struct SecondServer {
    address: String,
    _process: tokio::process::Child,
}

async fn second_server(app: &TestApp, writes_per_minute: u32) -> SecondServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = tokio::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args([
            "serve",
            "--database",
            &app.database,
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--api-writes-per-minute",
            &writes_per_minute.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start a second server");
    let address = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{address}/healthz")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the second server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    SecondServer {
        address,
        _process: process,
    }
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn sessions_limits_and_the_badge_order_are_one_sites_on_two_servers() {
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let a = spawn_app_with(|s| s.api_writes_per_minute = 3).await;
    let second = second_server(&a, 3).await;
    a.setup_admin().await;
    let b = a.on(&second.address);

    // Signed in (and elevated) on A: the same cookie is the same session on B, CSRF included.
    let dashboard = b.page("/dashboard/badges").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.text.contains(ADMIN_EMAIL), "signed in on B too");
    b.create_badge("Made on B").await;
    assert_eq!(a.badge_titles(), ["Made on B"]);

    // A reorder on B makes A's list stale.
    a.create_badge("Second").await;
    let list_on_a = a.page("/dashboard/badges").await;
    let stale = list_on_a
        .attr("#badge-list", "data-order-version")
        .expect("version");
    let ids: Vec<String> = a
        .badges()
        .into_iter()
        .map(|badge| badge.id.into_string())
        .collect();
    let current = b
        .page("/dashboard/badges")
        .await
        .attr("#badge-list", "data-order-version")
        .expect("version");
    assert_eq!(current, stale, "both servers show the same order");
    let moved = b
        .submit(
            "/dashboard/badges",
            &format!("/dashboard/badges/{}/move", ids[1]),
            &[("direction", "up"), ("order_version", &current)],
        )
        .await;
    assert!(location(&moved).starts_with("/dashboard/badges"));
    let reordered = a.badge_titles();
    assert_eq!(reordered, ["Second", "Made on B"]);
    let refused = a
        .client
        .post(a.url("/dashboard/badges/order"))
        .header("hx-request", "true")
        .header("x-csrf-token", list_on_a.csrf_token())
        .form(&[
            ("badge_id", ids[0].as_str()),
            ("badge_id", ids[1].as_str()),
            ("order_version", stale.as_str()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        a.badge_titles(),
        reordered,
        "the stale order changed nothing"
    );

    // The JSON API's write budget (3 a minute here) is one budget across both servers.
    let key = a.create_api_key("two servers").await;
    let create = |server: &TestApp, title: &str| {
        let server = server.clone_client();
        let key = key.clone();
        let title = title.to_string();
        async move {
            server
                .api(
                    Method::POST,
                    "/members/v3/badges",
                    Some(&key),
                    Some(json!({"badge": {"title": title}})),
                )
                .await
                .status
        }
    };
    assert_eq!(create(&a, "Api 1").await, StatusCode::OK);
    assert_eq!(create(&b, "Api 2").await, StatusCode::OK);
    assert_eq!(create(&a, "Api 3").await, StatusCode::OK);
    assert_eq!(create(&b, "Api 4").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(create(&a, "Api 5").await, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        !a.badge_titles()
            .iter()
            .any(|t| t == "Api 4" || t == "Api 5")
    );

    // Signing out on B ends the session on A as well.
    let signed_out = b
        .submit("/dashboard/badges", "/dashboard/logout", &[])
        .await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let after = a.get("/dashboard/badges").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert!(location(&after).starts_with("/dashboard/login"));

    // Failed sign-ins count across servers: five on A, and B refuses the sixth attempt.
    for _ in 0..5 {
        a.sign_in(ADMIN_EMAIL, "wrong password!").await;
    }
    let refused = to_page(b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn concurrent_bulk_changes_on_two_servers_keep_every_count_exact() {
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let a = spawn_app_with(|s| s.api_writes_per_minute = 1_000_000).await;
    let second = second_server(&a, 1_000_000).await;
    a.setup_admin().await;
    let key = a.create_api_key("racer").await;
    let badges = vec![a.create_badge("Red").await, a.create_badge("Blue").await];
    let members = a.insert_members(300, "Racer");
    let b = a.on(&second.address);

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut workers = Vec::new();
    for (n, server) in [&a, &b, &a, &b, &a, &b].into_iter().enumerate() {
        let (server, key, badges, members) = (
            server.clone_client(),
            key.clone(),
            badges.clone(),
            members.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut problems = Vec::new();
            let mut changes = 0;
            while Instant::now() < deadline {
                let (badge, chosen, method) = {
                    let mut rng = rand::rng();
                    let chosen: Vec<&String> = members.choose_multiple(&mut rng, 120).collect();
                    let method = if rand::random_bool(0.5) {
                        Method::POST
                    } else {
                        Method::DELETE
                    };
                    (
                        badges.choose(&mut rng).unwrap().clone(),
                        chosen.into_iter().cloned().collect::<Vec<_>>(),
                        method,
                    )
                };
                let reply = server
                    .api(
                        method.clone(),
                        &format!("/members/v3/badges/{badge}/members"),
                        Some(&key),
                        Some(json!({"memberIds": chosen})),
                    )
                    .await;
                changes += 1;
                if reply.status != StatusCode::OK {
                    problems.push(format!(
                        "worker {n}: {method} {}: {}",
                        reply.status, reply.body
                    ));
                }
            }
            (changes, problems)
        }));
    }
    let mut total = 0;
    for worker in workers {
        let (changes, problems) = worker.await.expect("worker");
        assert!(problems.is_empty(), "{problems:#?}");
        total += changes;
    }
    assert!(total > 60, "only {total} changes were made in 30 s");
    a.assert_counts_exact();
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn two_servers_take_each_expired_assignment_away_once() {
    use diesel::prelude::*;
    use insignia::db::schema::events;
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let a = spawn_app_with(|s| s.api_writes_per_minute = 1_000_000).await;
    let _second = second_server(&a, 1_000_000).await;
    a.setup_admin().await;
    let key = a.create_api_key("timed").await;
    let badge = a.create_badge("Day Pass").await;
    let members = a.insert_members(40, "Visitor");
    let ends = insignia::clock::Timestamp::now() + time::Duration::seconds(3);
    let given = a
        .api(
            Method::POST,
            &format!("/insignia/v1/badges/{badge}/members"),
            Some(&key),
            Some(json!({"memberIds": members, "expiresDate": ends.to_string()})),
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.body);
    let started = Instant::now();
    while !a.assignments().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(75),
            "expired assignments are taken away within a minute of their end"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Both runners looked; one took each away.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let unassigned: i64 = events::table
        .filter(events::kind.eq("badge.unassigned"))
        .count()
        .get_result(&mut a.db())
        .expect("events");
    assert_eq!(unassigned, 40, "one badge.unassigned per assignment");
    let by_expiry = insignia::audit::page(&mut a.db(), &Default::default(), 50)
        .expect("audit")
        .into_iter()
        .filter(|e| e.actor == "expired")
        .count();
    assert_eq!(by_expiry, 1, "one audit entry for the one pass");
    a.assert_counts_exact();
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn a_give_on_another_badge_is_answered_while_a_long_bulk_change_runs() {
    use diesel::prelude::*;
    use insignia::db::schema::members;
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    const LINES: usize = 30_000;
    let a = spawn_app_with(|_| {}).await;
    let demo = run_demo(&a, "31000", "100");
    assert!(demo.status.success(), "{demo:?}");
    assert_eq!(
        a.sign_in("admin@example.com", &demo_password(&demo))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let second = second_server(&a, 1_000_000).await;
    let b = a.on(&second.address);
    let site = a.badges();
    let (long, short) = (&site[0], &site[1]);
    let people: Vec<(String, String)> = members::table
        .order(members::key)
        .select((members::id, members::email))
        .limit(LINES as i64 + 1)
        .load(&mut a.db())
        .expect("e-mails");
    let (one, many) = people.split_last().expect("members");
    let many: Vec<&str> = many.iter().map(|(_, email)| email.as_str()).collect();

    let page = format!("/dashboard/badges/{}", long.id);
    let pasted = many.join("\n");
    let bulk = {
        let a = a.clone_client();
        tokio::spawn(async move {
            a.submit(
                &page,
                &format!("{page}/members"),
                &[("bulk", &pasted), ("action", "assign")],
            )
            .await
            .status()
        })
    };
    // Until the bulk change's transaction is under way (it stages the pasted lines first).
    let running = |conn: &mut insignia::db::DbConnection| -> bool {
        #[derive(QueryableByName)]
        struct Running {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() \
             AND datname = current_database() AND xact_start IS NOT NULL \
             AND query LIKE '%staged\\_%'",
        )
        .get_result::<Running>(conn)
        .expect("activity")
        .n > 0
    };
    let mut conn = a.db();
    while !running(&mut conn) {
        assert!(
            !bulk.is_finished(),
            "the bulk change ended before it was seen running"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let short_page = format!("/dashboard/badges/{}", short.id);
    let given = b
        .submit(
            &short_page,
            &format!("{short_page}/members"),
            &[("bulk", one.1.as_str()), ("action", "assign")],
        )
        .await;
    assert_eq!(given.status(), StatusCode::SEE_OTHER);
    let long_now = a
        .badges()
        .into_iter()
        .find(|b| b.id == long.id)
        .expect("badge");
    assert_eq!(
        long_now.member_count, long.member_count,
        "the give on another badge was answered before the bulk change took effect"
    );
    assert_eq!(bulk.await.expect("bulk"), StatusCode::SEE_OTHER);
    let after = a.badges();
    let count = |id: &insignia::ids::BadgeId| {
        after
            .iter()
            .find(|b| &b.id == id)
            .expect("badge")
            .member_count
    };
    assert!(
        count(&long.id) >= LINES as i64,
        "the bulk change gave every line"
    );
    assert!(count(&short.id) > 0);
    assert!(
        a.assignments()
            .contains(&(short.id.to_string(), one.0.clone())),
        "the give on the other badge was made"
    );
    a.assert_counts_exact();
}
