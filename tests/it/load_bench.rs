//! `scripts/load-bench.py` runs end to end on a small demo: it builds the demo and its plain-SQL
//! baseline, serves it, measures every scenario with wrk, times a bulk change through the
//! dashboard, and reports. The numbers are not checked here (debug build, busy machine); that
//! the script works is. wrk is installed by the script when missing; when it cannot be, the
//! script fails and so does this test.

use std::path::Path;
use std::process::Command;

#[test]
fn the_load_benchmark_runs_end_to_end_on_a_small_demo() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/load-bench.py");
    let out = Command::new("python3")
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
        // The sizes are the ones given here, whatever the environment says.
        .env_remove("INSIGNIA_BENCH_MEMBERS")
        .env_remove("INSIGNIA_BENCH_ASSIGNMENTS")
        .env_remove("INSIGNIA_BENCH_DB")
        .output()
        .expect("run python3 scripts/load-bench.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "load-bench.py failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for needle in [
        "| scenario | req/s | p99 ms | ratio to /healthz | bytes |",
        "GET /healthz",
        "profile page GET /members/{slug}",
        "listBadgesPerMember",
        "public directory GET /members",
        "directory prefix search GET /members?q=an",
        "demo build",
        "plain-SQL build",
        "2,000 e-mails",
        "peak RSS",
    ] {
        assert!(
            stdout.contains(needle),
            "no {needle:?} in:\n{stdout}\n{stderr}"
        );
    }
}
