//! `insignia backup`: a copy of a live SQLite site, taken while it serves, that a new server
//! opens as the site; an existing file is kept unless `--force`; a copy made during a bulk
//! change holds all of it or none of it. On PostgreSQL the command prints the `pg_dump` to use.
//! These run on SQLite whichever database the other tests use (scripts/test.sh leaves them out
//! of the PostgreSQL pass).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Instant;

use diesel::prelude::*;
use insignia::db::schema::{badges, member_badges, members};
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app_on, sqlite_database};

fn backup(database: &str, to: &Path, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["backup", "--database", database, "--to"])
        .arg(to)
        .args(extra)
        .output()
        .expect("run insignia backup")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The holders of the badge `id` in a SQLite file: its stored count and its rows.
fn holders_in(file: &Path, id: &str) -> (i64, i64) {
    let mut conn = SqliteConnection::establish(&file.to_string_lossy()).expect("open the copy");
    let (key, stored): (i64, i64) = badges::table
        .filter(badges::id.eq(id))
        .select((badges::key, badges::member_count))
        .first(&mut conn)
        .expect("the badge is in the copy");
    let rows: i64 = member_badges::table
        .filter(member_badges::badge_key.eq(key))
        .count()
        .get_result(&mut conn)
        .expect("rows");
    (stored, rows)
}

async fn live_site(members: usize, assignments: usize) -> TestApp {
    let app = spawn_app_on(sqlite_database(), |_| {}).await;
    app.demo_then_owner(members, assignments).await;
    app
}

