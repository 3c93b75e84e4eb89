//! Members in the dashboard: directory and search, create, member page with their badges,
//! delete, and one-time set-password links.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::confirm::{ConfirmPage, Words};
use crate::blocking;
use crate::error::AppError;
use crate::extract::CurrentAdmin;
use crate::forms::{self, Errors, HtmlForm};
use crate::layout::Layout;
use crate::paging::page_of;
use crate::respond::{render, render_with, see_other, url_encode};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use crate::views::{BadgeView, short_time};
use insignia_core::auth::member_links as passwords;
use insignia_core::badges::store as badge_store;
use insignia_core::ids::{BadgeId, MemberId};
use insignia_core::members::addresses;
use insignia_core::members::invitations::{self, Standing};
use insignia_core::members::profile::{self, Audience};
use insignia_core::members::{self, Member, MemberError, NewMember, assignments, import, search};
use insignia_core::reports;

const DIRECTORY: &str = "/dashboard/members";
const PAGE_SIZE: i64 = crate::paging::DASHBOARD_PAGE;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DirectoryQuery {
    q: String,
    before: Option<i64>,
    /// A filter: the id of a badge the members hold, or `none` for members without badges.
    holds: String,
    /// A dry run of giving (or taking, `direction=take`) this badge to every member the
    /// filter keeps.
    check: String,
    direction: String,
}

pub struct MemberRow {
    pub member: Member,
    pub joined: String,
}

/// A badge an admin can choose in the list's filter and its give-or-take form.
pub struct FilterBadge {
    pub id: String,
    pub title: String,
    /// Given by a rule: it can filter, not be given or taken by hand.
    pub automatic: bool,
}

/// The dry run of a change to every member the filter keeps.
pub struct FilteredCheck {
    pub badge_id: String,
    pub badge_title: String,
    pub take: bool,
    pub matching: i64,
    pub changing: i64,
}

#[derive(Template)]
#[template(path = "dashboard/members/directory.html")]
struct DirectoryPage {
    layout: Layout,
    /// Whether mail is on (rows can be ticked and invited).
    mail_on: bool,
    q: String,
    rows: Vec<MemberRow>,
    older_link: Option<String>,
    searched: bool,
    badges: Vec<FilterBadge>,
    /// The filter as in the address (`holds`), and in words ("holding “Gold”").
    holds: String,
    filter_words: Option<String>,
    /// How many members the filter keeps, when it is known without counting (a badge's
    /// stored holder count).
    filter_count: Option<i64>,
    check: Option<FilteredCheck>,
    check_error: Option<String>,
}

impl DirectoryPage {
    /// How many members the filter keeps, written out, when known without counting.
    fn filter_count_text(&self) -> Option<String> {
        self.filter_count
            .map(|n| crate::views::grouped(usize::try_from(n).unwrap_or(0)))
    }
}

/// What a `holds` filter names: a badge's holders, or members without badges.
fn holding_of(
    holds: &str,
    badges: &[insignia_core::badges::Badge],
) -> Option<(search::Holding, String, Option<i64>)> {
    if holds == "none" {
        return Some((
            search::Holding::NoBadges,
            "without badges".to_string(),
            None,
        ));
    }
    badges.iter().find(|b| b.id.as_str() == holds).map(|b| {
        (
            search::Holding::Badge(b.key),
            format!("holding “{}”", b.title),
            Some(b.member_count),
        )
    })
}

