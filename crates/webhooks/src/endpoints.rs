//! Webhook endpoints: where events are sent, in which format, and what happened to each
//! delivery. The dashboard manages them through here.

use diesel::prelude::*;

use insignia_core::Error;
use insignia_core::audit::{self, Actor, Change};
use insignia_core::clock::Timestamp;
use insignia_core::db::DbConnection;
use insignia_core::db::schema::{events, webhook_attempts, webhook_deliveries, webhook_endpoints};
use insignia_core::events::Kind;

/// How long a rotated-out secret still signs, beside the new one.
pub const OLD_SECRET_MILLIS: i64 = 24 * 60 * 60 * 1000;
pub use crate::address::URL_MAX;

/// The body and signature an endpoint receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An RS256 JWT as Wix apps receive, for `client.webhooks.process()` of `@wix/sdk`.
    Wix,
    /// The open Standard Webhooks format: JSON, HMAC-SHA256 signature headers.
    Standard,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Wix => "wix",
            Format::Standard => "standard",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        [Format::Wix, Format::Standard]
            .into_iter()
            .find(|f| f.name() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Wix => "Wix (signed JWT, for @wix/sdk)",
            Format::Standard => "Standard Webhooks (JSON, HMAC signature)",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub key: i64,
    pub id: String,
    pub url: String,
    pub format: String,
    pub kinds: String,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    /// The last event queued for it, with `events_after_txid` (`insignia_core::events::Position`).
    pub events_after: i64,
    pub failing_since: Option<i64>,
    pub disabled_reason: String,
    pub created_at: Timestamp,
    /// Backed off (it did not answer) until then, Unix ms; 0 when not.
    pub paused_until: i64,
    /// Back-offs since it last answered; above 0, it is tried one lane at a time.
    pub pauses: i32,
    pub events_after_txid: i64,
}

impl Endpoint {
    pub fn format(&self) -> Format {
        Format::parse(&self.format).unwrap_or(Format::Standard)
    }

    pub fn kinds(&self) -> Vec<Kind> {
        self.kinds.split(' ').filter_map(Kind::parse).collect()
    }

    /// The secrets that sign a delivery now: the current one, and a rotated-out one for a day.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && now < until
        {
            secrets.push(old);
        }
        secrets
    }
}

/// An endpoint as the form gives it, checked.
#[derive(Debug, Clone)]
pub struct EndpointInput {
    pub url: String,
    pub format: Format,
    pub kinds: Vec<Kind>,
    pub enabled: bool,
}

/// A field's problem, for the message beside it.
pub type FieldErrors = Vec<(&'static str, String)>;

/// Checks what the form sent: an http(s) address (internal ones only when allowed), a
/// format, at least one event kind.
pub fn check_input(
    url: &str,
    format: &str,
    kinds: &[String],
    enabled: bool,
    allow_private: bool,
) -> Result<EndpointInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let url = url.trim();
    if let Err(message) = crate::address::check_url(url, allow_private) {
        errors.push(("url", message));
    }
    let format = Format::parse(format);
    if format.is_none() {
        errors.push(("format", "Choose a format.".to_string()));
    }
    let mut chosen = Vec::new();
    for name in kinds {
        match Kind::parse(name).filter(|k| Kind::SUBSCRIBABLE.contains(k)) {
            Some(kind) if !chosen.contains(&kind) => chosen.push(kind),
            Some(_) => {}
            None => {
                errors.push(("kinds", format!("“{name}” is not an event Insignia sends.")));
                break;
            }
        }
    }
    if chosen.is_empty() && errors.iter().all(|(f, _)| *f != "kinds") {
        errors.push(("kinds", "Choose at least one event.".to_string()));
    }
    match format {
        Some(format) if errors.is_empty() => Ok(EndpointInput {
            url: url.to_string(),
            format,
            kinds: Kind::SUBSCRIBABLE
                .into_iter()
                .filter(|k| chosen.contains(k))
                .collect(),
            enabled,
        }),
        _ => Err(errors),
    }
}

fn kinds_text(kinds: &[Kind]) -> String {
    kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(" ")
}

/// A new `whsec_…` secret: 24 random bytes, base64, as Standard Webhooks writes them.
fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Endpoint>, Error> {
    Ok(webhook_endpoints::table
        .order(webhook_endpoints::key)
        .select(Endpoint::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Endpoint, Error> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(id))
        .select(Endpoint::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

fn audit_endpoint(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    endpoint: &Endpoint,
    details: String,
) -> Result<(), Error> {
    audit::record(
        conn,
        actor,
        Change {
            action,
            target: &endpoint.url,
            details,
            ..Default::default()
        },
    )?;
    Ok(())
}

fn summary(input: &EndpointInput) -> String {
    format!(
        "{} format, events: {}, {}",
        input.format.name(),
        kinds_text(&input.kinds),
        if input.enabled { "enabled" } else { "disabled" }
    )
}

/// Adds an endpoint. It receives the events from now on. Returns it with its secret.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &EndpointInput,
) -> Result<Endpoint, Error> {
    insignia_core::db::write(conn, |conn| {
        let id = uuid::Uuid::new_v4().to_string();
        let now = insignia_core::events::newest(conn)?;
        diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::id.eq(&id),
                webhook_endpoints::url.eq(&input.url),
                webhook_endpoints::format.eq(input.format.name()),
                webhook_endpoints::kinds.eq(kinds_text(&input.kinds)),
                webhook_endpoints::enabled.eq(input.enabled),
                webhook_endpoints::secret.eq(new_secret()),
                webhook_endpoints::events_after_txid.eq(now.txid),
                webhook_endpoints::events_after.eq(now.key),
                webhook_endpoints::created_at.eq(insignia_core::clock::Timestamp::now()),
            ))
            .execute(conn)?;
        let endpoint = find(conn, &id)?;
        audit_endpoint(conn, actor, "webhook.create", &endpoint, summary(input))?;
        Ok(endpoint)
    })
}

