//! Badge pages: list and display order, editor with live preview, detail, delete.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::confirm::{ConfirmPage, Words};
use crate::blocking;
use crate::error::AppError;
use crate::extract::{CurrentAdmin, HxRequest};
use crate::forms::{self, Errors, HtmlForm, MultipartData, read_multipart};
use crate::layout::Layout;
use crate::respond::{render, render_with, see_other};
use crate::session::{self as cookie, FlashKind};
use crate::state::AppState;
use crate::views::BadgeView;
use insignia_core::badges::color::{self, Color, ContrastAdvice};
use insignia_core::badges::icon::{self, UPLOAD_MAX_BYTES};
use insignia_core::badges::store::{self, Direction};
use insignia_core::badges::{Badge, BadgeError, BadgeInput, Field, FieldError, Icon};
use insignia_core::ids::BadgeId;

const LIST: &str = "/dashboard/badges";
/// Editor text fields are short; this only bounds what is read.
const EDITOR_TEXT_LIMIT: usize = 64 * 1024;

// ---------------------------------------------------------------- list and order

struct ListRow {
    id: BadgeId,
    slug: String,
    member_count: i64,
    view: BadgeView,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "dashboard/badges/list.html")]
struct ListPage {
    layout: Layout,
    list: OrderList,
    /// An order dropped before the password was confirmed, kept to be saved now.
    pending: Option<PendingOrder>,
}

/// A kept drop: the titles in the order dropped, and what the form sends to save it.
struct PendingOrder {
    titles: Vec<String>,
    ids: Vec<String>,
    order_version: String,
}

/// The reorderable list; also the htmx answer to a drag.
#[derive(Template)]
#[template(path = "dashboard/badges/order_list.html")]
struct OrderList {
    rows: Vec<ListRow>,
    order_version: String,
    csrf_token: String,
    /// Said (to screen readers too) after a drag was saved.
    saved: Option<String>,
    /// The arrow button to focus: the one just used, on the badge just moved.
    focus: Option<(String, &'static str)>,
}

impl OrderList {
    fn focused(&self, id: &BadgeId, direction: &str) -> bool {
        self.focus
            .as_ref()
            .is_some_and(|(f, d)| id == f && *d == direction)
    }
}

fn order_list(badges: &[Badge], csrf_token: String) -> OrderList {
    let last = badges.len().saturating_sub(1);
    OrderList {
        saved: None,
        focus: None,
        order_version: store::order_version(badges.iter().map(|b| b.id.as_str())),
        rows: badges
            .iter()
            .enumerate()
            .map(|(i, b)| ListRow {
                id: b.id.clone(),
                slug: b.slug.clone(),
                member_count: b.member_count,
                view: BadgeView::from(b),
                first: i == 0,
                last: i == last,
            })
            .collect(),
        csrf_token,
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// The badge just moved with an arrow, and which way: its button gets the focus back.
    moved: Option<String>,
    direction: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    query: web::Query<ListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let badges = blocking::run(&state.pool, |conn| Ok(store::list_in_order(conn)?)).await?;
    let kept: Option<ReorderForm> = admin.take_draft(&state.pool, LIST).await?;
    let layout = Layout::new(&session, Some(&admin.0), "Badges", req.path());
    let mut list = order_list(&badges, layout.csrf_token.clone());
    if let Some(id) = query.moved.clone() {
        let last = list
            .rows
            .iter()
            .position(|r| r.id == id)
            .map(|i| i + 1 == list.rows.len());
        let first = list.rows.first().is_some_and(|r| r.id == id);
        // At the top (or bottom) that button is disabled: the other one takes the focus.
        let direction = match (query.direction.as_deref(), first, last) {
            (Some("up"), true, _) => "down",
            (Some("up"), false, _) => "up",
            (_, _, Some(true)) => "up",
            _ => "down",
        };
        list.focus = Some((id, direction));
    }
    let pending = kept.map(|form| {
        let titles = form
            .badge_id
            .iter()
            .filter_map(|id| badges.iter().find(|b| b.id == id.as_str()))
            .map(|b| b.title.clone())
            .collect();
        PendingOrder {
            titles,
            ids: form.badge_id,
            order_version: form.order_version,
        }
    });
    render(&ListPage {
        layout,
        list,
        pending,
    })
}

const STALE_MESSAGE: &str = "The badge list changed since you loaded it (a badge was added, deleted or moved), \
                             so your change was not saved. Reload the page to see the current order, then try again.";

#[derive(Template)]
#[template(path = "dashboard/badges/order_message.html")]
struct OrderMessage<'a> {
    message: &'a str,
}

/// A drop: every badge's id in the new order, and the order it was made from.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ReorderForm {
    badge_id: Vec<String>,
    #[serde(deserialize_with = "forms::first")]
    order_version: String,
}

