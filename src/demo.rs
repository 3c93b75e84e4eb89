//! `insignia demo`: a living site for a first look, and the data the benchmarks run on.
//! Members and assignments are bulk-loaded in batches inside one transaction, so a million
//! members with five million assignments load in well under a minute.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::audit::Actor;
use crate::auth::{admins, password, sessions::random_token};
use crate::badges::{BadgeError, BadgeInput, store};
use crate::db::schema::members;
use crate::error::AppError;

const DEMO_ADMIN: &str = "admin@example.com";
/// The first demo member can sign in with this password.
const DEMO_MEMBER_PASSWORD: &str = "demo member password";

/// (title, description, background, text, icon, how common: relative weight)
const BADGES: &[(&str, &str, &str, &str, &str, u32)] = &[
    (
        "Founding Member",
        "Joined in the first month and helped shape the community.",
        "#1F2A44",
        "#F5C542",
        "crown",
        4,
    ),
    (
        "Top Contributor",
        "Among the ten most helpful members this year.",
        "#7C3AED",
        "#FFFFFF",
        "trophy",
        2,
    ),
    (
        "Verified Expert",
        "Expertise checked by the moderators.",
        "#0E7490",
        "#FFFFFF",
        "badge-check",
        3,
    ),
    (
        "Rising Star",
        "Made a big impression in their first three months.",
        "#F59E0B",
        "#111827",
        "star",
        8,
    ),
    (
        "Bug Hunter",
        "Reported a bug that got fixed.",
        "#B91C1C",
        "#FFFFFF",
        "bug",
        5,
    ),
    (
        "Mentor",
        "Guides newcomers and answers their questions.",
        "#047857",
        "#FFFFFF",
        "graduation-cap",
        4,
    ),
    (
        "Event Host",
        "Organised a community meetup or online event.",
        "#DB2777",
        "#FFFFFF",
        "sparkles",
        3,
    ),
    (
        "Photographer",
        "Shares photos that make the community shine.",
        "#111827",
        "#F9FAFB",
        "camera",
        6,
    ),
    (
        "Green Thumb",
        "Looks after the community garden project.",
        "#65A30D",
        "#0B1F05",
        "leaf",
        5,
    ),
    (
        "Night Owl",
        "Most active after midnight.",
        "#312E81",
        "#E0E7FF",
        "moon",
        12,
    ),
    (
        "Coffee Club",
        "Regular at the Friday coffee chat.",
        "#78350F",
        "#FDE68A",
        "coffee",
        15,
    ),
    (
        "Open Source Hero",
        "Contributed code to the community's projects.",
        "#0F172A",
        "#38BDF8",
        "code",
        4,
    ),
    (
        "Supporter",
        "Supports the community with a membership.",
        "#E11D48",
        "#FFFFFF",
        "heart",
        30,
    ),
];

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Edsger",
    "Donald",
    "Frances",
    "Radia",
    "Hedy",
    "Katherine",
    "Dennis",
    "Guido",
    "Bjarne",
    "Anita",
    "Shafi",
    "Tim",
    "Vint",
    "Sophie",
    "Yuki",
    "Amara",
    "Mateo",
    "Priya",
    "Oluwaseun",
    "Ingrid",
    "Tomás",
    "Leila",
    "Chen",
    "Noor",
    "Kwame",
    "Elena",
    "Rafael",
    "Aiko",
    "Zanele",
    "Lars",
    "Fatima",
    "Diego",
    "Mei",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Dijkstra",
    "Knuth",
    "Allen",
    "Perlman",
    "Lamarr",
    "Johnson",
    "Ritchie",
    "van Rossum",
    "Stroustrup",
    "Borg",
    "Goldwasser",
    "Berners-Lee",
    "Cerf",
    "Wilson",
    "Tanaka",
    "Okafor",
    "García",
    "Sharma",
    "Adeyemi",
    "Lindqvist",
    "Fernández",
    "Haddad",
    "Wei",
    "Rahman",
    "Mensah",
    "Petrova",
    "Costa",
    "Sato",
    "Dlamini",
    "Nilsen",
    "El-Amin",
    "Morales",
    "Zhang",
];

/// How big a demo to make.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub members: usize,
    pub assignments: usize,
}

