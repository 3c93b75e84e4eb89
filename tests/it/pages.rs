//! Content pages and badge permissions: the access matrix, revocation, explaining access,
//! and Markdown that cannot run.

use reqwest::StatusCode;

use crate::helpers::{TestApp, location, spawn_app, to_page};

const PASSWORD: &str = "member password 1";

async fn make_page(app: &TestApp, title: &str, access: &str, body: &str) -> String {
    let res = app
        .submit(
            "/dashboard/pages/new",
            "/dashboard/pages/new",
            &[
                ("title", title),
                ("slug", ""),
                ("access", access),
                ("body", body),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/pages", "creating page {title}");
    insignia::pages::list(&mut app.db())
        .expect("pages")
        .into_iter()
        .find(|p| p.title == title)
        .expect("stored")
        .id
        .into_string()
}

async fn member(app: &TestApp, name: &str, email: &str) -> (TestApp, String) {
    let browser = app.new_visitor();
    browser
        .submit(
            "/signup",
            "/signup",
            &[("name", name), ("email", email), ("password", PASSWORD)],
        )
        .await;
    let id = insignia::members::find_by_email(&mut app.db(), email)
        .expect("db")
        .expect("member")
        .id
        .into_string();
    (browser, id)
}

async fn set_permissions(
    app: &TestApp,
    badge: &str,
    enabled: bool,
    pages: &[&str],
) -> reqwest::Response {
    let path = format!("/dashboard/badges/{badge}/permissions");
    let mut fields: Vec<(&str, &str)> = pages.iter().map(|p| ("page_id", *p)).collect();
    if enabled {
        fields.push(("permissions_enabled", "on"));
    }
    app.submit(&path, &path, &fields).await
}

async fn give(app: &TestApp, badge: &str, member: &str) {
    let page = format!("/dashboard/badges/{badge}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", member)])
        .await;
}

async fn status(client: &TestApp, path: &str) -> StatusCode {
    client.get(path).await.status()
}

#[tokio::test]
async fn the_access_matrix_and_revocation() {
    let app = spawn_app().await;
    app.setup_admin().await;
    make_page(&app, "News", "public", "Hello").await;
    make_page(&app, "Lounge", "members", "Members only").await;
    let vip = make_page(&app, "VIP Room", "badges", "Secret").await;
    let gold = app.create_badge("Gold").await;
    set_permissions(&app, &gold, true, &[&vip]).await;

    let visitor = app.new_visitor();
    let (plain, _) = member(&app, "Plain", "plain@example.com").await;
    let (off, off_id) = member(&app, "Off", "off@example.com").await;
    let (on, on_id) = member(&app, "On", "on@example.com").await;
    // "Off" holds a badge linked to the page whose permissions are switched off.
    let silver = app.create_badge("Silver").await;
    set_permissions(&app, &silver, false, &[&vip]).await;
    give(&app, &silver, &off_id).await;
    give(&app, &gold, &on_id).await;

    let ok = StatusCode::OK;
    let login = StatusCode::SEE_OTHER;
    let no = StatusCode::FORBIDDEN;
    let matrix = [
        ("visitor", &visitor, [ok, login, login]),
        ("member without badge", &plain, [ok, ok, no]),
        ("member with badge, permissions off", &off, [ok, ok, no]),
        ("member with badge, permissions on", &on, [ok, ok, ok]),
        ("admin", &app, [ok, ok, ok]),
    ];
    for (who, client, expected) in matrix {
        for (path, want) in ["/pages/news", "/pages/lounge", "/pages/vip-room"]
            .iter()
            .zip(expected)
        {
            assert_eq!(status(client, path).await, want, "{who} on {path}");
        }
    }
    assert_eq!(
        location(&visitor.get("/pages/vip-room").await),
        "/login?next=%2Fpages%2Fvip-room"
    );
    let refused = to_page(plain.get("/pages/vip-room").await).await;
    assert!(refused.text_of(".unlocking").contains("Gold"));
    assert!(
        !refused.text_of(".unlocking").contains("Silver"),
        "a badge with permissions off unlocks nothing"
    );
    assert!(!refused.text.contains("Secret"));
    assert!(
        !refused.text.contains("VIP Room"),
        "the page's title is not told to who cannot open it"
    );
    assert!(refused.text_of("h1").contains("for badge holders"));
    // Each unlocking badge links to its page and says how to get it.
    let gold_slug = app
        .badges()
        .into_iter()
        .find(|b| b.title == "Gold")
        .expect("Gold")
        .slug;
    assert_eq!(
        refused.text_of(&format!(".unlocking a[href='/badges/{gold_slug}']")),
        "Gold"
    );
    assert!(
        refused
            .text_of(".unlocking")
            .contains("the site's admins give it"),
        "{}",
        refused.text_of(".unlocking")
    );
    assert!(!refused.has(".status-code"), "no large 403 on the page");
    // The home page lists what the member can open.
    assert!(
        on.page("/")
            .await
            .text_of(".page-links")
            .contains("VIP Room")
    );
    assert!(
        !plain
            .page("/")
            .await
            .text_of(".page-links")
            .contains("VIP Room")
    );

    // Revocation: unassigning, switching off, deleting the badge, each on the next request.
    let page = format!("/dashboard/badges/{gold}");
    app.submit(
        &page,
        &format!("{page}/members/remove"),
        &[("member_id", &on_id)],
    )
    .await;
    assert_eq!(status(&on, "/pages/vip-room").await, no, "after unassign");
    give(&app, &gold, &on_id).await;
    assert_eq!(status(&on, "/pages/vip-room").await, ok);
    set_permissions(&app, &gold, false, &[&vip]).await;
    assert_eq!(status(&on, "/pages/vip-room").await, no, "after switch-off");
    set_permissions(&app, &gold, true, &[&vip]).await;
    assert_eq!(status(&on, "/pages/vip-room").await, ok);
    let delete = format!("/dashboard/badges/{gold}/delete");
    app.submit(&delete, &delete, &[]).await;
    assert_eq!(status(&on, "/pages/vip-room").await, no, "after delete");
}

