//! The badge dashboard end to end: create, edit, order, delete, and every field rule.

use reqwest::StatusCode;

use crate::helpers::{BadgeFields, location, spawn_app, to_page};

#[tokio::test]
async fn an_admin_creates_edits_reorders_and_deletes_badges() {
    let app = spawn_app().await;
    app.setup_admin().await;

    // Create
    let res = app
        .submit_badge(
            "/dashboard/badges/new",
            "/dashboard/badges/new",
            &BadgeFields::titled("Gold Star"),
        )
        .await;
    // "Create badge" lands on the new badge's page, where it is given to members.
    let created = app.badges()[0].id.to_string();
    assert_eq!(location(&res), format!("/dashboard/badges/{created}"));
    assert!(
        app.page(&location(&res))
            .await
            .text_of(".flash-success")
            .contains("Gold Star")
    );
    let page = app.page("/dashboard/badges").await;
    assert_eq!(page.list_titles(), ["Gold Star"]);
    let gold = &app.badges()[0];
    assert_eq!(gold.slug, "gold-star");
    assert_eq!(
        gold.background_color, "#1F2A44",
        "colours are stored uppercase"
    );
    assert_eq!(gold.text_color, "#F5C542");
    assert_eq!(gold.icon, "/static/icons/star.svg");
    assert_eq!(gold.description, "Gold Star description");
    app.create_badge("Silver").await;
    app.create_badge("Bronze").await;
    assert_eq!(
        app.badge_titles(),
        ["Gold Star", "Silver", "Bronze"],
        "new badges go last"
    );

    // Edit: the form shows the stored values; saving renames and re-slugs.
    let edit = app
        .page(&format!("/dashboard/badges/{}/edit", gold.id))
        .await;
    assert_eq!(edit.attr("#title", "value").as_deref(), Some("Gold Star"));
    assert_eq!(
        edit.attr("#background_color", "value").as_deref(),
        Some("#1F2A44")
    );
    assert!(edit.has("input[name=icon][value=star][checked]"));
    let mut fields = BadgeFields::titled("Golden Star");
    fields.icon = "crown".into();
    fields.background_color = "#ffd700".into();
    fields.text_color = "#000000".into();
    let path = format!("/dashboard/badges/{}/edit", gold.id);
    let res = app.submit_badge(&path, &path, &fields).await;
    assert_eq!(location(&res), format!("/dashboard/badges/{}", gold.id));
    let shown = app.page(&format!("/dashboard/badges/{}", gold.id)).await;
    assert_eq!(shown.text_of(".badge-hero .badge-title"), "Golden Star");
    let golden = app
        .badges()
        .into_iter()
        .find(|b| b.id == gold.id)
        .expect("still there");
    assert_eq!(
        (golden.slug.as_str(), golden.icon.as_str()),
        ("golden-star", "/static/icons/crown.svg")
    );
    assert_eq!(golden.background_color, "#FFD700");

    // Reorder with the buttons: Bronze up twice.
    let bronze = app.badges()[2].id.to_string();
    for _ in 0..2 {
        let res = press_arrow(&app, &bronze, "up").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.badge_titles(), ["Bronze", "Golden Star", "Silver"]);
    assert_eq!(
        app.page("/dashboard/badges").await.list_titles(),
        ["Bronze", "Golden Star", "Silver"]
    );

    // Delete, after a confirmation page that says how many hold it.
    let confirm = app
        .page(&format!("/dashboard/badges/{bronze}/delete"))
        .await;
    assert!(confirm.text.contains("No member holds this badge"));
    let res = app
        .submit(
            &format!("/dashboard/badges/{bronze}/delete"),
            &format!("/dashboard/badges/{bronze}/delete"),
            &[],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/badges");
    assert_eq!(app.badge_titles(), ["Golden Star", "Silver"]);
    assert_eq!(
        app.page(&format!("/dashboard/badges/{bronze}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Submits a new badge with one bad field; checks the message sits next to that field,
/// the typed values come back, and nothing is stored.
/// Presses a badge's ↑ or ↓ button on the list as it is now.
async fn press_arrow(
    app: &crate::helpers::TestApp,
    badge: &str,
    direction: &str,
) -> reqwest::Response {
    let list = app.page("/dashboard/badges").await;
    let version = list
        .attr("#badge-list", "data-order-version")
        .expect("version");
    app.submit(
        "/dashboard/badges",
        &format!("/dashboard/badges/{badge}/move"),
        &[("direction", direction), ("order_version", &version)],
    )
    .await
}

async fn assert_refused(
    app: &crate::helpers::TestApp,
    fields: BadgeFields,
    error_field: &str,
    message: &str,
) {
    let before = app.badges();
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
        .await;
    let page = to_page(res).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{error_field}"
    );
    let error = page.text_of(&format!("#{error_field}-error"));
    assert!(
        error.contains(message),
        "{error_field}: {error:?} should say {message:?}"
    );
    assert!(page.text_of(".form-error").contains("Nothing was saved"));
    // An HTML parser (a browser's too) reads a NUL as U+FFFD.
    assert_eq!(
        page.attr("#title", "value").unwrap_or_default(),
        fields.title.replace('\0', "\u{FFFD}")
    );
    assert_eq!(page.text_of("#description"), fields.description.trim());
    assert_eq!(
        page.attr("#background_color", "value").unwrap_or_default(),
        fields.background_color
    );
    assert_eq!(
        page.attr("#text_color", "value").unwrap_or_default(),
        fields.text_color
    );
    assert_eq!(
        page.attr("#icon_url", "value").unwrap_or_default(),
        fields.icon_url
    );
    assert_eq!(app.badges(), before, "nothing saved for {error_field}");
}

#[tokio::test]
async fn every_field_rule_shows_its_error_keeps_the_input_and_saves_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_badge("Taken Title").await;
    let base = BadgeFields::titled("Fine");

    assert_refused(
        &app,
        BadgeFields {
            title: "   ".into(),
            ..base.clone()
        },
        "title",
        "must not be empty",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            title: "x".repeat(101),
            ..base.clone()
        },
        "title",
        "at most 100",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            title: "taken TITLE".into(),
            ..base.clone()
        },
        "title",
        "already used",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            description: "d".repeat(1501),
            ..base.clone()
        },
        "description",
        "at most 1500",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            background_color: "red".into(),
            ..base.clone()
        },
        "background_color",
        "#796EFF",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            text_color: "#FFF".into(),
            ..base.clone()
        },
        "text_color",
        "colour",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            background_color: "#123456;}body{x".into(),
            ..base.clone()
        },
        "background_color",
        "colour",
    )
    .await;
    for url in [
        "javascript:alert(1)",
        "data:image/svg+xml,<svg/>",
        "/etc/passwd",
        "ftp://example.com/a.svg",
    ] {
        assert_refused(
            &app,
            BadgeFields {
                icon: "url".into(),
                icon_url: url.into(),
                ..base.clone()
            },
            "icon_url",
            "http",
        )
        .await;
    }
    let long_url = format!("https://example.com/{}", "a".repeat(2048));
    assert_refused(
        &app,
        BadgeFields {
            icon: "url".into(),
            icon_url: long_url,
            ..base.clone()
        },
        "icon_url",
        "2048",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            icon: "no-such-icon".into(),
            ..base.clone()
        },
        "icon",
        "built-in",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            permissions_enabled: true,
            self_assignable: true,
            ..base.clone()
        },
        "self_assignable",
        "cannot also be self-assignable",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            file: Some(("big.svg".into(), vec![b' '; 251 * 1024])),
            ..base.clone()
        },
        "icon_file",
        "250 KB",
    )
    .await;
    assert_refused(
        &app,
        BadgeFields {
            file: Some(("cat.png".into(), b"\x89PNG\r\n".to_vec())),
            ..base.clone()
        },
        "icon_file",
        "SVG",
    )
    .await;
}