/// A small deterministic generator: the demo is the same every time for the same size.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fills the database at `path` (migrating it first).
pub fn fill(path: &str, size: DemoSize) -> Result<String, AppError> {
    let started = std::time::Instant::now();
    // Migrate through the pool, then load through one connection of our own: with nobody else
    // connected it can leave WAL for the bulk load, so pages are written once, not to the WAL
    // and again at the checkpoint. (A rollback journal keeps the load all-or-nothing.)
    drop(crate::db::open(path)?);
    let mut conn = SqliteConnection::establish(path).map_err(AppError::internal)?;
    conn.batch_execute(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
    )?;
    // Leaving WAL needs the database to ourselves; while a server is running on it, stay in WAL.
    let left_wal = conn.batch_execute("PRAGMA journal_mode = DELETE;").is_ok();
    let report = load(&mut conn, size, started);
    if left_wal {
        conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    }
    report
}

fn load(
    conn: &mut SqliteConnection,
    size: DemoSize,
    started: std::time::Instant,
) -> Result<String, AppError> {
    let mut report = Vec::new();
    if admins::find_by_email(conn, DEMO_ADMIN)?.is_none() {
        let password = random_token()[..16].to_string();
        admins::create(conn, DEMO_ADMIN, &password, false)?
            .map_err(|e| AppError::internal(format!("{e:?}")))?;
        report.push(format!(
            "Dashboard: /dashboard/login as {DEMO_ADMIN}, password {password}"
        ));
    } else {
        report.push(format!(
            "Dashboard: /dashboard/login as {DEMO_ADMIN} (password printed when it was created)"
        ));
    }
    // A bulk load wants a large page cache (index inserts in random key order stay in memory)
    // and a second thread for the sorts that rebuild indexes.
    conn.batch_execute(
        "PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY; PRAGMA threads = 2;",
    )?;
    let badge_ids = demo_badges(conn)?;
    let existing: i64 = members::table.count().get_result(conn)?;
    let new_rows = load_members(conn, size.members, existing as usize)?;
    let members_took = started.elapsed();
    let assigned = load_assignments(conn, &badge_ids, new_rows, size.assignments)?;
    report.push(format!(
        "Members loaded in {:.1} s, assignments in {:.1} s.",
        members_took.as_secs_f64(),
        (started.elapsed() - members_took).as_secs_f64()
    ));
    if size.members > 0 {
        let email: String = members::table
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("rowid = ")
                    .bind::<diesel::sql_types::BigInt, _>(new_rows.0),
            )
            .select(members::email)
            .first(conn)?;
        report.push(format!(
            "Member sign-in: /login as {email}, password {DEMO_MEMBER_PASSWORD}"
        ));
    }
    report.insert(
        0,
        format!(
            "Demo site ready in {:.1} s: {} badges, {} new members, {} new assignments.",
            started.elapsed().as_secs_f64(),
            badge_ids.len(),
            size.members,
            assigned
        ),
    );
    Ok(report.join("\n"))
}

