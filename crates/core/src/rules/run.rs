//! Running rules: over the whole site (a rule saved, the schedule), or for the members a change
//! concerns (a sign-up, an e-mail changed, a badge given or taken), inside the transaction of
//! that change, so that a change and what the rules make of it commit together. Rules give
//! and take through `members::changes`, the one way assignments are written: stored counts,
//! `badge.assigned`/`badge.unassigned` events, and one audit entry per rule and run with the
//! rule as the actor, in each member's history.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::criteria::Rule;
use super::site::{Fact, Site};
use super::sql::{self, Fragment};
use crate::audit::Actor;
use crate::badges::Badge;
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::keys::BadgeKey;
use crate::db::schema::{badges, members};
use crate::error::Error;
use crate::ids::MemberId;
use crate::members::changes::{give_staged, record_change, staging, take_staged};

/// What one run of a rule did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub given: i64,
    pub taken: i64,
}

/// Which members a run looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Site,
    /// Those in `staging::SCOPE`.
    Staged,
}

fn from(scope: Scope) -> String {
    match scope {
        Scope::Site => " FROM members m".to_string(),
        Scope::Staged => format!(
            " FROM {} s CROSS JOIN members m ON m.key = s.key",
            staging::SCOPE
        ),
    }
}

fn badge_row(conn: &mut DbConnection, key: BadgeKey) -> Result<Badge, Error> {
    Ok(badges::table
        .filter(badges::key.eq(key))
        .select(Badge::as_select())
        .first(conn)?)
}

/// Runs the rule of `badge` over `scope`: gives it to those who match and lack it, and (if
/// the rule takes away) takes it from those who hold it and no longer match.
fn run_one(
    conn: &mut DbConnection,
    site: &Site,
    badge: BadgeKey,
    rule: &Rule,
    scope: Scope,
    now: Timestamp,
) -> Result<Outcome, Error> {
    let condition = sql::condition(site, rule, now)?;
    if scope == Scope::Staged && !changes_any(conn, badge, rule, &condition)? {
        // The usual case after one member's change: one read, and nothing staged.
        return Ok(Outcome::default());
    }
    let actor = Actor::rule(site.title(badge));
    let mut outcome = Outcome::default();
    let mut row: Option<Badge> = None;
    staging::reset(conn)?;
    let to_give = sql::statement(
        conn,
        &[
            sql::text(format!(
                "INSERT INTO {} (key) SELECT m.key",
                staging::MEMBERS
            )),
            sql::text(from(scope)),
            sql::text(" WHERE "),
            condition.clone(),
            sql::text(" AND NOT "),
            sql::has_row(badge),
        ],
    )
    .execute(conn)?;
    if to_give > 0 {
        staging::analyze(conn, staging::MEMBERS, to_give as i64)?;
        let badge_row = row.insert(badge_row(conn, badge)?);
        outcome.given = give_staged(conn, badge_row, &actor, None)?;
        record_change(conn, &actor, badge_row, true, outcome.given, None)?;
        if scope == Scope::Site {
            remember_changed(conn)?;
        }
    }
    if rule.take_away {
        staging::clear(conn, &[staging::MEMBERS])?;
        let holders = match scope {
            Scope::Site => sql::int(
                " FROM member_badges held CROSS JOIN members m ON m.key = held.member_key \
                 WHERE held.badge_key = ?",
                badge.0,
            ),
            Scope::Staged => sql::int(
                format!(
                    " FROM {} s CROSS JOIN member_badges held \
                     ON held.member_key = s.key AND held.badge_key = ? \
                     CROSS JOIN members m ON m.key = s.key WHERE 1 = 1",
                    staging::SCOPE
                ),
                badge.0,
            ),
        };
        let to_take = sql::statement(
            conn,
            &[
                sql::text(format!(
                    "INSERT INTO {} (key) SELECT m.key",
                    staging::MEMBERS
                )),
                holders,
                sql::text(" AND NOT "),
                condition,
            ],
        )
        .execute(conn)?;
        if to_take > 0 {
            staging::analyze(conn, staging::MEMBERS, to_take as i64)?;
            let badge_row = match row {
                Some(b) => b,
                None => badge_row(conn, badge)?,
            };
            outcome.taken = take_staged(conn, badge, Some(&actor))?;
            record_change(conn, &actor, &badge_row, false, outcome.taken, None)?;
            if scope == Scope::Site {
                remember_changed(conn)?;
            }
        }
    }
    Ok(outcome)
}

