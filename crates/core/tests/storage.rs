//! The core on its own, without a server, on the database of the pass (SQLite in the first
//! pass of scripts/test.sh; PostgreSQL in the second, where `INSIGNIA_TEST_POSTGRES` names a
//! server and each test gets a database of its own there): every way of giving and taking
//! badges keeps both stored counts exact, and background jobs are shared between servers as
//! they say.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use diesel::prelude::*;
use insignia_core::audit::Actor;
use insignia_core::badges::{Badge, BadgeInput, store};
use insignia_core::db::DbConnection;
use insignia_core::db::schema::{badges, events, member_badges, members as members_table};

use insignia_core::ids::MemberId;
use insignia_core::jobs::{Job, Progress, Runner, Share};
use insignia_core::members::{self, Member, NewMember, assignments};

/// A database of its own for one test, dropped with it.
struct Database {
    _dir: tempfile::TempDir,
    location: String,
    postgres: Option<(String, String)>,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut conn) = diesel::pg::PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

fn database() -> Database {
    let dir = tempfile::tempdir().expect("temp dir");
    match std::env::var("INSIGNIA_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
    {
        Some(server) => {
            let name = format!("insignia_core_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = diesel::pg::PgConnection::establish(&server).expect("postgres server");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create database");
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            Database {
                location: format!("{base}/{name}"),
                _dir: dir,
                postgres: Some((server, name)),
            }
        }
        None => Database {
            location: dir.path().join("core.db").to_string_lossy().to_string(),
            _dir: dir,
            postgres: None,
        },
    }
}

fn badge(conn: &mut DbConnection, actor: &Actor, title: &str) -> Badge {
    let input = BadgeInput {
        title: title.to_string(),
        ..BadgeInput::default()
    };
    store::create(conn, actor, &input.parse().expect("valid badge"), None).expect("badge")
}

fn member(conn: &mut DbConnection, actor: &Actor, n: usize) -> Member {
    let new = NewMember::parse(&format!("Member {n}"), &format!("member{n}@example.org"))
        .expect("valid member");
    members::create(conn, actor, &new).expect("member")
}

/// Every badge's and member's stored count against the assignments that exist.
fn counts_are_exact(conn: &mut DbConnection) {
    let stored: Vec<(i64, i64)> = badges::table
        .select((badges::key, badges::member_count))
        .load::<(insignia_core::db::keys::BadgeKey, i64)>(conn)
        .expect("badges")
        .into_iter()
        .map(|(key, count)| (key.0, count))
        .collect();
    for (key, count) in stored {
        let held: i64 = member_badges::table
            .filter(member_badges::badge_key.eq(insignia_core::db::keys::BadgeKey(key)))
            .count()
            .get_result(conn)
            .expect("holders");
        assert_eq!(count, held, "badge {key}: stored count against its holders");
    }
    let stored: Vec<(insignia_core::db::keys::MemberKey, i64)> = members_table::table
        .select((members_table::key, members_table::badge_count))
        .load(conn)
        .expect("members");
    for (key, count) in stored {
        let held: i64 = member_badges::table
            .filter(member_badges::member_key.eq(key))
            .count()
            .get_result(conn)
            .expect("badges held");
        assert_eq!(
            count, held,
            "member {}: stored count against their badges",
            key.0
        );
    }
}

fn held_by(conn: &mut DbConnection, badge: &Badge) -> i64 {
    store::find(conn, &badge.id).expect("badge").member_count
}

fn events_of(conn: &mut DbConnection, kind: &str) -> i64 {
    events::table
        .filter(events::kind.eq(kind))
        .count()
        .get_result(conn)
        .expect("events")
}

#[test]
fn every_way_of_giving_and_taking_keeps_both_counts_exact() {
    let db = database();
    let pool = insignia_core::open_site(&db.location.as_str().into()).expect("opens");
    let mut conn = pool.get().expect("connection");
    let owner = Actor::admin("owner@example.org");
    let gold = badge(&mut conn, &owner, "Gold");
    let silver = badge(&mut conn, &owner, "Silver");
    let bronze = badge(&mut conn, &owner, "Bronze");
    let people: Vec<Member> = (0..40).map(|n| member(&mut conn, &owner, n)).collect();
    let ids = |range: std::ops::Range<usize>| -> Vec<MemberId> {
        people[range].iter().map(|m| m.id.clone()).collect()
    };

    // A dry run of the bulk box changes nothing.
    let pasted: String = people
        .iter()
        .map(|m| format!("{}\n", m.email))
        .collect::<String>()
        + "nobody@example.org\n";
    let planned = assignments::plan_bulk(&mut conn, &gold.id.clone(), &pasted).expect("dry run");
    assert_eq!(planned.len(), 41, "one line of report per pasted line");
    assert_eq!(held_by(&mut conn, &gold), 0, "a dry run gives nothing");
    assert_eq!(events_of(&mut conn, "badge.assigned"), 0);

    // The bulk box gives Gold to all forty (the unknown address is reported, not fatal).
    assignments::apply_bulk(&mut conn, &owner, &gold.id.clone(), &pasted).expect("bulk change");
    assert_eq!(held_by(&mut conn, &gold), 40);
    assert_eq!(
        events_of(&mut conn, "badge.assigned"),
        40,
        "one event per member given it"
    );
    // Giving again to those who hold it changes nothing.
    let again =
        assignments::assign(&mut conn, &owner, &gold.id.clone(), &ids(0..5)).expect("assign");
    assert!(again.added.is_empty());
    assert_eq!(again.already.len(), 5);
    assert_eq!(events_of(&mut conn, "badge.assigned"), 40);

    assignments::assign(&mut conn, &owner, &silver.id.clone(), &ids(0..10)).expect("assign");
    assignments::assign(&mut conn, &owner, &bronze.id.clone(), &ids(5..8)).expect("assign");
    let taken =
        assignments::unassign(&mut conn, &owner, &gold.id.clone(), &ids(30..35)).expect("unassign");
    assert_eq!(taken.len(), 5);
    assert_eq!(held_by(&mut conn, &gold), 35);
    counts_are_exact(&mut conn);

    // Deleting a member takes each badge they held; deleting a badge takes it from everyone.
    assignments::delete_member(&mut conn, &owner, &people[6].id).expect("delete member");
    assert_eq!(held_by(&mut conn, &gold), 34);
    assert_eq!(held_by(&mut conn, &silver), 9);
    assert_eq!(held_by(&mut conn, &bronze), 2);
    assignments::delete_badge(&mut conn, &owner, &bronze.id).expect("delete badge");
    assert!(
        store::find(&mut conn, &bronze.id).is_err(),
        "the badge is gone"
    );
    assert_eq!(
        members::find(&mut conn, &people[5].id)
            .expect("member")
            .badge_count,
        2,
        "Gold and Silver are left"
    );
    counts_are_exact(&mut conn);

    // A request naming an unknown member changes nothing at all.
    let mut named = ids(10..12);
    named.push(MemberId::new(
        "00000000-0000-4000-8000-000000000000".to_string(),
    ));
    let before = held_by(&mut conn, &silver);
    assert!(assignments::assign(&mut conn, &owner, &silver.id.clone(), &named).is_err());
    assert_eq!(held_by(&mut conn, &silver), before);
    counts_are_exact(&mut conn);
}

/// A one-server job that notes each run (which runner, when it started and ended).
struct Noted {
    runner: usize,
    runs: std::sync::Arc<std::sync::Mutex<Vec<(usize, std::time::Instant, std::time::Instant)>>>,
    share: Share,
}

impl Job for Noted {
    fn name(&self) -> &'static str {
        // Names are one job's each: the `jobs` row of each is its own.
        match self.share {
            Share::OneServer { .. } => "test.noted",
            Share::EveryServer { .. } => "test.noted_everywhere",
        }
    }

    fn share(&self) -> Share {
        self.share
    }

    fn run(&mut self, _pool: &insignia_core::db::DbPool) -> Result<Progress, insignia_core::Error> {
        let started = std::time::Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(40));
        self.runs
            .lock()
            .unwrap()
            .push((self.runner, started, std::time::Instant::now()));
        Ok(Progress::Done)
    }
}