/// The demo badges (created once), with their weights.
fn demo_badges(conn: &mut SqliteConnection) -> Result<Vec<(String, u32)>, AppError> {
    let actor = Actor::system();
    for (title, description, background, text, icon, _) in BADGES {
        let input = BadgeInput {
            title: title.to_string(),
            description: description.to_string(),
            background_color: background.to_string(),
            text_color: text.to_string(),
            icon: icon.to_string(),
            self_assignable: matches!(*title, "Night Owl" | "Coffee Club" | "Photographer"),
            ..BadgeInput::default()
        };
        let valid = input
            .parse()
            .map_err(|e| AppError::internal(format!("demo badge {title} is invalid: {e:?}")))?;
        match store::create(conn, &actor, &valid, None) {
            Ok(_) | Err(BadgeError::DuplicateTitle) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let stored = store::list_in_order(conn)?;
    Ok(BADGES
        .iter()
        .filter_map(|(title, .., weight)| {
            stored
                .iter()
                .find(|b| b.title == *title)
                .map(|b| (b.id.clone(), *weight))
        })
        .collect())
}

/// Inserts `count` members in batches, numbering them after the `offset` already there.
/// Returns the range of row numbers they got. The name index and the search index are
/// built once at the end instead of row by row.
fn load_members(
    conn: &mut SqliteConnection,
    count: usize,
    offset: usize,
) -> Result<(i64, i64), AppError> {
    const BATCH: usize = 2_000;
    let mut rng = Rng(0x5EED_0000 + offset as u64 + 1);
    let member_password = password::hash(DEMO_MEMBER_PASSWORD)?;
    let now = time::OffsetDateTime::now_utc();
    let last_rowid = |conn: &mut SqliteConnection| -> Result<i64, AppError> {
        Ok(members::table
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "coalesce(max(rowid), 0)",
            ))
            .first(conn)?)
    };
    let rebuilt_after = ["members_name_key", "members_search_insert"];
    let slugs = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| crate::slug::slugify(n, "member"))
            .collect()
    };
    let (first_slugs, last_slugs) = (slugs(FIRST_NAMES), slugs(LAST_NAMES));
    crate::db::write(conn, |conn| {
        let first = last_rowid(conn)? + 1;
        without(conn, &rebuilt_after, |conn| {
            let mut rows = Vec::with_capacity(BATCH);
            for i in 0..count {
                let n = offset + i;
                let (f, l) = (rng.below(FIRST_NAMES.len()), rng.below(LAST_NAMES.len()));
                let name = format!("{} {}", FIRST_NAMES[f], LAST_NAMES[l]);
                let email = format!("{}.{}.{n}@example.com", first_slugs[f], last_slugs[l]);
                let slug = format!("{}-{}-{n}", first_slugs[f], last_slugs[l]);
                let joined = crate::db::format_time(
                    now - time::Duration::minutes(rng.below(525_600) as i64),
                );
                rows.push((
                    members::id.eq(ordered_id(n, &mut rng)),
                    members::name_key.eq(name.to_lowercase()),
                    members::name.eq(name),
                    members::email.eq(email),
                    members::slug.eq(slug),
                    members::password_hash.eq((i == 0).then(|| member_password.clone())),
                    members::created_at.eq(joined),
                ));
                if rows.len() == BATCH {
                    diesel::insert_into(members::table)
                        .values(&rows)
                        .execute(conn)?;
                    rows.clear();
                }
            }
            if !rows.is_empty() {
                diesel::insert_into(members::table)
                    .values(&rows)
                    .execute(conn)?;
            }
            conn.batch_execute("INSERT INTO members_search(members_search) VALUES ('rebuild');")?;
            Ok(())
        })?;
        Ok((first, last_rowid(conn)?))
    })
}

