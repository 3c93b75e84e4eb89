//! Mail through a real SMTP server (aiosmtpd, `tests/it/smtp.rs`): password resets for members
//! and admins, the outbox that loses nothing when the SMTP server or Insignia is down, the
//! mail log, and what the pages say when mail is off.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, fresh_database, location, serve_binary_logged,
    spawn_app_on, spawn_app_with, to_page,
};
use crate::smtp::{SmtpServer, free_port, header, link};

const MEMBER_PASSWORD: &str = "member password 1";
const NEW_PASSWORD: &str = "a brand new password";

/// Mail on, through `smtp_url`, from the site's own sender; quick retries for tests.
fn mail_on(smtp_url: &str) -> insignia::mail::Settings {
    let mut mail = insignia::mail::Settings::new(
        insignia::mail::SmtpUrl::parse(smtp_url).expect("SMTP URL"),
        insignia::mail::MailFrom::parse("Badge Club <badges@club.example.org>").expect("from"),
    );
    mail.retry_unit = Duration::from_millis(100);
    mail.timeout = Duration::from_secs(5);
    // Badge mail gathers for a second instead of half a minute.
    mail.gather = Duration::from_secs(1);
    mail
}

async fn app_mailing_to(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    let app = spawn_app_with(|s| s.mail = Some(mail_on(&url))).await;
    app.set_up_elsewhere().await;
    app
}

async fn sign_up(app: &TestApp, name: &str, email: &str) {
    let res = app
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", name),
                ("email", email),
                ("password", MEMBER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&res), "/me", "signed up");
}

/// Signs up with mail on in `browser`: the confirmation mail arrives and its link is
/// followed, then the SMTP server forgets it, so the test counts its own mails.
async fn sign_up_confirmed(browser: &TestApp, smtp: &SmtpServer, name: &str, email: &str) {
    sign_up(browser, name, email).await;
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"][0], email);
    let res = confirm(
        browser,
        &link(&mail, &format!("{}/confirm-email/", browser.address)),
    )
    .await;
    assert_eq!(location(&res), "/me", "{email} confirmed");
    smtp.forget();
}

/// Follows a confirmation link from a mail in `browser`: its page, then its button.
async fn confirm(browser: &TestApp, link: &str) -> reqwest::Response {
    let path = path_of(browser, link);
    browser.submit(&path, &path, &[]).await
}

async fn member_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.submit(
        "/login",
        "/login",
        &[("email", email), ("password", password)],
    )
    .await
}

async fn ask_for_reset(app: &TestApp, page: &str, email: &str) -> reqwest::Response {
    app.submit(page, page, &[("email", email)]).await
}

/// The path of a link in a mail, checked to be an absolute link to this app.
fn path_of(app: &TestApp, link: &str) -> String {
    link.strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{link} is not on {}", app.address))
        .to_string()
}

/// Follows a set-password link from a mail in `browser` and chooses [`NEW_PASSWORD`].
async fn choose_password(browser: &TestApp, link: &str) -> reqwest::Response {
    let path = path_of(browser, link);
    browser
        .submit(
            &path,
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await
}

fn waiting_mails(app: &TestApp) -> i64 {
    insignia_core::mail::outbox::waiting(&mut app.db()).expect("count")
}

#[tokio::test]
async fn a_member_who_forgot_their_password_chooses_a_new_one_from_a_mail() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let ada = app.new_visitor();
    sign_up_confirmed(&ada, &smtp, "Ada Lovelace", "ada@example.com").await;

    // Someone (Ada, on another device) asks; and someone asks for an address with no account.
    let visitor = app.new_visitor();
    let login = visitor.page("/login").await;
    assert_eq!(
        login.attr("#forgot a", "href").as_deref(),
        Some("/forgot-password")
    );
    let known = ask_for_reset(&visitor, "/forgot-password", "Ada@Example.com").await;
    assert_eq!(known.status(), StatusCode::OK);
    let known = to_page(known).await.text_of("#sent");
    let unknown = ask_for_reset(&visitor, "/forgot-password", "nobody@example.com").await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let unknown = to_page(unknown).await.text_of("#sent");
    assert_eq!(
        known.replace("Ada@Example.com", "X"),
        unknown.replace("nobody@example.com", "X"),
        "the same answer whether or not the address has an account"
    );

    let mails = smtp.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        smtp.received().len(),
        1,
        "one mail: none for the unknown address"
    );
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["ada@example.com"]));
    assert_eq!(mail["mail_from"], "badges@club.example.org");
    assert_eq!(
        header(mail, "From").as_deref(),
        Some("Badge Club <badges@club.example.org>")
    );
    assert_eq!(
        header(mail, "To").as_deref(),
        Some("Ada Lovelace <ada@example.com>")
    );
    assert!(header(mail, "Subject").is_some_and(|s| s.contains("new password")));
    assert!(header(mail, "Date").is_some());
    assert!(
        header(mail, "Message-ID").is_some_and(|id| id.ends_with("@club.example.org>")),
        "{mail:#?}"
    );
    assert_eq!(mail["content_type"], "multipart/alternative");
    let reset = link(mail, &format!("{}/set-password/", app.address));
    let html = mail["html"].as_str().expect("an HTML part");
    assert!(html.contains(&format!("href=\"{reset}\"")), "{html}");
    assert!(!html.contains("<script"), "no script in mail");

    // Ada follows the link on her other device and chooses a new password.
    let path = path_of(&app, &reset);
    let form = visitor.page(&path).await;
    assert!(form.text_of("body").contains("Ada Lovelace"));
    let res = choose_password(&visitor, &reset).await;
    assert_eq!(location(&res), "/login");
    // The link works once; her session elsewhere ended; the new password works, the old not.
    assert_eq!(visitor.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert!(location(&ada.get("/me").await).starts_with("/login"));
    assert_eq!(
        member_login(&app.new_visitor(), "ada@example.com", MEMBER_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        location(&member_login(&visitor, "ada@example.com", NEW_PASSWORD).await),
        "/"
    );
}

#[tokio::test]
async fn reset_requests_are_budgeted_per_address_and_per_client_without_telling_who_exists() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    sign_up_confirmed(&app.new_visitor(), &smtp, "Ada Lovelace", "ada@example.com").await;
    // Three mails an hour reach one inbox, whoever asks; the fourth request looks the same.
    for n in 0..4 {
        let from = app.visitor_from(&format!("127.0.0.{}", 10 + n));
        let res = ask_for_reset(&from, "/forgot-password", "ada@example.com").await;
        assert_eq!(res.status(), StatusCode::OK, "request {n}");
        assert!(to_page(res).await.has("#sent"));
    }
    smtp.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.received().len(), 3, "no fourth mail within the hour");
    // Twenty requests an hour from one network, for any addresses; then a wait.
    let client = app.visitor_from("127.0.0.50");
    for n in 0..20 {
        let res = ask_for_reset(&client, "/forgot-password", &format!("x{n}@example.com")).await;
        assert_eq!(res.status(), StatusCode::OK, "request {n}");
    }
    let refused = ask_for_reset(&client, "/forgot-password", "ada@example.com").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // A typo is said beside the field, and what was typed is kept.
    let typo = ask_for_reset(&app.visitor_from("127.0.0.60"), "/forgot-password", "ada@").await;
    assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let typo = to_page(typo).await;
    assert!(typo.has("#email-error"));
    assert_eq!(typo.attr("#email", "value").as_deref(), Some("ada@"));
    assert_eq!(smtp.received().len(), 3);
}

