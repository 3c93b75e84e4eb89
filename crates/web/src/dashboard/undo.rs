//! Undoing a kept change from the dashboard: a bulk change or "remove all" from its report,
//! a removal from the "Undo" beside its message (see `insignia_core::members::undo`).

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::{self, HtmlForm};
use crate::respond::see_other;
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use crate::views::count_of as grouped_count;
use insignia_core::error::Error;
use insignia_core::members::undo;

/// The "Undo" beside a message: undoes the kept `changes`, then comes back to `back`.
pub fn undo_button(changes: &[String], back: &str) -> cookie::Undo {
    let mut fields: Vec<(String, String)> = changes
        .iter()
        .map(|c| ("change".to_string(), c.clone()))
        .collect();
    fields.push(("back".to_string(), back.to_string()));
    cookie::Undo {
        action: "/dashboard/undo".to_string(),
        fields,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UndoForm {
    change: Vec<String>,
    /// Where to come back to: a dashboard address.
    #[serde(deserialize_with = "forms::first")]
    back: String,
}

/// Undoes kept changes (see `insignia_core::members::undo`): a bulk change or "remove all"
/// from its report, a removal from the message beside it.
pub async fn undo(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<UndoForm>,
) -> Result<HttpResponse, AppError> {
    let UndoForm { change, back } = form.into_inner();
    // Only an address of the dashboard's own: the field could be anything.
    let back = if back.starts_with("/dashboard/")
        && !back.contains("//")
        && !back.contains('\\')
        && !back.chars().any(char::is_control)
    {
        back
    } else {
        "/dashboard/badges".to_string()
    };
    admin.require_elevation(&back)?;
    if change.is_empty() {
        cookie::flash(&session, FlashKind::Error, "There was nothing to undo.");
        return Ok(see_other(&back));
    }
    let (who, admin_id) = (admin.actor(), admin.0.admin_id.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        match undo::undo_all(conn, &who, &admin_id, &change) {
            Ok(done) => Ok(Ok(done)),
            Err(undo::UndoError::App(e)) if !matches!(e, Error::Automatic(_)) => Err(e.into()),
            Err(refused) => Ok(Err(refused)),
        }
    })
    .await?;
    match outcome {
        Ok(done) => {
            let text = match done.as_slice() {
                [one] => undone_words(one),
                many => format!(
                    "Undone: {}.",
                    many.iter()
                        .map(|d| format!("“{}”", d.badge_title))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            cookie::flash(&session, FlashKind::Success, text);
        }
        Err(refused) => {
            cookie::flash(&session, FlashKind::Error, refused_words(&refused));
            // The badge's own pages are gone with it.
            if matches!(refused, undo::UndoError::BadgeGone(_)) {
                return Ok(see_other("/dashboard/badges"));
            }
        }
    }
    Ok(see_other(&back))
}

/// Why an undo was refused, in words.
fn refused_words(refused: &undo::UndoError) -> String {
    match refused {
        undo::UndoError::NotKept => {
            "That change can no longer be undone: changes can be undone for a day.".to_string()
        }
        undo::UndoError::AlreadyUndone => "That change was undone already.".to_string(),
        undo::UndoError::BadgeGone(title) => format!(
            "The badge “{title}” was deleted since, so that change cannot be undone. Nothing was changed."
        ),
        undo::UndoError::App(e) => format!("{e}. Nothing was changed."),
    }
}

/// What an undo did, in words.
fn undone_words(done: &undo::Undone) -> String {
    let mut parts = Vec::new();
    if done.given_back > 0 {
        parts.push(format!(
            "{} got “{}” back as they had it",
            grouped_count(done.given_back as usize, "member", "members"),
            done.badge_title
        ));
    }
    if done.taken > 0 {
        parts.push(format!(
            "{} no longer {} “{}”",
            grouped_count(done.taken as usize, "member", "members"),
            if done.taken == 1 { "holds" } else { "hold" },
            done.badge_title
        ));
    }
    if done.ends_restored > 0 {
        parts.push(format!(
            "{} have their earlier end back",
            grouped_count(done.ends_restored as usize, "member", "members")
        ));
    }
    if parts.is_empty() {
        return "Undone. Nothing needed changing: every member concerned was already as before."
            .to_string();
    }
    format!("Undone: {}.", parts.join("; "))
}
