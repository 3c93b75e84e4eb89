//! Every query on a hot path answers from an index. The test runs the real domain functions,
//! records the SQL they send, and asks SQLite for each statement's plan: a full scan of any
//! table that grows with members (members, assignments, audit, sessions) fails the test.

use std::sync::{Arc, Mutex};

use diesel::connection::{Connection, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::SqliteConnection;
use insignia::audit::{self, Actor};
use insignia::auth::{member_accounts as accounts, member_links as passwords};
use insignia::badges::{BadgeInput, store};

use insignia::members::profile::{self, Audience};
use insignia::members::{self, NewMember, assignments, search, undo};

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    id: i32,
    #[diesel(sql_type = Text)]
    detail: String,
}

/// Tables small by design, written by admins (docs/product.md §8: about 1,000 badges; content
/// pages are fewer), where a scan is fine. Everything that grows with members must use an index.
const SMALL_TABLES: &[&str] = &[
    "api_keys",
    "badges",
    "pages",
    "badge_pages",
    // One row per badge a rule gives.
    "badge_rules",
    "__diesel_schema_migrations",
    "settings",
    // A site's webhook endpoints: a handful, made by admins.
    "webhook_endpoints",
];

/// Names of subquery results in the search queries (see members::search), and the temporary
/// tables a change stages its members in (members::assignments::staging): their size is the
/// request's, never the site's.
const SUBQUERY_RESULTS: &[&str] = &[
    "hit",
    "newest",
    "words",
    "staged_lines",
    "staged_members",
    "staged_changed",
    "staged_scope",
    "l",
    "c",
    "s",
];

/// Partial indexes that hold exactly the rows a statement wants (members without badges): read
/// whole, they are the answer, not a walk over the table.
const WHOLE_PARTIAL_INDEXES: &[&str] = &["members_without_badges"];

fn is_full_scan(detail: &str) -> bool {
    let Some(rest) = detail.strip_prefix("SCAN ") else {
        return false;
    };
    let table = rest.split_whitespace().next().unwrap_or("");
    // "SCAN members_search VIRTUAL TABLE INDEX …" is the full-text index answering; "SCAN hit"
    // reads the matches a search subquery produced (its own plan lines are checked too).
    !(rest.contains("VIRTUAL TABLE INDEX")
        || SMALL_TABLES.contains(&table)
        || SUBQUERY_RESULTS.contains(&table)
        || table.starts_with("(subquery-")
        || WHOLE_PARTIAL_INDEXES
            .iter()
            .any(|index| rest.ends_with(&format!("USING COVERING INDEX {index}")))
        || table == "CONSTANT")
}

