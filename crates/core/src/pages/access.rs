//! Who may open a page, and why (docs/product.md §5). One indexed query decides a restricted page.

use diesel::prelude::*;

use super::{Access, Page};
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{badge_pages, badges, member_badges, members, pages};
use crate::error::Error;
use crate::ids::{BadgeId, MemberId, PageId};
use crate::members::Member;
use crate::members::validity::in_force;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Allowed,
    /// A visitor: sign in first.
    SignIn,
    /// A member without an unlocking badge; the badges that would unlock it, in display order.
    Denied(Vec<Unlocking>),
}

/// A badge that would open a page, and how a member gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unlocking {
    pub id: String,
    pub title: String,
    pub slug: String,
    pub self_assignable: bool,
    /// Its rule in words, when a rule gives it.
    pub rule: Option<String>,
}

/// Whether `viewer` may open `page`. Admins preview everything (checked by the caller).
pub fn decide(
    conn: &mut DbConnection,
    page: &Page,
    viewer: Option<&Member>,
) -> Result<Decision, Error> {
    match (page.access(), viewer) {
        (Access::Public, _) => Ok(Decision::Allowed),
        (_, None) => Ok(Decision::SignIn),
        (Access::Members, Some(_)) => Ok(Decision::Allowed),
        (Access::Badges, Some(member)) => {
            if holds_unlocking_badge(conn, &page.id, &member.id)? {
                Ok(Decision::Allowed)
            } else {
                let found: Vec<(crate::db::keys::BadgeKey, String, String, String, bool)> =
                    badge_pages::table
                        .inner_join(badges::table.on(badges::key.eq(badge_pages::badge_key)))
                        .inner_join(pages::table.on(pages::key.eq(badge_pages::page_key)))
                        .filter(pages::id.eq(&page.id))
                        .filter(badges::permissions_enabled.eq(true))
                        .order(crate::badges::store::display_order())
                        .select((
                            badges::key,
                            badges::id,
                            badges::title,
                            badges::slug,
                            badges::self_assignable,
                        ))
                        .load(conn)?;
                let mut unlocking = Vec::new();
                for (key, id, title, slug, self_assignable) in found {
                    unlocking.push(Unlocking {
                        rule: crate::rules::store::words(conn, key, true)?,
                        id,
                        title,
                        slug,
                        self_assignable,
                    });
                }
                Ok(Decision::Denied(unlocking))
            }
        }
    }
}

fn holds_unlocking_badge(
    conn: &mut DbConnection,
    page_id: &PageId,
    member_id: &MemberId,
) -> Result<bool, Error> {
    let found: Option<String> = badge_pages::table
        .inner_join(badges::table.on(badges::key.eq(badge_pages::badge_key)))
        .inner_join(pages::table.on(pages::key.eq(badge_pages::page_key)))
        .inner_join(member_badges::table.on(member_badges::badge_key.eq(badge_pages::badge_key)))
        .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
        .filter(pages::id.eq(page_id))
        .filter(members::id.eq(member_id))
        .filter(badges::permissions_enabled.eq(true))
        .filter(in_force(Timestamp::now()))
        .select(badges::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The restricted pages a member can open (for the home page's navigation).
pub fn open_restricted_pages(
    conn: &mut DbConnection,
    member_id: &MemberId,
) -> Result<Vec<Page>, Error> {
    Ok(pages::table
        .filter(pages::access.eq(Access::Badges.as_str()))
        .filter(
            pages::key.eq_any(
                badge_pages::table
                    .inner_join(badges::table.on(badges::key.eq(badge_pages::badge_key)))
                    .inner_join(
                        member_badges::table
                            .on(member_badges::badge_key.eq(badge_pages::badge_key)),
                    )
                    .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
                    .filter(members::id.eq(member_id))
                    .filter(badges::permissions_enabled.eq(true))
                    .filter(in_force(Timestamp::now()))
                    .select(badge_pages::page_key),
            ),
        )
        .order(pages::title.asc())
        .select(Page::as_select())
        .load(conn)?)
}

/// The dashboard's answer to "why can (or can't) this member open this page?".
pub fn explain(conn: &mut DbConnection, page: &Page, member: &Member) -> Result<String, Error> {
    Ok(match page.access() {
        Access::Public => "The page is public: everyone can open it.".to_string(),
        Access::Members => format!(
            "The page is open to every signed-in member, so {} can open it.",
            member.name
        ),
        Access::Badges => {
            let linked = super::unlocking_badges(conn, &page.id)?;
            if linked.is_empty() {
                return Ok("No badge unlocks this page yet, so no member can open it. Link a badge on its Permissions tab.".to_string());
            }
            let held: Vec<BadgeId> = member_badges::table
                .inner_join(members::table.on(members::key.eq(member_badges::member_key)))
                .inner_join(badges::table.on(badges::key.eq(member_badges::badge_key)))
                .filter(members::id.eq(&member.id))
                .filter(badges::id.eq_any(linked.iter().map(|b| b.id.clone()).collect::<Vec<_>>()))
                .select(badges::id)
                .load(conn)?;
            if let Some(granting) = linked
                .iter()
                .find(|b| b.permissions_enabled && held.contains(&b.id))
            {
                return Ok(format!(
                    "{} can open it: they hold “{}”, which unlocks this page.",
                    member.name, granting.title
                ));
            }
            let held_off: Vec<&str> = linked
                .iter()
                .filter(|b| held.contains(&b.id))
                .map(|b| b.title.as_str())
                .collect();
            let names = |list: Vec<&str>| {
                list.iter()
                    .map(|t| format!("“{t}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !held_off.is_empty() {
                format!(
                    "{} cannot open it: they hold {}, linked to this page, but its page permissions are switched off.",
                    member.name,
                    names(held_off)
                )
            } else {
                format!(
                    "{} cannot open it: they hold none of the badges that unlock it ({}).",
                    member.name,
                    names(linked.iter().map(|b| b.title.as_str()).collect())
                )
            }
        }
    })
}
