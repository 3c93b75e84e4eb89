//! The outbox: one row per mail, written where its cause is written, so a mail is never lost
//! to a crash and never sent for a change that was rolled back.
//!
//! A row says what the mail is about (its kind, its recipient, a badge), never a secret: a
//! set-password link's token is made when the mail is composed. Senders claim due rows with
//! a lease (one conditional `UPDATE`, so two servers never hold one row), send them and record
//! the outcome; a sender that dies leaves its lease to run out, and the row goes out again
//! with the same `Message-ID`. Delivery is therefore at least once.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::audit::{self, Actor, Change};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::mail_outbox;
use crate::error::Error;
use crate::ids::MemberId;

/// What a mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A link to choose a new password, asked for on a sign-in page.
    PasswordReset,
    /// A link to choose a first password, sent by an admin to a member they added.
    Invitation,
    /// "You have a new badge": one row per badge given, gathered into one mail per member.
    BadgeGiven,
    /// A link that confirms a member's address (after a sign-up, or a change on `/me`).
    EmailConfirmation,
    /// "Your badge ends in a week": one row per assignment, gathered like `BadgeGiven`.
    BadgeEnding,
    /// "Your badge has ended": one row per assignment the expiry job took, gathered too.
    BadgeExpired,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PasswordReset => "password_reset",
            Kind::Invitation => "invitation",
            Kind::BadgeGiven => "badge_given",
            Kind::EmailConfirmation => "email_confirmation",
            Kind::BadgeEnding => "badge_ending",
            Kind::BadgeExpired => "badge_expired",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "password_reset" => Some(Kind::PasswordReset),
            "invitation" => Some(Kind::Invitation),
            "badge_given" => Some(Kind::BadgeGiven),
            "email_confirmation" => Some(Kind::EmailConfirmation),
            "badge_ending" => Some(Kind::BadgeEnding),
            "badge_expired" => Some(Kind::BadgeExpired),
            _ => None,
        }
    }

    /// The subject the log shows while the mail waits (the sender writes the one it sends).
    pub(crate) fn subject(self) -> &'static str {
        match self {
            Kind::PasswordReset => "Choose a new password",
            Kind::Invitation => "You are invited: choose a password",
            Kind::BadgeGiven => "You have a new badge",
            Kind::EmailConfirmation => "Confirm your e-mail address",
            Kind::BadgeEnding => "Your badge ends soon",
            Kind::BadgeExpired => "Your badge has ended",
        }
    }

    /// Badge mail: one row per badge, and a member's rows of one kind waiting together make
    /// one mail. Members choose whether they get it; the other kinds always go.
    pub fn is_badge_mail(self) -> bool {
        matches!(
            self,
            Kind::BadgeGiven | Kind::BadgeEnding | Kind::BadgeExpired
        )
    }
}

/// Who a mail is to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Member(MemberId),
    /// An admin, by id.
    Admin(String),
}

/// The states of a row.
pub const WAITING: &str = "waiting";
pub const SENT: &str = "sent";
/// Given up: a permanent refusal, or every retry failed.
pub const FAILED: &str = "failed";

/// Retry delays in retry units (one minute by default): 1 min, 5 min, 30 min, 2 h, 6 h,
/// 12 h, about 21 hours in all; then the mail is given up.
const RETRY_STEPS: [i64; 6] = [1, 5, 30, 120, 360, 720];

/// Queues a mail, inside the caller's transaction. `to` is the address as it is now.
pub fn queue(
    conn: &mut DbConnection,
    kind: Kind,
    recipient: &Recipient,
    to: &str,
) -> Result<i64, Error> {
    let now = Timestamp::now();
    let (member_id, admin_id) = match recipient {
        Recipient::Member(id) => (Some(id.clone()), None),
        Recipient::Admin(id) => (None, Some(id.clone())),
    };
    Ok(diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::kind.eq(kind.as_str()),
            mail_outbox::member_id.eq(member_id),
            mail_outbox::admin_id.eq(admin_id),
            mail_outbox::recipient.eq(to),
            mail_outbox::subject.eq(kind.subject()),
            mail_outbox::state.eq(WAITING),
            mail_outbox::created_at.eq(now),
            mail_outbox::due_at.eq(now),
            mail_outbox::message_id.eq(new_message_id()),
        ))
        .returning(mail_outbox::id)
        .get_result(conn)?)
}

