//! Insignia's web: routes, middleware, extractors, pages and the JSON API. Handlers parse
//! input, call the core (`insignia_core`) and render; no rule lives here. Templates are in
//! `templates/`, static files in `static/`, both compiled in.

pub mod accounts;
pub mod api;
pub mod assets;
pub mod badge_pages;
pub mod blocking;
pub mod budgets;
pub mod client;
pub mod config;
pub mod csrf;
pub mod dashboard;
pub mod error;
mod error_pages;
pub mod extract;
pub mod forms;
pub mod layout;
pub mod logging;
pub mod metrics;
pub mod paging;
pub mod profiles;
pub mod resets;
pub mod respond;
pub mod routes;
pub mod security;
pub mod session;
pub mod sign_in;
pub mod site;
pub mod state;
pub mod unsubscribe;
pub mod views;

pub use respond::{render, render_with, safe_next, see_other, url_encode};
pub use state::{AppState, FORM_LIMIT};

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::config::{PublicUrl, Settings};
use crate::error::AppError;
use insignia_core::db::DbPool;

/// The public server. With `metrics`, every request is counted and timed for them.
pub fn server(
    listener: TcpListener,
    pool: DbPool,
    settings: Settings,
    public_url: PublicUrl,
    key: Key,
    metrics: Option<web::Data<metrics::Metrics>>,
) -> Result<Server, AppError> {
    let secure = settings.secure_cookies;
    let workers = settings.workers;
    let budgets = state::Budgets::from_settings(&settings);
    let identity = state::IdentityCache::load(pool.clone());
    let state = web::Data::new(AppState {
        identity,
        pool,
        settings,
        public_url,
        budgets,
    });
    // The client's address is read with the proxies alone (`client::client_ip`).
    let proxies = web::Data::new(state.settings.trusted_proxies.clone());
    let mut server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("insignia".to_string())
            .cookie_secure(secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .build();
        let mut app = App::new();
        if let Some(metrics) = &metrics {
            app = app.app_data(metrics.clone());
        }
        app.app_data(state.clone())
            .app_data(proxies.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(FORM_LIMIT)
                    .error_handler(forms::form_error),
            )
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                AppError::BadRequest(format!("This address has a bad parameter: {e}.")).into()
            }))
            .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
            .wrap(from_fn(csrf::guard))
            // Wrong methods and unknown paths are told so before the CSRF guard reads forms.
            .wrap(from_fn(routes::known_methods_only))
            .wrap(from_fn(error_pages::fit_not_found_to_viewer))
            .wrap(from_fn(layout::with_site_identity))
            .wrap(sessions)
            .wrap(from_fn(security::headers))
            .wrap(from_fn(security::no_nul_in_path))
            .wrap(from_fn(security::head_as_get))
            .wrap(TracingLogger::<logging::RouteOnlySpan>::new())
            // Outermost: a request's time includes every middleware's.
            .wrap(from_fn(metrics::record))
            .configure(api::configure)
            .configure(site_routes)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(AppError::NotFound)
            }))
    })
    .listen(listener)
    .map_err(AppError::internal)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}

/// The metrics listener (`--metrics-bind`): `/metrics` and nothing else, on one worker.
pub fn metrics_server(
    listener: TcpListener,
    metrics: web::Data<metrics::Metrics>,
) -> Result<Server, AppError> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .configure(metrics::configure)
    })
    .workers(1)
    // The public server handles the signals and stops this one with it.
    .disable_signals()
    .listen(listener)
    .map_err(AppError::internal)?;
    Ok(server.run())
}

/// The site's routes after the API's, in routing order, and their table for
/// [`routes::known_methods_only`].
fn site_routes(cfg: &mut web::ServiceConfig) {
    let mut table = routes::Table::default();
    let mut routes = routes::Routes::new(cfg, &mut table);
    site::configure(&mut routes);
    accounts::configure(&mut routes);
    resets::configure(&mut routes);
    unsubscribe::configure(&mut routes);
    profiles::configure(&mut routes);
    badge_pages::configure(&mut routes);
    dashboard::configure(&mut routes);
    cfg.app_data(web::Data::new(table));
}
