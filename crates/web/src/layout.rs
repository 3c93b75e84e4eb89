//! What the shared page frame (`base.html`) needs: the site's name, CSRF token, flash, and
//! the admin bar with the elevation state.

use std::sync::Arc;

use actix_session::Session;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use super::session::{self, Flash};
use crate::state::AppState;
use insignia_core::auth::sessions::AdminSession;
use insignia_core::identity::Identity;

tokio::task_local! {
    /// The site's name and description while a request is answered: every page's frame shows
    /// them, and reading them here spares each of the many page handlers a parameter.
    static SITE: Arc<Identity>;
}

/// Makes the site's identity (as the cache has it) known to the pages of this request.
pub async fn with_site_identity(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let identity = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.identity.current())
        .unwrap_or_default();
    SITE.scope(identity, next.call(req)).await
}

/// The site's identity for the page being drawn (the defaults outside a request).
pub fn site_identity() -> Arc<Identity> {
    SITE.try_with(Arc::clone).unwrap_or_default()
}

pub struct AdminBar {
    pub email: String,
    /// Seconds of elevation left; `None` when not elevated.
    pub elevation_left: Option<i64>,
}

impl AdminBar {
    /// "14 min" / "45 s", for the elevation badge in the header.
    pub fn elevation_text(&self) -> String {
        match self.elevation_left {
            Some(s) if s >= 60 => format!("{} min", (s + 59) / 60),
            Some(s) => format!("{s} s"),
            None => String::new(),
        }
    }
}

/// The signed-in member, for the site header.
pub struct MemberBar {
    pub name: String,
    pub slug: String,
    /// Badges given since they last opened `/me`.
    pub new_badges: i64,
}

impl MemberBar {
    pub fn of(member: &insignia_core::members::Member, new_badges: i64) -> MemberBar {
        MemberBar {
            name: member.name.clone(),
            slug: member.slug.clone(),
            new_badges,
        }
    }
}

pub struct Layout {
    /// The site's name and description.
    pub site: Arc<Identity>,
    pub title: String,
    pub csrf_token: String,
    pub flash: Option<Flash>,
    pub admin: Option<AdminBar>,
    pub member: Option<MemberBar>,
    /// Whether the header offers "Sign up".
    pub signups_open: bool,
    /// The current path, for the "next" of elevate links and active navigation.
    pub path: String,
    /// What a link to this page shows where it is shared (profiles and badge pages).
    pub open_graph: Option<OpenGraph>,
}

/// Open Graph tags: the preview a shared link shows (`og:` in `base.html`).
pub struct OpenGraph {
    pub title: String,
    pub description: String,
    /// The page's absolute address.
    pub url: String,
    /// `profile` or `website`.
    pub kind: &'static str,
}

impl Layout {
    pub fn new(
        session: &Session,
        admin: Option<&AdminSession>,
        title: impl Into<String>,
        path: &str,
    ) -> Layout {
        Layout {
            site: site_identity(),
            title: title.into(),
            csrf_token: session::csrf_token(session),
            flash: session::take_flash(session),
            admin: admin.map(|a| AdminBar {
                email: a.email.clone(),
                elevation_left: a.elevation_left(),
            }),
            member: None,
            signups_open: false,
            path: path.to_string(),
            open_graph: None,
        }
    }

    /// A page of the public site, which shows who is signed in as a member.
    pub fn site(
        session: &Session,
        settings: &crate::config::Settings,
        member: Option<MemberBar>,
        title: impl Into<String>,
        path: &str,
    ) -> Layout {
        let mut layout = Layout::new(session, None, title, path);
        layout.signups_open = settings.signups_open;
        layout.member = member;
        layout
    }

    /// The page's `<title>`: the page, then the site ("Gold · Makers Guild"); the home page is
    /// the site's name alone.
    pub fn page_title(&self) -> String {
        if self.title.is_empty() || self.title == self.site.name {
            self.site.name.clone()
        } else {
            format!("{} · {}", self.title, self.site.name)
        }
    }

    /// Adds the Open Graph tags of a page shared as a link.
    pub fn with_open_graph(mut self, open_graph: OpenGraph) -> Layout {
        self.open_graph = Some(open_graph);
        self
    }

    /// True on public-site pages, whose header offers member sign-in.
    pub fn is_site(&self) -> bool {
        !self.path.starts_with("/dashboard")
    }

    /// "active" for the navigation link of the section this page is in (whole path segments:
    /// `/me` is not active on `/members`).
    pub fn nav_class(&self, prefix: &str) -> &'static str {
        let inside = self.path == prefix
            || self
                .path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'));
        if inside { "active" } else { "" }
    }
}