#[tokio::test]
async fn an_admin_resets_their_password_by_mail_and_the_log_can_send_it_again() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let login = app.page("/dashboard/login").await;
    assert_eq!(
        login.attr("#forgot a", "href").as_deref(),
        Some("/dashboard/forgot-password")
    );
    let res = ask_for_reset(&app, "/dashboard/forgot-password", ADMIN_EMAIL).await;
    assert!(to_page(res).await.has("#sent"));
    let first = link(
        &smtp.wait_for(1).await[0],
        &format!("{}/dashboard/set-password/", app.address),
    );

    // The owner (signed in elsewhere) sees it in the mail log and sends it again: a new
    // link, and the first one stops working.
    let owner = app.new_visitor();
    owner.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // The SMTP server took it a moment before the sender records so.
    let started = std::time::Instant::now();
    let (log, row) = loop {
        let log = owner.page("/dashboard/mail").await;
        let row = log.select(".mail-log tbody tr")[0]
            .attr("id")
            .expect("row id")
            .to_string();
        let row_text = log.text_of(&format!("#{row}"));
        assert!(row_text.contains(ADMIN_EMAIL), "{row_text}");
        if row_text.contains("Sent") {
            break (log, row);
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{row_text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(log.text_of("#mail-status").contains("Mail is on"));
    assert!(!log.has("#mail-off"));
    let id = row.trim_start_matches("mail-");
    let res = owner
        .submit(
            "/dashboard/mail",
            &format!("/dashboard/mail/{id}/send-again"),
            &[],
        )
        .await;
    assert_eq!(location(&res), "/dashboard/mail");
    let mails = smtp.wait_for(2).await;
    let second = link(
        &mails[1],
        &format!("{}/dashboard/set-password/", app.address),
    );
    assert_ne!(first, second);
    assert_ne!(
        header(&mails[0], "Message-ID"),
        header(&mails[1], "Message-ID"),
        "sent again is a new message"
    );
    assert_eq!(
        app.get(&path_of(&app, &first)).await.status(),
        StatusCode::NOT_FOUND,
        "the first link ended"
    );
    let res = choose_password(&app, &second).await;
    assert_eq!(location(&res), "/dashboard/login");
    // Using it ended the owner's other session; the new password signs in.
    assert!(location(&owner.get("/dashboard/mail").await).starts_with("/dashboard/login"));
    let res = app.new_visitor().sign_in(ADMIN_EMAIL, NEW_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!location(&res).contains("login"));
}

#[tokio::test]
async fn with_mail_off_the_pages_say_whom_to_ask_and_nothing_is_queued() {
    let app = spawn_app_with(|_| {}).await;
    app.set_up_elsewhere().await;
    sign_up(&app.new_visitor(), "Ada Lovelace", "ada@example.com").await;
    let login = app.page("/login").await;
    assert!(login.text_of("#forgot").contains("ask the site owner"));
    let res = ask_for_reset(&app, "/forgot-password", "ada@example.com").await;
    let page = to_page(res).await;
    assert!(page.text_of("#mail-off").contains("Ask the site owner"));
    assert_eq!(waiting_mails(&app), 0);
    let owner = app.new_visitor();
    owner.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let log = owner.page("/dashboard/mail").await;
    assert!(log.text_of("#mail-off").contains("--smtp-url"));
    assert!(log.has("#no-mail"));
}

#[tokio::test]
async fn mail_queued_while_smtp_is_down_and_insignia_killed_arrives_after_a_restart() {
    // An SMTP server that asks for a password, not started yet: nothing listens on its port.
    let port = free_port();
    let password = "smtp-Secret-4711";
    let smtp_url = format!("smtp://insignia:{password}@127.0.0.1:{port}");
    let scratch = fresh_database();
    let app = spawn_app_on(scratch, |_| {}).await;
    app.set_up_elsewhere().await;
    for n in 0..3 {
        sign_up(
            &app.new_visitor(),
            &format!("Member {n}"),
            &format!("m{n}@example.com"),
        )
        .await;
    }
    let logs = tempfile::tempdir().expect("a folder for the logs");
    let flags = [
        "--smtp-url",
        &smtp_url,
        "--mail-from",
        "Badge Club <badges@club.example.org>",
        "--mail-retry-unit-ms",
        "100",
    ];
    let first_log = logs.path().join("first.log");
    let (mut first, address) = serve_binary_logged(&app.database, &flags, Some(&first_log)).await;
    let visitor = app.on(&address).new_visitor();
    for n in 0..3 {
        let res = ask_for_reset(&visitor, "/forgot-password", &format!("m{n}@example.com")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // The sender tried and failed; the mails wait.
    let started = std::time::Instant::now();
    while failed_attempts(&app) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sender tried"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.kill().await.expect("kill -9");
    assert_eq!(waiting_mails(&app), 3, "nothing lost, nothing sent");

    let login = format!("insignia:{password}");
    let port_arg = port.to_string();
    let smtp = SmtpServer::start_with(&["--port", &port_arg, "--login", &login]).await;
    let second_log = logs.path().join("second.log");
    let (_second, _) = serve_binary_logged(&app.database, &flags, Some(&second_log)).await;
    let mails = smtp.wait_for(3).await;
    let mut to: Vec<&str> = mails
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().expect("recipient"))
        .collect();
    to.sort();
    assert_eq!(to, ["m0@example.com", "m1@example.com", "m2@example.com"]);
    let started = std::time::Instant::now();
    while waiting_mails(&app) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sent, and so recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 3, "each mail once");

    // The SMTP password is in no log and on no page.
    for log in [&first_log, &second_log] {
        let text = std::fs::read_to_string(log).expect("log");
        assert!(text.contains("Mail is on"), "{text}");
        assert!(!text.contains(password), "{text}");
    }
    let owner = app.new_visitor();
    owner.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(
        !owner
            .page("/dashboard/mail")
            .await
            .text_of("body")
            .contains(password)
    );
}

fn all_mails(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use insignia::db::schema::mail_outbox;
    mail_outbox::table
        .count()
        .get_result(&mut app.db())
        .expect("count")
}

fn failed_attempts(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use insignia::db::schema::mail_outbox;
    mail_outbox::table
        .filter(mail_outbox::attempts.gt(0))
        .count()
        .get_result(&mut app.db())
        .expect("count")
}

#[tokio::test]
async fn a_refused_address_is_given_up_and_the_log_says_why() {
    let smtp = SmtpServer::start_with(&["--refuse-rcpt", "gone@example.com"]).await;
    let app = app_mailing_to(&smtp).await;
    sign_up_confirmed(&app.new_visitor(), &smtp, "Here", "here@example.com").await;
    // Gone's confirmation is refused as well: one mail the log gives up on before the reset.
    sign_up(&app.new_visitor(), "Gone", "gone@example.com").await;
    ask_for_reset(&app.new_visitor(), "/forgot-password", "gone@example.com").await;
    ask_for_reset(&app.new_visitor(), "/forgot-password", "here@example.com").await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0]["rcpt_tos"][0], "here@example.com");
    let owner = app.new_visitor();
    owner.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let started = std::time::Instant::now();
    loop {
        let log = owner.page("/dashboard/mail").await;
        let rows: Vec<String> = log
            .select(".mail-log tbody tr")
            .iter()
            .map(|r| r.text().collect::<String>())
            .collect();
        let gone = rows.iter().find(|r| r.contains("gone@example.com"));
        if let Some(gone) = gone.filter(|r| r.contains("Given up")) {
            assert!(gone.contains("No such mailbox"), "{gone}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{rows:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn the_mail_log_keeps_a_month_of_mail_that_left_and_everything_waiting() {
    use diesel::prelude::*;
    use insignia::db::schema::mail_outbox;
    use insignia_core::mail::outbox::{self, Kind};
    let app = spawn_app_with(|_| {}).await;
    app.set_up_elsewhere().await;
    let mut conn = app.db();
    let to = insignia_core::mail::Recipient::Admin(
        insignia::auth::admins::find_by_email(&mut conn, ADMIN_EMAIL)
            .expect("read")
            .expect("the owner")
            .id,
    );
    let ids: Vec<i64> = (0..3)
        .map(|_| outbox::queue(&mut conn, Kind::PasswordReset, &to, ADMIN_EMAIL).expect("queued"))
        .collect();
    // Two are 31 days old, one of them sent; the third was sent yesterday.
    let day = 24 * 60 * 60 * 1000;
    let now = insignia::clock::now_millis();
    for (id, age, state) in [
        (ids[0], 31, "sent"),
        (ids[1], 31, "waiting"),
        (ids[2], 1, "sent"),
    ] {
        diesel::update(mail_outbox::table.find(id))
            .set((
                mail_outbox::created_at.eq(now - age * day),
                mail_outbox::state.eq(state),
            ))
            .execute(&mut conn)
            .expect("aged");
    }
    let deleted = outbox::prune(&mut conn, insignia::clock::Timestamp::now()).expect("pruned");
    assert_eq!(deleted, 1);
    let left: Vec<i64> = mail_outbox::table
        .select(mail_outbox::id)
        .order(mail_outbox::id)
        .load(&mut conn)
        .expect("read");
    assert_eq!(
        left,
        [ids[1], ids[2]],
        "the old waiting mail and the recent one stay"
    );
}

#[tokio::test]
#[ignore = "PostgreSQL only: runs in the PostgreSQL pass of scripts/test.sh"]
async fn two_servers_send_each_mail_once() {
    use insignia_core::mail::outbox::{self, Kind};
    assert!(
        crate::helpers::postgres_server().is_some(),
        "PostgreSQL only: set INSIGNIA_TEST_POSTGRES (scripts/pg-cluster.sh)"
    );
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let _second = crate::helpers::serve_binary(
        &app.database,
        &["--smtp-url", &smtp.url(), "--mail-retry-unit-ms", "100"],
    )
    .await;
    let ids = app.insert_members(60, "mailed");
    // All at once, in one transaction: both senders find them due together.
    insignia::db::write(&mut app.db(), |conn| {
        for id in &ids {
            let member = insignia::members::find(conn, &id.as_str().into()).expect("member");
            outbox::queue(
                conn,
                Kind::PasswordReset,
                &insignia_core::mail::Recipient::Member(member.id),
                &member.email,
            )?;
        }
        Ok::<_, insignia::error::AppError>(())
    })
    .expect("queued");
    let mails = smtp.wait_for(60).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut ids: Vec<String> = smtp
        .received()
        .iter()
        .map(|m| header(m, "Message-ID").expect("Message-ID"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "each of the 60 mails once");
    assert_eq!(smtp.received().len(), 60, "{} mails", mails.len());
}

/// The owner of an app with mail on, signed in (and so elevated) in a browser of their own.
async fn owner_of(app: &TestApp) -> TestApp {
    let owner = app.new_visitor();
    owner.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    owner
}

async fn flash_after(owner: &TestApp, res: reqwest::Response) -> String {
    owner.page(&location(&res)).await.text_of(".flash")
}

#[tokio::test]
async fn an_invited_member_chooses_a_password_from_the_mail_and_is_invited_once_a_day() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let owner = owner_of(&app).await;
    let grace = owner
        .create_member("Grace Hopper", "grace@example.com")
        .await;
    let page = format!("/dashboard/members/{grace}");
    let shown = owner.page(&page).await;
    assert!(shown.text_of("#sign-in-state").contains("never signed in"));
    let invite = format!("{page}/invite");
    assert!(shown.has(&format!("form[action='{invite}']")));
    let res = owner.submit(&page, &invite, &[]).await;
    assert!(
        flash_after(&owner, res)
            .await
            .contains("1 invitation is on its way")
    );
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"][0], "grace@example.com");
    assert_eq!(
        header(&mail, "To").as_deref(),
        Some("Grace Hopper <grace@example.com>")
    );
    assert!(header(&mail, "Subject").is_some_and(|s| s.contains("invited")));
    let link = link(&mail, &format!("{}/set-password/", app.address));

    // Asked again within the day: no second mail, and the page says why.
    let shown = owner.page(&page).await;
    assert!(!shown.has(&format!("form[action='{invite}']")));
    assert!(shown.text_of("#sign-in-state").contains("Last invited"));
    let token = shown.csrf_token();
    let res = owner.post_form(&invite, &[("csrf_token", &token)]).await;
    assert!(
        flash_after(&owner, res)
            .await
            .contains("within the last day")
    );

    // Grace chooses her password from the mail and signs in.
    let grace_browser = app.new_visitor();
    let res = choose_password(&grace_browser, &link).await;
    assert_eq!(location(&res), "/login");
    let res = member_login(&grace_browser, "grace@example.com", NEW_PASSWORD).await;
    assert_eq!(location(&res), "/");
    assert!(
        owner
            .page(&page)
            .await
            .text_of("#sign-in-state")
            .contains("Last signed in")
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(smtp.received().len(), 1, "one invitation");
}

#[tokio::test]
async fn everyone_without_a_password_is_invited_after_a_count_and_the_ticked_ones_too() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let owner = owner_of(&app).await;
    let ids = app.insert_members(30, "Quiet");
    sign_up_confirmed(&app.new_visitor(), &smtp, "Ada Lovelace", "ada@example.com").await;
    // One of the thirty and Ada ticked on the directory: Ada has a password already.
    let ada = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("read")
        .expect("Ada")
        .id;
    let directory = owner.page("/dashboard/members").await;
    assert!(directory.has(&format!("#tick-{}", ids[0])));
    let token = directory.csrf_token();
    let res = owner
        .post_form(
            "/dashboard/members/invite",
            &[
                ("csrf_token", &token),
                ("member", &ids[0]),
                ("member", ada.as_str()),
            ],
        )
        .await;
    let said = flash_after(&owner, res).await;
    assert!(said.contains("1 invitation is on its way"), "{said}");
    assert!(said.contains("1 already has a password"), "{said}");
    smtp.wait_for(1).await;

    // Everyone else: the dry run counts the 29 left, then the button invites them.
    let dry = owner.page("/dashboard/members/invite-all").await;
    let heading = dry.text_of("h1");
    assert!(heading.contains("Invite all 29 members"), "{heading}");
    assert!(
        dry.text_of("body")
            .contains("1 invited within the last day")
    );
    assert_eq!(
        all_mails(&app),
        2,
        "a dry run queues nothing (Ada's confirmation, 1 invitation)"
    );
    let res = owner
        .submit(
            "/dashboard/members/invite-all",
            "/dashboard/members/invite-all",
            &[],
        )
        .await;
    assert!(
        flash_after(&owner, res)
            .await
            .contains("29 invitations are on their way")
    );
    let mails = smtp.wait_for(30).await;
    let mut to: Vec<&str> = mails
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap())
        .collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 30, "each of the thirty once; none to Ada");
    assert!(!to.contains(&"ada@example.com"));
    // Nobody is left to invite today.
    let res = owner.get("/dashboard/members/invite-all").await;
    assert!(flash_after(&owner, res).await.contains("Nobody to invite"));
}

#[tokio::test]
async fn an_import_invites_the_members_it_creates_when_asked() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let owner = owner_of(&app).await;
    let form = owner.page("/dashboard/members/import").await;
    assert!(form.has("#invite"));
    let token = form.csrf_token();
    let csv = "name,email\nLin Invited,lin@example.com\nMo Invited,mo@example.com\n";
    let res = owner
        .client
        .post(owner.url("/dashboard/members/import"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf_token", token)
                .text("action", "import")
                .text("invite", "on")
                .text("csv_text", csv),
        )
        .send()
        .await
        .expect("request");
    let report = owner.followed(res).await;
    assert!(
        report
            .text_of("#import-invited")
            .contains("2 new members are invited")
    );
    let mails = smtp.wait_for(2).await;
    let mut to: Vec<&str> = mails
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap())
        .collect();
    to.sort();
    assert_eq!(to, ["lin@example.com", "mo@example.com"]);
}

