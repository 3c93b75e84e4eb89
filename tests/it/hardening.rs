//! What a security review found: sign-in throttling that strangers cannot turn against the
//! owner, links that request headers cannot bend, sessions that end, caches kept away from
//! private pages, and bodies that are refused clearly instead of damaged.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, BadgeFields, TestApp, fresh_database, location, spawn_app,
    spawn_app_with, to_page,
};

const MEMBER_PASSWORD: &str = "member password 1";

async fn with_member(app: &TestApp, name: &str, email: &str) {
    app.submit(
        "/signup",
        "/signup",
        &[
            ("name", name),
            ("email", email),
            ("password", MEMBER_PASSWORD),
        ],
    )
    .await;
}

async fn member_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.submit(
        "/login",
        "/login",
        &[("email", email), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn strangers_guessing_cannot_lock_the_owner_out() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let stranger = app.visitor_from("127.0.0.2");
    for _ in 0..6 {
        stranger.sign_in(ADMIN_EMAIL, "wrong password!").await;
    }
    let refused = to_page(stranger.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .text_of(".form-error")
            .contains("Too many failed sign-ins")
    );

    // The owner, from their own address, still signs in; their signed-in session still
    // confirms its password for elevation.
    let owner = app.new_visitor();
    let res = owner.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        owner.get("/dashboard/badges").await.status(),
        StatusCode::OK
    );
    owner.end_elevation().await;
    let res = owner
        .submit(
            "/dashboard/elevate",
            "/dashboard/elevate",
            &[("password", ADMIN_PASSWORD), ("next", "/dashboard/badges")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/dashboard/badges");
}

#[tokio::test]
async fn wrong_elevation_passwords_count_per_session_not_per_account() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.end_elevation().await;
    for _ in 0..5 {
        let res = app
            .submit(
                "/dashboard/elevate",
                "/dashboard/elevate",
                &[
                    ("password", "wrong password!"),
                    ("next", "/dashboard/badges"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .submit(
            "/dashboard/elevate",
            "/dashboard/elevate",
            &[("password", ADMIN_PASSWORD), ("next", "/dashboard/badges")],
        )
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    // The sign-in form is a different counter: a new session from the same place signs in.
    let again = app.new_visitor();
    assert_eq!(
        again.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

/// Sends `n` sign-ins at once from one client and counts the answers by status.
async fn parallel_guesses(app: &TestApp, path: &str, email: &str, n: usize) -> (usize, usize) {
    let token = app.page(path).await.csrf_token();
    let guesses = (0..n).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url(path), token.clone());
        let email = email.to_string();
        async move {
            client
                .post(url)
                .form(&[
                    ("email", email.as_str()),
                    ("password", &format!("wrong guess {i}")),
                    ("csrf_token", token.as_str()),
                ])
                .send()
                .await
                .expect("request")
                .status()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, n, "every guess answered: {statuses:?}");
    (checked, refused)
}

#[tokio::test]
async fn parallel_guesses_get_exactly_five_passwords_checked() {
    let app = spawn_app_with(|s| s.workers = Some(2)).await;
    app.setup_admin().await;
    with_member(&app.new_visitor(), "Ada Lovelace", "ada@example.com").await;
    let stranger = app.visitor_from("127.0.0.3");
    assert_eq!(
        parallel_guesses(&stranger, "/dashboard/login", ADMIN_EMAIL, 40).await,
        (5, 35)
    );
    assert_eq!(
        parallel_guesses(&stranger, "/login", "ada@example.com", 40).await,
        (5, 35)
    );
    // The member, from elsewhere, is not locked out by it.
    let ada = app.new_visitor();
    let res = member_login(&ada, "ada@example.com", MEMBER_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn links_use_the_configured_address_whatever_the_request_headers_say() {
    let public = insignia::config::PublicUrl::parse("https://badges.example.org").unwrap();
    let app = spawn_app_with(|s| s.public_url = Some(public)).await;
    app.setup_admin().await;
    let id = app.create_member("Grace Hopper", "grace@example.com").await;
    let page = format!("/dashboard/members/{id}");
    let token = app.page(&page).await.csrf_token();
    let res = app
        .client
        .post(app.url(&format!("{page}/password-link")))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Proto", "javascript")
        .header("Forwarded", "proto=javascript;host=evil.example")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let shown = to_page(res).await;
    let link = shown.attr("#password-link", "value").expect("link shown");
    assert!(
        link.starts_with("https://badges.example.org/set-password/"),
        "{link}"
    );

    let keys = to_page(
        app.client
            .get(app.url("/dashboard/api-keys"))
            .header("X-Forwarded-Proto", "javascript")
            .header("X-Forwarded-Host", "evil.example")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!keys.text.contains("evil.example"));
    assert!(!keys.text.contains("javascript:"));
}

#[tokio::test]
async fn without_a_public_url_links_point_at_the_listening_address() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let id = app.create_member("Grace Hopper", "grace@example.com").await;
    let page = format!("/dashboard/members/{id}");
    let token = app.page(&page).await.csrf_token();
    let res = app
        .client
        .post(app.url(&format!("{page}/password-link")))
        .header("X-Forwarded-Host", "evil.example")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let link = to_page(res)
        .await
        .attr("#password-link", "value")
        .expect("link shown");
    assert!(
        link.starts_with(&format!("{}/set-password/", app.address)),
        "{link}"
    );
}

/// Moves every session of `table` back in time: made `created_ago`, last seen `seen_ago`.
fn set_session_times(app: &TestApp, table: &str, created_ago: Duration, seen_ago: Duration) {
    let ago = |d: Duration| insignia::clock::now_millis() - d.as_millis() as i64;
    let mut conn = app.db();
    diesel::sql_query(conn.sql(&format!(
        "UPDATE {table} SET created_at = ?, last_seen_at = ?"
    )))
    .bind::<diesel::sql_types::BigInt, _>(ago(created_ago))
    .bind::<diesel::sql_types::BigInt, _>(ago(seen_ago))
    .execute(&mut conn)
    .unwrap();
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn admin_sessions_end_after_twelve_idle_hours_or_seven_days() {
    let app = spawn_app().await;
    app.setup_admin().await;
    set_session_times(&app, "admin_sessions", 2 * DAY, 11 * HOUR);
    assert_eq!(app.get("/dashboard/badges").await.status(), StatusCode::OK);
    // That visit counted as activity: the idle clock starts again.
    set_session_times(&app, "admin_sessions", 2 * DAY, 13 * HOUR);
    let res = app.get("/dashboard/badges").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/dashboard/login"));

    let app = spawn_app().await;
    app.setup_admin().await;
    set_session_times(&app, "admin_sessions", 8 * DAY, MINUTE);
    let res = app.get("/dashboard/badges").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let left: i64 = diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM admin_sessions)",
    ))
    .get_result(&mut app.db())
    .unwrap();
    assert_eq!(left, 0, "the expired session is gone from the server");
}

#[tokio::test]
async fn member_sessions_end_after_thirty_idle_days() {
    let app = spawn_app().await;
    app.set_up_elsewhere().await;
    with_member(&app, "Ada Lovelace", "ada@example.com").await;
    set_session_times(&app, "member_sessions", 60 * DAY, 29 * DAY);
    assert_eq!(app.get("/me").await.status(), StatusCode::OK);
    set_session_times(&app, "member_sessions", 60 * DAY, 31 * DAY);
    let res = app.get("/me").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"));
}

#[tokio::test]
async fn private_pages_are_never_stored_by_caches() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let id = app.create_member("Grace Hopper", "grace@example.com").await;
    for path in [
        "/dashboard/badges".to_string(),
        "/dashboard/members".to_string(),
        format!("/dashboard/members/{id}"),
        "/dashboard/api-keys".to_string(),
        "/dashboard/login".to_string(),
        "/login".to_string(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(
            res.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    let page = format!("/dashboard/members/{id}");
    let res = app
        .submit(&page, &format!("{page}/password-link"), &[])
        .await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let link = to_page(res)
        .await
        .attr("#password-link", "value")
        .expect("link");
    let path = &link[link.find("/set-password/").expect("path")..];
    let res = app.new_visitor().get(path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    // Static files stay cacheable.
    let css = app.get("/static/css/insignia.css").await;
    assert_ne!(
        css.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

#[tokio::test]
async fn an_oversized_form_is_refused_as_too_large_before_its_token_is_judged() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let id = app.create_badge("Gold").await;
    let page = format!("/dashboard/badges/{id}");
    let huge = "someone@example.com\n".repeat(9 * 1024 * 1024 / 20);
    let res = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("bulk", huge.as_str()), ("action", "dry_run")],
        )
        .await;
    let refused = to_page(res).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        refused.text.contains("larger than 8 MB"),
        "{}",
        refused.text
    );
    assert!(!refused.text.contains("expired"));
}

#[tokio::test]
async fn a_form_that_is_not_utf8_is_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let token = app.page("/dashboard/members/new").await.csrf_token();
    let body = format!("name=Gr%FFce&email=grace%40example.com&csrf_token={token}");
    let res = app
        .client
        .post(app.url("/dashboard/members/new"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let refused = to_page(res).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text.contains("not valid UTF-8"));
    assert_eq!(app.member_count(), 0);

    // The same in a badge title sent by htmx (token in the header, not the body).
    let res = app
        .client
        .post(app.url("/dashboard/members/new"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-csrf-token", token.as_str())
        .header("hx-request", "true")
        .body("name=Gr%C3ce&email=grace%40example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.member_count(), 0);
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_badge("Gold").await;
    for path in [
        "/",
        "/members",
        "/static/css/insignia.css",
        "/healthz",
        "/dashboard/badges",
    ] {
        let get = app.get(path).await;
        let (status, content_type) = (get.status(), get.headers().get("content-type").cloned());
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), status, "{path}");
        assert_eq!(
            head.headers().get("content-type").cloned(),
            content_type,
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn a_long_write_makes_other_writers_wait_instead_of_failing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let token = app.page("/dashboard/badges/new").await.csrf_token();
    // Another writer holds the database for longer than writers used to wait (5 s).
    let mut conn = app.db();
    let holder = std::thread::spawn(move || {
        let begin = match conn.backend() {
            insignia::db::BackendKind::Sqlite => "BEGIN IMMEDIATE".to_string(),
            insignia::db::BackendKind::Postgres => format!(
                "BEGIN; SELECT pg_advisory_xact_lock({})",
                insignia::db::WRITE_LOCK
            ),
        };
        conn.batch_execute(&begin).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(7));
        conn.batch_execute("COMMIT").unwrap();
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let res = app
        .post_badge(
            "/dashboard/badges/new",
            &BadgeFields::titled("Gold"),
            Some(&token),
        )
        .await;
    holder.join().unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.badge_titles(), vec!["Gold".to_string()]);
}

/// The real binary, as an operator starts it, on `database`, its log (stderr) going to
/// `log_path`. Returns once it answers, with its address.
async fn serve_with_log(
    database: &str,
    log_path: &std::path::Path,
) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = tokio::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database",
            database,
        ])
        .env("RUST_LOG", "info")
        .env_remove("INSIGNIA_PUBLIC_URL")
        .stderr(std::fs::File::create(log_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "server did not start");
    (server, base)
}

#[tokio::test]
async fn secrets_in_requests_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("insignia.db").to_string_lossy().to_string();
    let log_path = dir.path().join("stderr.log");
    let (mut server, base) = serve_with_log(&db, &log_path).await;
    let client = reqwest::Client::new();

    const TOKEN: &str = "c0ffee5ecret70ken";
    const KEY: &str = "insignia_5ecretapikey";
    const PASSWORD: &str = "my 5ecret password";
    client
        .get(format!("{base}/set-password/{TOKEN}"))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{base}/set-password/{TOKEN}?token={TOKEN}"))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{base}/members/v3/badges"))
        .header("Authorization", KEY)
        .send()
        .await
        .unwrap();
    client
        .post(format!("{base}/dashboard/login"))
        .form(&[("email", "owner@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    client
        .get(format!("{base}/nowhere/{TOKEN}"))
        .send()
        .await
        .unwrap();
    server.kill().await.unwrap();

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("/set-password/{token}"),
        "requests are logged by their route:\n{log}"
    );
    // Every secret sent above contains this.
    assert!(!log.contains("5ecret"), "a secret reached the log:\n{log}");
}

#[tokio::test]
async fn a_database_password_never_reaches_the_log_or_an_error() {
    // Nothing listens on port 1: the server cannot start, and says why.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args([
            "serve",
            "--database",
            "postgres://insignia:hunter2secret@127.0.0.1:1/insignia",
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("postgres://insignia:***@127.0.0.1:1/insignia"),
        "{said}"
    );
    assert!(!said.contains("hunter2secret"), "{said}");
}

#[tokio::test]
async fn a_first_start_and_signed_out_visitors_log_no_error() {
    // A new database: a new SQLite file, or a new PostgreSQL database when the tests run there.
    let scratch = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let (mut server, base) = serve_with_log(&scratch.database(), &log_path).await;
    // A visitor opens /me (sent to sign in) and the dashboard (sent to create its admin).
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, sign_in) in [("/me", "/login?next="), ("/dashboard", "/dashboard/setup")] {
        let res = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&res).starts_with(sign_in), "{path}");
    }
    server.kill().await.unwrap();

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("route=\"/me\"") && log.contains("route=\"/dashboard\""),
        "the requests are logged:\n{log}"
    );
    assert!(!log.contains("ERROR"), "nothing went wrong, yet:\n{log}");
}
