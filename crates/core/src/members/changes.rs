//! The one way assignments are written: the members a change concerns are staged in
//! temporary tables (see [`staging`]), and a handful of statements change the assignments,
//! both stored counts (`badges.member_count`, `members.badge_count`), the events and the audit
//! with every member's history, in one transaction, however many members it names.
//! [`give_staged`] and [`take_staged`] are the only code that writes assignments and keeps
//! the counts exact. Hand changes (`assignments`), rules (`crate::rules`) and expiry all go
//! through here.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::audit::{self, Actor, Change};
use crate::badges::Badge;
use crate::db::DbConnection;
use crate::db::keys::BadgeKey;
use crate::db::schema::badges;
use crate::error::Error;
use crate::ids::MemberId;

/// The temporary tables a change is staged in. They belong to one connection, live as long as
/// it does, and are emptied at the start of every change. Joins from them to members are
/// written `CROSS JOIN`, which makes SQLite read the staged rows first: the planner has no
/// statistics for them and could otherwise walk every member. (PostgreSQL, which gets a plain
/// join, estimates their size from their pages.)
pub mod staging {
    use crate::db::{BackendKind, DbConnection};
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Nullable, Text};

    use crate::error::Error;
    use crate::ids::MemberId;

    /// Members as a request named them: by public id or by e-mail, at a position (a line
    /// number, or the index in a list), with the key each resolves to.
    pub const LINES: &str = "staged_lines";
    /// The members to change, by key.
    pub const MEMBERS: &str = "staged_members";
    /// Those of them a change actually changed.
    pub const CHANGED: &str = "staged_changed";
    /// The members rules run for after a change (`crate::rules`); [`reset`] leaves it alone,
    /// as the rules' own changes reset the others.
    pub const SCOPE: &str = "staged_scope";

    /// Empties the staging tables (making them first on a new connection).
    pub fn reset(conn: &mut DbConnection) -> Result<(), Error> {
        match conn.backend() {
            BackendKind::Sqlite => conn.batch_execute(
                "CREATE TEMP TABLE IF NOT EXISTS staged_lines \
                     (pos INTEGER PRIMARY KEY, id TEXT, email TEXT, key INTEGER);
                 CREATE TEMP TABLE IF NOT EXISTS staged_members (key INTEGER PRIMARY KEY);
                 CREATE TEMP TABLE IF NOT EXISTS staged_changed (key INTEGER PRIMARY KEY);
                 CREATE TEMP TABLE IF NOT EXISTS staged_scope (key INTEGER PRIMARY KEY);",
            )?,
            // Asked first: `CREATE … IF NOT EXISTS` of the four cost 0.4 ms a change there.
            BackendKind::Postgres if !made(conn)? => conn.batch_execute(
                "CREATE TEMP TABLE staged_lines \
                     (pos BIGINT PRIMARY KEY, id TEXT COLLATE \"C\", email TEXT COLLATE \"C\", key BIGINT);
                 CREATE TEMP TABLE staged_members (key BIGINT PRIMARY KEY);
                 CREATE TEMP TABLE staged_changed (key BIGINT PRIMARY KEY);
                 CREATE TEMP TABLE staged_scope (key BIGINT PRIMARY KEY);",
            )?,
            BackendKind::Postgres => {}
        }
        clear(conn, &[LINES, MEMBERS, CHANGED])
    }

    /// Whether this PostgreSQL connection has its staging tables.
    fn made(conn: &mut DbConnection) -> Result<bool, Error> {
        #[derive(QueryableByName)]
        struct Made {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            made: bool,
        }
        let made: Made = diesel::sql_query(format!(
            "SELECT to_regclass('pg_temp.{SCOPE}') IS NOT NULL AS made"
        ))
        .get_result(conn)?;
        Ok(made.made)
    }

    /// From this size on (tables and their indexes together), PostgreSQL empties staging
    /// tables with `TRUNCATE` (see [`clear`]).
    pub const TRUNCATE_FROM_BYTES: i64 = 1 << 20;

    /// Empties staging tables. `DELETE` on SQLite. On PostgreSQL `DELETE` too, and `TRUNCATE`
    /// once they have grown past [`TRUNCATE_FROM_BYTES`]: nothing vacuums temporary tables, so
    /// the rows a `DELETE` leaves behind must go that way in the end, but `TRUNCATE` gives
    /// every table and index new files and catalog rows (2.2 ms for the three of a change,
    /// measured per one-member give on PostgreSQL 15, against about 0.1 ms for deleting their
    /// few rows). The deletes and the size are one statement; the truncation, when due, a
    /// second.
    pub fn clear(conn: &mut DbConnection, tables: &[&str]) -> Result<(), Error> {
        if conn.backend() == BackendKind::Sqlite {
            let deletes: String = tables.iter().map(|t| format!("DELETE FROM {t};")).collect();
            conn.batch_execute(&deletes)?;
            return Ok(());
        }
        #[derive(QueryableByName)]
        struct Size {
            #[diesel(sql_type = BigInt)]
            bytes: i64,
        }
        let deletes: Vec<String> = tables
            .iter()
            .map(|t| format!("deleted_{t} AS (DELETE FROM {t})"))
            .collect();
        let sizes: Vec<String> = tables
            .iter()
            .map(|t| format!("pg_total_relation_size('{t}')"))
            .collect();
        let size: Size = diesel::sql_query(format!(
            "WITH {} SELECT ({})::bigint AS bytes",
            deletes.join(", "),
            sizes.join(" + ")
        ))
        .get_result(conn)?;
        if size.bytes > TRUNCATE_FROM_BYTES {
            conn.batch_execute(&format!("TRUNCATE {}", tables.join(", ")))?;
        }
        Ok(())
    }

    /// Gives PostgreSQL the size of a staging table just filled (SQLite reads the staged rows
    /// first anyway: `CROSS JOIN`). Emptied by `TRUNCATE`, a staging table is unknown to the
    /// planner, which takes it for ten pages (about 2,000 rows) and joins it to `members` by
    /// reading all of them: a one-member give spent 35 ms of its 54 ms so on a 100,000-member
    /// site, against 0.1 ms by the primary key once the table is analyzed; a 50,000-member
    /// change went wrong the other way (1.6 s against 0.9 s for its count update on the 1M
    /// demo). The `ANALYZE` of a staging table takes about 0.1 ms for a few rows.
    pub fn analyze(conn: &mut DbConnection, table: &str, rows: i64) -> Result<(), Error> {
        if rows > 0 && conn.backend() == BackendKind::Postgres {
            conn.batch_execute(&format!("ANALYZE {table}"))?;
        }
        Ok(())
    }

    /// Locks the staged members' rows in key order (PostgreSQL), for the changes that run
    /// beside others (`db::write_locking`), which all stage their members here. Two changes of
    /// different badges counting overlapping members row by row in different orders would each
    /// wait for the other; taking them all at once in one order, before any is written, rules
    /// that out. A change of one member needs nothing: it holds no other row anyone waits for.
    fn lock_members(conn: &mut DbConnection) -> Result<(), Error> {
        if conn.backend() == BackendKind::Postgres {
            conn.batch_execute(&format!(
                "SELECT count(*) FROM (SELECT key FROM members WHERE key IN \
                 (SELECT key FROM {MEMBERS}) ORDER BY key FOR NO KEY UPDATE) locked"
            ))?;
        }
        Ok(())
    }

    /// A reference to a member as given: a public id or an e-mail address (lowercased).
    pub enum Reference<'a> {
        Id(&'a str),
        Email(&'a str),
    }

    /// Stages `refs` (position, reference) and resolves each to a member's key, in a few
    /// statements whatever their number.
    pub fn lines(conn: &mut DbConnection, refs: &[(i64, Reference<'_>)]) -> Result<(), Error> {
        const ROWS: usize = 300; // three parameters a row
        for chunk in refs.chunks(ROWS) {
            let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let mut insert = diesel::sql_query(conn.sql(&format!(
                "INSERT INTO {LINES} (pos, id, email) VALUES {values}"
            )))
            .into_boxed();
            for (pos, reference) in chunk {
                let (id, email) = match reference {
                    Reference::Id(id) => (Some(*id), None),
                    Reference::Email(email) => (None, Some(*email)),
                };
                insert = insert
                    .bind::<BigInt, _>(*pos)
                    .bind::<Nullable<Text>, _>(id.map(str::to_string))
                    .bind::<Nullable<Text>, _>(email.map(str::to_string));
            }
            insert.execute(conn)?;
        }
        diesel::sql_query(conn.sql(&format!(
            "UPDATE {LINES} SET key = coalesce( \
                 (SELECT key FROM members WHERE members.id = staged_lines.id), \
                 (SELECT key FROM members WHERE members.email = staged_lines.email))"
        )))
        .execute(conn)?;
        Ok(())
    }

    /// The members of the staged lines that resolved, each once.
    pub fn members_from_lines(conn: &mut DbConnection) -> Result<(), Error> {
        let staged = diesel::sql_query(conn.sql(&format!(
            "INSERT INTO {MEMBERS} (key) SELECT key FROM {LINES} WHERE key IS NOT NULL \
             ON CONFLICT DO NOTHING"
        )))
        .execute(conn)?;
        analyze(conn, MEMBERS, staged as i64)?;
        if staged > 1 {
            lock_members(conn)?;
        }
        Ok(())
    }

    /// The staged ids that are no member's, in the order given.
    pub fn unknown_ids(conn: &mut DbConnection) -> Result<Vec<String>, Error> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let rows: Vec<Row> = diesel::sql_query(conn.sql(&format!(
            "SELECT id FROM {LINES} WHERE key IS NULL AND id IS NOT NULL ORDER BY pos"
        )))
        .load(conn)?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// The public ids of the changed members, in the order the request named them.
    pub fn changed_ids(conn: &mut DbConnection) -> Result<Vec<MemberId>, Error> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            id: MemberId,
        }
        let rows: Vec<Row> = diesel::sql_query(conn.sql(&format!(
            "SELECT m.id FROM {LINES} l CROSS JOIN {CHANGED} c ON c.key = l.key \
             CROSS JOIN members m ON m.key = l.key GROUP BY m.key ORDER BY min(l.pos)"
        )))
        .load(conn)?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// The public ids of the changed members, as a query for the audit's member history.
    pub const CHANGED_IDS_SQL: &str =
        "SELECT m.id FROM staged_changed c CROSS JOIN members m ON m.key = c.key";

    /// The names of the first `n` changed members, for an audit entry.
    pub fn changed_names(conn: &mut DbConnection, n: i64) -> Result<Vec<String>, Error> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            name: String,
        }
        let rows: Vec<Row> = diesel::sql_query(conn.sql(&format!(
            "SELECT m.name FROM {CHANGED} c CROSS JOIN members m ON m.key = c.key ORDER BY c.key LIMIT ?"
        )))
        .bind::<BigInt, _>(n)
        .load(conn)?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }
}