#[tokio::test]
async fn editing_with_a_bad_value_changes_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let id = app.create_badge("Keeper").await;
    app.create_badge("Other").await;
    let before = app.badges();
    let path = format!("/dashboard/badges/{id}/edit");
    let res = app
        .submit_badge(
            &path,
            &path,
            &BadgeFields {
                title: "OTHER".into(),
                ..BadgeFields::titled("x")
            },
        )
        .await;
    let page = to_page(res).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text_of("#title-error").contains("already used"));
    assert_eq!(page.attr("#title", "value").as_deref(), Some("OTHER"));
    assert_eq!(app.badges(), before);
}

#[tokio::test]
async fn slugs_get_numbered_suffixes_and_follow_the_title() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_badge("Top Fan").await;
    app.create_badge("Top Fan!").await;
    app.create_badge("top  fan?").await;
    let slugs: Vec<String> = app.badges().into_iter().map(|b| b.slug).collect();
    assert_eq!(slugs, ["top-fan", "top-fan-2", "top-fan-3"]);
}

#[tokio::test]
async fn empty_colours_take_the_defaults_and_no_icon_is_allowed() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let fields = BadgeFields {
        title: "Plain".into(),
        ..BadgeFields::default()
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let plain = &app.badges()[0];
    assert_eq!(
        (plain.background_color.as_str(), plain.text_color.as_str()),
        ("#796EFF", "#FFFFFF")
    );
    assert_eq!(plain.icon, "");
    assert!(!plain.permissions_enabled && !plain.self_assignable);
}

