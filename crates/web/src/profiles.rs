//! What members and visitors see: the member directory, public profiles, and `/me`.

use std::rc::Rc;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::budgets;
use super::extract::{HxRequest, MaybeMember};
use super::forms::{self, HtmlForm};
use super::layout::{Layout, MemberBar, OpenGraph};
use super::routes::Routes;
use super::session::{self as cookie, FlashKind};
use super::views::BadgeView;
use super::{AppState, render, render_with, see_other, url_encode};
use crate::blocking;
use crate::error::AppError;
use crate::paging::page_of;
use crate::sign_in;
use actix_web::http::StatusCode;
use insignia_core::auth::password;
use insignia_core::auth::sign_in::{Client, Outcome};
use insignia_core::auth::throttle;
use insignia_core::badges::store as badge_store;
use insignia_core::db::keys::MemberKey;
use insignia_core::ids::{BadgeId, MemberId};
use insignia_core::members::addresses::{self, Standing};
use insignia_core::members::profile::{self, ArrangeError, Arrangement, Audience};
use insignia_core::members::{self, Member, assignments, search};
use insignia_core::tokens::hash_token;

const PAGE_SIZE: i64 = 30;

pub fn configure(routes: &mut Routes) {
    routes
        .at("/members", |p| p.get(directory))
        .at("/members/{slug}", |p| p.get(profile))
        .at("/me", |p| p.get(me))
        .at("/me/name", |p| p.post(change_name))
        .at("/me/password", |p| p.post(change_password))
        .at("/me/email", |p| p.post(change_email))
        .at("/me/email/keep", |p| p.post(keep_email))
        .at("/me/mail", |p| p.post(change_mail))
        .at("/me/badges", |p| p.post(set_own_badge))
        .at("/me/badges/arrange", |p| p.post(arrange));
}

pub struct DirectoryEntry {
    pub member: Member,
    /// Shared: each badge on the page is made ready to draw once.
    pub badges: Vec<Rc<BadgeView>>,
}

#[derive(Template)]
#[template(path = "site/directory.html")]
struct DirectoryPage {
    layout: Layout,
    q: String,
    entries: Vec<DirectoryEntry>,
    older_link: Option<String>,
}

#[derive(Deserialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    q: String,
    before: Option<i64>,
}

/// The public directory: newest members first, searchable, each with their badges.
async fn directory(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    query: web::Query<DirectoryQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let DirectoryQuery { q, before } = query.into_inner();
    let term = q.clone();
    let (hits, held) = blocking::run(&state.pool, move |conn| {
        // Names only: a visitor must not find members by their e-mail address.
        let hits = search::members_by_name(conn, &term, before, PAGE_SIZE + 1)?;
        let keys: Vec<MemberKey> = hits.iter().map(|h| MemberKey(h.rowid)).collect();
        Ok((hits, assignments::public_badges_of_keys(conn, &keys)?))
    })
    .await?;
    let (hits, more) = page_of(hits, PAGE_SIZE as usize);
    let older_link = hits
        .last()
        .filter(|_| more)
        .map(|h| format!("/members?q={}&before={}", url_encode(&q), h.rowid));
    let views: Vec<Rc<BadgeView>> = held
        .badges
        .iter()
        .map(|b| Rc::new(BadgeView::from(b)))
        .collect();
    let entries = hits
        .into_iter()
        .map(|h| DirectoryEntry {
            badges: held
                .positions(&MemberKey(h.rowid))
                .iter()
                .map(|&i| Rc::clone(&views[i]))
                .collect(),
            member: h.member,
        })
        .collect();
    render(&DirectoryPage {
        layout: Layout::site(
            &session,
            &state.settings,
            member.bar(),
            "Members",
            req.path(),
        ),
        q,
        entries,
        older_link,
    })
}

#[derive(Template)]
#[template(path = "site/profile.html")]
struct ProfilePage {
    layout: Layout,
    member: Member,
    badges: Vec<BadgeView>,
    is_me: bool,
}

