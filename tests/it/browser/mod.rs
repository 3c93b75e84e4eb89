//! Browser tests: headless Chromium driven over WebDriver (chromedriver) against the real
//! server. They check what only a browser can: drag and drop, the htmx live preview and the
//! elevation round trip that keeps a half-filled form.
//!
//! chromedriver and Chromium must be installed (`/usr/bin/chromedriver`, `/usr/bin/chromium`,
//! or the `CHROMEDRIVER` and `CHROME_BIN` environment variables). Only one browser runs at a
//! time. Screenshots land in `target/screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::sync::{Mutex, MutexGuard};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, BadgeFields, TestApp, spawn_app};

/// How long a condition may take to become true (page loads, htmx swaps, saves).
const PATIENCE: Duration = Duration::from_secs(15);
/// How long chromedriver and Chromium may take to start on a busy machine.
const STARTUP: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

/// One Chromium at a time: the machine is small and the tests are timing-sensitive.
static ONE_BROWSER: Mutex<()> = Mutex::const_new(());

// ---------------------------------------------------------------- harness

/// A chromedriver process (and the Chromium it starts), killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let program =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_string());
        let port = free_port();
        let mut command = Command::new(&program);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that Drop can end chromedriver and every Chromium process
        // it started, even if the test panicked before closing the session.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "could not start chromedriver ({program}): {e}. The browser tests need chromedriver \
                 and Chromium installed (apt-get install chromium chromium-driver), or set \
                 CHROMEDRIVER and CHROME_BIN."
            )
        });
        Driver { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `/status` until chromedriver says it is ready.
    async fn wait_ready(&mut self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("http client");
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited during startup: {status}");
            }
            if let Ok(res) = http.get(format!("{}/status", self.url())).send().await
                && let Ok(body) = res.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready within {STARTUP:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A headless Chromium session against one running app.
struct Browser {
    client: Client,
    base: String,
    /// The site under test, for what a browser cannot see (the setup code in the server's log).
    app: TestApp,
    // Dropped in this order: the driver (and Chromium) first, then the profile, then the lock.
    _driver: Driver,
    _profile: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// A desktop-sized window.
    async fn open(app: &TestApp) -> Browser {
        Browser::open_with(app, None).await
    }

    /// A phone: the viewport is exactly `width` x `height` CSS pixels (Chromium's windows
    /// cannot be made narrower than 500 pixels, so this uses its device emulation).
    async fn open_phone(app: &TestApp, width: u32, height: u32) -> Browser {
        Browser::open_with(app, Some((width, height))).await
    }

    async fn open_with(app: &TestApp, phone: Option<(u32, u32)>) -> Browser {
        let turn = ONE_BROWSER.lock().await;
        let profile = tempfile::tempdir().expect("profile dir");
        let mut driver = Driver::start();
        driver.wait_ready().await;
        let binary =
            std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
        let mut options = json!({
            "binary": binary,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if let Some((width, height)) = phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": false },
            });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_string(), options);
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let connect = tokio::time::timeout(STARTUP, builder.connect(&driver.url())).await;
        let client = match connect {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!("could not start a Chromium session through chromedriver: {e}"),
            Err(_) => panic!("Chromium did not start within {STARTUP:?}"),
        };
        Browser {
            client,
            base: app.address.clone(),
            app: app.new_visitor(),
            _driver: driver,
            _profile: profile,
            _turn: turn,
        }
    }

    /// Ends the WebDriver session cleanly; Drop kills whatever is left either way.
    async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} within {PATIENCE:?}: {e}"))
    }

    /// Clears a text field and types into it, key by key, like a person.
    async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Clicks the element; if htmx swapped it out between finding and clicking (a `change`
    /// event fires a preview request when the focus leaves a field), finds it again.
    async fn click(&self, css: &str) {
        let deadline = Deadline::start();
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) if e.is_stale_element_reference() && !deadline.passed() => {
                    deadline.tick().await
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    /// Waits until the first element matching `css` has `attribute` set to `expected`.
    async fn until_attr(&self, css: &str, attribute: &str, expected: &str) {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.getAttribute({}) : null;",
            json!(css),
            json!(attribute)
        );
        self.until_js(&format!("{attribute} of {css}"), &script, json!(expected))
            .await;
    }

    /// Runs a script and returns what it returns.
    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `script` returns `expected`; the script's last answer is shown on timeout.
    async fn until_js(&self, what: &str, script: &str, expected: Value) {
        let deadline = Deadline::start();
        loop {
            let last = self.js(script).await;
            if last == expected {
                return;
            }
            if deadline.passed() {
                panic!("timed out waiting for {what}: expected {expected}, last saw {last}");
            }
            deadline.tick().await;
        }
    }

    /// The text content of the first element matching `css`, or null.
    async fn text_of(&self, css: &str) -> Value {
        self.js(&format!(
            "const e = document.querySelector({}); return e ? e.textContent.trim() : null;",
            json!(css)
        ))
        .await
    }

    async fn until_text(&self, css: &str, expected: &str) {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent.trim() : null;",
            json!(css)
        );
        self.until_js(&format!("text of {css}"), &script, json!(expected))
            .await;
    }

    async fn until_value(&self, css: &str, expected: &str) {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.value : null;",
            json!(css)
        );
        self.until_js(&format!("value of {css}"), &script, json!(expected))
            .await;
    }

    async fn until_present(&self, css: &str, present: bool) {
        let script = format!("return document.querySelector({}) !== null;", json!(css));
        let what = format!("{css} to be {}", if present { "present" } else { "gone" });
        self.until_js(&what, &script, json!(present)).await;
    }

    /// Waits until the page shown has this path and the document, scripts included, has
    /// finished loading.
    async fn until_at(&self, path: &str) {
        let deadline = Deadline::start();
        loop {
            let url = self.client.current_url().await.expect("current url");
            if url.path() == path
                && self.js("return document.readyState;").await == json!("complete")
            {
                return;
            }
            if deadline.passed() {
                panic!("timed out waiting for the browser to reach {path}; it is at {url}");
            }
            deadline.tick().await;
        }
    }

    /// Waits until the badge list shows `titles`, numbered from 1, ready to drag, with no
    /// message about the order.
    async fn until_list(&self, titles: &[&str]) {
        self.until_list_saying(titles, "").await;
    }

    /// The same, just after a drop: the page says (to screen readers too) that it is saved.
    async fn until_saved_list(&self, titles: &[&str]) {
        self.until_list_saying(titles, "Saved. Members see badges in this order now.")
            .await;
    }

    async fn until_list_saying(&self, titles: &[&str], message: &str) {
        let positions: Vec<String> = (1..=titles.len()).map(|i| i.to_string()).collect();
        let expected = json!({ "titles": titles, "positions": positions, "sortable": true, "message": message });
        self.until_js(&format!("the list {titles:?}"), LIST_STATE, expected)
            .await;
    }

    /// A query parameter of the page shown, decoded.
    async fn query_param(&self, name: &str) -> Option<String> {
        let url = self.client.current_url().await.expect("current url");
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The axe-core violations on the page shown, each as its rule, what it is about and the
    /// first few elements it found. axe-core comes from `tests/axe` (`npm ci` there).
    async fn axe_violations(&self) -> Value {
        static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let source = AXE.get_or_init(|| {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/axe/node_modules/axe-core/axe.min.js");
            std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}. The browser tests need axe-core: run `npm ci` in tests/axe.",
                    path.display()
                )
            })
        });
        if self.js("return typeof window.axe;").await != json!("object") {
            self.js(source).await;
        }
        self.client
            .execute_async(AXE_RUN, vec![])
            .await
            .unwrap_or_else(|e| panic!("axe-core did not run: {e}"))
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        save_screenshot(name, &png);
    }

    // ------------------------------------------------------------ app steps

    /// Creates the first admin through `/dashboard/setup`; the browser is then signed in and
    /// elevated, on the badge list.
    async fn set_up_admin(&self) {
        self.goto(&self.app.setup_link()).await;
        self.type_into("#email", ADMIN_EMAIL).await;
        self.type_into("#password", ADMIN_PASSWORD).await;
        self.type_into("#password_confirm", ADMIN_PASSWORD).await;
        self.click("form[action='/dashboard/setup'] button[type=submit]")
            .await;
        self.until_at("/dashboard/badges").await;
        self.until_js(
            "the header to say the session is elevated",
            "return document.querySelector('form.elevation.elevated .elevation-state') !== null;",
            json!(true),
        )
        .await;
    }

    /// Creates a badge through the editor form.
    async fn create_badge(&self, app: &TestApp, title: &str) {
        self.goto("/dashboard/badges/new").await;
        self.type_into("#title", title).await;
        self.type_into("#description", &format!("{title} description"))
            .await;
        self.click("#badge-form button[type=submit]").await;
        wait_for_db(&format!("badge {title} to be stored"), || {
            app.badge_titles().iter().any(|t| t == title)
        })
        .await;
        // "Create badge" lands on the new badge's page.
        let id = app
            .badges()
            .into_iter()
            .find(|b| b.title == title)
            .map(|b| b.id.into_string())
            .expect("stored");
        self.until_at(&format!("/dashboard/badges/{id}")).await;
    }

    /// Drags the row's handle to `to` (viewport coordinates) the way a hand does: press, move
    /// in small steps, pause, release. SortableJS (forceFallback) ignores one-step drags.
    async fn drag_handle_to(&self, handle: Element, to: (f64, f64)) {
        let (x, y, w, h) = handle.rectangle().await.expect("handle position");
        let from = (x + w / 2.0, y + h / 2.0);
        const STEPS: u32 = 10;
        let mut mouse = MouseActions::new("mouse".to_string())
            .then(PointerAction::MoveToElement {
                element: handle,
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .pause(Duration::from_millis(100));
        let (mut at_x, mut at_y) = (from.0.round(), from.1.round());
        for step in 1..=STEPS {
            let f = f64::from(step) / f64::from(STEPS);
            let next_x = (from.0 + (to.0 - from.0) * f).round();
            let next_y = (from.1 + (to.1 - from.1) * f).round();
            mouse = mouse
                .then(PointerAction::MoveBy {
                    duration: Some(Duration::from_millis(40)),
                    x: next_x - at_x,
                    y: next_y - at_y,
                })
                .pause(Duration::from_millis(60));
            (at_x, at_y) = (next_x, next_y);
        }
        let mouse = mouse
            .pause(Duration::from_millis(300))
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client.perform_actions(mouse).await.expect("drag");
        self.client.release_actions().await.expect("release");
    }

    /// Drags the badge titled `moving` above the one titled `above`.
    async fn drag_above(&self, app: &TestApp, moving: &str, above: &str) {
        let handle = self
            .find(&format!("#badge-{} .drag-handle", badge_id(app, moving)))
            .await;
        let target = self.find(&format!("#badge-{}", badge_id(app, above))).await;
        let (x, y, _, h) = target.rectangle().await.expect("row position");
        // Into the upper quarter of the target row, a little right of its handle.
        let to = (x + 20.0, y + h * 0.25);
        self.drag_handle_to(handle, to).await;
    }
}

/// The style attribute of the first badge in the editor preview.
/// Runs axe-core on the whole document (WCAG 2.1 A and AA rules and best practices) and
/// answers its violations, shortened so that a failing test names them readably.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(r => done(r.violations.map(v => ({
    rule: v.id,
    help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\n').slice(1, 2).join('').trim()),
  }))))
  .catch(e => done('axe-core failed: ' + e));
