-- Integer keys inside the database. Members, badges and pages keep their UUID as the public
-- `id` (URLs, the JSON API, CSV, audit entries); everything that points at them inside the
-- database points at the integer `key` instead, which is what makes the five-million-row
-- assignment table and its indexes small. Assignment times are stored as Unix milliseconds.
--
-- Tables are rebuilt (SQLite cannot change a primary key in place). The server runs
-- migrations on a connection with foreign keys off, so dropping the old tables cascades
-- nothing; it checks every foreign key once the migration has run.

-- Members: the old row numbers become the keys, so the trigram search index (which is keyed
-- by row number) stays valid as it is.
CREATE TABLE members_v6 (
    key INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL, -- lowercased name: prefix search and directory order
    email TEXT NOT NULL UNIQUE, -- stored lowercased
    slug TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    badge_count INTEGER NOT NULL DEFAULT 0, -- kept exact with every assignment change
    created_at TEXT NOT NULL
);
INSERT INTO members_v6 (key, id, name, name_key, email, slug, password_hash, badge_count, created_at)
    SELECT rowid, id, name, name_key, email, slug, password_hash, badge_count, created_at
    FROM members ORDER BY rowid;

CREATE TABLE badges_v6 (
    key INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL UNIQUE, -- comparison key of the title: uniqueness ignores case
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
INSERT INTO badges_v6 (key, id, title, title_key, slug, description, background_color, text_color,
                       icon, permissions_enabled, self_assignable, position, member_count,
                       created_at, updated_at)
    SELECT rowid, id, title, title_key, slug, description, background_color, text_color,
           icon, permissions_enabled, self_assignable, position, member_count, created_at, updated_at
    FROM badges ORDER BY rowid;

CREATE TABLE pages_v6 (
    key INTEGER PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL DEFAULT '', -- Markdown, rendered and sanitised when shown
    access TEXT NOT NULL CHECK (access IN ('public', 'members', 'badges')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO pages_v6 (key, id, title, slug, body, access, created_at, updated_at)
    SELECT rowid, id, title, slug, body, access, created_at, updated_at FROM pages ORDER BY rowid;

-- Who holds which badge since when (Unix milliseconds) and given by whom.
CREATE TABLE member_badges_v6 (
    badge_key INTEGER NOT NULL REFERENCES badges(key) ON DELETE CASCADE,
    member_key INTEGER NOT NULL REFERENCES members(key) ON DELETE CASCADE,
    assigned_at INTEGER NOT NULL,
    assigned_by TEXT NOT NULL,
    PRIMARY KEY (badge_key, member_key)
) WITHOUT ROWID;
INSERT INTO member_badges_v6 (badge_key, member_key, assigned_at, assigned_by)
    SELECT b.key, m.key, CAST(round(unixepoch(mb.assigned_at, 'subsec') * 1000) AS INTEGER),
           mb.assigned_by
    FROM member_badges mb
    JOIN badges_v6 b ON b.id = mb.badge_id
    JOIN members_v6 m ON m.id = mb.member_id
    ORDER BY b.key, m.key;

CREATE TABLE badge_pages_v6 (
    badge_key INTEGER NOT NULL REFERENCES badges(key) ON DELETE CASCADE,
    page_key INTEGER NOT NULL REFERENCES pages(key) ON DELETE CASCADE,
    PRIMARY KEY (badge_key, page_key)
) WITHOUT ROWID;
INSERT INTO badge_pages_v6 (badge_key, page_key)
    SELECT b.key, p.key FROM badge_pages bp
    JOIN badges_v6 b ON b.id = bp.badge_id
    JOIN pages_v6 p ON p.id = bp.page_id;

DROP TABLE member_badges;
DROP TABLE badge_pages;
DROP TABLE members;
DROP TABLE badges;
DROP TABLE pages;
ALTER TABLE members_v6 RENAME TO members;
ALTER TABLE badges_v6 RENAME TO badges;
ALTER TABLE pages_v6 RENAME TO pages;
ALTER TABLE member_badges_v6 RENAME TO member_badges;
ALTER TABLE badge_pages_v6 RENAME TO badge_pages;

CREATE INDEX members_name_key ON members(name_key, key);
CREATE INDEX badges_position ON badges(position);
-- A member's badges, and a badge's holders newest or oldest first (the key of a WITHOUT ROWID
-- table ends every index entry, so the second index orders ties by member too).
CREATE INDEX member_badges_member ON member_badges(member_key, badge_key);
CREATE INDEX member_badges_badge_time ON member_badges(badge_key, assigned_at);
CREATE INDEX badge_pages_page ON badge_pages(page_key, badge_key);

-- The search index follows the members table, as before.
CREATE TRIGGER members_search_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_search(rowid, name, email) VALUES (new.key, new.name, new.email);
END;
CREATE TRIGGER members_search_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_search(members_search, rowid, name, email) VALUES ('delete', old.key, old.name, old.email);
END;
CREATE TRIGGER members_search_update AFTER UPDATE OF name, email ON members BEGIN
    INSERT INTO members_search(members_search, rowid, name, email) VALUES ('delete', old.key, old.name, old.email);
    INSERT INTO members_search(rowid, name, email) VALUES (new.key, new.name, new.email);
END;

-- Every member a change touched, so that a member's history finds bulk changes too (the
-- entry's own member_id names a member only when it touched exactly one).
CREATE TABLE audit_members (
    member_id TEXT NOT NULL, -- public id: the history outlives the member
    entry INTEGER NOT NULL REFERENCES audit_log(id) ON DELETE CASCADE,
    PRIMARY KEY (member_id, entry)
) WITHOUT ROWID;
INSERT INTO audit_members (member_id, entry)
    SELECT member_id, id FROM audit_log WHERE member_id IS NOT NULL;

-- Reports of bulk work (bulk box, CSV import), kept for a day: the full per-line report for
-- download, and what was pasted, so a checked list can be applied without sending it again.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL, -- random and unguessable: it is in the download address
    admin_id TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, -- 'bulk' or 'import'
    subject TEXT NOT NULL DEFAULT '', -- the badge of a bulk change
    input TEXT NOT NULL,
    csv TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reports_created ON reports(created_at);

-- Searches of one or two characters find names (and, in the dashboard, e-mail addresses)
-- starting with them, newest first: these indexes hold each member under their first one and
-- first two characters in key order, so a page of a common prefix is a seek, not a sort of
-- every match.
CREATE INDEX members_name_first1 ON members(substr(name_key, 1, 1));
CREATE INDEX members_name_first2 ON members(substr(name_key, 1, 2));
CREATE INDEX members_email_first1 ON members(substr(email, 1, 1));
CREATE INDEX members_email_first2 ON members(substr(email, 1, 2));
