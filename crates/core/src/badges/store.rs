//! Reading and writing badges. Every write runs in one transaction with its audit entry.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::fields::{Field, FieldError, Rule};
use super::icon::Icon;
use super::rules::ValidBadge;
use crate::audit::{self, Actor, Change};
use crate::db::DbConnection;
use crate::db::schema::{badge_slugs, badges, icon_uploads};
use crate::error::Error;
use crate::events;
use crate::ids::BadgeId;

pub use super::model::Badge;

#[derive(Debug, thiserror::Error)]
pub enum BadgeError {
    #[error("invalid badge")]
    Invalid(Vec<FieldError>),
    #[error("a badge with this title already exists")]
    DuplicateTitle,
    #[error("badge not found")]
    NotFound,
    #[error("the badge list changed since it was loaded")]
    StaleOrder,
    #[error("{0}")]
    BadOrder(String),
    #[error(transparent)]
    App(#[from] Error),
}

impl From<diesel::result::Error> for BadgeError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => BadgeError::NotFound,
            other => BadgeError::App(other.into()),
        }
    }
}

impl From<BadgeError> for Error {
    fn from(e: BadgeError) -> Self {
        match e {
            BadgeError::NotFound => Error::NotFound,
            BadgeError::DuplicateTitle => Error::Conflict(e.to_string()),
            BadgeError::StaleOrder => Error::Conflict(
                "The badge list changed since you loaded it (a badge was added, deleted or moved). \
                 Reload the page to see the current order, then try again."
                    .to_string(),
            ),
            BadgeError::BadOrder(m) => Error::Invalid(m),
            BadgeError::Invalid(errors) => Error::Invalid(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field.form_name(), e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            BadgeError::App(app) => app,
        }
    }
}

/// The display order: by position, ties (never expected) by id so it is total.
pub fn display_order() -> (
    diesel::helper_types::Asc<badges::position>,
    diesel::helper_types::Asc<badges::id>,
) {
    (badges::position.asc(), badges::id.asc())
}

/// All badges in display order. There are at most a few thousand; the position index serves it.
pub fn list_in_order(conn: &mut DbConnection) -> Result<Vec<Badge>, Error> {
    let mut list = badges::table
        .select(Badge::as_select())
        .order(display_order())
        .load(conn)?;
    count_in_force(conn, &mut list)?;
    Ok(list)
}

/// Holder counts as every read sees them: the stored count less the assignments whose time is
/// up and that the expiry job has not taken away yet (a few, for at most a minute; the partial
/// index of ending assignments finds them without reading the others).
fn count_in_force(conn: &mut DbConnection, list: &mut [Badge]) -> Result<(), Error> {
    use crate::db::schema::member_badges;
    // Counted here, not with GROUP BY: grouping leads SQLite to walk every assignment in key
    // order instead of reading the few ended ones from the index.
    let expired: Vec<crate::db::keys::BadgeKey> = member_badges::table
        .filter(member_badges::expires_at.is_not_null())
        .filter(member_badges::expires_at.le(crate::clock::now_millis()))
        .select(member_badges::badge_key)
        .load(conn)?;
    for key in expired {
        if let Some(badge) = list.iter_mut().find(|b| b.key == key) {
            badge.member_count -= 1;
        }
    }
    Ok(())
}

/// One page of badges in display order, and how many there are in all.
pub fn page_in_order(
    conn: &mut DbConnection,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Badge>, i64), Error> {
    let mut page = badges::table
        .select(Badge::as_select())
        .order(display_order())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    count_in_force(conn, &mut page)?;
    let total = badges::table.count().get_result(conn)?;
    Ok((page, total))
}

pub fn find(conn: &mut DbConnection, id: &BadgeId) -> Result<Badge, BadgeError> {
    let mut badge = badges::table
        .find(id)
        .select(Badge::as_select())
        .first(conn)?;
    count_in_force(conn, std::slice::from_mut(&mut badge))?;
    Ok(badge)
}

pub fn uploaded_svg(conn: &mut DbConnection, id: &str) -> Result<String, Error> {
    Ok(icon_uploads::table
        .find(id)
        .select(icon_uploads::svg)
        .first(conn)?)
}

/// A fingerprint of the display order; a reorder is only accepted against the order it was made from.
pub fn order_version<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash = Sha256::new();
    for id in ids {
        hash.update(id.as_bytes());
        hash.update(b",");
    }
    hex::encode(&hash.finalize()[..8])
}

