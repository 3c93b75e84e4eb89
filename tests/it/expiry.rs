//! Badges valid for a time: the badge editor sets how many days an assignment lasts; each
//! assignment given then carries its end; from that moment it no longer counts for reads, and
//! the background job takes it away the one way assignments are taken (counts, audit with
//! "expired" as actor, `badge.unassigned` events). Giving it again to a holder renews it.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use insignia::db::schema::{badges, events, member_badges, members};
use reqwest::StatusCode;

use crate::helpers::{BadgeFields, TestApp, spawn_app};

const DAY_MILLIS: i64 = 86_400_000;

/// A badge valid for `days`, made through the editor; returns its id.
async fn badge_valid_for(app: &TestApp, title: &str, days: &str) -> String {
    let fields = BadgeFields {
        valid_for_days: days.to_string(),
        ..BadgeFields::titled(title)
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "creating {title}");
    app.badges()
        .into_iter()
        .find(|b| b.title == title)
        .map(|b| b.id.into_string())
        .expect("badge stored")
}

async fn give(app: &TestApp, badge: &str, member: &str) {
    let page = format!("/dashboard/badges/{badge}");
    let res = app
        .submit(&page, &format!("{page}/members"), &[("member_id", member)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "giving {badge}");
}

/// (assigned_at, expires_at) of one assignment, if it exists.
fn assignment(app: &TestApp, badge: &str, member: &str) -> Option<(i64, Option<i64>)> {
    member_badges::table
        .inner_join(badges::table.on(badges::key.eq(member_badges::badge_key)))
        .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
        .filter(badges::id.eq(badge))
        .filter(members::id.eq(member))
        .select((member_badges::assigned_at, member_badges::expires_at))
        .first(&mut app.db())
        .optional()
        .expect("assignment")
}

fn count_events(app: &TestApp, kind: &str) -> i64 {
    events::table
        .filter(events::kind.eq(kind))
        .count()
        .get_result(&mut app.db())
        .expect("events")
}

#[tokio::test]
async fn an_assignment_of_a_badge_valid_for_a_time_ends_on_time_and_is_taken_away() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = badge_valid_for(&app, "Conference Pass", "30").await;
    let shown = app.page(&format!("/dashboard/badges/{badge}")).await;
    assert!(
        shown.text_of("main").contains("30 days after it is given"),
        "the badge page says how long it lasts"
    );
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    let grace = app.create_member("Grace Hopper", "grace@example.com").await;
    give(&app, &badge, &ada).await;
    give(&app, &badge, &grace).await;

    // Each assignment ends 30 days after it was given.
    let (given, ends) = assignment(&app, &badge, &ada).expect("Ada holds it");
    assert_eq!(ends, Some(given + 30 * DAY_MILLIS));
    let holders = app.page(&format!("/dashboard/badges/{badge}")).await;
    assert_eq!(
        holders.select("tr.holder time").len(),
        4,
        "each holder row shows since when and until when"
    );

    // Ada's time is up (moved into the past, as time would): from now on nothing counts it,
    // before the job has taken it away.
    diesel::update(
        member_badges::table.filter(
            member_badges::member_key.eq_any(
                members::table
                    .filter(members::id.eq(&ada))
                    .select(members::key),
            ),
        ),
    )
    .set(member_badges::expires_at.eq(insignia::clock::now_millis() - 1))
    .execute(&mut app.db())
    .expect("expire Ada's");
    let listed = app
        .api(
            reqwest::Method::GET,
            &format!("/members/v3/badges/{badge}/members"),
            None,
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["memberIds"], serde_json::json!([grace]));
    assert_eq!(listed.body["metadata"]["total"], 1);
    let counts = app
        .api(
            reqwest::Method::GET,
            "/members/v3/badges/members/count",
            None,
            None,
        )
        .await;
    assert_eq!(
        counts.body["badgeMemberCounts"][0]["memberCount"], 1,
        "the counts leave hers out: {}",
        counts.body
    );
    let counted = app
        .api(
            reqwest::Method::POST,
            "/members/v3/badges/members",
            None,
            Some(serde_json::json!({"memberIds": [ada]})),
        )
        .await;
    assert_eq!(
        counted.body["memberBadgeIds"][0]["badgeIds"],
        serde_json::json!([]),
        "her badges no longer list it"
    );
    let picker = app
        .page(&format!("/dashboard/badges/{badge}?find=Ada"))
        .await;
    assert!(
        !picker.text_of("main").contains("holds it"),
        "the picker no longer marks her as holding it"
    );
    let holders = app.page(&format!("/dashboard/badges/{badge}")).await;
    assert!(!holders.text_of("main").contains("Ada Lovelace"));

    // Within a minute the job takes it away, once, as any removal is.
    let started = Instant::now();
    while assignment(&app, &badge, &ada).is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the expired assignment is taken away within a minute"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    app.assert_counts_exact();
    assert_eq!(count_events(&app, "badge.unassigned"), 1);
    let entry = insignia::audit::page(&mut app.db(), &Default::default(), 1)
        .expect("audit")
        .remove(0);
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str()),
        ("expired", "badge.unassign")
    );
    assert!(entry.details.contains("Ada Lovelace"), "{}", entry.details);
    assert!(
        assignment(&app, &badge, &grace).is_some(),
        "Grace's has not ended"
    );
}

