//! A badge as programs see it: the JSON shape of the Wix Members Badges v3 wire format, used
//! by the API's answers and by the events sent to webhooks.

use schemars::JsonSchema;
use serde::Serialize;

use super::Badge;

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BadgeOut {
    pub id: String,
    pub title: String,
    pub description: String,
    /// `#RRGGBB`, uppercase.
    pub background_color: String,
    pub text_color: String,
    /// A built-in icon (`/static/icons/<name>.svg`), an uploaded one (`/icons/<id>.svg`),
    /// an http(s) URL, or empty.
    pub icon: String,
    pub permissions_enabled: bool,
    /// Insignia's extra: members may add or remove this badge themselves.
    pub self_assignable: bool,
    pub slug: String,
    /// RFC 3339 UTC with milliseconds.
    pub created_date: String,
    pub updated_date: String,
}

impl From<Badge> for BadgeOut {
    fn from(b: Badge) -> Self {
        BadgeOut {
            id: b.id.into_string(),
            title: b.title,
            description: b.description,
            background_color: b.background_color,
            text_color: b.text_color,
            icon: b.icon,
            permissions_enabled: b.permissions_enabled,
            self_assignable: b.self_assignable,
            slug: b.slug,
            created_date: b.created_at.to_string(),
            updated_date: b.updated_at.to_string(),
        }
    }
}
