//! Badges: their rules, colours, icons, display order, and storage. Framework-free; the
//! dashboard and the JSON API both go through here.

pub mod color;
pub mod fields;
pub mod icon;
pub mod model;
pub mod query;
pub mod rules;
pub mod store;
pub mod wire;

pub use color::Color;
pub use fields::{Field, FieldError, Rule};
pub use icon::Icon;
pub use model::Badge;
pub use rules::{BadgeInput, ValidBadge};
pub use store::BadgeError;