"#;

const PREVIEW_STYLE: &str = "const b = document.querySelector('#preview .badge'); return b ? b.getAttribute('style') : null;";

/// The badge list as shown: titles, position numbers, whether SortableJS is bound to it, and
/// any message about the order. While a drop is being saved the titles are already in the new
/// order but the positions are not; the list the server sends back numbers them anew.
const LIST_STATE: &str = r#"
const list = document.querySelector('#badge-list');
const texts = css => Array.from(document.querySelectorAll(css)).map(e => e.textContent.trim());
return {
  titles: texts('#badge-list .badge-row .badge-title'),
  positions: texts('#badge-list .badge-row .position'),
  sortable: !!list && list.dataset.sortable === '1',
  message: (document.querySelector('#order-message') || {}).textContent?.trim() ?? null,
};
"#;

/// What is wrong with each badge row on a small screen: the badge squeezed into less than half
/// the row, a title cut off with an ellipsis although the row has room for more of it, or the slug and member count running under the
/// row's buttons. (A title longer than the whole row may end in an ellipsis.)
const PHONE_ROW_PROBLEMS: &str = r#"
const problems = [];
const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
for (const row of document.querySelectorAll('#badge-list .badge-row')) {
  const title = row.querySelector('.badge-title');
  const name = title.textContent.trim();
  const badge = row.querySelector('.badge').getBoundingClientRect();
  const room = row.querySelector('.badge-link').getBoundingClientRect();
  const width = row.getBoundingClientRect().width;
  if (room.width < width / 2) {
    problems.push(`"${name}" gets only ${room.width}px of the row's ${width}px`);
  }
  if (title.scrollWidth > title.clientWidth && badge.width < room.width - 2) {
    problems.push(`"${name}" is cut off at ${title.clientWidth}px of ${title.scrollWidth}px with ${room.width}px of room`);
  }
  const actions = row.querySelector('.row-actions').getBoundingClientRect();
  for (const part of row.querySelectorAll('.meta .slug, .meta .count')) {
    if (overlap(part.getBoundingClientRect(), actions)) {
      problems.push(`"${name}": "${part.textContent.trim()}" runs under the row buttons`);
    }
  }
}
return problems;
"#;

