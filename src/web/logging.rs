//! One log line per request that never carries a secret: it names the route pattern
//! (`/set-password/{token}`), not the path, and no query string, header or body. Tokens in
//! paths, API keys and session cookies therefore never reach a log file.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

pub struct RouteOnlySpan;

/// What the log shows for a request that matched no route: its path could be anything.
const NO_ROUTE: &str = "(no route)";

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
            }
            Err(error) => {
                span.record("route", NO_ROUTE);
                span.record("status", error.as_response_error().status_code().as_u16());
            }
        }
    }
}