/// Spreads `total` assignments over the badges by weight (popular badges are held by many),
/// each badge to distinct members among the rows `first..=last` of the members table.
/// SQLite generates the rows itself; stored counts are recomputed once at the end.
fn load_assignments(
    conn: &mut SqliteConnection,
    badges: &[(String, u32)],
    (first, last): (i64, i64),
    total: usize,
) -> Result<usize, AppError> {
    use diesel::sql_types::{BigInt, Text};
    let n = usize::try_from(last - first + 1).unwrap_or(0);
    if n == 0 || badges.is_empty() || total == 0 {
        return Ok(0);
    }
    let holders_per_badge = spread(badges, total, n);
    let mut rng = Rng(0x00BA_D6E5);
    // Assignment times fall in the past year, counted in Julian days from now.
    let now = time::OffsetDateTime::now_utc();
    let now_julian = f64::from(now.to_julian_day()) - 0.5
        + f64::from(now.hour()) / 24.0
        + f64::from(now.minute()) / 1440.0
        + f64::from(now.second()) / 86_400.0;
    let mut assigned = 0;
    crate::db::write(conn, |conn| {
        without(
            conn,
            // The time index stays: rows arrive in its order (see below), so keeping it up
            // costs appends, where building it afterwards would sort five million rows.
            &["member_badges_member"],
            |conn| {
                for ((badge_id, _), holders) in badges.iter().zip(holders_per_badge) {
                    // Distinct members: x -> (x * stride + start) mod n is a bijection when the
                    // stride shares no factor with n, so exactly `holders` rows pass the filter.
                    // Rows come in rowid order, which for demo members is id order (see
                    // `ordered_id`), and their times step through the past year in that order:
                    // the table and its time index both grow by appends.
                    let mut stride = 1 + rng.below(n);
                    while gcd(stride, n) != 1 {
                        stride += 1;
                    }
                    let start = rng.below(n);
                    assigned += diesel::sql_query(
                        "INSERT INTO member_badges (badge_id, member_id, assigned_at, assigned_by) \
                     SELECT ?, id, strftime('%Y-%m-%dT%H:%M:%fZ', ? + (rowid - ?) * ?), 'system' \
                     FROM members WHERE rowid BETWEEN ? AND ? AND ((rowid - ?) * ? + ?) % ? < ?",
                    )
                    .bind::<Text, _>(badge_id)
                    .bind::<diesel::sql_types::Double, _>(now_julian - 365.0)
                    .bind::<BigInt, _>(first)
                    .bind::<diesel::sql_types::Double, _>(365.0 / n as f64)
                    .bind::<BigInt, _>(first)
                    .bind::<BigInt, _>(last)
                    .bind::<BigInt, _>(first)
                    .bind::<BigInt, _>(stride as i64)
                    .bind::<BigInt, _>(start as i64)
                    .bind::<BigInt, _>(n as i64)
                    .bind::<BigInt, _>(holders as i64)
                    .execute(conn)?;
                }
                Ok(())
            },
        )?;
        // A bulk load sets the stored counts once, from the rows themselves.
        conn.batch_execute(
            "UPDATE badges SET member_count = (SELECT count(*) FROM member_badges WHERE badge_id = badges.id);
             UPDATE members SET badge_count = held.n \
               FROM (SELECT member_id, count(*) AS n FROM member_badges GROUP BY member_id) AS held \
              WHERE members.id = held.member_id;",
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(assigned)
}

/// A UUID in version-4 format whose leading digits count up with `n`, so demo members'
/// ids sort in the order they are inserted and every id-keyed b-tree grows by appends.
fn ordered_id(n: usize, rng: &mut Rng) -> String {
    let prefix = (n as u64).wrapping_mul(4_294_967) & 0xFFFF_FFFF_FFFF;
    let random = |rng: &mut Rng, digits: usize| rng.below(16usize.pow(digits as u32)) as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        prefix >> 16,
        prefix & 0xFFFF,
        random(rng, 3),
        8 + random(rng, 1) % 4,
        random(rng, 3),
        random(rng, 6) << 24 | random(rng, 6),
    )
}

/// Runs a bulk insert with some indexes or triggers dropped, then creates them again from
/// their stored definitions: one sort per index instead of millions of random b-tree inserts,
/// and one full-text rebuild instead of a trigger per row.
fn without<T>(
    conn: &mut SqliteConnection,
    names: &[&str],
    load: impl FnOnce(&mut SqliteConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "type")]
        kind: String,
    }
    let mut definitions = Vec::new();
    for name in names {
        let found: Vec<Definition> =
            diesel::sql_query("SELECT sql, type FROM sqlite_master WHERE name = ?")
                .bind::<diesel::sql_types::Text, _>(*name)
                .load(conn)?;
        let definition = found
            .into_iter()
            .next()
            .ok_or_else(|| AppError::internal(format!("schema object {name} is missing")))?;
        conn.batch_execute(&format!("DROP {} {name};", definition.kind.to_uppercase()))?;
        definitions.push(definition.sql);
    }
    let out = load(conn)?;
    for sql in definitions {
        conn.batch_execute(&sql)?;
    }
    Ok(out)
}

/// Holders per badge: `total` shared by weight, no badge above `members`; what a full badge
/// cannot take goes to the others.
fn spread(badges: &[(String, u32)], total: usize, members: usize) -> Vec<usize> {
    let mut counts = vec![0usize; badges.len()];
    let mut left = total.min(members * badges.len());
    while left > 0 {
        let open: Vec<usize> = (0..badges.len()).filter(|&i| counts[i] < members).collect();
        let weight: u64 = open.iter().map(|&i| u64::from(badges[i].1)).sum();
        let mut given = 0;
        for &i in &open {
            let share = ((left as u64 * u64::from(badges[i].1)).div_ceil(weight.max(1))) as usize;
            let take = share.min(members - counts[i]).min(left - given);
            counts[i] += take;
            given += take;
        }
        if given == 0 {
            break;
        }
        left -= given;
    }
    counts
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_are_spread_by_weight_and_capped_at_the_member_count() {
        let badges = vec![
            ("a".to_string(), 30),
            ("b".to_string(), 1),
            ("c".to_string(), 1),
        ];
        let counts = spread(&badges, 50, 40);
        assert_eq!(counts.iter().sum::<usize>(), 50);
        assert_eq!(counts[0], 40, "a full badge passes the rest on");
        assert!(counts.iter().all(|&c| c <= 40));
        assert_eq!(
            spread(&badges, 1000, 10).iter().sum::<usize>(),
            30,
            "at most every member holds every badge"
        );
    }
}