const LIST_TITLES: &str = "return Array.from(document.querySelectorAll('#badge-list .badge-row .badge-title'))\
                           .map(e => e.textContent.trim());";

/// The member picker as shown: the result checkboxes (by label, whether ticked), the names on
/// the chips in the tray, and whether the tray is hidden.
const PICKER_STATE: &str = r#"
const boxes = Array.from(document.querySelectorAll('#picker-results input[type=checkbox][name=member_id]'));
const tray = document.querySelector('#picker-selected');
return {
  results: boxes.map(b => b.dataset.label),
  ticked: boxes.map(b => b.checked),
  chips: Array.from(document.querySelectorAll('#picker-selected .chips li'))
    .map(li => li.querySelector('span').textContent.trim()),
  sent: Array.from(document.querySelectorAll('#picker-selected .chips li input[type=hidden][name=member_id]'))
    .map(i => i.value),
  tray_hidden: !tray || tray.hidden,
};
"#;

/// The holders listed on a badge page (sorted by name: holders given the badge at once have
/// no fixed order), the count beside the heading and the flash message.
const HOLDERS_STATE: &str = r#"
const text = css => (document.querySelector(css) || {}).textContent?.trim() ?? null;
return {
  holders: Array.from(document.querySelectorAll('#holders .holder a')).map(a => a.textContent.trim()).sort(),
  count: text('.page-head p'),
  flash: text('#flash-area .flash'),
};
"#;

/// The badges on a public profile, in the order shown: title, hover text (the description),
/// the colours as drawn, whether the icon is drawn, and whether the badge is visible with its
/// title uncut.
const PROFILE_BADGES: &str = r#"
return Array.from(document.querySelectorAll('.profile .badge')).map(b => {
  const style = getComputedStyle(b);
  const title = b.querySelector('.badge-title');
  const icon = b.querySelector('.badge-icon svg');
  const box = b.getBoundingClientRect();
  const iconBox = icon ? icon.getBoundingClientRect() : null;
  return {
    title: title ? title.textContent.trim() : null,
    description: b.getAttribute('title'),
    background: style.backgroundColor,
    color: style.color,
    icon: !!iconBox && iconBox.width > 0 && iconBox.height > 0,
    shown: box.width > 0 && box.height > 0 && !!title && title.scrollWidth <= title.clientWidth,
  };
});
"#;

/// `/me` as shown: the titles under "Your badges", each offered badge with the value of its
/// button ("add" or "remove"), and whether the page is still the one the marker was set on.
const ME_STATE: &str = r#"
const texts = css => Array.from(document.querySelectorAll(css)).map(e => e.textContent.trim());
return {
  mine: texts('#own-badges .own-held .badge-title'),
  choices: Array.from(document.querySelectorAll('#own-badges .own-choices li')).map(li => [
    (li.querySelector('.badge-title') || {}).textContent?.trim() ?? null,
    (li.querySelector('form button[type=submit]') || {}).value ?? null,
  ]),
  same_page: window.__insigniaNoReload === true,
  path: location.pathname,
};
"#;

