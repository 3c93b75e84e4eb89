ALTER TABLE badges DROP COLUMN tell_members;
DROP INDEX members_without_password;
ALTER TABLE members DROP COLUMN badges_seen_at;
ALTER TABLE members DROP COLUMN badge_mail;
ALTER TABLE members DROP COLUMN invited_at;
ALTER TABLE members DROP COLUMN last_sign_in_at;
