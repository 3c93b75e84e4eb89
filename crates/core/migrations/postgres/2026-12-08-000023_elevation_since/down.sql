ALTER TABLE admin_sessions DROP COLUMN elevated_at;
