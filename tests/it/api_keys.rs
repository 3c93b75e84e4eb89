//! `/dashboard/api-keys`: the key is shown once, stored as a hash, restricted and audited.

use diesel::prelude::*;
use reqwest::{Method, StatusCode};

use crate::helpers::{location, spawn_app, to_page};

#[tokio::test]
async fn a_key_is_shown_once_and_only_its_hash_is_stored() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let secret = app.create_api_key("CRM sync").await;
    assert!(secret.starts_with("insignia_") && secret.len() > 40);
    let list = app.page("/dashboard/api-keys").await;
    assert!(list.text.contains("CRM sync"));
    assert!(!list.text.contains(&secret), "never shown again");
    let stored: Vec<String> = insignia::db::schema::api_keys::table
        .select(insignia::db::schema::api_keys::key_hash)
        .load(&mut app.db())
        .expect("keys");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], secret);
    assert!(!stored[0].contains(&secret[9..]));
    // It works, and its use is recorded.
    let reply = app
        .api(Method::GET, "/members/v3/badges", Some(&secret), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let key = &insignia::auth::api_keys::list(&mut app.db()).expect("keys")[0];
    assert!(key.last_used_at.is_some());
    assert!(app.audit_actions().contains(&"api_key.create".to_string()));
}

#[tokio::test]
async fn a_revoked_key_stops_working_and_stays_listed() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let secret = app.create_api_key("Old script").await;
    // Revoke asks first; asking changes nothing.
    let key = &insignia::auth::api_keys::list(&mut app.db()).expect("keys")[0];
    let asked = app
        .page(&format!("/dashboard/api-keys/{}/revoke", key.id))
        .await;
    assert_eq!(asked.text_of("h1"), "Revoke “Old script”?");
    assert!(
        !insignia::auth::api_keys::list(&mut app.db()).expect("keys")[0].is_revoked(),
        "opening the question revokes nothing"
    );
    let res = app.revoke_api_key("Old script").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let reply = app
        .api(
            Method::POST,
            "/members/v3/badges",
            Some(&secret),
            Some(serde_json::json!({"badge": {"title": "Nope"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(app.badges().is_empty());
    let list = app.page("/dashboard/api-keys").await;
    assert!(list.text.contains("Old script") && list.text.contains("Revoked"));
    assert!(app.audit_actions().contains(&"api_key.revoke".to_string()));
}

#[tokio::test]
async fn a_name_is_required_and_the_typed_name_is_kept() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let long = "k".repeat(81);
    for (name, message) in [
        ("   ", "Give the key a name"),
        (long.as_str(), "at most 80"),
    ] {
        let res = app
            .submit(
                "/dashboard/api-keys",
                "/dashboard/api-keys",
                &[("name", name)],
            )
            .await;
        let page = to_page(res).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text_of("#name-error").contains(message));
        assert_eq!(page.attr("#name", "value").as_deref(), Some(name));
        assert!(!page.has("#secret"));
    }
    assert!(
        insignia::auth::api_keys::list(&mut app.db())
            .expect("keys")
            .is_empty()
    );
}

#[tokio::test]
async fn keys_are_managed_only_by_elevated_admins() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let secret = app.create_api_key("Keep").await;
    // A visitor is sent to sign in, and cannot post (no CSRF token of theirs works either).
    let visitor = app.new_visitor();
    assert_eq!(
        visitor.get("/dashboard/api-keys").await.status(),
        StatusCode::SEE_OTHER
    );
    let res = visitor
        .submit(
            "/dashboard/login",
            "/dashboard/api-keys",
            &[("name", "Sneaky")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/dashboard/login"));
    // A signed-in admin who is not elevated is asked to confirm the password (the create
    // last, so the form it keeps is still there after the password prompt).
    app.end_elevation().await;
    let res = app.revoke_api_key("Keep").await;
    assert!(location(&res).starts_with("/dashboard/elevate"));
    let res = app
        .submit(
            "/dashboard/api-keys",
            "/dashboard/api-keys",
            &[("name", "Later")],
        )
        .await;
    assert!(location(&res).starts_with("/dashboard/elevate"));
    let keys = insignia::auth::api_keys::list(&mut app.db()).expect("keys");
    assert_eq!(keys.len(), 1, "no key created");
    assert!(!keys[0].is_revoked(), "not revoked");
    let reply = app
        .api(Method::GET, "/members/v3/badges", Some(&secret), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // After confirming the password, the typed name is back in the form.
    let elevate = app
        .page("/dashboard/elevate?next=/dashboard/api-keys")
        .await;
    let res = app
        .post_form(
            "/dashboard/elevate",
            &[
                ("csrf_token", elevate.csrf_token().as_str()),
                ("password", crate::helpers::ADMIN_PASSWORD),
                ("next", "/dashboard/api-keys"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.page("/dashboard/api-keys").await;
    assert_eq!(page.attr("#name", "value").as_deref(), Some("Later"));
}

/// A field sent twice is read as it always was: its first value, not a refused form.
#[tokio::test]
async fn a_name_sent_twice_names_the_key_by_its_first_value() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let res = app
        .submit(
            "/dashboard/api-keys",
            "/dashboard/api-keys",
            &[("name", "First"), ("name", "Second")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let keys = insignia::auth::api_keys::list(&mut app.db()).expect("keys");
    assert_eq!(
        keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["First"]
    );
}
