//! Setup, sign-in, throttling, sign-out and elevation.

use reqwest::StatusCode;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, location, spawn_app, to_page};

#[tokio::test]
async fn setup_exists_only_until_the_first_admin() {
    let app = spawn_app().await;
    let res = app.get("/dashboard").await;
    assert_eq!(location(&res), "/dashboard/setup");

    app.setup_admin().await;
    let page = app.page("/dashboard/badges").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(ADMIN_EMAIL));
    assert!(
        page.text.contains("Elevated"),
        "a fresh session starts elevated"
    );

    let visitor = app.new_visitor();
    assert_eq!(
        visitor.page("/dashboard/setup").await.status,
        StatusCode::NOT_FOUND
    );
    // A second setup POST, even with a valid token, creates nobody.
    let token = visitor.page("/dashboard/login").await.csrf_token();
    let res = visitor
        .post_form(
            "/dashboard/setup",
            &[
                ("email", "intruder@example.com"),
                ("password", "another long password"),
                ("password_confirm", "another long password"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(insignia::auth::admins::count(&mut app.db()).ok(), Some(1));
}

#[tokio::test]
async fn setup_validates_and_keeps_the_email() {
    let app = spawn_app().await;
    let link = app.setup_link();
    let code = link.rsplit_once('=').map(|(_, c)| c.to_string()).unwrap();
    let res = app
        .submit(
            &link,
            "/dashboard/setup",
            &[
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirm", "different"),
                ("code", &code),
            ],
        )
        .await;
    let page = to_page(res).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.attr("#email", "value").as_deref(),
        Some("not-an-email")
    );
    assert!(page.text_of("#email-error").contains("e-mail address"));
    assert!(
        page.text_of("#password_confirm-error")
            .contains("does not match")
    );
    assert_eq!(insignia::auth::admins::count(&mut app.db()).ok(), Some(0));
}

#[tokio::test]
async fn wrong_password_is_refused_and_repeated_failures_are_slowed_down() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let other = app.new_visitor();
    let res = other.sign_in(ADMIN_EMAIL, "wrong password!").await;
    let page = to_page(res).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.text_of(".form-error").contains("not right"));
    assert_eq!(page.attr("#email", "value").as_deref(), Some(ADMIN_EMAIL));
    for _ in 0..4 {
        other.sign_in(ADMIN_EMAIL, "wrong password!").await;
    }
    // Locked now: even the right password is refused, with a clear message.
    let page = to_page(other.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.text_of(".form-error")
            .contains("Too many failed sign-ins")
    );
    assert_eq!(
        other.get("/dashboard/badges").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let other = app.new_visitor();
    let res = other.get("/dashboard/audit").await;
    assert_eq!(location(&res), "/dashboard/login?next=%2Fdashboard%2Faudit");
    let token = other
        .page("/dashboard/login?next=%2Fdashboard%2Faudit")
        .await
        .csrf_token();
    let res = other
        .post_form(
            "/dashboard/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/dashboard/audit"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/audit");
    // An off-site next is ignored.
    let third = app.new_visitor();
    let token = third.page("/dashboard/login").await.csrf_token();
    let res = third
        .post_form(
            "/dashboard/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/badges");
}

#[tokio::test]
async fn sign_out_makes_a_copied_cookie_useless() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let copied = app.cookie_header();
    let replay = |cookie: String| {
        let app = &app;
        async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client")
                .get(app.url("/dashboard/badges"))
                .header("cookie", cookie)
                .send()
                .await
                .expect("request")
                .status()
        }
    };
    assert_eq!(
        replay(copied.clone()).await,
        StatusCode::OK,
        "the copy works while signed in"
    );

    let res = app
        .submit("/dashboard/badges", "/dashboard/logout", &[])
        .await;
    assert_eq!(location(&res), "/dashboard/login");
    assert_eq!(
        replay(copied).await,
        StatusCode::SEE_OTHER,
        "the copy is dead after sign-out"
    );
    assert_eq!(
        app.get("/dashboard/badges").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_the_password_ends_every_session() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let laptop = app.new_visitor();
    assert_eq!(
        laptop.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let res = app
        .submit(
            "/dashboard/account",
            "/dashboard/account",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "a brand new password"),
                ("new_password_confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/login");
    assert_eq!(
        laptop.get("/dashboard/badges").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/dashboard/badges").await.status(),
        StatusCode::SEE_OTHER
    );
    let fresh = app.new_visitor();
    assert_eq!(
        fresh.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh
            .sign_in(ADMIN_EMAIL, "a brand new password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn elevation_shows_time_left_ends_on_request_and_returns_to_the_page() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let page = app.page("/dashboard/audit").await;
    assert!(page.text_of("#elevation-state").contains("min"));
    assert!(page.has("form[action='/dashboard/elevate/end']"));

    app.end_elevation().await;
    let page = app.page("/dashboard/audit").await;
    assert!(page.text_of("#elevation-state").contains("Not elevated"));
    assert_eq!(
        page.attr(".elevation a", "href").as_deref(),
        Some("/dashboard/elevate?next=/dashboard/audit")
    );

    let wrong = app
        .submit(
            "/dashboard/elevate?next=%2Fdashboard%2Faudit",
            "/dashboard/elevate",
            &[
                ("password", "not my password"),
                ("next", "/dashboard/audit"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        app.page("/dashboard/audit")
            .await
            .text_of("#elevation-state")
            .contains("Not elevated")
    );

    let res = app
        .submit(
            "/dashboard/elevate?next=%2Fdashboard%2Faudit",
            "/dashboard/elevate",
            &[("password", ADMIN_PASSWORD), ("next", "/dashboard/audit")],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/audit");
    assert!(
        app.page("/dashboard/audit")
            .await
            .text_of("#elevation-state")
            .contains("Elevated")
    );
}

#[tokio::test]
async fn elevation_lasts_only_the_configured_minutes() {
    let app = crate::helpers::spawn_app_with(|s| s.elevation_minutes = 1).await;
    app.setup_admin().await;
    let left = app
        .page("/dashboard/badges")
        .await
        .text_of(".elevation-time");
    assert!(
        left.ends_with(" s"),
        "less than a minute left, counted in seconds: {left}"
    );
    let default = crate::helpers::spawn_app().await;
    default.setup_admin().await;
    assert_eq!(
        default
            .page("/dashboard/badges")
            .await
            .text_of(".elevation-time"),
        "15 min"
    );
}

#[tokio::test]
async fn admin_create_command_reads_the_password_from_stdin() {
    use std::io::Write;
    let app = spawn_app().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args([
            "admin",
            "create",
            "--email",
            "cli@example.com",
            "--database",
            &app.database,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run insignia");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"password from stdin\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.sign_in("cli@example.com", "password from stdin")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.page("/dashboard/setup").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Sets the session's elevation as if the password had been confirmed `since_minutes` ago and
/// `left_seconds` of it were left.
fn age_elevation(app: &crate::helpers::TestApp, since_minutes: i64, left_seconds: i64) {
    use diesel::prelude::*;
    use insignia::db::schema::admin_sessions;
    let now = insignia::clock::now_millis();
    diesel::update(admin_sessions::table)
        .set((
            admin_sessions::elevated_at.eq(Some(now - since_minutes * 60_000)),
            admin_sessions::elevated_until.eq(Some(now + left_seconds * 1_000)),
        ))
        .execute(&mut app.db())
        .expect("age the elevation");
}

#[tokio::test]
async fn each_change_extends_elevation_up_to_the_most_in_all() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let left = || async {
        app.page("/dashboard/badges")
            .await
            .text_of(".elevation-time")
    };

    // Looking at pages does not extend it.
    age_elevation(&app, 10, 40);
    assert!(left().await.ends_with(" s"), "{}", left().await);

    // A change does: 15 minutes from the change.
    app.create_badge("Gold").await;
    assert_eq!(left().await, "15 min");

    // But not past two hours from the password: here, 2 minutes are left of those.
    age_elevation(&app, 118, 5);
    app.create_badge("Silver").await;
    assert_eq!(left().await, "2 min");
    assert_eq!(app.badge_titles().len(), 2);

    // Once it is over, a change asks for the password again and is not made.
    age_elevation(&app, 125, -1);
    let res = app
        .submit_badge(
            "/dashboard/badges/new",
            "/dashboard/badges/new",
            &crate::helpers::BadgeFields::titled("Bronze"),
        )
        .await;
    assert!(
        crate::helpers::location(&res).starts_with("/dashboard/elevate"),
        "{}",
        crate::helpers::location(&res)
    );
    assert_eq!(app.badge_titles().len(), 2);
}
