//! Public routes: the front page, health check, static files and uploaded icons.

use actix_session::Session;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::extract::{MaybeAdmin, MaybeMember};
use super::layout::Layout;
use super::routes::Routes;
use super::{AppState, render, render_with};
use crate::assets::StaticAssets;
use crate::blocking;
use crate::error::AppError;
use actix_web::http::StatusCode;
use insignia_core::badges::store;
use insignia_core::pages::access::Decision;
use insignia_core::pages::{self, Access, Page};

pub fn configure(routes: &mut Routes) {
    routes
        .at("/", |p| p.get(home))
        .at("/healthz", |p| p.get(healthz))
        .at("/pages/{slug}", |p| p.get(content_page))
        .at("/icons/{file}", |p| p.get(uploaded_icon))
        .at("/static/sprite-{version}.svg", |p| p.get(icon_sprite))
        .at("/static/{path:.*}", |p| p.get(static_file));
}

/// The built-in icons as one sprite; its name changes with its content, so it is cached long.
async fn icon_sprite() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(31_536_000),
        ]))
        .body(insignia_core::badges::icon::SPRITE.body.clone())
}

#[derive(Template)]
#[template(path = "site/home.html")]
struct HomePage {
    layout: Layout,
    badges: Vec<super::views::BadgeView>,
    public_pages: Vec<Page>,
    /// Pages for members, and restricted pages this member's badges unlock.
    member_pages: Vec<Page>,
}

async fn home(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let member_id = member.0.as_ref().map(|m| m.id.clone());
    let (badges, all_pages, unlocked) = blocking::run(&state.pool, move |conn| {
        let unlocked = match &member_id {
            Some(id) => pages::access::open_restricted_pages(conn, id)?,
            None => Vec::new(),
        };
        Ok((store::list_in_order(conn)?, pages::list(conn)?, unlocked))
    })
    .await?;
    let (public_pages, others): (Vec<Page>, Vec<Page>) = all_pages
        .into_iter()
        .partition(|p| p.access() == Access::Public);
    let mut member_pages: Vec<Page> = if member.0.is_some() {
        others
            .into_iter()
            .filter(|p| p.access() == Access::Members)
            .collect()
    } else {
        Vec::new()
    };
    member_pages.extend(unlocked);
    render(&HomePage {
        layout: Layout::site(&session, &state.settings, member.bar(), "", req.path()),
        badges: badges.iter().map(super::views::BadgeView::from).collect(),
        public_pages,
        member_pages,
    })
}

#[derive(Template)]
#[template(path = "site/page.html")]
struct ContentPage {
    layout: Layout,
    page: Page,
    html: String,
    preview: bool,
}

#[derive(Template)]
#[template(path = "site/locked.html")]
struct LockedPage {
    layout: Layout,
    unlocking: Vec<insignia_core::pages::access::Unlocking>,
}

/// What a member who may not open a page sees of it: not its title, which can say more than
/// the owner means to show outside (the badges that open it are public anyway).
const LOCKED_TITLE: &str = "A page for badge holders";

/// A content page, shown only to who may open it; admins preview every page.
async fn content_page(
    state: web::Data<AppState>,
    session: Session,
    member: MaybeMember,
    admin: MaybeAdmin,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let viewer = member.0.clone();
    let (page, decision) = blocking::run(&state.pool, move |conn| {
        let page = pages::find_by_slug(conn, &slug)?;
        let decision = pages::access::decide(conn, &page, viewer.as_ref())?;
        Ok((page, decision))
    })
    .await?;
    let shown = matches!(decision, Decision::Allowed) || admin.0.is_some();
    let layout = Layout::site(
        &session,
        &state.settings,
        member.bar(),
        if shown {
            page.title.clone()
        } else {
            LOCKED_TITLE.to_string()
        },
        req.path(),
    );
    match decision {
        Decision::Allowed => render(&ContentPage {
            layout,
            html: page.html(),
            page,
            preview: false,
        }),
        _ if admin.0.is_some() => render(&ContentPage {
            layout,
            html: page.html(),
            page,
            preview: true,
        }),
        Decision::SignIn => Err(AppError::NeedsMemberSignIn {
            next: req.path().to_string(),
        }),
        Decision::Denied(unlocking) => {
            render_with(StatusCode::FORBIDDEN, &LockedPage { layout, unlocking })
        }
    }
}

async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    use diesel::connection::SimpleConnection;
    blocking::run(&state.pool, |conn| {
        conn.batch_execute("SELECT 1").map_err(AppError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body("ok"))
}

/// An uploaded SVG, sandboxed: even if something slipped past the sanitiser it cannot run
/// script or be sniffed as HTML.
#[derive(serde::Deserialize)]
struct IconQuery {
    /// `RRGGBB`: the colour `currentColor` stands for (the badge's text colour).
    color: Option<String>,
}

async fn uploaded_icon(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<IconQuery>,
) -> Result<HttpResponse, AppError> {
    let color = match query.into_inner().color {
        None => None,
        Some(hex) => Some(
            insignia_core::badges::color::Color::parse(
                insignia_core::badges::Field::TextColor,
                &format!("#{hex}"),
                insignia_core::badges::color::BLACK,
            )
            .map_err(|_| {
                AppError::BadRequest("color must be six hex digits, like FFCC00".into())
            })?,
        ),
    };
    let file = path.into_inner();
    let id = file
        .strip_suffix(".svg")
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .ok_or(AppError::NotFound)?
        .to_string();
    let svg = blocking::run(&state.pool, move |conn| Ok(store::uploaded_svg(conn, &id)?)).await?;
    let svg = match color {
        Some(color) => insignia_core::badges::icon::in_color(&svg, &color),
        None => svg,
    };
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; style-src 'unsafe-inline'",
        ))
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(86_400),
        ]))
        .body(svg))
}

async fn static_file(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let data = match path.strip_prefix("icons/") {
        Some(icon) => insignia_core::badges::icon::builtin_file(icon),
        None => StaticAssets::get(&path).map(|file| file.data),
    }
    .ok_or(AppError::NotFound)?;
    let mime = mime_for(&path);
    // Vendored files carry their version in the name; our own CSS/JS may change between releases.
    let max_age = if path.starts_with("vendor/") || path.starts_with("icons/") {
        31_536_000
    } else {
        3_600
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(max_age),
        ]))
        .body(data.into_owned()))
}

fn mime_for(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "text/plain; charset=utf-8",
    }
}
