//! One error type for the whole application. Domain code returns it (or field errors);
//! the web layer turns it into a status and an error page. Internal details are logged,
//! never shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, http::header};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("sign in required")]
    NeedsSignIn { next: String },
    #[error("member sign in required")]
    NeedsMemberSignIn { next: String },
    #[error("elevation required")]
    NeedsElevation { next: String },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// The whole message, internal details included: for the command line and the log,
    /// never for a page.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(detail) => detail.clone(),
            other => other.to_string(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

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
