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
    app.set_up_elsewhere().await;
    let res = sign_up(&app, "Ada Lovelace", "ada@example.com", MEMBER_PASSWORD).await;
    assert_eq!(location(&res), "/me", "sign-up lands on her own page");
    let home = app.page("/me").await;
    assert!(
        home.text_of(".flash-success")
            .contains("Your account is ready")
    );
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

/// Names that show nothing the characters say, each with what the refusal says: the Hangul
/// fillers, the Mongolian vowel separator, tags, and braille blanks alone.
const INVISIBLE_NAMES: [(&str, &str); 6] = [
    ("\u{115F}", "invisible or control characters (found U+115F)"),
    (
        "Ada\u{1160}",
        "invisible or control characters (found U+1160)",
    ),
    (
        "\u{FFA0}Ada",
        "invisible or control characters (found U+FFA0)",
    ),
    (
        "Ada\u{180E}King",
        "invisible or control characters (found U+180E)",
    ),
    (
        "Ada\u{E0041}",
        "invisible or control characters (found U+E0041",
    ),
    ("\u{2800}", "must contain at least one visible character"),
];

#[tokio::test]
async fn names_of_invisible_characters_are_refused_at_sign_up_on_me_and_in_the_dashboard() {
    let app = spawn_app().await;
    let admin = app.new_visitor();
    admin.setup_admin().await;
    for (name, message) in INVISIBLE_NAMES {
        let page = to_page(sign_up(&app, name, "eve@example.com", MEMBER_PASSWORD).await).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            page.text_of("#name-error").contains(message),
            "{name:?}: {}",
            page.text_of("#name-error")
        );
        assert_eq!(page.attr("#name", "value").as_deref(), Some(name));
        assert_eq!(app.member_count(), 0, "nothing saved for {name:?}");
    }

    sign_up(&app, "Ada Lovelace", "ada@example.com", MEMBER_PASSWORD).await;
    for (name, message) in INVISIBLE_NAMES {
        let res = app.submit("/me", "/me/name", &[("name", name)]).await;
        let page = to_page(res).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            page.text_of("#name-error").contains(message),
            "{name:?}: {}",
            page.text_of("#name-error")
        );
    }
    let ada = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("db")
        .expect("Ada");
    assert_eq!(ada.name, "Ada Lovelace");

    let edit = format!("/dashboard/members/{}/edit", ada.id);
    for (name, message) in INVISIBLE_NAMES {
        let res = admin
            .submit(
                &edit,
                &edit,
                &[("name", name), ("email", "ada@example.com")],
            )
            .await;
        let page = to_page(res).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            page.text_of("#name-error").contains(message),
            "{name:?}: {}",
            page.text_of("#name-error")
        );
    }
    assert_eq!(
        admin.member(ada.id.as_str()).expect("Ada").name,
        "Ada Lovelace"
    );
    assert_eq!(app.member_count(), 1);
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
    app.set_up_elsewhere().await;
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

