//! `/dashboard/webhooks`: endpoints that receive events, the site's public key for Wix-format
//! receivers, each endpoint's delivery log, test events and redelivery. Changes need a
//! recent password confirmation and are audited.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use insignia_core::clock;
use serde::{Deserialize, Serialize};

use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::{self, Errors, HtmlForm};
use crate::layout::Layout;
use crate::paging::page_of;
use crate::respond::{render_with, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use insignia_core::events::Kind;
use insignia_webhooks::{self as webhooks, Endpoint, Format, LoggedAttempt, signing};

const PAGE: &str = "/dashboard/webhooks";
/// Attempts shown per page of the delivery log.
const LOG_PAGE: i64 = 50;

/// The endpoint form as typed, and what a draft keeps of it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Typed {
    #[serde(deserialize_with = "forms::first")]
    url: String,
    #[serde(deserialize_with = "forms::first")]
    format: String,
    kinds: Vec<String>,
    #[serde(deserialize_with = "forms::checkbox")]
    enabled: bool,
    /// The new-endpoint form's one-use token (`insignia_core::once`): sent again, it creates
    /// nothing.
    #[serde(deserialize_with = "forms::first")]
    once: String,
}

/// A form whose only field is its one-use token ("New signing secret").
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OnceForm {
    #[serde(deserialize_with = "forms::first")]
    once: String,
}

impl Typed {
    fn blank() -> Typed {
        Typed {
            url: String::new(),
            format: Format::Standard.name().to_string(),
            kinds: Kind::SUBSCRIBABLE
                .iter()
                .map(|k| k.name().to_string())
                .collect(),
            enabled: true,
            once: String::new(),
        }
    }

    fn of(endpoint: &Endpoint) -> Typed {
        Typed {
            url: endpoint.url.clone(),
            format: endpoint.format.clone(),
            kinds: endpoint.kinds.split(' ').map(str::to_string).collect(),
            enabled: endpoint.enabled,
            once: String::new(),
        }
    }

    fn checked(&self, kind: &Kind) -> bool {
        self.kinds.iter().any(|k| k == kind.name())
    }

    fn check(&self, allow_private: bool) -> Result<webhooks::EndpointInput, Errors> {
        webhooks::check_input(
            &self.url,
            &self.format,
            &self.kinds,
            self.enabled,
            allow_private,
        )
        .map_err(|problems| {
            let mut errors = Errors::default();
            for (field, message) in problems {
                errors.add(field, message);
            }
            errors
        })
    }
}

/// What the form offers.
struct Choices {
    formats: [Format; 2],
    kinds: [Kind; 5],
}

const CHOICES: Choices = Choices {
    formats: [Format::Standard, Format::Wix],
    kinds: Kind::SUBSCRIBABLE,
};

/// An endpoint in the list, with how many deliveries wait for it.
struct Listed {
    endpoint: Endpoint,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "dashboard/webhooks/list.html")]
struct ListPage {
    layout: Layout,
    endpoints: Vec<Listed>,
    keys: signing::SiteKeys,
    form: Typed,
    errors: Errors,
    choices: Choices,
    /// The new-endpoint form's one-use token.
    once: String,
    /// The form was sent before (a reload): nothing was created this time.
    already: bool,
}

async fn list_page(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    status: StatusCode,
    form: Typed,
    errors: Errors,
    already: bool,
) -> Result<HttpResponse, AppError> {
    let (endpoints, keys) = blocking::run(&state.pool, |conn| {
        let keys = signing::site_keys(conn)?;
        let waiting = webhooks::waiting(conn, None)?;
        let listed = webhooks::list(conn)?
            .into_iter()
            .map(|endpoint| Listed {
                waiting: waiting.get(&endpoint.key).copied().unwrap_or(0),
                endpoint,
            })
            .collect();
        Ok((listed, keys))
    })
    .await?;
    render_with(
        status,
        &ListPage {
            layout: Layout::new(session, Some(&admin.0), "Webhooks", PAGE),
            endpoints,
            keys,
            form,
            errors,
            choices: CHOICES,
            once: insignia_core::once::token(),
            already,
        },
    )
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let kept = admin.take_draft(&state.pool, req.path()).await?;
    let form = kept.unwrap_or_else(Typed::blank);
    list_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        form,
        Errors::default(),
        false,
    )
    .await
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<Typed>,
) -> Result<HttpResponse, AppError> {
    admin
        .require_elevation_keeping(&state.pool, PAGE, &*form)
        .await?;
    let mut typed = form.into_inner();
    let once = std::mem::take(&mut typed.once);
    let input = match typed.check(state.settings.webhooks.allow_private) {
        Ok(input) => input,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return list_page(&state, &session, &admin, status, typed, errors, false).await;
        }
    };
    let actor = admin.actor();
    let endpoint = blocking::run(&state.pool, move |conn| {
        Ok(insignia_core::once::act(conn, Some(&once), |conn| {
            webhooks::create(conn, &actor, &input)
        })?)
    })
    .await?;
    let Some(endpoint) = endpoint else {
        let (status, blank) = (StatusCode::OK, Typed::blank());
        return list_page(
            &state,
            &session,
            &admin,
            status,
            blank,
            Errors::default(),
            true,
        )
        .await;
    };
    let shown = Shown {
        secret_shown: endpoint.format() == Format::Standard,
        ..Shown::default()
    };
    no_store(show_page(&state, &session, &admin, StatusCode::OK, endpoint.id, shown).await?)
}

