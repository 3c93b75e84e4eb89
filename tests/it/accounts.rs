//! Member accounts: sign-up, sign-in, sign-out, set-password links, and keeping member and
//! admin identities apart.

use reqwest::StatusCode;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, location, spawn_app, spawn_app_with, to_page,
};

const MEMBER_PASSWORD: &str = "member password 1";

async fn sign_up(app: &TestApp, name: &str, email: &str, password: &str) -> reqwest::Response {
    app.submit(
        "/signup",
        "/signup",
        &[("name", name), ("email", email), ("password", password)],
    )
    .await
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
async fn a_visitor_signs_up_and_is_signed_in() {
    let app = spawn_app().await;
    let res = sign_up(&app, "Ada Lovelace", "ada@example.com", MEMBER_PASSWORD).await;
    assert_eq!(location(&res), "/");
    let home = app.page("/").await;
    assert!(home.text_of(".session .who").contains("Ada Lovelace"));
    assert_eq!(app.member_count(), 1);

    let other = app.new_visitor();
    for (name, email, password, field, message) in [
        (
            "",
            "x@example.com",
            MEMBER_PASSWORD,
            "name",
            "must not be empty",
        ),
        ("Bob", "bob", MEMBER_PASSWORD, "email", "e-mail address"),
        (
            "Bob",
            "ADA@example.com",
            MEMBER_PASSWORD,
            "email",
            "already has an account",
        ),
        ("Bob", "bob@example.com", "short", "password", "at least 10"),
    ] {
        let page = to_page(sign_up(&other, name, email, password).await).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            page.text_of(&format!("#{field}-error")).contains(message),
            "{field}"
        );
        assert_eq!(page.attr("#name", "value").unwrap_or_default(), name);
        assert_eq!(page.attr("#email", "value").unwrap_or_default(), email);
        assert_eq!(app.member_count(), 1, "nothing saved for {field}");
    }
}

#[tokio::test]
async fn sign_ups_can_be_closed() {
    let app = spawn_app_with(|s| s.signups_open = false).await;
    assert_eq!(app.page("/signup").await.status, StatusCode::FORBIDDEN);
    let token = app.page("/login").await.csrf_token();
    let res = app
        .post_form(
            "/signup",
            &[
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("password", MEMBER_PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.member_count(), 0);
    assert!(
        !app.page("/login")
            .await
            .has("a[href='/signup'].button, main a[href='/signup']")
    );
}

#[tokio::test]
async fn members_sign_in_are_slowed_after_failures_and_sign_out_for_real() {
    let app = spawn_app().await;
    sign_up(&app, "Ada", "ada@example.com", MEMBER_PASSWORD).await;
    let copied = app.cookie_header();
    app.submit("/", "/logout", &[]).await;
    let replay = reqwest::Client::new()
        .get(app.url("/"))
        .header("cookie", copied)
        .send()
        .await
        .expect("request");
    let page = to_page(replay).await;
    assert!(
        !page.has(".session .who"),
        "the copied cookie no longer signs anyone in"
    );

    let res = member_login(&app, "ada@example.com", "wrong password!").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        location(&member_login(&app, "ADA@example.com", MEMBER_PASSWORD).await),
        "/"
    );
    app.submit("/", "/logout", &[]).await;
    for _ in 0..5 {
        member_login(&app, "ada@example.com", "wrong password!").await;
    }
    let page = to_page(member_login(&app, "ada@example.com", MEMBER_PASSWORD).await).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.text_of(".form-error")
            .contains("Too many failed sign-ins")
    );
}

#[tokio::test]
async fn member_and_admin_sessions_are_separate() {
    let app = spawn_app().await;
    app.setup_admin().await;
    // The admin is not a member on the site...
    assert!(!app.page("/").await.has(".session .who"));
    // ...and a member is not an admin, even with the admin's e-mail.
    let member = app.new_visitor();
    sign_up(&member, "Owner", ADMIN_EMAIL, MEMBER_PASSWORD).await;
    assert!(location(&member.get("/dashboard/badges").await).starts_with("/dashboard/login"));
    assert_eq!(
        member.sign_in(ADMIN_EMAIL, MEMBER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        member_login(&app.new_visitor(), ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Signing out as a member leaves the admin session of the same browser alone.
    sign_up(&app, "Both", "both@example.com", MEMBER_PASSWORD).await;
    app.submit("/", "/logout", &[]).await;
    assert_eq!(app.get("/dashboard/badges").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_set_password_link_works_once() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let id = app.create_member("Grace Hopper", "grace@example.com").await;
    let page = format!("/dashboard/members/{id}");
    let shown = to_page(
        app.submit(&page, &format!("{page}/password-link"), &[])
            .await,
    )
    .await;
    let link = shown.attr("#password-link", "value").expect("link shown");
    let path = link
        .split_once("/set-password/")
        .map(|(_, t)| format!("/set-password/{t}"))
        .expect("path");
    assert!(
        app.audit_actions()
            .contains(&"member.password_link".to_string())
    );

    let member = app.new_visitor();
    let form = member.page(&path).await;
    assert!(form.text.contains("Grace Hopper"));
    let short = to_page(
        member
            .submit(
                &path,
                &path,
                &[("password", "short"), ("password_confirm", "short")],
            )
            .await,
    )
    .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text_of("#password-error").contains("at least 10"));
    let res = member
        .submit(
            &path,
            &path,
            &[
                ("password", MEMBER_PASSWORD),
                ("password_confirm", MEMBER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&res), "/login");
    assert_eq!(
        location(&member_login(&member, "grace@example.com", MEMBER_PASSWORD).await),
        "/"
    );
    assert_eq!(
        app.new_visitor().page(&path).await.status,
        StatusCode::NOT_FOUND,
        "used up"
    );
    assert_eq!(
        app.new_visitor()
            .page("/set-password/not-a-token")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