/// Drag and drop: the whole list in its new order, against the order it was made from.
pub async fn reorder(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    form: HtmlForm<ReorderForm>,
    HxRequest(htmx): HxRequest,
) -> Result<HttpResponse, AppError> {
    // A drop made before the password was confirmed is kept, like a half-filled form.
    admin
        .require_elevation_keeping(&state.pool, LIST, &*form)
        .await?;
    let ReorderForm {
        badge_id: ids,
        order_version: version,
    } = form.into_inner();
    let who = admin.actor();
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(store::reorder(conn, &who, &ids, Some(&version)))
    })
    .await?;
    match outcome {
        Ok(badges) if htmx => {
            let mut list = order_list(&badges, cookie::csrf_token(&session));
            list.saved = Some("Saved. Members see badges in this order now.".to_string());
            render(&list)
        }
        Ok(_) => {
            cookie::flash(&session, FlashKind::Success, "Display order saved.");
            Ok(see_other(LIST))
        }
        Err(BadgeError::StaleOrder) => refuse_stale(&session, htmx),
        Err(e) => Err(e.into()),
    }
}

fn refuse_stale(session: &Session, htmx: bool) -> Result<HttpResponse, AppError> {
    if htmx {
        let mut res = render_with(
            StatusCode::CONFLICT,
            &OrderMessage {
                message: STALE_MESSAGE,
            },
        )?;
        let headers = res.headers_mut();
        headers.insert(
            actix_web::http::header::HeaderName::from_static("hx-retarget"),
            actix_web::http::header::HeaderValue::from_static("#order-message"),
        );
        headers.insert(
            actix_web::http::header::HeaderName::from_static("hx-reswap"),
            actix_web::http::header::HeaderValue::from_static("innerHTML"),
        );
        return Ok(res);
    }
    cookie::flash(session, FlashKind::Error, STALE_MESSAGE);
    Ok(see_other(LIST))
}

#[derive(Deserialize)]
pub struct MoveForm {
    direction: String,
    #[serde(default)]
    order_version: String,
}

