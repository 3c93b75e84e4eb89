//! Bulk work both ways and its undo: the bulk box takes a badge away as it gives it (dry run,
//! per-line report), "Remove all holders" takes it from everyone in one confirmed step, and
//! for a day the report of either offers Undo, which gives every member back the assignment
//! they had (time, giver, end, hidden and pinned state) or takes away what the change gave.

use diesel::prelude::*;
use insignia::db::schema::{badges, member_badges, members};
use reqwest::StatusCode;

use crate::helpers::{Page, TestApp, location, spawn_app};

/// How each member holds a badge, as stored: (member id, assigned at, by, expires, hidden,
/// pinned at), by member id.
type Holding = (String, i64, String, Option<i64>, bool, Option<i64>);

fn holdings(app: &TestApp, badge: &str) -> Vec<Holding> {
    member_badges::table
        .inner_join(badges::table.on(badges::key.eq(member_badges::badge_key)))
        .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
        .filter(badges::id.eq(badge))
        .select((
            members::id,
            member_badges::assigned_at,
            member_badges::assigned_by,
            member_badges::expires_at,
            member_badges::hidden,
            member_badges::pinned_at,
        ))
        .order(members::id)
        .load(&mut app.db())
        .expect("holdings")
}

/// Gives `badge` to `count` new members (bulk box), then makes their assignments differ as
/// real ones do: some hidden, some pinned, some with an end, given at different times.
async fn holders(app: &TestApp, badge: &str, count: usize) -> Vec<String> {
    let emails: Vec<String> = (0..count)
        .map(|i| format!("holder.{i}@example.com"))
        .collect();
    app.insert_members(count, "holder");
    let page = format!("/dashboard/badges/{badge}");
    let res = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("bulk", &emails.join("\n")), ("action", "assign")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let key: i64 = badges::table
        .filter(badges::id.eq(badge))
        .select(badges::key)
        .first(&mut app.db())
        .expect("badge");
    let rows: Vec<i64> = member_badges::table
        .filter(member_badges::badge_key.eq(key))
        .select(member_badges::member_key)
        .load(&mut app.db())
        .expect("rows");
    for (i, member) in rows.iter().enumerate() {
        let i = i as i64;
        diesel::update(
            member_badges::table
                .filter(member_badges::badge_key.eq(key))
                .filter(member_badges::member_key.eq(member)),
        )
        .set((
            member_badges::assigned_at.eq(1_700_000_000_000 + i * 61_000),
            member_badges::hidden.eq(i % 3 == 0),
            member_badges::pinned_at.eq((i % 4 == 0).then_some(1_700_000_000_000 + i)),
            member_badges::expires_at.eq((i % 5 == 0).then_some(4_000_000_000_000 + i)),
        ))
        .execute(&mut app.db())
        .expect("vary");
    }
    emails
}

/// Sends a form of the badge page as a browser without JavaScript does, and follows the
/// answer to the page it leads to.
async fn send(app: &TestApp, badge: &str, fields: &[(&str, &str)]) -> Page {
    let page = format!("/dashboard/badges/{badge}");
    let res = app.submit(&page, &format!("{page}/members"), fields).await;
    app.followed(res).await
}

/// Presses a report's "Undo this change".
async fn press_report_undo(app: &TestApp, report: &Page) -> reqwest::Response {
    let fields: Vec<(String, String)> = report
        .select("#undo-form input[type=hidden]")
        .iter()
        .map(|i| {
            let attr = |n: &str| i.value().attr(n).unwrap_or_default().to_string();
            (attr("name"), attr("value"))
        })
        .collect();
    assert!(!fields.is_empty(), "the report offers Undo");
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    app.post_form("/dashboard/undo", &pairs).await
}

