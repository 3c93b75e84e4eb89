-- What the dashboard's "Background work" page shows of each job (crates/core/src/jobs.rs):
-- when it last ran and how long that took, and its last failure with when it happened. Jobs that every server runs
-- get a row too, written at most once a minute per server (and at each failure).
ALTER TABLE jobs ADD COLUMN last_run_at BIGINT; -- Unix milliseconds
ALTER TABLE jobs ADD COLUMN last_took_ms BIGINT;
ALTER TABLE jobs ADD COLUMN last_error TEXT;
ALTER TABLE jobs ADD COLUMN last_error_at BIGINT; -- Unix milliseconds
