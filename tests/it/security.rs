//! CSRF, who may do what, escaping, uploaded SVGs and response headers.

use reqwest::StatusCode;

use crate::helpers::{BadgeFields, TestApp, location, spawn_app, spawn_app_with, to_page};

/// Url-encoded fields, or `None` for the multipart badge editor.
type Body = Option<Vec<(String, String)>>;

/// Every restricted route with a body it would accept.
fn restricted_routes(id: &str, version: &str, member: &str, page: &str) -> Vec<(String, Body)> {
    let pairs = |p: &[(&str, &str)]| {
        Some(
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    vec![
        ("/dashboard/badges/new".to_string(), None),
        (format!("/dashboard/badges/{id}/edit"), None),
        (format!("/dashboard/badges/{id}/delete"), pairs(&[])),
        (
            "/dashboard/badges/order".to_string(),
            pairs(&[("badge_id", id), ("order_version", version)]),
        ),
        (
            format!("/dashboard/badges/{id}/move"),
            pairs(&[("direction", "down"), ("order_version", version)]),
        ),
        (
            format!("/dashboard/badges/{id}/members"),
            pairs(&[("member_id", member)]),
        ),
        (
            format!("/dashboard/badges/{id}/members"),
            pairs(&[("bulk", "sneaky@example.com"), ("action", "assign")]),
        ),
        (
            format!("/dashboard/badges/{id}/members/remove"),
            pairs(&[("member_id", member)]),
        ),
        (
            format!("/dashboard/badges/{id}/members/remove-all"),
            pairs(&[]),
        ),
        (
            "/dashboard/undo".to_string(),
            pairs(&[("change", "0000"), ("back", "/dashboard/badges")]),
        ),
        (
            "/dashboard/settings".to_string(),
            pairs(&[("name", "Sneaky"), ("description", "")]),
        ),
        (
            "/dashboard/members/new".to_string(),
            pairs(&[("name", "Sneaky"), ("email", "sneaky2@example.com")]),
        ),
        (
            format!("/dashboard/members/{member}/badges"),
            pairs(&[("badge_id", id)]),
        ),
        (
            format!("/dashboard/members/{member}/badges/remove"),
            pairs(&[("badge_id", id)]),
        ),
        (format!("/dashboard/members/{member}/delete"), pairs(&[])),
        (
            "/dashboard/pages/new".to_string(),
            pairs(&[("title", "Sneaky"), ("access", "public"), ("body", "x")]),
        ),
        (
            format!("/dashboard/pages/{page}/edit"),
            pairs(&[("title", "Changed"), ("access", "public"), ("body", "x")]),
        ),
        (format!("/dashboard/pages/{page}/delete"), pairs(&[])),
        (
            format!("/dashboard/badges/{id}/permissions"),
            pairs(&[("permissions_enabled", "on")]),
        ),
        (
            format!("/dashboard/members/{member}/password-link"),
            pairs(&[]),
        ),
    ]
}

async fn post_restricted(
    app: &TestApp,
    path: &str,
    fields: &Body,
    token: &str,
) -> reqwest::Response {
    match fields {
        None => {
            app.post_badge(path, &BadgeFields::titled("Sneaky"), Some(token))
                .await
        }
        Some(fields) => {
            let mut all: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            all.push(("csrf_token", token));
            app.post_form(path, &all).await
        }
    }
}

/// Two badges and a member who holds the first, for restricted requests to aim at.
/// Returns (first badge id, order version, member id).
async fn two_badges(app: &TestApp) -> (String, String, String, String) {
    app.setup_admin().await;
    let first = app.create_badge("First").await;
    app.create_badge("Second").await;
    app.insert_members(1, "Sneaky");
    let member = app.create_member("Held", "held@example.com").await;
    let page = format!("/dashboard/badges/{first}");
    app.submit(&page, &format!("{page}/members"), &[("member_id", &member)])
        .await;
    let version = app
        .page("/dashboard/badges")
        .await
        .attr("#badge-list", "data-order-version")
        .expect("version");
    app.submit(
        "/dashboard/pages/new",
        "/dashboard/pages/new",
        &[("title", "Kept"), ("access", "members"), ("body", "x")],
    )
    .await;
    let content_page = insignia::pages::list(&mut app.db()).expect("pages")[0]
        .id
        .to_string();
    (first, version, member, content_page)
}

/// Everything a refused request must leave as it was.
fn snapshot(app: &TestApp) -> impl PartialEq + std::fmt::Debug {
    (
        insignia::pages::list(&mut app.db()).expect("pages"),
        app.badges(),
        app.audit_actions(),
        app.assignments(),
        app.member_count(),
    )
}

#[tokio::test]
async fn visitors_members_and_non_elevated_admins_are_refused_every_restricted_route() {
    let app = spawn_app().await;
    let (id, version, member, content_page) = two_badges(&app).await;

    // A visitor, and a signed-in member (members are not admins).
    let visitor = app.new_visitor();
    let member_browser = app.new_visitor();
    let res = member_browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", "member password 1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let before = snapshot(&app);
    for (who, client) in [("visitor", &visitor), ("member", &member_browser)] {
        let token = client.page("/").await.csrf_token();
        for (path, fields) in restricted_routes(&id, &version, &member, &content_page) {
            let res = post_restricted(client, &path, &fields, &token).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{who} {path}");
            assert!(
                location(&res).starts_with("/dashboard/login"),
                "{who} {path}"
            );
        }
    }
    for page in [
        "/dashboard/badges",
        "/dashboard/badges/new",
        "/dashboard/audit",
        "/dashboard/members",
        &format!("/dashboard/badges/{id}"),
    ] {
        assert!(
            location(&visitor.get(page).await).starts_with("/dashboard/login"),
            "visitor GET {page}"
        );
    }
    assert_eq!(snapshot(&app), before, "visitors changed nothing");

    app.end_elevation().await;
    let token = app.page("/dashboard/badges").await.csrf_token();
    for (path, fields) in restricted_routes(&id, &version, &member, &content_page) {
        let res = post_restricted(&app, &path, &fields, &token).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "non-elevated {path}");
        assert!(
            location(&res).starts_with("/dashboard/elevate?next="),
            "non-elevated {path}: {}",
            location(&res)
        );
    }
    assert_eq!(snapshot(&app), before, "non-elevated admin changed nothing");
}

#[tokio::test]
async fn an_htmx_request_that_needs_elevation_is_told_where_to_go() {
    let app = spawn_app().await;
    let (id, version, _member, _page) = two_badges(&app).await;
    app.end_elevation().await;
    let token = app.page("/dashboard/badges").await.csrf_token();
    let res = app
        .client
        .post(app.url("/dashboard/badges/order"))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .form(&[
            ("badge_id", id.as_str()),
            ("order_version", version.as_str()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        res.headers()["hx-redirect"],
        "/dashboard/elevate?next=%2Fdashboard%2Fbadges"
    );
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, version, member, content_page) = two_badges(&app).await;
    let before = snapshot(&app);
    for (path, fields) in restricted_routes(&id, &version, &member, &content_page) {
        for token in [None, Some("forged-token")] {
            let res = match (&fields, token) {
                (None, token) => {
                    app.post_badge(&path, &BadgeFields::titled("Forged"), token)
                        .await
                }
                (Some(f), token) => {
                    let mut all: Vec<(&str, &str)> =
                        f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    if let Some(t) = token {
                        all.push(("csrf_token", t));
                    }
                    app.post_form(&path, &all).await
                }
            };
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} with {token:?}");
        }
    }
    // A wrong header is refused too, and so is sign-out (no forced logout from another site).
    let res = app
        .client
        .post(app.url("/dashboard/badges/order"))
        .header("x-csrf-token", "nope")
        .form(&[("badge_id", id.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.post_form("/dashboard/logout", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/dashboard/badges").await.status(),
        StatusCode::OK,
        "still signed in"
    );
    assert_eq!(snapshot(&app), before);
}

#[tokio::test]
async fn script_in_every_text_field_comes_back_escaped() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
    let fields = BadgeFields {
        title: evil.into(),
        description: evil.into(),
        ..BadgeFields::titled("x")
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = app.badges()[0].id.to_string();
    for path in [
        "/dashboard/badges".to_string(),
        format!("/dashboard/badges/{id}"),
        format!("/dashboard/badges/{id}/edit"),
        format!("/dashboard/badges/{id}/delete"),
        "/dashboard/audit".to_string(),
        "/".to_string(),
    ] {
        let page = app.page(&path).await;
        assert!(
            !page.text.contains("<script>alert"),
            "{path} has a raw script"
        );
        assert!(!page.text.contains("<img src=x"), "{path} has a raw img");
        assert!(
            page.select("script")
                .iter()
                .all(|s| s.value().attr("src").is_some()),
            "{path}: inline script"
        );
        assert!(page.select("[onerror]").is_empty(), "{path}: event handler");
        let shown: String = page.html.root_element().text().collect();
        assert!(
            shown.contains("<script>alert(1)</script>"),
            "{path} shows the text as typed"
        );
    }
    // Kept input on a refused form is escaped too.
    let bad = BadgeFields {
        title: evil.into(),
        description: evil.into(),
        background_color: "\"><script>alert(3)</script>".into(),
        icon: "url".into(),
        icon_url: "\"><script>alert(4)</script>".into(),
        ..BadgeFields::titled("x")
    };
    let page = to_page(
        app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &bad)
            .await,
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.text.contains("<script>alert"));
    assert_eq!(
        page.attr("#background_color", "value").as_deref(),
        Some("\"><script>alert(3)</script>")
    );
}

#[tokio::test]
async fn a_scripted_svg_upload_is_served_harmless() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"><script>alert(2)</script><foreignObject><iframe src="https://evil.example"></iframe></foreignObject><rect width="10" height="10" fill="#123456" onclick="alert(3)"/><use href="https://evil.example/x.svg#a"/></svg>"##;
    let fields = BadgeFields {
        file: Some(("evil.svg".into(), svg.to_vec())),
        ..BadgeFields::titled("Evil")
    };
    assert_eq!(
        app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let icon = app.badges()[0].icon.clone();
    let res = app.new_visitor().get(&icon).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(csp.contains("sandbox"), "{csp}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let body = res.text().await.unwrap_or_default();
    assert!(body.contains("<rect"));
    for gone in [
        "script",
        "alert",
        "onload",
        "onclick",
        "foreignObject",
        "iframe",
        "evil.example",
    ] {
        assert!(!body.contains(gone), "{gone} survived: {body}");
    }
}

#[tokio::test]
async fn an_svg_upload_keeps_only_well_formed_svg() {
    let app = spawn_app().await;
    app.setup_admin().await;
    // A foreign default namespace, a foreign prefix, control characters (raw and as
    // references) and a no-break space, which HTML writes as `&nbsp;` and XML does not know.
    let svg = "<svg xmlns=\"http://evil.example/ns\" xmlns:x=\"http://evil.example/ns\" viewBox=\"0 0 10 10\"><title>Dot\u{1}&#2;\u{A0}!</title><g xmlns=\"http://www.w3.org/1999/xhtml\"><rect x:a=\"1\" width=\"10\u{B}\" height=\"10\" fill=\"#123456\"/></g></svg>";
    let fields = BadgeFields {
        file: Some(("odd.svg".into(), svg.as_bytes().to_vec())),
        ..BadgeFields::titled("Odd")
    };
    assert_eq!(
        app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let icon = app.badges()[0].icon.clone();
    let body = app.get(&icon).await.text().await.unwrap_or_default();
    let document = roxmltree::Document::parse(&body)
        .unwrap_or_else(|e| panic!("not well-formed XML ({e}): {body:?}"));
    for node in document.descendants().filter(|n| n.is_element()) {
        assert_eq!(
            node.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg"),
            "{body:?}"
        );
    }
    assert!(!body.contains("evil.example"), "{body:?}");
    assert!(!body.contains("xhtml"), "{body:?}");
    assert!(
        !body.chars().any(|c| c.is_control()),
        "control character served: {body:?}"
    );
    assert!(body.contains("<title>Dot&#160;!</title>"), "{body:?}");
    assert!(body.contains("<rect"), "{body:?}");

    // What cannot be one SVG document is refused beside the field; nothing is saved.
    let two = BadgeFields {
        file: Some((
            "two.svg".into(),
            b"<svg><rect width=\"1\"/></svg><svg></svg>".to_vec(),
        )),
        ..BadgeFields::titled("Two")
    };
    let page = to_page(
        app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &two)
            .await,
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text_of("#icon_file-error")
            .contains("not a well-formed SVG image"),
        "{}",
        page.text_of("#icon_file-error")
    );
    assert_eq!(app.badge_titles(), ["Odd"]);
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_safe_session_cookie() {
    let app = spawn_app_with(|s| s.secure_cookies = true).await;
    let res = app.get("/dashboard/setup").await;
    let headers = res.headers();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'")
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let cookie = headers["set-cookie"]
        .to_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=lax") && cookie.contains("secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn health_static_files_and_unknown_pages() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let htmx = app.get("/static/vendor/htmx-2.0.11.min.js").await;
    assert_eq!(htmx.status(), StatusCode::OK);
    assert!(
        htmx.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/javascript")
    );
    assert_eq!(
        app.get("/static/icons/star.svg").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    let missing = to_page(app.get("/no/such/page").await).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.text_of("h1"), "Not found");
    assert_eq!(
        app.get("/icons/not-a-uuid.svg").await.status(),
        StatusCode::NOT_FOUND
    );
    // A malformed parameter is a clear 400 page, not a crash.
    app.setup_admin().await;
    let bad = to_page(app.get("/dashboard/audit?before=yesterday").await).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text_of(".error-message").contains("bad parameter"));
}

/// Search text that FTS5 would read as query syntax, or cannot take at all.
fn hostile_search_terms() -> Vec<String> {
    let mut terms: Vec<String> = [
        "a\0b\0c",
        "\0",
        "\0\0\0",
        "love\0",
        "\u{1}\u{7f}\u{1b}[0m",
        "\t\r\n",
        "\"",
        "\"\"\"",
        "a\"b",
        "\"love",
        "love\"",
        "*",
        "lov*",
        "^",
        "^love",
        ":",
        "name:love",
        "name : love",
        "{name email}: love",
        "email:example",
        "(",
        "(love",
        ")",
        "()",
        "NEAR",
        "NEAR(love lace)",
        "love NEAR lace",
        "AND",
        "love AND lace",
        "love OR zzz",
        "NOT love",
        "-",
        "-love",
        "'",
        "a'b",
        "+",
        "%",
        "_",
        "\\",
        "[",
        "   ",
        "🦀",
        "🦀🦀🦀",
        "🏳️‍🌈",
        "e\u{301}",
        "e\u{301}\u{301}\u{301}",
        "\u{301}\u{301}\u{301}",
        "\u{202e}evol",
        "\u{feff}\u{200b}\u{200d}",
        "\u{10ffff}",
        "İİİ",
        "ß",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    terms.push("ab".repeat(2_000));
    terms.push("\"".repeat(1_000));
    terms.push("é".repeat(1_000));
    terms
}

#[tokio::test]
async fn hostile_text_in_every_search_box_is_a_literal_search_never_a_server_error() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Gold").await;
    let ada = app.create_member("Ada Lovelace", "ada@example.com").await;
    let odd = app
        .create_member(
            "Ren \"Star*\" O'Hara (NEAR) ^caret: AND-more",
            "ren@example.com",
        )
        .await;
    let page = format!("/dashboard/badges/{badge}");
    app.submit(
        &page,
        &format!("{page}/members"),
        &[("member_id", &ada), ("member_id", &odd)],
    )
    .await;
    let visitor = app.new_visitor();
    let boxes = [
        "/members?q=".to_string(),
        "/dashboard/members?q=".to_string(),
        format!("{page}?q="),
        format!("{page}?find="),
        format!("{page}/members/search?find="),
    ];
    for term in hostile_search_terms() {
        for search_box in &boxes {
            let client = if search_box.starts_with("/members") {
                &visitor
            } else {
                &app
            };
            let path = format!("{search_box}{}", insignia::web::url_encode(&term));
            let status = client.get(&path).await.status();
            assert!(
                !status.is_server_error(),
                "{search_box}{term:?} answered {status}"
            );
        }
    }
    // Not even bytes that are no text at all.
    for raw in ["%FF%FE", "%C3", "%00%FF", "%ED%A0%80"] {
        for search_box in &boxes {
            let status = app.get(&format!("{search_box}{raw}")).await.status();
            assert!(
                !status.is_server_error(),
                "{search_box}{raw} answered {status}"
            );
        }
    }

    // Each is matched literally: syntax characters find the name that contains them, and
    // nothing else.
    let public = |q: &str| {
        let visitor = visitor.clone_client();
        let path = format!("/members?q={}", insignia::web::url_encode(q));
        async move {
            let page = visitor.page(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            page.select(".member-card h2")
                .iter()
                .map(|e| e.text().collect::<String>().trim().to_string())
                .collect::<Vec<_>>()
        }
    };
    let ren = ["Ren \"Star*\" O'Hara (NEAR) ^caret: AND-more"];
    for q in [
        "\"Star*\"",
        "Star*",
        "(NEAR)",
        "^caret:",
        "AND-more",
        "o'hara",
        "\"st",
    ] {
        assert_eq!(public(q).await, ren, "{q:?}");
    }
    for q in [
        "lov*",
        "love OR zzz",
        "NEAR(love lace)",
        "love AND lace",
        "-zzz",
        "lo\"ve",
    ] {
        assert!(public(q).await.is_empty(), "{q:?} must be literal");
    }
    let refused = visitor
        .get(&format!(
            "/members?q={}",
            insignia::web::url_encode("lo\0ve")
        ))
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "NUL is refused");
    let dashboard = app
        .page(&format!(
            "/dashboard/members?q={}",
            insignia::web::url_encode("(near) ^caret")
        ))
        .await;
    assert_eq!(dashboard.select("table.members tbody tr").len(), 1);
    let holders = app
        .page(&format!(
            "{page}?q={}",
            insignia::web::url_encode("\"star*\"")
        ))
        .await;
    assert_eq!(holders.select(".holder").len(), 1);
    let picker = app
        .page(&format!(
            "{page}?find={}",
            insignia::web::url_encode("love")
        ))
        .await;
    assert_eq!(
        picker.select("#picker-results input[name=member_id]").len(),
        1
    );
}

/// NUL typed into any form or address is refused, never a server error and never stored, on
/// both databases (PostgreSQL cannot store NUL in text at all).
#[tokio::test]
async fn nul_characters_in_any_form_field_are_refused_never_a_server_error() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let badge = app.create_badge("Gold").await;
    app.create_member("Ada Lovelace", "ada@example.com").await;
    let nul = "a\u{0}b";
    let mut refused = Vec::new();
    let mut check = |what: &str, status: StatusCode| {
        if status != StatusCode::BAD_REQUEST {
            refused.push(format!("{what}: {status}"));
        }
    };

    let stranger = app.new_visitor();
    let res = stranger
        .submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("email", "own\u{0}er@example.com"), ("password", nul)],
        )
        .await;
    check("admin sign-in", res.status());
    let res = stranger
        .submit("/login", "/login", &[("email", nul), ("password", nul)])
        .await;
    check("member sign-in", res.status());
    let res = stranger
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", nul),
                ("email", "n\u{0}ul@example.com"),
                ("password", "pass\u{0}word 12345"),
            ],
        )
        .await;
    check("sign-up", res.status());
    for page in ["/forgot-password", "/dashboard/forgot-password"] {
        let res = stranger
            .submit(page, page, &[("email", "ada\u{0}@example.com")])
            .await;
        check(page, res.status());
    }
    // A member's own address change, and a confirmation link with a NUL in it.
    let member = app.new_visitor();
    member
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", "member password 1"),
            ],
        )
        .await;
    let res = member
        .submit("/me", "/me/name", &[("name", "Mal\u{0}lory")])
        .await;
    check("/me/name", res.status());
    let res = member
        .post_form(
            "/me/email",
            &[
                ("csrf_token", &member.page("/me").await.csrf_token()),
                ("email", "m\u{0}@example.com"),
                ("current_password", "member password 1"),
            ],
        )
        .await;
    check("/me/email", res.status());
    for method in ["GET", "POST"] {
        let res = if method == "GET" {
            stranger.get("/confirm-email/a%00b").await
        } else {
            stranger.submit("/login", "/confirm-email/a%00b", &[]).await
        };
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{method} a confirmation with a NUL"
        );
    }
    // The unsubscribe link takes no form (nor CSRF token): a NUL in its token opens nothing.
    let res = stranger.post_form("/unsubscribe/a%00b", &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "unsubscribe with a NUL"
    );

    let mut fields = BadgeFields::titled("Nul\u{0}title");
    fields.description = "line\u{0}one".to_string();
    let token = app.page("/dashboard/badges/new").await.csrf_token();
    let res = app
        .post_badge("/dashboard/badges/new", &fields, Some(&token))
        .await;
    check("badge form", res.status());
    let res = app
        .submit(
            "/dashboard/pages/new",
            "/dashboard/pages/new",
            &[
                ("title", nul),
                ("slug", ""),
                ("access", "public"),
                ("body", "body\u{0}text"),
            ],
        )
        .await;
    check("page form", res.status());
    let res = app
        .submit(
            "/dashboard/api-keys",
            "/dashboard/api-keys",
            &[("name", nul)],
        )
        .await;
    check("API key form", res.status());
    let page = format!("/dashboard/badges/{badge}");
    for action in ["dry_run", "assign"] {
        let res = app
            .submit(
                &page,
                &format!("{page}/members"),
                &[
                    ("bulk", "ada@example.com\n\u{0}\nx\u{0}y@example.com"),
                    ("action", action),
                ],
            )
            .await;
        check("bulk box", res.status());
    }
    // The rule form, the holders' end and a give's last day.
    let rule = format!("{page}/rule");
    for action in ["preview", "save"] {
        let res = app
            .submit(
                &rule,
                &rule,
                &[
                    ("email_domains", "corp\u{0}.org"),
                    ("holds_all", nul),
                    ("joined_days", "3\u{0}"),
                    ("action", action),
                ],
            )
            .await;
        check("rule form", res.status());
    }
    let res = app
        .submit(
            &page,
            &format!("{page}/members/end"),
            &[
                ("member_id", nul),
                ("end", "2099\u{0}-01-01"),
                ("end_action", "set"),
            ],
        )
        .await;
    check("holders' end", res.status());
    let res = app
        .submit(
            &page,
            &format!("{page}/members"),
            &[
                ("bulk", "ada@example.com"),
                ("until", "2099-01-0\u{0}1"),
                ("action", "assign"),
            ],
        )
        .await;
    check("bulk box's last day", res.status());
    // A CSV import reports such a line instead (tests/it/import.rs).
    // A form kept across the password prompt (the session is not elevated).
    app.end_elevation().await;
    let res = app
        .post_badge("/dashboard/badges/new", &fields, Some(&token))
        .await;
    check("kept draft", res.status());
    let res = app.get("/dashboard/elevate").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the prompt, with no draft kept"
    );

    // Addresses: ids, slugs, tokens and filters with a NUL in them.
    for path in [
        "/members/a%00b".to_string(),
        "/pages/a%00b".to_string(),
        "/icons/a%00b.svg".to_string(),
        "/set-password/a%00b".to_string(),
        "/dashboard/badges/a%00b".to_string(),
        "/dashboard/members/a%00b".to_string(),
        "/dashboard/reports/a%00b".to_string(),
        "/dashboard/audit?member=a%00b".to_string(),
        "/dashboard/audit?badge=a%00b".to_string(),
        "/members/v3/badges/a%00b".to_string(),
        "/members/v3/badges/a%00b/members".to_string(),
        "/dashboard/badges/a%00b/rule".to_string(),
        "/insignia/v1/badges/a%00b/rule".to_string(),
        "/insignia/v1/badges/a%00b/members".to_string(),
    ] {
        let res = app.get(&path).await;
        let status = res.status();
        // A NUL in an address's path finds nothing (404); in its query it is refused (400).
        let expected = if path.contains('?') {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(status, expected, "{path}");
        if path.starts_with("/members/v3") {
            let body: serde_json::Value = res.json().await.expect("the API's error shape");
            assert!(
                body["message"].is_string() || body["details"].is_object(),
                "{body}"
            );
        }
    }
    assert!(refused.is_empty(), "{refused:#?}");
    // Nothing with a NUL in it was kept: no new badge, page, key or member; the pasted list
    // gave Ada nothing.
    let mut conn = app.db();
    assert_eq!(app.badge_titles(), ["Gold"]);
    assert!(insignia::pages::list(&mut conn).expect("pages").is_empty());
    assert!(
        insignia::auth::api_keys::list(&mut conn)
            .expect("keys")
            .is_empty()
    );
    // Ada, and Mallory who signed up without a NUL: her name and address as they were.
    assert_eq!(app.member_count(), 2);
    let mallory = insignia::members::find_by_email(&mut conn, "mallory@example.com")
        .expect("read")
        .expect("Mallory");
    assert_eq!(mallory.name, "Mallory");
    assert!(app.assignments().is_empty());
}