/// One event per member in the staging table of changed members (given or taken the badge),
/// in one statement however many there are.
fn record_events(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: crate::events::Kind,
    badge: BadgeKey,
) -> Result<(), Error> {
    use staging::CHANGED;
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO events (kind, badge_id, member_id, actor, actor_kind, occurred_at) \
         SELECT ?, b.id, m.id, ?, ?, ? FROM {CHANGED} c CROSS JOIN members m ON m.key = c.key \
         CROSS JOIN badges b ON b.key = ? ORDER BY c.key"
    )))
    .bind::<Text, _>(kind.name())
    .bind::<Text, _>(actor.label())
    .bind::<Text, _>(actor.kind().as_str())
    .bind::<BigInt, _>(crate::clock::now_millis())
    .bind::<BigInt, _>(badge)
    .execute(conn)?;
    Ok(())
}

/// Gives the badge to every staged member who does not hold it yet, and counts them in both
/// stored counts. Returns how many got it.
pub fn give_staged(
    conn: &mut DbConnection,
    badge: &Badge,
    actor: &Actor,
    until: Option<crate::clock::Timestamp>,
) -> Result<i64, Error> {
    use staging::{CHANGED, MEMBERS};
    let now = crate::clock::Timestamp::now();
    expire_staged(conn, badge, now)?;
    let expires = until.or_else(|| badge.expiry_from(now));
    if let Some(until) = expires {
        // Given again while held: valid anew from now, still held since it was first given.
        let renewed = diesel::sql_query(conn.sql(&format!(
            "UPDATE member_badges SET expires_at = ?, end_set_at = ? \
             WHERE badge_key = ? AND member_key IN (SELECT key FROM {MEMBERS})"
        )))
        .bind::<BigInt, _>(until.millis())
        .bind::<BigInt, _>(now.millis())
        .bind::<BigInt, _>(badge.key)
        .execute(conn)?;
        if renewed > 0 {
            record_new_end(
                conn,
                actor,
                badge,
                None,
                format!(
                    "renewed it for {} until {until}",
                    crate::text::count_of(renewed, "member", "members")
                ),
            )?;
        }
    }
    let tell_members = badge.tell_members;
    let badge = badge.key;
    staging::clear(conn, &[CHANGED])?;
    let added = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO {CHANGED} (key) SELECT key FROM {MEMBERS} s WHERE NOT EXISTS \
         (SELECT 1 FROM member_badges WHERE badge_key = ? AND member_key = s.key)"
    )))
    .bind::<BigInt, _>(badge)
    .execute(conn)? as i64;
    if added == 0 {
        return Ok(0);
    }
    staging::analyze(conn, CHANGED, added)?;
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO member_badges (badge_key, member_key, assigned_at, assigned_by, expires_at, \
         end_set_at) SELECT ?, key, ?, ?, ?, ? FROM {CHANGED}"
    )))
    .bind::<BigInt, _>(badge)
    .bind::<BigInt, _>(now.millis())
    .bind::<Text, _>(actor.label())
    .bind::<Nullable<BigInt>, _>(expires.map(crate::clock::Timestamp::millis))
    .bind::<Nullable<BigInt>, _>(expires.map(|_| now.millis()))
    .execute(conn)?;
    count_changed(conn, badge, 1, added)?;
    record_events(conn, actor, crate::events::Kind::BadgeAssigned, badge)?;
    // A member who adds a badge to themselves knows already.
    if tell_members && actor.kind() != crate::audit::ActorKind::Member {
        crate::mail::outbox::queue_badge_mail(conn, badge, crate::mail::Kind::BadgeGiven)?;
    }
    Ok(added)
}