fn current_order(conn: &mut DbConnection) -> Result<Vec<String>, Error> {
    Ok(badges::table
        .select(badges::id)
        .order(display_order())
        .load(conn)?)
}

fn ensure_title_free(
    conn: &mut DbConnection,
    valid: &ValidBadge,
    except_id: Option<&BadgeId>,
) -> Result<(), BadgeError> {
    let owner: Option<BadgeId> = badges::table
        .filter(badges::title_key.eq(valid.title.unique_key()))
        .select(badges::id)
        .first(conn)
        .optional()?;
    match owner {
        Some(owner) if Some(&owner) != except_id => Err(BadgeError::DuplicateTitle),
        _ => Ok(()),
    }
}

/// Brings every stored `title_key` up to the current rule ([`super::rules::Title::unique_key`]):
/// keys stored under an older rule would let a look-alike title in beside an old one. Titles
/// that clash under the current rule all stay; the oldest keeps the key, and each newer one
/// gets the key followed by U+FEFF and its id, which no title can have (the key drops
/// U+FEFF), so renaming it is the only way out of the clash. Only rows whose key changes
/// are written; run when the database is opened. Returns how many keys changed.
pub fn refresh_title_keys(conn: &mut DbConnection) -> Result<usize, Error> {
    type Plan = (Vec<(String, String)>, Vec<(String, String)>);
    /// The keys to change, and the clashing titles (oldest first).
    fn plan(conn: &mut DbConnection) -> Result<Plan, Error> {
        let rows: Vec<(String, String, String)> = badges::table
            .select((badges::id, badges::title, badges::title_key))
            .order((badges::created_at, badges::id))
            .load(conn)?;
        let mut owners = std::collections::HashMap::new();
        let (mut changes, mut clashes) = (Vec::new(), Vec::new());
        for (id, title, stored) in rows {
            let mut key = crate::text::comparison_key(&title);
            if let Some(first) = owners.get(&key) {
                clashes.push((String::clone(first), title));
                key = format!("{key}\u{FEFF}{id}");
            } else {
                owners.insert(key.clone(), title);
            }
            if key != stored {
                changes.push((id, key));
            }
        }
        Ok((changes, clashes))
    }
    let (changes, clashes) = plan(conn)?;
    for (first, title) in clashes {
        tracing::warn!("badge titles {first:?} and {title:?} read the same; rename one of them");
    }
    if changes.is_empty() {
        return Ok(0);
    }
    crate::db::write(conn, |conn| {
        let (changes, _) = plan(conn)?;
        // Two passes, so that no key is written while another row still holds it. The interim
        // key starts with U+FEFF, which comparison keys never do (it is default-ignorable).
        for (id, _) in &changes {
            diesel::update(badges::table.find(id))
                .set(badges::title_key.eq(format!("\u{FEFF}{id}")))
                .execute(conn)?;
        }
        for (id, key) in &changes {
            diesel::update(badges::table.find(id))
                .set(badges::title_key.eq(key))
                .execute(conn)?;
        }
        Ok(changes.len())
    })
}

fn free_slug(
    conn: &mut DbConnection,
    valid: &ValidBadge,
    except_id: Option<&BadgeId>,
) -> Result<String, Error> {
    let base = valid.title.slug_base();
    crate::slug::free_in(
        conn,
        crate::slug::SlugTable::Badges,
        &base,
        except_id.map(BadgeId::as_str),
    )
}

/// Keeps a badge's former slug, so its old address redirects to the new one.
fn remember_slug(
    conn: &mut DbConnection,
    slug: &str,
    badge: crate::db::keys::BadgeKey,
) -> Result<(), Error> {
    diesel::delete(badge_slugs::table.filter(badge_slugs::slug.eq(slug))).execute(conn)?;
    diesel::insert_into(badge_slugs::table)
        .values((badge_slugs::slug.eq(slug), badge_slugs::badge_key.eq(badge)))
        .execute(conn)?;
    Ok(())
}

