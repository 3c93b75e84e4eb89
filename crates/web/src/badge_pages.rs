//! The public badge catalogue (`/badges`) and a page per badge (`/badges/{slug}`): what it
//! means, how many hold it, what it unlocks, and who holds it, newest first.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use askama::Template;
use insignia_core::clock;
use serde::Deserialize;

use super::extract::MaybeMember;
use super::layout::{Layout, OpenGraph};
use super::routes::Routes;
use super::views::{BadgeView, grouped};
use super::{AppState, render};
use crate::blocking;
use crate::error::AppError;
use crate::paging::{TimeCursor, page_of};
use insignia_core::badges::Badge;
use insignia_core::badges::store::{self as badge_store, BySlug};
use insignia_core::members::profile::Audience;
use insignia_core::members::search;

/// Holders shown per page.
const HOLDERS_PAGE: i64 = 50;

pub fn configure(routes: &mut Routes) {
    routes
        .at("/badges", |p| p.get(catalogue))
        .at("/badges/{slug}", |p| p.get(show));
}

pub struct CatalogueEntry {
    pub view: BadgeView,
    pub badge: Badge,
}

#[derive(Template)]
#[template(path = "site/badges.html")]
struct CataloguePage {
    layout: Layout,
    entries: Vec<CatalogueEntry>,
}

impl CataloguePage {
    fn held_by(&self, n: &i64) -> String {
        held_by(*n)
    }
}

fn held_by(n: i64) -> String {
    match n {
        0 => "No one holds it yet".to_string(),
        1 => "Held by 1 member".to_string(),
        n => format!("Held by {} members", grouped(n.max(0) as usize)),
    }
}

/// Every badge in display order.
async fn catalogue(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let badges = blocking::run(&state.pool, |conn| Ok(badge_store::list_in_order(conn)?)).await?;
    render(&CataloguePage {
        layout: Layout::site(
            &session,
            &state.settings,
            member.bar(),
            "Badges",
            req.path(),
        ),
        entries: badges
            .into_iter()
            .map(|badge| CatalogueEntry {
                view: BadgeView::from(&badge),
                badge,
            })
            .collect(),
    })
}

pub struct HolderEntry {
    pub name: String,
    pub slug: String,
    /// RFC 3339, for `<time datetime>`.
    pub since: String,
    pub since_text: String,
}

#[derive(Template)]
#[template(path = "site/badge.html")]
struct BadgePage {
    layout: Layout,
    badge: Badge,
    view: BadgeView,
    holders: Vec<HolderEntry>,
    /// The address of the next (older) page of holders.
    older: Option<String>,
    first_page: bool,
    /// Pages the badge unlocks: titles only for a viewer who may open them (a holder).
    unlocks: Vec<(String, String)>,
    show_unlocked_titles: bool,
    /// The viewer is a member who holds it / may add it.
    holds: bool,
    can_add: bool,
    csrf_token: String,
    /// How it is earned, if a rule gives it (without the e-mail domains that count).
    earned: Option<String>,
}

impl BadgePage {
    fn held_by(&self) -> String {
        held_by(self.badge.member_count)
    }

    fn unlocks_text(&self) -> String {
        match self.unlocks.len() {
            1 => "Unlocks 1 members-only page".to_string(),
            n => format!("Unlocks {} members-only pages", grouped(n)),
        }
    }
}

#[derive(Deserialize)]
pub struct HoldersQuery {
    /// `<assigned_at>.<member key>` of the last holder shown.
    before: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    session: Session,
    viewer: MaybeMember,
    path: web::Path<String>,
    query: web::Query<HoldersQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let after = match query.before.as_deref() {
        None => None,
        Some(text) => Some(
            TimeCursor::parse(text)
                .map(|c| (c.at_millis, c.key))
                .ok_or_else(|| {
                    AppError::BadRequest("That page of holders does not exist.".to_string())
                })?,
        ),
    };
    let viewer_id = viewer.0.as_ref().map(|m| m.id.clone());
    let found = blocking::run(&state.pool, move |conn| {
        let badge = match badge_store::find_by_slug(conn, &slug)? {
            BySlug::Found(badge) => *badge,
            BySlug::MovedTo(slug) => return Ok(Err(slug)),
        };
        let holders = search::holders(
            conn,
            Audience::Public,
            &badge.id,
            "",
            after,
            HOLDERS_PAGE + 1,
        )?;
        let unlocks = if badge.permissions_enabled {
            insignia_core::pages::titles_unlocked_by(conn, badge.key)?
        } else {
            Vec::new()
        };
        let holds = match viewer_id {
            Some(id) => !insignia_core::members::assignments::holding_any(conn, &badge.id, &[id])?
                .is_empty(),
            None => false,
        };
        let earned = insignia_core::rules::store::words(conn, badge.key, true)?;
        Ok(Ok((badge, holders, unlocks, holds, earned)))
    })
    .await?;
    let (badge, holders, unlocks, holds, earned) = match found {
        Ok(found) => found,
        Err(new_slug) => {
            return Ok(HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, format!("/badges/{new_slug}")))
                .finish());
        }
    };
    let (holders, more) = page_of(holders, HOLDERS_PAGE as usize);
    let older = holders.last().filter(|_| more).map(|h| {
        let cursor = TimeCursor {
            at_millis: h.at_millis,
            key: h.member_key,
        };
        format!("/badges/{}?before={cursor}", badge.slug)
    });
    let holders = holders
        .into_iter()
        .map(|h| {
            let since = clock::Timestamp::from_millis(h.at_millis);
            HolderEntry {
                name: h.member.name,
                slug: h.member.slug,
                since_text: crate::views::short_time(since),
                since: since.to_string(),
            }
        })
        .collect();
    let open_graph = OpenGraph {
        title: badge.title.clone(),
        description: if badge.description.is_empty() {
            format!(
                "A badge of {}, held by {}.",
                crate::layout::site_identity().name,
                crate::views::count_of(badge.member_count.max(0) as usize, "member", "members")
            )
        } else {
            badge.description.clone()
        },
        url: state.public_url.join(&format!("/badges/{}", badge.slug)),
        kind: "website",
    };
    render(&BadgePage {
        layout: Layout::site(
            &session,
            &state.settings,
            viewer.bar(),
            badge.title.clone(),
            req.path(),
        )
        .with_open_graph(open_graph),
        view: BadgeView::from(&badge),
        holders,
        older,
        first_page: after.is_none(),
        show_unlocked_titles: holds,
        unlocks,
        can_add: viewer.0.is_some() && badge.self_assignable && !holds,
        holds,
        csrf_token: crate::session::csrf_token(&session),
        earned,
        badge,
    })
}