fn words(page: &Page, css: &str) -> String {
    page.text_of(css)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn taking_a_badge_from_pasted_emails_and_undoing_it_restores_every_assignment_as_it_was() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Volunteer").await;
    let emails = holders(&app, &badge, 240).await;
    let before = holdings(&app, &badge);
    assert_eq!(before.len(), 240);

    // 200 of them, one unknown address, one repeated, one not holding it.
    app.insert_members(1, "bystander");
    let mut pasted: Vec<String> = emails[..200].to_vec();
    pasted.push("nobody@example.com".to_string());
    pasted.push(emails[0].to_uppercase());
    pasted.push("bystander.0@example.com".to_string());
    let pasted = pasted.join("\n");

    let dry = send(
        &app,
        &badge,
        &[
            ("bulk", &pasted),
            ("direction", "take"),
            ("action", "dry_run"),
        ],
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK);
    assert!(
        words(&dry, "#bulk-report").contains(
            "Dry run — nothing was written. 200 to remove, 1 not holding it, 1 not found, 1 invalid."
        ),
        "{}",
        words(&dry, "#bulk-report")
    );
    assert!(words(&dry, "#bulk-kept-list").contains("Your 203 lines are kept with this check"));
    assert_eq!(
        dry.text_of("#bulk").trim(),
        pasted,
        "the list stays in the box"
    );
    assert!(dry.has("input[name=direction][value=take][checked]"));
    assert_eq!(holdings(&app, &badge), before, "a dry run writes nothing");

    // The lines that need attention download alone, to fix and paste again.
    let attention = dry
        .attr("#attention-download", "href")
        .expect("a download of the lines to fix");
    let csv = app.get(&attention).await.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with("201,nobody@example.com,no such member"),
        "{csv}"
    );
    assert!(lines[2].contains("repeats an earlier line"), "{csv}");

    let plan = dry
        .attr("#bulk-report input[name=plan]", "value")
        .expect("plan");
    assert_eq!(
        dry.text_of("#bulk-report button[value=remove]").trim(),
        "Remove from 200 members"
    );
    let done = send(&app, &badge, &[("plan", &plan), ("action", "remove")]).await;
    assert!(
        words(&done, "#bulk-report").contains("Done. 200 removed, 1 not holding it"),
        "{}",
        words(&done, "#bulk-report")
    );
    let left = holdings(&app, &badge);
    assert_eq!(left.len(), 40);
    assert!(
        left.iter().all(|h| before.contains(h)),
        "the others are untouched"
    );
    app.assert_counts_exact();

    // The report's own address shows it again (a reload, a bookmark) with its Undo.
    let address = format!(
        "/dashboard/badges/{badge}?report={}",
        done.attr("#undo-form input[name=back]", "value")
            .and_then(|b| b.split("report=").nth(1).map(|r| r[..64].to_string()))
            .expect("report id")
    );
    let again = app.page(&address).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(words(&again, "#bulk-report").contains("Done. 200 removed"));

    let res = press_report_undo(&app, &again).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = app.page(&location(&res)).await;
    assert!(
        words(&after, ".flash-success").contains("200 members got “Volunteer” back as they had it"),
        "{}",
        words(&after, ".flash")
    );
    assert!(after.has("#undone"), "the report says it was undone");
    assert!(!after.has("#undo-form"));
    assert_eq!(
        holdings(&app, &badge),
        before,
        "the same holders with the same times, ends, hidden and pinned state"
    );
    app.assert_counts_exact();
    let audit = app.audit_actions();
    assert!(audit.iter().filter(|a| *a == "badge.unassign").count() >= 1);

    // A second press changes nothing and says why.
    let res = press_report_undo(&app, &again).await;
    let refused = app.page(&location(&res)).await;
    assert!(words(&refused, ".flash-error").contains("undone already"));
    assert_eq!(holdings(&app, &badge), before);
}

#[tokio::test]
async fn undoing_a_bulk_give_takes_it_from_those_it_gave_it_to_and_gives_back_earlier_ends() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Mentor").await;
    let emails = holders(&app, &badge, 10).await;
    let before = holdings(&app, &badge);
    app.insert_members(5, "newcomer");
    let newcomers: Vec<String> = (0..5)
        .map(|i| format!("newcomer.{i}@example.com"))
        .collect();
    // Five new, three holders renewed to an end of their own.
    let pasted = [newcomers.clone(), emails[..3].to_vec()]
        .concat()
        .join("\n");
    let done = send(
        &app,
        &badge,
        &[
            ("bulk", &pasted),
            ("until", "2099-12-31"),
            ("direction", "give"),
            ("action", "apply"),
        ],
    )
    .await;
    assert!(
        words(&done, "#bulk-report")
            .contains("Done. 5 assigned, 3 already held (3 renewed from now)"),
        "{}",
        words(&done, "#bulk-report")
    );
    assert_eq!(holdings(&app, &badge).len(), 15);
    let res = press_report_undo(&app, &done).await;
    let after = app.page(&location(&res)).await;
    let message = words(&after, ".flash-success");
    assert!(
        message.contains("5 members no longer hold “Mentor”"),
        "{message}"
    );
    assert!(
        message.contains("3 members have their earlier end back"),
        "{message}"
    );
    let mut restored = holdings(&app, &badge);
    // A renewal writes when the end was set; the undo puts back the end itself.
    restored.sort();
    assert_eq!(restored, before);
    app.assert_counts_exact();
}