/// Where a badge's address leads: the badge that has the slug now, else the slug the badge
/// renamed from it has now (for a redirect).
pub enum BySlug {
    Found(Box<Badge>),
    MovedTo(String),
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> Result<BySlug, Error> {
    if let Some(badge) = badges::table
        .filter(badges::slug.eq(slug))
        .select(Badge::as_select())
        .first(conn)
        .optional()?
    {
        let mut badge = badge;
        count_in_force(conn, std::slice::from_mut(&mut badge))?;
        return Ok(BySlug::Found(Box::new(badge)));
    }
    badge_slugs::table
        .inner_join(badges::table.on(badges::key.eq(badge_slugs::badge_key)))
        .filter(badge_slugs::slug.eq(slug))
        .select(badges::slug)
        .first(conn)
        .optional()?
        .map(BySlug::MovedTo)
        .ok_or(Error::NotFound)
}

/// Resolves the icon to store: a fresh upload wins; a referenced upload must exist.
fn resolve_icon(
    conn: &mut DbConnection,
    valid: &ValidBadge,
    new_upload_svg: Option<&str>,
) -> Result<Icon, BadgeError> {
    if let Some(svg) = new_upload_svg {
        let id = uuid::Uuid::new_v4().to_string();
        diesel::insert_into(icon_uploads::table)
            .values((
                icon_uploads::id.eq(&id),
                icon_uploads::svg.eq(svg),
                icon_uploads::created_at.eq(crate::clock::Timestamp::now()),
            ))
            .execute(conn)?;
        return Ok(Icon::Upload(id));
    }
    if let Icon::Upload(id) = &valid.icon {
        let exists: i64 = icon_uploads::table
            .filter(icon_uploads::id.eq(id))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(BadgeError::Invalid(vec![FieldError::new(
                Field::Icon,
                Rule::Other,
                "refers to an uploaded icon that does not exist",
            )]));
        }
    }
    Ok(valid.icon.clone())
}

fn drop_upload_unless_kept(conn: &mut DbConnection, old: &Icon, kept: &Icon) -> Result<(), Error> {
    if let Icon::Upload(id) = old
        && old != kept
    {
        diesel::delete(icon_uploads::table.find(id)).execute(conn)?;
    }
    Ok(())
}

fn summary(valid: &ValidBadge, icon: &Icon) -> String {
    format!(
        "background {}, text {}, icon {}, permissions {}, self-assignable {}{}",
        valid.background_color,
        valid.text_color,
        if *icon == Icon::None {
            "none".to_string()
        } else {
            icon.canonical()
        },
        if valid.permissions_enabled {
            "on"
        } else {
            "off"
        },
        if valid.self_assignable { "yes" } else { "no" },
        valid.valid_for_days.map_or(String::new(), |days| format!(
            ", valid for {}",
            crate::text::count_of(days as usize, "day", "days")
        )),
    )
}

