DROP INDEX member_sessions_seen;
DROP INDEX admin_sessions_created;
DROP INDEX admin_sessions_seen;
ALTER TABLE member_sessions DROP COLUMN last_seen_at;
ALTER TABLE admin_sessions DROP COLUMN last_seen_at;
DROP TABLE login_failures;
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account, failed_at);
