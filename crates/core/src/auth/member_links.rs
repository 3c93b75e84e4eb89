//! One-time set-password links: made by an admin and handed over (valid seven days), or sent
//! by mail (a password reset, valid an hour). Only the token's hash is stored; a link works once.

use diesel::prelude::*;

use super::password;
use crate::audit::{self, Actor, Change};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{member_sessions, members, password_links};
use crate::error::Error;
use crate::ids::MemberId;
use crate::members::{Member, MemberError};
use crate::tokens::hash_token as hash;

pub const VALID_DAYS: i64 = 7;

/// Creates a link for a member, replacing any earlier one. Returns the token.
pub fn create_link(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &MemberId,
) -> Result<String, MemberError> {
    crate::db::write(conn, |conn| {
        let member = crate::members::find(conn, member_id)?;
        let token = issue(conn, member_id, time::Duration::days(VALID_DAYS))?;
        audit::record(
            conn,
            actor,
            Change {
                action: "member.password_link",
                member_id: Some(member_id),
                target: &member.name,
                details: format!("valid for {VALID_DAYS} days"),
                ..Default::default()
            },
        )?;
        Ok(token)
    })
}

/// A new link for a member, valid for `valid_for`; an earlier one stops working. Returns its
/// token (only its hash is stored).
pub fn issue(
    conn: &mut DbConnection,
    member_id: &MemberId,
    valid_for: time::Duration,
) -> Result<String, Error> {
    diesel::delete(password_links::table.filter(password_links::member_id.eq(member_id)))
        .execute(conn)?;
    let token = crate::tokens::random_token();
    diesel::insert_into(password_links::table)
        .values((
            password_links::token_hash.eq(hash(&token)),
            password_links::member_id.eq(member_id),
            password_links::expires_at.eq(Timestamp::now() + valid_for),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The member a link is for, if it is still valid.
pub fn member_for(conn: &mut DbConnection, token: &str) -> Result<Option<Member>, Error> {
    let link: Option<(MemberId, Timestamp)> = password_links::table
        .find(hash(token))
        .select((password_links::member_id, password_links::expires_at))
        .first(conn)
        .optional()?;
    match link {
        Some((member_id, expires)) if expires > Timestamp::now() => {
            Ok(crate::members::find(conn, &member_id).ok())
        }
        _ => Ok(None),
    }
}

/// Sets the password through a link, which is used up; the member's other sessions end.
pub fn use_link(
    conn: &mut DbConnection,
    token: &str,
    new_password: &str,
) -> Result<Result<Member, String>, Error> {
    if let Err(m) = password::check_new(new_password) {
        return Ok(Err(format!("The password {m}.")));
    }
    let hashed = password::hash(new_password)?;
    crate::db::write(conn, |conn| {
        let Some(member) = member_for(conn, token)? else {
            return Ok(Err("This link has expired or was already used.".to_string()));
        };
        diesel::delete(password_links::table.find(hash(token))).execute(conn)?;
        diesel::update(members::table.find(&member.id))
            .set(members::password_hash.eq(hashed))
            .execute(conn)?;
        diesel::delete(member_sessions::table.filter(member_sessions::member_id.eq(&member.id)))
            .execute(conn)?;
        Ok(Ok(member))
    })
}
