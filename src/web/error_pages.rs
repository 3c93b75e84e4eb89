//! How an [`AppError`] reaches a browser: a status and an error page, or a redirect to the
//! sign-in or elevation prompt. Internal details are logged, never shown. (The JSON API has
//! its own error shape: `web::api::error`.)

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, http::header};
use askama::Template;

use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::NeedsSignIn { .. }
            | AppError::NeedsMemberSignIn { .. }
            | AppError::NeedsElevation { .. } => StatusCode::SEE_OTHER,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let redirect = |path: &str, next: &str| {
            let target = format!("{path}?next={}", crate::web::url_encode(next));
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish()
        };
        let (heading, message) = match self {
            AppError::NeedsSignIn { next } => return redirect("/dashboard/login", next),
            AppError::NeedsMemberSignIn { next } => return redirect("/login", next),
            AppError::NeedsElevation { next } => return redirect("/dashboard/elevate", next),
            AppError::NotFound => ("Not found", "There is nothing at this address."),
            AppError::Forbidden(m) => ("Not allowed", m.as_str()),
            AppError::BadRequest(m) => ("That did not work", m.as_str()),
            AppError::Conflict(m) => ("Conflict", m.as_str()),
            AppError::TooManyRequests(m) => ("Too many attempts", m.as_str()),
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
        };
        let body = page.render().unwrap_or_else(|_| message.to_string());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}
