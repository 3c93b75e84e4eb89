//! Members in the dashboard and giving them badges: singly, by picker, in bulk.

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, to_page};

#[tokio::test]
async fn an_admin_creates_a_member_and_bad_input_saves_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let id = app.create_member("Ada Lovelace", "Ada@Example.com").await;
    let ada = app.member(&id).expect("stored");
    assert_eq!(
        (ada.email.as_str(), ada.slug.as_str()),
        ("ada@example.com", "ada-lovelace")
    );
    let page = app.page(&format!("/dashboard/members/{id}")).await;
    assert_eq!(page.text_of("h1"), "Ada Lovelace");

    for (name, email, field, message) in [
        ("", "x@example.com", "name", "must not be empty"),
        (
            &"n".repeat(81) as &str,
            "x@example.com",
            "name",
            "at most 80",
        ),
        ("Bob", "not-an-email", "email", "e-mail address"),
        ("Bob", "ADA@example.com", "email", "another member"),
    ] {
        let res = app
            .submit(
                "/dashboard/members/new",
                "/dashboard/members/new",
                &[("name", name), ("email", email)],
            )
            .await;
        let page = to_page(res).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} {email}"
        );
        assert!(
            page.text_of(&format!("#{field}-error")).contains(message),
            "{field}: {}",
            page.text_of(&format!("#{field}-error"))
        );
        assert_eq!(page.attr("#name", "value").unwrap_or_default(), name);
        assert_eq!(page.attr("#email", "value").unwrap_or_default(), email);
        assert_eq!(app.member_count(), 1, "nothing saved for {field}");
    }
    // A second "Ada Lovelace" gets the next free profile slug.
    let twin = app.create_member("Ada Lovelace", "ada2@example.com").await;
    assert_eq!(app.member(&twin).expect("stored").slug, "ada-lovelace-2");
}

#[tokio::test]
async fn the_directory_searches_by_prefix_and_substring_and_pages() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_member("Grace Hopper", "grace@navy.example")
        .await;
    app.create_member("Alan Turing", "alan@bletchley.example")
        .await;
    app.insert_members(55, "Bulk");
    let names = |page: &crate::helpers::Page| -> Vec<String> {
        page.select("table.members tbody tr td:first-child")
            .iter()
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    };
    assert_eq!(
        names(&app.page("/dashboard/members?q=gr").await),
        ["Grace Hopper"],
        "prefix"
    );
    assert_eq!(
        names(&app.page("/dashboard/members?q=OPPE").await),
        ["Grace Hopper"],
        "substring, any case"
    );
    assert_eq!(
        names(&app.page("/dashboard/members?q=bletchley").await),
        ["Alan Turing"],
        "e-mail"
    );
    let none = app.page("/dashboard/members?q=zzzz").await;
    assert!(none.text_of(".empty").contains("No member matches"));

    let first = app.page("/dashboard/members").await;
    assert_eq!(names(&first).len(), 50);
    assert_eq!(names(&first)[0], "Bulk Person 54", "newest first");
    let second = app
        .page(&first.attr("a[rel=next]", "href").expect("older"))
        .await;
    assert_eq!(names(&second).len(), 7);
    assert_eq!(
        names(&second).last().map(String::as_str),
        Some("Grace Hopper")
    );
}

#[tokio::test]
async fn the_member_page_adds_and_removes_badges_in_display_order() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let gold = app.create_badge("Gold").await;
    let silver = app.create_badge("Silver").await;
    let id = app.create_member("Ada Lovelace", "ada@example.com").await;
    let page = format!("/dashboard/members/{id}");
    for badge in [&silver, &gold] {
        let res = app
            .submit(&page, &format!("{page}/badges"), &[("badge_id", badge)])
            .await;
        assert_eq!(location(&res), page);
    }
    let shown = app.page(&page).await;
    let titles: Vec<String> = shown
        .select(".held-badges .badge-title")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(
        titles,
        ["Gold", "Silver"],
        "display order, not the order given"
    );
    assert_eq!(app.member(&id).expect("member").badge_count, 2);
    app.submit(
        &page,
        &format!("{page}/badges/remove"),
        &[("badge_id", &gold)],
    )
    .await;
    assert_eq!(app.assignments(), [(silver.clone(), id.clone())]);
    app.assert_counts_exact();
    // "Undo" beside the message gives Gold back.
    let (message, res) = app.press_undo(&page).await;
    assert_eq!(message.trim_end_matches("Undo").trim(), "Badge removed.");
    assert_eq!(location(&res), page);
    let mut held = app.assignments();
    held.sort();
    let mut both = vec![(gold.clone(), id.clone()), (silver.clone(), id.clone())];
    both.sort();
    assert_eq!(held, both);
    app.assert_counts_exact();
    let log = app.page(&format!("/dashboard/audit?member={id}")).await;
    assert_eq!(
        log.select("table.audit tbody tr").len(),
        5,
        "create, two assigns, one unassign, the undo"
    );
}