/// Deletes every mail to a member, as the member is deleted.
pub(crate) fn forget_member(conn: &mut DbConnection, member: &MemberId) -> Result<(), Error> {
    diesel::delete(mail_outbox::table.filter(mail_outbox::member_id.eq(member))).execute(conn)?;
    Ok(())
}

/// The left part of a `Message-ID` (the sender adds `@` and its domain): unique per mail,
/// the same for every attempt to send it.
fn new_message_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A mail a sender holds the lease of.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub member_id: Option<MemberId>,
    pub admin_id: Option<String>,
    pub recipient: String,
    pub badge_id: Option<String>,
    pub attempts: i32,
    pub message_id: String,
    pub created_at: Timestamp,
}

impl Claimed {
    pub fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.kind)
    }
}

/// Of the mails `ids`, those this transaction could lock (PostgreSQL, where claims of several
/// servers run side by side; SQLite has one writer): a mail another server is claiming is
/// skipped, never waited for, so two claims never wait for each other in a circle.
fn lockable(conn: &mut DbConnection, ids: Vec<i64>) -> Result<Vec<i64>, Error> {
    if conn.backend() == crate::db::BackendKind::Sqlite || ids.is_empty() {
        return Ok(ids);
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    // Keys from the table itself: numbers, written into the statement.
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT id FROM mail_outbox WHERE id IN ({}) ORDER BY id FOR UPDATE SKIP LOCKED",
        list.join(", ")
    ))
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// How long a badge mail waits for more badges of the same member, so that several given
/// within a short time make one mail.
pub const GATHER: Duration = Duration::from_secs(10);

/// Takes the lease of up to `limit` mails due by `due_by` (now, or a little later for a
/// sender that gathers badge mails for less than [`GATHER`]) for `holder`, oldest first, with
/// every other badge mail of the same kind waiting for the same members (they go out in one
/// mail). One
/// conditional `UPDATE` per step: a row another server claimed meanwhile no longer matches.
pub fn claim(
    conn: &mut DbConnection,
    holder: &str,
    lease: Duration,
    due_by: Timestamp,
    limit: i64,
) -> Result<Vec<Claimed>, Error> {
    let now = Timestamp::now();
    let due: Vec<i64> = mail_outbox::table
        .filter(mail_outbox::state.eq(WAITING))
        .filter(mail_outbox::due_at.le(due_by))
        .filter(mail_outbox::lease_until.le(now))
        .order(mail_outbox::due_at)
        .select(mail_outbox::id)
        .limit(limit)
        .load(conn)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let until = now + lease;
    let leased = || {
        (
            mail_outbox::lease_until.eq(until),
            mail_outbox::holder.eq(holder),
        )
    };
    // Leases are conditional updates of the mails' own rows: no writer needs to wait.
    crate::db::write_locking(
        conn,
        |_| Ok(crate::db::Locks::Rows),
        |conn| {
            let due = lockable(conn, due)?;
            let taken = diesel::update(
                mail_outbox::table
                    .filter(mail_outbox::id.eq_any(&due))
                    .filter(mail_outbox::state.eq(WAITING))
                    .filter(mail_outbox::lease_until.le(now)),
            )
            .set(leased())
            .returning(mail_outbox::id)
            .get_results(conn)?;
            let mut claimed = load(conn, taken)?;
            for kind in [Kind::BadgeGiven, Kind::BadgeEnding, Kind::BadgeExpired] {
                let gathered: Vec<MemberId> = claimed
                    .iter()
                    .filter(|mail| mail.kind() == Some(kind))
                    .filter_map(|mail| mail.member_id.clone())
                    .collect();
                if gathered.is_empty() {
                    continue;
                }
                let same: Vec<i64> = mail_outbox::table
                    .filter(mail_outbox::member_id.eq_any(gathered))
                    .filter(mail_outbox::kind.eq(kind.as_str()))
                    .filter(mail_outbox::state.eq(WAITING))
                    .filter(mail_outbox::lease_until.le(now))
                    .select(mail_outbox::id)
                    .load(conn)?;
                let same = lockable(conn, same)?;
                let more = diesel::update(
                    mail_outbox::table
                        .filter(mail_outbox::id.eq_any(same))
                        .filter(mail_outbox::state.eq(WAITING))
                        .filter(mail_outbox::lease_until.le(now)),
                )
                .set(leased())
                .returning(mail_outbox::id)
                .get_results(conn)?;
                claimed.extend(load(conn, more)?);
            }
            claimed.sort_by_key(|mail| mail.id);
            Ok(claimed)
        },
    )
}

