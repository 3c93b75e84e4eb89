//! Content pages and badge permissions (docs/product.md §5): pages are public, for any
//! signed-in member, or restricted to holders of a badge that unlocks them with permissions
//! enabled.

pub mod access;

use diesel::prelude::*;

use crate::audit::{self, Actor, Change};
use crate::badges::Badge;
use crate::clock::Timestamp;
use crate::db::DbConnection;
use crate::db::schema::{badge_pages, badges, pages};
use crate::error::Error;
use crate::ids::{BadgeId, PageId};

pub const TITLE_MAX: usize = 120;
pub const BODY_MAX: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Members,
    Badges,
}

impl Access {
    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "public" => Some(Access::Public),
            "members" => Some(Access::Members),
            "badges" => Some(Access::Badges),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Members => "members",
            Access::Badges => "badges",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Access::Public => "Everyone",
            Access::Members => "Signed-in members",
            Access::Badges => "Holders of unlocking badges",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = pages)]
pub struct Page {
    pub id: PageId,
    pub title: String,
    pub slug: String,
    pub body: String,
    pub access: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Page {
    pub fn access(&self) -> Access {
        Access::parse(&self.access).unwrap_or(Access::Badges)
    }

    /// The body as safe HTML: Markdown rendered, then sanitised (no scripts, event handlers,
    /// `javascript:` links or other raw HTML that could run).
    pub fn html(&self) -> String {
        render_markdown(&self.body)
    }
}

pub fn render_markdown(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(
        markdown,
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH,
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::clean(&html)
}

/// What a page editor submits, as typed.
#[derive(Debug, Clone, Default)]
pub struct PageInput {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub access: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidPage {
    pub title: String,
    /// `None`: derive from the title.
    pub slug: Option<String>,
    pub body: String,
    pub access: Access,
}

impl PageInput {
    /// Every broken rule, keyed by form field name.
    pub fn parse(&self) -> Result<ValidPage, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let title = crate::text::clean_line(&self.title).unwrap_or_else(|reason| {
            errors.push(("title", reason));
            String::new()
        });
        if let Some(blank) = crate::text::blank_line(&title).filter(|_| errors.is_empty()) {
            errors.push(("title", blank.to_string()));
        } else if title.chars().count() > TITLE_MAX {
            errors.push(("title", format!("must be at most {TITLE_MAX} characters")));
        }
        let slug = self.slug.trim();
        let slug_ok = !slug.is_empty()
            && slug.len() <= 80
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if !slug.is_empty() && !slug_ok {
            errors.push((
                "slug",
                "may use only a–z, 0–9 and dashes (not at the ends), up to 80".to_string(),
            ));
        }
        // Control characters (NUL among them, which PostgreSQL cannot store) have no place in
        // Markdown; the body keeps its own spacing, so it is checked, not cleaned.
        if let Some(c) = self
            .body
            .chars()
            .find(|&c| crate::text::refused_in_lines(c))
        {
            errors.push(("body", crate::text::refused(c)));
        } else if self.body.chars().count() > BODY_MAX {
            errors.push(("body", format!("must be at most {BODY_MAX} characters")));
        }
        let access = Access::parse(&self.access);
        if access.is_none() {
            errors.push(("access", "must be public, members or badges".to_string()));
        }
        match access {
            Some(access) if errors.is_empty() => Ok(ValidPage {
                title,
                slug: (!slug.is_empty()).then(|| slug.to_string()),
                body: self.body.clone(),
                access,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("invalid page")]
    Invalid(Vec<(&'static str, String)>),
    #[error("page not found")]
    NotFound,
    #[error(transparent)]
    App(#[from] Error),
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => PageError::NotFound,
            other => PageError::App(other.into()),
        }
    }
}

impl From<PageError> for Error {
    fn from(e: PageError) -> Self {
        match e {
            PageError::NotFound => Error::NotFound,
            PageError::Invalid(list) => Error::Invalid(
                list.iter()
                    .map(|(f, m)| format!("{f} {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            PageError::App(app) => app,
        }
    }
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Page>, Error> {
    Ok(pages::table
        .select(Page::as_select())
        .order(pages::title.asc())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &PageId) -> Result<Page, PageError> {
    Ok(pages::table
        .find(id)
        .select(Page::as_select())
        .first(conn)?)
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Page, PageError> {
    Ok(pages::table
        .filter(pages::slug.eq(slug))
        .select(Page::as_select())
        .first(conn)?)
}

/// The chosen slug must be free; a derived one gets `-2`, `-3`, … when taken.
fn slug_for(
    conn: &mut DbConnection,
    valid: &ValidPage,
    except: Option<&PageId>,
) -> Result<String, PageError> {
    let owner_of = |conn: &mut DbConnection, slug: &str| -> Result<Option<PageId>, PageError> {
        Ok(pages::table
            .filter(pages::slug.eq(slug))
            .select(pages::id)
            .first::<PageId>(conn)
            .optional()?
            .filter(|id| Some(id) != except))
    };
    if let Some(slug) = &valid.slug {
        return match owner_of(conn, slug)? {
            Some(_) => Err(PageError::Invalid(vec![(
                "slug",
                "is used by another page".to_string(),
            )])),
            None => Ok(slug.clone()),
        };
    }
    let base = crate::slug::slugify(&valid.title, "page");
    Ok(crate::slug::free_in(
        conn,
        crate::slug::SlugTable::Pages,
        &base,
        except.map(PageId::as_str),
    )?)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    valid: &ValidPage,
) -> Result<Page, PageError> {
    crate::db::write(conn, |conn| {
        let id = PageId::new(uuid::Uuid::new_v4().to_string());
        let now = crate::clock::Timestamp::now();
        let slug = slug_for(conn, valid, None)?;
        diesel::insert_into(pages::table)
            .values((
                pages::id.eq(&id),
                pages::title.eq(&valid.title),
                pages::slug.eq(&slug),
                pages::body.eq(&valid.body),
                pages::access.eq(valid.access.as_str()),
                pages::created_at.eq(&now),
                pages::updated_at.eq(&now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "page.create",
                target: &valid.title,
                details: format!("/pages/{slug}, access {}", valid.access.as_str()),
                ..Default::default()
            },
        )?;
        find(conn, &id)
    })
}

pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &PageId,
    valid: &ValidPage,
) -> Result<Page, PageError> {
    crate::db::write(conn, |conn| {
        let old = find(conn, id)?;
        let slug = match &valid.slug {
            None if old.title == valid.title => old.slug.clone(),
            _ => slug_for(conn, valid, Some(id))?,
        };
        diesel::update(pages::table.find(id))
            .set((
                pages::title.eq(&valid.title),
                pages::slug.eq(&slug),
                pages::body.eq(&valid.body),
                pages::access.eq(valid.access.as_str()),
                pages::updated_at.eq(crate::clock::Timestamp::now()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "page.update",
                target: &valid.title,
                details: format!("/pages/{slug}, access {}", valid.access.as_str()),
                ..Default::default()
            },
        )?;
        find(conn, id)
    })
}

pub fn delete(conn: &mut DbConnection, actor: &Actor, id: &PageId) -> Result<Page, PageError> {
    crate::db::write(conn, |conn| {
        let old = find(conn, id)?;
        diesel::delete(pages::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "page.delete",
                target: &old.title,
                details: format!("/pages/{}", old.slug),
                ..Default::default()
            },
        )?;
        Ok(old)
    })
}

/// The pages a badge unlocks.
pub fn unlocked_by(conn: &mut DbConnection, badge_id: &BadgeId) -> Result<Vec<PageId>, Error> {
    Ok(badge_pages::table
        .inner_join(badges::table.on(badges::key.eq(badge_pages::badge_key)))
        .inner_join(pages::table.on(pages::key.eq(badge_pages::page_key)))
        .filter(badges::id.eq(badge_id))
        .select(pages::id)
        .load(conn)?)
}

/// The badges linked to a page, in display order.
pub fn unlocking_badges(conn: &mut DbConnection, page_id: &PageId) -> Result<Vec<Badge>, Error> {
    Ok(badge_pages::table
        .inner_join(badges::table.on(badges::key.eq(badge_pages::badge_key)))
        .inner_join(pages::table.on(pages::key.eq(badge_pages::page_key)))
        .filter(pages::id.eq(page_id))
        .order(crate::badges::store::display_order())
        .select(Badge::as_select())
        .load(conn)?)
}

/// The ids of pages restricted to badge holders that no badge opens: none is linked with its
/// permissions on, so nobody can open them.
pub fn closed_to_everyone(conn: &mut DbConnection) -> Result<Vec<PageId>, Error> {
    let opened = badge_pages::table
        .inner_join(badges::table.on(badges::key.eq(badge_pages::badge_key)))
        .filter(badges::permissions_enabled.eq(true))
        .select(badge_pages::page_key);
    Ok(pages::table
        .filter(pages::access.eq(Access::Badges.as_str()))
        .filter(pages::key.ne_all(opened))
        .select(pages::id)
        .load(conn)?)
}

/// From the page editor: exactly the badges in `badge_ids` open the page (when it is for badge
/// holders; otherwise nothing changes). Each of them is
/// linked and gets its page permissions turned on if they were off; a linked badge left out
/// is unlinked, unless its permissions are off (then it opens nothing anyway and is left as
/// the badge's own Permissions tab set it). One transaction; audited as one change.
pub fn set_unlocking_badges(
    conn: &mut DbConnection,
    actor: &Actor,
    page_id: &PageId,
    badge_ids: &[BadgeId],
) -> Result<(), PageError> {
    crate::db::write(conn, |conn| {
        let page = find(conn, page_id)?;
        let page_key: i64 = pages::table.find(page_id).select(pages::key).first(conn)?;
        let wanted: Vec<Badge> = badges::table
            .filter(badges::id.eq_any(badge_ids))
            .select(Badge::as_select())
            .load(conn)?;
        let distinct: std::collections::HashSet<&BadgeId> = badge_ids.iter().collect();
        if wanted.len() != distinct.len() {
            return Err(PageError::Invalid(vec![(
                "unlock_badge_id",
                "names a badge that no longer exists; reload the page".to_string(),
            )]));
        }
        // Badges only matter for a page for badge holders; for any other page the ticks are
        // left as they were, ready if the page is restricted again.
        if page.access() != Access::Badges {
            return Ok(());
        }
        if let Some(open) = wanted.iter().find(|b| b.self_assignable) {
            return Err(PageError::Invalid(vec![(
                "unlock_badge_id",
                format!(
                    "cannot include “{}”: members add it themselves, so anyone could open the page",
                    open.title
                ),
            )]));
        }
        let linked = unlocking_badges(conn, page_id)?;
        let unlink: Vec<_> = linked
            .iter()
            .filter(|b| b.permissions_enabled && !distinct.contains(&b.id))
            .map(|b| b.key)
            .collect();
        diesel::delete(
            badge_pages::table
                .filter(badge_pages::page_key.eq(page_key))
                .filter(badge_pages::badge_key.eq_any(&unlink)),
        )
        .execute(conn)?;
        // A handful of badges at most: one row each (the shared connection type has no
        // multi-row insert).
        let link: Vec<&Badge> = wanted
            .iter()
            .filter(|b| !linked.iter().any(|l| l.id == b.id))
            .collect();
        for badge in &link {
            diesel::insert_into(badge_pages::table)
                .values((
                    badge_pages::badge_key.eq(badge.key),
                    badge_pages::page_key.eq(page_key),
                ))
                .execute(conn)?;
        }
        let switched: Vec<&Badge> = wanted.iter().filter(|b| !b.permissions_enabled).collect();
        for badge in &switched {
            diesel::update(badges::table.find(&badge.id))
                .set((
                    badges::permissions_enabled.eq(true),
                    badges::updated_at.eq(crate::clock::Timestamp::now()),
                ))
                .execute(conn)?;
            let now = crate::badges::store::find(conn, &badge.id).map_err(Error::from)?;
            crate::badges::store::record_event(
                conn,
                actor,
                crate::events::Kind::BadgeUpdated,
                &now,
            )?;
        }
        if link.is_empty() && unlink.is_empty() && switched.is_empty() {
            return Ok(());
        }
        let mut titles: Vec<&str> = wanted.iter().map(|b| b.title.as_str()).collect();
        titles.sort_unstable();
        let mut details = if titles.is_empty() {
            "no badge opens it".to_string()
        } else {
            format!("opened by {}", titles.join(", "))
        };
        if !switched.is_empty() {
            let names: Vec<&str> = switched.iter().map(|b| b.title.as_str()).collect();
            details.push_str(&format!(
                "; page permissions turned on for {}",
                names.join(", ")
            ));
        }
        audit::record(
            conn,
            actor,
            Change {
                action: "page.unlocks",
                target: &page.title,
                details,
                ..Default::default()
            },
        )?;
        Ok(())
    })
}

/// The pages a badge unlocks (when its permissions are on), by title, for its public page.
pub fn titles_unlocked_by(
    conn: &mut DbConnection,
    badge: crate::db::keys::BadgeKey,
) -> Result<Vec<(String, String)>, Error> {
    Ok(badge_pages::table
        .inner_join(pages::table.on(pages::key.eq(badge_pages::page_key)))
        .filter(badge_pages::badge_key.eq(badge))
        .order(pages::title)
        .select((pages::title, pages::slug))
        .load(conn)?)
}

/// Sets a badge's Permissions tab: the switch and the restricted pages it unlocks.
/// A self-assignable badge cannot grant permissions (anyone could open the pages).
pub fn set_permissions(
    conn: &mut DbConnection,
    actor: &Actor,
    badge_id: &BadgeId,
    enabled: bool,
    page_ids: &[PageId],
) -> Result<(), PageError> {
    crate::db::write(conn, |conn| {
        let badge = crate::badges::store::find(conn, badge_id).map_err(|e| match e {
            crate::badges::BadgeError::NotFound => PageError::NotFound,
            other => PageError::App(other.into()),
        })?;
        if let Err(broken) =
            crate::badges::rules::check_access_flags(enabled, badge.self_assignable)
        {
            return Err(PageError::Invalid(vec![(
                "permissions_enabled",
                broken.message,
            )]));
        }
        let restricted: Vec<PageId> = pages::table
            .filter(pages::id.eq_any(page_ids))
            .filter(pages::access.eq(Access::Badges.as_str()))
            .select(pages::id)
            .load(conn)?;
        if restricted.len()
            != page_ids
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len()
        {
            return Err(PageError::Invalid(vec![(
                "page_id",
                "only existing pages restricted to badge holders can be unlocked".to_string(),
            )]));
        }
        diesel::update(badges::table.find(badge_id))
            .set((
                badges::permissions_enabled.eq(enabled),
                badges::updated_at.eq(crate::clock::Timestamp::now()),
            ))
            .execute(conn)?;
        diesel::delete(badge_pages::table.filter(badge_pages::badge_key.eq(badge.key)))
            .execute(conn)?;
        let unlocked = pages::table.filter(pages::id.eq_any(&restricted)).select((
            badge.key.into_sql::<diesel::sql_types::BigInt>(),
            pages::key,
        ));
        diesel::insert_into(badge_pages::table)
            .values(unlocked)
            .into_columns((badge_pages::badge_key, badge_pages::page_key))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            Change {
                action: "badge.permissions",
                badge_id: Some(badge_id),
                target: &badge.title,
                details: format!(
                    "permissions {}, unlocks {}",
                    if enabled { "on" } else { "off" },
                    crate::text::count_of(restricted.len(), "page", "pages")
                ),
                ..Default::default()
            },
        )?;
        if badge.permissions_enabled != enabled {
            let now = crate::badges::store::find(conn, badge_id).map_err(Error::from)?;
            crate::badges::store::record_event(
                conn,
                actor,
                crate::events::Kind::BadgeUpdated,
                &now,
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_comes_out_harmless() {
        let html = render_markdown(
            "# Hi\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n<iframe src=\"https://evil.example\"></iframe>\n\n**bold** [ok](https://example.com)",
        );
        assert!(html.contains("<h1>Hi</h1>"));
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("href=\"https://example.com\""));
        for gone in ["<script", "javascript:", "onerror", "<iframe", "alert(1)"] {
            assert!(!html.contains(gone), "{gone} survived in {html}");
        }
    }

    #[test]
    fn page_input_reports_every_broken_rule() {
        let bad = PageInput {
            title: " ".into(),
            slug: "Not OK".into(),
            body: "x".repeat(BODY_MAX + 1),
            access: "secret".into(),
        };
        let fields: Vec<&str> = bad.parse().unwrap_err().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["title", "slug", "body", "access"]);
        let good = PageInput {
            title: "Lounge".into(),
            slug: "".into(),
            body: "Hi".into(),
            access: "badges".into(),
        };
        assert_eq!(good.parse().map(|p| p.access), Ok(Access::Badges));
    }
}