#[tokio::test]
async fn the_picker_finds_members_and_assigns_the_ticked_ones() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Helper").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    let alan = app.create_member("Alan Turing", "alan@example.com").await;
    app.create_member("Grace Hopper", "grace@example.com").await;
    let page = format!("/dashboard/badges/{badge}");

    // Without JavaScript the picker is a search form.
    let found = app.page(&format!("{page}?find=lovelace")).await;
    assert_eq!(
        found.select("#picker-results input[name=member_id]").len(),
        1
    );
    // With htmx the results come as a fragment.
    let fragment = to_page(app.get(&format!("{page}/members/search?find=al")).await).await;
    assert_eq!(
        fragment.attr("input[name=member_id]", "value").as_deref(),
        Some(alan.as_str())
    );

    let res = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("member_id", &ada), ("member_id", &alan)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let shown = app.page(&page).await;
    assert!(
        shown
            .text_of(".flash-success")
            .contains("Badge given to 2 members.")
    );
    let holders: Vec<String> = shown
        .select(".holder a")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(holders.len(), 2);
    assert!(
        holders.contains(&"Ada Lovelace".to_string())
            && holders.contains(&"Alan Turing".to_string())
    );
    assert_eq!(shown.text_of(".page-head p"), "Held by 2 members");
    assert_eq!(shown.text_of("#holders-range"), "1–2 of 2");
    // Holders are marked in the picker and assigning again changes nothing.
    let again = app.page(&format!("{page}?find=lovelace")).await;
    assert!(again.has("#picker-results input[disabled]"));
    app.submit(&page, &format!("{page}/members"), &[("member_id", &ada)])
        .await;
    assert_eq!(app.assignments().len(), 2);

    // An unknown id makes the whole request fail: nothing assigned.
    let grace_and_ghost = [("member_id", "00000000-0000-4000-8000-000000000000")];
    app.submit(&page, &format!("{page}/members"), &grace_and_ghost)
        .await;
    assert!(
        app.page(&page)
            .await
            .text_of(".flash-error")
            .contains("nothing was assigned")
    );
    assert_eq!(app.assignments().len(), 2);

    // A row's own Remove button takes the badge from that holder only, even with another
    // holder ticked, and the message offers to undo it.
    app.submit(
        &page,
        &format!("{page}/members/remove"),
        &[("member_id", &alan), ("remove", &ada)],
    )
    .await;
    assert_eq!(app.assignments(), [(badge.clone(), alan.clone())]);
    let (message, res) = app.press_undo(&page).await;
    assert!(
        message.starts_with("Removed the badge from Ada Lovelace."),
        "{message}"
    );
    assert!(res.status().is_success() || res.status().is_redirection());
    let mut held = app.assignments();
    held.sort();
    let mut both = vec![(badge.clone(), ada.clone()), (badge.clone(), alan.clone())];
    both.sort();
    assert_eq!(held, both, "Undo gave Ada the badge back");
    // The message is shown once.
    assert!(!app.page(&page).await.has(".flash form.undo"));
    app.submit(
        &page,
        &format!("{page}/members/remove"),
        &[("member_id", &ada)],
    )
    .await;
    assert_eq!(app.assignments(), [(badge.clone(), alan.clone())]);
    app.submit(
        &page,
        &format!("{page}/members/remove"),
        &[("member_id", &alan), ("ticked", "1")],
    )
    .await;
    assert!(app.assignments().is_empty());
    app.assert_counts_exact();
}