#[tokio::test]
async fn a_member_renames_herself_and_changes_her_password() {
    let app = spawn_app().await;
    app.set_up_elsewhere().await;
    sign_up(&app, "Ada Lovelace", "ada@example.com", MEMBER_PASSWORD).await;
    let other_device = app.new_visitor();
    member_login(&other_device, "ada@example.com", MEMBER_PASSWORD).await;
    assert_eq!(other_device.page("/me").await.status, StatusCode::OK);
    let stored = |app: &TestApp| {
        insignia::members::find_by_email(&mut app.db(), "ada@example.com")
            .expect("db")
            .expect("Ada")
    };
    let before = stored(&app);

    // A name that breaks the rules is refused beside the field, kept as typed, not saved.
    let long = "A".repeat(81);
    let res = app.submit("/me", "/me/name", &[("name", &long)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = to_page(res).await;
    assert!(page.text_of("#name-error").contains("at most 80"));
    assert_eq!(page.attr("#name", "value").as_deref(), Some(long.as_str()));
    assert_eq!(stored(&app).name, "Ada Lovelace");

    // A good one is saved; the profile keeps its address.
    let res = app.submit("/me", "/me/name", &[("name", "Ada King")]).await;
    assert_eq!(location(&res), "/me");
    let after = stored(&app);
    assert_eq!(
        (after.name.as_str(), &after.slug),
        ("Ada King", &before.slug)
    );
    let me = app.page("/me").await;
    assert_eq!(me.text_of("h1"), "Ada King");
    assert!(me.text_of(".flash-success").contains("Your name is saved"));
    let hits = insignia::members::search::members(&mut app.db(), "king", None, 5).expect("search");
    assert_eq!(hits.len(), 1, "search finds the new name");

    // The password: the current one must be right, the new one must follow the rules.
    let res = app
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", "wrong guess 123"),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = to_page(res).await;
    assert!(
        page.text_of("#current_password-error")
            .contains("not your current password")
    );
    assert_eq!(
        page.attr("#current_password", "value"),
        None,
        "passwords are not sent back"
    );
    let res = app
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", MEMBER_PASSWORD),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        to_page(res)
            .await
            .text_of("#new_password-error")
            .contains("at least")
    );
    assert_eq!(
        other_device.page("/me").await.status,
        StatusCode::OK,
        "nothing changed yet"
    );

    let res = app
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", MEMBER_PASSWORD),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/me");
    assert_eq!(
        app.page("/me").await.status,
        StatusCode::OK,
        "still signed in here"
    );
    assert_eq!(
        location(&other_device.get("/me").await),
        "/login?next=%2Fme",
        "the other device is signed out"
    );
    let fresh = app.new_visitor();
    let old = member_login(&fresh, "ada@example.com", MEMBER_PASSWORD).await;
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
    let new = member_login(&fresh, "ada@example.com", "a new long password").await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    let log = insignia::audit::page(&mut app.db(), &Default::default(), 5).expect("audit");
    assert_eq!(log[0].action, "member.password");
    assert_eq!(log[1].action, "member.update");
    assert_eq!(log[1].actor, "member ada@example.com");
}

#[tokio::test]
async fn an_admin_edits_a_members_name_and_email() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    app.create_member("Alan Turing", "alan@example.com").await;
    let edit = format!("/dashboard/members/{ada}/edit");
    let form = app.page(&edit).await;
    assert_eq!(form.attr("#name", "value").as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        form.attr("#email", "value").as_deref(),
        Some("ada@example.com")
    );

    // Another member's address is refused; what was typed stays; nothing is saved.
    let res = app
        .submit(
            &edit,
            &edit,
            &[("name", "Ada King"), ("email", "ALAN@example.com")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = to_page(res).await;
    assert!(page.text_of("#email-error").contains("another member"));
    assert_eq!(page.attr("#name", "value").as_deref(), Some("Ada King"));
    assert_eq!(app.member(&ada).expect("Ada").name, "Ada Lovelace");

    let res = app
        .submit(
            &edit,
            &edit,
            &[("name", "Ada King"), ("email", "Ada.King@Example.com")],
        )
        .await;
    assert_eq!(location(&res), format!("/dashboard/members/{ada}"));
    let saved = app.member(&ada).expect("Ada");
    assert_eq!(
        (saved.name.as_str(), saved.email.as_str()),
        ("Ada King", "ada.king@example.com")
    );
    let shown = app.page(&format!("/dashboard/members/{ada}")).await;
    assert_eq!(shown.text_of("h1"), "Ada King");
    assert_eq!(app.audit_actions()[0], "member.update");
    // Saving again unchanged writes nothing.
    app.submit(
        &edit,
        &edit,
        &[("name", "Ada King"), ("email", "ada.king@example.com")],
    )
    .await;
    assert_eq!(
        app.audit_actions()
            .iter()
            .filter(|a| *a == "member.update")
            .count(),
        1
    );
}

#[tokio::test]
async fn guessing_the_current_password_on_me_is_throttled_like_a_sign_in() {
    let app = spawn_app().await;
    app.set_up_elsewhere().await;
    sign_up(&app, "Ada Lovelace", "ada@example.com", MEMBER_PASSWORD).await;
    for _ in 0..5 {
        let res = app
            .submit(
                "/me",
                "/me/password",
                &[
                    ("current_password", "a wrong guess"),
                    ("new_password", "a new long password"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right password is refused from this session, and nothing changes.
    let res = app
        .submit(
            "/me",
            "/me/password",
            &[
                ("current_password", MEMBER_PASSWORD),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    let page = to_page(res).await;
    assert!(
        page.text_of("#current_password-error").contains("Too many"),
        "{}",
        page.text_of("#current_password-error")
    );
    let fresh = app.new_visitor();
    let res = member_login(&fresh, "ada@example.com", MEMBER_PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the old password still works"
    );
}
