ALTER TABLE member_badges DROP COLUMN end_set_at;
