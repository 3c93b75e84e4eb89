//! CSV import from the dashboard and the command line.

use reqwest::StatusCode;

use crate::helpers::{Page, TestApp, postgres_server, spawn_app};

pub async fn import(app: &TestApp, csv: &str, action: &str, as_file: bool) -> Page {
    let token = app.page("/dashboard/members/import").await.csrf_token();
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("action", action.to_string());
    form = if as_file {
        let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
            .file_name("members.csv")
            .mime_str("text/csv")
            .expect("mime");
        form.part("csv_file", part)
    } else {
        form.text("csv_text", csv.to_string())
    };
    let res = app
        .client
        .post(app.url("/dashboard/members/import"))
        .multipart(form)
        .send()
        .await
        .expect("request");
    // A report is the page the answer leads to (Post/Redirect/Get); a refusal is the answer.
    app.followed(res).await
}

#[tokio::test]
async fn a_dry_run_reports_each_row_and_confirming_imports_in_one_go() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_member("Existing One", "existing@example.com")
        .await;
    let csv = "name,email\nAda Lovelace,ada@example.com\nAlan Turing,alan@example.com\nDup,EXISTING@example.com\n,nameless@example.com\nBad Mail,not-mail\n";

    let dry = import(&app, csv, "dry_run", true).await;
    assert_eq!(dry.status, StatusCode::OK);
    assert!(
        dry.text_of("#import-report .summary")
            .contains("2 would be created")
    );
    assert!(
        dry.text_of("#import-report .summary")
            .contains("1 already exists")
    );
    assert!(dry.text_of("#import-report .summary").contains("2 invalid"));
    let rows: Vec<String> = dry
        .select("#import-report tbody tr")
        .iter()
        .map(|r| r.text().collect())
        .collect();
    assert!(
        rows[0].starts_with('4') && rows[0].contains("already exists"),
        "{rows:?}"
    );
    assert!(rows[1].contains("invalid: name must not be empty"));
    assert!(rows[2].contains("invalid: email"));
    assert_eq!(app.member_count(), 1, "a dry run writes nothing");

    // The confirm button carries the checked rows, kept on the server.
    assert!(
        dry.attr("#import-report input[name=plan]", "value")
            .is_some()
    );
    assert!(dry.attr("#import-report a[download]", "href").is_some());
    let done = import(&app, csv, "import", false).await;
    assert!(
        done.text_of("#import-report .summary")
            .contains("2 created")
    );
    assert_eq!(app.member_count(), 3);
    assert!(app.audit_actions().contains(&"member.import".to_string()));
    // Importing the same file again creates nobody.
    let again = import(&app, csv, "import", false).await;
    assert!(
        again
            .text_of("#import-report .summary")
            .contains("0 created")
    );
    assert_eq!(app.member_count(), 3);
}

#[tokio::test]
async fn lines_with_invisible_names_are_reported_and_not_imported() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let csv = "name,email\n\u{115F},filler@example.com\nAda\u{180E},mvs@example.com\n\u{2800}\u{2800},braille@example.com\nEve\u{E0065}\u{E007F},tags@example.com\nGrace Hopper,grace@example.com\n";
    let dry = import(&app, csv, "dry_run", true).await;
    assert_eq!(dry.status, StatusCode::OK);
    assert!(dry.text_of("#import-report .summary").contains("4 invalid"));
    let rows: Vec<String> = dry
        .select("#import-report tbody tr")
        .iter()
        .map(|r| r.text().collect())
        .collect();
    for (row, line, found) in [
        (0, '2', "found U+115F"),
        (1, '3', "found U+180E"),
        (2, '4', "must contain at least one visible character"),
        (3, '5', "found U+E0065"),
    ] {
        assert!(
            rows[row].starts_with(line)
                && rows[row].contains("invalid: name")
                && rows[row].contains(found),
            "{rows:?}"
        );
    }
    let done = import(&app, csv, "import", false).await;
    assert!(
        done.text_of("#import-report .summary")
            .contains("1 created")
    );
    assert_eq!(app.member_count(), 1, "only the good line is imported");
    assert!(
        insignia::members::find_by_email(&mut app.db(), "grace@example.com")
            .expect("db")
            .is_some()
    );
}

#[tokio::test]
async fn malformed_or_oversized_files_are_refused_whole() {
    let app = spawn_app().await;
    app.setup_admin().await;
    for (csv, message) in [
        (
            "mail,full name\nada@example.com,Ada\n",
            "with name and email among them",
        ),
        (
            "name,email\nAda,ada@example.com\nAlan,alan@example.com,extra\n",
            "Line 3",
        ),
        ("", "empty"),
    ] {
        let page = import(&app, csv, "import", true).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{csv}");
        assert!(
            page.text_of("#import-error").contains(message),
            "{}",
            page.text_of("#import-error")
        );
        assert_eq!(app.member_count(), 0);
    }
    let big = format!(
        "name,email\n{}",
        (0..50_001)
            .map(|i| format!("Person {i},p{i}@example.com\n"))
            .collect::<String>()
    );
    let page = import(&app, &big, "import", true).await;
    assert!(
        page.text_of("#import-error")
            .contains("more than 50000 rows")
    );
    assert_eq!(app.member_count(), 0);
}