/// Changes an endpoint. Turning it back on clears why it was turned off; it receives the
/// events from then on (not those it missed while off).
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    input: &EndpointInput,
) -> Result<Endpoint, Error> {
    insignia_core::db::write(conn, |conn| {
        let old = find(conn, id)?;
        let resumed = input.enabled && !old.enabled;
        let events_after = if resumed {
            insignia_core::events::newest(conn)?
        } else {
            insignia_core::events::Position {
                txid: old.events_after_txid,
                key: old.events_after,
            }
        };
        diesel::update(webhook_endpoints::table.filter(webhook_endpoints::key.eq(old.key)))
            .set((
                webhook_endpoints::url.eq(&input.url),
                webhook_endpoints::format.eq(input.format.name()),
                webhook_endpoints::kinds.eq(kinds_text(&input.kinds)),
                webhook_endpoints::enabled.eq(input.enabled),
                webhook_endpoints::events_after_txid.eq(events_after.txid),
                webhook_endpoints::events_after.eq(events_after.key),
            ))
            .execute(conn)?;
        if resumed {
            diesel::update(webhook_endpoints::table.filter(webhook_endpoints::key.eq(old.key)))
                .set((
                    webhook_endpoints::disabled_reason.eq(""),
                    webhook_endpoints::failing_since.eq(None::<i64>),
                ))
                .execute(conn)?;
        }
        if resumed || input.url != old.url {
            // A new address, or turned back on: no reason left to hold its deliveries back.
            diesel::update(webhook_endpoints::table.filter(webhook_endpoints::key.eq(old.key)))
                .set((
                    webhook_endpoints::paused_until.eq(0),
                    webhook_endpoints::pauses.eq(0),
                ))
                .execute(conn)?;
        }
        let endpoint = find(conn, id)?;
        audit_endpoint(conn, actor, "webhook.update", &endpoint, summary(input))?;
        Ok(endpoint)
    })
}

pub fn delete(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<Endpoint, Error> {
    insignia_core::db::write(conn, |conn| {
        let old = find(conn, id)?;
        diesel::delete(webhook_endpoints::table.filter(webhook_endpoints::key.eq(old.key)))
            .execute(conn)?;
        audit_endpoint(conn, actor, "webhook.delete", &old, String::new())?;
        Ok(old)
    })
}

/// A new secret; the old one keeps signing beside it for a day, so receivers can switch over.
/// Returns the endpoint with the new secret.
pub fn rotate_secret(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<Endpoint, Error> {
    insignia_core::db::write(conn, |conn| {
        let old = find(conn, id)?;
        diesel::update(webhook_endpoints::table.filter(webhook_endpoints::key.eq(old.key)))
            .set((
                webhook_endpoints::secret.eq(new_secret()),
                webhook_endpoints::previous_secret.eq(Some(&old.secret)),
                webhook_endpoints::previous_secret_until
                    .eq(Some(insignia_core::clock::now_millis() + OLD_SECRET_MILLIS)),
            ))
            .execute(conn)?;
        audit_endpoint(
            conn,
            actor,
            "webhook.rotate",
            &old,
            "new signing secret; the old one signs too for 24 hours".to_string(),
        )?;
        find(conn, id)
    })
}

/// Queues a test event for this endpoint alone.
pub fn send_test(conn: &mut DbConnection, actor: &Actor, id: &str) -> Result<(), Error> {
    insignia_core::db::write(conn, |conn| {
        let endpoint = find(conn, id)?;
        insignia_core::events::test_for(conn, actor, endpoint.key)?;
        crate::lanes::try_now(conn, endpoint.key)?;
        audit_endpoint(conn, actor, "webhook.test", &endpoint, String::new())
    })
}

/// Queues one event again for an endpoint (after it was delivered or given up on).
pub fn redeliver(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    delivery: i64,
) -> Result<(), Error> {
    insignia_core::db::write(conn, |conn| {
        let endpoint = find(conn, id)?;
        let lane: String = webhook_deliveries::table
            .filter(webhook_deliveries::key.eq(delivery))
            .filter(webhook_deliveries::endpoint_key.eq(endpoint.key))
            .select(webhook_deliveries::lane)
            .first(conn)
            .optional()?
            .ok_or(Error::NotFound)?;
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::key.eq(delivery)))
            .set((
                webhook_deliveries::state.eq(crate::lanes::WAITING),
                webhook_deliveries::attempts.eq(0),
            ))
            .execute(conn)?;
        crate::lanes::open_lane(
            conn,
            endpoint.key,
            &lane,
            insignia_core::clock::now_millis(),
        )?;
        crate::lanes::try_now(conn, endpoint.key)?;
        audit_endpoint(
            conn,
            actor,
            "webhook.redeliver",
            &endpoint,
            format!("delivery {delivery}"),
        )
    })
}

