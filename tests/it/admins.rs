//! The Admins page, driven like a browser without JavaScript: who the admins are and when each
//! last signed in; adding one with a one-time set-password link; removing one other than
//! yourself. Both changes need elevation and are audited.

use reqwest::StatusCode;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Page, TestApp, location, spawn_app, to_page};

const SECOND: &str = "second.admin@example.com";
const SECOND_PASSWORD: &str = "second admin password";

/// The admins as stored: (e-mail, password hash), by e-mail.
fn admin_rows(app: &TestApp) -> Vec<(String, String)> {
    use diesel::prelude::*;
    use insignia::db::schema::admins;
    admins::table
        .select((admins::email, admins::password_hash))
        .order(admins::email)
        .load(&mut app.db())
        .expect("admins")
}

fn admin_id(app: &TestApp, email: &str) -> String {
    insignia::auth::admins::find_by_email(&mut app.db(), email)
        .expect("db")
        .expect("an admin")
        .id
}

fn count_of(app: &TestApp, action: &str) -> usize {
    app.audit_actions().iter().filter(|a| *a == action).count()
}

/// Adds an admin through the page's form; the answer is the page with their link.
async fn add(app: &TestApp, email: &str) -> Page {
    to_page(
        app.submit(
            "/dashboard/admins",
            "/dashboard/admins",
            &[("email", email)],
        )
        .await,
    )
    .await
}

/// The set-password link shown on the page, as a path on this server.
fn link_path(page: &Page) -> String {
    let link = page
        .attr("#password-link", "value")
        .expect("a set-password link on the page");
    let token = link.rsplit('/').next().expect("token").to_string();
    assert!(
        link.ends_with(&format!("/dashboard/set-password/{token}")),
        "{link}"
    );
    format!("/dashboard/set-password/{token}")
}

/// Sets a password through a link, as the new admin's browser does.
async fn set_password(visitor: &TestApp, path: &str, password: &str) -> reqwest::Response {
    visitor
        .submit(
            path,
            path,
            &[("password", password), ("password_confirm", password)],
        )
        .await
}

/// Adds SECOND, who sets their password and signs in on a browser of their own.
async fn second_admin_signed_in(owner: &TestApp) -> TestApp {
    let page = add(owner, SECOND).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let second = owner.new_visitor();
    let res = set_password(&second, &link_path(&page), SECOND_PASSWORD).await;
    assert_eq!(location(&res), "/dashboard/login");
    let res = second.sign_in(SECOND, SECOND_PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the second admin signs in"
    );
    second
}

