//! What the shared page frame (`base.html`) needs: CSRF token, flash, and the admin bar
//! with the elevation state.

use actix_session::Session;

use super::session::{self, Flash};
use insignia_core::auth::sessions::AdminSession;

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
    pub title: String,
    pub csrf_token: String,
    pub flash: Option<Flash>,
    pub admin: Option<AdminBar>,
    pub member: Option<MemberBar>,
    /// Whether the header offers "Sign up".
    pub signups_open: bool,
    /// The current path, for the "next" of elevate links and active navigation.
    pub path: String,
}

impl Layout {
    pub fn new(
        session: &Session,
        admin: Option<&AdminSession>,
        title: impl Into<String>,
        path: &str,
    ) -> Layout {
        Layout {
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
