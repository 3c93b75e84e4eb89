//! Server-side admin sessions. The cookie holds a random token; the database holds its
//! SHA-256. Deleting the row ends the session for every copy of the cookie.

use diesel::prelude::*;

use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{admin_sessions, admins};
use crate::error::Error;
use crate::tokens::{hash_token, random_token};

/// A signed-in admin, as the request sees them.
#[derive(Debug, Clone)]
pub struct AdminSession {
    pub token_hash: String,
    pub admin_id: String,
    pub email: String,
    pub elevated_until: Option<Timestamp>,
    /// When the password was last confirmed: the start of the elevation's cap.
    pub elevated_at: Option<Timestamp>,
}

impl AdminSession {
    /// Seconds of elevation left, or `None` when the session is not elevated.
    pub fn elevation_left(&self) -> Option<i64> {
        let left = (self.elevated_until? - Timestamp::now()).whole_seconds();
        (left > 0).then_some(left)
    }

    pub fn is_elevated(&self) -> bool {
        self.elevation_left().is_some()
    }
}

/// How long a session lives on the server: it ends after `idle` without a request, and after
/// `lifetime` in all when one is set.
#[derive(Debug, Clone, Copy)]
pub struct Expiry {
    pub idle: time::Duration,
    pub lifetime: Option<time::Duration>,
}

pub const ADMIN_EXPIRY: Expiry = Expiry {
    idle: time::Duration::hours(12),
    lifetime: Some(time::Duration::days(7)),
};

/// `last_seen_at` is refreshed at most this often, so most requests only read.
const TOUCH_EVERY: time::Duration = time::Duration::minutes(1);

/// What to do with a session found by its token.
#[derive(Debug, PartialEq, Eq)]
pub enum Freshness {
    Live,
    /// Live, and its last-seen time is worth refreshing.
    LiveTouch,
    Expired,
}

impl Expiry {
    /// Sessions last seen before this are over.
    pub fn idle_cutoff(&self) -> Timestamp {
        Timestamp::now() - self.idle
    }

    /// Sessions created before this are over (a far past when there is no lifetime).
    pub fn lifetime_cutoff(&self) -> Timestamp {
        match self.lifetime {
            Some(l) => Timestamp::now() - l,
            None => Timestamp::from_millis(i64::MIN),
        }
    }

    pub fn judge(&self, created: Timestamp, seen: Timestamp) -> Freshness {
        let now = Timestamp::now();
        let too_old = self.lifetime.is_some_and(|l| now - created > l);
        if too_old || now - seen > self.idle {
            Freshness::Expired
        } else if now - seen > TOUCH_EVERY {
            Freshness::LiveTouch
        } else {
            Freshness::Live
        }
    }
}

/// A form posted while the session was not elevated, kept for the page it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub path: String,
    pub form: Vec<(String, String)>,
}

/// How long a password confirmation unlocks restricted operations, as GitHub's sudo mode
/// does: `minutes` after the last restricted action, and `max_minutes` in all from the
/// confirmation; then the password is asked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elevation {
    pub minutes: i64,
    pub max_minutes: i64,
}

impl Elevation {
    /// The end of an elevation that began at `since`, extended from now.
    fn until(self, since: Timestamp) -> Timestamp {
        let sliding = Timestamp::now() + time::Duration::minutes(self.minutes);
        let cap = since + time::Duration::minutes(self.max_minutes.max(self.minutes));
        sliding.min(cap)
    }
}

/// The end of extending a session elevated since `since` now; `None` when the extension is
/// not worth a write (it would move the end by under a minute).
pub fn extended_until(session: &AdminSession, elevation: Elevation) -> Option<Timestamp> {
    let (until, since) = (session.elevated_until?, session.elevated_at?);
    if !session.is_elevated() {
        return None;
    }
    let new = elevation.until(since);
    (new - until > time::Duration::minutes(1)).then_some(new)
}

/// Extends an elevated session after a restricted action (see [`Elevation`]).
pub fn extend_elevation(
    conn: &mut DbConnection,
    session: &AdminSession,
    elevation: Elevation,
) -> Result<(), Error> {
    if let Some(until) = extended_until(session, elevation) {
        diesel::update(
            admin_sessions::table
                .find(&session.token_hash)
                // Not one ended meanwhile (by "End elevation" on another tab).
                .filter(admin_sessions::elevated_until.is_not_null()),
        )
        .set(admin_sessions::elevated_until.eq(until))
        .execute(conn)?;
    }
    Ok(())
}

