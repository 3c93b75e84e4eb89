ALTER TABLE webhook_endpoints DROP COLUMN events_after_txid;
ALTER TABLE events DROP COLUMN txid;
