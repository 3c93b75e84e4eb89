//! Members and their badges: rules, storage, search and assignments. Framework-free; the
//! dashboard, the site and the JSON API all go through here.

pub mod addresses;
pub mod assignments;
pub mod changes;
pub mod expiry;
pub mod import;
pub mod invitations;
pub mod profile;
pub mod search;
pub mod undo;
pub mod validity;

use diesel::prelude::*;

use crate::audit::{self, Actor, Change};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{email_confirmations, members};
use crate::error::Error;
use crate::ids::MemberId;

pub const NAME_MAX: usize = 80;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, PartialEq)]
#[diesel(table_name = members)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub email: String,
    pub slug: String,
    pub badge_count: i64,
    pub created_at: Timestamp,
}

/// The names of the members with these public ids (those that still exist), by id: one
/// indexed read for a page's worth of ids.
pub fn names_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, Error> {
    Ok(members::table
        .filter(members::id.eq_any(ids))
        .select((members::id, members::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// What a name is sorted and searched by (`members.name_key`): the name lowercased. Every
/// writer of names uses this, so a search finds what the directory lists.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A display name: trimmed, 1–80 characters, in NFC, with something visible and without
/// control or invisible characters (see [`crate::text::clean_line`]).
pub fn parse_name(input: &str) -> Result<String, String> {
    let name = crate::text::clean_line(input)?;
    if let Some(blank) = crate::text::blank_line(&name) {
        Err(blank.to_string())
    } else if name.chars().count() > NAME_MAX {
        Err(format!("must be at most {NAME_MAX} characters"))
    } else {
        Ok(name)
    }
}

/// A new member's fields after the rules passed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    pub name: String,
    pub email: String,
}

/// Which field is wrong, and why (keyed by form field name).
pub type MemberErrors = Vec<(&'static str, String)>;

impl NewMember {
    pub fn parse(name: &str, email: &str) -> Result<NewMember, MemberErrors> {
        match (parse_name(name), crate::email::parse(email)) {
            (Ok(name), Ok(email)) => Ok(NewMember { name, email }),
            (name, email) => Err([
                name.err().map(|e| ("name", e)),
                email.err().map(|e| ("email", e)),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("invalid member")]
    Invalid(MemberErrors),
    #[error("a member with this e-mail already exists")]
    EmailTaken,
    #[error("member not found")]
    NotFound,
    #[error(transparent)]
    App(#[from] Error),
}

impl From<diesel::result::Error> for MemberError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => MemberError::NotFound,
            other => MemberError::App(other.into()),
        }
    }
}

impl From<MemberError> for Error {
    fn from(e: MemberError) -> Self {
        match e {
            MemberError::NotFound => Error::NotFound,
            MemberError::EmailTaken => Error::Conflict(e.to_string()),
            MemberError::Invalid(errors) => Error::Invalid(
                errors
                    .iter()
                    .map(|(f, m)| format!("{f} {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            MemberError::App(app) => app,
        }
    }
}

pub fn find(conn: &mut DbConnection, id: &MemberId) -> Result<Member, MemberError> {
    Ok(members::table
        .find(id)
        .select(Member::as_select())
        .first(conn)?)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<Member>, Error> {
    Ok(members::table
        .filter(members::email.eq(email.trim().to_lowercase()))
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Member, MemberError> {
    Ok(members::table
        .filter(members::slug.eq(slug))
        .select(Member::as_select())
        .first(conn)?)
}

/// A free profile slug for a name; looks only at slugs sharing the stem (index range).
pub fn free_slug(conn: &mut DbConnection, name: &str) -> Result<String, Error> {
    let base = crate::slug::slugify(name, "member");
    crate::slug::free_in(conn, crate::slug::SlugTable::Members, &base, None)
}

/// How a member came to be, which rules read: "signed up themselves", and whether the
/// address may be believed for "e-mail domain is one of" (an admin's word is; a stranger's
/// sign-up is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    SignedUp,
    AddedByAdmin,
}

/// Inserts a member (no audit, no transaction: callers wrap it, and run the rules for the
/// new member). Returns the new id.
pub(crate) fn insert(
    conn: &mut DbConnection,
    new: &NewMember,
    password_hash: Option<&str>,
    joined: Joined,
) -> Result<MemberId, MemberError> {
    if find_by_email(conn, &new.email)?.is_some() {
        return Err(MemberError::EmailTaken);
    }
    let id = MemberId::new(uuid::Uuid::new_v4().to_string());
    diesel::insert_into(members::table)
        .values((
            members::id.eq(&id),
            members::name.eq(&new.name),
            members::name_key.eq(name_key(&new.name)),
            members::email.eq(&new.email),
            members::slug.eq(free_slug(conn, &new.name)?),
            members::password_hash.eq(password_hash),
            members::created_at.eq(crate::clock::Timestamp::now()),
            members::email_domain.eq(crate::email::domain(&new.email)),
            members::email_trusted.eq(joined == Joined::AddedByAdmin),
            members::signed_up.eq(joined == Joined::SignedUp),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Creates a member on an admin's behalf.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewMember,
) -> Result<Member, MemberError> {
    crate::db::write(conn, |conn| {
        let id = insert(conn, new, None, Joined::AddedByAdmin)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "member.create",
                member_id: Some(&id),
                target: &new.name,
                details: new.email.clone(),
                ..Default::default()
            },
        )?;
        crate::rules::follow_new_members(conn, std::slice::from_ref(&id))?;
        find(conn, &id)
    })
}

/// Changes a member's name and e-mail address (the same rules as for a new member; the
/// address must stay unique). The profile address (slug) stays as it was, so links to the
/// profile keep working. Audited when something changed; an unchanged form changes nothing.
/// An address an admin (or an API key) enters is trusted; rules that read the e-mail domain
/// run for the member in the same transaction.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &MemberId,
    name: &str,
    email: &str,
) -> Result<Member, MemberError> {
    let new = NewMember::parse(name, email).map_err(MemberError::Invalid)?;
    crate::db::write(conn, |conn| {
        let old = find(conn, id)?;
        if old.name == new.name && old.email == new.email {
            return Ok(old);
        }
        if old.email != new.email && find_by_email(conn, &new.email)?.is_some() {
            return Err(MemberError::EmailTaken);
        }
        diesel::update(members::table.find(id))
            .set((
                members::name.eq(&new.name),
                members::name_key.eq(name_key(&new.name)),
            ))
            .execute(conn)?;
        if old.email != new.email {
            // A new address is trusted when an admin (or an API key) entered it, never on a
            // member's own word; an unchanged one keeps what it was.
            diesel::update(members::table.find(id))
                .set((
                    members::email.eq(&new.email),
                    members::email_domain.eq(crate::email::domain(&new.email)),
                    members::email_trusted.eq(actor.kind() != audit::ActorKind::Member),
                    members::email_pending.eq(None::<String>),
                ))
                .execute(conn)?;
            // A confirmation asked for before no longer applies: its link must not undo this.
            diesel::delete(
                email_confirmations::table.filter(email_confirmations::member_id.eq(id)),
            )
            .execute(conn)?;
        }
        let mut changes = Vec::new();
        if old.name != new.name {
            changes.push(format!("name was {:?}", old.name));
        }
        if old.email != new.email {
            changes.push(format!("e-mail was {}", old.email));
        }
        audit::record(
            conn,
            actor,
            Change {
                action: "member.update",
                member_id: Some(id),
                target: &new.name,
                details: changes.join("; "),
                ..Default::default()
            },
        )?;
        if old.email != new.email {
            crate::rules::follow_email_change(conn, id)?;
        }
        find(conn, id)
    })
}

/// Renames a member, keeping the address they have when it runs (a form that only renames must
/// not write back an address it read before a confirmation changed it).
pub fn rename(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &MemberId,
    name: &str,
) -> Result<Member, MemberError> {
    crate::db::write(conn, |conn| {
        let current = find(conn, id)?;
        update(conn, actor, id, name, &current.email)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(
            parse_name("  Ada Lovelace "),
            Ok("Ada Lovelace".to_string())
        );
        assert!(parse_name("  ").is_err());
        assert!(parse_name(&"é".repeat(80)).is_ok());
        assert!(parse_name(&"é".repeat(81)).is_err());
        assert!(parse_name("Ada\u{0}").is_err());
    }

    #[test]
    fn names_refuse_invisible_and_direction_characters() {
        for bad in [
            "Ada\u{200B}",
            "Ada\u{202E}ecalevoL",
            "\u{2066}Ada",
            "Ada\u{FEFF} Lovelace",
            "Ada\u{200F}",
            "Ada\nLovelace",
            "\u{115F}",
            "Ada\u{1160}",
            "\u{FFA0}Ada",
            "Ada\u{180E}",
            "Ada\u{E0020}",
            "\u{200D}",
        ] {
            let err = parse_name(bad).unwrap_err();
            assert!(
                err.contains("invisible or control characters"),
                "{bad:?}: {err}"
            );
        }
        assert_eq!(parse_name("Zoe\u{308}"), Ok("Zo\u{eb}".to_string()));
        assert_eq!(
            parse_name("\u{2800}\u{2800}"),
            Err("must contain at least one visible character".to_string())
        );
    }

    #[test]
    fn a_new_member_reports_every_bad_field() {
        let errors = NewMember::parse("", "nope").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "email"]);
        assert_eq!(
            NewMember::parse("Ada", "ADA@example.com"),
            Ok(NewMember {
                name: "Ada".into(),
                email: "ada@example.com".into()
            })
        );
    }
}