#[tokio::test]
async fn importing_needs_an_elevated_session_but_a_dry_run_does_not() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.end_elevation().await;
    let csv = "name,email\nAda,ada@example.com\n";
    assert_eq!(
        import(&app, csv, "dry_run", false).await.status,
        StatusCode::OK
    );
    let token = app.page("/dashboard/members/import").await.csrf_token();
    let res = app
        .client
        .post(app.url("/dashboard/members/import"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf_token", token)
                .text("action", "import")
                .text("csv_text", csv),
        )
        .send()
        .await
        .expect("request");
    assert!(crate::helpers::location(&res).starts_with("/dashboard/elevate"));
    assert_eq!(app.member_count(), 0);
}

#[tokio::test]
async fn the_command_line_imports_a_file() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("people.csv");
    std::fs::write(&file, "name,email\nAda,ada@example.com\nBad,nope\n").expect("write");
    let run = |dry: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_insignia"));
        cmd.args(["members", "import"])
            .arg(&file)
            .args(["--database", &app.database]);
        if dry {
            cmd.arg("--dry-run");
        }
        cmd.output().expect("run")
    };
    let dry = run(true);
    assert!(String::from_utf8_lossy(&dry.stdout).contains("1 would be created"));
    assert_eq!(app.member_count(), 0);
    let out = run(false);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("line 3: invalid") && text.contains("1 created"),
        "{text}"
    );
    assert_eq!(app.member_count(), 1);
}

#[tokio::test]
async fn a_row_with_a_nul_is_reported_by_its_line_and_the_rest_imports() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let csv = "name,email\nNul\u{0}Name,nul@example.com\nGrace Hopper,grace@example.com\nBell,be\u{7}ll@example.com\n";
    for as_file in [true, false] {
        let dry = import(&app, csv, "dry_run", as_file).await;
        assert_eq!(dry.status, StatusCode::OK, "as file: {as_file}");
        let rows: Vec<String> = dry
            .select("#import-report tbody tr")
            .iter()
            .map(|r| r.text().collect())
            .collect();
        assert!(
            rows.iter()
                .any(|r| r.starts_with('2') && r.contains("U+0000")),
            "{rows:?}"
        );
        assert!(
            rows.iter()
                .any(|r| r.starts_with('4') && r.contains("invalid: email")),
            "{rows:?}"
        );
        assert!(
            dry.text_of("#import-report .summary")
                .contains("1 would be created")
        );
    }
    assert_eq!(app.member_count(), 0, "a dry run writes nothing");
    // The dry run's "Import" button applies the rows it kept, NUL line and all.
    let dry = import(&app, csv, "dry_run", true).await;
    let plan = dry
        .attr("#import-report input[name=plan]", "value")
        .expect("the rows are kept to apply");
    let token = dry.csrf_token();
    let res = app
        .client
        .post(app.url("/dashboard/members/import"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf_token", token)
                .text("action", "import")
                .text("plan", plan),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "Post/Redirect/Get");
    let report_address = crate::helpers::location(&res);
    let done = app.followed(res).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(
        done.text_of("#import-report .summary")
            .contains("1 created")
    );
    assert!(done.text_of("#import-report").contains("control character"));
    assert_eq!(app.member_count(), 1, "Grace, and only Grace");
    // The report's address shows it again (a reload) and imports nothing more.
    let again = app.page(&report_address).await;
    assert!(
        again
            .text_of("#import-report .summary")
            .contains("1 created")
    );
    assert_eq!(app.member_count(), 1);
    assert!(
        insignia::members::find_by_email(&mut app.db(), "grace@example.com")
            .unwrap()
            .is_some()
    );
}