/// Whether the rule would give its badge to, or take it from, anyone in scope.
fn changes_any(
    conn: &mut DbConnection,
    badge: BadgeKey,
    rule: &Rule,
    condition: &Fragment,
) -> Result<bool, Error> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        changes: bool,
    }
    let mut parts = vec![
        sql::text(format!(
            "SELECT EXISTS (SELECT 1{} WHERE (",
            from(Scope::Staged)
        )),
        condition.clone(),
        sql::text(" AND NOT "),
        sql::has_row(badge),
        sql::text(")"),
    ];
    if rule.take_away {
        parts.extend([
            sql::text(" OR ("),
            sql::has_row(badge),
            sql::text(" AND NOT "),
            condition.clone(),
            sql::text(")"),
        ]);
    }
    parts.push(sql::text(") AS changes"));
    Ok(sql::statement(conn, &parts)
        .get_result::<Found>(conn)?
        .changes)
}

/// Adds the members a site-wide run changed to the scope its followers run over.
fn remember_changed(conn: &mut DbConnection) -> Result<(), Error> {
    let added = diesel::sql_query(format!(
        "INSERT INTO {} (key) SELECT key FROM {} WHERE key IS NOT NULL ON CONFLICT DO NOTHING",
        staging::SCOPE,
        staging::CHANGED
    ))
    .execute(conn)?;
    staging::analyze(conn, staging::SCOPE, added as i64)
}

/// Runs, for the members in scope, every rule that reads one of `changed` (and then the rules
/// reading what those changed), each once, in order. `skip` has just run.
fn follow(
    conn: &mut DbConnection,
    site: &Site,
    mut changed: HashSet<Fact>,
    skip: Option<BadgeKey>,
    now: Timestamp,
) -> Result<(), Error> {
    for i in site.order() {
        let rule = &site.rules[i];
        if Some(rule.badge) == skip || site.reads(&rule.rule).is_disjoint(&changed) {
            continue;
        }
        let outcome = run_one(conn, site, rule.badge, &rule.rule, Scope::Staged, now)?;
        if outcome.given + outcome.taken > 0 {
            changed.insert(Fact::Holding(rule.badge));
        }
    }
    Ok(())
}

/// Runs one rule over the whole site, then the rules that read its badge for the members it
/// changed. Returns what the rule itself did.
pub(super) fn run_site_wide(
    conn: &mut DbConnection,
    site: &Site,
    badge: BadgeKey,
    now: Timestamp,
) -> Result<Outcome, Error> {
    let Some(rule) = site.rule_of(badge) else {
        return Ok(Outcome::default());
    };
    staging::reset(conn)?;
    staging::clear(conn, &[staging::SCOPE])?;
    let outcome = run_one(conn, site, badge, &rule.rule, Scope::Site, now)?;
    if outcome.given + outcome.taken > 0 {
        follow(
            conn,
            site,
            HashSet::from([Fact::Holding(badge)]),
            Some(badge),
            now,
        )?;
    }
    Ok(outcome)
}

/// Runs, for the members in scope (`staging::SCOPE`, filled by the caller), the rules that
/// read a change of `facts`.
pub(super) fn follow_scope(
    conn: &mut DbConnection,
    site: &Site,
    facts: HashSet<Fact>,
) -> Result<(), Error> {
    follow(conn, site, facts, None, Timestamp::now())
}

fn reads_any(site: &Site, facts: &HashSet<Fact>) -> bool {
    site.rules
        .iter()
        .any(|r| !site.reads(&r.rule).is_disjoint(facts))
}

