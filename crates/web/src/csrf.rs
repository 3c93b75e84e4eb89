//! CSRF protection for every unsafe request of the site and dashboard: the token from the
//! session must come back as the `X-CSRF-Token` header (htmx) or the `csrf_token` form field
//! (plain forms, url-encoded or multipart). Anything else is 403 before a handler runs.
//!
//! The guard reads form bodies anyway, so it also refuses what no handler should see: a body
//! over the form limit (413), and url-encoded text that is not UTF-8 or holds a control
//! character (400), in forms and in query strings; the usual decoders would silently replace
//! bad bytes, and PostgreSQL cannot store NUL.

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::error::AppError;
use crate::forms::too_large;
use crate::state::FORM_LIMIT;

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf_token";

/// The JSON API authenticates each call itself (API keys, or a session plus the header) and
/// answers bad bodies in its own error shape. The path is taken as the router matches it.
fn is_api(req: &ServiceRequest) -> bool {
    crate::api::paths::serves(req.match_info().as_str())
}

/// An unsubscribe link is authorised by its own signature (RFC 8058: mail clients post to it
/// with no cookie, so no CSRF token either); its handler checks the signature.
fn is_signed_link(req: &ServiceRequest) -> bool {
    req.path().starts_with("/unsubscribe/")
}

fn is_safe_method(req: &ServiceRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if is_api(&req) || is_signed_link(&req) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let refuse = |req: ServiceRequest, error: AppError| {
        Ok(req
            .into_response(error.error_response())
            .map_into_right_body())
    };
    if let Err(problem) = check_form_text(req.query_string().as_bytes()) {
        return refuse(req, problem.refusal("This address"));
    }
    if is_safe_method(&req) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    // The body is judged before the token, so an oversized or garbled form is told so
    // instead of "expired".
    let form = match read_form(&mut req).await {
        Ok(form) => form,
        Err(error) => return refuse(req, error),
    };
    let sent = match header_token(req.request()) {
        Some(token) => Some(token.to_string()),
        None => match form {
            Some(body) => token_in_body(&req, body).await,
            None => None,
        },
    };
    match sent {
        Some(sent) if matches_session(&req.get_session(), &sent) => {
            Ok(next.call(req).await?.map_into_left_body())
        }
        _ => refuse(
            req,
            AppError::Forbidden(
                "This form has expired or did not come from this site, so nothing was changed. \
                 Go back, reload the page and try again."
                    .to_string(),
            ),
        ),
    }
}

fn not_utf8(what: &str) -> AppError {
    AppError::BadRequest(format!(
        "{what} contains text that is not valid UTF-8, so nothing was changed. \
         Check the text for damaged characters and try again."
    ))
}

enum FormKind {
    UrlEncoded,
    Multipart,
}

fn form_kind(req: &ServiceRequest) -> Option<FormKind> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        Some(FormKind::UrlEncoded)
    } else if content_type.starts_with("multipart/form-data") {
        Some(FormKind::Multipart)
    } else {
        None
    }
}

/// Reads a form body (up to the form limit), checks it, and puts it back for the handler.
/// `None` for requests that carry no form.
async fn read_form(req: &mut ServiceRequest) -> Result<Option<Bytes>, AppError> {
    let Some(kind) = form_kind(req) else {
        return Ok(None);
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > FORM_LIMIT) {
        return Err(too_large());
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    if matches!(kind, FormKind::UrlEncoded)
        && let Err(problem) = check_form_text(&body)
    {
        return Err(problem.refusal("This form"));
    }
    req.set_payload(Payload::from(body.clone()));
    Ok(Some(body))
}

enum TextProblem {
    NotUtf8,
    Control(char),
}

impl TextProblem {
    fn refusal(&self, what: &str) -> AppError {
        match self {
            TextProblem::NotUtf8 => not_utf8(what),
            TextProblem::Control(c) => super::forms::control_refused(what, *c),
        }
    }
}

/// Whether every name and value of a url-encoded form (or query string) decodes to UTF-8
/// without control characters. The usual decoders replace bad bytes with U+FFFD, which would
/// save damaged text.
fn check_form_text(encoded: &[u8]) -> Result<(), TextProblem> {
    for pair in encoded.split(|b| *b == b'&') {
        let decoded: Vec<u8> = percent_encoding::percent_decode(pair).collect();
        let text = std::str::from_utf8(&decoded).map_err(|_| TextProblem::NotUtf8)?;
        let name = text.split_once('=').map_or(text, |(name, _)| name);
        let checked = if super::forms::REPORTED_BY_LINE.contains(&name) {
            name
        } else {
            text
        };
        if let Some(c) = super::forms::first_control(checked) {
            return Err(TextProblem::Control(c));
        }
    }
    Ok(())
}

async fn token_in_body(req: &ServiceRequest, body: Bytes) -> Option<String> {
    match form_kind(req)? {
        FormKind::UrlEncoded => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v),
        FormKind::Multipart => multipart_field(req.headers(), body, FIELD).await,
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
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_must_decode_to_utf8_without_control_characters() {
        let ok = |form: &[u8]| check_form_text(form).is_ok();
        assert!(ok(b"title=Caf%C3%A9&x=a+b"));
        assert!(ok(b""));
        assert!(ok(b"bulk=a%0D%0Ab%09c"), "line breaks and tabs are text");
        assert!(!ok(b"title=%FF%FE"));
        assert!(!ok(b"ok=1&title=Caf%C3"));
        assert!(!ok(b"%C3=1"));
        for bad in [
            &b"q=a%00b"[..],
            b"badge_id=%01",
            b"x%00=1",
            b"name=%C2%85",
            b"t=%7F",
        ] {
            assert!(
                matches!(check_form_text(bad), Err(TextProblem::Control(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // A pasted import reports its bad lines itself.
        assert!(ok(
            b"csv_text=name%2Cemail%0Aa%00b%2Cx%40y.z&action=dry_run"
        ));
        assert!(!ok(b"csv_text=x&action=dry%00run"));
    }
}
