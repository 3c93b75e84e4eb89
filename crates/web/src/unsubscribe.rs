//! The unsubscribe link of every badge mail (`/unsubscribe/{token}`): the page asks, and its
//! button (or a mail client's one-click POST, RFC 8058) turns badge mail off. The signed token
//! is the authority, not a session or CSRF token (`csrf::guard` lets these posts through); the
//! rules are the core's (`insignia_core::mail::unsubscribe`).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;

use super::layout::Layout;
use super::routes::Routes;
use super::{AppState, render_with};
use crate::blocking;
use crate::error::AppError;
use insignia_core::ids::MemberId;
use insignia_core::mail::unsubscribe;

pub fn configure(routes: &mut Routes) {
    routes.at("/unsubscribe/{token}", |p| p.get(ask).post(confirm));
}

#[derive(Template)]
#[template(path = "site/unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    token: String,
    /// Badge mail is off now (or was already).
    off: bool,
}

async fn member_for(state: &AppState, token: String) -> Result<(MemberId, bool), AppError> {
    blocking::run(&state.pool, move |conn| {
        let Some(member) = unsubscribe::member_for(conn, &token)? else {
            return Ok(None);
        };
        let on = unsubscribe::takes_badge_mail(conn, &member)?;
        Ok(Some((member, on)))
    })
    .await?
    .ok_or(AppError::NotFound)
}

fn page(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    token: String,
    off: bool,
) -> Result<HttpResponse, AppError> {
    render_with(
        StatusCode::OK,
        &UnsubscribePage {
            layout: Layout::site(session, &state.settings, None, "Badge mail", req.path()),
            token,
            off,
        },
    )
}

async fn ask(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (_, on) = member_for(&state, token.clone()).await?;
    page(&state, &session, &req, token, !on)
}

async fn confirm(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (member, _) = member_for(&state, token.clone()).await?;
    blocking::run(&state.pool, move |conn| {
        Ok(unsubscribe::set_badge_mail(
            conn,
            &member,
            false,
            "turned badge mail off through the link in a mail",
        )?)
    })
    .await?;
    page(&state, &session, &req, token, true)
}
