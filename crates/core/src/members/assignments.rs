//! Giving badges to members and taking them back by hand (the dashboard, `/me`, the API) and
//! by time (expiry), set-based through [`super::changes`], the one way assignments are
//! written; and reading who holds what.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};

use super::Member;
pub use super::changes::staging;
use super::changes::{give_staged, record_change, record_new_end, stage_ids, take_staged};
use super::profile::{Audience, profile_order};
use super::search::Holding;
use super::undo;
use super::validity::{self, in_force};
use crate::audit::{self, Actor, Change};
use crate::badges::{Badge, store as badge_store};
use crate::db::keys::{BadgeKey, MemberKey};
use crate::db::schema::{badges, member_badges, members};
use crate::db::{DbConnection, Locks};
use crate::error::Error;
use crate::ids::{BadgeId, MemberId};

/// Most members one bulk request may name.
pub const BULK_MAX: usize = 50_000;
/// SQLite binds at most 32,766 parameters; lookups go in chunks well below that.
const CHUNK: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("badge not found")]
    BadgeNotFound,
    #[error("members not found")]
    MembersNotFound(Vec<String>),
    #[error("too many members in one request (at most {BULK_MAX})")]
    TooMany,
    /// An end given for assignments is not in the future.
    #[error("that end has already passed: an assignment must end in the future")]
    EndPassed,
    /// Pasted text with a NUL character (on this line), which is no text at all.
    #[error("line {0} holds a NUL character")]
    NotText(usize),
    #[error(transparent)]
    App(#[from] Error),
}

impl From<diesel::result::Error> for AssignError {
    fn from(e: diesel::result::Error) -> Self {
        AssignError::App(e.into())
    }
}

impl From<AssignError> for Error {
    fn from(e: AssignError) -> Self {
        match e {
            AssignError::BadgeNotFound => Error::NotFound,
            AssignError::MembersNotFound(ids) => {
                Error::Invalid(format!("Unknown members: {}", ids.join(", ")))
            }
            AssignError::TooMany | AssignError::NotText(_) => Error::Invalid(e.to_string()),
            // A well-formed request the clock refuses.
            AssignError::EndPassed => Error::Conflict(e.to_string()),
            AssignError::App(app) => app,
        }
    }
}

/// What an assignment did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Assigned {
    /// Members who got the badge now.
    pub added: Vec<MemberId>,
    /// Members who already held it (nothing changed for them).
    pub already: Vec<MemberId>,
}

fn unique(ids: &[MemberId]) -> Vec<MemberId> {
    let mut seen = HashSet::new();
    ids.iter().filter(|id| seen.insert(*id)).cloned().collect()
}

fn badge(conn: &mut DbConnection, badge_id: &BadgeId) -> Result<Badge, AssignError> {
    badge_store::find(conn, badge_id).map_err(|e| match e {
        crate::badges::BadgeError::NotFound => AssignError::BadgeNotFound,
        other => AssignError::App(other.into()),
    })
}

/// What every change by hand or by time ends with, for the members it changed (in
/// `staging::CHANGED`): its audit entry, then the rules that read the badge, in the same
/// transaction.
fn recorded(
    conn: &mut DbConnection,
    actor: &Actor,
    badge: &Badge,
    give: bool,
    changed: i64,
    single: Option<&MemberId>,
) -> Result<(), Error> {
    record_change(conn, actor, badge, give, changed, single)?;
    crate::rules::follow_holding_change(conn, badge.key)
}

/// What a change of `badge_id`'s holders locks (`db::write_locking`): the badge alone, so
/// changes of other badges go on beside it; everything when its changes set rules off, which
/// may give or take any badge a rule gives. A badge that is not there locks nothing: the
/// change finds it missing and says so.
fn badge_locks(conn: &mut DbConnection, badge_id: &BadgeId) -> Result<Locks, AssignError> {
    let key: Option<BadgeKey> = badges::table
        .find(badge_id)
        .select(badges::key)
        .first(conn)
        .optional()?;
    Ok(match key {
        None => Locks::Rows,
        Some(key)
            if crate::rules::follows_holding_change(conn, key).map_err(AssignError::App)? =>
        {
            Locks::Everything
        }
        Some(key) => Locks::Badges(vec![key.0]),
    })
}

/// A write transaction for a change of `badge_id`'s holders, locking what [`badge_locks`] says.
fn write_badge<T>(
    conn: &mut DbConnection,
    badge_id: &BadgeId,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AssignError>,
) -> Result<T, AssignError> {
    crate::db::write_locking(conn, |conn| badge_locks(conn, badge_id), f)
}

/// An end given for assignments must be in the future.
fn check_end(until: Option<crate::clock::Timestamp>) -> Result<(), AssignError> {
    match until {
        Some(end) if end <= crate::clock::Timestamp::now() => Err(AssignError::EndPassed),
        _ => Ok(()),
    }
}

