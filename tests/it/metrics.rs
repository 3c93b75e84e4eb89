//! `/metrics` on its own listener (`--metrics-bind`), read by the Prometheus client library's
//! parser (tests/metrics/parse.py) while pages are served: requests by route pattern and
//! status with latency histograms, the database's connections, waiters and write-lock waits,
//! and the webhook backlog per endpoint. The public listener has no `/metrics`.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, python_venv, spawn_app_with};

/// The parsed families, by name.
struct Scrape(BTreeMap<String, Value>);

impl Scrape {
    fn family(&self, name: &str) -> &Value {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("no family {name} in {:?}", self.0.keys()))
    }

    /// The samples called `sample` of family `name` whose labels include `labels`.
    fn samples(&self, name: &str, sample: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.family(name)["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .filter(|s| s["name"] == sample)
            .filter(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
            .map(|s| s["value"].as_f64().expect("a number"))
            .collect()
    }

    fn value(&self, name: &str, sample: &str, labels: &[(&str, &str)]) -> f64 {
        let found = self.samples(name, sample, labels);
        assert_eq!(found.len(), 1, "{sample} {labels:?}: {found:?}");
        found[0]
    }

    /// Every value of label `label` among the samples of family `name`.
    fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        self.family(name)["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .filter_map(|s| s["labels"][label].as_str().map(str::to_string))
            .collect()
    }
}

/// Scrapes the app's metrics listener and parses the answer with the Prometheus client
/// library (in the Prometheus text format, or OpenMetrics when `openmetrics`).
async fn scrape(app: &TestApp, openmetrics: bool) -> Scrape {
    let address = app.metrics.as_deref().expect("metrics are on");
    let mut request = reqwest::Client::new().get(format!("{address}/metrics"));
    if openmetrics {
        request = request.header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        );
    }
    let res = request.send().await.expect("scrape");
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"]
        .to_str()
        .expect("type")
        .to_string();
    let wanted = if openmetrics {
        "application/openmetrics-text"
    } else {
        "text/plain; version=0.0.4"
    };
    assert!(content_type.starts_with(wanted), "{content_type}");
    let text = res.text().await.expect("body");
    tokio::task::spawn_blocking(move || parse(&text, openmetrics))
        .await
        .expect("parse")
}

