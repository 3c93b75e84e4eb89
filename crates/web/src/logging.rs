//! One log line per request that never carries a secret: it names the route pattern
//! (`/set-password/{token}`), not the path, and no query string, header or body. Tokens in
//! paths, API keys and session cookies therefore never reach a log file.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use crate::error::AppError;

pub struct RouteOnlySpan;

/// What the log (and the metrics' route label) shows for a request that matched no route: its
/// path could be anything.
pub(crate) const NO_ROUTE: &str = "(no route)";

impl RootSpanBuilder for RouteOnlySpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = tracing::field::Empty,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        match outcome {
            Ok(response) => {
                let route = response.request().match_pattern();
                span.record("route", route.as_deref().unwrap_or(NO_ROUTE));
                span.record("status", response.status().as_u16());
                if let Some(error) = response.response().error() {
                    log_server_error(&span, error, response.status());
                }
            }
            Err(error) => {
                let status = error.as_response_error().status_code();
                span.record("route", NO_ROUTE);
                span.record("status", status.as_u16());
                log_server_error(&span, error, status);
            }
        }
    }
}

/// ERROR is for what an operator must look into: a server error. A redirect to a sign-in page
/// or a refusal is an ordinary answer, which the request line records with its status.
/// Insignia's own errors log their details where they are made (`AppError`'s page,
/// `ApiError::internal`), so only others are logged here.
fn log_server_error(span: &Span, error: &Error, status: StatusCode) {
    let logged_already = error.as_error::<AppError>().is_some()
        || error.as_error::<super::api::error::ApiError>().is_some();
    if status.is_server_error() && !logged_already {
        span.in_scope(|| tracing::error!(error = %error, "the server could not answer"));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(error: Error, status: StatusCode) -> String {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            log_server_error(&Span::none(), &error, status);
        });
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn only_server_errors_not_logged_where_they_were_made_are_logged_here() {
        let sign_in = AppError::NeedsMemberSignIn {
            next: "/me".to_string(),
        };
        assert_eq!(logged(sign_in.into(), StatusCode::SEE_OTHER), "");
        assert_eq!(logged(AppError::NotFound.into(), StatusCode::NOT_FOUND), "");
        let internal = AppError::internal("disk full");
        assert_eq!(
            logged(internal.into(), StatusCode::INTERNAL_SERVER_ERROR),
            ""
        );
        let other = actix_web::error::ErrorInternalServerError("the pool is gone");
        let line = logged(other, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            line.contains("ERROR") && line.contains("the pool is gone"),
            "{line}"
        );
    }
}