/// A badge a hand change may give or take: not one a rule gives.
fn manual_badge(conn: &mut DbConnection, badge_id: &BadgeId) -> Result<Badge, AssignError> {
    let badge = badge(conn, badge_id)?;
    crate::rules::store::refuse_if_automatic(conn, &badge)?;
    Ok(badge)
}

/// Most assignments one expiry pass takes from one badge in one transaction; a larger backlog
/// goes in further passes, so no transaction holds the writers up for long.
pub const EXPIRE_BATCH: i64 = 50_000;

/// Takes away assignments whose time is up, badge by badge, the one way assignments are taken
/// (stored counts, `badge.unassigned` events, one audit entry per badge in each member's
/// history) with "expired" as the actor, at most [`EXPIRE_BATCH`] in one transaction. Returns
/// how many it took.
pub fn expire_due(conn: &mut DbConnection, now: crate::clock::Timestamp) -> Result<i64, Error> {
    // Made distinct here: DISTINCT in SQL leads SQLite to walk every assignment instead of
    // reading the few ended ones from the index.
    let mut due: Vec<BadgeKey> = member_badges::table
        .filter(member_badges::expires_at.is_not_null())
        .filter(member_badges::expires_at.le(now.millis()))
        .select(member_badges::badge_key)
        .load(conn)?;
    due.sort();
    due.dedup();
    let actor = Actor::expired();
    let mut taken = 0;
    for key in due {
        loop {
            let batch = expire_batch(conn, &actor, key, now)?;
            taken += batch;
            if batch < EXPIRE_BATCH {
                break;
            }
        }
    }
    Ok(taken)
}

fn expire_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    key: BadgeKey,
    now: crate::clock::Timestamp,
) -> Result<i64, Error> {
    use staging::MEMBERS;
    crate::db::write(conn, |conn| -> Result<i64, Error> {
        let Some(badge) = badges::table
            .filter(badges::key.eq(key))
            .select(Badge::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(0);
        };
        staging::reset(conn)?;
        // `+badge_key`: the few ended assignments come from the index of ends, not from
        // walking every holder of the badge.
        let ended = diesel::sql_query(conn.sql(&format!(
            "INSERT INTO {MEMBERS} (key) SELECT member_key FROM member_badges \
                 WHERE +badge_key = ? AND expires_at IS NOT NULL AND expires_at <= ? \
                 ORDER BY member_key LIMIT ?"
        )))
        .bind::<BigInt, _>(key)
        .bind::<BigInt, _>(now.millis())
        .bind::<BigInt, _>(EXPIRE_BATCH)
        .execute(conn)?;
        staging::analyze(conn, MEMBERS, ended as i64)?;
        let removed = take_staged(conn, key, Some(actor))?;
        if removed > 0 {
            if badge.tell_members {
                // The staged changed members are those who lost it.
                crate::mail::outbox::queue_badge_mail(conn, key, crate::mail::Kind::BadgeExpired)?;
            }
            recorded(conn, actor, &badge, false, removed, None)?;
        }
        Ok(removed)
    })
}

/// Stages every holder of a badge (before it is deleted).
pub fn stage_holders(conn: &mut DbConnection, badge: BadgeKey) -> Result<(), Error> {
    staging::reset(conn)?;
    let holders = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO {} (key) SELECT member_key FROM member_badges WHERE badge_key = ?",
        staging::MEMBERS
    )))
    .bind::<BigInt, _>(badge)
    .execute(conn)?;
    staging::analyze(conn, staging::MEMBERS, holders as i64)
}

/// Deletes a badge: taken from its holders the one way every assignment is (stored counts
/// and events included), then the badge itself, in one transaction.
pub fn delete_badge(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &BadgeId,
) -> Result<Badge, crate::badges::BadgeError> {
    crate::db::write(conn, |conn| {
        let old = badge_store::find(conn, id)?;
        crate::rules::store::refuse_if_read(conn, &old)?;
        crate::rules::store::forget(conn, old.key)?;
        stage_holders(conn, old.key)?;
        if take_staged(conn, old.key, None)? > 0 {
            // Their count of badges given by hand changed.
            crate::rules::follow_holding_change(conn, old.key)?;
        }
        badge_store::delete_without_holders(conn, actor, &old)?;
        Ok(old)
    })
}

/// Deletes a member with their assignments; every badge they held loses one holder.
pub fn delete_member(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &MemberId,
) -> Result<Member, super::MemberError> {
    crate::db::write(conn, |conn| {
        let member = super::find(conn, id)?;
        let key = members::table
            .find(id)
            .select(members::key)
            .first::<crate::db::keys::MemberKey>(conn)?;
        take_all_from(conn, actor, key)?;
        // Their mail goes with them (the outbox keeps no checked reference: see its migration).
        crate::mail::outbox::forget_member(conn, id)?;
        diesel::delete(members::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "member.delete",
                member_id: Some(id),
                target: &member.name,
                details: format!("{}; held {} badges", member.email, member.badge_count),
                ..Default::default()
            },
        )?;
        Ok(member)
    })
}

