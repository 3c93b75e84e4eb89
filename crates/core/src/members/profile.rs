//! How a member arranges their own public profile: a badge can be hidden from it (and from
//! the directory and the badge's public holder list) or pinned to its front. The badge stays
//! theirs: admins, the JSON API and page access see every badge as before.

use crate::clock::{self, Timestamp};
use diesel::prelude::*;

use super::Member;
use crate::audit::{self, Actor, Change};
use crate::badges::{Badge, store as badge_store};
use crate::db::schema::{badges, member_badges, members};
use crate::db::{self, DbConnection};
use crate::error::Error;
use crate::ids::{BadgeId, MemberId};

/// Most badges pinned to the front of one profile.
pub const MAX_PINNED: usize = 3;

/// Who is looking at a member's badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Visitors and other members: hidden badges are left out, pinned ones come first.
    Public,
    /// The member themself, admins and the API: every badge.
    Everyone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    Hide,
    Show,
    Pin,
    Unpin,
}

impl Arrangement {
    pub fn parse(action: &str) -> Option<Arrangement> {
        match action {
            "hide" => Some(Arrangement::Hide),
            "show" => Some(Arrangement::Show),
            "pin" => Some(Arrangement::Pin),
            "unpin" => Some(Arrangement::Unpin),
            _ => None,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Arrangement::Hide => "profile.hide",
            Arrangement::Show => "profile.show",
            Arrangement::Pin => "profile.pin",
            Arrangement::Unpin => "profile.unpin",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArrangeError {
    #[error("That badge is not on your profile.")]
    NotHeld,
    #[error("You can pin up to three badges. Unpin one first.")]
    TooManyPinned,
    #[error(transparent)]
    App(#[from] Error),
}

impl From<diesel::result::Error> for ArrangeError {
    fn from(e: diesel::result::Error) -> Self {
        ArrangeError::App(e.into())
    }
}

/// One of a member's badges as their profile places it.
#[derive(Debug, Clone)]
pub struct Placed {
    pub badge: Badge,
    pub hidden: bool,
    pub pinned: bool,
    /// When the member's assignment ends, if the badge is valid for a time.
    pub expires_at: Option<Timestamp>,
    /// When the member was given it.
    pub assigned_at: Timestamp,
}

/// The profile order: pinned badges first, in the order they were pinned, then the rest in
/// the site's display order (`rank`).
pub(crate) fn profile_order(pinned_at: Option<i64>, rank: usize) -> (bool, i64, usize) {
    (pinned_at.is_none(), pinned_at.unwrap_or(0), rank)
}

/// A member's badges in profile order; for the public, without the hidden ones.
pub fn badges_of(
    conn: &mut DbConnection,
    member_id: &MemberId,
    audience: Audience,
) -> Result<Vec<Placed>, Error> {
    let mut query = members::table
        .inner_join(member_badges::table.on(member_badges::member_key.eq(members::key)))
        .inner_join(badges::table.on(badges::key.eq(member_badges::badge_key)))
        .filter(members::id.eq(member_id))
        .filter(crate::members::validity::in_force(Timestamp::now()))
        .order(badge_store::display_order())
        .select((
            Badge::as_select(),
            member_badges::hidden,
            member_badges::pinned_at,
            member_badges::expires_at,
            member_badges::assigned_at,
        ))
        .into_boxed();
    if audience == Audience::Public {
        query = query.filter(member_badges::hidden.eq(false));
    }
    // (badge, hidden, pinned at, expires at, assigned at)
    type Row = (Badge, bool, Option<i64>, Option<i64>, i64);
    let rows: Vec<Row> = query.load(conn)?;
    let mut ranked: Vec<_> = rows.into_iter().enumerate().collect();
    ranked.sort_by_key(|(rank, (_, _, pinned_at, _, _))| profile_order(*pinned_at, *rank));
    Ok(ranked
        .into_iter()
        .map(
            |(_, (badge, hidden, pinned_at, expires_at, assigned_at))| Placed {
                badge,
                hidden,
                pinned: pinned_at.is_some(),
                expires_at: expires_at.map(Timestamp::from_millis),
                assigned_at: Timestamp::from_millis(assigned_at),
            },
        )
        .collect())
}

/// How many of a member's badges are new to them: given since they last opened their own
/// profile (every badge, before the first time), still in force, and not added by themselves.
/// One indexed read of the member's own assignments, for the header of every page they see.
pub fn new_badge_count(conn: &mut DbConnection, member_id: &MemberId) -> Result<i64, Error> {
    Ok(members::table
        .inner_join(member_badges::table.on(member_badges::member_key.eq(members::key)))
        .filter(members::id.eq(member_id))
        .filter(crate::members::validity::in_force(Timestamp::now()))
        .filter(
            members::badges_seen_at
                .is_null()
                .or(member_badges::assigned_at
                    .nullable()
                    .gt(members::badges_seen_at)),
        )
        // The label a member's own change carries (`audit::Actor::member`).
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "member_badges.assigned_by <> ('member ' || members.email)",
        ))
        .count()
        .get_result(conn)?)
}

/// The member looks at their badges now (`/me`): returns when they last did before (badges
/// given since then are the new ones to mark on this visit; `None`: they never did, and all
/// are), and notes `now` as the time they saw them.
pub fn see_badges(
    conn: &mut DbConnection,
    member_id: &MemberId,
    now: Timestamp,
) -> Result<Option<Timestamp>, Error> {
    db::write(conn, |conn| {
        let before: Option<Timestamp> = members::table
            .find(member_id)
            .select(members::badges_seen_at)
            .first::<Option<i64>>(conn)?
            .map(Timestamp::from_millis);
        diesel::update(members::table.find(member_id))
            .set(members::badges_seen_at.eq(Some(now)))
            .execute(conn)?;
        Ok(before)
    })
}

/// Hides, shows, pins or unpins one of the member's badges, audited with the member as the
/// one who did it. Hiding a pinned badge unpins it; pinning a hidden one shows it. Asking
/// for what is already so changes nothing and logs nothing.
pub fn arrange(
    conn: &mut DbConnection,
    member: &Member,
    badge_id: &BadgeId,
    how: Arrangement,
) -> Result<(), ArrangeError> {
    db::write(conn, |conn| {
        let found: Option<(i64, i64, String, bool, Option<i64>)> = members::table
            .inner_join(member_badges::table.on(member_badges::member_key.eq(members::key)))
            .inner_join(badges::table.on(badges::key.eq(member_badges::badge_key)))
            .filter(members::id.eq(&member.id))
            .filter(badges::id.eq(badge_id.as_str()))
            .select((
                member_badges::member_key,
                member_badges::badge_key,
                badges::title,
                member_badges::hidden,
                member_badges::pinned_at,
            ))
            .first(conn)
            .optional()?;
        let Some((member_key, badge_key, title, hidden, pinned_at)) = found else {
            return Err(ArrangeError::NotHeld);
        };
        let (now_hidden, now_pinned_at) = match how {
            Arrangement::Hide => (true, None),
            Arrangement::Show => (false, pinned_at),
            Arrangement::Unpin => (hidden, None),
            Arrangement::Pin if pinned_at.is_some() => (false, pinned_at),
            Arrangement::Pin => {
                let pins: i64 = member_badges::table
                    .filter(member_badges::member_key.eq(member_key))
                    .filter(member_badges::pinned_at.is_not_null())
                    .count()
                    .get_result(conn)?;
                if pins as usize >= MAX_PINNED {
                    return Err(ArrangeError::TooManyPinned);
                }
                (false, Some(clock::now_millis()))
            }
        };
        if (now_hidden, now_pinned_at) == (hidden, pinned_at) {
            return Ok(());
        }
        diesel::update(
            member_badges::table
                .filter(member_badges::badge_key.eq(badge_key))
                .filter(member_badges::member_key.eq(member_key)),
        )
        .set((
            member_badges::hidden.eq(now_hidden),
            member_badges::pinned_at.eq(now_pinned_at),
        ))
        .execute(conn)?;
        audit::record(
            conn,
            &Actor::member(&member.email),
            Change {
                action: how.action(),
                badge_id: Some(badge_id),
                member_id: Some(&member.id),
                target: &title,
                details: format!("on the profile of {}", member.name),
            },
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_badges_come_first_in_the_order_pinned_then_display_order() {
        let mut badges = [(None, 0), (Some(900), 1), (None, 2), (Some(100), 3)];
        badges.sort_by_key(|(pinned_at, rank)| profile_order(*pinned_at, *rank));
        let ranks: Vec<usize> = badges.iter().map(|(_, rank)| *rank).collect();
        assert_eq!(ranks, [3, 1, 0, 2]);
    }

    #[test]
    fn arrangements_are_read_from_the_form_and_nothing_else() {
        assert_eq!(Arrangement::parse("pin"), Some(Arrangement::Pin));
        assert_eq!(Arrangement::parse("Pin"), None);
        assert_eq!(Arrangement::parse(""), None);
    }
}