#[tokio::test]
async fn an_icon_can_come_from_a_web_address_or_an_upload() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let by_url = BadgeFields {
        icon: "url".into(),
        icon_url: "https://cdn.example.com/badge.png".into(),
        ..BadgeFields::titled("Linked")
    };
    app.submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &by_url)
        .await;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#E11D48"/></svg>"##;
    let uploaded = BadgeFields {
        file: Some(("dot.svg".into(), svg.to_vec())),
        ..BadgeFields::titled("Uploaded")
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &uploaded)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let badges = app.badges();
    assert_eq!(badges[0].icon, "https://cdn.example.com/badge.png");
    let icon = badges[1].icon.clone();
    assert!(
        icon.starts_with("/icons/") && icon.ends_with(".svg"),
        "{icon}"
    );
    let list = app.page("/dashboard/badges").await;
    // Drawn in the badge's text colour (see the test below).
    assert!(list.has(&format!("img.badge-icon[src='{icon}?color=F5C542']")));
    let served = app.get(&icon).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/svg+xml");
    assert!(served.text().await.unwrap_or_default().contains("<circle"));

    // Editing without a new file keeps the upload.
    let id = badges[1].id.to_string();
    let path = format!("/dashboard/badges/{id}/edit");
    let form = app.page(&path).await;
    assert!(form.has(&format!("input[name=icon][value='{icon}'][checked]")));
    let keep = BadgeFields {
        icon: icon.clone(),
        ..BadgeFields::titled("Uploaded")
    };
    assert_eq!(
        app.submit_badge(&path, &path, &keep).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.badges()[1].icon, icon);
    // Switching to a built-in icon removes the upload.
    let builtin = BadgeFields {
        icon: "gem".into(),
        ..BadgeFields::titled("Uploaded")
    };
    assert_eq!(
        app.submit_badge(&path, &path, &builtin).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get(&icon).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reorder_from_a_stale_list_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for title in ["One", "Two", "Three"] {
        app.create_badge(title).await;
    }
    let list = app.page("/dashboard/badges").await;
    let stale_version = list
        .attr("#badge-list", "data-order-version")
        .expect("version");
    let ids: Vec<String> = app
        .badges()
        .into_iter()
        .map(|b| b.id.into_string())
        .collect();
    // Meanwhile another admin tab adds a badge.
    app.create_badge("Four").await;
    let before = app.badge_titles();

    // Drag and drop (htmx) with the old list.
    let token = list.csrf_token();
    let res = app
        .client
        .post(app.url("/dashboard/badges/order"))
        .header("hx-request", "true")
        .header("x-csrf-token", &token)
        .form(&[
            ("badge_id", ids[2].as_str()),
            ("badge_id", ids[0].as_str()),
            ("badge_id", ids[1].as_str()),
            ("order_version", stale_version.as_str()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap_or_default().contains("Reload"));
    assert_eq!(app.badge_titles(), before);

    // Move buttons with the old list.
    let res = app
        .submit(
            "/dashboard/badges",
            &format!("/dashboard/badges/{}/move", ids[2]),
            &[("direction", "up"), ("order_version", &stale_version)],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/badges");
    let page = app.page("/dashboard/badges").await;
    assert!(
        page.text_of(".flash-error")
            .contains("changed since you loaded it")
    );
    assert_eq!(app.badge_titles(), before);
}

#[tokio::test]
async fn drag_and_drop_saves_the_whole_order_at_once() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for title in ["One", "Two", "Three"] {
        app.create_badge(title).await;
    }
    let list = app.page("/dashboard/badges").await;
    let version = list
        .attr("#badge-list", "data-order-version")
        .expect("version");
    let ids: Vec<String> = app
        .badges()
        .into_iter()
        .map(|b| b.id.into_string())
        .collect();
    let res = app
        .client
        .post(app.url("/dashboard/badges/order"))
        .header("hx-request", "true")
        .header("x-csrf-token", list.csrf_token())
        .form(&[
            ("badge_id", ids[2].as_str()),
            ("badge_id", ids[0].as_str()),
            ("badge_id", ids[1].as_str()),
            ("order_version", version.as_str()),
        ])
        .send()
        .await
        .expect("request");
    let fragment = to_page(res).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert_eq!(fragment.list_titles(), ["Three", "One", "Two"]);
    assert_eq!(app.badge_titles(), ["Three", "One", "Two"]);
    assert!(app.audit_actions().contains(&"badge.reorder".to_string()));
    // The answer also says "Saved" where the page announces order changes.
    assert!(fragment.has("#order-message[hx-swap-oob] [role=status]"));
    assert!(fragment.text_of("#order-message").starts_with("Saved."));
}

#[tokio::test]
async fn a_drop_before_the_password_prompt_is_kept_and_arrows_give_the_focus_back() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for title in ["One", "Two", "Three"] {
        app.create_badge(title).await;
    }
    let ids: Vec<String> = app
        .badges()
        .into_iter()
        .map(|b| b.id.into_string())
        .collect();

    // An arrow: the list comes back with the focus on the same arrow of the moved badge,
    // or on the other one when that arrow is now disabled.
    let res = press_arrow(&app, &ids[2], "up").await;
    let back = app.page(&location(&res)).await;
    assert_eq!(back.list_titles(), ["One", "Three", "Two"]);
    assert!(back.has(&format!("#badge-{} button[value=up][autofocus]", ids[2])));
    assert_eq!(back.select("[autofocus]").len(), 1);
    let res = press_arrow(&app, &ids[2], "up").await;
    let top = app.page(&location(&res)).await;
    assert!(top.has(&format!("#badge-{} button[value=down][autofocus]", ids[2])));

    // A drop while not elevated: the prompt, then the dropped order offered to save.
    app.end_elevation().await;
    let list = app.page("/dashboard/badges").await;
    let version = list
        .attr("#badge-list", "data-order-version")
        .expect("version");
    let res = app
        .client
        .post(app.url("/dashboard/badges/order"))
        .header("x-csrf-token", list.csrf_token())
        .form(&[
            ("badge_id", ids[0].as_str()),
            ("badge_id", ids[1].as_str()),
            ("badge_id", ids[2].as_str()),
            ("order_version", version.as_str()),
        ])
        .send()
        .await
        .expect("request");
    assert!(location(&res).starts_with("/dashboard/elevate"));
    assert_eq!(
        app.badge_titles(),
        ["Three", "One", "Two"],
        "nothing saved yet"
    );
    let res = app
        .submit(
            "/dashboard/elevate",
            "/dashboard/elevate",
            &[
                ("password", crate::helpers::ADMIN_PASSWORD),
                ("next", "/dashboard/badges"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/badges");
    let kept = app.page("/dashboard/badges").await;
    let offered: Vec<String> = kept
        .select(".pending-order li")
        .iter()
        .map(|li| li.text().collect())
        .collect();
    assert_eq!(offered, ["One", "Two", "Three"]);
    assert_eq!(
        app.badge_titles(),
        ["Three", "One", "Two"],
        "still not saved"
    );
    let save: Vec<(String, String)> = kept
        .select("#pending-heading ~ form input[type=hidden]")
        .iter()
        .map(|i| {
            let v = i.value();
            (
                v.attr("name").unwrap_or_default().to_string(),
                v.attr("value").unwrap_or_default().to_string(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = save.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let res = app.post_form("/dashboard/badges/order", &pairs).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.badge_titles(), ["One", "Two", "Three"]);
    assert!(
        !app.page("/dashboard/badges").await.has(".pending-order"),
        "offered once"
    );
}

#[tokio::test]
async fn the_live_preview_draws_the_badge_and_warns_about_contrast() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let token = app.page("/dashboard/badges/new").await.csrf_token();
    let res = app
        .client
        .post(app.url("/dashboard/badges/preview"))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .form(&[
            ("title", "Sunny"),
            ("background_color", "#ffd700"),
            ("text_color", "#ffffff"),
            ("icon", "sun"),
        ])
        .send()
        .await
        .expect("request");
    let preview = to_page(res).await;
    assert_eq!(preview.text_of(".badge-title"), "Sunny");
    assert!(
        preview
            .attr(".badge", "style")
            .unwrap_or_default()
            .contains("#FFD700")
    );
    assert!(preview.has(".badge-icon svg"));
    assert!(preview.text_of(".contrast.warn").contains("4.5:1"));
    assert_eq!(
        preview
            .attr("[data-set-text-color]", "data-set-text-color")
            .as_deref(),
        Some("#000000")
    );
    assert!(app.badges().is_empty(), "a preview saves nothing");
}

#[tokio::test]
async fn titles_with_control_or_invisible_characters_are_refused_where_typed() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let base = BadgeFields::titled("Fine");
    for title in ["Founding Member\u{200B}", "Founding \u{202E}rebmeM"] {
        assert_refused(
            &app,
            BadgeFields {
                title: title.into(),
                ..base.clone()
            },
            "title",
            "must not contain invisible or control characters",
        )
        .await;
    }
    assert_refused(
        &app,
        BadgeFields {
            description: "Given \u{2067}to founders".into(),
            ..base.clone()
        },
        "description",
        "must not contain invisible or control characters",
    )
    .await;
    // A control character is refused where the form is read, before any field is looked at.
    let token = app.page("/dashboard/badges/new").await.csrf_token();
    let res = app
        .post_badge(
            "/dashboard/badges/new",
            &BadgeFields::titled("Founding\u{0}Member"),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("control character (U+0000)")
    );
    assert!(app.badges().is_empty());
}

/// Titles that show nothing the characters say, each with what the refusal says: the Hangul
/// fillers, the Mongolian vowel separator, tags outside a flag, and braille blanks alone.
const INVISIBLE_TITLES: [(&str, &str); 6] = [
    ("\u{115F}", "invisible or control characters (found U+115F)"),
    (
        "Gold\u{1160}",
        "invisible or control characters (found U+1160)",
    ),
    (
        "\u{3164}Gold",
        "invisible or control characters (found U+3164)",
    ),
    (
        "Gold\u{180E}Star",
        "invisible or control characters (found U+180E)",
    ),
    (
        "Gold\u{E0067}\u{E0062}\u{E007F}",
        "invisible or control characters (found U+E0067, a tag character",
    ),
    (
        "\u{2800}\u{2800}",
        "must contain at least one visible character",
    ),
];

/// England's and Scotland's flags: the black flag, a subdivision code in tags, a cancel tag.
const ENGLAND: &str = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
const SCOTLAND: &str = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";

#[tokio::test]
async fn titles_of_invisible_characters_are_refused_in_the_dashboard() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for (title, message) in INVISIBLE_TITLES {
        assert_refused(&app, BadgeFields::titled(title), "title", message).await;
    }
    assert!(app.badges().is_empty(), "nothing saved");
    // Subdivision flags are emoji: both are saved, and they are not the same title.
    for flag in [ENGLAND, SCOTLAND] {
        let res = app
            .submit_badge(
                "/dashboard/badges/new",
                "/dashboard/badges/new",
                &BadgeFields::titled(&format!("Supporter {flag}")),
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{flag:?}");
    }
    assert_eq!(
        app.badge_titles(),
        [
            format!("Supporter {ENGLAND}"),
            format!("Supporter {SCOTLAND}")
        ]
    );
}

#[tokio::test]
async fn the_api_refuses_titles_of_invisible_characters() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("tests").await;
    for (title, message) in INVISIBLE_TITLES {
        let reply = app
            .api(
                reqwest::Method::POST,
                "/members/v3/badges",
                Some(&key),
                Some(serde_json::json!({ "badge": { "title": title } })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{title:?}");
        assert_eq!(reply.violated_fields(), ["badge.title"], "{title:?}");
        let violation = &reply.body["details"]["validationError"]["fieldViolations"][0];
        assert_eq!(violation["violatedRule"], "FORMAT", "{title:?}");
        assert!(
            violation["description"]
                .as_str()
                .unwrap_or_default()
                .contains(message),
            "{title:?}: {violation}"
        );
    }
    assert!(app.badges().is_empty(), "nothing saved");
    // Renaming a badge to one is refused too, and the title stays.
    let id = app.create_badge("Gold").await;
    let reply = app
        .api(
            reqwest::Method::PATCH,
            &format!("/members/v3/badges/{id}"),
            Some(&key),
            Some(serde_json::json!({ "badge": { "title": "\u{2800}" } })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.badge_titles(), ["Gold"]);
    let reply = app
        .api(
            reqwest::Method::POST,
            "/members/v3/badges",
            Some(&key),
            Some(serde_json::json!({ "badge": { "title": format!("Fan {ENGLAND}") } })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["badge"]["title"], format!("Fan {ENGLAND}"));
}

#[tokio::test]
async fn titles_that_read_the_same_are_duplicates() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_badge("Founding Member").await;
    app.create_badge("Caf\u{e9} Regular").await;
    let base = BadgeFields::titled("Fine");
    for twin in [
        "found\u{200C}ing member",
        "Founding Mem\u{FE0F}ber",
        "FOUNDING\u{A0}MEMBER",
        "Founding  Member",
        "Cafe\u{301} Regular",
    ] {
        assert_refused(
            &app,
            BadgeFields {
                title: twin.into(),
                ..base.clone()
            },
            "title",
            "already used",
        )
        .await;
    }
    assert_eq!(app.badge_titles(), ["Founding Member", "Caf\u{e9} Regular"]);
}

#[tokio::test]
async fn titles_are_stored_composed() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let res = app
        .submit_badge(
            "/dashboard/badges/new",
            "/dashboard/badges/new",
            &BadgeFields::titled("Cafe\u{301} Regular"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.badge_titles(), ["Caf\u{e9} Regular"]);
}

#[tokio::test]
async fn the_api_refuses_invisible_characters_in_titles_as_a_field_violation() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("tests").await;
    for title in ["Gold\u{200B}", "Gold\u{0}", "\u{202E}dloG"] {
        let reply = app
            .api(
                reqwest::Method::POST,
                "/members/v3/badges",
                Some(&key),
                Some(serde_json::json!({ "badge": { "title": title } })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{title:?}");
        assert_eq!(reply.violated_fields(), ["badge.title"], "{title:?}");
        let violation = &reply.body["details"]["validationError"]["fieldViolations"][0];
        assert_eq!(violation["violatedRule"], "FORMAT", "{title:?}");
        assert!(
            violation["description"]
                .as_str()
                .unwrap_or_default()
                .contains("invisible or control characters"),
            "{title:?}: {violation}"
        );
    }
    // A title differing only in Unicode form is a duplicate.
    app.create_badge("Caf\u{e9}").await;
    let reply = app
        .api(
            reqwest::Method::POST,
            "/members/v3/badges",
            Some(&key),
            Some(serde_json::json!({ "badge": { "title": "CAFE\u{301}" } })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "BADGE_TITLE_ALREADY_EXISTS");
    assert_eq!(app.badge_titles(), ["Caf\u{e9}"]);
}

#[tokio::test]
async fn title_keys_stored_under_the_old_rule_are_recomputed_when_the_database_opens() {
    use diesel::prelude::*;
    use insignia::db::schema::badges;
    let app = spawn_app().await;
    app.setup_admin().await;
    for title in ["Founding Member", "Gold", "Silver"] {
        app.create_badge(title).await;
    }
    // What the old rule (the lowercased title) stored, and titles it let in.
    let mut conn = app.db();
    for (title, old_key) in [
        ("Founding Member\u{200B}", "founding member\u{200b}"),
        ("\u{FF27}OLD", "\u{FF47}old"),
    ] {
        diesel::sql_query(conn.sql(
            "INSERT INTO badges (id, title, title_key, slug, background_color, text_color, \
             position, created_at, updated_at) \
             VALUES (?, ?, ?, ?, '#000000', '#FFFFFF', 99, 4070908800000, 0)",
        ))
        .bind::<diesel::sql_types::Text, _>(format!("legacy-{old_key}"))
        .bind::<diesel::sql_types::Text, _>(title)
        .bind::<diesel::sql_types::Text, _>(old_key)
        .bind::<diesel::sql_types::Text, _>(format!("legacy-{}", title.len()))
        .execute(&mut conn)
        .expect("legacy row");
    }
    diesel::update(badges::table.filter(badges::title.eq("Silver")))
        .set(badges::title_key.eq("SILVER (old rule)"))
        .execute(&mut conn)
        .expect("old key");

    insignia::open_site(&app.database.as_str().into()).expect("reopens");
    let keys: Vec<(String, String)> = badges::table
        .select((badges::title, badges::title_key))
        .order(badges::created_at)
        .load(&mut conn)
        .expect("keys");
    let key_of = |title: &str| {
        keys.iter()
            .find(|(t, _)| t == title)
            .map(|(_, k)| k.clone())
            .unwrap_or_default()
    };
    assert_eq!(key_of("Founding Member"), "founding member");
    assert_eq!(key_of("Silver"), "silver");
    assert_eq!(key_of("Gold"), "gold");
    // The legacy twins clash with the older badges: they keep a key of their own that no
    // title can have, so nothing new can be added beside them either.
    for twin in ["Founding Member\u{200B}", "\u{FF27}OLD"] {
        let key = key_of(twin);
        assert!(key.contains('\u{FEFF}'), "{twin:?}: {key:?}");
    }
    assert_refused(
        &app,
        BadgeFields {
            title: "SILVER".into(),
            ..BadgeFields::titled("x")
        },
        "title",
        "already used",
    )
    .await;
    // Opening again changes nothing more.
    insignia::open_site(&app.database.as_str().into()).expect("reopens");
    let again: Vec<(String, String)> = badges::table
        .select((badges::title, badges::title_key))
        .order(badges::created_at)
        .load(&mut conn)
        .expect("keys");
    assert_eq!(again, keys);
}

#[tokio::test]
async fn hard_to_read_colours_are_saved_only_when_confirmed_and_errors_are_summed_up_on_top() {
    let app = spawn_app().await;
    app.setup_admin().await;
    // New badges start from colours that read well.
    let form = app.page("/dashboard/badges/new").await;
    assert_eq!(
        form.attr("#background_color", "value").as_deref(),
        Some("#4F46E5")
    );
    assert_eq!(
        form.attr("#text_color", "value").as_deref(),
        Some("#FFFFFF")
    );

    // White on gold (1.4:1): the editor asks first and saves nothing.
    let gold = BadgeFields {
        background_color: "#FFD700".into(),
        text_color: "#FFFFFF".into(),
        ..BadgeFields::titled("Gold")
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &gold)
        .await;
    let page = to_page(res).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text_of("#low_contrast-error").contains("1.4:1"),
        "{}",
        page.text_of("#low_contrast-error")
    );
    assert!(page.has("#error-summary a[href='#low_contrast_ok']"));
    assert!(page.has("input#low_contrast_ok[type=checkbox]:not([checked])"));
    assert!(app.badges().is_empty(), "nothing saved before the answer");

    // Confirmed, it is saved as chosen; editing it later does not ask again.
    let confirmed = BadgeFields {
        low_contrast_ok: true,
        ..gold.clone()
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &confirmed)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let saved = &app.badges()[0];
    assert_eq!(
        (saved.background_color.as_str(), saved.text_color.as_str()),
        ("#FFD700", "#FFFFFF")
    );
    let edit = app
        .page(&format!("/dashboard/badges/{}/edit", saved.id))
        .await;
    assert!(edit.has("input#low_contrast_ok[checked]"));

    // Several refused fields: the summary on top links to each, in form order.
    let broken = BadgeFields {
        title: " ".into(),
        text_color: "#FFF".into(),
        ..BadgeFields::titled("x")
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &broken)
        .await;
    let page = to_page(res).await;
    let links: Vec<String> = page
        .select("#error-summary li a")
        .iter()
        .map(|a| a.value().attr("href").unwrap_or_default().to_string())
        .collect();
    assert_eq!(links, ["#title", "#text_color"]);
    assert!(
        page.text_of("#error-summary")
            .contains("Title: must not be empty"),
        "{}",
        page.text_of("#error-summary")
    );
    assert_eq!(app.badges().len(), 1);
}

#[tokio::test]
async fn an_uploaded_line_icon_takes_the_badge_text_colour() {
    let app = spawn_app().await;
    app.setup_admin().await;
    // A Lucide-style icon: strokes in currentColor, which an <img> cannot inherit.
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><circle cx="12" cy="12" r="9"/><path d="M8 12h8" style="stroke: CurrentColor"/></svg>"##;
    let owl = BadgeFields {
        background_color: "#1E1B4B".into(),
        text_color: "#FDE68A".into(),
        file: Some(("owl.svg".into(), svg.to_vec())),
        ..BadgeFields::titled("Night Owl")
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &owl)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let badge = app.badges().remove(0);
    let public = app
        .new_visitor()
        .page(&format!("/badges/{}", badge.slug))
        .await;
    let src = public
        .attr("img.badge-icon", "src")
        .expect("the icon is drawn");
    assert_eq!(src, format!("{}?color=FDE68A", badge.icon));
    let served = app.get(&src).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert!(
        served.headers()["content-security-policy"]
            .to_str()
            .unwrap_or("")
            .contains("sandbox"),
        "still sandboxed"
    );
    let drawn = served.text().await.expect("svg");
    assert!(drawn.contains(r##"stroke="#FDE68A""##), "{drawn}");
    assert!(!drawn.to_lowercase().contains("currentcolor"), "{drawn}");
    // The stored file is unchanged, and a colour that is not one is refused.
    assert!(
        app.get(&badge.icon)
            .await
            .text()
            .await
            .expect("svg")
            .contains("currentColor")
    );
    for bad in ["zzzzzz", "FFF", "FDE68A;x", ""] {
        assert_eq!(
            app.get(&format!("{}?color={bad}", badge.icon))
                .await
                .status(),
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}
