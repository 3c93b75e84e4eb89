//! `insignia demo` fills a database whose counts are exact and whose search works.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_demo_loads_members_and_assignments_with_exact_counts() {
    let app = spawn_app().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args([
            "demo",
            "--members",
            "500",
            "--assignments",
            "1800",
            "--database",
            &app.database,
        ])
        .output()
        .expect("run demo");
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
    let password = text
        .lines()
        .find_map(|l| l.split("password ").nth(1))
        .expect("password printed")
        .trim()
        .to_string();
    assert_eq!(
        app.sign_in("admin@example.com", &password).await.status(),
        reqwest::StatusCode::SEE_OTHER
    );
}