/// The badge editor's fields for a badge with its own colours and built-in icon.
fn styled_badge(title: &str, background: &str, text: &str, icon: &str) -> BadgeFields {
    BadgeFields {
        background_color: background.to_string(),
        text_color: text.to_string(),
        icon: icon.to_string(),
        ..BadgeFields::titled(title)
    }
}

/// A member stored straight in the database (no session needed); returns the id.
fn add_member(app: &TestApp, name: &str, email: &str) -> String {
    let new = insignia::members::NewMember::parse(name, email).expect("valid member");
    insignia::members::create(&mut app.db(), &insignia::audit::Actor::system(), &new)
        .expect("member stored")
        .id
        .into_string()
}

fn badge_id(app: &TestApp, title: &str) -> String {
    app.badges()
        .into_iter()
        .find(|b| b.title == title)
        .map(|b| b.id.into_string())
        .unwrap_or_else(|| panic!("no badge {title} in the database"))
}

/// A bounded wait: conditions are polled until they hold or [`PATIENCE`] runs out.
struct Deadline(Instant);

impl Deadline {
    fn start() -> Deadline {
        Deadline(Instant::now() + PATIENCE)
    }

    fn passed(&self) -> bool {
        Instant::now() >= self.0
    }

    async fn tick(&self) {
        tokio::time::sleep(POLL).await;
    }
}

async fn wait_for_db(what: &str, check: impl Fn() -> bool) {
    let deadline = Deadline::start();
    while !check() {
        if deadline.passed() {
            panic!("timed out waiting for {what}");
        }
        deadline.tick().await;
    }
}

fn save_screenshot(name: &str, png: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    std::fs::write(dir.join(name), png).expect("write screenshot");
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn dragging_a_badge_saves_the_new_order() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    for title in ["Alpha", "Bravo", "Charlie"] {
        browser.create_badge(&app, title).await;
    }
    assert_eq!(app.badge_titles(), ["Alpha", "Bravo", "Charlie"]);

    browser.goto("/dashboard/badges").await;
    browser.until_at("/dashboard/badges").await;
    browser.until_list(&["Alpha", "Bravo", "Charlie"]).await;
    browser.drag_above(&app, "Charlie", "Alpha").await;

    wait_for_db("the order Charlie, Alpha, Bravo to be saved", || {
        app.badge_titles() == ["Charlie", "Alpha", "Bravo"]
    })
    .await;
    // The server's list replaces the dragged one: numbered anew, draggable again, and the
    // page says it is saved.
    browser
        .until_saved_list(&["Charlie", "Alpha", "Bravo"])
        .await;
    assert_eq!(
        browser
            .js("return document.querySelector('#order-message').getAttribute('aria-live');")
            .await,
        json!("polite")
    );

    browser.client.refresh().await.expect("reload");
    browser.until_at("/dashboard/badges").await;
    browser.until_list(&["Charlie", "Alpha", "Bravo"]).await;
    browser.screenshot("badge-list.png").await;

    // Two drags in a row, without reloading: the second one works on the list htmx swapped
    // in after the first (Sortable bound again, the new order version sent).
    browser.drag_above(&app, "Bravo", "Charlie").await;
    wait_for_db("the order Bravo, Charlie, Alpha to be saved", || {
        app.badge_titles() == ["Bravo", "Charlie", "Alpha"]
    })
    .await;
    browser
        .until_saved_list(&["Bravo", "Charlie", "Alpha"])
        .await;
    browser.drag_above(&app, "Alpha", "Bravo").await;
    wait_for_db("the order Alpha, Bravo, Charlie to be saved", || {
        app.badge_titles() == ["Alpha", "Bravo", "Charlie"]
    })
    .await;
    browser
        .until_saved_list(&["Alpha", "Bravo", "Charlie"])
        .await;
    browser.close().await;
}

#[tokio::test]
async fn live_preview_follows_typing_and_colour_picks() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    browser.goto("/dashboard/badges/new").await;
    browser.until_at("/dashboard/badges/new").await;
    browser
        .until_text("#preview .badge-title", "Badge title")
        .await;

    browser.type_into("#title", "Night Owl").await;
    browser
        .until_text("#preview .badge-title", "Night Owl")
        .await;

    // Gold with white text is hard to read: the preview says so.
    browser.type_into("#background_color", "#FFD700").await;
    browser.type_into("#text_color", "#FFFFFF").await;
    browser
        .until_js(
            "the preview badge to take the typed colours",
            PREVIEW_STYLE,
            json!("background-color: #FFD700; color: #FFFFFF;"),
        )
        .await;
    browser.until_present("#preview .contrast.warn", true).await;
    let warning = browser.text_of("#preview .contrast.warn").await;
    assert!(
        warning.as_str().is_some_and(|w| w.contains("1.4:1")),
        "the warning should give the ratio: {warning}"
    );
    browser
        .until_attr(
            "#preview [data-set-text-color]",
            "data-set-text-color",
            "#000000",
        )
        .await;

    // One click takes the suggested text colour; the warning goes away.
    browser.click("#preview [data-set-text-color]").await;
    browser.until_value("#text_color", "#000000").await;
    browser
        .until_present("#preview .contrast.warn", false)
        .await;
    browser.until_present("#preview .contrast.ok", true).await;
    browser
        .until_js(
            "the preview badge to take black text",
            PREVIEW_STYLE,
            json!("background-color: #FFD700; color: #000000;"),
        )
        .await;

    // The colour picker fills the text field (upper case) and the preview follows.
    browser
        .js("const picker = document.querySelector('input[type=color][data-sync=background_color]');\
             picker.value = '#2e1065';\
             picker.dispatchEvent(new Event('input', { bubbles: true }));\
             return null;")
        .await;
    browser.until_value("#background_color", "#2E1065").await;
    browser
        .until_js(
            "the preview badge to take the picked colour",
            PREVIEW_STYLE,
            json!("background-color: #2E1065; color: #000000;"),
        )
        .await;
    browser.until_present("#preview .contrast.warn", true).await;
    browser
        .until_attr(
            "#preview [data-set-text-color]",
            "data-set-text-color",
            "#FFFFFF",
        )
        .await;
    // Typing in the text field moves the picker too.
    browser.type_into("#text_color", "#FFEEAA").await;
    browser
        .until_value("input[type=color][data-sync=text_color]", "#ffeeaa")
        .await;
    browser.until_present("#preview .contrast.ok", true).await;
    browser
        .until_text("#preview .badge-title", "Night Owl")
        .await;
    browser.screenshot("badge-editor.png").await;

    // The preview saved nothing.
    assert!(app.badges().is_empty());
    browser.close().await;
}

