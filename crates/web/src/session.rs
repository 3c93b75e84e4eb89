//! What the (encrypted) session cookie carries: the CSRF token, the admin session token and
//! a one-shot flash message. Who is signed in is decided by the database, not the cookie.

use actix_session::Session;
use actix_web::cookie::Key;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::error::AppError;
use insignia_core::db::DbPool;
use insignia_core::db::schema::settings;
use insignia_core::tokens::random_token;

const CSRF: &str = "csrf";
const ADMIN: &str = "admin";
const MEMBER: &str = "member";
const FLASH: &str = "flash";

/// The cookie key: from `INSIGNIA_SECRET_KEY` when given, else generated once and kept in
/// the database so sessions survive restarts.
pub fn signing_key(pool: &DbPool, configured: Option<&str>) -> Result<Key, AppError> {
    let secret = match configured.filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => {
            let mut conn = pool.get().map_err(AppError::internal)?;
            let token = random_token();
            insignia_core::db::on_backend!(&mut *conn, |c| diesel::insert_into(settings::table)
                .values((settings::key.eq("session_key"), settings::value.eq(&token)))
                .on_conflict_do_nothing()
                .execute(c))?;
            settings::table
                .find("session_key")
                .select(settings::value)
                .first::<String>(&mut conn)?
        }
    };
    Ok(Key::from(&Sha512::digest(secret.as_bytes())))
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF) {
        return token;
    }
    let token = random_token();
    let _ = session.insert(CSRF, &token);
    token
}

pub fn existing_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).ok().flatten()
}

pub fn admin_token(session: &Session) -> Option<String> {
    session.get::<String>(ADMIN).ok().flatten()
}

/// Starts a fresh cookie for a new sign-in (new CSRF token too, against session fixation).
pub fn sign_in_admin(session: &Session, token: &str) -> Result<(), AppError> {
    session.renew();
    session.insert(ADMIN, token).map_err(AppError::internal)?;
    session
        .insert(CSRF, random_token())
        .map_err(AppError::internal)?;
    Ok(())
}

/// Ends the admin identity in this cookie; a member signed in alongside stays signed in.
pub fn sign_out_admin(session: &Session) {
    session.remove(ADMIN);
    session.renew();
}

pub fn member_token(session: &Session) -> Option<String> {
    session.get::<String>(MEMBER).ok().flatten()
}

pub fn sign_in_member(session: &Session, token: &str) -> Result<(), AppError> {
    session.renew();
    session.insert(MEMBER, token).map_err(AppError::internal)?;
    session
        .insert(CSRF, random_token())
        .map_err(AppError::internal)?;
    Ok(())
}

pub fn sign_out_member(session: &Session) {
    session.remove(MEMBER);
    session.renew();
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
    /// A way back from what was just done, offered beside the message.
    #[serde(default)]
    pub undo: Option<Undo>,
}

/// The form an "Undo" button beside a flash message posts: `fields` go as hidden inputs with
/// the CSRF token. Kept small, since it travels in the cookie.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Undo {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub enum FlashKind {
    Success,
    Info,
    Error,
}

impl FlashKind {
    pub fn css(&self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Info => "info",
            FlashKind::Error => "error",
        }
    }
}

pub fn flash(session: &Session, kind: FlashKind, text: impl Into<String>) {
    let _ = session.insert(
        FLASH,
        Flash {
            kind,
            text: text.into(),
            undo: None,
        },
    );
}

/// A success message with an "Undo" button beside it.
pub fn flash_with_undo(session: &Session, text: impl Into<String>, undo: Undo) {
    let _ = session.insert(
        FLASH,
        Flash {
            kind: FlashKind::Success,
            text: text.into(),
            undo: Some(undo),
        },
    );
}

pub fn take_flash(session: &Session) -> Option<Flash> {
    session.remove_as::<Flash>(FLASH).and_then(Result::ok)
}