/// Creates a badge at the end of the display order.
/// `new_upload_svg` is an already sanitised SVG (see [`super::icon::sanitize_svg`]).
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    valid: &ValidBadge,
    new_upload_svg: Option<&str>,
) -> Result<Badge, BadgeError> {
    crate::db::write(conn, |conn| {
        ensure_title_free(conn, valid, None)?;
        let icon = resolve_icon(conn, valid, new_upload_svg)?;
        let slug = free_slug(conn, valid, None)?;
        let last: Option<i32> = badges::table
            .select(diesel::dsl::max(badges::position))
            .first(conn)?;
        let id = BadgeId::new(uuid::Uuid::new_v4().to_string());
        let now = crate::clock::Timestamp::now();
        diesel::insert_into(badges::table)
            .values((
                badges::id.eq(&id),
                badges::title.eq(valid.title.as_str()),
                badges::title_key.eq(valid.title.unique_key()),
                badges::slug.eq(&slug),
                badges::description.eq(&valid.description),
                badges::background_color.eq(valid.background_color.hex()),
                badges::text_color.eq(valid.text_color.hex()),
                badges::icon.eq(icon.canonical()),
                badges::permissions_enabled.eq(valid.permissions_enabled),
                badges::self_assignable.eq(valid.self_assignable),
                badges::valid_for_days.eq(valid.valid_for_days),
                badges::position.eq(last.map_or(0, |p| p + 1)),
                badges::created_at.eq(&now),
                badges::updated_at.eq(&now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "badge.create",
                badge_id: Some(&id),
                target: valid.title.as_str(),
                details: summary(valid, &icon),
                ..Default::default()
            },
        )?;
        let badge = find(conn, &id)?;
        record_event(conn, actor, events::Kind::BadgeCreated, &badge)?;
        Ok(badge)
    })
}

/// Whether a rule gives the badge (`crate::rules`), read straight from its table: the rules
/// build on badges, not the other way round.
pub fn given_by_rule(
    conn: &mut DbConnection,
    badge: crate::db::keys::BadgeKey,
) -> Result<bool, Error> {
    use crate::db::schema::badge_rules;
    Ok(badge_rules::table
        .find(badge)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &BadgeId,
    valid: &ValidBadge,
    new_upload_svg: Option<&str>,
) -> Result<Badge, BadgeError> {
    crate::db::write(conn, |conn| {
        let old = find(conn, id)?;
        ensure_title_free(conn, valid, Some(id))?;
        if valid.self_assignable && !old.self_assignable && given_by_rule(conn, old.key)? {
            return Err(BadgeError::Invalid(vec![FieldError::new(
                Field::SelfAssignable,
                Rule::Other,
                "is not possible while a rule gives this badge: only the rule gives and takes it",
            )]));
        }
        let icon = resolve_icon(conn, valid, new_upload_svg)?;
        drop_upload_unless_kept(conn, &old.icon(), &icon)?;
        let slug = if old.title == valid.title.as_str() {
            old.slug.clone()
        } else {
            free_slug(conn, valid, Some(id))?
        };
        if slug != old.slug {
            remember_slug(conn, &old.slug, old.key)?;
        }
        diesel::update(badges::table.find(id))
            .set((
                badges::title.eq(valid.title.as_str()),
                badges::title_key.eq(valid.title.unique_key()),
                badges::slug.eq(&slug),
                badges::description.eq(&valid.description),
                badges::background_color.eq(valid.background_color.hex()),
                badges::text_color.eq(valid.text_color.hex()),
                badges::icon.eq(icon.canonical()),
                badges::permissions_enabled.eq(valid.permissions_enabled),
                badges::self_assignable.eq(valid.self_assignable),
                badges::valid_for_days.eq(valid.valid_for_days),
                badges::updated_at.eq(crate::clock::Timestamp::now()),
            ))
            .execute(conn)?;
        let renamed = if old.title == valid.title.as_str() {
            String::new()
        } else {
            format!("renamed from \"{}\"; ", old.title)
        };
        audit::record(
            conn,
            actor,
            Change {
                action: "badge.update",
                badge_id: Some(id),
                target: valid.title.as_str(),
                details: format!("{renamed}{}", summary(valid, &icon)),
                ..Default::default()
            },
        )?;
        let badge = find(conn, id)?;
        record_event(conn, actor, events::Kind::BadgeUpdated, &badge)?;
        Ok(badge)
    })
}

/// Whether members are told by mail when they get the badge, a week before it ends and when
/// it has ended (`mail::outbox::queue_badge_mail` and `queue_badges_ending` read it).
pub fn set_tell_members(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &BadgeId,
    tell: bool,
) -> Result<Badge, BadgeError> {
    crate::db::write(conn, |conn| {
        let badge = find(conn, id)?;
        if badge.tell_members == tell {
            return Ok(badge);
        }
        diesel::update(badges::table.find(id))
            .set(badges::tell_members.eq(tell))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "badge.mail",
                badge_id: Some(id),
                target: &badge.title,
                details: if tell {
                    "members who get it are told by mail".to_string()
                } else {
                    "members who get it are no longer told by mail".to_string()
                },
                ..Default::default()
            },
        )?;
        find(conn, id)
    })
}

/// Deletes a badge whose holders were already taken from it, inside the caller's write
/// transaction: its row, its uploaded icon unless kept, the audit entry and the event.
/// `members::assignments::delete_badge` is the one caller: it takes the holders first, so the
/// stored counts stay exact.
pub(crate) fn delete_without_holders(
    conn: &mut DbConnection,
    actor: &Actor,
    old: &Badge,
) -> Result<(), BadgeError> {
    diesel::delete(badges::table.find(&old.id)).execute(conn)?;
    drop_upload_unless_kept(conn, &old.icon(), &Icon::None)?;
    audit::record(
        conn,
        actor,
        Change {
            action: "badge.delete",
            badge_id: Some(&old.id),
            target: &old.title,
            details: format!("held by {} members", old.member_count),
            ..Default::default()
        },
    )?;
    record_event(conn, actor, events::Kind::BadgeDeleted, old)?;
    Ok(())
}

