//! `insignia demo`: a living site for a first look.

use crate::audit::Actor;
use crate::auth::{admins, sessions::random_token};
use crate::badges::{BadgeError, BadgeInput, store};
use crate::db::DbPool;
use crate::error::AppError;

const DEMO_ADMIN: &str = "admin@example.com";

/// (title, description, background, text, icon)
const BADGES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Founding Member",
        "Joined in the first month and helped shape the community.",
        "#1F2A44",
        "#F5C542",
        "crown",
    ),
    (
        "Top Contributor",
        "Among the ten most helpful members this year.",
        "#7C3AED",
        "#FFFFFF",
        "trophy",
    ),
    (
        "Verified Expert",
        "Expertise checked by the moderators.",
        "#0E7490",
        "#FFFFFF",
        "badge-check",
    ),
    (
        "Rising Star",
        "Made a big impression in their first three months.",
        "#F59E0B",
        "#111827",
        "star",
    ),
    (
        "Bug Hunter",
        "Reported a bug that got fixed.",
        "#B91C1C",
        "#FFFFFF",
        "bug",
    ),
    (
        "Mentor",
        "Guides newcomers and answers their questions.",
        "#047857",
        "#FFFFFF",
        "graduation-cap",
    ),
    (
        "Event Host",
        "Organised a community meetup or online event.",
        "#DB2777",
        "#FFFFFF",
        "sparkles",
    ),
    (
        "Photographer",
        "Shares photos that make the community shine.",
        "#111827",
        "#F9FAFB",
        "camera",
    ),
    (
        "Green Thumb",
        "Looks after the community garden project.",
        "#65A30D",
        "#0B1F05",
        "leaf",
    ),
    (
        "Night Owl",
        "Most active after midnight.",
        "#312E81",
        "#E0E7FF",
        "moon",
    ),
    (
        "Coffee Club",
        "Regular at the Friday coffee chat.",
        "#78350F",
        "#FDE68A",
        "coffee",
    ),
    (
        "Open Source Hero",
        "Contributed code to the community's projects.",
        "#0F172A",
        "#38BDF8",
        "code",
    ),
    (
        "Supporter",
        "Supports the community with a membership.",
        "#E11D48",
        "#FFFFFF",
        "heart",
    ),
];

pub fn fill(pool: &DbPool) -> Result<String, AppError> {
    let mut conn = pool.get().map_err(AppError::internal)?;
    let mut report = Vec::new();
    if admins::find_by_email(&mut conn, DEMO_ADMIN)?.is_none() {
        let password = random_token()[..16].to_string();
        admins::create(&mut conn, DEMO_ADMIN, &password, false)?
            .map_err(|e| AppError::internal(format!("{e:?}")))?;
        report.push(format!(
            "Sign in at /dashboard/login as {DEMO_ADMIN} with password {password}"
        ));
    } else {
        report.push(format!(
            "Sign in at /dashboard/login as {DEMO_ADMIN} (the password printed when it was created)"
        ));
    }
    let actor = Actor::system();
    let mut created = 0;
    for (title, description, background, text, icon) in BADGES {
        let input = BadgeInput {
            title: title.to_string(),
            description: description.to_string(),
            background_color: background.to_string(),
            text_color: text.to_string(),
            icon: icon.to_string(),
            ..BadgeInput::default()
        };
        let valid = input
            .parse()
            .map_err(|e| AppError::internal(format!("demo badge {title} is invalid: {e:?}")))?;
        match store::create(&mut conn, &actor, &valid, None) {
            Ok(_) => created += 1,
            Err(BadgeError::DuplicateTitle) => {}
            Err(e) => return Err(e.into()),
        }
    }
    report.insert(0, format!("Demo site ready: {created} badges created."));
    Ok(report.join("\n"))
}
