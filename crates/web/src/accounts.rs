//! Member sign-up, sign-in, sign-out and set-password links on the public site.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::client::client_network;
use super::extract::MaybeMember;
use super::forms::Errors;
use super::layout::Layout;
use super::routes::Routes;
use super::session::{self as cookie, FlashKind};
use super::{AppState, render_with, safe_next, see_other};
use crate::blocking;
use crate::error::AppError;
use crate::sign_in;
use insignia_core::auth::member_accounts as accounts;
use insignia_core::auth::member_links as passwords;
use insignia_core::auth::sign_in::{Client, Outcome};
use insignia_core::auth::throttle;
use insignia_core::members::MemberError;
use insignia_core::members::addresses;

pub fn configure(routes: &mut Routes) {
    routes
        .at("/signup", |p| p.get(signup_form).post(signup))
        .at("/login", |p| p.get(login_form).post(login))
        .at("/logout", |p| p.post(logout))
        .at("/set-password/{token}", |p| {
            p.get(set_password_form).post(set_password)
        })
        .at("/confirm-email/{token}", |p| {
            p.get(confirm_email_form).post(confirm_email)
        });
}

#[derive(Template)]
#[template(path = "site/signup.html")]
struct SignupPage {
    layout: Layout,
    name: String,
    email: String,
    errors: Errors,
}

/// Sign-up is open when the operator allows it and the owner has set the site up.
async fn signups_open(state: &AppState) -> Result<(), AppError> {
    if !state.settings.signups_open {
        return Err(AppError::Forbidden(
            "This site does not take new sign-ups. Ask the site owner for an account.".to_string(),
        ));
    }
    if blocking::run(&state.pool, |conn| {
        Ok(insignia_core::auth::admins::count(conn)?)
    })
    .await?
        == 0
    {
        return Err(AppError::Forbidden(
            "This site is not set up yet. Please come back once its owner has set it up."
                .to_string(),
        ));
    }
    Ok(())
}

async fn signup_form(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    signups_open(&state).await?;
    render_with(
        StatusCode::OK,
        &SignupPage {
            layout: Layout::site(
                &session,
                &state.settings,
                member.bar(),
                "Sign up",
                req.path(),
            ),
            name: String::new(),
            email: String::new(),
            errors: Errors::default(),
        },
    )
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn signup(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SignupForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    signups_open(&state).await?;
    super::budgets::spend_signup(&state, &req).await?;
    let form = form.into_inner();
    let (name, email, pw) = (form.name.clone(), form.email.clone(), form.password.clone());
    let by_mail = state.settings.mail.is_some();
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(match accounts::sign_up(conn, &name, &email, &pw, by_mail) {
            Ok(member) => Ok(accounts::start_session(conn, &member.id)?),
            Err(e) => Err(e),
        })
    })
    .await?;
    let mut errors = Errors::default();
    match outcome {
        Ok(token) => {
            cookie::sign_in_member(&session, &token)?;
            let welcome = if by_mail {
                "Welcome! Your account is ready. Badges you are given show here. We sent you a \
                 mail: follow its link to confirm your address."
            } else {
                "Welcome! Your account is ready. Badges you are given show here."
            };
            cookie::flash(&session, FlashKind::Success, welcome);
            return Ok(see_other("/me"));
        }
        Err(MemberError::Invalid(list)) => list.into_iter().for_each(|(f, m)| errors.add(f, m)),
        Err(MemberError::EmailTaken) => {
            errors.add("email", "already has an account; sign in instead")
        }
        Err(e) => return Err(e.into()),
    }
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SignupPage {
            layout: Layout::site(&session, &state.settings, None, "Sign up", req.path()),
            name: form.name,
            email: form.email,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "site/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
    signups_open: bool,
    /// Whether "Forgot your password?" can send a link.
    mail_on: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    query: web::Query<NextQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref(), "/");
    if member.0.is_some() {
        return Ok(see_other(&next));
    }
    render_with(
        StatusCode::OK,
        &LoginPage {
            layout: Layout::site(&session, &state.settings, None, "Sign in", req.path()),
            email: String::new(),
            next,
            error: None,
            signups_open: state.settings.signups_open,
            mail_on: state.settings.mail.is_some(),
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref(), "/");
    let client = Client::Address(client_network(&req));
    let outcome = sign_in::member(&state.pool, client, &form.email, form.password.clone()).await?;
    let (status, error) = match outcome {
        Outcome::Ok(member) => {
            let token = blocking::run(&state.pool, move |conn| {
                Ok(accounts::start_session(conn, &member.id)?)
            })
            .await?;
            cookie::sign_in_member(&session, &token)?;
            return Ok(see_other(&next));
        }
        Outcome::Locked(m) => (StatusCode::TOO_MANY_REQUESTS, throttle::lockout_message(m)),
        Outcome::Wrong => (
            StatusCode::UNAUTHORIZED,
            "The e-mail or password is not right.".to_string(),
        ),
    };
    render_with(
        status,
        &LoginPage {
            layout: Layout::site(&session, &state.settings, None, "Sign in", req.path()),
            email: form.email,
            next,
            error: Some(error),
            signups_open: state.settings.signups_open,
            mail_on: state.settings.mail.is_some(),
        },
    )
}