/// Takes the badge from every staged member who holds it, and counts them out of both stored
/// counts. Returns how many lost it. With an actor, each of them gets an event; without, the
/// badge itself is going (its deletion is the one event).
pub fn take_staged(
    conn: &mut DbConnection,
    badge: BadgeKey,
    actor: Option<&Actor>,
) -> Result<i64, Error> {
    use staging::{CHANGED, MEMBERS};
    staging::clear(conn, &[CHANGED])?;
    let removed = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO {CHANGED} (key) SELECT key FROM {MEMBERS} s WHERE EXISTS \
         (SELECT 1 FROM member_badges WHERE badge_key = ? AND member_key = s.key)"
    )))
    .bind::<BigInt, _>(badge)
    .execute(conn)? as i64;
    if removed > 0 {
        staging::analyze(conn, CHANGED, removed)?;
        take_changed(conn, badge, actor, removed)?;
    }
    Ok(removed)
}

/// Gives the badge back to the staged members (`staging::MEMBERS`: those a kept change took it
/// from, `bulk_change_rows` of `change`), each as they had it: the same time, giver, end,
/// hidden and pinned state. Members deleted since, those who hold it again, and those whose end
/// has passed meanwhile are left as they are. Counts and events as for any give; no mail (they
/// had it). Returns how many got it back.
pub fn restore_staged(
    conn: &mut DbConnection,
    badge: BadgeKey,
    actor: &Actor,
    change: &str,
) -> Result<i64, Error> {
    use staging::{CHANGED, MEMBERS};
    staging::clear(conn, &[CHANGED])?;
    // Driven by the staged members, as a give is: each is looked up in the kept rows and the
    // assignments by primary key. (Driven by the kept rows, PostgreSQL, with no statistics of
    // a table just filled, chose to scan every holder of the badge for each of them: 16 s for
    // 20,000 against 0.8 s in plain SQL.)
    let restored = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO {CHANGED} (key) SELECT s.key FROM {MEMBERS} s \
         CROSS JOIN bulk_change_rows r ON r.change_id = ? AND r.member_key = s.key \
         CROSS JOIN members m ON m.key = s.key \
         WHERE (r.expires_at IS NULL OR r.expires_at > ?) \
         AND NOT EXISTS (SELECT 1 FROM member_badges WHERE badge_key = ? AND member_key = s.key)"
    )))
    .bind::<Text, _>(change)
    .bind::<BigInt, _>(crate::clock::now_millis())
    .bind::<BigInt, _>(badge)
    .execute(conn)? as i64;
    if restored == 0 {
        return Ok(0);
    }
    staging::analyze(conn, CHANGED, restored)?;
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO member_badges (badge_key, member_key, assigned_at, assigned_by, hidden, \
         pinned_at, expires_at, end_set_at) \
         SELECT ?, r.member_key, r.assigned_at, r.assigned_by, r.hidden, r.pinned_at, \
         r.expires_at, r.end_set_at FROM {CHANGED} c CROSS JOIN bulk_change_rows r \
         ON r.change_id = ? AND r.member_key = c.key"
    )))
    .bind::<BigInt, _>(badge)
    .bind::<Text, _>(change)
    .execute(conn)?;
    count_changed(conn, badge, 1, restored)?;
    record_events(conn, actor, crate::events::Kind::BadgeAssigned, badge)?;
    Ok(restored)
}