#[tokio::test]
async fn giving_a_badge_again_to_a_holder_renews_it_from_now() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = badge_valid_for(&app, "Monthly Helper", "7").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    give(&app, &badge, &ada).await;
    let (given, _) = assignment(&app, &badge, &ada).expect("held");
    // As if given a while ago.
    diesel::update(member_badges::table)
        .set((
            member_badges::assigned_at.eq(given - 5 * DAY_MILLIS),
            member_badges::expires_at.eq(given + 2 * DAY_MILLIS),
        ))
        .execute(&mut app.db())
        .expect("age it");
    let before = count_events(&app, "badge.assigned");

    give(&app, &badge, &ada).await;
    let (still_given, ends) = assignment(&app, &badge, &ada).expect("held");
    assert_eq!(
        still_given,
        given - 5 * DAY_MILLIS,
        "held since it was first given"
    );
    let ends = ends.expect("an end");
    assert!(
        ends >= given + 7 * DAY_MILLIS,
        "valid for seven days from the second give"
    );
    assert_eq!(
        count_events(&app, "badge.assigned"),
        before,
        "no second badge.assigned"
    );
    app.assert_counts_exact();
}

#[tokio::test]
async fn a_validity_that_is_not_a_number_of_days_is_refused_beside_the_field() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for typed in ["0", "-3", "two weeks", "36501", "1.5"] {
        let fields = BadgeFields {
            valid_for_days: typed.to_string(),
            ..BadgeFields::titled("Short Lived")
        };
        let res = app
            .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let page = crate::helpers::to_page(res).await;
        assert!(
            page.text_of("#valid_for_days-error")
                .contains("whole number of days"),
            "{typed:?}"
        );
        assert_eq!(
            page.attr("#valid_for_days", "value").as_deref(),
            Some(typed),
            "what was typed is kept"
        );
    }
    assert!(app.badges().is_empty(), "nothing was saved");

    // Emptying it again makes a badge members keep.
    let badge = badge_valid_for(&app, "Forever", "").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    give(&app, &badge, &ada).await;
    assert_eq!(assignment(&app, &badge, &ada).map(|a| a.1), Some(None));
}

