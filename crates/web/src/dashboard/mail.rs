//! The mail log (`/dashboard/mail`): whether mail is on and how, then every mail newest first
//! with its recipient, subject, state, attempts and last error, and "Send again". The outbox
//! and its rules are the core's (`insignia_core::mail::outbox`).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::layout::Layout;
use crate::paging::page_of;
use crate::respond::{render, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use crate::views::{count_of, short_time};
use insignia_core::clock::Timestamp;
use insignia_core::mail::outbox::{self, Entry};

const PAGE: &str = "/dashboard/mail";
const PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub struct LogQuery {
    before: Option<i64>,
}

/// A mail as a row of the log.
pub struct Row {
    pub entry: Entry,
    pub queued: String,
    pub sent: Option<String>,
    /// "Password reset" for `password_reset`.
    pub kind: &'static str,
    /// The state in words.
    pub state: String,
}

#[derive(Template)]
#[template(path = "dashboard/mail.html")]
struct MailPage {
    layout: Layout,
    /// The SMTP server (without its password) and the sender, when mail is on.
    server: Option<(String, String)>,
    /// Mail is on, but links point at the address Insignia listens on.
    no_public_url: bool,
    listen_url: String,
    waiting: String,
    rows: Vec<Row>,
    older_link: Option<String>,
    newest_link: Option<String>,
}

fn kind_words(kind: &str) -> &'static str {
    match kind {
        "password_reset" => "Password reset",
        "invitation" => "Invitation",
        "email_confirmation" => "Address confirmation",
        "badge_given" => "New badge",
        "badge_ending" => "Badge ends soon",
        "badge_expired" => "Badge ended",
        _ => "Other",
    }
}

fn state_words(entry: &Entry) -> String {
    match entry.state.as_str() {
        outbox::SENT => "Sent".to_string(),
        outbox::FAILED => "Given up".to_string(),
        _ if entry.attempts == 0 => "Waiting".to_string(),
        _ if entry.due_at > Timestamp::now() => {
            format!("Waiting to try again at {}", short_time(entry.due_at))
        }
        _ => "Waiting to try again".to_string(),
    }
}

pub async fn log(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    query: web::Query<LogQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let before = query.before;
    let (entries, waiting) = blocking::run(&state.pool, move |conn| {
        Ok((
            outbox::log(conn, before, PAGE_SIZE + 1)?,
            outbox::waiting(conn)?,
        ))
    })
    .await?;
    let (entries, has_older) = page_of(entries, PAGE_SIZE as usize);
    let older_link = match (has_older, entries.last()) {
        (true, Some(last)) => Some(format!("{PAGE}?before={}", last.id)),
        _ => None,
    };
    let rows = entries
        .into_iter()
        .map(|entry| Row {
            queued: short_time(entry.created_at),
            sent: entry.sent_at.map(short_time),
            kind: kind_words(&entry.kind),
            state: state_words(&entry),
            entry,
        })
        .collect();
    let mail = state.settings.mail.as_ref();
    render(&MailPage {
        layout: Layout::new(&session, Some(&admin.0), "Mail", req.path()),
        server: mail.map(|m| (m.smtp.to_string(), m.from.0.to_string())),
        no_public_url: mail.is_some() && state.settings.public_url.is_none(),
        listen_url: state.public_url.as_str().to_string(),
        waiting: count_of(
            waiting as usize,
            "mail waiting to leave",
            "mails waiting to leave",
        ),
        rows,
        older_link,
        newest_link: before.map(|_| PAGE.to_string()),
    })
}

pub async fn send_again(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(PAGE)?;
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let actor = admin.actor();
    blocking::run(&state.pool, move |conn| {
        Ok(outbox::send_again(conn, &actor, id)?)
    })
    .await?;
    let words = if state.settings.mail.is_some() {
        "The mail will be sent again in a moment."
    } else {
        "The mail is queued again; it leaves once mail is turned on (--smtp-url)."
    };
    cookie::flash(&session, FlashKind::Success, words);
    Ok(see_other(PAGE))
}
