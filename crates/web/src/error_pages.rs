//! How an [`AppError`] reaches a browser: a status and an error page, or a redirect to the
//! sign-in or elevation prompt. Internal details are logged, never shown. (The JSON API has
//! its own error shape: `web::api::error`.)

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, http::header};
use askama::Template;

use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
    /// Who is looking, for where the page offers to go next.
    viewer: Viewer,
    /// The site's name, for the header and title.
    site: std::sync::Arc<insignia_core::identity::Identity>,
}

/// Who an error page is for: an admin is offered the dashboard's sections, anyone else the
/// site's.
#[derive(Clone, Copy, PartialEq)]
pub enum Viewer {
    Admin,
    Visitor,
}

const NOT_FOUND_HEADING: &str = "Not found";
const NOT_FOUND_MESSAGE: &str = "There is nothing at this address.";

/// Gives a "not found" page the navigation of whoever is looking. Errors are rendered without
/// the request, so the page is drawn again here, where the session can be read. (JSON
/// answers are left alone.)
pub async fn fit_not_found_to_viewer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, String>>, actix_web::Error> {
    let viewer = if crate::session::admin_token(&req.get_session()).is_some() {
        Viewer::Admin
    } else {
        Viewer::Visitor
    };
    let res = next.call(req).await?;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if res.status() != StatusCode::NOT_FOUND || !html || viewer == Viewer::Visitor {
        return Ok(res.map_into_left_body());
    }
    let page = ErrorPage {
        status: 404,
        heading: NOT_FOUND_HEADING,
        message: NOT_FOUND_MESSAGE,
        viewer,
        site: crate::layout::site_identity(),
    };
    let body = page
        .render()
        .unwrap_or_else(|_| NOT_FOUND_MESSAGE.to_string());
    Ok(res
        .map_body(|head, _| {
            head.headers.remove(header::CONTENT_LENGTH);
            body
        })
        .map_into_right_body())
}

/// The answer to a method an address does not take (a link followed to a form's address,
/// say): 405, with `Allow` naming the methods it does take.
pub fn method_not_allowed(allowed: &[actix_web::http::Method]) -> HttpResponse {
    let message = "This address does not take this kind of request, so nothing was changed. \
                   Go back and use the page's links and buttons.";
    let page = ErrorPage {
        status: StatusCode::METHOD_NOT_ALLOWED.as_u16(),
        heading: "Not available this way",
        message,
        viewer: Viewer::Visitor,
        site: crate::layout::site_identity(),
    };
    let body = page.render().unwrap_or_else(|_| message.to_string());
    HttpResponse::MethodNotAllowed()
        .insert_header(header::Allow(allowed.to_vec()))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::NeedsSignIn { .. }
            | AppError::NeedsMemberSignIn { .. }
            | AppError::NeedsElevation { .. } => StatusCode::SEE_OTHER,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let redirect = |path: &str, next: &str| {
            let target = format!("{path}?next={}", crate::respond::url_encode(next));
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish()
        };
        let (heading, message) = match self {
            AppError::NeedsSignIn { next } => return redirect("/dashboard/login", next),
            AppError::NeedsMemberSignIn { next } => return redirect("/login", next),
            AppError::NeedsElevation { next } => return redirect("/dashboard/elevate", next),
            AppError::NotFound => (NOT_FOUND_HEADING, NOT_FOUND_MESSAGE),
            AppError::Forbidden(m) => ("Not allowed", m.as_str()),
            AppError::BadRequest(m) => ("That did not work", m.as_str()),
            AppError::Conflict(m) => ("Conflict", m.as_str()),
            AppError::TooManyRequests { message, .. } => ("Slow down", message.as_str()),
            AppError::PayloadTooLarge(m) => ("Too large", m.as_str()),
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (
                    "Something went wrong",
                    "The server could not finish this request. Nothing was changed; please try again.",
                )
            }
        };
        let status = self.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            heading,
            message,
            viewer: Viewer::Visitor,
            site: crate::layout::site_identity(),
        };
        let body = page.render().unwrap_or_else(|_| message.to_string());
        let mut response = HttpResponse::build(status);
        if let AppError::TooManyRequests { retry_after, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        response.content_type("text/html; charset=utf-8").body(body)
    }
}
