//! Undoing a change to many assignments, for a day after it: a bulk give or take, "remove all
//! holders", a removal by hand. A change made from the dashboard keeps, per member it changed,
//! what undoing needs (`bulk_change_rows`): members it gave the badge lose it again; members it
//! took the badge from get back the assignment they had (its time, giver, end, hidden and
//! pinned state); members whose end it renewed get their earlier end back. The undo goes the
//! one way assignments are written ([`super::changes`]): counts, events, audit, rules.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::changes::{record_change_worded, record_new_end, restore_staged, staging, take_staged};
use super::validity;
use crate::audit::Actor;
use crate::badges::{Badge, store as badge_store};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::keys::BadgeKey;
use crate::db::schema::{bulk_change_rows, bulk_changes};
use crate::error::Error;

/// How long a change can be undone.
pub const KEPT_HOURS: i64 = 24;

/// A kept change, as its report and its undo button see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bulk_changes)]
pub struct Undoable {
    pub id: String,
    pub badge_id: String,
    pub badge_title: String,
    /// Whether the change gave the badge (else it took it).
    pub give: bool,
    /// How many members it changed.
    pub members: i64,
    pub created_at: i64,
    pub undone_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    /// Not one of this admin's changes of the last day.
    #[error("that change is not kept (changes can be undone for a day)")]
    NotKept,
    #[error("that change was undone already")]
    AlreadyUndone,
    /// The badge was deleted after the change; its title as it was then.
    #[error("the badge “{0}” was deleted since, so the change cannot be undone")]
    BadgeGone(String),
    #[error(transparent)]
    App(#[from] Error),
}

impl From<diesel::result::Error> for UndoError {
    fn from(e: diesel::result::Error) -> Self {
        UndoError::App(e.into())
    }
}

/// What an undo did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Undone {
    pub badge_id: String,
    pub badge_title: String,
    /// Members who got the badge back as they had it.
    pub given_back: i64,
    /// Members the change had given it to, who lost it again.
    pub taken: i64,
    /// Members whose end the change had renewed, back to their earlier end.
    pub ends_restored: i64,
}

fn cutoff() -> i64 {
    (Timestamp::now() - time::Duration::hours(KEPT_HOURS)).millis()
}

/// Forgets the changes kept longer than a day. On PostgreSQL, where changes of different
/// badges run side by side, one that another change is sweeping is left to it (`SKIP LOCKED`):
/// waiting for it would make this change wait for that one's whole run, and in a circle when
/// each already holds a member the other counts.
fn sweep(conn: &mut DbConnection) -> Result<(), Error> {
    let old: Vec<String> = match conn.backend() {
        crate::db::BackendKind::Sqlite => bulk_changes::table
            .filter(bulk_changes::created_at.lt(cutoff()))
            .select(bulk_changes::id)
            .load(conn)?,
        crate::db::BackendKind::Postgres => {
            #[derive(QueryableByName)]
            struct Old {
                #[diesel(sql_type = Text)]
                id: String,
            }
            diesel::sql_query(
                "SELECT id FROM bulk_changes WHERE created_at < $1 FOR UPDATE SKIP LOCKED",
            )
            .bind::<BigInt, _>(cutoff())
            .load::<Old>(conn)?
            .into_iter()
            .map(|o| o.id)
            .collect()
        }
    };
    if old.is_empty() {
        return Ok(());
    }
    diesel::delete(bulk_change_rows::table.filter(bulk_change_rows::change_id.eq_any(&old)))
        .execute(conn)?;
    diesel::delete(bulk_changes::table.filter(bulk_changes::id.eq_any(&old))).execute(conn)?;
    Ok(())
}

