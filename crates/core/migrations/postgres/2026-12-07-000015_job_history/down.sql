ALTER TABLE jobs DROP COLUMN last_error_at;
ALTER TABLE jobs DROP COLUMN last_error;
ALTER TABLE jobs DROP COLUMN last_took_ms;
ALTER TABLE jobs DROP COLUMN last_run_at;