#[tokio::test]
async fn elevation_prompt_returns_to_the_half_filled_form() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    browser
        .click("form.elevation.elevated button[type=submit]")
        .await;
    browser
        .until_present(".elevation-state .dot.off", true)
        .await;

    browser.goto("/dashboard/badges/new").await;
    browser.until_at("/dashboard/badges/new").await;
    browser.until_present(".notice.subtle", true).await;
    browser.type_into("#title", "Half Done").await;
    browser
        .type_into("#description", "Typed before the password prompt")
        .await;
    browser.click("#badge-form button[type=submit]").await;

    browser.until_at("/dashboard/elevate").await;
    assert_eq!(
        browser.query_param("next").await.as_deref(),
        Some("/dashboard/badges/new")
    );
    browser.until_present("main .notice", true).await;
    assert!(
        app.badges().is_empty(),
        "nothing is saved before the password is confirmed"
    );
    browser.type_into("#password", ADMIN_PASSWORD).await;
    browser
        .click("form[action='/dashboard/elevate'] button[type=submit]")
        .await;

    browser.until_at("/dashboard/badges/new").await;
    browser.until_value("#title", "Half Done").await;
    browser
        .until_value("#description", "Typed before the password prompt")
        .await;
    // One banner says both that the password is confirmed and that the draft is back.
    browser
        .until_js(
            "one banner about the restored draft",
            "return Array.from(document.querySelectorAll('.flash, main .notice')).map(e => e.textContent.trim().slice(0, 40));",
            json!(["Password confirmed, and what you typed i"]),
        )
        .await;
    browser.until_present("form.elevation.elevated", true).await;
    browser
        .until_text("#preview .badge-title", "Half Done")
        .await;

    browser.click("#badge-form button[type=submit]").await;
    wait_for_db("the badge to be stored", || {
        app.badge_titles().iter().any(|t| t == "Half Done")
    })
    .await;
    browser.goto("/dashboard/badges").await;
    browser.until_at("/dashboard/badges").await;
    browser
        .until_js(
            "the new badge in the list",
            LIST_TITLES,
            json!(["Half Done"]),
        )
        .await;
    let badges = app.badges();
    assert_eq!(badges.len(), 1);
    assert_eq!(badges[0].title, "Half Done");
    assert_eq!(badges[0].description, "Typed before the password prompt");
    browser.close().await;
}

#[tokio::test]
async fn badge_list_fits_a_phone_screen() {
    let app = spawn_app().await;
    let browser = Browser::open_phone(&app, 390, 844).await;
    browser.set_up_admin().await;
    for title in [
        "Early Supporter",
        "Community Helper of the Year",
        "Bug Hunter",
    ] {
        browser.create_badge(&app, title).await;
    }
    browser.goto("/dashboard/badges").await;
    browser.until_at("/dashboard/badges").await;
    browser
        .until_js(
            "the list",
            LIST_TITLES,
            json!([
                "Early Supporter",
                "Community Helper of the Year",
                "Bug Hunter"
            ]),
        )
        .await;
    assert_eq!(
        browser.js("return window.innerWidth;").await,
        json!(390),
        "phone viewport"
    );
    browser.screenshot("badge-list-phone.png").await;
    let widths = browser
        .js("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];")
        .await;
    assert!(
        widths[0].as_f64().unwrap_or(f64::MAX) <= widths[1].as_f64().unwrap_or(0.0),
        "the badge list scrolls sideways on a phone (scroll width, viewport width): {widths}"
    );
    let problems = browser.js(PHONE_ROW_PROBLEMS).await;
    assert_eq!(
        problems,
        json!([]),
        "on a 390 px wide phone the badge rows are cramped (see target/screenshots/badge-list-phone.png)"
    );
    browser.close().await;
}

