//! `spawn_app` and a cookie-keeping client that fills in forms the way a browser does.

use std::sync::Arc;

use insignia::Application;
use insignia::config::Settings;
use insignia::db::DbConnection;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use scraper::{Html, Selector};

pub const ADMIN_EMAIL: &str = "owner@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    /// The app's database: a SQLite file, or a PostgreSQL URL (see [`fresh_database`]).
    pub database: String,
    /// Where `/metrics` is served (`http://127.0.0.1:PORT`) when the settings ask for it.
    pub metrics: Option<String>,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    _dir: Arc<Scratch>,
}

/// What a test app leaves behind: its folder, and its PostgreSQL database if it has one.
pub struct Scratch {
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres {
            drop_postgres_database(server, name);
        }
    }
}

/// Drops a test's database on the PostgreSQL `server`, best effort. A server the test started
/// may still hold connections: FORCE ends them.
pub fn drop_postgres_database(server: &str, name: &str) {
    use diesel::{Connection, RunQueryDsl};
    if let Ok(mut conn) = diesel::pg::PgConnection::establish(server) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn);
    }
}

/// Whether the tests run on PostgreSQL: `INSIGNIA_TEST_POSTGRES` names a server (the test
/// script starts a throwaway one), and every test app gets a database of its own there.
pub fn postgres_server() -> Option<String> {
    std::env::var("INSIGNIA_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A new, empty database for one test app: a SQLite file in `dir`, or a database of its own
/// on the PostgreSQL server of `INSIGNIA_TEST_POSTGRES`.
pub fn fresh_database() -> Scratch {
    use diesel::{Connection, RunQueryDsl};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = tempfile::tempdir().expect("temp dir");
    let postgres = postgres_server().map(|server| {
        let name = format!(
            "insignia_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = diesel::pg::PgConnection::establish(&server).expect("postgres server");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create database");
        (server, name)
    });
    Scratch { dir, postgres }
}

/// A new SQLite file, also when the tests run on PostgreSQL (for moving a site from it).
pub fn sqlite_database() -> Scratch {
    Scratch {
        dir: tempfile::tempdir().expect("temp dir"),
        postgres: None,
    }
}

impl Scratch {
    /// The database's location, as `--database` takes it.
    pub fn database(&self) -> String {
        match &self.postgres {
            Some((server, name)) => {
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
            None => self
                .dir
                .path()
                .join("insignia.db")
                .to_string_lossy()
                .to_string(),
        }
    }
}

pub struct Page {
    pub status: StatusCode,
    pub html: Html,
    pub text: String,
}

impl Page {
    pub fn select(&self, css: &str) -> Vec<scraper::ElementRef<'_>> {
        let selector = Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e}"));
        self.html.select(&selector).collect()
    }

    pub fn has(&self, css: &str) -> bool {
        !self.select(css).is_empty()
    }

    /// The trimmed text of the first element matching `css`.
    pub fn text_of(&self, css: &str) -> String {
        self.select(css)
            .first()
            .map(|e| e.text().collect::<String>().trim().to_string())
            .unwrap_or_else(|| panic!("no element {css} in page:\n{}", self.text))
    }

    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.select(css)
            .first()
            .and_then(|e| e.value().attr(name))
            .map(str::to_string)
    }

    /// The hidden fields of the Undo button beside the message: (name, value).
    pub fn undo_fields(&self) -> Vec<(String, String)> {
        self.select(".flash form.undo input[type=hidden]")
            .iter()
            .map(|i| {
                let attr = |n: &str| i.value().attr(n).unwrap_or_default().to_string();
                (attr("name"), attr("value"))
            })
            .collect()
    }

    pub fn csrf_token(&self) -> String {
        self.attr("input[name=csrf_token]", "value")
            .or_else(|| self.attr("meta[name=csrf-token]", "content"))
            .unwrap_or_else(|| panic!("no csrf token in page:\n{}", self.text))
    }

    /// Badge titles in the order the page shows them (dashboard list).
    pub fn list_titles(&self) -> Vec<String> {
        self.select("#badge-list .badge-row .badge-title")
            .iter()
            .map(|e| e.text().collect::<String>())
            .collect()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(fresh_database(), configure).await
}

/// A server on the given database (see [`fresh_database`], [`sqlite_database`]).
pub async fn spawn_app_on(scratch: Scratch, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = scratch.database();
    let mut settings = Settings::new("127.0.0.1:0", database.clone());
    settings.workers = Some(1);
    configure(&mut settings);
    let app = Application::build(settings).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run_until_stopped());
    let jar = Arc::new(Jar::default());
    TestApp {
        client: client_with(jar.clone()),
        jar,
        address,
        database,
        metrics,
        _dir: Arc::new(scratch),
    }
}

fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        // Idle connections are dropped before the server's 5 s keep-alive closes them, so a
        // request never goes out on a connection the server is closing (on a loaded machine
        // that race showed up as `IncompleteMessage`).
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Another browser against the same server: its own cookies.
    pub fn new_visitor(&self) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            address: self.address.clone(),
            database: self.database.clone(),
            metrics: self.metrics.clone(),
            client: client_with(jar.clone()),
            jar,
            _dir: self._dir.clone(),
        }
    }

    /// Another browser on another machine: its own cookies, and its requests come from
    /// `ip` (a loopback address such as 127.0.0.2).
    pub fn visitor_from(&self, ip: &str) -> TestApp {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
            .build()
            .expect("client");
        TestApp {
            address: self.address.clone(),
            database: self.database.clone(),
            metrics: self.metrics.clone(),
            client,
            jar,
            _dir: self._dir.clone(),
        }
    }

    /// The Cookie header this client would send, to replay it elsewhere.
    pub fn cookie_header(&self) -> String {
        let url = self.address.parse().expect("url");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }

    pub fn db(&self) -> DbConnection {
        use diesel::Connection;
        use insignia::db::Location;
        match Location::parse(&self.database) {
            Location::Postgres(url) => {
                DbConnection::Postgres(diesel::pg::PgConnection::establish(&url).expect("db"))
            }
            Location::Sqlite(path) => {
                use diesel::connection::SimpleConnection;
                let mut conn = diesel::sqlite::SqliteConnection::establish(&path).expect("db");
                // Wait for a server's write (another process, a webhook worker) like the
                // server's own connections do, instead of failing with "database is locked".
                conn.batch_execute("PRAGMA busy_timeout = 60000;")
                    .expect("pragmas");
                DbConnection::Sqlite(conn)
            }
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn page(&self, path: &str) -> Page {
        to_page(self.get(path).await).await
    }

    /// The page an answer leads to, as a browser shows it: the redirect's target, or the
    /// answer itself.
    pub async fn followed(&self, res: reqwest::Response) -> Page {
        if res.status().is_redirection() {
            self.page(&location(&res)).await
        } else {
            to_page(res).await
        }
    }

    /// Posts a url-encoded form with the CSRF token read from `form_page`, like a browser
    /// submitting a form it loaded from there.
    pub async fn submit(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.page(form_page).await.csrf_token();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(action, &all).await
    }

    pub async fn post_form(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(action))
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// Posts the badge editor (multipart) with its CSRF token.
    pub async fn submit_badge(
        &self,
        form_page: &str,
        action: &str,
        badge: &BadgeFields,
    ) -> reqwest::Response {
        let token = self.page(form_page).await.csrf_token();
        self.post_badge(action, badge, Some(&token)).await
    }

    pub async fn post_badge(
        &self,
        action: &str,
        badge: &BadgeFields,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new()
            .text("title", badge.title.clone())
            .text("description", badge.description.clone())
            .text("background_color", badge.background_color.clone())
            .text("text_color", badge.text_color.clone())
            .text("icon", badge.icon.clone())
            .text("icon_url", badge.icon_url.clone())
            .text("valid_for_days", badge.valid_for_days.clone());
        if let Some(token) = token {
            form = form.text("csrf_token", token.to_string());
        }
        if badge.permissions_enabled {
            form = form.text("permissions_enabled", "on");
        }
        if badge.self_assignable {
            form = form.text("self_assignable", "on");
        }
        if badge.low_contrast_ok {
            form = form.text("low_contrast_ok", "on");
        }
        if let Some((name, bytes)) = &badge.file {
            let part = reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(name.clone())
                .mime_str("image/svg+xml")
                .expect("mime");
            form = form.part("icon_file", part);
        }
        self.client
            .post(self.url(action))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// The setup page's address with the site's setup code, as `insignia serve` logs it.
    pub fn setup_link(&self) -> String {
        let code = insignia::auth::setup::code(&mut self.db())
            .expect("setup code")
            .expect("the site has no admin yet");
        format!("/dashboard/setup?code={code}")
    }

    /// The owner sets the site up in a browser of their own (member sign-up waits for it);
    /// this client stays a visitor.
    pub async fn set_up_elsewhere(&self) {
        self.new_visitor().setup_admin().await;
    }

    /// Creates the first admin through the setup page; the client is then signed in.
    pub async fn setup_admin(&self) {
        let link = self.setup_link();
        let code = link
            .rsplit_once('=')
            .map(|(_, c)| c.to_string())
            .unwrap_or_default();
        let res = self
            .submit(
                &link,
                "/dashboard/setup",
                &[
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                    ("password_confirm", ADMIN_PASSWORD),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "setup should succeed");
    }

    /// A demo site (`insignia demo` fills only an empty database, so it comes first), then
    /// the owner admin, signed in and elevated as after [`TestApp::setup_admin`].
    pub async fn demo_then_owner(&self, members: usize, assignments: usize) {
        insignia::demo::fill(
            &self.database.as_str().into(),
            insignia::demo::DemoSize {
                members,
                assignments,
            },
        )
        .expect("demo");
        insignia::auth::admins::create(&mut self.db(), ADMIN_EMAIL, ADMIN_PASSWORD, false)
            .expect("db")
            .expect("owner created");
        let res = self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "the owner signs in");
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Ends elevation for the current admin session, as the header button does.
    pub async fn end_elevation(&self) {
        let res = self
            .submit(
                "/dashboard/badges",
                "/dashboard/elevate/end",
                &[("next", "/dashboard/badges")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }

    /// Creates a badge through the editor and returns its id.
    pub async fn create_badge(&self, title: &str) -> String {
        let res = self
            .submit_badge(
                "/dashboard/badges/new",
                "/dashboard/badges/new",
                &BadgeFields::titled(title),
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "creating {title}");
        self.badges()
            .into_iter()
            .find(|b| b.title == title)
            .map(|b| b.id.into_string())
            .expect("badge stored")
    }

    /// What the database holds, in display order.
    pub fn badges(&self) -> Vec<insignia::badges::Badge> {
        insignia::badges::store::list_in_order(&mut self.db()).expect("list")
    }

    pub fn badge_titles(&self) -> Vec<String> {
        self.badges().into_iter().map(|b| b.title).collect()
    }

    pub fn audit_actions(&self) -> Vec<String> {
        insignia::audit::page(&mut self.db(), &Default::default(), 1000)
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

pub async fn to_page(res: reqwest::Response) -> Page {
    let status = res.status();
    let text = res.text().await.expect("body");
    Page {
        status,
        html: Html::parse_document(&text),
        text,
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The badge editor's fields.
#[derive(Clone, Debug, Default)]
pub struct BadgeFields {
    pub title: String,
    pub description: String,
    pub background_color: String,
    pub text_color: String,
    pub icon: String,
    pub icon_url: String,
    pub permissions_enabled: bool,
    pub self_assignable: bool,
    /// Ticks "Save with these colours anyway" (asked when text and background are under 3:1).
    pub low_contrast_ok: bool,
    pub file: Option<(String, Vec<u8>)>,
    /// Days an assignment lasts; empty: for good.
    pub valid_for_days: String,
}

impl BadgeFields {
    pub fn titled(title: &str) -> BadgeFields {
        BadgeFields {
            title: title.to_string(),
            description: format!("{title} description"),
            background_color: "#1f2a44".to_string(),
            text_color: "#f5c542".to_string(),
            icon: "star".to_string(),
            ..BadgeFields::default()
        }
    }
}

impl TestApp {
    /// Creates a member through the dashboard form and returns their id.
    pub async fn create_member(&self, name: &str, email: &str) -> String {
        let res = self
            .submit(
                "/dashboard/members/new",
                "/dashboard/members/new",
                &[("name", name), ("email", email)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "creating member {email}"
        );
        location(&res)
            .rsplit('/')
            .next()
            .expect("member id")
            .to_string()
    }

    /// Many members at once, straight into the database (for counts and paging, not forms).
    pub fn insert_members(&self, count: usize, prefix: &str) -> Vec<String> {
        let mut conn = self.db();
        (0..count)
            .map(|i| {
                let new = insignia::members::NewMember::parse(
                    &format!("{prefix} Person {i}"),
                    &format!("{}.{i}@example.com", prefix.to_lowercase()),
                )
                .expect("valid member");
                insignia::members::create(&mut conn, &insignia::audit::Actor::system(), &new)
                    .expect("member stored")
                    .id
                    .into_string()
            })
            .collect()
    }

    pub fn member(&self, id: &str) -> Option<insignia::members::Member> {
        insignia::members::find(&mut self.db(), &id.into()).ok()
    }

    /// When `table` was last analyzed by an `ANALYZE` (not by autovacuum), on PostgreSQL, in
    /// Unix seconds.
    pub fn last_analyzed(&self, table: &str) -> Option<f64> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct At {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
            at: Option<f64>,
        }
        diesel::sql_query(
            "SELECT extract(epoch FROM last_analyze)::float8 AS at FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND relname = $1",
        )
        .bind::<diesel::sql_types::Text, _>(table)
        .get_result::<At>(&mut self.db())
        .expect("pg_stat_user_tables")
        .at
    }

    pub fn member_count(&self) -> i64 {
        use diesel::prelude::*;
        insignia::db::schema::members::table
            .count()
            .get_result(&mut self.db())
            .expect("count")
    }

    /// (badge, member) pairs actually stored.
    pub fn assignments(&self) -> Vec<(String, String)> {
        use diesel::prelude::*;
        use insignia::db::schema::{badges, member_badges, members};
        member_badges::table
            .inner_join(badges::table.on(badges::key.eq(member_badges::badge_key)))
            .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
            .select((badges::id, members::id))
            .order((badges::id, members::id))
            .load(&mut self.db())
            .expect("assignments")
    }

    /// Every stored count equals the real number of rows behind it.
    pub fn assert_counts_exact(&self) {
        let pairs = self.assignments();
        for badge in self.badges() {
            let real = pairs.iter().filter(|(b, _)| badge.id == *b).count() as i64;
            assert_eq!(badge.member_count, real, "holder count of {}", badge.title);
        }
        use diesel::prelude::*;
        let members: Vec<(String, i64)> = insignia::db::schema::members::table
            .select((
                insignia::db::schema::members::id,
                insignia::db::schema::members::badge_count,
            ))
            .load(&mut self.db())
            .expect("members");
        for (id, stored) in members {
            let real = pairs.iter().filter(|(_, m)| *m == id).count() as i64;
            assert_eq!(stored, real, "badge count of member {id}");
        }
    }
}

impl TestApp {
    /// The same browser (cookies and all) talking to another server on the same database.
    pub fn on(&self, address: &str) -> TestApp {
        TestApp {
            address: address.to_string(),
            ..self.clone_client()
        }
    }

    /// The same browser (cookies and all), as an owned value for async closures.
    pub fn clone_client(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            database: self.database.clone(),
            metrics: self.metrics.clone(),
            client: self.client.clone(),
            jar: self.jar.clone(),
            _dir: self._dir.clone(),
        }
    }
}

// ------------------------------------------------------------------ JSON API

/// What an API call answered.
#[derive(Debug)]
pub struct ApiReply {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl ApiReply {
    /// The `applicationError.code` of an error reply.
    pub fn code(&self) -> &str {
        self.body["details"]["applicationError"]["code"]
            .as_str()
            .unwrap_or_default()
    }

    /// The `field` of each validation violation.
    pub fn violated_fields(&self) -> Vec<String> {
        self.body["details"]["validationError"]["fieldViolations"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|v| v["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    /// Creates an API key in the dashboard (the client must be an elevated admin) and
    /// returns the secret shown once.
    pub async fn create_api_key(&self, name: &str) -> String {
        let res = self
            .submit(
                "/dashboard/api-keys",
                "/dashboard/api-keys",
                &[("name", name)],
            )
            .await;
        let page = to_page(res).await;
        assert_eq!(page.status, StatusCode::OK, "creating API key {name}");
        page.attr("#secret", "value").expect("secret shown")
    }

    /// Presses "Undo" beside the message the page at `path` shows (the message is shown once).
    /// Returns the message's text and the answer to the undo.
    pub async fn press_undo(&self, path: &str) -> (String, reqwest::Response) {
        let page = self.page(path).await;
        let message = page.text_of(".flash-success");
        let action = page
            .attr(".flash form.undo", "action")
            .expect("an Undo button");
        let fields = page.undo_fields();
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        (message, self.post_form(&action, &pairs).await)
    }

    /// Revokes the API key with this name in the dashboard, as a person does: the list's
    /// Revoke link, then the button on the page that asks first.
    pub async fn revoke_api_key(&self, name: &str) -> reqwest::Response {
        let keys = insignia::auth::api_keys::list(&mut self.db()).expect("keys");
        let key = keys.iter().find(|k| k.name == name).expect("key exists");
        let confirm = format!("/dashboard/api-keys/{}/revoke", key.id);
        let list = self.page("/dashboard/api-keys").await;
        assert!(
            list.has(&format!("a[href='{confirm}']")),
            "the list links to revoking {name}"
        );
        self.submit(&confirm, &confirm, &[]).await
    }

    /// Sends an API call; `key` goes in the Authorization header.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> ApiReply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(key) = key {
            request = request.header("Authorization", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let res = request.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path} answered non-JSON ({status}): {text}"));
        ApiReply { status, body }
    }
}

impl TestApp {
    /// A visitor's POST of a JSON body, owning its client (for closures that make many).
    pub async fn api_owned(
        self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> ApiReply {
        self.api(method, path, None, Some(body)).await
    }
}

/// `insignia demo` on the test app's (empty) database.
pub fn run_demo(app: &TestApp, members: &str, assignments: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["demo", "--members", members, "--assignments", assignments])
        .args(["--database", &app.database])
        .output()
        .expect("run demo")
}

/// The admin password `insignia demo` printed (for admin@example.com).
pub fn demo_password(demo: &std::process::Output) -> String {
    String::from_utf8_lossy(&demo.stdout)
        .lines()
        .find_map(|l| l.split("password ").nth(1))
        .expect("password printed")
        .trim()
        .to_string()
}

/// The real binary, as an operator starts it, on a test's database; killed (SIGKILL) when
/// dropped.
pub async fn serve_binary(database: &str, extra: &[&str]) -> tokio::process::Child {
    serve_binary_logged(database, extra, None).await.0
}

/// [`serve_binary`], with its standard error (its log) written to `log`; returns it with the
/// address it serves at.
pub async fn serve_binary_logged(
    database: &str,
    extra: &[&str],
    log: Option<&std::path::Path>,
) -> (tokio::process::Child, String) {
    use std::time::{Duration, Instant};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let stderr = match log {
        Some(path) => std::fs::File::create(path).expect("a log file").into(),
        None => std::process::Stdio::null(),
    };
    let process = tokio::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["serve", "--database", database, "--bind", &bind])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let started = Instant::now();
    while reqwest::get(format!("http://{bind}/healthz"))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (process, format!("http://{bind}"))
}

/// A Python with the packages pinned in `pins` (a path in the repository): the one named by
/// `variable` (scripts/test.sh sets it), or else `target/{venv}`'s, made first when missing or
/// when the pins changed (needs Python 3.11+ with `venv`, and PyPI).
pub fn python_venv(variable: &str, venv: &str, pins: &str) -> std::path::PathBuf {
    use std::process::Command;
    if let Some(named) = std::env::var_os(variable) {
        return named.into();
    }
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = repository.join("target").join(venv);
    let python = venv.join("bin/python");
    let pins = repository.join(pins);
    let installed = venv.join("installed-requirements.txt");
    if std::fs::read(&installed).ok() != std::fs::read(&pins).ok() {
        let _ = std::fs::remove_dir_all(&venv);
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 must be installed (3.11+, with venv)");
        assert!(made.success(), "python3 -m venv {}", venv.display());
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&pins)
            .status()
            .expect("pip");
        assert!(pip.success(), "pip install -r {}", pins.display());
        std::fs::copy(&pins, &installed).expect("note the installed pins");
    }
    python
}
