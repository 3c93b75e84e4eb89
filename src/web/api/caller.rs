//! Who is calling the API, and whether they may change things (docs/api.md, "Who may call what").
//!
//! - `Authorization: <key>` or `Bearer <key>`: an API key; a wrong or revoked one is 401,
//!   never a fallback to visitor.
//! - otherwise a dashboard session cookie: changes only while elevated and with the session's
//!   CSRF token in `X-CSRF-Token` (the cookie alone proves nothing).
//! - otherwise a visitor: reads only.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use super::error::ApiError;
use crate::audit::Actor;
use crate::auth::api_keys::{self, ApiKey};
use crate::auth::rate_limit;
use crate::web::{AppState, csrf};

/// The caller of an API operation. Extracting it checks a presented API key (a wrong or
/// revoked one is 401), so read operations take it for that alone; who may change things is
/// decided by [`Caller::authorize_change`], which looks at the dashboard session only then.
pub struct Caller {
    key: Option<ApiKey>,
    req: HttpRequest,
}

/// Changes per minute allowed to one API key and to one client address, counted in the
/// database so that several servers on one database share the budgets.
pub struct WriteLimiter {
    per_minute: u32,
}

impl WriteLimiter {
    pub fn per_minute(changes: u32) -> WriteLimiter {
        WriteLimiter {
            per_minute: changes.max(1),
        }
    }

    /// `Err(seconds to wait)` when either budget is spent.
    async fn check(
        &self,
        state: &AppState,
        key: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<Result<(), u64>, ApiError> {
        let mut buckets = Vec::new();
        if let Some(address) = address {
            buckets.push(format!("address:{address}"));
        }
        if let Some(key) = key {
            buckets.push(format!("key:{key}"));
        }
        let per_minute = self.per_minute;
        super::db(state, move |conn| {
            let now = crate::db::now_millis();
            for bucket in &buckets {
                if let Err(wait) = rate_limit::spend(conn, bucket, per_minute, now)? {
                    return Ok(Err(wait));
                }
            }
            Ok(Ok(()))
        })
        .await
    }
}

impl Caller {
    /// The actor for a restricted operation, or why this caller may not perform one.
    pub async fn authorize_change(&self, state: &AppState) -> Result<Actor, ApiError> {
        let (actor, key_id) = match &self.key {
            Some(key) => (key.actor(), Some(key.id.as_str())),
            None => {
                let Some(admin) = crate::web::extract::admin_session(&self.req).await? else {
                    return Err(ApiError::forbidden(
                        "This operation needs an API key (Authorization header)",
                    ));
                };
                if !admin.is_elevated() {
                    return Err(ApiError::forbidden(
                        "Confirm your password in the dashboard first: changes need an elevated session",
                    ));
                }
                // The cookie alone proves nothing: another site can make the browser send it.
                let csrf_ok = csrf::header_token(&self.req)
                    .is_some_and(|sent| csrf::matches_session(&self.req.get_session(), sent));
                if !csrf_ok {
                    return Err(ApiError::forbidden(
                        "Changes from a dashboard session must send the X-CSRF-Token header",
                    ));
                }
                (Actor::admin(&admin.email), None)
            }
        };
        let address = self.req.peer_addr().map(|a| a.ip());
        state
            .api_limiter
            .check(state, key_id, address)
            .await?
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

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let key = match presented_key(&req) {
                None => None,
                Some(secret) => {
                    let state = req
                        .app_data::<web::Data<AppState>>()
                        .ok_or_else(|| ApiError::internal("application state missing"))?;
                    let found = crate::db::run(&state.pool, move |conn| {
                        api_keys::authenticate(conn, &secret)
                    })
                    .await?;
                    Some(found.ok_or_else(ApiError::unauthenticated)?)
                }
            };
            Ok(Caller { key, req })
        })
    }
}
