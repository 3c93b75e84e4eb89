//! Invitations: a mail with a set-password link (valid seven days, made when the mail is
//! composed) to members an admin added or imported, who have no password yet. One member, a
//! list of them, or every member without a password, set-based in one transaction; a member
//! is invited at most once a day, whoever asks.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::changes::staging::{self, MEMBERS};
use crate::audit::{self, Actor, Change};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::error::Error;
use crate::ids::MemberId;
use crate::mail::outbox::{self, Kind};

/// How long an invitation's link works.
pub const VALID: time::Duration = time::Duration::days(crate::auth::member_links::VALID_DAYS);
/// A member is invited again only after this long.
pub const AGAIN_AFTER: time::Duration = time::Duration::days(1);

/// Whom to invite.
#[derive(Debug, Clone, Copy)]
pub enum Whom<'a> {
    /// These members (those of them without a password).
    Members(&'a [MemberId]),
    /// Every member without a password.
    EveryoneWithoutPassword,
}

/// What an invitation does, or would do: how many get one, and how many are left out because
/// they have a password already or were invited within the day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Plan {
    pub invited: i64,
    pub recently_invited: i64,
    pub have_password: i64,
}

/// The members of `whom`, as a `FROM` clause naming them `m`.
fn source(conn: &mut DbConnection, whom: Whom<'_>) -> Result<String, Error> {
    Ok(match whom {
        Whom::Members(ids) => {
            super::changes::stage_ids(conn, ids)?;
            staging::members_from_lines(conn)?;
            format!("{MEMBERS} s CROSS JOIN members m ON m.key = s.key")
        }
        Whom::EveryoneWithoutPassword => "members m".to_string(),
    })
}

/// Counts what inviting `whom` would do; changes nothing.
pub fn plan(conn: &mut DbConnection, whom: Whom<'_>) -> Result<Plan, Error> {
    crate::db::write(conn, |conn| {
        let from = source(conn, whom)?;
        counts(conn, &from, whom, Timestamp::now())
    })
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    invited: i64,
    #[diesel(sql_type = BigInt)]
    recently_invited: i64,
    #[diesel(sql_type = BigInt)]
    have_password: i64,
}

/// What inviting the members of `from` (made by [`source`]) would do now.
fn counts(
    conn: &mut DbConnection,
    from: &str,
    whom: Whom<'_>,
    now: Timestamp,
) -> Result<Plan, Error> {
    let without_password = match whom {
        // Only members without a password are counted: an index answers it.
        Whom::EveryoneWithoutPassword => " WHERE m.password_hash IS NULL",
        Whom::Members(_) => "",
    };
    let row: Counts = diesel::sql_query(conn.sql(&format!(
        "SELECT \
           COALESCE(SUM(CASE WHEN m.password_hash IS NULL AND (m.invited_at IS NULL OR m.invited_at <= ?) THEN 1 ELSE 0 END), 0) AS invited, \
           COALESCE(SUM(CASE WHEN m.password_hash IS NULL AND m.invited_at > ? THEN 1 ELSE 0 END), 0) AS recently_invited, \
           COALESCE(SUM(CASE WHEN m.password_hash IS NOT NULL THEN 1 ELSE 0 END), 0) AS have_password \
         FROM {from}{without_password}"
    )))
    .bind::<BigInt, _>((now - AGAIN_AFTER).millis())
    .bind::<BigInt, _>((now - AGAIN_AFTER).millis())
    .get_result(conn)?;
    Ok(Plan {
        invited: row.invited,
        recently_invited: row.recently_invited,
        have_password: row.have_password,
    })
}

/// Invites `whom`: queues a mail for each member without a password not invited within the
/// day, and notes when. One transaction, set-based. Returns what it did.
pub fn invite(conn: &mut DbConnection, actor: &Actor, whom: Whom<'_>) -> Result<Plan, Error> {
    crate::db::write(conn, |conn| queue(conn, actor, whom))
}

/// [`invite`], inside the caller's transaction (an import inviting the members it created).
pub fn queue(conn: &mut DbConnection, actor: &Actor, whom: Whom<'_>) -> Result<Plan, Error> {
    let now = Timestamp::now();
    let from = source(conn, whom)?;
    let plan = counts(conn, &from, whom, now)?;
    if plan.invited == 0 {
        return Ok(plan);
    }
    let due = "m.password_hash IS NULL AND (m.invited_at IS NULL OR m.invited_at <= ?)";
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO mail_outbox (kind, member_id, recipient, subject, state, created_at, \
         due_at, message_id) \
         SELECT ?, m.id, m.email, ?, ?, ?, ?, ? || '.' || m.id FROM {from} WHERE {due} \
         ORDER BY m.key"
    )))
    .bind::<Text, _>(Kind::Invitation.as_str())
    .bind::<Text, _>(Kind::Invitation.subject())
    .bind::<Text, _>(outbox::WAITING)
    .bind::<BigInt, _>(now.millis())
    .bind::<BigInt, _>(now.millis())
    .bind::<Text, _>(outbox::set_based_id_prefix())
    .bind::<BigInt, _>((now - AGAIN_AFTER).millis())
    .execute(conn)?;
    let keys = match whom {
        Whom::Members(_) => format!("key IN (SELECT key FROM {MEMBERS}) AND "),
        Whom::EveryoneWithoutPassword => String::new(),
    };
    diesel::sql_query(conn.sql(&format!(
        "UPDATE members SET invited_at = ? WHERE {keys}password_hash IS NULL \
         AND (invited_at IS NULL OR invited_at <= ?)"
    )))
    .bind::<BigInt, _>(now.millis())
    .bind::<BigInt, _>((now - AGAIN_AFTER).millis())
    .execute(conn)?;
    let single = match whom {
        Whom::Members([one]) => Some(one),
        _ => None,
    };
    audit::record(
        conn,
        actor,
        Change {
            action: "member.invite",
            member_id: single,
            target: "invitations",
            details: format!(
                "invited {} by mail",
                crate::text::count_of(plan.invited.max(0) as usize, "member", "members")
            ),
            ..Default::default()
        },
    )?;
    Ok(plan)
}

/// Where one member stands, as their dashboard page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub has_password: bool,
    pub invited_at: Option<Timestamp>,
    pub last_sign_in_at: Option<Timestamp>,
}

impl Standing {
    /// Whether an invitation would go now.
    pub fn may_invite(&self) -> bool {
        !self.has_password
            && self
                .invited_at
                .is_none_or(|at| at <= Timestamp::now() - AGAIN_AFTER)
    }
}

pub fn state_of(conn: &mut DbConnection, id: &MemberId) -> Result<Standing, Error> {
    use crate::db::schema::members;
    let (password, invited_at, last_sign_in_at): (
        Option<String>,
        Option<Timestamp>,
        Option<Timestamp>,
    ) = members::table
        .find(id)
        .select((
            members::password_hash,
            members::invited_at,
            members::last_sign_in_at,
        ))
        .first(conn)?;
    Ok(Standing {
        has_password: password.is_some(),
        invited_at,
        last_sign_in_at,
    })
}
