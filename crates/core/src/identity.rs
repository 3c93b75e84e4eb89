//! The site's own name and short description (`/dashboard/settings`): what every page's
//! header and title, the home page and the Open Graph tags of profiles and badge pages call
//! the community. Kept in `settings`; a site that has not named itself is "Insignia".

use diesel::prelude::*;

use crate::audit::{self, Actor, Change};
use crate::db::DbConnection;
use crate::db::schema::settings;
use crate::error::Error;

const NAME_KEY: &str = "site_name";
const DESCRIPTION_KEY: &str = "site_description";

/// Longest site name, in characters: it sits in the header beside the navigation.
pub const NAME_MAX: usize = 60;
/// Longest description, in characters: one or two sentences for the home page and link
/// previews.
pub const DESCRIPTION_MAX: usize = 200;

/// What a site that has not named itself is called.
pub const DEFAULT_NAME: &str = "Insignia";
/// And how its home page describes it.
pub const DEFAULT_DESCRIPTION: &str = "Badges show who people are in this community.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub description: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            name: DEFAULT_NAME.to_string(),
            description: DEFAULT_DESCRIPTION.to_string(),
        }
    }
}

/// The name and description as typed in the settings form.
#[derive(Debug, Clone, Default)]
pub struct IdentityInput {
    pub name: String,
    pub description: String,
}

impl IdentityInput {
    /// Checks both fields; every problem is reported by its form field's name (`name`,
    /// `description`), to show beside it.
    pub fn parse(&self) -> Result<Identity, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let name = match crate::text::clean_line(&self.name) {
            Err(message) => {
                errors.push(("name", message));
                String::new()
            }
            Ok(name) if name.is_empty() => {
                errors.push(("name", "Give the site a name.".to_string()));
                name
            }
            Ok(name) if name.chars().count() > NAME_MAX => {
                errors.push((
                    "name",
                    format!("Keep the name to {NAME_MAX} characters or fewer."),
                ));
                name
            }
            Ok(name) => name,
        };
        let description = match crate::text::clean_line(&self.description) {
            Err(message) => {
                errors.push(("description", message));
                String::new()
            }
            Ok(text) if text.chars().count() > DESCRIPTION_MAX => {
                errors.push((
                    "description",
                    format!("Keep the description to {DESCRIPTION_MAX} characters or fewer."),
                ));
                text
            }
            Ok(text) => text,
        };
        if errors.is_empty() {
            Ok(Identity { name, description })
        } else {
            Err(errors)
        }
    }
}

fn read(conn: &mut DbConnection, key: &str) -> Result<Option<String>, Error> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()?)
}

/// The site's name and description (the defaults until it is named).
pub fn load(conn: &mut DbConnection) -> Result<Identity, Error> {
    let name = read(conn, NAME_KEY)?.filter(|n| !n.is_empty());
    let description = read(conn, DESCRIPTION_KEY)?;
    Ok(Identity {
        name: name.unwrap_or_else(|| DEFAULT_NAME.to_string()),
        // An empty description is a choice (no tagline), not "not set".
        description: description.unwrap_or_else(|| DEFAULT_DESCRIPTION.to_string()),
    })
}

fn write(conn: &mut DbConnection, key: &str, value: &str) -> Result<(), Error> {
    crate::db::on_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .on_conflict(settings::key)
        .do_update()
        .set(settings::value.eq(value))
        .execute(c))?;
    Ok(())
}

/// Saves a checked name and description, audited. Returns what was there before.
pub fn save(conn: &mut DbConnection, actor: &Actor, new: &Identity) -> Result<Identity, Error> {
    crate::db::write(conn, |conn| {
        let old = load(conn)?;
        write(conn, NAME_KEY, &new.name)?;
        write(conn, DESCRIPTION_KEY, &new.description)?;
        if old != *new {
            audit::record(
                conn,
                actor,
                Change {
                    action: "site.identity",
                    target: &new.name,
                    details: if old.name == new.name {
                        "changed the description".to_string()
                    } else {
                        format!("renamed the site from “{}”", old.name)
                    },
                    ..Default::default()
                },
            )?;
        }
        Ok(old)
    })
}