/// A badge that tells its members by mail, made and switched on by the owner.
async fn telling_badge(owner: &TestApp, title: &str) -> String {
    let badge = owner.create_badge(title).await;
    let page = format!("/dashboard/badges/{badge}");
    let res = owner
        .submit(&page, &format!("{page}/mail"), &[("tell", "on")])
        .await;
    assert_eq!(location(&res), page);
    assert!(
        owner
            .page(&page)
            .await
            .text_of("#tell-members")
            .starts_with("Yes")
    );
    badge
}

async fn give(owner: &TestApp, badge: &str, members: &[&str]) {
    let page = format!("/dashboard/badges/{badge}");
    let fields: Vec<(&str, &str)> = members.iter().map(|m| ("member_id", *m)).collect();
    let res = owner
        .submit(&page, &format!("{page}/members"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn members_are_told_of_new_badges_in_one_mail_and_unsubscribe_with_one_post() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let owner = owner_of(&app).await;
    let ada = owner.create_member("Ada Lovelace", "ada@example.com").await;
    let helper = telling_badge(&owner, "Helper").await;
    let mentor = telling_badge(&owner, "Mentor").await;
    let quiet = owner.create_badge("Quiet").await;
    // Two telling badges and a quiet one within a moment: one mail, naming the two.
    give(&owner, &helper, &[&ada]).await;
    give(&owner, &mentor, &[&ada]).await;
    give(&owner, &quiet, &[&ada]).await;
    let mail = smtp.wait_for(1).await.remove(0);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.received().len(), 1, "one mail for both badges");
    assert_eq!(mail["rcpt_tos"][0], "ada@example.com");
    let subject = header(&mail, "Subject").expect("subject");
    assert!(subject.contains("2 new badges"), "{subject}");
    let text = mail["text"].as_str().expect("text");
    assert!(text.contains("Helper") && text.contains("Mentor"), "{text}");
    assert!(!text.contains("Quiet"), "{text}");
    assert!(
        text.contains(&format!("{}/badges/helper", app.address)),
        "{text}"
    );
    let html = mail["html"].as_str().expect("html");
    assert!(html.contains("Helper") && html.contains("Mentor"));
    // RFC 8058: one-click unsubscribe, by the signed link alone.
    let unsubscribe = header(&mail, "List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        header(&mail, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let link = unsubscribe
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();
    assert!(
        link.starts_with(&format!("{}/unsubscribe/", app.address)),
        "{link}"
    );
    assert!(text.contains(&link), "the text part carries the link too");
    // A forged link (another member, or a changed signature) unsubscribes nobody.
    let flipped = if link.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}", &link[..link.len() - 1]);
    let res = reqwest::Client::new()
        .post(&forged)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The mail client's POST: no cookie, no CSRF token.
    let res = reqwest::Client::new()
        .post(&link)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(to_page(res).await.has("#unsubscribed"));
    assert!(
        app.audit_actions()
            .contains(&"member.badge_mail_off".to_string())
    );

    // The next badge brings no mail.
    let star = telling_badge(&owner, "Star").await;
    give(&owner, &star, &[&ada]).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.received().len(), 1, "no mail after unsubscribing");
    assert_eq!(waiting_mails(&app), 0, "none queued either");
}

