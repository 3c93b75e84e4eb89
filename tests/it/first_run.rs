//! The first run of a new site: only whoever can read the server's log sets it up, and nobody
//! signs up before the owner exists.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{ADMIN_PASSWORD, fresh_database, spawn_app, to_page};

/// The fields of the setup form, with `code` as the code.
fn setup_fields<'a>(email: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("email", email),
        ("password", ADMIN_PASSWORD),
        ("password_confirm", ADMIN_PASSWORD),
        ("code", code),
    ]
}

#[tokio::test]
async fn setup_needs_the_sites_setup_code() {
    let app = spawn_app().await;
    let admins = |app: &crate::helpers::TestApp| insignia::auth::admins::count(&mut app.db()).ok();

    // Without the code, the page asks for it.
    let page = app.page("/dashboard/setup").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("input#code[name=code]"), "{}", page.text);
    assert!(!page.has("#code-error"));

    // A stranger without the code, or with a wrong one, makes nobody admin.
    let stranger = app.new_visitor();
    let link = app.setup_link();
    let code = link.rsplit_once('=').map(|(_, c)| c.to_string()).unwrap();
    let last = if code.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &code[..code.len() - 1]);
    for tried in ["", wrong.as_str()] {
        let res = stranger
            .submit(
                "/dashboard/setup",
                "/dashboard/setup",
                &setup_fields("intruder@example.com", tried),
            )
            .await;
        let page = to_page(res).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "code {tried:?}");
        assert!(page.text_of("#code-error").contains("setup code"));
        assert_eq!(
            page.attr("#email", "value").as_deref(),
            Some("intruder@example.com"),
            "what was typed is kept"
        );
        assert_eq!(admins(&app), Some(0));
    }
    let page = stranger
        .page(&format!("/dashboard/setup?code={wrong}"))
        .await;
    assert!(page.has("#code-error"), "a wrong code in the link is named");

    // The link with the code fills it in and works.
    let page = app.page(&link).await;
    assert!(page.has("input[type=hidden][name=code]"));
    assert!(!page.has("input#code"));
    let res = app
        .submit(
            &link,
            "/dashboard/setup",
            &setup_fields("owner@example.com", &code),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(admins(&app), Some(1));

    // The code died with the first admin: its link is gone, and so is setup.
    assert_eq!(insignia::auth::setup::code(&mut app.db()).unwrap(), None);
    assert_eq!(stranger.page(&link).await.status, StatusCode::NOT_FOUND);
    let res = stranger
        .submit(
            "/dashboard/login",
            "/dashboard/setup",
            &setup_fields("intruder@example.com", &code),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(admins(&app), Some(1));
}

#[tokio::test]
async fn guessing_the_setup_code_is_throttled() {
    let app = spawn_app().await;
    let guesser = app.new_visitor();
    let mut statuses = Vec::new();
    for i in 0..12 {
        let guess = format!("{i:064x}");
        let res = guesser
            .submit(
                "/dashboard/setup",
                "/dashboard/setup",
                &setup_fields("intruder@example.com", &guess),
            )
            .await;
        statuses.push(res.status());
    }
    assert_eq!(statuses[..10], [StatusCode::FORBIDDEN; 10]);
    assert_eq!(statuses[10..], [StatusCode::TOO_MANY_REQUESTS; 2]);
    assert_eq!(insignia::auth::admins::count(&mut app.db()).ok(), Some(0));
    // Trying codes in the address is budgeted the same way.
    let res = guesser
        .get(&format!("/dashboard/setup?code={:064x}", 99))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Someone else, elsewhere, still sets the site up with the code.
    let owner = app.visitor_from("127.0.0.2");
    owner.setup_admin().await;
}

#[tokio::test]
async fn members_cannot_sign_up_before_the_site_is_set_up() {
    let app = spawn_app().await;
    let page = app.page("/signup").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text.contains("not set up yet"), "{}", page.text);
    let token = app.page("/login").await.csrf_token();
    let res = app
        .post_form(
            "/signup",
            &[
                ("name", "Early Bird"),
                ("email", "early@example.com"),
                ("password", "a long enough password"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.member_count(), 0);
    // Health checks and the API's reads do not wait for setup.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/members/v3/badges").await.status(), StatusCode::OK);

    app.setup_admin().await;
    assert_eq!(
        app.new_visitor().page("/signup").await.status,
        StatusCode::OK
    );
}

/// Starts `insignia serve` on `database` and returns the process and the lines of its log
/// up to the one that says it is listening.
async fn serve_and_read_log(database: &str, public_url: &str) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database",
            database,
            "--public-url",
            public_url,
        ])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let started = Instant::now();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await
    {
        log.push_str(&line);
        log.push('\n');
        if line.contains("Insignia listening on") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no start:\n{log}"
        );
    }
    (server, log)
}

#[tokio::test]
async fn serve_logs_the_setup_link_until_the_site_has_an_admin() {
    let scratch = fresh_database();
    let database = scratch.database();
    let (mut server, log) = serve_and_read_log(&database, "https://badges.example/club").await;
    server.kill().await.unwrap();
    let prefix = "https://badges.example/club/dashboard/setup?code=";
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(prefix)).collect();
    assert_eq!(lines.len(), 1, "one line with the link:\n{log}");
    let code: String = lines[0]
        .split(prefix)
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();

    // A server started on the same site accepts the code from the log.
    let app = crate::helpers::spawn_app_on(scratch, |_| {}).await;
    let link = format!("/dashboard/setup?code={code}");
    let res = app
        .submit(
            &link,
            "/dashboard/setup",
            &setup_fields("owner@example.com", &code),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the logged code works");

    let (mut server, log) = serve_and_read_log(&database, "https://badges.example/club").await;
    server.kill().await.unwrap();
    assert!(!log.contains("setup?code="), "no link once set up:\n{log}");
}
