//! Admin accounts: the first one from the setup page (or `insignia admin create`), the others
//! added on the Admins page with a one-time set-password link, as members get one.

use diesel::prelude::*;

use super::password;
use crate::audit::{self, Actor, Change};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{admin_password_links, admin_sessions, admins};
use crate::error::Error;
use crate::tokens::{hash_token, random_token};

/// How long a set-password link works: as long as a member's.
pub const LINK_VALID_DAYS: i64 = crate::auth::member_links::VALID_DAYS;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = admins)]
pub struct Admin {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: Timestamp,
    pub last_sign_in_at: Option<Timestamp>,
}

pub fn count(conn: &mut DbConnection) -> Result<i64, Error> {
    Ok(admins::table.count().get_result(conn)?)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<Admin>, Error> {
    Ok(admins::table
        .filter(admins::email.eq(email.trim().to_lowercase()))
        .select(Admin::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Admin, Error> {
    Ok(admins::table
        .find(id)
        .select(Admin::as_select())
        .first(conn)?)
}

/// An admin as the Admins page lists them.
#[derive(Debug, Clone)]
pub struct Listed {
    pub admin: Admin,
    /// Added on the Admins page and has not set a password through their link yet (the link
    /// may have expired).
    pub waiting_for_password: bool,
}

/// Every admin, oldest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Listed>, Error> {
    let all: Vec<Admin> = admins::table
        .select(Admin::as_select())
        .order((admins::created_at, admins::email))
        .load(conn)?;
    let waiting: Vec<String> = admin_password_links::table
        .select(admin_password_links::admin_id)
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|admin| Listed {
            // A link of an admin who has signed in is a password reset, not their first one.
            waiting_for_password: waiting.contains(&admin.id) && admin.last_sign_in_at.is_none(),
            admin,
        })
        .collect())
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateError {
    Email(String),
    Password(String),
    EmailTaken,
    /// Setup only: another admin was created meanwhile.
    NotFirst,
}

/// Creates an admin. With `only_if_first`, refuses when any admin exists (the setup page),
/// checked in the same transaction as the insert.
pub fn create(
    conn: &mut DbConnection,
    email: &str,
    password_text: &str,
    only_if_first: bool,
) -> Result<Result<Admin, CreateError>, Error> {
    let email = match crate::email::parse(email) {
        Ok(e) => e,
        Err(m) => return Ok(Err(CreateError::Email(m))),
    };
    if let Err(m) = password::check_new(password_text) {
        return Ok(Err(CreateError::Password(m)));
    }
    let hash = password::hash(password_text)?;
    crate::db::write(conn, |conn| {
        if only_if_first && count(conn)? > 0 {
            return Ok(Err(CreateError::NotFirst));
        }
        if find_by_email(conn, &email)?.is_some() {
            return Ok(Err(CreateError::EmailTaken));
        }
        let id = insert(conn, &email, &hash)?;
        Ok(Ok(find(conn, &id)?))
    })
}

/// Every way an admin is made comes here, and the setup code dies with it.
fn insert(conn: &mut DbConnection, email: &str, hash: &str) -> Result<String, Error> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(admins::table)
        .values((
            admins::id.eq(&id),
            admins::email.eq(email),
            admins::password_hash.eq(hash),
            admins::created_at.eq(Timestamp::now()),
        ))
        .execute(conn)?;
    super::setup::retire(conn)?;
    Ok(id)
}

/// Why adding or removing an admin on the Admins page was refused; nothing changed.
#[derive(Debug, PartialEq, Eq)]
pub enum ChangeError {
    /// The e-mail is not an address (the message says why).
    Email(String),
    EmailTaken,
    /// Nobody removes their own account: so the last admin always stays.
    Yourself,
    /// The admin doing it was removed meanwhile.
    NotAnAdmin,
}

/// Adds an admin who chooses their password through a one-time link. Returns them with the
/// link's token. Until the link is used the account has a password nobody knows.
pub fn add(
    conn: &mut DbConnection,
    by: &Actor,
    by_admin_id: &str,
    email: &str,
) -> Result<Result<(Admin, String), ChangeError>, Error> {
    let email = match crate::email::parse(email) {
        Ok(e) => e,
        Err(m) => return Ok(Err(ChangeError::Email(m))),
    };
    // A real hash of a secret thrown away: signing in with any password takes as long as
    // for any other account, and fails.
    let unknowable = password::hash(&random_token())?;
    crate::db::write(conn, |conn| {
        if admins::table
            .find(by_admin_id)
            .count()
            .get_result::<i64>(conn)?
            == 0
        {
            return Ok(Err(ChangeError::NotAnAdmin));
        }
        if find_by_email(conn, &email)?.is_some() {
            return Ok(Err(ChangeError::EmailTaken));
        }
        let id = insert(conn, &email, &unknowable)?;
        let token = issue_link(conn, &id, time::Duration::days(LINK_VALID_DAYS))?;
        audit::record(
            conn,
            by,
            Change {
                action: "admin.create",
                target: &email,
                details: format!("set-password link valid for {LINK_VALID_DAYS} days"),
                ..Default::default()
            },
        )?;
        Ok(Ok((find(conn, &id)?, token)))
    })
}

/// Removes an admin other than `by_admin_id`: their sessions end at once (a copy of their
/// cookie opens nothing) and an unused set-password link stops working.
pub fn remove(
    conn: &mut DbConnection,
    by: &Actor,
    by_admin_id: &str,
    id: &str,
) -> Result<Result<Admin, ChangeError>, Error> {
    if id == by_admin_id {
        return Ok(Err(ChangeError::Yourself));
    }
    crate::db::write(conn, |conn| {
        // Checked under the write lock: two admins removing each other one after the other
        // cannot leave the site without an admin.
        if admins::table
            .find(by_admin_id)
            .count()
            .get_result::<i64>(conn)?
            == 0
        {
            return Ok(Err(ChangeError::NotAnAdmin));
        }
        let admin = find(conn, id)?;
        diesel::delete(admin_sessions::table.filter(admin_sessions::admin_id.eq(id)))
            .execute(conn)?;
        diesel::delete(admin_password_links::table.filter(admin_password_links::admin_id.eq(id)))
            .execute(conn)?;
        diesel::delete(admins::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            by,
            Change {
                action: "admin.remove",
                target: &admin.email,
                details: "their sessions ended".to_string(),
                ..Default::default()
            },
        )?;
        Ok(Ok(admin))
    })
}

/// A new set-password link for an admin, valid for `valid_for`; an earlier one stops working.
/// Returns its token (only its hash is stored).
pub fn issue_link(
    conn: &mut DbConnection,
    admin_id: &str,
    valid_for: time::Duration,
) -> Result<String, Error> {
    diesel::delete(admin_password_links::table.filter(admin_password_links::admin_id.eq(admin_id)))
        .execute(conn)?;
    let token = random_token();
    diesel::insert_into(admin_password_links::table)
        .values((
            admin_password_links::token_hash.eq(hash_token(&token)),
            admin_password_links::admin_id.eq(admin_id),
            admin_password_links::expires_at.eq(Timestamp::now() + valid_for),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The admin a set-password link is for, if it is still valid.
pub fn for_link(conn: &mut DbConnection, token: &str) -> Result<Option<Admin>, Error> {
    let link: Option<(String, Timestamp)> = admin_password_links::table
        .find(hash_token(token))
        .select((
            admin_password_links::admin_id,
            admin_password_links::expires_at,
        ))
        .first(conn)
        .optional()?;
    match link {
        Some((admin_id, expires)) if expires > Timestamp::now() => Ok(find(conn, &admin_id).ok()),
        _ => Ok(None),
    }
}

/// Sets the password through a link, which is used up; any session of that admin ends.
pub fn use_link(
    conn: &mut DbConnection,
    token: &str,
    new_password: &str,
) -> Result<Result<Admin, String>, Error> {
    if let Err(m) = password::check_new(new_password) {
        return Ok(Err(format!("The password {m}.")));
    }
    let hashed = password::hash(new_password)?;
    crate::db::write(conn, |conn| {
        let Some(admin) = for_link(conn, token)? else {
            return Ok(Err("This link has expired or was already used.".to_string()));
        };
        diesel::delete(
            admin_password_links::table.filter(admin_password_links::admin_id.eq(&admin.id)),
        )
        .execute(conn)?;
        diesel::update(admins::table.find(&admin.id))
            .set(admins::password_hash.eq(hashed))
            .execute(conn)?;
        diesel::delete(admin_sessions::table.filter(admin_sessions::admin_id.eq(&admin.id)))
            .execute(conn)?;
        audit::record(
            conn,
            &Actor::admin(&admin.email),
            Change {
                action: "admin.password",
                target: &admin.email,
                details: "set through their set-password link".to_string(),
                ..Default::default()
            },
        )?;
        Ok(Ok(admin))
    })
}

/// Changes a password and ends every session of that admin.
pub fn change_password(
    conn: &mut DbConnection,
    admin_id: &str,
    new_password: &str,
) -> Result<Result<(), String>, Error> {
    if let Err(m) = password::check_new(new_password) {
        return Ok(Err(m));
    }
    let hash = password::hash(new_password)?;
    crate::db::write(conn, |conn| {
        diesel::update(admins::table.find(admin_id))
            .set(admins::password_hash.eq(hash))
            .execute(conn)?;
        diesel::delete(admin_sessions::table.filter(admin_sessions::admin_id.eq(admin_id)))
            .execute(conn)?;
        Ok(Ok(()))
    })
}