/// The claimed rows of `ids` (none for none, without asking).
fn load(conn: &mut DbConnection, ids: Vec<i64>) -> Result<Vec<Claimed>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mail_outbox::table
        .filter(mail_outbox::id.eq_any(&ids))
        .select(Claimed::as_select())
        .load(conn)?)
}

/// Which rows of one set-based statement need telling apart in their `Message-ID`: each
/// member's, or each member's badges (several of a member's badges in one statement).
#[derive(Clone, Copy)]
enum OnePer {
    Member,
    MemberAndBadge,
}

/// A set-based `INSERT … SELECT` of badge mail of `kind`: `rows` is the rest of the `SELECT`
/// after the shared values (`FROM …` naming `m` the member and `b` the badge, with its own
/// `?`s, bound by the caller after these). The `Message-ID` is kept short: a bulk change writes
/// 50,000 of them.
fn badge_mail_insert(
    conn: &DbConnection,
    rows: &str,
    kind: Kind,
    one_per: OnePer,
) -> crate::rules::sql::Query {
    let now = Timestamp::now();
    let id = match one_per {
        OnePer::Member => "? || '.' || m.id",
        OnePer::MemberAndBadge => "? || '.' || m.id || '.' || b.id",
    };
    diesel::sql_query(conn.sql(&format!(
        "INSERT INTO mail_outbox (kind, member_id, recipient, badge_id, subject, state, \
         created_at, due_at, message_id) \
         SELECT ?, m.id, m.email, b.id, ?, ?, ?, ?, {id} {rows}"
    )))
    .into_boxed()
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(kind.subject())
    .bind::<Text, _>(WAITING)
    .bind::<BigInt, _>(now.millis())
    .bind::<BigInt, _>((now + GATHER).millis())
    .bind::<Text, _>(set_based_id_prefix())
}

/// Queues a badge mail of `kind` ("You have a new badge", "Your badge has ended") about
/// `badge` for the members a change just staged as changed (`members::changes`) when the badge
/// tells its holders and they take badge mail: one `INSERT … SELECT`, in the change's
/// transaction. Returns how many were queued.
pub fn queue_badge_mail(
    conn: &mut DbConnection,
    badge: crate::db::keys::BadgeKey,
    kind: Kind,
) -> Result<usize, Error> {
    let changed = crate::members::changes::staging::CHANGED;
    let rows = format!(
        "FROM {changed} c CROSS JOIN members m ON m.key = c.key CROSS JOIN badges b ON b.key = ? \
         WHERE b.tell_members AND m.badge_mail ORDER BY c.key"
    );
    Ok(badge_mail_insert(conn, &rows, kind, OnePer::Member)
        .bind::<BigInt, _>(badge.0)
        .execute(conn)?)
}

/// Queues "Your badge ends soon" for every assignment that ends after `from` and by `to` of a
/// badge that tells its holders, to members who take badge mail, unless its end was set less
/// than `notice` before it (its "new badge" mail said until when): one `INSERT … SELECT` over
/// the index of ends. Returns how many were queued.
pub fn queue_badges_ending(
    conn: &mut DbConnection,
    from: Timestamp,
    to: Timestamp,
    notice: time::Duration,
) -> Result<usize, Error> {
    let rows = "FROM member_badges mb CROSS JOIN badges b ON b.key = mb.badge_key \
         CROSS JOIN members m ON m.key = mb.member_key \
         WHERE mb.expires_at IS NOT NULL AND mb.expires_at > ? AND mb.expires_at <= ? \
         AND (mb.end_set_at IS NULL OR mb.end_set_at < mb.expires_at - ?) \
         AND b.tell_members AND m.badge_mail ORDER BY mb.expires_at";
    Ok(
        badge_mail_insert(conn, rows, Kind::BadgeEnding, OnePer::MemberAndBadge)
            .bind::<BigInt, _>(from.millis())
            .bind::<BigInt, _>(to.millis())
            .bind::<BigInt, _>(notice.whole_milliseconds() as i64)
            .execute(conn)?,
    )
}

