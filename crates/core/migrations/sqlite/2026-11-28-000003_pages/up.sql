CREATE TABLE pages (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL DEFAULT '', -- Markdown, rendered and sanitised when shown
    access TEXT NOT NULL CHECK (access IN ('public', 'members', 'badges')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Which restricted pages each badge unlocks (when the badge has permissions enabled).
CREATE TABLE badge_pages (
    badge_id TEXT NOT NULL REFERENCES badges(id) ON DELETE CASCADE,
    page_id TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    PRIMARY KEY (badge_id, page_id)
) WITHOUT ROWID;
CREATE INDEX badge_pages_page ON badge_pages(page_id, badge_id);
