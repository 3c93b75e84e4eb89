//! Who is calling the API, and whether they may change things (docs/api.md, "Who may call what").
//!
//! - `Authorization: <key>` or `Bearer <key>`: an API key; a wrong or revoked one is 401,
//!   never a fallback to visitor.
//! - otherwise a dashboard session cookie: changes only while elevated and with the session's
//!   CSRF token in `X-CSRF-Token` (the cookie alone proves nothing).
//! - otherwise a visitor: reads only.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use super::error::ApiError;
use crate::blocking;
use crate::client::client_network;
use crate::state::AppState;
use crate::{budgets, csrf};
use insignia_core::audit::Actor;
use insignia_core::auth::api_keys::{self, ApiKey};
use insignia_core::members::profile::Audience;

/// The caller of an API operation. Extracting it checks a presented API key (a wrong or
/// revoked one is 401), so read operations take it for that alone; who may change things is
/// decided by [`Caller::authorize_change`], which looks at the dashboard session only then.
pub struct Caller {
    key: Option<ApiKey>,
    req: HttpRequest,
}

/// Spends one change of the API budgets of the caller's address and key: `Err(seconds to
/// wait)` when either is spent.
async fn spend_write(
    state: &AppState,
    req: &HttpRequest,
    key: Option<&str>,
) -> Result<Result<(), u64>, ApiError> {
    let per_minute = state.budgets.api_writes;
    let mut buckets = vec![(format!("address:{}", client_network(req)), per_minute)];
    if let Some(key) = key {
        buckets.push((format!("key:{key}"), per_minute));
    }
    Ok(budgets::spend(&state.pool, buckets).await?)
}

impl Caller {
    /// Whose view of members' badges this caller gets: an API key or an elevated dashboard
    /// session sees every assignment; anyone else sees what the public pages show, without
    /// the badges members hid from their profiles.
    pub async fn audience(&self) -> Result<Audience, ApiError> {
        if self.key.is_some() {
            return Ok(Audience::Everyone);
        }
        let admin = crate::extract::admin_session(&self.req).await?;
        Ok(if admin.is_some_and(|a| a.is_elevated()) {
            Audience::Everyone
        } else {
            Audience::Public
        })
    }

    /// The actor for a restricted operation, or why this caller may not perform one.
    pub async fn authorize_change(&self, state: &AppState) -> Result<Actor, ApiError> {
        let (actor, key_id) = match &self.key {
            Some(key) => (key.actor(), Some(key.id.as_str())),
            None => {
                let Some(admin) = crate::extract::admin_session(&self.req).await? else {
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
        spend_write(state, &self.req, key_id)
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
                    let found = blocking::run(&state.pool, move |conn| {
                        Ok(api_keys::authenticate(conn, &secret)?)
                    })
                    .await?;
                    Some(found.ok_or_else(ApiError::unauthenticated)?)
                }
            };
            Ok(Caller { key, req })
        })
    }
}
