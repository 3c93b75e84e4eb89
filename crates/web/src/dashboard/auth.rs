//! Setup, sign-in, sign-out, elevation and the account page.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use crate::blocking;
use crate::budgets;
use crate::client::client_network;
use crate::error::AppError;
use crate::extract::{CurrentAdmin, MaybeAdmin};
use crate::forms::Errors;
use crate::layout::Layout;
use crate::respond::{render_with, safe_next, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::sign_in;
use crate::state::AppState;
use insignia_core::auth::admins::{self, CreateError};
use insignia_core::auth::sign_in::{Client, Outcome};
use insignia_core::auth::{password, sessions, setup, throttle};

const HOME: &str = "/dashboard/badges";

pub async fn home(state: web::Data<AppState>, admin: MaybeAdmin) -> Result<HttpResponse, AppError> {
    if admin.0.is_some() {
        return Ok(see_other(HOME));
    }
    let admins = blocking::run(&state.pool, |conn| Ok(admins::count(conn)?)).await?;
    Ok(see_other(if admins == 0 {
        "/dashboard/setup"
    } else {
        "/dashboard/login"
    }))
}

#[derive(Template)]
#[template(path = "dashboard/setup.html")]
struct SetupPage {
    layout: Layout,
    email: String,
    /// The setup code as the visitor brought it; shown as a field until it is right.
    code: String,
    code_is_valid: bool,
    errors: Errors,
}

impl SetupPage {
    fn new(session: &Session, email: String, code: String, code_is_valid: bool) -> SetupPage {
        SetupPage {
            layout: Layout::new(session, None, "Set up Insignia", "/dashboard/setup"),
            email,
            code,
            code_is_valid,
            errors: Errors::default(),
        }
    }
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    code: String,
}

/// Whether `code` is the site's setup code; once an admin exists, setup is gone (404).
async fn check_setup_code(state: &AppState, code: String) -> Result<bool, AppError> {
    blocking::run(&state.pool, move |conn| Ok(setup::check(conn, &code)?))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn setup_form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<SetupQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let code = query.into_inner().code;
    // The page says whether a code is right, so a code in the address is a try like a post.
    if !code.is_empty() {
        budgets::spend_setup_try(&state, &req).await?;
    }
    let valid = check_setup_code(&state, code.clone()).await?;
    let mut page = SetupPage::new(&session, String::new(), code, valid);
    if !valid && !page.code.is_empty() {
        page.errors.add("code", WRONG_CODE);
    }
    render_with(StatusCode::OK, &page)
}

const WRONG_CODE: &str = "is not this site's setup code. Open the link that insignia serve wrote to its log when it started.";

pub async fn setup(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SetupForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    budgets::spend_setup_try(&state, &req).await?;
    let code_is_valid = check_setup_code(&state, form.code.clone()).await?;
    let mut page = SetupPage::new(
        &session,
        form.email.clone(),
        form.code.clone(),
        code_is_valid,
    );
    if !code_is_valid {
        page.errors.add("code", WRONG_CODE);
        return render_with(StatusCode::FORBIDDEN, &page);
    }
    let errors = &mut page.errors;
    if let Err(m) = insignia_core::email::parse(&form.email) {
        errors.add("email", m);
    }
    if let Err(m) = password::check_new(&form.password) {
        errors.add("password", m);
    }
    if form.password != form.password_confirm {
        errors.add("password_confirm", "does not match the password");
    }
    if errors.is_empty() {
        let (email, pw) = (form.email.clone(), form.password.clone());
        let minutes = state.settings.elevation();
        let outcome = blocking::run(&state.pool, move |conn| {
            Ok(match admins::create(conn, &email, &pw, true)? {
                Ok(admin) => Ok(sessions::start(conn, &admin.id, minutes)?),
                Err(e) => Err(e),
            })
        })
        .await?;
        match outcome {
            Ok(token) => {
                cookie::sign_in_admin(&session, &token)?;
                cookie::flash(
                    &session,
                    FlashKind::Success,
                    "Welcome to Insignia. Create your first badge.",
                );
                return Ok(see_other(HOME));
            }
            Err(CreateError::Email(m)) => errors.add("email", m),
            Err(CreateError::Password(m)) => errors.add("password", m),
            Err(CreateError::EmailTaken) => errors.add("email", "is already an admin"),
            Err(CreateError::NotFirst) => return Err(AppError::NotFound),
        }
    }
    render_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<NextQuery>,
    admin: MaybeAdmin,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref(), HOME);
    if admin.0.is_some() {
        return Ok(see_other(&next));
    }
    if blocking::run(&state.pool, |conn| Ok(admins::count(conn)?)).await? == 0 {
        return Ok(see_other("/dashboard/setup"));
    }
    let page = LoginPage {
        layout: Layout::new(&session, None, "Sign in", "/dashboard/login"),
        email: String::new(),
        next,
        error: None,
    };
    render_with(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref(), HOME);
    let client = Client::Address(client_network(&req));
    let (status, error) =
        match sign_in::admin(&state.pool, client, &form.email, form.password).await? {
            Outcome::Ok(admin) => {
                let minutes = state.settings.elevation();
                let token = blocking::run(&state.pool, move |conn| {
                    Ok(sessions::start(conn, &admin.id, minutes)?)
                })
                .await?;
                cookie::sign_in_admin(&session, &token)?;
                return Ok(see_other(&next));
            }
            Outcome::Wrong => (
                StatusCode::UNAUTHORIZED,
                "The e-mail or password is not right.".to_string(),
            ),
            Outcome::Locked(m) => (StatusCode::TOO_MANY_REQUESTS, throttle::lockout_message(m)),
        };
    let page = LoginPage {
        layout: Layout::new(&session, None, "Sign in", "/dashboard/login"),
        email: form.email,
        next,
        error: Some(error),
    };
    render_with(status, &page)
}

