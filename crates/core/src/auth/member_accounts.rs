//! Member accounts: sign-up and server-side sessions (passwords are checked by
//! `auth::sign_in`, the same service as for admins).

use diesel::prelude::*;

use super::password;
use crate::audit::{self, Actor, Change};
use crate::auth::sessions::{Expiry, Freshness};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{member_sessions, members};
use crate::error::Error;
use crate::ids::MemberId;
use crate::members::{Member, MemberError, NewMember};
use crate::tokens::{hash_token, random_token};

/// Members stay signed in until a month without a visit.
pub const MEMBER_EXPIRY: Expiry = Expiry {
    idle: time::Duration::days(30),
    lifetime: None,
};

/// Signs a new member up. Field errors are keyed by form field name. With `confirm_by_mail`
/// (the site sends mail), a mail asks the member to confirm their address; until they do,
/// rules by e-mail domain do not believe it.
pub fn sign_up(
    conn: &mut DbConnection,
    name: &str,
    email: &str,
    password_text: &str,
    confirm_by_mail: bool,
) -> Result<Member, MemberError> {
    let mut errors = match NewMember::parse(name, email) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    };
    if let Err(m) = password::check_new(password_text) {
        errors.push(("password", m));
    }
    if !errors.is_empty() {
        return Err(MemberError::Invalid(errors));
    }
    let new = NewMember::parse(name, email).map_err(MemberError::Invalid)?;
    let hashed = password::hash(password_text)?;
    crate::db::write(conn, |conn| {
        let id =
            crate::members::insert(conn, &new, Some(&hashed), crate::members::Joined::SignedUp)?;
        audit::record(
            conn,
            &Actor::member(&new.email),
            Change {
                action: "member.sign_up",
                member_id: Some(&id),
                target: &new.name,
                details: new.email.clone(),
                ..Default::default()
            },
        )?;
        if confirm_by_mail {
            crate::members::addresses::confirm_sign_up(conn, &id, &new.email)?;
        }
        crate::rules::follow_new_members(conn, std::slice::from_ref(&id))?;
        crate::members::find(conn, &id)
    })
}

/// Starts a session (and notes the sign-in, for the dashboard); returns the token for the
/// cookie.
pub fn start_session(conn: &mut DbConnection, member_id: &MemberId) -> Result<String, Error> {
    diesel::delete(
        member_sessions::table
            .filter(member_sessions::last_seen_at.lt(MEMBER_EXPIRY.idle_cutoff())),
    )
    .execute(conn)?;
    diesel::update(members::table.find(member_id))
        .set(members::last_sign_in_at.eq(Some(Timestamp::now())))
        .execute(conn)?;
    let token = random_token();
    diesel::insert_into(member_sessions::table)
        .values((
            member_sessions::token_hash.eq(hash_token(&token)),
            member_sessions::member_id.eq(member_id),
            member_sessions::created_at.eq(Timestamp::now()),
            member_sessions::last_seen_at.eq(Timestamp::now()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The member a live session token names. An expired session is deleted and treated as absent.
pub fn session_member(conn: &mut DbConnection, token: &str) -> Result<Option<Member>, Error> {
    let token_hash = hash_token(token);
    let row: Option<(Member, Timestamp, Timestamp)> = member_sessions::table
        .inner_join(members::table)
        .filter(member_sessions::token_hash.eq(&token_hash))
        .select((
            Member::as_select(),
            member_sessions::created_at,
            member_sessions::last_seen_at,
        ))
        .first(conn)
        .optional()?;
    let Some((member, created_at, last_seen_at)) = row else {
        return Ok(None);
    };
    let session = member_sessions::table.find(&token_hash);
    match MEMBER_EXPIRY.judge(created_at, last_seen_at) {
        Freshness::Expired => {
            diesel::delete(session).execute(conn)?;
            return Ok(None);
        }
        Freshness::LiveTouch => {
            diesel::update(session)
                .set(member_sessions::last_seen_at.eq(Timestamp::now()))
                .execute(conn)?;
        }
        Freshness::Live => {}
    }
    Ok(Some(member))
}

/// A member's new password, chosen on `/me` after their current one was checked (the caller
/// does that through the throttled sign-in service). The new one must follow the rules
/// (`Err` says which). Their other sessions end, so a stolen session does not outlive the
/// change; `keep_token`'s session stays.
pub fn set_own_password(
    conn: &mut DbConnection,
    member_id: &MemberId,
    new_password: &str,
    keep_token: &str,
) -> Result<Result<(), String>, Error> {
    if let Err(m) = password::check_new(new_password) {
        return Ok(Err(m));
    }
    let hashed = password::hash(new_password)?;
    crate::db::write(conn, |conn| {
        let member = crate::members::find(conn, member_id).map_err(Error::from)?;
        diesel::update(members::table.find(member_id))
            .set(members::password_hash.eq(&hashed))
            .execute(conn)?;
        diesel::delete(
            member_sessions::table
                .filter(member_sessions::member_id.eq(member_id))
                .filter(member_sessions::token_hash.ne(hash_token(keep_token))),
        )
        .execute(conn)?;
        audit::record(
            conn,
            &Actor::member(&member.email),
            Change {
                action: "member.password",
                member_id: Some(member_id),
                target: &member.name,
                details: "changed their password; their other sessions ended".to_string(),
                ..Default::default()
            },
        )?;
        Ok(Ok(()))
    })
}

pub fn end_session(conn: &mut DbConnection, token: &str) -> Result<(), Error> {
    diesel::delete(member_sessions::table.find(hash_token(token))).execute(conn)?;
    Ok(())
}