/// Confirms the owner's password again, as the elevation prompt does.
async fn elevate(app: &TestApp) {
    let res = app
        .submit(
            "/dashboard/elevate?next=/dashboard/admins",
            "/dashboard/elevate",
            &[("password", ADMIN_PASSWORD), ("next", "/dashboard/admins")],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/admins");
}

#[tokio::test]
async fn the_admins_page_lists_every_admin_with_their_last_sign_in() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badges = app.page("/dashboard/badges").await;
    assert!(
        badges.has(".topbar nav a[href='/dashboard/admins']"),
        "the dashboard's navigation leads to the page"
    );
    // Setting up signed the owner in: that is their last sign-in.
    let owner = insignia::auth::admins::find_by_email(&mut app.db(), ADMIN_EMAIL)
        .expect("db")
        .expect("owner");
    let first_sign_in = owner.last_sign_in_at.expect("set at setup");

    let added = add(&app, SECOND).await;
    assert_eq!(added.status, StatusCode::OK);
    let page = app.page("/dashboard/admins").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows: Vec<String> = page
        .select("table.admins tbody tr")
        .iter()
        .map(|r| r.text().collect::<String>())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let owner_row = rows
        .iter()
        .find(|r| r.contains(ADMIN_EMAIL))
        .expect("owner");
    assert!(owner_row.contains("You"), "{owner_row}");
    assert!(
        page.has(&format!(
            "table.admins td[data-label='Last signed in'] time[datetime='{first_sign_in}']"
        )),
        "the owner's last sign-in is shown: {rows:?}"
    );
    let second_row = rows.iter().find(|r| r.contains(SECOND)).expect("second");
    assert!(
        second_row.contains("Never (no password set yet)"),
        "{second_row}"
    );
    // Nobody is offered to remove themselves.
    let own_id = owner.id;
    assert!(!page.has(&format!("a[href='/dashboard/admins/{own_id}/remove']")));
    let second_id = admin_id(&app, SECOND);
    assert!(page.has(&format!("a[href='/dashboard/admins/{second_id}/remove']")));

    // Signing in again moves the owner's time on.
    let again = app.new_visitor();
    assert_eq!(
        again.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let later = insignia::auth::admins::find_by_email(&mut app.db(), ADMIN_EMAIL)
        .expect("db")
        .expect("owner")
        .last_sign_in_at
        .expect("set");
    assert!(later > first_sign_in, "{first_sign_in} then {later}");
    let page = app.page("/dashboard/admins").await;
    assert!(page.has(&format!("time[datetime='{later}']")));
}

#[tokio::test]
async fn an_added_admin_chooses_a_password_through_a_link_that_works_once() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let page = add(&app, "Second.Admin@Example.com").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("second.admin@example.com added"));
    let path = link_path(&page);
    assert_eq!(count_of(&app, "admin.create"), 1);
    // Until the link is used, no password opens the account.
    let visitor = app.new_visitor();
    for guess in [SECOND_PASSWORD, "", ADMIN_PASSWORD] {
        let res = visitor.sign_in(SECOND, guess).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{guess:?}");
    }

    // The link opens a form for this admin, without signing in.
    let form = visitor.page(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains(SECOND));
    // Refused passwords leave the link working.
    let before = admin_rows(&app);
    let mismatch = visitor
        .submit(
            &path,
            &path,
            &[
                ("password", SECOND_PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let short = set_password(&visitor, &path, "short").await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        admin_rows(&app),
        before,
        "a refused password changes nothing"
    );

    let res = set_password(&visitor, &path, SECOND_PASSWORD).await;
    assert_eq!(location(&res), "/dashboard/login");
    assert_eq!(count_of(&app, "admin.password"), 1);
    // Used up: it opens nothing and sets nothing any more.
    assert_eq!(visitor.get(&path).await.status(), StatusCode::NOT_FOUND);
    // (Posted from a copy of the form still open in a browser.)
    let reuse = visitor
        .submit(
            "/dashboard/login",
            &path,
            &[
                ("password", "a password of an attacker"),
                ("password_confirm", "a password of an attacker"),
            ],
        )
        .await;
    assert_eq!(reuse.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        visitor
            .sign_in(SECOND, "a password of an attacker")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // The new admin signs in with the password they chose and finds themselves on the page.
    let res = visitor.sign_in(SECOND, SECOND_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let theirs = visitor.page("/dashboard/admins").await;
    assert_eq!(theirs.status, StatusCode::OK);
    let own = theirs
        .select("table.admins tbody tr")
        .iter()
        .map(|r| r.text().collect::<String>())
        .find(|r| r.contains(SECOND))
        .expect("their row");
    assert!(own.contains("You"), "{own}");
}

#[tokio::test]
async fn adding_an_admin_is_refused_without_elevation_or_for_a_taken_or_bad_address() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let audited = app.audit_actions().len();
    let before = admin_rows(&app);

    for (email, why) in [
        (ADMIN_EMAIL, Some("is already an admin")),
        ("not an address", None),
    ] {
        let page = add(&app, email).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{email}");
        assert!(page.has("#email-error"), "{email}: {}", page.text);
        if let Some(why) = why {
            assert!(page.text_of("#email-error").contains(why), "{email}");
        }
        assert!(!page.has("#password-link"), "no link for {email}");
        assert_eq!(
            page.attr("#email", "value").as_deref(),
            Some(email),
            "what was typed stays"
        );
    }

    app.end_elevation().await;
    let res = app
        .submit(
            "/dashboard/admins",
            "/dashboard/admins",
            &[("email", SECOND)],
        )
        .await;
    assert_eq!(
        location(&res),
        "/dashboard/elevate?next=%2Fdashboard%2Fadmins"
    );
    assert_eq!(admin_rows(&app), before, "nobody was added");
    assert_eq!(app.audit_actions().len(), audited, "nothing was audited");
    // After the password, the typed address is back in the form.
    elevate(&app).await;
    let page = app.page("/dashboard/admins").await;
    assert_eq!(page.attr("#email", "value").as_deref(), Some(SECOND));
}

#[tokio::test]
async fn removing_an_admin_needs_elevation_ends_their_sessions_and_never_removes_yourself() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let owner_id = admin_id(&app, ADMIN_EMAIL);

    // Alone, the owner cannot remove themselves: a site always keeps an admin.
    let own = format!("/dashboard/admins/{owner_id}/remove");
    assert_eq!(location(&app.get(&own).await), "/dashboard/admins");
    let res = app.submit("/dashboard/admins", &own, &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = to_page(res).await;
    assert!(
        page.text_of("[role=alert]")
            .contains("You cannot remove yourself"),
        "{}",
        page.text
    );
    assert_eq!(admin_rows(&app).len(), 1);
    assert_eq!(
        app.get("/dashboard/badges").await.status(),
        StatusCode::OK,
        "still signed in"
    );

    let second = second_admin_signed_in(&app).await;
    let second_id = admin_id(&app, SECOND);
    // A copy of the second admin's cookie, on another machine.
    let copy = app.new_visitor();
    let cookie = second.cookie_header();
    let replay = |path: &'static str| {
        let (client, url, cookie) = (copy.client.clone(), copy.url(path), cookie.clone());
        async move {
            client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .expect("request")
        }
    };
    assert_eq!(replay("/dashboard/badges").await.status(), StatusCode::OK);
    let remove = format!("/dashboard/admins/{second_id}/remove");
    let confirm = app.page(&remove).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text.contains(SECOND));

    // Without elevation: sent to confirm the password, nothing changes.
    app.end_elevation().await;
    let before = admin_rows(&app);
    let res = app.submit(&remove, &remove, &[]).await;
    assert_eq!(
        location(&res),
        "/dashboard/elevate?next=%2Fdashboard%2Fadmins"
    );
    assert_eq!(admin_rows(&app), before);
    assert_eq!(count_of(&app, "admin.remove"), 0);
    assert_eq!(
        second.get("/dashboard/badges").await.status(),
        StatusCode::OK
    );

    // Elevated, yourself is still refused.
    elevate(&app).await;
    let res = app.submit("/dashboard/admins", &own, &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(admin_rows(&app), before);

    // The other admin goes, and every copy of their session with them.
    let res = app.submit(&remove, &remove, &[]).await;
    assert_eq!(location(&res), "/dashboard/admins");
    let page = app.page("/dashboard/admins").await;
    assert!(
        page.text
            .contains("second.admin@example.com is no longer an admin"),
        "{}",
        page.text
    );
    assert!(!page.text_of("table.admins").contains(SECOND));
    assert_eq!(
        admin_rows(&app)
            .into_iter()
            .map(|(email, _)| email)
            .collect::<Vec<_>>(),
        [ADMIN_EMAIL]
    );
    let entries = insignia::audit::page(&mut app.db(), &Default::default(), 100).expect("audit");
    let removal = entries
        .iter()
        .find(|e| e.action == "admin.remove")
        .expect("the removal is audited");
    assert_eq!(removal.actor, format!("admin {ADMIN_EMAIL}"));
    assert_eq!(removal.target, SECOND);
    for res in [
        second.get("/dashboard/badges").await,
        replay("/dashboard/badges").await,
    ] {
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(location(&res).starts_with("/dashboard/login"), "signed out");
    }
    // With their old cookie they cannot remove the owner, nor sign in again.
    let res = second.submit("/dashboard/login", &own, &[]).await;
    assert!(location(&res).starts_with("/dashboard/login"), "{res:?}");
    assert_eq!(
        second.sign_in(SECOND, SECOND_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // An admin removed meanwhile cannot remove anyone either (two admins removing each other
    // at once leave one).
    let refused = insignia::auth::admins::remove(
        &mut app.db(),
        &insignia::audit::Actor::admin(SECOND),
        &second_id,
        &owner_id,
    )
    .expect("db");
    assert_eq!(
        refused.err(),
        Some(insignia::auth::admins::ChangeError::NotAnAdmin)
    );
    assert_eq!(admin_rows(&app).len(), 1);
    assert_eq!(count_of(&app, "admin.remove"), 1);

    // An admin who does not exist is not found.
    let res = app
        .submit(
            "/dashboard/admins",
            "/dashboard/admins/no-such-admin/remove",
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Every page that asks before something cannot be undone has one shape: the question, what
/// will happen, a button that posts (with the CSRF token) to the change, and a way back.
#[tokio::test]
async fn every_question_before_an_undoable_change_asks_the_same_way() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Gold <Star>").await;
    let member = app.create_member("Ada", "ada@example.com").await;
    let holders = format!("/dashboard/badges/{badge}");
    app.submit(
        &holders,
        &format!("{holders}/members"),
        &[("member_id", &member)],
    )
    .await;
    app.create_api_key("Nightly").await;
    let key = insignia::auth::api_keys::list(&mut app.db()).expect("keys")[0].clone();
    let res = app
        .submit(
            "/dashboard/pages/new",
            "/dashboard/pages/new",
            &[
                ("title", "Vault"),
                ("slug", "vault"),
                ("access", "members"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/pages");
    let page = insignia::pages::list(&mut app.db()).expect("pages")[0]
        .id
        .to_string();
    assert_eq!(add(&app, SECOND).await.status, StatusCode::OK);
    let second = admin_id(&app, SECOND);

    let key_words = format!(
        "Programs using the key ending …{} are refused from the next request on. A revoked key \
         cannot be turned back on; make a new one instead.",
        key.hint
    );
    let cases = [
        (
            format!("/dashboard/badges/{badge}/delete"),
            "Delete this badge?",
            "1 member holds this badge; they will lose it. Its page permissions go with it. \
             This cannot be undone.",
            "Delete “Gold <Star>”",
            (format!("/dashboard/badges/{badge}"), "Keep it"),
        ),
        (
            format!("/dashboard/members/{member}/delete"),
            "Delete Ada?",
            "ada@example.com will lose their badge and their account. This cannot be undone.",
            "Delete “Ada”",
            (format!("/dashboard/members/{member}"), "Keep"),
        ),
        (
            format!("/dashboard/pages/{page}/delete"),
            "Delete “Vault”?",
            "/pages/vault will stop working, and badges will no longer unlock it. This cannot \
             be undone.",
            "Delete page",
            ("/dashboard/pages".to_string(), "Keep it"),
        ),
        (
            format!("/dashboard/api-keys/{}/revoke", key.id),
            "Revoke “Nightly”?",
            key_words.as_str(),
            "Revoke key",
            ("/dashboard/api-keys".to_string(), "Keep it"),
        ),
        (
            format!("/dashboard/admins/{second}/remove"),
            "Remove second.admin@example.com?",
            "They are signed out everywhere at once and can no longer sign in to the dashboard. \
             What they did stays in the audit log. To let them back in, add them again.",
            "Remove admin",
            ("/dashboard/admins".to_string(), "Keep"),
        ),
    ];
    for (path, question, what_happens, button, (back, back_label)) in cases {
        let asked = app.page(&path).await;
        assert_eq!(asked.status, StatusCode::OK, "{path}");
        assert_eq!(asked.text_of("section.card h1"), question, "{path}");
        let words = asked.text_of("section.card p");
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(words, what_happens, "{path}");
        assert_eq!(
            asked.attr("section.card form", "action").as_deref(),
            Some(path.as_str()),
            "the button posts to the page's own address"
        );
        assert_eq!(
            asked.attr("section.card form", "method").as_deref(),
            Some("post")
        );
        assert_eq!(
            asked.attr(
                "section.card form input[type=hidden][name=csrf_token]",
                "value"
            ),
            Some(asked.csrf_token()),
            "{path}"
        );
        assert_eq!(
            asked.text_of("section.card form button[type=submit]"),
            button
        );
        assert_eq!(
            asked.attr("section.card form a.button", "href").as_deref(),
            Some(back.as_str()),
            "{path}"
        );
        assert_eq!(asked.text_of("section.card form a.button"), back_label);
    }
    let badge_page = app.page(&format!("/dashboard/badges/{badge}/delete")).await;
    assert_eq!(
        badge_page.text_of(".badge-hero .badge-title"),
        "Gold <Star>"
    );
    let admin_page = app
        .page(&format!("/dashboard/admins/{second}/remove"))
        .await;
    assert!(admin_page.has("h1.admin-email"));
}
