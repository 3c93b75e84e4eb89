//! Inviting members by mail (`insignia_core::members::invitations`): one from their page, the
//! ticked ones of the directory, or every member without a password after a dry run that
//! says how many. Only while mail is on; an elevated admin only.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::confirm::{ConfirmPage, Words};
use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::HtmlForm;
use crate::layout::Layout;
use crate::respond::{render, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use crate::views::grouped;
use insignia_core::ids::MemberId;
use insignia_core::members::invitations::{self, Plan, Whom};

const DIRECTORY: &str = "/dashboard/members";
const ALL: &str = "/dashboard/members/invite-all";

fn mail_on(state: &AppState) -> Result<(), AppError> {
    match state.settings.mail {
        Some(_) => Ok(()),
        None => Err(AppError::Conflict(
            "Mail is off, so no invitation can go: start Insignia with --smtp-url, or create a \
             set-password link on the member's page and hand it over."
                .to_string(),
        )),
    }
}

/// What an invitation did, in a sentence for the flash.
fn said(plan: &Plan) -> String {
    let mut words = match plan.invited {
        0 => "No invitation went out.".to_string(),
        1 => "1 invitation is on its way.".to_string(),
        n => format!("{} invitations are on their way.", grouped(n as usize)),
    };
    if plan.recently_invited > 0 {
        words.push_str(&format!(
            " {} invited within the last day {} left out (one invitation a day).",
            grouped(plan.recently_invited as usize),
            if plan.recently_invited == 1 {
                "was"
            } else {
                "were"
            }
        ));
    }
    if plan.have_password > 0 {
        words.push_str(&format!(
            " {} already {} a password.",
            grouped(plan.have_password as usize),
            if plan.have_password == 1 {
                "has"
            } else {
                "have"
            }
        ));
    }
    words
}

async fn invite(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    ids: Option<Vec<MemberId>>,
) -> Result<Plan, AppError> {
    let actor = admin.actor();
    let plan = blocking::run(&state.pool, move |conn| {
        let whom = match &ids {
            Some(ids) => Whom::Members(ids),
            None => Whom::EveryoneWithoutPassword,
        };
        Ok(invitations::invite(conn, &actor, whom)?)
    })
    .await?;
    let kind = if plan.invited > 0 {
        FlashKind::Success
    } else {
        FlashKind::Info
    };
    cookie::flash(session, kind, said(&plan));
    Ok(plan)
}

/// "Invite by mail" on a member's page.
pub async fn invite_one(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page = format!("{DIRECTORY}/{id}");
    admin.require_elevation(&page)?;
    mail_on(&state)?;
    let (exists, lookup) = (id.clone(), state.pool.clone());
    blocking::run(&lookup, move |conn| {
        Ok(insignia_core::members::find(conn, &exists)?)
    })
    .await?;
    invite(&state, &session, &admin, Some(vec![id])).await?;
    Ok(see_other(&page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TickedForm {
    member: Vec<String>,
}

/// "Invite ticked by mail" on the directory.
pub async fn invite_ticked(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<TickedForm>,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(DIRECTORY)?;
    mail_on(&state)?;
    let ids: Vec<MemberId> = form.0.member.into_iter().map(MemberId::from).collect();
    if ids.is_empty() {
        cookie::flash(
            &session,
            FlashKind::Info,
            "Tick the members to invite first: nobody was invited.",
        );
        return Ok(see_other(DIRECTORY));
    }
    invite(&state, &session, &admin, Some(ids)).await?;
    Ok(see_other(DIRECTORY))
}

/// The dry run of inviting every member without a password: how many, then the button.
pub async fn invite_all_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    mail_on(&state)?;
    let plan = blocking::run(&state.pool, |conn| {
        Ok(invitations::plan(conn, Whom::EveryoneWithoutPassword)?)
    })
    .await?;
    if plan.invited == 0 {
        cookie::flash(
            &session,
            FlashKind::Info,
            format!("Nobody to invite. {}", said(&plan)),
        );
        return Ok(see_other(DIRECTORY));
    }
    let count = grouped(plan.invited as usize);
    let mut what_happens = vec![
        Words::Strong(format!("{count} members")),
        Words::Text(
            " without a password each get a mail with a link to choose one, valid for seven \
             days. The mails leave at the pace your mail server takes them."
                .to_string(),
        ),
    ];
    if plan.recently_invited > 0 {
        what_happens.push(Words::Text(format!(
            " {} invited within the last day are left out.",
            grouped(plan.recently_invited as usize)
        )));
    }
    render(&ConfirmPage {
        layout: Layout::new(&session, Some(&admin.0), "Invite members", req.path()),
        heading: format!("Invite all {count} members who have never signed in?"),
        heading_class: None,
        badge: None,
        what_happens,
        action: ALL.to_string(),
        button: format!("Invite {count} members"),
        cancel_href: DIRECTORY.to_string(),
        cancel_label: "Back to members",
    })
}

pub async fn invite_all(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(ALL)?;
    mail_on(&state)?;
    invite(&state, &session, &admin, None).await?;
    Ok(see_other(DIRECTORY))
}
