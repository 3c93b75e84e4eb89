//! A real SMTP server for the mail tests: `tests/smtp/server.py`, aiosmtpd from PyPI, on a
//! loopback port, printing each message it accepts as JSON (parsed by Python's `email`
//! package). `scripts/test.sh` installs aiosmtpd into `target/smtp-venv` and names its Python
//! in `INSIGNIA_SMTP_PYTHON`; run alone, a test installs it there when it is missing.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::AsyncBufReadExt;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with aiosmtpd (see [`crate::helpers::python_venv`]).
fn python() -> PathBuf {
    crate::helpers::python_venv(
        "INSIGNIA_SMTP_PYTHON",
        "smtp-venv",
        "tests/smtp/requirements.txt",
    )
}

/// The server, stopped when dropped; what it received so far is in `messages`.
pub struct SmtpServer {
    pub port: u16,
    messages: Arc<Mutex<Vec<Value>>>,
    _process: tokio::process::Child,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        SmtpServer::start_with(&[]).await
    }

    /// With extra options of `server.py` (`--port`, `--login user:password`, `--refuse-rcpt`).
    pub async fn start_with(options: &[&str]) -> SmtpServer {
        let mut process = tokio::process::Command::new(python())
            .arg(repository().join("tests/smtp/server.py"))
            .args(options)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP server");
        let stdout = process.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let ready = lines
            .next_line()
            .await
            .expect("the SMTP server's output")
            .expect("the SMTP server says it is ready");
        let port = ready
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not ready: {ready}"));
        let messages = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::clone(&messages);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let message: Value = serde_json::from_str(&line).expect("a message as JSON");
                received.lock().unwrap().push(message);
            }
        });
        SmtpServer {
            port,
            messages,
            _process: process,
        }
    }

    /// `smtp://127.0.0.1:PORT`, as `--smtp-url` takes it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Value> {
        self.messages.lock().unwrap().clone()
    }

    /// Forgets what arrived so far (a test's earlier mails), so that counts start again.
    pub fn forget(&self) {
        self.messages.lock().unwrap().clear();
    }

    /// Waits until `count` messages arrived (at most 30 s) and returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{count} mails expected, {} arrived: {received:#?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A free loopback port (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One header of a received message, decoded (`None` when absent).
pub fn header(message: &Value, name: &str) -> Option<String> {
    message["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .and_then(|h| h[1].as_str())
        .map(str::to_string)
}

/// The first link in a message's text part that starts with `prefix`.
pub fn link(message: &Value, prefix: &str) -> String {
    let text = message["text"].as_str().expect("a text part");
    text.split_whitespace()
        .find(|word| word.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link to {prefix} in {text}"))
        .to_string()
}