/// The audit entry of new ends for the staged members who hold the badge (renewed by a give,
/// or set by hand), in the history of each of them (or of `single`, the one member named).
pub fn record_new_end(
    conn: &mut DbConnection,
    actor: &Actor,
    badge: &Badge,
    single: Option<&MemberId>,
    details: String,
) -> Result<(), Error> {
    let entry = audit::record(
        conn,
        actor,
        Change {
            action: "badge.renew",
            badge_id: Some(&badge.id),
            member_id: single,
            target: &badge.title,
            details,
        },
    )?;
    if single.is_none() {
        audit::touched_members(
            conn,
            entry,
            &format!(
                "SELECT m.id FROM {} s CROSS JOIN member_badges mb \
                 ON mb.badge_key = {} AND mb.member_key = s.key \
                 CROSS JOIN members m ON m.key = s.key",
                staging::MEMBERS,
                badge.key.0
            ),
        )?;
    }
    Ok(())
}

/// Takes the badge from the `n` members in the staging table of changed members.
fn take_changed(
    conn: &mut DbConnection,
    badge: BadgeKey,
    actor: Option<&Actor>,
    n: i64,
) -> Result<(), Error> {
    use staging::CHANGED;
    diesel::sql_query(conn.sql(&format!(
        "DELETE FROM member_badges WHERE badge_key = ? AND member_key IN (SELECT key FROM {CHANGED})"
    )))
    .bind::<BigInt, _>(badge)
    .execute(conn)?;
    count_changed(conn, badge, -1, n)?;
    if let Some(actor) = actor {
        record_events(conn, actor, crate::events::Kind::BadgeUnassigned, badge)?;
    }
    Ok(())
}

