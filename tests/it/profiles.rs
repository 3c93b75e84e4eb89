//! What members and visitors see: directory, profiles, and self-assignable badges on /me.

use reqwest::StatusCode;

use crate::helpers::{BadgeFields, TestApp, location, spawn_app, to_page};

const PASSWORD: &str = "member password 1";

/// An admin with three badges (one self-assignable) and a member, Ada, who holds "Gold".
/// Returns (member browser, gold, silver (self-assignable), bronze) ids.
async fn site(app: &TestApp) -> (TestApp, String, String, String) {
    app.setup_admin().await;
    let gold = app.create_badge("Gold").await;
    let silver_fields = BadgeFields {
        self_assignable: true,
        ..BadgeFields::titled("Silver")
    };
    app.submit_badge(
        "/dashboard/badges/new",
        "/dashboard/badges/new",
        &silver_fields,
    )
    .await;
    let silver = app
        .badges()
        .into_iter()
        .find(|b| b.title == "Silver")
        .expect("silver")
        .id
        .into_string();
    let bronze = app.create_badge("Bronze").await;
    let ada = app.new_visitor();
    ada.submit(
        "/signup",
        "/signup",
        &[
            ("name", "Ada Lovelace"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let ada_id = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("db")
        .expect("ada")
        .id
        .into_string();
    let page = format!("/dashboard/badges/{gold}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", &ada_id)])
        .await;
    (ada, gold, silver, bronze)
}

#[tokio::test]
async fn profiles_and_the_directory_show_badges_in_display_order() {
    let app = spawn_app().await;
    let (ada, _gold, silver, _bronze) = site(&app).await;
    ada.submit(
        "/me",
        "/me/badges",
        &[("badge_id", &silver), ("action", "add")],
    )
    .await;

    let profile = app.new_visitor().page("/members/ada-lovelace").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.text_of("h1"), "Ada Lovelace");
    let titles: Vec<String> = profile
        .select(".profile .badge-title")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(titles, ["Gold", "Silver"]);
    // The description is on hover and read by screen readers.
    assert_eq!(
        profile.attr(".profile .badge", "title").as_deref(),
        Some("Gold description")
    );
    assert!(
        profile
            .text_of(".profile .badge .visually-hidden")
            .contains("Gold description")
    );
    assert_eq!(
        app.new_visitor().page("/members/nobody").await.status,
        StatusCode::NOT_FOUND
    );

    let directory = app.new_visitor().page("/members?q=love").await;
    let cards = directory.select(".member-card");
    assert_eq!(cards.len(), 1);
    assert_eq!(directory.text_of(".member-card h2"), "Ada Lovelace");
    assert_eq!(directory.select(".member-card .badge").len(), 2);
}