#[tokio::test]
async fn a_missing_page_offers_the_way_back_that_fits_who_is_looking() {
    let app = spawn_app().await;
    let visitor = app.new_visitor();
    for path in [
        "/no-such-page",
        "/badges/no-such-badge",
        "/dashboard/no-such-page",
    ] {
        let page = visitor.page(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.has("nav[aria-label=Site] a[href='/badges']"), "{path}");
        assert!(!page.has("nav[aria-label=Dashboard]"), "{path}");
    }
    app.setup_admin().await;
    for path in [
        "/no-such-page",
        "/dashboard/badges/not-a-badge",
        "/dashboard/no-such-page",
    ] {
        let page = app.page(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.has("nav[aria-label=Dashboard] a[href='/dashboard/members']"),
            "{path}"
        );
        assert_eq!(page.text_of("h1"), "Not found");
    }
    // The API's own error shape is left alone.
    let res = app.get("/members/v3/badges/not-a-badge").await;
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/json")
    );
}

/// Known addresses asked with a method they do not take, with the methods they do take, in
/// every area: the site, member accounts, /me, the dashboard and the JSON API.
fn wrong_methods(
    id: &str,
    member: &str,
    page: &str,
) -> Vec<(reqwest::Method, String, &'static [&'static str])> {
    use reqwest::Method;
    const GET: &[&str] = &["GET"];
    const POST: &[&str] = &["POST"];
    const FORM: &[&str] = &["GET", "POST"];
    let some_id = "00000000-0000-4000-8000-000000000000";
    let mut list = vec![
        // The four the issue names.
        (Method::GET, "/logout".to_string(), POST),
        (Method::GET, "/dashboard/logout".to_string(), POST),
        (Method::GET, "/me/badges/arrange".to_string(), POST),
        (Method::PUT, "/dashboard/badges".to_string(), GET),
        // The public site and member accounts.
        (Method::POST, "/".to_string(), GET),
        (Method::DELETE, "/healthz".to_string(), GET),
        (Method::POST, "/badges".to_string(), GET),
        (Method::PATCH, "/badges/gold".to_string(), GET),
        (Method::PUT, "/pages/welcome".to_string(), GET),
        (Method::POST, "/members".to_string(), GET),
        (Method::DELETE, "/members/someone".to_string(), GET),
        (Method::POST, "/static/css/insignia.css".to_string(), GET),
        (Method::DELETE, "/icons/x.svg".to_string(), GET),
        (Method::PUT, "/signup".to_string(), FORM),
        (Method::DELETE, "/login".to_string(), FORM),
        (Method::PUT, "/set-password/some-token".to_string(), FORM),
        (Method::PUT, "/me".to_string(), GET),
        (Method::GET, "/me/name".to_string(), POST),
        (Method::GET, "/me/password".to_string(), POST),
        (Method::GET, "/me/badges".to_string(), POST),
        // The dashboard.
        (Method::POST, "/dashboard".to_string(), GET),
        (Method::DELETE, "/dashboard/".to_string(), GET),
        (Method::PUT, "/dashboard/setup".to_string(), FORM),
        (Method::PATCH, "/dashboard/login".to_string(), FORM),
        (Method::GET, "/dashboard/elevate/end".to_string(), POST),
        (Method::DELETE, "/dashboard/account".to_string(), FORM),
        (Method::OPTIONS, "/dashboard/badges".to_string(), GET),
        (Method::GET, "/dashboard/badges/order".to_string(), POST),
        (Method::GET, "/dashboard/badges/preview".to_string(), POST),
        (Method::PUT, "/dashboard/badges/new".to_string(), FORM),
        (Method::DELETE, format!("/dashboard/badges/{id}"), GET),
        (Method::PUT, format!("/dashboard/badges/{id}/edit"), FORM),
        (
            Method::DELETE,
            format!("/dashboard/badges/{id}/delete"),
            FORM,
        ),
        (Method::GET, format!("/dashboard/badges/{id}/move"), POST),
        // A GET of the bulk report's address leads back to the badge (tests/it/once.rs).
        (Method::PUT, format!("/dashboard/badges/{id}/members"), FORM),
        (
            Method::DELETE,
            format!("/dashboard/badges/{id}/members/remove"),
            FORM,
        ),
        (
            Method::POST,
            format!("/dashboard/badges/{id}/holders.csv"),
            GET,
        ),
        (
            Method::PUT,
            format!("/dashboard/badges/{id}/permissions"),
            FORM,
        ),
        (
            Method::POST,
            "/dashboard/members/export.csv".to_string(),
            GET,
        ),
        (
            Method::PATCH,
            format!("/dashboard/members/{member}/edit"),
            FORM,
        ),
        (
            Method::GET,
            format!("/dashboard/members/{member}/password-link"),
            POST,
        ),
        (
            Method::GET,
            format!("/dashboard/members/{member}/badges"),
            POST,
        ),
        (Method::PATCH, format!("/dashboard/pages/{page}/edit"), FORM),
        (Method::PUT, "/dashboard/api-keys".to_string(), FORM),
        (
            Method::GET,
            format!("/dashboard/webhooks/{some_id}/rotate"),
            POST,
        ),
        (Method::PUT, format!("/dashboard/webhooks/{some_id}"), FORM),
        (Method::POST, "/dashboard/audit".to_string(), GET),
        (Method::PUT, format!("/dashboard/reports/{some_id}"), GET),
    ];
    // The JSON API (its Allow comes from its operation table).
    list.extend([
        (Method::PUT, "/members/v3/badges".to_string(), FORM),
        (Method::GET, "/members/v3/badges/query".to_string(), POST),
        (
            Method::GET,
            "/members/v3/badges/order".to_string(),
            &["PATCH"][..],
        ),
        (Method::GET, "/members/v3/badges/members".to_string(), POST),
        (
            Method::POST,
            format!("/members/v3/badges/{id}"),
            &["GET", "PATCH", "DELETE"][..],
        ),
        (
            Method::PUT,
            format!("/members/v3/badges/{id}/members"),
            &["GET", "POST", "DELETE"][..],
        ),
        (Method::POST, "/members/v3/openapi.json".to_string(), GET),
    ]);
    list
}

