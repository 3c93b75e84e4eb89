//! The site's own name and description: set in `/dashboard/settings`, shown in the header and
//! `<title>` of every page, on the home page, and in the Open Graph tags of profiles and badge
//! pages.

use reqwest::StatusCode;

use crate::helpers::{Page, location, spawn_app};

fn title(page: &Page) -> String {
    page.text_of("title").trim().to_string()
}

fn meta(page: &Page, property: &str) -> Option<String> {
    page.attr(&format!("meta[property='{property}']"), "content")
}

#[tokio::test]
async fn a_site_name_and_description_appear_in_titles_header_home_and_link_previews() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let visitor = app.new_visitor();
    assert_eq!(
        title(&visitor.page("/").await),
        "Insignia",
        "unnamed, the product's name"
    );

    // A refused form says what is wrong beside the field, keeps what was typed, saves nothing.
    let refused = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[("name", "   "), ("description", "Where makers meet")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = crate::helpers::to_page(refused).await;
    assert!(
        refused
            .text_of("#name-error")
            .contains("Give the site a name")
    );
    assert_eq!(
        refused.attr("#description", "value").as_deref(),
        Some("Where makers meet")
    );
    assert_eq!(title(&visitor.page("/").await), "Insignia");
    let too_long = "x".repeat(61);
    let refused = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[("name", too_long.as_str()), ("description", "")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let saved = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[
                ("name", "Makers <Guild>"),
                ("description", "Where makers meet & share"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), "/dashboard/settings");
    assert!(app.audit_actions().contains(&"site.identity".to_string()));

    let home = visitor.page("/").await;
    assert_eq!(title(&home), "Makers <Guild>");
    assert!(
        home.text.contains("<title>Makers &#60;Guild&#62;</title>")
            || home.text.contains("<title>Makers &lt;Guild&gt;</title>"),
        "escaped: {}",
        &home.text[..400]
    );
    assert_eq!(home.text_of("h1").trim(), "Makers <Guild>");
    assert!(home.text_of(".hero").contains("Where makers meet & share"));
    assert!(home.text_of(".brand").contains("Makers <Guild>"));
    assert_eq!(
        home.attr("meta[name=description]", "content").as_deref(),
        Some("Where makers meet & share")
    );
    assert_eq!(
        title(&visitor.page("/badges").await),
        "Badges · Makers <Guild>"
    );
    assert_eq!(
        title(&visitor.page("/login").await),
        "Sign in · Makers <Guild>"
    );
    let missing = visitor.page("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        title(&missing).ends_with("· Makers <Guild>"),
        "{}",
        title(&missing)
    );

    // Badge pages and profiles carry link previews.
    let badge = app.create_badge("Gold").await;
    let member = app.create_member("Ada Lovelace", "ada@example.com").await;
    let page = format!("/dashboard/badges/{badge}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", &member)])
        .await;
    let slug = app.badges()[0].slug.clone();
    let badge_page = visitor.page(&format!("/badges/{slug}")).await;
    assert_eq!(title(&badge_page), "Gold · Makers <Guild>");
    assert_eq!(
        meta(&badge_page, "og:site_name").as_deref(),
        Some("Makers <Guild>")
    );
    assert_eq!(meta(&badge_page, "og:title").as_deref(), Some("Gold"));
    assert!(
        meta(&badge_page, "og:url")
            .is_some_and(|u| u.starts_with("http") && u.ends_with(&format!("/badges/{slug}"))),
        "{:?}",
        meta(&badge_page, "og:url")
    );
    let profile_slug = app.member(&member).expect("member").slug;
    let profile = visitor.page(&format!("/members/{profile_slug}")).await;
    assert_eq!(meta(&profile, "og:type").as_deref(), Some("profile"));
    assert_eq!(meta(&profile, "og:title").as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        meta(&profile, "og:description").as_deref(),
        Some("Badges: Gold")
    );

    // The dashboard is named too, and links to the public site.
    let dashboard = app.page("/dashboard/badges").await;
    assert_eq!(title(&dashboard), "Badges · Makers <Guild>");
    assert_eq!(dashboard.attr("#view-site", "href").as_deref(), Some("/"));
    let settings = app.page("/dashboard/settings").await;
    assert_eq!(
        settings.attr("#name", "value").as_deref(),
        Some("Makers <Guild>")
    );

    // A visitor cannot change it.
    let res = visitor
        .post_form(
            "/dashboard/settings",
            &[("name", "Hijacked"), ("description", "")],
        )
        .await;
    assert!(
        res.status() == StatusCode::FORBIDDEN || location(&res).starts_with("/dashboard/login"),
        "{}",
        res.status()
    );
    assert_eq!(title(&visitor.page("/").await), "Makers <Guild>");
}
