//! The page that asks before something that cannot be undone: deleting a badge, a member or
//! a page, removing an admin, revoking an API key. One shape (`dashboard/confirm.html`): a
//! question, what will happen, the button that does it and a way back.

use askama::Template;

use crate::layout::Layout;
use crate::views::BadgeView;

/// A piece of the text saying what will happen.
pub enum Words {
    Text(String),
    Strong(String),
    Code(String),
}

#[derive(Template)]
#[template(path = "dashboard/confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    /// The question.
    pub heading: String,
    /// A class for the heading (`admin-email`: a long address may break anywhere).
    pub heading_class: Option<&'static str>,
    /// The badge the question is about, drawn under it.
    pub badge: Option<BadgeView>,
    pub what_happens: Vec<Words>,
    /// Where the button posts (with the CSRF token).
    pub action: String,
    pub button: String,
    /// The way back, and its words.
    pub cancel_href: String,
    pub cancel_label: &'static str,
}
