//! Extractors for who is asking.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::Method, web};

use serde::{Serialize, de::DeserializeOwned};

use crate::blocking;
use crate::error::AppError;
use crate::forms;
use crate::layout::MemberBar;
use crate::state::AppState;
use insignia_core::auth::sessions::{self, AdminSession};

/// A signed-in admin (a live server-side session). Visitors are sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct CurrentAdmin(pub AdminSession);

impl CurrentAdmin {
    /// Who the audit log and events name for this admin's changes.
    pub fn actor(&self) -> insignia_core::audit::Actor {
        insignia_core::audit::Actor::admin(&self.0.email)
    }

    /// Restricted operations need a recently confirmed password.
    pub fn require_elevation(&self, return_to: &str) -> Result<(), AppError> {
        if self.0.is_elevated() {
            Ok(())
        } else {
            Err(AppError::NeedsElevation {
                next: return_to.to_string(),
            })
        }
    }
}

impl CurrentAdmin {
    /// Like [`CurrentAdmin::require_elevation`], but first keeps the posted form for `path`
    /// (as the pairs it serializes to, [`forms::to_pairs`]), so that page can fill it in
    /// again after the password prompt.
    pub async fn require_elevation_keeping(
        &self,
        pool: &insignia_core::db::DbPool,
        path: &str,
        form: &impl Serialize,
    ) -> Result<(), AppError> {
        if self.0.is_elevated() {
            return Ok(());
        }
        let draft = sessions::Draft {
            path: path.to_string(),
            form: forms::to_pairs(form)?,
        };
        let session = self.0.clone();
        blocking::run(pool, move |conn| {
            Ok(sessions::save_draft(conn, &session, &draft)?)
        })
        .await?;
        self.require_elevation(path)
    }

    /// The form kept for `path` while the admin confirmed their password, handed out once,
    /// read like the posted form ([`forms::from_pairs`]).
    pub async fn take_draft<T: DeserializeOwned>(
        &self,
        pool: &insignia_core::db::DbPool,
        path: &str,
    ) -> Result<Option<T>, AppError> {
        let (session, path) = (self.0.clone(), path.to_string());
        let draft = blocking::run(pool, move |conn| {
            Ok(sessions::take_draft(conn, &session, &path)?)
        })
        .await?;
        draft.map(|d| forms::from_pairs(&d.form)).transpose()
    }
}

/// The page to come back to after signing in: this one for a GET, the dashboard otherwise.
fn return_path(req: &HttpRequest) -> String {
    if req.method() == Method::GET {
        req.uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_else(|| "/dashboard".to_string())
    } else {
        "/dashboard".to_string()
    }
}

/// The live admin session this request's cookie names, if any.
pub async fn admin_session(req: &HttpRequest) -> Result<Option<AdminSession>, AppError> {
    let Some(token) = super::session::admin_token(&req.get_session()) else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    blocking::run(&state.pool, move |conn| Ok(sessions::lookup(conn, &token)?)).await
}

/// A change posted by an elevated admin extends the elevation (sudo mode: `--elevation-minutes`
/// after the last change, at most `--elevation-max-minutes` from the password). Ending the
/// elevation, signing out and the editor's preview are no such change; nor is looking at pages.
async fn extend_elevation(
    req: &HttpRequest,
    session: AdminSession,
) -> Result<AdminSession, AppError> {
    const NOT_CHANGES: [&str; 3] = [
        "/dashboard/elevate/end",
        "/dashboard/logout",
        // The editor's live preview, posted while typing.
        "/dashboard/badges/preview",
    ];
    if req.method() != actix_web::http::Method::POST || NOT_CHANGES.contains(&req.path()) {
        return Ok(session);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let elevation = state.settings.elevation();
    let Some(until) = sessions::extended_until(&session, elevation) else {
        return Ok(session);
    };
    let kept = session.clone();
    blocking::run(&state.pool, move |conn| {
        Ok(sessions::extend_elevation(conn, &kept, elevation)?)
    })
    .await?;
    Ok(AdminSession {
        elevated_until: Some(until),
        ..session
    })
}

impl FromRequest for CurrentAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match admin_session(&req).await? {
                Some(session) => Ok(CurrentAdmin(extend_elevation(&req, session).await?)),
                None => Err(AppError::NeedsSignIn {
                    next: return_path(&req),
                }),
            }
        })
    }
}

/// The admin if one is signed in, for pages that anyone may see.
#[derive(Debug, Clone)]
pub struct MaybeAdmin(pub Option<AdminSession>);

impl FromRequest for MaybeAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeAdmin(admin_session(&req).await?)) })
    }
}

/// The signed-in member, if any (a live server-side member session), and how many of their
/// badges are new to them (the header shows it on every page).
#[derive(Debug, Clone)]
pub struct MaybeMember(pub Option<insignia_core::members::Member>, NewBadges);

#[derive(Debug, Clone, Copy, Default)]
struct NewBadges(i64);

impl MaybeMember {
    /// What the site header shows of the member.
    pub fn bar(&self) -> Option<MemberBar> {
        self.0.as_ref().map(|m| MemberBar::of(m, self.1.0))
    }

    /// Badges given to the member since they last opened `/me`.
    pub fn new_badges(&self) -> i64 {
        self.1.0
    }
}

impl FromRequest for MaybeMember {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(token) = super::session::member_token(&req.get_session()) else {
                return Ok(MaybeMember(None, NewBadges::default()));
            };
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("application state missing"))?;
            let (member, new) = blocking::run(&state.pool, move |conn| {
                let Some(member) =
                    insignia_core::auth::member_accounts::session_member(conn, &token)?
                else {
                    return Ok((None, 0));
                };
                let new = insignia_core::members::profile::new_badge_count(conn, &member.id)?;
                Ok((Some(member), new))
            })
            .await?;
            Ok(MaybeMember(member, NewBadges(new)))
        })
    }
}

/// Whether a request was sent by htmx (it then wants a fragment, not a whole page or a
/// redirect). Handlers take [`HxRequest`]; middleware asks this.
pub fn is_htmx(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Whether this request was sent by htmx (the `HX-Request` header), as an extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HxRequest(pub bool);

impl FromRequest for HxRequest {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(HxRequest(is_htmx(req.headers()))))
    }
}