/// After members were added (signed up, added by an admin, imported): every rule runs for
/// them, in the same transaction.
pub fn follow_new_members(conn: &mut DbConnection, ids: &[MemberId]) -> Result<(), Error> {
    let site = Site::load(conn)?;
    if site.rules.is_empty() || ids.is_empty() {
        return Ok(());
    }
    staging::reset(conn)?;
    staging::clear(conn, &[staging::SCOPE])?;
    for chunk in ids.chunks(500) {
        let keys: Vec<i64> = members::table
            .filter(members::id.eq_any(chunk))
            .select(members::key)
            .load(conn)?;
        stage_scope(conn, &keys)?;
    }
    let mut facts = Fact::all_but_holdings();
    facts.extend(site.badges.iter().map(|b| Fact::Holding(b.key)));
    follow_scope(conn, &site, facts)
}

/// After a member's e-mail address changed: the rules that read it run for them.
pub fn follow_email_change(conn: &mut DbConnection, id: &MemberId) -> Result<(), Error> {
    let site = Site::load(conn)?;
    let facts = HashSet::from([Fact::Email]);
    if !reads_any(&site, &facts) {
        return Ok(());
    }
    let key: i64 = members::table.find(id).select(members::key).first(conn)?;
    staging::reset(conn)?;
    staging::clear(conn, &[staging::SCOPE])?;
    stage_scope(conn, &[key])?;
    follow_scope(conn, &site, facts)
}

/// What a change of `badge`'s holders changes for rules: who holds it, and for a badge given
/// by hand, how many such badges they hold.
fn holding_facts(site: &Site, badge: BadgeKey) -> HashSet<Fact> {
    let mut facts = HashSet::from([Fact::Holding(badge)]);
    if !site.is_automatic(badge) {
        facts.insert(Fact::HandCount);
    }
    facts
}

/// Whether a change of `badge`'s holders sets rules off (which may give or take any badge a
/// rule gives): what a writer must know before it decides what to lock (`db::write_locking`).
pub fn follows_holding_change(conn: &mut DbConnection, badge: BadgeKey) -> Result<bool, Error> {
    let site = Site::load(conn)?;
    Ok(reads_any(&site, &holding_facts(&site, badge)))
}

/// After `badge` was given to or taken from the members in `staging::CHANGED` (by hand, by
/// time, or as a badge is deleted): the rules that read it run for them.
pub fn follow_holding_change(conn: &mut DbConnection, badge: BadgeKey) -> Result<(), Error> {
    let site = Site::load(conn)?;
    let facts = holding_facts(&site, badge);
    if !reads_any(&site, &facts) {
        return Ok(());
    }
    staging::clear(conn, &[staging::SCOPE])?;
    remember_changed(conn)?;
    follow_scope(conn, &site, facts)
}

fn stage_scope(conn: &mut DbConnection, keys: &[i64]) -> Result<(), Error> {
    let mut staged = 0;
    for chunk in keys.chunks(500) {
        let values = vec!["(?)"; chunk.len()].join(", ");
        let mut insert = diesel::sql_query(conn.sql(&format!(
            "INSERT INTO {} (key) VALUES {values} ON CONFLICT DO NOTHING",
            staging::SCOPE
        )))
        .into_boxed();
        for key in chunk {
            insert = insert.bind::<BigInt, _>(*key);
        }
        staged += insert.execute(conn)?;
    }
    staging::analyze(conn, staging::SCOPE, staged as i64)
}

/// Stages every holder of `badge` as the scope (a badge turned automatic or back to hand:
/// their count of badges given by hand changed).
pub(super) fn scope_holders(conn: &mut DbConnection, badge: BadgeKey) -> Result<(), Error> {
    staging::reset(conn)?;
    staging::clear(conn, &[staging::SCOPE])?;
    let holders = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO {} (key) SELECT member_key FROM member_badges WHERE badge_key = ?",
        staging::SCOPE
    )))
    .bind::<BigInt, _>(badge)
    .execute(conn)?;
    staging::analyze(conn, staging::SCOPE, holders as i64)
}

/// What saving a rule would do, computed without changing anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    /// Members who match.
    pub matching: i64,
    /// Of them, those who would get the badge.
    pub would_give: i64,
    /// Holders who no longer match and would lose it (0 unless the rule takes away).
    pub would_take: i64,
    /// A few of each, by name.
    pub give_names: Vec<String>,
    pub take_names: Vec<String>,
    /// The rule in words, as the dashboard shows it.
    pub words: String,
}