/// The member directory, newest first, searchable by name or e-mail, or filtered by a badge
/// held (or none); every member a filter keeps can be given or have taken a badge at once.
pub async fn directory(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    query: web::Query<DirectoryQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let DirectoryQuery {
        q,
        before,
        holds,
        check,
        direction,
    } = query.into_inner();
    let term = q.clone();
    let (filter_holds, check_id) = (holds.clone(), check.clone());
    let take = direction == "take";
    let (hits, badges, automatic, filter, checked) = blocking::run(&state.pool, move |conn| {
        let badges = badge_store::list_in_order(conn)?;
        let automatic = insignia_core::rules::store::automatic(conn)?;
        let filter = holding_of(&filter_holds, &badges);
        let hits = match &filter {
            Some((holding, ..)) => search::members_holding(conn, holding, before, PAGE_SIZE + 1)?,
            None => search::members(conn, &term, before, PAGE_SIZE + 1)?,
        };
        let checked = match (&filter, badges.iter().find(|b| b.id.as_str() == check_id)) {
            (Some((holding, ..)), Some(badge)) => {
                let change = if take {
                    assignments::BulkChange::Take
                } else {
                    assignments::BulkChange::Give { until: None }
                };
                Some(
                    assignments::plan_for_filter(conn, holding, &badge.id, change).map(|plan| {
                        FilteredCheck {
                            badge_id: badge.id.to_string(),
                            badge_title: badge.title.clone(),
                            take,
                            matching: plan.matching,
                            changing: plan.changing,
                        }
                    }),
                )
            }
            _ => None,
        };
        Ok((hits, badges, automatic, filter, checked))
    })
    .await?;
    let (check, check_error) = match checked {
        None => (None, None),
        Some(Ok(check)) => (Some(check), None),
        Some(Err(e)) => (None, Some(insignia_core::error::Error::from(e).to_string())),
    };
    let (hits, more) = page_of(hits, PAGE_SIZE as usize);
    let older_link = hits.last().filter(|_| more).map(|h| {
        format!(
            "{DIRECTORY}?q={}&holds={}&before={}",
            url_encode(&q),
            url_encode(&holds),
            h.rowid
        )
    });
    let (filter_words, filter_count) = match filter {
        Some((_, words, count)) => (Some(words), count),
        None => (None, None),
    };
    render(&DirectoryPage {
        layout: Layout::new(&session, Some(&admin.0), "Members", req.path()),
        mail_on: state.settings.mail.is_some(),
        searched: !q.trim().is_empty() && filter_words.is_none(),
        q: if filter_words.is_some() {
            String::new()
        } else {
            q
        },
        rows: hits
            .into_iter()
            .map(|h| MemberRow {
                joined: short_time(h.member.created_at),
                member: h.member,
            })
            .collect(),
        older_link,
        badges: badges
            .into_iter()
            .map(|b| FilterBadge {
                automatic: automatic.contains(&b.key),
                id: b.id.to_string(),
                title: b.title,
            })
            .collect(),
        holds: if filter_words.is_some() {
            holds
        } else {
            String::new()
        },
        filter_words,
        filter_count,
        check,
        check_error,
    })
}

/// The list's give-or-take form: a badge (`badge_id`) given or taken (`direction`) for the
/// ticked members (`scope=ticked`, `member`) or every member the filter keeps (`scope=all`,
/// `holds`), checked first (`action=dry_run`) or applied.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FilteredChangeForm {
    #[serde(deserialize_with = "forms::first")]
    scope: String,
    #[serde(deserialize_with = "forms::first")]
    holds: String,
    #[serde(deserialize_with = "forms::first")]
    badge_id: String,
    #[serde(deserialize_with = "forms::first")]
    direction: String,
    #[serde(deserialize_with = "forms::first")]
    action: String,
    member: Vec<String>,
}

