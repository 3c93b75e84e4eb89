DROP INDEX webhook_lanes_endpoint_due;
CREATE INDEX webhook_lanes_due ON webhook_lanes(next_attempt_at);
ALTER TABLE webhook_endpoints DROP COLUMN pauses;
ALTER TABLE webhook_endpoints DROP COLUMN paused_until;