/// Takes every badge from one member (before the member is deleted).
pub fn take_all_from(
    conn: &mut DbConnection,
    actor: &Actor,
    member: MemberKey,
) -> Result<(), Error> {
    let held: Vec<BadgeKey> = member_badges::table
        .filter(member_badges::member_key.eq(member))
        .select(member_badges::badge_key)
        .load(conn)?;
    for badge in held {
        staging::reset(conn)?;
        diesel::sql_query(conn.sql(&format!(
            "INSERT INTO {} (key) VALUES (?)",
            staging::MEMBERS
        )))
        .bind::<BigInt, _>(member)
        .execute(conn)?;
        staging::analyze(conn, staging::MEMBERS, 1)?;
        take_staged(conn, badge, Some(actor))?;
    }
    Ok(())
}

/// Whether a member holds a badge now, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    No,
    Always,
    Until(crate::clock::Timestamp),
}

/// Whether `member` holds `badge` (an assignment whose time is up does not count), and until
/// when. One indexed read.
pub fn held(conn: &mut DbConnection, badge: &BadgeId, member: &MemberId) -> Result<Held, Error> {
    let now = crate::clock::Timestamp::now();
    let found: Option<Option<i64>> = member_badges::table
        .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
        .inner_join(badges::table.on(badges::key.eq(member_badges::badge_key)))
        .filter(members::id.eq(member))
        .filter(badges::id.eq(badge.as_str()))
        .filter(in_force(now))
        .select(member_badges::expires_at)
        .first(conn)
        .optional()?;
    Ok(match found {
        None => Held::No,
        Some(None) => Held::Always,
        Some(Some(at)) => Held::Until(crate::clock::Timestamp::from_millis(at)),
    })
}

