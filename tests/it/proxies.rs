//! Behind a reverse proxy every connection comes from the proxy: the client is the address the
//! proxy reports in `X-Forwarded-For`, believed only from proxies named in `--trusted-proxies`.

use reqwest::StatusCode;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app_with};

/// A sign-in through a proxy that reports the client as `forwarded` (None: no header).
async fn sign_in_as(visitor: &TestApp, forwarded: Option<&str>, password: &str) -> StatusCode {
    let with_header = |req: reqwest::RequestBuilder| match forwarded {
        Some(value) => req.header("X-Forwarded-For", value),
        None => req,
    };
    let page = crate::helpers::to_page(
        with_header(visitor.client.get(visitor.url("/dashboard/login")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = page.csrf_token();
    with_header(visitor.client.post(visitor.url("/dashboard/login")))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", password),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

async fn site_behind(trusted: &str) -> TestApp {
    let trusted = trusted.parse().unwrap();
    let app = spawn_app_with(|s| s.trusted_proxies = trusted).await;
    app.setup_admin().await;
    app
}

#[tokio::test]
async fn a_stranger_behind_the_proxy_cannot_lock_the_owner_out() {
    let app = site_behind("127.0.0.1/32").await;
    let stranger = app.new_visitor();
    for _ in 0..5 {
        let status = sign_in_as(&stranger, Some("203.0.113.66"), "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_as(&stranger, Some("203.0.113.66"), "wrong password").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is refused"
    );
    // What the stranger writes to the left of what the proxy appended changes nothing.
    assert_eq!(
        sign_in_as(
            &stranger,
            Some("198.51.100.7, 203.0.113.66"),
            ADMIN_PASSWORD
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
    );
    // The owner, through the same proxy from home, signs in.
    let owner = app.new_visitor();
    assert_eq!(
        sign_in_as(&owner, Some("198.51.100.7"), ADMIN_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn ipv6_clients_behind_the_proxy_count_per_64() {
    let app = site_behind("127.0.0.0/8").await;
    let guesser = app.new_visitor();
    for host in 1..=5 {
        let from = format!("2001:db8:aa:1::{host}");
        let status = sign_in_as(&guesser, Some(&from), "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_as(&guesser, Some("2001:db8:aa:1::99"), ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a fresh address in the same /64 is the same client"
    );
    assert_eq!(
        sign_in_as(&app.new_visitor(), Some("2001:db8:aa:2::1"), ADMIN_PASSWORD).await,
        StatusCode::SEE_OTHER,
        "another /64 is another client"
    );
}

#[tokio::test]
async fn forwarding_headers_from_untrusted_connections_change_nothing() {
    // No trusted proxies (the default): a guesser cannot dodge the count by inventing
    // addresses, nor lock out an address it names.
    let app = site_behind("").await;
    let guesser = app.new_visitor();
    for i in 0..5 {
        let status = sign_in_as(&guesser, Some(&format!("203.0.113.{i}")), "wrong").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_as(&guesser, Some("203.0.113.200"), ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let owner = app.visitor_from("127.0.0.2");
    assert_eq!(
        sign_in_as(&owner, Some("203.0.113.0"), ADMIN_PASSWORD).await,
        StatusCode::SEE_OTHER,
        "the named address was not locked out"
    );

    // A trusted proxy list that does not hold the connection's address: ignored as well.
    let app = site_behind("10.0.0.0/8").await;
    let guesser = app.new_visitor();
    for i in 0..5 {
        let status = sign_in_as(&guesser, Some(&format!("203.0.113.{i}")), "wrong").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_as(&guesser, Some("198.51.100.9"), ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn api_budgets_count_the_client_the_proxy_reports() {
    let trusted = "127.0.0.1".parse().unwrap();
    let app = spawn_app_with(|s| {
        s.trusted_proxies = trusted;
        s.api_writes_per_minute = 2;
    })
    .await;
    app.setup_admin().await;
    let first = app.create_api_key("first program").await;
    let second = app.create_api_key("second program").await;
    let create = |key: &str, from: &'static str, title: &'static str| {
        let (client, url, key) = (
            app.client.clone(),
            app.url("/members/v3/badges"),
            key.to_string(),
        );
        async move {
            client
                .post(url)
                .header("Authorization", key)
                .header("X-Forwarded-For", from)
                .json(&serde_json::json!({"badge": {"title": title}}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(create(&first, "198.51.100.1", "One").await, StatusCode::OK);
    assert_eq!(create(&first, "198.51.100.1", "Two").await, StatusCode::OK);
    // The address's budget is spent, whichever key it uses…
    let spent = create(&second, "198.51.100.1", "Three").await;
    assert_eq!(spent, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.badge_titles().len(),
        2,
        "the refused change made nothing"
    );
    // …while another client behind the same proxy has its own.
    assert_eq!(
        create(&second, "198.51.100.2", "Four").await,
        StatusCode::OK
    );
    assert_eq!(app.badge_titles().len(), 3);
}
