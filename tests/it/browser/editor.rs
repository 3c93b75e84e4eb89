//! The badge editor says what is true before anything is saved: the chosen SVG in the
//! preview, an icon address that does not load, options that exclude each other, and where
//! the mistakes are after a refused save.

use serde_json::json;

use super::Browser;
use crate::helpers::spawn_app;

const STAR_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2l3 7h7l-6 4 2 7-6-4-6 4 2-7-6-4h7z" fill="#ff0"/></svg>"##;

#[tokio::test]
async fn the_badge_editor_tells_the_truth_before_saving() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    browser.goto("/dashboard/badges/new").await;
    browser.until_at("/dashboard/badges/new").await;

    // "Grants page permissions" and "Members may add it themselves" cannot both be ticked.
    browser.click("#permissions_enabled").await;
    browser
        .until_js(
            "self-assignable to be disabled",
            "return document.getElementById('self_assignable').disabled;",
            json!(true),
        )
        .await;
    browser.click("#permissions_enabled").await;
    browser
        .until_js(
            "self-assignable to be free again",
            "return document.getElementById('self_assignable').disabled;",
            json!(false),
        )
        .await;

    // An icon address that does not load is called out in the preview.
    browser.click("#icon-url-choice").await;
    browser
        .type_into("#icon_url", "http://127.0.0.1:9/missing-icon.svg")
        .await;
    browser.until_present("#preview .icon-warning", true).await;

    // A chosen SVG file is drawn in the preview before it is uploaded.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("star.svg");
    std::fs::write(&file, STAR_SVG).expect("write svg");
    browser
        .find("#icon_file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    browser
        .until_js(
            "the chosen file in the preview",
            "return Array.from(document.querySelectorAll('#preview .badge')).map(b => { const i = b.querySelector('img.badge-icon'); return i ? i.src.slice(0, 26) : null; });",
            json!(["data:image/svg+xml;base64,", "data:image/svg+xml;base64,"]),
        )
        .await;
    browser.until_present("#preview .icon-warning", false).await;
    // The file is shown as the chosen icon, and no other choice stays ticked beside it.
    browser
        .until_js(
            "the upload shown as chosen",
            "const n = document.getElementById('chosen-upload'); return n ? n.textContent.includes('star.svg') : false;",
            json!(true),
        )
        .await;
    assert_eq!(
        browser
            .js("return document.querySelectorAll('#icon-field input[name=icon]:checked').length;")
            .await,
        json!(0)
    );
    browser.screenshot("editor-chosen-file.png").await;

    // A refused save: focus lands on the summary, whose links lead to each field.
    browser.type_into("#title", " ").await;
    browser.click("#badge-form button[type=submit]").await;
    browser.until_present("#error-summary", true).await;
    browser
        .until_js(
            "focus on the error summary",
            "return document.activeElement ? document.activeElement.id : null;",
            json!("error-summary"),
        )
        .await;
    assert_eq!(
        browser
            .js("return Array.from(document.querySelectorAll('#error-summary a')).map(a => a.getAttribute('href'));")
            .await,
        json!(["#title"])
    );
    let problems = browser.inspect("editor-refused").await;
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(app.badges().is_empty(), "nothing was saved");
    browser.close().await;
}

/// Sends a big list through the bulk box: right after the click the buttons are disabled and
/// the page says it is working; the report follows.
#[tokio::test]
async fn long_work_says_it_is_working_and_cannot_be_sent_twice() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    browser.create_badge(&app, "Crowd").await;
    let badge = app.badges()[0].id.to_string();
    browser.goto(&format!("/dashboard/badges/{badge}")).await;
    browser
        .until_at(&format!("/dashboard/badges/{badge}"))
        .await;
    let lines: Vec<String> = (0..20_000)
        .map(|i| format!("person{i}@example.com"))
        .collect();
    browser
        .js(&format!(
            "document.getElementById('bulk').value = {}; return null;",
            json!(lines.join("\n"))
        ))
        .await;
    let state = browser
        .client
        .execute_async(
            r#"
const done = arguments[arguments.length - 1];
document.querySelector('#bulk-form button[value=dry_run]').click();
setTimeout(() => done({
  disabled: Array.from(document.querySelectorAll('#bulk-form button')).map(b => b.disabled),
  busy: (document.querySelector('#bulk-form .busy[role=status]') || {}).textContent || null,
}), 20);
"#,
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(state["disabled"], json!([true, true]), "{state}");
    assert!(
        state["busy"]
            .as_str()
            .unwrap_or_default()
            .contains("Working through the list"),
        "{state}"
    );
    browser.until_present("#bulk-report", true).await;
    assert!(
        browser
            .text_of("#bulk-report")
            .await
            .as_str()
            .unwrap_or_default()
            .contains("20,000 not found")
    );
    browser.close().await;
}