#[tokio::test]
async fn remove_all_holders_asks_first_and_can_be_undone() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Beta tester").await;
    let other = app.create_badge("Donor").await;
    holders(&app, &badge, 30).await;
    let before = holdings(&app, &badge);
    let page = format!("/dashboard/badges/{badge}");
    let shown = app.page(&page).await;
    let link = shown
        .attr("a[href$='/members/remove-all']", "href")
        .expect("a Remove all link");
    assert!(
        shown
            .text_of("a[href$='/members/remove-all']")
            .contains("Remove all 30 holders")
    );
    let confirm = app.page(&link).await;
    assert_eq!(confirm.status, StatusCode::OK, "a GET only asks");
    assert_eq!(holdings(&app, &badge).len(), 30);
    assert!(confirm.text_of("main").contains("30 members will lose it"));
    let res = app.submit(&link, &link, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let report = app.page(&location(&res)).await;
    assert!(words(&report, "#bulk-report").contains("30 members lost the badge"));
    assert!(holdings(&app, &badge).is_empty());
    assert_eq!(app.badge_titles().len(), 2, "the badge itself stays");
    app.assert_counts_exact();

    let res = press_report_undo(&app, &report).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(holdings(&app, &badge), before);
    assert!(holdings(&app, &other).is_empty());
    app.assert_counts_exact();
}

#[tokio::test]
async fn an_undo_is_refused_with_a_reason_once_the_badge_is_deleted_or_for_another_admin() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Short-lived").await;
    let emails = holders(&app, &badge, 3).await;
    let done = send(
        &app,
        &badge,
        &[
            ("bulk", &emails.join("\n")),
            ("direction", "take"),
            ("action", "apply"),
        ],
    )
    .await;
    assert!(done.has("#undo-form"));
    // Another admin cannot see the report nor undo the change.
    let change = done
        .attr("#undo-form input[name=change]", "value")
        .expect("change");
    let stranger = app.new_visitor();
    let res = stranger
        .post_form("/dashboard/undo", &[("change", change.as_str())])
        .await;
    assert_ne!(res.status(), StatusCode::OK);
    assert!(holdings(&app, &badge).is_empty());

    // The way back is a dashboard address or nothing: no open redirect through the form.
    for back in [
        "//evil.example/x",
        "https://evil.example/",
        "/dashboard/\\evil",
        "/dashboard/x\r\nSet-Cookie: a=b",
    ] {
        let res = app
            .submit(
                &format!("/dashboard/badges/{badge}"),
                "/dashboard/undo",
                &[("change", "not-a-change"), ("back", back)],
            )
            .await;
        assert_eq!(location(&res), "/dashboard/badges", "{back}");
    }
    let delete = format!("/dashboard/badges/{badge}/delete");
    app.submit(&delete, &delete, &[]).await;
    assert!(app.badge_titles().is_empty());
    let res = press_report_undo(&app, &done).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        "/dashboard/badges",
        "the badge's own page is gone"
    );
    let message = words(&app.page(&location(&res)).await, ".flash-error");
    assert!(
        message.contains("The badge “Short-lived” was deleted since"),
        "{message}"
    );
    assert!(app.assignments().is_empty());
    app.assert_counts_exact();
}

#[tokio::test]
async fn a_single_removal_undo_gives_the_badge_back_with_its_original_time() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Founder").await;
    holders(&app, &badge, 4).await;
    let before = holdings(&app, &badge);
    let page = format!("/dashboard/badges/{badge}");
    let member = before[1].0.clone();
    app.submit(
        &page,
        &format!("{page}/members/remove"),
        &[("remove", &member)],
    )
    .await;
    assert_eq!(holdings(&app, &badge).len(), 3);
    let (message, res) = app.press_undo(&page).await;
    assert!(message.starts_with("Removed the badge from"), "{message}");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(holdings(&app, &badge), before, "as it was, not given anew");
    app.assert_counts_exact();

    // The member page's removal too.
    let member_page = format!("/dashboard/members/{member}");
    app.submit(
        &member_page,
        &format!("{member_page}/badges/remove"),
        &[("badge_id", &badge)],
    )
    .await;
    assert_eq!(holdings(&app, &badge).len(), 3);
    app.press_undo(&member_page).await;
    assert_eq!(holdings(&app, &badge), before);
}

