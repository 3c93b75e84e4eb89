//! Bulk changes at the size the bulk box allows: set-based, summarised on a small page with
//! the whole report as a download, and in every member's own history.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, to_page};

fn page_of(bytes: &[u8]) -> crate::helpers::Page {
    let text = String::from_utf8_lossy(bytes).to_string();
    crate::helpers::Page {
        status: StatusCode::OK,
        html: scraper::Html::parse_document(&text),
        text,
    }
}

#[tokio::test]
async fn a_fifty_thousand_line_change_is_summarised_small_and_lands_in_each_members_history() {
    let app = spawn_app().await;
    app.demo_then_owner(5_000, 0).await;
    let badge = app.create_badge("Marathon").await;
    let emails: Vec<String> = {
        use diesel::prelude::*;
        insignia::db::schema::members::table
            .select(insignia::db::schema::members::email)
            .order(insignia::db::schema::members::key)
            .load(&mut app.db())
            .expect("emails")
    };
    assert_eq!(emails.len(), 5_000);
    // 5,000 members, then 45,000 addresses nobody has.
    let pasted: String = emails
        .iter()
        .cloned()
        .chain((0..45_000).map(|i| format!("nobody.{i}@example.org")))
        .collect::<Vec<_>>()
        .join("\n");
    let page = format!("/dashboard/badges/{badge}");

    let dry = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("bulk", &pasted), ("action", "dry_run")],
        )
        .await;
    // The answer leads to the report's own address.
    let dry = app.get(&crate::helpers::location(&dry)).await;
    let dry_bytes = dry.bytes().await.expect("body");
    assert!(
        dry_bytes.len() < 512 * 1024,
        "dry-run page is {} bytes",
        dry_bytes.len()
    );
    let dry = page_of(&dry_bytes);
    let summary = dry
        .text_of("#bulk-report")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        summary.contains("5,000 to assign, 0 already held, 45,000 not found"),
        "{summary}"
    );
    assert!(summary.contains("and 44,800 more lines"), "{summary}");
    assert!(app.assignments().is_empty(), "a dry run writes nothing");

    let plan = dry
        .attr("#bulk-report input[name=plan]", "value")
        .expect("plan");
    let done = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("plan", &plan), ("action", "assign")],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let done = app.get(&crate::helpers::location(&done)).await;
    assert_eq!(done.status(), StatusCode::OK);
    let done_bytes = done.bytes().await.expect("body");
    assert!(
        done_bytes.len() < 512 * 1024,
        "report page is {} bytes",
        done_bytes.len()
    );
    assert_eq!(app.assignments().len(), 5_000);
    app.assert_counts_exact();

    // The full report has a row per pasted line.
    let done = page_of(&done_bytes);
    let href = done
        .attr("#bulk-report a[download]", "href")
        .expect("download");
    let csv = app.get(&href).await.text().await.expect("csv");
    assert_eq!(csv.lines().count(), 50_001);

    // A member in the middle of the list finds the change in their history.
    let member = insignia::members::find_by_email(&mut app.db(), &emails[2_500])
        .expect("lookup")
        .expect("member");
    let history = to_page(
        app.get(&format!("/dashboard/audit?member={}", member.id))
            .await,
    )
    .await;
    let text = history.text_of("main");
    assert!(text.contains("gave it to 5,000 members"), "{text}");
}
