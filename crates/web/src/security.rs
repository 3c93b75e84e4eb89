//! Response headers for every page, and htmx-friendly redirects.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' https: http: data:; object-src 'none'; base-uri 'self'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Areas whose answers carry secrets or one person's data even when they are not HTML.
const PRIVATE_AREAS: [&str; 4] = ["/dashboard", "/set-password", "/confirm-email", "/me"];

fn is_private(path: &str) -> bool {
    PRIVATE_AREAS.iter().any(|area| {
        path.strip_prefix(area)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Refuses an address whose path holds a NUL character (`%00`): no page, slug, id or token
/// has one, and PostgreSQL cannot even be asked about such text. (Search boxes take NUL in the
/// query and drop it, see `members::search`.) The JSON API answers in its own error shape.
pub async fn no_nul_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.uri().path().to_ascii_lowercase().contains("%00") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let response = if crate::api::paths::serves(req.path()) {
        actix_web::ResponseError::error_response(&super::api::error::ApiError::route_not_found())
    } else {
        actix_web::ResponseError::error_response(&crate::error::AppError::NotFound)
    };
    Ok(req.into_response(response).map_into_right_body())
}

/// Answers HEAD like GET: routes are declared for GET, and the server leaves out the body of
/// any answer to a HEAD request by itself.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let htmx = crate::extract::is_htmx(req.headers());
    let private = is_private(req.path());
    let mut res = next.call(req).await?;
    // A redirect answered to htmx would be followed inside the XHR and swapped into a
    // fragment; HX-Redirect makes the browser navigate instead.
    if htmx
        && res.status() == StatusCode::SEE_OTHER
        && let Some(location) = res.headers().get(header::LOCATION).cloned()
    {
        *res.response_mut().status_mut() = StatusCode::NO_CONTENT;
        res.headers_mut().remove(header::LOCATION);
        res.headers_mut()
            .insert(HeaderName::from_static("hx-redirect"), location);
    }
    let h = res.headers_mut();
    // Pages carry CSRF tokens, one-time links and personal data: no cache may keep them.
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if (private || html || h.contains_key(header::SET_COOKIE))
        && !h.contains_key(header::CACHE_CONTROL)
    {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    Ok(res)
}
