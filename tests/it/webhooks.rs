//! Events and webhooks, received by code no one here wrote: `compat/webhook-receiver.mjs` runs
//! the published `@wix/sdk` (`AppStrategy` + `client.webhooks.process`) for the Wix format and
//! the official `standardwebhooks` package for the other.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    TestApp, fresh_database, postgres_server, serve_binary, serve_binary_logged, spawn_app_on,
    spawn_app_with, to_page,
};

/// How the sending server of the kill test runs: internal addresses allowed (the receiver is
/// on loopback), quick retries.
const SENDER_FLAGS: &[&str] = &[
    "--webhooks-allow-private",
    "--webhooks-retry-unit-ms",
    "200",
    "--webhooks-timeout-ms",
    "1000",
];

/// The receiver, a Node process on a free port.
struct Receiver {
    url: String,
    client: reqwest::Client,
    _process: tokio::process::Child,
}

impl Receiver {
    async fn start() -> Receiver {
        crate::wix_client::install_client();
        let mut process = tokio::process::Command::new("node")
            .arg("webhook-receiver.mjs")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/compat"))
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node must be installed (Node.js 20+)");
        let stdout = process.stdout.take().expect("stdout");
        let mut line = String::new();
        tokio::io::BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .expect("the receiver prints its port");
        let port = serde_json::from_str::<Value>(&line).expect("JSON")["port"].clone();
        Receiver {
            url: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            _process: process,
        }
    }

    async fn configure(&self, config: Value) {
        let res = self
            .client
            .post(format!("{}/configure", self.url))
            .json(&config)
            .send()
            .await
            .expect("configure");
        assert_eq!(res.status(), StatusCode::OK);
    }

    /// Adds a Standard Webhooks endpoint for this receiver through the dashboard, and tells
    /// the receiver the secret the dashboard shows.
    async fn add_standard_endpoint(&self, app: &TestApp) {
        let created = add_endpoint(app, &format!("{}/webhook", self.url), "standard").await;
        let secret = created.attr("#secret", "value").expect("secret");
        self.configure(json!({"format": "standard", "secret": secret}))
            .await;
    }

    async fn received(&self) -> Value {
        self.client
            .get(format!("{}/received", self.url))
            .send()
            .await
            .expect("received")
            .json()
            .await
            .expect("JSON")
    }

