//! Badges: their rules, colours, icons, display order, and storage. Framework-free; the
//! dashboard and the JSON API both go through here.

pub mod color;
pub mod icon;
pub mod query;
pub mod rules;
pub mod store;
pub mod wire;

pub use color::Color;
pub use icon::Icon;
pub use rules::{BadgeInput, Field, FieldError, Rule, ValidBadge};
pub use store::{Badge, BadgeError};