/// Move up / move down: the keyboard and no-JavaScript way to reorder.
pub async fn move_one(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    form: web::Form<MoveForm>,
    HxRequest(htmx): HxRequest,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(LIST)?;
    let direction = match form.direction.as_str() {
        "up" => Direction::Up,
        "down" => Direction::Down,
        _ => {
            return Err(AppError::BadRequest(
                "Direction must be up or down.".to_string(),
            ));
        }
    };
    let (id, version, who) = (path.into_inner(), form.order_version.clone(), admin.actor());
    let outcome = blocking::run(&state.pool, move |conn| {
        Ok(store::move_one(conn, &who, &id, direction, &version)
            .and_then(|()| store::find(conn, &id)))
    })
    .await?;
    match outcome {
        Ok(badge) => {
            let word = if direction == Direction::Up {
                "up"
            } else {
                "down"
            };
            cookie::flash(
                &session,
                FlashKind::Success,
                format!("Moved “{}” {word}.", badge.title),
            );
            // No #fragment: a browser skips `autofocus` on a page opened at one, and the
            // focused button scrolls into view anyway.
            Ok(see_other(&format!(
                "{LIST}?moved={}&direction={word}",
                badge.id
            )))
        }
        Err(BadgeError::StaleOrder) => refuse_stale(&session, htmx),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- editor

/// The contrast of a stored badge's colours (stored colours are valid `#RRGGBB`).
fn stored_contrast(b: &Badge) -> f64 {
    let parse = |field, hex: &str| Color::parse(field, hex, color::BLACK).unwrap_or(color::BLACK);
    parse(Field::BackgroundColor, &b.background_color)
        .contrast(&parse(Field::TextColor, &b.text_color))
}

/// What the editor's fields hold, exactly as typed: the editor's form (multipart when
/// saved, url-encoded for the live preview), and what a draft keeps of it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EditorValues {
    #[serde(deserialize_with = "forms::first")]
    title: String,
    #[serde(deserialize_with = "forms::first")]
    description: String,
    #[serde(deserialize_with = "forms::first")]
    background_color: String,
    #[serde(deserialize_with = "forms::first")]
    text_color: String,
    /// "" (none), a built-in name, "url", or "/icons/{id}.svg" (keep the upload).
    #[serde(deserialize_with = "forms::first")]
    icon: String,
    #[serde(deserialize_with = "forms::first")]
    icon_url: String,
    #[serde(deserialize_with = "forms::checkbox")]
    permissions_enabled: bool,
    #[serde(deserialize_with = "forms::checkbox")]
    self_assignable: bool,
    /// The admin was told the colours are hard to read and chose to keep them.
    #[serde(deserialize_with = "forms::checkbox")]
    low_contrast_ok: bool,
    /// Days an assignment lasts; empty for good.
    #[serde(deserialize_with = "forms::first")]
    valid_for_days: String,
}

impl EditorValues {
    fn from_badge(b: &Badge) -> Self {
        let (icon, icon_url) = match b.icon() {
            Icon::None => (String::new(), String::new()),
            Icon::Builtin(name) => (name, String::new()),
            Icon::Upload(_) => (b.icon.clone(), String::new()),
            Icon::Url(url) => ("url".to_string(), url),
        };
        EditorValues {
            title: b.title.clone(),
            description: b.description.clone(),
            background_color: b.background_color.clone(),
            text_color: b.text_color.clone(),
            icon,
            icon_url,
            permissions_enabled: b.permissions_enabled,
            self_assignable: b.self_assignable,
            // Colours saved after the question was answered are not asked about again.
            low_contrast_ok: stored_contrast(b) < color::CONFIRM_BELOW,
            valid_for_days: b
                .valid_for_days
                .map(|days| days.to_string())
                .unwrap_or_default(),
        }
    }

    fn new_badge() -> Self {
        EditorValues {
            background_color: color::EDITOR_BACKGROUND.hex(),
            text_color: color::DEFAULT_TEXT.hex(),
            icon: "award".to_string(),
            ..EditorValues::default()
        }
    }

    fn input(&self) -> BadgeInput {
        BadgeInput {
            title: self.title.clone(),
            description: self.description.clone(),
            background_color: self.background_color.clone(),
            text_color: self.text_color.clone(),
            icon: if self.icon == "url" {
                self.icon_url.clone()
            } else {
                self.icon.clone()
            },
            permissions_enabled: self.permissions_enabled,
            self_assignable: self.self_assignable,
            valid_for_days: self.valid_for_days.clone(),
        }
    }
}

struct IconChoice {
    name: &'static str,
    svg: &'static str,
}

/// The live preview and contrast advice; also the htmx answer while typing.
#[derive(Template)]
#[template(path = "dashboard/badges/preview.html")]
struct Preview {
    badge: BadgeView,
    advice: ContrastAdvice,
}

impl Preview {
    /// Draws what can be drawn from the current input; invalid values fall back to defaults.
    fn of(values: &EditorValues) -> Preview {
        let bg = Color::parse(
            Field::BackgroundColor,
            &values.background_color,
            color::DEFAULT_BACKGROUND,
        )
        .unwrap_or(color::DEFAULT_BACKGROUND);
        let fg = Color::parse(Field::TextColor, &values.text_color, color::DEFAULT_TEXT)
            .unwrap_or(color::DEFAULT_TEXT);
        let icon = Icon::parse(&values.input().icon).unwrap_or(Icon::None);
        let title = match values.title.trim() {
            "" => "Badge title",
            t => t,
        };
        Preview {
            badge: BadgeView::new(title, values.description.trim(), bg, fg, &icon),
            advice: color::advise(bg, fg),
        }
    }

    fn ratio_text(&self) -> String {
        format!("{:.1}:1", self.advice.ratio)
    }

    fn better_ratio_text(&self) -> String {
        format!("{:.1}:1", self.advice.better_ratio)
    }

    fn better_name(&self) -> &'static str {
        if self.advice.better_text == color::BLACK {
            "black"
        } else {
            "white"
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/badges/editor.html")]
struct EditorPage {
    layout: Layout,
    /// `None` for a new badge.
    badge_id: Option<BadgeId>,
    action: String,
    values: EditorValues,
    errors: Errors,
    icons: Vec<IconChoice>,
    preview: Preview,
    elevated: bool,
    title_max: usize,
    description_max: usize,
}

impl EditorPage {
    fn is_upload_selected(&self) -> bool {
        self.values.icon.starts_with("/icons/")
    }

    /// The refused fields in form order, for the summary above the form: (the element to
    /// jump to, the field's name in words, what is wrong).
    fn error_summary(&self) -> Vec<(&'static str, &'static str, &str)> {
        [
            ("title", "title", "Title"),
            ("description", "description", "Description"),
            ("background_color", "background_color", "Background colour"),
            ("text_color", "text_color", "Text colour"),
            ("low_contrast", "low_contrast_ok", "Colours"),
            ("icon", "icon-field", "Icon"),
            ("icon_url", "icon_url", "Icon web address"),
            ("icon_file", "icon_file", "Uploaded SVG"),
            ("self_assignable", "self_assignable", "Options"),
        ]
        .into_iter()
        .filter_map(|(field, target, label)| {
            self.errors
                .get(field)
                .map(|message| (target, label, message))
        })
        .collect()
    }
}

fn icon_choices() -> Vec<IconChoice> {
    icon::builtin_names()
        .filter_map(|name| icon::builtin_svg(name).map(|svg| IconChoice { name, svg }))
        .collect()
}

fn editor_page(
    layout: Layout,
    admin: &CurrentAdmin,
    badge_id: Option<BadgeId>,
    values: EditorValues,
    errors: Errors,
) -> EditorPage {
    let action = match &badge_id {
        Some(id) => format!("/dashboard/badges/{id}/edit"),
        None => "/dashboard/badges/new".to_string(),
    };
    EditorPage {
        layout,
        badge_id,
        action,
        preview: Preview::of(&values),
        values,
        errors,
        icons: icon_choices(),
        elevated: admin.0.is_elevated(),
        title_max: insignia_core::badges::rules::TITLE_MAX,
        description_max: insignia_core::badges::rules::DESCRIPTION_MAX,
    }
}

pub async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let draft = admin.take_draft(&state.pool, req.path()).await?;
    let layout = Layout::new(&session, Some(&admin.0), "New badge", req.path());
    let values = draft.unwrap_or_else(EditorValues::new_badge);
    render(&editor_page(
        layout,
        &admin,
        None,
        values,
        Errors::default(),
    ))
}

pub async fn edit_form(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lookup = id.clone();
    let badge = blocking::run(&state.pool, move |conn| Ok(store::find(conn, &lookup)?)).await?;
    let draft = admin.take_draft(&state.pool, req.path()).await?;
    let layout = Layout::new(
        &session,
        Some(&admin.0),
        format!("Edit {}", badge.title),
        req.path(),
    );
    let values = draft.unwrap_or_else(|| EditorValues::from_badge(&badge));
    render(&editor_page(
        layout,
        &admin,
        Some(id),
        values,
        Errors::default(),
    ))
}

/// Checks the editor form's values as typed, with its uploaded file. Returns the values and,
/// when every rule passes, what to save (the validated badge and a sanitised uploaded SVG,
/// if any).
fn parse_editor(
    values: EditorValues,
    data: &MultipartData,
) -> (
    EditorValues,
    Result<(insignia_core::badges::ValidBadge, Option<String>), Errors>,
) {
    let mut errors = Errors::default();
    let mut upload = None;
    if let Some(file) = data.files.get("icon_file") {
        if file.too_large {
            errors.add(
                "icon_file",
                format!("must be at most {} KB", UPLOAD_MAX_BYTES / 1024),
            );
        } else {
            match icon::sanitize_svg(&file.bytes) {
                Ok(svg) => upload = Some(svg),
                Err(e) => errors.add("icon_file", e.message),
            }
        }
    }
    let mut input = values.input();
    if upload.is_some() {
        input.icon = String::new(); // the new upload replaces whatever was picked
    }
    match input.parse() {
        Ok(valid) if errors.is_empty() => {
            let ratio = valid.background_color.contrast(&valid.text_color);
            if ratio < color::CONFIRM_BELOW && !values.low_contrast_ok {
                errors.add(
                    "low_contrast",
                    format!(
                        "are hard to tell apart ({ratio:.1}:1; text reads well from 4.5:1). Pick other colours, or tick “Save with these colours anyway”."
                    ),
                );
                return (values, Err(errors));
            }
            (values, Ok((valid, upload)))
        }
        Ok(_) => (values, Err(errors)),
        Err(field_errors) => {
            add_field_errors(&mut errors, field_errors, &values);
            (values, Err(errors))
        }
    }
}

/// Puts each broken rule next to its field; an icon address error belongs to the URL box.
fn add_field_errors(errors: &mut Errors, list: Vec<FieldError>, values: &EditorValues) {
    for e in list {
        let name = if e.field == Field::Icon && values.icon == "url" {
            "icon_url"
        } else {
            e.field.form_name()
        };
        errors.add(name, e.message);
    }
}

/// Field errors for what the store refused; anything else is not the form's fault.
fn badge_errors(e: BadgeError, values: &EditorValues) -> Result<Errors, AppError> {
    let mut errors = Errors::default();
    match e {
        BadgeError::DuplicateTitle => errors.add(
            "title",
            "is already used by another badge (titles ignore case)",
        ),
        BadgeError::Invalid(list) => add_field_errors(&mut errors, list, values),
        other => return Err(other.into()),
    }
    Ok(errors)
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    payload: Multipart,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let data = read_multipart(payload, EDITOR_TEXT_LIMIT, UPLOAD_MAX_BYTES).await?;
    let (values, parsed) = parse_editor(forms::from_pairs(&data.fields)?, &data);
    admin
        .require_elevation_keeping(&state.pool, req.path(), &values)
        .await?;
    let errors = match parsed {
        Ok((valid, upload)) => {
            let who = admin.actor();
            match blocking::run(&state.pool, move |conn| {
                Ok(store::create(conn, &who, &valid, upload.as_deref()))
            })
            .await?
            {
                Ok(badge) => {
                    cookie::flash(
                        &session,
                        FlashKind::Success,
                        format!("Badge “{}” created.", badge.title),
                    );
                    // Its page: where it is given to members, the next thing an owner does.
                    return Ok(see_other(&format!("{LIST}/{}", badge.id)));
                }
                Err(e) => badge_errors(e, &values)?,
            }
        }
        Err(errors) => errors,
    };
    let layout = Layout::new(&session, Some(&admin.0), "New badge", req.path());
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &editor_page(layout, &admin, None, values, errors),
    )
}

pub async fn update(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    payload: Multipart,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let lookup = id.clone();
    let badge = blocking::run(&state.pool, move |conn| Ok(store::find(conn, &lookup)?)).await?;
    let data = read_multipart(payload, EDITOR_TEXT_LIMIT, UPLOAD_MAX_BYTES).await?;
    let (values, parsed) = parse_editor(forms::from_pairs(&data.fields)?, &data);
    admin
        .require_elevation_keeping(&state.pool, req.path(), &values)
        .await?;
    let errors = match parsed {
        Ok((valid, upload)) => {
            let (who, target) = (admin.actor(), id.clone());
            match blocking::run(&state.pool, move |conn| {
                Ok(store::update(
                    conn,
                    &who,
                    &target,
                    &valid,
                    upload.as_deref(),
                ))
            })
            .await?
            {
                Ok(saved) => {
                    cookie::flash(
                        &session,
                        FlashKind::Success,
                        format!("Badge “{}” saved.", saved.title),
                    );
                    return Ok(see_other(&format!("/dashboard/badges/{}", saved.id)));
                }
                Err(e) => badge_errors(e, &values)?,
            }
        }
        Err(errors) => errors,
    };
    let layout = Layout::new(
        &session,
        Some(&admin.0),
        format!("Edit {}", badge.title),
        req.path(),
    );
    render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &editor_page(layout, &admin, Some(id), values, errors),
    )
}