fn parse(text: &str, openmetrics: bool) -> Scrape {
    let python = python_venv(
        "INSIGNIA_METRICS_PYTHON",
        "metrics-venv",
        "tests/metrics/requirements.txt",
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/metrics/parse.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .args(openmetrics.then_some("--openmetrics"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the parser");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("parse");
    assert!(
        out.status.success(),
        "the Prometheus parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    Scrape(
        families
            .into_iter()
            .map(|f| (f["name"].as_str().expect("name").to_string(), f))
            .collect(),
    )
}

#[tokio::test]
async fn metrics_are_served_apart_from_the_site_and_read_by_a_prometheus_parser() {
    let app = spawn_app_with(|s| {
        s.metrics_bind = Some("127.0.0.1:0".to_string());
        s.webhooks.allow_private = true;
        s.webhooks.retry_unit = Duration::from_secs(60);
    })
    .await;
    app.setup_admin().await;
    let badge = app.create_badge("Lamplighter").await;

    // The public listener has no /metrics, whatever is asked.
    for path in ["/metrics", "/metrics/", "/dashboard/metrics"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body = res.text().await.expect("body");
        assert!(!body.contains("insignia_http_requests"), "{path}: {body}");
    }

    // Pages served while the metrics are scraped, from several clients at once.
    let visitors: Vec<_> = (0..4)
        .map(|_| {
            let visitor = app.new_visitor();
            tokio::spawn(async move {
                for _ in 0..10 {
                    assert_eq!(visitor.get("/badges").await.status(), StatusCode::OK);
                    let res = visitor.get("/badges/lamplighter").await;
                    assert_eq!(res.status(), StatusCode::OK);
                }
            })
        })
        .collect();
    for _ in 0..3 {
        scrape(&app, false).await;
    }
    for visitor in visitors {
        visitor.await.expect("visitor");
    }
    assert_eq!(
        app.get("/badges/no-such-badge").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/nothing/here/at/all").await.status(),
        StatusCode::NOT_FOUND
    );

    let scraped = scrape(&app, false).await;
    let requests = "insignia_http_requests";
    let get = |route: &str, status: &str| {
        scraped.value(
            requests,
            "insignia_http_requests_total",
            &[("method", "GET"), ("route", route), ("status", status)],
        )
    };
    assert!(get("/badges", "200") >= 40.0);
    assert!(get("/badges/{slug}", "200") >= 40.0);
    assert!(get("/badges/{slug}", "404") >= 1.0);
    assert!(get("(no route)", "404") >= 4.0);
    // Routes are patterns: no slug, path or query of a visitor becomes a series.
    let routes = scraped.label_values(requests, "route");
    assert!(
        routes.iter().all(|r| !r.contains("lamplighter")
            && !r.contains("nothing")
            && !r.contains("metrics")),
        "{routes:?}"
    );

    let latency = "insignia_http_request_duration_seconds";
    let route = [("method", "GET"), ("route", "/badges/{slug}")];
    let count = scraped.value(latency, &format!("{latency}_count"), &route);
    assert!(count >= 41.0, "{count}");
    let buckets = scraped.samples(latency, &format!("{latency}_bucket"), &route);
    assert!(
        buckets.windows(2).all(|w| w[0] <= w[1]),
        "cumulative buckets: {buckets:?}"
    );
    let all = scraped.value(
        latency,
        &format!("{latency}_bucket"),
        &[
            ("method", "GET"),
            ("route", "/badges/{slug}"),
            ("le", "+Inf"),
        ],
    );
    assert_eq!(all, count, "the +Inf bucket holds every request");
    assert!(scraped.value(latency, &format!("{latency}_sum"), &route) > 0.0);

    // The database: connections of this server's pool, who waits, and the write lock.
    let max = scraped.value(
        "insignia_db_connections_max",
        "insignia_db_connections_max",
        &[],
    );
    let in_use = scraped.value(
        "insignia_db_connections_in_use",
        "insignia_db_connections_in_use",
        &[],
    );
    assert!(
        max >= 1.0 && (0.0..=max).contains(&in_use),
        "{in_use} of {max}"
    );
    for caller in ["request", "background"] {
        let waiting = scraped.value(
            "insignia_db_connection_waiters",
            "insignia_db_connection_waiters",
            &[("caller", caller)],
        );
        assert!(waiting >= 0.0, "{caller}: {waiting}");
    }
    for waits in [
        "insignia_db_connection_wait_seconds",
        "insignia_db_write_lock_wait_seconds",
    ] {
        assert_eq!(scraped.family(waits)["type"], "histogram");
        let count = scraped.value(waits, &format!("{waits}_count"), &[]);
        assert!(count >= 1.0, "{waits}: {count}");
    }

    // Webhooks: an endpoint nothing answers has its delivery waiting, failing, and aged.
    let created = app
        .submit(
            "/dashboard/webhooks",
            "/dashboard/webhooks",
            &[
                ("url", "http://127.0.0.1:1/hook"),
                ("format", "standard"),
                ("enabled", "on"),
                ("kinds", "badge.updated"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let created = crate::helpers::to_page(created).await;
    let endpoint = created
        .attr("form[action$='/test']", "action")
        .expect("the endpoint's test button")
        .trim_end_matches("/test")
        .rsplit('/')
        .next()
        .expect("id")
        .to_string();
    let mut fields = crate::helpers::BadgeFields::titled("Lamplighter");
    fields.description = "Keeps the lights on".to_string();
    let res = app
        .submit_badge(
            &format!("/dashboard/badges/{badge}/edit"),
            &format!("/dashboard/badges/{badge}/edit"),
            &fields,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let per_endpoint = [("endpoint", endpoint.as_str())];
    let mut scraped = scrape(&app, true).await;
    for _ in 0..100 {
        if scraped.samples(
            "insignia_webhook_deliveries_failing",
            "insignia_webhook_deliveries_failing",
            &per_endpoint,
        ) == [1.0]
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        scraped = scrape(&app, true).await;
    }
    let gauge = |name: &str| scraped.value(name, name, &per_endpoint);
    assert_eq!(gauge("insignia_webhook_deliveries_failing"), 1.0);
    assert_eq!(gauge("insignia_webhook_deliveries_waiting"), 1.0);
    assert_eq!(gauge("insignia_webhook_endpoint_failing"), 1.0);
    let age = "insignia_webhook_oldest_undelivered_event_age_seconds";
    assert!(scraped.value(age, age, &[]) > 0.0);
}

#[tokio::test]
async fn a_site_without_metrics_bind_serves_no_metrics_anywhere() {
    let app = crate::helpers::spawn_app().await;
    assert!(app.metrics.is_none());
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The command line: off unless asked, and said so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_insignia"))
        .args(["serve", "--help"])
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--metrics-bind") && help.contains("Off by default"),
        "{help}"
    );
}
