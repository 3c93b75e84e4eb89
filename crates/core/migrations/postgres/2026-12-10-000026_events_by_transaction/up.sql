-- Writers of different badges commit side by side (docs/architecture.md, "Writes"), so an
-- event's key no longer tells when it committed: a smaller key can commit after a larger one.
-- Each event now carries its transaction's id, and the webhook queue reads events in
-- (transaction, key) order, only from transactions that have all ended. Events written before
-- this migration keep 0: they are older than any transaction to come.
ALTER TABLE events ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX events_by_transaction ON events (txid, key);
-- Each endpoint's queue cursor is the pair (events_after_txid, events_after).
ALTER TABLE webhook_endpoints ADD COLUMN events_after_txid BIGINT NOT NULL DEFAULT 0;