/// The rows of the full report a bulk page links to.
async fn download(app: &crate::helpers::TestApp, page: &crate::helpers::Page) -> Vec<String> {
    let href = page
        .attr("#bulk-report a[download]", "href")
        .expect("download link");
    let res = app.get(&href).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let body = res.text().await.expect("body");
    body.lines().map(str::to_string).collect()
}

#[tokio::test]
async fn the_bulk_box_reports_each_line_and_a_dry_run_writes_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Veteran").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    let alan = app.create_member("Alan Turing", "alan@example.com").await;
    let page = format!("/dashboard/badges/{badge}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", &alan)])
        .await;
    let pasted = format!(
        "ADA@example.com\n{alan}\nnobody@example.com\n00000000-0000-4000-8000-000000000000\nnot an address\n\n ada@example.com \n"
    );
    let report = |page: &crate::helpers::Page| -> Vec<String> {
        page.select("#bulk-report tbody tr")
            .iter()
            .map(|r| r.text().collect::<Vec<_>>().join("|"))
            .collect()
    };
    let dry = app
        .followed(
            app.submit(
                &page,
                &format!("{page}/members"),
                &[("bulk", &pasted), ("action", "dry_run")],
            )
            .await,
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK);
    // The page lists the lines that need attention; the download has every line.
    let lines = report(&dry);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with("3|") && lines[0].contains("no such member"));
    assert!(lines[1].contains("no such member"));
    assert!(lines[2].contains("invalid"));
    assert!(lines[3].starts_with("7|") && lines[3].contains("repeats an earlier line"));
    let words = |page: &crate::helpers::Page| {
        page.text_of("#bulk-report")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(words(&dry).contains("1 to assign, 1 already held, 2 not found, 2 invalid"));
    assert!(dry.text_of("#bulk-report").contains("nothing was written"));
    let full = download(&app, &dry).await;
    assert_eq!(full.len(), 7, "a header and six lines: {full:?}");
    assert!(full[1].starts_with("1,ADA@example.com,will be assigned,") && full[1].contains(&ada));
    assert!(full[2].contains("already holds it"));
    assert_eq!(
        dry.text_of("#bulk").trim(),
        pasted.trim(),
        "the pasted text is kept"
    );
    assert_eq!(app.assignments().len(), 1, "a dry run writes nothing");
    // Another admin session cannot download it.
    let stranger = app.new_visitor();
    let href = dry.attr("#bulk-report a[download]", "href").expect("link");
    assert_ne!(stranger.get(&href).await.status(), StatusCode::OK);

    // The report's button assigns the list that was checked, kept on the server.
    let plan = dry
        .attr("#bulk-report input[name=plan]", "value")
        .expect("plan");
    let done = app
        .followed(
            app.submit(
                &page,
                &format!("{page}/members"),
                &[("plan", &plan), ("action", "assign")],
            )
            .await,
        )
        .await;
    assert!(
        words(&done).contains("Done. 1 assigned"),
        "{}",
        words(&done)
    );
    assert!(download(&app, &done).await[1].contains(",assigned,"));
    assert_eq!(app.assignments().len(), 2);
    assert!(app.assignments().contains(&(badge.clone(), ada.clone())));
    assert!(
        done.text_of("#bulk").is_empty(),
        "the box is emptied once assigned"
    );
    app.assert_counts_exact();

    let too_many = (0..50_001)
        .map(|i| format!("m{i}@example.com"))
        .collect::<Vec<_>>()
        .join("\n");
    let refused = to_page(
        app.submit(
            &page,
            &format!("{page}/members"),
            &[("bulk", &too_many), ("action", "assign")],
        )
        .await,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text_of("#bulk-error").contains("at most 50,000"));
    assert_eq!(app.assignments().len(), 2);
}

