DROP TABLE badge_rules;
DROP INDEX members_joined;
DROP INDEX members_trusted_domain;
ALTER TABLE members DROP COLUMN signed_up;
ALTER TABLE members DROP COLUMN email_trusted;
ALTER TABLE members DROP COLUMN email_domain;
