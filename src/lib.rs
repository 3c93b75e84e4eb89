//! Insignia: self-hosted member badges. This crate is the command line around the workspace's
//! crates (docs/architecture.md): the domain and its storage (`insignia_core`, no HTTP), the
//! webhooks (`insignia_webhooks`) and the web (`insignia_web`). It builds and runs the server
//! and holds the commands that are not the server's (`demo`, `migrate`).

pub mod demo;
pub mod migrate;

// The domain lives in the core crate; its modules are reachable from here under the same names.
pub use insignia_core::open_site;
pub use insignia_core::{
    audit, auth, badges, clock, db, email, events, exports, ids, members, pages, reports, rules,
    slug, text, tokens,
};
pub use insignia_mail as mail;
pub use insignia_web as web;
pub use insignia_web::{config, error};
pub use insignia_webhooks as webhooks;

use std::net::TcpListener;

use actix_web::dev::Server;

use crate::config::Settings;
use crate::error::AppError;

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener, apart from the public one (`--metrics-bind`), and its port.
    metrics: Option<(Server, u16)>,
    /// Tells the background jobs (webhook delivery among them) to stop when the server does.
    stop_jobs: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Application {
    /// Opens the database (applying migrations), binds the address and prepares the server.
    pub fn build(settings: Settings) -> Result<Application, AppError> {
        let pool = insignia_core::open_site(&settings.database)?;
        let key = web::session::signing_key(&pool, settings.secret_key.as_deref())?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| AppError::internal(format!("cannot listen on {}: {e}", settings.bind)))?;
        let local = listener.local_addr().map_err(AppError::internal)?;
        // Bound before anything starts, so a taken address stops the start cleanly.
        let metrics_listener = match &settings.metrics_bind {
            Some(bind) => Some(TcpListener::bind(bind).map_err(|e| {
                AppError::internal(format!("cannot listen on {bind} for metrics: {e}"))
            })?),
            None => None,
        };
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| config::PublicUrl::from_listener(local));
        announce_setup(&pool, &public_url)?;
        let stop_jobs = std::sync::Arc::default();
        let runner = insignia_core::jobs::Runner::new(pool.clone());
        let deliveries = webhooks::worker::Deliveries::new(
            pool.clone(),
            settings.webhooks.clone(),
            runner.waker(),
        )?;
        let mut runner = runner
            .with(deliveries)
            .with(webhooks::worker::PruneEvents)
            .with(insignia_core::members::expiry::ExpireAssignments)
            .with(insignia_core::rules::TimedRules)
            .with(insignia_core::mail::outbox::PruneMail);
        if let Some(mail) = &settings.mail {
            announce_mail(mail, settings.public_url.is_some(), &public_url);
            let sender = mail::Sender::new(
                mail.clone(),
                public_url.as_str().to_string(),
                runner.waker(),
            )?;
            runner = runner.with(sender);
        }
        let metrics = match metrics_listener {
            Some(listener) => {
                let port = listener.local_addr().map_err(AppError::internal)?.port();
                let metrics = actix_web::web::Data::new(web::metrics::Metrics::new(pool.clone()));
                let server = web::metrics_server(listener, metrics.clone())?;
                Some((metrics, server, port))
            }
            None => None,
        };
        runner.start(std::sync::Arc::clone(&stop_jobs))?;
        let server = web::server(
            listener,
            pool,
            settings,
            public_url,
            key,
            metrics.as_ref().map(|(m, ..)| m.clone()),
        )?;
        let port = local.port();
        Ok(Application {
            port,
            server,
            metrics: metrics.map(|(_, server, port)| (server, port)),
            stop_jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, when `--metrics-bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Serves until stopped; the background jobs stop with it, also when this future is
    /// dropped unfinished (a test's runtime ending).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for StopOnDrop {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let _stop = StopOnDrop(self.stop_jobs);
        let Some((metrics, _)) = self.metrics else {
            return self.server.await;
        };
        // Both are driven here; the metrics listener ends with the public server (it handles
        // no signals itself).
        use futures_util::future::{Either, join, select};
        let handle = metrics.handle();
        match select(self.server, metrics).await {
            Either::Left((served, metrics)) => {
                let _ = join(handle.stop(true), metrics).await;
                served
            }
            Either::Right((_, public)) => public.await,
        }
    }
}

/// The start log says where mail goes (never the SMTP password), and warns when its links
/// will point at the address Insignia listens on.
fn announce_mail(mail: &mail::Settings, public_url_set: bool, public_url: &config::PublicUrl) {
    tracing::info!("Mail is on: through {}, from {}", mail.smtp, mail.from.0);
    if !public_url_set {
        tracing::warn!(
            "--public-url is not set: links in mail will point at {}, the address Insignia \
             listens on",
            public_url.as_str()
        );
    }
}

/// Until the site has an admin, the log says where to set it up: the setup page with the
/// site's setup code, which only someone who can read this server's log has.
fn announce_setup(pool: &db::DbPool, public_url: &config::PublicUrl) -> Result<(), AppError> {
    let mut conn = pool.get().map_err(AppError::internal)?;
    if let Some(code) = auth::setup::code(&mut conn)? {
        tracing::info!(
            "This site has no admin yet. Set it up at {}",
            public_url.join(&format!("/dashboard/setup?code={code}"))
        );
    }
    Ok(())
}