#[tokio::test]
async fn holders_are_paged_newest_first_and_searchable() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Crowd").await;
    let ids = app.insert_members(60, "Crowd");
    let page = format!("/dashboard/badges/{badge}");
    for chunk in ids.chunks(20) {
        let mut fields: Vec<(&str, &str)> =
            chunk.iter().map(|id| ("member_id", id.as_str())).collect();
        let token = app.page(&page).await.csrf_token();
        fields.push(("csrf_token", &token));
        app.post_form(&format!("{page}/members"), &fields).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await; // distinct assignment times
    }
    let names_on = |p: &crate::helpers::Page| -> Vec<String> {
        p.select(".holder a")
            .iter()
            .map(|e| e.text().collect())
            .collect()
    };
    let first = app.page(&page).await;
    assert_eq!(first.select(".holder").len(), 50);
    assert_eq!(first.text_of("#holders-range"), "1–50 of 60");
    assert!(!first.has("#holders a[rel=prev]"), "nothing is newer");
    let second = app
        .page(&first.attr("#holders a[rel=next]", "href").expect("older"))
        .await;
    assert_eq!(second.select(".holder").len(), 10);
    assert_eq!(second.text_of("#holders-range"), "51–60 of 60");
    assert!(!second.has("#holders a[rel=next]"), "nothing is older");
    // Newer goes back to exactly the first page.
    let back = app
        .page(&second.attr("#holders a[rel=prev]", "href").expect("newer"))
        .await;
    assert_eq!(back.text_of("#holders-range"), "1–50 of 60");
    assert_eq!(names_on(&back), names_on(&first));
    assert!(!back.has("#holders a[rel=prev]"));
    // A made-up position in the address cannot make the range say more than there is.
    let older = first.attr("#holders a[rel=next]", "href").expect("older");
    assert!(older.contains("from=51"), "{older}");
    let odd = older.replace("from=51", &format!("from={}", usize::MAX));
    let shown = app.page(&odd).await;
    assert_eq!(shown.status, reqwest::StatusCode::OK);
    assert_eq!(shown.text_of("#holders-range"), "51–60 of 60");
    let found = app.page(&format!("{page}?q=person 42")).await;
    let names: Vec<String> = found
        .select(".holder a")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(names, ["Crowd Person 42"]);

    // The picker shows 20 and says when more members match.
    let many = app.page(&format!("{page}?find=crowd")).await;
    assert_eq!(
        many.select("#picker-results input[name=member_id]").len(),
        20
    );
    assert!(
        many.text_of(".picker-more")
            .contains("More members match than the 20 shown")
    );
    let one = app.page(&format!("{page}?find=person 42")).await;
    assert_eq!(one.select("#picker-results input[name=member_id]").len(), 1);
    assert!(!one.has(".picker-more"));
}

#[tokio::test]
async fn deleting_members_and_badges_keeps_every_count_exact() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badges: Vec<String> = ["A", "B", "C"].iter().map(|t| t.to_string()).collect();
    let mut badge_ids = Vec::new();
    for t in &badges {
        badge_ids.push(app.create_badge(t).await);
    }
    let members = app.insert_members(12, "Mix");
    // A deterministic but irregular mix of assigns and unassigns.
    let mut seed: u64 = 7;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..40 {
        let badge = &badge_ids[next() % badge_ids.len()];
        let member = &members[next() % members.len()];
        let page = format!("/dashboard/badges/{badge}");
        let action = if next() % 3 == 0 {
            "members/remove"
        } else {
            "members"
        };
        app.submit(&page, &format!("{page}/{action}"), &[("member_id", member)])
            .await;
    }
    app.assert_counts_exact();
    for member in &members[..3] {
        let path = format!("/dashboard/members/{member}/delete");
        assert_eq!(
            location(&app.submit(&path, &path, &[]).await),
            "/dashboard/members"
        );
    }
    assert!(app.member(&members[0]).is_none());
    app.assert_counts_exact();
    let path = format!("/dashboard/badges/{}/delete", badge_ids[0]);
    app.submit(&path, &path, &[]).await;
    assert!(app.assignments().iter().all(|(b, _)| *b != badge_ids[0]));
    app.assert_counts_exact();
}

