//! Admin accounts.

use diesel::prelude::*;

use super::password;
use crate::db::DbConnection;
use crate::db::schema::{admin_sessions, admins};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = admins)]
pub struct Admin {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: String,
}

pub fn count(conn: &mut DbConnection) -> Result<i64, AppError> {
    Ok(admins::table.count().get_result(conn)?)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<Admin>, AppError> {
    Ok(admins::table
        .filter(admins::email.eq(email.trim().to_lowercase()))
        .select(Admin::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Admin, AppError> {
    Ok(admins::table
        .find(id)
        .select(Admin::as_select())
        .first(conn)?)
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
) -> Result<Result<Admin, CreateError>, AppError> {
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
        let id = uuid::Uuid::new_v4().to_string();
        diesel::insert_into(admins::table)
            .values((
                admins::id.eq(&id),
                admins::email.eq(&email),
                admins::password_hash.eq(&hash),
                admins::created_at.eq(crate::db::now()),
            ))
            .execute(conn)?;
        super::setup::retire(conn)?;
        Ok(Ok(find(conn, &id)?))
    })
}

/// Changes a password and ends every session of that admin.
pub fn change_password(
    conn: &mut DbConnection,
    admin_id: &str,
    new_password: &str,
) -> Result<Result<(), String>, AppError> {
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