/// Which of `ids` already hold the badge.
pub fn holding_any(
    conn: &mut DbConnection,
    badge_id: &BadgeId,
    ids: &[MemberId],
) -> Result<HashSet<String>, Error> {
    #[derive(QueryableByName)]
    struct Holding {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let mut found = HashSet::new();
    let ids: Vec<&str> = ids.iter().map(MemberId::as_str).collect();
    for chunk in ids.chunks(CHUNK) {
        // The few members drive the lookup (CROSS JOIN keeps that order): read from the badge's
        // side, a popular badge would walk all its holders to answer for twenty members.
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = conn.sql(&format!(
            "SELECT m.id AS id FROM members m CROSS JOIN member_badges mb \
             ON mb.member_key = m.key AND mb.badge_key = (SELECT key FROM badges WHERE id = ?) \
             AND {} WHERE m.id IN ({marks})",
            validity::in_force_sql("mb")
        ));
        // An assignment whose time is up no longer counts as holding it (validity.rs).
        let mut query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Text, _>(badge_id.as_str().to_string())
            .bind::<BigInt, _>(crate::clock::now_millis());
        for id in chunk {
            query = query.bind::<Text, _>(id.to_string());
        }
        let rows: Vec<Holding> = query.load(conn)?;
        found.extend(rows.into_iter().map(|r| r.id));
    }
    Ok(found)
}

/// Gives a badge to members, all or nothing: if any id is not a member, nothing is assigned.
/// Members who already hold it keep it (renewed, if the badge is valid for a time).
pub fn assign(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    member_ids: &[MemberId],
) -> Result<Assigned, AssignError> {
    assign_until(conn, actor, badge_id, member_ids, None)
}

/// [`assign`] with an end of its own for these assignments (`None`: as the badge says); the
/// members who already hold it get the same end.
pub fn assign_until(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    member_ids: &[MemberId],
    until: Option<crate::clock::Timestamp>,
) -> Result<Assigned, AssignError> {
    check_end(until)?;
    let ids = unique(member_ids);
    if ids.len() > BULK_MAX {
        return Err(AssignError::TooMany);
    }
    write_badge(conn, badge_id, |conn| {
        let badge = manual_badge(conn, badge_id)?;
        stage_ids(conn, &ids)?;
        let missing = staging::unknown_ids(conn)?;
        if !missing.is_empty() {
            return Err(AssignError::MembersNotFound(missing));
        }
        staging::members_from_lines(conn)?;
        let added = give_staged(conn, &badge, actor, until)?;
        let mut outcome = Assigned::default();
        if added > 0 {
            outcome.added = staging::changed_ids(conn)?;
            recorded(conn, actor, &badge, true, added, single(&outcome.added))?;
        }
        let added: HashSet<&MemberId> = outcome.added.iter().collect();
        outcome.already = ids
            .iter()
            .filter(|id| !added.contains(id))
            .cloned()
            .collect();
        Ok(outcome)
    })
}

/// Takes a badge back from members; ids that do not hold it are ignored. Returns who lost it.
pub fn unassign(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    member_ids: &[MemberId],
) -> Result<Vec<MemberId>, AssignError> {
    Ok(unassign_kept(conn, actor, badge_id, member_ids, None)?.0)
}

/// [`unassign`], kept for `admin_id` to undo for a day (see [`super::undo`]): also returns the
/// change to undo (`None` if nobody lost it).
pub fn unassign_undoable(
    conn: &mut DbConnection,
    actor: &Actor,
    admin_id: &str,
    badge_id: &BadgeId,
    member_ids: &[MemberId],
) -> Result<(Vec<MemberId>, Option<String>), AssignError> {
    unassign_kept(conn, actor, badge_id, member_ids, Some(admin_id))
}

fn unassign_kept(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    member_ids: &[MemberId],
    keep_for: Option<&str>,
) -> Result<(Vec<MemberId>, Option<String>), AssignError> {
    let ids = unique(member_ids);
    if ids.len() > BULK_MAX {
        return Err(AssignError::TooMany);
    }
    write_badge(conn, badge_id, |conn| {
        let badge = manual_badge(conn, badge_id)?;
        stage_ids(conn, &ids)?;
        staging::members_from_lines(conn)?;
        let (removed_count, change) = take_staged_kept(conn, actor, &badge, keep_for)?;
        if removed_count == 0 {
            return Ok((Vec::new(), None));
        }
        let removed = staging::changed_ids(conn)?;
        recorded(conn, actor, &badge, false, removed_count, single(&removed))?;
        Ok((removed, change))
    })
}

/// Takes the badge from the staged members, first keeping their assignments for `keep_for`
/// to undo. Returns how many lost it, and the change to undo.
fn take_staged_kept(
    conn: &mut DbConnection,
    actor: &Actor,
    badge: &Badge,
    keep_for: Option<&str>,
) -> Result<(i64, Option<String>), Error> {
    let change = match keep_for {
        Some(admin_id) => {
            let change = undo::begin(conn, admin_id, badge, false)?;
            undo::keep_held(conn, &change, badge.key)?;
            Some(change)
        }
        None => None,
    };
    let removed = take_staged(conn, badge.key, Some(actor))?;
    let change = match change {
        Some(change) => undo::finish(conn, &change, removed)?,
        None => None,
    };
    Ok((removed, change))
}

/// Takes the badge from every holder in one transaction ("Remove all holders"), kept for
/// `admin_id` to undo for a day. Returns how many lost it, and the change to undo.
pub fn take_from_all(
    conn: &mut DbConnection,
    actor: &Actor,
    admin_id: &str,
    badge_id: &BadgeId,
) -> Result<(i64, Option<String>), AssignError> {
    crate::db::write(conn, |conn| {
        let badge = manual_badge(conn, badge_id)?;
        stage_holders(conn, badge.key)?;
        let (removed, change) = take_staged_kept(conn, actor, &badge, Some(admin_id))?;
        if removed > 0 {
            recorded(conn, actor, &badge, false, removed, None)?;
        }
        Ok((removed, change))
    })
}

/// Sets when the assignments of some holders end (`None`: never), whatever the badge says;
/// members who do not hold it are ignored. An end must be in the future. Audited in each
/// member's history. Returns how many changed.
pub fn set_end(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    member_ids: &[MemberId],
    until: Option<crate::clock::Timestamp>,
) -> Result<i64, AssignError> {
    let ids = unique(member_ids);
    if ids.len() > BULK_MAX {
        return Err(AssignError::TooMany);
    }
    check_end(until)?;
    let now = crate::clock::Timestamp::now();
    crate::db::write(conn, |conn| {
        let badge = manual_badge(conn, badge_id)?;
        stage_ids(conn, &ids)?;
        staging::members_from_lines(conn)?;
        // Only assignments in force: one whose time is up is gone, whatever its row says.
        let changed = diesel::sql_query(conn.sql(&format!(
            "UPDATE member_badges SET expires_at = ?, end_set_at = ? WHERE badge_key = ? \
             AND member_key IN (SELECT key FROM {}) AND {}",
            staging::MEMBERS,
            validity::in_force_sql("")
        )))
        .bind::<Nullable<BigInt>, _>(until.map(crate::clock::Timestamp::millis))
        .bind::<Nullable<BigInt>, _>(until.map(|_| now.millis()))
        .bind::<BigInt, _>(badge.key)
        .bind::<BigInt, _>(now.millis())
        .execute(conn)? as i64;
        if changed > 0 {
            let count = crate::text::count_of(changed as usize, "member", "members");
            record_new_end(
                conn,
                actor,
                &badge,
                single(&ids),
                match until {
                    Some(end) => format!("set the end for {count} to {end}"),
                    None => format!("removed the end for {count}"),
                },
            )?;
        }
        Ok(changed)
    })
}

/// Gives one member several badges (`give`), or takes them back, in one transaction.
/// Returns how many actually changed, and for a take the changes `admin_id` can undo (one a
/// badge: see [`super::undo`]).
pub fn change_member_badges(
    conn: &mut DbConnection,
    actor: &Actor,
    admin_id: &str,
    member_id: &MemberId,
    badge_ids: &[BadgeId],
    give: bool,
) -> Result<(usize, Vec<String>), AssignError> {
    crate::db::write(conn, |conn| {
        super::find(conn, member_id).map_err(|_| AssignError::App(Error::NotFound))?;
        let member = [member_id.clone()];
        let mut changed = 0;
        let mut undo = Vec::new();
        for badge_id in badge_ids {
            changed += if give {
                assign(conn, actor, badge_id, &member)?.added.len()
            } else {
                let (removed, change) =
                    unassign_undoable(conn, actor, admin_id, badge_id, &member)?;
                undo.extend(change);
                removed.len()
            };
        }
        Ok((changed, undo))
    })
}

/// A member adds or removes a self-assignable badge on their own profile. Any other badge
/// is refused, whatever the request says.
pub fn set_own_badge(
    conn: &mut DbConnection,
    member: &Member,
    badge_id: &BadgeId,
    wanted: bool,
) -> Result<bool, AssignError> {
    crate::db::write(conn, |conn| {
        let badge = manual_badge(conn, badge_id)?;
        if !badge.self_assignable {
            return Err(AssignError::App(Error::NotAllowed(format!(
                "“{}” is given by the site's admins; it cannot be added or removed on your profile.",
                badge.title
            ))));
        }
        let actor = Actor::member(&member.email);
        let ids = [member.id.clone()];
        Ok(if wanted {
            !assign(conn, &actor, badge_id, &ids)?.added.is_empty()
        } else {
            !unassign(conn, &actor, badge_id, &ids)?.is_empty()
        })
    })
}

/// Which badges some members hold: every badge once, in display order, and for each member
/// (by public id or by key) the positions of theirs in that list, in their profile's order,
/// so a page of members draws each badge once.
#[derive(Debug)]
pub struct Holdings<M> {
    pub badges: Vec<Badge>,
    by_member: HashMap<M, Vec<usize>>,
}

impl<M: std::hash::Hash + Eq> Holdings<M> {
    /// Positions in [`Holdings::badges`] of the badges `member` holds: pinned first, then in
    /// display order.
    pub fn positions(&self, member: &M) -> &[usize] {
        self.by_member.get(member).map_or(&[], Vec::as_slice)
    }

    /// The badges `member` holds, in display order.
    pub fn of<'a>(&'a self, member: &M) -> impl Iterator<Item = &'a Badge> + 'a {
        self.positions(member).iter().map(|&i| &self.badges[i])
    }

    /// From (member, badge, when pinned) rows.
    fn from_rows(
        conn: &mut DbConnection,
        rows: Vec<(M, BadgeKey, Option<i64>)>,
    ) -> Result<Holdings<M>, Error> {
        if rows.is_empty() {
            return Ok(Holdings {
                badges: Vec::new(),
                by_member: HashMap::new(),
            });
        }
        let badges = badge_store::list_in_order(conn)?;
        let rank: HashMap<BadgeKey, usize> =
            badges.iter().enumerate().map(|(i, b)| (b.key, i)).collect();
        let mut placed: HashMap<M, Vec<(Option<i64>, usize)>> = HashMap::new();
        for (member, badge, pinned_at) in rows {
            if let Some(&i) = rank.get(&badge) {
                placed.entry(member).or_default().push((pinned_at, i));
            }
        }
        let by_member = placed
            .into_iter()
            .map(|(member, mut held)| {
                held.sort_unstable_by_key(|&(pinned_at, i)| profile_order(pinned_at, i));
                (member, held.into_iter().map(|(_, i)| i).collect())
            })
            .collect();
        Ok(Holdings { badges, by_member })
    }
}

