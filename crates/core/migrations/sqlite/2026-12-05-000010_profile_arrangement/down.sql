ALTER TABLE member_badges DROP COLUMN pinned_at;
ALTER TABLE member_badges DROP COLUMN hidden;
