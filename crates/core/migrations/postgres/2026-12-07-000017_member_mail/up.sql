-- What mail to members needs of them (crates/core/src/members/invitations.rs,
-- crates/core/src/mail/): when each last signed in and was last invited, whether they take
-- badge mail (on by default; off through the link in any badge mail, or on /me), and when
-- they last looked at their badges (those given since are "new"); per badge, whether its
-- holders are told by mail.
ALTER TABLE members ADD COLUMN last_sign_in_at BIGINT; -- Unix milliseconds
ALTER TABLE members ADD COLUMN invited_at BIGINT; -- Unix milliseconds
ALTER TABLE members ADD COLUMN badge_mail BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE members ADD COLUMN badges_seen_at BIGINT; -- Unix milliseconds
-- Members an invitation may go to (no password yet): counted and invited through this.
CREATE INDEX members_without_password ON members(key) WHERE password_hash IS NULL;
ALTER TABLE badges ADD COLUMN tell_members BOOLEAN NOT NULL DEFAULT false;