/// A public profile: two indexed queries (the member by slug, the badges they show).
async fn profile(
    state: web::Data<AppState>,
    session: Session,
    viewer: MaybeMember,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let (member, badges) = blocking::run(&state.pool, move |conn| {
        let member = members::find_by_slug(conn, &slug)?;
        let badges = profile::badges_of(conn, &member.id, Audience::Public)?;
        Ok((member, badges))
    })
    .await?;
    let titles: Vec<&str> = badges.iter().map(|b| b.badge.title.as_str()).collect();
    let open_graph = OpenGraph {
        title: member.name.clone(),
        description: match titles.as_slice() {
            [] => format!("{} on {}", member.name, crate::layout::site_identity().name),
            titles => format!("Badges: {}", titles.join(", ")),
        },
        url: state.public_url.join(&format!("/members/{}", member.slug)),
        kind: "profile",
    };
    render(&ProfilePage {
        layout: Layout::site(
            &session,
            &state.settings,
            viewer.bar(),
            member.name.clone(),
            req.path(),
        )
        .with_open_graph(open_graph),
        is_me: viewer.0.as_ref().is_some_and(|v| v.id == member.id),
        badges: badges.iter().map(|b| BadgeView::from(&b.badge)).collect(),
        member,
    })
}

/// A self-assignable badge the member does not hold yet.
pub struct OwnChoice {
    pub id: BadgeId,
    pub view: BadgeView,
}

#[derive(Template)]
#[template(path = "site/me.html")]
struct MePage {
    layout: Layout,
    member: Member,
    own: OwnBadges,
    account: AccountForms,
    /// Whether the site sends mail, and whether this member takes badge mail.
    mail_on: bool,
    badge_mail: bool,
    /// Whether the member's address is confirmed, or which one waits for it.
    address: Standing,
}

/// The account forms on `/me` as they should appear: the name as typed, and each field's
/// error after a refused change. Passwords are never sent back.
#[derive(Default)]
struct AccountForms {
    name: String,
    name_error: Option<String>,
    current_password_error: Option<String>,
    new_password_error: Option<String>,
    /// The e-mail form: the address as typed, and what was wrong with it or the password.
    email: String,
    email_error: Option<String>,
    email_password_error: Option<String>,
}

/// One of the member's badges on `/me`, with how their public profile shows it.
pub struct OwnHeld {
    pub id: BadgeId,
    pub view: BadgeView,
    pub hidden: bool,
    pub pinned: bool,
    /// Self-assignable: the member may give it up here.
    pub removable: bool,
    /// When it ends, if the badge is valid for a time: as stored, and as shown.
    pub until: Option<(String, String)>,
    /// It ends within [`ENDS_SOON_DAYS`].
    pub ends_soon: bool,
    /// Given since the member's last visit to `/me`.
    pub is_new: bool,
}

/// `/me` flags a badge that ends within this many days.
const ENDS_SOON_DAYS: i64 = 14;

