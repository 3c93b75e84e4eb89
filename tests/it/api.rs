//! The JSON API (docs/api.md): every operation, its paging and its errors, through the real
//! server, checking the database afterwards.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ApiReply, TestApp, spawn_app, spawn_app_with};

/// An app with an elevated admin (the test client) and an API key.
async fn app_with_key() -> (TestApp, String) {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("tests").await;
    (app, key)
}

async fn create(app: &TestApp, key: &str, badge: Value) -> ApiReply {
    app.api(
        Method::POST,
        "/members/v3/badges",
        Some(key),
        Some(json!({ "badge": badge })),
    )
    .await
}

async fn create_ok(app: &TestApp, key: &str, title: &str) -> String {
    let reply = create(app, key, json!({ "title": title })).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["badge"]["id"].as_str().expect("id").to_string()
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|b| b[field].as_str().expect("id").to_string())
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn create_returns_the_stored_badge_and_audits_the_key() {
    let (app, key) = app_with_key().await;
    let reply = create(
        &app,
        &key,
        json!({"title": "  Gold Star ", "backgroundColor": "#ffd700", "textColor": "#000000",
               "icon": "star", "description": "Top", "selfAssignable": true, "unknown": 1}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let badge = &reply.body["badge"];
    assert_eq!(badge["title"], "Gold Star");
    assert_eq!(badge["slug"], "gold-star");
    assert_eq!(badge["backgroundColor"], "#FFD700");
    assert_eq!(badge["textColor"], "#000000");
    assert_eq!(badge["icon"], "/static/icons/star.svg");
    assert_eq!(badge["selfAssignable"], true);
    assert_eq!(badge["permissionsEnabled"], false);
    let created = badge["createdDate"].as_str().expect("date");
    assert!(
        created.ends_with('Z') && created.len() == 24,
        "RFC 3339 with ms: {created}"
    );
    let stored = app.badges();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, badge["id"].as_str().expect("id"));

    let defaults = create(&app, &key, json!({"title": "Plain"})).await;
    assert_eq!(defaults.body["badge"]["backgroundColor"], "#796EFF");
    assert_eq!(defaults.body["badge"]["textColor"], "#FFFFFF");
    assert_eq!(defaults.body["badge"]["icon"], "");

    let log = insignia::audit::page(&mut app.db(), &Default::default(), 10).expect("audit");
    assert!(
        log.iter()
            .any(|e| e.action == "badge.create" && e.actor == "API key “tests”"),
        "API writes are audited with the key as actor"
    );
}

#[tokio::test]
async fn create_refuses_every_broken_rule_with_field_violations_and_saves_nothing() {
    let (app, key) = app_with_key().await;
    let cases = [
        (json!({"title": "   "}), "badge.title", "REQUIRED_FIELD"),
        (json!({}), "badge.title", "REQUIRED_FIELD"),
        (
            json!({"title": "x".repeat(101)}),
            "badge.title",
            "MAX_LENGTH",
        ),
        (
            json!({"title": "A", "description": "d".repeat(1501)}),
            "badge.description",
            "MAX_LENGTH",
        ),
        (
            json!({"title": "A", "backgroundColor": "red"}),
            "badge.backgroundColor",
            "FORMAT",
        ),
        (
            json!({"title": "A", "textColor": "#12345G"}),
            "badge.textColor",
            "FORMAT",
        ),
        (
            json!({"title": "A", "icon": "javascript:alert(1)"}),
            "badge.icon",
            "FORMAT",
        ),
        (
            json!({"title": "A", "permissionsEnabled": true, "selfAssignable": true}),
            "badge.selfAssignable",
            "OTHER",
        ),
        (json!({"title": 5}), "badge.title", "FORMAT"),
        (
            json!({"title": "A", "permissionsEnabled": "yes"}),
            "badge.permissionsEnabled",
            "FORMAT",
        ),
    ];
    for (badge, field, rule) in cases {
        let reply = create(&app, &key, badge.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{badge}");
        let violation = &reply.body["details"]["validationError"]["fieldViolations"][0];
        assert_eq!(violation["field"], field, "{badge}");
        assert_eq!(violation["violatedRule"], rule, "{badge}");
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "message names the field: {}",
            reply.body
        );
    }
    // The dashboard reports the same rule for the same title.
    let form = app
        .submit_badge(
            "/dashboard/badges/new",
            "/dashboard/badges/new",
            &crate::helpers::BadgeFields::titled(&"x".repeat(101)),
        )
        .await;
    let page = crate::helpers::to_page(form).await;
    assert!(page.text.contains("must be at most 100 characters"));
    let api = create(&app, &key, json!({"title": "x".repeat(101)})).await;
    assert_eq!(
        api.body["details"]["validationError"]["fieldViolations"][0]["description"],
        "must be at most 100 characters"
    );
    assert!(app.badges().is_empty(), "nothing was saved");
}

#[tokio::test]
async fn malformed_missing_and_oversized_bodies_are_refused() {
    let (app, key) = app_with_key().await;
    let send = |body: &'static str| {
        app.client
            .post(app.url("/members/v3/badges"))
            .header("Authorization", key.as_str())
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let res = send("{\"badge\": {\"title\": ").await.expect("request");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["details"]["validationError"]["fieldViolations"][0]["field"],
        "body"
    );
    let res = send("[1, 2]").await.expect("request");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let missing = app
        .api(
            Method::POST,
            "/members/v3/badges",
            Some(&key),
            Some(json!({})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.violated_fields(), strings(&["badge"]));
    let huge = json!({"badge": {"title": "Big", "description": "x".repeat(300 * 1024)}});
    let reply = app
        .api(Method::POST, "/members/v3/badges", Some(&key), Some(huge))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "PAYLOAD_TOO_LARGE");
    assert!(app.badges().is_empty());
}