/// Starts a session for an admin who just proved their password (and notes when, for the
/// Admins page); it starts elevated. Returns the token for the cookie.
pub fn start(
    conn: &mut DbConnection,
    admin_id: &str,
    elevation: Elevation,
) -> Result<String, Error> {
    diesel::update(admins::table.find(admin_id))
        .set(admins::last_sign_in_at.eq(Timestamp::now()))
        .execute(conn)?;
    diesel::delete(
        admin_sessions::table.filter(
            admin_sessions::last_seen_at
                .lt(ADMIN_EXPIRY.idle_cutoff())
                .or(admin_sessions::created_at.lt(ADMIN_EXPIRY.lifetime_cutoff())),
        ),
    )
    .execute(conn)?;
    let token = random_token();
    diesel::insert_into(admin_sessions::table)
        .values((
            admin_sessions::token_hash.eq(hash_token(&token)),
            admin_sessions::admin_id.eq(admin_id),
            admin_sessions::created_at.eq(Timestamp::now()),
            admin_sessions::last_seen_at.eq(Timestamp::now()),
            admin_sessions::elevated_until.eq(elevation.until(Timestamp::now())),
            admin_sessions::elevated_at.eq(Timestamp::now()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The live session a token names. An expired one is deleted and treated as absent.
pub fn lookup(conn: &mut DbConnection, token: &str) -> Result<Option<AdminSession>, Error> {
    type Row = (
        String,
        String,
        String,
        Option<Timestamp>,
        Option<Timestamp>,
        Timestamp,
        Timestamp,
    );
    let row: Option<Row> = admin_sessions::table
        .inner_join(admins::table)
        .filter(admin_sessions::token_hash.eq(hash_token(token)))
        .select((
            admin_sessions::token_hash,
            admin_sessions::admin_id,
            admins::email,
            admin_sessions::elevated_until,
            admin_sessions::elevated_at,
            admin_sessions::created_at,
            admin_sessions::last_seen_at,
        ))
        .first(conn)
        .optional()?;
    let Some((token_hash, admin_id, email, until, elevated_at, created_at, last_seen_at)) = row
    else {
        return Ok(None);
    };
    let sessions = admin_sessions::table.find(&token_hash);
    match ADMIN_EXPIRY.judge(created_at, last_seen_at) {
        Freshness::Expired => {
            diesel::delete(sessions).execute(conn)?;
            return Ok(None);
        }
        Freshness::LiveTouch => {
            diesel::update(sessions)
                .set(admin_sessions::last_seen_at.eq(Timestamp::now()))
                .execute(conn)?;
        }
        Freshness::Live => {}
    }
    Ok(Some(AdminSession {
        token_hash,
        admin_id,
        email,
        elevated_until: until,
        elevated_at,
    }))
}

pub fn end(conn: &mut DbConnection, session: &AdminSession) -> Result<(), Error> {
    diesel::delete(admin_sessions::table.find(&session.token_hash)).execute(conn)?;
    Ok(())
}

pub fn elevate(
    conn: &mut DbConnection,
    session: &AdminSession,
    elevation: Elevation,
) -> Result<(), Error> {
    diesel::update(admin_sessions::table.find(&session.token_hash))
        .set((
            admin_sessions::elevated_until.eq(elevation.until(Timestamp::now())),
            admin_sessions::elevated_at.eq(Timestamp::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn end_elevation(conn: &mut DbConnection, session: &AdminSession) -> Result<(), Error> {
    diesel::update(admin_sessions::table.find(&session.token_hash))
        .set(admin_sessions::elevated_until.eq(None::<Timestamp>))
        .execute(conn)?;
    Ok(())
}

pub fn save_draft(
    conn: &mut DbConnection,
    session: &AdminSession,
    draft: &Draft,
) -> Result<(), Error> {
    let form = serde_urlencoded::to_string(&draft.form).map_err(Error::internal)?;
    diesel::update(admin_sessions::table.find(&session.token_hash))
        .set((
            admin_sessions::draft_path.eq(&draft.path),
            admin_sessions::draft_form.eq(form),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether a draft is kept for `path` (the elevation page says so).
pub fn has_draft(
    conn: &mut DbConnection,
    session: &AdminSession,
    path: &str,
) -> Result<bool, Error> {
    let stored: Option<String> = admin_sessions::table
        .find(&session.token_hash)
        .select(admin_sessions::draft_path)
        .first(conn)?;
    Ok(stored.as_deref() == Some(path))
}

/// Takes the draft kept for `path`, if any; it is handed out once.
pub fn take_draft(
    conn: &mut DbConnection,
    session: &AdminSession,
    path: &str,
) -> Result<Option<Draft>, Error> {
    let row: (Option<String>, Option<String>) = admin_sessions::table
        .find(&session.token_hash)
        .select((admin_sessions::draft_path, admin_sessions::draft_form))
        .first(conn)?;
    match row {
        (Some(draft_path), Some(form)) if draft_path == path => {
            diesel::update(admin_sessions::table.find(&session.token_hash))
                .set((
                    admin_sessions::draft_path.eq(None::<String>),
                    admin_sessions::draft_form.eq(None::<String>),
                ))
                .execute(conn)?;
            let form = serde_urlencoded::from_str(&form).unwrap_or_default();
            Ok(Some(Draft {
                path: draft_path,
                form,
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ago(d: time::Duration) -> Timestamp {
        Timestamp::now() - d
    }

    #[test]
    fn admin_sessions_end_after_12_idle_hours_or_7_days() {
        let h = time::Duration::hours;
        assert_eq!(ADMIN_EXPIRY.judge(ago(h(1)), ago(h(0))), Freshness::Live);
        assert_eq!(
            ADMIN_EXPIRY.judge(ago(h(1)), ago(h(11))),
            Freshness::LiveTouch
        );
        assert_eq!(
            ADMIN_EXPIRY.judge(ago(h(20)), ago(h(13))),
            Freshness::Expired
        );
        assert_eq!(
            ADMIN_EXPIRY.judge(ago(h(24 * 7 + 1)), ago(h(0))),
            Freshness::Expired
        );
    }
}