#[tokio::test]
async fn a_member_adds_and_removes_only_self_assignable_badges() {
    let app = spawn_app().await;
    let (ada, gold, silver, bronze) = site(&app).await;
    assert_eq!(
        location(&app.new_visitor().get("/me").await),
        "/login?next=%2Fme"
    );

    let me = ada.page("/me").await;
    assert_eq!(
        me.select(".own-choices li").len(),
        1,
        "only Silver is offered"
    );
    let res = ada
        .submit(
            "/me",
            "/me/badges",
            &[("badge_id", &silver), ("action", "add")],
        )
        .await;
    assert_eq!(location(&res), "/me");
    // Once hers, Silver is listed once: among her badges, with Remove; no longer offered.
    let after = ada.page("/me").await;
    assert!(after.has(&format!(
        ".own-held input[value='{silver}'] ~ button[value=remove]"
    )));
    assert_eq!(after.select(".own-choices li").len(), 0);
    assert_eq!(
        after
            .select(".badge-title")
            .iter()
            .filter(|t| t.text().collect::<String>() == "Silver")
            .count(),
        1,
        "Silver shows once on /me"
    );
    let actions = insignia::audit::page(&mut app.db(), &Default::default(), 1).expect("audit");
    assert_eq!(actions[0].actor, "member ada@example.com");

    // A crafted request for a badge that is not self-assignable changes nothing.
    let before = app.assignments();
    for (badge, action) in [(&bronze, "add"), (&gold, "remove")] {
        let res = ada
            .submit(
                "/me",
                "/me/badges",
                &[("badge_id", badge), ("action", action)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(app.assignments(), before);

    // htmx gets the refreshed block back.
    let token = ada.page("/me").await.csrf_token();
    let res = ada
        .client
        .post(ada.url("/me/badges"))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .form(&[("badge_id", silver.as_str()), ("action", "remove")])
        .send()
        .await
        .expect("request");
    let fragment = to_page(res).await;
    assert!(fragment.has("#own-badges .own-choices button[value=add]"));
    assert_eq!(app.assignments().len(), 1, "only Gold is left");
    app.assert_counts_exact();

    // A visitor cannot toggle anything.
    let visitor = app.new_visitor();
    let res = visitor
        .submit(
            "/",
            "/me/badges",
            &[("badge_id", &silver), ("action", "add")],
        )
        .await;
    assert!(location(&res).starts_with("/login"));
    assert_eq!(app.assignments().len(), 1);
}

#[tokio::test]
async fn the_dashboard_refuses_a_badge_both_self_assignable_and_permission_granting() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let both = BadgeFields {
        self_assignable: true,
        permissions_enabled: true,
        ..BadgeFields::titled("Both")
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &both)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.badges().is_empty());
}

#[tokio::test]
async fn the_public_directory_searches_names_only_never_e_mail_addresses() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_member("Ada Lovelace", "countess@analytical.example")
        .await;
    let visitor = app.new_visitor();
    let public_names = |page: &crate::helpers::Page| -> Vec<String> {
        page.select(".member-card h2")
            .iter()
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    };
    for q in [
        "countess@analytical.example",
        "analytical.example",
        "analytical",
        "@analytical",
        "countess",
        "co",
        "c",
    ] {
        let page = visitor
            .page(&format!("/members?q={}", insignia::web::url_encode(q)))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert!(
            public_names(&page).is_empty(),
            "a visitor searching {q:?} must not find anyone by e-mail"
        );
    }
    for q in ["Ada Lovelace", "love", "ELACE", "ad", "a"] {
        let page = visitor
            .page(&format!("/members?q={}", insignia::web::url_encode(q)))
            .await;
        assert_eq!(public_names(&page), ["Ada Lovelace"], "by name: {q:?}");
    }

    // The dashboard still finds members by e-mail.
    for q in ["countess@analytical.example", "analytical.example", "co"] {
        let page = app
            .page(&format!(
                "/dashboard/members?q={}",
                insignia::web::url_encode(q)
            ))
            .await;
        let rows: Vec<String> = page
            .select("table.members tbody tr td:first-child")
            .iter()
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect();
        assert_eq!(rows, ["Ada Lovelace"], "dashboard by e-mail: {q:?}");
    }
}

/// The badge titles a profile page shows, in order.
async fn shown_on_profile(visitor: &TestApp, slug: &str) -> Vec<String> {
    visitor
        .page(&format!("/members/{slug}"))
        .await
        .select(".profile .badge-title")
        .iter()
        .map(|e| e.text().collect())
        .collect()
}

