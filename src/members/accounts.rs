//! Member accounts: sign-up, sign-in (throttled like admins), server-side sessions.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use sha2::{Digest, Sha256};

use super::{Member, MemberError, NewMember};
use crate::audit::{self, Actor, Change};
use crate::auth::{password, sessions::random_token, throttle};
use crate::db::schema::{member_sessions, members};
use crate::error::AppError;

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn throttle_key(email: &str) -> String {
    format!("member:{}", email.trim().to_lowercase())
}

/// Signs a new member up. Field errors are keyed by form field name.
pub fn sign_up(
    conn: &mut SqliteConnection,
    name: &str,
    email: &str,
    password_text: &str,
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
        let id = super::insert(conn, &new, Some(&hashed))?;
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
        super::find(conn, &id)
    })
}

pub enum SignIn {
    Ok(Member),
    Wrong,
    Locked(i64),
}

/// Checks a member's password, counting failures per account.
pub fn check_password(
    conn: &mut SqliteConnection,
    email: &str,
    password_text: &str,
) -> Result<SignIn, AppError> {
    let key = throttle_key(email);
    if let Some(minutes) = throttle::locked_for(conn, &key)? {
        return Ok(SignIn::Locked(minutes));
    }
    let row: Option<(String, Option<String>)> = members::table
        .filter(members::email.eq(email.trim().to_lowercase()))
        .select((members::id, members::password_hash))
        .first(conn)
        .optional()?;
    let verified = match &row {
        Some((_, Some(hash))) => password::verify(password_text, hash),
        _ => {
            password::verify_dummy(password_text);
            false
        }
    };
    match row {
        Some((id, _)) if verified => {
            throttle::clear(conn, &key)?;
            Ok(SignIn::Ok(super::find(conn, &id).map_err(AppError::from)?))
        }
        _ => {
            throttle::record_failure(conn, &key)?;
            Ok(SignIn::Wrong)
        }
    }
}

/// Starts a session; returns the token for the cookie.
pub fn start_session(conn: &mut SqliteConnection, member_id: &str) -> Result<String, AppError> {
    let token = random_token();
    diesel::insert_into(member_sessions::table)
        .values((
            member_sessions::token_hash.eq(hash_token(&token)),
            member_sessions::member_id.eq(member_id),
            member_sessions::created_at.eq(crate::db::now()),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn session_member(
    conn: &mut SqliteConnection,
    token: &str,
) -> Result<Option<Member>, AppError> {
    Ok(member_sessions::table
        .inner_join(members::table)
        .filter(member_sessions::token_hash.eq(hash_token(token)))
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

pub fn end_session(conn: &mut SqliteConnection, token: &str) -> Result<(), AppError> {
    diesel::delete(member_sessions::table.find(hash_token(token))).execute(conn)?;
    Ok(())
}