/// Staged members whose assignment of the badge ran out but is still stored (the expiry job
/// comes within a minute) lose it first, as the job would take it: giving the badge to them
/// again gives it anew, with a new time and a `badge.assigned` event.
fn expire_staged(
    conn: &mut DbConnection,
    badge: &Badge,
    now: crate::clock::Timestamp,
) -> Result<(), Error> {
    use staging::{CHANGED, MEMBERS};
    // Most badges have no ended assignment waiting: one look at the index of ends says so,
    // and the staged members are not probed one by one.
    // (`+badge_key`: from the index of ends, not by walking every holder of the badge.)
    #[derive(QueryableByName)]
    struct Ended {
        #[diesel(sql_type = BigInt)]
        #[allow(dead_code)]
        member_key: i64,
    }
    let any_ended = diesel::sql_query(conn.sql(
        "SELECT member_key FROM member_badges WHERE +badge_key = ? \
         AND expires_at IS NOT NULL AND expires_at <= ? LIMIT 1",
    ))
    .bind::<BigInt, _>(badge.key)
    .bind::<BigInt, _>(now.millis())
    .load::<Ended>(conn)?;
    if any_ended.is_empty() {
        return Ok(());
    }
    staging::clear(conn, &[CHANGED])?;
    let expired = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO {CHANGED} (key) SELECT s.key FROM {MEMBERS} s CROSS JOIN member_badges mb \
         ON mb.badge_key = ? AND mb.member_key = s.key WHERE mb.expires_at <= ?"
    )))
    .bind::<BigInt, _>(badge.key)
    .bind::<BigInt, _>(now.millis())
    .execute(conn)? as i64;
    if expired > 0 {
        staging::analyze(conn, CHANGED, expired)?;
        let actor = Actor::expired();
        take_changed(conn, badge.key, Some(&actor), expired)?;
        record_change(conn, &actor, badge, false, expired, None)?;
    }
    Ok(())
}

