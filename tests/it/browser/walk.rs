//! A walk through every page an owner, a member and a visitor reach, at desktop width (1280 px)
//! and on a phone (390 px): axe-core finds no accessibility violations, no page scrolls
//! sideways, and each page is kept as a screenshot (`target/screenshots/walk-*.png`).

use serde_json::json;

use super::{Browser, save_screenshot};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, location, spawn_app_with};

const MEMBER_EMAIL: &str = "walker@example.com";
const MEMBER_PASSWORD: &str = "walking member 1";

/// What the walk visits, filled in by [`seed`].
struct Site {
    badge_id: String,
    badge_slug: String,
    member_id: String,
    member_slug: String,
    page_id: String,
    page_slug: String,
    webhook_path: String,
    api_key_id: String,
    /// An admin added on the Admins page, and the path of their set-password link.
    other_admin_id: String,
    admin_link_path: String,
    /// The link of the member's sign-up confirmation (mail is on; the mail itself never leaves).
    confirm_link_path: String,
}

/// 300 demo members with their badges, a member who can sign in, a page only a badge opens,
/// an API key, a webhook and an import report.
async fn seed(app: &TestApp) -> Site {
    app.demo_then_owner(300, 1200).await;
    app.create_api_key("Reporting").await;

    let visitor = app.new_visitor();
    let res = visitor
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Wanda Walker"),
                ("email", MEMBER_EMAIL),
                ("password", MEMBER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303, "the member signs up");
    let member = insignia::members::find_by_email(&mut app.db(), MEMBER_EMAIL)
        .expect("db")
        .expect("signed up");

    let badge = app.badges().into_iter().next().expect("demo badges");
    let res = app
        .submit(
            &format!("/dashboard/badges/{}", badge.id),
            &format!("/dashboard/badges/{}/members", badge.id),
            &[("member_id", member.id.as_str())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303, "the member gets a badge");

    let res = app
        .submit(
            "/dashboard/pages/new",
            "/dashboard/pages/new",
            &[
                ("title", "Backstage"),
                ("slug", ""),
                ("access", "badges"),
                ("body", "# Backstage\n\nOnly for badge holders."),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/pages", "the page is created");
    let page = insignia::pages::list(&mut app.db())
        .expect("pages")
        .into_iter()
        .find(|p| p.title == "Backstage")
        .expect("stored");
    let permissions = format!("/dashboard/badges/{}/permissions", badge.id);
    let res = app
        .submit(
            &permissions,
            &permissions,
            &[("permissions_enabled", "on"), ("page_id", page.id.as_str())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303, "the badge opens the page");

    let res = app
        .submit(
            "/dashboard/webhooks",
            "/dashboard/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("format", "standard"),
                ("enabled", "on"),
                ("kinds", "badge.assigned"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200, "the webhook is created");
    let created = crate::helpers::to_page(res).await;
    let test_action = created
        .attr("form[action$='/test']", "action")
        .expect("the endpoint's test button");
    let webhook_path = test_action.trim_end_matches("/test").to_string();

    // The member gets a second badge, which the webhook tries to deliver (nothing listens on
    // port 9: the log shows why in words); they pin one and hide the other.
    let second = app
        .badges()
        .into_iter()
        .nth(1)
        .expect("a second demo badge");
    let res = app
        .submit(
            &format!("/dashboard/badges/{}", second.id),
            &format!("/dashboard/badges/{}/members", second.id),
            &[("member_id", member.id.as_str())],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303, "the member gets a second badge");
    {
        use diesel::prelude::*;
        use insignia::db::schema::{member_badges, members};
        let key: i64 = members::table
            .filter(members::id.eq(member.id.as_str()))
            .select(members::key)
            .first(&mut app.db())
            .expect("member key");
        for (badge_key, pinned, hidden) in [(badge.key.0, true, false), (second.key.0, false, true)]
        {
            diesel::update(
                member_badges::table
                    .filter(member_badges::member_key.eq(key))
                    .filter(member_badges::badge_key.eq(badge_key)),
            )
            .set((
                member_badges::pinned_at.eq(pinned.then(insignia::clock::now_millis)),
                member_badges::hidden.eq(hidden),
            ))
            .execute(&mut app.db())
            .expect("pin and hide");
        }
    }
    let mut attempts = 0;
    while !app
        .page(&webhook_path)
        .await
        .has("table.deliveries tbody tr")
    {
        attempts += 1;
        assert!(attempts < 100, "the webhook made an attempt");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let res = app
        .submit(
            "/dashboard/admins",
            "/dashboard/admins",
            &[("email", "second.admin@example.com")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200, "the admin is added");
    let added = crate::helpers::to_page(res).await;
    let link = added
        .attr("#password-link", "value")
        .expect("the set-password link");
    let admin_link_path = format!(
        "/dashboard/set-password/{}",
        link.rsplit('/').next().expect("token")
    );
    let other_admin_id =
        insignia::auth::admins::find_by_email(&mut app.db(), "second.admin@example.com")
            .expect("db")
            .expect("added")
            .id;

    // The token the sender would make as it composes the confirmation mail.
    let confirm_token =
        insignia::members::addresses::issue(&mut app.db(), &member.id, MEMBER_EMAIL)
            .expect("db")
            .expect("the sign-up waits for confirmation");

    Site {
        confirm_link_path: format!("/confirm-email/{confirm_token}"),
        badge_slug: badge.slug.clone(),
        badge_id: badge.id.into_string(),
        member_slug: member.slug.clone(),
        member_id: member.id.into_string(),
        page_slug: page.slug.clone(),
        page_id: page.id.into_string(),
        webhook_path,
        other_admin_id,
        admin_link_path,
        api_key_id: insignia::auth::api_keys::list(&mut app.db()).expect("keys")[0]
            .id
            .clone(),
    }
}

impl Browser {
    /// Signs in to the dashboard and confirms the password, so every form shows as it does
    /// to an owner at work.
    pub(super) async fn sign_in_admin(&self) {
        self.goto("/dashboard/login").await;
        self.type_into("#email", ADMIN_EMAIL).await;
        self.type_into("#password", ADMIN_PASSWORD).await;
        self.click("form[action='/dashboard/login'] button[type=submit]")
            .await;
        self.until_present(".topbar nav[aria-label=Dashboard]", true)
            .await;
        if self
            .js("return document.querySelector('form.elevation.elevated') === null;")
            .await
            == json!(true)
        {
            self.goto("/dashboard/elevate?next=/dashboard/badges").await;
            self.type_into("#password", ADMIN_PASSWORD).await;
            self.click("form[action='/dashboard/elevate'] button[type=submit]")
                .await;
            self.until_at("/dashboard/badges").await;
        }
    }

    async fn sign_in_member(&self) {
        self.goto("/login").await;
        self.type_into("#email", MEMBER_EMAIL).await;
        self.type_into("#password", MEMBER_PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.until_present(".topbar form[action='/logout']", true)
            .await;
    }

    /// Opens `path` (WebDriver waits for it to load, redirects included), then checks and
    /// photographs the page as it stands.
    async fn visit(&self, path: &str, shot: &str) -> Vec<String> {
        self.goto(path).await;
        self.inspect(shot).await
    }

    /// What is wrong with the page shown: its axe-core violations and whether it scrolls
    /// sideways. The page is saved as `walk-<width>-<shot>.png`.
    pub(super) async fn inspect(&self, shot: &str) -> Vec<String> {
        let width = self.js("return window.innerWidth;").await;
        let png = self.client.screenshot().await.expect("screenshot");
        let name = format!("walk-{width}-{shot}.png");
        save_screenshot(&name, &png);
        let url = self.client.current_url().await.expect("url");
        let mut problems = Vec::new();
        let violations = self.axe_violations().await;
        if violations != json!([]) {
            problems.push(format!(
                "{url} at {width} px ({name}): axe-core violations {violations:#}"
            ));
        }
        let sideways = self
            .js("return document.documentElement.scrollWidth > document.documentElement.clientWidth;")
            .await;
        if sideways != json!(false) {
            problems.push(format!("{url} at {width} px ({name}): scrolls sideways"));
        }
        problems
    }
}

/// The pages of the dashboard, for a signed-in, elevated owner.
fn dashboard_pages(site: &Site) -> Vec<(String, &'static str)> {
    let badge = &site.badge_id;
    let member = &site.member_id;
    let page = &site.page_id;
    vec![
        ("/dashboard/badges".to_string(), "badges"),
        ("/dashboard/badges/new".to_string(), "badge-new"),
        (format!("/dashboard/badges/{badge}"), "badge-holders"),
        (format!("/dashboard/badges/{badge}/edit"), "badge-edit"),
        (format!("/dashboard/badges/{badge}/delete"), "badge-delete"),
        (
            format!("/dashboard/badges/{badge}/permissions"),
            "badge-permissions",
        ),
        ("/dashboard/members".to_string(), "members"),
        ("/dashboard/members?q=lo".to_string(), "members-search"),
        (
            format!("/dashboard/members?holds={badge}"),
            "members-holding",
        ),
        (
            format!("/dashboard/members?holds=none&check={badge}&direction=give"),
            "members-none-check",
        ),
        ("/dashboard/members/new".to_string(), "member-new"),
        (format!("/dashboard/members/{member}"), "member"),
        (format!("/dashboard/members/{member}/edit"), "member-edit"),
        (
            format!("/dashboard/members/{member}/delete"),
            "member-delete",
        ),
        ("/dashboard/members/import".to_string(), "import"),
        ("/dashboard/pages".to_string(), "pages"),
        ("/dashboard/pages/new".to_string(), "page-new"),
        (format!("/dashboard/pages/{page}/edit"), "page-edit"),
        (format!("/dashboard/pages/{page}/delete"), "page-delete"),
        ("/dashboard/api-keys".to_string(), "api-keys"),
        (
            format!("/dashboard/api-keys/{}/revoke", site.api_key_id),
            "api-key-revoke",
        ),
        ("/dashboard/webhooks".to_string(), "webhooks"),
        (site.webhook_path.clone(), "webhook"),
        ("/dashboard/audit".to_string(), "audit"),
        ("/dashboard/mail".to_string(), "mail"),
        ("/dashboard/jobs".to_string(), "jobs"),
        ("/dashboard/admins".to_string(), "admins"),
        (
            format!("/dashboard/admins/{}/remove", site.other_admin_id),
            "admin-remove",
        ),
        ("/dashboard/account".to_string(), "account"),
        ("/dashboard/settings".to_string(), "settings"),
        (
            format!("/dashboard/badges/{badge}/members/remove-all"),
            "badge-remove-all",
        ),
        ("/dashboard/no-such-page".to_string(), "dashboard-404"),
    ]
}

/// The member-facing site, for a visitor and for a signed-in member.
fn site_pages(site: &Site) -> Vec<(String, &'static str)> {
    vec![
        ("/".to_string(), "home"),
        ("/badges".to_string(), "catalogue"),
        (format!("/badges/{}", site.badge_slug), "badge-page"),
        ("/members".to_string(), "directory"),
        ("/members?q=lo".to_string(), "directory-search"),
        (format!("/members/{}", site.member_slug), "profile"),
        (format!("/pages/{}", site.page_slug), "gated-page"),
        ("/no-such-page".to_string(), "404"),
    ]
}

/// Walks the pages as a visitor, a member and the owner; answers every problem found.
async fn walk(app: &TestApp, site: &Site, phone: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let browser = if phone {
        Browser::open_phone(app, 390, 844).await
    } else {
        Browser::open(app).await
    };
    // A visitor.
    for (path, shot) in site_pages(site) {
        problems.extend(browser.visit(&path, &format!("visitor-{shot}")).await);
    }
    for (path, shot) in [
        ("/login", "login"),
        ("/signup", "signup"),
        ("/dashboard/login", "dashboard-login"),
        ("/forgot-password", "forgot-password"),
        ("/dashboard/forgot-password", "dashboard-forgot-password"),
        (site.admin_link_path.as_str(), "admin-set-password"),
        (site.confirm_link_path.as_str(), "confirm-email"),
        ("/confirm-email/no-such-link", "confirm-email-expired"),
    ] {
        problems.extend(browser.visit(path, shot).await);
    }
    // A member.
    browser.sign_in_member().await;
    problems.extend(browser.visit("/me", "me").await);
    for (path, shot) in site_pages(site) {
        problems.extend(browser.visit(&path, &format!("member-{shot}")).await);
    }
    // The owner.
    browser.sign_in_admin().await;
    for (path, shot) in dashboard_pages(site) {
        problems.extend(browser.visit(&path, shot).await);
    }
    // An import dry run with a bad line: the report.
    browser.goto("/dashboard/members/import").await;
    browser
        .type_into(
            "#csv_text",
            "name,email\nNew Person,new.person@example.com\nBroken,not-an-address\n",
        )
        .await;
    browser
        .click("form.form[action='/dashboard/members/import'] button[value=dry_run]")
        .await;
    browser.until_present("#import-report", true).await;
    problems.extend(browser.inspect("import-report").await);
    // A bulk box dry run taking the badge away, with lines that need attention: the report,
    // in view with its heading focused; then applied, with its Undo.
    browser
        .goto(&format!("/dashboard/badges/{}", site.badge_id))
        .await;
    browser
        .click("#bulk-form input[name=direction][value=take]")
        .await;
    browser
        .type_into(
            "#bulk",
            &format!("{MEMBER_EMAIL}\nnobody@example.com\nnot an address"),
        )
        .await;
    browser.click("#bulk-form button[value=dry_run]").await;
    browser.until_present("#bulk-report", true).await;
    assert_eq!(
        browser
            .js("return document.activeElement && document.activeElement.id")
            .await,
        json!("bulk-report-heading"),
        "the answer takes the focus to the report"
    );
    problems.extend(browser.inspect("bulk-dry-run").await);
    browser.click("#bulk-report button[value=remove]").await;
    browser.until_present("#undo-form", true).await;
    problems.extend(browser.inspect("bulk-done").await);
    browser.click("#undo-form button").await;
    browser.until_present("#undone", true).await;
    browser.close().await;
    problems
}

#[tokio::test]
async fn every_page_passes_axe_and_fits_desktop_and_phone() {
    // Mail on, to an SMTP server that is down: the mail log has a mail waiting with its error.
    let smtp_url = format!("smtp://127.0.0.1:{}", crate::smtp::free_port());
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.mail = Some(insignia::mail::Settings::new(
            insignia::mail::SmtpUrl::parse(&smtp_url).expect("SMTP URL"),
            insignia::mail::MailFrom::parse("Badges <badges@example.org>").expect("from"),
        ));
    })
    .await;
    let site = seed(&app).await;
    let asked = app
        .new_visitor()
        .submit(
            "/dashboard/forgot-password",
            "/dashboard/forgot-password",
            &[("email", ADMIN_EMAIL)],
        )
        .await;
    assert_eq!(asked.status(), reqwest::StatusCode::OK);
    let mut problems = walk(&app, &site, false).await;
    problems.extend(walk(&app, &site, true).await);
    assert!(
        problems.is_empty(),
        "{} pages have problems (screenshots in target/screenshots):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