#[derive(Template)]
#[template(path = "dashboard/webhooks/show.html")]
struct ShowPage {
    layout: Layout,
    endpoint: Endpoint,
    form: Typed,
    errors: Errors,
    choices: Choices,
    /// The secret, shown right after the endpoint is made or the secret changed.
    secret_shown: bool,
    /// "New signing secret"'s one-use token.
    once: String,
    /// That form was sent before (a reload): no new secret this time.
    already: bool,
    attempts: Vec<LoggedAttempt>,
    /// The titles of the badges and the names of the members the attempts' events name, by
    /// id (one gone since is missing).
    badge_titles: HashMap<String, String>,
    member_names: HashMap<String, String>,
    /// Where the next (older) page of the log starts.
    older: Option<i64>,
    waiting: i64,
    public_key: String,
}

impl ShowPage {
    fn when(&self, millis: &i64) -> String {
        crate::views::short_time(clock::Timestamp::from_millis(*millis))
    }

    fn iso(&self, millis: &i64) -> String {
        clock::format_millis(*millis)
    }

    fn badge_title(&self, id: &str) -> Option<&str> {
        self.badge_titles.get(id).map(String::as_str)
    }

    fn member_name(&self, id: &str) -> Option<&str> {
        self.member_names.get(id).map(String::as_str)
    }

