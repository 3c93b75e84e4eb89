-- The columns PostgreSQL orders its webhook queue by (its migration 000026). SQLite has one
-- writer, so event keys grow in commit order and the queue reads them by key: they stay 0.
ALTER TABLE events ADD COLUMN txid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN events_after_txid INTEGER NOT NULL DEFAULT 0;
