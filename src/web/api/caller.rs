//! Who is calling the API, and whether they may change things (API.md, "Who may call what").
//!
//! - `Authorization: <key>` or `Bearer <key>`: an API key; a wrong or revoked one is 401,
//!   never a fallback to visitor.
//! - otherwise a dashboard session cookie: reads always; changes only while elevated and with
//!   the session's CSRF token in `X-CSRF-Token` (the cookie alone proves nothing).
//! - otherwise a visitor: reads only.

use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;
use crate::audit::Actor;
use crate::auth::api_keys::{self, ApiKey};
use crate::auth::sessions::AdminSession;
use crate::web::{AppState, csrf, session};

pub enum Identity {
    Visitor,
    Key(ApiKey),
    Admin {
        session: AdminSession,
        /// The request carried the session's CSRF token in `X-CSRF-Token`.
        csrf_ok: bool,
    },
}

pub struct Caller {
    pub identity: Identity,
    address: Option<IpAddr>,
}

/// Changes per minute allowed to one API key and to one client address.
pub struct WriteLimiter {
    per_key: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl WriteLimiter {
    pub fn per_minute(changes: u32) -> WriteLimiter {
        let quota = Quota::per_minute(NonZeroU32::new(changes).unwrap_or(NonZeroU32::MIN));
        WriteLimiter {
            per_key: RateLimiter::keyed(quota),
            per_address: RateLimiter::keyed(quota),
        }
    }

    /// `Err(seconds to wait)` when either budget is spent.
    fn check(&self, key: Option<&str>, address: Option<IpAddr>) -> Result<(), u64> {
        let wait = |not_until: governor::NotUntil<_>| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        };
        if let Some(address) = address {
            self.per_address.check_key(&address).map_err(wait)?;
        }
        if let Some(key) = key {
            self.per_key.check_key(&key.to_string()).map_err(wait)?;
        }
        // Forget idle callers now and then, so the maps do not grow without end.
        if self.per_address.len() > 10_000 {
            self.per_address.retain_recent();
            self.per_key.retain_recent();
        }
        Ok(())
    }
}

impl Caller {
    /// The actor for a restricted operation, or why this caller may not perform one.
    pub fn authorize_change(&self, limiter: &WriteLimiter) -> Result<Actor, ApiError> {
        let (actor, key_id) = match &self.identity {
            Identity::Key(key) => (key.actor(), Some(key.id.as_str())),
            Identity::Admin { session, csrf_ok } => {
                if !session.is_elevated() {
                    return Err(ApiError::forbidden(
                        "Confirm your password in the dashboard first: changes need an elevated session",
                    ));
                }
                if !csrf_ok {
                    return Err(ApiError::forbidden(
                        "Changes from a dashboard session must send the X-CSRF-Token header",
                    ));
                }
                (Actor::admin(&session.email), None)
            }
            Identity::Visitor => {
                return Err(ApiError::forbidden(
                    "This operation needs an API key (Authorization header)",
                ));
            }
        };
        limiter
            .check(key_id, self.address)
            .map_err(ApiError::rate_limited)?;
        Ok(actor)
    }
}

fn presented_key(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    let value = value.to_str().unwrap_or("\u{0}").trim();
    // The Wix client sends `Authorization: ""` when it has no credentials: a visitor.
    if value.is_empty() {
        return None;
    }
    let key = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    Some(key.to_string())
}

async fn identify(req: HttpRequest) -> Result<Identity, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let pool = state.pool.clone();
    if let Some(secret) = presented_key(&req) {
        let key = crate::db::run(&pool, move |conn| api_keys::authenticate(conn, &secret)).await?;
        return key.map(Identity::Key).ok_or_else(ApiError::unauthenticated);
    }
    let Some(admin) = crate::web::extract::admin_session(&req).await? else {
        return Ok(Identity::Visitor);
    };
    let cookie = req.get_session();
    let sent = req
        .headers()
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok());
    let csrf_ok = match (session::existing_csrf_token(&cookie), sent) {
        (Some(expected), Some(sent)) => {
            csrf::constant_time_eq(expected.as_bytes(), sent.as_bytes())
        }
        _ => false,
    };
    Ok(Identity::Admin {
        session: admin,
        csrf_ok,
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let address = req.peer_addr().map(|a| a.ip());
            Ok(Caller {
                identity: identify(req).await?,
                address,
            })
        })
    }
}
