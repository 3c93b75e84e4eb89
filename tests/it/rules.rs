//! Badges given by rules, through the API extension (`/insignia/v1/badges/{id}/rule`) and the
//! paths that change what rules read: a rule by e-mail domain previewed (nothing changes) and
//! saved (its members get the badge, audited with the rule as actor, with events); members
//! added later and e-mail changes follow in the same transaction; rules that read other
//! rules' badges cascade; a loop is refused; every hand path refuses an automatic badge.

use diesel::prelude::*;
use insignia::db::schema::{audit_log, events};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, location, spawn_app};

fn rule_path(badge: &str) -> String {
    format!("/insignia/v1/badges/{badge}/rule")
}

async fn put_rule(app: &TestApp, key: &str, badge: &str, rule: Value) -> crate::helpers::ApiReply {
    app.api(
        Method::PUT,
        &rule_path(badge),
        Some(key),
        Some(json!({ "rule": rule })),
    )
    .await
}

fn holds(app: &TestApp, badge: &str, member: &str) -> bool {
    app.assignments()
        .iter()
        .any(|(b, m)| b == badge && m == member)
}

fn events_of(app: &TestApp, kind: &str, badge: &str) -> i64 {
    events::table
        .filter(events::kind.eq(kind))
        .filter(events::badge_id.eq(badge))
        .count()
        .get_result(&mut app.db())
        .expect("events")
}

fn audit_by(app: &TestApp, actor: &str) -> Vec<(String, String)> {
    audit_log::table
        .filter(audit_log::actor.eq(actor))
        .order(audit_log::id)
        .select((audit_log::action, audit_log::details))
        .load(&mut app.db())
        .expect("audit")
}

async fn sign_up(app: &TestApp, name: &str, email: &str) -> String {
    let visitor = app.new_visitor();
    let res = visitor
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", name),
                ("email", email),
                ("password", "member password 1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/me", "{email} signed up");
    let mut conn = app.db();
    insignia::members::find_by_email(&mut conn, email)
        .expect("read")
        .expect("stored")
        .id
        .into_string()
}

async fn change_email(app: &TestApp, member: &str, name: &str, email: &str) {
    let page = format!("/dashboard/members/{member}/edit");
    let res = app
        .submit(&page, &page, &[("name", name), ("email", email)])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "changing {member}'s e-mail"
    );
}