fn allowed_methods(res: &reqwest::Response) -> std::collections::BTreeSet<String> {
    res.headers()
        .get(reqwest::header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

#[tokio::test]
async fn a_known_address_asked_with_another_method_is_405_with_allow_whoever_asks() {
    let app = spawn_app().await;
    let (id, _version, member, page) = two_badges(&app).await;
    let visitor = app.new_visitor();
    let member_browser = app.new_visitor();
    member_browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", "member password 1"),
            ],
        )
        .await;
    let before = snapshot(&app);
    for (who, client) in [
        ("visitor", &visitor),
        ("member", &member_browser),
        ("admin", &app),
    ] {
        let token = client.page("/").await.csrf_token();
        for (method, path, allow) in wrong_methods(&id, &member, &page) {
            let expected: std::collections::BTreeSet<String> =
                allow.iter().map(|m| m.to_string()).collect();
            // With this session's own token and a form that would change something, and bare.
            let with_form = client
                .client
                .request(method.clone(), client.url(&path))
                .header("x-csrf-token", &token)
                .form(&[("csrf_token", token.as_str()), ("title", "Sneaky")])
                .send()
                .await
                .expect("request");
            let bare = client
                .client
                .request(method.clone(), client.url(&path))
                .send()
                .await
                .expect("request");
            for res in [with_form, bare] {
                assert_eq!(
                    res.status(),
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{who} {method} {path}"
                );
                assert_eq!(allowed_methods(&res), expected, "{who} {method} {path}");
                if path.starts_with("/members/v3/") {
                    let body: serde_json::Value = res.json().await.expect("JSON");
                    assert_eq!(
                        body["details"]["applicationError"]["code"], "METHOD_NOT_ALLOWED",
                        "{who} {method} {path}"
                    );
                } else {
                    let shown = to_page(res).await;
                    assert_eq!(shown.text_of("h1"), "Not available this way", "{path}");
                }
            }
        }
    }
    // HEAD is answered like GET, so at an address that takes only POST it is 405 too.
    let head = visitor
        .client
        .head(visitor.url("/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allowed_methods(&head), ["POST".to_string()].into());

    assert_eq!(snapshot(&app), before, "nothing changed");
    // GET /logout and GET /dashboard/logout signed nobody out.
    assert_eq!(member_browser.get("/me").await.status(), StatusCode::OK);
    assert_eq!(app.get("/dashboard/badges").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn routed_methods_still_need_the_form_token_and_unknown_addresses_are_404() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let member_browser = app.new_visitor();
    member_browser
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", "member password 1"),
            ],
        )
        .await;
    let before = snapshot(&app);
    for (client, path) in [
        (&member_browser, "/logout"),
        (&member_browser, "/me/badges/arrange"),
        (&member_browser, "/me/name"),
        (&app, "/dashboard/logout"),
        (&app, "/dashboard/badges/new"),
    ] {
        let res = client.post_form(path, &[("name", "Changed")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "POST {path}");
        assert!(
            to_page(res)
                .await
                .text_of(".error-message")
                .contains("expired"),
            "{path}"
        );
    }
    let me = member_browser.page("/me").await;
    assert_eq!(me.status, StatusCode::OK, "still signed in");
    assert!(me.text.contains("Mallory") && !me.text.contains("Changed"));
    assert_eq!(app.get("/dashboard/badges").await.status(), StatusCode::OK);
    assert_eq!(snapshot(&app), before);
    // An address nothing serves is 404 whatever the method, token or none.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::PUT,
    ] {
        for path in ["/no/such/page", "/dashboard/no-such-page", "/me/nothing"] {
            let res = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }
    }
}