#[tokio::test]
async fn picker_assigns_members_ticked_across_two_searches() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    browser.create_badge(&app, "Pioneer").await;
    let badge = badge_id(&app, "Pioneer");
    let ada = add_member(&app, "Ada Lovelace", "ada.lovelace@example.com");
    let alan = add_member(&app, "Alan Turing", "alan.turing@example.com");
    let grace = add_member(&app, "Grace Hopper", "grace.hopper@example.com");
    app.insert_members(5, "Filler");

    let page = format!("/dashboard/badges/{badge}");
    browser.goto(&page).await;
    browser.until_at(&page).await;
    browser
        .until_js(
            "the badge page with no holders",
            HOLDERS_STATE,
            json!({ "holders": [], "count": "Held by 0 members", "flash": null }),
        )
        .await;
    browser
        .until_js(
            "an empty picker",
            PICKER_STATE,
            json!({ "results": [], "ticked": [], "chips": [], "sent": [], "tray_hidden": true }),
        )
        .await;

    // First search: tick Ada; she goes to the tray.
    browser.type_into("#find", "lovelace").await;
    browser
        .until_js(
            "the picker to find Ada",
            PICKER_STATE,
            json!({ "results": ["Ada Lovelace"], "ticked": [false], "chips": [], "sent": [], "tray_hidden": true }),
        )
        .await;
    browser
        .click("#picker-results input[type=checkbox][data-label='Ada Lovelace']")
        .await;
    browser
        .until_js(
            "Ada in the tray",
            PICKER_STATE,
            json!({ "results": ["Ada Lovelace"], "ticked": [true], "chips": ["Ada Lovelace"], "sent": [ada], "tray_hidden": false }),
        )
        .await;

    // Second search: Ada is no longer among the results but stays in the tray; tick Grace.
    browser.type_into("#find", "hopper").await;
    browser
        .until_js(
            "the picker to find Grace, Ada still in the tray",
            PICKER_STATE,
            json!({ "results": ["Grace Hopper"], "ticked": [false], "chips": ["Ada Lovelace"], "sent": [ada], "tray_hidden": false }),
        )
        .await;
    browser
        .click("#picker-results input[type=checkbox][data-label='Grace Hopper']")
        .await;
    browser
        .until_js(
            "Ada and Grace in the tray",
            PICKER_STATE,
            json!({ "results": ["Grace Hopper"], "ticked": [true], "chips": ["Ada Lovelace", "Grace Hopper"], "sent": [ada, grace], "tray_hidden": false }),
        )
        .await;

    // Searching for Ada again shows her ticked: the tray drives the checkboxes.
    browser.type_into("#find", "lovelace").await;
    browser
        .until_js(
            "Ada found again, ticked",
            PICKER_STATE,
            json!({ "results": ["Ada Lovelace"], "ticked": [true], "chips": ["Ada Lovelace", "Grace Hopper"], "sent": [ada, grace], "tray_hidden": false }),
        )
        .await;
    assert!(
        app.assignments().is_empty(),
        "ticking assigns nothing before the form is sent"
    );

    browser
        .click("#assign-form .actions button[type=submit]")
        .await;
    browser
        .until_js(
            "Ada and Grace among the holders",
            HOLDERS_STATE,
            json!({
                "holders": ["Ada Lovelace", "Grace Hopper"],
                "count": "Held by 2 members",
                "flash": "Badge given to 2 members.",
            }),
        )
        .await;
    browser.until_at(&page).await;
    // A fresh page: the tray is empty again.
    browser
        .until_js(
            "an empty picker after the reload",
            PICKER_STATE,
            json!({ "results": [], "ticked": [], "chips": [], "sent": [], "tray_hidden": true }),
        )
        .await;

    let mut expected = vec![(badge.clone(), ada), (badge.clone(), grace)];
    expected.sort();
    assert_eq!(app.assignments(), expected, "only Ada and Grace hold it");
    assert!(
        !app.assignments().iter().any(|(_, m)| *m == alan),
        "Alan was never ticked"
    );
    app.assert_counts_exact();
    browser.screenshot("badge-page.png").await;
    browser.close().await;
}

