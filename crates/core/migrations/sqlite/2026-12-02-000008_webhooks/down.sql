DROP TABLE webhook_attempts;
DROP TABLE webhook_lanes;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE events;