/// The API extension: a program sets how long a badge lasts, gives it with an end of its own,
/// and reads each holder's dates; the assignment stops counting at its end and is then taken
/// away, as the dashboard's would be.
#[tokio::test]
async fn programs_set_validity_and_give_until_a_time_through_the_api_extension() {
    use reqwest::Method;
    use serde_json::json;

    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("Scheduler").await;
    let badge = app.create_badge("Event Crew").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    let settings = format!("/insignia/v1/badges/{badge}");
    let members = format!("/insignia/v1/badges/{badge}/members");

    // How long it lasts: a number of days, or null for good; nothing else, and only for
    // callers who may change badges.
    let set = app
        .api(
            Method::PATCH,
            &settings,
            Some(&key),
            Some(json!({"validForDays": 30})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(set.body, json!({"id": badge, "validForDays": 30}));
    for bad in [
        json!(0),
        json!(36501),
        json!("30"),
        json!(2.5),
        json!(1e300),
    ] {
        let refused = app
            .api(
                Method::PATCH,
                &settings,
                Some(&key),
                Some(json!({"validForDays": bad})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(refused.violated_fields(), ["validForDays"]);
    }
    let stranger = app
        .new_visitor()
        .api(
            Method::PATCH,
            &settings,
            None,
            Some(json!({"validForDays": null})),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.badges()[0].valid_for_days,
        Some(30),
        "refusals changed nothing"
    );
    let cleared = app
        .api(
            Method::PATCH,
            &settings,
            Some(&key),
            Some(json!({"validForDays": null})),
        )
        .await;
    assert_eq!(cleared.body["validForDays"], serde_json::Value::Null);

    // An end must be a time (400), and in the future (409: well formed, but passed).
    for (bad, status) in [
        ("tomorrow", StatusCode::BAD_REQUEST),
        ("2020-01-01T00:00:00Z", StatusCode::CONFLICT),
    ] {
        let refused = app
            .api(
                Method::POST,
                &members,
                Some(&key),
                Some(json!({"memberIds": [ada], "expiresDate": bad})),
            )
            .await;
        assert_eq!(refused.status, status, "{bad}");
    }
    assert!(app.assignments().is_empty(), "nothing was given");

    // Given until three seconds from now.
    let end = insignia::clock::Timestamp::now() + time::Duration::seconds(3);
    let given = app
        .api(
            Method::POST,
            &members,
            Some(&key),
            Some(json!({"memberIds": [ada], "expiresDate": end.to_string()})),
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.body);
    let listed = app.api(Method::GET, &members, Some(&key), None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["members"][0]["memberId"], json!(ada));
    assert_eq!(
        listed.body["members"][0]["expiresDate"],
        json!(end.to_string())
    );
    assert!(listed.body["members"][0]["assignedDate"].is_string());
    assert_eq!(listed.body["metadata"]["cursor"], serde_json::Value::Null);
    let before_all = app
        .api(
            Method::GET,
            &format!("{members}?paging.cursor=1.1"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(before_all.status, StatusCode::OK);
    assert_eq!(
        before_all.body["members"],
        json!([]),
        "nobody got it before 1970"
    );
    // A method the path does not serve, and a stranger's give, change nothing.
    let wrong = app
        .api(
            Method::DELETE,
            &members,
            Some(&key),
            Some(json!({"memberIds": [ada]})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    let stranger = app
        .new_visitor()
        .api(
            Method::POST,
            &members,
            None,
            Some(json!({"memberIds": [ada]})),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    assert_eq!(app.assignments().len(), 1, "only the key's give stands");
    let nonsense = app
        .api(
            Method::GET,
            &format!("{members}?paging.cursor=nope"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(nonsense.status, StatusCode::BAD_REQUEST);

    // At its end it stops counting at once, and is taken away within a minute.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let wix = app
        .api(
            Method::GET,
            &format!("/members/v3/badges/{badge}/members"),
            None,
            None,
        )
        .await;
    assert_eq!(wix.body["memberIds"], json!([]));
    let started = Instant::now();
    while !app.assignments().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "taken away within a minute"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    app.assert_counts_exact();
    assert!(app.audit_actions().contains(&"badge.unassign".to_string()));
}

#[tokio::test]
async fn the_owner_sets_and_removes_holders_ends_and_a_badge_given_after_its_time_is_given_anew() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = badge_valid_for(&app, "Season Pass", "7").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    let grace = app.create_member("Grace Hopper", "grace@example.com").await;
    give(&app, &badge, &ada).await;
    give(&app, &badge, &grace).await;
    let page = format!("/dashboard/badges/{badge}");

    // The bulk box's dry run says a holder would be renewed.
    let checked = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("bulk", "ada@example.com"), ("action", "dry_run")],
        )
        .await;
    let checked = app.followed(checked).await;
    let report = checked.text_of("#bulk-report");
    assert!(report.contains("1 already held"), "{report}");
    let csv = app
        .get(
            &checked
                .attr("#bulk-report a[download]", "href")
                .expect("report link"),
        )
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains("renewed"), "{csv}");

    // Both ticked: held through 12 March 2099.
    let res = app
        .submit(
            &page,
            &format!("{page}/members/end"),
            &[
                ("member_id", ada.as_str()),
                ("member_id", grace.as_str()),
                ("end", "2099-03-12"),
                ("end_action", "set"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let end = insignia::rules::Day::parse("2099-03-13")
        .expect("day")
        .start()
        .millis()
        - 1;
    assert_eq!(assignment(&app, &badge, &ada).expect("held").1, Some(end));
    assert_eq!(assignment(&app, &badge, &grace).expect("held").1, Some(end));
    let shown = app.page(&page).await.text_of("main");
    assert!(shown.contains("12 March 2099"), "{shown}");
    // Ada's ends no more; a day already past is refused and changes nothing.
    app.submit(
        &page,
        &format!("{page}/members/end"),
        &[("member_id", ada.as_str()), ("end_action", "clear")],
    )
    .await;
    assert_eq!(assignment(&app, &badge, &ada).expect("held").1, None);
    app.submit(
        &page,
        &format!("{page}/members/end"),
        &[
            ("member_id", grace.as_str()),
            ("end", "2001-01-01"),
            ("end_action", "set"),
        ],
    )
    .await;
    assert_eq!(assignment(&app, &badge, &grace).expect("held").1, Some(end));
    let flash = app.page(&page).await.text_of(".flash-error");
    assert!(flash.contains("already passed"), "{flash}");
    assert!(
        app.audit_actions().contains(&"badge.renew".to_string()),
        "ends set by hand are audited"
    );

    // Grace's time is up but the job has not come yet: giving it again gives it anew.
    diesel::update(member_badges::table)
        .filter(
            member_badges::member_key.eq_any(
                members::table
                    .filter(members::id.eq(&grace))
                    .select(members::key),
            ),
        )
        .set((
            member_badges::assigned_at.eq(insignia::clock::now_millis() - 9 * DAY_MILLIS),
            member_badges::expires_at.eq(insignia::clock::now_millis() - 1),
        ))
        .execute(&mut app.db())
        .expect("expire Grace's");
    let (assigned, unassigned) = (
        count_events(&app, "badge.assigned"),
        count_events(&app, "badge.unassigned"),
    );
    give(&app, &badge, &grace).await;
    let (since, ends) = assignment(&app, &badge, &grace).expect("held again");
    assert!(
        since > insignia::clock::now_millis() - DAY_MILLIS,
        "a new time"
    );
    assert!(ends.expect("an end") > insignia::clock::now_millis() + 6 * DAY_MILLIS);
    assert_eq!(count_events(&app, "badge.assigned"), assigned + 1);
    assert_eq!(count_events(&app, "badge.unassigned"), unassigned + 1);
    app.assert_counts_exact();
}

#[tokio::test]
async fn the_picker_and_the_bulk_box_give_until_a_day_of_their_own() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Volunteer").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    let grace = app.create_member("Grace Hopper", "grace@example.com").await;
    let page = format!("/dashboard/badges/{badge}");
    let last_moment = |day: &str| {
        // 23:59:59.999 UTC of that day, counted here rather than by the code under test.
        let date = time::Date::parse(
            day,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .expect("day");
        date.with_hms_milli(23, 59, 59, 999)
            .expect("time")
            .assume_utc()
            .unix_timestamp()
            * 1000
            + 999
    };

    let res = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[("member_id", ada.as_str()), ("until", "2099-06-30")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        assignment(&app, &badge, &ada).expect("held").1,
        Some(last_moment("2099-06-30"))
    );

    // A day already past: the picker refuses it and gives nothing.
    app.submit(
        &page,
        &format!("{page}/members"),
        &[("member_id", grace.as_str()), ("until", "2000-01-01")],
    )
    .await;
    assert!(
        app.page(&page)
            .await
            .text_of(".flash-error")
            .contains("already passed")
    );
    assert_eq!(app.assignments().len(), 1, "nothing was given");

    // The bulk box: a day already past is refused beside the box, the list kept.
    let refused = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[
                ("bulk", "grace@example.com"),
                ("until", "2000-01-01"),
                ("action", "assign"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = crate::helpers::to_page(refused).await;
    assert!(refused.text_of("#bulk-error").contains("already passed"));
    assert_eq!(refused.text_of("#bulk"), "grace@example.com");
    assert_eq!(app.assignments().len(), 1, "nothing was assigned");

    // With a day to come: the dry run says Ada would be renewed, then both hold it until then.
    let checked = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[
                ("bulk", "ada@example.com\ngrace@example.com"),
                ("until", "2099-12-31"),
                ("action", "dry_run"),
            ],
        )
        .await;
    let checked = app.followed(checked).await;
    let report = checked.text_of("#bulk-report");
    assert!(report.contains("1 to be renewed from now"), "{report}");
    let plan = checked
        .attr("#bulk-report input[name=plan]", "value")
        .expect("a plan to apply");
    let until = checked
        .attr("#bulk-report input[name=until]", "value")
        .expect("the day goes with the plan");
    app.submit(
        &page,
        &format!("{page}/members"),
        &[
            ("plan", plan.as_str()),
            ("until", until.as_str()),
            ("action", "assign"),
        ],
    )
    .await;
    let ends: Vec<Option<i64>> = member_badges::table
        .select(member_badges::expires_at)
        .load(&mut app.db())
        .expect("ends");
    assert_eq!(ends, vec![Some(last_moment("2099-12-31")); 2]);
    app.assert_counts_exact();
}

#[tokio::test]
async fn the_background_work_page_shows_each_job_and_what_waits_for_it() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = badge_valid_for(&app, "Trial", "1").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    give(&app, &badge, &ada).await;
    // Ada's time is up, and the job has not come yet (it runs every 15 s).
    diesel::update(member_badges::table)
        .set(member_badges::expires_at.eq(insignia::clock::now_millis() - 1))
        .execute(&mut app.db())
        .expect("expire it");
    let page = app.page("/dashboard/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    let expiry = page.text_of("#job-assignments-expire");
    assert!(
        expiry.contains("Takes away assignments whose time is up"),
        "{expiry}"
    );
    assert!(
        expiry.contains("1 assignment to take away") || assignment(&app, &badge, &ada).is_none(),
        "{expiry}"
    );
    for job in ["webhooks-deliver", "rules-timed", "webhooks-prune_events"] {
        assert!(page.has(&format!("#job-{job}")), "{job} is listed");
    }
    // The job ran at start-up: its last run is written down.
    assert!(page.has("#job-assignments-expire time"), "{expiry}");
    let visitor = app.new_visitor();
    let refused = visitor.get("/dashboard/jobs").await;
    assert_ne!(refused.status(), StatusCode::OK, "admins only");
}
