//! Latency of the hot read and write paths of the JSON API and the member-facing pages, over
//! real HTTP against an in-process server and a demo database.
//!
//!   cargo bench --bench api                       # 100,000 members, 500,000 assignments
//!   INSIGNIA_BENCH_MEMBERS=1000000 INSIGNIA_BENCH_ASSIGNMENTS=5000000 cargo bench --bench api
//!   INSIGNIA_BENCH_DB=big.db cargo bench --bench api   # reuse a database `insignia demo` made
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it does a small smoke run, so the
//! harness keeps working. Prints one line per scenario: p50, p95, p99 and the slowest request.

// A benchmark may panic on setup failures: the panic is the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use insignia::Application;
use insignia::config::Settings;

struct Scenario {
    name: &'static str,
    method: reqwest::Method,
    path: String,
    body: Option<serde_json::Value>,
    key: bool,
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (members, assignments, rounds) = if full {
        (
            env_number("INSIGNIA_BENCH_MEMBERS", 100_000),
            env_number("INSIGNIA_BENCH_ASSIGNMENTS", 500_000),
            env_number("INSIGNIA_BENCH_ROUNDS", 300),
        )
    } else {
        (500, 1_500, 3)
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let database = match std::env::var("INSIGNIA_BENCH_DB") {
        Ok(path) if full => path,
        _ => {
            let path = dir.path().join("bench.db").to_string_lossy().to_string();
            let started = Instant::now();
            insignia::demo::fill(
                &path.as_str().into(),
                insignia::demo::DemoSize {
                    members,
                    assignments,
                },
            )
            .expect("demo database");
            println!(
                "demo database: {members} members, {assignments} assignments in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            path
        }
    };

    // What the scenarios act on: the most-held badge, some members, a key.
    let pool = insignia::open_site(&database.as_str().into()).expect("open");
    let (badge, member_ids, slug, key) = {
        let mut conn = pool.get().expect("conn");
        let badges = insignia::badges::store::list_in_order(&mut conn).expect("badges");
        let popular = badges
            .iter()
            .max_by_key(|b| b.member_count)
            .expect("a badge")
            .clone();
        let (holders, _) = insignia::members::assignments::holders_oldest_first(
            &mut conn,
            &popular.id,
            insignia::members::profile::Audience::Everyone,
            0,
            100,
        )
        .expect("holders");
        let member =
            insignia::members::find(&mut conn, &holders[0].as_str().into()).expect("member");
        let (_, key) = insignia::auth::api_keys::create(
            &mut conn,
            &insignia::audit::Actor::system(),
            "benchmark",
        )
        .expect("key");
        (popular, holders, member.slug, key)
    };
    drop(pool);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let mut settings = Settings::new("127.0.0.1:0", database);
        settings.api_writes_per_minute = 1_000_000;
        let app = Application::build(settings).expect("app");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let id = &badge.id;
        let deep = (badge.member_count / 2).max(0);
        let scenarios = vec![
            Scenario { name: "listBadges", method: reqwest::Method::GET, path: "/members/v3/badges".into(), body: None, key: false },
            Scenario { name: "getBadge", method: reqwest::Method::GET, path: format!("/members/v3/badges/{id}"), body: None, key: false },
            Scenario { name: "queryBadges (startsWith)", method: reqwest::Method::POST, path: "/members/v3/badges/query".into(), body: Some(serde_json::json!({"filter": {"title": {"$startsWith": "t"}}, "sort": [{"fieldName": "title"}]})), key: false },
            Scenario { name: "getMemberCountsPerBadge", method: reqwest::Method::GET, path: "/members/v3/badges/members/count".into(), body: None, key: false },
            Scenario { name: "listMembersByBadge first page", method: reqwest::Method::GET, path: format!("/members/v3/badges/{id}/members?paging.limit=100"), body: None, key: false },
            Scenario { name: "listMembersByBadge middle page", method: reqwest::Method::GET, path: format!("/members/v3/badges/{id}/members?paging.limit=100&paging.offset={deep}"), body: None, key: false },
            Scenario { name: "listBadgesPerMember (100 ids)", method: reqwest::Method::POST, path: "/members/v3/badges/members".into(), body: Some(serde_json::json!({"memberIds": member_ids})), key: false },
            Scenario { name: "assignBadge (100 already held)", method: reqwest::Method::POST, path: format!("/members/v3/badges/{id}/members"), body: Some(serde_json::json!({"memberIds": member_ids})), key: true },
            Scenario { name: "profile page", method: reqwest::Method::GET, path: format!("/members/{slug}"), body: None, key: false },
            Scenario { name: "member directory search", method: reqwest::Method::GET, path: "/members?q=ann".into(), body: None, key: false },
        ];
        println!("\n| scenario | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|");
        for s in &scenarios {
            let mut times = Vec::with_capacity(rounds);
            for round in 0..rounds + rounds.min(10) {
                let mut request = client.request(s.method.clone(), format!("{base}{}", s.path));
                if s.key {
                    request = request.header("Authorization", &key);
                }
                if let Some(body) = &s.body {
                    request = request.json(body);
                }
                let started = Instant::now();
                let res = request.send().await.expect("request");
                let status = res.status();
                res.bytes().await.expect("body");
                let took = started.elapsed();
                assert!(status.is_success(), "{}: {status}", s.name);
                if round >= rounds.min(10) {
                    times.push(took); // the first few warm the caches
                }
            }
            times.sort();
            println!(
                "| {} | {} | {} | {} | {} |",
                s.name,
                ms(percentile(&times, 0.50)),
                ms(percentile(&times, 0.95)),
                ms(percentile(&times, 0.99)),
                ms(*times.last().expect("times")),
            );
        }
    });
}
