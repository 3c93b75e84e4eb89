//! What one client may repeat: sign-ups per address, a member's own changes per member. A
//! refused request is a 429 page that says when to try again, and changes nothing.

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::helpers::{BadgeFields, TestApp, spawn_app, to_page};

const PASSWORD: &str = "a long enough password";

async fn sign_up(visitor: &TestApp, n: usize) -> reqwest::Response {
    visitor
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", &format!("Sock Puppet {n}")),
                ("email", &format!("puppet{n}@example.com")),
                ("password", PASSWORD),
            ],
        )
        .await
}

fn event_count(app: &TestApp) -> i64 {
    insignia::db::schema::events::table
        .count()
        .get_result(&mut app.db())
        .unwrap()
}

#[tokio::test]
async fn sign_ups_from_one_address_are_budgeted() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let mut made = 0;
    let mut refused = None;
    for n in 0..50 {
        let res = sign_up(&app.new_visitor(), n).await;
        match res.status() {
            StatusCode::SEE_OTHER => made += 1,
            StatusCode::TOO_MANY_REQUESTS => refused = Some(res),
            other => panic!("sign-up {n}: {other}"),
        }
    }
    assert_eq!(
        made, 20,
        "the default budget: 20 sign-ups an hour per address"
    );
    assert_eq!(app.member_count(), 20, "refused sign-ups made nobody");
    let refused = refused.expect("some sign-ups were refused");
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    let page = to_page(refused).await;
    assert!(
        page.text.contains("Please try again in") && page.text.contains("No account was made"),
        "{}",
        page.text
    );
    // Someone at another address signs up as usual.
    let res = sign_up(&app.visitor_from("127.0.0.2"), 99).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.member_count(), 21);
}

#[tokio::test]
async fn a_members_own_changes_are_budgeted() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let mut open = BadgeFields::titled("Volunteer");
    open.self_assignable = true;
    app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &open)
        .await;
    let badge = app.badges()[0].id.to_string();
    let member = app.new_visitor();
    assert_eq!(sign_up(&member, 1).await.status(), StatusCode::SEE_OTHER);
    let token = member.page("/me").await.csrf_token();
    let (audit_before, events_before) = (app.audit_actions().len(), event_count(&app));

    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    let mut refusal = None;
    // Each accepted request is a real change: add when not held, remove when held.
    let mut held = false;
    for _ in 0..150 {
        let action = if held { "remove" } else { "add" };
        let res = member
            .post_form(
                "/me/badges",
                &[
                    ("badge_id", badge.as_str()),
                    ("action", action),
                    ("csrf_token", &token),
                ],
            )
            .await;
        statuses.push(res.status());
        if res.status() == StatusCode::SEE_OTHER {
            held = !held;
        }
        if res.status() == StatusCode::TOO_MANY_REQUESTS && refusal.is_none() {
            refusal = Some(res);
        }
    }
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    let first_refused = statuses
        .iter()
        .position(|s| *s == StatusCode::TOO_MANY_REQUESTS)
        .expect("some changes were refused");
    // 60 at once, then one a second (the budget refills while the test runs).
    let refills = started.elapsed().as_secs() as usize + 1;
    assert!(
        (60..=60 + refills).contains(&first_refused),
        "{first_refused} {statuses:?}"
    );
    assert!(accepted <= 60 + refills, "{accepted} accepted");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(
        app.audit_actions().len() - audit_before,
        accepted,
        "refused changes wrote no audit entry"
    );
    assert_eq!(
        (event_count(&app) - events_before) as usize,
        accepted,
        "refused changes sent no webhook event"
    );
    // The page of a refusal says when to try again.
    let refusal = refusal.expect("a refusal");
    assert!(refusal.headers().contains_key("retry-after"));
    let page = to_page(refusal).await;
    assert!(
        page.text.contains("Please try again in") && page.text.contains("Nothing was changed"),
        "{}",
        page.text
    );
}