    /// What the handlers got, once at least `n` deliveries were handled (or 30 s passed).
    async fn handled(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.received().await["handled"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if got.len() >= n || started.elapsed() > Duration::from_secs(30) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Adds an endpoint through the dashboard; returns the page the answer shows.
async fn add_endpoint(app: &TestApp, url: &str, format: &str) -> crate::helpers::Page {
    let mut fields = vec![("url", url), ("format", format), ("enabled", "on")];
    for kind in [
        "badge.created",
        "badge.updated",
        "badge.deleted",
        "badge.assigned",
        "badge.unassigned",
    ] {
        fields.push(("kinds", kind));
    }
    let res = app
        .submit("/dashboard/webhooks", "/dashboard/webhooks", &fields)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "the endpoint is created");
    to_page(res).await
}

/// The address of the endpoint page a dashboard answer is about (from its test button).
fn endpoint_path(page: &crate::helpers::Page) -> String {
    page.attr("form[action$='/test']", "action")
        .expect("the endpoint's test button")
        .trim_end_matches("/test")
        .to_string()
}

async fn app_with_key(
    configure: impl FnOnce(&mut insignia::config::Settings),
) -> (TestApp, String) {
    let app = spawn_app_with(|s| {
        s.webhooks.allow_private = true;
        s.webhooks.retry_unit = Duration::from_millis(100);
        configure(s);
    })
    .await;
    app.setup_admin().await;
    let key = app.create_api_key("Webhooks").await;
    (app, key)
}

async fn api_badge(app: &TestApp, key: &str, title: &str) -> String {
    let reply = app
        .api(
            Method::POST,
            "/members/v3/badges",
            Some(key),
            Some(json!({"badge": {"title": title}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["badge"]["id"].as_str().expect("id").to_string()
}

/// The `entityEventSequence` of each event a Wix receiver handled, in the order it got them.
fn sequence_numbers<'a>(handled: impl Iterator<Item = &'a Value>) -> Vec<i64> {
    handled
        .map(|h| {
            h["metadata"]["entityEventSequence"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("a sequence number")
        })
        .collect()
}

fn handled_by<'a>(handled: &'a [Value], handler: &str) -> Vec<&'a Value> {
    handled.iter().filter(|h| h["handler"] == handler).collect()
}

#[tokio::test]
async fn wix_receivers_built_with_the_published_client_get_each_event_once() {
    let receiver = Receiver::start().await;
    let (app, key) = app_with_key(|_| {}).await;
    let page = app.page("/dashboard/webhooks").await;
    let public_key = page.text_of("#public-key");
    assert!(
        public_key.starts_with("-----BEGIN PUBLIC KEY-----"),
        "{public_key}"
    );
    let instance_id = page.text_of("#instance-id");
    receiver
        .configure(json!({"format": "wix", "publicKey": public_key}))
        .await;
    let created = add_endpoint(&app, &format!("{}/webhook", receiver.url), "wix").await;
    assert!(
        !created.has("#secret"),
        "a Wix endpoint has no secret to show"
    );
    let members = app.insert_members(2, "Hook");

    // Through the dashboard: create; through the API: update, assign two, unassign one,
    // and delete; a refused change (a duplicate title) sends nothing.
    let badge = app.create_badge("Mentor").await;
    let other = api_badge(&app, &key, "Helper").await;
    let refused = app
        .api(
            Method::POST,
            "/members/v3/badges",
            Some(&key),
            Some(json!({"badge": {"title": "mentor"}})),
        )
        .await;
    assert_ne!(refused.status, StatusCode::OK);
    let path = format!("/members/v3/badges/{badge}");
    let updated = app
        .api(
            Method::PATCH,
            &path,
            Some(&key),
            Some(json!({"badge": {"id": badge, "title": "Senior mentor"}})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    let assigned = app
        .api(
            Method::POST,
            &format!("{path}/members"),
            Some(&key),
            Some(json!({"memberIds": members})),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK);
    let unassigned = app
        .api(
            Method::DELETE,
            &format!("{path}/members?memberIds={}", members[0]),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(unassigned.status, StatusCode::OK);
    let deleted = app.api(Method::DELETE, &path, Some(&key), None).await;
    assert_eq!(deleted.status, StatusCode::OK);

    receiver.handled(7).await;
    // Give a duplicate or stray delivery a moment to show up, then take everything.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let handled = receiver.handled(0).await;
    assert_eq!(
        receiver.received().await["rejected"],
        json!([]),
        "every delivery verified"
    );
    let created = handled_by(&handled, "onBadgeCreated");
    assert_eq!(created.len(), 2, "{handled:#?}");
    let created_ids: HashSet<&str> = created
        .iter()
        .filter_map(|h| h["entity"]["_id"].as_str())
        .collect();
    assert_eq!(created_ids, HashSet::from([badge.as_str(), other.as_str()]));
    let mentor = created
        .iter()
        .find(|h| h["entity"]["_id"] == badge.as_str())
        .expect("created");
    assert_eq!(mentor["entity"]["title"], "Mentor");
    assert_eq!(mentor["metadata"]["entityId"], badge.as_str());
    assert_eq!(mentor["metadata"]["instanceId"], instance_id.as_str());
    assert_eq!(mentor["metadata"]["identity"]["identityType"], "WIX_USER");

    let updated = handled_by(&handled, "onBadgeUpdated");
    assert_eq!(updated.len(), 1, "{handled:#?}");
    assert_eq!(updated[0]["entity"]["title"], "Senior mentor");
    assert_eq!(updated[0]["entity"]["_id"], badge.as_str());
    assert_eq!(updated[0]["metadata"]["identity"]["identityType"], "APP");

    let given = handled_by(&handled, "onBadgeAssigned");
    let given_to: HashSet<&str> = given
        .iter()
        .filter_map(|h| h["data"]["memberId"].as_str())
        .collect();
    assert_eq!(given.len(), 2, "one event per member: {handled:#?}");
    assert_eq!(given_to, members.iter().map(String::as_str).collect());
    assert!(
        given
            .iter()
            .all(|h| h["metadata"]["entityId"] == badge.as_str())
    );

    let taken = handled_by(&handled, "onBadgeUnassigned");
    assert_eq!(taken.len(), 1, "{handled:#?}");
    assert_eq!(taken[0]["data"]["memberId"], members[0].as_str());

    let gone = handled_by(&handled, "onBadgeDeleted");
    assert_eq!(gone.len(), 1, "{handled:#?}");
    assert_eq!(gone[0]["metadata"]["entityId"], badge.as_str());
    assert_eq!(
        handled.len(),
        7,
        "nothing else, nothing twice: {handled:#?}"
    );

    // One badge's events arrive in the order they happened, with growing sequence numbers.
    let sequence = sequence_numbers(
        handled
            .iter()
            .filter(|h| h["metadata"]["entityId"] == badge.as_str()),
    );
    assert_eq!(sequence.len(), 6);
    assert!(sequence.windows(2).all(|w| w[0] < w[1]), "{sequence:?}");
}

#[tokio::test]
async fn standard_webhooks_deliveries_verify_with_the_official_library() {
    let receiver = Receiver::start().await;
    let (app, key) = app_with_key(|_| {}).await;
    let created = add_endpoint(&app, &format!("{}/webhook", receiver.url), "standard").await;
    let secret = created
        .attr("#secret", "value")
        .expect("the secret is shown once");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let endpoint_page = endpoint_path(&created);
    receiver
        .configure(json!({"format": "standard", "secret": secret}))
        .await;

    let badge = api_badge(&app, &key, "Reviewer").await;
    let members = app.insert_members(3, "Std");
    let path = format!("/members/v3/badges/{badge}/members");
    let reply = app
        .api(
            Method::POST,
            &path,
            Some(&key),
            Some(json!({"memberIds": members})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let handled = receiver.handled(4).await;
    assert_eq!(receiver.received().await["rejected"], json!([]));
    assert_eq!(handled.len(), 4, "{handled:#?}");
    assert_eq!(handled[0]["payload"]["type"], "badge.created");
    assert_eq!(handled[0]["payload"]["data"]["id"], badge.as_str());
    assert_eq!(handled[0]["payload"]["data"]["title"], "Reviewer");
    let given: HashSet<&str> = handled[1..]
        .iter()
        .inspect(|h| {
            assert_eq!(h["payload"]["type"], "badge.assigned");
            assert_eq!(h["payload"]["data"]["badgeId"], badge.as_str());
        })
        .filter_map(|h| h["payload"]["data"]["memberId"].as_str())
        .collect();
    assert_eq!(given, members.iter().map(String::as_str).collect());
    let ids: HashSet<&str> = handled.iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(ids.len(), 4, "every event has its own id");

    // A delivery whose body was changed on the way is refused by the library.
    let genuine = &handled[0];
    let tampered = genuine["body"]
        .as_str()
        .expect("body")
        .replace("Reviewer", "Reviewer!");
    let mut request = receiver
        .client
        .post(format!("{}/webhook", receiver.url))
        .body(tampered);
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        request = request.header(name, genuine["headers"][name].as_str().expect("header"));
    }
    assert_eq!(
        request.send().await.expect("sent").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        receiver.received().await["rejected"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // The secret is shown once: not on the endpoint's page, the list, or the audit log.
    for page in [
        endpoint_page.as_str(),
        "/dashboard/webhooks",
        "/dashboard/audit",
    ] {
        let text = app.get(page).await.text().await.expect("page");
        assert!(!text.contains(&secret), "{page} shows the secret");
    }
    assert!(app.audit_actions().contains(&"webhook.create".to_string()));

    // A new secret: deliveries carry a signature by each for a day; the receiver that still
    // has the old one keeps verifying them.
    let rotated = app
        .submit(&endpoint_page, &format!("{endpoint_page}/rotate"), &[])
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let new_secret = to_page(rotated)
        .await
        .attr("#secret", "value")
        .expect("new secret");
    assert_ne!(new_secret, secret);
    api_badge(&app, &key, "Rotated").await;
    let handled = receiver.handled(5).await;
    assert_eq!(handled.len(), 5);
    let signature = handled[4]["headers"]["webhook-signature"]
        .as_str()
        .unwrap_or("");
    assert_eq!(signature.split(' ').count(), 2, "{signature}");
    assert_eq!(
        receiver.received().await["rejected"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // "Send test event" sends one, signed like the rest.
    let queued = app
        .submit(&endpoint_page, &format!("{endpoint_page}/test"), &[])
        .await;
    assert!(queued.status().is_redirection());
    let handled = receiver.handled(6).await;
    assert_eq!(handled.len(), 6);
    assert_eq!(handled[5]["payload"]["type"], "webhook.test");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_until_it_answers_and_the_log_shows_each_attempt() {
    let receiver = Receiver::start().await;
    let (app, key) = app_with_key(|_| {}).await;
    let created = add_endpoint(&app, &format!("{}/webhook", receiver.url), "standard").await;
    let secret = created.attr("#secret", "value").expect("secret");
    let endpoint_page = endpoint_path(&created);
    receiver
        .configure(json!({"format": "standard", "secret": secret, "failFirst": 2}))
        .await;
    let badge = api_badge(&app, &key, "Persistent").await;
    let handled = receiver.handled(1).await;
    assert_eq!(handled.len(), 1, "delivered in the end");
    assert_eq!(handled[0]["payload"]["data"]["id"], badge.as_str());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = receiver.received().await;
    assert_eq!(
        received["requests"], 3,
        "two failures, one success: {received}"
    );
    assert_eq!(
        received["handled"].as_array().map(Vec::len),
        Some(1),
        "delivered once"
    );

    let log = app.page(&endpoint_page).await;
    let answers: Vec<String> = log
        .select("table.deliveries tbody tr td:nth-child(3)")
        .iter()
        .map(|td| td.text().collect::<String>())
        .collect();
    assert_eq!(
        answers,
        ["HTTP 200", "HTTP 500", "HTTP 500"],
        "newest first"
    );
    assert!(
        log.text_of("table.deliveries")
            .contains("failing on purpose")
    );
    // The log names the badge by its title, linked to its page (not by its id).
    assert_eq!(
        log.text_of(&format!(
            "table.deliveries a[href='/dashboard/badges/{badge}']"
        )),
        "Persistent"
    );
    assert!(!log.text_of("table.deliveries").contains(&badge));

    // "Send again" on the delivered event: it arrives a second time, with the same id.
    let again = app
        .submit(
            &endpoint_page,
            &format!("{endpoint_page}/redeliver"),
            &[(
                "delivery",
                &log.attr("input[name=delivery]", "value")
                    .expect("a delivery"),
            )],
        )
        .await;
    assert!(again.status().is_redirection());
    let handled = receiver.handled(2).await;
    assert_eq!(handled.len(), 2);
    assert_eq!(handled[1]["id"], handled[0]["id"]);
    assert!(
        app.audit_actions()
            .contains(&"webhook.redeliver".to_string())
    );
}

#[tokio::test]
async fn internal_addresses_are_refused_unless_allowed() {
    let app = spawn_app_with(|s| s.webhooks.retry_unit = Duration::from_millis(100)).await;
    app.setup_admin().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
    ] {
        let res = app
            .submit(
                "/dashboard/webhooks",
                "/dashboard/webhooks",
                &[
                    ("url", url),
                    ("format", "standard"),
                    ("kinds", "badge.created"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let page = to_page(res).await;
        assert!(
            page.text_of("#url-error").contains("private network"),
            "{url}"
        );
        assert_eq!(
            page.attr("#url", "value").as_deref(),
            Some(url),
            "what was typed stays"
        );
    }
    for bad in [
        "ftp://example.com/x",
        "example.com/hook",
        "javascript:alert(1)",
    ] {
        let res = app
            .submit(
                "/dashboard/webhooks",
                "/dashboard/webhooks",
                &[
                    ("url", bad),
                    ("format", "standard"),
                    ("kinds", "badge.created"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let page = app.page("/dashboard/webhooks").await;
    assert!(page.has("p.empty"), "no endpoint was saved");

    // An endpoint saved while internal addresses were allowed (another server, started with
    // the flag) is still checked when this one sends.
    let receiver = Receiver::start().await;
    receiver
        .configure(
            json!({"format": "standard", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
        )
        .await;
    let input = insignia::webhooks::EndpointInput {
        url: format!("{}/webhook", receiver.url),
        format: insignia::webhooks::Format::Standard,
        kinds: vec![insignia::events::Kind::BadgeCreated],
        enabled: true,
    };
    insignia::webhooks::create(&mut app.db(), &insignia::audit::Actor::system(), &input)
        .expect("stored");
    app.create_badge("Never sent").await;
    let started = Instant::now();
    let endpoint = loop {
        let list = app.page("/dashboard/webhooks").await;
        let link = list.attr("table.webhooks a", "href").expect("the endpoint");
        let page = app.page(&link).await;
        if page.has("table.deliveries") || started.elapsed() > Duration::from_secs(20) {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        endpoint
            .text_of("table.deliveries")
            .contains("private network"),
        "{}",
        endpoint.text_of("main")
    );
    assert_eq!(
        receiver.received().await["requests"],
        0,
        "nothing reached it"
    );
}

#[tokio::test]
async fn events_waiting_when_the_server_is_killed_arrive_after_a_restart() {
    let receiver = Receiver::start().await;
    let scratch = fresh_database();
    // This process serves the dashboard and API but sends nothing (its worker only queues);
    // the real binary started below does the sending and is killed midway.
    let app = spawn_app_on(scratch, |s| {
        s.webhooks.allow_private = true;
        s.webhooks.concurrency = 0;
    })
    .await;
    app.setup_admin().await;
    let key = app.create_api_key("Kill").await;
    let created = add_endpoint(&app, &format!("{}/webhook", receiver.url), "standard").await;
    let secret = created.attr("#secret", "value").expect("secret");
    // Failing for now: every event stays waiting.
    receiver
        .configure(json!({"format": "standard", "secret": secret, "failFirst": 1_000_000}))
        .await;
    let mut sender = serve_binary(&app.database, SENDER_FLAGS).await;
    let mut badges = Vec::new();
    for n in 0..5 {
        badges.push(api_badge(&app, &key, &format!("Queued {n}")).await);
    }
    let started = Instant::now();
    while receiver.received().await["requests"].as_i64() < Some(2) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sender tried"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sender.kill().await.expect("kill -9");
    receiver
        .configure(json!({"format": "standard", "secret": secret}))
        .await;
    let _restarted = serve_binary(&app.database, SENDER_FLAGS).await;
    let handled = receiver.handled(5).await;
    let arrived: HashSet<&str> = handled
        .iter()
        .filter_map(|h| h["payload"]["data"]["id"].as_str())
        .collect();
    assert_eq!(
        arrived,
        badges.iter().map(String::as_str).collect(),
        "every event arrived after the restart"
    );
}

#[tokio::test]
async fn an_endpoint_failing_for_a_day_is_turned_off_and_its_page_says_why() {
    use diesel::prelude::*;
    use insignia::db::schema::webhook_endpoints;
    let receiver = Receiver::start().await;
    let (app, key) = app_with_key(|_| {}).await;
    let created = add_endpoint(&app, &format!("{}/webhook", receiver.url), "standard").await;
    let endpoint_page = endpoint_path(&created);
    receiver
        .configure(json!({"format": "standard", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "failFirst": 1_000}))
        .await;
    // As if its first failure since the last success was 25 hours ago.
    let day_ago = insignia::clock::now_millis() - 25 * 60 * 60 * 1000;
    diesel::update(webhook_endpoints::table)
        .set(webhook_endpoints::failing_since.eq(Some(day_ago)))
        .execute(&mut app.db())
        .expect("stored");
    api_badge(&app, &key, "Unlucky").await;
    let started = Instant::now();
    let page = loop {
        let page = app.page(&endpoint_page).await;
        if page.has("#endpoint-state[role=alert]") || started.elapsed() > Duration::from_secs(20) {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        page.text_of("#endpoint-state")
            .contains("no delivery succeeded for 24 hours"),
        "{}",
        page.text_of("main")
    );
    assert!(page.text_of(".page-head").contains("off"));
    // Off means off: nothing more is sent.
    let tried = receiver.received().await["requests"].clone();
    api_badge(&app, &key, "Unsent").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().await["requests"], tried);
}

#[tokio::test]
async fn events_are_written_with_their_change_and_only_when_it_commits() {
    use diesel::prelude::*;
    use insignia::db::schema::events;
    let (app, key) = app_with_key(|s| s.webhooks.concurrency = 0).await;
    let badge = api_badge(&app, &key, "Counted").await;
    let members = app.insert_members(300, "Ev");
    let count = |kind: &str| -> i64 {
        events::table
            .filter(events::kind.eq(kind))
            .filter(events::badge_id.eq(&badge))
            .count()
            .get_result(&mut app.db())
            .expect("count")
    };
    // All or nothing: one unknown id refuses the whole assignment, and no event is written.
    let mut with_unknown = members.clone();
    with_unknown.push(uuid::Uuid::new_v4().to_string());
    let path = format!("/members/v3/badges/{badge}/members");
    let refused = app
        .api(
            Method::POST,
            &path,
            Some(&key),
            Some(json!({"memberIds": with_unknown})),
        )
        .await;
    assert_ne!(refused.status, StatusCode::OK);
    assert_eq!(count("badge.assigned"), 0);
    // One event per member given the badge, none for those who already held it.
    let given = app
        .api(
            Method::POST,
            &path,
            Some(&key),
            Some(json!({"memberIds": members[..100]})),
        )
        .await;
    assert_eq!(given.status, StatusCode::OK);
    let again = app
        .api(
            Method::POST,
            &path,
            Some(&key),
            Some(json!({"memberIds": members[50..150]})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(count("badge.assigned"), 150);
    let member_ids: std::collections::BTreeSet<String> = events::table
        .filter(events::kind.eq("badge.assigned"))
        .select(events::member_id)
        .load::<Option<String>>(&mut app.db())
        .expect("events")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(member_ids, members[..150].iter().cloned().collect());
    // Deleting a member takes their badges: one "unassigned" event each.
    let gone = app
        .submit(
            &format!("/dashboard/members/{}", members[0]),
            &format!("/dashboard/members/{}/delete", members[0]),
            &[],
        )
        .await;
    assert!(gone.status().is_redirection(), "{}", gone.status());
    assert_eq!(count("badge.unassigned"), 1);
    assert_eq!(count("badge.created"), 1);
}

#[tokio::test]
async fn two_servers_on_one_database_deliver_each_event_once() {
    let receiver = Receiver::start().await;
    let (app, key) = app_with_key(|_| {}).await;
    receiver.add_standard_endpoint(&app).await;
    let members = app.insert_members(40, "Two");
    let _second = serve_binary(&app.database, SENDER_FLAGS).await;
    let mut badges = Vec::new();
    for n in 0..6 {
        badges.push(api_badge(&app, &key, &format!("Shared {n}")).await);
    }
    for badge in &badges {
        let path = format!("/members/v3/badges/{badge}/members");
        let reply = app
            .api(
                Method::POST,
                &path,
                Some(&key),
                Some(json!({"memberIds": members})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let expected = badges.len() * (1 + members.len());
    let handled = receiver.handled(expected).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let received = receiver.received().await;
    assert_eq!(received["rejected"], json!([]));
    let ids: HashSet<&str> = handled.iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(ids.len(), expected, "every event arrived");
    assert_eq!(
        received["handled"].as_array().map(Vec::len),
        Some(expected),
        "and none twice"
    );
}

/// Changes of different badges commit side by side on PostgreSQL, so an event with a smaller
/// key can commit after one with a larger key. A receiver built with the Wix client still gets
/// every event once, each badge's events in the order they happened with growing sequence
/// numbers: replaying them, it ends where the site ended.
#[tokio::test]
async fn concurrent_changes_on_two_servers_reach_a_receiver_once_each_in_each_badges_order() {
    let receiver = Receiver::start().await;
    let (app, key) = app_with_key(|s| s.api_writes_per_minute = 1_000_000).await;
    let public_key = app.page("/dashboard/webhooks").await.text_of("#public-key");
    receiver
        .configure(json!({"format": "wix", "publicKey": public_key}))
        .await;
    add_endpoint(&app, &format!("{}/webhook", receiver.url), "wix").await;
    let mut flags = SENDER_FLAGS.to_vec();
    flags.extend(["--api-writes-per-minute", "1000000"]);
    let (_second, address) = serve_binary_logged(&app.database, &flags, None).await;
    let mut badges = Vec::new();
    for n in 0..4 {
        badges.push(api_badge(&app, &key, &format!("Busy {n}")).await);
    }
    // Each client gives and takes every badge to a member of its own, so every request
    // changes something: one event each.
    let members = app.insert_members(8, "Busy");
    const ROUNDS: usize = 4;
    let mut clients = Vec::new();
    for (n, member) in members.iter().enumerate() {
        let server = if n % 2 == 0 {
            app.clone_client()
        } else {
            app.on(&address)
        };
        let (key, badges, member) = (key.clone(), badges.clone(), member.clone());
        clients.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                for i in 0..badges.len() {
                    let badge = &badges[(i + n + round) % badges.len()];
                    let path = format!("/members/v3/badges/{badge}/members");
                    for method in [Method::POST, Method::DELETE] {
                        let reply = server
                            .api(
                                method.clone(),
                                &path,
                                Some(&key),
                                Some(json!({"memberIds": [member]})),
                            )
                            .await;
                        assert_eq!(reply.status, StatusCode::OK, "{method}: {:?}", reply.body);
                    }
                }
            }
        }));
    }
    for client in clients {
        client.await.expect("client");
    }
    let changes = members.len() * ROUNDS * badges.len() * 2;
    let expected = badges.len() + changes;
    let handled = receiver.handled(expected).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let received = receiver.received().await;
    assert_eq!(received["rejected"], json!([]));
    let handled_now = received["handled"].as_array().expect("handled");
    assert_eq!(handled_now.len(), expected, "every event once");
    let ids: HashSet<&str> = handled
        .iter()
        .filter_map(|h| h["metadata"]["_id"].as_str())
        .collect();
    assert_eq!(ids.len(), expected, "no event twice");
    for badge in &badges {
        let events: Vec<&Value> = handled
            .iter()
            .filter(|h| h["metadata"]["entityId"] == badge.as_str())
            .collect();
        assert_eq!(events.len(), 1 + members.len() * ROUNDS * 2);
        let sequence = sequence_numbers(events.iter().copied());
        assert!(
            sequence.windows(2).all(|w| w[0] < w[1]),
            "{badge}: {sequence:?}"
        );
        // Each member's events of the badge alternate, given first, taken last.
        for member in &members {
            let mine: Vec<&str> = events
                .iter()
                .filter(|h| h["data"]["memberId"] == member.as_str())
                .map(|h| h["handler"].as_str().unwrap_or_default())
                .collect();
            let alternating: Vec<&str> = ["onBadgeAssigned", "onBadgeUnassigned"]
                .into_iter()
                .cycle()
                .take(ROUNDS * 2)
                .collect();
            assert_eq!(mine, alternating, "{badge}, {member}");
        }
    }
    app.assert_counts_exact();
}

/// The webhook queue waits for this site's transactions still running, never for another
/// database's: another application's transaction left open on the same PostgreSQL server does
/// not hold a site's webhooks back.
#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn another_databases_open_transaction_does_not_hold_webhooks_back() {
    use diesel::{Connection, RunQueryDsl};
    let server = postgres_server().expect("PostgreSQL only: set INSIGNIA_TEST_POSTGRES");
    let mut elsewhere = diesel::pg::PgConnection::establish(&server).expect("connect");
    diesel::sql_query("BEGIN")
        .execute(&mut elsewhere)
        .expect("begin");
    diesel::sql_query("SELECT pg_current_xact_id()")
        .execute(&mut elsewhere)
        .expect("a transaction id");
    let receiver = Receiver::start().await;
    let (app, key) = app_with_key(|_| {}).await;
    receiver.add_standard_endpoint(&app).await;
    let badge = api_badge(&app, &key, "Patient").await;
    let handled = receiver.handled(1).await;
    assert_eq!(handled.len(), 1, "the badge.created event arrived");
    assert_eq!(handled[0]["payload"]["data"]["id"], badge.as_str());
    diesel::sql_query("ROLLBACK")
        .execute(&mut elsewhere)
        .expect("rollback");
}

/// A receiver that takes connections and never answers them (a hung server), until told to
/// answer: from then on it reads each request and answers 200.
struct Hanging {
    url: String,
    /// Connections taken, hung or answered; each attempt opens one (Connection: close).
    connections: Arc<AtomicUsize>,
    answer: Arc<AtomicBool>,
    /// The `webhook-id` of each request answered.
    answered: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hanging {
    async fn start() -> Hanging {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let connections = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (count, on, ids) = (connections.clone(), answer.clone(), answered.clone());
        let task = tokio::spawn(async move {
            let mut hung = Vec::new();
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                if !on.load(Ordering::SeqCst) {
                    hung.push(socket);
                    continue;
                }
                let ids = ids.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 8192];
                    let head_end = loop {
                        let Ok(n) = socket.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        request.extend_from_slice(&buf[..n]);
                        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
                    let header = |name: &str| {
                        head.lines()
                            .find_map(|l| l.strip_prefix(name))
                            .map(|v| v.trim().to_string())
                    };
                    let length: usize = header("content-length:")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while request.len() < head_end + length {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                    ids.lock()
                        .expect("ids")
                        .push(header("webhook-id:").unwrap_or_default());
                });
            }
        });
        Hanging {
            url,
            connections,
            answer,
            answered,
            task,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Hanging {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_hanging_receiver_does_not_hold_up_a_healthy_one_and_gets_its_events_later() {
    use diesel::prelude::*;
    use insignia::db::schema::{webhook_attempts, webhook_endpoints};
    let receiver = Receiver::start().await;
    let hanging = Hanging::start().await;
    // This process serves the dashboard and API; the real binary does the sending, with a
    // request timeout of a few seconds, as a real one would be (10 s by default).
    let app = spawn_app_on(fresh_database(), |s| {
        s.webhooks.allow_private = true;
        s.webhooks.concurrency = 0;
    })
    .await;
    app.setup_admin().await;
    let key = app.create_api_key("Fair").await;
    let stuck = endpoint_path(&add_endpoint(&app, &hanging.url, "standard").await);
    let _sender = serve_binary(
        &app.database,
        &[
            "--webhooks-allow-private",
            "--webhooks-timeout-ms",
            "4000",
            "--webhooks-retry-unit-ms",
            "100",
        ],
    )
    .await;
    // 48 badges: 48 lanes for the hanging receiver, more than a server works at once.
    for n in 0..48 {
        api_badge(&app, &key, &format!("Stuck {n}")).await;
    }
    let started = Instant::now();
    while hanging.connections() < 8 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sender reached the hanging receiver"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A healthy endpoint added now gets its events at once, not after the hung requests.
    receiver.add_standard_endpoint(&app).await;
    let members = app.insert_members(3, "Fair");
    let changed = Instant::now();
    let badge = api_badge(&app, &key, "Prompt").await;
    let handled = receiver.handled(1).await;
    let first = changed.elapsed();
    assert!(
        first < Duration::from_secs(2),
        "the first event reached the healthy endpoint within 2 s: {first:?} ({} received)",
        handled.len()
    );
    assert_eq!(handled.len(), 1, "{handled:#?}");
    assert_eq!(handled[0]["payload"]["data"]["id"], badge.as_str());
    let mut delays = vec![first];
    for (n, member) in members.iter().enumerate() {
        let changed = Instant::now();
        let reply = app
            .api(
                Method::POST,
                &format!("/members/v3/badges/{badge}/members"),
                Some(&key),
                Some(json!({"memberIds": [member]})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let handled = receiver.handled(n + 2).await;
        delays.push(changed.elapsed());
        assert_eq!(handled.len(), n + 2, "{handled:#?}");
        assert_eq!(
            handled[n + 1]["payload"]["data"]["memberId"],
            member.as_str()
        );
    }
    println!("healthy endpoint's delays beside a hanging one: {delays:?}");
    assert!(
        delays.iter().all(|d| *d < Duration::from_secs(2)),
        "each event reached the healthy endpoint within 2 s: {delays:?}"
    );
    assert_eq!(receiver.received().await["rejected"], json!([]));

    // The hanging endpoint is backed off as a whole, and its page says so.
    let started = Instant::now();
    let page = loop {
        let page = app.page(&stuck).await;
        if page.has("#endpoint-state") || started.elapsed() > Duration::from_secs(20) {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        page.text_of("#endpoint-state").contains("did not answer"),
        "{}",
        page.text_of("main")
    );

    // Once it answers again, every event it missed arrives, each once, and the log shows
    // one row per request it got: none for the deliveries that waited.
    hanging.answer.store(true, Ordering::SeqCst);
    let expected = 48 + 1 + members.len();
    let started = Instant::now();
    while hanging.answered.lock().expect("ids").len() < expected {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the hanging endpoint got its events: {} of {expected}",
            hanging.answered.lock().expect("ids").len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<String> = hanging.answered.lock().expect("ids").clone();
    assert_eq!(ids.len(), expected, "none twice");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), expected);
    let page = app.page(&stuck).await;
    assert!(
        page.text_of(".page-head").contains("0 waiting"),
        "{}",
        page.text_of(".page-head")
    );
    assert!(!page.has("#endpoint-state"), "{}", page.text_of("main"));
    let endpoint: i64 = webhook_endpoints::table
        .filter(webhook_endpoints::url.eq(&hanging.url))
        .select(webhook_endpoints::key)
        .first(&mut app.db())
        .expect("endpoint");
    let logged: i64 = webhook_attempts::table
        .filter(webhook_attempts::endpoint_key.eq(endpoint))
        .count()
        .get_result(&mut app.db())
        .expect("count");
    assert_eq!(logged as usize, hanging.connections());
}

#[tokio::test]
async fn a_backed_off_endpoint_waits_until_an_admin_sends_it_a_test_event() {
    use diesel::prelude::*;
    use insignia::db::schema::webhook_endpoints;
    let receiver = Hanging::start().await;
    receiver.answer.store(true, Ordering::SeqCst);
    let (app, key) = app_with_key(|_| {}).await;
    let page = endpoint_path(&add_endpoint(&app, &receiver.url, "standard").await);
    // As if it had not answered three times in a row: backed off for another hour.
    let hour = insignia::clock::now_millis() + 60 * 60 * 1000;
    diesel::update(webhook_endpoints::table)
        .set((
            webhook_endpoints::paused_until.eq(hour),
            webhook_endpoints::pauses.eq(3),
        ))
        .execute(&mut app.db())
        .expect("stored");
    api_badge(&app, &key, "Held back").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        receiver.connections(),
        0,
        "nothing is sent while it is paused"
    );
    let shown = app.page(&page).await;
    assert!(
        shown.text_of("#endpoint-state").contains("did not answer"),
        "{}",
        shown.text_of("main")
    );
    assert!(shown.text_of(".page-head").contains("1 waiting"));
    let list = app.page("/dashboard/webhooks").await;
    assert!(list.text_of("table.webhooks").contains("Not answering"));

    // "Send test event" tries it at once; it answers, so what waited goes too.
    let queued = app.submit(&page, &format!("{page}/test"), &[]).await;
    assert!(queued.status().is_redirection());
    let started = Instant::now();
    while receiver.answered.lock().expect("ids").len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the test event and the waiting one arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let shown = app.page(&page).await;
    assert!(!shown.has("#endpoint-state"), "{}", shown.text_of("main"));
    assert!(shown.text_of(".page-head").contains("0 waiting"));
}

#[tokio::test]
async fn the_delivery_log_says_in_words_why_a_receiver_got_nothing() {
    let (app, key) = app_with_key(|s| s.webhooks.retry_unit = Duration::from_secs(60)).await;
    // Nothing listens on port 1.
    let created = add_endpoint(&app, "http://127.0.0.1:1/hook", "standard").await;
    let endpoint_page = endpoint_path(&created);
    api_badge(&app, &key, "Unheard").await;
    let mut log = app.page(&endpoint_page).await;
    for _ in 0..100 {
        if log.has("table.deliveries tbody tr") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        log = app.page(&endpoint_page).await;
    }
    let response = log.text_of("table.deliveries tbody tr td[data-label=Response]");
    assert!(
        response.contains("127.0.0.1 refused the connection: nothing listens on port 1"),
        "{response}"
    );
    assert!(!response.contains("error sending request"), "{response}");
}