#[tokio::test]
async fn profile_shows_badges_and_me_toggles_a_self_assignable_badge() {
    let app = spawn_app().await;
    // The admin (HTTP client) makes five badges in this display order; Night Owl is the one
    // members may add themselves.
    app.setup_admin().await;
    let badges = [
        ("Gold Star", "#FFD700", "#1F1300", "star", false),
        ("Night Owl", "#312E81", "#E0E7FF", "moon", true),
        ("Code Crafter", "#0F172A", "#7DD3FC", "code", false),
        ("Green Thumb", "#65A30D", "#0B1F05", "leaf", false),
        ("Rocket Scientist", "#B91C1C", "#FFF1F2", "rocket", false),
    ];
    for (title, background, text, icon, self_assignable) in badges {
        let fields = BadgeFields {
            self_assignable,
            ..styled_badge(title, background, text, icon)
        };
        let res = app
            .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
            .await;
        assert_eq!(res.status().as_u16(), 303, "creating {title}");
    }
    assert_eq!(
        app.badge_titles(),
        badges.map(|(title, ..)| title),
        "display order"
    );
    let night_owl = badge_id(&app, "Night Owl");

    // Ada signs up in the browser and is signed in.
    let browser = Browser::open(&app).await;
    browser.goto("/signup").await;
    browser.until_at("/signup").await;
    browser.type_into("#name", "Ada Lovelace").await;
    browser.type_into("#email", "ada@example.com").await;
    browser.type_into("#password", "analytical engine").await;
    browser
        .click("form[action='/signup'] button[type=submit]")
        .await;
    browser.until_at("/me").await;
    browser
        .until_text(".topbar .who", "Signed in as Ada Lovelace")
        .await;
    let ada = insignia::members::find_by_email(&mut app.db(), "ada@example.com")
        .expect("db")
        .expect("Ada signed up")
        .id
        .into_string();

    // The admin gives her three badges, not in display order; Green Thumb stays with nobody.
    for title in ["Rocket Scientist", "Gold Star", "Code Crafter"] {
        let badge = badge_id(&app, title);
        let res = app
            .submit(
                &format!("/dashboard/badges/{badge}"),
                &format!("/dashboard/badges/{badge}/members"),
                &[("member_id", &ada)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303, "giving Ada {title}");
    }
    assert_eq!(app.assignments().len(), 3);

    // Her public profile: the three badges in display order, each in its own colours with its
    // icon, the description on hover.
    browser.goto("/members/ada-lovelace").await;
    browser.until_at("/members/ada-lovelace").await;
    browser.until_text(".profile h1", "Ada Lovelace").await;
    let shown = |title: &str, background: &str, color: &str| {
        json!({
            "title": title,
            "description": format!("{title} description"),
            "background": background,
            "color": color,
            "icon": true,
            "shown": true,
        })
    };
    browser
        .until_js(
            "the profile to show Gold Star, Code Crafter and Rocket Scientist",
            PROFILE_BADGES,
            json!([
                shown("Gold Star", "rgb(255, 215, 0)", "rgb(31, 19, 0)"),
                shown("Code Crafter", "rgb(15, 23, 42)", "rgb(125, 211, 252)"),
                shown("Rocket Scientist", "rgb(185, 28, 28)", "rgb(255, 241, 242)"),
            ]),
        )
        .await;
    // She is looking at her own profile: it links to where she manages her badges.
    browser.until_present(".profile a[href='/me']", true).await;
    // Only "Members" is the current section here, not "Your profile" (/me is not /members).
    browser
        .until_present(".mainnav a[href='/members'].active", true)
        .await;
    browser
        .until_present(".mainnav a[href='/me'].active", false)
        .await;
    browser.screenshot("profile.png").await;

    // /me: her three badges, and Night Owl offered with an Add button.
    browser.goto("/me").await;
    browser.until_at("/me").await;
    let me = |mine: &[&str], button: &str| {
        json!({
            "mine": mine,
            "choices": if button == "add" { json!([["Night Owl", "add"]]) } else { json!([]) },
            "same_page": true,
            "path": "/me",
        })
    };
    browser
        .js("window.__insigniaNoReload = true; return null;")
        .await;
    browser
        .until_js(
            "/me with three badges and Night Owl to add",
            ME_STATE,
            me(&["Gold Star", "Code Crafter", "Rocket Scientist"], "add"),
        )
        .await;
    browser
        .until_js(
            "htmx to be loaded",
            "return typeof htmx !== 'undefined';",
            json!(true),
        )
        .await;

    // Add: htmx swaps the block in place; Night Owl joins her badges in display order and its
    // button turns into Remove.
    let button = |action: &str| {
        let list = if action == "add" {
            "own-choices"
        } else {
            "own-held"
        };
        format!(
            "#own-badges .{list} input[name=badge_id][value='{night_owl}'] ~ button[value={action}]"
        )
    };
    browser.click(&button("add")).await;
    browser
        .until_js(
            "Night Owl among her badges, without a reload",
            ME_STATE,
            me(
                &["Gold Star", "Night Owl", "Code Crafter", "Rocket Scientist"],
                "remove",
            ),
        )
        .await;
    wait_for_db("Night Owl to be stored as Ada's", || {
        app.assignments()
            .contains(&(night_owl.clone(), ada.clone()))
    })
    .await;
    assert_eq!(app.assignments().len(), 4);
    assert_eq!(
        browser
            .js(&format!(
                "const b = document.querySelector({}); return b ? b.getAttribute('aria-label') : null;",
                json!(button("remove"))
            ))
            .await,
        json!("Remove Night Owl from your badges")
    );
    // The keyboard focus stays with the badge: on its new row's control, not on <body>.
    const FOCUSED: &str = "const a = document.activeElement; return a ? (a.getAttribute('aria-label') || a.tagName) : null;";
    browser
        .until_js(
            "the focus on Night Owl's new control",
            FOCUSED,
            json!("Pin Night Owl to the front"),
        )
        .await;
    browser.screenshot("me.png").await;

    // Remove: the swapped-in button works too, still without a reload.
    browser.click(&button("remove")).await;
    browser
        .until_js(
            "Night Owl gone from her badges, without a reload",
            ME_STATE,
            me(&["Gold Star", "Code Crafter", "Rocket Scientist"], "add"),
        )
        .await;
    wait_for_db("Night Owl to be taken off Ada", || {
        !app.assignments()
            .contains(&(night_owl.clone(), ada.clone()))
    })
    .await;
    let mut expected: Vec<(String, String)> = ["Gold Star", "Code Crafter", "Rocket Scientist"]
        .into_iter()
        .map(|title| (badge_id(&app, title), ada.clone()))
        .collect();
    expected.sort();
    assert_eq!(app.assignments(), expected, "Ada keeps the admin's three");
    app.assert_counts_exact();

    // Hide: Gold Star stays hers but leaves her public profile and the directory.
    let gold = badge_id(&app, "Gold Star");
    browser
        .click(&format!(
            "#own-badges .own-held input[name=badge_id][value='{gold}'] ~ button[value=hide]"
        ))
        .await;
    browser
        .until_present(
            &format!("#own-badges .own-held li.is-hidden input[value='{gold}']"),
            true,
        )
        .await;
    // Hide became Show, and the focus is on it.
    browser
        .until_js(
            "the focus on Gold Star's Show",
            FOCUSED,
            json!("Show Gold Star on your profile"),
        )
        .await;
    browser.goto("/members/ada-lovelace").await;
    browser
        .until_js(
            "her profile without Gold Star",
            "return [...document.querySelectorAll('.profile .badge-title')].map(e => e.textContent.trim());",
            json!(["Code Crafter", "Rocket Scientist"]),
        )
        .await;
    browser.goto("/members").await;
    browser
        .until_js(
            "the directory without Gold Star",
            "return [...document.querySelectorAll('.member-card .badge-title')].map(e => e.textContent.trim());",
            json!(["Code Crafter", "Rocket Scientist"]),
        )
        .await;
    assert_eq!(app.assignments(), expected, "hidden, not taken away");
    browser.close().await;
}

#[tokio::test]
async fn a_key_made_in_the_dashboard_lets_a_program_add_a_badge_that_the_list_shows() {
    let app = spawn_app().await;
    let browser = Browser::open(&app).await;
    browser.set_up_admin().await;
    browser.goto("/dashboard/api-keys").await;
    browser.type_into("#name", "Shop sync").await;
    browser
        .click("form[action='/dashboard/api-keys'] button[type=submit]")
        .await;
    let secret = browser
        .find("#secret")
        .await
        .prop("value")
        .await
        .expect("value")
        .expect("the key is shown");
    assert!(secret.starts_with("insignia_"), "{secret}");
    browser.screenshot("api-keys.png").await;

    let reply = app
        .api(
            reqwest::Method::POST,
            "/members/v3/badges",
            Some(&secret),
            Some(json!({"badge": {"title": "Made by a program", "icon": "rocket"}})),
        )
        .await;
    assert_eq!(reply.status, reqwest::StatusCode::OK, "{}", reply.body);
    browser.goto("/dashboard/badges").await;
    browser.until_at("/dashboard/badges").await;
    browser.until_list(&["Made by a program"]).await;
    // Shown once: the list no longer holds the secret.
    browser.goto("/dashboard/api-keys").await;
    browser.until_at("/dashboard/api-keys").await;
    browser.until_present("#secret", false).await;
    browser.close().await;
}

#[tokio::test]
async fn a_visitor_follows_a_badge_from_a_profile_to_its_page_and_holders() {
    let app = spawn_app().await;
    app.setup_admin().await;
    let mut mentor = BadgeFields::titled("Mentor");
    mentor.description = "Helped three newcomers through their first month.".to_string();
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &mentor)
        .await;
    assert!(res.status().is_redirection());
    let badge = badge_id(&app, "Mentor");
    let key = app.create_api_key("Browser").await;
    let members = app.insert_members(60, "Holder");
    let reply = app
        .api(
            reqwest::Method::POST,
            &format!("/members/v3/badges/{badge}/members"),
            Some(&key),
            Some(json!({ "memberIds": members })),
        )
        .await;
    assert_eq!(reply.status, reqwest::StatusCode::OK);
    let profile = format!("/members/{}", app.member(&members[0]).expect("member").slug);

    let browser = Browser::open(&app).await; // a visitor: not signed in
    browser.goto(&profile).await;
    browser.until_at(&profile).await;
    browser.click("a.badge-link").await;
    let slug = app.badges()[0].slug.clone();
    browser.until_at(&format!("/badges/{slug}")).await;
    browser.until_text("h1", "Mentor").await;
    let text = browser.text_of(".badge-page").await;
    assert!(
        text.as_str()
            .unwrap_or("")
            .contains("Helped three newcomers"),
        "{text}"
    );
    browser.until_text("#held-by", "Held by 60 members").await;
    let first_page = browser
        .js("return document.querySelectorAll('.holders-list li').length;")
        .await;
    assert_eq!(first_page, json!(50));
    browser.click("a[rel=next]").await;
    browser
        .until_js(
            "the older holders",
            "return location.search.startsWith('?before=') && \
             document.querySelectorAll('.holders-list li').length;",
            json!(10),
        )
        .await;
    browser.screenshot("badge-page-older-holders").await;
    browser.close().await;
}