#[tokio::test]
async fn a_rule_by_email_domain_is_previewed_then_saved_and_followed_by_later_changes() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("rules").await;
    let staff = app.create_badge("Staff").await;
    let ada = app
        .create_member("Ada Lovelace", "ada@corp.example.org")
        .await;
    let grace = app
        .create_member("Grace Hopper", "grace@elsewhere.org")
        .await;
    // Her own word only: a sign-up never matches a domain rule.
    let mallory = sign_up(&app, "Mallory", "mallory@corp.example.org").await;
    let rule = json!({"criteria": [{"emailDomainIn": ["corp.example.org"]}], "revoke": true});

    let preview = app
        .api(
            Method::POST,
            &format!("{}/preview", rule_path(&staff)),
            Some(&key),
            Some(json!({ "rule": rule })),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(
        preview.body,
        json!({"matching": 1, "wouldGive": 1, "wouldTake": 0, "webhookEvents": 1})
    );
    assert!(app.assignments().is_empty(), "a preview changes nothing");
    assert_eq!(
        app.api(Method::GET, &rule_path(&staff), Some(&key), None)
            .await
            .code(),
        "RULE_NOT_FOUND"
    );

    let saved = put_rule(&app, &key, &staff, rule.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(
        (saved.body["given"].clone(), saved.body["taken"].clone()),
        (json!(1), json!(0))
    );
    assert!(holds(&app, &staff, &ada));
    assert!(!holds(&app, &staff, &mallory) && !holds(&app, &staff, &grace));
    assert_eq!(events_of(&app, "badge.assigned", &staff), 1);
    let read = app
        .api(Method::GET, &rule_path(&staff), Some(&key), None)
        .await;
    assert_eq!(read.body, json!({ "rule": rule }));
    let by_rule = audit_by(&app, "rule of “Staff”");
    assert_eq!(by_rule.len(), 1, "{by_rule:?}");
    assert!(by_rule[0].1.contains("Ada Lovelace"), "{by_rule:?}");
    let history = app.page(&format!("/dashboard/audit?member={ada}")).await;
    assert!(
        history.text_of("main").contains("rule of “Staff”"),
        "the change is in Ada's history"
    );

    // A member an admin adds with the domain gets it as they are added.
    let alan = app
        .create_member("Alan Turing", "alan@corp.example.org")
        .await;
    assert!(holds(&app, &staff, &alan));
    // An admin's change of e-mail: Ada leaves the domain and loses it; Mallory's address,
    // entered by an admin, is now trusted and she gets it.
    change_email(&app, &ada, "Ada Lovelace", "ada@elsewhere.org").await;
    assert!(!holds(&app, &staff, &ada));
    assert_eq!(events_of(&app, "badge.unassigned", &staff), 1);
    // Renaming her leaves her own address as untrusted as it was.
    change_email(&app, &mallory, "Mallory M.", "mallory@corp.example.org").await;
    assert!(!holds(&app, &staff, &mallory));
    change_email(&app, &mallory, "Mallory M.", "m@corp.example.org").await;
    assert!(holds(&app, &staff, &mallory));
    app.assert_counts_exact();

    // The public badge page says how it is earned, without the domain.
    let slug = app
        .badges()
        .into_iter()
        .find(|b| b.id == staff)
        .expect("stored")
        .slug;
    let shown = app
        .new_visitor()
        .page(&format!("/badges/{slug}"))
        .await
        .text_of("main");
    assert!(
        shown.contains("Given to members who have an e-mail address at a domain the site chose"),
        "{shown}"
    );
    assert!(!shown.contains("corp.example.org"), "{shown}");
}

#[tokio::test]
async fn rules_cascade_and_a_rule_that_would_depend_on_itself_is_refused() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("rules").await;
    let member = app.create_badge("Member").await;
    let veteran = app.create_badge("Veteran").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.org").await;

    // Veteran reads Member, which no one holds yet.
    let saved = put_rule(
        &app,
        &key,
        &veteran,
        json!({"criteria": [{"holdsAll": [member]}]}),
    )
    .await;
    assert_eq!(saved.body["given"], json!(0), "{}", saved.body);
    // Member goes to everyone added by an admin; Veteran follows in the same change.
    let saved = put_rule(
        &app,
        &key,
        &member,
        json!({"criteria": [{"signedUp": false}], "revoke": true}),
    )
    .await;
    assert_eq!(saved.body["given"], json!(1), "{}", saved.body);
    assert!(holds(&app, &member, &ada) && holds(&app, &veteran, &ada));
    assert_eq!(audit_by(&app, "rule of “Veteran”").len(), 1);

    // Member reading Veteran would close a loop: refused, naming it, and nothing changes.
    let looped = put_rule(
        &app,
        &key,
        &member,
        json!({"criteria": [{"holdsNone": [veteran]}], "revoke": true}),
    )
    .await;
    assert_eq!(looped.status, StatusCode::CONFLICT);
    assert_eq!(looped.code(), "RULE_LOOP");
    let message = looped.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("“Member” → “Veteran” → “Member”"),
        "{message}"
    );
    let kept = app
        .api(Method::GET, &rule_path(&member), Some(&key), None)
        .await;
    assert_eq!(kept.body["rule"]["criteria"], json!([{"signedUp": false}]));
    // A badge another rule reads cannot be deleted.
    let delete = app
        .api(
            Method::DELETE,
            &format!("/members/v3/badges/{member}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::CONFLICT, "{}", delete.body);
    assert_eq!(app.badges().len(), 2);

    // Deleting the Member rule leaves its holders holding it, as if given by hand.
    let removed = app
        .api(Method::DELETE, &rule_path(&member), Some(&key), None)
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(holds(&app, &member, &ada));
    assert!(app.audit_actions().contains(&"rule.delete".to_string()));
    // Now given by hand, taking it from Ada makes Veteran's rule take Veteran (no revoke:
    // kept), and giving it again works.
    let taken = app
        .api(
            Method::DELETE,
            &format!("/members/v3/badges/{member}/members?memberIds={ada}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    assert!(!holds(&app, &member, &ada) && holds(&app, &veteran, &ada));
    app.assert_counts_exact();
}

#[tokio::test]
async fn every_hand_path_refuses_an_automatic_badge_and_changes_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("rules").await;
    let founder = app.create_badge("Founder").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.org").await;
    let grace = app.create_member("Grace Hopper", "grace@example.org").await;
    put_rule(
        &app,
        &key,
        &founder,
        json!({"criteria": [{"joinedBefore": "2000-01-01"}], "revoke": true}),
    )
    .await;
    let before = app.assignments();
    assert!(before.is_empty(), "no one joined before 2000");

    for (method, path, body) in [
        (
            Method::POST,
            format!("/members/v3/badges/{founder}/members"),
            Some(json!({"memberIds": [ada]})),
        ),
        (
            Method::POST,
            format!("/insignia/v1/badges/{founder}/members"),
            Some(json!({"memberIds": [ada]})),
        ),
        (
            Method::DELETE,
            format!("/members/v3/badges/{founder}/members?memberIds={grace}"),
            None,
        ),
    ] {
        let reply = app.api(method, &path, Some(&key), body).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{path}: {}", reply.body);
        assert_eq!(reply.code(), "BADGE_IS_AUTOMATIC", "{path}");
    }
    // The dashboard: the picker, the bulk box, the member page.
    let page = format!("/dashboard/badges/{founder}");
    let shown = app.page(&page).await.text_of("main");
    assert!(shown.contains("given automatically by its rule"), "{shown}");
    assert!(shown.contains("joined before 1 January 2000"), "{shown}");
    let picker = app
        .submit(&page, &format!("{page}/members"), &[("member_id", &ada)])
        .await;
    assert_eq!(picker.status(), StatusCode::CONFLICT);
    let bulk = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("bulk", "ada@example.org"), ("action", "assign")],
        )
        .await;
    assert!(bulk.status().is_client_error(), "{}", bulk.status());
    let member_page = format!("/dashboard/members/{ada}");
    let added = app
        .submit(
            &member_page,
            &format!("{member_page}/badges"),
            &[("badge_id", &founder)],
        )
        .await;
    assert!(added.status().is_client_error(), "{}", added.status());
    // The ways of taking many at once, too: the bulk box taking away, "remove all", and the
    // members list's change to every member a filter keeps.
    let take = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[
                ("bulk", "ada@example.org"),
                ("direction", "take"),
                ("action", "apply"),
            ],
        )
        .await;
    assert!(take.status().is_client_error(), "{}", take.status());
    let remove_all = format!("{page}/members/remove-all");
    let all = app.submit(&remove_all, &remove_all, &[]).await;
    assert!(all.status().is_client_error(), "{}", all.status());
    let listed = app
        .submit(
            "/dashboard/members",
            "/dashboard/members/badges",
            &[
                ("scope", "all"),
                ("holds", "none"),
                ("badge_id", &founder),
                ("direction", "give"),
                ("action", "apply"),
            ],
        )
        .await;
    let refused = app.page(&crate::helpers::location(&listed)).await;
    assert!(
        refused
            .text_of(".flash-error")
            .contains("given automatically by its rule"),
        "{}",
        refused.text_of(".flash-error")
    );
    assert_eq!(app.assignments(), before, "nothing was given");
    assert_eq!(events_of(&app, "badge.assigned", &founder), 0);
}

