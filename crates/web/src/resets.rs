//! "Forgot your password?" for members (`/forgot-password`) and admins
//! (`/dashboard/forgot-password`): one form, one answer whether or not the address has an
//! account. The rules (budgets, the link's life) are the core's (`auth::resets`).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::client::client_network;
use super::extract::MaybeMember;
use super::forms::{Errors, HtmlForm, first};
use super::layout::Layout;
use super::routes::Routes;
use super::{AppState, render_with};
use crate::blocking;
use crate::error::AppError;
use insignia_core::auth::resets::{self, Account, Refused};

pub fn configure(routes: &mut Routes) {
    routes.at("/forgot-password", |p| {
        p.get(member_form).post(member_request)
    });
}

#[derive(Template)]
#[template(path = "site/forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    /// Where the form posts, and where "Sign in" leads back to.
    action: &'static str,
    login: &'static str,
    admin: bool,
    mail_on: bool,
    email: String,
    errors: Errors,
    /// The address a mail was asked for (the answer page).
    sent_to: Option<String>,
}

impl ForgotPage {
    fn new(layout: Layout, account: Account, state: &AppState) -> ForgotPage {
        let admin = account == Account::Admin;
        ForgotPage {
            layout,
            action: if admin {
                "/dashboard/forgot-password"
            } else {
                "/forgot-password"
            },
            login: if admin { "/dashboard/login" } else { "/login" },
            admin,
            mail_on: state.settings.mail.is_some(),
            email: String::new(),
            errors: Errors::default(),
            sent_to: None,
        }
    }
}

const TITLE: &str = "Choose a new password";

fn layout(session: &Session, state: &AppState, account: Account, req: &HttpRequest) -> Layout {
    match account {
        Account::Member => Layout::site(session, &state.settings, None, TITLE, req.path()),
        Account::Admin => Layout::new(session, None, TITLE, req.path()),
    }
}

async fn member_form(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let mut page = ForgotPage::new(
        layout(&session, &state, Account::Member, &req),
        Account::Member,
        &state,
    );
    if let Some(member) = member.0 {
        page.email = member.email;
    }
    render_with(StatusCode::OK, &page)
}

/// The dashboard's copy, routed under `/dashboard` (`dashboard::configure`).
pub async fn admin_form(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let page = ForgotPage::new(
        layout(&session, &state, Account::Admin, &req),
        Account::Admin,
        &state,
    );
    render_with(StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    #[serde(deserialize_with = "first")]
    email: String,
}

async fn member_request(
    state: web::Data<AppState>,
    session: Session,
    form: HtmlForm<ForgotForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    request(state, session, form.0, req, Account::Member).await
}

pub async fn admin_request(
    state: web::Data<AppState>,
    session: Session,
    form: HtmlForm<ForgotForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    request(state, session, form.0, req, Account::Admin).await
}

async fn request(
    state: web::Data<AppState>,
    session: Session,
    form: ForgotForm,
    req: HttpRequest,
    account: Account,
) -> Result<HttpResponse, AppError> {
    let mut page = ForgotPage::new(layout(&session, &state, account, &req), account, &state);
    if !page.mail_on {
        // Nothing to send: the page says whom to ask instead.
        return render_with(StatusCode::OK, &page);
    }
    let client = client_network(&req);
    let typed = form.email.clone();
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(resets::request(conn, account, &typed, &client)?)
    })
    .await?;
    page.email = form.email;
    match outcome {
        Ok(()) => {
            page.sent_to = Some(page.email.trim().to_string());
            render_with(StatusCode::OK, &page)
        }
        Err(Refused::Invalid(message)) => {
            page.errors.add("email", message);
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(Refused::TooMany(retry_after)) => Err(AppError::TooManyRequests {
            message: format!(
                "Too many requests for a new password from your network. Try again in {} minutes.",
                retry_after.div_ceil(60).max(1)
            ),
            retry_after,
        }),
    }
}
