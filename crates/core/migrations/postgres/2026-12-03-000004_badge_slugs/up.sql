-- Slugs a badge had before it was renamed: its old address answers with a redirect to the new.
CREATE TABLE badge_slugs (
    slug TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    badge_key BIGINT NOT NULL REFERENCES badges(key) ON DELETE CASCADE
);
CREATE INDEX badge_slugs_badge ON badge_slugs(badge_key);