#[tokio::test]
async fn duplicate_titles_conflict_in_any_case() {
    let (app, key) = app_with_key().await;
    create_ok(&app, &key, "Gold").await;
    let reply = create(&app, &key, json!({"title": "gOLD"})).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "BADGE_TITLE_ALREADY_EXISTS");
    assert_eq!(app.badge_titles(), strings(&["Gold"]));
}

#[tokio::test]
async fn update_changes_only_the_fields_sent() {
    let (app, key) = app_with_key().await;
    let reply = create(
        &app,
        &key,
        json!({"title": "Gold", "description": "Shiny", "backgroundColor": "#FFD700"}),
    )
    .await;
    let id = reply.body["badge"]["id"].as_str().expect("id").to_string();
    let path = format!("/members/v3/badges/{id}");
    let updated = app
        .api(
            Method::PATCH,
            &path,
            Some(&key),
            Some(json!({"badge": {"id": id, "title": "Golden", "textColor": "#111111"}})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    let badge = &updated.body["badge"];
    assert_eq!(badge["title"], "Golden");
    assert_eq!(badge["slug"], "golden", "the slug follows the title");
    assert_eq!(
        badge["description"], "Shiny",
        "unsent fields keep their value"
    );
    assert_eq!(badge["backgroundColor"], "#FFD700");
    assert_eq!(badge["textColor"], "#111111");
    assert_eq!(app.badges()[0].title, "Golden");

    // Refusals change nothing.
    create_ok(&app, &key, "Silver").await;
    let before = app.badges();
    for (body, status) in [
        (json!({"badge": {"title": "silver"}}), StatusCode::CONFLICT),
        (
            json!({"badge": {"textColor": "black"}}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"badge": {"id": uuid::Uuid::new_v4().to_string(), "title": "X"}}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({}), StatusCode::BAD_REQUEST),
    ] {
        let reply = app
            .api(Method::PATCH, &path, Some(&key), Some(body.clone()))
            .await;
        assert_eq!(reply.status, status, "{body}");
    }
    assert_eq!(app.badges(), before);
    let unknown = app
        .api(
            Method::PATCH,
            &format!("/members/v3/badges/{}", uuid::Uuid::new_v4()),
            Some(&key),
            Some(json!({"badge": {"title": "Ghost"}})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.code(), "BADGE_NOT_FOUND");
}

#[tokio::test]
async fn get_answers_everyone_and_unknown_ids_are_404() {
    let (app, key) = app_with_key().await;
    let id = create_ok(&app, &key, "Gold").await;
    let visitor = app.new_visitor();
    let reply = visitor
        .api(
            Method::GET,
            &format!("/members/v3/badges/{id}?id={id}"),
            None,
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["badge"]["title"], "Gold");
    let missing = visitor
        .api(Method::GET, "/members/v3/badges/not-a-badge", None, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "BADGE_NOT_FOUND");
    assert_eq!(missing.body["message"], "Badge not found");
}

#[tokio::test]
async fn list_pages_in_display_order_with_exact_totals() {
    let (app, key) = app_with_key().await;
    // 1,001 badges straight into the database, to see the 1,000 cap.
    {
        let mut conn = app.db();
        insignia::db::write(&mut conn, |conn| {
            for i in 0..1001 {
                let valid = insignia::badges::BadgeInput {
                    title: format!("Badge {i:04}"),
                    ..Default::default()
                }
                .parse()
                .expect("valid");
                insignia::badges::store::create(
                    conn,
                    &insignia::audit::Actor::system(),
                    &valid,
                    None,
                )
                .expect("created");
            }
            Ok::<_, diesel::result::Error>(())
        })
        .expect("bulk");
    }
    let visitor = app.new_visitor();
    let first = visitor
        .api(Method::GET, "/members/v3/badges", None, None)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["badges"].as_array().map(Vec::len), Some(100));
    assert_eq!(
        first.body["metadata"],
        json!({"count": 100, "offset": 0, "total": 1001})
    );
    assert_eq!(first.body["badges"][0]["title"], "Badge 0000");
    let page = visitor
        .api(
            Method::GET,
            "/members/v3/badges?paging.limit=3&paging.offset=10",
            Some(&key),
            None,
        )
        .await;
    let titles: Vec<String> = ids(&page.body["badges"], "title");
    assert_eq!(titles, strings(&["Badge 0010", "Badge 0011", "Badge 0012"]));
    assert_eq!(page.body["metadata"]["offset"], 10);
    let capped = visitor
        .api(
            Method::GET,
            "/members/v3/badges?paging.limit=5000",
            None,
            None,
        )
        .await;
    assert_eq!(capped.body["metadata"]["count"], 1000);
    for bad in ["paging.limit=-1", "paging.offset=-5", "paging.limit=ten"] {
        let reply = visitor
            .api(
                Method::GET,
                &format!("/members/v3/badges?{bad}"),
                None,
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.violated_fields().len(), 1, "{bad}");
    }
    // Display order, not creation order, after a reorder.
    let last = app.badges().last().expect("badge").id.clone();
    app.api(
        Method::PATCH,
        "/members/v3/badges/order",
        Some(&key),
        Some(json!({"badgeIds": [last]})),
    )
    .await;
    let reordered = visitor
        .api(Method::GET, "/members/v3/badges?paging.limit=2", None, None)
        .await;
    assert_eq!(
        ids(&reordered.body["badges"], "title"),
        strings(&["Badge 1000", "Badge 0000"])
    );
}

#[tokio::test]
async fn query_filters_sorts_and_pages() {
    let (app, key) = app_with_key().await;
    for title in ["Gold", "Silver", "Golden Hour", "Bronze"] {
        create_ok(&app, &key, title).await;
    }
    let query = |body: Value| {
        app.new_visitor()
            .api_owned(Method::POST, "/members/v3/badges/query", body)
    };
    let reply = query(json!({"filter": {"title": {"$startsWith": "gold"}},
        "sort": [{"fieldName": "title", "order": "DESC"}], "paging": {"limit": 10}}))
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        ids(&reply.body["badges"], "title"),
        strings(&["Golden Hour", "Gold"])
    );
    assert_eq!(reply.body["metadata"]["total"], 2);
    let wrapped = query(
        json!({"query": {"filter": {"$or": [{"slug": "bronze"}, {"title": {"$in": ["Silver"]}}]},
        "paging": {"limit": 1, "offset": 1}}}),
    )
    .await;
    assert_eq!(ids(&wrapped.body["badges"], "title"), strings(&["Bronze"]));
    assert_eq!(
        wrapped.body["metadata"],
        json!({"count": 1, "offset": 1, "total": 2})
    );
    let all = query(json!({})).await;
    assert_eq!(
        ids(&all.body["badges"], "title"),
        strings(&["Gold", "Silver", "Golden Hour", "Bronze"]),
        "display order by default"
    );
    for bad in [
        json!({"filter": {"description": "x"}}),
        json!({"filter": {"title": {"$regex": "G.*"}}}),
        json!({"sort": [{"fieldName": "icon"}]}),
        json!({"paging": {"limit": -1}}),
        json!({"paging": {"offset": "two"}}),
    ] {
        let reply = query(bad.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn delete_removes_the_badge_its_assignments_and_counts() {
    let (app, key) = app_with_key().await;
    let gold = create_ok(&app, &key, "Gold").await;
    let silver = create_ok(&app, &key, "Silver").await;
    let members = app.insert_members(3, "Del");
    for badge in [&gold, &silver] {
        let reply = app
            .api(
                Method::POST,
                &format!("/members/v3/badges/{badge}/members"),
                Some(&key),
                Some(json!({"id": badge, "memberIds": members})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let reply = app
        .api(
            Method::DELETE,
            &format!("/members/v3/badges/{gold}?id={gold}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({}));
    assert_eq!(app.badge_titles(), strings(&["Silver"]));
    assert_eq!(app.assignments().len(), 3);
    assert_eq!(app.member(&members[0]).expect("member").badge_count, 1);
    app.assert_counts_exact();
    let again = app
        .api(
            Method::DELETE,
            &format!("/members/v3/badges/{gold}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.code(), "BADGE_NOT_FOUND");
}

#[tokio::test]
async fn assign_is_all_or_nothing_and_answers_every_holder() {
    let (app, key) = app_with_key().await;
    let gold = create_ok(&app, &key, "Gold").await;
    let members = app.insert_members(3, "Asg");
    let path = format!("/members/v3/badges/{gold}/members");
    let first = app
        .api(
            Method::POST,
            &path,
            Some(&key),
            Some(json!({"id": gold, "memberIds": [members[0]]})),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    // Already holding, duplicates: counted once, all reported as holders.
    let reply = app
        .api(
            Method::POST,
            &path,
            Some(&key),
            Some(
                json!({"id": gold, "memberIds": [members[0], members[1], members[1], members[2]]}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["memberIds"],
        json!([members[0], members[1], members[2]])
    );
    assert_eq!(app.badges()[0].member_count, 3);
    app.assert_counts_exact();

    let silver = create_ok(&app, &key, "Silver").await;
    let ghost = uuid::Uuid::new_v4().to_string();
    let refused = app
        .api(
            Method::POST,
            &format!("/members/v3/badges/{silver}/members"),
            Some(&key),
            Some(json!({"memberIds": [members[0], ghost]})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.code(), "MEMBER_NOT_FOUND");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&ghost),
        "names the unknown id"
    );
    let too_many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    for body in [
        json!({"memberIds": []}),
        json!({}),
        json!({"memberIds": too_many}),
        json!({"memberIds": ["not-a-uuid"]}),
    ] {
        let reply = app
            .api(
                Method::POST,
                &format!("/members/v3/badges/{silver}/members"),
                Some(&key),
                Some(body),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.violated_fields(), strings(&["memberIds"]));
    }
    let unknown_badge = app
        .api(
            Method::POST,
            &format!("/members/v3/badges/{ghost}/members"),
            Some(&key),
            Some(json!({"memberIds": [members[0]]})),
        )
        .await;
    assert_eq!(unknown_badge.code(), "BADGE_NOT_FOUND");
    assert_eq!(app.assignments().len(), 3, "nothing but Gold's three");
}

#[tokio::test]
async fn unassign_takes_ids_from_the_query_or_the_body() {
    let (app, key) = app_with_key().await;
    let gold = create_ok(&app, &key, "Gold").await;
    let m = app.insert_members(4, "Un");
    let path = format!("/members/v3/badges/{gold}/members");
    app.api(
        Method::POST,
        &path,
        Some(&key),
        Some(json!({"memberIds": m})),
    )
    .await;
    let by_query = app
        .api(
            Method::DELETE,
            &format!("{path}?id={gold}&memberIds={}&memberIds={}", m[0], m[1]),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(by_query.status, StatusCode::OK);
    assert_eq!(by_query.body, json!({}));
    let by_body = app
        .api(
            Method::DELETE,
            &path,
            Some(&key),
            Some(json!({"memberIds": [m[2]]})),
        )
        .await;
    assert_eq!(by_body.status, StatusCode::OK);
    let left: Vec<String> = app.assignments().into_iter().map(|(_, m)| m).collect();
    assert_eq!(left, vec![m[3].clone()]);
    app.assert_counts_exact();
    let empty = app.api(Method::DELETE, &path, Some(&key), None).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.assignments().len(), 1);
}

#[tokio::test]
async fn holders_are_listed_oldest_first_with_paging() {
    let (app, key) = app_with_key().await;
    let gold = create_ok(&app, &key, "Gold").await;
    let m = app.insert_members(5, "Hold");
    let path = format!("/members/v3/badges/{gold}/members");
    // One call per member, so each assignment has its own (later) time.
    for id in [&m[3], &m[1], &m[4], &m[0], &m[2]] {
        app.api(
            Method::POST,
            &path,
            Some(&key),
            Some(json!({"memberIds": [id]})),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let all = app.api(Method::GET, &path, None, None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["memberIds"], json!([m[3], m[1], m[4], m[0], m[2]]));
    let page = app
        .api(
            Method::GET,
            &format!("{path}?paging.limit=2&paging.offset=1"),
            None,
            None,
        )
        .await;
    assert_eq!(page.body["memberIds"], json!([m[1], m[4]]));
    assert_eq!(
        page.body["metadata"],
        json!({"count": 2, "offset": 1, "total": 5})
    );
    let unknown = app
        .api(
            Method::GET,
            &format!("/members/v3/badges/{}/members", uuid::Uuid::new_v4()),
            None,
            None,
        )
        .await;
    assert_eq!(unknown.code(), "BADGE_NOT_FOUND");
    let bad = app
        .api(Method::GET, &format!("{path}?paging.offset=-1"), None, None)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn badges_per_member_and_counts_follow_display_order() {
    let (app, key) = app_with_key().await;
    let gold = create_ok(&app, &key, "Gold").await;
    let silver = create_ok(&app, &key, "Silver").await;
    let bronze = create_ok(&app, &key, "Bronze").await;
    let m = app.insert_members(2, "Per");
    for (badge, members) in [(&bronze, vec![&m[0]]), (&gold, vec![&m[0], &m[1]])] {
        app.api(
            Method::POST,
            &format!("/members/v3/badges/{badge}/members"),
            Some(&key),
            Some(json!({"memberIds": members})),
        )
        .await;
    }
    let nobody = uuid::Uuid::new_v4().to_string();
    let reply = app
        .new_visitor()
        .api(
            Method::POST,
            "/members/v3/badges/members",
            None,
            Some(json!({"memberIds": [m[1], m[0], nobody, m[0]]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({"memberBadgeIds": [
            {"memberId": m[1], "badgeIds": [gold]},
            {"memberId": m[0], "badgeIds": [gold, bronze]},
            {"memberId": nobody, "badgeIds": []},
        ]})
    );
    let empty = app
        .api(
            Method::POST,
            "/members/v3/badges/members",
            None,
            Some(json!({"memberIds": []})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let counts = app
        .api(Method::GET, "/members/v3/badges/members/count", None, None)
        .await;
    assert_eq!(
        counts.body,
        json!({"badgeMemberCounts": [
            {"badgeId": gold, "memberCount": 2},
            {"badgeId": silver, "memberCount": 0},
            {"badgeId": bronze, "memberCount": 1},
        ]})
    );
}

#[tokio::test]
async fn display_order_puts_listed_badges_first() {
    let (app, key) = app_with_key().await;
    let mut all = Vec::new();
    for title in ["A", "B", "C", "D"] {
        all.push(create_ok(&app, &key, title).await);
    }
    let reply = app
        .api(
            Method::PATCH,
            "/members/v3/badges/order",
            Some(&key),
            Some(json!({"badgeIds": [all[2], all[0]]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        ids(&reply.body["badges"], "title"),
        strings(&["C", "A", "B", "D"])
    );
    assert_eq!(app.badge_titles(), strings(&["C", "A", "B", "D"]));
    let unknown = app
        .api(
            Method::PATCH,
            "/members/v3/badges/order",
            Some(&key),
            Some(json!({"badgeIds": [all[1], uuid::Uuid::new_v4().to_string()]})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let duplicate = app
        .api(
            Method::PATCH,
            "/members/v3/badges/order",
            Some(&key),
            Some(json!({"badgeIds": [all[1], all[1]]})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.badge_titles(),
        strings(&["C", "A", "B", "D"]),
        "unchanged"
    );
}

/// Every restricted operation, as a request with a body that would succeed.
fn restricted_calls(badge: &str, member: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/members/v3/badges".into(),
            Some(json!({"badge": {"title": "New"}})),
        ),
        (
            Method::PATCH,
            format!("/members/v3/badges/{badge}"),
            Some(json!({"badge": {"title": "Renamed"}})),
        ),
        (
            Method::POST,
            format!("/members/v3/badges/{badge}/members"),
            Some(json!({"memberIds": [member]})),
        ),
        (
            Method::DELETE,
            format!("/members/v3/badges/{badge}/members?memberIds={member}"),
            None,
        ),
        (
            Method::PATCH,
            "/members/v3/badges/order".into(),
            Some(json!({"badgeIds": [badge]})),
        ),
        (Method::DELETE, format!("/members/v3/badges/{badge}"), None),
    ]
}

#[tokio::test]
async fn visitors_and_bad_keys_change_nothing() {
    let (app, key) = app_with_key().await;
    let badge = create_ok(&app, &key, "Gold").await;
    create_ok(&app, &key, "Silver").await;
    let member = app.insert_members(1, "Perm").remove(0);
    app.api(
        Method::POST,
        &format!("/members/v3/badges/{badge}/members"),
        Some(&key),
        Some(json!({"memberIds": [member]})),
    )
    .await;
    // A revoked key: revoke a second one in the dashboard.
    let revoked = app.create_api_key("old").await;
    let res = app.revoke_api_key("old").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let before = (app.badges(), app.assignments());
    let visitor = app.new_visitor();
    for (method, path, body) in restricted_calls(&badge, &member) {
        let reply = visitor.api(method.clone(), &path, None, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "visitor {method} {path}"
        );
        assert_eq!(reply.code(), "PERMISSION_DENIED");
        for bad in ["wrong-key", revoked.as_str()] {
            let reply = visitor
                .api(method.clone(), &path, Some(bad), body.clone())
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{bad} {method} {path}"
            );
            assert_eq!(reply.code(), "UNAUTHENTICATED");
        }
    }
    // A bad key is refused on reads too: never a fallback to visitor.
    let read = visitor
        .api(Method::GET, "/members/v3/badges", Some(&revoked), None)
        .await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);
    let bearer = visitor
        .api(
            Method::GET,
            "/members/v3/badges",
            Some(&format!("Bearer {key}")),
            None,
        )
        .await;
    assert_eq!(bearer.status, StatusCode::OK, "Bearer form accepted");
    // An empty header (the Wix client's "no credentials") is a visitor, not a bad key.
    let empty = visitor
        .api(Method::GET, "/members/v3/badges", Some(""), None)
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    let empty_write = visitor
        .api(
            Method::DELETE,
            &format!("/members/v3/badges/{badge}"),
            Some(""),
            None,
        )
        .await;
    assert_eq!(empty_write.status, StatusCode::FORBIDDEN);
    assert_eq!((app.badges(), app.assignments()), before);
}

#[tokio::test]
async fn dashboard_sessions_change_only_elevated_and_with_the_csrf_header() {
    let (app, key) = app_with_key().await;
    let badge = create_ok(&app, &key, "Gold").await;
    let member = app.insert_members(1, "Sess").remove(0);
    let token = app.page("/dashboard/badges").await.csrf_token();
    let before = (app.badges(), app.assignments());
    // Elevated, but no X-CSRF-Token: a cross-site request could do that much.
    for (method, path, body) in restricted_calls(&badge, &member) {
        let reply = app.api(method.clone(), &path, None, body).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "no header {method} {path}"
        );
    }
    assert_eq!((app.badges(), app.assignments()), before);
    // With the header it works.
    let res = app
        .client
        .post(app.url("/members/v3/badges"))
        .header("X-CSRF-Token", &token)
        .json(&json!({"badge": {"title": "From the dashboard"}}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.badges().len(), 2);
    // Not elevated: refused even with the header.
    app.end_elevation().await;
    let token = app.page("/dashboard/badges").await.csrf_token();
    let res = app
        .client
        .post(app.url("/members/v3/badges"))
        .header("X-CSRF-Token", &token)
        .json(&json!({"badge": {"title": "Not now"}}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.badges().len(), 2);
}

/// Creates a badge with `key`, from the loopback address `from` (Linux routes all of
/// 127.0.0.0/8 to the server on 127.0.0.1), and answers the status and `Retry-After`.
async fn create_from(
    app: &TestApp,
    from: [u8; 4],
    key: &str,
    title: &str,
) -> (StatusCode, Option<u64>) {
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .expect("client");
    let res = client
        .post(app.url("/members/v3/badges"))
        .header("Authorization", key)
        .json(&json!({"badge": {"title": title}}))
        .send()
        .await
        .expect("request");
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (res.status(), retry)
}

#[tokio::test]
async fn writes_are_rate_limited_per_key_and_per_address() {
    let app = spawn_app_with(|s| s.api_writes_per_minute = 3).await;
    app.setup_admin().await;
    let key = app.create_api_key("burst").await;
    let other = app.create_api_key("another program").await;
    for i in 0..3 {
        let (status, _) = create_from(&app, [127, 0, 0, 2], &key, &format!("Badge {i}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    // The key's budget is spent, from any address.
    let (status, retry) = create_from(&app, [127, 0, 0, 3], &key, "Same key elsewhere").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry = retry.expect("Retry-After header");
    assert!((1..=60).contains(&retry), "retry after {retry} s");
    // The address's budget is spent, whatever the key.
    let (status, _) = create_from(&app, [127, 0, 0, 2], &other, "Same address").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Another key from another address is not held back by either.
    let (status, _) = create_from(&app, [127, 0, 0, 4], &other, "Elsewhere").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.badge_titles(),
        strings(&["Badge 0", "Badge 1", "Badge 2", "Elsewhere"])
    );
    let reply = create(&app, &key, json!({"title": "Error shape"})).await;
    assert_eq!(reply.code(), "RATE_LIMITED");
    // Reads are not limited.
    let read = app
        .api(Method::GET, "/members/v3/badges", Some(&key), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let reply = app
        .api(Method::GET, "/members/v3/nothing-here", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), "NOT_FOUND");
    let reply = app.api(Method::PUT, "/members/v3/badges", None, None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn other_origins_may_call_the_api_but_not_with_the_dashboard_session() {
    let app = spawn_app().await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/members/v3/badges"))
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("request");
    assert_eq!(preflight.status(), StatusCode::OK);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    assert!(
        !preflight
            .headers()
            .contains_key("access-control-allow-credentials")
    );
    let csrf = app
        .client
        .request(Method::OPTIONS, app.url("/members/v3/badges"))
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-csrf-token")
        .send()
        .await
        .expect("request");
    assert!(
        !csrf.status().is_success(),
        "X-CSRF-Token is not allowed from other origins"
    );
    let read = app
        .client
        .get(app.url("/members/v3/badges"))
        .header("Origin", "https://shop.example")
        .send()
        .await
        .expect("request");
    assert_eq!(read.status(), StatusCode::OK);
    assert!(read.headers().contains_key("access-control-allow-origin"));
    // The dashboard is not opened to other origins.
    let page = app
        .client
        .get(app.url("/dashboard/login"))
        .header("Origin", "https://shop.example")
        .send()
        .await
        .expect("request");
    assert!(!page.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_change_against_the_stored_access_flags_conflicts() {
    let (app, key) = app_with_key().await;
    let made = create(
        &app,
        &key,
        json!({"title": "Gate", "permissionsEnabled": true}),
    )
    .await;
    let id = made.body["badge"]["id"].as_str().expect("id").to_string();
    let path = format!("/members/v3/badges/{id}");
    let patch = |badge: Value| {
        app.api(
            Method::PATCH,
            &path,
            Some(&key),
            Some(json!({ "badge": badge })),
        )
    };
    // A fine request on its own, refused by what the badge already is.
    let conflict = patch(json!({"selfAssignable": true})).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.body);
    assert_eq!(conflict.code(), "CONFLICT");
    // Asking for both at once is a broken rule of the request itself.
    let both = patch(json!({"permissionsEnabled": true, "selfAssignable": true})).await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(both.violated_fields(), strings(&["badge.selfAssignable"]));
    assert!(app.badges()[0].permissions_enabled && !app.badges()[0].self_assignable);
    // Changing both together is how to swap them.
    let swapped = patch(json!({"permissionsEnabled": false, "selfAssignable": true})).await;
    assert_eq!(swapped.status, StatusCode::OK, "{}", swapped.body);
    assert_eq!(swapped.body["badge"]["selfAssignable"], true);
}
