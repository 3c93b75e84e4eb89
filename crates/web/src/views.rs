//! View models shared by several pages.

use insignia_core::badges::{Badge, Icon, color, icon};
use insignia_core::clock::Timestamp;

/// Everything the one badge partial (`partials/badge.html`) draws.
#[derive(Debug, Clone)]
pub struct BadgeView {
    pub title: String,
    /// Its public page is `/badges/{slug}`.
    pub slug: String,
    pub description: String,
    /// Validated `#RRGGBB`, safe inside CSS.
    pub background: String,
    pub text: String,
    /// Trusted markup of a built-in icon: a reference into the icon sprite.
    pub icon_svg: Option<&'static str>,
    /// Address of an uploaded or external icon, drawn with `<img>`.
    pub icon_src: Option<String>,
}

impl BadgeView {
    pub fn new(
        title: &str,
        description: &str,
        background: color::Color,
        text: color::Color,
        icon: &Icon,
    ) -> Self {
        let (icon_svg, icon_src) = match icon {
            Icon::None => (None, None),
            Icon::Builtin(name) => (icon::builtin_use(name), None),
            // Drawn in the badge's text colour (`currentColor`), as built-in icons are.
            Icon::Upload(_) => (
                None,
                Some(format!(
                    "{}?color={}",
                    icon.canonical(),
                    text.hex().trim_start_matches('#')
                )),
            ),
            Icon::Url(_) => (None, Some(icon.canonical())),
        };
        BadgeView {
            title: title.to_string(),
            slug: String::new(),
            description: description.to_string(),
            background: background.hex(),
            text: text.hex(),
            icon_svg,
            icon_src,
        }
    }
}

impl From<&Badge> for BadgeView {
    fn from(b: &Badge) -> Self {
        BadgeView {
            slug: b.slug.clone(),
            ..BadgeView::new(
                &b.title,
                &b.description,
                b.background(),
                b.text(),
                &b.icon(),
            )
        }
    }
}

pub use insignia_core::text::{count_of, grouped};

/// "2026-11-28 09:15 UTC" from a stored timestamp.
/// A day as people write it: "12 March 2027" (UTC).
pub fn long_day(at: Timestamp) -> String {
    at.long_day()
}

/// When a badge valid for a time ends: as stored (RFC 3339) and as shown.
pub fn until(expires_at: Option<Timestamp>) -> Option<(String, String)> {
    expires_at.map(|at| (at.to_string(), long_day(at)))
}

pub fn short_time(at: Timestamp) -> String {
    let t = at.to_time();
    format!("{} {:02}:{:02} UTC", at.date(), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(50_000), "50,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(count_of(1, "member", "members"), "1 member");
        assert_eq!(count_of(0, "member", "members"), "0 members");
        assert_eq!(count_of(2500, "badge", "badges"), "2,500 badges");
    }
}