/// Starts keeping a change of `badge` made by `admin_id`; older changes are swept on the way.
/// Returns its id, for the undo form.
pub(crate) fn begin(
    conn: &mut DbConnection,
    admin_id: &str,
    badge: &Badge,
    give: bool,
) -> Result<String, Error> {
    sweep(conn)?;
    let id = crate::tokens::random_token();
    diesel::insert_into(bulk_changes::table)
        .values((
            bulk_changes::id.eq(&id),
            bulk_changes::admin_id.eq(admin_id),
            bulk_changes::badge_id.eq(badge.id.as_str()),
            bulk_changes::badge_title.eq(&badge.title),
            bulk_changes::give.eq(give),
            bulk_changes::created_at.eq(crate::clock::now_millis()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Keeps the assignments of the staged members (`staging::MEMBERS`) who hold the badge now,
/// as they are: before a change takes them, or renews their end.
pub(crate) fn keep_held(
    conn: &mut DbConnection,
    change: &str,
    badge: BadgeKey,
) -> Result<(), Error> {
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO bulk_change_rows (change_id, member_key, held_before, assigned_at, \
         assigned_by, hidden, pinned_at, expires_at, end_set_at) \
         SELECT ?, mb.member_key, TRUE, mb.assigned_at, mb.assigned_by, mb.hidden, mb.pinned_at, \
         mb.expires_at, mb.end_set_at FROM {} s CROSS JOIN member_badges mb \
         ON mb.badge_key = ? AND mb.member_key = s.key WHERE {}",
        staging::MEMBERS,
        validity::in_force_sql("mb")
    )))
    .bind::<Text, _>(change)
    .bind::<BigInt, _>(badge)
    .bind::<BigInt, _>(crate::clock::now_millis())
    .execute(conn)?;
    Ok(())
}

/// Keeps the members a give just gave the badge to (`staging::CHANGED`).
pub(crate) fn keep_given(conn: &mut DbConnection, change: &str) -> Result<(), Error> {
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO bulk_change_rows (change_id, member_key, held_before) \
         SELECT ?, key, FALSE FROM {} WHERE TRUE ON CONFLICT DO NOTHING",
        staging::CHANGED
    )))
    .bind::<Text, _>(change)
    .execute(conn)?;
    Ok(())
}

/// Records how many members the change changed; a change that changed nobody is not kept.
pub(crate) fn finish(
    conn: &mut DbConnection,
    change: &str,
    members: i64,
) -> Result<Option<String>, Error> {
    if members == 0 {
        diesel::delete(bulk_change_rows::table.filter(bulk_change_rows::change_id.eq(change)))
            .execute(conn)?;
        diesel::delete(bulk_changes::table.find(change)).execute(conn)?;
        return Ok(None);
    }
    diesel::update(bulk_changes::table.find(change))
        .set(bulk_changes::members.eq(members))
        .execute(conn)?;
    Ok(Some(change.to_string()))
}

/// One of this admin's changes of the last day, undone or not.
pub fn find(
    conn: &mut DbConnection,
    admin_id: &str,
    change: &str,
) -> Result<Option<Undoable>, Error> {
    if !crate::tokens::is_token(change) {
        return Ok(None);
    }
    Ok(bulk_changes::table
        .filter(bulk_changes::id.eq(change))
        .filter(bulk_changes::admin_id.eq(admin_id))
        .filter(bulk_changes::created_at.ge(cutoff()))
        .select(Undoable::as_select())
        .first(conn)
        .optional()?)
}

/// Stages the members of a kept change that held the badge before it (`held`) or not, and
/// tells PostgreSQL how many (the statements that follow are planned from the staged rows).
fn stage_rows(conn: &mut DbConnection, change: &str, held: bool) -> Result<(), Error> {
    staging::reset(conn)?;
    let staged = diesel::sql_query(conn.sql(&format!(
        "INSERT INTO {} (key) SELECT member_key FROM bulk_change_rows \
         WHERE change_id = ? AND held_before = ?",
        staging::MEMBERS
    )))
    .bind::<Text, _>(change)
    .bind::<Bool, _>(held)
    .execute(conn)? as i64;
    staging::analyze(conn, staging::MEMBERS, staged)?;
    Ok(())
}

