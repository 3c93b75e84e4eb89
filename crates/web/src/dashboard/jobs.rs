//! "Background work" (`/dashboard/jobs`): each job the servers run by themselves, with its last
//! run, its next, what waits for it and its last failure, read from the `jobs` table
//! (`insignia_core::jobs`) and each job's own backlog.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::layout::Layout;
use crate::respond::render;
use crate::state::AppState;
use crate::views::{count_of, short_time};
use insignia_core::clock::Timestamp;
use insignia_core::jobs::JobState;

/// The jobs a server runs: name, what it does, how servers share it.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "webhooks.deliver",
        "Webhook delivery: sends waiting events to the endpoints",
        "every server, every 0.2 s",
    ),
    (
        "mail.send",
        "Mail: sends waiting mail through the SMTP server (only while mail is on)",
        "every server, every 0.5 s",
    ),
    (
        "assignments.expire",
        "Takes away assignments whose time is up",
        "one server at a time, every 15 s",
    ),
    (
        "rules.timed",
        "Runs the rules that time alone changes (joined or held for N days)",
        "one server at a time, every 5 minutes",
    ),
    (
        "mail.prune",
        "Deletes mail that left or was given up more than a month ago from the mail log",
        "one server at a time, every hour",
    ),
    (
        "webhooks.prune_events",
        "Deletes delivered events older than their keeping time",
        "one server at a time, every 10 minutes",
    ),
];

pub struct JobRow {
    pub name: &'static str,
    /// The row's id: the name with `-` for `.`.
    pub anchor: String,
    pub what: &'static str,
    pub share: &'static str,
    /// (RFC 3339, as shown) of the last run, the next, the last failure.
    pub last_run: Option<(String, String)>,
    /// How long the last run took, in words.
    pub took: Option<String>,
    pub next_run: Option<(String, String)>,
    pub running: bool,
    pub backlog: String,
    pub failure: Option<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard/jobs.html")]
struct JobsPage {
    layout: Layout,
    rows: Vec<JobRow>,
}

fn when(at: Timestamp) -> (String, String) {
    (at.to_string(), short_time(at))
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (states, expired, waiting, timed, mail) = blocking::run(&state.pool, |conn| {
        let states = insignia_core::jobs::states(conn)?;
        let expired = insignia_core::members::expiry::backlog(conn)?;
        let waiting: i64 = insignia_webhooks::endpoints::waiting(conn, None)?
            .values()
            .sum();
        let timed = insignia_core::rules::run::timed(conn)?.len();
        let mail = insignia_core::mail::outbox::waiting(conn)?;
        Ok((states, expired, waiting, timed, mail))
    })
    .await?;
    let rows = KNOWN
        .iter()
        .map(|&(name, what, share)| {
            let stored: Option<&JobState> = states.iter().find(|s| s.name == name);
            JobRow {
                name,
                anchor: name.replace('.', "-"),
                what,
                share,
                last_run: stored.and_then(|s| s.last_run_at).map(when),
                took: stored.and_then(|s| s.last_took_ms).map(|ms| {
                    if ms < 1_000 {
                        format!("{ms} ms")
                    } else {
                        format!("{:.1} s", ms as f64 / 1000.0)
                    }
                }),
                next_run: stored
                    .filter(|s| s.due_at.millis() > 0)
                    .map(|s| when(s.due_at)),
                running: stored.is_some_and(JobState::running),
                backlog: match name {
                    "webhooks.deliver" => {
                        count_of(waiting as usize, "delivery waiting", "deliveries waiting")
                    }
                    "assignments.expire" => count_of(
                        expired as usize,
                        "assignment to take away",
                        "assignments to take away",
                    ),
                    "rules.timed" => count_of(timed, "rule reads time", "rules read time"),
                    "mail.send" => count_of(mail as usize, "mail waiting", "mails waiting"),
                    _ => "—".to_string(),
                },
                failure: stored.and_then(|s| {
                    Some((
                        s.last_error_at?.to_string(),
                        short_time(s.last_error_at?),
                        s.last_error.clone()?,
                    ))
                }),
            }
        })
        .collect();
    render(&JobsPage {
        layout: Layout::new(&session, Some(&admin.0), "Background work", req.path()),
        rows,
    })
}
