DROP INDEX member_badges_expiring;
ALTER TABLE member_badges DROP COLUMN expires_at;
ALTER TABLE badges DROP COLUMN valid_for_days;