#[test]
fn hot_queries_use_indexes() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("plans.db").to_string_lossy().to_string();
    let pool = insignia::open_site(&path.as_str().into()).expect("db");
    let mut conn = pool.get().expect("conn");

    // Enough data that SQLite's planner has something to choose between.
    let actor = Actor::system();
    let badge = store::create(
        &mut conn,
        &actor,
        &BadgeInput {
            title: "Gold".into(),
            ..BadgeInput::default()
        }
        .parse()
        .expect("valid"),
        None,
    )
    .expect("badge");
    let mut ids = Vec::new();
    for i in 0..200 {
        let new =
            NewMember::parse(&format!("Person {i}"), &format!("p{i}@example.com")).expect("valid");
        ids.push(members::create(&mut conn, &actor, &new).expect("member").id);
    }
    let badge_id = badge.id.clone();
    let member_ids = ids.clone();
    assignments::assign(&mut conn, &actor, &badge_id, &member_ids[..100]).expect("assign");
    let vip = insignia::pages::create(
        &mut conn,
        &actor,
        &insignia::pages::PageInput {
            title: "VIP".into(),
            access: "badges".into(),
            ..Default::default()
        }
        .parse()
        .expect("valid page"),
    )
    .map_err(|e| e.to_string())
    .expect("page");
    insignia::pages::set_permissions(
        &mut conn,
        &actor,
        &badge.id,
        true,
        std::slice::from_ref(&vip.id),
    )
    .map_err(|e| e.to_string())
    .expect("permissions");
    // Rules reading every kind of fact, for the rule steps that follow a change.
    let silver = store::create(
        &mut conn,
        &actor,
        &BadgeInput {
            title: "Silver".into(),
            ..BadgeInput::default()
        }
        .parse()
        .expect("valid"),
        None,
    )
    .expect("badge");
    let rule_badges: Vec<insignia::ids::BadgeId> = ["Staff", "Veteran", "Collector"]
        .iter()
        .map(|title| {
            store::create(
                &mut conn,
                &actor,
                &BadgeInput {
                    title: (*title).into(),
                    ..BadgeInput::default()
                }
                .parse()
                .expect("valid"),
                None,
            )
            .expect("badge")
            .id
        })
        .collect();
    let rules: Vec<insignia::rules::Rule> = [
        serde_json::json!({"criteria": [{"emailDomainIn": ["example.com"]}, {"signedUp": false},
            {"joinedBefore": "2100-01-01"}], "revoke": true}),
        serde_json::json!({"criteria": [{"holdsAll": [silver.id]}, {"holdsNone": [rule_badges[0]]},
            {"heldForAtLeastDays": {"badgeId": silver.id, "days": 1}}], "revoke": true}),
        serde_json::json!({"criteria": [{"badgeCountAtLeast": 1}, {"joinedAtLeastDaysAgo": 1}],
            "revoke": true}),
    ]
    .into_iter()
    .map(|json| serde_json::from_value(json).expect("a rule"))
    .collect();
    for (badge, rule) in rule_badges.iter().zip(&rules) {
        insignia::rules::store::save(&mut conn, &actor, badge, rule)
            .map_err(|e| e.to_string())
            .expect("rule saved");
    }
    diesel::sql_query("ANALYZE")
        .execute(&mut conn)
        .expect("analyze");

    let statements: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = statements.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            let sql = sql
                .split(" -- binds:")
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if let Ok(mut log) = log.lock() {
                log.push(sql);
            }
        }
    });

    // The hot paths: directory and picker search, holder lists, member pages, counts,
    // assignment changes, sign-in, sessions, audit pages.
    let c = &mut *conn;
    let first = &ids[0];
    search::members(c, "", None, 51).expect("all");
    search::members(c, "", Some(150), 51).expect("older page");
    search::members(c, "pe", None, 21).expect("prefix");
    search::members(c, "son 1", Some(100), 21).expect("substring");
    search::members_by_name(c, "pe", None, 31).expect("public prefix");
    search::members_by_name(c, "son 1", Some(100), 31).expect("public substring");
    search::holders(c, Audience::Everyone, &badge.id, "", None, 51).expect("holders");
    search::holders(c, Audience::Public, &badge.id, "", None, 51).expect("public holders");
    search::holders(
        c,
        Audience::Everyone,
        &badge.id,
        "",
        Some((1_800_000_000_000, 1)),
        51,
    )
    .expect("holders page");
    search::holders(c, Audience::Everyone, &badge.id, "person", None, 51).expect("holders search");
    search::holders(c, Audience::Everyone, &badge.id, "p", None, 51).expect("holders prefix");
    // The public badge page: the badge by its slug (or a former one), the pages it unlocks.
    insignia::badges::store::find_by_slug(c, &badge.slug).expect("badge by slug");
    let _ = insignia::badges::store::find_by_slug(c, "no-such-badge");
    insignia::pages::titles_unlocked_by(c, badge.key).expect("unlocked pages");
    assignments::holding_any(c, &badge_id, &member_ids[..50]).expect("holding");
    assignments::assign(c, &actor, &badge_id, &member_ids[100..110]).expect("assign");
    assignments::unassign(c, &actor, &badge_id, &member_ids[100..105]).expect("unassign");
    assignments::plan_bulk(c, &badge_id, "p3@example.com\np4@example.com").expect("bulk");
    // Badges valid for a time: a give with an end, and the expiry job's pass once it is up.
    let now = insignia::clock::Timestamp::now();
    assignments::assign_until(
        c,
        &actor,
        &badge_id,
        &member_ids[110..115],
        Some(now + time::Duration::days(1)),
    )
    .expect("give until");
    // The week-before warning reads the index of ends for its window only.
    insignia::members::expiry::warn_ending(c, now - time::Duration::days(6)).expect("warn");
    assignments::expire_due(c, now + time::Duration::days(2)).expect("expiry pass");
    // The rule steps that follow a change, for the members it concerns: a badge given and
    // taken, a member added, an e-mail changed.
    // Silver tells its holders by mail: the give queues their mail.
    store::set_tell_members(c, &actor, &silver.id, true)
        .map_err(|e| e.to_string())
        .expect("tell members");
    assignments::assign(c, &actor, &silver.id, &member_ids[..20]).expect("assign silver");
    assignments::unassign(c, &actor, &silver.id, &member_ids[..5]).expect("unassign silver");
    // Changes kept to undo: a bulk take and its undo, a bulk give with renewals and its
    // undo, "remove all holders".
    let admin =
        insignia::auth::admins::create(c, "owner@example.com", "a long enough password", false)
            .expect("db")
            .map_err(|_| "admin")
            .expect("admin");
    let lines = "p10@example.com\np11@example.com\np150@example.com";
    let take = assignments::BulkChange::Take;
    let (_, taken) =
        assignments::apply_bulk_change(c, &actor, &silver.id, lines, take, Some(&admin.id))
            .expect("bulk take");
    undo::undo(c, &actor, &admin.id, &taken.expect("kept")).expect("undo take");
    let give = assignments::BulkChange::Give {
        until: Some(now + time::Duration::days(3)),
    };
    let (_, given) =
        assignments::apply_bulk_change(c, &actor, &silver.id, lines, give, Some(&admin.id))
            .expect("bulk give");
    undo::undo(c, &actor, &admin.id, &given.expect("kept")).expect("undo give");
    assignments::take_from_all(c, &actor, &admin.id, &silver.id).expect("remove all");
    // The members list filtered by a badge held, or none, and a change to all that match.
    let holding = search::Holding::Badge(badge.key);
    search::members_holding(c, &holding, None, 51).expect("holders by member");
    search::members_holding(c, &holding, Some(150), 51).expect("older holders");
    search::members_holding(c, &search::Holding::NoBadges, None, 51).expect("no badges");
    search::members_holding(c, &search::Holding::NoBadges, Some(150), 51).expect("older");
    assignments::plan_for_filter(c, &holding, &silver.id, give).expect("filtered check");
    assignments::plan_for_filter(c, &search::Holding::NoBadges, &silver.id, give)
        .expect("filtered check of members without badges");
    assignments::apply_to_filter(c, &actor, &admin.id, &holding, &silver.id, give)
        .expect("filtered give");
    let newcomer = NewMember::parse("Newcomer", "new@example.com").expect("valid");
    let newcomer = members::create(c, &actor, &newcomer).expect("member");
    members::update(c, &actor, &newcomer.id, "Newcomer", "new@elsewhere.org").expect("update");
    insignia::rules::store::preview(c, &rule_badges[0], &rules[0])
        .map_err(|e| e.to_string())
        .expect("preview");
    members::find(c, first).expect("find");
    members::find_by_email(c, "p7@example.com").expect("by email");
    members::find_by_slug(c, "person-7").expect("by slug");
    members::free_slug(c, "Person 7").expect("slug");
    insignia::auth::throttle::reserve(c, "member:p7@example.com", "ip:127.0.0.1")
        .expect("sign-in throttle");
    insignia::auth::sign_in::find_member(c, "p7@example.com").expect("sign in");
    let token = accounts::start_session(c, first).expect("session");
    accounts::session_member(c, &token).expect("session lookup");
    passwords::create_link(c, &actor, first)
        .map_err(|e| e.to_string())
        .expect("link");
    passwords::member_for(c, "not-a-token").expect("link lookup");
    store::list_in_order(c).expect("badges with counts");
    // The JSON API's own reads: badge pages, holders oldest first, key lookup.
    store::page_in_order(c, 0, 100).expect("badge page");
    assignments::holders_oldest_first(c, &badge_id, Audience::Public, 20, 50)
        .map_err(|e| e.to_string())
        .expect("public API holders");
    assignments::holders_oldest_first(c, &badge_id, Audience::Everyone, 20, 50)
        .map_err(|e| e.to_string())
        .expect("holders oldest first");
    let (_, secret) = insignia::auth::api_keys::create(c, &actor, "plans").expect("api key");
    insignia::auth::api_keys::authenticate(c, &secret).expect("key lookup");
    assignments::badges_of_many(c, &member_ids[..30], Audience::Public).expect("API badges");
    assignments::public_badges_of_keys(c, &[insignia::db::keys::MemberKey(1)])
        .expect("directory badges");
    profile::badges_of(c, first, Audience::Public).expect("public profile");
    let holder = members::find(c, first).expect("holder");
    for how in [profile::Arrangement::Pin, profile::Arrangement::Hide] {
        profile::arrange(c, &holder, &badge_id, how)
            .map_err(|e| e.to_string())
            .expect("arrange");
    }
    let ada = members::find(c, first).expect("member");
    insignia::pages::access::decide(c, &vip, Some(&ada)).expect("page access");
    let outsider = members::find(c, &ids[199]).expect("member");
    insignia::pages::access::decide(c, &vip, Some(&outsider)).expect("denied");
    insignia::pages::access::open_restricted_pages(c, first).expect("home pages");
    insignia::pages::access::explain(c, &vip, &ada).expect("explain");
    insignia::pages::find_by_slug(c, "vip")
        .map_err(|e| e.to_string())
        .expect("page by slug");
    audit::page(c, &audit::Filter::default(), 51).expect("audit");
    audit::page(
        c,
        &audit::Filter {
            badge: Some(badge.id.to_string()),
            before: Some(10),
            ..Default::default()
        },
        51,
    )
    .expect("audit by badge");
    audit::page(
        c,
        &audit::Filter {
            member: Some(first.to_string()),
            ..Default::default()
        },
        51,
    )
    .expect("audit by member");
    // Exports: each page a seek from where the last one ended.
    let badge_row = store::find(c, &badge.id).expect("badge");
    for kind in [
        insignia::exports::Kind::Members,
        insignia::exports::Kind::Holders(Box::new(badge_row)),
        insignia::exports::Kind::Audit(audit::Filter {
            member: Some(first.to_string()),
            ..Default::default()
        }),
    ] {
        let mut export = insignia::exports::Export::new(c, kind).expect("export");
        export.next_page(c).expect("first export page");
    }
    // Mail: a reset asked for, the sender's claim, link and record, the mail log.
    {
        use insignia_core::auth::resets;
        use insignia_core::mail::outbox::{self, Outcome};
        let a_minute = std::time::Duration::from_secs(60);
        resets::request(c, resets::Account::Member, "p7@example.com", "ip:127.0.0.1")
            .expect("reset")
            .expect("taken");
        resets::request(c, resets::Account::Admin, "p8@example.com", "ip:127.0.0.1")
            .expect("reset")
            .expect("taken");
        let now = insignia::clock::Timestamp::now();
        let claimed = outbox::claim(c, "plans", a_minute, now, 25).expect("claim");
        let mail = claimed.first().expect("claimed").clone();
        let to = insignia_core::mail::Recipient::Member(first.clone());
        let address = members::find(c, first).expect("member").email;
        resets::link(c, &to, &address, resets::VALID).expect("link");
        // Invitations of members named. (Inviting everyone without a password reads them
        // all by design, one set-based statement through `members_without_password`.)
        use insignia_core::members::invitations::{self, Whom};
        invitations::plan(c, Whom::Members(std::slice::from_ref(first))).expect("plan one");
        invitations::invite(c, &actor, Whom::Members(&member_ids[..3])).expect("invite some");
        invitations::state_of(c, first).expect("invitation state");
        let sent = Outcome::Sent {
            subject: "Choose a new password".into(),
        };
        outbox::record(c, "plans", &[(mail.clone(), sent)], a_minute).expect("record");
        outbox::log(c, None, 51).expect("mail log");
        outbox::log(c, Some(mail.id + 1), 51).expect("older mail");
        outbox::waiting(c).expect("waiting");
        outbox::send_again(c, &actor, mail.id).expect("send again");
        outbox::prune(c, insignia::clock::Timestamp::now()).expect("prune");
        // Badge mail: gathered per member, and the unsubscribe link.
        let later = now + std::time::Duration::from_secs(3600);
        outbox::claim(c, "plans", a_minute, later, 25).expect("claim badge mail");
        use insignia_core::mail::unsubscribe;
        let token = unsubscribe::token(c, first).expect("token");
        unsubscribe::member_for(c, &token).expect("verify");
        unsubscribe::takes_badge_mail(c, first).expect("takes badge mail");
        unsubscribe::set_badge_mail(c, first, false, "plans").expect("off");
        // Confirming an address: asked for, its link made, looked up and followed.
        use insignia_core::members::addresses;
        let member = members::find(c, first).expect("member");
        addresses::request(c, &member, "p9-new@example.com")
            .expect("request")
            .expect("asked");
        addresses::standing(c, first).expect("standing");
        let token = addresses::issue(c, first, "p9-new@example.com")
            .expect("issue")
            .expect("a link");
        addresses::link_for(c, &token).expect("link");
        addresses::confirm(c, &token)
            .expect("confirm")
            .expect("confirmed");
    }
    // A one-use form token spent, and spent again.
    for _ in 0..2 {
        insignia_core::once::act(c, Some("plans"), |_| Ok::<_, insignia_core::Error>(()))
            .expect("once");
    }
    // The header's count of new badges, and /me seeing them.
    profile::new_badge_count(c, first).expect("new badges");
    profile::see_badges(c, first, insignia::clock::Timestamp::now()).expect("seen");
    assignments::delete_member(c, &actor, &ids[150])
        .map_err(|e| e.to_string())
        .expect("delete member");
    insignia::members::assignments::delete_badge(c, &actor, &badge.id)
        .map_err(|e| e.to_string())
        .expect("delete badge");

    // What /metrics reads of the webhook backlog at every scrape.
    insignia::webhooks::backlog(c).expect("backlog");

    let recorded = statements.lock().expect("log").clone();
    let mut checked = 0;
    let mut scans = Vec::new();
    // Planned twice: with the statistics ANALYZE made, and without any (a site that has never
    // been analyzed, as a new demo is), where SQLite goes by the shape of the query alone.
    for analyzed in [true, false] {
        let mut plain = insignia::db::DbConnection::Sqlite(
            SqliteConnection::establish(&path).expect("plain connection"),
        );
        if !analyzed {
            diesel::sql_query("DELETE FROM sqlite_stat1")
                .execute(&mut plain)
                .expect("forget the statistics");
            plain = insignia::db::DbConnection::Sqlite(
                SqliteConnection::establish(&path).expect("plain connection"),
            );
        }
        // The staging tables exist on each connection that changes assignments.
        assignments::staging::reset(&mut plain).expect("staging tables");
        for sql in recorded.iter().filter(|s| {
            let head = s.trim_start().to_uppercase();
            head.starts_with("SELECT")
                || head.starts_with("UPDATE")
                || head.starts_with("DELETE")
                || (head.starts_with("INSERT") && head.contains(" SELECT "))
        }) {
            let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load(&mut plain)
                .unwrap_or_else(|e| panic!("cannot explain {sql}: {e}"));
            checked += 1;
            for line in plan.iter().filter(|l| is_full_scan(&l.detail)) {
                let when = if analyzed {
                    "analyzed"
                } else {
                    "no statistics"
                };
                scans.push(format!("{} ({when})\n    {sql}", line.detail));
            }
        }
    }
    assert!(checked >= 30, "only {checked} statements were checked");
    assert!(
        scans.is_empty(),
        "full scans on hot paths:\n{}",
        scans.join("\n")
    );
}

#[test]
fn the_scan_detector_tells_scans_from_index_use() {
    assert!(is_full_scan("SCAN members"));
    assert!(is_full_scan("SCAN m USING COVERING INDEX members_name_key"));
    assert!(!is_full_scan(
        "SEARCH m USING INDEX members_name_key (name_key>? AND name_key<?)"
    ));
    assert!(!is_full_scan(
        "SCAN members_search VIRTUAL TABLE INDEX 0:M1"
    ));
    assert!(!is_full_scan("SCAN badges USING INDEX badges_position"));
}
