//! The dashboard's members list filtered by a badge held, or by none, keyset-paged, and a
//! badge given to (or taken from) every member the filter keeps, or the ticked ones, with a
//! dry run first and an undo after.

use reqwest::StatusCode;

use crate::helpers::{Page, TestApp, location, spawn_app};

fn names(page: &Page) -> Vec<String> {
    page.select("table.members tbody tr td:first-child")
        .iter()
        .map(|td| td.text().collect::<String>().trim().to_string())
        .collect()
}

async fn give(app: &TestApp, badge: &str, member: &str) {
    let page = format!("/dashboard/badges/{badge}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", member)])
        .await;
}

#[tokio::test]
async fn the_members_list_filters_by_badge_and_acts_on_all_that_match() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let gold = app.create_badge("Gold").await;
    let silver = app.create_badge("Silver").await;
    let ada = app.create_member("Ada", "ada@example.com").await;
    let alan = app.create_member("Alan", "alan@example.com").await;
    let grace = app.create_member("Grace", "grace@example.com").await;
    for member in [&ada, &alan] {
        give(&app, &gold, member).await;
    }
    give(&app, &silver, &grace).await;
    // 55 members without badges: more than a page.
    app.insert_members(55, "Quiet");

    let holding = app.page(&format!("/dashboard/members?holds={gold}")).await;
    assert_eq!(names(&holding), ["Alan", "Ada"], "newest first");
    assert!(
        holding
            .text_of("#filter-state")
            .contains("holding “Gold”: 2")
    );

    let none = app.page("/dashboard/members?holds=none").await;
    assert_eq!(names(&none).len(), 50);
    assert!(names(&none).iter().all(|n| n.starts_with("Quiet")));
    let older = none.attr("a[rel=next]", "href").expect("a next page");
    let rest = app.page(&older).await;
    assert_eq!(names(&rest).len(), 5, "keyset paging: the other five");
    assert!(!rest.has("a[rel=next]"));

    // A dry run for all 55: counted, nothing written.
    let list = "/dashboard/members?holds=none";
    let res = app
        .submit(
            list,
            "/dashboard/members/badges",
            &[
                ("scope", "all"),
                ("holds", "none"),
                ("badge_id", &silver),
                ("direction", "give"),
                ("action", "dry_run"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let check = app.page(&location(&res)).await;
    let said = check.text_of("#filtered-check");
    assert!(said.contains("55 members without badges"), "{said}");
    assert!(said.contains("55 would get “Silver”"), "{said}");
    assert_eq!(app.assignments().len(), 3, "a dry run writes nothing");

    // Applied: one change, with an Undo.
    let res = app
        .submit(
            &location(&res),
            "/dashboard/members/badges",
            &[
                ("scope", "all"),
                ("holds", "none"),
                ("badge_id", &silver),
                ("direction", "give"),
                ("action", "apply"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.assignments().len(), 58);
    app.assert_counts_exact();
    let (message, undone) = app.press_undo(&location(&res)).await;
    assert!(
        message.contains("Gave “Silver” to 55 members without badges"),
        "{message}"
    );
    assert_eq!(undone.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.assignments().len(), 3, "the undo took it back");
    app.assert_counts_exact();

    // Take a badge from all its holders through the filter.
    let res = app
        .submit(
            &format!("/dashboard/members?holds={gold}"),
            "/dashboard/members/badges",
            &[
                ("scope", "all"),
                ("holds", &gold),
                ("badge_id", &gold),
                ("direction", "take"),
                ("action", "apply"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.assignments(), [(silver.clone(), grace.clone())]);
    app.assert_counts_exact();

    // The ticked ones go through the badge's bulk box: its report, at its own address.
    let res = app
        .submit(
            "/dashboard/members",
            "/dashboard/members/badges",
            &[
                ("scope", "ticked"),
                ("member", &ada),
                ("member", &alan),
                ("badge_id", &silver),
                ("direction", "give"),
                ("action", "dry_run"),
            ],
        )
        .await;
    assert!(location(&res).starts_with(&format!("/dashboard/badges/{silver}?report=")));
    let report = app.page(&location(&res)).await;
    let words = report
        .text_of("#bulk-report")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("2 to assign"), "{words}");
    assert_eq!(app.assignments().len(), 1);

    // "All that match" without a filter: refused, nothing changed.
    let res = app
        .submit(
            "/dashboard/members",
            "/dashboard/members/badges",
            &[
                ("scope", "all"),
                ("holds", ""),
                ("badge_id", &silver),
                ("action", "apply"),
            ],
        )
        .await;
    let refused = app.page(&location(&res)).await;
    assert!(
        refused
            .text_of(".flash-error")
            .contains("Choose which members first")
    );
    assert_eq!(app.assignments().len(), 1);
    // No badge chosen: refused, nothing changed.
    let res = app
        .submit(
            "/dashboard/members",
            "/dashboard/members/badges",
            &[("scope", "all"), ("holds", "none"), ("action", "apply")],
        )
        .await;
    let refused = app.page(&location(&res)).await;
    assert!(refused.text_of(".flash-error").contains("Choose the badge"));
    assert_eq!(app.assignments().len(), 1);
}
