-- Events for integrations (an outbox): written in the transaction of the change they describe,
-- delivered to webhook endpoints afterwards by a worker in every server.

-- One row per event. The key orders events (writers take turns, so keys grow in commit
-- order) and is each event's `entityEventSequence`: per badge it only grows. AUTOINCREMENT:
-- a key is never used twice, even after old events are pruned.
CREATE TABLE events (
    key INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL, -- 'badge.created', 'badge.updated', 'badge.deleted', 'badge.assigned', 'badge.unassigned', 'webhook.test'
    badge_id TEXT NOT NULL, -- public id (the event outlives the badge); '' for a test event
    member_id TEXT, -- public id, for assigned/unassigned
    entity TEXT, -- the badge as the API shows it (JSON), for created/updated
    actor TEXT NOT NULL, -- who made the change, as the audit log names them
    occurred_at INTEGER NOT NULL, -- Unix milliseconds
    endpoint_key INTEGER -- a test event is for this endpoint only
);

CREATE TABLE webhook_endpoints (
    key INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE, -- public id (in addresses)
    url TEXT NOT NULL,
    format TEXT NOT NULL, -- 'wix' or 'standard'
    kinds TEXT NOT NULL, -- the event kinds it wants, space-separated
    enabled BOOLEAN NOT NULL,
    secret TEXT NOT NULL, -- 'whsec_…': signs Standard Webhooks deliveries
    previous_secret TEXT, -- still signs, beside the new one, until previous_secret_until
    previous_secret_until INTEGER,
    events_after INTEGER NOT NULL, -- the last event key already queued for it
    failing_since INTEGER, -- first failed attempt since the last success (Unix ms)
    disabled_reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

-- An event queued for one endpoint. `lane` (the badge id) groups what must arrive in order.
CREATE TABLE webhook_deliveries (
    key INTEGER PRIMARY KEY NOT NULL,
    endpoint_key INTEGER NOT NULL REFERENCES webhook_endpoints(key) ON DELETE CASCADE,
    event_key INTEGER NOT NULL REFERENCES events(key) ON DELETE CASCADE,
    lane TEXT NOT NULL,
    state INTEGER NOT NULL, -- 0 waiting, 1 delivered, 2 given up
    attempts INTEGER NOT NULL DEFAULT 0, -- failed attempts since it was (re)queued
    UNIQUE (endpoint_key, event_key)
);
CREATE INDEX webhook_deliveries_waiting ON webhook_deliveries(endpoint_key, lane, event_key) WHERE state = 0;
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_key);

-- Per endpoint and badge with deliveries waiting: when the first may be tried, and which
-- server holds it until when. Claiming a lane is how servers share the work.
CREATE TABLE webhook_lanes (
    endpoint_key INTEGER NOT NULL REFERENCES webhook_endpoints(key) ON DELETE CASCADE,
    lane TEXT NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (endpoint_key, lane)
);
CREATE INDEX webhook_lanes_due ON webhook_lanes(next_attempt_at);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    key INTEGER PRIMARY KEY NOT NULL,
    delivery_key INTEGER NOT NULL REFERENCES webhook_deliveries(key) ON DELETE CASCADE,
    endpoint_key INTEGER NOT NULL REFERENCES webhook_endpoints(key) ON DELETE CASCADE,
    at INTEGER NOT NULL, -- Unix milliseconds
    status INTEGER, -- HTTP status; none when no answer came
    latency_ms INTEGER NOT NULL,
    response TEXT NOT NULL -- the first 1 KB of the answer, or why there was none
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts(endpoint_key, key);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_key);