#[tokio::test]
async fn a_copy_of_a_live_site_is_a_site_a_new_server_serves() {
    let app = live_site(300, 900).await;
    let badge = app.create_badge("Lighthouse Keeper").await;
    let member = app.create_member("Ada Lovelace", "ada@example.com").await;
    let res = app
        .submit(
            &format!("/dashboard/badges/{badge}"),
            &format!("/dashboard/badges/{badge}/members"),
            &[("bulk", "ada@example.com"), ("action", "assign")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let restored = sqlite_database();
    let to = Path::new(&restored.database()).to_path_buf();
    let out = backup(&app.database, &to, &[]);
    let said = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(said.contains("integrity ok"), "{said}");
    assert!(
        said.contains("stored counts equal to the rows") && said.contains("301 members"),
        "{said}"
    );
    assert!(
        said.contains("member_badges") && said.contains("901 rows"),
        "{said}"
    );
    assert!(said.contains("insignia serve --database"), "{said}");
    let mode = std::fs::metadata(&to)
        .expect("the copy")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the copy is readable by its owner only"
    );
    let leftovers: Vec<_> = std::fs::read_dir(to.parent().expect("dir"))
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "no partial file left: {leftovers:?}");

    // The original goes on changing; the copy is the site as it was.
    let res = app
        .submit(
            &format!("/dashboard/members/{member}"),
            &format!("/dashboard/members/{member}/badges/remove"),
            &[("badge_id", &badge)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // A new server opens the copy as the site: the badge, its holder, the admin's password.
    let copy = spawn_app_on(restored, |_| {}).await;
    let page = copy.page(&format!("/badges/{}", "lighthouse-keeper")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Lighthouse Keeper"), "{}", page.text);
    assert!(page.text.contains("Ada Lovelace"), "{}", page.text);
    let res = copy
        .sign_in(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    assert_eq!(
        location(&res),
        "/dashboard/badges",
        "the owner signs in on the copy"
    );
    assert_eq!(copy.member_count(), 301);
    assert_eq!(copy.assignments().len(), 901);
    copy.assert_counts_exact();
    assert_eq!(
        app.assignments().len(),
        900,
        "the original changed meanwhile"
    );
}

fn location(res: &reqwest::Response) -> String {
    crate::helpers::location(res)
}

#[tokio::test]
async fn an_existing_file_is_kept_unless_force_is_given() {
    let app = live_site(50, 100).await;
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("site.db");
    std::fs::write(&to, "yesterday's backup").expect("write");

    let out = backup(&app.database, &to, &[]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("already exists") && said.contains("--force"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(&to).expect("still there"),
        "yesterday's backup"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);

    // A database that is not there is not created by asking for its backup.
    let missing = dir.path().join("nothing.db");
    let out = backup(&missing.to_string_lossy(), &dir.path().join("b.db"), &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("there is no database"),
        "{out:?}"
    );
    assert!(!missing.exists() && !dir.path().join("b.db").exists());

    // Nor is the database backed up onto itself, even with --force.
    let out = backup(&app.database, Path::new(&app.database), &["--force"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("the database itself"), "{out:?}");
    assert_eq!(app.member_count(), 50);

    let out = backup(&app.database, &to, &["--force"]);
    assert!(out.status.success(), "{out:?}");
    let mut conn = SqliteConnection::establish(&to.to_string_lossy()).expect("a database");
    let copied: i64 = members::table
        .count()
        .get_result(&mut conn)
        .expect("members");
    assert_eq!(copied, 50);
}

#[tokio::test]
async fn a_copy_made_during_a_bulk_change_holds_all_of_it_or_none() {
    const LINES: usize = 50_000;
    let app = live_site(LINES, 0).await;
    let badge = app.create_badge("Witness Of The Copy").await;
    let emails: Vec<String> = members::table
        .select(members::email)
        .order(members::key)
        .load(&mut app.db())
        .expect("emails");
    assert_eq!(emails.len(), LINES);
    let page = format!("/dashboard/badges/{badge}");
    let token = app.page(&page).await.csrf_token();
    let bulk = emails.join("\n");

    let started = Instant::now();
    let change = {
        let (client, url) = (app.client.clone(), app.url(&format!("{page}/members")));
        tokio::spawn(async move {
            let res = client
                .post(url)
                .form(&[
                    ("bulk", bulk.as_str()),
                    ("action", "assign"),
                    ("csrf_token", &token),
                ])
                .send()
                .await
                .expect("the bulk change");
            (res.status(), started.elapsed())
        })
    };
    // Copies one after another until the change has answered, and one more after it.
    let dir = tempfile::tempdir().expect("dir");
    let mut copies = Vec::new();
    loop {
        let answered = change.is_finished();
        let to = dir.path().join(format!("copy-{}.db", copies.len()));
        let database = app.database.clone();
        let (out, to) = tokio::task::spawn_blocking(move || (backup(&database, &to, &[]), to))
            .await
            .expect("backup");
        assert!(out.status.success(), "{out:?}");
        copies.push((to, started.elapsed()));
        if answered {
            break;
        }
    }
    let (status, answered_after) = change.await.expect("the bulk change");
    assert_eq!(status, StatusCode::SEE_OTHER);

    let mut during = 0;
    for (copy, ended) in &copies {
        let (stored, rows) = holders_in(copy, &badge);
        assert!(
            rows == 0 || rows == LINES as i64,
            "a copy holds part of the change: {rows} of {LINES}"
        );
        assert_eq!(stored, rows, "the copy's stored count equals its rows");
        if *ended < answered_after {
            during += 1;
        }
    }
    assert!(
        during >= 1,
        "at least one copy was finished before the change answered ({} copies, change \
         answered after {answered_after:?})",
        copies.len()
    );
    let (_, last) = copies
        .last()
        .map(|(c, _)| holders_in(c, &badge))
        .expect("a copy");
    assert_eq!(
        last, LINES as i64,
        "the copy made after the change holds it all"
    );
}

#[test]
fn on_postgresql_it_prints_the_pg_dump_to_use_without_the_password() {
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("site.dump");
    let out = backup(
        "postgres://insignia:hunter2secret@db.example:5432/site",
        &to,
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let said = text(&out.stdout);
    assert!(
        said.contains("pg_dump --format=custom")
            && said.contains("postgres://insignia@db.example:5432/site"),
        "{said}"
    );
    assert!(said.contains("pg_restore"), "{said}");
    assert!(!said.contains("hunter2") && !text(&out.stderr).contains("hunter2"));
    assert!(!to.exists(), "nothing is written: pg_dump writes the file");
}