/// `count` new people as an import file.
fn people(count: usize, prefix: &str) -> String {
    let mut csv = String::from("name,email\n");
    for i in 0..count {
        csv.push_str(&format!("{prefix} {i},{prefix}.{i}@example.com\n"));
    }
    csv
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn a_large_import_on_postgresql_leaves_the_members_table_analyzed() {
    assert!(
        postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let app = spawn_app().await;
    app.setup_admin().await;
    assert_eq!(app.last_analyzed("members"), None);
    // From the dashboard.
    let done = import(&app, &people(1_000, "dash"), "import", true).await;
    assert!(
        done.text_of("#import-report .summary")
            .contains("1,000 created"),
        "{}",
        done.text
    );
    let after_dashboard = app
        .last_analyzed("members")
        .expect("members analyzed after a 1,000-row import from the dashboard");
    // From the command line: analyzed again, later.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("people.csv");
    std::fs::write(&file, people(1_000, "cli")).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["members", "import"])
        .arg(&file)
        .args(["--database", &app.database])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(app.member_count(), 2_000);
    let after_cli = app.last_analyzed("members").expect("analyzed");
    assert!(
        after_cli > after_dashboard,
        "the command line's import analyzed again: {after_dashboard} then {after_cli}"
    );
}

/// Each member's badge titles, by e-mail, as the database holds them.
fn badges_by_member(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let badges = app.badges();
    let mut out: Vec<(String, Vec<String>)> =
        insignia::members::search::members(&mut app.db(), "", None, 100)
            .expect("members")
            .into_iter()
            .map(|hit| {
                let held = app.assignments();
                let mut titles: Vec<String> = held
                    .iter()
                    .filter(|(_, m)| *m == hit.member.id.as_str())
                    .filter_map(|(b, _)| {
                        badges
                            .iter()
                            .find(|x| x.id.as_str() == b)
                            .map(|x| x.title.clone())
                    })
                    .collect();
                titles.sort();
                (hit.member.email, titles)
            })
            .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_members_export_imports_into_another_site_with_each_members_badges() {
    // The site members move from: a title with the export's separator in it.
    let from = spawn_app().await;
    from.setup_admin().await;
    let gold = from.create_badge("Gold").await;
    let qa = from.create_badge("Q&A; answers").await;
    let silver = from.create_badge("Silver").await;
    let ada = from.create_member("Ada Lovelace", "ada@example.com").await;
    let alan = from.create_member("Alan Turing", "alan@example.com").await;
    from.create_member("Grace Hopper", "grace@example.com")
        .await;
    for (badge, member) in [(&gold, &ada), (&qa, &ada), (&silver, &alan), (&gold, &alan)] {
        let page = format!("/dashboard/badges/{badge}");
        from.submit(&page, &format!("{page}/members"), &[("member_id", member)])
            .await;
    }
    let export = from
        .get("/dashboard/members/export.csv")
        .await
        .text()
        .await
        .expect("export");
    assert!(export.contains("Q&A;; answers"), "{export}");

    // The site they move to has Gold and the Q&A badge (titles compare as titles do), no
    // Silver, and Alan already.
    let to = spawn_app().await;
    to.setup_admin().await;
    to.create_badge("Gold").await;
    to.create_badge("q&a; ANSWERS").await;
    to.create_member("Alan T.", "alan@example.com").await;

    let dry = import(&to, &export, "dry_run", true).await;
    let summary = dry.text_of("#import-report .summary");
    let summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        summary.contains("2 would be created · 1 already exists · 0 invalid · 3 badges to give · 1 badge title not given"),
        "{summary}"
    );
    let rows = dry.text_of("#import-report tbody");
    assert!(rows.contains("no badge is called “Silver”"), "{rows}");
    assert!(to.assignments().is_empty(), "a dry run writes nothing");

    let done = import(&to, &export, "import", true).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(
        badges_by_member(&to),
        [
            (
                "ada@example.com".to_string(),
                vec!["Gold".to_string(), "q&a; ANSWERS".to_string()]
            ),
            ("alan@example.com".to_string(), vec!["Gold".to_string()]),
            ("grace@example.com".to_string(), vec![]),
        ]
    );
    to.assert_counts_exact();
    // The full report names each row's badges and the one not given.
    let href = done
        .attr("#import-report a[download]", "href")
        .expect("report");
    let csv = to.get(&href).await.text().await.expect("csv");
    assert!(csv.starts_with("line,name,email,badges,result\n"), "{csv}");
    assert!(csv.contains("no badge is called “Silver”"), "{csv}");
}

#[tokio::test]
async fn a_control_character_in_the_badges_column_is_reported_not_stored() {
    let app = spawn_app().await;
    app.setup_admin().await;
    app.create_badge("Gold").await;
    let csv = "name,email,badges\nAda Lovelace,ada@example.com,Go\u{0}ld; Gold\n";
    for action in ["dry_run", "import"] {
        let page = import(&app, csv, action, true).await;
        assert_eq!(page.status, StatusCode::OK, "{action}: {}", page.text);
        let rows = page.text_of("#import-report tbody");
        assert!(rows.contains("no badge is called “Go\u{FFFD}ld”"), "{rows}");
    }
    assert_eq!(
        badges_by_member(&app),
        [("ada@example.com".to_string(), vec!["Gold".to_string()])]
    );
}