/// Live preview while editing (htmx). Changes nothing, so it needs no elevation.
pub async fn preview(
    _admin: CurrentAdmin,
    form: HtmlForm<EditorValues>,
) -> Result<HttpResponse, AppError> {
    render(&Preview::of(&form))
}

// ---------------------------------------------------------------- delete

pub async fn delete_confirm(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let badge = blocking::run(&state.pool, move |conn| Ok(store::find(conn, &id)?)).await?;
    let mut what_happens = match badge.member_count {
        0 => vec![Words::Text("No member holds this badge.".to_string())],
        n => vec![
            Words::Strong(format!(
                "{} {} this badge",
                crate::views::grouped(n.max(0) as usize),
                if n == 1 {
                    "member holds"
                } else {
                    "members hold"
                }
            )),
            Words::Text("; they will lose it.".to_string()),
        ],
    };
    what_happens.push(Words::Text(
        " Its page permissions go with it. This cannot be undone.".to_string(),
    ));
    render(&ConfirmPage {
        layout: Layout::new(
            &session,
            Some(&admin.0),
            format!("Delete {}", badge.title),
            req.path(),
        ),
        heading: "Delete this badge?".to_string(),
        heading_class: None,
        badge: Some(BadgeView::from(&badge)),
        what_happens,
        action: format!("/dashboard/badges/{}/delete", badge.id),
        button: format!("Delete “{}”", badge.title),
        cancel_href: format!("/dashboard/badges/{}", badge.id),
        cancel_label: "Keep it",
    })
}