#[tokio::test]
async fn what_was_typed_survives_the_password_prompt() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Kept").await;
    app.end_elevation().await;
    let res = app
        .submit(
            "/dashboard/members/new",
            "/dashboard/members/new",
            &[("name", "Ada Lovelace"), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(
        location(&res),
        "/dashboard/elevate?next=%2Fdashboard%2Fmembers%2Fnew"
    );
    assert_eq!(app.member_count(), 0);
    let prompt = app
        .page("/dashboard/elevate?next=%2Fdashboard%2Fmembers%2Fnew")
        .await;
    assert!(prompt.text_of(".notice").contains("is kept"));
    let res = app
        .submit(
            "/dashboard/elevate?next=%2Fdashboard%2Fmembers%2Fnew",
            "/dashboard/elevate",
            &[
                ("password", crate::helpers::ADMIN_PASSWORD),
                ("next", "/dashboard/members/new"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/members/new");
    let form = app.page("/dashboard/members/new").await;
    assert_eq!(form.attr("#name", "value").as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        form.attr("#email", "value").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(app.member_count(), 0, "nothing was saved before confirming");

    // The bulk box too.
    app.end_elevation().await;
    let page = format!("/dashboard/badges/{badge}");
    app.submit(
        &page,
        &format!("{page}/members"),
        &[("bulk", "x@example.com"), ("action", "assign")],
    )
    .await;
    app.submit(
        "/dashboard/elevate",
        "/dashboard/elevate",
        &[
            ("password", crate::helpers::ADMIN_PASSWORD),
            ("next", &page),
        ],
    )
    .await;
    assert_eq!(app.page(&page).await.text_of("#bulk"), "x@example.com");
}

#[tokio::test]
async fn names_with_control_or_invisible_characters_are_refused_where_typed() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for name in ["Ada\u{200B}", "Ada \u{202E}ecalevoL"] {
        let res = app
            .submit(
                "/dashboard/members/new",
                "/dashboard/members/new",
                &[("name", name), ("email", "ada@example.com")],
            )
            .await;
        let page = to_page(res).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            page.text_of("#name-error")
                .contains("must not contain invisible or control characters"),
            "{name:?}: {}",
            page.text_of("#name-error")
        );
        assert_eq!(page.attr("#name", "value").unwrap_or_default(), name);
        assert_eq!(
            page.attr("#email", "value").unwrap_or_default(),
            "ada@example.com"
        );
        assert_eq!(app.member_count(), 0, "nothing saved for {name:?}");
    }
    // A control character is refused where the form is read.
    let res = app
        .submit(
            "/dashboard/members/new",
            "/dashboard/members/new",
            &[("name", "Ada\u{0}Lovelace"), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.member_count(), 0);
    // Names are stored composed.
    let id = app
        .create_member("Zoe\u{308} Quux", "zoe@example.com")
        .await;
    assert_eq!(app.member(&id).expect("stored").name, "Zo\u{eb} Quux");
}

#[tokio::test]
async fn one_or_two_letters_find_members_by_the_start_of_any_word_of_their_name() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for (name, email) in [
        ("Grace Hopper", "grace@example.com"),
        ("Howard Aiken", "aiken@example.com"),
        ("Ada Lovelace", "ada@example.com"),
        ("Émile Borel", "borel@example.com"),
    ] {
        app.create_member(name, email).await;
    }
    let found = |q: &str| {
        let mut names: Vec<String> = insignia::members::search::members(&mut app.db(), q, None, 20)
            .unwrap_or_else(|e| panic!("search {q:?}: {e:?}"))
            .into_iter()
            .map(|h| h.member.name)
            .collect();
        names.sort();
        names
    };
    assert_eq!(found("ho"), ["Grace Hopper", "Howard Aiken"]);
    assert_eq!(found("lo"), ["Ada Lovelace"]);
    assert_eq!(found("a"), ["Ada Lovelace", "Howard Aiken"]);
    assert_eq!(found("ém"), ["Émile Borel"]);
    for odd in ["@.", "'", "\"", "*", "\\", "o'"] {
        found(odd);
    }
    // The picker and the public directory use the same search.
    let page = app.page("/dashboard/members?q=ho").await;
    assert_eq!(page.select("table.members tbody tr").len(), 2);
    let directory = app.new_visitor().page("/members?q=hop").await;
    assert!(directory.text.contains("Grace Hopper"));
    // A renamed member is found under the new name only.
    let ada = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("db")
        .expect("Ada");
    let edit = format!("/dashboard/members/{}/edit", ada.id);
    app.submit(
        &edit,
        &edit,
        &[("name", "Ada King"), ("email", "ada@example.com")],
    )
    .await;
    assert_eq!(found("ki"), ["Ada King"]);
    assert!(found("lo").is_empty());
}
