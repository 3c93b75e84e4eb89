//! A badge as stored, and what its stored values mean (its icon, its colours).

use diesel::prelude::*;

use super::color::{self, Color};
use super::fields::Field;
use super::icon::Icon;
use crate::clock::Timestamp;
use crate::db::schema::badges;
use crate::ids::BadgeId;

#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = badges)]
pub struct Badge {
    /// Inside the database only; `id` is the public one.
    pub key: crate::db::keys::BadgeKey,
    pub id: BadgeId,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub background_color: String,
    pub text_color: String,
    pub icon: String,
    pub permissions_enabled: bool,
    pub self_assignable: bool,
    pub position: i32,
    pub member_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How long an assignment lasts, in days; `None`: until it is taken away.
    pub valid_for_days: Option<i32>,
    /// Whether members who get it are told by mail.
    pub tell_members: bool,
}

impl Badge {
    /// The badge's current values as input, for an update that changes only some of them.
    pub fn as_input(&self) -> super::rules::BadgeInput {
        super::rules::BadgeInput {
            title: self.title.clone(),
            description: self.description.clone(),
            background_color: self.background_color.clone(),
            text_color: self.text_color.clone(),
            icon: self.icon.clone(),
            permissions_enabled: self.permissions_enabled,
            self_assignable: self.self_assignable,
            valid_for_days: self
                .valid_for_days
                .map(|days| days.to_string())
                .unwrap_or_default(),
        }
    }

    /// When an assignment given now ends, if the badge is valid for a time.
    pub fn expiry_from(&self, given: Timestamp) -> Option<Timestamp> {
        self.valid_for_days
            .map(|days| given + time::Duration::days(i64::from(days)))
    }

    pub fn icon(&self) -> Icon {
        Icon::from_stored(&self.icon)
    }

    /// Stored colours were validated on the way in; the fallback only guards old rows.
    pub fn background(&self) -> Color {
        Color::parse(
            Field::BackgroundColor,
            &self.background_color,
            color::DEFAULT_BACKGROUND,
        )
        .unwrap_or(color::DEFAULT_BACKGROUND)
    }

    pub fn text(&self) -> Color {
        Color::parse(Field::TextColor, &self.text_color, color::DEFAULT_TEXT)
            .unwrap_or(color::DEFAULT_TEXT)
    }
}
