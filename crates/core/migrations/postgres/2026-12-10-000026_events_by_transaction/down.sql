ALTER TABLE webhook_endpoints DROP COLUMN events_after_txid;
DROP INDEX events_by_transaction;
ALTER TABLE events DROP COLUMN txid;
