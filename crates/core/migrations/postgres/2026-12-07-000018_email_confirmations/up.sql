-- Confirming an address by mail (crates/core/src/members/addresses.rs): the address a member
-- asked for and has not confirmed yet (their sign-up address, or a new one typed on /me), and
-- the one link that confirms it. Only the token's SHA-256 is kept; a link names the address
-- it was sent to, so a link to an earlier address cannot confirm a later one.
ALTER TABLE members ADD COLUMN email_pending TEXT;
CREATE TABLE email_confirmations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    expires_at BIGINT NOT NULL -- Unix milliseconds
);
CREATE INDEX email_confirmations_member ON email_confirmations(member_id);