/// Every badge held by each of `member_ids`, in display order (the JSON API, which shows
/// hidden badges too): one indexed query for the (member, badge) pairs, and the badges
/// themselves (a few dozen) read once.
pub fn badges_of_many(
    conn: &mut DbConnection,
    member_ids: &[MemberId],
    audience: Audience,
) -> Result<Holdings<String>, Error> {
    let ids: Vec<&str> = member_ids.iter().map(MemberId::as_str).collect();
    // Hidden ones are dropped here rather than in SQL, where the extra condition leads
    // SQLite's planner to scan the assignments instead of starting from the members.
    // Expired ones (not yet taken away) likewise.
    let held: Vec<(String, BadgeKey, bool, Option<i64>)> = members::table
        .inner_join(member_badges::table.on(member_badges::member_key.eq(members::key)))
        .filter(members::id.eq_any(ids))
        .select((
            members::id,
            member_badges::badge_key,
            member_badges::hidden,
            member_badges::expires_at,
        ))
        .load(conn)?;
    let now = crate::clock::now_millis();
    let rows = held
        .into_iter()
        .filter(|(_, _, hidden, _)| audience == Audience::Everyone || !hidden)
        .filter(|(_, _, _, expires)| validity::in_force_at(*expires, now))
        .map(|(m, b, _, _)| (m, b, None))
        .collect();
    Holdings::from_rows(conn, rows)
}