/// Two servers' runners on one database: a one-server job never runs on both at once, runs
/// about as often as it says, and a job every server runs runs on each.
#[test]
fn a_one_server_job_runs_on_one_server_at_a_time() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    let db = database();
    let pool = insignia_core::open_site(&db.location.as_str().into()).expect("opens");
    let leased = Arc::new(Mutex::new(Vec::new()));
    let everywhere = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    for runner in 0..2 {
        Runner::new(pool.clone())
            .with(Noted {
                runner,
                runs: leased.clone(),
                share: Share::OneServer {
                    every: Duration::from_millis(100),
                    lease: Duration::from_secs(30),
                },
            })
            .start(stop.clone())
            .expect("runner");
        let mut every_server = Runner::new(pool.clone());
        every_server = every_server.with(Noted {
            runner,
            runs: everywhere.clone(),
            share: Share::EveryServer {
                every: Duration::from_millis(100),
            },
        });
        every_server.start(stop.clone()).expect("runner");
    }
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(300));

    let mut runs = leased.lock().unwrap().clone();
    runs.sort_by_key(|r| r.1);
    for pair in runs.windows(2) {
        assert!(
            pair[1].1 >= pair[0].2,
            "a run started before the one before it ended: {pair:?}"
        );
    }
    // Every 100 ms plus 40 ms of work, over 1.5 s: about ten runs, never one per runner per
    // pass.
    assert!(
        (3..=12).contains(&runs.len()),
        "{} runs of the one-server job in 1.5 s",
        runs.len()
    );
    let everywhere = everywhere.lock().unwrap();
    for runner in 0..2 {
        assert!(
            everywhere.iter().filter(|r| r.0 == runner).count() >= 3,
            "the every-server job ran on server {runner}"
        );
    }
    // Stopped: nothing runs any more.
    let done = leased.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(leased.lock().unwrap().len(), done);
}

