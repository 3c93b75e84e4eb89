//! The holders page as an owner works it: tick all, remove with Undo, times in the reader's
//! words; and the dashboard header on a phone.

use serde_json::json;

use super::{Browser, wait_for_db};
use crate::helpers::spawn_app;

#[tokio::test]
async fn holders_are_ticked_all_at_once_removed_and_given_back_with_undo() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Mentor").await;
    let page = format!("/dashboard/badges/{badge}");
    let mut ids = Vec::new();
    for (name, email) in [
        ("Ada Lovelace", "ada@example.com"),
        ("Alan Turing", "alan@example.com"),
        ("Grace Hopper", "grace@example.com"),
    ] {
        ids.push(app.create_member(name, email).await);
    }
    let fields: Vec<(&str, &str)> = ids.iter().map(|id| ("member_id", id.as_str())).collect();
    app.submit(&page, &format!("{page}/members"), &fields).await;
    assert_eq!(app.assignments().len(), 3);

    let browser = Browser::open(&app).await;
    browser.sign_in_admin().await;
    browser.goto(&page).await;
    browser.until_at(&page).await;
    browser.until_text("#holders-range", "1–3 of 3").await;

    // Times read as people say them, with the exact time on hover.
    browser
        .until_js(
            "assignment times in words",
            "return Array.from(document.querySelectorAll('#holders time')).map(t => [t.textContent.trim(), t.title !== '']);",
            json!([["now", true], ["now", true], ["now", true]]),
        )
        .await;

    // "Tick all on this page" ticks every row; unticking one makes it half-ticked.
    browser.click("input[data-tick-all]").await;
    let ticked = "return Array.from(document.querySelectorAll('#holders tbody input[name=member_id]')).map(b => b.checked);";
    browser
        .until_js("every row ticked", ticked, json!([true, true, true]))
        .await;
    browser
        .click("#holders tbody tr:nth-child(2) input[name=member_id]")
        .await;
    browser
        .until_js(
            "the header box half-ticked",
            "const a = document.querySelector('input[data-tick-all]'); return [a.checked, a.indeterminate];",
            json!([false, true]),
        )
        .await;

    // Remove the two ticked holders; the message offers Undo, which gives the badge back.
    browser
        .click("#unassign-form .actions button[type=submit]")
        .await;
    browser.until_present(".flash form.undo", true).await;
    wait_for_db("two holders removed", || app.assignments().len() == 1).await;
    assert!(
        browser
            .text_of(".flash-success")
            .await
            .as_str()
            .unwrap_or_default()
            .starts_with("Removed the badge from 2 members.")
    );
    browser.click(".flash form.undo button").await;
    wait_for_db("the badge given back", || app.assignments().len() == 3).await;
    browser.close().await;
}

#[tokio::test]
async fn the_dashboard_header_folds_into_a_menu_on_a_phone() {
    let app = spawn_app().await;
    let browser = Browser::open_phone(&app, 390, 844).await;
    browser.set_up_admin().await;
    let header =
        "return Math.round(document.querySelector('.topbar').getBoundingClientRect().height);";
    let folded = browser.js(header).await.as_i64().unwrap_or(i64::MAX);
    assert!(folded < 80, "the folded header is {folded} px tall");
    assert_eq!(
        browser
            .js("return getComputedStyle(document.getElementById('topbar-menu')).display;")
            .await,
        json!("none")
    );
    browser.click(".menu-toggle").await;
    browser
        .until_attr(".menu-toggle", "aria-expanded", "true")
        .await;
    browser
        .until_js(
            "the dashboard links to show",
            "const a = document.querySelector('nav[aria-label=Dashboard] a[href=\"/dashboard/members\"]'); return !!a && a.getBoundingClientRect().height > 0;",
            json!(true),
        )
        .await;
    browser
        .click("nav[aria-label=Dashboard] a[href='/dashboard/members']")
        .await;
    browser.until_at("/dashboard/members").await;
    browser.close().await;
}

#[tokio::test]
async fn after_an_arrow_the_focus_is_back_on_the_moved_badges_arrow() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    for title in ["Alpha", "Bravo", "Charlie"] {
        browser.create_badge(&app, title).await;
    }
    browser.goto("/dashboard/badges").await;
    browser.until_list(&["Alpha", "Bravo", "Charlie"]).await;
    browser
        .click("#badge-list .badge-row:nth-child(3) button[value=up]")
        .await;
    browser.until_list(&["Alpha", "Charlie", "Bravo"]).await;
    browser
        .until_js(
            "the focus on Charlie's up arrow",
            "const f = document.activeElement; return f ? f.getAttribute('aria-label') : null;",
            json!("Move Charlie up"),
        )
        .await;
    // Pressing Enter again moves it once more, without reaching for the mouse.
    browser
        .client
        .active_element()
        .await
        .expect("focused")
        .send_keys("\u{E007}")
        .await
        .expect("Enter");
    browser.until_list(&["Charlie", "Alpha", "Bravo"]).await;
    browser
        .until_js(
            "the focus on Charlie's down arrow (up is disabled at the top)",
            "const f = document.activeElement; return f ? f.getAttribute('aria-label') : null;",
            json!("Move Charlie down"),
        )
        .await;
    browser.close().await;
}
