//! `/dashboard/api-keys`: create (the secret is shown once), list, revoke.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use insignia_core::clock::Timestamp;
use serde::{Deserialize, Serialize};

use super::confirm::{ConfirmPage, Words};
use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::{self, Errors, HtmlForm};
use crate::layout::Layout;
use crate::respond::{render_with, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use insignia_core::auth::api_keys::{self, ApiKey};

const PAGE: &str = "/dashboard/api-keys";

#[derive(Template)]
#[template(path = "dashboard/api_keys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<ApiKey>,
    name: String,
    errors: Errors,
    /// The key just created, with its secret: shown this once.
    created: Option<(ApiKey, String)>,
    /// This site's address as the browser reached it, for the example command.
    origin: String,
    /// The new-key form's one-use token (`insignia_core::once`).
    once: String,
    /// The form was sent before (a reload): nothing was created this time.
    already: bool,
}

impl KeysPage {
    fn when(&self, at: &Timestamp) -> String {
        crate::views::short_time(*at)
    }
}

/// What the page shows beyond the list: the form as typed, its errors, a key just created.
#[derive(Default)]
struct Shown {
    name: String,
    errors: Errors,
    created: Option<(ApiKey, String)>,
    already: bool,
}

async fn page(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    status: StatusCode,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let keys = blocking::run(&state.pool, |conn| Ok(api_keys::list(conn)?)).await?;
    render_with(
        status,
        &KeysPage {
            layout: Layout::new(session, Some(&admin.0), "API keys", PAGE),
            keys,
            name: shown.name,
            errors: shown.errors,
            created: shown.created,
            origin: state.public_url.as_str().to_string(),
            once: insignia_core::once::token(),
            already: shown.already,
        },
    )
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let kept: Option<CreateForm> = admin.take_draft(&state.pool, req.path()).await?;
    let shown = Shown {
        name: kept.map(|f| f.name).unwrap_or_default(),
        ..Shown::default()
    };
    page(&state, &session, &admin, StatusCode::OK, shown).await
}

/// The form to create a key; also what a draft keeps of it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CreateForm {
    #[serde(deserialize_with = "forms::first")]
    name: String,
    /// The form's one-use token: sent again, it creates nothing.
    #[serde(deserialize_with = "forms::first")]
    once: String,
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    admin
        .require_elevation_keeping(&state.pool, PAGE, &*form)
        .await?;
    let CreateForm { name: typed, once } = form.into_inner();
    let name = match api_keys::parse_name(&typed) {
        Ok(name) => name,
        Err(message) => {
            let mut errors = Errors::default();
            errors.add("name", message);
            let shown = Shown {
                name: typed,
                errors,
                ..Shown::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(&state, &session, &admin, status, shown).await;
        }
    };
    let actor = admin.actor();
    let created = blocking::run(&state.pool, move |conn| {
        Ok(insignia_core::once::act(conn, Some(&once), |conn| {
            api_keys::create(conn, &actor, &name)
        })?)
    })
    .await?;
    // Answered directly (not redirected), so the secret never travels in a cookie or URL.
    let shown = Shown {
        already: created.is_none(),
        created,
        ..Shown::default()
    };
    let mut response = page(&state, &session, &admin, StatusCode::OK, shown).await?;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Asks before revoking: programs using the key stop working at once, and it cannot be
/// taken back.
pub async fn revoke_confirm(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let key = blocking::run(&state.pool, move |conn| Ok(api_keys::find(conn, &id)?)).await?;
    if key.is_revoked() {
        return Ok(see_other(PAGE));
    }
    let layout = Layout::new(
        &session,
        Some(&admin.0),
        format!("Revoke {}", key.name),
        req.path(),
    );
    render_with(
        StatusCode::OK,
        &ConfirmPage {
            layout,
            heading: format!("Revoke “{}”?", key.name),
            heading_class: None,
            badge: None,
            what_happens: vec![
                Words::Text("Programs using the key ending ".to_string()),
                Words::Code(format!("…{}", key.hint)),
                Words::Text(
                    " are refused from the next request on. A revoked key cannot be turned back \
                     on; make a new one instead."
                        .to_string(),
                ),
            ],
            action: format!("{PAGE}/{}/revoke", key.id),
            button: "Revoke key".to_string(),
            cancel_href: PAGE.to_string(),
            cancel_label: "Keep it",
        },
    )
}

pub async fn revoke(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(PAGE)?;
    let (id, actor) = (path.into_inner(), admin.actor());
    let key = blocking::run(&state.pool, move |conn| {
        Ok(api_keys::revoke(conn, &actor, &id)?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        format!(
            "API key “{}” revoked. Programs using it are refused from now on.",
            key.name
        ),
    );
    Ok(see_other(PAGE))
}