pub async fn change_listed(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<FilteredChangeForm>,
) -> Result<HttpResponse, AppError> {
    let FilteredChangeForm {
        scope,
        holds,
        badge_id,
        direction,
        action,
        member,
    } = form.into_inner();
    let list = format!("{DIRECTORY}?holds={}", url_encode(&holds));
    admin.require_elevation(&list)?;
    let take = direction == "take";
    let fail = |message: &str| {
        cookie::flash(&session, FlashKind::Error, message);
        Ok(see_other(&list))
    };
    if badge_id.is_empty() {
        return fail("Choose the badge to give or take. Nothing was changed.");
    }
    let direction_words = if take { "take" } else { "give" };
    if scope != "all" {
        // The ticked members go through the badge's bulk box: its report, dry run and undo.
        if member.is_empty() {
            return fail("Tick the members first, or choose all that match. Nothing was changed.");
        }
        let (badge, admin_id, who) = (
            BadgeId::from(badge_id.clone()),
            admin.0.admin_id.clone(),
            admin.actor(),
        );
        let dry_run = action == "dry_run";
        let text = member.join("\n");
        let outcome = blocking::run(&state.pool, move |conn| {
            let change = if take {
                assignments::BulkChange::Take
            } else {
                assignments::BulkChange::Give { until: None }
            };
            super::holders::keep_bulk_report(
                conn, &who, &admin_id, &badge, &text, change, "", dry_run,
            )
        })
        .await?;
        return match outcome {
            Ok(report) => Ok(see_other(&format!(
                "/dashboard/badges/{badge_id}?report={report}#bulk-report-heading"
            ))),
            Err(e) => fail(&format!(
                "{}. Nothing was changed.",
                insignia_core::error::Error::from(e)
            )),
        };
    }
    if holds.is_empty() {
        return fail(
            "Choose which members first: a badge they hold, or no badges. Nothing was changed.",
        );
    }
    let filter_holds = holds.clone();
    if action == "dry_run" {
        return Ok(see_other(&format!(
            "{DIRECTORY}?holds={}&check={}&direction={direction_words}#filtered-check",
            url_encode(&filter_holds),
            url_encode(&badge_id)
        )));
    }
    let (who, admin_id) = (admin.actor(), admin.0.admin_id.clone());
    let target = BadgeId::from(badge_id.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        let badges = badge_store::list_in_order(conn)?;
        let Some((holding, words, _)) = holding_of(&filter_holds, &badges) else {
            return Ok(Err(
                "Choose which members first: a badge they hold, or no badges.".to_string(),
            ));
        };
        let title = badges
            .iter()
            .find(|b| b.id == target)
            .map(|b| b.title.clone())
            .unwrap_or_default();
        let change = if take {
            assignments::BulkChange::Take
        } else {
            assignments::BulkChange::Give { until: None }
        };
        Ok(
            match assignments::apply_to_filter(conn, &who, &admin_id, &holding, &target, change) {
                Ok((changed, undo)) => Ok((changed, undo, words, title)),
                Err(assignments::AssignError::App(e))
                    if !matches!(e, insignia_core::error::Error::Automatic(_)) =>
                {
                    return Err(e.into());
                }
                Err(e) => Err(format!(
                    "{}. Nothing was changed.",
                    insignia_core::error::Error::from(e)
                )),
            },
        )
    })
    .await?;
    match outcome {
        Err(message) => fail(&message),
        Ok((0, _, words, title)) => {
            cookie::flash(
                &session,
                FlashKind::Info,
                format!(
                    "Nothing changed: no member {words} {} “{title}”.",
                    if take { "holds" } else { "lacks" }
                ),
            );
            Ok(see_other(&list))
        }
        Ok((changed, undo, words, title)) => {
            let count = crate::views::count_of(changed as usize, "member", "members");
            let text = if take {
                format!("Took “{title}” from {count} {words}.")
            } else {
                format!("Gave “{title}” to {count} {words}.")
            };
            match undo {
                Some(change) => cookie::flash_with_undo(
                    &session,
                    text,
                    super::undo::undo_button(&[change], &list),
                ),
                None => cookie::flash(&session, FlashKind::Success, text),
            }
            Ok(see_other(&list))
        }
    }
}

/// The member form: a new member, or an existing one's name and e-mail (`editing`).
#[derive(Template)]
#[template(path = "dashboard/members/new.html")]
struct NewMemberPage {
    layout: Layout,
    name: String,
    email: String,
    errors: Errors,
    /// The member being edited: (id, name as stored).
    editing: Option<(MemberId, String)>,
}