#[tokio::test]
async fn explain_access_says_which_badge_grants_it_or_why_not() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let vip = make_page(&app, "VIP Room", "badges", "Secret").await;
    let edit = format!("/dashboard/pages/{vip}/edit");
    let (_, ada) = member(&app, "Ada", "ada@example.com").await;
    let explain = |app: &TestApp, email: &'static str| {
        let path = format!("{edit}?explain={email}");
        let app = app.clone_client();
        async move { app.page(&path).await.text_of("#explanation") }
    };
    assert!(
        explain(&app, "ada@example.com")
            .await
            .contains("No badge unlocks this page")
    );
    let gold = app.create_badge("Gold").await;
    set_permissions(&app, &gold, false, &[&vip]).await;
    assert!(
        explain(&app, "ada@example.com")
            .await
            .contains("hold none of the badges")
    );
    give(&app, &gold, &ada).await;
    assert!(
        explain(&app, "ada@example.com")
            .await
            .contains("switched off")
    );
    set_permissions(&app, &gold, true, &[&vip]).await;
    assert!(
        explain(&app, "ada@example.com")
            .await
            .contains("they hold “Gold”")
    );
    assert!(
        explain(&app, "nobody@example.com")
            .await
            .contains("No member has the e-mail")
    );
}

#[tokio::test]
async fn markdown_is_rendered_and_cannot_run() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let body = "# Welcome\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n<img src=x onerror=alert(3)>\n\n<a href=\"#\" onclick=\"alert(4)\">raw</a>\n\n**bold**";
    make_page(&app, "Tricky", "public", body).await;
    let page = app.new_visitor().page("/pages/tricky").await;
    assert_eq!(page.text_of(".prose h1"), "Tricky");
    let headings: Vec<String> = page
        .select(".prose h1")
        .iter()
        .map(|h| h.text().collect())
        .collect();
    assert_eq!(
        headings,
        ["Tricky", "Welcome"],
        "the Markdown heading is rendered"
    );
    assert!(page.has(".prose strong"));
    assert!(
        page.select("script")
            .iter()
            .all(|s| s.value().attr("src").is_some()),
        "no inline script"
    );
    assert!(page.select("[onerror], [onclick]").is_empty());
    assert!(page.select("a[href^='javascript']").is_empty());
}

