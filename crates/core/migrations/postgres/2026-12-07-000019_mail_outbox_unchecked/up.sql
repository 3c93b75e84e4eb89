-- A bulk change queues one mail per member in its transaction; checking each row's member
-- against `members` cost a sixth of that. The member's own deletion removes their mail
-- (crates/core/src/members/assignments.rs, delete_member), and a mail whose member is gone
-- is dropped unsent, so the reference needs no checking.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_member_id_fkey;