/// A signed-in admin confirming their own password: throttled per session, so strangers'
/// guesses at the sign-in form cannot block it.
async fn confirm_password(
    state: &AppState,
    admin: &CurrentAdmin,
    password_text: String,
) -> Result<Outcome<admins::Admin>, AppError> {
    let client = Client::Session(admin.0.token_hash.clone());
    sign_in::admin(&state.pool, client, &admin.0.email, password_text).await
}

pub async fn logout(
    state: web::Data<AppState>,
    session: Session,
    admin: MaybeAdmin,
) -> Result<HttpResponse, AppError> {
    if let Some(admin) = admin.0 {
        blocking::run(&state.pool, move |conn| Ok(sessions::end(conn, &admin)?)).await?;
    }
    cookie::sign_out_admin(&session);
    cookie::flash(&session, FlashKind::Info, "You are signed out.");
    Ok(see_other("/dashboard/login"))
}

#[derive(Template)]
#[template(path = "dashboard/elevate.html")]
struct ElevatePage {
    layout: Layout,
    next: String,
    error: Option<String>,
    kept_draft: bool,
}

async fn has_draft_for(
    state: &AppState,
    admin: &CurrentAdmin,
    next: &str,
) -> Result<bool, AppError> {
    let (session, path) = (
        admin.0.clone(),
        next.split('?').next().unwrap_or(next).to_string(),
    );
    blocking::run(&state.pool, move |conn| {
        Ok(sessions::has_draft(conn, &session, &path)?)
    })
    .await
}

