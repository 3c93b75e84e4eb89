-- An endpoint that does not answer (its requests time out or cannot connect) is backed off as
-- a whole: none of its lanes is claimed before paused_until, then one lane tries it again.
-- pauses counts the back-offs since it last answered (the schedule of src/webhooks/worker.rs).
ALTER TABLE webhook_endpoints
    ADD COLUMN paused_until BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0;

-- Lanes are claimed per endpoint, each endpoint's due lanes oldest first.
DROP INDEX webhook_lanes_due;
CREATE INDEX webhook_lanes_endpoint_due ON webhook_lanes(endpoint_key, next_attempt_at);