#[tokio::test]
async fn a_rule_that_cannot_be_used_is_refused_with_a_clear_answer() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("rules").await;
    let badge = app.create_badge("Gold").await;
    for (rule, status, field_or_code) in [
        (
            json!({"criteria": [{"emailDomainIn": ["Not A Domain"]}]}),
            400,
            "rule.criteria[0]",
        ),
        (
            json!({"criteria": [{"joinedAtLeastDaysAgo": 0}]}),
            400,
            "rule.criteria[0]",
        ),
        (
            json!({"criteria": [{"joinedBefore": "yesterday"}]}),
            400,
            "rule",
        ),
        (json!({"criteria": [{"sometime": 1}]}), 400, "rule"),
        (
            json!({"criteria": [{"holdsAll": ["6f1c1d2e-0000-4000-8000-000000000000"]}]}),
            404,
            "BADGE_NOT_FOUND",
        ),
        (
            json!({"criteria": [{"holdsAny": [badge]}]}),
            409,
            "RULE_LOOP",
        ),
    ] {
        let reply = put_rule(&app, &key, &badge, rule.clone()).await;
        assert_eq!(reply.status.as_u16(), status, "{rule}: {}", reply.body);
        if status == 400 {
            assert_eq!(reply.violated_fields(), [field_or_code], "{rule}");
        } else {
            assert_eq!(reply.code(), field_or_code, "{rule}");
        }
    }
    // A stranger (a signed-up member's session, no key) neither reads nor sets nor previews.
    let visitor = app.new_visitor();
    visitor
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Eve"),
                ("email", "eve@example.org"),
                ("password", "member password 1"),
            ],
        )
        .await;
    let refused = visitor
        .api(Method::GET, &rule_path(&badge), None, None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let everyone = json!({"rule": {"criteria": [], "revoke": false}});
    for (method, path) in [
        (Method::PUT, rule_path(&badge)),
        (Method::POST, format!("{}/preview", rule_path(&badge))),
        (Method::DELETE, rule_path(&badge)),
    ] {
        let refused = visitor
            .api(method, &path, None, Some(everyone.clone()))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(app.assignments().is_empty(), "no rule gave anything");
    let nothing = app
        .api(Method::GET, &rule_path(&badge), Some(&key), None)
        .await;
    assert_eq!(nothing.code(), "RULE_NOT_FOUND");
}

#[tokio::test]
async fn the_dashboard_form_previews_saves_and_removes_a_rule_and_keeps_a_refused_form() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let alumni = app.create_badge("Alumni").await;
    let mentor = app.create_badge("Mentor").await;
    let ada = app
        .create_member("Ada Lovelace", "ada@uni.example.edu")
        .await;
    app.create_member("Grace Hopper", "grace@navy.example.mil")
        .await;
    let form = format!("/dashboard/badges/{alumni}/rule");
    let shown = app.page(&form).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text_of("main").contains("Now given by hand"));

    // A domain that is not one: refused beside the field, the text kept, nothing saved.
    let refused = app
        .submit(
            &form,
            &form,
            &[("email_domains", "uni example"), ("action", "save")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = crate::helpers::to_page(refused).await;
    assert!(
        refused
            .text_of("#email_domains-error")
            .contains("not an e-mail domain")
    );
    assert_eq!(
        refused.attr("#email_domains", "value").as_deref(),
        Some("uni example")
    );
    assert!(app.assignments().is_empty());

    // Preview: what it would do, and nothing changes.
    let fields = [
        ("email_domains", "uni.example.edu"),
        ("revoke", "on"),
        ("action", "preview"),
    ];
    let preview = crate::helpers::to_page(app.submit(&form, &form, &fields).await).await;
    assert_eq!(preview.status, StatusCode::OK);
    let report = preview.text_of("#rule-preview");
    assert!(
        report.contains("Matches 1 member: 1 would get it, 0 would lose it."),
        "{report}"
    );
    assert!(
        report.contains("Ada Lovelace") && report.contains("1 webhook event"),
        "{report}"
    );
    assert_eq!(
        preview.attr("#email_domains", "value").as_deref(),
        Some("uni.example.edu"),
        "the form keeps what was typed"
    );
    assert!(app.assignments().is_empty(), "a preview changes nothing");

    // Save: the badge page says the rule gives it, and no longer offers the hand ways.
    let saved = app
        .submit(
            &form,
            &form,
            &[
                ("email_domains", "uni.example.edu"),
                ("revoke", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(location(&saved), format!("/dashboard/badges/{alumni}"));
    assert!(holds(&app, &alumni, &ada));
    let badge_page = app.page(&format!("/dashboard/badges/{alumni}")).await;
    assert!(
        badge_page
            .text_of(".flash-success")
            .contains("gave the badge to 1 member")
    );
    assert!(badge_page.text_of("main").contains("uni.example.edu"));
    assert!(!badge_page.has("#bulk-form") && !badge_page.has("#assign-form"));
    // The badge editor will not make it one members add themselves.
    let edit = app
        .submit_badge(
            &format!("/dashboard/badges/{alumni}/edit"),
            &format!("/dashboard/badges/{alumni}/edit"),
            &crate::helpers::BadgeFields {
                self_assignable: true,
                ..crate::helpers::BadgeFields::titled("Alumni")
            },
        )
        .await;
    assert_eq!(edit.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A loop through the form is refused with the loop named.
    let mentor_form = format!("/dashboard/badges/{mentor}/rule");
    app.submit(
        &mentor_form,
        &mentor_form,
        &[("holds_all", alumni.as_str()), ("action", "save")],
    )
    .await;
    let looped = app
        .submit(
            &form,
            &form,
            &[("holds_none", mentor.as_str()), ("action", "save")],
        )
        .await;
    assert_eq!(looped.status(), StatusCode::CONFLICT);
    let looped = crate::helpers::to_page(looped).await;
    assert!(
        looped
            .text_of("main")
            .contains("“Alumni” → “Mentor” → “Alumni”"),
        "{}",
        looped.text_of("main")
    );

    // Removing the rule: Ada keeps it, now by hand.
    let removed = app.submit(&form, &format!("{form}/delete"), &[]).await;
    assert_eq!(location(&removed), format!("/dashboard/badges/{alumni}"));
    assert!(holds(&app, &alumni, &ada));
    let badge_page = app.page(&format!("/dashboard/badges/{alumni}")).await;
    assert!(badge_page.has("#bulk-form"), "given by hand again");
}