/// Puts the listed badges first, in the given order; the rest keep their relative order
/// after them. With `expected_version`, refuses when the stored order has changed since.
pub fn reorder(
    conn: &mut DbConnection,
    actor: &Actor,
    requested: &[String],
    expected_version: Option<&str>,
) -> Result<Vec<Badge>, BadgeError> {
    crate::db::write(conn, |conn| {
        let current = current_order(conn)?;
        if let Some(expected) = expected_version
            && expected != order_version(current.iter().map(String::as_str))
        {
            return Err(BadgeError::StaleOrder);
        }
        let new_order = merged_order(&current, requested)?;
        write_order(conn, actor, &current, &new_order)?;
        Ok(list_in_order(conn)?)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Moves one badge a place up or down, against the order the admin was looking at.
pub fn move_one(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &BadgeId,
    direction: Direction,
    expected_version: &str,
) -> Result<(), BadgeError> {
    crate::db::write(conn, |conn| {
        let current = current_order(conn)?;
        if expected_version != order_version(current.iter().map(String::as_str)) {
            return Err(BadgeError::StaleOrder);
        }
        let at = current
            .iter()
            .position(|b| id == b)
            .ok_or(BadgeError::NotFound)?;
        let other = match direction {
            Direction::Up => at.checked_sub(1),
            Direction::Down => Some(at + 1).filter(|i| *i < current.len()),
        };
        let Some(other) = other else {
            return Ok(()); // already first or last: nothing to do
        };
        let mut new_order = current.clone();
        new_order.swap(at, other);
        write_order(conn, actor, &current, &new_order)
    })
}

fn merged_order(current: &[String], requested: &[String]) -> Result<Vec<String>, BadgeError> {
    let mut seen = std::collections::HashSet::new();
    for id in requested {
        if !seen.insert(id.as_str()) {
            return Err(BadgeError::BadOrder(format!("badge {id} is listed twice")));
        }
    }
    let known: std::collections::HashSet<&str> = current.iter().map(String::as_str).collect();
    if requested.iter().any(|id| !known.contains(id.as_str())) {
        return Err(BadgeError::NotFound);
    }
    Ok(requested
        .iter()
        .cloned()
        .chain(
            current
                .iter()
                .filter(|id| !seen.contains(id.as_str()))
                .cloned(),
        )
        .collect())
}

fn write_order(
    conn: &mut DbConnection,
    actor: &Actor,
    current: &[String],
    new_order: &[String],
) -> Result<(), BadgeError> {
    if current == new_order {
        return Ok(());
    }
    for (position, id) in new_order.iter().enumerate() {
        let position = i32::try_from(position).map_err(Error::internal)?;
        diesel::update(badges::table.find(id))
            .set(badges::position.eq(position))
            .execute(conn)?;
    }
    audit::record(
        conn,
        actor,
        Change {
            action: "badge.reorder",
            badge_id: None,
            target: "display order",
            details: format!("{} badges reordered", new_order.len()),
            ..Default::default()
        },
    )?;
    Ok(())
}

/// Writes the event of a badge created, changed or deleted, in the change's transaction.
/// Created and updated events carry the badge as the API shows it at that moment.
pub fn record_event(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: events::Kind,
    badge: &Badge,
) -> Result<(), Error> {
    let entity = match kind {
        events::Kind::BadgeCreated | events::Kind::BadgeUpdated => Some(
            serde_json::to_string(&super::wire::BadgeOut::from(badge.clone()))
                .map_err(Error::internal)?,
        ),
        _ => None,
    };
    events::record_badge_change(conn, actor, kind, &badge.id, entity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn listed_badges_come_first_and_the_rest_keep_their_order() {
        let current = ids(&["a", "b", "c", "d"]);
        let merged = merged_order(&current, &ids(&["c", "a"])).ok();
        assert_eq!(merged, Some(ids(&["c", "a", "b", "d"])));
    }

    #[test]
    fn duplicates_and_unknown_ids_are_refused() {
        let current = ids(&["a", "b"]);
        assert!(matches!(
            merged_order(&current, &ids(&["a", "a"])),
            Err(BadgeError::BadOrder(_))
        ));
        assert!(matches!(
            merged_order(&current, &ids(&["z"])),
            Err(BadgeError::NotFound)
        ));
    }

    #[test]
    fn order_version_changes_with_the_order() {
        assert_ne!(order_version(["a", "b"]), order_version(["b", "a"]));
        assert_ne!(order_version(["a", "b"]), order_version(["a", "b", "c"]));
        assert_eq!(order_version(["a", "b"]), order_version(["a", "b"]));
    }
}
