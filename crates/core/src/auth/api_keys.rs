//! API keys: the identity of programs calling the JSON API. The secret is shown once at
//! creation; only its SHA-256 is stored. A revoked key stays listed (with its dates) but
//! no longer authenticates.

use diesel::prelude::*;

use crate::audit::{self, Actor, Change};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::api_keys;
use crate::error::Error;

pub const NAME_MAX: usize = 80;
/// Every secret starts with this, so a leaked key is recognisable in logs and scanners.
const PREFIX: &str = "insignia_";
/// `last_used_at` is refreshed at most this often, so reads stay reads.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The last characters of the secret, to tell keys apart in the list.
    pub hint: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn actor(&self) -> Actor {
        Actor::api_key(&self.name)
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

pub fn parse_name(input: &str) -> Result<String, String> {
    let name = crate::text::clean_line(input).map_err(|reason| format!("The name {reason}."))?;
    if name.is_empty() {
        return Err("Give the key a name, so you know later which program uses it.".into());
    }
    if crate::text::is_blank(&name) {
        return Err(format!("The name {}.", crate::text::NOTHING_VISIBLE));
    }
    if name.chars().count() > NAME_MAX {
        return Err(format!("The name must be at most {NAME_MAX} characters."));
    }
    Ok(name)
}

/// Creates a key; returns it with its secret, which is never available again.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    name: &str,
) -> Result<(ApiKey, String), Error> {
    let secret = format!("{PREFIX}{}", crate::tokens::random_token());
    let id = uuid::Uuid::new_v4().to_string();
    let hint = secret[secret.len() - 4..].to_string();
    crate::db::write(conn, |conn| {
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::id.eq(&id),
                api_keys::name.eq(name),
                api_keys::key_hash.eq(crate::tokens::hash_token(&secret)),
                api_keys::hint.eq(&hint),
                api_keys::created_at.eq(Timestamp::now()),
                api_keys::created_by.eq(actor.label()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "api_key.create",
                target: name,
                details: format!("key ending …{hint}"),
                ..Default::default()
            },
        )?;
        let key = api_keys::table
            .find(&id)
            .select(ApiKey::as_select())
            .first(conn)?;
        Ok((key, secret))
    })
}

/// Live keys first, newest first; then revoked ones.
pub fn list(conn: &mut DbConnection) -> Result<Vec<ApiKey>, Error> {
    Ok(api_keys::table
        .select(ApiKey::as_select())
        .order((
            api_keys::revoked_at.is_not_null(),
            api_keys::created_at.desc(),
        ))
        .load(conn)?)
}

/// One key by id (`NotFound` when there is none).
pub fn find(conn: &mut DbConnection, id: &str) -> Result<ApiKey, Error> {
    Ok(api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)?)
}

pub fn revoke(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<ApiKey, Error> {
    crate::db::write(conn, |conn| {
        let key = find(conn, id)?;
        if key.is_revoked() {
            return Ok(key);
        }
        diesel::update(api_keys::table.find(id))
            .set(api_keys::revoked_at.eq(Timestamp::now()))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "api_key.revoke",
                target: &key.name,
                details: format!("key ending …{}", key.hint),
                ..Default::default()
            },
        )?;
        Ok(key)
    })
}

/// The live key with this secret, if any. Records when it was last used.
pub fn authenticate(conn: &mut DbConnection, secret: &str) -> Result<Option<ApiKey>, Error> {
    let Some(key) = api_keys::table
        .filter(api_keys::key_hash.eq(crate::tokens::hash_token(secret.trim())))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let now = Timestamp::now();
    let stale = key
        .last_used_at
        .is_none_or(|t| (now - t).whole_seconds() >= LAST_USED_RESOLUTION_SECONDS);
    if stale {
        diesel::update(api_keys::table.find(&key.id))
            .set(api_keys::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_required_and_limited() {
        assert_eq!(parse_name("  CRM sync "), Ok("CRM sync".to_string()));
        assert!(parse_name("   ").is_err());
        assert_eq!(
            parse_name("\u{2800}"),
            Err("The name must contain at least one visible character.".to_string())
        );
        assert!(parse_name("CRM\u{115F}").is_err());
        assert!(parse_name(&"k".repeat(NAME_MAX + 1)).is_err());
    }

    #[test]
    fn the_stored_hash_is_not_the_secret() {
        let secret = "insignia_abc";
        assert_ne!(crate::tokens::hash_token(secret), secret);
        assert_eq!(crate::tokens::hash_token(secret).len(), 64);
    }
}
