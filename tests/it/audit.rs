//! Every badge change leaves an audit entry; the log page lists them newest first.

use crate::helpers::{ADMIN_EMAIL, BadgeFields, spawn_app};

#[tokio::test]
async fn badge_changes_are_audited_newest_first_and_filterable() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let gold = app.create_badge("Gold").await;
    let silver = app.create_badge("Silver").await;
    let path = format!("/dashboard/badges/{gold}/edit");
    app.submit_badge(&path, &path, &BadgeFields::titled("Golden"))
        .await;
    app.submit(
        &format!("/dashboard/badges/{silver}/delete"),
        &format!("/dashboard/badges/{silver}/delete"),
        &[],
    )
    .await;

    assert_eq!(
        app.audit_actions(),
        [
            "badge.delete",
            "badge.update",
            "badge.create",
            "badge.create"
        ]
    );
    let page = app.page("/dashboard/audit").await;
    let rows: Vec<String> = page
        .select("table.audit tbody tr")
        .iter()
        .map(|r| r.text().collect::<String>())
        .collect();
    assert_eq!(rows.len(), 4);
    // Actions read as words, not as their stored names.
    assert!(rows[0].contains("deleted a badge") && rows[0].contains("Silver"));
    assert!(rows[1].contains("changed a badge") && rows[1].contains("renamed from \"Gold\""));
    assert!(rows.iter().all(|r| !r.contains("badge.")), "{rows:?}");
    assert!(rows.iter().all(|r| r.contains(ADMIN_EMAIL)));

    let filtered = app.page(&format!("/dashboard/audit?badge={gold}")).await;
    assert_eq!(filtered.select("table.audit tbody tr").len(), 2);
}

#[tokio::test]
async fn the_log_is_paged() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for i in 0..26 {
        app.create_badge(&format!("Badge {i}")).await;
    }
    for i in 0..26 {
        let id = app.badges()[0].id.to_string();
        let path = format!("/dashboard/badges/{id}/edit");
        app.submit_badge(&path, &path, &BadgeFields::titled(&format!("Renamed {i}")))
            .await;
    }
    let first = app.page("/dashboard/audit").await;
    assert_eq!(first.select("table.audit tbody tr").len(), 50);
    let older = first.attr("a[rel=next]", "href").expect("older link");
    let second = app.page(&older).await;
    assert_eq!(second.select("table.audit tbody tr").len(), 2);
    assert!(!second.has("a[rel=next]"));
}

#[tokio::test]
async fn a_bulk_assignment_counts_every_member_in_its_audit_entry() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Crowd").await;
    app.insert_members(1_000, "Many");
    let pasted = (0..1_000)
        .map(|i| format!("many.{i}@example.com"))
        .collect::<Vec<_>>()
        .join("\n");
    let page = format!("/dashboard/badges/{badge}");
    app.submit(
        &page,
        &format!("{page}/members"),
        &[("bulk", &pasted), ("action", "assign")],
    )
    .await;
    assert_eq!(app.assignments().len(), 1_000);

    let entries = insignia::audit::page(&mut app.db(), &Default::default(), 10).expect("audit");
    let assign = entries
        .iter()
        .find(|e| e.action == "badge.assign")
        .expect("an assign entry");
    assert!(
        assign.details.starts_with("gave it to 1,000 members: "),
        "{}",
        assign.details
    );
    assert!(
        assign.details.ends_with(" and 995 more"),
        "{}",
        assign.details
    );
    assert_eq!(
        assign.details.matches(", ").count(),
        4,
        "five names: {}",
        assign.details
    );
    let shown = app.page("/dashboard/audit").await;
    assert!(shown.text.contains("and 995 more"));

    // Taking it back from the ticked ones is counted the same way.
    let ids: Vec<String> = app.assignments().into_iter().map(|(_, m)| m).collect();
    insignia::members::assignments::unassign(
        &mut app.db(),
        &insignia::audit::Actor::system(),
        &insignia::ids::BadgeId::new(badge.clone()),
        &insignia::ids::MemberId::all(&ids[..7]),
    )
    .expect("unassign");
    let entries = insignia::audit::page(&mut app.db(), &Default::default(), 1).expect("audit");
    assert!(
        entries[0].details.starts_with("took it from 7 members: ")
            && entries[0].details.ends_with(" and 2 more"),
        "{}",
        entries[0].details
    );
}