#[tokio::test]
async fn a_member_turns_badge_mail_back_on_from_their_profile() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let owner = owner_of(&app).await;
    let ada_browser = app.new_visitor();
    sign_up_confirmed(&ada_browser, &smtp, "Ada Lovelace", "ada@example.com").await;
    let ada = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("read")
        .expect("Ada")
        .id
        .into_string();
    let me = ada_browser.page("/me").await;
    assert!(me.has("#badge_mail[checked]"), "on by default");
    let res = ada_browser.submit("/me", "/me/mail", &[]).await;
    assert_eq!(location(&res), "/me");
    assert!(!ada_browser.page("/me").await.has("#badge_mail[checked]"));
    let helper = telling_badge(&owner, "Helper").await;
    give(&owner, &helper, &[&ada]).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(smtp.received().is_empty(), "off: no mail");
    ada_browser
        .submit("/me", "/me/mail", &[("badge_mail", "on")])
        .await;
    let mentor = telling_badge(&owner, "Mentor").await;
    give(&owner, &mentor, &[&ada]).await;
    let mail = smtp.wait_for(1).await.remove(0);
    assert!(header(&mail, "Subject").is_some_and(|s| s.contains("Mentor")));
}

#[tokio::test]
async fn an_smtp_server_that_hangs_leaves_the_mail_waiting_with_the_reason() {
    // Accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(|s| {
        let mut mail = mail_on(&url);
        mail.timeout = Duration::from_millis(300);
        s.mail = Some(mail);
    })
    .await;
    app.set_up_elsewhere().await;
    let res = ask_for_reset(&app, "/dashboard/forgot-password", ADMIN_EMAIL).await;
    assert!(to_page(res).await.has("#sent"), "the page answers at once");
    let started = std::time::Instant::now();
    while failed_attempts(&app) < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sender tried"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Not given up: the mail waits for the server, and the log says why.
    assert_eq!(waiting_mails(&app), 1);
    let owner = owner_of(&app).await;
    let log = owner.page("/dashboard/mail").await;
    let row = log.text_of(".mail-log tbody tr");
    assert!(row.contains("Waiting to try again"), "{row}");
    assert!(row.contains("did not greet in time"), "{row}");
}