/// One row of the delivery log: an attempt and the event it carried.
#[derive(Debug, Clone)]
pub struct LoggedAttempt {
    pub key: i64,
    pub delivery: i64,
    pub at: i64,
    pub status: Option<i32>,
    pub latency_ms: i32,
    pub response: String,
    pub kind: String,
    pub badge_id: String,
    pub member_id: Option<String>,
    pub event_key: i64,
    pub delivered: bool,
}

/// The newest attempts for an endpoint, `limit` of them, older than `before` (a key) if given:
/// keyset paging, newest first.
pub fn attempts(
    conn: &mut DbConnection,
    endpoint: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LoggedAttempt>, Error> {
    let mut query = webhook_attempts::table
        .inner_join(webhook_deliveries::table.inner_join(events::table))
        .filter(webhook_attempts::endpoint_key.eq(endpoint))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_attempts::key.lt(before));
    }
    type Row = (
        i64,
        i64,
        i64,
        Option<i32>,
        i32,
        String,
        String,
        String,
        Option<String>,
        i64,
        i32,
    );
    let rows: Vec<Row> = query
        .order(webhook_attempts::key.desc())
        .limit(limit)
        .select((
            webhook_attempts::key,
            webhook_attempts::delivery_key,
            webhook_attempts::at,
            webhook_attempts::status,
            webhook_attempts::latency_ms,
            webhook_attempts::response,
            events::kind,
            events::badge_id,
            events::member_id,
            events::key,
            webhook_deliveries::state,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| LoggedAttempt {
            key: r.0,
            delivery: r.1,
            at: r.2,
            status: r.3,
            latency_ms: r.4,
            response: r.5,
            kind: r.6,
            badge_id: r.7,
            member_id: r.8,
            event_key: r.9,
            delivered: r.10 == crate::lanes::DELIVERED,
        })
        .collect())
}

/// How many deliveries wait for each endpoint (or only the given one) that has any, in one
/// grouped query.
pub fn waiting(
    conn: &mut DbConnection,
    only: Option<i64>,
) -> Result<std::collections::HashMap<i64, i64>, Error> {
    let (low, high) = only.map_or((i64::MIN, i64::MAX), |endpoint| (endpoint, endpoint));
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::state.eq(crate::lanes::WAITING))
        .filter(webhook_deliveries::endpoint_key.between(low, high))
        .group_by(webhook_deliveries::endpoint_key)
        .select((webhook_deliveries::endpoint_key, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// What waits to be delivered, for the metrics: per endpoint, the deliveries waiting and those
/// of them that failed and wait for a retry, and when the oldest waiting event happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub endpoints: Vec<EndpointBacklog>,
    /// When the oldest event with a delivery still waiting happened; `None` when none waits.
    pub oldest_waiting: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointBacklog {
    /// The endpoint's public id.
    pub id: String,
    pub waiting: i64,
    pub failing: i64,
    /// Whether no delivery to it has succeeded since one failed.
    pub failing_now: bool,
}

/// Reads the [`Backlog`] from the partial indexes of waiting deliveries: as cheap as the
/// backlog is small, whatever the number of deliveries kept.
pub fn backlog(conn: &mut DbConnection) -> Result<Backlog, Error> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        waiting: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        failing: i64,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        failing_now: bool,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT webhook_endpoints.id, \
           (SELECT count(*) FROM webhook_deliveries d \
             WHERE d.endpoint_key = webhook_endpoints.key AND d.state = 0) AS waiting, \
           (SELECT count(*) FROM webhook_deliveries d \
             WHERE d.endpoint_key = webhook_endpoints.key AND d.state = 0 \
               AND d.attempts > 0) AS failing, \
           webhook_endpoints.failing_since IS NOT NULL AS failing_now \
         FROM webhook_endpoints ORDER BY webhook_endpoints.key",
    )
    .load(conn)?;
    #[derive(QueryableByName)]
    struct Oldest {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        occurred_at: i64,
    }
    let oldest_waiting = diesel::sql_query(
        "SELECT occurred_at FROM events WHERE key = \
           (SELECT min(event_key) FROM webhook_deliveries WHERE state = 0)",
    )
    .get_result::<Oldest>(conn)
    .optional()?
    .map(|o| Timestamp::from_millis(o.occurred_at));
    Ok(Backlog {
        endpoints: rows
            .into_iter()
            .map(|r| EndpointBacklog {
                id: r.id,
                waiting: r.waiting,
                failing: r.failing,
                failing_now: r.failing_now,
            })
            .collect(),
        oldest_waiting,
    })
}