/// Both stored counts follow a change of `n` changed members by `step` (+1 or -1) each.
fn count_changed(conn: &mut DbConnection, badge: BadgeKey, step: i64, n: i64) -> Result<(), Error> {
    diesel::sql_query(conn.sql(&format!(
        "UPDATE members SET badge_count = badge_count + ? WHERE key IN (SELECT key FROM {})",
        staging::CHANGED
    )))
    .bind::<BigInt, _>(step)
    .execute(conn)?;
    diesel::update(badges::table.filter(badges::key.eq(badge)))
        .set(badges::member_count.eq(badges::member_count + step * n))
        .execute(conn)?;
    Ok(())
}

/// How many names an audit entry spells out.
const SHOWN: usize = 5;

/// The first names of `total` members, and how many more there are: `names` is at most
/// [`SHOWN`] of them, `total` the real count.
fn listed(names: &[String], total: usize) -> String {
    let shown = &names[..names.len().min(SHOWN)];
    let mut text = shown.join(", ");
    let more = total.saturating_sub(shown.len());
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// The audit entry of a change to the staged members, in the history of each of them.
pub fn record_change(
    conn: &mut DbConnection,
    actor: &Actor,
    badge: &Badge,
    give: bool,
    changed: i64,
    single: Option<&MemberId>,
) -> Result<(), Error> {
    let verb = if give { "gave it to" } else { "took it from" };
    record_change_worded(conn, actor, badge, give, verb, changed, single)
}

/// [`record_change`] saying in its own words what was done (an undo says so).
pub fn record_change_worded(
    conn: &mut DbConnection,
    actor: &Actor,
    badge: &Badge,
    give: bool,
    verb: &str,
    changed: i64,
    single: Option<&MemberId>,
) -> Result<(), Error> {
    let names = staging::changed_names(conn, SHOWN as i64)?;
    let action = if give {
        "badge.assign"
    } else {
        "badge.unassign"
    };
    let entry = audit::record(
        conn,
        actor,
        Change {
            action,
            badge_id: Some(&badge.id),
            member_id: single,
            target: &badge.title,
            details: format!(
                "{verb} {}: {}",
                crate::text::count_of(changed as usize, "member", "members"),
                listed(&names, changed as usize)
            ),
        },
    )?;
    if single.is_none() {
        audit::touched_members(conn, entry, staging::CHANGED_IDS_SQL)?;
    }
    Ok(())
}

/// Stages a list of public member ids (duplicates once).
pub fn stage_ids(conn: &mut DbConnection, ids: &[MemberId]) -> Result<(), Error> {
    staging::reset(conn)?;
    let refs: Vec<(i64, staging::Reference<'_>)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (i as i64, staging::Reference::Id(id.as_str())))
        .collect();
    staging::lines(conn, &refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_counts_the_members_beyond_the_names_shown_from_the_real_total() {
        let names: Vec<String> = ["A", "B", "C", "D", "E"].map(String::from).to_vec();
        assert_eq!(listed(&names, 1_000), "A, B, C, D, E and 995 more");
        assert_eq!(listed(&names, 5), "A, B, C, D, E");
        assert_eq!(listed(&names[..2], 2), "A, B");
        assert_eq!(listed(&names[..1], 1), "A");
        // A name that could not be loaded is still counted.
        assert_eq!(listed(&names[..4], 5), "A, B, C, D and 1 more");
    }
}