fn member_id(app: &TestApp, email: &str) -> String {
    insignia::members::find_by_email(&mut app.db(), email)
        .expect("read")
        .unwrap_or_else(|| panic!("{email} has an account"))
        .id
        .into_string()
}

#[tokio::test]
async fn a_sign_up_confirms_its_address_and_only_then_rules_by_domain_believe_it() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let owner = owner_of(&app).await;
    let key = owner.create_api_key("rules").await;
    let staff = owner.create_badge("Staff").await;
    let rule = serde_json::json!({
        "rule": {"criteria": [{"emailDomainIn": ["corp.example.org"]}], "revoke": true}
    });
    let saved = app
        .api(
            reqwest::Method::PUT,
            &format!("/insignia/v1/badges/{staff}/rule"),
            Some(&key),
            Some(rule),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    let ada = app.new_visitor();
    sign_up(&ada, "Ada Lovelace", "ada@corp.example.org").await;
    let id = member_id(&app, "ada@corp.example.org");
    let holds_staff = || app.assignments().contains(&(staff.clone(), id.clone()));
    assert!(!holds_staff(), "her own word is not enough");
    let me = ada.page("/me").await;
    assert!(
        me.text_of("#address-waiting").contains("not confirmed yet"),
        "{}",
        me.text_of("#address-waiting")
    );

    let member_page = format!("/dashboard/members/{id}");
    let said = owner.page(&member_page).await.text_of("#address-state");
    assert!(said.contains("Waiting for the member to confirm"), "{said}");
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"][0], "ada@corp.example.org");
    assert!(header(&mail, "Subject").is_some_and(|s| s.contains("Confirm your e-mail")));
    let link = link(&mail, &format!("{}/confirm-email/", app.address));
    // Opening the link (as a mail scanner would) changes nothing; its button does.
    let path = path_of(&app, &link);
    let stranger = app.new_visitor();
    let page = stranger.page(&path).await;
    assert!(page.text_of("h1").contains("Confirm your address"));
    assert!(page.text_of("form").contains("ada@corp.example.org"));
    assert!(!holds_staff(), "a GET confirms nothing");
    let res = confirm(&stranger, &link).await;
    assert_eq!(location(&res), "/me");
    assert!(holds_staff(), "a confirmed address is believed");
    let said = owner.page(&member_page).await.text_of("#address-state");
    assert!(said.contains("is confirmed"), "{said}");
    assert!(!ada.page("/me").await.has("#address-waiting"));
    // The link works once.
    let again = stranger.get(&path).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert!(
        to_page(again)
            .await
            .text_of("[role=alert]")
            .contains("expired or was already used")
    );
    let again = stranger.submit("/login", &path, &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_member_changes_their_address_on_their_profile_once_the_new_one_is_confirmed() {
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let ada = app.new_visitor();
    sign_up_confirmed(&ada, &smtp, "Ada Lovelace", "ada@example.com").await;
    let grace = app.new_visitor();
    sign_up_confirmed(&grace, &smtp, "Grace", "grace@example.com").await;
    let change = |email: &'static str, password: &'static str| {
        let ada = &ada;
        async move {
            ada.submit(
                "/me",
                "/me/email",
                &[("email", email), ("current_password", password)],
            )
            .await
        }
    };

    // Refused beside the field, what was typed kept, nothing sent.
    let wrong = change("ada@new.example.org", "not my password").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = to_page(wrong).await;
    assert!(
        wrong
            .text_of("#email_current_password-error")
            .contains("not your current password")
    );
    assert_eq!(
        wrong.attr("#email", "value").as_deref(),
        Some("ada@new.example.org")
    );
    let taken = to_page(change("Grace@example.com", MEMBER_PASSWORD).await).await;
    assert!(taken.text_of("#email-error").contains("Another account"));
    let typo = to_page(change("ada@", MEMBER_PASSWORD).await).await;
    assert!(typo.has("#email-error"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.received().is_empty(), "no mail for a refused change");

    // Asked: the mail goes to the new address; the account keeps the old one meanwhile.
    let res = change("ada@new.example.org", MEMBER_PASSWORD).await;
    assert_eq!(location(&res), "/me");
    let first = smtp.wait_for(1).await.remove(0);
    assert_eq!(first["rcpt_tos"][0], "ada@new.example.org");
    let me = ada.page("/me").await;
    assert!(
        me.text_of("#address-waiting")
            .contains("Your address stays ada@example.com")
    );
    let elsewhere = app.new_visitor();
    assert_eq!(
        member_login(&elsewhere, "ada@example.com", MEMBER_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "the old address signs in until the new one is confirmed"
    );

    // "Send the mail again" needs no password; the first link stops working.
    let res = ada
        .submit("/me", "/me/email", &[("email", "ada@new.example.org")])
        .await;
    assert_eq!(location(&res), "/me");
    let second = smtp.wait_for(2).await.remove(1);
    let prefix = format!("{}/confirm-email/", app.address);
    let stale = path_of(&app, &link(&first, &prefix));
    assert_eq!(
        app.new_visitor().get(&stale).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        location(&confirm(&ada, &link(&second, &prefix)).await),
        "/me"
    );
    let me = ada.page("/me").await;
    assert!(
        me.text_of(".flash")
            .contains("ada@new.example.org is confirmed")
    );
    assert!(!me.has("#address-waiting"));
    let elsewhere = app.new_visitor();
    assert_eq!(
        member_login(&elsewhere, "ada@example.com", MEMBER_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the old address is no longer the account's"
    );
    assert_eq!(
        member_login(&elsewhere, "ada@new.example.org", MEMBER_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // A third mail this hour is Ada's last: the fourth request is refused beside the field.
    change("ada@third.example.org", MEMBER_PASSWORD).await;
    smtp.wait_for(3).await;
    let refused = change("ada@fourth.example.org", MEMBER_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let said = to_page(refused).await.text_of("#email-error");
    assert!(said.contains("Try again in"), "{said}");

    // Grace asks for one address, then another: the first one's link no longer confirms
    // anything. Then she keeps hers ("Keep"): the second one's link confirms nothing either.
    smtp.forget();
    for (n, address) in ["grace@two.example.org", "grace@three.example.org"]
        .iter()
        .enumerate()
    {
        let res = grace
            .submit(
                "/me",
                "/me/email",
                &[("email", address), ("current_password", MEMBER_PASSWORD)],
            )
            .await;
        assert_eq!(location(&res), "/me");
        smtp.wait_for(n + 1).await;
    }
    let mails = smtp.received();
    let stale = path_of(&app, &link(&mails[0], &prefix));
    assert_eq!(
        app.new_visitor().get(&stale).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = grace.submit("/me", "/me/email/keep", &[]).await;
    assert_eq!(location(&res), "/me");
    let kept = path_of(&app, &link(&mails[1], &prefix));
    assert_eq!(
        app.new_visitor().get(&kept).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        insignia::members::find_by_email(&mut app.db(), "grace@example.com")
            .expect("read")
            .is_some()
    );
    assert!(
        insignia::members::find_by_email(&mut app.db(), "ada@new.example.org")
            .expect("read")
            .is_some()
    );
}

#[tokio::test]
async fn without_mail_members_ask_the_owner_to_change_their_address() {
    let app = spawn_app_with(|_| {}).await;
    app.set_up_elsewhere().await;
    let ada = app.new_visitor();
    sign_up(&ada, "Ada Lovelace", "ada@example.com").await;
    let me = ada.page("/me").await;
    assert!(!me.has("#email-form"));
    assert!(me.text_of(".account").contains("ask the site owner"));
    let res = ada
        .submit(
            "/me",
            "/me/email",
            &[
                ("email", "ada@new.example.org"),
                ("current_password", MEMBER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(waiting_mails(&app), 0, "nothing queued");
    assert!(
        insignia::members::find_by_email(&mut app.db(), "ada@example.com")
            .expect("read")
            .is_some()
    );
}

/// Sets when `member`'s assignments end, as if they had been given until then.
fn ends_at(app: &TestApp, member: &str, at: i64) {
    use diesel::prelude::*;
    use insignia::db::schema::{member_badges, members};
    diesel::update(
        member_badges::table.filter(
            member_badges::member_key.eq_any(
                members::table
                    .filter(members::id.eq(member))
                    .select(members::key),
            ),
        ),
    )
    .set(member_badges::expires_at.eq(at))
    .execute(&mut app.db())
    .expect("set the ends");
}

#[tokio::test]
async fn members_are_told_a_week_before_a_badge_ends_and_when_it_has_ended() {
    use insignia::clock::Timestamp;
    use insignia::members::{assignments, expiry};
    let smtp = SmtpServer::start().await;
    let app = app_mailing_to(&smtp).await;
    let owner = owner_of(&app).await;
    sign_up_confirmed(&app.new_visitor(), &smtp, "Ada Lovelace", "ada@example.com").await;
    let ada = member_id(&app, "ada@example.com");
    let lease = telling_badge(&owner, "Lease").await;
    let quiet = owner.create_badge("Quiet").await;
    // Valid for a week: its "new badge" mail says until when, and no warning follows it.
    let weekly = crate::helpers::BadgeFields {
        valid_for_days: "7".to_string(),
        ..crate::helpers::BadgeFields::titled("Weekly")
    };
    owner
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &weekly)
        .await;
    let weekly = app
        .badges()
        .into_iter()
        .find(|b| b.title == "Weekly")
        .expect("Weekly")
        .id
        .into_string();
    let page = format!("/dashboard/badges/{weekly}");
    owner
        .submit(&page, &format!("{page}/mail"), &[("tell", "on")])
        .await;
    give(&owner, &lease, &[&ada]).await;
    give(&owner, &quiet, &[&ada]).await;
    give(&owner, &weekly, &[&ada]).await;
    let given = smtp.wait_for(1).await.remove(0);
    assert!(header(&given, "Subject").is_some_and(|s| s.contains("2 new badges")));
    let text = given["text"].as_str().expect("text");
    assert!(
        text.contains("Weekly") && text.contains("(until "),
        "{text}"
    );
    smtp.forget();

    // All end in a week and an hour. The expiry job's pass two hours from now reaches them:
    // Lease tells its holders; Quiet does not; Weekly's end was set a moment ago.
    let hour = time::Duration::hours(1);
    let end = Timestamp::now() + time::Duration::days(7) + hour;
    ends_at(&app, &ada, end.millis());
    let queued = expiry::warn_ending(&mut app.db(), Timestamp::now() + 2 * hour).expect("warn");
    assert_eq!(queued, 1);
    let ending = smtp.wait_for(1).await.remove(0);
    assert_eq!(ending["rcpt_tos"][0], "ada@example.com");
    assert_eq!(
        header(&ending, "Subject").as_deref(),
        Some("Your badge Lease ends soon")
    );
    let text = ending["text"].as_str().expect("text");
    assert!(
        text.contains(&format!("until {}", end.long_day())),
        "{text}"
    );
    assert!(text.contains("ask the site's owner to renew it"), "{text}");
    assert!(header(&ending, "List-Unsubscribe").is_some());
    assert_eq!(
        expiry::warn_ending(&mut app.db(), Timestamp::now() + 3 * hour).expect("warn"),
        0,
        "told once"
    );
    smtp.forget();

    // Her time is up: the job takes all three, and one mail tells her of the two that tell.
    ends_at(&app, &ada, insignia::clock::now_millis() - 1);
    assignments::expire_due(&mut app.db(), Timestamp::now()).expect("expire");
    let ended = smtp.wait_for(1).await.remove(0);
    assert_eq!(
        header(&ended, "Subject").as_deref(),
        Some("2 of your badges on Badge Club have ended")
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.received().len(), 1, "nothing of Quiet");
    let log = owner.page("/dashboard/mail").await.text_of(".mail-log");
    assert!(
        log.contains("Badge ends soon") && log.contains("Badge ended"),
        "{log}"
    );
}

#[tokio::test]
async fn a_deleted_member_s_mail_goes_with_them() {
    use diesel::prelude::*;
    use insignia::db::schema::mail_outbox;
    // Nothing listens: the confirmation waits in the outbox.
    let port = free_port();
    let app = spawn_app_with(|s| s.mail = Some(mail_on(&format!("smtp://127.0.0.1:{port}")))).await;
    app.set_up_elsewhere().await;
    sign_up(&app.new_visitor(), "Ada Lovelace", "ada@example.com").await;
    let ada = member_id(&app, "ada@example.com");
    let mails_to_ada = || -> i64 {
        mail_outbox::table
            .filter(mail_outbox::member_id.eq(&ada))
            .count()
            .get_result(&mut app.db())
            .expect("count")
    };
    assert_eq!(mails_to_ada(), 1, "her confirmation waits");
    let owner = owner_of(&app).await;
    let path = format!("/dashboard/members/{ada}/delete");
    let res = owner.submit(&path, &path, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(mails_to_ada(), 0, "deleted with her");
    let log = owner.page("/dashboard/mail").await.text_of("main");
    assert!(!log.contains("ada@example.com"), "{log}");
}