impl Preview {
    /// One webhook event per member given or taken the badge.
    pub fn events(&self) -> i64 {
        self.would_give + self.would_take
    }
}

/// How many names a preview shows of each kind.
pub const PREVIEW_NAMES: i64 = 5;

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    matching: i64,
    #[diesel(sql_type = BigInt)]
    give: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(super) fn preview(
    conn: &mut DbConnection,
    site: &Site,
    badge: BadgeKey,
    rule: &Rule,
) -> Result<Preview, Error> {
    let now = Timestamp::now();
    let condition = sql::condition(site, rule, now)?;
    let lacking = Fragment {
        sql: format!("NOT {}", sql::has_row(badge).sql),
        binds: sql::has_row(badge).binds,
    };
    let counts: Counts = sql::statement(
        conn,
        &[
            sql::text("SELECT count(*) AS matching, coalesce(sum(CASE WHEN "),
            lacking.clone(),
            sql::text(" THEN 1 ELSE 0 END), 0) AS give FROM members m WHERE "),
            condition.clone(),
        ],
    )
    .get_result(conn)?;
    let names = |conn: &mut DbConnection, parts: &[Fragment]| -> Result<Vec<String>, Error> {
        let mut parts = parts.to_vec();
        parts.push(sql::int(" ORDER BY m.key LIMIT ?", PREVIEW_NAMES));
        let rows: Vec<Name> = sql::statement(conn, &parts).load(conn)?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    };
    let mut preview = Preview {
        matching: counts.matching,
        would_give: counts.give,
        ..Preview::default()
    };
    if preview.would_give > 0 {
        preview.give_names = names(
            conn,
            &[
                sql::text("SELECT m.name FROM members m WHERE "),
                condition.clone(),
                sql::text(" AND "),
                lacking,
            ],
        )?;
    }
    if rule.take_away {
        let losing = [
            sql::int(
                " FROM member_badges held CROSS JOIN members m ON m.key = held.member_key \
                 WHERE held.badge_key = ? AND NOT ",
                badge.0,
            ),
            condition,
        ];
        let mut count = vec![sql::text("SELECT count(*) AS n")];
        count.extend(losing.iter().cloned());
        preview.would_take = sql::statement(conn, &count).get_result::<Count>(conn)?.n;
        if preview.would_take > 0 {
            let mut listed = vec![sql::text("SELECT m.name")];
            listed.extend(losing);
            preview.take_names = names(conn, &listed)?;
        }
    }
    Ok(preview)
}

/// The badges whose rules time alone changes: the schedule's work (and its backlog on the
/// "Background work" page).
pub fn timed(conn: &mut DbConnection) -> Result<Vec<BadgeKey>, Error> {
    Ok(Site::load(conn)?
        .rules
        .iter()
        .filter(|r| r.rule.reads_time())
        .map(|r| r.badge)
        .collect())
}

/// Rules whose criteria time alone changes ("joined at least N days ago", "has held a badge
/// for N days"), run over the whole site every few minutes by one server at a time.
pub struct TimedRules;

impl crate::jobs::Job for TimedRules {
    fn name(&self) -> &'static str {
        "rules.timed"
    }

    fn share(&self) -> crate::jobs::Share {
        crate::jobs::Share::OneServer {
            every: std::time::Duration::from_secs(5 * 60),
            lease: std::time::Duration::from_secs(10 * 60),
        }
    }

    fn run(&mut self, pool: &crate::db::DbPool) -> Result<crate::jobs::Progress, Error> {
        let mut conn = crate::db::checkout(pool, crate::db::stats::Caller::Background)
            .map_err(Error::internal)?;
        for badge in timed(&mut conn)? {
            crate::db::write(&mut conn, |conn| {
                // Read again inside the transaction: the rule may have changed meanwhile.
                let site = Site::load(conn)?;
                run_site_wide(conn, &site, badge, Timestamp::now()).map(|_| ())
            })?;
        }
        Ok(crate::jobs::Progress::Done)
    }
}