async fn logout(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    if let Some(token) = cookie::member_token(&session) {
        blocking::run(&state.pool, move |conn| {
            Ok(accounts::end_session(conn, &token)?)
        })
        .await?;
    }
    cookie::sign_out_member(&session);
    cookie::flash(&session, FlashKind::Info, "You are signed out.");
    Ok(see_other("/"))
}

#[derive(Template)]
#[template(path = "site/set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    name: String,
    error: Option<String>,
}

async fn set_password_form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let member = blocking::run(&state.pool, move |conn| {
        Ok(passwords::member_for(conn, &token)?)
    })
    .await?;
    let member = member.ok_or_else(expired)?;
    render_with(
        StatusCode::OK,
        &SetPasswordPage {
            layout: Layout::site(
                &session,
                &state.settings,
                None,
                "Choose a password",
                req.path(),
            ),
            name: member.name,
            error: None,
        },
    )
}

fn expired() -> AppError {
    AppError::NotFound
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn set_password(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<SetPasswordForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let form = form.into_inner();
    let lookup = token.clone();
    let member = blocking::run(&state.pool, move |conn| {
        Ok(passwords::member_for(conn, &lookup)?)
    })
    .await?
    .ok_or_else(expired)?;
    let error = if form.password != form.password_confirm {
        Some("The two passwords do not match.".to_string())
    } else {
        let pw = form.password.clone();
        match blocking::run(&state.pool, move |conn| {
            Ok(passwords::use_link(conn, &token, &pw)?)
        })
        .await?
        {
            Ok(_) => {
                cookie::flash(
                    &session,
                    FlashKind::Success,
                    "Password set. You can sign in now.",
                );
                return Ok(see_other("/login"));
            }
            Err(message) => Some(message),
        }
    };
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SetPasswordPage {
            layout: Layout::site(
                &session,
                &state.settings,
                None,
                "Choose a password",
                req.path(),
            ),
            name: member.name,
            error,
        },
    )
}

#[derive(Template)]
#[template(path = "site/confirm_email.html")]
struct ConfirmEmailPage {
    layout: Layout,
    /// The address the link confirms, while it works.
    address: Option<String>,
    /// Why the address was not confirmed.
    problem: Option<String>,
}

/// The confirmation page: the address a working link confirms, or why it confirms nothing.
fn confirm_email_page(
    state: &AppState,
    session: &Session,
    member: &MaybeMember,
    req: &HttpRequest,
    status: StatusCode,
    shown: Result<String, String>,
) -> Result<HttpResponse, AppError> {
    let (address, problem) = match shown {
        Ok(address) => (Some(address), None),
        Err(problem) => (None, Some(problem)),
    };
    render_with(
        status,
        &ConfirmEmailPage {
            layout: Layout::site(
                session,
                &state.settings,
                member.bar(),
                "Confirm your address",
                req.path(),
            ),
            address,
            problem,
        },
    )
}

/// The link of a confirmation mail: the page names the address, and its button confirms it
/// (a GET changes nothing, so a mail scanner that opens the link confirms nothing).
async fn confirm_email_form(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let link = blocking::run(&state.pool, move |conn| {
        Ok(addresses::link_for(conn, &token)?)
    })
    .await?;
    let (status, shown) = match link {
        Some((_, address)) => (StatusCode::OK, Ok(address)),
        None => (StatusCode::NOT_FOUND, Err(addresses::EXPIRED.to_string())),
    };
    confirm_email_page(&state, &session, &member, &req, status, shown)
}

async fn confirm_email(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let confirmed = blocking::run(&state.pool, move |conn| {
        Ok(addresses::confirm(conn, &token)?)
    })
    .await?;
    match confirmed {
        Ok(member) => {
            let said = format!("Thank you: {} is confirmed as your address.", member.email);
            cookie::flash(&session, FlashKind::Success, said);
            Ok(see_other("/me"))
        }
        Err(problem) => confirm_email_page(
            &state,
            &session,
            &member,
            &req,
            StatusCode::CONFLICT,
            Err(problem),
        ),
    }
}
