-- Back to RFC 3339 text (UTC, milliseconds).

DROP INDEX admin_sessions_seen;
DROP INDEX admin_sessions_created;
DROP INDEX login_failures_account;
DROP INDEX login_failures_client;
DROP INDEX member_sessions_seen;
DROP INDEX reports_created;

ALTER TABLE admin_password_links ADD COLUMN expires_at_new TEXT NOT NULL DEFAULT '';
UPDATE admin_password_links SET expires_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', expires_at / 1000.0, 'unixepoch');
ALTER TABLE admin_password_links DROP COLUMN expires_at;
ALTER TABLE admin_password_links RENAME COLUMN expires_at_new TO expires_at;

ALTER TABLE admin_sessions ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE admin_sessions SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE admin_sessions DROP COLUMN created_at;
ALTER TABLE admin_sessions RENAME COLUMN created_at_new TO created_at;
ALTER TABLE admin_sessions ADD COLUMN elevated_until_new TEXT;
UPDATE admin_sessions SET elevated_until_new = strftime('%Y-%m-%dT%H:%M:%fZ', elevated_until / 1000.0, 'unixepoch');
ALTER TABLE admin_sessions DROP COLUMN elevated_until;
ALTER TABLE admin_sessions RENAME COLUMN elevated_until_new TO elevated_until;
ALTER TABLE admin_sessions ADD COLUMN last_seen_at_new TEXT NOT NULL DEFAULT '';
UPDATE admin_sessions SET last_seen_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', last_seen_at / 1000.0, 'unixepoch');
ALTER TABLE admin_sessions DROP COLUMN last_seen_at;
ALTER TABLE admin_sessions RENAME COLUMN last_seen_at_new TO last_seen_at;

ALTER TABLE admins ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE admins SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE admins DROP COLUMN created_at;
ALTER TABLE admins RENAME COLUMN created_at_new TO created_at;
ALTER TABLE admins ADD COLUMN last_sign_in_at_new TEXT;
UPDATE admins SET last_sign_in_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', last_sign_in_at / 1000.0, 'unixepoch');
ALTER TABLE admins DROP COLUMN last_sign_in_at;
ALTER TABLE admins RENAME COLUMN last_sign_in_at_new TO last_sign_in_at;

ALTER TABLE api_keys ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE api_keys SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE api_keys DROP COLUMN created_at;
ALTER TABLE api_keys RENAME COLUMN created_at_new TO created_at;
ALTER TABLE api_keys ADD COLUMN last_used_at_new TEXT;
UPDATE api_keys SET last_used_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', last_used_at / 1000.0, 'unixepoch');
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys RENAME COLUMN last_used_at_new TO last_used_at;
ALTER TABLE api_keys ADD COLUMN revoked_at_new TEXT;
UPDATE api_keys SET revoked_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', revoked_at / 1000.0, 'unixepoch');
ALTER TABLE api_keys DROP COLUMN revoked_at;
ALTER TABLE api_keys RENAME COLUMN revoked_at_new TO revoked_at;

ALTER TABLE audit_log ADD COLUMN at_new TEXT NOT NULL DEFAULT '';
UPDATE audit_log SET at_new = strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch');
ALTER TABLE audit_log DROP COLUMN at;
ALTER TABLE audit_log RENAME COLUMN at_new TO at;

ALTER TABLE badges ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE badges SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE badges DROP COLUMN created_at;
ALTER TABLE badges RENAME COLUMN created_at_new TO created_at;
ALTER TABLE badges ADD COLUMN updated_at_new TEXT NOT NULL DEFAULT '';
UPDATE badges SET updated_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch');
ALTER TABLE badges DROP COLUMN updated_at;
ALTER TABLE badges RENAME COLUMN updated_at_new TO updated_at;

ALTER TABLE icon_uploads ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE icon_uploads SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE icon_uploads DROP COLUMN created_at;
ALTER TABLE icon_uploads RENAME COLUMN created_at_new TO created_at;

ALTER TABLE login_failures ADD COLUMN failed_at_new TEXT NOT NULL DEFAULT '';
UPDATE login_failures SET failed_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', failed_at / 1000.0, 'unixepoch');
ALTER TABLE login_failures DROP COLUMN failed_at;
ALTER TABLE login_failures RENAME COLUMN failed_at_new TO failed_at;

ALTER TABLE member_sessions ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE member_sessions SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE member_sessions DROP COLUMN created_at;
ALTER TABLE member_sessions RENAME COLUMN created_at_new TO created_at;
ALTER TABLE member_sessions ADD COLUMN last_seen_at_new TEXT NOT NULL DEFAULT '';
UPDATE member_sessions SET last_seen_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', last_seen_at / 1000.0, 'unixepoch');
ALTER TABLE member_sessions DROP COLUMN last_seen_at;
ALTER TABLE member_sessions RENAME COLUMN last_seen_at_new TO last_seen_at;

ALTER TABLE members ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE members SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE members DROP COLUMN created_at;
ALTER TABLE members RENAME COLUMN created_at_new TO created_at;

ALTER TABLE pages ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE pages SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE pages DROP COLUMN created_at;
ALTER TABLE pages RENAME COLUMN created_at_new TO created_at;
ALTER TABLE pages ADD COLUMN updated_at_new TEXT NOT NULL DEFAULT '';
UPDATE pages SET updated_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000.0, 'unixepoch');
ALTER TABLE pages DROP COLUMN updated_at;
ALTER TABLE pages RENAME COLUMN updated_at_new TO updated_at;

ALTER TABLE password_links ADD COLUMN expires_at_new TEXT NOT NULL DEFAULT '';
UPDATE password_links SET expires_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', expires_at / 1000.0, 'unixepoch');
ALTER TABLE password_links DROP COLUMN expires_at;
ALTER TABLE password_links RENAME COLUMN expires_at_new TO expires_at;

ALTER TABLE reports ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE reports SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE reports DROP COLUMN created_at;
ALTER TABLE reports RENAME COLUMN created_at_new TO created_at;

ALTER TABLE webhook_endpoints ADD COLUMN created_at_new TEXT NOT NULL DEFAULT '';
UPDATE webhook_endpoints SET created_at_new = strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch');
ALTER TABLE webhook_endpoints DROP COLUMN created_at;
ALTER TABLE webhook_endpoints RENAME COLUMN created_at_new TO created_at;

CREATE INDEX admin_sessions_seen ON admin_sessions(last_seen_at);
CREATE INDEX admin_sessions_created ON admin_sessions(created_at);
CREATE INDEX login_failures_account ON login_failures(account, failed_at);
CREATE INDEX login_failures_client ON login_failures(account, client, failed_at);
CREATE INDEX member_sessions_seen ON member_sessions(last_seen_at);
CREATE INDEX reports_created ON reports(created_at);
