//! Schemathesis (pinned in `scripts/schemathesis-requirements.txt`) against a running Insignia:
//! it reads `/members/v3/openapi.json` and sends what the document allows and what it forbids,
//! with every check on, so the document stays true to the server. A request the document
//! allows must not be refused, one it forbids must not be accepted, no answer may break its
//! schema or be a server error, and a 405 must say which methods are allowed.
//!
//! `scripts/test.sh` installs the tool into `target/schemathesis-venv` and names it in
//! `INSIGNIA_SCHEMATHESIS`; run alone, the test installs it there when it is missing (needs
//! Python 3.11+ with `venv` and PyPI). Without the tool the test fails on CI (`CI=true`) and is
//! skipped elsewhere, with a note.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::helpers::spawn_app_with;

/// Test cases per operation in the generated phases; the coverage phase adds its own. Small
/// enough for about a minute on two cores, alongside other tests.
const MAX_EXAMPLES: &str = "25";
/// A fixed seed, so a failure shows again on the next run.
const SEED: &str = "20261129";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn requirements() -> PathBuf {
    repository().join("scripts/schemathesis-requirements.txt")
}

fn venv() -> PathBuf {
    repository().join("target/schemathesis-venv")
}

/// The schemathesis program: `INSIGNIA_SCHEMATHESIS`, or the one in `target/`, installed there
/// first when missing. `None` when it cannot be had.
fn schemathesis() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("INSIGNIA_SCHEMATHESIS") {
        let named = PathBuf::from(named);
        return named.exists().then_some(named);
    }
    let program = venv().join("bin/schemathesis");
    if program.exists() {
        return Some(program);
    }
    eprintln!("installing schemathesis into {}", venv().display());
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv())
        .status()
        .is_ok_and(|s| s.success());
    let installed = made
        && Command::new(venv().join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(requirements())
            .status()
            .is_ok_and(|s| s.success());
    (installed && program.exists()).then_some(program)
}

#[tokio::test]
async fn schemathesis_finds_the_api_true_to_its_document() {
    let Some(program) = schemathesis() else {
        let on_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        let why = "schemathesis is not installed: run scripts/test.sh, or `python3 -m venv \
                   target/schemathesis-venv && target/schemathesis-venv/bin/pip install -r \
                   scripts/schemathesis-requirements.txt`, or name the program in \
                   INSIGNIA_SCHEMATHESIS";
        assert!(!on_ci, "{why}");
        eprintln!("skipped: {why}");
        return;
    };
    // Writes are limited per key; the fuzzer makes hundreds, and a 429 tests nothing.
    let app = spawn_app_with(|settings| settings.api_writes_per_minute = 1_000_000).await;
    app.setup_admin().await;
    let key = app.create_api_key("Schemathesis").await;
    let workdir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    // Every check is on: `scripts/schemathesis.toml` says so, with one exception explained there.
    let output = tokio::process::Command::new(&program)
        .arg("--config-file")
        .arg(repository().join("scripts/schemathesis.toml"))
        .arg("run")
        .arg(app.url("/members/v3/openapi.json"))
        .args(["--url", &app.address])
        .args(["--header", &format!("Authorization: {key}")])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--seed", SEED])
        .args(["--generation-database", "none"])
        .arg("--no-color")
        // Where it would leave files of its own (it leaves none with these options).
        .current_dir(workdir.path())
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis found the API and its document disagreeing:\n{report}"
    );
    let summary = report
        .lines()
        .rev()
        .find(|line| line.contains(" in ") && line.starts_with('='))
        .unwrap_or_default();
    println!(
        "schemathesis passed in {:.0?}: {summary}",
        started.elapsed()
    );
}
