-- Times are stored one way: Unix milliseconds (UTC) in a 64-bit integer, as assignment and
-- event times already were. Every column that held RFC 3339 text gets the same instant as a
-- number, so comparisons and ordering are numeric and pages show the text form made from it.
--
-- Each column is added anew, filled, and put in the old one's place (SQLite cannot change a
-- column's type in place; PostgreSQL does the same so both keep one column order). The
-- indexes on these columns are dropped first and made again at the end. The `DEFAULT 0` only
-- serves this migration's ADD COLUMN (SQLite needs one for NOT NULL); every insert names the
-- time. Text that is no time (none was ever written, but a column once defaulted to '')
-- becomes 0 where a time is required and NULL where it is optional.

DROP INDEX admin_sessions_seen;
DROP INDEX admin_sessions_created;
DROP INDEX login_failures_account;
DROP INDEX login_failures_client;
DROP INDEX member_sessions_seen;
DROP INDEX reports_created;

ALTER TABLE admin_password_links ADD COLUMN expires_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE admin_password_links SET expires_at_new = coalesce(CAST(ROUND((julianday(expires_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE admin_password_links DROP COLUMN expires_at;
ALTER TABLE admin_password_links RENAME COLUMN expires_at_new TO expires_at;

ALTER TABLE admin_sessions ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE admin_sessions SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE admin_sessions DROP COLUMN created_at;
ALTER TABLE admin_sessions RENAME COLUMN created_at_new TO created_at;
ALTER TABLE admin_sessions ADD COLUMN elevated_until_new BIGINT;
UPDATE admin_sessions SET elevated_until_new = CAST(ROUND((julianday(elevated_until) - 2440587.5) * 86400000.0) AS INTEGER);
ALTER TABLE admin_sessions DROP COLUMN elevated_until;
ALTER TABLE admin_sessions RENAME COLUMN elevated_until_new TO elevated_until;
ALTER TABLE admin_sessions ADD COLUMN last_seen_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE admin_sessions SET last_seen_at_new = coalesce(CAST(ROUND((julianday(last_seen_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE admin_sessions DROP COLUMN last_seen_at;
ALTER TABLE admin_sessions RENAME COLUMN last_seen_at_new TO last_seen_at;

ALTER TABLE admins ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE admins SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE admins DROP COLUMN created_at;
ALTER TABLE admins RENAME COLUMN created_at_new TO created_at;
ALTER TABLE admins ADD COLUMN last_sign_in_at_new BIGINT;
UPDATE admins SET last_sign_in_at_new = CAST(ROUND((julianday(last_sign_in_at) - 2440587.5) * 86400000.0) AS INTEGER);
ALTER TABLE admins DROP COLUMN last_sign_in_at;
ALTER TABLE admins RENAME COLUMN last_sign_in_at_new TO last_sign_in_at;

ALTER TABLE api_keys ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE api_keys SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE api_keys DROP COLUMN created_at;
ALTER TABLE api_keys RENAME COLUMN created_at_new TO created_at;
ALTER TABLE api_keys ADD COLUMN last_used_at_new BIGINT;
UPDATE api_keys SET last_used_at_new = CAST(ROUND((julianday(last_used_at) - 2440587.5) * 86400000.0) AS INTEGER);
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys RENAME COLUMN last_used_at_new TO last_used_at;
ALTER TABLE api_keys ADD COLUMN revoked_at_new BIGINT;
UPDATE api_keys SET revoked_at_new = CAST(ROUND((julianday(revoked_at) - 2440587.5) * 86400000.0) AS INTEGER);
ALTER TABLE api_keys DROP COLUMN revoked_at;
ALTER TABLE api_keys RENAME COLUMN revoked_at_new TO revoked_at;

ALTER TABLE audit_log ADD COLUMN at_new BIGINT NOT NULL DEFAULT 0;
UPDATE audit_log SET at_new = coalesce(CAST(ROUND((julianday(at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE audit_log DROP COLUMN at;
ALTER TABLE audit_log RENAME COLUMN at_new TO at;

ALTER TABLE badges ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE badges SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE badges DROP COLUMN created_at;
ALTER TABLE badges RENAME COLUMN created_at_new TO created_at;
ALTER TABLE badges ADD COLUMN updated_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE badges SET updated_at_new = coalesce(CAST(ROUND((julianday(updated_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE badges DROP COLUMN updated_at;
ALTER TABLE badges RENAME COLUMN updated_at_new TO updated_at;

ALTER TABLE icon_uploads ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE icon_uploads SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE icon_uploads DROP COLUMN created_at;
ALTER TABLE icon_uploads RENAME COLUMN created_at_new TO created_at;

ALTER TABLE login_failures ADD COLUMN failed_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE login_failures SET failed_at_new = coalesce(CAST(ROUND((julianday(failed_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE login_failures DROP COLUMN failed_at;
ALTER TABLE login_failures RENAME COLUMN failed_at_new TO failed_at;

ALTER TABLE member_sessions ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE member_sessions SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE member_sessions DROP COLUMN created_at;
ALTER TABLE member_sessions RENAME COLUMN created_at_new TO created_at;
ALTER TABLE member_sessions ADD COLUMN last_seen_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE member_sessions SET last_seen_at_new = coalesce(CAST(ROUND((julianday(last_seen_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE member_sessions DROP COLUMN last_seen_at;
ALTER TABLE member_sessions RENAME COLUMN last_seen_at_new TO last_seen_at;

ALTER TABLE members ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE members SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE members DROP COLUMN created_at;
ALTER TABLE members RENAME COLUMN created_at_new TO created_at;

ALTER TABLE pages ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE pages SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE pages DROP COLUMN created_at;
ALTER TABLE pages RENAME COLUMN created_at_new TO created_at;
ALTER TABLE pages ADD COLUMN updated_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE pages SET updated_at_new = coalesce(CAST(ROUND((julianday(updated_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE pages DROP COLUMN updated_at;
ALTER TABLE pages RENAME COLUMN updated_at_new TO updated_at;

ALTER TABLE password_links ADD COLUMN expires_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE password_links SET expires_at_new = coalesce(CAST(ROUND((julianday(expires_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE password_links DROP COLUMN expires_at;
ALTER TABLE password_links RENAME COLUMN expires_at_new TO expires_at;

ALTER TABLE reports ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE reports SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE reports DROP COLUMN created_at;
ALTER TABLE reports RENAME COLUMN created_at_new TO created_at;

ALTER TABLE webhook_endpoints ADD COLUMN created_at_new BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_endpoints SET created_at_new = coalesce(CAST(ROUND((julianday(created_at) - 2440587.5) * 86400000.0) AS INTEGER), 0);
ALTER TABLE webhook_endpoints DROP COLUMN created_at;
ALTER TABLE webhook_endpoints RENAME COLUMN created_at_new TO created_at;

CREATE INDEX admin_sessions_seen ON admin_sessions(last_seen_at);
CREATE INDEX admin_sessions_created ON admin_sessions(created_at);
CREATE INDEX login_failures_account ON login_failures(account, failed_at);
CREATE INDEX login_failures_client ON login_failures(account, client, failed_at);
CREATE INDEX member_sessions_seen ON member_sessions(last_seen_at);
CREATE INDEX reports_created ON reports(created_at);
