//! Content pages in the dashboard, the explain-access tool, and each badge's Permissions tab.

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
use crate::respond::{render, render_with, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use insignia_core::badges::{Badge, store as badge_store};
use insignia_core::ids::{BadgeId, PageId};
use insignia_core::members;
use insignia_core::pages::{self, Access, Page, PageError, PageInput, access};

const LIST: &str = "/dashboard/pages";

#[derive(Template)]
#[template(path = "dashboard/pages/list.html")]
struct ListPage {
    layout: Layout,
    pages: Vec<Page>,
    /// Pages for badge holders that no badge opens.
    closed: Vec<PageId>,
}

impl ListPage {
    fn is_closed(&self, id: &PageId) -> bool {
        self.closed.contains(id)
    }
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (pages, closed) = blocking::run(&state.pool, |conn| {
        Ok((pages::list(conn)?, pages::closed_to_everyone(conn)?))
    })
    .await?;
    render(&ListPage {
        layout: Layout::new(&session, Some(&admin.0), "Pages", req.path()),
        pages,
        closed,
    })
}

/// A badge as the page editor offers it for opening the page.
pub struct UnlockChoice {
    pub id: BadgeId,
    pub title: String,
    pub ticked: bool,
    pub permissions_enabled: bool,
    /// Members add it themselves, so it cannot open pages.
    pub self_assignable: bool,
}

/// Every badge, ticked where it opens the page (linked with its permissions on), or as the
/// refused form had it.
fn unlock_choices(all: &[Badge], ticked: impl Fn(&Badge) -> bool) -> Vec<UnlockChoice> {
    all.iter()
        .map(|b| UnlockChoice {
            id: b.id.clone(),
            title: b.title.clone(),
            ticked: ticked(b),
            permissions_enabled: b.permissions_enabled,
            self_assignable: b.self_assignable,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard/pages/editor.html")]
struct EditorPage {
    layout: Layout,
    page_id: Option<PageId>,
    action: String,
    input: PageInput,
    errors: Errors,
    unlocking: Vec<Badge>,
    choices: Vec<UnlockChoice>,
    /// As stored, the page is for badge holders and no badge opens it: the rule the list
    /// flags by (`pages::closed_to_everyone`).
    closed: bool,
    explain_member: String,
    explanation: Option<String>,
}

impl EditorPage {
    fn access_options(&self) -> Vec<(&'static str, &'static str)> {
        [Access::Public, Access::Members, Access::Badges]
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect()
    }
}

fn input_of(page: &Page) -> PageInput {
    PageInput {
        title: page.title.clone(),
        slug: page.slug.clone(),
        body: page.body.clone(),
        access: page.access.clone(),
    }
}

/// The page editor's form, and what a draft keeps of it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PageForm {
    #[serde(deserialize_with = "forms::first")]
    title: String,
    #[serde(deserialize_with = "forms::first")]
    slug: String,
    #[serde(deserialize_with = "forms::first")]
    body: String,
    #[serde(deserialize_with = "forms::first")]
    access: String,
    /// The form carries the badges that open the page (`unlock_badge_id`).
    #[serde(deserialize_with = "forms::checkbox")]
    unlock_form: bool,
    unlock_badge_id: Vec<BadgeId>,
}

impl PageForm {
    fn input(&self) -> PageInput {
        PageInput {
            title: self.title.clone(),
            slug: self.slug.clone(),
            body: self.body.clone(),
            access: self.access.clone(),
        }
    }
}

pub async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let kept: Option<PageForm> = admin.take_draft(&state.pool, req.path()).await?;
    let all = blocking::run(&state.pool, |conn| Ok(badge_store::list_in_order(conn)?)).await?;
    let ticked = kept
        .as_ref()
        .map(|f| f.unlock_badge_id.clone())
        .unwrap_or_default();
    let input = kept.map(|f| f.input()).unwrap_or(PageInput {
        access: "members".to_string(),
        ..PageInput::default()
    });
    render(&EditorPage {
        layout: Layout::new(&session, Some(&admin.0), "New page", req.path()),
        page_id: None,
        action: format!("{LIST}/new"),
        input,
        errors: Errors::default(),
        unlocking: Vec::new(),
        choices: unlock_choices(&all, |b| ticked.contains(&b.id)),
        closed: false,
        explain_member: String::new(),
        explanation: None,
    })
}

#[derive(Deserialize)]
pub struct ExplainQuery {
    #[serde(default)]
    explain: String,
}

pub async fn edit_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<PageId>,
    query: web::Query<ExplainQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let explain_member = query.into_inner().explain;
    let (lookup, who) = (id.clone(), explain_member.clone());
    let (page, unlocking, all, closed, explanation) = blocking::run(&state.pool, move |conn| {
        let page = pages::find(conn, &lookup)?;
        let closed = pages::closed_to_everyone(conn)?.contains(&lookup);
        let unlocking = pages::unlocking_badges(conn, &lookup)?;
        let all = badge_store::list_in_order(conn)?;
        let explanation = if who.trim().is_empty() {
            None
        } else {
            let found = members::find_by_email(conn, &who)?;
            Some(match found {
                Some(member) => access::explain(conn, &page, &member)?,
                None => format!("No member has the e-mail “{}”.", who.trim()),
            })
        };
        Ok((page, unlocking, all, closed, explanation))
    })
    .await?;
    let kept: Option<PageForm> = admin.take_draft(&state.pool, req.path()).await?;
    let choices = match &kept {
        Some(form) => unlock_choices(&all, |b| form.unlock_badge_id.contains(&b.id)),
        None => unlock_choices(&all, |b| {
            b.permissions_enabled && unlocking.iter().any(|u| u.id == b.id)
        }),
    };
    render(&EditorPage {
        layout: Layout::new(
            &session,
            Some(&admin.0),
            format!("Edit {}", page.title),
            req.path(),
        ),
        action: format!("{LIST}/{id}/edit"),
        page_id: Some(id),
        input: kept.map(|f| f.input()).unwrap_or_else(|| input_of(&page)),
        errors: Errors::default(),
        unlocking,
        choices,
        closed,
        explain_member,
        explanation,
    })
}

async fn save(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    id: Option<PageId>,
    form: HtmlForm<PageForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    admin
        .require_elevation_keeping(&state.pool, req.path(), &*form)
        .await?;
    let form = form.into_inner();
    let input = form.input();
    // The editor's badge list is applied only when the form had it (`unlock_form`): a form
    // without it leaves the links as the badges' Permissions tabs set them.
    let unlock = form.unlock_form.then_some(form.unlock_badge_id);
    let mut errors = Errors::default();
    match input.parse() {
        Err(list) => list.into_iter().for_each(|(f, m)| errors.add(f, m)),
        Ok(valid) => {
            let (who, target, unlock) = (admin.actor(), id.clone(), unlock.clone());
            let outcome = blocking::run(&state.pool, move |conn| {
                // The page and who opens it are saved together, or neither is.
                Ok(insignia_core::db::write(conn, |conn| {
                    let page = match &target {
                        Some(id) => pages::update(conn, &who, id, &valid)?,
                        None => pages::create(conn, &who, &valid)?,
                    };
                    if let Some(badge_ids) = &unlock {
                        pages::set_unlocking_badges(conn, &who, &page.id, badge_ids)?;
                    }
                    Ok(page)
                }))
            })
            .await?;
            match outcome {
                Ok(page) => {
                    cookie::flash(
                        &session,
                        FlashKind::Success,
                        format!("Page “{}” saved.", page.title),
                    );
                    return Ok(see_other(LIST));
                }
                Err(PageError::Invalid(list)) => {
                    list.into_iter().for_each(|(f, m)| errors.add(f, m))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let title = if id.is_some() {
        "Edit page"
    } else {
        "New page"
    };
    let all = blocking::run(&state.pool, |conn| Ok(badge_store::list_in_order(conn)?)).await?;
    let ticked = unlock.unwrap_or_default();
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &EditorPage {
            layout: Layout::new(&session, Some(&admin.0), title, req.path()),
            action: req.path().to_string(),
            page_id: id,
            input,
            errors,
            unlocking: Vec::new(),
            choices: unlock_choices(&all, |b| ticked.contains(&b.id)),
            closed: false,
            explain_member: String::new(),
            explanation: None,
        },
    )
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<PageForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    save(state, session, admin, None, form, req).await
}

pub async fn update(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<PageId>,
    form: HtmlForm<PageForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    save(state, session, admin, Some(path.into_inner()), form, req).await
}

pub async fn delete_confirm(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<PageId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page = blocking::run(&state.pool, move |conn| Ok(pages::find(conn, &id)?)).await?;
    render(&ConfirmPage {
        layout: Layout::new(
            &session,
            Some(&admin.0),
            format!("Delete {}", page.title),
            req.path(),
        ),
        heading: format!("Delete “{}”?", page.title),
        heading_class: None,
        badge: None,
        what_happens: vec![
            Words::Code(format!("/pages/{}", page.slug)),
            Words::Text(
                " will stop working, and badges will no longer unlock it. This cannot be undone."
                    .to_string(),
            ),
        ],
        action: format!("{LIST}/{}/delete", page.id),
        button: "Delete page".to_string(),
        cancel_href: LIST.to_string(),
        cancel_label: "Keep it",
    })
}

pub async fn delete(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<PageId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(req.path())?;
    let (id, who) = (path.into_inner(), admin.actor());
    let page = blocking::run(&state.pool, move |conn| Ok(pages::delete(conn, &who, &id)?)).await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        format!("Page “{}” deleted.", page.title),
    );
    Ok(see_other(LIST))
}

// ---------------------------------------------------------------- a badge's Permissions tab

pub struct PageChoice {
    pub page: Page,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "dashboard/badges/permissions.html")]
struct PermissionsPage {
    layout: Layout,
    badge: Badge,
    enabled: bool,
    choices: Vec<PageChoice>,
    errors: Errors,
}

async fn permissions_page(
    state: &AppState,
    session: &Session,
    admin: &CurrentAdmin,
    badge_id: BadgeId,
    path: &str,
    submitted: Option<(bool, Vec<PageId>)>,
    errors: Errors,
) -> Result<PermissionsPage, AppError> {
    let (badge, all, linked) = blocking::run(&state.pool, move |conn| {
        let badge = badge_store::find(conn, &badge_id)?;
        let all = pages::list(conn)?;
        let linked = pages::unlocked_by(conn, &badge_id)?;
        Ok((badge, all, linked))
    })
    .await?;
    let (enabled, ticked) = submitted.unwrap_or((badge.permissions_enabled, linked));
    Ok(PermissionsPage {
        layout: Layout::new(
            session,
            Some(&admin.0),
            format!("{} permissions", badge.title),
            path,
        ),
        enabled,
        choices: all
            .into_iter()
            .filter(|p| p.access() == Access::Badges)
            .map(|p| PageChoice {
                checked: ticked.contains(&p.id),
                page: p,
            })
            .collect(),
        badge,
        errors,
    })
}

pub async fn permissions(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let page = permissions_page(
        &state,
        &session,
        &admin,
        path.into_inner(),
        req.path(),
        None,
        Errors::default(),
    )
    .await?;
    render(&page)
}

/// A badge's Permissions tab: whether the badge opens pages, and which.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PermissionsForm {
    #[serde(deserialize_with = "forms::checkbox")]
    permissions_enabled: bool,
    page_id: Vec<PageId>,
}

pub async fn save_permissions(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    form: HtmlForm<PermissionsForm>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(req.path())?;
    let id = path.into_inner();
    let PermissionsForm {
        permissions_enabled: enabled,
        page_id: page_ids,
    } = form.into_inner();
    let (who, badge_id, ids) = (admin.actor(), id.clone(), page_ids.clone());
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(pages::set_permissions(conn, &who, &badge_id, enabled, &ids))
    })
    .await?;
    match outcome {
        Ok(()) => {
            cookie::flash(&session, FlashKind::Success, "Permissions saved.");
            Ok(see_other(req.path()))
        }
        Err(PageError::Invalid(list)) => {
            let mut errors = Errors::default();
            list.into_iter().for_each(|(f, m)| errors.add(f, m));
            let page = permissions_page(
                &state,
                &session,
                &admin,
                id,
                req.path(),
                Some((enabled, page_ids)),
                errors,
            )
            .await?;
            render_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
