-- The Admins page: when each admin last signed in, and one-time set-password links for admins
-- added there (only the token's SHA-256 is kept; the row goes with the admin).
ALTER TABLE admins ADD COLUMN last_sign_in_at TEXT COLLATE "C";
CREATE TABLE admin_password_links (
    token_hash TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    admin_id TEXT COLLATE "C" NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    expires_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX admin_password_links_admin ON admin_password_links(admin_id);
