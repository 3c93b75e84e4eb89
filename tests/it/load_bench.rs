//! `scripts/load-bench.py` runs end to end on a small demo: it builds the demo (and, on SQLite,
//! its plain-SQL baseline), serves it, measures every scenario with wrk, times a bulk change
//! through the dashboard and in plain SQL, and reports. The numbers are not checked here (debug
//! build, busy machine); that the script works is. wrk is installed by the script when missing;
//! when it cannot be, the script fails and so does this test.
//!
//! When the tests run on PostgreSQL (`INSIGNIA_TEST_POSTGRES`), the script runs there with
//! `--postgres`, on a database of its own that is dropped afterwards.

use std::path::Path;
use std::process::Command;

use crate::helpers::{drop_postgres_database, postgres_server};

/// The benchmark's PostgreSQL database, dropped when the test ends (also when it fails).
struct BenchDatabase {
    server: String,
    name: String,
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        drop_postgres_database(&self.server, &self.name);
    }
}

#[test]
fn the_load_benchmark_runs_end_to_end_on_a_small_demo() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/load-bench.py");
    let mut command = Command::new("python3");
    command
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_insignia"))
        .args([
            "--members",
            "3000",
            "--assignments",
            "9000",
            "--seconds",
            "1",
            "--bulk",
            "2000",
        ])
        // The sizes and the database are the ones given here, whatever the environment says.
        .env_remove("INSIGNIA_BENCH_MEMBERS")
        .env_remove("INSIGNIA_BENCH_ASSIGNMENTS")
        .env_remove("INSIGNIA_BENCH_DB")
        .env_remove("INSIGNIA_BENCH_POSTGRES");
    let database = postgres_server().map(|server| BenchDatabase {
        server,
        name: format!("insignia_bench_test_{}", std::process::id()),
    });
    if let Some(db) = &database {
        command.args(["--postgres", &db.server, "--db", &db.name]);
    }
    let out = command.output().expect("run python3 scripts/load-bench.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "load-bench.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let backend = if database.is_some() {
        "database: PostgreSQL"
    } else {
        "database: SQLite"
    };
    for needle in [
        backend,
        "| scenario | req/s | p99 ms | ratio to /healthz | bytes |",
        "GET /healthz",
        "profile page GET /members/{slug}",
        "listBadgesPerMember",
        "public directory GET /members",
        "directory prefix search GET /members?q=an",
        "demo build",
        "plain-SQL build",
        "database size: demo",
        "2,000 e-mails",
        "bulk change in plain SQL",
        "rule preview",
        "rule save",
        "rule step with 10 rules",
        "expiry of the bulk change's",
        "peak RSS",
    ] {
        assert!(
            stdout.contains(needle),
            "no {needle:?} in:\n{stdout}\n{stderr}"
        );
    }
}
