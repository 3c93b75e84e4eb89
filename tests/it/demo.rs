//! `insignia demo` fills an empty database whose counts are exact and whose search works, and
//! refuses a database that holds a site.

use crate::helpers::{TestApp, demo_password, postgres_server, run_demo, spawn_app};

/// What a demo would add to: admins (with their passwords), badges, members, assignments and
/// audit entries.
fn site_rows(app: &TestApp) -> (Vec<(String, String)>, Vec<String>, i64, usize, usize) {
    use diesel::prelude::*;
    use insignia::db::schema::admins;
    let admins: Vec<(String, String)> = admins::table
        .select((admins::email, admins::password_hash))
        .order(admins::email)
        .load(&mut app.db())
        .expect("admins");
    (
        admins,
        app.badge_titles(),
        app.member_count(),
        app.assignments().len(),
        app.audit_actions().len(),
    )
}

#[tokio::test]
async fn the_demo_loads_members_and_assignments_with_exact_counts() {
    let app = spawn_app().await;
    let out = run_demo(&app, "500", "1800");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("13 badges, 500 new members, 1800 new assignments"),
        "{text}"
    );
    assert_eq!(app.member_count(), 500);
    assert_eq!(app.assignments().len(), 1800);
    app.assert_counts_exact();
    // Members joined in key order over the past year, so the dashboard's "newest first" (by
    // key) lists the latest join first and goes back in time; none joined after a badge.
    {
        use diesel::prelude::*;
        use insignia::db::schema::{member_badges, members};
        let joined: Vec<i64> = members::table
            .order(members::key.desc())
            .select(members::created_at)
            .load(&mut app.db())
            .expect("join dates");
        assert!(
            joined.windows(2).all(|w| w[0] > w[1]),
            "join dates fall down the newest-first list"
        );
        let now = insignia::clock::now_millis();
        let day = 86_400_000;
        assert!(now - joined[0] < day, "the newest member joined today");
        assert!(
            now - joined[joined.len() - 1] > 300 * day,
            "the first member joined about a year ago"
        );
        let early: i64 = member_badges::table
            .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
            .filter(member_badges::assigned_at.lt(members::created_at))
            .count()
            .get_result(&mut app.db())
            .expect("assignments before joining");
        assert_eq!(early, 0, "no badge was given before its member joined");
    }
    // Popular badges are held by many, rare ones by few.
    let counts: Vec<i64> = app.badges().iter().map(|b| b.member_count).collect();
    assert!(
        counts.iter().max() > counts.iter().min().map(|m| m * 3).as_ref(),
        "{counts:?}"
    );
    // The search index was rebuilt: a substring finds members.
    let hits = insignia::members::search::members(&mut app.db(), "love", None, 5).expect("search");
    assert!(!hits.is_empty());
    // And the bulk load left the schema as the migrations made it: a new member is searchable.
    let new =
        insignia::members::NewMember::parse("Zelda Quux", "zelda@example.com").expect("valid");
    insignia::members::create(&mut app.db(), &insignia::audit::Actor::system(), &new)
        .expect("create");
    let hits = insignia::members::search::members(&mut app.db(), "quux", None, 5).expect("search");
    assert_eq!(hits.len(), 1);
    // The printed admin password works.
    assert_eq!(
        app.sign_in("admin@example.com", &demo_password(&out))
            .await
            .status(),
        reqwest::StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_demo_refuses_a_database_holding_an_admin_a_badge_or_a_member() {
    for holds in ["an admin", "a badge", "a member"] {
        let app = spawn_app().await;
        match holds {
            "an admin" => app.setup_admin().await,
            "a badge" => {
                let input = insignia::badges::BadgeInput {
                    title: "Gold".to_string(),
                    background_color: "#1F2A44".to_string(),
                    text_color: "#FFFFFF".to_string(),
                    icon: "star".to_string(),
                    ..Default::default()
                };
                insignia::badges::store::create(
                    &mut app.db(),
                    &insignia::audit::Actor::system(),
                    &input.parse().expect("valid"),
                    None,
                )
                .expect("badge");
            }
            _ => {
                let new = insignia::members::NewMember::parse("Real Person", "real@example.com")
                    .expect("valid");
                insignia::members::create(&mut app.db(), &insignia::audit::Actor::system(), &new)
                    .expect("member");
            }
        }
        let before = site_rows(&app);
        let out = run_demo(&app, "50", "100");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "holding {holds}: {out:?}");
        // The database is named as the user gave it, a PostgreSQL password left out.
        let named = insignia::db::Location::parse(&app.database).to_string();
        assert!(said.contains(&named), "holding {holds}: {said}");
        assert!(said.contains("nothing was changed"), "{said}");
        if let insignia::db::Location::Postgres(url) = insignia::db::Location::parse(&app.database)
            && named != url
        {
            assert!(!said.contains(&url), "the password is not shown: {said}");
        }
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "",
            "no sign-in is printed"
        );
        assert_eq!(site_rows(&app), before, "holding {holds}: nothing changed");
    }
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn the_demo_on_postgresql_leaves_the_tables_it_filled_analyzed() {
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let app = spawn_app().await;
    let out = run_demo(&app, "2000", "6000");
    assert!(out.status.success(), "{out:?}");
    for table in ["admins", "badges", "members", "member_badges", "audit_log"] {
        assert!(
            app.last_analyzed(table).is_some(),
            "{table} was not analyzed after the demo's load"
        );
    }
}

#[test]
fn every_command_says_what_it_does() {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
            .args(args)
            .output()
            .expect("run insignia");
        assert!(out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let top = help(&["--help"]);
    let line = |name: &str| {
        top.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{top}"))
            .to_string()
    };
    assert!(line("migrate").contains("Copy a whole site"), "{top}");
    assert!(line("members").contains("Manage members"), "{top}");
    assert!(line("admin").contains("Manage admin accounts"), "{top}");
    assert!(line("demo").contains("demo site"), "{top}");
    assert!(line("serve").contains("web server"), "{top}");
    let migrate = help(&["migrate", "--help"]);
    assert!(migrate.contains("INSIGNIA_MIGRATE_TO"), "{migrate}");
    let serve = help(&["serve", "--help"]);
    for flag in [
        "--trusted-proxies",
        "INSIGNIA_TRUSTED_PROXIES",
        "--signups-per-hour",
        "--member-changes-per-minute",
    ] {
        assert!(serve.contains(flag), "{flag} in:\n{serve}");
    }
    // A database URL in the environment is never echoed, password and all.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["serve", "--help"])
        .env("INSIGNIA_DATABASE", "postgres://u:s3cret@db.example/x")
        .output()
        .expect("run insignia");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
}
