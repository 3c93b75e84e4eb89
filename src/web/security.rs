//! Response headers for every page, and htmx-friendly redirects.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' https: http: data:; object-src 'none'; base-uri 'self'; \
                   form-action 'self'; frame-ancestors 'none'";

pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let htmx = req.headers().contains_key("hx-request");
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