pub async fn delete(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    admin.require_elevation(req.path())?;
    let (id, who) = (path.into_inner(), admin.actor());
    let deleted = blocking::run(&state.pool, move |conn| {
        Ok(insignia_core::members::assignments::delete_badge(
            conn, &who, &id,
        )?)
    })
    .await?;
    cookie::flash(
        &session,
        FlashKind::Success,
        format!("Badge “{}” deleted.", deleted.title),
    );
    Ok(see_other(LIST))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TellForm {
    /// `on` or `off`.
    #[serde(deserialize_with = "forms::first")]
    tell: String,
}

/// "Tell members by mail" on a badge's page (`tell` = `on` / `off`). Turning it on needs mail.
pub async fn set_tell_members(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
    path: web::Path<BadgeId>,
    form: HtmlForm<TellForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let page = format!("{LIST}/{id}");
    admin.require_elevation(&page)?;
    let tell = match form.0.tell.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Say whether to tell members (on or off).".to_string(),
            ));
        }
    };
    if tell && state.settings.mail.is_none() {
        return Err(AppError::Conflict(
            "Mail is off, so members cannot be told by mail: start Insignia with --smtp-url first."
                .to_string(),
        ));
    }
    let actor = admin.actor();
    let badge = blocking::run(&state.pool, move |conn| {
        Ok(store::set_tell_members(conn, &actor, &id, tell)?)
    })
    .await?;
    let said = if tell {
        format!("Members who get “{}” are now told by mail.", badge.title)
    } else {
        format!(
            "Members who get “{}” are no longer told by mail.",
            badge.title
        )
    };
    cookie::flash(&session, FlashKind::Success, said);
    Ok(see_other(&page))
}