#[tokio::test]
async fn page_and_permission_rules_are_checked_on_the_server() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let res = app
        .submit(
            "/dashboard/pages/new",
            "/dashboard/pages/new",
            &[
                ("title", ""),
                ("slug", "Bad Slug!"),
                ("access", "secret"),
                ("body", "x"),
            ],
        )
        .await;
    let page = to_page(res).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("#title-error") && page.has("#slug-error") && page.has("#access-error"));
    assert_eq!(page.attr("#slug", "value").as_deref(), Some("Bad Slug!"));
    assert!(
        insignia::pages::list(&mut app.db())
            .expect("pages")
            .is_empty()
    );

    // A self-assignable badge cannot grant permissions; a public page cannot be "unlocked".
    let open = make_page(&app, "Open", "public", "").await;
    let fields = crate::helpers::BadgeFields {
        self_assignable: true,
        ..crate::helpers::BadgeFields::titled("Easy")
    };
    app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
        .await;
    let easy = app.badges()[0].id.to_string();
    let res = set_permissions(&app, &easy, true, &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let gold = app.create_badge("Gold").await;
    assert_eq!(
        set_permissions(&app, &gold, true, &[&open]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(app.badges().iter().all(|b| !b.permissions_enabled));
    assert!(
        !app.audit_actions()
            .contains(&"badge.permissions".to_string())
    );
}

/// The ids of the pages each badge unlocks, as its Permissions tab reads them.
fn unlocks(app: &TestApp, badge: &str) -> Vec<String> {
    insignia::pages::unlocked_by(&mut app.db(), &badge.into())
        .expect("links")
        .into_iter()
        .map(|id| id.into_string())
        .collect()
}

#[tokio::test]
async fn the_page_editor_chooses_the_badges_that_open_a_page() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let gold = app.create_badge("Gold").await;
    let silver = app.create_badge("Silver").await;
    let fields = crate::helpers::BadgeFields {
        self_assignable: true,
        ..crate::helpers::BadgeFields::titled("Easy")
    };
    app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
        .await;
    let easy = app
        .badges()
        .into_iter()
        .find(|b| b.title == "Easy")
        .expect("Easy")
        .id
        .into_string();
    let pages_now = |app: &TestApp| insignia::pages::list(&mut app.db()).expect("pages").len();

    // The editor offers every badge; the self-assignable one cannot be ticked.
    let form = app.page("/dashboard/pages/new").await;
    assert_eq!(
        form.select("#unlock-badges input[name=unlock_badge_id]")
            .len(),
        3
    );
    assert!(form.has(&format!("#unlock-badges input[value='{easy}'][disabled]")));

    // Ticking it anyway is refused and nothing is saved, the page included.
    fn page_fields(badges: Vec<&str>) -> Vec<(&'static str, &str)> {
        let mut f = vec![
            ("title", "Backstage"),
            ("slug", ""),
            ("access", "badges"),
            ("body", "Secret"),
            ("unlock_form", "1"),
        ];
        f.extend(badges.into_iter().map(|b| ("unlock_badge_id", b)));
        f
    }
    let res = app
        .submit(
            "/dashboard/pages/new",
            "/dashboard/pages/new",
            &page_fields(vec![&gold, &easy]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = to_page(res).await;
    assert!(refused.text_of("#unlock_badge_id-error").contains("Easy"));
    assert!(refused.has(&format!("#unlock-badges input[value='{gold}'][checked]")));
    assert_eq!(pages_now(&app), 0);
    assert!(app.badges().iter().all(|b| !b.permissions_enabled));

    // Gold opens it: linked, and its page permissions (off until now) turned on.
    let res = app
        .submit(
            "/dashboard/pages/new",
            "/dashboard/pages/new",
            &page_fields(vec![&gold]),
        )
        .await;
    assert_eq!(location(&res), "/dashboard/pages");
    let page = insignia::pages::list(&mut app.db()).expect("pages")[0]
        .id
        .to_string();
    assert_eq!(unlocks(&app, &gold), std::slice::from_ref(&page));
    let stored_gold = app
        .badges()
        .into_iter()
        .find(|b| b.id == gold)
        .expect("Gold");
    assert!(stored_gold.permissions_enabled);
    // The badge's Permissions tab shows the same link.
    let tab = app
        .page(&format!("/dashboard/badges/{gold}/permissions"))
        .await;
    assert!(tab.has(&format!("input[name=page_id][value='{page}'][checked]")));
    assert!(app.audit_actions().contains(&"page.unlocks".to_string()));

    // Silver instead of Gold: Gold is unlinked (its permissions stay on), Silver linked.
    let edit = format!("/dashboard/pages/{page}/edit");
    let mut fields = page_fields(vec![&silver]);
    fields.retain(|(k, _)| *k != "slug");
    fields.push(("slug", "backstage"));
    let res = app.submit(&edit, &edit, &fields).await;
    assert_eq!(location(&res), "/dashboard/pages");
    assert!(unlocks(&app, &gold).is_empty());
    assert_eq!(unlocks(&app, &silver), std::slice::from_ref(&page));

    // No badge at all: the page is flagged in the list and the editor.
    let mut fields = page_fields(vec![]);
    fields.retain(|(k, _)| *k != "slug");
    fields.push(("slug", "backstage"));
    app.submit(&edit, &edit, &fields).await;
    let list = app.page("/dashboard/pages").await;
    assert!(
        list.text_of("table.pages")
            .contains("nobody: no badge opens it")
    );
    assert!(app.page(&edit).await.has("#closed-notice"));

    // Badges only count for a page for badge holders: opening it to members leaves the
    // links alone.
    let mut fields = page_fields(vec![&gold]);
    fields.retain(|(k, _)| *k != "slug" && *k != "access");
    fields.extend([("slug", "backstage"), ("access", "members")]);
    let res = app.submit(&edit, &edit, &fields).await;
    assert_eq!(location(&res), "/dashboard/pages");
    assert_eq!(
        insignia::pages::list(&mut app.db()).expect("pages")[0].access,
        "members"
    );
    assert!(unlocks(&app, &gold).is_empty());
    assert!(
        !app.page("/dashboard/pages")
            .await
            .text_of("table.pages")
            .contains("nobody")
    );
}