/// The badges the public sees on members whose keys a search already found (the directory):
/// without hidden ones, pinned first. The assignment index answers, with no lookup of public
/// ids.
pub fn public_badges_of_keys(
    conn: &mut DbConnection,
    keys: &[MemberKey],
) -> Result<Holdings<MemberKey>, Error> {
    let rows: Vec<(MemberKey, BadgeKey, Option<i64>, Option<i64>)> = member_badges::table
        .filter(member_badges::member_key.eq_any(keys))
        .filter(member_badges::hidden.eq(false))
        .select((
            member_badges::member_key,
            member_badges::badge_key,
            member_badges::pinned_at,
            member_badges::expires_at,
        ))
        .load(conn)?;
    let now = crate::clock::now_millis();
    let rows = rows
        .into_iter()
        .filter(|(_, _, _, expires)| validity::in_force_at(*expires, now))
        .map(|(m, b, pinned, _)| (m, b, pinned))
        .collect();
    Holdings::from_rows(conn, rows)
}

fn single(ids: &[MemberId]) -> Option<&MemberId> {
    match ids {
        [one] => Some(one),
        _ => None,
    }
}

/// One page of a badge's holders, oldest assignment first, and how many hold it in all
/// (the stored count, so no scan).
pub fn holders_oldest_first(
    conn: &mut DbConnection,
    badge_id: &BadgeId,
    audience: Audience,
    offset: i64,
    limit: i64,
) -> Result<(Vec<String>, i64), AssignError> {
    let badge = badge(conn, badge_id)?;
    let now = crate::clock::Timestamp::now();
    let mut query = member_badges::table
        .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
        .filter(member_badges::badge_key.eq(badge.key))
        .filter(in_force(now))
        .order((
            member_badges::assigned_at.asc(),
            member_badges::member_key.asc(),
        ))
        .select(members::id)
        .offset(offset)
        .limit(limit)
        .into_boxed();
    // The badge's count already leaves out assignments whose time is up (`badge_store::find`).
    let mut total = badge.member_count;
    if audience == Audience::Public {
        query = query.filter(member_badges::hidden.eq(false));
        // Hidden assignments are few (a partial index holds just them), so the public total
        // is the stored count less those, not a count of every holder.
        let hidden: i64 = member_badges::table
            .filter(member_badges::badge_key.eq(badge.key))
            .filter(member_badges::hidden)
            .filter(in_force(now))
            .count()
            .get_result(conn)?;
        total -= hidden;
    }
    Ok((query.load(conn)?, total))
}

// ---------------------------------------------------------------- bulk box

/// What one pasted line would do (or did).
#[derive(Debug, Clone, PartialEq)]
pub enum LineStatus {
    Assigned,
    AlreadyHeld,
    /// Already held, and valid for a time: giving it again renews it from now.
    Renewed,
    /// Held, and taken away (a take).
    Removed,
    /// Not held, so nothing to take.
    NotHeld,
    NotFound,
    Invalid(String),
}