pub async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let kept: NewMemberForm = admin
        .take_draft(&state.pool, req.path())
        .await?
        .unwrap_or_default();
    render(&NewMemberPage {
        layout: Layout::new(&session, Some(&admin.0), "New member", req.path()),
        name: kept.name,
        email: kept.email,
        errors: Errors::default(),
        editing: None,
    })
}

/// The member form; also what a draft keeps of it.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct NewMemberForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: web::Form<NewMemberForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    admin
        .require_elevation_keeping(&state.pool, req.path(), &form)
        .await?;
    let mut errors = Errors::default();
    match NewMember::parse(&form.name, &form.email) {
        Err(list) => list.into_iter().for_each(|(f, m)| errors.add(f, m)),
        Ok(new) => {
            let who = admin.actor();
            match blocking::run(&state.pool, move |conn| {
                Ok(members::create(conn, &who, &new))
            })
            .await?
            {
                Ok(member) => {
                    cookie::flash(
                        &session,
                        FlashKind::Success,
                        format!("Member “{}” created.", member.name),
                    );
                    return Ok(see_other(&format!("{DIRECTORY}/{}", member.id)));
                }
                Err(MemberError::EmailTaken) => {
                    errors.add("email", "belongs to another member already")
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewMemberPage {
            layout: Layout::new(&session, Some(&admin.0), "New member", req.path()),
            name: form.name,
            email: form.email,
            errors,
            editing: None,
        },
    )
}

/// The form to change a member's name and e-mail address.
pub async fn edit_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lookup = id.clone();
    let member = blocking::run(&state.pool, move |conn| Ok(members::find(conn, &lookup)?)).await?;
    let kept: Option<NewMemberForm> = admin.take_draft(&state.pool, req.path()).await?;
    let (name, email) = match kept {
        Some(kept) => (kept.name, kept.email),
        None => (member.name.clone(), member.email.clone()),
    };
    render(&NewMemberPage {
        layout: Layout::new(
            &session,
            Some(&admin.0),
            format!("Edit {}", member.name),
            req.path(),
        ),
        name,
        email,
        errors: Errors::default(),
        editing: Some((id, member.name)),
    })
}

/// Saves a member's new name and e-mail address; the profile address stays.
pub async fn update(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
    form: web::Form<NewMemberForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (path.into_inner(), form.into_inner());
    admin
        .require_elevation_keeping(&state.pool, req.path(), &form)
        .await?;
    let (who, lookup, name, email) = (
        admin.actor(),
        id.clone(),
        form.name.clone(),
        form.email.clone(),
    );
    let outcome = blocking::run(&state.pool, move |conn| {
        let before = members::find(conn, &lookup)?;
        Ok((
            before.name.clone(),
            members::update(conn, &who, &lookup, &name, &email),
        ))
    })
    .await?;
    let (stored_name, result) = outcome;
    let mut errors = Errors::default();
    match result {
        Ok(member) => {
            cookie::flash(
                &session,
                FlashKind::Success,
                format!("Saved “{}”.", member.name),
            );
            return Ok(see_other(&format!("{DIRECTORY}/{id}")));
        }
        Err(MemberError::Invalid(list)) => list.into_iter().for_each(|(f, m)| errors.add(f, m)),
        Err(MemberError::EmailTaken) => errors.add("email", "belongs to another member already"),
        Err(e) => return Err(e.into()),
    }
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewMemberPage {
            layout: Layout::new(
                &session,
                Some(&admin.0),
                format!("Edit {stored_name}"),
                req.path(),
            ),
            name: form.name,
            email: form.email,
            errors,
            editing: Some((id, stored_name)),
        },
    )
}

