-- Badges given by rules (crates/core/src/rules/): what rules read about a member, stored so
-- that each criterion is an indexed lookup, and the rules themselves.
--   email_domain:  the part of the e-mail after the @;
--   email_trusted: whether the address may be believed (an admin entered or imported it); a
--                  member's own sign-up is not, so "e-mail domain is one of" never matches it;
--   signed_up:     the member made the account themselves (otherwise an admin added them).
-- Existing members: those whose audit history has a sign-up signed up; every other address
-- was entered or imported by an admin, as was any address an admin changed since.
ALTER TABLE members ADD COLUMN email_domain TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN email_trusted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE members ADD COLUMN signed_up BOOLEAN NOT NULL DEFAULT false;
UPDATE members SET
    email_domain = split_part(email, '@', 2),
    signed_up = (id IN (SELECT member_id FROM audit_log
                        WHERE action = 'member.sign_up' AND member_id IS NOT NULL));
UPDATE members SET email_trusted = (NOT signed_up OR id IN (
    SELECT member_id FROM audit_log
    WHERE action = 'member.update' AND details LIKE '%e-mail was%' AND member_id IS NOT NULL));
CREATE INDEX members_trusted_domain ON members (email_domain, key) WHERE email_trusted;
CREATE INDEX members_joined ON members (created_at, key);

-- One rule per automatic badge: its criteria as JSON (the wire shape of docs/api.md, badge
-- public ids included), and whether it takes the badge away from members who stop matching.
CREATE TABLE badge_rules (
    badge_key BIGINT PRIMARY KEY NOT NULL REFERENCES badges (key) ON DELETE CASCADE,
    criteria TEXT NOT NULL,
    take_away BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL, -- Unix milliseconds
    updated_at BIGINT NOT NULL -- Unix milliseconds
);
