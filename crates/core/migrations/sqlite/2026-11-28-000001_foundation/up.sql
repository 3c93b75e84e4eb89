-- Key/value settings kept by the server itself (the session-signing key).
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE admins (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE, -- stored lowercased
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Server-side record of every admin session: deleting the row ends the session,
-- whatever copies of the cookie exist.
CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    admin_id TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    elevated_until TEXT,
    -- A form that was posted while not elevated, kept so the elevation prompt can return to it.
    draft_path TEXT,
    draft_form TEXT
);
CREATE INDEX admin_sessions_admin ON admin_sessions(admin_id);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account, failed_at);

CREATE TABLE icon_uploads (
    id TEXT PRIMARY KEY NOT NULL,
    svg TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE badges (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL UNIQUE, -- lowercased title: uniqueness ignores case
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    background_color TEXT NOT NULL,
    text_color TEXT NOT NULL,
    icon TEXT NOT NULL DEFAULT '',
    permissions_enabled BOOLEAN NOT NULL DEFAULT 0,
    self_assignable BOOLEAN NOT NULL DEFAULT 0,
    position INTEGER NOT NULL,
    member_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX badges_position ON badges(position);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    badge_id TEXT,
    target TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_badge ON audit_log(badge_id, id);
