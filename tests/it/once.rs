//! Forms whose answer shows a secret once carry a one-use token: sent again (a reload re-posts
//! the same form), they answer "already done", show no secret and create nothing.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app_with, to_page};

/// A form's fields as the browser would send them: its hidden ones (CSRF and one-use tokens)
/// read from `page`, and `fields`.
async fn form_of(
    app: &TestApp,
    page: &str,
    form: &str,
    fields: &[(&str, &str)],
) -> Vec<(String, String)> {
    let page = app.page(page).await;
    let mut sent: Vec<(String, String)> = page
        .select(&format!("{form} input[type=hidden]"))
        .iter()
        .map(|input| {
            let value = |name| input.value().attr(name).unwrap_or_default().to_string();
            (value("name"), value("value"))
        })
        .collect();
    sent.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    sent
}

async fn post(app: &TestApp, action: &str, fields: &[(String, String)]) -> crate::helpers::Page {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.post_form(action, &fields).await;
    assert_eq!(res.status(), StatusCode::OK, "{action}");
    to_page(res).await
}

#[tokio::test]
async fn sending_a_new_api_key_form_again_creates_no_second_key() {
    let app = spawn_app_with(|_| {}).await;
    app.setup_admin().await;
    let action = "/dashboard/api-keys";
    let form = format!("form[action='{action}']");
    let sent = form_of(&app, action, &form, &[("name", "CRM sync")]).await;
    assert!(
        sent.iter().any(|(k, v)| k == "once" && !v.is_empty()),
        "{sent:?}"
    );
    let first = post(&app, action, &sent).await;
    let secret = first.attr("#secret", "value").expect("the key, shown once");
    let again = post(&app, action, &sent).await;
    assert!(again.text_of("#already-done").contains("Already done"));
    assert!(
        !again.has("#secret") && !again.text.contains(&secret),
        "not shown again"
    );
    assert_eq!(
        insignia::auth::api_keys::list(&mut app.db())
            .expect("keys")
            .len(),
        1
    );
    // A form drawn anew is a new request.
    let another = form_of(&app, action, &form, &[("name", "Second")]).await;
    assert!(post(&app, action, &another).await.has("#secret"));
    assert_eq!(
        insignia::auth::api_keys::list(&mut app.db())
            .expect("keys")
            .len(),
        2
    );
}

#[tokio::test]
async fn sending_a_new_endpoint_or_new_secret_form_again_changes_nothing() {
    use insignia::db::schema::webhook_endpoints;
    let app = spawn_app_with(|s| s.webhooks.allow_private = true).await;
    app.setup_admin().await;
    let action = "/dashboard/webhooks";
    let form = format!("form[action='{action}']");
    let fields = [
        ("url", "http://127.0.0.1:9/hook"),
        ("format", "standard"),
        ("kinds", "badge.assigned"),
        ("enabled", "on"),
    ];
    let sent = form_of(&app, action, &form, &fields).await;
    let first = post(&app, action, &sent).await;
    let secret = first
        .attr("#secret", "value")
        .expect("the secret, shown once");
    let again = post(&app, action, &sent).await;
    assert!(again.text_of("#already-done").contains("Already done"));
    assert!(!again.text.contains(&secret));
    let endpoints = || -> i64 {
        webhook_endpoints::table
            .count()
            .get_result(&mut app.db())
            .expect("count")
    };
    assert_eq!(endpoints(), 1);

    // "New signing secret", sent twice: one new secret.
    let rotate = first
        .attr("form[action$='/rotate']", "action")
        .expect("the rotate form");
    let show = rotate.trim_end_matches("/rotate").to_string();
    let stored = || -> String {
        webhook_endpoints::table
            .select(webhook_endpoints::secret)
            .first(&mut app.db())
            .expect("secret")
    };
    let sent = form_of(&app, &show, &format!("form[action='{rotate}']"), &[]).await;
    let rotated = post(&app, &rotate, &sent).await;
    let new_secret = rotated.attr("#secret", "value").expect("the new secret");
    assert_ne!(new_secret, secret);
    let after_first = stored();
    let again = post(&app, &rotate, &sent).await;
    assert!(again.text_of("#already-done").contains("Already done"));
    assert!(!again.has("#secret"));
    assert_eq!(stored(), after_first, "no second new secret");
}

#[tokio::test]
async fn the_bulk_report_address_answers_a_get_with_the_badge_page() {
    let app = spawn_app_with(|_| {}).await;
    app.setup_admin().await;
    let badge = app.create_badge("Gold").await;
    for form in ["members", "members/remove", "members/end"] {
        let res = app.get(&format!("/dashboard/badges/{badge}/{form}")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{form}");
        assert_eq!(
            crate::helpers::location(&res),
            format!("/dashboard/badges/{badge}")
        );
    }
    let res = app
        .new_visitor()
        .get(&format!("/dashboard/badges/{badge}/members"))
        .await;
    assert!(
        crate::helpers::location(&res).starts_with("/dashboard/login"),
        "a visitor is asked to sign in"
    );
}
