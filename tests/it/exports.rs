//! CSV exports from the dashboard: every member with their badges, a badge's holders and the
//! audit log; audited, safe to open in a spreadsheet, streamed, and read back by the import.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, location, spawn_app};
use crate::import::import;

/// A download's rows, header first, as a spreadsheet or script would read them.
fn rows_of(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("well-formed CSV")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Downloads a CSV file: (the name it is saved under, its text).
async fn download(app: &TestApp, path: &str) -> (String, String) {
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let header = |name: &str| res.headers()[name].to_str().unwrap().to_string();
    assert!(header("content-type").starts_with("text/csv"));
    let disposition = header("content-disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    (disposition, res.text().await.expect("body"))
}

async fn give(app: &TestApp, key: &str, badge: &str, members: &[&str]) {
    let reply = app
        .api(
            Method::POST,
            &format!("/members/v3/badges/{badge}/members"),
            Some(key),
            Some(json!({ "memberIds": members })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn the_members_export_is_safe_in_a_spreadsheet_and_imports_back_whole() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("Export").await;
    let mentor = app.create_badge("Mentor").await;
    let speaker = app.create_badge("Speaker, Keynote").await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
    let ada = app.create_member(formula, "ada@example.com").await;
    let alan = app.create_member("Turing, Alan", "alan@example.com").await;
    let grace = app.create_member("-Grace", "grace@example.com").await;
    // Given in the other order: the cell still lists them in display order.
    give(&app, &key, &speaker, &[&ada]).await;
    give(&app, &key, &mentor, &[&ada, &alan]).await;

    let audit_before = app.audit_actions().len();
    let (_, text) = download(&app, "/dashboard/members/export.csv").await;
    let rows = rows_of(&text);
    assert_eq!(rows[0], ["name", "email", "member_id", "badges"]);
    let row = |id: &str| {
        rows.iter()
            .find(|r| r[2] == id)
            .expect("member's row")
            .clone()
    };
    // A would-be formula opens as text: the `'` keeps a spreadsheet from running it.
    assert_eq!(row(&ada)[0], format!("'{formula}"));
    assert_eq!(row(&ada)[3], "Mentor; Speaker, Keynote");
    assert_eq!(
        row(&alan)[..],
        ["Turing, Alan", "alan@example.com", &alan, "Mentor"]
    );
    assert_eq!(row(&grace)[0], "'-Grace");
    assert_eq!(row(&grace)[3], "");
    assert_eq!(rows.len(), 4);
    // The download is in the log.
    let actions = app.audit_actions();
    assert_eq!(actions.len(), audit_before + 1);
    assert_eq!(actions.first().map(String::as_str), Some("export.csv"));

    // Someone not signed in gets the sign-in page, not the file, and nothing is logged.
    let visitor = app.new_visitor();
    let res = visitor.get("/dashboard/members/export.csv").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(location(&res).contains("/dashboard/login"));
    assert_eq!(app.audit_actions().len(), audit_before + 1);

    // The file imports into another site as it is, with every name as it was typed.
    let other = spawn_app().await;
    other.setup_admin().await;
    let report = import(&other, &text, "import", true).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    assert!(
        report
            .text_of("#import-report .summary")
            .contains("3 created"),
        "{}",
        report.text_of("#import-report")
    );
    let mut names: Vec<(String, String)> = {
        use diesel::prelude::*;
        use insignia::db::schema::members;
        members::table
            .select((members::name, members::email))
            .load(&mut other.db())
            .expect("members")
    };
    names.sort();
    assert_eq!(
        names,
        [
            ("-Grace".to_string(), "grace@example.com".to_string()),
            (formula.to_string(), "ada@example.com".to_string()),
            ("Turing, Alan".to_string(), "alan@example.com".to_string()),
        ]
    );
}

#[tokio::test]
async fn holders_and_the_filtered_audit_log_export_as_their_pages_show_them() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("Giver").await;
    let mentor = app.create_badge("Mentor").await;
    let other = app.create_badge("Other").await;
    let first = app.create_member("First Holder", "first@example.com").await;
    let second = app
        .create_member("Second Holder", "second@example.com")
        .await;
    give(&app, &key, &mentor, &[&first]).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    give(&app, &key, &mentor, &[&second]).await;
    give(&app, &key, &other, &[&first]).await;

    let badge_page = app.page(&format!("/dashboard/badges/{mentor}")).await;
    let link = badge_page
        .attr("a[href$='/holders.csv']", "href")
        .expect("export link on the badge page");
    let (disposition, text) = download(&app, &link).await;
    assert!(disposition.contains("mentor"), "{disposition}");
    let rows = rows_of(&text);
    assert_eq!(
        rows[0],
        [
            "name",
            "email",
            "member_id",
            "assigned_at",
            "assigned_by",
            "expires_at"
        ]
    );
    // Newest first, as the holders page lists them; only this badge's holders.
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);
    assert!(
        rows[1][3].ends_with('Z') && rows[1][3].len() == 24,
        "{}",
        rows[1][3]
    );
    assert!(rows[1][4].contains("Giver"), "{}", rows[1][4]);

    // The audit log filtered by a badge exports only that badge's entries.
    let audit_page = app.page(&format!("/dashboard/audit?badge={mentor}")).await;
    let link = audit_page
        .attr("a[href^='/dashboard/audit/export.csv']", "href")
        .expect("export link on the audit page");
    let (_, text) = download(&app, &link).await;
    let rows = rows_of(&text);
    assert_eq!(
        rows[0],
        [
            "at",
            "actor",
            "action",
            "target",
            "details",
            "badge_id",
            "member_id"
        ]
    );
    assert!(rows.len() >= 3, "{rows:?}");
    assert!(rows[1..].iter().all(|r| r[5] == mentor), "{rows:?}");
    // Newest first: the export of the holders is the latest entry about this badge.
    assert_eq!(rows[1][2], "export.csv");
    assert!(rows[1..].iter().any(|r| r[2] == "badge.create"));

    // Unfiltered, the other badge's changes are there too.
    let (_, all) = download(&app, "/dashboard/audit/export.csv").await;
    assert!(rows_of(&all)[1..].iter().any(|r| r[5] == other));

    let res = app.get("/dashboard/badges/no-such-badge/holders.csv").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_large_export_is_streamed_a_page_at_a_time() {
    let app = spawn_app().await;
    app.demo_then_owner(7_000, 7_000).await;
    let mut res = app.get("/dashboard/members/export.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    // No length up front: the file is written while it is read.
    assert!(res.headers().get("content-length").is_none());
    let first = res.chunk().await.expect("read").expect("a first part");
    assert_eq!(&first[..], b"name,email,member_id,badges\n");
    let mut parts = 1;
    let mut body = first.to_vec();
    while let Some(part) = res.chunk().await.expect("read") {
        parts += 1;
        body.extend_from_slice(&part);
    }
    assert!(parts >= 4, "{parts} parts");
    let rows = rows_of(&String::from_utf8(body).expect("UTF-8"));
    assert_eq!(rows.len(), 7_001);
    let mut ids: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 7_000, "every member once");
}
