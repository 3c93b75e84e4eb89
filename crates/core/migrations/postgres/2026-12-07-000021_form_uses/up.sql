-- One-use form tokens (crates/core/src/once.rs): a form whose result cannot be shown twice
-- (a new API key or webhook secret) carries a token, spent in the transaction that acts on it,
-- so sending the form again (a reload) acts once. Only the token's SHA-256 is kept, for a day.
CREATE TABLE form_uses (
    token_hash TEXT PRIMARY KEY NOT NULL,
    used_at BIGINT NOT NULL -- Unix milliseconds
);
CREATE INDEX form_uses_used ON form_uses(used_at);