/// The `Message-ID` left part of a mail queued set-based: a random part made once for the
/// statement (bound before the ids, as `? || '.' || m.id`) and the public ids that make the
/// row unique within it (never internal keys, which would tell how many members there are).
/// Cheaper than a random number per row, and as unique.
pub(crate) fn set_based_id_prefix() -> String {
    // 64 random bits: with the ids after it, a clash would need the same member too.
    new_message_id()[..16].to_string()
}

/// What became of one attempt to send a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The SMTP server took it; `subject` is what it was sent with.
    Sent { subject: String },
    /// Not sent; `permanent` when trying again cannot help (the server refused the address).
    Failed { error: String, permanent: bool },
    /// The SMTP server could not be reached or refused the sender itself (a wrong password):
    /// nothing is wrong with this mail, which stays due; the sender pauses instead.
    Unreachable { error: String },
    /// The sender stopped before trying it (the server was unreachable): only the lease ends.
    NotTried,
    /// There is nothing to send any more (its member or admin is gone): dropped.
    Dropped,
}

/// Records what became of mails this sender claimed, in one transaction. A mail whose lease
/// this sender lost (it ran out and another server took it) is left to that server.
pub fn record(
    conn: &mut DbConnection,
    holder: &str,
    outcomes: &[(Claimed, Outcome)],
    retry_unit: Duration,
) -> Result<(), Error> {
    let now = Timestamp::now();
    crate::db::write_locking(
        conn,
        |_| Ok(crate::db::Locks::Rows),
        |conn| {
            for (mail, outcome) in outcomes {
                let row = mail_outbox::table
                    .filter(mail_outbox::id.eq(mail.id))
                    .filter(mail_outbox::holder.eq(holder))
                    .filter(mail_outbox::state.eq(WAITING));
                let attempts = mail.attempts + 1;
                match outcome {
                    Outcome::Sent { subject } => {
                        diesel::update(row)
                            .set((
                                mail_outbox::state.eq(SENT),
                                mail_outbox::subject.eq(subject),
                                mail_outbox::attempts.eq(attempts),
                                mail_outbox::sent_at.eq(Some(now)),
                                mail_outbox::lease_until.eq(Timestamp::default()),
                            ))
                            .execute(conn)?;
                    }
                    Outcome::Failed { error, permanent } => {
                        let retry = usize::try_from(mail.attempts)
                            .ok()
                            .and_then(|i| RETRY_STEPS.get(i))
                            .filter(|_| !permanent);
                        let (state, due) = match retry {
                            Some(units) => (WAITING, now + retry_unit * (*units as u32)),
                            None => (FAILED, now),
                        };
                        diesel::update(row)
                            .set((
                                mail_outbox::state.eq(state),
                                mail_outbox::attempts.eq(attempts),
                                mail_outbox::last_error.eq(Some(kept(error))),
                                mail_outbox::due_at.eq(due),
                                mail_outbox::lease_until.eq(Timestamp::default()),
                            ))
                            .execute(conn)?;
                    }
                    Outcome::Unreachable { error } => {
                        diesel::update(row)
                            .set((
                                mail_outbox::attempts.eq(attempts),
                                mail_outbox::last_error.eq(Some(kept(error))),
                                mail_outbox::lease_until.eq(Timestamp::default()),
                            ))
                            .execute(conn)?;
                    }
                    Outcome::NotTried => {
                        diesel::update(row)
                            .set(mail_outbox::lease_until.eq(Timestamp::default()))
                            .execute(conn)?;
                    }
                    Outcome::Dropped => {
                        diesel::delete(row).execute(conn)?;
                    }
                }
            }
            Ok(())
        },
    )
}