/// The member's badges (to hide, show, pin) and the self-assignable ones to toggle; the htmx
/// answer to either.
#[derive(Template)]
#[template(path = "site/own_badges.html")]
struct OwnBadges {
    csrf_token: String,
    badges: Vec<OwnHeld>,
    /// Whether another badge may be pinned.
    can_pin: bool,
    choices: Vec<OwnChoice>,
    /// What the last htmx change did, or why it was refused: (kind, text).
    notice: Option<(&'static str, String)>,
}

/// `new_after`: badges given after it are marked new (on a visit to `/me` after some were
/// given).
async fn own_badges(
    state: &AppState,
    session: &Session,
    member_id: MemberId,
    new_after: Option<insignia_core::clock::Timestamp>,
) -> Result<OwnBadges, AppError> {
    let (badges, choices) = blocking::run(&state.pool, move |conn| {
        let held = profile::badges_of(conn, &member_id, Audience::Everyone)?;
        // A self-assignable badge the member holds is listed once, among their badges.
        let choices = badge_store::list_in_order(conn)?
            .into_iter()
            .filter(|b| b.self_assignable && !held.iter().any(|h| h.badge.id == b.id))
            .map(|b| OwnChoice {
                view: BadgeView::from(&b),
                id: b.id,
            })
            .collect::<Vec<_>>();
        let held: Vec<OwnHeld> = held
            .into_iter()
            .map(|p| OwnHeld {
                view: BadgeView::from(&p.badge),
                id: p.badge.id,
                hidden: p.hidden,
                pinned: p.pinned,
                removable: p.badge.self_assignable,
                until: crate::views::until(p.expires_at),
                ends_soon: p.expires_at.is_some_and(|at| {
                    at - insignia_core::clock::Timestamp::now()
                        <= time::Duration::days(ENDS_SOON_DAYS)
                }),
                is_new: new_after.is_some_and(|after| p.assigned_at > after),
            })
            .collect();
        Ok((held, choices))
    })
    .await?;
    Ok(OwnBadges {
        csrf_token: cookie::csrf_token(session),
        can_pin: badges.iter().filter(|b| b.pinned).count() < profile::MAX_PINNED,
        badges,
        choices,
        notice: None,
    })
}

fn signed_in(member: MaybeMember, next: &str) -> Result<Member, AppError> {
    member.0.ok_or_else(|| AppError::NeedsMemberSignIn {
        next: next.to_string(),
    })
}

/// The signed-in member's own profile, with their self-assignable badges.
async fn me(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let new_badges = member.new_badges();
    let member = signed_in(member, "/me")?;
    // Badges given since the last visit are marked on this one, and are seen from now on.
    let new_after = if new_badges > 0 {
        let id = member.id.clone();
        let now = insignia_core::clock::Timestamp::now();
        let before = blocking::run(&state.pool, move |conn| {
            Ok(profile::see_badges(conn, &id, now)?)
        })
        .await?;
        Some(before.unwrap_or(insignia_core::clock::Timestamp::from_millis(i64::MIN)))
    } else {
        None
    };
    let account = AccountForms {
        name: member.name.clone(),
        ..AccountForms::default()
    };
    me_page(
        &state,
        &session,
        member,
        account,
        StatusCode::OK,
        req.path(),
        new_after,
    )
    .await
}

async fn me_page(
    state: &AppState,
    session: &Session,
    member: Member,
    account: AccountForms,
    status: StatusCode,
    path: &str,
    new_after: Option<insignia_core::clock::Timestamp>,
) -> Result<HttpResponse, AppError> {
    let own = own_badges(state, session, member.id.clone(), new_after).await?;
    let id = member.id.clone();
    let (badge_mail, address) = blocking::run(&state.pool, move |conn| {
        Ok((
            insignia_core::mail::unsubscribe::takes_badge_mail(conn, &id)?,
            addresses::standing(conn, &id)?,
        ))
    })
    .await?;
    render_with(
        status,
        &MePage {
            layout: Layout::site(
                session,
                &state.settings,
                Some(MemberBar::of(&member, 0)),
                "Your profile",
                path,
            ),
            own,
            member,
            account,
            mail_on: state.settings.mail.is_some(),
            badge_mail,
            address,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NameForm {
    #[serde(deserialize_with = "forms::first")]
    name: String,
}

/// A member renames themselves (`name`). Their profile address stays the same.
async fn change_name(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    form: HtmlForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let member = signed_in(member, "/me")?;
    budgets::spend_member_change(&state, &member).await?;
    let typed = form.into_inner().name;
    let (id, name) = (member.id.clone(), typed.clone());
    let who = insignia_core::audit::Actor::member(&member.email);
    let outcome = blocking::run(&state.pool, move |conn| {
        match members::rename(conn, &who, &id, &name) {
            Ok(updated) => Ok(Ok(updated)),
            Err(members::MemberError::Invalid(errors)) => Ok(Err(errors
                .into_iter()
                .map(|(_, m)| format!("The name {m}."))
                .collect::<Vec<_>>()
                .join(" "))),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    match outcome {
        Ok(_) => {
            cookie::flash(&session, FlashKind::Success, "Your name is saved.");
            Ok(see_other("/me"))
        }
        Err(error) => {
            let account = AccountForms {
                name: typed,
                name_error: Some(error),
                ..AccountForms::default()
            };
            me_refused(&state, &session, member, account).await
        }
    }
}

/// `/me` again after a refused account change, with what was wrong beside its field.
async fn me_refused(
    state: &AppState,
    session: &Session,
    member: Member,
    account: AccountForms,
) -> Result<HttpResponse, AppError> {
    me_page(
        state,
        session,
        member,
        account,
        StatusCode::UNPROCESSABLE_ENTITY,
        "/me",
        None,
    )
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct MailForm {
    #[serde(deserialize_with = "forms::checkbox")]
    badge_mail: bool,
}

/// A member turns badge mail on or off (`badge_mail`).
async fn change_mail(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    form: HtmlForm<MailForm>,
) -> Result<HttpResponse, AppError> {
    let member = signed_in(member, "/me")?;
    budgets::spend_member_change(&state, &member).await?;
    let on = form.into_inner().badge_mail;
    blocking::run(&state.pool, move |conn| {
        Ok(insignia_core::mail::unsubscribe::set_badge_mail(
            conn,
            &member.id,
            on,
            "on their profile",
        )?)
    })
    .await?;
    let said = if on {
        "You will get a mail when you are given a badge, and before and when one ends."
    } else {
        "You will get no mail about your badges."
    };
    cookie::flash(&session, FlashKind::Success, said);
    Ok(see_other("/me"))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PasswordChangeForm {
    #[serde(deserialize_with = "forms::first")]
    current_password: String,
    #[serde(deserialize_with = "forms::first")]
    new_password: String,
}

/// A member changes their password (`current_password`, `new_password`); their other
/// sessions end, this one stays. The current password is checked like a sign-in, counted
/// against this session, so a borrowed session cannot guess it at leisure.
async fn change_password(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    form: HtmlForm<PasswordChangeForm>,
) -> Result<HttpResponse, AppError> {
    let member = signed_in(member, "/me")?;
    budgets::spend_member_change(&state, &member).await?;
    let token = cookie::member_token(&session).unwrap_or_default();
    let PasswordChangeForm {
        current_password: current,
        new_password: new,
    } = form.into_inner();
    let refused = |account: AccountForms| AccountForms {
        name: member.name.clone(),
        ..account
    };
    let weak = |m: String| {
        refused(AccountForms {
            new_password_error: Some(format!("The new password {m}. Nothing was changed.")),
            ..AccountForms::default()
        })
    };
    // The new password's rules first: a typo there costs no attempt at the current one.
    let account = if let Err(m) = password::check_new(&new) {
        weak(m)
    } else {
        let client = Client::Session(hash_token(&token));
        match sign_in::member(&state.pool, client, &member.email, current).await? {
            Outcome::Wrong => refused(AccountForms {
                current_password_error: Some(
                    "That is not your current password. Nothing was changed.".to_string(),
                ),
                ..AccountForms::default()
            }),
            Outcome::Locked(minutes) => refused(AccountForms {
                current_password_error: Some(throttle::lockout_message(minutes)),
                ..AccountForms::default()
            }),
            Outcome::Ok(_) => {
                let id = member.id.clone();
                let changed = blocking::run(&state.pool, move |conn| {
                    Ok(insignia_core::auth::member_accounts::set_own_password(
                        conn, &id, &new, &token,
                    )?)
                })
                .await?;
                match changed {
                    Ok(()) => {
                        cookie::flash(
                            &session,
                            FlashKind::Success,
                            "Your password is changed. You stay signed in here; other devices are signed out.",
                        );
                        return Ok(see_other("/me"));
                    }
                    Err(m) => weak(m),
                }
            }
        }
    };
    me_refused(&state, &session, member, account).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct EmailChangeForm {
    #[serde(deserialize_with = "forms::first")]
    email: String,
    #[serde(deserialize_with = "forms::first")]
    current_password: String,
}

/// A member asks for a new address (`email`, `current_password`), or for the confirmation
/// of theirs again. A mail goes to it; the account keeps its address until its link is
/// followed. Needs mail: without it, the owner changes addresses. The password is checked
/// as for a password change, so a borrowed session cannot move the account elsewhere.
async fn change_email(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    form: HtmlForm<EmailChangeForm>,
) -> Result<HttpResponse, AppError> {
    let member = signed_in(member, "/me")?;
    if state.settings.mail.is_none() {
        return Err(AppError::Conflict(
            "This site sends no mail, so it cannot confirm a new address. Ask the site owner to \
             change it."
                .to_string(),
        ));
    }
    budgets::spend_member_change(&state, &member).await?;
    let EmailChangeForm {
        email: typed,
        current_password,
    } = form.into_inner();
    let refused =
        |email_error: Option<String>, email_password_error: Option<String>| AccountForms {
            name: member.name.clone(),
            email: typed.clone(),
            email_error,
            email_password_error,
            ..AccountForms::default()
        };
    let (who, address) = (member.clone(), typed.clone());
    let needs_password = blocking::run(&state.pool, move |conn| {
        Ok(addresses::needs_password(conn, &who, &address)?)
    })
    .await?;
    let token = cookie::member_token(&session).unwrap_or_default();
    let client = Client::Session(hash_token(&token));
    let checked = if needs_password {
        sign_in::member(&state.pool, client, &member.email, current_password)
            .await?
            .map(|_| ())
    } else {
        Outcome::Ok(())
    };
    let account = match checked {
        Outcome::Wrong => refused(
            None,
            Some("That is not your current password. Nothing was changed.".to_string()),
        ),
        Outcome::Locked(minutes) => refused(None, Some(throttle::lockout_message(minutes))),
        Outcome::Ok(_) => {
            let (who, address) = (member.clone(), typed.clone());
            let asked = blocking::run(&state.pool, move |conn| {
                Ok(addresses::request(conn, &who, &address)?)
            })
            .await?;
            let problem = match asked {
                Ok(sent_to) => {
                    let said = format!(
                        "We sent a mail to {sent_to}. Follow its link to confirm the address."
                    );
                    cookie::flash(&session, FlashKind::Success, &said);
                    return Ok(see_other("/me"));
                }
                Err(addresses::Refused::Invalid(m)) => format!("The address {m}."),
                Err(addresses::Refused::Taken) => "Another account has this address.".to_string(),
                Err(addresses::Refused::Unchanged) => {
                    "This is your address already, and it is confirmed.".to_string()
                }
                Err(addresses::Refused::TooMany(wait)) => format!(
                    "We sent too many confirmation mails this hour. Try again in {} minutes.",
                    wait.div_ceil(60)
                ),
            };
            refused(Some(format!("{problem} Nothing was changed.")), None)
        }
    };
    me_refused(&state, &session, member, account).await
}

/// The member keeps the address they have and gives up the one waiting for confirmation.
async fn keep_email(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
) -> Result<HttpResponse, AppError> {
    let member = signed_in(member, "/me")?;
    let id = member.id.clone();
    blocking::run(&state.pool, move |conn| Ok(addresses::cancel(conn, &id)?)).await?;
    let said = format!("Your address stays {}.", member.email);
    cookie::flash(&session, FlashKind::Success, &said);
    Ok(see_other("/me"))
}

/// What a member does with one of their badges (`action`), and where they pressed it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OwnBadgeForm {
    #[serde(deserialize_with = "forms::first")]
    badge_id: String,
    #[serde(deserialize_with = "forms::first")]
    action: String,
    /// The badge page the button was on, if it was.
    #[serde(deserialize_with = "forms::first")]
    back: String,
}

/// Adds (`action=add`) or removes (`action=remove`) one self-assignable badge.
async fn set_own_badge(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    form: HtmlForm<OwnBadgeForm>,
    HxRequest(htmx): HxRequest,
) -> Result<HttpResponse, AppError> {
    let member = signed_in(member, "/me")?;
    budgets::spend_member_change(&state, &member).await?;
    let OwnBadgeForm {
        badge_id,
        action,
        back,
    } = form.into_inner();
    let wanted = match action.as_str() {
        "add" => true,
        "remove" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose to add or remove the badge.".to_string(),
            ));
        }
    };
    let who = member.clone();
    blocking::run(&state.pool, move |conn| {
        Ok(assignments::set_own_badge(
            conn,
            &who,
            &BadgeId::new(badge_id),
            wanted,
        )?)
    })
    .await?;
    if htmx {
        return render(&own_badges(&state, &session, member.id.clone(), None).await?);
    }
    cookie::flash(
        &session,
        FlashKind::Success,
        if wanted {
            "Badge added to your profile."
        } else {
            "Badge removed from your profile."
        },
    );
    // Back to the badge's page when the button was there; only ever to a local badge page.
    let back_to_badge = back.strip_prefix("/badges/").is_some_and(|slug| {
        !slug.is_empty() && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    Ok(see_other(if back_to_badge { &back } else { "/me" }))
}

/// Hides, shows, pins or unpins one of the member's own badges on their public profile.
async fn arrange(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    form: HtmlForm<OwnBadgeForm>,
    HxRequest(htmx): HxRequest,
) -> Result<HttpResponse, AppError> {
    let member = signed_in(member, "/me")?;
    budgets::spend_member_change(&state, &member).await?;
    let form = form.into_inner();
    let Some(how) = Arrangement::parse(&form.action) else {
        return Err(AppError::BadRequest(
            "Choose to hide, show, pin or unpin the badge.".to_string(),
        ));
    };
    let badge_id = BadgeId::new(form.badge_id);
    let who = member.clone();
    let outcome = blocking::run(&state.pool, move |conn| {
        match profile::arrange(conn, &who, &badge_id, how) {
            Ok(()) => Ok(Ok(())),
            Err(ArrangeError::App(e)) => Err(AppError::from(e)),
            Err(refused) => Ok(Err(refused.to_string())),
        }
    })
    .await?;
    let (kind, message) = match outcome {
        Ok(()) => (
            FlashKind::Success,
            match how {
                Arrangement::Hide => "Hidden from your public profile.",
                Arrangement::Show => "Shown on your public profile again.",
                Arrangement::Pin => "Pinned to the front of your profile.",
                Arrangement::Unpin => "Unpinned; it is back in the site's order.",
            }
            .to_string(),
        ),
        Err(refused) => (FlashKind::Error, refused),
    };
    if htmx {
        let mut own = own_badges(&state, &session, member.id.clone(), None).await?;
        own.notice = Some((kind.css(), message));
        return render(&own);
    }
    cookie::flash(&session, kind, message);
    Ok(see_other("/me"))
}
