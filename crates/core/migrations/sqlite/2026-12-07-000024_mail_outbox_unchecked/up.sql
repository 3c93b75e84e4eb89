-- A bulk change queues one mail per member in its transaction; checking each row's member
-- against `members` cost a sixth of that. The member's own deletion removes their mail
-- (crates/core/src/members/assignments.rs, delete_member), and a mail whose member is gone
-- is dropped unsent, so the reference needs no checking. SQLite drops a reference by
-- building the table anew.
CREATE TABLE mail_outbox_new (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL, -- 'password_reset', 'invitation', 'confirm_email', 'badge_given', …
    member_id TEXT, -- the member it is to (deleted with them: members::assignments), or
    admin_id TEXT REFERENCES admins(id) ON DELETE CASCADE, -- the admin it is to
    recipient TEXT NOT NULL, -- the address, as it was when the mail was queued
    badge_id TEXT, -- the badge a badge mail is about (public id)
    subject TEXT NOT NULL, -- as the mail log shows it; set again when the mail is composed
    state TEXT NOT NULL, -- 'waiting', 'sent', 'failed' (given up), 'joined' (sent within another)
    created_at BIGINT NOT NULL, -- Unix milliseconds
    due_at BIGINT NOT NULL, -- Unix milliseconds: not tried before
    lease_until BIGINT NOT NULL DEFAULT 0, -- a server is sending it until then
    holder TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at BIGINT, -- Unix milliseconds
    message_id TEXT NOT NULL -- made when queued, so a mail sent twice carries the same one
);
INSERT INTO mail_outbox_new SELECT * FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
-- The sender's claim (waiting and due, oldest first) and the count of waiting mail.
CREATE INDEX mail_outbox_due ON mail_outbox(state, due_at);
CREATE INDEX mail_outbox_member ON mail_outbox(member_id, id);
-- Pruning the log: mail older than a month.
CREATE INDEX mail_outbox_created ON mail_outbox(created_at);
-- Mail to admins is rare: only its rows are indexed (removing an admin deletes their mail).
CREATE INDEX mail_outbox_admin ON mail_outbox(admin_id) WHERE admin_id IS NOT NULL;
