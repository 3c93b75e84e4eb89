-- How a member arranges their public profile: a badge hidden from it, or pinned to its front
-- (when pinned, Unix ms; pins come first in that order). Adding columns with constant defaults
-- rewrites no rows.
ALTER TABLE member_badges ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE member_badges ADD COLUMN pinned_at INTEGER;
