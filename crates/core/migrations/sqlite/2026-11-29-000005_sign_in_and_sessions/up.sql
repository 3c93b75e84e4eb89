-- Sign-in failures are counted per account and per client (an address, or a signed-in
-- session for the password prompts inside the dashboard), so strangers' guesses cannot
-- lock the owner out. The rows are short-lived throttle state: nothing is lost by starting
-- the table afresh.
DROP TABLE login_failures;
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account, failed_at);
CREATE INDEX login_failures_client ON login_failures(account, client, failed_at);

-- Sessions end after a time without use (and admin sessions after a total lifetime too).
ALTER TABLE admin_sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
UPDATE admin_sessions SET last_seen_at = created_at;
ALTER TABLE member_sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
UPDATE member_sessions SET last_seen_at = created_at;
-- Sessions nobody comes back to are swept when new ones start.
CREATE INDEX admin_sessions_seen ON admin_sessions(last_seen_at);
CREATE INDEX admin_sessions_created ON admin_sessions(created_at);
CREATE INDEX member_sessions_seen ON member_sessions(last_seen_at);