pub struct HeldBadge {
    pub id: BadgeId,
    pub view: BadgeView,
    /// How the member arranged it on their public profile.
    pub hidden: bool,
    pub pinned: bool,
    /// Given by its rule: not removed by hand.
    pub automatic: bool,
}

pub struct BadgeChoice {
    pub id: BadgeId,
    pub title: String,
}

#[derive(Template)]
#[template(path = "dashboard/members/show.html")]
struct MemberPage {
    layout: Layout,
    member: Member,
    joined: String,
    held: Vec<HeldBadge>,
    addable: Vec<BadgeChoice>,
    /// A set-password link just created, shown once.
    password_link: Option<String>,
    /// Whether mail is on (the page offers "Invite by mail").
    mail_on: bool,
    standing: Standing,
    /// Whether their address is confirmed (what rules by e-mail domain read).
    address: addresses::Standing,
    /// When they last signed in, and were last invited, as shown.
    last_sign_in: Option<String>,
    invited: Option<String>,
}

async fn member_page(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    id: MemberId,
    path: &str,
    password_link: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (member, held, all, automatic, (standing, address)) =
        blocking::run(&state.pool, move |conn| {
            let member = members::find(conn, &id)?;
            let held = profile::badges_of(conn, &id, Audience::Everyone)?;
            let all = badge_store::list_in_order(conn)?;
            let automatic = insignia_core::rules::store::automatic(conn)?;
            let standing = invitations::state_of(conn, &id)?;
            let address = addresses::standing(conn, &id)?;
            Ok((member, held, all, automatic, (standing, address)))
        })
        .await?;
    let held_ids: std::collections::HashSet<&str> =
        held.iter().map(|p| p.badge.id.as_str()).collect();
    // Badges given by rules are neither added nor removed by hand.
    let addable = all
        .iter()
        .filter(|b| !held_ids.contains(b.id.as_str()) && !automatic.contains(&b.key))
        .map(|b| BadgeChoice {
            id: b.id.clone(),
            title: b.title.clone(),
        })
        .collect();
    render(&MemberPage {
        layout: Layout::new(session, Some(&admin.0), member.name.clone(), path),
        joined: short_time(member.created_at),
        held: held
            .iter()
            .map(|p| HeldBadge {
                id: p.badge.id.clone(),
                view: BadgeView::from(&p.badge),
                hidden: p.hidden,
                pinned: p.pinned,
                automatic: automatic.contains(&p.badge.key),
            })
            .collect(),
        addable,
        member,
        password_link,
        mail_on: state.settings.mail.is_some(),
        last_sign_in: standing.last_sign_in_at.map(short_time),
        invited: standing.invited_at.map(short_time),
        standing,
        address,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    member_page(
        &state,
        &session,
        &admin,
        path.into_inner(),
        req.path(),
        None,
    )
    .await
}

/// The badges to add to a member or take from them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BadgesForm {
    badge_id: Vec<BadgeId>,
}

/// Adds badges (`badge_id`, repeated) to a member.
pub async fn add_badges(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
    form: HtmlForm<BadgesForm>,
) -> Result<HttpResponse, AppError> {
    change_badges(state, session, admin, path.into_inner(), form, true).await
}

/// Removes badges (`badge_id`, repeated) from a member.
pub async fn remove_badges(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
    form: HtmlForm<BadgesForm>,
) -> Result<HttpResponse, AppError> {
    change_badges(state, session, admin, path.into_inner(), form, false).await
}

async fn change_badges(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    id: MemberId,
    form: HtmlForm<BadgesForm>,
    add: bool,
) -> Result<HttpResponse, AppError> {
    let page = format!("{DIRECTORY}/{id}");
    admin.require_elevation(&page)?;
    let badge_ids = form.into_inner().badge_id;
    if badge_ids.is_empty() {
        cookie::flash(&session, FlashKind::Error, "Pick a badge first.");
        return Ok(see_other(&page));
    }
    let (who, admin_id) = (admin.actor(), admin.0.admin_id.clone());
    let (changed, undo) = blocking::run(&state.pool, move |conn| {
        Ok(assignments::change_member_badges(
            conn, &who, &admin_id, &id, &badge_ids, add,
        )?)
    })
    .await?;
    if !add && changed > 0 {
        let text = match changed {
            1 => "Badge removed.".to_string(),
            n => format!("{n} badges removed."),
        };
        // Undo gives each back as the member had it.
        cookie::flash_with_undo(&session, text, super::undo::undo_button(&undo, &page));
        return Ok(see_other(&page));
    }
    let text = match (add, changed) {
        (_, 0) => "Nothing changed.".to_string(),
        (true, 1) => "Badge added.".to_string(),
        (true, n) => format!("{n} badges added."),
        (false, _) => "Badges removed.".to_string(),
    };
    cookie::flash(&session, FlashKind::Success, text);
    Ok(see_other(&page))
}

pub async fn delete_confirm(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let member = blocking::run(&state.pool, move |conn| Ok(members::find(conn, &id)?)).await?;
    let badges = match member.badge_count {
        1 => "their badge".to_string(),
        n => format!("all {} badges", crate::views::grouped(n.max(0) as usize)),
    };
    render(&ConfirmPage {
        layout: Layout::new(
            &session,
            Some(&admin.0),
            format!("Delete {}", member.name),
            req.path(),
        ),
        heading: format!("Delete {}?", member.name),
        heading_class: None,
        badge: None,
        what_happens: vec![Words::Text(format!(
            "{} will lose {badges} and their account. This cannot be undone.",
            member.email
        ))],
        action: format!("{DIRECTORY}/{}/delete", member.id),
        button: format!("Delete “{}”", member.name),
        cancel_href: format!("{DIRECTORY}/{}", member.id),
        cancel_label: "Keep",
    })
}

pub async fn delete(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(req.path())?;
    let (id, who) = (path.into_inner(), admin.actor());
    let member = blocking::run(&state.pool, move |conn| {
        Ok(assignments::delete_member(conn, &who, &id)?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        format!("Member “{}” deleted.", member.name),
    );
    Ok(see_other(DIRECTORY))
}

/// Creates a one-time set-password link and shows it once on the member page.
pub async fn password_link(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<MemberId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page = format!("{DIRECTORY}/{id}");
    admin.require_elevation(&page)?;
    let (member_id, who) = (id.clone(), admin.actor());
    let token = blocking::run(&state.pool, move |conn| {
        Ok(passwords::create_link(conn, &who, &member_id)?)
    })
    .await?;
    let link = state.public_url.join(&format!("/set-password/{token}"));
    member_page(&state, &session, &admin, id, &page, Some(link)).await
}

// ---------------------------------------------------------------- CSV import

/// What an import report's page shows, kept with the report (as JSON) so its own address
/// shows it again: the answer to the import form is a redirect there.
#[derive(Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub created: usize,
    pub existing: usize,
    pub invalid: usize,
    /// Badges named in the `badges` column that are (or would be) given, counted per member.
    pub badges: usize,
    /// Titles in the `badges` column that cannot be given (no such badge, or given by a rule).
    pub refused_badges: usize,
    /// Rows that are not simply "created" with all their badges, the first of them.
    pub notable: Vec<ImportLine>,
    pub hidden: usize,
    /// Whether the new members are (to be) invited by mail.
    pub invite: bool,
    /// The report's id (its download, and a dry run's kept rows); set when shown.
    #[serde(skip)]
    pub id: String,
}

/// A row of the report that is not simply "created".
#[derive(Serialize, Deserialize)]
pub struct ImportLine {
    pub line: u64,
    pub name: String,
    pub email: String,
    pub result: String,
    /// Already a member, with every badge it names: nothing to fix.
    pub same: bool,
}

impl ImportReport {
    fn new(dry_run: bool, rows: Vec<import::ImportRow>, invite: bool) -> ImportReport {
        let (created, existing, invalid) = import::summary(&rows);
        let badges = rows.iter().map(|r| r.badges.len()).sum();
        let refused_badges = rows.iter().map(|r| r.refused_badges.len()).sum();
        let notable: Vec<&import::ImportRow> = rows.iter().filter(|r| !r.is_plain()).collect();
        let hidden = notable.len().saturating_sub(reports::SHOWN_ON_PAGE);
        ImportReport {
            dry_run,
            created,
            existing,
            invalid,
            badges,
            refused_badges,
            notable: notable
                .into_iter()
                .take(reports::SHOWN_ON_PAGE)
                .map(|r| ImportLine {
                    line: r.line,
                    name: r.name.clone(),
                    email: r.email.clone(),
                    result: row_result(r),
                    same: r.status == import::RowStatus::AlreadyExists
                        && r.refused_badges.is_empty(),
                })
                .collect(),
            hidden,
            invite,
            id: String::new(),
        }
    }

    pub fn download(&self) -> String {
        format!("/dashboard/reports/{}", self.id)
    }
}

/// The whole report of an import, one CSV row per data row.
fn import_csv(rows: &[import::ImportRow]) -> Result<String, AppError> {
    Ok(reports::csv_of(
        &["line", "name", "email", "badges", "result"],
        rows.iter().map(|r| {
            vec![
                r.line.to_string(),
                r.name.clone(),
                r.email.clone(),
                insignia_core::exports::titles_cell(r.badges.iter().map(String::as_str)),
                row_result(r),
            ]
        }),
    )?)
}

/// What became (or would become) of a row, in words: the member, then any badge not given.
pub fn row_result(row: &import::ImportRow) -> String {
    let mut words = match &row.status {
        import::RowStatus::Created => "new member".to_string(),
        import::RowStatus::AlreadyExists => "already exists".to_string(),
        import::RowStatus::Invalid(reason) => format!("invalid: {reason}"),
    };
    for (title, why) in &row.refused_badges {
        words.push_str(&match why {
            import::BadgeRefusal::Unknown => format!("; no badge is called “{title}”"),
            import::BadgeRefusal::ByRule => {
                format!("; “{title}” is given by its rule, not by import")
            }
        });
    }
    words
}

#[derive(Template)]
#[template(path = "dashboard/members/import.html")]
struct ImportPage {
    layout: Layout,
    csv_text: String,
    error: Option<String>,
    report: Option<ImportReport>,
    /// The most rows one import takes, written out ("50,000").
    max_rows: String,
    /// Whether mail is on (the form offers to invite the new members), and whether it is ticked.
    mail_on: bool,
    invite: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportQuery {
    /// A kept report to show (the answer to the import form, at its own address).
    report: String,
}

pub async fn import_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    query: web::Query<ImportQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (admin_id, id) = (admin.0.admin_id.clone(), query.into_inner().report);
    let kept = if id.is_empty() {
        None
    } else {
        blocking::run(&state.pool, move |conn| {
            Ok(reports::find(conn, &admin_id, reports::Kind::Import, &id)?)
        })
        .await?
    };
    let (report, csv_text, error) = match kept {
        Some(kept) => match serde_json::from_str::<ImportReport>(&kept.page) {
            Ok(mut report) => {
                report.id = kept.id;
                let text = reports::text_to_show(kept.input, report.dry_run);
                (Some(report), text, None)
            }
            Err(_) => (None, String::new(), None),
        },
        None if query_had_report(&req) => (
            None,
            String::new(),
            Some("That report is no longer kept (reports are kept for a day).".to_string()),
        ),
        None => (None, String::new(), None),
    };
    let invite = report.as_ref().is_some_and(|r| r.invite);
    render(&ImportPage {
        layout: Layout::new(&session, Some(&admin.0), "Import members", req.path()),
        csv_text,
        error,
        report,
        max_rows: crate::views::grouped(import::MAX_ROWS),
        mail_on: state.settings.mail.is_some(),
        invite,
    })
}

fn query_had_report(req: &HttpRequest) -> bool {
    req.query_string()
        .split('&')
        .any(|p| p.starts_with("report="))
}

/// The import form's text fields (its file, `csv_file`, is read apart).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ImportFields {
    /// `import` imports; anything else only reports.
    #[serde(deserialize_with = "forms::first")]
    action: String,
    /// Checked rows kept on the server, imported from their report.
    #[serde(deserialize_with = "forms::first")]
    plan: String,
    #[serde(deserialize_with = "forms::first")]
    csv_text: String,
    /// Invite the members the import creates by mail.
    #[serde(deserialize_with = "forms::checkbox")]
    invite: bool,
}

/// A CSV file (`csv_file`) or pasted text (`csv_text`); `action=dry_run` only reports.
pub async fn import(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    payload: actix_multipart::Multipart,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let data =
        forms::read_multipart(payload, crate::state::FORM_LIMIT, crate::state::FORM_LIMIT).await?;
    let fields: ImportFields = forms::from_pairs(&data.fields)?;
    let dry_run = fields.action != "import";
    if !dry_run {
        admin.require_elevation(req.path())?;
    }
    let plan = fields.plan;
    // Only while mail is on: an invitation queued now would wait for mail that never goes.
    let invite = fields.invite && state.settings.mail.is_some();
    let text = match data.files.get("csv_file") {
        Some(file) if file.too_large => Err("The file is too large (at most 8 MB).".to_string()),
        Some(file) => String::from_utf8(file.bytes.clone())
            .map_err(|_| "The file is not UTF-8 text.".to_string()),
        None => Ok(fields.csv_text),
    };
    let (status, csv_text, error, report) = match text {
        Err(message) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            Some(message),
            None,
        ),
        Ok(typed) => {
            let (who, admin_id) = (admin.actor(), admin.0.admin_id.clone());
            let outcome = blocking::run(&state.pool, move |conn| {
                // Checked rows imported from their report are read back from the server.
                let text = if plan.is_empty() {
                    typed
                } else {
                    match reports::find(conn, &admin_id, reports::Kind::Import, &plan)? {
                        Some(kept) => kept.input,
                        None => {
                            return Ok((
                                String::new(),
                                Err("Those checked rows are no longer kept (rows are kept for a day). Paste or choose the file again.".to_string()),
                            ));
                        }
                    }
                };
                let rows = if dry_run {
                    import::plan(conn, &text)?
                } else {
                    import::apply(conn, &who, &text, invite)?
                };
                let report = match rows {
                    Ok(rows) => {
                        let csv = import_csv(&rows)?;
                        let input = dry_run.then_some(text.as_str());
                        let kept =
                            reports::keep(conn, &admin_id, reports::Kind::Import, "", input, csv)?;
                        let page = serde_json::to_string(&ImportReport::new(dry_run, rows, invite))
                            .map_err(insignia_core::error::Error::internal)?;
                        reports::keep_page(conn, &kept, &page, String::new())?;
                        Ok(kept)
                    }
                    Err(e) => Err(e.to_string()),
                };
                Ok((text, report))
            })
            .await?;
            match outcome {
                // Post/Redirect/Get: a reload shows the report, it does not import again.
                (_, Ok(report)) => {
                    return Ok(see_other(&format!(
                        "{DIRECTORY}/import?report={report}#import-report-heading"
                    )));
                }
                (text, Err(message)) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, text, Some(message), None)
                }
            }
        }
    };
    render_with(
        status,
        &ImportPage {
            layout: Layout::new(&session, Some(&admin.0), "Import members", req.path()),
            csv_text,
            error,
            report,
            max_rows: crate::views::grouped(import::MAX_ROWS),
            mail_on: state.settings.mail.is_some(),
            invite,
        },
    )
}
