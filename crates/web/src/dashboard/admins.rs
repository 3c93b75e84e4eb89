//! `/dashboard/admins`: who can run the site and when each last signed in; adding an admin
//! (they choose their password through a one-time link, shown once) and removing one other
//! than yourself. Both need elevation and are audited. The link's page is
//! `/dashboard/set-password/{token}`.

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
use insignia_core::auth::admins::{self, Admin, ChangeError, Listed};

const PAGE: &str = "/dashboard/admins";

#[derive(Template)]
#[template(path = "dashboard/admins/list.html")]
struct AdminsPage {
    layout: Layout,
    admins: Vec<Listed>,
    /// The signed-in admin, who has no Remove button.
    me: String,
    email: String,
    errors: Errors,
    /// Why a removal was refused.
    refused: Option<String>,
    /// The admin just added and their set-password link: shown this once.
    added: Option<(Admin, String)>,
    valid_days: i64,
}

impl AdminsPage {
    fn when(&self, at: &Timestamp) -> String {
        crate::views::short_time(*at)
    }
}

/// What the page shows beyond the list.
#[derive(Default)]
struct Shown {
    email: String,
    errors: Errors,
    refused: Option<String>,
    added: Option<(Admin, String)>,
}

async fn page(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    status: StatusCode,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let admins = blocking::run(&state.pool, |conn| Ok(admins::list(conn)?)).await?;
    let mut response = render_with(
        status,
        &AdminsPage {
            layout: Layout::new(session, Some(&admin.0), "Admins", PAGE),
            admins,
            me: admin.0.admin_id.clone(),
            email: shown.email,
            errors: shown.errors,
            refused: shown.refused,
            valid_days: admins::LINK_VALID_DAYS,
            added: shown.added,
        },
    )?;
    // The page may carry a set-password link: no copy of it stays in a cache.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let kept: Option<AddForm> = admin.take_draft(&state.pool, req.path()).await?;
    let shown = Shown {
        email: kept.map(|f| f.email).unwrap_or_default(),
        ..Shown::default()
    };
    page(&state, &session, &admin, StatusCode::OK, shown).await
}

/// The form to add an admin; also what a draft keeps of it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AddForm {
    #[serde(deserialize_with = "forms::first")]
    email: String,
}

/// Adds an admin (`email`) and answers with their set-password link, directly (not
/// redirected), so the link never travels in a cookie or URL.
pub async fn add(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<AddForm>,
) -> Result<HttpResponse, AppError> {
    admin
        .require_elevation_keeping(&state.pool, PAGE, &*form)
        .await?;
    let typed = form.into_inner().email;
    let (email, by, by_id) = (typed.clone(), admin.actor(), admin.0.admin_id.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(admins::add(conn, &by, &by_id, &email)?)
    })
    .await?;
    let refusal = match outcome {
        Ok((added, token)) => {
            let link = state
                .public_url
                .join(&format!("/dashboard/set-password/{token}"));
            let shown = Shown {
                added: Some((added, link)),
                ..Shown::default()
            };
            return page(&state, &session, &admin, StatusCode::OK, shown).await;
        }
        Err(ChangeError::Email(m)) => m,
        Err(ChangeError::EmailTaken) => "is already an admin".to_string(),
        Err(ChangeError::Yourself | ChangeError::NotAnAdmin) => return Err(AppError::NotFound),
    };
    let mut errors = Errors::default();
    errors.add("email", refusal);
    let shown = Shown {
        email: typed,
        errors,
        ..Shown::default()
    };
    page(
        &state,
        &session,
        &admin,
        StatusCode::UNPROCESSABLE_ENTITY,
        shown,
    )
    .await
}

/// Asks before removing: the admin is signed out everywhere at once.
pub async fn remove_confirm(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    if id == admin.0.admin_id {
        return Ok(see_other(PAGE));
    }
    let other = blocking::run(&state.pool, move |conn| Ok(admins::find(conn, &id)?)).await?;
    let layout = Layout::new(
        &session,
        Some(&admin.0),
        format!("Remove {}", other.email),
        req.path(),
    );
    render_with(
        StatusCode::OK,
        &ConfirmPage {
            layout,
            heading: format!("Remove {}?", other.email),
            heading_class: Some("admin-email"),
            badge: None,
            what_happens: vec![Words::Text(
                "They are signed out everywhere at once and can no longer sign in to the \
                 dashboard. What they did stays in the audit log. To let them back in, add them \
                 again."
                    .to_string(),
            )],
            action: format!("{PAGE}/{}/remove", other.id),
            button: "Remove admin".to_string(),
            cancel_href: PAGE.to_string(),
            cancel_label: "Keep",
        },
    )
}

pub async fn remove(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(PAGE)?;
    let (id, by, by_id) = (path.into_inner(), admin.actor(), admin.0.admin_id.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(admins::remove(conn, &by, &by_id, &id)?)
    })
    .await?;
    match outcome {
        Ok(removed) => {
            cookie::flash(
                &session,
                FlashKind::Success,
                format!(
                    "{} is no longer an admin and was signed out everywhere.",
                    removed.email
                ),
            );
            Ok(see_other(PAGE))
        }
        Err(ChangeError::Yourself) => {
            let shown = Shown {
                refused: Some(
                    "You cannot remove yourself: another admin can. (So a site always keeps an admin.)"
                        .to_string(),
                ),
                ..Shown::default()
            };
            page(&state, &session, &admin, StatusCode::CONFLICT, shown).await
        }
        Err(_) => Err(AppError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "dashboard/admins/set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    email: String,
    error: Option<String>,
}

fn set_password_page(
    session: &Session,
    req: &HttpRequest,
    status: StatusCode,
    email: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    render_with(
        status,
        &SetPasswordPage {
            layout: Layout::new(session, None, "Choose your admin password", req.path()),
            email,
            error,
        },
    )
}

/// The page a set-password link opens; an expired or used link is not found.
pub async fn set_password_form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let admin = blocking::run(&state.pool, move |conn| Ok(admins::for_link(conn, &token)?))
        .await?
        .ok_or(AppError::NotFound)?;
    set_password_page(&session, &req, StatusCode::OK, admin.email, None)
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn set_password(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<SetPasswordForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let form = form.into_inner();
    let lookup = token.clone();
    let admin = blocking::run(&state.pool, move |conn| {
        Ok(admins::for_link(conn, &lookup)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let error = if form.password != form.password_confirm {
        "The two passwords do not match.".to_string()
    } else {
        let chosen = form.password;
        match blocking::run(&state.pool, move |conn| {
            Ok(admins::use_link(conn, &token, &chosen)?)
        })
        .await?
        {
            Ok(_) => {
                cookie::flash(
                    &session,
                    FlashKind::Success,
                    "Password set. Sign in with it now.",
                );
                return Ok(see_other("/dashboard/login"));
            }
            Err(message) => message,
        }
    };
    set_password_page(
        &session,
        &req,
        StatusCode::UNPROCESSABLE_ENTITY,
        admin.email,
        Some(error),
    )
}