/// A lease held by a server that died keeps others off the job until it runs out; then one
/// takes it, and giving it back sets when it is due next.
#[test]
fn a_dead_servers_lease_runs_out_and_another_takes_the_job() {
    use insignia_core::clock::Timestamp;
    use insignia_core::jobs::{Claim, claim, release};
    use std::time::Duration;

    let db = database();
    let pool = insignia_core::open_site(&db.location.as_str().into()).expect("opens");
    let mut conn = pool.get().expect("connection");
    let now = Timestamp::now();
    let lease = Duration::from_secs(60);
    assert_eq!(
        claim(&mut conn, "test.job", "dead", now, lease).unwrap(),
        Claim::Taken,
        "a job never run is due at once"
    );
    assert_eq!(
        claim(&mut conn, "test.job", "alive", now, lease).unwrap(),
        Claim::NotBefore(now + lease),
        "the holder's lease keeps others off"
    );
    let later = now + Duration::from_secs(61);
    assert_eq!(
        claim(&mut conn, "test.job", "alive", later, lease).unwrap(),
        Claim::Taken,
        "once the lease has run out, another server takes the job"
    );
    // The dead server's late release changes nothing; the live one's sets the next time.
    release(&mut conn, "test.job", "dead", now).unwrap();
    assert!(matches!(
        claim(&mut conn, "test.job", "third", later, lease).unwrap(),
        Claim::NotBefore(_)
    ));
    let next = later + Duration::from_secs(600);
    release(&mut conn, "test.job", "alive", next).unwrap();
    assert_eq!(
        claim(&mut conn, "test.job", "third", later, lease).unwrap(),
        Claim::NotBefore(next)
    );
    assert_eq!(
        claim(&mut conn, "test.job", "third", next, lease).unwrap(),
        Claim::Taken
    );
}