#[tokio::test]
async fn a_member_hides_and_pins_badges_and_only_the_public_view_changes() {
    let app = spawn_app().await;
    let (ada, gold, _silver, bronze) = site(&app).await;
    let key = app.create_api_key("Reader").await;
    let (copper, iron, tin) = (
        app.create_badge("Copper").await,
        app.create_badge("Iron").await,
        app.create_badge("Tin").await,
    );
    let ada_id = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("db")
        .expect("ada")
        .id
        .into_string();
    for badge in [&bronze, &copper, &iron, &tin] {
        let page = format!("/dashboard/badges/{badge}");
        app.submit(&page, &format!("{page}/members"), &[("member_id", &ada_id)])
            .await;
    }
    let visitor = app.new_visitor();
    assert_eq!(
        shown_on_profile(&visitor, "ada-lovelace").await,
        ["Gold", "Bronze", "Copper", "Iron", "Tin"]
    );
    let arrange = |badge: &str, action: &str| {
        let (badge, action) = (badge.to_string(), action.to_string());
        let ada = &ada;
        async move {
            ada.submit(
                "/me",
                "/me/badges/arrange",
                &[("badge_id", &badge), ("action", &action)],
            )
            .await
        }
    };

    // Hidden without JavaScript: back on /me, saying so.
    let res = arrange(&bronze, "hide").await;
    assert_eq!(location(&res), "/me");
    let me = ada.page("/me").await;
    assert!(me.text.contains("Hidden from your public profile."));
    assert!(me.has(&format!(".own-held li.is-hidden input[value='{bronze}']")));
    assert_eq!(
        shown_on_profile(&visitor, "ada-lovelace").await,
        ["Gold", "Copper", "Iron", "Tin"]
    );
    let directory = visitor.page("/members?q=ada").await;
    let titles: Vec<String> = directory
        .select(".member-card .badge-title")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(titles, ["Gold", "Copper", "Iron", "Tin"]);
    let bronze_slug = app
        .badges()
        .into_iter()
        .find(|b| b.id == bronze)
        .expect("bronze")
        .slug;
    let badge_page = visitor.page(&format!("/badges/{bronze_slug}")).await;
    assert_eq!(badge_page.status, StatusCode::OK);
    assert!(badge_page.select(".holders-list li").is_empty());
    assert!(badge_page.text_of("#held-by").contains("Held by 1 member"));

    // It is still hers: the API, the dashboard and the count all still have it.
    let reply = app
        .api(
            reqwest::Method::POST,
            "/members/v3/badges/members",
            Some(&key),
            Some(serde_json::json!({ "memberIds": [ada_id] })),
        )
        .await;
    let held = reply.body["memberBadgeIds"][0]["badgeIds"].clone();
    assert!(
        held.as_array()
            .expect("ids")
            .contains(&serde_json::json!(bronze)),
        "{held}"
    );
    let dashboard = app.page(&format!("/dashboard/members/{ada_id}")).await;
    assert!(dashboard.text_of(".held-badges").contains("Bronze"));
    assert!(
        dashboard
            .text_of(".held-badges")
            .contains("Hidden by the member")
    );

    // Pinned badges come first, in the order pinned; a fourth pin is refused.
    arrange(&tin, "pin").await;
    arrange(&iron, "pin").await;
    // Pinning a hidden badge shows it again.
    arrange(&bronze, "pin").await;
    assert_eq!(
        shown_on_profile(&visitor, "ada-lovelace").await,
        ["Tin", "Iron", "Bronze", "Gold", "Copper"]
    );
    let audit_before = app.audit_actions();
    let refused = arrange(&gold, "pin").await;
    assert_eq!(location(&refused), "/me");
    assert!(
        ada.page("/me")
            .await
            .text
            .contains("You can pin up to three badges")
    );
    assert_eq!(
        shown_on_profile(&visitor, "ada-lovelace").await,
        ["Tin", "Iron", "Bronze", "Gold", "Copper"]
    );
    assert_eq!(app.audit_actions(), audit_before, "a refusal logs nothing");

    // With htmx the list comes back in place, with what happened.
    let token = ada.page("/me").await.csrf_token();
    let res = ada
        .client
        .post(ada.url("/me/badges/arrange"))
        .header("HX-Request", "true")
        .form(&[
            ("badge_id", iron.as_str()),
            ("action", "unpin"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .expect("request");
    let fragment = to_page(res).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.has("#own-badges"));
    assert!(!fragment.has("header"), "a fragment, not a page");
    assert!(fragment.text_of("[role=status]").contains("Unpinned"));
    assert_eq!(
        shown_on_profile(&visitor, "ada-lovelace").await,
        ["Tin", "Bronze", "Gold", "Copper", "Iron"]
    );

    // Each change is in the log with Ada as the one who made it.
    let entries = insignia::audit::page(&mut app.db(), &Default::default(), 10).expect("audit");
    let mine: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e.action.starts_with("profile."))
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(
        mine,
        [
            ("profile.unpin", "Iron"),
            ("profile.pin", "Bronze"),
            ("profile.pin", "Iron"),
            ("profile.pin", "Tin"),
            ("profile.hide", "Bronze"),
        ]
    );
    assert!(
        entries
            .iter()
            .filter(|e| e.action.starts_with("profile."))
            .all(|e| e.actor == "member ada@example.com")
    );

    // Only her own badges, and only when signed in.
    let audit_before = app.audit_actions();
    let someone_elses = app.create_badge("Not Hers").await;
    let audit_before_refusal = app.audit_actions();
    assert_eq!(audit_before_refusal.len(), audit_before.len() + 1);
    arrange(&someone_elses, "hide").await;
    assert!(ada.page("/me").await.text.contains("not on your profile"));
    let res = app
        .new_visitor()
        .post_form(
            "/me/badges/arrange",
            &[("badge_id", &gold), ("action", "hide")],
        )
        .await;
    assert_ne!(res.status(), StatusCode::OK);
    assert_eq!(app.audit_actions(), audit_before_refusal);
    assert_eq!(
        shown_on_profile(&visitor, "ada-lovelace").await,
        ["Tin", "Bronze", "Gold", "Copper", "Iron"]
    );
}

#[tokio::test]
async fn the_public_api_leaves_out_what_members_hid() {
    let app = spawn_app().await;
    let (ada, gold, silver, bronze) = site(&app).await;
    let key = app.create_api_key("Reader").await;
    let ada_id = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .unwrap()
        .unwrap()
        .id
        .into_string();
    // Grace holds Bronze too, after Ada.
    let grace_id = app.create_member("Grace Hopper", "grace@example.com").await;
    let page = format!("/dashboard/badges/{bronze}");
    for member in [&ada_id, &grace_id] {
        app.submit(&page, &format!("{page}/members"), &[("member_id", member)])
            .await;
    }
    let res = ada
        .submit(
            "/me",
            "/me/badges/arrange",
            &[("badge_id", &bronze), ("action", "hide")],
        )
        .await;
    assert_eq!(location(&res), "/me");

    let holders = |who: Option<String>| {
        let (app, path) = (&app, format!("/members/v3/badges/{bronze}/members"));
        async move {
            app.api(reqwest::Method::GET, &path, who.as_deref(), None)
                .await
                .body
        }
    };
    let badges_of = |who: Option<String>| {
        let (app, ids) = (&app, vec![ada_id.clone(), grace_id.clone()]);
        async move {
            let body = serde_json::json!({ "memberIds": ids });
            app.api(
                reqwest::Method::POST,
                "/members/v3/badges/members",
                who.as_deref(),
                Some(body),
            )
            .await
            .body
        }
    };
    let listed = |body: &serde_json::Value, i: usize| -> Vec<String> {
        body["memberBadgeIds"][i]["badgeIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };

    // A visitor (no key, no session) sees what the public pages show.
    let visitor = app.new_visitor();
    let body = visitor
        .api(
            reqwest::Method::GET,
            &format!("/members/v3/badges/{bronze}/members"),
            None,
            None,
        )
        .await
        .body;
    assert_eq!(body["memberIds"], serde_json::json!([grace_id]));
    assert_eq!(
        body["metadata"]["total"], 1,
        "the total counts what is listed"
    );
    let body = visitor
        .api(
            reqwest::Method::POST,
            "/members/v3/badges/members",
            None,
            Some(serde_json::json!({ "memberIds": [ada_id, grace_id] })),
        )
        .await
        .body;
    assert_eq!(
        listed(&body, 0),
        std::slice::from_ref(&gold),
        "Ada's hidden Bronze is left out"
    );
    assert_eq!(listed(&body, 1), std::slice::from_ref(&bronze));
    // The count stays whole, as the badge page's "Held by 2 members".
    let counts = visitor
        .api(
            reqwest::Method::GET,
            "/members/v3/badges/members/count",
            None,
            None,
        )
        .await
        .body;
    let bronze_count = counts["badgeMemberCounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["badgeId"] == bronze.as_str())
        .unwrap()["memberCount"]
        .clone();
    assert_eq!(bronze_count, 2);

    // With a key, and from an elevated dashboard session, everything as before.
    for body in [holders(Some(key.clone())).await, holders(None).await] {
        assert_eq!(body["memberIds"], serde_json::json!([ada_id, grace_id]));
        assert_eq!(body["metadata"]["total"], 2);
    }
    for body in [badges_of(Some(key.clone())).await, badges_of(None).await] {
        assert_eq!(listed(&body, 0), [gold.clone(), bronze.clone()]);
    }
    let _ = silver;
}

/// The header's count of new badges, on any page (`None`: no count shown).
async fn new_badges_said(member: &TestApp, path: &str) -> Option<String> {
    let page = member.page(path).await;
    page.has("#new-badges").then(|| page.text_of("#new-badges"))
}

/// The badges `/me` marks new (each line's text).
fn marked_new(me: &crate::helpers::Page) -> Vec<String> {
    let new_tag = scraper::Selector::parse(".tag.new").expect("selector");
    me.select("#own-badges li")
        .iter()
        .filter(|li| li.select(&new_tag).next().is_some())
        .map(|li| li.text().collect::<String>())
        .collect()
}

#[tokio::test]
async fn the_header_counts_badges_new_since_the_member_last_opened_their_profile() {
    let app = spawn_app().await;
    // Ada holds Gold, given after she signed up: new to her.
    let (ada, _gold, silver, bronze) = site(&app).await;
    assert_eq!(
        new_badges_said(&ada, "/badges").await.as_deref(),
        Some("1 new badge")
    );
    assert_eq!(
        new_badges_said(&app.new_visitor(), "/badges").await,
        None,
        "visitors see none"
    );

    // /me marks it, and from then on it is seen.
    let me = ada.page("/me").await;
    assert!(
        !me.has("#new-badges"),
        "not counted on the page that shows them"
    );
    let marked = marked_new(&me);
    assert_eq!(marked.len(), 1, "{marked:?}");
    assert!(marked[0].contains("Gold"), "{marked:?}");
    assert_eq!(new_badges_said(&ada, "/members").await, None);
    assert!(
        marked_new(&ada.page("/me").await).is_empty(),
        "seen: no longer marked"
    );

    // Two more: the count says two, and /me marks those two, not Gold.
    let ada_id = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("db")
        .expect("ada")
        .id
        .into_string();
    let page = format!("/dashboard/badges/{bronze}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", &ada_id)])
        .await;
    let platinum = app.create_badge("Platinum").await;
    let page = format!("/dashboard/badges/{platinum}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", &ada_id)])
        .await;
    assert_eq!(
        new_badges_said(&ada, "/").await.as_deref(),
        Some("2 new badges")
    );
    let mut marked = marked_new(&ada.page("/me").await);
    marked.sort();
    assert_eq!(marked.len(), 2, "{marked:?}");
    assert!(
        marked[0].contains("Bronze") && marked[1].contains("Platinum"),
        "{marked:?}"
    );
    assert_eq!(new_badges_said(&ada, "/badges").await, None);

    // A badge she adds herself is no news to her.
    let res = ada
        .submit(
            "/me",
            "/me/badges",
            &[("badge_id", silver.as_str()), ("action", "add")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        app.assignments()
            .contains(&(silver.clone(), ada_id.clone()))
    );
    assert_eq!(new_badges_said(&ada, "/badges").await, None);
}