    fn kind_label(&self, name: &str) -> &'static str {
        Kind::parse(name).map_or("Unknown event", Kind::label)
    }

    /// When an endpoint backed off for not answering is tried again ("at …", or "now" once
    /// its pause is over).
    fn next_try(&self) -> Option<String> {
        if !self.endpoint.enabled || self.endpoint.pauses == 0 {
            return None;
        }
        let until = self.endpoint.paused_until;
        Some(if until > clock::now_millis() {
            format!("at {}", self.when(&until))
        } else {
            "now".to_string()
        })
    }

    fn rotating_until(&self) -> Option<String> {
        match (
            &self.endpoint.previous_secret,
            self.endpoint.previous_secret_until,
        ) {
            (Some(_), Some(until)) if until > clock::now_millis() => Some(
                crate::views::short_time(clock::Timestamp::from_millis(until)),
            ),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Shown {
    form: Option<Typed>,
    errors: Errors,
    secret_shown: bool,
    before: Option<i64>,
    already: bool,
}

async fn show_page(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    status: StatusCode,
    id: String,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let before = shown.before;
    let (endpoint, attempts, waiting, keys, badge_titles, member_names) =
        blocking::run(&state.pool, move |conn| {
            let endpoint = webhooks::find(conn, &id)?;
            let attempts = webhooks::attempts(conn, endpoint.key, before, LOG_PAGE + 1)?;
            let waiting = webhooks::waiting(conn, Some(endpoint.key))?
                .get(&endpoint.key)
                .copied()
                .unwrap_or(0);
            // The log names badges and members by their titles and names (a page's worth).
            let badge_titles = insignia_core::badges::store::list_in_order(conn)?
                .into_iter()
                .map(|b| (b.id.to_string(), b.title))
                .collect();
            let member_ids: Vec<String> = attempts
                .iter()
                .filter_map(|a| a.member_id.clone())
                .collect();
            let member_names = insignia_core::members::names_of(conn, &member_ids)?;
            Ok((
                endpoint,
                attempts,
                waiting,
                signing::site_keys(conn)?,
                badge_titles,
                member_names,
            ))
        })
        .await?;
    let (attempts, more) = page_of(attempts, LOG_PAGE as usize);
    let older = attempts.last().filter(|_| more).map(|a| a.key);
    let path = format!("{PAGE}/{}", endpoint.id);
    render_with(
        status,
        &ShowPage {
            layout: Layout::new(session, Some(&admin.0), "Webhook endpoint", &path),
            form: shown.form.unwrap_or_else(|| Typed::of(&endpoint)),
            endpoint,
            errors: shown.errors,
            choices: CHOICES,
            secret_shown: shown.secret_shown,
            once: insignia_core::once::token(),
            already: shown.already,
            attempts,
            badge_titles,
            member_names,
            older,
            waiting,
            public_key: keys.public_pem,
        },
    )
}

fn no_store(mut response: HttpResponse) -> Result<HttpResponse, AppError> {
    // The page may carry a secret: never kept by a cache or the browser's history.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize)]
pub struct LogQuery {
    before: Option<i64>,
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let kept = admin.take_draft(&state.pool, req.path()).await?;
    let shown = Shown {
        form: kept,
        before: query.before,
        ..Shown::default()
    };
    show_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        path.into_inner(),
        shown,
    )
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
    form: HtmlForm<Typed>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let here = format!("{PAGE}/{id}");
    admin
        .require_elevation_keeping(&state.pool, &here, &*form)
        .await?;
    let typed = form.into_inner();
    let input = match typed.check(state.settings.webhooks.allow_private) {
        Ok(input) => input,
        Err(errors) => {
            let shown = Shown {
                form: Some(typed),
                errors,
                ..Shown::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return show_page(&state, &session, &admin, status, id, shown).await;
        }
    };
    let actor = admin.actor();
    let (before, after) = blocking::run(&state.pool, move |conn| {
        let before = webhooks::find(conn, &id)?.format();
        Ok((
            before,
            webhooks::update(conn, &actor, &id, &input)?.format(),
        ))
    })
    .await?;
    let message = if before == Format::Wix && after == Format::Standard {
        "Endpoint saved. Its receiver now needs a signing secret: press “New signing secret” to see one."
    } else {
        "Endpoint saved."
    };
    cookie::flash(&session, FlashKind::Success, message);
    Ok(see_other(&here))
}

pub async fn delete(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    admin.require_elevation(&format!("{PAGE}/{id}"))?;
    let actor = admin.actor();
    let old = blocking::run(&state.pool, move |conn| {
        Ok(webhooks::delete(conn, &actor, &id)?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        format!("Endpoint {} deleted; nothing more is sent to it.", old.url),
    );
    Ok(see_other(PAGE))
}

pub async fn rotate(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
    form: HtmlForm<OnceForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    admin.require_elevation(&format!("{PAGE}/{id}"))?;
    let actor = admin.actor();
    let rotated = id.clone();
    let once = form.into_inner().once;
    let done = blocking::run(&state.pool, move |conn| {
        Ok(insignia_core::once::act(conn, Some(&once), |conn| {
            webhooks::rotate_secret(conn, &actor, &rotated)
        })?)
    })
    .await?;
    let shown = Shown {
        secret_shown: done.is_some(),
        already: done.is_none(),
        ..Shown::default()
    };
    // Answered directly (not redirected), so the secret never travels in a cookie or URL.
    no_store(show_page(&state, &session, &admin, StatusCode::OK, id, shown).await?)
}

pub async fn test(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let here = format!("{PAGE}/{id}");
    admin.require_elevation(&here)?;
    let actor = admin.actor();
    blocking::run(&state.pool, move |conn| {
        Ok(webhooks::send_test(conn, &actor, &id)?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        "Test event queued; its attempt appears in the log below within seconds (reload).",
    );
    Ok(see_other(&here))
}

/// Which logged delivery to send again.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RedeliverForm {
    #[serde(deserialize_with = "forms::first")]
    delivery: String,
}

pub async fn redeliver(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
    form: HtmlForm<RedeliverForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let here = format!("{PAGE}/{id}");
    admin.require_elevation(&here)?;
    let Ok(delivery) = form.delivery.parse::<i64>() else {
        return Err(AppError::NotFound);
    };
    let actor = admin.actor();
    blocking::run(&state.pool, move |conn| {
        Ok(webhooks::redeliver(conn, &actor, &id, delivery)?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        "Event queued to be sent again.",
    );
    Ok(see_other(&here))
}
