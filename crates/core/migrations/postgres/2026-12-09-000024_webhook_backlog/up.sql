-- What the metrics read of webhook delivery at every scrape, from any server: the deliveries of
-- each endpoint that failed and wait for a retry, and the oldest event still waiting. Both
-- hold only waiting deliveries, so they stay as small as the backlog.
CREATE INDEX webhook_deliveries_failing ON webhook_deliveries (endpoint_key) WHERE state = 0 AND attempts > 0;
CREATE INDEX webhook_deliveries_oldest_waiting ON webhook_deliveries (event_key) WHERE state = 0;