/// The most of an SMTP error kept for the log.
const ERROR_KEPT: usize = 500;

fn kept(error: &str) -> String {
    error.chars().take(ERROR_KEPT).collect()
}

/// A mail as the dashboard's mail log shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub created_at: Timestamp,
    pub due_at: Timestamp,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// The newest mails before `before` (an id; `None` for the newest), at most `limit`.
pub fn log(conn: &mut DbConnection, before: Option<i64>, limit: i64) -> Result<Vec<Entry>, Error> {
    // Always bounded, so the newest page is a seek on the key too.
    Ok(mail_outbox::table
        .filter(mail_outbox::id.lt(before.unwrap_or(i64::MAX)))
        .select(Entry::as_select())
        .order(mail_outbox::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// How many mails wait to leave, and how many were given up, for the log's heading.
pub fn waiting(conn: &mut DbConnection) -> Result<i64, Error> {
    Ok(mail_outbox::table
        .filter(mail_outbox::state.eq(WAITING))
        .count()
        .get_result(conn)?)
}

/// "Send again": the mail is queued anew, due now, as a new message (with a new
/// `Message-ID`; a password link in it is made anew, which ends the one sent before).
pub fn send_again(conn: &mut DbConnection, actor: &Actor, id: i64) -> Result<(), Error> {
    crate::db::write(conn, |conn| {
        let entry: Entry = mail_outbox::table
            .find(id)
            .select(Entry::as_select())
            .first(conn)
            .optional()?
            .ok_or(Error::NotFound)?;
        diesel::update(mail_outbox::table.find(id))
            .set((
                mail_outbox::state.eq(WAITING),
                mail_outbox::due_at.eq(Timestamp::now()),
                mail_outbox::lease_until.eq(Timestamp::default()),
                mail_outbox::attempts.eq(0),
                mail_outbox::last_error.eq(None::<String>),
                mail_outbox::sent_at.eq(None::<Timestamp>),
                mail_outbox::message_id.eq(new_message_id()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "mail.send_again",
                target: &entry.recipient,
                details: entry.subject.clone(),
                ..Default::default()
            },
        )?;
        Ok(())
    })
}

/// How long the mail log keeps a mail that left or was given up.
pub const KEEP: time::Duration = time::Duration::days(30);
/// Rows deleted per statement, so a prune never holds the writers up for long.
const PRUNE_STEP: i64 = 5_000;

/// Deletes up to one step of mail older than [`KEEP`] that is no longer waiting; returns how
/// many rows went.
pub fn prune(conn: &mut DbConnection, now: Timestamp) -> Result<usize, Error> {
    Ok(diesel::sql_query(conn.sql(
        "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox \
         WHERE created_at < ? AND state <> ? LIMIT ?)",
    ))
    .bind::<BigInt, _>((now - KEEP).millis())
    .bind::<Text, _>(WAITING)
    .bind::<BigInt, _>(PRUNE_STEP)
    .execute(conn)?)
}

/// Keeps the mail log to a month: a job one server at a time runs, every hour (at once again
/// while a step was full).
pub struct PruneMail;

impl crate::jobs::Job for PruneMail {
    fn name(&self) -> &'static str {
        "mail.prune"
    }

    fn share(&self) -> crate::jobs::Share {
        crate::jobs::Share::OneServer {
            every: Duration::from_secs(3600),
            lease: Duration::from_secs(600),
        }
    }

    fn run(&mut self, pool: &crate::db::DbPool) -> Result<crate::jobs::Progress, Error> {
        let mut conn = crate::db::checkout(pool, crate::db::stats::Caller::Background)
            .map_err(Error::internal)?;
        let deleted = crate::db::write_locking(
            &mut conn,
            |_| Ok(crate::db::Locks::Rows),
            |conn| prune(conn, Timestamp::now()),
        )?;
        Ok(if deleted as i64 == PRUNE_STEP {
            crate::jobs::Progress::MoreNow
        } else {
            crate::jobs::Progress::Done
        })
    }
}
