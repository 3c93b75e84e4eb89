//! CSRF protection for every unsafe request of the site and dashboard: the token from the
//! session must come back as the `X-CSRF-Token` header (htmx) or the `csrf_token` form field
//! (plain forms, url-encoded or multipart). Anything else is 403 before a handler runs.

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;

use super::FORM_LIMIT;
use crate::error::AppError;

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf_token";

fn exempt(req: &ServiceRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        // The JSON API authenticates each call itself (API keys, or a session plus the header).
        || req.path().starts_with("/members/v3/")
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if exempt(&req) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let sent = match header_token(req.request()) {
        Some(token) => Some(token.to_string()),
        None => token_from_body(&mut req).await,
    };
    match sent {
        Some(sent) if matches_session(&req.get_session(), &sent) => {
            Ok(next.call(req).await?.map_into_left_body())
        }
        _ => {
            let refusal = AppError::Forbidden(
                "This form has expired or did not come from this site, so nothing was changed. \
                 Go back, reload the page and try again."
                    .to_string(),
            );
            Ok(req
                .into_response(refusal.error_response())
                .map_into_right_body())
        }
    }
}

/// Reads the body (up to the form limit), finds the token in it, and puts the body back for
/// the handler.
async fn token_from_body(req: &mut ServiceRequest) -> Option<String> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    let is_multipart = content_type.starts_with("multipart/form-data");
    if !is_form && !is_multipart {
        return None;
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.ok()?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    req.set_payload(Payload::from(body.clone()));
    if is_form {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v)
    } else {
        multipart_field(req.headers(), body, FIELD).await
    }
}

async fn multipart_field(headers: &header::HeaderMap, body: Bytes, name: &str) -> Option<String> {
    let stream =
        futures_util::stream::once(async move { Ok::<_, actix_web::error::PayloadError>(body) });
    let mut parts = actix_multipart::Multipart::new(headers, stream);
    while let Some(part) = parts.next().await {
        let mut part = part.ok()?;
        let wanted = part.name() == Some(name);
        let mut value = Vec::new();
        while let Some(chunk) = part.next().await {
            if wanted {
                value.extend_from_slice(&chunk.ok()?);
            }
        }
        if wanted {
            return String::from_utf8(value).ok();
        }
    }
    None
}

/// The token an htmx or API request carries in `X-CSRF-Token`.
pub fn header_token(req: &actix_web::HttpRequest) -> Option<&str> {
    req.headers().get(HEADER).and_then(|v| v.to_str().ok())
}

/// Whether `sent` is this session's CSRF token (compared in constant time).
pub fn matches_session(session: &actix_session::Session, sent: &str) -> bool {
    super::session::existing_csrf_token(session)
        .is_some_and(|expected| constant_time_eq(expected.as_bytes(), sent.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