/// Reverses several of this admin's changes (a member page's removal of several badges keeps
/// one a badge) in one transaction: all of them, or, if any is refused, none.
pub fn undo_all(
    conn: &mut DbConnection,
    actor: &Actor,
    admin_id: &str,
    changes: &[String],
) -> Result<Vec<Undone>, UndoError> {
    crate::db::write(conn, |conn| {
        changes
            .iter()
            .map(|change| undo(conn, actor, admin_id, change))
            .collect()
    })
}

/// Reverses one of this admin's changes of the last day, in one transaction: see the module.
/// Refused if it was undone already, if the badge was deleted since, or if a rule gives the
/// badge now.
pub fn undo(
    conn: &mut DbConnection,
    actor: &Actor,
    admin_id: &str,
    change: &str,
) -> Result<Undone, UndoError> {
    crate::db::write(conn, |conn| {
        let kept = find(conn, admin_id, change)?.ok_or(UndoError::NotKept)?;
        if kept.undone_at.is_some() {
            return Err(UndoError::AlreadyUndone);
        }
        let badge: Badge = match badge_store::find(conn, &kept.badge_id.clone().into()) {
            Ok(badge) => badge,
            Err(crate::badges::BadgeError::NotFound) => {
                return Err(UndoError::BadgeGone(kept.badge_title));
            }
            Err(other) => return Err(UndoError::App(other.into())),
        };
        crate::rules::store::refuse_if_automatic(conn, &badge)?;
        let mut done = Undone {
            badge_id: badge.id.to_string(),
            badge_title: badge.title.clone(),
            ..Undone::default()
        };
        // Those the change gave it to lose it.
        stage_rows(conn, change, false)?;
        done.taken = take_staged(conn, badge.key, Some(actor))?;
        if done.taken > 0 {
            record_change_worded(
                conn,
                actor,
                &badge,
                false,
                "undid a change: took it from",
                done.taken,
                None,
            )?;
        }
        stage_rows(conn, change, true)?;
        if kept.give {
            // Those whose end it renewed get their earlier end back.
            done.ends_restored = diesel::sql_query(conn.sql(&format!(
                "UPDATE member_badges SET \
                 expires_at = (SELECT r.expires_at FROM bulk_change_rows r \
                               WHERE r.change_id = ? AND r.member_key = member_badges.member_key), \
                 end_set_at = (SELECT r.end_set_at FROM bulk_change_rows r \
                               WHERE r.change_id = ? AND r.member_key = member_badges.member_key) \
                 WHERE badge_key = ? AND member_key IN (SELECT key FROM {})",
                staging::MEMBERS
            )))
            .bind::<Text, _>(change)
            .bind::<Text, _>(change)
            .bind::<BigInt, _>(badge.key)
            .execute(conn)? as i64;
            if done.ends_restored > 0 {
                record_new_end(
                    conn,
                    actor,
                    &badge,
                    None,
                    format!(
                        "undid a change: gave back the earlier end of {}",
                        crate::text::count_of(done.ends_restored as usize, "member", "members")
                    ),
                )?;
            }
        } else {
            // Those it took it from get it back as they had it.
            done.given_back = restore_staged(conn, badge.key, actor, change)?;
            if done.given_back > 0 {
                record_change_worded(
                    conn,
                    actor,
                    &badge,
                    true,
                    "undid a change: gave it back to",
                    done.given_back,
                    None,
                )?;
            }
        }
        if done.taken > 0 || done.given_back > 0 {
            crate::rules::follow_holding_change(conn, badge.key)?;
        }
        diesel::update(bulk_changes::table.find(change))
            .set(bulk_changes::undone_at.eq(Some(crate::clock::now_millis())))
            .execute(conn)?;
        Ok(done)
    })
}