mod editor;
mod holders;
mod walk;

#[tokio::test]
async fn a_refused_change_on_me_says_why_without_a_reload() {
    // One change a minute, so the second click is over the member's budget.
    let app = crate::helpers::spawn_app_with(|s| s.member_changes_per_minute = 1).await;
    app.setup_admin().await;
    let fields = BadgeFields {
        self_assignable: true,
        ..styled_badge("Night Owl", "#312E81", "#E0E7FF", "moon")
    };
    let res = app
        .submit_badge("/dashboard/badges/new", "/dashboard/badges/new", &fields)
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let night_owl = badge_id(&app, "Night Owl");

    let browser = Browser::open(&app).await;
    browser.goto("/signup").await;
    browser.type_into("#name", "Ada Lovelace").await;
    browser.type_into("#email", "ada@example.com").await;
    browser
        .type_into("#password", "a long enough password")
        .await;
    browser
        .click("form[action='/signup'] button[type=submit]")
        .await;
    browser.until_at("/me").await;
    browser
        .until_js(
            "htmx to be loaded",
            "return typeof htmx !== 'undefined';",
            json!(true),
        )
        .await;
    let button = |list: &str, action: &str| {
        format!(
            "#own-badges .{list} input[name=badge_id][value='{night_owl}'] ~ button[value={action}]"
        )
    };
    browser.click(&button("own-choices", "add")).await;
    browser
        .until_present(&button("own-held", "remove"), true)
        .await;
    browser.click(&button("own-held", "remove")).await;
    browser
        .until_js(
            "the refusal in the message area",
            "const n = document.querySelector('#flash-area [role=alert]'); \
             return !!n && n.textContent.startsWith('You have made a lot of changes in a short time. \
             Nothing was changed. Please try again in');",
            json!(true),
        )
        .await;
    assert_eq!(app.assignments().len(), 1, "the badge stayed hers");
    browser.close().await;
}
