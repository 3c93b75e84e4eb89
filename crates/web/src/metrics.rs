//! What a monitoring system reads: `/metrics` in the Prometheus text format (OpenMetrics when
//! the scraper asks for it), served on a listener of its own (`--metrics-bind`), never on the
//! public one: the figures name routes, endpoints and load, which are the operator's business.
//!
//! Requests are counted by route pattern (`/badges/{slug}`, never the path, so a stranger
//! cannot grow the series) and status, with a latency histogram per route. The database and
//! webhook figures are read when scraped: connections in use from the pool, waiters and waits
//! from the core's own counting (`insignia_core::db::stats`), and the webhook backlog from the
//! database, so every server on one PostgreSQL database reports the same backlog.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::error::AppError;
use insignia_core::clock::Timestamp;
use insignia_core::db::DbPool;
use insignia_core::db::stats::{self, Caller, TimingsReading};

use crate::logging::NO_ROUTE;

/// How long a scrape waits for a database connection for the webhook backlog (Prometheus
/// gives up on a scrape after 10 seconds by default).
const BACKLOG_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Upper bounds, in seconds, of the request latency buckets.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// The site's metrics: what requests record, and what a scrape reads.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl Metrics {
    pub fn new(pool: DbPool) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "insignia_http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register(
            "insignia_http_request_duration_seconds",
            "Seconds from a request's arrival to its response, by method and route pattern",
            latency.clone(),
        );
        registry.register_collector(Box::new(Scraped { pool }));
        Metrics {
            registry,
            requests,
            latency,
        }
    }

    fn observe(&self, method: &'static str, route: String, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// The figures in the Prometheus text format, or OpenMetrics; reads the database.
    fn encode(&self, openmetrics: bool) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        if openmetrics {
            prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        }
        Ok(out)
    }
}

/// Middleware of the public server: counts and times every request by its route pattern.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.call(req).await;
    if let Some(metrics) = metrics {
        let (route, status) = match &response {
            Ok(res) => (res.request().match_pattern(), res.status()),
            Err(e) => (None, e.as_response_error().status_code()),
        };
        metrics.observe(
            method,
            route.unwrap_or_else(|| NO_ROUTE.to_string()),
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    response
}

/// The method as a label: one of the standard ones, or "other" (a client can send any word).
fn method_label(method: &actix_web::http::Method) -> &'static str {
    const STANDARD: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    STANDARD
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("other")
}

/// `GET /metrics` on the metrics listener.
pub async fn serve(
    request: HttpRequest,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, AppError> {
    let openmetrics = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/openmetrics-text"));
    let text = crate::blocking::compute(move || metrics.encode(openmetrics))
        .await?
        .map_err(AppError::internal)?;
    let content_type = if openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        prometheus_client::encoding::prometheus_text::CONTENT_TYPE
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// One figure of an endpoint's backlog.
type EndpointFigure = fn(&insignia_webhooks::EndpointBacklog) -> i64;

/// The figures read at each scrape.
#[derive(Debug)]
struct Scraped {
    pool: DbPool,
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let state = self.pool.state();
        let in_use = i64::from(state.connections.saturating_sub(state.idle_connections));
        gauge(
            &mut encoder,
            "insignia_db_connections_in_use",
            "Database connections of this server's pool in use now.",
            in_use,
        )?;
        gauge(
            &mut encoder,
            "insignia_db_connections_max",
            "Database connections this server's pool opens at most.",
            i64::from(self.pool.max_size()),
        )?;
        let mut waiting = encoder.encode_descriptor(
            "insignia_db_connection_waiters",
            "Callers waiting for a database connection now: requests, and background work \
             (webhooks, rules, expiry, mail).",
            None,
            MetricType::Gauge,
        )?;
        for caller in Caller::ALL {
            let labels = [("caller", caller.name())];
            ConstGauge::new(stats::FIGURES.waiting(caller))
                .encode(waiting.encode_family(&labels)?)?;
        }
        histogram(
            &mut encoder,
            "insignia_db_connection_wait_seconds",
            "Seconds each caller waited for a database connection.",
            &stats::FIGURES.checkout_waits.read(),
        )?;
        histogram(
            &mut encoder,
            "insignia_db_write_lock_wait_seconds",
            "Seconds each write transaction waited for the write lock (SQLite's one writer; \
             PostgreSQL's write lock).",
            &stats::FIGURES.write_lock_waits.read(),
        )?;
        self.encode_webhooks(&mut encoder)
    }
}

impl Scraped {
    /// The webhook backlog, from the database; left out (with a gauge saying so) when it
    /// cannot be read, so the other figures still reach the scraper. When every connection is
    /// busy — when the figures matter most — it waits [`BACKLOG_WAIT`] for one, not the
    /// minute a change would, so the scrape answers before the scraper gives up.
    fn encode_webhooks(&self, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let read = insignia_core::db::checkout_within(&self.pool, Caller::Request, BACKLOG_WAIT)
            .map_err(insignia_core::Error::internal)
            .and_then(|mut conn| insignia_webhooks::backlog(&mut conn));
        let backlog = match read {
            Ok(backlog) => backlog,
            Err(e) => {
                tracing::warn!("metrics: cannot read the webhook backlog: {e}");
                return gauge(
                    encoder,
                    "insignia_webhook_backlog_unreadable",
                    "1 when the webhook backlog could not be read for this scrape.",
                    1,
                );
            }
        };
        let per_endpoint: [(&str, &str, EndpointFigure); 3] = [
            (
                "insignia_webhook_deliveries_waiting",
                "Webhook deliveries waiting to be sent, per endpoint (its id).",
                |e| e.waiting,
            ),
            (
                "insignia_webhook_deliveries_failing",
                "Webhook deliveries that failed and wait for a retry, per endpoint.",
                |e| e.failing,
            ),
            (
                "insignia_webhook_endpoint_failing",
                "1 while no delivery to the endpoint has succeeded since one failed.",
                |e| i64::from(e.failing_now),
            ),
        ];
        for (name, help, value) in per_endpoint {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for endpoint in &backlog.endpoints {
                let labels = [("endpoint", endpoint.id.as_str())];
                ConstGauge::new(value(endpoint)).encode(family.encode_family(&labels)?)?;
            }
        }
        let age = backlog.oldest_waiting.map_or(0.0, |at| {
            (Timestamp::now().millis() - at.millis()).max(0) as f64 / 1000.0
        });
        let metric = ConstGauge::new(age);
        metric.encode(encoder.encode_descriptor(
            "insignia_webhook_oldest_undelivered_event_age_seconds",
            "Seconds since the oldest event with a webhook delivery still waiting happened \
             (0 when none waits).",
            None,
            metric.metric_type(),
        )?)
    }
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn histogram(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    reading: &TimingsReading,
) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(name, help, None, MetricType::Histogram)?
        .encode_histogram::<NoLabelSet>(reading.sum_seconds, reading.count, &reading.buckets, None)
}

/// The metrics listener's one route; anything else is a plain 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(serve))
        .default_service(web::to(HttpResponse::NotFound));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_outside_the_standard_ones_is_other() {
        use actix_web::http::Method;
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let made_up = Method::from_bytes(b"BREW").expect("a method");
        assert_eq!(method_label(&made_up), "other");
    }
}