impl LineStatus {
    /// Whether the line needs the admin's attention (the report lists these).
    pub fn is_problem(&self) -> bool {
        matches!(self, LineStatus::NotFound | LineStatus::Invalid(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkLine {
    pub number: usize,
    pub text: String,
    pub status: LineStatus,
    pub member: Option<BulkMember>,
}

/// The member a pasted line named: what its report shows (50,000 of them at a time).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct BulkMember {
    #[diesel(sql_type = Text)]
    pub id: MemberId,
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// A pasted line: an id or an e-mail.
enum Pasted {
    Id(String),
    Email(String),
}

fn parse_line(line: &str) -> Result<Pasted, String> {
    if let Ok(id) = uuid::Uuid::parse_str(line) {
        return Ok(Pasted::Id(id.hyphenated().to_string()));
    }
    if line.contains('@') {
        return crate::email::parse(line).map(Pasted::Email);
    }
    Err("is neither an e-mail address nor a member id".to_string())
}

/// A staged line that named a member, with whether they hold the badge.
#[derive(QueryableByName)]
struct Resolved {
    #[diesel(sql_type = BigInt)]
    pos: i64,
    #[diesel(embed)]
    member: BulkMember,
    #[diesel(sql_type = Bool)]
    held: bool,
}

/// Which way a bulk change goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BulkChange {
    /// Give the badge, ending at `until` (`None`: as the badge says); holders are renewed to
    /// that end if there is one.
    Give {
        until: Option<crate::clock::Timestamp>,
    },
    /// Take the badge away.
    Take,
}

impl BulkChange {
    pub fn gives(self) -> bool {
        matches!(self, BulkChange::Give { .. })
    }
}

/// Works out, line by line, what giving the badge to these pasted e-mails or ids would do.
pub fn plan_bulk(
    conn: &mut DbConnection,
    badge_id: &BadgeId,
    text: &str,
) -> Result<Vec<BulkLine>, AssignError> {
    plan_bulk_change(conn, badge_id, text, BulkChange::Give { until: None })
}

/// Works out, line by line, what a bulk change of these pasted e-mails or ids would do, with
/// every line resolved in a few statements. Writes nothing but the staging tables.
pub fn plan_bulk_change(
    conn: &mut DbConnection,
    badge_id: &BadgeId,
    text: &str,
    change: BulkChange,
) -> Result<Vec<BulkLine>, AssignError> {
    // Other control characters make a line invalid and are reported with it; NUL cannot even
    // be kept to show back (PostgreSQL stores no NUL in text), so the paste is refused whole.
    if let Some(line) = text.lines().position(|l| l.contains('\0')) {
        return Err(AssignError::NotText(line + 1));
    }
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.len() > BULK_MAX {
        return Err(AssignError::TooMany);
    }
    let until = match change {
        BulkChange::Give { until } => until,
        BulkChange::Take => None,
    };
    check_end(until)?;
    let badge = manual_badge(conn, badge_id)?;
    let parsed: Vec<(usize, &str, Result<Pasted, String>)> = lines
        .into_iter()
        .map(|(number, line)| (number, line, parse_line(line)))
        .collect();
    staging::reset(conn)?;
    let refs: Vec<(i64, staging::Reference<'_>)> = parsed
        .iter()
        .filter_map(|(number, _, p)| match p {
            Ok(Pasted::Id(id)) => Some((*number as i64, staging::Reference::Id(id))),
            Ok(Pasted::Email(email)) => Some((*number as i64, staging::Reference::Email(email))),
            Err(_) => None,
        })
        .collect();
    staging::lines(conn, &refs)?;
    let resolved: Vec<Resolved> = diesel::sql_query(conn.sql(&format!(
        "SELECT l.pos, m.id, m.name, \
                EXISTS (SELECT 1 FROM member_badges WHERE badge_key = ? AND member_key = l.key \
                        AND {}) AS held \
         FROM {} l CROSS JOIN members m ON m.key = l.key",
        validity::in_force_sql(""),
        staging::LINES
    )))
    .bind::<BigInt, _>(badge.key)
    .bind::<BigInt, _>(crate::clock::now_millis())
    .load(conn)?;
    let (held_status, not_held_status) = match change {
        BulkChange::Take => (LineStatus::Removed, LineStatus::NotHeld),
        BulkChange::Give { until } if until.is_some() || badge.valid_for_days.is_some() => {
            (LineStatus::Renewed, LineStatus::Assigned)
        }
        BulkChange::Give { .. } => (LineStatus::AlreadyHeld, LineStatus::Assigned),
    };
    let mut found: HashMap<usize, (BulkMember, bool)> = resolved
        .into_iter()
        .map(|r| (r.pos as usize, (r.member, r.held)))
        .collect();
    let mut seen = HashSet::new();
    Ok(parsed
        .into_iter()
        .map(|(number, line, parsed)| {
            let (status, member) = match (parsed, found.remove(&number)) {
                (Err(reason), _) => (LineStatus::Invalid(reason), None),
                (Ok(_), None) => (LineStatus::NotFound, None),
                (Ok(_), Some((m, _))) if !seen.insert(m.id.clone()) => (
                    LineStatus::Invalid("repeats an earlier line".into()),
                    Some(m),
                ),
                (Ok(_), Some((m, true))) => (held_status.clone(), Some(m)),
                (Ok(_), Some((m, false))) => (not_held_status.clone(), Some(m)),
            };
            BulkLine {
                number,
                text: line.to_string(),
                status,
                member,
            }
        })
        .collect())
}

/// Plans and gives in one transaction; the report says what happened to each line.
pub fn apply_bulk(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    text: &str,
) -> Result<Vec<BulkLine>, AssignError> {
    Ok(apply_bulk_change(
        conn,
        actor,
        badge_id,
        text,
        BulkChange::Give { until: None },
        None,
    )?
    .0)
}

/// Plans and makes a bulk change in one transaction; the report says what happened to each
/// line. With `keep_for`, the change is kept for that admin to undo for a day, and its id is
/// returned with the report (`None` if it changed nobody).
pub fn apply_bulk_change(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    text: &str,
    change: BulkChange,
    keep_for: Option<&str>,
) -> Result<(Vec<BulkLine>, Option<String>), AssignError> {
    write_badge(conn, badge_id, |conn| {
        let report = plan_bulk_change(conn, badge_id, text, change)?;
        let badge = badge(conn, badge_id)?;
        staging::members_from_lines(conn)?;
        let renewed = report
            .iter()
            .filter(|l| l.status == LineStatus::Renewed)
            .count();
        let (changed, kept) = change_staged(conn, actor, &badge, change, keep_for, renewed)?;
        if changed > 0 {
            let status = if change.gives() {
                LineStatus::Assigned
            } else {
                LineStatus::Removed
            };
            let first = report
                .iter()
                .find(|l| l.status == status)
                .and_then(|l| l.member.as_ref().map(|m| m.id.clone()));
            let single = if changed == 1 { first } else { None };
            recorded(
                conn,
                actor,
                &badge,
                change.gives(),
                changed,
                single.as_ref(),
            )?;
        }
        Ok((report, kept))
    })
}

/// Gives or takes the badge for the staged members (`staging::MEMBERS`), kept for
/// `keep_for` to undo; `renewed` of them hold it and get a new end (a give's). Returns how
/// many got or lost it, and the change to undo. The caller records the change.
fn change_staged(
    conn: &mut DbConnection,
    actor: &Actor,
    badge: &Badge,
    change: BulkChange,
    keep_for: Option<&str>,
    renewed: usize,
) -> Result<(i64, Option<String>), Error> {
    match change {
        BulkChange::Give { until } => {
            let kept = match keep_for {
                Some(admin_id) => {
                    let kept = undo::begin(conn, admin_id, badge, true)?;
                    // Holders whose end this renews get it back on undo.
                    if until.is_some() || badge.valid_for_days.is_some() {
                        undo::keep_held(conn, &kept, badge.key)?;
                    }
                    Some(kept)
                }
                None => None,
            };
            let added = give_staged(conn, badge, actor, until)?;
            if let Some(kept) = &kept {
                undo::keep_given(conn, kept)?;
            }
            let kept = match kept {
                Some(kept) => undo::finish(conn, &kept, added + renewed as i64)?,
                None => None,
            };
            Ok((added, kept))
        }
        BulkChange::Take => take_staged_kept(conn, actor, badge, keep_for),
    }
}

/// What giving or taking a badge for every member a filter keeps would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilteredPlan {
    /// Members the filter keeps.
    pub matching: i64,
    /// Of them, those the change would give the badge to or take it from.
    pub changing: i64,
}

/// Stages every member a filter keeps, set-based (a badge's holders, or members without
/// badges), however many.
fn stage_filter(conn: &mut DbConnection, holding: &Holding) -> Result<i64, Error> {
    staging::reset(conn)?;
    let staged = match holding {
        Holding::Badge(key) => diesel::sql_query(conn.sql(&format!(
            "INSERT INTO {} (key) SELECT member_key FROM member_badges WHERE badge_key = ? AND {}",
            staging::MEMBERS,
            validity::in_force_sql("")
        )))
        .bind::<BigInt, _>(*key)
        .bind::<BigInt, _>(crate::clock::now_millis())
        .execute(conn)?,
        Holding::NoBadges => diesel::sql_query(conn.sql(&format!(
            "INSERT INTO {} (key) SELECT key FROM members WHERE badge_count = 0",
            staging::MEMBERS
        )))
        .execute(conn)?,
    } as i64;
    staging::analyze(conn, staging::MEMBERS, staged)?;
    Ok(staged)
}

/// How many staged members hold `badge` now.
fn staged_holding(conn: &mut DbConnection, badge: BadgeKey) -> Result<i64, Error> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let counted: Count = diesel::sql_query(conn.sql(&format!(
        "SELECT count(*) AS n FROM {} s CROSS JOIN member_badges mb \
         ON mb.badge_key = ? AND mb.member_key = s.key WHERE {}",
        staging::MEMBERS,
        validity::in_force_sql("mb")
    )))
    .bind::<BigInt, _>(badge)
    .bind::<BigInt, _>(crate::clock::now_millis())
    .get_result(conn)?;
    Ok(counted.n)
}

/// What giving (or taking) `badge_id` for every member `holding` keeps would do. Writes
/// nothing but the staging tables.
pub fn plan_for_filter(
    conn: &mut DbConnection,
    holding: &Holding,
    badge_id: &BadgeId,
    change: BulkChange,
) -> Result<FilteredPlan, AssignError> {
    if let BulkChange::Give { until } = change {
        check_end(until)?;
    }
    let badge = manual_badge(conn, badge_id)?;
    let matching = stage_filter(conn, holding)?;
    let holders = staged_holding(conn, badge.key)?;
    Ok(FilteredPlan {
        matching,
        changing: if change.gives() {
            matching - holders
        } else {
            holders
        },
    })
}

/// Gives (or takes) `badge_id` for every member `holding` keeps, in one transaction, kept
/// for `admin_id` to undo for a day. Returns how many got or lost it, and the change to undo.
pub fn apply_to_filter(
    conn: &mut DbConnection,
    actor: &Actor,
    admin_id: &str,
    holding: &Holding,
    badge_id: &BadgeId,
    change: BulkChange,
) -> Result<(i64, Option<String>), AssignError> {
    if let BulkChange::Give { until } = change {
        check_end(until)?;
    }
    crate::db::write(conn, |conn| {
        let badge = manual_badge(conn, badge_id)?;
        stage_filter(conn, holding)?;
        let renewed = match change {
            BulkChange::Give { until } if until.is_some() || badge.valid_for_days.is_some() => {
                staged_holding(conn, badge.key)? as usize
            }
            _ => 0,
        };
        let (changed, kept) = change_staged(conn, actor, &badge, change, Some(admin_id), renewed)?;
        if changed > 0 {
            recorded(conn, actor, &badge, change.gives(), changed, None)?;
        }
        Ok((changed, kept))
    })
}
