//! The public badge catalogue and badge pages: what a badge means, who holds it, newest first.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{BadgeFields, location, spawn_app, to_page};

const PASSWORD: &str = "a long enough password";

#[tokio::test]
async fn the_catalogue_and_a_badge_page_tell_what_it_means_and_who_holds_it() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("Pages").await;
    let mut mentor = BadgeFields::titled("Mentor");
    mentor.description = "Helped three newcomers through their first month.".to_string();
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &mentor)
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    app.create_badge("Speaker").await;
    let badge = app
        .badges()
        .into_iter()
        .find(|b| b.title == "Mentor")
        .expect("mentor");
    let members = app.insert_members(120, "Holder");
    let path = format!("/members/v3/badges/{}/members", badge.id);
    // The earlier-made members get the badge last: newest first must put them first, which
    // the member order alone would not.
    for chunk in [&members[60..], &members[..60]] {
        let reply = app
            .api(
                Method::POST,
                &path,
                Some(&key),
                Some(json!({"memberIds": chunk})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // The catalogue: every badge in display order, with its meaning and holder count.
    let visitor = app.new_visitor();
    let catalogue = visitor.page("/badges").await;
    let titles: Vec<String> = catalogue
        .select(".catalogue-title")
        .iter()
        .map(|t| t.text().collect::<String>())
        .collect();
    assert_eq!(titles, ["Mentor", "Speaker"]);
    let text = catalogue.text_of(".catalogue");
    assert!(text.contains("Helped three newcomers"), "{text}");
    assert!(text.contains("Held by 120 members"), "{text}");
    assert!(
        visitor.page("/").await.has("a[href='/badges']"),
        "linked from home"
    );

    // The badge page: holders newest first, 50 a page, through the pager.
    let page_path = format!("/badges/{}", badge.slug);
    assert!(catalogue.has(&format!("a.badge-link[href='{page_path}']")));
    let mut page = visitor.page(&page_path).await;
    assert_eq!(page.text_of("h1"), "Mentor");
    assert!(
        page.text_of(".badge-page")
            .contains("Helped three newcomers")
    );
    assert_eq!(page.text_of("#held-by"), "Held by 120 members");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let names: Vec<String> = page
            .select(".holders-list li a")
            .iter()
            .map(|a| a.text().collect::<String>())
            .collect();
        assert!(names.len() <= 50);
        seen.extend(names);
        match page.attr("a[rel=next]", "href") {
            Some(next) => page = visitor.page(&next).await,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120, "each holder once");
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 120);
    let newest: std::collections::HashSet<String> = members[..60]
        .iter()
        .map(|id| app.member(id).expect("member").name)
        .collect();
    let first_sixty: std::collections::HashSet<String> = seen[..60].iter().cloned().collect();
    assert_eq!(first_sixty, newest, "the batch given last comes first");

    // A profile's badges lead here.
    let holder = app.member(&members[0]).expect("holder");
    let profile = visitor.page(&format!("/members/{}", holder.slug)).await;
    assert!(profile.has(&format!("a.badge-link[href='{page_path}']")));

    // Unknown badges are 404; a nonsense page of holders is 400.
    assert_eq!(
        visitor.get("/badges/no-such-badge").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        visitor
            .get(&format!("{page_path}?before=yesterday"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_renamed_badge_old_address_redirects_to_the_new_one() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let id = app.create_badge("Early bird").await;
    let old = app.badges()[0].slug.clone();
    let mut renamed = BadgeFields::titled("First hundred");
    renamed.description = String::new();
    let edit = format!("/dashboard/badges/{id}/edit");
    let res = app.submit_badge(&edit, &edit, &renamed).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let new = app.badges()[0].slug.clone();
    assert_ne!(old, new);
    let res = app.new_visitor().get(&format!("/badges/{old}")).await;
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(location(&res), format!("/badges/{new}"));
    let page = to_page(app.new_visitor().get(&format!("/badges/{new}")).await).await;
    assert_eq!(page.text_of("h1"), "First hundred");
}

#[tokio::test]
async fn a_member_adds_a_self_assignable_badge_from_its_page() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let mut open = BadgeFields::titled("Volunteer");
    open.self_assignable = true;
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &open)
        .await;
    assert!(res.status().is_redirection());
    let slug = app.badges()[0].slug.clone();
    let page_path = format!("/badges/{slug}");
    // Visitors see no button; a signed-in member does.
    let visitor = app.new_visitor();
    assert!(!visitor.page(&page_path).await.has("button[value=add]"));
    visitor
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Grace Hopper"),
                ("email", "grace@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let page = visitor.page(&page_path).await;
    assert!(page.has("button[value=add]"), "{}", page.text_of("main"));
    let res = visitor
        .submit(
            &page_path,
            "/me/badges",
            &[
                ("badge_id", app.badges()[0].id.as_str()),
                ("action", "add"),
                ("back", &page_path),
            ],
        )
        .await;
    assert_eq!(location(&res), page_path, "back on the badge's page");
    let page = visitor.page(&page_path).await;
    assert!(!page.has("button[value=add]"));
    assert!(page.text_of(".badge-page").contains("You hold this badge"));
    assert!(page.text_of(".holders-list").contains("Grace Hopper"));
    // `back` only ever leads to a badge page on this site.
    let res = visitor
        .submit(
            &page_path,
            "/me/badges",
            &[
                ("badge_id", app.badges()[0].id.as_str()),
                ("action", "remove"),
                ("back", "https://evil.example/badges/x"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/me");
}