pub async fn elevate_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    query: web::Query<NextQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref(), HOME);
    let page = ElevatePage {
        kept_draft: has_draft_for(&state, &admin, &next).await?,
        layout: Layout::new(
            &session,
            Some(&admin.0),
            "Confirm your password",
            req.path(),
        ),
        next,
        error: None,
    };
    render_with(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ElevateForm {
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn elevate(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: web::Form<ElevateForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref(), HOME);
    let (status, error) = match confirm_password(&state, &admin, form.password).await? {
        Outcome::Ok(_) => {
            let (s, elevation) = (admin.0.clone(), state.settings.elevation());
            blocking::run(&state.pool, move |conn| {
                Ok(sessions::elevate(conn, &s, elevation)?)
            })
            .await?;
            let lasts = elevation_words(elevation);
            // One message: the form the admin returns to has nothing of its own to add.
            let text = if has_draft_for(&state, &admin, &next).await? {
                format!(
                    "Password confirmed, and what you typed is back. Check it and save again; you can {lasts}"
                )
            } else {
                format!("Password confirmed. You can {lasts}")
            };
            cookie::flash(&session, FlashKind::Success, text);
            return Ok(see_other(&next));
        }
        Outcome::Wrong => (
            StatusCode::UNAUTHORIZED,
            "That password is not right.".to_string(),
        ),
        Outcome::Locked(m) => (StatusCode::TOO_MANY_REQUESTS, throttle::lockout_message(m)),
    };
    let page = ElevatePage {
        kept_draft: has_draft_for(&state, &admin, &next).await?,
        layout: Layout::new(
            &session,
            Some(&admin.0),
            "Confirm your password",
            req.path(),
        ),
        next,
        error: Some(error),
    };
    render_with(status, &page)
}

#[derive(Deserialize)]
pub struct EndElevationForm {
    next: Option<String>,
}

pub async fn end_elevation(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: web::Form<EndElevationForm>,
) -> Result<HttpResponse, AppError> {
    let s = admin.0.clone();
    blocking::run(&state.pool, move |conn| {
        Ok(sessions::end_elevation(conn, &s)?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Info,
        "Elevation ended. Changes will ask for your password again.",
    );
    Ok(see_other(&safe_next(form.next.as_deref(), HOME)))
}

#[derive(Template)]
#[template(path = "dashboard/account.html")]
struct AccountPage {
    layout: Layout,
    errors: Errors,
}

pub async fn account(
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let page = AccountPage {
        layout: Layout::new(&session, Some(&admin.0), "Your account", req.path()),
        errors: Errors::default(),
    };
    render_with(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

/// Changing the password ends every session of this admin, this one included.
pub async fn change_password(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: web::Form<PasswordForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = Errors::default();
    match confirm_password(&state, &admin, form.current_password).await? {
        Outcome::Ok(_) => {}
        Outcome::Wrong => errors.add("current_password", "is not right"),
        Outcome::Locked(m) => errors.add("current_password", throttle::lockout_message(m)),
    }
    if form.new_password != form.new_password_confirm {
        errors.add("new_password_confirm", "does not match the new password");
    }
    if errors.is_empty() {
        let (id, pw) = (admin.0.admin_id.clone(), form.new_password);
        match blocking::run(&state.pool, move |conn| {
            Ok(admins::change_password(conn, &id, &pw)?)
        })
        .await?
        {
            Ok(()) => {
                cookie::sign_out_admin(&session);
                cookie::flash(
                    &session,
                    FlashKind::Success,
                    "Password changed. Every session was signed out; sign in with the new password.",
                );
                return Ok(see_other("/dashboard/login"));
            }
            Err(m) => errors.add("new_password", m),
        }
    }
    let page = AccountPage {
        layout: Layout::new(&session, Some(&admin.0), "Your account", req.path()),
        errors,
    };
    render_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// How long a confirmation lasts, in words, for the message after it.
fn elevation_words(elevation: sessions::Elevation) -> String {
    format!(
        "make changes without your password while you keep working (each change gives you {} more), for up to {} in all.",
        crate::views::count_of(elevation.minutes as usize, "minute", "minutes"),
        crate::views::count_of(
            elevation.max_minutes.max(elevation.minutes) as usize,
            "minute",
            "minutes"
        ),
    )
}