/// Assignments of a badge valid for a time end when they say: the expiry pass takes exactly
/// the expired ones, the one way assignments are taken (both stored counts, one event each,
/// one audit entry with "expired" as actor), and a second pass finds nothing.
#[test]
fn expired_assignments_are_taken_away_once_and_counted_out() {
    use insignia_core::clock::Timestamp;

    let db = database();
    let pool = insignia_core::open_site(&db.location.as_str().into()).expect("opens");
    let mut conn = pool.get().expect("connection");
    let owner = Actor::admin("owner@example.org");
    let input = BadgeInput {
        title: "Pass".to_string(),
        valid_for_days: "2".to_string(),
        ..BadgeInput::default()
    };
    let pass =
        store::create(&mut conn, &owner, &input.parse().expect("valid"), None).expect("badge");
    let people: Vec<Member> = (0..10).map(|n| member(&mut conn, &owner, n)).collect();
    let ids: Vec<MemberId> = people.iter().map(|m| m.id.clone()).collect();
    let before = Timestamp::now();
    assignments::assign(&mut conn, &owner, &pass.id, &ids).expect("given");
    let ends: Vec<Option<i64>> = member_badges::table
        .select(member_badges::expires_at)
        .load(&mut conn)
        .expect("ends");
    assert!(
        ends.iter()
            .all(|end| end.is_some_and(|at| at >= (before + time::Duration::days(2)).millis())),
        "every assignment ends two days after it was given: {ends:?}"
    );

    // Four of them are up.
    let up: Vec<insignia_core::db::keys::MemberKey> = members_table::table
        .filter(members_table::id.eq_any(ids[..4].iter().map(MemberId::as_str)))
        .select(members_table::key)
        .load(&mut conn)
        .expect("keys");
    diesel::update(member_badges::table.filter(member_badges::member_key.eq_any(&up)))
        .set(member_badges::expires_at.eq(Timestamp::now().millis() - 1))
        .execute(&mut conn)
        .expect("expire four");
    assert_eq!(
        assignments::expire_due(&mut conn, Timestamp::now()).expect("pass"),
        4
    );
    assert_eq!(held_by(&mut conn, &pass), 6);
    counts_are_exact(&mut conn);
    assert_eq!(events_of(&mut conn, "badge.unassigned"), 4);
    let entry = &insignia_core::audit::page(&mut conn, &Default::default(), 1).expect("audit")[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str()),
        ("expired", "badge.unassign")
    );
    assert_eq!(
        assignments::expire_due(&mut conn, Timestamp::now()).expect("second pass"),
        0,
        "nothing is taken twice"
    );
    assert_eq!(events_of(&mut conn, "badge.unassigned"), 4);
}

/// A job that fails: each run says why.
struct Failing(&'static str, Share);

impl Job for Failing {
    fn name(&self) -> &'static str {
        self.0
    }

    fn share(&self) -> Share {
        self.1
    }

    fn run(&mut self, _pool: &insignia_core::db::DbPool) -> Result<Progress, insignia_core::Error> {
        Err(insignia_core::Error::Internal(format!(
            "{} could not reach its disk",
            self.0
        )))
    }
}

/// What the "Background work" page reads: each job's last run, when it is due, and its last
/// failure, for jobs one server runs and jobs every server runs alike.
#[test]
fn the_runner_writes_down_each_jobs_last_run_and_last_failure() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    let db = database();
    let pool = insignia_core::open_site(&db.location.as_str().into()).expect("opens");
    let stop = Arc::new(AtomicBool::new(false));
    let started = insignia_core::clock::Timestamp::now();
    Runner::new(pool.clone())
        .with(Failing(
            "test.one",
            Share::OneServer {
                every: Duration::from_millis(50),
                lease: Duration::from_secs(30),
            },
        ))
        .with(Failing(
            "test.every",
            Share::EveryServer {
                every: Duration::from_millis(50),
            },
        ))
        .start(stop.clone())
        .expect("runner");
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    let states = insignia_core::jobs::states(&mut pool.get().expect("conn")).expect("states");
    for name in ["test.every", "test.one"] {
        let state = states
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} has a row"));
        assert!(state.last_run_at.is_some_and(|at| at >= started), "{name}");
        assert!(state.due_at >= started, "{name} is due again");
        assert_eq!(
            state.last_error.as_deref(),
            Some(format!("{name} could not reach its disk").as_str())
        );
        assert!(!state.running(), "{name}'s lease was given back");
    }
}
