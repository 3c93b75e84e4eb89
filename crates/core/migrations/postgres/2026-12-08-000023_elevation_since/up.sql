-- Sudo-mode elevation: each restricted action extends an elevated session by the elevation's
-- minutes, up to a cap counted from when the password was last confirmed (this column; Unix
-- milliseconds). Sessions elevated before this migration count from when they began.
ALTER TABLE admin_sessions ADD COLUMN elevated_at BIGINT;
UPDATE admin_sessions SET elevated_at = created_at WHERE elevated_until IS NOT NULL;