#[tokio::test]
async fn a_bulk_report_address_answers_a_get_and_a_long_list_is_named_not_lost() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Crowd").await;
    // Over 64 KB of lines: too long to send back into the box.
    let pasted = (0..4_000)
        .map(|i| format!("someone.with.a.long.address.{i}@example.com"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(pasted.len() > 64 * 1024);
    let page = format!("/dashboard/badges/{badge}");
    let res = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("bulk", &pasted), ("action", "dry_run")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "Post/Redirect/Get");
    let address = location(&res);
    assert!(address.ends_with("#bulk-report-heading"), "{address}");
    let dry = app.page(&address).await;
    assert!(dry.text_of("#bulk").is_empty());
    assert!(words(&dry, "#bulk-kept").contains("your 4,000 lines are too many to send back"));
    assert!(words(&dry, "#bulk-kept-list").contains("Your 4,000 lines are kept with this check"));
    assert!(
        dry.has("#bulk-report-heading[tabindex='-1']"),
        "the heading can take the focus"
    );
    // Reloading shows the same report and does nothing more.
    let again = app.page(&address).await;
    assert_eq!(words(&again, "#bulk-report"), words(&dry, "#bulk-report"));
    // Another admin's session does not see it.
    let stranger = app.new_visitor();
    assert!(!stranger.page(&address).await.has("#bulk-report"));
}

#[tokio::test]
async fn undoing_several_badges_at_once_is_all_or_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let gold = app.create_badge("Gold").await;
    let silver = app.create_badge("Silver").await;
    let ada = app.create_member("Ada", "ada@example.com").await;
    let member_page = format!("/dashboard/members/{ada}");
    for badge in [&gold, &silver] {
        app.submit(
            &member_page,
            &format!("{member_page}/badges"),
            &[("badge_id", badge)],
        )
        .await;
    }
    // Both removed in one go: the message's Undo names both changes.
    app.submit(
        &member_page,
        &format!("{member_page}/badges/remove"),
        &[("badge_id", &gold), ("badge_id", &silver)],
    )
    .await;
    assert!(app.assignments().is_empty());
    let shown = app.page(&member_page).await;
    let fields = shown.undo_fields();
    assert_eq!(fields.iter().filter(|(n, _)| n == "change").count(), 2);
    // Silver is deleted meanwhile: the undo is refused whole, and Gold stays off too.
    let delete = format!("/dashboard/badges/{silver}/delete");
    app.submit(&delete, &delete, &[]).await;
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let res = app.post_form("/dashboard/undo", &pairs).await;
    let refused = app.page(&location(&res)).await;
    assert!(
        words(&refused, ".flash-error").contains("“Silver” was deleted since"),
        "{}",
        words(&refused, ".flash")
    );
    assert!(app.assignments().is_empty(), "nothing was given back");
    app.assert_counts_exact();
}

#[tokio::test]
async fn a_nul_in_a_report_address_or_an_undo_finds_nothing_instead_of_failing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Plain").await;
    for path in [
        format!("/dashboard/badges/{badge}?report=%00"),
        format!("/dashboard/badges/{badge}?report=abc%00def"),
        "/dashboard/members/import?report=%00".to_string(),
        "/dashboard/reports/x%01y".to_string(),
    ] {
        let status = app.get(&path).await.status();
        assert!(
            status.is_success() || status.is_client_error(),
            "{path}: {status}"
        );
    }
    let res = app
        .submit(
            &format!("/dashboard/badges/{badge}"),
            "/dashboard/undo",
            &[("change", "a\u{0}b"), ("back", "/dashboard/badges")],
        )
        .await;
    // The form reader refuses a NUL before anything is looked up (400); text that is no
    // change's id finds nothing and says so.
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .submit(
            &format!("/dashboard/badges/{badge}"),
            "/dashboard/undo",
            &[
                ("change", "not-a-change' OR 1=1"),
                ("back", "/dashboard/badges"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let refused = app.page(&location(&res)).await;
    assert!(words(&refused, ".flash-error").contains("can no longer be undone"));
}
