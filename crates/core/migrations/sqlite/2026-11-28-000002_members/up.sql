CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL, -- lowercased name: prefix search and directory order
    email TEXT NOT NULL UNIQUE, -- stored lowercased
    slug TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    badge_count INTEGER NOT NULL DEFAULT 0, -- kept exact with every assignment change
    created_at TEXT NOT NULL
);
CREATE INDEX members_name_key ON members(name_key, id);

-- Substring search by name or e-mail without scanning the table: a trigram index.
CREATE VIRTUAL TABLE members_search USING fts5(
    name, email, content='members', content_rowid='rowid', tokenize='trigram'
);
CREATE TRIGGER members_search_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_search(rowid, name, email) VALUES (new.rowid, new.name, new.email);
END;
CREATE TRIGGER members_search_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_search(members_search, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email);
END;
CREATE TRIGGER members_search_update AFTER UPDATE OF name, email ON members BEGIN
    INSERT INTO members_search(members_search, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email);
    INSERT INTO members_search(rowid, name, email) VALUES (new.rowid, new.name, new.email);
END;

CREATE TABLE member_badges (
    badge_id TEXT NOT NULL REFERENCES badges(id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    PRIMARY KEY (badge_id, member_id)
) WITHOUT ROWID;
CREATE INDEX member_badges_member ON member_badges(member_id, badge_id);
CREATE INDEX member_badges_badge_time ON member_badges(badge_id, assigned_at);

-- One-time set-password links; only the token's hash is kept.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
CREATE INDEX password_links_member ON password_links(member_id);

CREATE TABLE member_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX member_sessions_member ON member_sessions(member_id);

ALTER TABLE audit_log ADD COLUMN member_id TEXT;
CREATE INDEX audit_log_member ON audit_log(member_id, id);
